/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The reader monitor outlives pcscd: the harness's pcscd is stopped and
 * started again under a running monitor, which must report the service
 * gone and back, the readers again, and a card inserted afterwards with
 * its ICCID. Runs in the card suite (build-aux/with-card-harness.sh) and
 * always leaves the harness running, as it found it.
 */
#include "config.h"

#include <gio/gio.h>

#include "sv-pcsc-reader.h"
#include "sv-reader-monitor.h"
#include "sv-vsim-fixture.h"

typedef struct
{
  guint     n_added;
  guint     n_removed;
  gboolean  service;
  guint     n_service_down;
  guint     n_service_up;
  char     *inserted_iccid;
} Events;

static void
reader_added_cb (SvReaderMonitor *monitor,
                 const char      *name,
                 Events          *events)
{
  events->n_added++;
}

static void
reader_removed_cb (SvReaderMonitor *monitor,
                   const char      *name,
                   Events          *events)
{
  events->n_removed++;
}

static void
service_changed_cb (SvReaderMonitor *monitor,
                    gboolean         available,
                    Events          *events)
{
  events->service = available;
  if (available)
    events->n_service_up++;
  else
    events->n_service_down++;
}

static void
card_inserted_cb (SvReaderMonitor *monitor,
                  const char      *name,
                  GBytes          *atr,
                  const char      *iccid,
                  Events          *events)
{
  g_free (events->inserted_iccid);
  events->inserted_iccid = g_strdup (iccid);
}

/* Runs the main loop until *@counter reaches @at_least, or @timeout_s
 * seconds pass. */
static gboolean
wait_count (guint *counter,
            guint  at_least,
            guint  timeout_s)
{
  gint64 deadline = g_get_monotonic_time () + timeout_s * G_USEC_PER_SEC;

  while (*counter < at_least && g_get_monotonic_time () < deadline)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (10000);
    }
  return *counter >= at_least;
}

static gboolean
wait_iccid (Events *events,
            guint   timeout_s)
{
  gint64 deadline = g_get_monotonic_time () + timeout_s * G_USEC_PER_SEC;

  while (events->inserted_iccid == NULL && g_get_monotonic_time () < deadline)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (10000);
    }
  return events->inserted_iccid != NULL;
}

static gboolean
harness (const char *command)
{
  g_autofree char *script = g_build_filename (g_getenv ("SV_SOURCE_ROOT"), "build-aux",
                                              "card-harness.sh", NULL);
  const char *argv[] = { script, command, NULL };
  g_autoptr(GError) error = NULL;
  int status = 0;

  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                     NULL, NULL, &status, &error))
    {
      g_test_message ("card-harness.sh %s: %s", command, error->message);
      return FALSE;
    }
  return g_spawn_check_wait_status (status, NULL);
}

static gboolean restart_done, restart_ok;

static void
restart_done_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  restart_ok = g_subprocess_wait_check_finish (G_SUBPROCESS (source), result, &error);
  if (error != NULL)
    g_test_message ("card-harness.sh restart: %s", error->message);
  restart_done = TRUE;
}

static GSubprocess *
harness_restart (guint    seconds_down,
                 GError **error)
{
  g_autofree char *script = g_build_filename (g_getenv ("SV_SOURCE_ROOT"), "build-aux",
                                              "card-harness.sh", NULL);
  g_autofree char *down = g_strdup_printf ("%u", seconds_down);
  GSubprocess *process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE, error,
                                           script, "restart", down, NULL);

  if (process != NULL)
    g_subprocess_wait_check_async (process, NULL, restart_done_cb, NULL);
  return process;
}

static void
test_pcscd_restart (void)
{
  g_autoptr(SvReader) reader = NULL;
  g_autoptr(SvReaderMonitor) monitor = NULL;
  g_autoptr(SvVsimFixture) card = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *profile = NULL;
  Events events = { 0 };
  g_autoptr(GSubprocess) restart = NULL;

  if (sv_vsim_fixture_skip_unless_available ())
    return;
  if (g_getenv ("SV_HARNESS_DIR") == NULL)
    {
      g_test_skip ("needs the harness of build-aux/with-card-harness.sh");
      return;
    }

  reader = sv_pcsc_reader_new ();
  monitor = sv_reader_monitor_new (reader, TRUE);
  g_signal_connect (monitor, "reader-added", G_CALLBACK (reader_added_cb), &events);
  g_signal_connect (monitor, "reader-removed", G_CALLBACK (reader_removed_cb), &events);
  g_signal_connect (monitor, "service-changed", G_CALLBACK (service_changed_cb), &events);
  g_signal_connect (monitor, "card-inserted", G_CALLBACK (card_inserted_cb), &events);
  g_assert_true (sv_reader_monitor_start (monitor, &error));
  g_assert_no_error (error);
  g_assert_true (wait_count (&events.n_added, 2, 10));

  /* pcscd goes away for 4 s, then comes back, under the harness's lock so
   * that no other harness on the machine starts its pcscd in the gap. The
   * service and both readers are reported gone... */
  restart = harness_restart (4, &error);
  g_assert_no_error (error);
  g_assert_true (wait_count (&events.n_service_down, 1, 15));
  g_assert_true (wait_count (&events.n_removed, 2, 5));

  /* ...and the monitor reconnects on its own. */
  while (!restart_done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (restart_ok);
  g_assert_true (wait_count (&events.n_service_up, 1, 20));
  g_assert_true (wait_count (&events.n_added, 4, 10));
  g_assert_true (events.service);

  /* And it still sees cards, identified by ICCID. */
  profile = sv_vsim_fixture_profile ("sim-2g-plain");
  card = sv_vsim_fixture_start (profile, 0, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (wait_iccid (&events, 15));
  g_assert_cmpstr (events.inserted_iccid, ==, "89491001234567802508");

  sv_reader_monitor_stop (monitor);
  g_free (events.inserted_iccid);
}

int
main (int    argc,
      char **argv)
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sv/card/monitor/pcscd-restart", test_pcscd_restart);
  ret = g_test_run ();

  /* Whatever happened, the next card test finds pcscd running. */
  if (g_getenv ("SV_HARNESS_DIR") != NULL && !harness ("status"))
    harness ("start");
  return ret;
}
