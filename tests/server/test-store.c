/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The storage interface (sv-store.h) over a real SQLite file in a temporary
 * directory, with an injected clock: every operation the handlers call,
 * their errors, idempotency, conflicts, paging, the ring, restores,
 * deregistration (counted over every column of every table) and
 * concurrent writers.
 *
 * With SV_TEST_STORAGE=postgresql://... the same tests run on PostgreSQL
 * (tests/postgresql/pg-run.sh starts a throwaway cluster); each test starts
 * from an empty schema.
 */
#include "config.h"

#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <sqlite3.h>
#ifdef SV_HAVE_PGSQL
#include <libpq-fe.h>
#endif

#include "sv-store.h"

#define T0 (G_GINT64_CONSTANT (1796612400) * G_USEC_PER_SEC) /* 2026-12-07T03:00:00Z */

#define ICCID_A "89860123456789012345"
#define ICCID_B "8986012345678901234"
#define ICCID_C "89860000000000000001"
#define PHONE_A "+8613800138000"
#define PHONE_B "+8613900139000"

typedef struct
{
  char       *dir;
  char       *path;
  const char *location;   /* path, or the PostgreSQL URL */
  SvStore    *store;
  gint64      now;
} Fixture;

static const char *
postgresql_location (void)
{
  const char *location = g_getenv ("SV_TEST_STORAGE");

  return location != NULL && g_str_has_prefix (location, "postgres") ? location : NULL;
}

#ifdef SV_HAVE_PGSQL
static PGconn *
pg_open (const char *location)
{
  PGconn *pg = PQconnectdb (location);

  if (PQstatus (pg) != CONNECTION_OK)
    g_error ("Cannot connect to %s: %s", location, PQerrorMessage (pg));
  return pg;
}

static void
pg_reset (const char *location)
{
  PGconn *pg = pg_open (location);
  PGresult *result = PQexec (pg, "SET client_min_messages = warning;"
                                 "DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;");

  if (PQresultStatus (result) != PGRES_COMMAND_OK)
    g_error ("Cannot reset the schema: %s", PQerrorMessage (pg));
  PQclear (result);
  PQfinish (pg);
}
#endif

static gint64
fixture_now (gpointer user_data)
{
  return ((Fixture *) user_data)->now;
}

static SvStore *
fixture_open (Fixture *f)
{
  SvStoreOptions options = { 0, };
  g_autoptr(GError) error = NULL;
  SvStore *store;

  options.password_cost = SV_PASSWORD_COST_TEST_ONLY;
  options.now = fixture_now;
  options.now_data = f;
  options.pool_size = 4;
  store = sv_store_open (f->location, &options, &error);
  g_assert_no_error (error);
  g_assert_nonnull (store);
  return store;
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("test-store-XXXXXX", &error);
  g_assert_no_error (error);
  f->path = g_build_filename (f->dir, "server.db", NULL);
  f->location = f->path;
  if (postgresql_location () != NULL)
    {
#ifdef SV_HAVE_PGSQL
      f->location = postgresql_location ();
      pg_reset (f->location);
#else
      g_error ("SV_TEST_STORAGE names PostgreSQL, but this build has no libpq");
#endif
    }
  f->now = T0;
  f->store = fixture_open (f);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  const char *suffixes[] = { "", "-wal", "-shm" };

  g_clear_pointer (&f->store, sv_store_close);
  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *p = g_strconcat (f->path, suffixes[i], NULL);

      g_unlink (p);
    }
  g_rmdir (f->dir);
  g_free (f->path);
  g_free (f->dir);
}

/* A record of @len bytes: @text, then FF */
static GBytes *
rec (guint       len,
     const char *text)
{
  guint8 *data = g_malloc (len);
  gsize n = text != NULL ? MIN (strlen (text), len) : 0;

  memset (data, 0xff, len);
  if (n > 0)
    memcpy (data, text, n);
  return g_bytes_new_take (data, len);
}

static SvStoreCardInfo *
make_info (const char *iccid,
           guint       sms_capacity)
{
  SvStoreCardInfo *info = sv_store_card_info_new (iccid);

  info->imsi = g_strdup ("460001234567890");
  info->card_type = g_strdup ("usim");
  info->batch = g_strdup ("B1");
  info->counter_a = 7;
  info->sms_capacity = sms_capacity;
  g_ptr_array_add (info->files, sv_store_card_file_new ("pb1/adn", "3F007F105F3A4F3A", "linear-fixed", 30, 10));
  g_ptr_array_add (info->files, sv_store_card_file_new ("pb1/ext1", "3F007F105F3A4F4A", "linear-fixed", 13, 5));
  g_ptr_array_add (info->files, sv_store_card_file_new ("sms", "3F007F106F3C", "linear-fixed", 176, sms_capacity));
  return info;
}

static gint64
create_account (Fixture    *f,
                const char *phone)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvStoreAccount) account = sv_store_account_create (f->store, phone, "secret", &error);

  g_assert_no_error (error);
  return account->id;
}

/* An account with one registered card */
static gint64
setup_card (Fixture    *f,
            const char *phone,
            const char *iccid)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvStoreCardInfo) info = make_info (iccid, 5);
  g_autoptr(SvStoreCard) card = NULL;
  SvStoreRegisterOutcome outcome;
  gint64 account_id = 0;

  card = sv_store_card_register_with_password (f->store, phone, "secret", NULL, info,
                                               &outcome, &account_id, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (card);
  return account_id;
}

static SvStoreBackupResult *
backup (Fixture           *f,
        gint64             account_id,
        const char        *batch_id,
        SvStoreBackupMode  mode,
        const char        *file,
        guint              index,
        const char        *text,
        gint64             base,
        GError           **error)
{
  g_autoptr(SvStoreBackupRequest) request = sv_store_backup_request_new (batch_id, mode);
  g_autoptr(GBytes) data = rec (30, text);

  if (mode == SV_STORE_BACKUP_FULL)
    sv_store_backup_request_add_file (request, file);
  sv_store_backup_request_add_record (request, sv_store_record_write_new (file, index, data, base));
  return sv_store_backup_apply (f->store, account_id, ICCID_A, request, error);
}

static gint64
record_version (Fixture    *f,
                gint64      account_id,
                const char *file,
                guint       index,
                GBytes    **data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) records = sv_store_records_list (f->store, account_id, ICCID_A, file, &error);

  g_assert_no_error (error);
  for (guint i = 0; i < records->len; i++)
    {
      SvStoreRecord *record = g_ptr_array_index (records, i);

      if (record->index == index)
        {
          if (data != NULL)
            *data = g_bytes_ref (record->data);
          return record->version;
        }
    }
  if (data != NULL)
    *data = NULL;
  return 0;
}

/* ------------------------------------------------------------------------ */

static void
test_open_reopen (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvStoreAccount) account = NULL;
  guint version = sv_store_get_schema_version (f->store);

  g_test_message ("engine: %s", sv_store_get_engine (f->store));
  g_assert_cmpstr (sv_store_get_engine (f->store), ==,
                   postgresql_location () != NULL ? "postgresql" : "sqlite");
  g_assert_cmpuint (version, >=, 2);
  create_account (f, PHONE_A);

  /* reopening applies nothing twice and keeps the data */
  g_clear_pointer (&f->store, sv_store_close);
  f->store = fixture_open (f);
  g_assert_cmpuint (sv_store_get_schema_version (f->store), ==, version);
  account = sv_store_account_lookup (f->store, PHONE_A, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (account->phone, ==, PHONE_A);

  /* a location that cannot be opened */
  g_assert_null (sv_store_open ("sqlite:/nonexistent-dir/x.db", NULL, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_UNAVAILABLE);
}

static void
test_error_codes (void)
{
  g_assert_cmpstr (sv_store_error_code_name (SV_STORE_ERROR_NOT_FOUND), ==, "not-found");
  g_assert_cmpuint (sv_store_error_http_status (SV_STORE_ERROR_NOT_FOUND), ==, 404);
  g_assert_cmpstr (sv_store_error_code_name (SV_STORE_ERROR_BATCH_ID_REUSED), ==, "batch-id-reused");
  g_assert_cmpuint (sv_store_error_http_status (SV_STORE_ERROR_BATCH_ID_REUSED), ==, 422);
  g_assert_cmpstr (sv_store_error_code_name (SV_STORE_ERROR_FULL_RESYNC_REQUIRED), ==, "full-resync-required");
  g_assert_cmpuint (sv_store_error_http_status (SV_STORE_ERROR_FULL_RESYNC_REQUIRED), ==, 410);
  g_assert_cmpuint (sv_store_error_http_status (SV_STORE_ERROR_RATE_LIMITED), ==, 429);
  g_assert_cmpuint (sv_store_error_http_status (SV_STORE_ERROR_UNAVAILABLE), ==, 503);
  g_assert_cmpstr (sv_store_register_outcome_to_string (SV_STORE_REGISTER_CARD_CHANGE), ==, "card-change");
}

static void
test_accounts (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvStoreAccount) account = NULL;
  g_autoptr(SvStoreAccount) same = NULL;
  g_autoptr(SvStoreAccount) verified = NULL;
  g_autoptr(SvStoreSession) keep = NULL;
  g_autoptr(SvStoreSession) other = NULL;
  g_autoptr(SvStoreSession) looked = NULL;

  /* spaces and dashes are removed */
  account = sv_store_account_create (f->store, "+86 138-0013-8000", "secret", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (account->phone, ==, PHONE_A);
  g_assert_cmpint (account->counter_b, ==, 0);

  g_assert_null (sv_store_account_create (f->store, PHONE_A, "other", &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_CONFLICT);
  g_clear_error (&error);
  g_assert_null (sv_store_account_create (f->store, "12", "secret", &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_null (sv_store_account_create (f->store, "+86abc", "secret", &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_null (sv_store_account_create (f->store, PHONE_B, "", &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID);
  g_clear_error (&error);

  same = sv_store_account_get (f->store, account->id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (same->phone, ==, PHONE_A);
  g_assert_null (sv_store_account_lookup (f->store, PHONE_B, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  verified = sv_store_account_verify (f->store, PHONE_A, "secret", &error);
  g_assert_no_error (error);
  g_assert_cmpint (verified->id, ==, account->id);
  /* wrong password and unknown phone answer the same */
  g_assert_null (sv_store_account_verify (f->store, PHONE_A, "wrong", &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_LOGIN_FAILED);
  g_clear_error (&error);
  g_assert_null (sv_store_account_verify (f->store, PHONE_B, "secret", &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_LOGIN_FAILED);
  g_clear_error (&error);

  /* a password change ends the other sessions */
  keep = sv_store_session_create (f->store, SV_STORE_SESSION_OWNER, account->id, 0, &error);
  g_assert_no_error (error);
  other = sv_store_session_create (f->store, SV_STORE_SESSION_OWNER, account->id, 0, &error);
  g_assert_no_error (error);
  g_assert_false (sv_store_account_change_password (f->store, account->id, "wrong", "new", keep->token, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_LOGIN_FAILED);
  g_clear_error (&error);
  g_assert_true (sv_store_account_change_password (f->store, account->id, "secret", "new", keep->token, &error));
  g_assert_no_error (error);
  looked = sv_store_session_lookup (f->store, keep->token, &error);
  g_assert_no_error (error);
  g_assert_null (sv_store_session_lookup (f->store, other->token, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_UNAUTHENTICATED);
  g_clear_error (&error);
  g_clear_pointer (&verified, sv_store_account_free);
  verified = sv_store_account_verify (f->store, PHONE_A, "new", &error);
  g_assert_no_error (error);
  g_assert_null (sv_store_account_verify (f->store, PHONE_A, "secret", &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_LOGIN_FAILED);
}

static void
test_sessions (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvStoreSession) session = NULL;
  g_autoptr(SvStoreSession) looked = NULL;
  g_autoptr(SvStoreSession) delegated = NULL;
  g_autoptr(SvStoreStaff) staff = NULL;
  gint64 account_id = create_account (f, PHONE_A);

  session = sv_store_login (f->store, PHONE_A, "secret", "192.0.2.1", NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (session->token);
  g_assert_cmpuint (strlen (session->token), >=, 43);
  g_assert_nonnull (session->csrf);
  g_assert_cmpint (session->kind, ==, SV_STORE_SESSION_OWNER);
  g_assert_cmpint (session->account_id, ==, account_id);
  g_assert_cmpstr (session->phone, ==, PHONE_A);
  g_assert_cmpint (session->expires_at, ==, T0 + SV_STORE_OWNER_IDLE_USEC);

  looked = sv_store_session_lookup (f->store, session->token, &error);
  g_assert_no_error (error);
  g_assert_null (looked->token);
  g_assert_cmpstr (looked->csrf, ==, session->csrf);
  g_assert_cmpstr (looked->phone, ==, PHONE_A);
  g_assert_true (sv_store_session_check_csrf (looked, session->csrf));
  g_assert_false (sv_store_session_check_csrf (looked, "x"));
  g_assert_false (sv_store_session_check_csrf (looked, NULL));
  g_clear_pointer (&looked, sv_store_session_free);

  /* the idle time slides with use: 11 h, use, 11 h more is still valid */
  f->now += 11 * G_TIME_SPAN_HOUR;
  looked = sv_store_session_lookup (f->store, session->token, &error);
  g_assert_no_error (error);
  g_assert_cmpint (looked->expires_at, ==, f->now + SV_STORE_OWNER_IDLE_USEC);
  g_clear_pointer (&looked, sv_store_session_free);
  f->now += 11 * G_TIME_SPAN_HOUR;
  looked = sv_store_session_lookup (f->store, session->token, &error);
  g_assert_no_error (error);
  g_clear_pointer (&looked, sv_store_session_free);

  /* 12 h idle: gone */
  f->now += SV_STORE_OWNER_IDLE_USEC;
  g_assert_null (sv_store_session_lookup (f->store, session->token, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_UNAUTHENTICATED);
  g_clear_error (&error);

  /* unknown tokens */
  g_assert_null (sv_store_session_lookup (f->store, "not-a-token", &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_UNAUTHENTICATED);
  g_clear_error (&error);
  g_assert_null (sv_store_session_lookup (f->store, NULL, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_UNAUTHENTICATED);
  g_clear_error (&error);

  /* logout */
  g_clear_pointer (&session, sv_store_session_free);
  session = sv_store_session_create (f->store, SV_STORE_SESSION_OWNER, account_id, 0, &error);
  g_assert_no_error (error);
  g_assert_true (sv_store_session_delete (f->store, session->token, &error));
  g_assert_no_error (error);
  g_assert_null (sv_store_session_lookup (f->store, session->token, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_UNAUTHENTICATED);
  g_clear_error (&error);
  g_assert_true (sv_store_session_delete (f->store, session->token, &error));
  g_assert_no_error (error);

  /* a delegated token ends 30 minutes after the consent, used or not */
  staff = sv_store_staff_add (f->store, "alice", "staffpw", &error);
  g_assert_no_error (error);
  delegated = sv_store_session_create (f->store, SV_STORE_SESSION_DELEGATED, account_id, staff->id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (delegated->staff_name, ==, "alice");
  g_assert_cmpstr (delegated->phone, ==, PHONE_A);
  f->now += 20 * G_TIME_SPAN_MINUTE;
  looked = sv_store_session_lookup (f->store, delegated->token, &error);
  g_assert_no_error (error);
  g_assert_cmpint (looked->kind, ==, SV_STORE_SESSION_DELEGATED);
  g_assert_cmpint (looked->staff_id, ==, staff->id);
  g_clear_pointer (&looked, sv_store_session_free);
  f->now += 10 * G_TIME_SPAN_MINUTE;
  g_assert_null (sv_store_session_lookup (f->store, delegated->token, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_UNAUTHENTICATED);
  g_clear_error (&error);

  /* housekeeping drops the rest */
  g_assert_true (sv_store_expire (f->store, &error));
  g_assert_no_error (error);
}

static void
test_rate_limits (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvStoreSession) session = NULL;
  gint64 retry_after = 0;

  create_account (f, PHONE_A);
  create_account (f, PHONE_B);

  for (guint i = 0; i < SV_STORE_LOGIN_MAX_FAILURES; i++)
    {
      g_assert_null (sv_store_login (f->store, PHONE_A, "wrong", "192.0.2.1", &retry_after, &error));
      g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_LOGIN_FAILED);
      g_clear_error (&error);
      f->now += G_USEC_PER_SEC;
    }
  /* the sixth attempt is refused without looking at the password */
  g_assert_null (sv_store_login (f->store, PHONE_A, "secret", "192.0.2.9", &retry_after, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_RATE_LIMITED);
  g_clear_error (&error);
  g_assert_cmpint (retry_after, ==, 15 * 60 - SV_STORE_LOGIN_MAX_FAILURES);

  /* the same address is limited for another phone too */
  g_assert_null (sv_store_login (f->store, PHONE_B, "secret", "192.0.2.1", &retry_after, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_RATE_LIMITED);
  g_clear_error (&error);
  /* another phone from another address is not */
  session = sv_store_login (f->store, PHONE_B, "secret", "192.0.2.2", NULL, &error);
  g_assert_no_error (error);
  g_clear_pointer (&session, sv_store_session_free);

  /* the window ends 15 minutes after the first failure */
  f->now = T0 + SV_STORE_LOGIN_WINDOW_USEC;
  session = sv_store_login (f->store, PHONE_A, "secret", "192.0.2.1", NULL, &error);
  g_assert_no_error (error);
  g_clear_pointer (&session, sv_store_session_free);

  /* the low-level calls */
  g_assert_true (sv_store_rate_limit_check (f->store, "staff:bob", &retry_after, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < SV_STORE_LOGIN_MAX_FAILURES; i++)
    g_assert_true (sv_store_rate_limit_fail (f->store, "staff:bob", &error));
  g_assert_false (sv_store_rate_limit_check (f->store, "staff:bob", &retry_after, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_RATE_LIMITED);
  g_clear_error (&error);
  g_assert_cmpint (retry_after, ==, 15 * 60);
  g_assert_true (sv_store_rate_limit_reset (f->store, "staff:bob", &error));
  g_assert_true (sv_store_rate_limit_check (f->store, "staff:bob", &retry_after, &error));
  g_assert_no_error (error);
}

static void
test_staff (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvStoreStaff) alice = NULL;
  g_autoptr(SvStoreStaff) bob = NULL;
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(SvStoreSession) session = NULL;
  g_autoptr(SvStoreSession) looked = NULL;

  alice = sv_store_staff_add (f->store, "alice", "pw-a", &error);
  g_assert_no_error (error);
  bob = sv_store_staff_add (f->store, "bob", "pw-b", &error);
  g_assert_no_error (error);
  g_assert_null (sv_store_staff_add (f->store, "alice", "x", &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_CONFLICT);
  g_clear_error (&error);
  g_assert_null (sv_store_staff_add (f->store, "bad name", "x", &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID);
  g_clear_error (&error);

  list = sv_store_staff_list (f->store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 2);
  g_assert_cmpstr (((SvStoreStaff *) g_ptr_array_index (list, 0))->name, ==, "alice");
  g_assert_cmpstr (((SvStoreStaff *) g_ptr_array_index (list, 1))->name, ==, "bob");

  g_assert_null (sv_store_staff_login (f->store, "alice", "pw-b", NULL, NULL, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_LOGIN_FAILED);
  g_clear_error (&error);
  g_assert_null (sv_store_staff_login (f->store, "nobody", "pw-a", NULL, NULL, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_LOGIN_FAILED);
  g_clear_error (&error);
  session = sv_store_staff_login (f->store, "alice", "pw-a", NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (session->kind, ==, SV_STORE_SESSION_STAFF);
  g_assert_cmpint (session->staff_id, ==, alice->id);
  g_assert_cmpint (session->account_id, ==, 0);
  g_assert_cmpint (session->expires_at, ==, T0 + SV_STORE_STAFF_IDLE_USEC);
  looked = sv_store_session_lookup (f->store, session->token, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (looked->staff_name, ==, "alice");

  /* removal ends the member's sessions */
  g_assert_true (sv_store_staff_remove (f->store, "alice", &error));
  g_assert_no_error (error);
  g_assert_null (sv_store_session_lookup (f->store, session->token, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_UNAUTHENTICATED);
  g_clear_error (&error);
  g_assert_false (sv_store_staff_remove (f->store, "alice", &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_clear_pointer (&list, g_ptr_array_unref);
  list = sv_store_staff_list (f->store, &error);
  g_assert_cmpuint (list->len, ==, 1);
}

static void
test_consents (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvStoreStaff) staff = NULL;
  g_autoptr(SvStoreSession) delegated = NULL;
  g_autoptr(GPtrArray) audit = NULL;
  g_autofree char *code = NULL;
  g_autofree char *code2 = NULL;
  g_autofree char *code_b = NULL;
  g_autofree char *lower = NULL;
  gint64 account_a = create_account (f, PHONE_A);
  gint64 account_b = create_account (f, PHONE_B);
  gint64 expires = 0;

  staff = sv_store_staff_add (f->store, "shop1", "pw", &error);
  g_assert_no_error (error);

  /* with the customer's password */
  g_assert_null (sv_store_consent_create (f->store, staff->id, PHONE_A, "wrong", NULL, NULL, NULL, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_LOGIN_FAILED);
  g_clear_error (&error);
  delegated = sv_store_consent_create (f->store, staff->id, PHONE_A, "secret", NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (delegated->kind, ==, SV_STORE_SESSION_DELEGATED);
  g_assert_cmpint (delegated->account_id, ==, account_a);
  g_assert_cmpint (delegated->expires_at, ==, T0 + SV_STORE_DELEGATED_USEC);
  g_clear_pointer (&delegated, sv_store_session_free);

  /* with a one-time code: single use */
  code = sv_store_restore_code_create (f->store, account_a, &expires, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (strlen (code), ==, 9);
  g_assert_cmpint (code[4], ==, '-');
  g_assert_cmpint (expires, ==, T0 + SV_STORE_RESTORE_CODE_USEC);
  lower = g_ascii_strdown (code, -1);
  delegated = sv_store_consent_create (f->store, staff->id, PHONE_A, NULL, lower, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (delegated->account_id, ==, account_a);
  g_clear_pointer (&delegated, sv_store_session_free);
  g_assert_null (sv_store_consent_create (f->store, staff->id, PHONE_A, NULL, code, NULL, NULL, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_LOGIN_FAILED);
  g_clear_error (&error);

  /* expired after 15 minutes */
  code2 = sv_store_restore_code_create (f->store, account_a, NULL, &error);
  g_assert_no_error (error);
  f->now += SV_STORE_RESTORE_CODE_USEC;
  g_assert_null (sv_store_consent_create (f->store, staff->id, PHONE_A, NULL, code2, NULL, NULL, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_LOGIN_FAILED);
  g_clear_error (&error);

  /* B's code does not open A's account, and is spent by trying */
  code_b = sv_store_restore_code_create (f->store, account_b, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (sv_store_consent_create (f->store, staff->id, PHONE_A, NULL, code_b, NULL, NULL, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_LOGIN_FAILED);
  g_clear_error (&error);
  g_assert_null (sv_store_consent_create (f->store, staff->id, PHONE_B, NULL, code_b, NULL, NULL, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_LOGIN_FAILED);
  g_clear_error (&error);

  /* garbage codes */
  g_assert_null (sv_store_consent_create (f->store, staff->id, PHONE_A, NULL, "!!", NULL, NULL, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_LOGIN_FAILED);
  g_clear_error (&error);

  g_assert_null (sv_store_consent_create (f->store, staff->id, PHONE_A, NULL, "ZZZZ-ZZZZ", NULL, NULL, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_LOGIN_FAILED);
  g_clear_error (&error);

  g_assert_null (sv_store_consent_create (f->store, staff->id, PHONE_A, "wrong", NULL, NULL, NULL, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_LOGIN_FAILED);
  g_clear_error (&error);

  /* five failures on phone A in the window that began with the expired
   * code (the reused code's window had ended by then): limited */
  g_assert_null (sv_store_consent_create (f->store, staff->id, PHONE_A, "secret", NULL, NULL, NULL, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_RATE_LIMITED);
  g_clear_error (&error);

  /* the owner sees both consents, newest first, with the staff name */
  audit = sv_store_audit_list (f->store, account_a, 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (audit->len, ==, 2);
  g_assert_cmpstr (((SvStoreAuditEntry *) g_ptr_array_index (audit, 0))->action, ==, "consent");
  g_assert_cmpstr (((SvStoreAuditEntry *) g_ptr_array_index (audit, 0))->detail, ==, "restore code");
  g_assert_cmpstr (((SvStoreAuditEntry *) g_ptr_array_index (audit, 0))->staff_name, ==, "shop1");
  g_assert_cmpstr (((SvStoreAuditEntry *) g_ptr_array_index (audit, 1))->detail, ==, "password");
  g_clear_pointer (&audit, g_ptr_array_unref);
  audit = sv_store_audit_list (f->store, account_b, 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (audit->len, ==, 0);
}

static void
test_audit (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvStoreStaff) staff = NULL;
  g_autoptr(GPtrArray) page1 = NULL;
  g_autoptr(GPtrArray) page2 = NULL;
  gint64 account_id = create_account (f, PHONE_A);

  staff = sv_store_staff_add (f->store, "shop1", "pw", &error);
  g_assert_no_error (error);
  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *action = g_strdup_printf ("GET /api/v1/cards/%u", i);

      f->now += G_USEC_PER_SEC;
      g_assert_true (sv_store_audit_append (f->store, account_id, staff->id, ICCID_A, action, NULL, &error));
      g_assert_no_error (error);
    }
  page1 = sv_store_audit_list (f->store, account_id, 0, 3, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (page1->len, ==, 3);
  g_assert_cmpstr (((SvStoreAuditEntry *) g_ptr_array_index (page1, 0))->action, ==, "GET /api/v1/cards/4");
  g_assert_cmpstr (((SvStoreAuditEntry *) g_ptr_array_index (page1, 0))->iccid, ==, ICCID_A);
  g_assert_cmpint (((SvStoreAuditEntry *) g_ptr_array_index (page1, 0))->at, ==, T0 + 5 * G_USEC_PER_SEC);
  page2 = sv_store_audit_list (f->store, account_id, ((SvStoreAuditEntry *) g_ptr_array_index (page1, 2))->id, 3, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (page2->len, ==, 2);
  g_assert_cmpstr (((SvStoreAuditEntry *) g_ptr_array_index (page2, 1))->action, ==, "GET /api/v1/cards/0");

  /* the staff member leaves; the history keeps the name */
  g_assert_true (sv_store_staff_remove (f->store, "shop1", &error));
  g_clear_pointer (&page1, g_ptr_array_unref);
  page1 = sv_store_audit_list (f->store, account_id, 0, 0, &error);
  g_assert_cmpuint (page1->len, ==, 5);
  g_assert_cmpstr (((SvStoreAuditEntry *) g_ptr_array_index (page1, 4))->staff_name, ==, "shop1");
}

/* ------------------------------------------------------------------------ */
/* Cards                                                                    */

static void
test_register_outcomes (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvStoreCardInfo) info = make_info (ICCID_A, 5);
  g_autoptr(SvStoreCardInfo) info_b = make_info (ICCID_B, 5);
  g_autoptr(SvStoreCard) card = NULL;
  g_autoptr(SvStoreCard) old = NULL;
  g_autoptr(GPtrArray) cards = NULL;
  g_autoptr(SvStoreAccount) account = NULL;
  SvStoreRegisterOutcome outcome;
  gint64 account_id = 0, other_id = 0;

  /* phone unknown: account and card */
  card = sv_store_card_register_with_password (f->store, PHONE_A, "secret", NULL, info,
                                               &outcome, &account_id, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (outcome, ==, SV_STORE_REGISTER_REGISTERED);
  g_assert_cmpint (account_id, !=, 0);
  g_assert_cmpstr (card->iccid, ==, ICCID_A);
  g_assert_cmpstr (card->phone, ==, PHONE_A);
  g_assert_cmpint (card->counter_a, ==, 7);
  g_assert_cmpint (card->counter_b, ==, 0);
  g_assert_cmpint (card->modseq, ==, 0);
  g_assert_cmpint (card->epoch, >=, 1);
  g_assert_cmpuint (card->sms_capacity, ==, 5);
  g_assert_cmpuint (card->files->len, ==, 3);
  g_assert_cmpstr (((SvStoreCardFile *) g_ptr_array_index (card->files, 0))->key, ==, "pb1/adn");
  g_assert_cmpuint (sv_store_card_find_file (card, "pb1/ext1")->record_len, ==, 13);
  g_assert_cmpstr (sv_store_card_find_file (card, "sms")->structure, ==, "linear-fixed");
  g_clear_pointer (&card, sv_store_card_free);

  /* the same ICCID again: info updated, counter A taken */
  info->counter_a = 9;
  g_free (info->imsi);
  info->imsi = g_strdup ("460009999999999");
  card = sv_store_card_register_with_password (f->store, PHONE_A, "secret", NULL, info,
                                               &outcome, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (outcome, ==, SV_STORE_REGISTER_UPDATED);
  g_assert_cmpint (card->counter_a, ==, 9);
  g_assert_cmpstr (card->imsi, ==, "460009999999999");
  g_clear_pointer (&card, sv_store_card_free);

  /* wrong password: nothing changes */
  info->counter_a = 11;
  g_assert_null (sv_store_card_register_with_password (f->store, PHONE_A, "wrong", NULL, info,
                                                       &outcome, NULL, NULL, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_LOGIN_FAILED);
  g_clear_error (&error);
  card = sv_store_card_get (f->store, account_id, ICCID_A, &error);
  g_assert_no_error (error);
  g_assert_cmpint (card->counter_a, ==, 9);
  g_clear_pointer (&card, sv_store_card_free);

  /* another ICCID on the same account: a card change */
  card = sv_store_card_register (f->store, account_id, info_b, &outcome, &error);
  g_assert_no_error (error);
  g_assert_cmpint (outcome, ==, SV_STORE_REGISTER_CARD_CHANGE);
  g_assert_cmpint (card->counter_b, ==, 1);
  g_assert_null (card->replaced_by);
  old = sv_store_card_get (f->store, account_id, ICCID_A, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (old->replaced_by, ==, ICCID_B);
  cards = sv_store_card_list (f->store, account_id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (cards->len, ==, 2);
  account = sv_store_account_get (f->store, account_id, &error);
  g_assert_cmpint (account->counter_b, ==, 1);
  g_clear_pointer (&card, sv_store_card_free);

  /* the ICCID of another account: conflict, and no account is created */
  g_assert_null (sv_store_card_register_with_password (f->store, PHONE_B, "secret", NULL, info,
                                                       &outcome, &other_id, NULL, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_CONFLICT);
  g_clear_error (&error);
  g_assert_null (sv_store_account_lookup (f->store, PHONE_B, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* a portal sign-up without a card registers its first card as new */
  other_id = create_account (f, PHONE_B);
  g_clear_pointer (&info, sv_store_card_info_free);
  info = make_info (ICCID_C, 5);
  card = sv_store_card_register_with_password (f->store, PHONE_B, "secret", NULL,
                                               info, &outcome, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (outcome, ==, SV_STORE_REGISTER_REGISTERED);
  g_assert_cmpint (card->account_id, ==, other_id);
}

static void
test_register_invalid (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvStoreCardInfo) info = NULL;
  SvStoreRegisterOutcome outcome;
  gint64 account_id = create_account (f, PHONE_A);

  info = make_info ("1234", 5);
  g_assert_null (sv_store_card_register (f->store, account_id, info, &outcome, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID);
  g_clear_error (&error);
  g_clear_pointer (&info, sv_store_card_info_free);

  info = make_info (ICCID_A, 5);
  ((SvStoreCardFile *) g_ptr_array_index (info->files, 0))->record_len = 0;
  g_assert_null (sv_store_card_register (f->store, account_id, info, &outcome, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID);
  g_clear_error (&error);
  g_clear_pointer (&info, sv_store_card_info_free);

  info = make_info (ICCID_A, 5);
  g_ptr_array_add (info->files, sv_store_card_file_new ("pb1/adn", "3F00", "linear-fixed", 30, 10));
  g_assert_null (sv_store_card_register (f->store, account_id, info, &outcome, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID);
  g_clear_error (&error);
  g_clear_pointer (&info, sv_store_card_info_free);

  info = make_info (ICCID_A, 5);
  g_clear_pointer (&info->card_type, g_free);
  g_assert_null (sv_store_card_register (f->store, account_id, info, &outcome, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID);
  g_clear_error (&error);
  g_clear_pointer (&info, sv_store_card_info_free);

  info = make_info (ICCID_A, SV_STORE_MAX_SMS_CAPACITY + 1);
  g_assert_null (sv_store_card_register (f->store, account_id, info, &outcome, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID);
  g_clear_error (&error);

  /* nothing was stored */
  g_assert_cmpint (sv_store_card_count_rows (f->store, ICCID_A, &error), ==, 0);
  g_assert_no_error (error);
}

static void
test_register_layout_change (Fixture       *f,
                             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvStoreCardInfo) info = make_info (ICCID_A, 5);
  g_autoptr(SvStoreCard) card = NULL;
  g_autoptr(SvStoreBackupResult) result = NULL;
  g_autoptr(SvStoreChanges) changes = NULL;
  SvStoreRegisterOutcome outcome;
  gint64 account_id = setup_card (f, PHONE_A, ICCID_A);
  gint64 epoch;

  result = backup (f, account_id, "b1", SV_STORE_BACKUP_INCREMENTAL, "pb1/adn", 9, "Ann", 0, &error);
  g_assert_no_error (error);
  epoch = result->epoch;

  /* more records: nothing is lost, the epoch stays */
  ((SvStoreCardFile *) g_ptr_array_index (info->files, 0))->n_records = 20;
  card = sv_store_card_register (f->store, account_id, info, &outcome, &error);
  g_assert_no_error (error);
  g_assert_cmpint (outcome, ==, SV_STORE_REGISTER_UPDATED);
  g_assert_cmpint (card->epoch, ==, epoch);
  g_assert_cmpuint (sv_store_card_find_file (card, "pb1/adn")->n_records, ==, 20);
  g_clear_pointer (&card, sv_store_card_free);

  /* fewer: record 9 is dropped and tokens of the old epoch are refused */
  f->now += 10 * G_USEC_PER_SEC;
  ((SvStoreCardFile *) g_ptr_array_index (info->files, 0))->n_records = 8;
  card = sv_store_card_register (f->store, account_id, info, &outcome, &error);
  g_assert_no_error (error);
  g_assert_cmpint (card->epoch, >, epoch);
  g_assert_cmpint (record_version (f, account_id, "pb1/adn", 9, NULL), ==, 0);
  g_assert_null (sv_store_changes_since (f->store, account_id, ICCID_A, epoch, 0, 0, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_FULL_RESYNC_REQUIRED);
  g_clear_error (&error);
  changes = sv_store_changes_since (f->store, account_id, ICCID_A, card->epoch, 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (changes->records->len, ==, 0);
}

/* ------------------------------------------------------------------------ */
/* Backups                                                                  */

static void
test_backup_incremental (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvStoreBackupRequest) request = sv_store_backup_request_new ("0f9c1a3e-6d7b-4c21", SV_STORE_BACKUP_INCREMENTAL);
  g_autoptr(SvStoreBackupResult) result = NULL;
  g_autoptr(GBytes) ann = rec (30, "Ann");
  g_autoptr(GBytes) bob = rec (30, "Bob");
  g_autoptr(GBytes) ext = rec (13, "\x02\x12\x34");
  g_autoptr(GBytes) stored = NULL;
  g_autoptr(SvStoreCard) card = NULL;
  gint64 account_id = setup_card (f, PHONE_A, ICCID_A);

  sv_store_backup_request_add_record (request, sv_store_record_write_new ("pb1/adn", 4, bob, 0));
  sv_store_backup_request_add_record (request, sv_store_record_write_new ("pb1/adn", 3, ann, 0));
  sv_store_backup_request_add_record (request, sv_store_record_write_new ("pb1/ext1", 1, ext, 0));
  result = sv_store_backup_apply (f->store, account_id, ICCID_A, request, &error);
  g_assert_no_error (error);
  g_assert_false (result->replayed);
  g_assert_cmpstr (result->batch_id, ==, "0f9c1a3e-6d7b-4c21");
  g_assert_cmpuint (result->applied->len, ==, 3);
  g_assert_cmpuint (result->conflicts->len, ==, 0);
  /* sorted by file, index; one version for the whole batch */
  g_assert_cmpstr (((SvStoreRecord *) g_ptr_array_index (result->applied, 0))->file, ==, "pb1/adn");
  g_assert_cmpuint (((SvStoreRecord *) g_ptr_array_index (result->applied, 0))->index, ==, 3);
  g_assert_cmpuint (((SvStoreRecord *) g_ptr_array_index (result->applied, 1))->index, ==, 4);
  g_assert_cmpstr (((SvStoreRecord *) g_ptr_array_index (result->applied, 2))->file, ==, "pb1/ext1");
  for (guint i = 0; i < 3; i++)
    g_assert_cmpint (((SvStoreRecord *) g_ptr_array_index (result->applied, i))->version, ==, 1);
  g_assert_cmpint (result->modseq, ==, 1);

  g_assert_cmpint (record_version (f, account_id, "pb1/adn", 3, &stored), ==, 1);
  g_assert_true (g_bytes_equal (stored, ann));
  card = sv_store_card_get (f->store, account_id, ICCID_A, &error);
  g_assert_cmpint (card->modseq, ==, 1);
  g_assert_cmpint (card->epoch, ==, result->epoch);
}

static void
test_backup_idempotent (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvStoreBackupResult) first = NULL;
  g_autoptr(SvStoreBackupResult) again = NULL;
  g_autoptr(SvStoreBackupResult) other = NULL;
  g_autoptr(SvStoreCard) card = NULL;
  gint64 account_id = setup_card (f, PHONE_A, ICCID_A);

  first = backup (f, account_id, "batch-1", SV_STORE_BACKUP_INCREMENTAL, "pb1/adn", 1, "Ann", 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (first->modseq, ==, 1);

  /* a newer write by someone else in between */
  other = backup (f, account_id, "batch-2", SV_STORE_BACKUP_INCREMENTAL, "pb1/adn", 1, "Anne", 1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (other->modseq, ==, 2);

  /* the retry answers exactly the first answer and applies nothing */
  again = backup (f, account_id, "batch-1", SV_STORE_BACKUP_INCREMENTAL, "pb1/adn", 1, "Ann", 0, &error);
  g_assert_no_error (error);
  g_assert_true (again->replayed);
  g_assert_cmpint (again->modseq, ==, first->modseq);
  g_assert_cmpint (again->epoch, ==, first->epoch);
  g_assert_cmpuint (again->applied->len, ==, 1);
  g_assert_cmpint (((SvStoreRecord *) g_ptr_array_index (again->applied, 0))->version, ==, 1);
  g_assert_cmpuint (again->conflicts->len, ==, 0);
  card = sv_store_card_get (f->store, account_id, ICCID_A, &error);
  g_assert_cmpint (card->modseq, ==, 2);
  g_assert_cmpint (record_version (f, account_id, "pb1/adn", 1, NULL), ==, 2);

  /* the same id with another body */
  g_clear_pointer (&other, sv_store_backup_result_free);
  other = backup (f, account_id, "batch-1", SV_STORE_BACKUP_INCREMENTAL, "pb1/adn", 1, "Eve", 0, &error);
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_BATCH_ID_REUSED);
  g_assert_null (other);
  g_clear_error (&error);
  other = backup (f, account_id, "batch-1", SV_STORE_BACKUP_FULL, "pb1/adn", 1, "Ann", 0, &error);
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_BATCH_ID_REUSED);
  g_clear_error (&error);

  /* a malformed batch id */
  g_assert_null (backup (f, account_id, "no spaces", SV_STORE_BACKUP_INCREMENTAL, "pb1/adn", 1, "Ann", 0, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID);
}

static void
test_backup_conflict (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvStoreBackupResult) r1 = NULL;
  g_autoptr(SvStoreBackupResult) r2 = NULL;
  g_autoptr(SvStoreBackupResult) r3 = NULL;
  g_autoptr(SvStoreBackupResult) r4 = NULL;
  g_autoptr(SvStoreBackupRequest) request = sv_store_backup_request_new ("mixed", SV_STORE_BACKUP_INCREMENTAL);
  g_autoptr(GBytes) anne = rec (30, "Anne");
  g_autoptr(GBytes) carl = rec (30, "Carl");
  g_autoptr(GBytes) ann = rec (30, "Ann");
  g_autoptr(GBytes) stored = NULL;
  SvStoreConflict *conflict;
  gint64 account_id = setup_card (f, PHONE_A, ICCID_A);

  r1 = backup (f, account_id, "b1", SV_STORE_BACKUP_INCREMENTAL, "pb1/adn", 7, "Ann", 0, &error);
  g_assert_no_error (error);
  r2 = backup (f, account_id, "b2", SV_STORE_BACKUP_INCREMENTAL, "pb1/adn", 7, "Ann B", 1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (r2->modseq, ==, 2);

  /* a client that saw version 1 writes "Anne": conflict with version 2;
   * in the same batch a clean record goes in */
  sv_store_backup_request_add_record (request, sv_store_record_write_new ("pb1/adn", 7, anne, 1));
  sv_store_backup_request_add_record (request, sv_store_record_write_new ("pb1/adn", 8, carl, 0));
  r3 = sv_store_backup_apply (f->store, account_id, ICCID_A, request, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (r3->conflicts->len, ==, 1);
  conflict = g_ptr_array_index (r3->conflicts, 0);
  g_assert_cmpstr (conflict->file, ==, "pb1/adn");
  g_assert_cmpuint (conflict->index, ==, 7);
  g_assert_cmpint (conflict->server_version, ==, 2);
  g_assert_cmpmem (g_bytes_get_data (conflict->server_data, NULL), 5, "Ann B", 5);
  g_assert_true (g_bytes_equal (conflict->client_data, anne));
  g_assert_cmpuint (r3->applied->len, ==, 1);
  g_assert_cmpuint (((SvStoreRecord *) g_ptr_array_index (r3->applied, 0))->index, ==, 8);
  /* not stored */
  g_assert_cmpint (record_version (f, account_id, "pb1/adn", 7, &stored), ==, 2);
  g_assert_cmpmem (g_bytes_get_data (stored, NULL), 5, "Ann B", 5);
  g_clear_pointer (&stored, g_bytes_unref);

  /* same bytes with a stale base: already applied, no conflict, no new
   * version */
  r4 = backup (f, account_id, "b4", SV_STORE_BACKUP_INCREMENTAL, "pb1/adn", 7, "Ann B", 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (r4->conflicts->len, ==, 0);
  g_assert_cmpuint (r4->applied->len, ==, 1);
  g_assert_cmpint (((SvStoreRecord *) g_ptr_array_index (r4->applied, 0))->version, ==, 2);
  g_assert_cmpint (r4->modseq, ==, r3->modseq);

  /* a record never stored, with a base version: conflict against FF */
  g_clear_pointer (&r4, sv_store_backup_result_free);
  r4 = backup (f, account_id, "b5", SV_STORE_BACKUP_INCREMENTAL, "pb1/adn", 2, "Zed", 5, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (r4->conflicts->len, ==, 1);
  conflict = g_ptr_array_index (r4->conflicts, 0);
  g_assert_cmpint (conflict->server_version, ==, 0);
  g_assert_cmpuint (((const guint8 *) g_bytes_get_data (conflict->server_data, NULL))[0], ==, 0xff);
  (void) ann;
}

static void
test_backup_invalid (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvStoreBackupRequest) request = NULL;
  g_autoptr(GBytes) good = rec (30, "Ann");
  g_autoptr(GBytes) short_rec = rec (29, "Ann");
  gint64 account_id = setup_card (f, PHONE_A, ICCID_A);
  gint64 other_id = setup_card (f, PHONE_B, ICCID_B);
  struct {
    const char *file;
    guint       index;
    GBytes     *data;
  } bad[] = {
    { "pb9/adn", 1, good },       /* unknown file */
    { "pb1/adn", 0, good },       /* index 0 */
    { "pb1/adn", 11, good },      /* beyond n_records */
    { "pb1/adn", 1, short_rec },  /* wrong length */
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *id = g_strdup_printf ("bad-%u", i);

      request = sv_store_backup_request_new (id, SV_STORE_BACKUP_INCREMENTAL);
      /* a good record first: the whole batch is refused */
      sv_store_backup_request_add_record (request, sv_store_record_write_new ("pb1/adn", 5, good, 0));
      sv_store_backup_request_add_record (request, sv_store_record_write_new (bad[i].file, bad[i].index, bad[i].data, 0));
      g_assert_null (sv_store_backup_apply (f->store, account_id, ICCID_A, request, &error));
      g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID);
      g_clear_error (&error);
      g_clear_pointer (&request, sv_store_backup_request_free);
    }

  /* the same record twice */
  request = sv_store_backup_request_new ("twice", SV_STORE_BACKUP_INCREMENTAL);
  sv_store_backup_request_add_record (request, sv_store_record_write_new ("pb1/adn", 5, good, 0));
  sv_store_backup_request_add_record (request, sv_store_record_write_new ("pb1/adn", 5, good, 0));
  g_assert_null (sv_store_backup_apply (f->store, account_id, ICCID_A, request, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID);
  g_clear_error (&error);
  g_clear_pointer (&request, sv_store_backup_request_free);

  /* over the batch limit */
  request = sv_store_backup_request_new ("huge", SV_STORE_BACKUP_INCREMENTAL);
  for (guint i = 0; i <= SV_STORE_MAX_BATCH; i++)
    sv_store_backup_request_add_record (request, sv_store_record_write_new ("pb1/adn", 1 + i % 10, good, 0));
  g_assert_null (sv_store_backup_apply (f->store, account_id, ICCID_A, request, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_TOO_LARGE);
  g_clear_error (&error);
  g_clear_pointer (&request, sv_store_backup_request_free);

  /* a full backup without files, an incremental one with files */
  request = sv_store_backup_request_new ("full-nofiles", SV_STORE_BACKUP_FULL);
  g_assert_null (sv_store_backup_apply (f->store, account_id, ICCID_A, request, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID);
  g_clear_error (&error);
  g_clear_pointer (&request, sv_store_backup_request_free);

  /* another account's card, an unknown card */
  request = sv_store_backup_request_new ("foreign", SV_STORE_BACKUP_INCREMENTAL);
  sv_store_backup_request_add_record (request, sv_store_record_write_new ("pb1/adn", 5, good, 0));
  g_assert_null (sv_store_backup_apply (f->store, other_id, ICCID_A, request, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (sv_store_backup_apply (f->store, account_id, ICCID_C, request, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* nothing of all that was stored */
  g_assert_cmpint (record_version (f, account_id, "pb1/adn", 5, NULL), ==, 0);
}

static void
test_backup_full (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvStoreBackupRequest) request = NULL;
  g_autoptr(SvStoreBackupResult) result = NULL;
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GBytes) stored = NULL;
  g_autoptr(SvStoreChanges) changes = NULL;
  gint64 account_id = setup_card (f, PHONE_A, ICCID_A);
  gint64 epoch;

  /* before: adn 1, 2, 3 and ext1 1 */
  request = sv_store_backup_request_new ("before", SV_STORE_BACKUP_INCREMENTAL);
  for (guint i = 1; i <= 3; i++)
    {
      g_autofree char *name = g_strdup_printf ("Old %u", i);
      g_autoptr(GBytes) bytes = rec (30, name);

      sv_store_backup_request_add_record (request, sv_store_record_write_new ("pb1/adn", i, bytes, 0));
    }
  {
    g_autoptr(GBytes) ext = rec (13, "\x02");

    sv_store_backup_request_add_record (request, sv_store_record_write_new ("pb1/ext1", 1, ext, 0));
  }
  result = sv_store_backup_apply (f->store, account_id, ICCID_A, request, &error);
  g_assert_no_error (error);
  epoch = result->epoch;
  g_clear_pointer (&result, sv_store_backup_result_free);
  g_clear_pointer (&request, sv_store_backup_request_free);

  /* a full backup that fails half-way changes nothing */
  request = sv_store_backup_request_new ("full-bad", SV_STORE_BACKUP_FULL);
  sv_store_backup_request_add_file (request, "pb1/adn");
  {
    g_autoptr(GBytes) a = rec (30, "New 2");
    g_autoptr(GBytes) b = rec (30, "New 99");

    sv_store_backup_request_add_record (request, sv_store_record_write_new ("pb1/adn", 2, a, 0));
    sv_store_backup_request_add_record (request, sv_store_record_write_new ("pb1/adn", 99, b, 0));
  }
  g_assert_null (sv_store_backup_apply (f->store, account_id, ICCID_A, request, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID);
  g_clear_error (&error);
  g_clear_pointer (&request, sv_store_backup_request_free);
  records = sv_store_records_list (f->store, account_id, ICCID_A, "pb1/adn", &error);
  g_assert_cmpuint (records->len, ==, 3);
  g_clear_pointer (&records, g_ptr_array_unref);

  /* the full backup of pb1/adn: 2 (changed) and 5 (new); 1 and 3 are
   * cleared; ext1 is not named and stays; versions are ignored */
  request = sv_store_backup_request_new ("full", SV_STORE_BACKUP_FULL);
  sv_store_backup_request_add_file (request, "pb1/adn");
  {
    g_autoptr(GBytes) a = rec (30, "New 2");
    g_autoptr(GBytes) b = rec (30, "New 5");

    sv_store_backup_request_add_record (request, sv_store_record_write_new ("pb1/adn", 2, a, 42));
    sv_store_backup_request_add_record (request, sv_store_record_write_new ("pb1/adn", 5, b, 0));
  }
  result = sv_store_backup_apply (f->store, account_id, ICCID_A, request, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (result->applied->len, ==, 2);
  g_assert_cmpuint (result->conflicts->len, ==, 0);
  g_assert_cmpint (result->modseq, ==, 2);

  records = sv_store_records_list (f->store, account_id, ICCID_A, "pb1/adn", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (records->len, ==, 2);
  g_assert_cmpuint (((SvStoreRecord *) g_ptr_array_index (records, 0))->index, ==, 2);
  g_assert_cmpuint (((SvStoreRecord *) g_ptr_array_index (records, 1))->index, ==, 5);
  g_assert_cmpmem (g_bytes_get_data (((SvStoreRecord *) g_ptr_array_index (records, 1))->data, NULL), 5, "New 5", 5);
  g_clear_pointer (&records, g_ptr_array_unref);
  records = sv_store_records_list (f->store, account_id, ICCID_A, "pb1/ext1", &error);
  g_assert_cmpuint (records->len, ==, 1);
  g_clear_pointer (&records, g_ptr_array_unref);
  g_assert_null (sv_store_records_list (f->store, account_id, ICCID_A, "nope", &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* the cleared records travel as all-FF in the changes */
  changes = sv_store_changes_since (f->store, account_id, ICCID_A, epoch, 1, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (changes->records->len, ==, 4);
  {
    SvStoreRecord *cleared = g_ptr_array_index (changes->records, 0);
    const guint8 *p = g_bytes_get_data (cleared->data, NULL);

    g_assert_cmpstr (cleared->file, ==, "pb1/adn");
    g_assert_cmpuint (cleared->index, ==, 1);
    g_assert_cmpuint (g_bytes_get_size (cleared->data), ==, 30);
    for (guint i = 0; i < 30; i++)
      g_assert_cmpuint (p[i], ==, 0xff);
  }
  (void) stored;
}

/* ------------------------------------------------------------------------ */
/* Changes since                                                            */

/* n incremental batches of one record each (adn 1..n), then one batch of
 * @big records (ext1 1..big) */
static void
fill_history (Fixture *f,
              gint64   account_id,
              guint    n,
              guint    big)
{
  g_autoptr(GError) error = NULL;

  for (guint i = 1; i <= n; i++)
    {
      g_autofree char *id = g_strdup_printf ("h%u", i);
      g_autofree char *name = g_strdup_printf ("Name %u", i);
      g_autoptr(SvStoreBackupResult) result = NULL;

      result = backup (f, account_id, id, SV_STORE_BACKUP_INCREMENTAL, "pb1/adn", i, name, 0, &error);
      g_assert_no_error (error);
      g_assert_cmpint (result->modseq, ==, i);
    }
  if (big > 0)
    {
      g_autoptr(SvStoreBackupRequest) request = sv_store_backup_request_new ("big", SV_STORE_BACKUP_INCREMENTAL);
      g_autoptr(SvStoreBackupResult) result = NULL;

      for (guint i = 1; i <= big; i++)
        {
          g_autoptr(GBytes) bytes = rec (13, "\x02\x01");

          sv_store_backup_request_add_record (request, sv_store_record_write_new ("pb1/ext1", i, bytes, 0));
        }
      result = sv_store_backup_apply (f->store, account_id, ICCID_A, request, &error);
      g_assert_no_error (error);
    }
}

static void
test_changes_paging (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvStoreCard) card = NULL;
  gint64 account_id = setup_card (f, PHONE_A, ICCID_A);
  gint64 modseq = 0;
  guint seen = 0, pages = 0;
  gboolean more = TRUE;

  fill_history (f, account_id, 7, 0);
  card = sv_store_card_get (f->store, account_id, ICCID_A, &error);

  /* pages of 3: 3 + 3 + 1, each ending on a batch boundary */
  while (more)
    {
      g_autoptr(SvStoreChanges) changes = NULL;

      changes = sv_store_changes_since (f->store, account_id, ICCID_A, card->epoch, modseq, 3, &error);
      g_assert_no_error (error);
      g_assert_cmpint (changes->epoch, ==, card->epoch);
      g_assert_cmpuint (changes->records->len, <=, 3);
      for (guint i = 0; i < changes->records->len; i++)
        {
          SvStoreRecord *record = g_ptr_array_index (changes->records, i);

          g_assert_cmpint (record->version, >, modseq);
          g_assert_cmpint (record->version, <=, changes->modseq);
          g_assert_cmpuint (record->index, ==, ++seen);
        }
      modseq = changes->modseq;
      more = changes->more;
      pages++;
    }
  g_assert_cmpuint (seen, ==, 7);
  g_assert_cmpuint (pages, ==, 3);
  g_assert_cmpint (modseq, ==, 7);

  /* up to date: nothing, and the same token */
  {
    g_autoptr(SvStoreChanges) changes = sv_store_changes_since (f->store, account_id, ICCID_A,
                                                           card->epoch, 7, 3, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (changes->records->len, ==, 0);
    g_assert_false (changes->more);
    g_assert_cmpint (changes->modseq, ==, 7);
  }
}

static void
test_changes_big_batch (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvStoreCard) card = NULL;
  g_autoptr(SvStoreChanges) page1 = NULL;
  g_autoptr(SvStoreChanges) page2 = NULL;
  g_autoptr(SvStoreChanges) page3 = NULL;
  gint64 account_id = setup_card (f, PHONE_A, ICCID_A);

  /* versions 1, 2 (one record each), 3 (five records) */
  fill_history (f, account_id, 2, 5);
  card = sv_store_card_get (f->store, account_id, ICCID_A, &error);
  g_assert_cmpint (card->modseq, ==, 3);

  /* limit 3: the page stops before batch 3 rather than splitting it */
  page1 = sv_store_changes_since (f->store, account_id, ICCID_A, card->epoch, 0, 3, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (page1->records->len, ==, 2);
  g_assert_cmpint (page1->modseq, ==, 2);
  g_assert_true (page1->more);

  /* batch 3 is larger than the page: it comes whole */
  page2 = sv_store_changes_since (f->store, account_id, ICCID_A, card->epoch, page1->modseq, 3, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (page2->records->len, ==, 5);
  g_assert_cmpint (page2->modseq, ==, 3);
  g_assert_false (page2->more);

  page3 = sv_store_changes_since (f->store, account_id, ICCID_A, card->epoch, page2->modseq, 3, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (page3->records->len, ==, 0);
}

static void
test_changes_tokens (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvStoreCard) card = NULL;
  g_autoptr(SvStoreChanges) changes = NULL;
  g_autoptr(SvStoreBackupResult) cleared = NULL;
  g_autoptr(SvStoreBackupResult) result = NULL;
  gint64 account_id = setup_card (f, PHONE_A, ICCID_A);

  fill_history (f, account_id, 3, 0);
  card = sv_store_card_get (f->store, account_id, ICCID_A, &error);

  /* another epoch, a modseq from the future, a negative one */
  g_assert_null (sv_store_changes_since (f->store, account_id, ICCID_A, card->epoch + 1, 0, 0, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_FULL_RESYNC_REQUIRED);
  g_clear_error (&error);
  g_assert_null (sv_store_changes_since (f->store, account_id, ICCID_A, card->epoch, 4, 0, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_FULL_RESYNC_REQUIRED);
  g_clear_error (&error);
  g_assert_null (sv_store_changes_since (f->store, account_id, ICCID_A, card->epoch, -1, 0, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_FULL_RESYNC_REQUIRED);
  g_clear_error (&error);

  /* clear record 1 (version 4), then purge the tombstones up to 4: a token
   * older than 4 needs a full resync, 4 itself is fine */
  cleared = backup (f, account_id, "clear", SV_STORE_BACKUP_INCREMENTAL, "pb1/adn", 1, NULL, 1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (cleared->modseq, ==, 4);
  changes = sv_store_changes_since (f->store, account_id, ICCID_A, card->epoch, 3, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (changes->records->len, ==, 1);
  g_clear_pointer (&changes, sv_store_changes_free);

  g_assert_true (sv_store_purge_cleared (f->store, ICCID_A, 4, &error));
  g_assert_no_error (error);
  g_assert_null (sv_store_changes_since (f->store, account_id, ICCID_A, card->epoch, 3, 0, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_FULL_RESYNC_REQUIRED);
  g_clear_error (&error);
  changes = sv_store_changes_since (f->store, account_id, ICCID_A, card->epoch, 4, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (changes->records->len, ==, 0);
  g_clear_pointer (&changes, sv_store_changes_free);
  g_clear_pointer (&card, sv_store_card_free);
  card = sv_store_card_get (f->store, account_id, ICCID_A, &error);
  g_assert_cmpint (card->purge_floor, ==, 4);

  /* the purged record is gone; writing it again from "never seen" works */
  result = backup (f, account_id, "again", SV_STORE_BACKUP_INCREMENTAL, "pb1/adn", 1, "Back", 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (result->conflicts->len, ==, 0);
  g_assert_cmpint (result->modseq, ==, 5);

  /* another account sees no card at all */
  {
    gint64 other = create_account (f, PHONE_B);

    g_assert_null (sv_store_changes_since (f->store, other, ICCID_A, card->epoch, 4, 0, &error));
    g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND);
  }
}

/* Housekeeping's purge for every card: tombstones changed before the cut
 * go, in rounds of one card, each card's floor rising to its newest purged
 * tombstone; a newer tombstone stays; a second run finds nothing. */
static gint64
clear_or_write (Fixture    *f,
                gint64      account_id,
                const char *iccid,
                const char *batch_id,
                guint       index,
                const char *text,
                gint64      base)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvStoreBackupRequest) request = sv_store_backup_request_new (batch_id, SV_STORE_BACKUP_INCREMENTAL);
  g_autoptr(GBytes) data = rec (30, text);
  g_autoptr(SvStoreBackupResult) result = NULL;

  sv_store_backup_request_add_record (request, sv_store_record_write_new ("pb1/adn", index, data, base));
  result = sv_store_backup_apply (f->store, account_id, iccid, request, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (result->conflicts->len, ==, 0);
  return result->modseq;
}

static void
test_purge_before (Fixture       *f,
                   gconstpointer  data)
{
  const char *iccids[] = { ICCID_A, ICCID_B, ICCID_C };
  const char *phones[] = { PHONE_A, PHONE_B, "+8613700137000" };
  gint64 accounts[3], floors[3], newer = 0;
  g_autoptr(GError) error = NULL;
  guint n_cards = 99;

  for (guint i = 0; i < 3; i++)
    {
      gint64 v1, v2;

      accounts[i] = setup_card (f, phones[i], iccids[i]);
      v1 = clear_or_write (f, accounts[i], iccids[i], "w1", 1, "One", 0);
      v2 = clear_or_write (f, accounts[i], iccids[i], "w2", 2, "Two", 0);
      floors[i] = clear_or_write (f, accounts[i], iccids[i], "c1", 1, NULL, v1);
      if (i == 0)
        {
          f->now = T0 + 40 * G_GINT64_CONSTANT (86400) * G_USEC_PER_SEC;
          newer = clear_or_write (f, accounts[i], iccids[i], "c2", 2, NULL, v2);
          f->now = T0;
        }
    }

  /* 45 days on, keeping 30: the cut is T0 + 15 days */
  f->now = T0 + 45 * G_GINT64_CONSTANT (86400) * G_USEC_PER_SEC;
  g_assert_true (sv_store_purge_cleared_before (f->store, f->now - 30 * G_GINT64_CONSTANT (86400) * G_USEC_PER_SEC,
                                                1, &n_cards, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_cards, ==, 3);
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(SvStoreCard) card = sv_store_card_get (f->store, accounts[i], iccids[i], &error);
      g_autoptr(SvStoreChanges) changes = NULL;

      g_assert_no_error (error);
      g_assert_cmpint (card->purge_floor, ==, floors[i]);
      g_assert_null (sv_store_changes_since (f->store, accounts[i], iccids[i], card->epoch, floors[i] - 1, 0, &error));
      g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_FULL_RESYNC_REQUIRED);
      g_clear_error (&error);
      changes = sv_store_changes_since (f->store, accounts[i], iccids[i], card->epoch, floors[i], 0, &error);
      g_assert_no_error (error);
      /* card A's newer tombstone is kept for the tokens before it */
      g_assert_cmpuint (changes->records->len, ==, i == 0 ? 1 : 0);
      if (i == 0)
        g_assert_cmpint (((SvStoreRecord *) g_ptr_array_index (changes->records, 0))->version, ==, newer);
    }

  g_assert_true (sv_store_purge_cleared_before (f->store, f->now - 30 * G_GINT64_CONSTANT (86400) * G_USEC_PER_SEC,
                                                1, &n_cards, &error));
  g_assert_cmpuint (n_cards, ==, 0);
}

/* ------------------------------------------------------------------------ */
/* The SMS ring                                                             */

static SvStoreMessage *
sms (const char *text,
     gint64      stored_at)
{
  SvStoreMessage *message = sv_store_message_new (stored_at);
  g_autoptr(GBytes) part = NULL;
  guint8 buf[176];
  gsize n = MIN (strlen (text), sizeof buf - 1);

  memset (buf, 0xff, sizeof buf);
  buf[0] = 0x01;
  memcpy (buf + 1, text, n);
  part = g_bytes_new (buf, sizeof buf);
  sv_store_message_add_part (message, part);
  return message;
}

static GPtrArray *
sms_batch (const char *first,
           ...)
{
  GPtrArray *messages = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_store_message_free);
  va_list args;

  va_start (args, first);
  for (const char *text = first; text != NULL; text = va_arg (args, const char *))
    g_ptr_array_add (messages, sms (text, T0));
  va_end (args);
  return messages;
}

static char *
sms_text (SvStoreMessage *message,
          guint           part)
{
  const guint8 *p = g_bytes_get_data (g_ptr_array_index (message->parts, part), NULL);
  const guint8 *end = memchr (p + 1, 0xff, 175);

  return g_strndup ((const char *) p + 1, end != NULL ? (gsize) (end - p - 1) : 175);
}

static void
test_ring (Fixture       *f,
           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) batch = NULL;
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(SvStoreMessagesResult) result = NULL;
  gint64 account_id = setup_card (f, PHONE_A, ICCID_A);   /* capacity 5 */

  batch = sms_batch ("m1", "m2", "m3", NULL);
  result = sv_store_messages_append (f->store, account_id, ICCID_A, "s1", batch, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (result->stored, ==, 3);
  g_assert_cmpuint (result->duplicates, ==, 0);
  g_assert_cmpuint (result->dropped, ==, 0);
  g_assert_cmpuint (result->count, ==, 3);
  g_clear_pointer (&result, sv_store_messages_result_free);

  /* a retry: the same answer, nothing stored twice */
  result = sv_store_messages_append (f->store, account_id, ICCID_A, "s1", batch, &error);
  g_assert_no_error (error);
  g_assert_true (result->replayed);
  g_assert_cmpuint (result->stored, ==, 3);
  g_assert_cmpuint (result->count, ==, 3);
  g_clear_pointer (&result, sv_store_messages_result_free);
  g_clear_pointer (&batch, g_ptr_array_unref);

  /* the same id with other messages */
  batch = sms_batch ("other", NULL);
  g_assert_null (sv_store_messages_append (f->store, account_id, ICCID_A, "s1", batch, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_BATCH_ID_REUSED);
  g_clear_error (&error);
  g_clear_pointer (&batch, g_ptr_array_unref);

  /* m2 again (a duplicate) and four new: the two oldest go */
  batch = sms_batch ("m2", "m4", "m5", "m6", "m7", NULL);
  result = sv_store_messages_append (f->store, account_id, ICCID_A, "s2", batch, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (result->stored, ==, 4);
  g_assert_cmpuint (result->duplicates, ==, 1);
  g_assert_cmpuint (result->dropped, ==, 2);
  g_assert_cmpuint (result->count, ==, 5);
  g_clear_pointer (&result, sv_store_messages_result_free);
  g_clear_pointer (&batch, g_ptr_array_unref);

  list = sv_store_messages_list (f->store, account_id, ICCID_A, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 5);
  {
    const char *expected[] = { "m3", "m4", "m5", "m6", "m7" };

    for (guint i = 0; i < list->len; i++)
      {
        SvStoreMessage *message = g_ptr_array_index (list, i);
        g_autofree char *text = sms_text (message, 0);

        g_assert_cmpstr (text, ==, expected[i]);
        g_assert_cmpint (message->stored_at, ==, T0);
        g_assert_cmpint (message->received_at, ==, T0);
        g_assert_cmpuint (g_bytes_get_size (g_ptr_array_index (message->parts, 0)), ==, 176);
        if (i > 0)
          g_assert_cmpint (message->id, >, ((SvStoreMessage *) g_ptr_array_index (list, i - 1))->id);
      }
  }

  /* a message of three parts needs three places: m3, m4, m5 go */
  batch = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_store_message_free);
  {
    SvStoreMessage *long_message = sms ("part1", T0);
    g_autoptr(SvStoreMessage) p2 = sms ("part2", T0);
    g_autoptr(SvStoreMessage) p3 = sms ("part3", T0);

    sv_store_message_add_part (long_message, g_ptr_array_index (p2->parts, 0));
    sv_store_message_add_part (long_message, g_ptr_array_index (p3->parts, 0));
    g_ptr_array_add (batch, long_message);
  }
  result = sv_store_messages_append (f->store, account_id, ICCID_A, "s3", batch, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (result->stored, ==, 1);
  g_assert_cmpuint (result->dropped, ==, 3);
  g_assert_cmpuint (result->count, ==, 3);
  g_clear_pointer (&result, sv_store_messages_result_free);
  g_clear_pointer (&batch, g_ptr_array_unref);
  g_clear_pointer (&list, g_ptr_array_unref);
  list = sv_store_messages_list (f->store, account_id, ICCID_A, &error);
  g_assert_cmpuint (list->len, ==, 3);
  {
    SvStoreMessage *last = g_ptr_array_index (list, 2);
    g_autofree char *second = sms_text (last, 1);

    g_assert_cmpuint (last->parts->len, ==, 3);
    g_assert_cmpstr (second, ==, "part2");
  }

  /* delete one; then another account cannot, and an unknown id is 404 */
  g_assert_true (sv_store_message_delete (f->store, account_id, ICCID_A,
                                          ((SvStoreMessage *) g_ptr_array_index (list, 0))->id, &error));
  g_assert_no_error (error);
  g_assert_false (sv_store_message_delete (f->store, account_id, ICCID_A,
                                           ((SvStoreMessage *) g_ptr_array_index (list, 0))->id, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  {
    gint64 other = create_account (f, PHONE_B);

    g_assert_false (sv_store_message_delete (f->store, other, ICCID_A,
                                             ((SvStoreMessage *) g_ptr_array_index (list, 1))->id, &error));
    g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND);
    g_clear_error (&error);
    g_assert_null (sv_store_messages_list (f->store, other, ICCID_A, &error));
    g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND);
    g_clear_error (&error);
  }

  /* invalid: an empty message, more parts than the card holds */
  batch = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_store_message_free);
  g_ptr_array_add (batch, sv_store_message_new (0));
  g_assert_null (sv_store_messages_append (f->store, account_id, ICCID_A, "s4", batch, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID);
  g_clear_error (&error);
  g_clear_pointer (&batch, g_ptr_array_unref);
  batch = sms_batch ("x", NULL);
  for (guint i = 0; i < 5; i++)
    sv_store_message_add_part (g_ptr_array_index (batch, 0),
                         g_ptr_array_index (((SvStoreMessage *) g_ptr_array_index (batch, 0))->parts, 0));
  g_assert_null (sv_store_messages_append (f->store, account_id, ICCID_A, "s5", batch, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID);
  g_clear_error (&error);
}

/* ------------------------------------------------------------------------ */
/* Restores                                                                 */

static void
test_restore_full (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvStoreRestore) restore = NULL;
  g_autoptr(SvStoreRestoreGroup) group = NULL;
  g_autoptr(GPtrArray) batch = NULL;
  g_autoptr(SvStoreMessagesResult) stored = NULL;
  g_autoptr(SvStoreStaff) staff = NULL;
  g_autoptr(GPtrArray) audit = NULL;
  g_autoptr(SvStoreCard) card = NULL;
  gint64 account_id = setup_card (f, PHONE_A, ICCID_A);
  guint total_records = 0, total_messages = 0;

  /* 7 adn records (one later cleared), 3 messages */
  fill_history (f, account_id, 7, 0);
  {
    g_autoptr(SvStoreBackupResult) cleared = backup (f, account_id, "clear7", SV_STORE_BACKUP_INCREMENTAL,
                                                "pb1/adn", 7, NULL, 7, &error);
    g_assert_no_error (error);
  }
  batch = sms_batch ("m1", "m2", "m3", NULL);
  stored = sv_store_messages_append (f->store, account_id, ICCID_A, "s1", batch, &error);
  g_assert_no_error (error);
  card = sv_store_card_get (f->store, account_id, ICCID_A, &error);

  staff = sv_store_staff_add (f->store, "shop1", "pw", &error);
  g_assert_no_error (error);
  restore = sv_store_restore_create (f->store, account_id, staff->id, ICCID_A, SV_STORE_RESTORE_FULL,
                                     0, 0, TRUE, 4, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (restore->id, ICCID_A "."));
  g_assert_cmpuint (strlen (restore->id), ==, strlen (ICCID_A) + 1 + 36);
  g_assert_cmpuint (restore->n_records, ==, 6);
  g_assert_cmpuint (restore->n_messages, ==, 3);
  g_assert_cmpuint (restore->n_groups, ==, 3);
  g_assert_cmpuint (restore->n_acked, ==, 0);
  g_assert_false (restore->done);
  g_assert_cmpint (restore->modseq, ==, card->modseq);

  /* group 0 carries the files to clear */
  group = sv_store_restore_get_group (f->store, account_id, restore->id, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (group->group, ==, 0);
  g_assert_cmpuint (group->records->len, ==, 4);
  g_assert_cmpuint (group->clear->len, ==, 3);
  g_assert_cmpstr (g_ptr_array_index (group->clear, 0), ==, "pb1/adn");
  g_assert_cmpstr (g_ptr_array_index (group->clear, 1), ==, "pb1/ext1");
  g_assert_cmpstr (g_ptr_array_index (group->clear, 2), ==, "sms");
  g_clear_pointer (&group, sv_store_restore_group_free);

  /* asking for group 2 before 0 is acknowledged answers group 0 again */
  group = sv_store_restore_get_group (f->store, account_id, restore->id, 2, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (group->group, ==, 0);
  g_clear_pointer (&group, sv_store_restore_group_free);

  /* acks in order only */
  g_assert_null (sv_store_restore_ack (f->store, account_id, "nope", 0, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (sv_store_restore_ack (f->store, account_id, restore->id, 1, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_null (sv_store_restore_ack (f->store, account_id, restore->id, 3, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  for (guint n = 0; n < restore->n_groups; n++)
    {
      g_autoptr(SvStoreRestore) acked = NULL;
      g_autoptr(SvStoreRestore) repeated = NULL;

      group = sv_store_restore_get_group (f->store, account_id, restore->id, n, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (group->group, ==, n);
      if (n > 0)
        g_assert_cmpuint (group->clear->len, ==, 0);
      for (guint i = 0; i < group->records->len; i++)
        {
          SvStoreRecord *record = g_ptr_array_index (group->records, i);

          /* the cleared record 7 and the EF_SMS are not sent */
          g_assert_cmpstr (record->file, ==, "pb1/adn");
          g_assert_cmpuint (record->index, ==, ++total_records);
          g_assert_cmpuint (g_bytes_get_size (record->data), ==, 30);
        }
      for (guint i = 0; i < group->messages->len; i++)
        {
          g_autofree char *text = sms_text (g_ptr_array_index (group->messages, i), 0);
          g_autofree char *expected = g_strdup_printf ("m%u", ++total_messages);

          g_assert_cmpstr (text, ==, expected);
        }
      g_clear_pointer (&group, sv_store_restore_group_free);

      acked = sv_store_restore_ack (f->store, account_id, restore->id, n, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (acked->n_acked, ==, n + 1);
      g_assert_cmpint (acked->done, ==, n + 1 == restore->n_groups);
      /* a repeated ack is harmless */
      repeated = sv_store_restore_ack (f->store, account_id, restore->id, n, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (repeated->n_acked, ==, n + 1);
    }
  g_assert_cmpuint (total_records, ==, 6);
  g_assert_cmpuint (total_messages, ==, 3);

  {
    g_autoptr(SvStoreRestore) done = sv_store_restore_get (f->store, account_id, restore->id, &error);

    g_assert_no_error (error);
    g_assert_true (done->done);
    g_assert_cmpint (done->epoch, ==, card->epoch);
    g_assert_cmpint (done->modseq, ==, card->modseq);
  }

  /* beyond the last group */
  g_assert_null (sv_store_restore_get_group (f->store, account_id, restore->id, 3, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* another account cannot see it */
  {
    gint64 other = create_account (f, PHONE_B);

    g_assert_null (sv_store_restore_get (f->store, other, restore->id, &error));
    g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND);
    g_clear_error (&error);
    g_assert_null (sv_store_restore_get_group (f->store, other, restore->id, 0, &error));
    g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND);
    g_clear_error (&error);
  }

  /* ids that are not ids */
  {
    const char *bad[] = { "", ".", "nodot", ICCID_B ".whatever", "123456789012345678901234.x" };

    for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
      {
        g_assert_null (sv_store_restore_get (f->store, account_id, bad[i], &error));
        g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND);
        g_clear_error (&error);
      }
  }

  /* started and finished by staff: both in the owner's audit log */
  audit = sv_store_audit_list (f->store, account_id, 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (audit->len, ==, 2);
  g_assert_cmpstr (((SvStoreAuditEntry *) g_ptr_array_index (audit, 0))->action, ==, "restore");
  g_assert_cmpstr (((SvStoreAuditEntry *) g_ptr_array_index (audit, 0))->iccid, ==, ICCID_A);
  g_assert_cmpstr (((SvStoreAuditEntry *) g_ptr_array_index (audit, 0))->staff_name, ==, "shop1");
  g_assert_cmpstr (((SvStoreAuditEntry *) g_ptr_array_index (audit, 1))->action, ==, "restore-start");
}

static void
test_restore_incremental (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvStoreRestore) restore = NULL;
  g_autoptr(SvStoreRestore) empty = NULL;
  g_autoptr(SvStoreRestore) acked = NULL;
  g_autoptr(SvStoreRestoreGroup) group = NULL;
  g_autoptr(SvStoreCard) card = NULL;
  g_autoptr(GPtrArray) audit = NULL;
  gint64 account_id = setup_card (f, PHONE_A, ICCID_A);

  fill_history (f, account_id, 5, 0);
  {
    g_autoptr(SvStoreBackupResult) cleared = backup (f, account_id, "clear2", SV_STORE_BACKUP_INCREMENTAL,
                                                "pb1/adn", 2, NULL, 2, &error);
    g_assert_no_error (error);
  }
  card = sv_store_card_get (f->store, account_id, ICCID_A, &error);

  /* since 3: records 4, 5 and the cleared 2 (as FF) */
  restore = sv_store_restore_create (f->store, account_id, 0, ICCID_A, SV_STORE_RESTORE_INCREMENTAL,
                                     card->epoch, 3, TRUE, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (restore->n_records, ==, 3);
  g_assert_cmpuint (restore->n_messages, ==, 0);
  g_assert_cmpuint (restore->n_groups, ==, 1);
  group = sv_store_restore_get_group (f->store, account_id, restore->id, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (group->clear->len, ==, 0);
  g_assert_cmpuint (group->records->len, ==, 3);
  g_assert_cmpuint (((SvStoreRecord *) g_ptr_array_index (group->records, 0))->index, ==, 4);
  g_assert_cmpuint (((SvStoreRecord *) g_ptr_array_index (group->records, 2))->index, ==, 2);
  g_assert_cmpuint (((const guint8 *) g_bytes_get_data (((SvStoreRecord *) g_ptr_array_index (group->records, 2))->data, NULL))[0], ==, 0xff);
  acked = sv_store_restore_ack (f->store, account_id, restore->id, 0, &error);
  g_assert_no_error (error);
  g_assert_true (acked->done);
  g_assert_cmpint (acked->modseq, ==, card->modseq);

  /* up to date: one empty group */
  empty = sv_store_restore_create (f->store, account_id, 0, ICCID_A, SV_STORE_RESTORE_INCREMENTAL,
                                   card->epoch, card->modseq, FALSE, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (empty->n_records, ==, 0);
  g_assert_cmpuint (empty->n_groups, ==, 1);

  /* a bad token */
  g_assert_null (sv_store_restore_create (f->store, account_id, 0, ICCID_A, SV_STORE_RESTORE_INCREMENTAL,
                                          card->epoch - 1, 0, FALSE, 10, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_FULL_RESYNC_REQUIRED);
  g_clear_error (&error);
  g_assert_null (sv_store_restore_create (f->store, account_id, 0, ICCID_A, SV_STORE_RESTORE_FULL,
                                          0, 0, FALSE, SV_STORE_MAX_GROUP_SIZE + 1, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID);
  g_clear_error (&error);

  /* the owner's own restores are not audited */
  audit = sv_store_audit_list (f->store, account_id, 0, 0, &error);
  g_assert_cmpuint (audit->len, ==, 0);
}

/* ------------------------------------------------------------------------ */
/* Deregistration                                                           */

/* Rows that hold @iccid in any column of any table, counted straight from
 * the file, independently of the store's own list. */
static gint64
count_everywhere_sqlite (Fixture    *f,
                         const char *iccid)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *tables = NULL;
  gint64 total = 0;

  g_assert_cmpint (sqlite3_open_v2 (f->path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT name FROM sqlite_master WHERE type = 'table'",
                                       -1, &tables, NULL), ==, SQLITE_OK);
  while (sqlite3_step (tables) == SQLITE_ROW)
    {
      g_autofree char *table = g_strdup ((const char *) sqlite3_column_text (tables, 0));
      g_autofree char *info_sql = g_strdup_printf ("PRAGMA table_info (\"%s\")", table);
      sqlite3_stmt *columns = NULL;

      g_assert_cmpint (sqlite3_prepare_v2 (db, info_sql, -1, &columns, NULL), ==, SQLITE_OK);
      while (sqlite3_step (columns) == SQLITE_ROW)
        {
          g_autofree char *sql = g_strdup_printf ("SELECT COUNT(*) FROM \"%s\" WHERE CAST(\"%s\" AS TEXT) = ?",
                                                  table, (const char *) sqlite3_column_text (columns, 1));
          sqlite3_stmt *count = NULL;

          g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &count, NULL), ==, SQLITE_OK);
          sqlite3_bind_text (count, 1, iccid, -1, SQLITE_STATIC);
          g_assert_cmpint (sqlite3_step (count), ==, SQLITE_ROW);
          total += sqlite3_column_int64 (count, 0);
          sqlite3_finalize (count);
        }
      sqlite3_finalize (columns);
    }
  sqlite3_finalize (tables);
  sqlite3_close (db);
  return total;
}

#ifdef SV_HAVE_PGSQL
static gint64
count_everywhere_pgsql (Fixture    *f,
                        const char *iccid)
{
  PGconn *pg = pg_open (f->location);
  PGresult *columns;
  gint64 total = 0;

  columns = PQexec (pg, "SELECT table_name, column_name FROM information_schema.columns"
                        " WHERE table_schema = 'public'");
  g_assert_cmpint (PQresultStatus (columns), ==, PGRES_TUPLES_OK);
  for (int i = 0; i < PQntuples (columns); i++)
    {
      g_autofree char *sql = g_strdup_printf ("SELECT COUNT(*) FROM \"%s\" WHERE \"%s\"::text = $1",
                                              PQgetvalue (columns, i, 0), PQgetvalue (columns, i, 1));
      const char *params[] = { iccid };
      PGresult *count = PQexecParams (pg, sql, 1, NULL, params, NULL, NULL, 0);

      g_assert_cmpint (PQresultStatus (count), ==, PGRES_TUPLES_OK);
      total += g_ascii_strtoll (PQgetvalue (count, 0, 0), NULL, 10);
      PQclear (count);
    }
  PQclear (columns);
  PQfinish (pg);
  return total;
}
#endif

/* Rows that hold @iccid in any column of any table, counted straight from
 * the database, independently of the store's own list. */
static gint64
count_everywhere (Fixture    *f,
                  const char *iccid)
{
#ifdef SV_HAVE_PGSQL
  if (postgresql_location () != NULL)
    return count_everywhere_pgsql (f, iccid);
#endif
  return count_everywhere_sqlite (f, iccid);
}

/* Everything a card can have: records, cleared records, messages, batches,
 * restores and their items, audit rows, a replaced card pointing at it */
static void
populate_card (Fixture    *f,
               gint64      account_id,
               const char *iccid,
               gint64      staff_id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvStoreBackupRequest) request = sv_store_backup_request_new ("p1", SV_STORE_BACKUP_INCREMENTAL);
  g_autoptr(SvStoreBackupResult) result = NULL;
  g_autoptr(GPtrArray) batch = sms_batch ("hello", "world", NULL);
  g_autoptr(SvStoreMessagesResult) stored = NULL;
  g_autoptr(SvStoreRestore) restore = NULL;
  g_autoptr(GBytes) ann = rec (30, "Ann");
  g_autoptr(GBytes) empty = rec (30, NULL);

  sv_store_backup_request_add_record (request, sv_store_record_write_new ("pb1/adn", 1, ann, 0));
  sv_store_backup_request_add_record (request, sv_store_record_write_new ("pb1/adn", 2, ann, 0));
  result = sv_store_backup_apply (f->store, account_id, iccid, request, &error);
  g_assert_no_error (error);
  g_clear_pointer (&result, sv_store_backup_result_free);
  g_clear_pointer (&request, sv_store_backup_request_free);
  request = sv_store_backup_request_new ("p2", SV_STORE_BACKUP_INCREMENTAL);
  sv_store_backup_request_add_record (request, sv_store_record_write_new ("pb1/adn", 2, empty, 1));
  result = sv_store_backup_apply (f->store, account_id, iccid, request, &error);
  g_assert_no_error (error);
  stored = sv_store_messages_append (f->store, account_id, iccid, "p3", batch, &error);
  g_assert_no_error (error);
  restore = sv_store_restore_create (f->store, account_id, staff_id, iccid, SV_STORE_RESTORE_FULL,
                                     0, 0, TRUE, 1, &error);
  g_assert_no_error (error);
  g_assert_true (sv_store_audit_append (f->store, account_id, staff_id, iccid,
                                        "GET /api/v1/cards/x", NULL, &error));
}

static void
test_deregister (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvStoreStaff) staff = NULL;
  g_autoptr(SvStoreCardInfo) info_c = make_info (ICCID_C, 5);
  g_autoptr(SvStoreCard) card_c = NULL;
  g_autoptr(GPtrArray) audit = NULL;
  g_autoptr(GPtrArray) cards = NULL;
  SvStoreRegisterOutcome outcome;
  gint64 account_id = setup_card (f, PHONE_A, ICCID_A);
  gint64 other_id = setup_card (f, PHONE_B, ICCID_B);
  gint64 before_b;

  staff = sv_store_staff_add (f->store, "shop1", "pw", &error);
  g_assert_no_error (error);
  populate_card (f, account_id, ICCID_A, staff->id);
  populate_card (f, other_id, ICCID_B, 0);
  /* a later card of the same account: ICCID_A gets replaced_by C, then C
   * is the card deregistered first (A points at it) */
  card_c = sv_store_card_register (f->store, account_id, info_c, &outcome, &error);
  g_assert_no_error (error);
  g_assert_cmpint (outcome, ==, SV_STORE_REGISTER_CARD_CHANGE);

  g_assert_cmpint (count_everywhere (f, ICCID_A), >=, 10);
  g_assert_cmpint (sv_store_card_count_rows (f->store, ICCID_A, &error), ==, count_everywhere (f, ICCID_A));
  before_b = count_everywhere (f, ICCID_B);

  /* only the owner; the card's ICCID as "confirm" is the handler's check */
  g_assert_false (sv_store_card_deregister (f->store, other_id, ICCID_A, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_assert_true (sv_store_card_deregister (f->store, account_id, ICCID_C, &error));
  g_assert_no_error (error);
  g_assert_cmpint (count_everywhere (f, ICCID_C), ==, 0);

  g_assert_true (sv_store_card_deregister (f->store, account_id, ICCID_A, &error));
  g_assert_no_error (error);
  g_assert_cmpint (count_everywhere (f, ICCID_A), ==, 0);
  g_assert_cmpint (sv_store_card_count_rows (f->store, ICCID_A, &error), ==, 0);

  /* afterwards every operation answers 404 */
  g_assert_null (sv_store_card_get (f->store, account_id, ICCID_A, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (sv_store_records_list (f->store, account_id, ICCID_A, NULL, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (sv_store_messages_list (f->store, account_id, ICCID_A, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (sv_store_changes_since (f->store, account_id, ICCID_A, 1, 0, 0, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (sv_store_card_deregister (f->store, account_id, ICCID_A, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  cards = sv_store_card_list (f->store, account_id, &error);
  g_assert_cmpuint (cards->len, ==, 0);

  /* the audit log keeps what staff did, without the ICCID */
  audit = sv_store_audit_list (f->store, account_id, 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (audit->len, >=, 2);
  for (guint i = 0; i < audit->len; i++)
    g_assert_null (((SvStoreAuditEntry *) g_ptr_array_index (audit, i))->iccid);

  /* the other account's card is untouched */
  g_assert_cmpint (count_everywhere (f, ICCID_B), ==, before_b);

  /* the ICCID can be registered again, with a new epoch */
  f->now += 5 * G_USEC_PER_SEC;
  {
    g_autoptr(SvStoreCardInfo) info = make_info (ICCID_A, 5);
    g_autoptr(SvStoreCard) again = sv_store_card_register (f->store, other_id, info, &outcome, &error);

    g_assert_no_error (error);
    g_assert_cmpint (again->modseq, ==, 0);
    g_assert_cmpint (again->epoch, ==, T0 / G_USEC_PER_SEC + 5);
  }
}

/* ------------------------------------------------------------------------ */
/* Concurrency: the pool and the retry on SQLITE_BUSY                       */

typedef struct
{
  Fixture *f;
  gint64   account_id;
  guint    thread;
  guint    applied;
} WriterData;

static gpointer
writer_thread (gpointer user_data)
{
  WriterData *w = user_data;

  for (guint i = 0; i < 20; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *id = g_strdup_printf ("t%u-%u", w->thread, i);
      g_autofree char *name = g_strdup_printf ("T%u %u", w->thread, i);
      g_autoptr(SvStoreBackupRequest) request = sv_store_backup_request_new (id, SV_STORE_BACKUP_INCREMENTAL);
      g_autoptr(GBytes) bytes = rec (30, name);
      g_autoptr(SvStoreBackupResult) result = NULL;

      /* each thread owns one index, with the version it last got */
      sv_store_backup_request_add_record (request, sv_store_record_write_new ("pb1/adn", w->thread + 1, bytes,
                                                                  w->applied));
      result = sv_store_backup_apply (w->f->store, w->account_id, ICCID_A, request, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (result->conflicts->len, ==, 0);
      w->applied = ((SvStoreRecord *) g_ptr_array_index (result->applied, 0))->version;
    }
  return NULL;
}

static void
test_concurrent_writers (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvStoreCard) card = NULL;
  WriterData w[4];
  GThread *threads[4];
  gint64 account_id = setup_card (f, PHONE_A, ICCID_A);

  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    {
      w[i] = (WriterData) { f, account_id, i, 0 };
      threads[i] = g_thread_new ("writer", writer_thread, &w[i]);
    }
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    g_thread_join (threads[i]);

  /* 80 batches, each its own modseq */
  card = sv_store_card_get (f->store, account_id, ICCID_A, &error);
  g_assert_no_error (error);
  g_assert_cmpint (card->modseq, ==, 80);
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    g_assert_cmpint (record_version (f, account_id, "pb1/adn", i + 1, NULL), ==, w[i].applied);
}

/* PostgreSQL only: every connection of the pool is dropped by the server
 * (a restart, a failover); the next operations reconnect and succeed. */
static void
test_reconnect (Fixture       *f,
                gconstpointer  data)
{
#ifdef SV_HAVE_PGSQL
  g_autoptr(GError) error = NULL;
  g_autoptr(SvStoreBackupResult) result = NULL;
  g_autoptr(SvStoreCard) card = NULL;
  PGconn *pg;
  PGresult *killed;
  gint64 account_id;

  if (postgresql_location () == NULL)
    {
      g_test_skip ("PostgreSQL only (SV_TEST_STORAGE)");
      return;
    }

  account_id = setup_card (f, PHONE_A, ICCID_A);
  /* fill the pool with open connections */
  fill_history (f, account_id, 2, 0);

  pg = pg_open (f->location);
  killed = PQexec (pg, "SELECT pg_terminate_backend (pid) FROM pg_stat_activity"
                       " WHERE pid <> pg_backend_pid () AND datname = current_database ()"
                       " AND backend_type = 'client backend'");
  g_assert_cmpint (PQresultStatus (killed), ==, PGRES_TUPLES_OK);
  g_test_message ("terminated %d connections", PQntuples (killed));
  g_assert_cmpint (PQntuples (killed), >=, 1);
  PQclear (killed);
  PQfinish (pg);

  result = backup (f, account_id, "after-restart", SV_STORE_BACKUP_INCREMENTAL, "pb1/adn", 3, "Carl", 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (result->modseq, ==, 3);
  card = sv_store_card_get (f->store, account_id, ICCID_A, &error);
  g_assert_no_error (error);
  g_assert_cmpint (card->modseq, ==, 3);
#else
  g_test_skip ("built without libpq");
#endif
}

/* ------------------------------------------------------------------------ */
/* A crash in the middle of a batch                                         */

static gint64
crash_now (gpointer user_data)
{
  /* the first look at the clock inside the batch's transaction comes after
   * the records are written and before the commit */
  raise (SIGKILL);
  return T0;
}

static void
test_crash_during_batch (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvStoreBackupResult) first = NULL;
  g_autoptr(SvStoreBackupResult) retried = NULL;
  g_autoptr(SvStoreBackupResult) again = NULL;
  g_autoptr(SvStoreCard) card = NULL;
  g_autoptr(GPtrArray) records = NULL;
  gint64 account_id = setup_card (f, PHONE_A, ICCID_A);
  int status = 0;
  pid_t pid;

  first = backup (f, account_id, "before", SV_STORE_BACKUP_INCREMENTAL, "pb1/adn", 1, "Ann", 0, &error);
  g_assert_no_error (error);

  pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      /* the child: its own store on the same database, killed inside the
       * transaction of a batch of three records */
      SvStoreOptions options = { 0, };
      SvStore *store;
      g_autoptr(SvStoreBackupRequest) request = sv_store_backup_request_new ("crashing", SV_STORE_BACKUP_INCREMENTAL);

      options.password_cost = SV_PASSWORD_COST_TEST_ONLY;
      options.now = crash_now;
      store = sv_store_open (f->location, &options, NULL);
      if (store == NULL)
        _exit (3);
      for (guint i = 2; i <= 4; i++)
        {
          g_autoptr(GBytes) bytes = rec (30, "Lost");

          sv_store_backup_request_add_record (request, sv_store_record_write_new ("pb1/adn", i, bytes, 0));
        }
      sv_store_backup_apply (store, account_id, ICCID_A, request, NULL);
      _exit (4);   /* not reached */
    }

  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_true (WIFSIGNALED (status));
  g_assert_cmpint (WTERMSIG (status), ==, SIGKILL);

  /* nothing of the batch is there, neither records nor its answer */
  card = sv_store_card_get (f->store, account_id, ICCID_A, &error);
  g_assert_no_error (error);
  g_assert_cmpint (card->modseq, ==, 1);
  records = sv_store_records_list (f->store, account_id, ICCID_A, "pb1/adn", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (records->len, ==, 1);

  /* the client's retry with the same id applies it, once */
  {
    g_autoptr(SvStoreBackupRequest) request = sv_store_backup_request_new ("crashing", SV_STORE_BACKUP_INCREMENTAL);

    for (guint i = 2; i <= 4; i++)
      {
        g_autoptr(GBytes) bytes = rec (30, "Lost");

        sv_store_backup_request_add_record (request, sv_store_record_write_new ("pb1/adn", i, bytes, 0));
      }
    retried = sv_store_backup_apply (f->store, account_id, ICCID_A, request, &error);
    g_assert_no_error (error);
    g_assert_false (retried->replayed);
    g_assert_cmpuint (retried->applied->len, ==, 3);
    g_assert_cmpint (retried->modseq, ==, 2);
    again = sv_store_backup_apply (f->store, account_id, ICCID_A, request, &error);
    g_assert_no_error (error);
    g_assert_true (again->replayed);
    g_assert_cmpint (again->modseq, ==, 2);
  }
}

/* The stored hash of @phone, read straight from the database */
static char *
read_password_hash (Fixture    *f,
                    const char *phone)
{
  char *hash = NULL;

#ifdef SV_HAVE_PGSQL
  if (postgresql_location () != NULL)
    {
      PGconn *pg = pg_open (f->location);
      const char *params[] = { phone };
      PGresult *result = PQexecParams (pg, "SELECT password_hash FROM accounts WHERE phone = $1",
                                       1, NULL, params, NULL, NULL, 0);

      g_assert_cmpint (PQntuples (result), ==, 1);
      hash = g_strdup (PQgetvalue (result, 0, 0));
      PQclear (result);
      PQfinish (pg);
      return hash;
    }
#endif
  {
    sqlite3 *db = NULL;
    sqlite3_stmt *stmt = NULL;

    g_assert_cmpint (sqlite3_open_v2 (f->path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
    g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT password_hash FROM accounts WHERE phone = ?",
                                         -1, &stmt, NULL), ==, SQLITE_OK);
    sqlite3_bind_text (stmt, 1, phone, -1, SQLITE_STATIC);
    g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
    hash = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
    sqlite3_finalize (stmt);
    sqlite3_close (db);
  }
  return hash;
}

static void
test_password_rehash (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvStoreSession) session = NULL;
  g_autoptr(SvStoreAccount) account = NULL;
  g_autofree char *cheap = NULL;
  g_autofree char *strong = NULL;
  g_autofree char *unchanged = NULL;
  SvStoreOptions options = { 0, };

  create_account (f, PHONE_A);
  cheap = read_password_hash (f, PHONE_A);
  g_assert_true (g_str_has_prefix (cheap, "$argon2id$"));
  g_assert_nonnull (strstr (cheap, "$m=8,"));

  /* the operator raises the cost: the next login stores a new hash */
  g_clear_pointer (&f->store, sv_store_close);
  options.password_cost = SV_PASSWORD_COST_INTERACTIVE;
  options.now = fixture_now;
  options.now_data = f;
  f->store = sv_store_open (f->location, &options, &error);
  g_assert_no_error (error);
  g_assert_null (sv_store_login (f->store, PHONE_A, "wrong", NULL, NULL, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_LOGIN_FAILED);
  g_clear_error (&error);
  unchanged = read_password_hash (f, PHONE_A);
  g_assert_cmpstr (unchanged, ==, cheap);

  session = sv_store_login (f->store, PHONE_A, "secret", NULL, NULL, &error);
  g_assert_no_error (error);
  strong = read_password_hash (f, PHONE_A);
  g_assert_cmpstr (strong, !=, cheap);
  g_assert_nonnull (strstr (strong, "$m=65536,"));
  account = sv_store_account_verify (f->store, PHONE_A, "secret", &error);
  g_assert_no_error (error);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/sv/store/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  g_test_add_func ("/sv/store/error-codes", test_error_codes);
  ADD ("open/reopen", test_open_reopen);
  ADD ("account/create-verify-password", test_accounts);
  ADD ("account/rehash", test_password_rehash);
  ADD ("session/lifetime", test_sessions);
  ADD ("session/rate-limits", test_rate_limits);
  ADD ("staff/add-list-remove", test_staff);
  ADD ("consent/password-and-code", test_consents);
  ADD ("audit/append-list", test_audit);
  ADD ("card/register-outcomes", test_register_outcomes);
  ADD ("card/register-invalid", test_register_invalid);
  ADD ("card/layout-change", test_register_layout_change);
  ADD ("backup/incremental", test_backup_incremental);
  ADD ("backup/idempotent", test_backup_idempotent);
  ADD ("backup/conflict", test_backup_conflict);
  ADD ("backup/invalid", test_backup_invalid);
  ADD ("backup/full", test_backup_full);
  ADD ("changes/paging", test_changes_paging);
  ADD ("changes/big-batch", test_changes_big_batch);
  ADD ("changes/tokens", test_changes_tokens);
  ADD ("changes/purge-before", test_purge_before);
  ADD ("ring/append-drop-dedup", test_ring);
  ADD ("restore/full", test_restore_full);
  ADD ("restore/incremental", test_restore_incremental);
  ADD ("card/deregister", test_deregister);
  ADD ("concurrency/writers", test_concurrent_writers);
  ADD ("crash/batch-atomic", test_crash_during_batch);
  ADD ("postgresql/reconnect", test_reconnect);

  return g_test_run ();
}
