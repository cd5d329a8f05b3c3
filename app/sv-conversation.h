/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "sv-message.h"

G_BEGIN_DECLS

#define SV_TYPE_CONVERSATION (sv_conversation_get_type ())

G_DECLARE_FINAL_TYPE (SvConversation, sv_conversation, SV, CONVERSATION, GObject)

GListStore     *sv_conversation_group       (GPtrArray      *messages);
const char     *sv_conversation_get_number  (SvConversation *self);
GPtrArray      *sv_conversation_get_messages (SvConversation *self);
SvMessage      *sv_conversation_get_last    (SvConversation *self);
guint           sv_conversation_get_n_unread (SvConversation *self);
gboolean        sv_conversation_matches     (SvConversation *self,
                                             const char     *folded_query);

G_END_DECLS
