/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Short messages on the card: EF_SMS records (TS 51.011 §10.5.3, TS 31.102
 * §4.2.25) and the one grouping rule for concatenated messages (TS 23.040
 * §9.2.3.24.1, .8). See sv-sms.c for the rest of sv-sms.h; the card
 * model's use of them is smartcard/sv-sms-store.c.
 */
#define G_LOG_DOMAIN "sv-codec"

#include "config.h"

#include <string.h>

#include "sv-codec-error.h"
#include "sv-sms.h"
#include "sv-sms-private.h"

/**
 * sv_ef_sms_record_clear:
 * @rec: a record
 *
 * Frees the TPDU of @rec.
 */
void
sv_ef_sms_record_clear (SvEfSmsRecord *rec)
{
  g_return_if_fail (rec != NULL);

  g_clear_pointer (&rec->tpdu, sv_sms_tpdu_free);
}

/**
 * sv_ef_sms_record_decode:
 * @data: the record (176 bytes on real cards)
 * @len: its length
 * @out: (out caller-allocates): the record; clear with sv_ef_sms_record_clear()
 * @error: return location for a #GError
 *
 * Decodes an EF_SMS record (TS 51.011 §10.5.3, TS 31.102 §4.2.25): the
 * status byte, then the SMSC address (TS 24.011 RP address) and the TPDU,
 * then 0xFF padding. A free record (bit 1 of the status clear) has no
 * TPDU. Received messages are SMS-DELIVER, sent ones SMS-SUBMIT, as the
 * TP-MTI says. Errors give offsets within the record.
 *
 * Returns: %TRUE on success
 */
gboolean
sv_ef_sms_record_decode (const guint8   *data,
                         gsize           len,
                         SvEfSmsRecord  *out,
                         GError        **error)
{
  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  memset (out, 0, sizeof *out);

  if (len < 1)
    {
      g_set_error_literal (error, SV_CODEC_ERROR, SV_CODEC_ERROR_TRUNCATED,
                           "at byte 0: an EF_SMS record needs a status byte");
      return FALSE;
    }

  out->status_byte = data[0];
  out->status = (data[0] & 0x01) ? (data[0] & 0x07) : SV_EF_SMS_FREE;
  out->status_report = out->status == SV_EF_SMS_SENT ? (data[0] >> 3) & 0x03 : 0;

  if (out->status == SV_EF_SMS_FREE)
    return TRUE;

  out->tpdu = sv_sms_tpdu_decode_at (data + 1, len - 1, 1, TRUE, SV_SMS_DIRECTION_AUTO, error);
  if (out->tpdu == NULL)
    return FALSE;

  return TRUE;
}

/**
 * sv_ef_sms_record_encode:
 * @status: the record status
 * @tpdu: (nullable): the message, with its SMSC; %NULL for a free record
 * @out: (out caller-allocates): the record
 * @len: its length (176)
 * @error: return location for a #GError
 *
 * Encodes an EF_SMS record (TS 51.011 §10.5.3): status, SMSC address,
 * TPDU, 0xFF padding. A sent message's status report bits are zero.
 *
 * Returns: %TRUE on success; %SV_CODEC_ERROR_TOO_LONG if it does not fit
 */
gboolean
sv_ef_sms_record_encode (SvEfSmsStatus     status,
                         const SvSmsTpdu  *tpdu,
                         guint8           *out,
                         gsize             len,
                         GError          **error)
{
  g_autofree guint8 *pdu = NULL;
  gsize pdu_len = 0;

  g_return_val_if_fail (out != NULL, FALSE);

  if (len < 1)
    {
      g_set_error_literal (error, SV_CODEC_ERROR, SV_CODEC_ERROR_TOO_LONG,
                           "an EF_SMS record needs at least a status byte");
      return FALSE;
    }

  memset (out, 0xFF, len);
  if (status == SV_EF_SMS_FREE || tpdu == NULL)
    {
      out[0] = 0x00;
      return TRUE;
    }

  pdu = sv_sms_tpdu_encode (tpdu, TRUE, &pdu_len, error);
  if (pdu == NULL)
    return FALSE;
  if (pdu_len > len - 1)
    {
      g_set_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_TOO_LONG,
                   "message of %" G_GSIZE_FORMAT " bytes does not fit a %" G_GSIZE_FORMAT "-byte record",
                   pdu_len, len);
      return FALSE;
    }

  out[0] = status;
  memcpy (out + 1, pdu, pdu_len);
  return TRUE;
}

/**
 * sv_sms_concat_free:
 * @concat: a reassembled message
 */
void
sv_sms_concat_free (SvSmsConcat *concat)
{
  if (concat == NULL)
    return;
  g_free (concat->number);
  g_clear_pointer (&concat->parts, g_ptr_array_unref);
  g_clear_pointer (&concat->missing, g_array_unref);
  g_free (concat->text);
  g_free (concat);
}

/* The key of a concatenated message (TS 23.040 §9.2.3.24.1, .8): address,
 * type, reference size, reference and part count; then the sequence. */
static gint
concat_cmp (gconstpointer a,
            gconstpointer b)
{
  const SvSmsTpdu *x = *(SvSmsTpdu * const *) a;
  const SvSmsTpdu *y = *(SvSmsTpdu * const *) b;
  gint c;

  c = g_strcmp0 (x->number, y->number);
  if (c != 0)
    return c;
  if (x->concat != y->concat)
    return x->concat ? 1 : -1;
  if (!x->concat)
    return 0;
  if (x->type != y->type)
    return x->type < y->type ? -1 : 1;
  if (x->concat_16bit != y->concat_16bit)
    return x->concat_16bit ? 1 : -1;
  if (x->concat_ref != y->concat_ref)
    return x->concat_ref < y->concat_ref ? -1 : 1;
  if (x->concat_total != y->concat_total)
    return x->concat_total < y->concat_total ? -1 : 1;
  return (gint) x->concat_seq - (gint) y->concat_seq;
}

static gboolean
same_concat_key (const SvSmsTpdu *x,
                 const SvSmsTpdu *y)
{
  return g_strcmp0 (x->number, y->number) == 0 && x->type == y->type &&
         x->concat_16bit == y->concat_16bit && x->concat_ref == y->concat_ref &&
         x->concat_total == y->concat_total;
}

static SvSmsConcat *
concat_new (const SvSmsTpdu *first,
            gboolean         part)
{
  SvSmsConcat *c = g_new0 (SvSmsConcat, 1);

  c->number = g_strdup (first->number);
  c->ref = part ? first->concat_ref : 0;
  c->total = part ? first->concat_total : 1;
  c->parts = g_ptr_array_new ();
  g_ptr_array_set_size (c->parts, c->total);
  c->missing = g_array_new (FALSE, FALSE, sizeof (guint));
  return c;
}

static void
concat_finish (SvSmsConcat *c)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < c->total; i++)
    {
      const SvSmsTpdu *part = g_ptr_array_index (c->parts, i);

      if (part == NULL)
        {
          guint seq = i + 1;

          g_array_append_val (c->missing, seq);
        }
      else if (part->text)
        g_string_append (text, part->text);
    }
  c->complete = c->missing->len == 0;
  c->text = g_string_free (text, FALSE);
}

/**
 * sv_sms_reassemble:
 * @tpdus: (array length=n_tpdus): decoded messages, in any order
 * @n_tpdus: how many
 *
 * Groups the parts of concatenated messages (TS 23.040 §9.2.3.24.1 and
 * §9.2.3.24.8) by sender/recipient, TPDU type, reference (8 or 16 bits)
 * and part count, puts them in sequence order, reports missing sequence
 * numbers and joins the text. Messages without a concatenation element
 * come out as single-part groups. A part whose place is taken already (the
 * same part stored twice) goes to the next group of the same key with that
 * place free, or starts one: no part is dropped, and of two copies the one
 * given first is in the first group.
 *
 * Returns: (transfer full) (element-type SvSmsConcat): one entry per
 *   message, parts borrowed from @tpdus
 */
GPtrArray *
sv_sms_reassemble (SvSmsTpdu * const *tpdus,
                   guint              n_tpdus)
{
  g_autoptr(GPtrArray) sorted = g_ptr_array_new ();
  GPtrArray *result = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_sms_concat_free);
  const SvSmsTpdu *prev = NULL;
  gboolean prev_part = FALSE;
  guint key_start = 0;          /* the first group of the current key */

  g_return_val_if_fail (tpdus != NULL || n_tpdus == 0, result);

  for (guint i = 0; i < n_tpdus; i++)
    if (tpdus[i] != NULL)
      g_ptr_array_add (sorted, tpdus[i]);
  /* g_ptr_array_sort is a stable merge sort: duplicates keep their order */
  g_ptr_array_sort (sorted, concat_cmp);

  for (guint i = 0; i < sorted->len; i++)
    {
      SvSmsTpdu *t = g_ptr_array_index (sorted, i);
      /* The decoder never sets a sequence outside 1..total, but a TPDU
       * built by hand might: such a part is a message of its own. */
      gboolean part = t->concat && t->concat_seq >= 1 && t->concat_seq <= t->concat_total;
      SvSmsConcat *group = NULL;

      if (!(prev != NULL && prev_part && part && same_concat_key (prev, t)))
        key_start = result->len;
      else
        for (guint g = key_start; g < result->len && group == NULL; g++)
          {
            SvSmsConcat *c = g_ptr_array_index (result, g);

            if (g_ptr_array_index (c->parts, t->concat_seq - 1) == NULL)
              group = c;
          }

      if (group == NULL)
        {
          group = concat_new (t, part);
          g_ptr_array_add (result, group);
        }
      g_ptr_array_index (group->parts, part ? t->concat_seq - 1 : 0) = t;

      prev = t;
      prev_part = part;
    }
  for (guint g = 0; g < result->len; g++)
    concat_finish (g_ptr_array_index (result, g));

  return result;
}
