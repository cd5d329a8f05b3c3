/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Starts the real application under a real display (Xvfb in the test
 * runner) and checks what the window shows.
 */
#include "config.h"

#include <adwaita.h>

#include "sv-application.h"
#include "sv-window.h"

/* The first mapped status page with @title, depth first. */
static GtkWidget *
find_status_page (GtkWidget  *root,
                  const char *title)
{
  if (ADW_IS_STATUS_PAGE (root) && gtk_widget_get_mapped (root) &&
      g_strcmp0 (adw_status_page_get_title (ADW_STATUS_PAGE (root)), title) == 0)
    return root;

  for (GtkWidget *child = gtk_widget_get_first_child (root);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_status_page (child, title);

      if (found != NULL)
        return found;
    }

  return NULL;
}

static void
wait_until_mapped (GtkWidget *widget)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (!gtk_widget_get_mapped (widget) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
}

/* One application per process: a second one could not export its D-Bus
 * object path. */
static SvApplication *app;

static void
test_window_no_card (void)
{
  GtkWindow *window;
  GtkWidget *status_page;
  GAction *quit;

  g_application_activate (G_APPLICATION (app));

  window = gtk_application_get_active_window (GTK_APPLICATION (app));
  g_assert_nonnull (window);
  g_assert_true (SV_IS_WINDOW (window));
  wait_until_mapped (GTK_WIDGET (window));
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (window)));
  g_assert_cmpstr (gtk_window_get_title (window), ==, "SimVault");

  /* An empty mirror: the window says what to do next. With the card
   * harness (readers, no card) that is to insert a card; without it, to
   * start pcscd or connect a reader, depending on the machine. */
  {
    const char *expected[] = { "Insert a SIM Card", "No Reader Found", "No Smart Card Service" };
    guint n_expected = g_getenv ("SV_VPCD_PORT") != NULL ? 1 : G_N_ELEMENTS (expected);
    gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

    status_page = NULL;
    while (status_page == NULL && g_get_monotonic_time () < deadline)
      {
        for (guint i = 0; i < n_expected && status_page == NULL; i++)
          status_page = find_status_page (GTK_WIDGET (window), expected[i]);
        g_main_context_iteration (NULL, FALSE);
      }
    g_assert_nonnull (status_page);
  }

  /* The shortcuts window comes from the resource, and Ctrl+Q quits. */
  g_assert_nonnull (gtk_application_window_get_help_overlay (GTK_APPLICATION_WINDOW (window)));
  {
    g_auto(GStrv) accels = gtk_application_get_accels_for_action (GTK_APPLICATION (app), "app.quit");
    g_assert_true (g_strv_contains ((const char * const *) accels, "<Control>q"));
  }
  g_assert_true (g_action_group_has_action (G_ACTION_GROUP (app), "about"));

  quit = g_action_map_lookup_action (G_ACTION_MAP (app), "quit");
  g_assert_nonnull (quit);
  gtk_window_destroy (window);
}

static void
test_window_narrow (void)
{
  GtkWindow *window;
  int min_width;

  g_application_activate (G_APPLICATION (app));
  window = gtk_application_get_active_window (GTK_APPLICATION (app));
  wait_until_mapped (GTK_WIDGET (window));

  /* GNOME's mobile-friendly width: the window must fit in 360 px. */
  gtk_widget_measure (GTK_WIDGET (window), GTK_ORIENTATION_HORIZONTAL, -1,
                      &min_width, NULL, NULL, NULL);
  g_assert_cmpint (min_width, <=, 360);
  gtk_window_destroy (window);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  int ret;

  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  app = sv_application_new ();
  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE);
  if (!g_application_register (G_APPLICATION (app), NULL, &error))
    g_error ("Cannot register the application: %s", error->message);

  g_test_add_func ("/sv/window/no-card", test_window_no_card);
  g_test_add_func ("/sv/window/narrow", test_window_narrow);

  ret = g_test_run ();
  g_clear_object (&app);
  return ret;
}
