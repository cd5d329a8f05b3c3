/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "sv-mirror-sync.h"
#include "sv-sync-client.h"

G_BEGIN_DECLS

/**
 * SvSyncCredentials:
 * @server: (nullable): the server's URL; %NULL: the card's registration
 * @phone: (nullable): the account; %NULL: the card's registration
 * @password: (nullable): the account's password (owner form)
 * @staff_name: (nullable): staff form: the shop's staff account ...
 * @staff_password: (nullable): ... its password ...
 * @consent_code: (nullable): ... and the customer's one-time restore code
 *   (or @password as the customer's consent)
 * @timeout_seconds: per request; 0 for the client's default
 * @max_attempts: per request; 0 for the client's default
 * @client: (nullable): a client that already holds the session (a guided
 *   flow that signs in once, such as the window's restore desk, where a
 *   customer's one-time restore code must carry preview and apply); the
 *   other fields but @phone are then ignored
 *
 * How an operation reaches the server and who it is there. The password
 * is only ever held in memory: the caller got it from the keyring, a file
 * or the terminal.
 */
typedef struct
{
  const char *server;
  const char *phone;
  const char *password;
  const char *staff_name;
  const char *staff_password;
  const char *consent_code;
  guint       timeout_seconds;
  guint       max_attempts;
  SvSyncClient *client;
} SvSyncCredentials;

/* Shared by the sync operations (sv-sync-operation.c). */
SvSyncClient *sv_sync_operation_connect       (const char               *server,
                                               const char               *phone,
                                               const SvSyncCredentials  *credentials,
                                               GCancellable             *cancellable,
                                               GError                  **error);
void          sv_sync_operation_crash_point   (const char               *name);
SvContact    *sv_sync_decode_record_contact   (SvCardImage              *image,
                                               const char               *key,
                                               guint                     index,
                                               GBytes                   *bytes);
GError       *sv_sync_operation_not_registered (const char              *iccid);

G_END_DECLS
