/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Hex text in and out: the one converter of the project, for the CLI, the
 * virtual card, the fake reader and the tests.
 */
#define G_LOG_DOMAIN "sv-codec"

#include "config.h"

#include "sv-codec-error.h"
#include "sv-hex.h"

static gboolean
is_separator (char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ':';
}

/**
 * sv_hex_decode:
 * @text: hex digits, upper or lower case
 * @flags: #SV_HEX_SEPARATORS to allow "0x" and separators between bytes
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the bytes, or %NULL with %SV_CODEC_ERROR_INVALID
 *   naming the first character that is not a hex digit, or an odd count
 */
GBytes *
sv_hex_decode (const char  *text,
               SvHexFlags   flags,
               GError     **error)
{
  g_autoptr(GByteArray) out = g_byte_array_new ();
  gsize i = 0;
  gint high = -1;

  g_return_val_if_fail (text != NULL, NULL);

  if ((flags & SV_HEX_SEPARATORS) && text[0] == '0' && (text[1] == 'x' || text[1] == 'X'))
    i = 2;

  for (; text[i] != '\0'; i++)
    {
      gint v = g_ascii_xdigit_value (text[i]);

      if (v < 0 && (flags & SV_HEX_SEPARATORS) && high < 0 && is_separator (text[i]))
        continue;
      if (v < 0)
        {
          g_set_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_INVALID,
                       "at character %" G_GSIZE_FORMAT ": '%c' is not a hex digit",
                       i, g_ascii_isprint (text[i]) ? text[i] : '?');
          return NULL;
        }
      if (high < 0)
        high = v;
      else
        {
          guint8 b = (guint8) (high << 4 | v);

          g_byte_array_append (out, &b, 1);
          high = -1;
        }
    }

  if (high >= 0)
    {
      g_set_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_INVALID,
                   "at character %" G_GSIZE_FORMAT ": odd number of hex digits", i);
      return NULL;
    }

  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

/**
 * sv_hex_to_bytes:
 * @hex: a hex literal written by a programmer (a test script, a fake
 *   card); separators are allowed
 *
 * sv_hex_decode() for literals: bad hex is a programmer error.
 *
 * Returns: (transfer full): the bytes; %NULL, with a critical warning,
 *   when @hex is not hex
 */
GBytes *
sv_hex_to_bytes (const char *hex)
{
  g_autoptr(GError) error = NULL;
  GBytes *bytes = sv_hex_decode (hex, SV_HEX_SEPARATORS, &error);

  if (bytes == NULL)
    g_critical ("“%s” is not hex: %s", hex, error->message);
  return bytes;
}

/**
 * sv_bytes_to_hex:
 * @data: (array length=len): bytes
 * @len: how many
 *
 * Returns: (transfer full): upper-case hex, two digits a byte, no separator
 */
char *
sv_bytes_to_hex (const guint8 *data,
                 gsize         len)
{
  static const char digits[] = "0123456789ABCDEF";
  char *out;

  g_return_val_if_fail (data != NULL || len == 0, NULL);

  out = g_malloc (len * 2 + 1);
  for (gsize i = 0; i < len; i++)
    {
      out[2 * i] = digits[data[i] >> 4];
      out[2 * i + 1] = digits[data[i] & 0x0F];
    }
  out[len * 2] = '\0';
  return out;
}

/**
 * sv_gbytes_to_hex:
 * @bytes: (nullable): bytes
 *
 * Returns: (transfer full) (nullable): sv_bytes_to_hex() of @bytes;
 *   %NULL for %NULL
 */
char *
sv_gbytes_to_hex (GBytes *bytes)
{
  gsize len;
  const guint8 *data;

  if (bytes == NULL)
    return NULL;
  data = g_bytes_get_data (bytes, &len);
  return sv_bytes_to_hex (data, len);
}
