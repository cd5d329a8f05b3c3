/* SPDX-License-Identifier: GPL-3.0-or-later
 * Fuzz: SMS TPDUs in every direction, with and without SMSC, EF_SMS
 * records (TS 23.040 §9.2, TS 51.011 §10.5.3); a decoded TPDU must
 * re-encode to bytes that decode to the same text. The input cut into
 * 48-byte records is reassembled: every decoded part lands in exactly one
 * message. */
#include "config.h"

#include "fuzz-common.h"

static void
check_reassembly (const uint8_t *data,
                  size_t         size)
{
  g_autoptr(GPtrArray) tpdus = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_sms_tpdu_free);
  g_autoptr(GPtrArray) messages = NULL;
  guint n_parts = 0;

  for (size_t at = 0; at < size; at += 48)
    {
      SvSmsTpdu *t = sv_sms_tpdu_decode (data + at, MIN (48, size - at), FALSE,
                                         SV_SMS_DIRECTION_AUTO, NULL);

      if (t)
        g_ptr_array_add (tpdus, t);
    }
  messages = sv_sms_reassemble ((SvSmsTpdu * const *) tpdus->pdata, tpdus->len);
  for (guint m = 0; m < messages->len; m++)
    {
      SvSmsConcat *c = g_ptr_array_index (messages, m);

      FUZZ_CHECK (c->parts->len == c->total);
      for (guint p = 0; p < c->total; p++)
        if (g_ptr_array_index (c->parts, p) != NULL)
          n_parts++;
      FUZZ_CHECK (c->complete == (c->missing->len == 0));
    }
  FUZZ_CHECK (n_parts == tpdus->len);
}

static void
check_roundtrip (const SvSmsTpdu *t,
                 gboolean         has_smsc)
{
  g_autofree guint8 *pdu = NULL;
  gsize len = 0;

  pdu = sv_sms_tpdu_encode (t, has_smsc, &len, NULL);
  if (pdu == NULL)
    return;

  {
    g_autoptr(SvSmsTpdu) back = sv_sms_tpdu_decode (pdu, len, has_smsc, SV_SMS_DIRECTION_AUTO, NULL);

    FUZZ_CHECK (back != NULL);
    FUZZ_CHECK (back->type == t->type);
    FUZZ_CHECK (g_strcmp0 (back->number, t->number) == 0);
    if (t->dcs_info.alphabet != SV_SMS_ALPHABET_8BIT)
      FUZZ_CHECK (g_strcmp0 (back->text, t->text) == 0);
  }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  static const SvSmsDirection dirs[] = {
    SV_SMS_DIRECTION_AUTO, SV_SMS_DIRECTION_MT, SV_SMS_DIRECTION_MO,
  };

  for (guint d = 0; d < G_N_ELEMENTS (dirs); d++)
    for (guint smsc = 0; smsc < 2; smsc++)
      {
        g_autoptr(SvSmsTpdu) t = sv_sms_tpdu_decode (data, size, smsc, dirs[d], NULL);

        if (t)
          {
            FUZZ_CHECK (t->text == NULL || g_utf8_validate (t->text, -1, NULL));
            FUZZ_CHECK (t->number != NULL);
            if (d == 0)
              check_roundtrip (t, smsc);
          }
      }

  {
    SvEfSmsRecord rec;

    if (sv_ef_sms_record_decode (data, size, &rec, NULL))
      {
        guint8 out[SV_EF_SMS_RECORD_LEN];

        (void) sv_ef_sms_record_encode (rec.status, rec.tpdu, out, sizeof out, NULL);
        sv_ef_sms_record_clear (&rec);
      }
  }

  check_reassembly (data, size);
  return 0;
}
