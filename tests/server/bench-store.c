/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * bench-store [LOCATION]: times the storage's hot paths on one engine
 * (default: a SQLite file in a temporary directory; or a postgresql://
 * URL, e.g. under tests/postgresql/pg-run.sh with "$SV_TEST_STORAGE").
 * Not a test: prints one line per figure.
 */
#include "config.h"

#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "sv-store.h"

#define ICCID "89860123456789012345"

static GBytes *
record (guint len,
        guint n)
{
  guint8 *data = g_malloc (len);
  g_autofree char *name = g_strdup_printf ("Contact %u", n);

  memset (data, 0xff, len);
  memcpy (data, name, MIN (strlen (name), len));
  return g_bytes_new_take (data, len);
}

static void
report (const char *what,
        guint       n,
        gint64      usec)
{
  g_print ("%-44s %6u in %8.1f ms  %8.3f ms each\n", what, n, usec / 1000.0,
           usec / 1000.0 / MAX (n, 1));
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autoptr(SvStore) store = NULL;
  g_autoptr(SvStoreCardInfo) info = sv_store_card_info_new (ICCID);
  g_autoptr(SvStoreCard) card = NULL;
  SvStoreOptions options = { 0, };
  SvStoreRegisterOutcome outcome;
  gint64 account_id = 0, t;
  const char *location = argc > 1 ? argv[1] : g_getenv ("SV_TEST_STORAGE");

  if (location == NULL)
    {
      dir = g_dir_make_tmp ("bench-store-XXXXXX", &error);
      g_assert_no_error (error);
      path = g_build_filename (dir, "server.db", NULL);
      location = path;
    }
  options.password_cost = SV_PASSWORD_COST_TEST_ONLY;
  store = sv_store_open (location, &options, &error);
  g_assert_no_error (error);
  g_print ("engine: %s\n", sv_store_get_engine (store));

  info->card_type = g_strdup ("usim");
  info->sms_capacity = 50;
  g_ptr_array_add (info->files, sv_store_card_file_new ("pb1/adn", "3F007F105F3A4F3A", "linear-fixed", 30, 250));
  card = sv_store_card_register_with_password (store, "+8613800138000", "secret", NULL, info,
                                               &outcome, &account_id, NULL, &error);
  g_assert_no_error (error);

  t = g_get_monotonic_time ();
  for (guint i = 0; i < 500; i++)
    {
      g_autofree char *id = g_strdup_printf ("inc-%u", i);
      g_autoptr(SvStoreBackupRequest) request = sv_store_backup_request_new (id, SV_STORE_BACKUP_INCREMENTAL);
      g_autoptr(GBytes) data = record (30, i);
      g_autoptr(SvStoreBackupResult) result = NULL;

      sv_store_backup_request_add_record (request, sv_store_record_write_new ("pb1/adn", 1 + i % 250, data,
                                                                               i < 250 ? 0 : i - 249));
      result = sv_store_backup_apply (store, account_id, ICCID, request, &error);
      g_assert_no_error (error);
    }
  report ("incremental batch of 1 record", 500, g_get_monotonic_time () - t);

  t = g_get_monotonic_time ();
  for (guint i = 0; i < 20; i++)
    {
      g_autofree char *id = g_strdup_printf ("full-%u", i);
      g_autoptr(SvStoreBackupRequest) request = sv_store_backup_request_new (id, SV_STORE_BACKUP_FULL);
      g_autoptr(SvStoreBackupResult) result = NULL;

      sv_store_backup_request_add_file (request, "pb1/adn");
      for (guint r = 1; r <= 250; r++)
        {
          g_autoptr(GBytes) data = record (30, r * 1000 + i);

          sv_store_backup_request_add_record (request, sv_store_record_write_new ("pb1/adn", r, data, 0));
        }
      result = sv_store_backup_apply (store, account_id, ICCID, request, &error);
      g_assert_no_error (error);
    }
  report ("full backup of 250 records", 20, g_get_monotonic_time () - t);

  t = g_get_monotonic_time ();
  for (guint i = 0; i < 100; i++)
    {
      g_autoptr(SvStoreChanges) changes = NULL;
      g_autoptr(SvStoreCard) now = sv_store_card_get (store, account_id, ICCID, &error);

      changes = sv_store_changes_since (store, account_id, ICCID, now->epoch, 0, 500, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (changes->records->len, ==, 250);
    }
  report ("card + changes since 0 (250 records)", 100, g_get_monotonic_time () - t);

  t = g_get_monotonic_time ();
  for (guint i = 0; i < 200; i++)
    {
      g_autoptr(SvStoreSession) session = sv_store_session_create (store, SV_STORE_SESSION_OWNER,
                                                                   account_id, 0, &error);
      g_autoptr(SvStoreSession) looked = NULL;

      g_assert_no_error (error);
      looked = sv_store_session_lookup (store, session->token, &error);
      g_assert_no_error (error);
    }
  report ("session create + lookup", 200, g_get_monotonic_time () - t);

  g_clear_pointer (&store, sv_store_close);
  if (path != NULL)
    {
      const char *suffixes[] = { "", "-wal", "-shm" };

      for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
        {
          g_autofree char *p = g_strconcat (path, suffixes[i], NULL);

          g_unlink (p);
        }
      g_rmdir (dir);
    }
  return 0;
}
