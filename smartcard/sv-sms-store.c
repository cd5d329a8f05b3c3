/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The short messages of a card image: EF_SMS (TS 51.011 §10.5.3, TS
 * 31.102 §4.2.25), the one place that knows its rules.
 *
 * A record is one status byte, then the SMSC address and the TPDU, then
 * 'FF' padding (176 bytes).
 *
 * The free-record rule: a record is free when bit b1 of its status byte is
 * 0, whatever the rest of the record holds (TS 51.011 §10.5.3, "X X 0 free
 * space"), or when every byte of it is 'FF'. The second half is not in the
 * status-byte table: an all-'FF' record is the erased state that card
 * personalisation, some handsets' delete and sv_card_image_add_file()
 * leave behind. Read by the letter it would be status '111' "to be sent"
 * with the RFU bits b8-b6 set and no TPDU at all; it holds nothing, so
 * treating it as free loses nothing, and listing it would show every
 * erased record as an undecodable message (Android skips such records
 * too: they do not parse). A used record whose TPDU does not decode is
 * still listed, as an undecodable message the user can see, back up and
 * delete. A record is freed by writing status '00' and 'FF' after it.
 *
 * Records become messages through the codec's one grouping rule,
 * sv_sms_reassemble(): the parts of a concatenated message (TS 23.040
 * §9.2.3.24.1/.8) share type, address, reference and part count.
 */
#define G_LOG_DOMAIN "sv-sms-store"

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "sv-gsm7.h"
#include "sv-sms.h"
#include "sv-sms-store.h"

G_DEFINE_QUARK (sv-sms-store-error-quark, sv_sms_store_error)

#define SMS_KEY "sms"

/* TS 23.038 §6.1.2.1 and TS 23.040 §9.2.3.24.1: 160 septets or 70 UCS2
 * characters in one message; with the 6-octet concatenation header
 * (UDHL + IEI 00), 153 septets or 67 UCS2 characters per part. An 8-bit
 * reference allows 255 parts. */
#define GSM7_SINGLE 160
#define GSM7_PART   153
#define UCS2_SINGLE 70
#define UCS2_PART   67
#define MAX_PARTS   255

/**
 * sv_sms_record_is_free:
 * @record: (nullable): an EF_SMS record
 *
 * The free-record rule (TS 51.011 §10.5.3): bit b1 of the status byte is
 * 0, whatever the rest holds; or the record is erased, all 'FF' (see the
 * top of this file). A missing or empty record is free: there is nothing
 * in it.
 *
 * Returns: %TRUE when @record is free
 */
gboolean
sv_sms_record_is_free (GBytes *record)
{
  gsize len = 0;
  const guint8 *data = record ? g_bytes_get_data (record, &len) : NULL;

  if (len == 0 || (data[0] & 0x01) == 0)
    return TRUE;
  for (gsize i = 0; i < len; i++)
    if (data[i] != 0xFF)
      return FALSE;
  return TRUE;
}

/**
 * sv_sms_record_new_free:
 * @len: the record length (176)
 *
 * Returns: (transfer full): a free EF_SMS record: status '00', then 'FF'
 *   (TS 51.011 §10.5.3)
 */
GBytes *
sv_sms_record_new_free (gsize len)
{
  guint8 *data = g_malloc (MAX (len, 1));

  memset (data, 0xFF, len);
  if (len > 0)
    data[0] = SV_EF_SMS_FREE;
  return g_bytes_new_take (data, len);
}

/**
 * sv_sms_store_status_from_raw:
 * @raw: an EF_SMS status byte
 *
 * Returns: the status b3-b1 give (TS 51.011 §10.5.3: 001 read, 011 to be
 *   read, 101 sent, 111 to be sent); b1 = 0 is free
 */
SvMessageStatus
sv_sms_store_status_from_raw (guint8 raw)
{
  if ((raw & 0x01) == 0)
    return SV_MESSAGE_STATUS_FREE;

  switch (raw & 0x07)
    {
    case SV_EF_SMS_READ:
      return SV_MESSAGE_STATUS_READ;
    case SV_EF_SMS_TO_BE_READ:
      return SV_MESSAGE_STATUS_UNREAD;
    case SV_EF_SMS_SENT:
      return SV_MESSAGE_STATUS_SENT;
    default:
      return SV_MESSAGE_STATUS_UNSENT;
    }
}

/**
 * sv_sms_store_status_to_raw:
 * @status: a message status
 *
 * Returns: the status byte for @status (TS 51.011 §10.5.3), with the
 *   status report bits b5-b4 of a sent message at 00 (not requested)
 */
guint8
sv_sms_store_status_to_raw (SvMessageStatus status)
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

/**
 * sv_sms_store_count_used:
 * @image: a card image
 *
 * Returns: the EF_SMS records in use, by sv_sms_record_is_free()
 */
guint
sv_sms_store_count_used (SvCardImage *image)
{
  guint used = 0;

  g_return_val_if_fail (SV_IS_CARD_IMAGE (image), 0);

  for (guint i = 1; i <= sv_card_image_get_sms_capacity (image); i++)
    if (!sv_sms_record_is_free (sv_card_image_get_record (image, SMS_KEY, i)))
      used++;
  return used;
}

/* Decoding */

static SvMessageType
message_type_from_sms (SvSmsType type)
{
  switch (type)
    {
    case SV_SMS_TYPE_SUBMIT:
    case SV_SMS_TYPE_COMMAND:
      return SV_MESSAGE_TYPE_SUBMIT;
    case SV_SMS_TYPE_STATUS_REPORT:
      return SV_MESSAGE_TYPE_STATUS_REPORT;
    case SV_SMS_TYPE_DELIVER:
    case SV_SMS_TYPE_DELIVER_REPORT:
    case SV_SMS_TYPE_SUBMIT_REPORT:
    default:
      return SV_MESSAGE_TYPE_DELIVER;
    }
}

/* The used records that decode: TPDUs and, in the same order, their
 * record numbers and status bytes. */
typedef struct
{
  GPtrArray *tpdus;             /* SvSmsTpdu, owned */
  GArray    *records;           /* guint */
  GArray    *status_bytes;      /* guint8 */
} DecodedRecords;

static guint
position_of (DecodedRecords  *decoded,
             const SvSmsTpdu *tpdu)
{
  guint pos = 0;

  g_ptr_array_find (decoded->tpdus, tpdu, &pos);
  return pos;
}

/* One message of the concatenated (or single) group @concat. */
static SvMessage *
message_from_concat (DecodedRecords    *decoded,
                     const SvSmsConcat *concat,
                     guint             *first_record)
{
  g_autofree guint *indices = g_new0 (guint, concat->total);
  const SvSmsTpdu *lead = NULL;
  guint8 status_byte = 0;

  *first_record = G_MAXUINT;
  for (guint p = 0; p < concat->total; p++)
    {
      const SvSmsTpdu *part = g_ptr_array_index (concat->parts, p);
      guint pos;

      if (part == NULL)
        continue;
      pos = position_of (decoded, part);
      indices[p] = g_array_index (decoded->records, guint, pos);
      *first_record = MIN (*first_record, indices[p]);
      if (lead == NULL)
        {
          /* Status and time stamp are those of the lowest part present. */
          lead = part;
          status_byte = g_array_index (decoded->status_bytes, guint8, pos);
        }
    }

  return sv_message_new (sv_sms_store_status_from_raw (status_byte),
                         message_type_from_sms (lead->type),
                         concat->number ? concat->number : "", lead->timestamp,
                         concat->text, indices, concat->total);
}

typedef struct
{
  guint      first_record;
  SvMessage *message;
} Ordered;

static gint
ordered_compare (gconstpointer a,
                 gconstpointer b)
{
  const Ordered *x = a;
  const Ordered *y = b;

  return (x->first_record > y->first_record) - (x->first_record < y->first_record);
}

/**
 * sv_sms_store_decode:
 * @image: a card image
 * @error: return location for a #GError
 *
 * Every used EF_SMS record ("sms") as messages, ordered by the lowest
 * record of each. The parts of a concatenated message are grouped by
 * sv_sms_reassemble() wherever they are on the card, in part order; a
 * missing part gets record 0 and adds no text; a part stored twice
 * becomes a second message, so no record is ever hidden. Status and time
 * stamp are the lowest part's. A used record whose content does not decode
 * (or whose alphabet has no text) is kept as a message made with
 * sv_message_new_undecodable(): raw status, empty text, and
 * sv_message_get_decode_error() set.
 *
 * Returns: (transfer container) (element-type SvMessage): the messages;
 *   empty when the image has no "sms"
 */
GPtrArray *
sv_sms_store_decode (SvCardImage  *image,
                     GError      **error)
{
  DecodedRecords decoded;
  g_autoptr(GArray) ordered = g_array_new (FALSE, FALSE, sizeof (Ordered));
  g_autoptr(GPtrArray) concats = NULL;
  GPtrArray *messages;

  g_return_val_if_fail (SV_IS_CARD_IMAGE (image), NULL);

  decoded.tpdus = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_sms_tpdu_free);
  decoded.records = g_array_new (FALSE, FALSE, sizeof (guint));
  decoded.status_bytes = g_array_new (FALSE, FALSE, sizeof (guint8));

  for (guint i = 1; i <= sv_card_image_get_sms_capacity (image); i++)
    {
      GBytes *bytes = sv_card_image_get_record (image, SMS_KEY, i);
      g_autoptr(GError) local_error = NULL;
      SvEfSmsRecord rec = { 0, };
      const guint8 *data;
      gsize len;

      if (sv_sms_record_is_free (bytes))
        continue;
      data = g_bytes_get_data (bytes, &len);

      if (!sv_ef_sms_record_decode (data, len, &rec, &local_error) || rec.tpdu == NULL ||
          rec.tpdu->text == NULL)
        {
          Ordered entry = { i, NULL };

          entry.message = sv_message_new_undecodable (
              i, data[0],
              local_error ? local_error->message :
              rec.tpdu && rec.tpdu->text_error ? rec.tpdu->text_error : "the record holds no message");
          g_array_append_val (ordered, entry);
          sv_ef_sms_record_clear (&rec);
          continue;
        }

      g_ptr_array_add (decoded.tpdus, g_steal_pointer (&rec.tpdu));
      g_array_append_val (decoded.records, i);
      g_array_append_val (decoded.status_bytes, data[0]);
      sv_ef_sms_record_clear (&rec);
    }

  concats = sv_sms_reassemble ((SvSmsTpdu * const *) decoded.tpdus->pdata, decoded.tpdus->len);
  for (guint c = 0; c < concats->len; c++)
    {
      Ordered entry;

      entry.message = message_from_concat (&decoded, g_ptr_array_index (concats, c),
                                           &entry.first_record);
      g_array_append_val (ordered, entry);
    }
  g_array_sort (ordered, ordered_compare);

  messages = g_ptr_array_new_full (ordered->len, (GDestroyNotify) sv_message_unref);
  for (guint m = 0; m < ordered->len; m++)
    g_ptr_array_add (messages, g_array_index (ordered, Ordered, m).message);

  g_clear_pointer (&concats, g_ptr_array_unref);
  g_ptr_array_unref (decoded.tpdus);
  g_array_unref (decoded.records);
  g_array_unref (decoded.status_bytes);
  return messages;
}

/* Writing */

/* UTF-16 code units of @c: a character beyond the BMP takes two. */
static guint
unit_cost (gunichar c,
           gboolean ucs2)
{
  guint8 septets[2];

  if (ucs2)
    return c > 0xFFFF ? 2 : 1;
  return sv_gsm7_char_septets (c, septets);
}

/**
 * sv_sms_store_split_text:
 * @text: UTF-8
 * @ucs2: (out): whether the parts need UCS2 (the text is not all GSM 7-bit)
 *
 * Splits @text into the parts of a message (TS 23.038 §6.1.2.1, TS 23.040
 * §9.2.3.24.1: 160 septets or 70 UCS2 characters alone, 153 or 67 a part),
 * never inside an escape pair of the GSM 7-bit extension table nor inside
 * a UTF-16 surrogate pair.
 *
 * Returns: (transfer full) (element-type utf8): one part for a text that
 *   fits one message, else the parts of a concatenated message
 */
GPtrArray *
sv_sms_store_split_text (const char *text,
                         gboolean   *ucs2)
{
  GPtrArray *parts = g_ptr_array_new_with_free_func (g_free);
  guint single, per_part, total = 0, used = 0;
  const char *start = text;

  g_return_val_if_fail (text != NULL && ucs2 != NULL, parts);

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

static SvCardFile *
lookup_sms_file (SvCardImage  *image,
                 GError      **error)
{
  SvCardFile *file = sv_card_image_lookup (image, SMS_KEY);

  if (file == NULL || file->record_len == 0)
    g_set_error_literal (error, SV_SMS_STORE_ERROR, SV_SMS_STORE_ERROR_NO_FILE,
                         _("This card has no message file (EF_SMS)"));
  return file;
}

/**
 * sv_sms_store_add:
 * @image: a card image
 * @status: read or unread (received: stored as SMS-DELIVER with a time
 *   stamp) or sent or unsent (stored as SMS-SUBMIT)
 * @number: the sender or the recipient
 * @text: the text; longer than one message, it becomes a concatenated one
 *   with a random 8-bit reference
 * @timestamp: (nullable): when a received message arrived; %NULL for now
 * @records: (out) (optional) (element-type guint): the records used, in
 *   part order
 * @error: return location for a #GError
 *
 * Stores a message in the first free EF_SMS records of @image.
 *
 * Returns: %TRUE on success; %SV_SMS_STORE_ERROR_DOES_NOT_FIT when there
 *   are too few free records, and @image is unchanged
 */
gboolean
sv_sms_store_add (SvCardImage      *image,
                  SvMessageStatus   status,
                  const char       *number,
                  const char       *text,
                  GDateTime        *timestamp,
                  GArray          **records,
                  GError          **error)
{
  SvCardFile *file;
  g_autoptr(GPtrArray) parts = NULL;
  g_autoptr(GArray) free_records = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr(GPtrArray) encoded = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  gboolean ucs2, received;
  guint8 ref = g_random_int_range (0, 256);

  g_return_val_if_fail (SV_IS_CARD_IMAGE (image), FALSE);
  g_return_val_if_fail (number != NULL && text != NULL, FALSE);

  if (status == SV_MESSAGE_STATUS_FREE || *text == '\0')
    {
      g_set_error_literal (error, SV_SMS_STORE_ERROR, SV_SMS_STORE_ERROR_INVALID,
                           _("A message needs a text and a status other than free"));
      return FALSE;
    }
  file = lookup_sms_file (image, error);
  if (file == NULL)
    return FALSE;

  parts = sv_sms_store_split_text (text, &ucs2);
  for (guint i = 1; i <= file->records->len && free_records->len < parts->len; i++)
    if (sv_sms_record_is_free (sv_card_image_get_record (image, SMS_KEY, i)))
      g_array_append_val (free_records, i);
  if (parts->len > MAX_PARTS || free_records->len < parts->len)
    {
      g_set_error (error, SV_SMS_STORE_ERROR, SV_SMS_STORE_ERROR_DOES_NOT_FIT,
                   _("The message needs %u message records, and %u are free on this card"),
                   parts->len, free_records->len);
      return FALSE;
    }

  /* Encode every part before changing a record: all or nothing. */
  received = status == SV_MESSAGE_STATUS_READ || status == SV_MESSAGE_STATUS_UNREAD;
  for (guint i = 0; i < parts->len; i++)
    {
      g_autoptr(SvSmsTpdu) tpdu = sv_sms_tpdu_new ();
      g_autofree guint8 *record = g_malloc (file->record_len);

      tpdu->type = received ? SV_SMS_TYPE_DELIVER : SV_SMS_TYPE_SUBMIT;
      tpdu->number = g_strdup (number);
      tpdu->dcs = ucs2 ? 0x08 : 0x00;              /* TS 23.038 §4 */
      tpdu->text = g_strdup (g_ptr_array_index (parts, i));
      if (received)
        tpdu->timestamp = timestamp != NULL ? g_date_time_ref (timestamp)
                                            : g_date_time_new_now_local ();
      if (parts->len > 1)
        {
          tpdu->concat = TRUE;
          tpdu->concat_ref = ref;
          tpdu->concat_total = parts->len;
          tpdu->concat_seq = i + 1;
        }

      if (!sv_ef_sms_record_encode (sv_sms_store_status_to_raw (status), tpdu,
                                    record, file->record_len, error))
        return FALSE;
      g_ptr_array_add (encoded, g_bytes_new_take (g_steal_pointer (&record), file->record_len));
    }

  for (guint i = 0; i < encoded->len; i++)
    if (!sv_card_image_set_record (image, SMS_KEY, g_array_index (free_records, guint, i),
                                   g_ptr_array_index (encoded, i), error))
      return FALSE;

  if (records != NULL)
    *records = g_steal_pointer (&free_records);
  return TRUE;
}

/**
 * sv_sms_store_set_status:
 * @image: a card image
 * @indices: (element-type guint): EF_SMS records, e.g. every part of the
 *   messages of a conversation
 * @status: %SV_MESSAGE_STATUS_FREE to delete them, or read or unread to
 *   mark the received ones
 * @n_changed: (out) (optional): how many records changed
 * @error: return location for a #GError
 *
 * Deletes records (status '00', 'FF' after it) or marks received messages
 * read ('01') or unread ('03'). A record that is free already, and a sent
 * message asked to become read or unread, stay as they are.
 *
 * Returns: %TRUE on success; %SV_SMS_STORE_ERROR_NO_SUCH_RECORD for a
 *   record number the file does not have
 */
gboolean
sv_sms_store_set_status (SvCardImage      *image,
                         GArray           *indices,
                         SvMessageStatus   status,
                         guint            *n_changed,
                         GError          **error)
{
  guint changed = 0;

  g_return_val_if_fail (SV_IS_CARD_IMAGE (image), FALSE);
  g_return_val_if_fail (indices != NULL, FALSE);
  g_return_val_if_fail (status == SV_MESSAGE_STATUS_FREE || status == SV_MESSAGE_STATUS_READ ||
                        status == SV_MESSAGE_STATUS_UNREAD, FALSE);

  if (n_changed)
    *n_changed = 0;
  if (lookup_sms_file (image, error) == NULL)
    return FALSE;

  for (guint i = 0; i < indices->len; i++)
    {
      guint index = g_array_index (indices, guint, i);
      GBytes *old = index > 0 ? sv_card_image_get_record (image, SMS_KEY, index) : NULL;
      g_autoptr(GBytes) bytes = NULL;
      guint8 *record;
      gsize len;

      if (old == NULL || g_bytes_get_size (old) == 0)
        {
          g_set_error (error, SV_SMS_STORE_ERROR, SV_SMS_STORE_ERROR_NO_SUCH_RECORD,
                       _("This card has no message record %u"), index);
          return FALSE;
        }
      if (sv_sms_record_is_free (old))
        continue;

      if (status == SV_MESSAGE_STATUS_FREE)
        bytes = sv_sms_record_new_free (g_bytes_get_size (old));
      else
        {
          record = g_bytes_unref_to_data (g_bytes_ref (old), &len);
          /* Only a received message is read or unread. */
          if ((record[0] & 0x07) == SV_EF_SMS_READ || (record[0] & 0x07) == SV_EF_SMS_TO_BE_READ)
            record[0] = sv_sms_store_status_to_raw (status);
          bytes = g_bytes_new_take (record, len);
        }

      if (g_bytes_equal (bytes, old))
        continue;
      if (!sv_card_image_set_record (image, SMS_KEY, index, bytes, error))
        return FALSE;
      changed++;
    }

  if (n_changed)
    *n_changed = changed;
  return TRUE;
}
