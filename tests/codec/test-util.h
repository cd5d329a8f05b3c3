/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Helpers shared by the codec tests: hex literals in and out, through the
 * codec's own hex helper (sv-hex.h).
 */
#pragma once

#include <glib.h>

#include "sv-hex.h"

G_BEGIN_DECLS

/* @hex: a literal, spaces allowed between bytes; asserts it is hex. */
static inline guint8 *
test_hex (const char *hex,
          gsize      *len_out)
{
  g_autoptr(GError) error = NULL;
  GBytes *bytes = sv_hex_decode (hex, SV_HEX_SEPARATORS, &error);

  g_assert_no_error (error);
  return g_bytes_unref_to_data (bytes, len_out);
}

static inline char *
test_to_hex (const guint8 *data,
             gsize         len)
{
  return sv_bytes_to_hex (data, len);
}

G_END_DECLS
