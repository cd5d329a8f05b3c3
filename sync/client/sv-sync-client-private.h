/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "sv-sync-client.h"

G_BEGIN_DECLS

/* What sv-sync-client.c (the object and its transport) shares with
 * sv-sync-client-calls.c (the protocol calls). */

struct _SvSyncClient
{
  GObject      parent_instance;

  char        *server_url;
  GUri        *base_uri;
  SoupSession *session;

  guint        max_attempts;
  guint        initial_delay_ms;
  guint        max_delay_ms;

  GMutex       mutex;           /* guards what follows */
  char        *bearer;          /* session token; never logged */
  SvSyncStats  stats;
};

void _sv_sync_client_set_bearer (SvSyncClient *self,
                                 const char   *token);

gboolean _sv_sync_client_send_request (SvSyncClient  *self,
                                       const char    *method,
                                       const char    *path,
                                       const char    *body,
                                       gboolean       retry,
                                       JsonNode     **answer,
                                       GCancellable  *cancellable,
                                       GError       **error);

char *_sv_sync_client_node_to_body (JsonNode *node);

JsonObject *_sv_sync_client_require_object (SvSyncClient  *self,
                                            JsonNode      *node,
                                            GError       **error);

gboolean _sv_sync_client_take_session_token (SvSyncClient  *self,
                                             JsonNode      *answer,
                                             GError       **error);

G_END_DECLS
