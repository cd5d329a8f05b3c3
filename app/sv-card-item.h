/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

#include "sv-mirror.h"

G_BEGIN_DECLS

#define SV_TYPE_CARD_ITEM (sv_card_item_get_type ())

G_DECLARE_FINAL_TYPE (SvCardItem, sv_card_item, SV, CARD_ITEM, GObject)

SvCardItem   *sv_card_item_new          (const SvMirrorCard *card);
const char   *sv_card_item_get_iccid    (SvCardItem         *self);
const char   *sv_card_item_get_title    (SvCardItem         *self);
const char   *sv_card_item_get_subtitle (SvCardItem         *self);
guint         sv_card_item_get_n_pending (SvCardItem        *self);
gboolean      sv_card_item_get_inserted (SvCardItem         *self);
void          sv_card_item_set_inserted (SvCardItem         *self,
                                         gboolean            inserted);

G_END_DECLS
