/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "sv-account-group.h"
#include "sv-card-image.h"
#include "sv-contacts-page.h"
#include "sv-messages-page.h"

G_BEGIN_DECLS

#define SV_TYPE_CARD_VIEW (sv_card_view_get_type ())

G_DECLARE_FINAL_TYPE (SvCardView, sv_card_view, SV, CARD_VIEW, AdwBin)

GtkWidget      *sv_card_view_new               (void);
void            sv_card_view_load              (SvCardView  *self,
                                                const char  *db_path,
                                                const char  *iccid);
void            sv_card_view_reload            (SvCardView  *self);
const char     *sv_card_view_get_iccid         (SvCardView  *self);
SvCardImage    *sv_card_view_get_image         (SvCardView  *self);
guint           sv_card_view_get_n_pending     (SvCardView  *self);
AdwViewStack   *sv_card_view_get_view_stack    (SvCardView  *self);
AdwViewSwitcherBar *sv_card_view_get_switcher_bar (SvCardView *self);
SvContactsPage *sv_card_view_get_contacts_page (SvCardView  *self);
SvMessagesPage *sv_card_view_get_messages_page (SvCardView  *self);
SvAccountGroup *sv_card_view_get_account_group (SvCardView  *self);
void            sv_card_view_add_message       (SvCardView  *self,
                                                const char  *number,
                                                const char  *text);
gboolean        sv_card_view_is_loading        (SvCardView  *self);
void            sv_card_view_store_contact     (SvCardView  *self,
                                                SvContact   *contact);

G_END_DECLS
