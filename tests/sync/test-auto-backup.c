/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The automatic backup's decision (table-driven) and its refusals: an
 * unregistered card is not backed up, a card with nothing waiting is not
 * backed up, and without the password in a keyring it fails with
 * SV_SYNC_ERROR_NO_PASSWORD instead of asking.
 */
#include "config.h"

#include <glib/gstdio.h>

#include "sv-auto-backup-operation.h"
#include "../mirror/sv-mirror-test-util.h"

#define NOW  ((gint64) 1800000000)
#define HOUR ((gint64) 3600)

typedef struct
{
  const char *name;
  guint       pending;
  guint       outbox;
  gint64      last_backup_ago;     /* 0: never backed up */
  gint64      registered_ago;
  gboolean    due;
} DueCase;

static const DueCase due_cases[] = {
  { "nothing-waits", 0, 0, 100 * HOUR, 100 * HOUR, FALSE },
  { "few-changes-recent", 3, 0, 1 * HOUR, 200 * HOUR, FALSE },
  { "enough-changes", 20, 0, 1 * HOUR, 200 * HOUR, TRUE },
  { "few-changes-old-backup", 1, 0, 25 * HOUR, 200 * HOUR, TRUE },
  { "never-backed-up-recent-registration", 1, 0, 0, 1 * HOUR, FALSE },
  { "never-backed-up-old-registration", 1, 0, 0, 30 * HOUR, TRUE },
  { "batch-left-by-a-crash", 0, 1, 1 * HOUR, 200 * HOUR, TRUE },
};

static void
test_due (gconstpointer data)
{
  const DueCase *c = data;
  SvAutoBackupPolicy policy = { 20, 24 };
  SvSyncState state = { 0 };

  state.n_pending_records = c->pending;
  state.n_outbox = c->outbox;
  state.last_backup_at = c->last_backup_ago ? NOW - c->last_backup_ago : 0;
  state.registered_at = NOW - c->registered_ago;
  g_assert_cmpint (sv_auto_backup_is_due (&state, &policy, NOW), ==, c->due);
}

static void
test_refusals (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("sv-auto-backup-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "mirror.db", NULL);
  g_autoptr(SvMirror) mirror = sv_mirror_open (path, &error);
  g_autoptr(SvCardImage) card = test_card_new (TEST_ICCID, TEST_ALPHA_LEN, TEST_N_ADN, 2);
  g_autoptr(SvBackupResult) result = NULL;
  SvAutoBackupPolicy policy = { 1, 24 };
  gboolean ran = TRUE;

  g_assert_no_error (error);
  g_assert_true (sv_mirror_import_card (mirror, card, NULL, &error));

  /* Not registered: nothing runs, nothing fails. */
  result = sv_auto_backup_operation_run (path, TEST_ICCID, &policy, &ran, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (result);
  g_assert_false (ran);

  /* Registered, records waiting, no keyring: it fails and says why. */
  g_assert_true (sv_mirror_sync_register (mirror, TEST_ICCID, "http://127.0.0.1:9/", "+8613800138000",
                                          0, 0, "1-0", TRUE, &error));
  g_setenv ("SV_NO_KEYRING", "1", TRUE);
  result = sv_auto_backup_operation_run (path, TEST_ICCID, &policy, &ran, NULL, &error);
  g_assert_error (error, SV_SYNC_ERROR, SV_SYNC_ERROR_NO_PASSWORD);
  g_assert_null (result);
  g_assert_false (ran);
  g_clear_error (&error);

  /* Nothing waits below the threshold: not due. */
  policy.min_changes = 1000;
  policy.max_hours = 1000;
  result = sv_auto_backup_operation_run (path, TEST_ICCID, &policy, &ran, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (ran);

  g_clear_object (&mirror);
  {
    g_autofree char *wal = g_strconcat (path, "-wal", NULL);
    g_autofree char *shm = g_strconcat (path, "-shm", NULL);

    g_remove (wal);
    g_remove (shm);
    g_remove (path);
    g_rmdir (dir);
  }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (due_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/sv/auto-backup/due/%s", due_cases[i].name);

      g_test_add_data_func (path, &due_cases[i], test_due);
    }
  g_test_add_func ("/sv/auto-backup/refusals", test_refusals);
  return g_test_run ();
}
