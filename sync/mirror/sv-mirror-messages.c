/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Adding short messages to a card's mirror: the text becomes one EF_SMS
 * record, or a concatenated message over several (TS 23.040 §9.2.3.24.1),
 * in the first free records, as one undoable edit.
 */
#define G_LOG_DOMAIN "sv-mirror"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "sv-codec.h"
#include "sv-mirror-messages.h"

/* TS 23.038 §6.1.2.1 and TS 23.040 §9.2.3.24.1: 160 septets or 70 UCS2
 * characters in one message; with the 6-octet concatenation header
 * (UDHL + IEI 00), 153 septets or 67 UCS2 characters per part. */
#define GSM7_SINGLE 160
#define GSM7_PART   153
#define UCS2_SINGLE 70
#define UCS2_PART   67
#define MAX_PARTS   255

/* UTF-16 code units of @c: a character beyond the BMP takes two. */
static guint
utf16_units (gunichar c)
{
  return c > 0xFFFF ? 2 : 1;
}

static guint
unit_cost (gunichar c,
           gboolean ucs2)
{
  guint8 septets[2];

  return ucs2 ? utf16_units (c) : sv_gsm7_char_septets (c, septets);
}

/**
 * sv_sms_split_text:
 * @text: UTF-8
 * @ucs2: (out): whether the parts need UCS2 (the text is not all GSM 7-bit)
 *
 * Splits @text into the parts of a message, never inside an escape pair of
 * the GSM 7-bit extension table nor inside a UTF-16 surrogate pair.
 *
 * Returns: (transfer full) (element-type utf8): one part for a text that
 *   fits one message, else the parts of a concatenated message
 */
GPtrArray *
sv_sms_split_text (const char *text,
                   gboolean   *ucs2)
{
  GPtrArray *parts = g_ptr_array_new_with_free_func (g_free);
  guint single, per_part, total = 0, used = 0;
  const char *start = text;

  *ucs2 = !sv_gsm7_can_encode (text);
  single = *ucs2 ? UCS2_SINGLE : GSM7_SINGLE;
  per_part = *ucs2 ? UCS2_PART : GSM7_PART;

  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    total += unit_cost (g_utf8_get_char (p), *ucs2);
  if (total <= single)
    {
      g_ptr_array_add (parts, g_strdup (text));
      return parts;
    }

  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      guint cost = unit_cost (g_utf8_get_char (p), *ucs2);

      if (used + cost > per_part)
        {
          g_ptr_array_add (parts, g_strndup (start, p - start));
          start = p;
          used = 0;
        }
      used += cost;
    }
  g_ptr_array_add (parts, g_strdup (start));

  return parts;
}

typedef struct
{
  SvMessageStatus  status;
  const char      *number;
  const char      *text;
  GDateTime       *timestamp;
  GArray          *records;
} AddMessage;

static SvEfSmsStatus
ef_sms_status (SvMessageStatus status)
{
  switch (status)
    {
    case SV_MESSAGE_STATUS_READ:
      return SV_EF_SMS_READ;
    case SV_MESSAGE_STATUS_UNREAD:
      return SV_EF_SMS_TO_BE_READ;
    case SV_MESSAGE_STATUS_SENT:
      return SV_EF_SMS_SENT;
    case SV_MESSAGE_STATUS_UNSENT:
      return SV_EF_SMS_TO_BE_SENT;
    case SV_MESSAGE_STATUS_FREE:
    default:
      return SV_EF_SMS_FREE;
    }
}

static gboolean
add_message_cb (SvCardImage  *working,
                gpointer      user_data,
                char        **detail,
                GError      **error)
{
  AddMessage *add = user_data;
  SvCardFile *file = sv_card_image_lookup (working, "sms");
  g_autoptr(GPtrArray) parts = NULL;
  g_autoptr(GArray) free_records = g_array_new (FALSE, FALSE, sizeof (guint));
  gboolean ucs2, received;
  guint8 ref = g_random_int_range (0, 256);

  if (file == NULL)
    {
      g_set_error_literal (error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_DOES_NOT_FIT,
                           _("This card has no message file (EF_SMS)"));
      return FALSE;
    }

  parts = sv_sms_split_text (add->text, &ucs2);
  for (guint i = 1; i <= file->n_records && free_records->len < parts->len; i++)
    {
      GBytes *record = sv_card_image_get_record (working, "sms", i);
      const guint8 *data = g_bytes_get_data (record, NULL);

      /* TS 51.011 §10.5.3: bit 1 of the status byte clear = free. */
      if ((data[0] & 0x01) == 0)
        g_array_append_val (free_records, i);
    }
  if (parts->len > MAX_PARTS || free_records->len < parts->len)
    {
      g_set_error (error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_DOES_NOT_FIT,
                   _("The message needs %u message records, and %u are free on this card"),
                   parts->len, free_records->len);
      return FALSE;
    }

  received = add->status == SV_MESSAGE_STATUS_READ || add->status == SV_MESSAGE_STATUS_UNREAD;
  for (guint i = 0; i < parts->len; i++)
    {
      g_autoptr(SvSmsTpdu) tpdu = sv_sms_tpdu_new ();
      g_autoptr(GBytes) bytes = NULL;
      guint8 record[SV_EF_SMS_RECORD_LEN];
      guint index = g_array_index (free_records, guint, i);

      tpdu->type = received ? SV_SMS_TYPE_DELIVER : SV_SMS_TYPE_SUBMIT;
      tpdu->number = g_strdup (add->number);
      tpdu->dcs = ucs2 ? 0x08 : 0x00;              /* TS 23.038 §4 */
      tpdu->text = g_strdup (g_ptr_array_index (parts, i));
      if (received)
        tpdu->timestamp = add->timestamp != NULL ? g_date_time_ref (add->timestamp)
                                                 : g_date_time_new_now_local ();
      if (parts->len > 1)
        {
          tpdu->concat = TRUE;
          tpdu->concat_ref = ref;
          tpdu->concat_total = parts->len;
          tpdu->concat_seq = i + 1;
        }

      if (!sv_ef_sms_record_encode (ef_sms_status (add->status), tpdu, record, sizeof record, error))
        return FALSE;
      bytes = g_bytes_new (record, sizeof record);
      if (!sv_card_image_set_record (working, "sms", index, bytes, error))
        return FALSE;
      g_array_append_val (add->records, index);
    }

  *detail = g_strdup_printf ("added a message for %s in %u record(s) from %u",
                             add->number, parts->len, g_array_index (free_records, guint, 0));
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
  g_autoptr(GArray) used = g_array_new (FALSE, FALSE, sizeof (guint));
  AddMessage add = { status, number, text, timestamp, used };

  g_return_val_if_fail (SV_IS_MIRROR (self), FALSE);
  g_return_val_if_fail (number != NULL && text != NULL, FALSE);

  if (status == SV_MESSAGE_STATUS_FREE || *text == '\0')
    {
      g_set_error_literal (error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_INVALID,
                           _("A message needs a text and a status other than free"));
      return FALSE;
    }

  if (!sv_mirror_edit (self, iccid, SV_HISTORY_EDIT, add_message_cb, &add, error))
    return FALSE;

  if (records != NULL)
    *records = g_steal_pointer (&used);
  return TRUE;
}

typedef struct
{
  GArray          *indices;
  SvMessageStatus  status;
} UpdateMessages;

static gboolean
update_messages_cb (SvCardImage  *working,
                    gpointer      user_data,
                    char        **detail,
                    GError      **error)
{
  UpdateMessages *update = user_data;
  guint n_changed = 0;

  for (guint i = 0; i < update->indices->len; i++)
    {
      guint index = g_array_index (update->indices, guint, i);
      GBytes *old = sv_card_image_get_record (working, "sms", index);
      g_autoptr(GBytes) bytes = NULL;
      guint8 record[SV_EF_SMS_RECORD_LEN];
      gsize len;
      const guint8 *data;

      if (old == NULL || (data = g_bytes_get_data (old, &len)) == NULL || len != sizeof record)
        {
          g_set_error (error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_NOT_FOUND,
                       _("This card has no message record %u"), index);
          return FALSE;
        }
      if ((data[0] & 0x01) == 0)
        continue;                             /* already free */

      memcpy (record, data, sizeof record);
      if (update->status == SV_MESSAGE_STATUS_FREE)
        {
          /* TS 51.011 §10.5.3: a free record is status 00, the rest FF. */
          record[0] = 0x00;
          memset (record + 1, 0xFF, sizeof record - 1);
        }
      else if ((record[0] & 0x07) == SV_EF_SMS_READ || (record[0] & 0x07) == SV_EF_SMS_TO_BE_READ)
        {
          /* Only a received message changes between read and unread. */
          record[0] = update->status == SV_MESSAGE_STATUS_UNREAD ? SV_EF_SMS_TO_BE_READ : SV_EF_SMS_READ;
        }
      else
        continue;

      bytes = g_bytes_new (record, sizeof record);
      if (!g_bytes_equal (bytes, old))
        {
          if (!sv_card_image_set_record (working, "sms", index, bytes, error))
            return FALSE;
          n_changed++;
        }
    }

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
 * Deletes or marks several message records as one undoable edit.
 */
gboolean
sv_mirror_update_messages (SvMirror         *self,
                           const char       *iccid,
                           GArray           *indices,
                           SvMessageStatus   status,
                           GError          **error)
{
  UpdateMessages update = { indices, status };

  g_return_val_if_fail (SV_IS_MIRROR (self), FALSE);
  g_return_val_if_fail (indices != NULL, FALSE);
  g_return_val_if_fail (status == SV_MESSAGE_STATUS_FREE || status == SV_MESSAGE_STATUS_READ ||
                        status == SV_MESSAGE_STATUS_UNREAD, FALSE);

  return sv_mirror_edit (self, iccid, SV_HISTORY_EDIT, update_messages_cb, &update, error);
}
