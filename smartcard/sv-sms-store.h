/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "sv-card-image.h"
#include "sv-message.h"

G_BEGIN_DECLS

/**
 * SV_SMS_STORE_ERROR:
 *
 * Error domain of the short messages of a card image: no EF_SMS, a record
 * that does not exist, a message that does not fit in the free records, a
 * request that makes no sense (an empty text).
 */
#define SV_SMS_STORE_ERROR (sv_sms_store_error_quark ())

typedef enum
{
  SV_SMS_STORE_ERROR_NO_FILE,
  SV_SMS_STORE_ERROR_NO_SUCH_RECORD,
  SV_SMS_STORE_ERROR_DOES_NOT_FIT,
  SV_SMS_STORE_ERROR_INVALID,
} SvSmsStoreError;

GQuark           sv_sms_store_error_quark      (void);

/*
 * Every rule of EF_SMS (TS 51.011 §10.5.3, TS 31.102 §4.2.25) over a
 * #SvCardImage ("sms"): which record is free, what a status byte means,
 * how records become messages and a text becomes records, how a status
 * changes. The TPDU itself is the codec's (sv-sms.h); the mirror and the
 * applications only call these.
 */

gboolean         sv_sms_record_is_free         (GBytes            *record);
GBytes          *sv_sms_record_new_free        (gsize              len);
SvMessageStatus  sv_sms_store_status_from_raw  (guint8             raw);
guint8           sv_sms_store_status_to_raw    (SvMessageStatus    status);

guint            sv_sms_store_count_used       (SvCardImage       *image);
GPtrArray       *sv_sms_store_decode           (SvCardImage       *image,
                                                GError           **error);
GPtrArray       *sv_sms_store_split_text       (const char        *text,
                                                gboolean          *ucs2);
gboolean         sv_sms_store_add              (SvCardImage       *image,
                                                SvMessageStatus    status,
                                                const char        *number,
                                                const char        *text,
                                                GDateTime         *timestamp,
                                                GArray           **records,
                                                GError           **error);
gboolean         sv_sms_store_set_status       (SvCardImage       *image,
                                                GArray            *indices,
                                                SvMessageStatus    status,
                                                guint             *n_changed,
                                                GError           **error);

G_END_DECLS
