/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "sv-store.h"

G_BEGIN_DECLS

/**
 * SvServerAuth:
 * @SV_SERVER_AUTH_NONE: anyone
 * @SV_SERVER_AUTH_OWNER: a bearer or cookie session of the account
 * @SV_SERVER_AUTH_OWNER_DELEGATED: the account's session or a staff consent
 *   token for it
 * @SV_SERVER_AUTH_SESSION: any owner or staff session (who am I, logout)
 * @SV_SERVER_AUTH_STAFF: a staff session
 * @SV_SERVER_AUTH_OPTIONAL: none (credentials in the body) or owner/delegated
 *
 * What a route needs (PROTOCOL.md "Endpoints", column "credentials").
 */
typedef enum
{
  SV_SERVER_AUTH_NONE,
  SV_SERVER_AUTH_OWNER,
  SV_SERVER_AUTH_OWNER_DELEGATED,
  SV_SERVER_AUTH_SESSION,
  SV_SERVER_AUTH_STAFF,
  SV_SERVER_AUTH_OPTIONAL,
} SvServerAuth;

typedef struct
{
  const char   *method;
  const char   *pattern;        /* "/api/v1/cards/{iccid}/backup" */
  SvServerAuth  auth;
} SvServerRouteInfo;

#define SV_TYPE_SERVER (sv_server_get_type ())
G_DECLARE_FINAL_TYPE (SvServer, sv_server, SV, SERVER, GObject)

SvServer          *sv_server_new            (SvStore       *store);
gboolean           sv_server_listen         (SvServer      *self,
                                             const char    *address,
                                             guint          port,
                                             GTlsCertificate *certificate,
                                             GError       **error);
const char        *sv_server_get_base_url   (SvServer      *self);
void               sv_server_set_trusted_proxies (SvServer           *self,
                                                  const char * const *addresses);
void               sv_server_shutdown       (SvServer      *self);
/* Tombstones are kept this many days by default (PROTOCOL.md, "Sync tokens") */
#define SV_SERVER_DEFAULT_PURGE_AFTER_DAYS 30
void               sv_server_set_purge_after (SvServer     *self,
                                              guint         days);
/* Seconds a client has to send a whole request (PROTOCOL.md, "Limits") */
#define SV_SERVER_DEFAULT_REQUEST_TIMEOUT 30
void               sv_server_set_request_timeout (SvServer *self,
                                                  guint     seconds);

const SvServerRouteInfo *sv_server_get_routes (guint        *n_routes);
const char        *sv_server_auth_to_string (SvServerAuth   auth);

G_END_DECLS
