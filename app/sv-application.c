/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-application"

#include "config.h"

#include <glib/gi18n.h>

#include "sv-application.h"
#include "sv-preferences-window.h"
#include "sv-window.h"

struct _SvApplication
{
  AdwApplication  parent_instance;
  GSettings      *settings;
};

G_DEFINE_FINAL_TYPE (SvApplication, sv_application, ADW_TYPE_APPLICATION)

static void
apply_style_variant (SvApplication *self)
{
  AdwStyleManager *style_manager = adw_style_manager_get_default ();
  g_autofree char *variant = g_settings_get_string (self->settings, "style-variant");

  if (g_str_equal (variant, "dark"))
    adw_style_manager_set_color_scheme (style_manager, ADW_COLOR_SCHEME_FORCE_DARK);
  else if (g_str_equal (variant, "light"))
    adw_style_manager_set_color_scheme (style_manager, ADW_COLOR_SCHEME_FORCE_LIGHT);
  else
    adw_style_manager_set_color_scheme (style_manager, ADW_COLOR_SCHEME_DEFAULT);
}

static void
style_variant_changed_cb (SvApplication *self,
                          const char    *key,
                          GSettings     *settings)
{
  apply_style_variant (self);
}

static void
sv_application_about_action (GSimpleAction *action,
                             GVariant      *parameter,
                             gpointer       user_data)
{
  SvApplication *self = user_data;
  static const char *developers[] = { "The SimVault developers", NULL };

  adw_show_about_window (gtk_application_get_active_window (GTK_APPLICATION (self)),
                         "application-name", _("SimVault"),
                         "application-icon", APP_ID,
                         "developer-name", _("The SimVault developers"),
                         "version", PACKAGE_VERSION,
                         "website", PACKAGE_WEBSITE,
                         "issue-url", PACKAGE_WEBSITE "/issues",
                         "comments", _("Back up, edit and restore the contacts and messages of SIM cards."),
                         "developers", developers,
                         "copyright", "© 2026 The SimVault developers",
                         "license-type", GTK_LICENSE_GPL_3_0,
                         "translator-credits", _("translator-credits"),
                         NULL);
}

static void
sv_application_preferences_action (GSimpleAction *action,
                                   GVariant      *parameter,
                                   gpointer       user_data)
{
  SvApplication *self = user_data;
  GtkWidget *window = sv_preferences_window_new (gtk_application_get_active_window (GTK_APPLICATION (self)),
                                                 self->settings);

  gtk_window_present (GTK_WINDOW (window));
}

static void
sv_application_quit_action (GSimpleAction *action,
                            GVariant      *parameter,
                            gpointer       user_data)
{
  g_application_quit (G_APPLICATION (user_data));
}

static const GActionEntry app_actions[] = {
  { "about", sv_application_about_action },
  { "preferences", sv_application_preferences_action },
  { "quit", sv_application_quit_action },
};

static void
sv_application_activate (GApplication *app)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));

  if (window == NULL)
    window = GTK_WINDOW (sv_window_new (SV_APPLICATION (app), NULL));

  gtk_window_present (window);
}

static void
sv_application_startup (GApplication *app)
{
  SvApplication *self = SV_APPLICATION (app);
  static const char *quit_accels[] = { "<Control>q", NULL };
  static const char *preferences_accels[] = { "<Control>comma", NULL };

  G_APPLICATION_CLASS (sv_application_parent_class)->startup (app);

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions,
                                   G_N_ELEMENTS (app_actions), self);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.preferences", preferences_accels);

  self->settings = g_settings_new ("io.github.simvault.SimVault");
  g_signal_connect_object (self->settings, "changed::style-variant",
                           G_CALLBACK (style_variant_changed_cb), self, G_CONNECT_SWAPPED);
  apply_style_variant (self);
}

static void
sv_application_dispose (GObject *object)
{
  SvApplication *self = SV_APPLICATION (object);

  g_clear_object (&self->settings);

  G_OBJECT_CLASS (sv_application_parent_class)->dispose (object);
}

static void
sv_application_class_init (SvApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->dispose = sv_application_dispose;
  app_class->activate = sv_application_activate;
  app_class->startup = sv_application_startup;
}

static void
sv_application_init (SvApplication *self)
{
}

SvApplication *
sv_application_new (void)
{
  return g_object_new (SV_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_DEFAULT_FLAGS,
                       "resource-base-path", RESOURCE_PREFIX,
                       NULL);
}

/**
 * sv_application_get_settings:
 *
 * Returns: (transfer none): the application's settings; valid after
 *   startup.
 */
GSettings *
sv_application_get_settings (SvApplication *self)
{
  g_return_val_if_fail (SV_IS_APPLICATION (self), NULL);

  return self->settings;
}
