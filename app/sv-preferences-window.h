/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define SV_TYPE_PREFERENCES_WINDOW (sv_preferences_window_get_type ())

G_DECLARE_FINAL_TYPE (SvPreferencesWindow, sv_preferences_window, SV, PREFERENCES_WINDOW, AdwPreferencesWindow)

GtkWidget *sv_preferences_window_new (GtkWindow *parent,
                                      GSettings *settings);

G_END_DECLS
