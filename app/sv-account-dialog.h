/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "sv-register-operation.h"

G_BEGIN_DECLS

#define SV_TYPE_ACCOUNT_DIALOG (sv_account_dialog_get_type ())

G_DECLARE_FINAL_TYPE (SvAccountDialog, sv_account_dialog, SV, ACCOUNT_DIALOG, AdwWindow)

GtkWidget  *sv_account_dialog_new         (GtkWindow   *parent,
                                           const char  *db_path,
                                           const char  *iccid,
                                           const char  *server,
                                           const char  *phone);
void        sv_account_dialog_set_fields  (SvAccountDialog *self,
                                           const char  *server,
                                           const char  *phone,
                                           const char  *password);
void        sv_account_dialog_submit      (SvAccountDialog *self);
gboolean    sv_account_dialog_is_busy     (SvAccountDialog *self);
const char *sv_account_dialog_get_error   (SvAccountDialog *self);

G_END_DECLS
