/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * SvInterruptedWork (issue 17): the markers a write, a backup or a restore
 * leaves while it runs, read at the next start. A marker of a dead process
 * is interrupted work; one of a live process is work running elsewhere;
 * an item leaves the list only when the same work on the same card
 * completes. No display needed.
 */
#include "config.h"

#include <glib/gstdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sv-interrupted-work.h"

static char *
make_dir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("sv-interrupted-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

static void
put_marker (const char *dir,
            const char *name,
            gint64      pid,
            gint64      started)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree char *text = g_strdup_printf ("[work]\npid=%" G_GINT64_FORMAT "\nstarted=%" G_GINT64_FORMAT "\n",
                                           pid, started);

  g_assert_true (g_file_set_contents (path, text, -1, NULL));
}

static gboolean
has_marker (const char *dir,
            const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);

  return g_file_test (path, G_FILE_TEST_EXISTS);
}

/* A process id that is certainly not running: a child that has exited and
 * been reaped. */
static gint64
dead_pid (void)
{
  const char *argv[] = { "true", NULL };
  GPid pid;
  int status;

  g_assert_true (g_spawn_async (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD,
                                NULL, NULL, &pid, NULL));
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  return pid;
}

static void
test_load (void)
{
  g_autofree char *dir = make_dir ();
  g_autoptr(SvInterruptedWork) work = NULL;
  GPtrArray *items;
  SvInterruptedItem *item;
  gint64 dead = dead_pid ();

  put_marker (dir, "backup-8949000000000000002", dead, 200);
  put_marker (dir, "write-8949000000000000001", dead, 100);
  put_marker (dir, "restore-8949000000000000003", getppid (), 50);   /* running elsewhere */
  put_marker (dir, "write-", dead, 1);                                 /* no card */
  put_marker (dir, "format-8949000000000000004", dead, 1);             /* no such work */

  work = sv_interrupted_work_new (dir);
  items = sv_interrupted_work_get_items (work);
  g_assert_cmpuint (items->len, ==, 2);
  item = g_ptr_array_index (items, 0);                                 /* oldest first */
  g_assert_cmpint (item->kind, ==, SV_WORK_WRITE);
  g_assert_cmpstr (item->iccid, ==, "8949000000000000001");
  g_assert_cmpint (item->started_at, ==, 100);
  item = g_ptr_array_index (items, 1);
  g_assert_cmpint (item->kind, ==, SV_WORK_BACKUP);
  g_assert_cmpstr (item->iccid, ==, "8949000000000000002");
}

static void
count_cb (SvInterruptedWork *work,
          guint             *n)
{
  (*n)++;
}

static void
test_begin_end (void)
{
  g_autofree char *dir = make_dir ();
  g_autoptr(SvInterruptedWork) work = NULL;
  guint changed = 0;

  put_marker (dir, "write-8949000000000000001", dead_pid (), 100);
  work = sv_interrupted_work_new (dir);
  g_signal_connect (work, "changed", G_CALLBACK (count_cb), &changed);

  /* Declined before it began (the preview cancelled): the previous run's
   * marker stays for the next start. */
  sv_interrupted_work_end (work, SV_WORK_WRITE, "8949000000000000001", FALSE);
  g_assert_true (has_marker (dir, "write-8949000000000000001"));

  /* This process writes the same card again: its own marker replaces the
   * old one while it runs. */
  sv_interrupted_work_begin (work, SV_WORK_WRITE, "8949000000000000001");
  g_assert_true (has_marker (dir, "write-8949000000000000001"));
  sv_interrupted_work_begin (work, SV_WORK_RESTORE, "8949000000000000009");
  g_assert_true (has_marker (dir, "restore-8949000000000000009"));

  /* Failed or declined: the marker goes, the interrupted item stays. */
  sv_interrupted_work_end (work, SV_WORK_WRITE, "8949000000000000001", FALSE);
  g_assert_false (has_marker (dir, "write-8949000000000000001"));
  g_assert_cmpuint (sv_interrupted_work_get_items (work)->len, ==, 1);
  g_assert_cmpuint (changed, ==, 0);

  /* Another kind of work on the card does not finish it. */
  sv_interrupted_work_end (work, SV_WORK_RESTORE, "8949000000000000001", TRUE);
  g_assert_cmpuint (sv_interrupted_work_get_items (work)->len, ==, 1);

  /* Completed: finished. */
  sv_interrupted_work_begin (work, SV_WORK_WRITE, "8949000000000000001");
  sv_interrupted_work_end (work, SV_WORK_WRITE, "8949000000000000001", TRUE);
  g_assert_false (has_marker (dir, "write-8949000000000000001"));
  g_assert_cmpuint (sv_interrupted_work_get_items (work)->len, ==, 0);
  g_assert_cmpuint (changed, ==, 1);

  sv_interrupted_work_end (work, SV_WORK_RESTORE, "8949000000000000009", TRUE);
  g_assert_false (has_marker (dir, "restore-8949000000000000009"));
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sv/interrupted-work/load", test_load);
  g_test_add_func ("/sv/interrupted-work/begin-end", test_begin_end);

  return g_test_run ();
}
