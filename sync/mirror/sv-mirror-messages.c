/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Short messages in a card's mirror: adding one, deleting and marking one
 * or several, each as one undoable edit. What goes in the EF_SMS records
 * is the card model's (sv-sms-store.c); the mirror only versions bytes.
 */
#define G_LOG_DOMAIN "sv-mirror"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "sv-mirror-messages.h"
#include "sv-sms-store.h"

typedef struct
{
  SvMessageStatus  status;
  const char      *number;
  const char      *text;
  GDateTime       *timestamp;
  GArray          *records;
} AddMessage;

static gboolean
add_message_cb (SvCardImage  *working,
                gpointer      user_data,
                char        **detail,
                GError      **error)
{
  AddMessage *add = user_data;

  g_clear_pointer (&add->records, g_array_unref);
  if (!sv_sms_store_add (working, add->status, add->number, add->text, add->timestamp,
                         &add->records, error))
    return FALSE;
  *detail = g_strdup_printf ("added a message for %s in %u record(s) from %u",
                             add->number, add->records->len,
                             g_array_index (add->records, guint, 0));
  return TRUE;
}

/**
 * sv_mirror_add_message:
 * @status: read or unread (received, stored as SMS-DELIVER) or sent or
 *   unsent (stored as SMS-SUBMIT)
 * @number: the sender or the recipient
 * @text: the text; longer than one message, it becomes a concatenated one
 * @timestamp: (nullable): when a received message arrived; %NULL for now
 * @records: (out) (optional) (element-type guint): the records used
 *
 * Stores a message in the first free EF_SMS records of the card's mirror,
 * as one undoable edit; the next write puts it on the card.
 */
gboolean
sv_mirror_add_message (SvMirror         *self,
                       const char       *iccid,
                       SvMessageStatus   status,
                       const char       *number,
                       const char       *text,
                       GDateTime        *timestamp,
                       GArray          **records,
                       GError          **error)
{
  AddMessage add = { status, number, text, timestamp, NULL };
  gboolean ok;

  g_return_val_if_fail (SV_IS_MIRROR (self), FALSE);
  g_return_val_if_fail (number != NULL && text != NULL, FALSE);

  ok = sv_mirror_edit (self, iccid, SV_HISTORY_EDIT, add_message_cb, &add, error);
  if (ok && records != NULL)
    *records = g_steal_pointer (&add.records);
  g_clear_pointer (&add.records, g_array_unref);
  return ok;
}

typedef struct
{
  GArray          *indices;
  SvMessageStatus  status;
  gboolean         must_be_used; /* a free record is "no message", an error */
} UpdateMessages;

static gboolean
update_messages_cb (SvCardImage  *working,
                    gpointer      user_data,
                    char        **detail,
                    GError      **error)
{
  UpdateMessages *update = user_data;
  guint n_changed = 0;

  for (guint i = 0; update->must_be_used && i < update->indices->len; i++)
    {
      guint index = g_array_index (update->indices, guint, i);

      if (sv_sms_record_is_free (sv_card_image_get_record (working, "sms", index)))
        {
          g_set_error (error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_NOT_FOUND,
                       _("There is no message in record %u"), index);
          return FALSE;
        }
    }

  if (!sv_sms_store_set_status (working, update->indices, update->status, &n_changed, error))
    return FALSE;
  *detail = g_strdup_printf ("%s %u message record(s)",
                             update->status == SV_MESSAGE_STATUS_FREE ? "deleted" : "marked",
                             n_changed);
  return TRUE;
}

/**
 * sv_mirror_update_messages:
 * @indices: (element-type guint): EF_SMS records, e.g. every part of the
 *   messages of a conversation
 * @status: %SV_MESSAGE_STATUS_FREE to delete them, or read/unread to mark
 *   the received ones
 *
 * Deletes or marks several message records as one undoable edit; records
 * that are free already are left alone (sv_sms_store_set_status()).
 */
gboolean
sv_mirror_update_messages (SvMirror         *self,
                           const char       *iccid,
                           GArray           *indices,
                           SvMessageStatus   status,
                           GError          **error)
{
  UpdateMessages update = { indices, status, FALSE };

  g_return_val_if_fail (SV_IS_MIRROR (self), FALSE);
  g_return_val_if_fail (indices != NULL, FALSE);
  g_return_val_if_fail (status == SV_MESSAGE_STATUS_FREE || status == SV_MESSAGE_STATUS_READ ||
                        status == SV_MESSAGE_STATUS_UNREAD, FALSE);

  return sv_mirror_edit (self, iccid, SV_HISTORY_EDIT, update_messages_cb, &update, error);
}

static gboolean
update_one_message (SvMirror         *self,
                    const char       *iccid,
                    guint             index,
                    SvMessageStatus   status,
                    GError          **error)
{
  g_autoptr(GArray) indices = g_array_new (FALSE, FALSE, sizeof (guint));
  UpdateMessages update = { indices, status, TRUE };

  g_array_append_val (indices, index);
  return sv_mirror_edit (self, iccid, SV_HISTORY_EDIT, update_messages_cb, &update, error);
}

/**
 * sv_mirror_set_message_status:
 * @status: %SV_MESSAGE_STATUS_READ or %SV_MESSAGE_STATUS_UNREAD (only a
 *   received message has these; a sent one keeps its status)
 *
 * Marks the message in record @index, as one undoable edit.
 */
gboolean
sv_mirror_set_message_status (SvMirror        *self,
                              const char      *iccid,
                              guint            index,
                              SvMessageStatus  status,
                              GError         **error)
{
  g_return_val_if_fail (SV_IS_MIRROR (self), FALSE);

  if (status != SV_MESSAGE_STATUS_READ && status != SV_MESSAGE_STATUS_UNREAD)
    {
      g_set_error_literal (error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_INVALID,
                           _("Only a received message can be marked read or unread"));
      return FALSE;
    }
  return update_one_message (self, iccid, index, status, error);
}

/**
 * sv_mirror_delete_message:
 * @index: a record of the message; delete every part of a concatenated
 *   message with one call per record, or all at once with
 *   sv_mirror_update_messages()
 *
 * Frees record @index, as one undoable edit; a free record is
 * %SV_MIRROR_ERROR_NOT_FOUND.
 */
gboolean
sv_mirror_delete_message (SvMirror    *self,
                          const char  *iccid,
                          guint        index,
                          GError     **error)
{
  g_return_val_if_fail (SV_IS_MIRROR (self), FALSE);
  return update_one_message (self, iccid, index, SV_MESSAGE_STATUS_FREE, error);
}
