/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "sv-protocol.h"
#include "sv-server.h"

G_BEGIN_DECLS

/*
 * One request as the worker thread sees it: everything copied out of the
 * SoupServerMessage on the main thread, and the answer to copy back. A
 * worker never touches libsoup objects.
 */
typedef struct
{
  SvStore        *store;
  const char     *base_url;
  const char     *method;
  char           *path;
  GStrv           params;        /* the {placeholders} of the route, in order */
  GHashTable     *query;         /* nullable */
  GBytes         *body;          /* nullable */
  char           *content_type;
  char           *bearer;        /* nullable */
  char           *cookie;        /* nullable: __Host-sv-session */
  char           *csrf;          /* nullable: X-CSRF-Token */
  char           *client_addr;
  gboolean        tls;
  SvStoreSession *session;       /* set by authentication */
  char           *session_token; /* the raw token used, for logout */
  gboolean        by_cookie;

  /* the answer */
  guint           status;
  char           *response_type;
  GBytes         *response;
  GPtrArray      *headers;       /* name, value, name, value, ... */
  gint64          retry_after;
  char           *audit_iccid;   /* for the delegated audit line */
} SvRequest;

typedef gboolean (*SvHandlerFunc) (SvRequest  *request,
                                   GError    **error);

typedef struct
{
  SvServerRouteInfo info;
  SvHandlerFunc     handler;
} SvRoute;

const SvRoute *sv_server_handlers_get_routes (guint       *n_routes);

void      sv_request_set_json          (SvRequest  *request,
                                        guint       status,
                                        JsonNode   *node);
void      sv_request_add_header        (SvRequest  *request,
                                        const char *name,
                                        const char *value);
gboolean  sv_request_error_from_store  (GError    **error);

G_END_DECLS
