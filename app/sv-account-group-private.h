/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What sv-account-group.c and sv-account-group-actions.c share.
 */
#pragma once

#include "sv-account-group.h"

G_BEGIN_DECLS

struct _SvAccountGroup
{
  AdwPreferencesGroup  parent_instance;

  AdwActionRow        *connect_row;
  AdwActionRow        *error_row;
  AdwActionRow        *server_row;
  AdwActionRow        *account_row;
  AdwActionRow        *last_backup_row;
  AdwActionRow        *waiting_row;
  AdwActionRow        *progress_row;
  GtkProgressBar      *progress_bar;
  AdwActionRow        *conflicts_row;
  AdwActionRow        *counters_row;
  AdwActionRow        *restore_row;
  AdwActionRow        *messages_row;
  AdwActionRow        *sign_out_row;
  AdwActionRow        *deregister_row;

  char                *db_path;
  char                *iccid;
  SvSyncState         *state;
  guint                n_messages;
  char                *error;
  char                *last_toast;
  char                *progress_text;
  SvBackupResult      *last_backup;
  SvProgress          *progress;
  GCancellable        *load_cancellable;
  GCancellable        *cancellable;      /* the running backup or deregistration */
  GArray              *sms_indices;      /* the backup being started: chosen messages */
  gboolean             busy;
  gboolean             automatic;        /* the running backup started by itself */
  char                *pending_action;   /* activated once pending_iccid's state is loaded */
  char                *pending_iccid;
};

GtkWindow *sv_account_group_parent_window           (SvAccountGroup *self);
void       sv_account_group_toast                   (SvAccountGroup *self,
                                                     const char     *text);
void       sv_account_group_set_error               (SvAccountGroup *self,
                                                     const char     *text);
void       sv_account_group_reload_state            (SvAccountGroup *self);
void       sv_account_group_set_busy                (SvAccountGroup *self,
                                                     gboolean        busy);
void       sv_account_group_start_backup            (SvAccountGroup *self);
void       sv_account_group_emit_mirror_changed     (SvAccountGroup *self);
void       sv_account_group_class_actions_init      (GtkWidgetClass *widget_class);

G_END_DECLS
