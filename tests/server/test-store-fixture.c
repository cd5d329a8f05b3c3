/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * test-store's fixture and the helpers every part of it uses.
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

const char *
postgresql_location (void)
{
  const char *location = g_getenv ("SV_TEST_STORAGE");

  return location != NULL && g_str_has_prefix (location, "postgres") ? location : NULL;
}

#ifdef SV_HAVE_PGSQL
PGconn *
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

gint64
fixture_now (gpointer user_data)
{
  return ((Fixture *) user_data)->now;
}

SvStore *
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

void
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

void
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
GBytes *
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

SvStoreCardInfo *
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

gint64
create_account (Fixture    *f,
                const char *phone)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvStoreAccount) account = sv_store_account_create (f->store, phone, "secret", &error);

  g_assert_no_error (error);
  return account->id;
}

/* An account with one registered card */
gint64
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

SvStoreBackupResult *
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

gint64
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

/* n incremental batches of one record each (adn 1..n), then one batch of
 * @big records (ext1 1..big) */
void
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
