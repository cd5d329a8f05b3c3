/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define SV_TYPE_CONFLICTS_DIALOG (sv_conflicts_dialog_get_type ())

G_DECLARE_FINAL_TYPE (SvConflictsDialog, sv_conflicts_dialog, SV, CONFLICTS_DIALOG, AdwWindow)

GtkWidget *sv_conflicts_dialog_new          (GtkWindow         *parent,
                                             const char        *db_path,
                                             const char        *iccid);
guint      sv_conflicts_dialog_get_n_conflicts (SvConflictsDialog *self);
gboolean   sv_conflicts_dialog_is_loaded    (SvConflictsDialog *self);
char      *sv_conflicts_dialog_dup_text     (SvConflictsDialog *self,
                                             guint              nth,
                                             gboolean           server);
void       sv_conflicts_dialog_choose       (SvConflictsDialog *self,
                                             guint              nth,
                                             gboolean           server);
void       sv_conflicts_dialog_choose_all   (SvConflictsDialog *self,
                                             gboolean           server);
void       sv_conflicts_dialog_apply        (SvConflictsDialog *self);

G_END_DECLS
