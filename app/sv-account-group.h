/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "sv-backup-operation.h"

G_BEGIN_DECLS

#define SV_TYPE_ACCOUNT_GROUP (sv_account_group_get_type ())

G_DECLARE_FINAL_TYPE (SvAccountGroup, sv_account_group, SV, ACCOUNT_GROUP, AdwPreferencesGroup)

void               sv_account_group_load            (SvAccountGroup *self,
                                                     const char     *db_path,
                                                     const char     *iccid);
const SvSyncState *sv_account_group_get_state       (SvAccountGroup *self);
gboolean           sv_account_group_is_busy         (SvAccountGroup *self);
const char        *sv_account_group_get_error       (SvAccountGroup *self);
const char        *sv_account_group_get_last_toast  (SvAccountGroup *self);
SvBackupResult    *sv_account_group_get_last_backup (SvAccountGroup *self);
const char        *sv_account_group_get_progress_text (SvAccountGroup *self);
void               sv_account_group_back_up         (SvAccountGroup *self,
                                                     const guint    *sms_indices,
                                                     guint           n_sms_indices,
                                                     gboolean        automatic);
void               sv_account_group_activate_when_loaded (SvAccountGroup *self,
                                                          const char     *iccid,
                                                          const char     *action_name);

G_END_DECLS
