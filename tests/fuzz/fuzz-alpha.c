/* SPDX-License-Identifier: GPL-3.0-or-later
 * Fuzz: alpha fields (TS 102.221 Annex A): decode, then re-encode what
 * decoded into a field of the same size and check it reads back. */
#include "config.h"

#include "fuzz-common.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *text = NULL;
  SvAlphaScheme scheme;
  SvAlphaFit fit;

  text = sv_alpha_decode (data, size, &scheme, NULL);
  if (text == NULL)
    return 0;

  FUZZ_CHECK (g_utf8_validate (text, -1, NULL));
  sv_alpha_measure (text, size, &fit);

  {
    gsize field_len = fit.n_bytes + (size % 4);
    g_autofree guint8 *field = g_malloc (MAX (field_len, 1));
    SvAlphaScheme s2;

    if (sv_alpha_encode (text, field, field_len, &s2, NULL))
      {
        g_autofree char *back = sv_alpha_decode (field, field_len, NULL, NULL);

        FUZZ_CHECK (fit.fits || field_len >= fit.n_bytes);
        FUZZ_CHECK (back != NULL && g_str_equal (back, text));
      }
  }

  /* the bytes as UTF-8 text for the encoder */
  {
    g_autofree char *s = g_strndup ((const char *) data, size);
    guint8 field[32];

    if (g_utf8_validate (s, -1, NULL))
      {
        sv_alpha_measure (s, sizeof field, &fit);
        if (sv_alpha_encode (s, field, sizeof field, NULL, NULL))
          {
            g_autofree char *back = sv_alpha_decode (field, sizeof field, NULL, NULL);

            FUZZ_CHECK (fit.fits);
            FUZZ_CHECK (back != NULL && g_str_equal (back, s));
          }
      }
  }

  return 0;
}
