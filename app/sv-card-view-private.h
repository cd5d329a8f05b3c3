/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What sv-card-view.c and sv-card-view-actions.c share.
 */
#pragma once

#include "sv-card-view.h"

G_BEGIN_DECLS

struct _SvCardView
{
  AdwBin               parent_instance;

  AdwViewStack        *view_stack;
  AdwViewSwitcherBar  *switcher_bar;
  SvContactsPage      *contacts_page;
  SvMessagesPage      *messages_page;
  GtkLabel            *usage_label;
  AdwEntryRow         *label_row;
  AdwActionRow        *iccid_row;
  AdwActionRow        *number_row;
  AdwActionRow        *imsi_row;
  AdwActionRow        *type_row;
  AdwActionRow        *spn_row;
  AdwPreferencesGroup *capacity_group;
  AdwActionRow        *read_at_row;
  AdwActionRow        *pending_row;
  AdwExpanderRow      *history_row;
  SvAccountGroup      *account_group;
  GPtrArray           *history_rows;

  GPtrArray           *capacity_rows;
  char                *db_path;
  char                *iccid;
  SvCardImage         *image;
  GPtrArray           *contacts;
  guint                n_pending;
  GCancellable        *cancellable;
  guint                loading : 1;
};

void sv_card_view_show_toast         (SvCardView      *self,
                                      const char      *title,
                                      gboolean         with_undo);
void sv_card_view_set_loading        (SvCardView      *self,
                                      gboolean         loading);
void sv_card_view_emit_changed       (SvCardView      *self);
void sv_card_view_open_editor        (SvCardView      *self,
                                      const SvContact *contact,
                                      guint            set,
                                      guint            index,
                                      const SvContact *template);
void sv_card_view_update_messages    (SvCardView      *self,
                                      GArray          *records,
                                      SvMessageStatus  status);
void sv_card_view_save_label         (SvCardView      *self,
                                      const char      *label);
void sv_card_view_class_actions_init (GtkWidgetClass  *widget_class);

G_END_DECLS
