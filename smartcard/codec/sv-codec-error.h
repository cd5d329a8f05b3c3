/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * SV_CODEC_ERROR:
 *
 * Error domain for the SIM data codecs: malformed bytes on decode,
 * input that cannot be represented on encode. Messages name the byte
 * offset of the problem ("at byte 14: ...").
 */
#define SV_CODEC_ERROR (sv_codec_error_quark ())

/**
 * SvCodecError:
 * @SV_CODEC_ERROR_TRUNCATED: the data ends before a field the spec requires
 * @SV_CODEC_ERROR_INVALID: a value the spec does not allow
 * @SV_CODEC_ERROR_UNSUPPORTED: valid per spec, but not supported (e.g.
 *   compressed SMS user data)
 * @SV_CODEC_ERROR_UNENCODABLE: text that the target coding cannot represent
 * @SV_CODEC_ERROR_TOO_LONG: the value does not fit the field
 */
typedef enum
{
  SV_CODEC_ERROR_TRUNCATED,
  SV_CODEC_ERROR_INVALID,
  SV_CODEC_ERROR_UNSUPPORTED,
  SV_CODEC_ERROR_UNENCODABLE,
  SV_CODEC_ERROR_TOO_LONG,
} SvCodecError;

GQuark sv_codec_error_quark (void);

G_END_DECLS
