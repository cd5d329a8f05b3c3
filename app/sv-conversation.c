/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The messages exchanged with one number, oldest first, as the messages
 * page shows them.
 */
#define G_LOG_DOMAIN "sv-conversation"

#include "config.h"

#include <string.h>

#include "sv-conversation.h"

struct _SvConversation
{
  GObject    parent_instance;
  char      *number;
  GPtrArray *messages;
  char      *search_text;
  guint      n_unread;
};

G_DEFINE_FINAL_TYPE (SvConversation, sv_conversation, G_TYPE_OBJECT)

static void
sv_conversation_finalize (GObject *object)
{
  SvConversation *self = SV_CONVERSATION (object);

  g_clear_pointer (&self->number, g_free);
  g_clear_pointer (&self->messages, g_ptr_array_unref);
  g_clear_pointer (&self->search_text, g_free);

  G_OBJECT_CLASS (sv_conversation_parent_class)->finalize (object);
}

static void
sv_conversation_class_init (SvConversationClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = sv_conversation_finalize;
}

static void
sv_conversation_init (SvConversation *self)
{
  self->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_message_unref);
}

/* Messages without a time stamp (SMS-SUBMIT has none) keep card order:
 * the record index. */
static int
compare_messages (gconstpointer a,
                  gconstpointer b)
{
  SvMessage *ma = *(SvMessage **) a;
  SvMessage *mb = *(SvMessage **) b;
  GDateTime *ta = sv_message_get_timestamp (ma);
  GDateTime *tb = sv_message_get_timestamp (mb);

  if (ta != NULL && tb != NULL && g_date_time_compare (ta, tb) != 0)
    return g_date_time_compare (ta, tb);

  return (int) sv_message_get_index (ma) - (int) sv_message_get_index (mb);
}

static int
compare_conversations (gconstpointer a,
                       gconstpointer b,
                       gpointer      user_data)
{
  SvMessage *la = sv_conversation_get_last ((SvConversation *) a);
  SvMessage *lb = sv_conversation_get_last ((SvConversation *) b);
  GDateTime *ta = sv_message_get_timestamp (la);
  GDateTime *tb = sv_message_get_timestamp (lb);

  /* Newest conversation first; undated ones after the dated ones. */
  if (ta != NULL && tb != NULL)
    return g_date_time_compare (tb, ta);
  if (ta != NULL || tb != NULL)
    return ta != NULL ? -1 : 1;
  return g_strcmp0 (((SvConversation *) a)->number, ((SvConversation *) b)->number);
}

/**
 * sv_conversation_group:
 * @messages: (element-type SvMessage): the messages of a card
 *
 * Groups messages by number (sender or recipient).
 *
 * Returns: (transfer full): a list of #SvConversation, newest first
 */
GListStore *
sv_conversation_group (GPtrArray *messages)
{
  g_autoptr(GHashTable) by_number = g_hash_table_new (g_str_hash, g_str_equal);
  GListStore *store = g_list_store_new (SV_TYPE_CONVERSATION);
  g_autoptr(GPtrArray) conversations = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; messages != NULL && i < messages->len; i++)
    {
      SvMessage *message = g_ptr_array_index (messages, i);
      const char *number = sv_message_get_number (message);
      SvConversation *conversation;

      if (sv_message_get_status (message) == SV_MESSAGE_STATUS_FREE)
        continue;
      if (number == NULL)
        number = "";

      conversation = g_hash_table_lookup (by_number, number);
      if (conversation == NULL)
        {
          conversation = g_object_new (SV_TYPE_CONVERSATION, NULL);
          conversation->number = g_strdup (number);
          g_hash_table_insert (by_number, conversation->number, conversation);
          g_ptr_array_add (conversations, conversation);
        }
      g_ptr_array_add (conversation->messages, sv_message_ref (message));
      if (sv_message_get_status (message) == SV_MESSAGE_STATUS_UNREAD)
        conversation->n_unread++;
    }

  for (guint i = 0; i < conversations->len; i++)
    {
      SvConversation *conversation = g_ptr_array_index (conversations, i);
      g_autoptr(GString) search = g_string_new (conversation->number);

      g_ptr_array_sort (conversation->messages, compare_messages);
      for (guint j = 0; j < conversation->messages->len; j++)
        {
          const char *text = sv_message_get_text (g_ptr_array_index (conversation->messages, j));

          g_string_append_c (search, '\n');
          g_string_append (search, text ? text : "");
        }
      conversation->search_text = g_utf8_casefold (search->str, -1);
      g_list_store_insert_sorted (store, conversation, compare_conversations, NULL);
    }

  return store;
}

const char *
sv_conversation_get_number (SvConversation *self)
{
  g_return_val_if_fail (SV_IS_CONVERSATION (self), NULL);

  return self->number;
}

/**
 * sv_conversation_get_messages:
 *
 * Returns: (transfer none) (element-type SvMessage): oldest first
 */
GPtrArray *
sv_conversation_get_messages (SvConversation *self)
{
  g_return_val_if_fail (SV_IS_CONVERSATION (self), NULL);

  return self->messages;
}

SvMessage *
sv_conversation_get_last (SvConversation *self)
{
  g_return_val_if_fail (SV_IS_CONVERSATION (self), NULL);
  g_return_val_if_fail (self->messages->len > 0, NULL);

  return g_ptr_array_index (self->messages, self->messages->len - 1);
}

guint
sv_conversation_get_n_unread (SvConversation *self)
{
  g_return_val_if_fail (SV_IS_CONVERSATION (self), 0);

  return self->n_unread;
}

gboolean
sv_conversation_matches (SvConversation *self,
                         const char     *folded_query)
{
  g_return_val_if_fail (SV_IS_CONVERSATION (self), FALSE);

  if (folded_query == NULL || *folded_query == '\0')
    return TRUE;

  return strstr (self->search_text, folded_query) != NULL;
}
