/* SPDX-License-Identifier: GPL-3.0-or-later
 * Fuzz: USIM phonebook records (TS 31.102 §4.4.2). */
#include "config.h"

#include "fuzz-common.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GArray) pbr = sv_pbr_record_decode (data, size, NULL);
  g_autoptr(GArray) iap = sv_iap_record_decode (data, size);
  SvAnrRecord anr;
  SvPbTextRecord text;
  SvPbcRecord pbc;
  guint16 v16;
  guint32 v32;

  FUZZ_CHECK (iap->len == size);

  if (pbr && pbr->len > 0)
    {
      g_autofree guint8 *out = g_malloc (size);

      if (sv_pbr_record_encode (&g_array_index (pbr, SvPbrEntry, 0), pbr->len, out, size, NULL))
        {
          g_autoptr(GArray) back = sv_pbr_record_decode (out, size, NULL);

          FUZZ_CHECK (back != NULL && back->len == pbr->len);
        }
    }

  if (sv_anr_record_decode (data, size, &anr, NULL))
    {
      g_autofree guint8 *out = g_malloc (size);

      (void) sv_anr_record_encode (&anr, out, size, NULL);
      sv_anr_record_clear (&anr);
    }

  for (guint type2 = 0; type2 < 2; type2++)
    if (sv_pb_text_record_decode (data, size, type2, &text, NULL))
      {
        g_autofree guint8 *out = g_malloc (MAX (size, 1));

        if (sv_pb_text_record_encode (&text, type2, out, size, NULL))
          {
            SvPbTextRecord back;

            FUZZ_CHECK (sv_pb_text_record_decode (out, size, type2, &back, NULL));
            FUZZ_CHECK (g_str_equal (back.text, text.text));
            sv_pb_text_record_clear (&back);
          }
        sv_pb_text_record_clear (&text);
      }

  (void) sv_pbc_record_decode (data, size, &pbc, NULL);
  (void) sv_uid_record_decode (data, size, &v16, NULL);
  (void) sv_cc_decode (data, size, &v16, NULL);
  (void) sv_psc_decode (data, size, &v32, NULL);
  return 0;
}
