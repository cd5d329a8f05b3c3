/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The storage interface (sv-store.h) over a real SQLite file in a temporary
 * directory, with an injected clock: every operation the handlers call,
 * their errors, idempotency, conflicts, paging, the ring, restores,
 * deregistration (counted over every column of every table) and
 * concurrent writers.
 *
 * This file: opening, accounts, sessions, staff, consents and the audit
 * log, and main(); the fixture is in test-store-fixture.c, the other
 * tests in test-store-cards.c, -restores.c and -concurrency.c.
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

#include "test-store-private.h"

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

