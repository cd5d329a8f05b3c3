/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-vsim-fixture"

#include "config.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <winscard.h>

#include "sv-vsim-fixture.h"

struct _SvVsimFixture
{
  GSubprocess *process;
  gboolean     exited;
  char        *dir;
  char        *image_path;
  char        *log_path;
  char        *output_path;
  char        *reader;
  gboolean     keep_files;
};

gboolean
sv_vsim_fixture_available (void)
{
  return g_getenv ("SV_VPCD_PORT") != NULL;
}

/**
 * sv_vsim_fixture_skip_unless_available:
 *
 * Returns: %TRUE (and marks the current test skipped) when no card
 * harness is running.
 */
gboolean
sv_vsim_fixture_skip_unless_available (void)
{
  if (sv_vsim_fixture_available ())
    return FALSE;
  g_test_skip ("no card harness: run under build-aux/with-card-harness.sh "
               "(SV_VPCD_PORT is unset)");
  return TRUE;
}

char *
sv_vsim_fixture_profile (const char *name)
{
  const char *src = g_getenv ("SV_SOURCE_ROOT");
  g_autofree char *file = g_strconcat (name, ".json", NULL);

  if (src != NULL)
    return g_build_filename (src, "tests", "data", "cards", file, NULL);
  return g_build_filename (SV_CARDS_DIR, file, NULL);
}

static char *
vsim_binary (void)
{
  const char *env = g_getenv ("SV_VSIM");
  const char *build = g_getenv ("SV_BUILD_ROOT");

  if (env != NULL)
    return g_strdup (env);
  if (build != NULL)
    return g_build_filename (build, "smartcard", "vsim", "simvault-vsim", NULL);
  return g_strdup (SV_VSIM_PATH);
}

static void
child_setup (gpointer user_data)
{
  /* A test that aborts must not leave its card behind (it would hold
   * the slot, and meson's stdout pipe, forever). */
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

static void
wait_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  gboolean *exited = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  *exited = TRUE;
}

/**
 * sv_vsim_fixture_wait_card:
 *
 * Waits with SCardGetStatusChange until the reader reports the card
 * present (and not mute) or absent.
 */
gboolean
sv_vsim_fixture_wait_card (SvVsimFixture *fixture,
                           gboolean       present,
                           guint          timeout_ms)
{
  SCARDCONTEXT ctx;
  SCARD_READERSTATE state = { 0 };
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  gboolean ok = FALSE;

  if (SCardEstablishContext (SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx) != SCARD_S_SUCCESS)
    return FALSE;
  state.szReader = fixture->reader;
  state.dwCurrentState = SCARD_STATE_UNAWARE;
  for (;;)
    {
      gint64 left = (deadline - g_get_monotonic_time ()) / 1000;
      LONG rv;

      /* Short waits, so that a card process that dies is noticed. */
      rv = SCardGetStatusChange (ctx, (DWORD) CLAMP (left, 0, 200), &state, 1);
      if (rv != SCARD_S_SUCCESS && rv != SCARD_E_TIMEOUT)
        break;
      if (rv == SCARD_S_SUCCESS)
        state.dwCurrentState = state.dwEventState & ~SCARD_STATE_CHANGED;
      if (present && (state.dwEventState & SCARD_STATE_PRESENT)
          && !(state.dwEventState & SCARD_STATE_MUTE))
        {
          ok = TRUE;
          break;
        }
      if (!present && (state.dwEventState & SCARD_STATE_EMPTY))
        {
          ok = TRUE;
          break;
        }
      while (g_main_context_iteration (NULL, FALSE))
        ;
      if ((present && fixture->exited) || g_get_monotonic_time () >= deadline)
        break;
    }
  SCardReleaseContext (ctx);
  return ok;
}

/**
 * sv_vsim_fixture_start:
 * @profile_json_path: a card image; it is copied, the original is never
 *   written
 * @slot: 0 or 1 (vpcd port SV_VPCD_PORT + slot)
 * @extra_args: (nullable): more simvault-vsim options (--persist,
 *   --drop-after N, --delay-ms N, --refuse-writes)
 *
 * Starts simvault-vsim with an APDU log and waits until pcscd reports the
 * card present.
 */
SvVsimFixture *
sv_vsim_fixture_start (const char         *profile_json_path,
                       guint               slot,
                       const char * const *extra_args,
                       GError            **error)
{
  g_autoptr(SvVsimFixture) fixture = g_new0 (SvVsimFixture, 1);
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *reader_var = g_strdup_printf ("SV_VPCD_READER%u", slot);
  const char *port_env = g_getenv ("SV_VPCD_PORT");
  const char *reader_env = g_getenv (reader_var);
  gsize length;

  g_return_val_if_fail (slot <= 1, NULL);
  if (port_env == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED,
                   "SV_VPCD_PORT is unset: the card harness is not running");
      return NULL;
    }
  fixture->reader = reader_env != NULL
    ? g_strdup (reader_env) : g_strdup_printf ("SimVault Virtual Reader 00 %02u", slot);

  fixture->dir = g_dir_make_tmp ("sv-vsim-XXXXXX", error);
  if (fixture->dir == NULL)
    return NULL;
  fixture->image_path = g_build_filename (fixture->dir, "card.json", NULL);
  fixture->log_path = g_build_filename (fixture->dir, "apdu.log", NULL);
  fixture->output_path = g_build_filename (fixture->dir, "vsim.out", NULL);
  if (!g_file_get_contents (profile_json_path, &contents, &length, error)
      || !g_file_set_contents (fixture->image_path, contents, (gssize) length, error))
    return NULL;

  g_ptr_array_add (argv, vsim_binary ());
  g_ptr_array_add (argv, g_strdup ("--image"));
  g_ptr_array_add (argv, g_strdup (fixture->image_path));
  g_ptr_array_add (argv, g_strdup ("--port"));
  g_ptr_array_add (argv, g_strdup_printf ("%d", atoi (port_env) + (int) slot));
  g_ptr_array_add (argv, g_strdup ("--apdu-log"));
  g_ptr_array_add (argv, g_strdup (fixture->log_path));
  g_ptr_array_add (argv, g_strdup ("--connect-timeout-ms"));
  g_ptr_array_add (argv, g_strdup ("5000"));
  for (guint i = 0; extra_args != NULL && extra_args[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (extra_args[i]));
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_subprocess_launcher_set_stdout_file_path (launcher, fixture->output_path);
  g_subprocess_launcher_set_stderr_file_path (launcher, fixture->output_path);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  fixture->process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, error);
  if (fixture->process == NULL)
    return NULL;
  g_subprocess_wait_async (fixture->process, NULL, wait_done_cb, &fixture->exited);

  if (!sv_vsim_fixture_wait_card (fixture, TRUE, 10000))
    {
      g_autofree char *output = NULL;

      g_file_get_contents (fixture->output_path, &output, NULL, NULL);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                   "the virtual card did not appear in \"%s\"%s: %s",
                   fixture->reader, fixture->exited ? " (simvault-vsim exited)" : "",
                   output != NULL ? output : "");
      return NULL;
    }
  return g_steal_pointer (&fixture);
}

const char *
sv_vsim_fixture_reader_name (SvVsimFixture *fixture)
{
  return fixture->reader;
}

const char *
sv_vsim_fixture_image_path (SvVsimFixture *fixture)
{
  return fixture->image_path;
}

const char *
sv_vsim_fixture_apdu_log_path (SvVsimFixture *fixture)
{
  return fixture->log_path;
}

/**
 * sv_vsim_fixture_apdu_count:
 *
 * Returns: how many command APDUs the card has received ('>' lines).
 */
guint
sv_vsim_fixture_apdu_count (SvVsimFixture *fixture)
{
  g_autofree char *log = NULL;
  guint n = 0;

  if (!g_file_get_contents (fixture->log_path, &log, NULL, NULL))
    return 0;
  for (const char *p = log; *p != '\0'; p = strchr (p, '\n') ? strchr (p, '\n') + 1 : p + strlen (p))
    if (*p == '>')
      n++;
  return n;
}

gboolean
sv_vsim_fixture_wait_exit (SvVsimFixture *fixture,
                           guint          timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (!fixture->exited && g_get_monotonic_time () < deadline)
    {
      while (g_main_context_iteration (NULL, FALSE))
        ;
      if (!fixture->exited)
        g_usleep (10 * 1000);
    }
  return fixture->exited;
}

/**
 * sv_vsim_fixture_stop:
 *
 * Stops the card process (SIGTERM, then waits), waits until pcscd sees the
 * slot empty, removes the temporary files and frees @fixture.
 */
/**
 * sv_vsim_fixture_keep_files:
 *
 * Makes sv_vsim_fixture_stop() leave the card's image (and its logs) in
 * place, as `SV_VSIM_KEEP` does for every fixture: a test that pulls the
 * card reads the image as it was pulled. (A test must not set
 * `SV_VSIM_KEEP` itself: setenv() while other threads run can crash them.)
 */
void
sv_vsim_fixture_keep_files (SvVsimFixture *fixture)
{
  fixture->keep_files = TRUE;
}

void
sv_vsim_fixture_stop (SvVsimFixture *fixture)
{
  if (fixture == NULL)
    return;
  if (fixture->process != NULL)
    {
      if (!fixture->exited)
        g_subprocess_send_signal (fixture->process, SIGTERM);
      if (!sv_vsim_fixture_wait_exit (fixture, 5000))
        {
          g_subprocess_force_exit (fixture->process);
          sv_vsim_fixture_wait_exit (fixture, 2000);
        }
      if (!sv_vsim_fixture_wait_card (fixture, FALSE, 5000))
        g_printerr ("# sv-vsim-fixture: \"%s\" still reports a card\n", fixture->reader);
      g_clear_object (&fixture->process);
    }
  if (fixture->dir != NULL && !fixture->keep_files && g_getenv ("SV_VSIM_KEEP") == NULL)
    {
      if (fixture->image_path != NULL)
        g_unlink (fixture->image_path);
      if (fixture->log_path != NULL)
        g_unlink (fixture->log_path);
      if (fixture->output_path != NULL)
        g_unlink (fixture->output_path);
      g_rmdir (fixture->dir);
    }
  g_free (fixture->dir);
  g_free (fixture->image_path);
  g_free (fixture->log_path);
  g_free (fixture->output_path);
  g_free (fixture->reader);
  g_free (fixture);
}
