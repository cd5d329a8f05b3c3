/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-card"

#include "config.h"

#include "sv-hex.h"

/**
 * sv_hex_to_bytes:
 * @hex: hex digits; anything else (spaces, colons) is skipped
 *
 * Returns: (transfer full): the bytes; an odd last digit is dropped
 */
GBytes *
sv_hex_to_bytes (const char *hex)
{
  GByteArray *out = g_byte_array_new ();
  int high = -1;

  for (const char *p = hex; *p; p++)
    {
      int v = g_ascii_xdigit_value (*p);

      if (v < 0)
        continue;
      if (high < 0)
        high = v;
      else
        {
          guint8 b = (guint8) (high << 4 | v);

          g_byte_array_append (out, &b, 1);
          high = -1;
        }
    }
  return g_byte_array_free_to_bytes (out);
}

/**
 * sv_bytes_to_hex:
 *
 * Returns: (transfer full): upper-case hex, two digits a byte
 */
char *
sv_bytes_to_hex (const guint8 *data,
                 gsize         len)
{
  GString *s = g_string_sized_new (len * 2 + 1);

  for (gsize i = 0; i < len; i++)
    g_string_append_printf (s, "%02X", data[i]);
  return g_string_free (s, FALSE);
}

