/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * SV_SYNC_ERROR:
 *
 * Error domain of the sync client. The first codes are the protocol's
 * error codes (PROTOCOL.md, #SvProtocolError), in the same order and with
 * the same meaning, so a server's answer maps one to one; the rest are
 * failures that never reach a server or do not come from one.
 */
#define SV_SYNC_ERROR (sv_sync_error_quark ())

typedef enum
{
  SV_SYNC_ERROR_MALFORMED,              /* 400 malformed */
  SV_SYNC_ERROR_UNKNOWN_FIELD,          /* 400 unknown-field */
  SV_SYNC_ERROR_INVALID,                /* 400 invalid */
  SV_SYNC_ERROR_UNAUTHENTICATED,        /* 401 unauthenticated */
  SV_SYNC_ERROR_LOGIN_FAILED,           /* 401 login-failed */
  SV_SYNC_ERROR_FORBIDDEN,              /* 403 forbidden */
  SV_SYNC_ERROR_CSRF,                   /* 403 csrf */
  SV_SYNC_ERROR_NOT_FOUND,              /* 404 not-found */
  SV_SYNC_ERROR_METHOD_NOT_ALLOWED,     /* 405 method-not-allowed */
  SV_SYNC_ERROR_CONFLICT,               /* 409 conflict */
  SV_SYNC_ERROR_BATCH_IN_PROGRESS,      /* 409 batch-in-progress */
  SV_SYNC_ERROR_FULL_RESYNC_REQUIRED,   /* 410 full-resync-required */
  SV_SYNC_ERROR_TOO_LARGE,              /* 413 too-large */
  SV_SYNC_ERROR_UNSUPPORTED_MEDIA_TYPE, /* 415 unsupported-media-type */
  SV_SYNC_ERROR_BATCH_ID_REUSED,        /* 422 batch-id-reused */
  SV_SYNC_ERROR_DOES_NOT_FIT,           /* 422 does-not-fit */
  SV_SYNC_ERROR_RATE_LIMITED,           /* 429 rate-limited */
  SV_SYNC_ERROR_INTERNAL,               /* 500 internal */
  SV_SYNC_ERROR_UNAVAILABLE,            /* 503 unavailable */
  /* Not from a server's error body: */
  SV_SYNC_ERROR_UNREACHABLE,            /* no connection, or it kept dropping */
  SV_SYNC_ERROR_TIMED_OUT,              /* no answer in time, after every retry */
  SV_SYNC_ERROR_BAD_RESPONSE,           /* an answer that is not the protocol */
  SV_SYNC_ERROR_NOT_REGISTERED,         /* the card has no registration in the mirror */
  SV_SYNC_ERROR_NO_PASSWORD,            /* no password given and none in the keyring */
} SvSyncError;

GQuark       sv_sync_error_quark        (void);
const char  *sv_sync_error_to_string    (SvSyncError    code);
GError      *sv_sync_error_from_protocol (const GError  *protocol_error);

G_END_DECLS
