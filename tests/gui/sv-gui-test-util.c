/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>

#include "sv-gui-test-util.h"

SvApplication *sv_test_app;

static char *
test_db_path (void)
{
  return g_build_filename (g_get_user_data_dir (), "gui-test.db", NULL);
}

/* The windows' mirror (`$SIMVAULT_DB`), named before GTK starts any
 * thread: setenv() while other threads run can crash them. Then GTK for
 * tests, libadwaita, and the one application, registered. */
void
sv_test_init (int    *argc,
              char ***argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *db = test_db_path ();

  g_setenv ("SIMVAULT_DB", db, TRUE);
  gtk_test_init (argc, argv, NULL);
  adw_init ();

  sv_test_app = sv_application_new ();
  g_application_set_flags (G_APPLICATION (sv_test_app), G_APPLICATION_NON_UNIQUE);
  if (!g_application_register (G_APPLICATION (sv_test_app), NULL, &error))
    g_error ("Cannot register the application: %s", error->message);
}

/* Runs the main loop until @condition holds; fails the test after
 * @timeout_s seconds. */
void
sv_test_wait_for (SvTestCondition  condition,
                  gpointer         data,
                  guint            timeout_s,
                  const char      *what)
{
  gint64 deadline = g_get_monotonic_time () + timeout_s * G_USEC_PER_SEC;

  while (!condition (data))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("Timed out waiting for %s", what);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (2000);
    }
}

GtkWidget *
sv_test_find_toplevel (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      GtkWidget *window = g_list_model_get_item (toplevels, i);

      /* GTK's list of toplevels keeps its own reference. */
      g_object_unref (window);
      if (G_TYPE_CHECK_INSTANCE_TYPE (window, type) && gtk_widget_get_visible (window))
        return window;
    }

  return NULL;
}

gboolean
sv_test_has_toplevel (gpointer type)
{
  return sv_test_find_toplevel (GPOINTER_TO_SIZE (type)) != NULL;
}

gboolean
sv_test_no_toplevel (gpointer type)
{
  return sv_test_find_toplevel (GPOINTER_TO_SIZE (type)) == NULL;
}

GtkWidget *
sv_test_find_child (GtkWidget *root,
                    GType      type,
                    guint      nth)
{
  g_autoptr(GPtrArray) stack = g_ptr_array_new ();

  g_ptr_array_add (stack, root);
  while (stack->len > 0)
    {
      GtkWidget *widget = g_ptr_array_steal_index (stack, 0);

      if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type) && nth-- == 0)
        return widget;
      for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
           child = gtk_widget_get_next_sibling (child))
        g_ptr_array_add (stack, child);
    }

  return NULL;
}

SvWindow *
sv_test_open_window (void)
{
  SvWindow *window;

  g_application_activate (G_APPLICATION (sv_test_app));
  window = SV_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (sv_test_app)));
  g_assert_nonnull (window);

  return window;
}

gboolean
sv_test_card_shown (gpointer data)
{
  SvWindow *window = data;

  return !window->card_busy &&
         g_strcmp0 (gtk_stack_get_visible_child_name (window->main_stack), "card") == 0 &&
         sv_card_view_get_image (window->card_view) != NULL &&
         !sv_card_view_is_loading (window->card_view);
}

gboolean
sv_test_window_idle (gpointer data)
{
  SvWindow *window = data;

  return !window->card_busy && !sv_card_view_is_loading (window->card_view);
}

void
sv_test_close_window (SvWindow *window)
{
  gtk_window_destroy (GTK_WINDOW (window));
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* A new, empty mirror (`$SIMVAULT_DB`, set by sv_test_init()) for the
 * next window. */
void
sv_test_reset_db (void)
{
  g_autofree char *path = test_db_path ();
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  g_autofree char *shm = g_strconcat (path, "-shm", NULL);

  g_assert_cmpstr (g_getenv ("SIMVAULT_DB"), ==, path);
  g_mkdir_with_parents (g_get_user_data_dir (), 0700);
  g_unlink (path);
  g_unlink (wal);
  g_unlink (shm);
}
