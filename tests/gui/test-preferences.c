/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The preferences window under a real display: its template builds and
 * the automatic backup switch is bound to the "auto-backup" setting, off
 * by default.
 */
#include "config.h"

#include <adwaita.h>

#include "sv-preferences-window.h"

/* The @n-th GtkSwitch under @root, depth first. */
static GtkWidget *
find_switch (GtkWidget *root,
             guint     *n)
{
  if (GTK_IS_SWITCH (root))
    {
      if (*n == 0)
        return root;
      (*n)--;
    }
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_switch (child, n);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static void
test_auto_backup_switch (void)
{
  g_autoptr(GSettings) settings = g_settings_new ("io.github.simvault.SimVault");
  GtkWidget *window = sv_preferences_window_new (NULL, settings);
  GtkWidget *auto_backup;
  guint n = 1;     /* the second switch: auto-read, then auto-backup */

  g_assert_false (g_settings_get_boolean (settings, "auto-backup"));
  g_assert_cmpuint (g_settings_get_uint (settings, "auto-backup-changes"), ==, 20);
  g_assert_cmpuint (g_settings_get_uint (settings, "auto-backup-hours"), ==, 24);

  auto_backup = find_switch (window, &n);
  g_assert_nonnull (auto_backup);
  g_assert_false (gtk_switch_get_active (GTK_SWITCH (auto_backup)));
  gtk_switch_set_active (GTK_SWITCH (auto_backup), TRUE);
  g_assert_true (g_settings_get_boolean (settings, "auto-backup"));
  g_settings_set_boolean (settings, "auto-backup", FALSE);
  g_assert_false (gtk_switch_get_active (GTK_SWITCH (auto_backup)));

  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int    argc,
      char **argv)
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  g_test_add_func ("/sv/preferences/auto-backup", test_auto_backup_switch);
  return g_test_run ();
}
