/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * SvAlphaScheme:
 * @SV_ALPHA_SCHEME_GSM: GSM 7 bit default alphabet, unpacked, 0xFF padded
 * @SV_ALPHA_SCHEME_UCS2_80: 0x80 then UCS2 (UTF-16BE) characters
 * @SV_ALPHA_SCHEME_UCS2_81: 0x81, length, 8 bit base pointer (bits 15-8
 *   of a base whose bit 16 and bits 7-1 are zero), then one byte per char
 * @SV_ALPHA_SCHEME_UCS2_82: 0x82, length, 16 bit base pointer, then one
 *   byte per char
 *
 * The codings of alpha fields (TS 102.221 Annex A, TS 51.011 Annex B).
 */
typedef enum
{
  SV_ALPHA_SCHEME_GSM,
  SV_ALPHA_SCHEME_UCS2_80,
  SV_ALPHA_SCHEME_UCS2_81,
  SV_ALPHA_SCHEME_UCS2_82,
} SvAlphaScheme;

/**
 * SvAlphaFit:
 * @scheme: the most compact scheme for the text (or for the part that
 *   fits, when it does not all fit)
 * @n_chars: characters (Unicode code points) in the text
 * @n_chars_fit: how many leading characters fit in the field
 * @n_bytes: bytes the whole text needs in @scheme's most compact form
 * @fits: %TRUE if the whole text fits
 */
typedef struct
{
  SvAlphaScheme scheme;
  guint         n_chars;
  guint         n_chars_fit;
  gsize         n_bytes;
  gboolean      fits;
} SvAlphaFit;

const char *sv_alpha_scheme_to_string (SvAlphaScheme   scheme);
char       *sv_alpha_decode           (const guint8   *data,
                                       gsize           len,
                                       SvAlphaScheme  *scheme_out,
                                       GError        **error);
gboolean    sv_alpha_encode           (const char     *text,
                                       guint8         *field,
                                       gsize           field_len,
                                       SvAlphaScheme  *scheme_out,
                                       GError        **error);
gboolean    sv_alpha_encode_scheme    (const char     *text,
                                       SvAlphaScheme   scheme,
                                       guint8         *field,
                                       gsize           field_len,
                                       GError        **error);
void        sv_alpha_measure          (const char     *text,
                                       gsize           field_len,
                                       SvAlphaFit     *fit);
char       *sv_utf16be_decode         (const guint8   *data,
                                       gsize           len);

G_END_DECLS
