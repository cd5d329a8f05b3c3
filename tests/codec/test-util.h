/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Helpers shared by the codec tests: hex in and out.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

static inline guint8 *
test_hex (const char *hex,
          gsize      *len_out)
{
  gsize n = 0;
  guint8 *out = g_malloc (strlen (hex) / 2 + 1);

  for (const char *p = hex; *p; )
    {
      if (*p == ' ')
        {
          p++;
          continue;
        }
      g_assert_true (g_ascii_isxdigit (p[0]) && g_ascii_isxdigit (p[1]));
      out[n++] = (g_ascii_xdigit_value (p[0]) << 4) | g_ascii_xdigit_value (p[1]);
      p += 2;
    }
  *len_out = n;
  return out;
}

static inline char *
test_to_hex (const guint8 *data,
             gsize         len)
{
  GString *s = g_string_new (NULL);

  for (gsize i = 0; i < len; i++)
    g_string_append_printf (s, "%02X", data[i]);
  return g_string_free (s, FALSE);
}

G_END_DECLS
