/* SPDX-License-Identifier: GPL-3.0-or-later
 * Fuzz: dialling numbers, ADN records and EXT1 chains (TS 51.011 §10.5.1,
 * §10.5.10). The input is split into an ADN record and EF_EXT1 records. */
#include "config.h"

#include "fuzz-common.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  SvAdnRecord rec;
  g_autofree char *number = NULL;
  gsize adn_len;

  if (size < 1)
    return 0;

  number = sv_dialling_number_decode (data, size, NULL, NULL);
  FUZZ_CHECK (number != NULL);

  adn_len = MIN ((gsize) data[0] % 40 + 14, size - 1);
  data++;
  size--;
  (void) sv_adn_record_is_empty (data, adn_len);

  if (sv_adn_record_decode (data, adn_len, &rec, NULL))
    {
      gsize n_ext = (size - adn_len) / 13;
      g_autofree SvExt1Record *ext = g_new0 (SvExt1Record, MAX (n_ext, 1));
      g_autofree char *joined = NULL;
      g_autoptr(GPtrArray) chunks = NULL;
      g_autofree guint8 *out = g_malloc (adn_len);

      for (gsize i = 0; i < n_ext; i++)
        if (!sv_ext1_record_decode (data + adn_len + i * 13, 13, &ext[i], NULL))
          memset (&ext[i], 0xFF, sizeof ext[i]);
      joined = sv_adn_number_join_ext1_array (&rec, ext, n_ext, NULL);

      /* re-encode: what decoded must encode and decode to the same */
      if (sv_adn_record_encode (&rec, out, adn_len, &chunks, NULL))
        {
          SvAdnRecord back;

          FUZZ_CHECK (sv_adn_record_decode (out, adn_len, &back, NULL));
          FUZZ_CHECK (g_str_equal (back.alpha, rec.alpha));
          if (chunks == NULL)
            FUZZ_CHECK (g_str_equal (back.number, rec.number));
          sv_adn_record_clear (&back);
        }
      sv_adn_record_clear (&rec);
    }

  return 0;
}
