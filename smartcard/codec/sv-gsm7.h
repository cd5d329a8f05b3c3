/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The escape septet that selects the extension table (TS 23.038 §6.2.1.1). */
#define SV_GSM7_ESCAPE 0x1B

char     *sv_gsm7_decode_unpacked (const guint8  *septets,
                                   gsize          len,
                                   GError       **error);
guint8   *sv_gsm7_encode_unpacked (const char    *utf8,
                                   gsize         *len_out,
                                   GError       **error);
guint8   *sv_gsm7_pack            (const guint8  *septets,
                                   gsize          n_septets,
                                   guint          fill_bits,
                                   gsize         *len_out);
guint8   *sv_gsm7_unpack          (const guint8  *data,
                                   gsize          len,
                                   gsize          n_septets,
                                   guint          fill_bits,
                                   GError       **error);
gsize     sv_gsm7_packed_length   (gsize          n_septets,
                                   guint          fill_bits);
gboolean  sv_gsm7_can_encode      (const char    *utf8);
gssize    sv_gsm7_septet_count    (const char    *utf8);
guint     sv_gsm7_char_septets    (gunichar       c,
                                   guint8         septets[2]);
gunichar  sv_gsm7_septet_to_char  (guint8         septet,
                                   gboolean       extension);

G_END_DECLS
