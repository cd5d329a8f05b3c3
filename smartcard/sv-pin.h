/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "sv-card-session.h"

G_BEGIN_DECLS

/**
 * SvPinKind:
 * @SV_PIN_1: CHV1 (2G) / the USIM application PIN (key reference 01), or
 *   the universal PIN (key reference 11) when the card uses it instead
 * @SV_PIN_2: CHV2 (2G) / the second application PIN (key reference 81)
 */
typedef enum
{
  SV_PIN_1,
  SV_PIN_2,
} SvPinKind;

/**
 * SvPinFlags:
 * @SV_PIN_CONFIRM_LAST_TRY: the user was told that this is the last try
 *   and still wants to send the code; without it, a PIN or PUK is never
 *   sent when only one try is left
 */
typedef enum
{
  SV_PIN_FLAGS_NONE       = 0,
  SV_PIN_CONFIRM_LAST_TRY = 1 << 0,
} SvPinFlags;

/**
 * SvPinStatus:
 * @enabled: the PIN is asked for at all (2G: from the DF status; UICC:
 *   %TRUE unless VERIFY without data answered 9000)
 * @verified: access is open: PIN verified or disabled
 * @blocked: no PIN tries left, only the PUK can help
 * @pin_retries: tries left for the PIN (G_MAXUINT when unknown)
 * @puk_retries: tries left for the PUK (G_MAXUINT when unknown)
 * @universal: the card uses the universal PIN (key reference 11) in place
 *   of the application PIN (TS 102.221 §9.5.1, §9.5.2): the counters are
 *   the universal PIN's and every PIN command goes to key reference 11
 * @key_reference: the key reference the counters were read from and the
 *   PIN commands go to (0x01, 0x11, 0x81; 2G: CHV 1 or 2)
 */
typedef struct
{
  gboolean enabled;
  gboolean verified;
  gboolean blocked;
  guint    pin_retries;
  guint    puk_retries;
  gboolean universal;
  guint8   key_reference;
} SvPinStatus;

gboolean sv_pin_template_uses_universal_pin (const guint8 *fcp,
                                             gsize         len);
gboolean sv_pin_get_status (SvCardSession  *session,
                            SvPinKind       kind,
                            SvPinStatus    *status,
                            GError        **error);
gboolean sv_pin_verify     (SvCardSession  *session,
                            SvPinKind       kind,
                            char           *pin,
                            SvPinFlags      flags,
                            GError        **error);
gboolean sv_pin_change     (SvCardSession  *session,
                            SvPinKind       kind,
                            char           *old_pin,
                            char           *new_pin,
                            SvPinFlags      flags,
                            GError        **error);
gboolean sv_pin_unblock    (SvCardSession  *session,
                            SvPinKind       kind,
                            char           *puk,
                            char           *new_pin,
                            SvPinFlags      flags,
                            GError        **error);
gboolean sv_pin_enable     (SvCardSession  *session,
                            SvPinKind       kind,
                            char           *pin,
                            SvPinFlags      flags,
                            GError        **error);
gboolean sv_pin_disable    (SvCardSession  *session,
                            SvPinKind       kind,
                            char           *pin,
                            SvPinFlags      flags,
                            GError        **error);
void     sv_pin_wipe       (char           *secret);

void     sv_pin_get_status_async  (SvCardSession       *session,
                                   SvPinKind            kind,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data);
gboolean sv_pin_get_status_finish (GAsyncResult        *result,
                                   SvPinStatus         *status,
                                   GError             **error);
void     sv_pin_verify_async      (SvCardSession       *session,
                                   SvPinKind            kind,
                                   char                *pin,
                                   SvPinFlags           flags,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data);
gboolean sv_pin_verify_finish     (GAsyncResult        *result,
                                   GError             **error);

G_END_DECLS
