/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-message"

#include "config.h"

#include <string.h>

#include "sv-message.h"
#include "sv-sms-store.h"

struct _SvMessage
{
  gatomicrefcount  ref_count;
  SvMessageStatus  status;
  SvMessageType    type;
  guint8           raw_status;
  char            *number;
  GDateTime       *timestamp;
  char            *text;
  guint           *record_indices;
  guint            n_parts;
  char            *decode_error;
};

G_DEFINE_BOXED_TYPE (SvMessage, sv_message, sv_message_ref, sv_message_unref)

/**
 * sv_message_new:
 * @status: the EF_SMS status
 * @type: the TPDU type
 * @number: (nullable): originator (deliver) or recipient (submit) address
 * @timestamp: (nullable): the service centre time stamp (deliver only)
 * @text: (nullable): the user data as text
 * @record_indices: (array length=n_parts): EF_SMS record numbers in part
 *   order, 0 for a missing part
 * @n_parts: number of parts, at least 1
 *
 * Returns: (transfer full): a new message
 */
SvMessage *
sv_message_new (SvMessageStatus  status,
                SvMessageType    type,
                const char      *number,
                GDateTime       *timestamp,
                const char      *text,
                const guint     *record_indices,
                guint            n_parts)
{
  SvMessage *self;

  g_return_val_if_fail (n_parts > 0, NULL);
  g_return_val_if_fail (record_indices != NULL, NULL);

  self = g_new0 (SvMessage, 1);
  g_atomic_ref_count_init (&self->ref_count);
  self->status = status;
  self->type = type;
  self->raw_status = sv_sms_store_status_to_raw (status);
  self->number = g_strdup (number ? number : "");
  self->timestamp = timestamp ? g_date_time_ref (timestamp) : NULL;
  self->text = g_strdup (text ? text : "");
  self->record_indices = g_memdup2 (record_indices, n_parts * sizeof (guint));
  self->n_parts = n_parts;

  return self;
}

/**
 * sv_message_new_undecodable:
 * @index: the EF_SMS record number
 * @raw_status: the record's status byte
 * @decode_error: why the record did not decode
 *
 * A message standing for a used EF_SMS record whose content could not be
 * decoded: one part, empty text and number, no time stamp, type DELIVER.
 *
 * Returns: (transfer full): a new message
 */
SvMessage *
sv_message_new_undecodable (guint       index,
                            guint8      raw_status,
                            const char *decode_error)
{
  SvMessage *self;

  g_return_val_if_fail (decode_error != NULL, NULL);

  self = sv_message_new (sv_sms_store_status_from_raw (raw_status), SV_MESSAGE_TYPE_DELIVER,
                         NULL, NULL, NULL, &index, 1);
  self->raw_status = raw_status;
  self->decode_error = g_strdup (decode_error);

  return self;
}

SvMessage *
sv_message_ref (SvMessage *message)
{
  g_return_val_if_fail (message != NULL, NULL);

  g_atomic_ref_count_inc (&message->ref_count);
  return message;
}

void
sv_message_unref (SvMessage *message)
{
  g_return_if_fail (message != NULL);

  if (!g_atomic_ref_count_dec (&message->ref_count))
    return;

  g_free (message->number);
  g_clear_pointer (&message->timestamp, g_date_time_unref);
  g_free (message->text);
  g_free (message->record_indices);
  g_free (message->decode_error);
  g_free (message);
}

/**
 * sv_message_get_index:
 * @message: a message
 *
 * Returns: the first (lowest part number) EF_SMS record that holds a part
 */
guint
sv_message_get_index (const SvMessage *message)
{
  g_return_val_if_fail (message != NULL, 0);

  for (guint i = 0; i < message->n_parts; i++)
    if (message->record_indices[i] != 0)
      return message->record_indices[i];

  return 0;
}

SvMessageStatus
sv_message_get_status (const SvMessage *message)
{
  g_return_val_if_fail (message != NULL, SV_MESSAGE_STATUS_FREE);

  return message->status;
}

SvMessageType
sv_message_get_message_type (const SvMessage *message)
{
  g_return_val_if_fail (message != NULL, SV_MESSAGE_TYPE_DELIVER);

  return message->type;
}

const char *
sv_message_get_number (const SvMessage *message)
{
  g_return_val_if_fail (message != NULL, NULL);

  return message->number;
}

/**
 * sv_message_get_timestamp:
 * @message: a message
 *
 * Returns: (transfer none) (nullable): the service centre time stamp
 */
GDateTime *
sv_message_get_timestamp (const SvMessage *message)
{
  g_return_val_if_fail (message != NULL, NULL);

  return message->timestamp;
}

const char *
sv_message_get_text (const SvMessage *message)
{
  g_return_val_if_fail (message != NULL, NULL);

  return message->text;
}

guint
sv_message_get_n_parts (const SvMessage *message)
{
  g_return_val_if_fail (message != NULL, 0);

  return message->n_parts;
}

/**
 * sv_message_get_record_indices:
 * @message: a message
 *
 * Returns: (array length=n_parts): sv_message_get_n_parts() record numbers
 */
const guint *
sv_message_get_record_indices (const SvMessage *message)
{
  g_return_val_if_fail (message != NULL, NULL);

  return message->record_indices;
}

guint
sv_message_get_n_missing (const SvMessage *message)
{
  guint n_missing = 0;

  g_return_val_if_fail (message != NULL, 0);

  for (guint i = 0; i < message->n_parts; i++)
    if (message->record_indices[i] == 0)
      n_missing++;

  return n_missing;
}

/**
 * sv_message_get_decode_error:
 * @message: a message
 *
 * Returns: (nullable): why the record did not decode, or %NULL for a
 *   message that decoded
 */
const char *
sv_message_get_decode_error (const SvMessage *message)
{
  g_return_val_if_fail (message != NULL, NULL);

  return message->decode_error;
}

/**
 * sv_message_get_raw_status:
 * @message: a message
 *
 * Returns: the EF_SMS status byte (TS 51.011 §10.5.3): the record's for an
 *   undecodable message, otherwise the canonical byte for the status
 */
guint8
sv_message_get_raw_status (const SvMessage *message)
{
  g_return_val_if_fail (message != NULL, 0);

  return message->raw_status;
}

gboolean
sv_message_equal (const SvMessage *a,
                  const SvMessage *b)
{
  if (a == b)
    return TRUE;
  if (a == NULL || b == NULL)
    return FALSE;

  if (a->status != b->status || a->type != b->type || a->raw_status != b->raw_status ||
      a->n_parts != b->n_parts ||
      g_strcmp0 (a->number, b->number) != 0 ||
      g_strcmp0 (a->text, b->text) != 0 ||
      g_strcmp0 (a->decode_error, b->decode_error) != 0 ||
      memcmp (a->record_indices, b->record_indices, a->n_parts * sizeof (guint)) != 0)
    return FALSE;

  if ((a->timestamp == NULL) != (b->timestamp == NULL))
    return FALSE;

  return a->timestamp == NULL || g_date_time_equal (a->timestamp, b->timestamp);
}

const char *
sv_message_status_to_string (SvMessageStatus status)
{
  switch (status)
    {
    case SV_MESSAGE_STATUS_FREE:
      return "free";
    case SV_MESSAGE_STATUS_READ:
      return "read";
    case SV_MESSAGE_STATUS_UNREAD:
      return "unread";
    case SV_MESSAGE_STATUS_SENT:
      return "sent";
    case SV_MESSAGE_STATUS_UNSENT:
      return "unsent";
    default:
      return "unknown";
    }
}

const char *
sv_message_type_to_string (SvMessageType type)
{
  switch (type)
    {
    case SV_MESSAGE_TYPE_DELIVER:
      return "deliver";
    case SV_MESSAGE_TYPE_SUBMIT:
      return "submit";
    case SV_MESSAGE_TYPE_STATUS_REPORT:
      return "status-report";
    default:
      return "unknown";
    }
}
