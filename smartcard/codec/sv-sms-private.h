/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Inside the SMS codec (sv-sms.c, sv-sms-encode.c, sv-sms-ef.c), not part
 * of its API.
 */
#pragma once

#include "sv-sms.h"

G_BEGIN_DECLS

/* sv_sms_tpdu_decode() with error offsets counted from @base (the TPDU of
 * an EF_SMS record starts at byte 1 of the record). */
SvSmsTpdu *sv_sms_tpdu_decode_at (const guint8    *data,
                                  gsize            len,
                                  gsize            base,
                                  gboolean         has_smsc,
                                  SvSmsDirection   direction,
                                  GError         **error);

G_END_DECLS
