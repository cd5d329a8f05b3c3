/* SPDX-License-Identifier: GPL-3.0-or-later */
/* sv-vsim-card.h: the APDU engine of the virtual card, no I/O.
 *
 * One engine answers both the 2G command set (TS 51.011, CLA A0) and the
 * UICC command set (TS 102.221 / TS 31.102, CLA 0X/8X) over the same file
 * system and the same PIN state, with T=0 semantics: data that a command
 * produces after sending data (SELECT, SEEK, SEARCH) is fetched with
 * GET RESPONSE after 9F xx / 61 xx, and a wrong Le is answered 6C xx (UICC)
 * or 67 xx (2G). */
#pragma once

#include <glib.h>

#include "sv-vsim-image.h"

G_BEGIN_DECLS

typedef struct _SvVsimCard SvVsimCard;

SvVsimCard  *sv_vsim_card_new               (SvVsimImage  *image);
void         sv_vsim_card_free              (SvVsimCard   *card);
SvVsimImage *sv_vsim_card_get_image         (SvVsimCard   *card);
void         sv_vsim_card_reset             (SvVsimCard   *card);
void         sv_vsim_card_set_refuse_writes (SvVsimCard   *card,
                                             gboolean      refuse);
GBytes      *sv_vsim_card_transmit          (SvVsimCard   *card,
                                             const guint8 *apdu,
                                             gsize         length);
gboolean     sv_vsim_card_take_changed      (SvVsimCard   *card);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SvVsimCard, sv_vsim_card_free)

G_END_DECLS
