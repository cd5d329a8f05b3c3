/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "sv-pin.h"

G_BEGIN_DECLS

#define SV_TYPE_PIN_DIALOG (sv_pin_dialog_get_type ())

G_DECLARE_FINAL_TYPE (SvPinDialog, sv_pin_dialog, SV, PIN_DIALOG, AdwWindow)

SvPinDialog *sv_pin_dialog_new            (GtkWindow         *parent,
                                           const char        *reader_name,
                                           const SvPinStatus *status);
void         sv_pin_dialog_set_status     (SvPinDialog       *self,
                                           const SvPinStatus *status,
                                           const char        *error_text);
void         sv_pin_dialog_set_busy       (SvPinDialog       *self,
                                           gboolean           busy);
gboolean     sv_pin_dialog_is_busy        (SvPinDialog       *self);
gboolean     sv_pin_dialog_is_puk_mode    (SvPinDialog       *self);
gboolean     sv_pin_dialog_needs_confirmation (SvPinDialog   *self);

G_END_DECLS
