/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Reader listing and the reader monitor over the fake backend: reader
 * hotplug, card insertion/removal, a swap re-identified by ICCID, pcscd
 * going away and coming back, stopping the thread promptly.
 */
#include "config.h"

#include <string.h>

#include "sv-card-error.h"
#include "sv-fake-reader.h"
#include "sv-reader-monitor.h"

#include "test-card-sim.h"

#define READER0 "Fake Reader 00 00"
#define READER1 "Fake Reader 00 01"
#define ATR "3B9F96801FC78031A073BE21136743200718000001A5"

typedef struct
{
  GPtrArray *events;
  GThread   *thread;   /* the thread that made the monitor */
} Events;

/* The signals come in the thread that made the monitor (the window's
 * handlers are GTK code), from its main context's iteration only. */
static void
record (Events *e,
        char   *event)
{
  g_assert_true (g_thread_self () == e->thread);
  g_ptr_array_add (e->events, event);
}

static void
reader_added_cb (SvReaderMonitor *monitor, const char *name, Events *e)
{
  record (e, g_strdup_printf ("reader-added %s", name));
}

static void
reader_removed_cb (SvReaderMonitor *monitor, const char *name, Events *e)
{
  record (e, g_strdup_printf ("reader-removed %s", name));
}

static void
card_inserted_cb (SvReaderMonitor *monitor, const char *name, GBytes *atr, const char *iccid, Events *e)
{
  g_assert_nonnull (atr);
  record (e, g_strdup_printf ("card-inserted %s %s", name, iccid ? iccid : "-"));
}

static void
card_removed_cb (SvReaderMonitor *monitor, const char *name, Events *e)
{
  record (e, g_strdup_printf ("card-removed %s", name));
}

static void
service_changed_cb (SvReaderMonitor *monitor, gboolean available, Events *e)
{
  record (e, g_strdup_printf ("service %s", available ? "up" : "down"));
}

static void
wait_events (Events *e,
             guint   n)
{
  gint64 end = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

  while (e->events->len < n && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE), g_usleep (1000);
  /* and nothing more arrives */
  for (guint i = 0; i < 50; i++)
    g_main_context_iteration (NULL, FALSE), g_usleep (1000);
}

static void
assert_events (Events             *e,
               const char * const *expected)
{
  guint n = g_strv_length ((char **) expected);

  for (guint i = 0; i < e->events->len; i++)
    g_test_message ("event %u: %s", i, (char *) g_ptr_array_index (e->events, i));
  g_assert_cmpuint (e->events->len, ==, n);
  for (guint i = 0; i < n; i++)
    g_assert_cmpstr (g_ptr_array_index (e->events, i), ==, expected[i]);
  g_ptr_array_set_size (e->events, 0);
}

static SvReaderMonitor *
start_monitor (SvFakeReader *fake,
               Events       *e)
{
  g_autoptr(GError) error = NULL;
  SvReaderMonitor *monitor = sv_reader_monitor_new (SV_READER (fake), TRUE);

  e->thread = g_thread_self ();
  sv_reader_monitor_set_poll_interval (monitor, 200);
  g_signal_connect (monitor, "reader-added", G_CALLBACK (reader_added_cb), e);
  g_signal_connect (monitor, "reader-removed", G_CALLBACK (reader_removed_cb), e);
  g_signal_connect (monitor, "card-inserted", G_CALLBACK (card_inserted_cb), e);
  g_signal_connect (monitor, "card-removed", G_CALLBACK (card_removed_cb), e);
  g_signal_connect (monitor, "service-changed", G_CALLBACK (service_changed_cb), e);
  g_assert_true (sv_reader_monitor_start (monitor, &error));
  g_assert_no_error (error);
  return monitor;
}

static void
test_list_and_pick (void)
{
  g_autoptr(SvFakeReader) fake = sv_fake_reader_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) states = NULL;
  g_autofree char *picked = NULL;

  picked = sv_reader_pick_reader (SV_READER (fake), NULL, &error);
  g_assert_null (picked);
  g_assert_error (error, SV_PCSC_ERROR, SV_PCSC_ERROR_NO_READERS);
  g_clear_error (&error);

  sv_fake_reader_add_reader (fake, READER0);
  sv_fake_reader_add_reader (fake, READER1);
  picked = sv_reader_pick_reader (SV_READER (fake), NULL, &error);
  g_assert_error (error, SV_PCSC_ERROR, SV_PCSC_ERROR_NO_CARD);
  g_clear_error (&error);

  sv_fake_reader_insert_card (fake, READER1, ATR);
  states = sv_reader_list_readers (SV_READER (fake), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (states->len, ==, 2);
  g_assert_true (((SvReaderState *) g_ptr_array_index (states, 0))->flags & SV_READER_STATE_EMPTY);
  g_assert_true (((SvReaderState *) g_ptr_array_index (states, 1))->flags & SV_READER_STATE_PRESENT);

  picked = sv_reader_pick_reader (SV_READER (fake), NULL, &error);
  g_assert_cmpstr (picked, ==, READER1);
  g_clear_pointer (&picked, g_free);
  picked = sv_reader_pick_reader (SV_READER (fake), "00 00", &error);
  g_assert_cmpstr (picked, ==, READER0);
  g_clear_pointer (&picked, g_free);
  /* a name that matches both readers: the one holding a card */
  picked = sv_reader_pick_reader (SV_READER (fake), "Fake", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (picked, ==, READER1);
  g_clear_pointer (&picked, g_free);
  /* both hold a card: an error that lists them */
  sv_fake_reader_insert_card (fake, READER0, ATR);
  picked = sv_reader_pick_reader (SV_READER (fake), "Fake", &error);
  g_assert_null (picked);
  g_assert_error (error, SV_PCSC_ERROR, SV_PCSC_ERROR_UNKNOWN_READER);
  g_assert_nonnull (strstr (error->message, READER0));
  g_assert_nonnull (strstr (error->message, READER1));
  g_clear_error (&error);
  picked = sv_reader_pick_reader (SV_READER (fake), "Nothing", &error);
  g_assert_null (picked);
  g_assert_error (error, SV_PCSC_ERROR, SV_PCSC_ERROR_UNKNOWN_READER);
}

/* One reader holding a 2G SIM (@sim: the card's files, owned by the
 * reader). */
static SvFakeReader *
fake_with_card (SimCard **sim)
{
  SvFakeReader *fake = sv_fake_reader_new ();
  SimCard *card = sim_card_new_2g ();

  sv_fake_reader_set_card_func (fake, sim_card_func, card, (GDestroyNotify) sim_card_free);
  if (sim != NULL)
    *sim = card;
  sv_fake_reader_add_reader (fake, READER0);
  sv_fake_reader_insert_card (fake, READER0, ATR);
  return fake;
}

static void
test_monitor_events (void)
{
  SimCard *sim = NULL;
  g_autoptr(SvFakeReader) fake = fake_with_card (&sim);
  g_autoptr(SvReaderMonitor) monitor = NULL;
  Events e = { g_ptr_array_new_with_free_func (g_free) };

  monitor = start_monitor (fake, &e);
  wait_events (&e, 2);
  assert_events (&e, (const char *[]) { "reader-added " READER0,
                                        "card-inserted " READER0 " 89014103211118510720", NULL });

  /* Reader hotplug. */
  sv_fake_reader_add_reader (fake, READER1);
  wait_events (&e, 1);
  assert_events (&e, (const char *[]) { "reader-added " READER1, NULL });

  /* Removal. */
  sv_fake_reader_pull_card (fake, READER0);
  wait_events (&e, 1);
  assert_events (&e, (const char *[]) { "card-removed " READER0, NULL });

  /* Insertion of another card. */
  sim_set (sim, "3F002FE2", 1, "98101430121181157102");
  sv_fake_reader_insert_card (fake, READER0, ATR);
  wait_events (&e, 1);
  assert_events (&e, (const char *[]) { "card-inserted " READER0 " 89014103211118511720", NULL });

  /* A swap faster than the monitor: removed, then the new card by ICCID. */
  sv_reader_monitor_stop (monitor);
  sim_set (sim, "3F002FE2", 1, "98101430121181157202");
  sv_fake_reader_pull_card (fake, READER0);
  sv_fake_reader_insert_card (fake, READER0, ATR);
  g_assert_true (sv_reader_monitor_start (monitor, NULL));
  wait_events (&e, 2);
  /* The restarted thread diffs against what it last reported. */
  assert_events (&e, (const char *[]) { "card-removed " READER0,
                                        "card-inserted " READER0 " 89014103211118512720", NULL });

  /* Reader unplugged with a card in it. */
  sv_fake_reader_remove_reader (fake, READER0);
  wait_events (&e, 2);
  assert_events (&e, (const char *[]) { "card-removed " READER0, "reader-removed " READER0, NULL });

  sv_reader_monitor_stop (monitor);
  g_ptr_array_unref (e.events);
}

/* While nobody iterates the main context (a test or a command-line
 * program between two iterations, nothing holding the context), an event
 * waits for the next iteration: it must not run in the monitor thread. */
static void
test_monitor_events_wait_for_iteration (void)
{
  g_autoptr(SvFakeReader) fake = fake_with_card (NULL);
  g_autoptr(SvReaderMonitor) monitor = NULL;
  Events e = { g_ptr_array_new_with_free_func (g_free) };

  monitor = start_monitor (fake, &e);
  g_usleep (G_USEC_PER_SEC / 2);   /* the first poll is at once, then every 200 ms */
  sv_fake_reader_pull_card (fake, READER0);
  g_usleep (G_USEC_PER_SEC / 2);
  g_assert_cmpuint (e.events->len, ==, 0);
  wait_events (&e, 3);
  assert_events (&e, (const char *[]) { "reader-added " READER0,
                                        "card-inserted " READER0 " 89014103211118510720",
                                        "card-removed " READER0, NULL });
  sv_reader_monitor_stop (monitor);
  g_ptr_array_unref (e.events);
}

static void
test_monitor_service_restart (void)
{
  g_autoptr(SvFakeReader) fake = sv_fake_reader_new ();
  g_autoptr(SvReaderMonitor) monitor = NULL;
  Events e = { g_ptr_array_new_with_free_func (g_free) };

  sv_fake_reader_add_reader (fake, READER0);
  monitor = start_monitor (fake, &e);
  wait_events (&e, 1);
  assert_events (&e, (const char *[]) { "reader-added " READER0, NULL });

  sv_fake_reader_set_service_running (fake, FALSE);
  wait_events (&e, 2);
  assert_events (&e, (const char *[]) { "reader-removed " READER0, "service down", NULL });

  sv_fake_reader_set_service_running (fake, TRUE);
  wait_events (&e, 2);
  assert_events (&e, (const char *[]) { "reader-added " READER0, "service up", NULL });

  sv_reader_monitor_stop (monitor);
  g_ptr_array_unref (e.events);
}

static void
test_monitor_stop_promptly (void)
{
  g_autoptr(SvFakeReader) fake = sv_fake_reader_new ();
  g_autoptr(SvReaderMonitor) monitor = sv_reader_monitor_new (SV_READER (fake), FALSE);
  gint64 start;

  sv_fake_reader_add_reader (fake, READER0);
  sv_reader_monitor_set_poll_interval (monitor, 60000);
  g_assert_true (sv_reader_monitor_start (monitor, NULL));
  g_usleep (50000);
  start = g_get_monotonic_time ();
  sv_reader_monitor_stop (monitor);
  /* Cancelled, not timed out. */
  g_assert_cmpint (g_get_monotonic_time () - start, <, G_USEC_PER_SEC / 2);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sv/reader/list-and-pick", test_list_and_pick);
  g_test_add_func ("/sv/reader/monitor/events", test_monitor_events);
  g_test_add_func ("/sv/reader/monitor/events-wait-for-iteration", test_monitor_events_wait_for_iteration);
  g_test_add_func ("/sv/reader/monitor/service-restart", test_monitor_service_restart);
  g_test_add_func ("/sv/reader/monitor/stop-promptly", test_monitor_stop_promptly);

  return g_test_run ();
}
