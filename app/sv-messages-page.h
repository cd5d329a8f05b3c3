/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define SV_TYPE_MESSAGES_PAGE (sv_messages_page_get_type ())

G_DECLARE_FINAL_TYPE (SvMessagesPage, sv_messages_page, SV, MESSAGES_PAGE, AdwBin)

GtkWidget  *sv_messages_page_new               (void);
void        sv_messages_page_set_messages      (SvMessagesPage *self,
                                                GPtrArray      *messages);
GListModel *sv_messages_page_get_conversations (SvMessagesPage *self);
void        sv_messages_page_set_query         (SvMessagesPage *self,
                                                const char     *query);
void        sv_messages_page_show_conversation (SvMessagesPage *self,
                                                guint           position);
GtkWidget  *sv_messages_page_get_thread        (SvMessagesPage *self);

G_END_DECLS
