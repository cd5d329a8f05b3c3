/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Preferences, bound straight to GSettings: nothing to save.
 */
#define G_LOG_DOMAIN "sv-preferences-window"

#include "config.h"

#include "sv-preferences-window.h"

struct _SvPreferencesWindow
{
  AdwPreferencesWindow  parent_instance;

  GtkSwitch            *auto_read_switch;
  GtkSwitch            *auto_backup_switch;
  AdwComboRow          *style_row;
  AdwActionRow         *records_row;
  AdwActionRow         *hours_row;
  GtkSpinButton        *records_spin;
  GtkSpinButton        *hours_spin;
};

G_DEFINE_FINAL_TYPE (SvPreferencesWindow, sv_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

/* The combo row's positions, in the order of the .ui file. */
static const char *style_variants[] = { "default", "light", "dark" };

static gboolean
style_to_position (GValue   *value,
                   GVariant *variant,
                   gpointer  user_data)
{
  const char *style = g_variant_get_string (variant, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (style_variants); i++)
    if (g_str_equal (style, style_variants[i]))
      {
        g_value_set_uint (value, i);
        return TRUE;
      }

  return FALSE;
}

static GVariant *
position_to_style (const GValue       *value,
                   const GVariantType *expected_type,
                   gpointer            user_data)
{
  guint position = g_value_get_uint (value);

  if (position >= G_N_ELEMENTS (style_variants))
    return NULL;

  return g_variant_new_string (style_variants[position]);
}

static void
sv_preferences_window_class_init (SvPreferencesWindowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PREFIX "/ui/sv-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, SvPreferencesWindow, auto_read_switch);
  gtk_widget_class_bind_template_child (widget_class, SvPreferencesWindow, auto_backup_switch);
  gtk_widget_class_bind_template_child (widget_class, SvPreferencesWindow, style_row);
  gtk_widget_class_bind_template_child (widget_class, SvPreferencesWindow, records_row);
  gtk_widget_class_bind_template_child (widget_class, SvPreferencesWindow, hours_row);
  gtk_widget_class_bind_template_child (widget_class, SvPreferencesWindow, records_spin);
  gtk_widget_class_bind_template_child (widget_class, SvPreferencesWindow, hours_spin);
}

static void
sv_preferences_window_init (SvPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
sv_preferences_window_new (GtkWindow *parent,
                           GSettings *settings)
{
  SvPreferencesWindow *self = g_object_new (SV_TYPE_PREFERENCES_WINDOW,
                                            "transient-for", parent,
                                            NULL);

  g_settings_bind (settings, "auto-read", self->auto_read_switch, "active", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "auto-backup", self->auto_backup_switch, "active", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind_with_mapping (settings, "style-variant", self->style_row, "selected",
                                G_SETTINGS_BIND_DEFAULT, style_to_position, position_to_style,
                                NULL, NULL);
  /* Automatic backup: off by default (shop machines are shared); the
   * thresholds only matter when it is on. */
  g_settings_bind (settings, "auto-backup-changes", gtk_spin_button_get_adjustment (self->records_spin),
                   "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "auto-backup-hours", gtk_spin_button_get_adjustment (self->hours_spin),
                   "value", G_SETTINGS_BIND_DEFAULT);
  g_object_bind_property (self->auto_backup_switch, "active", self->records_row, "sensitive",
                          G_BINDING_SYNC_CREATE);
  g_object_bind_property (self->auto_backup_switch, "active", self->hours_row, "sensitive",
                          G_BINDING_SYNC_CREATE);

  return GTK_WIDGET (self);
}
