/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

GBytes *sv_hex_to_bytes (const char   *hex);
char   *sv_bytes_to_hex (const guint8 *data,
                         gsize         len);

G_END_DECLS
