/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "sv-application.h"

G_BEGIN_DECLS

#define SV_TYPE_WINDOW (sv_window_get_type ())

G_DECLARE_FINAL_TYPE (SvWindow, sv_window, SV, WINDOW, AdwApplicationWindow)

SvWindow   *sv_window_new          (SvApplication *application,
                                    const char    *db_path);
const char *sv_window_get_db_path  (SvWindow      *self);
void        sv_window_add_toast    (SvWindow      *self,
                                    AdwToast      *toast);

G_END_DECLS
