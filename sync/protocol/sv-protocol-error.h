/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * SV_PROTOCOL_ERROR:
 *
 * Error domain of the backup protocol: every failure a server answers with,
 * one code per row of the table in PROTOCOL.md. The domain is an extended
 * error domain: an error may name the request field at fault
 * (sv_protocol_error_get_field()).
 */
#define SV_PROTOCOL_ERROR (sv_protocol_error_quark ())

typedef enum
{
  SV_PROTOCOL_ERROR_MALFORMED,              /* 400 malformed */
  SV_PROTOCOL_ERROR_UNKNOWN_FIELD,          /* 400 unknown-field */
  SV_PROTOCOL_ERROR_INVALID,                /* 400 invalid */
  SV_PROTOCOL_ERROR_UNAUTHENTICATED,        /* 401 unauthenticated */
  SV_PROTOCOL_ERROR_LOGIN_FAILED,           /* 401 login-failed */
  SV_PROTOCOL_ERROR_FORBIDDEN,              /* 403 forbidden */
  SV_PROTOCOL_ERROR_CSRF,                   /* 403 csrf */
  SV_PROTOCOL_ERROR_NOT_FOUND,              /* 404 not-found */
  SV_PROTOCOL_ERROR_METHOD_NOT_ALLOWED,     /* 405 method-not-allowed */
  SV_PROTOCOL_ERROR_CONFLICT,               /* 409 conflict */
  SV_PROTOCOL_ERROR_BATCH_IN_PROGRESS,      /* 409 batch-in-progress */
  SV_PROTOCOL_ERROR_FULL_RESYNC_REQUIRED,   /* 410 full-resync-required */
  SV_PROTOCOL_ERROR_TOO_LARGE,              /* 413 too-large */
  SV_PROTOCOL_ERROR_UNSUPPORTED_MEDIA_TYPE, /* 415 unsupported-media-type */
  SV_PROTOCOL_ERROR_BATCH_ID_REUSED,        /* 422 batch-id-reused */
  SV_PROTOCOL_ERROR_DOES_NOT_FIT,           /* 422 does-not-fit */
  SV_PROTOCOL_ERROR_RATE_LIMITED,           /* 429 rate-limited */
  SV_PROTOCOL_ERROR_INTERNAL,               /* 500 internal */
  SV_PROTOCOL_ERROR_UNAVAILABLE,            /* 503 unavailable */
} SvProtocolError;

#define SV_PROTOCOL_N_ERRORS (SV_PROTOCOL_ERROR_UNAVAILABLE + 1)

GQuark       sv_protocol_error_quark          (void);

const char  *sv_protocol_error_to_string      (SvProtocolError   code);
gboolean     sv_protocol_error_from_string    (const char       *string,
                                               SvProtocolError  *code);
guint        sv_protocol_error_get_status     (SvProtocolError   code);

void         sv_protocol_set_error            (GError          **error,
                                               SvProtocolError   code,
                                               const char       *field,
                                               const char       *format,
                                               ...) G_GNUC_PRINTF (4, 5);
const char  *sv_protocol_error_get_field      (const GError     *error);
void         sv_protocol_error_set_field      (GError           *error,
                                               const char       *field);
void         sv_protocol_error_prefix_field   (GError           *error,
                                               const char       *prefix);

char        *sv_protocol_error_to_json        (const GError     *error);
GError      *sv_protocol_error_new_from_response (guint          status,
                                                  const char    *body,
                                                  gsize          len);

G_END_DECLS
