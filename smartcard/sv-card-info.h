/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

#include "sv-card-image.h"
#include "sv-phonebook.h"

G_BEGIN_DECLS

/**
 * SvCardInfo:
 *
 * Who a card is and what it can hold, decoded from an #SvCardImage: ICCID,
 * IMSI, MSISDN, service provider name, card type, phonebook capacities per
 * set (records, alpha length, EXT1 records) and the EF_SMS capacity.
 * Immutable and reference counted, so it can cross threads and layers.
 */
typedef struct _SvCardInfo SvCardInfo;

#define SV_TYPE_CARD_INFO (sv_card_info_get_type ())

GType                    sv_card_info_get_type             (void) G_GNUC_CONST;
SvCardInfo              *sv_card_info_new_from_image       (SvCardImage       *image);
SvCardInfo              *sv_card_info_ref                  (SvCardInfo        *info);
void                     sv_card_info_unref                (SvCardInfo        *info);
SvCardType               sv_card_info_get_card_type        (const SvCardInfo  *info);
const char              *sv_card_info_get_iccid            (const SvCardInfo  *info);
const char              *sv_card_info_get_imsi             (const SvCardInfo  *info);
const char              *sv_card_info_get_msisdn           (const SvCardInfo  *info);
const char              *sv_card_info_get_spn              (const SvCardInfo  *info);
guint                    sv_card_info_get_n_phonebook_sets (const SvCardInfo  *info);
const SvPhonebookLimits *sv_card_info_get_phonebook_limits (const SvCardInfo  *info,
                                                            guint              i);
guint                    sv_card_info_get_sms_capacity     (const SvCardInfo  *info);
guint                    sv_card_info_get_sms_used         (const SvCardInfo  *info);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SvCardInfo, sv_card_info_unref)

G_END_DECLS
