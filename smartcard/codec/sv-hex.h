/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * SvHexFlags:
 * @SV_HEX_STRICT: hex digits only, an even number of them
 * @SV_HEX_SEPARATORS: also allow a leading "0x" and spaces, tabs, line
 *   breaks and colons between bytes ("3F 00", "3F:00"), as people type
 *   and logs print them
 */
typedef enum
{
  SV_HEX_STRICT     = 0,
  SV_HEX_SEPARATORS = 1 << 0,
} SvHexFlags;

GBytes *sv_hex_decode    (const char    *text,
                          SvHexFlags     flags,
                          GError       **error);
GBytes *sv_hex_to_bytes  (const char    *hex);
char   *sv_bytes_to_hex  (const guint8  *data,
                          gsize          len);
char   *sv_gbytes_to_hex (GBytes        *bytes);

G_END_DECLS
