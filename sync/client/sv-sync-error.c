/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The sync client's error domain: the protocol's codes one to one, plus
 * the failures of the way there (unreachable, timed out, not the
 * protocol).
 */
#define G_LOG_DOMAIN "sv-sync"

#include "config.h"

#include "sv-protocol.h"
#include "sv-sync-error.h"

G_DEFINE_QUARK (sv-sync-error-quark, sv_sync_error)

G_STATIC_ASSERT ((int) SV_SYNC_ERROR_UNAVAILABLE == (int) SV_PROTOCOL_ERROR_UNAVAILABLE);
G_STATIC_ASSERT ((int) SV_SYNC_ERROR_MALFORMED == (int) SV_PROTOCOL_ERROR_MALFORMED);
G_STATIC_ASSERT ((int) SV_SYNC_ERROR_LOGIN_FAILED == (int) SV_PROTOCOL_ERROR_LOGIN_FAILED);
G_STATIC_ASSERT ((int) SV_SYNC_ERROR_FULL_RESYNC_REQUIRED == (int) SV_PROTOCOL_ERROR_FULL_RESYNC_REQUIRED);

static const char * const local_codes[] = {
  [SV_SYNC_ERROR_UNREACHABLE - SV_SYNC_ERROR_UNREACHABLE] = "unreachable",
  [SV_SYNC_ERROR_TIMED_OUT - SV_SYNC_ERROR_UNREACHABLE] = "timed-out",
  [SV_SYNC_ERROR_BAD_RESPONSE - SV_SYNC_ERROR_UNREACHABLE] = "bad-response",
  [SV_SYNC_ERROR_NOT_REGISTERED - SV_SYNC_ERROR_UNREACHABLE] = "not-registered",
  [SV_SYNC_ERROR_NO_PASSWORD - SV_SYNC_ERROR_UNREACHABLE] = "no-password",
};

/**
 * sv_sync_error_to_string:
 *
 * Returns: the stable machine-readable name of @code: the protocol's code
 *   ("login-failed") or the client's own ("unreachable")
 */
const char *
sv_sync_error_to_string (SvSyncError code)
{
  if ((int) code <= (int) SV_PROTOCOL_ERROR_UNAVAILABLE)
    return sv_protocol_error_to_string ((SvProtocolError) code);
  if (code >= SV_SYNC_ERROR_UNREACHABLE && code <= SV_SYNC_ERROR_NO_PASSWORD)
    return local_codes[code - SV_SYNC_ERROR_UNREACHABLE];
  return "unknown";
}

/**
 * sv_sync_error_from_protocol:
 * @protocol_error: an error of %SV_PROTOCOL_ERROR (a server's answer)
 *
 * Returns: (transfer full): the same failure in %SV_SYNC_ERROR, with the
 *   server's message
 */
GError *
sv_sync_error_from_protocol (const GError *protocol_error)
{
  const char *field;

  g_return_val_if_fail (protocol_error != NULL, NULL);

  if (protocol_error->domain != SV_PROTOCOL_ERROR)
    return g_error_copy (protocol_error);
  field = sv_protocol_error_get_field (protocol_error);
  if (field != NULL)
    return g_error_new (SV_SYNC_ERROR, protocol_error->code, "%s (%s)",
                        protocol_error->message, field);
  return g_error_new_literal (SV_SYNC_ERROR, protocol_error->code, protocol_error->message);
}
