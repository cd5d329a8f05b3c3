/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Crash safety: a child process working on the mirror is killed with
 * SIGKILL, mid-transaction or between edits; the file reopens intact,
 * nothing acknowledged is lost and nothing half-written is visible.
 */
#include "config.h"

#include <signal.h>
#include <glib/gstdio.h>

#include "sv-phonebook.h"
#include "sv-mirror-private.h"
#include "sv-mirror-test-util.h"

static char *
helper_path (void)
{
  return g_test_build_filename (G_TEST_BUILT, "mirror", "mirror-crash-helper", NULL);
}

static GSubprocess *
spawn_helper (const char        *mode,
              const char        *db,
              GDataInputStream **out)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *helper = helper_path ();
  GSubprocess *proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                                        helper, mode, db, NULL);

  g_assert_no_error (error);
  *out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (proc));
  return proc;
}

static void
kill_helper (GSubprocess *proc)
{
  g_autoptr(GError) error = NULL;

  g_subprocess_send_signal (proc, SIGKILL);
  g_subprocess_wait (proc, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_signaled (proc));
  g_assert_cmpint (g_subprocess_get_term_sig (proc), ==, SIGKILL);
}

static void
assert_integrity (SvMirror *mirror)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;

  g_assert_cmpint (sqlite3_prepare_v2 (sv_mirror_get_db (mirror), "PRAGMA integrity_check",
                                       -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 0), ==, "ok");
}

static void
test_kill_mid_transaction (void)
{
  g_autofree char *dir = g_dir_make_tmp ("sv-crash-XXXXXX", NULL);
  g_autofree char *db = g_build_filename (dir, "mirror.db", NULL);
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(SvMirror) mirror = NULL;
  g_autoptr(SvCardImage) image = NULL;
  g_autoptr(SvCardImage) expected = test_card_new (TEST_ICCID, TEST_ALPHA_LEN, TEST_N_ADN, 2);
  g_autoptr(SvMirrorCard) card = NULL;
  g_autoptr(GPtrArray) pending = NULL;
  g_autoptr(GPtrArray) contacts = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  g_autofree char *wal = g_strconcat (db, "-wal", NULL);
  GStatBuf st;

  proc = spawn_helper ("hold", db, &out);
  line = g_data_input_stream_read_line (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (line, ==, "IN-TX");
  /* The uncommitted pages are in the WAL file when the process dies. */
  g_assert_cmpint (g_stat (wal, &st), ==, 0);
  g_assert_cmpint (st.st_size, >, 0);
  kill_helper (proc);

  mirror = sv_mirror_open (db, &error);
  g_assert_no_error (error);
  assert_integrity (mirror);
  image = sv_mirror_load_image (mirror, TEST_ICCID, TRUE, &error);
  g_assert_no_error (error);
  g_assert_true (sv_card_image_equal (image, expected));
  card = sv_mirror_get_card (mirror, TEST_ICCID, &error);
  g_assert_cmpint (card->modseq, ==, 1);
  g_assert_null (card->label);
  pending = sv_mirror_get_pending (mirror, TEST_ICCID, &error);
  g_assert_cmpuint (pending->len, ==, 0);
  contacts = sv_mirror_list_contacts (mirror, TEST_ICCID, &error);
  g_assert_cmpuint (contacts->len, ==, 3);

  g_clear_object (&mirror);
  g_remove (wal);
  {
    g_autofree char *shm = g_strconcat (db, "-shm", NULL);
    g_remove (shm);
  }
  g_remove (db);
  g_rmdir (dir);
}

static void
test_kill_between_edits (gconstpointer data)
{
  guint kill_after = GPOINTER_TO_UINT (data);
  g_autofree char *dir = g_dir_make_tmp ("sv-crash-XXXXXX", NULL);
  g_autofree char *db = g_build_filename (dir, "mirror.db", NULL);
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(SvMirror) mirror = NULL;
  g_autoptr(SvCardImage) image = NULL;
  g_autoptr(SvMirrorCard) card = NULL;
  g_autoptr(GPtrArray) history = NULL;
  g_autoptr(GPtrArray) contacts = NULL;
  g_autoptr(GPtrArray) decoded = NULL;
  g_autoptr(GError) error = NULL;
  guint last_ack = 0;
  guint last_edit;

  proc = spawn_helper ("edits", db, &out);
  for (;;)
    {
      g_autofree char *line = g_data_input_stream_read_line (out, NULL, NULL, &error);

      g_assert_no_error (error);
      g_assert_nonnull (line);
      g_assert_true (g_str_has_prefix (line, "ACK "));
      last_ack = (guint) g_ascii_strtoull (line + 4, NULL, 10);
      if (last_ack >= kill_after)
        break;
    }
  /* The child keeps editing while we kill it: most kills land inside a
   * transaction or a commit. */
  kill_helper (proc);

  mirror = sv_mirror_open (db, &error);
  g_assert_no_error (error);
  assert_integrity (mirror);

  /* Every acknowledged edit is there; at most the edits after it too, each
   * complete: the history, the modseq and the records agree. */
  history = sv_mirror_get_history (mirror, TEST_ICCID, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (history->len, >=, 1 + last_ack + 1);
  last_edit = history->len - 2;
  {
    g_autofree char *expected = g_strdup_printf ("E%u", last_edit);
    g_assert_cmpstr (((SvMirrorHistoryEntry *) g_ptr_array_index (history, history->len - 1))->detail,
                     ==, expected);
  }
  card = sv_mirror_get_card (mirror, TEST_ICCID, &error);
  g_assert_cmpint (card->modseq, ==, 1 + last_edit + 1);
  g_assert_cmpint (((SvMirrorHistoryEntry *) g_ptr_array_index (history, history->len - 1))->modseq,
                   ==, card->modseq);

  image = sv_mirror_load_image (mirror, TEST_ICCID, TRUE, &error);
  g_assert_no_error (error);
  for (guint back = 0; back < 6 && back <= last_edit; back++)
    {
      g_autofree char *name = g_strdup_printf ("E%u", last_edit - back);
      g_autoptr(GBytes) rec = test_adn_record (TEST_ALPHA_LEN, name, 0x81, "12345");

      g_assert_true (g_bytes_equal (sv_card_image_get_record (image, "adn", 3 + (last_edit - back) % 6), rec));
    }

  /* The decoded list matches the records. */
  contacts = sv_mirror_list_contacts (mirror, TEST_ICCID, &error);
  decoded = sv_phonebook_decode (image, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (contacts->len, ==, decoded->len);
  for (guint i = 0; i < contacts->len; i++)
    g_assert_true (sv_contact_equal (g_ptr_array_index (contacts, i), g_ptr_array_index (decoded, i)));

  g_test_message ("killed after ACK %u; %u edits survived", last_ack, last_edit + 1);
  g_clear_object (&mirror);
  {
    g_autofree char *wal = g_strconcat (db, "-wal", NULL);
    g_autofree char *shm = g_strconcat (db, "-shm", NULL);
    g_remove (wal);
    g_remove (shm);
  }
  g_remove (db);
  g_rmdir (dir);
}

int
main (int    argc,
      char **argv)
{
  static const guint kill_points[] = { 0, 7, 40, 151 };

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sv/mirror/crash/kill-mid-transaction", test_kill_mid_transaction);
  for (guint i = 0; i < G_N_ELEMENTS (kill_points); i++)
    {
      g_autofree char *path = g_strdup_printf ("/sv/mirror/crash/kill-between-edits/%u", kill_points[i]);
      g_test_add_data_func (path, GUINT_TO_POINTER (kill_points[i]), test_kill_between_edits);
    }
  return g_test_run ();
}
