/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The password in a real Secret Service: gnome-keyring-daemon on the
 * private session bus meson runs this test in (dbus-run-session), its login
 * keyring in a temporary data dir, unlocked with a test password. Stored,
 * found again by server and phone only, not found for another account,
 * cleared. Skips when gnome-keyring-daemon or the bus is missing.
 */
#include "config.h"

#include <glib/gstdio.h>
#include <libsecret/secret.h>

#include "sv-sync-secret.h"

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

static void
test_keyring (void)
{
  g_autoptr(GSubprocess) daemon = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *found = NULL;
  g_autofree char *other = NULL;
  g_autofree char *gone = NULL;
  g_autofree char *binary = g_find_program_in_path ("gnome-keyring-daemon");
  GOutputStream *in;

  if (binary == NULL || g_getenv ("DBUS_SESSION_BUS_ADDRESS") == NULL)
    {
      g_test_skip ("gnome-keyring-daemon or a session bus is missing");
      return;
    }

  dir = g_dir_make_tmp ("sv-keyring-XXXXXX", &error);
  g_assert_no_error (error);
  g_setenv ("XDG_DATA_HOME", dir, TRUE);
  g_setenv ("XDG_RUNTIME_DIR", dir, TRUE);
  g_unsetenv ("SV_NO_KEYRING");

  daemon = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                             G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error,
                             binary, "--foreground", "--components=secrets", "--unlock", NULL);
  g_assert_no_error (error);
  in = g_subprocess_get_stdin_pipe (daemon);
  g_output_stream_write_all (in, "keyring test password", 21, NULL, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_close (in, NULL, NULL);
  /* Give the daemon time to claim its bus name. */
  g_usleep (G_USEC_PER_SEC);

  g_assert_true (sv_sync_secret_is_available ());
  g_assert_true (sv_sync_secret_store ("http://127.0.0.1:8765/", "+8613800138000", "s3cret pw",
                                       NULL, &error));
  g_assert_no_error (error);

  found = sv_sync_secret_lookup ("http://127.0.0.1:8765/", "+8613800138000", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (found, ==, "s3cret pw");
  other = sv_sync_secret_lookup ("http://127.0.0.1:8765/", "+8613900139000", NULL, &error);
  g_assert_no_error (error);
  g_assert_null (other);

  g_assert_true (sv_sync_secret_clear ("http://127.0.0.1:8765/", "+8613800138000", NULL, &error));
  gone = sv_sync_secret_lookup ("http://127.0.0.1:8765/", "+8613800138000", NULL, &error);
  g_assert_null (gone);

  g_subprocess_force_exit (daemon);
  g_subprocess_wait (daemon, NULL, NULL);
  secret_service_disconnect ();
  /* Let the signals the daemon's exit sent (dispatched to libsecret's
   * proxies in this context) be delivered and freed. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  remove_tree (dir);
}

static void
test_no_keyring (void)
{
  g_autofree char *found = NULL;

  g_setenv ("SV_NO_KEYRING", "1", TRUE);
  g_assert_false (sv_sync_secret_is_available ());
  found = sv_sync_secret_lookup ("http://127.0.0.1:8765/", "+8613800138000", NULL, NULL);
  g_assert_null (found);
  g_unsetenv ("SV_NO_KEYRING");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sv/sync-secret/no-keyring", test_no_keyring);
  g_test_add_func ("/sv/sync-secret/keyring", test_keyring);
  return g_test_run ();
}
