/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What sv-restore-desk.c and sv-restore-desk-steps.c share.
 */
#pragma once

#include "sv-card-session.h"
#include "sv-restore-desk.h"
#include "sv-server-restore-operation.h"

G_BEGIN_DECLS

struct _SvRestoreDesk
{
  AdwWindow             parent_instance;

  AdwToastOverlay      *toast_overlay;
  AdwWindowTitle       *window_title;
  GtkStack             *stack;
  AdwEntryRow          *server_row;
  AdwEntryRow          *staff_row;
  AdwPasswordEntryRow  *staff_password_row;
  AdwEntryRow          *phone_row;
  AdwEntryRow          *code_row;
  AdwPasswordEntryRow  *customer_password_row;
  AdwPreferencesGroup  *cards_group;
  AdwStatusPage        *insert_page;
  AdwActionRow         *fits_row;
  AdwActionRow         *reencoded_row;
  AdwActionRow         *shortened_row;
  AdwActionRow         *nofit_row;
  AdwActionRow         *messages_row;
  AdwActionRow         *accept_row;
  GtkCheckButton       *accept_check;
  AdwPreferencesGroup  *entries_group;
  AdwStatusPage        *write_page;
  GtkProgressBar       *write_progress;
  AdwPreferencesGroup  *receipt_group;

  SvWindow             *window;
  SvSyncClient         *client;
  char                 *server;
  char                 *staff;
  char                 *phone;
  GPtrArray            *card_iccids;
  GPtrArray            *card_rows;
  GtkWidget            *first_radio;
  char                 *source_iccid;
  char                 *target_iccid;
  char                 *target_reader;
  SvServerRestoreResult *preview;
  guint                 counts[4];
  SvReceipt            *receipt;
  GPtrArray            *extra_rows;      /* rows added to groups, removed on reset */
  SvProgress           *progress;
  GCancellable         *cancellable;
  SvCardSession        *session;
  guint                 poll_id;
  char                 *error;
  gboolean              busy;
};

const char *sv_restore_desk_text_of          (gpointer        editable);
void        sv_restore_desk_fail             (SvRestoreDesk  *self,
                                              const GError   *error);
void        sv_restore_desk_update_actions   (SvRestoreDesk  *self);
void        sv_restore_desk_set_busy         (SvRestoreDesk  *self,
                                              gboolean        busy);
void        sv_restore_desk_show_step        (SvRestoreDesk  *self,
                                              const char     *step);
gboolean    sv_restore_desk_poll_target_cb   (gpointer        data);
void        sv_restore_desk_progress_cb      (SvRestoreDesk  *self);
void        sv_restore_desk_sign_out         (SvRestoreDesk  *self);
void        sv_restore_desk_class_steps_init (GtkWidgetClass *widget_class);

G_END_DECLS
