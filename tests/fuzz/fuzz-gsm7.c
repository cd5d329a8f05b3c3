/* SPDX-License-Identifier: GPL-3.0-or-later
 * Fuzz: GSM 7 bit unpack/decode and pack round trip (TS 23.038 §6.1.2, §6.2.1). */
#include "config.h"

#include "fuzz-common.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree guint8 *septets = NULL;
  g_autofree char *text = NULL;
  guint fill;
  gsize n;

  if (size < 1)
    return 0;
  fill = data[0] & 0x07;
  data++;
  size--;

  /* unpacked decode: any byte string */
  text = sv_gsm7_decode_unpacked (data, size, NULL);
  g_clear_pointer (&text, g_free);

  n = size * 8 >= fill ? (size * 8 - fill) / 7 : 0;
  septets = sv_gsm7_unpack (data, size, n, fill, NULL);
  FUZZ_CHECK (septets != NULL);
  text = sv_gsm7_decode_unpacked (septets, n, NULL);
  FUZZ_CHECK (text != NULL);

  /* text -> septets -> packed -> septets -> text */
  {
    g_autofree guint8 *again = NULL;
    g_autofree guint8 *packed = NULL;
    g_autofree guint8 *unpacked = NULL;
    g_autofree char *back = NULL;
    gsize m = 0, plen = 0;

    again = sv_gsm7_encode_unpacked (text, &m, NULL);
    FUZZ_CHECK (again != NULL);
    FUZZ_CHECK ((gssize) m == sv_gsm7_septet_count (text));
    packed = sv_gsm7_pack (again, m, fill, &plen);
    unpacked = sv_gsm7_unpack (packed, plen, m, fill, NULL);
    FUZZ_CHECK (unpacked != NULL);
    back = sv_gsm7_decode_unpacked (unpacked, m, NULL);
    FUZZ_CHECK (back != NULL && g_str_equal (back, text));
  }

  /* bytes as UTF-8 input to the encoder */
  {
    g_autofree char *s = g_strndup ((const char *) data, size);
    g_autofree guint8 *enc = NULL;
    gsize m = 0;

    enc = sv_gsm7_encode_unpacked (s, &m, NULL);
    (void) sv_gsm7_can_encode (s);
  }

  return 0;
}
