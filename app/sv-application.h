/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define SV_TYPE_APPLICATION (sv_application_get_type ())

G_DECLARE_FINAL_TYPE (SvApplication, sv_application, SV, APPLICATION, AdwApplication)

SvApplication *sv_application_new          (void);
GSettings     *sv_application_get_settings (SvApplication *self);

G_END_DECLS
