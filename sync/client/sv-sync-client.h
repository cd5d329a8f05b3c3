/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "sv-protocol.h"
#include "sv-sync-error.h"

G_BEGIN_DECLS

/**
 * SvSyncRegistration:
 * @result: "registered", "updated" or "card-change"
 * @token: (nullable): the card's sync token on the server
 * @portal: (nullable): the web portal's address
 *
 * The server's answer to a registration (flow 1).
 */
typedef struct
{
  char   *result;
  gint64  counter_a;
  gint64  counter_b;
  char   *token;
  char   *portal;
} SvSyncRegistration;

void sv_sync_registration_free (SvSyncRegistration *registration);

/**
 * SvSyncStats:
 *
 * What a client sent and received over its life: for the CLI's report
 * and for tests that count round trips.
 */
typedef struct
{
  guint64 bytes_sent;
  guint64 bytes_received;
  guint   round_trips;        /* HTTP exchanges, retries included */
  guint   retries;
} SvSyncStats;

#define SV_TYPE_SYNC_CLIENT (sv_sync_client_get_type ())
G_DECLARE_FINAL_TYPE (SvSyncClient, sv_sync_client, SV, SYNC_CLIENT, GObject)

SvSyncClient        *sv_sync_client_new                 (const char           *server_url,
                                                         GError              **error);
const char          *sv_sync_client_get_server_url      (SvSyncClient         *self);
void                 sv_sync_client_set_timeout         (SvSyncClient         *self,
                                                         guint                 seconds);
void                 sv_sync_client_set_retry_policy    (SvSyncClient         *self,
                                                         guint                 max_attempts,
                                                         guint                 initial_delay_ms,
                                                         guint                 max_delay_ms);
void                 sv_sync_client_get_stats           (SvSyncClient         *self,
                                                         SvSyncStats          *stats);
gboolean             sv_sync_client_is_logged_in        (SvSyncClient         *self);

/* Blocking calls: for the operations' worker threads and the CLI. Each
 * retries what can be retried safely (the same request, byte for byte)
 * after a timeout, a dropped connection or a 500/503/batch-in-progress,
 * with bounded exponential backoff, and stops at @cancellable. */
gboolean             sv_sync_client_login               (SvSyncClient         *self,
                                                         const char           *phone,
                                                         const char           *password,
                                                         GCancellable         *cancellable,
                                                         GError              **error);
gboolean             sv_sync_client_logout              (SvSyncClient         *self,
                                                         GCancellable         *cancellable,
                                                         GError              **error);
gboolean             sv_sync_client_staff_login         (SvSyncClient         *self,
                                                         const char           *name,
                                                         const char           *password,
                                                         GCancellable         *cancellable,
                                                         GError              **error);
gboolean             sv_sync_client_staff_consent       (SvSyncClient         *self,
                                                         const char           *phone,
                                                         const char           *password,
                                                         const char           *code,
                                                         GCancellable         *cancellable,
                                                         GError              **error);
SvSyncRegistration  *sv_sync_client_register            (SvSyncClient         *self,
                                                         const SvRegisterRequest *request,
                                                         GCancellable         *cancellable,
                                                         GError              **error);
JsonNode            *sv_sync_client_list_cards          (SvSyncClient         *self,
                                                         GCancellable         *cancellable,
                                                         GError              **error);
JsonNode            *sv_sync_client_get_card            (SvSyncClient         *self,
                                                         const char           *iccid,
                                                         GCancellable         *cancellable,
                                                         GError              **error);
SvBackupResponse    *sv_sync_client_backup              (SvSyncClient         *self,
                                                         const char           *iccid,
                                                         const char           *body,
                                                         GCancellable         *cancellable,
                                                         GError              **error);
gboolean             sv_sync_client_backup_messages     (SvSyncClient         *self,
                                                         const char           *iccid,
                                                         const char           *body,
                                                         SvMessagesResponse   *response,
                                                         GCancellable         *cancellable,
                                                         GError              **error);
SvChangesResponse   *sv_sync_client_get_changes         (SvSyncClient         *self,
                                                         const char           *iccid,
                                                         const char           *since,
                                                         guint                 limit,
                                                         GCancellable         *cancellable,
                                                         GError              **error);
GPtrArray           *sv_sync_client_get_records         (SvSyncClient         *self,
                                                         const char           *iccid,
                                                         const char           *file,
                                                         GCancellable         *cancellable,
                                                         GError              **error);
SvRestoreCreated    *sv_sync_client_create_restore      (SvSyncClient         *self,
                                                         const char           *iccid,
                                                         const SvRestoreRequest *request,
                                                         GCancellable         *cancellable,
                                                         GError              **error);
SvRestoreGroup      *sv_sync_client_get_restore_group   (SvSyncClient         *self,
                                                         const char           *restore_id,
                                                         guint                 group,
                                                         GCancellable         *cancellable,
                                                         GError              **error);
gboolean             sv_sync_client_ack_restore_group   (SvSyncClient         *self,
                                                         const char           *restore_id,
                                                         guint                 group,
                                                         gboolean             *done,
                                                         char                **token,
                                                         GCancellable         *cancellable,
                                                         GError              **error);
gboolean             sv_sync_client_deregister          (SvSyncClient         *self,
                                                         const char           *iccid,
                                                         GCancellable         *cancellable,
                                                         GError              **error);

/* Async: any call above as a request on a worker thread. */
void                 sv_sync_client_login_async         (SvSyncClient         *self,
                                                         const char           *phone,
                                                         const char           *password,
                                                         GCancellable         *cancellable,
                                                         GAsyncReadyCallback   callback,
                                                         gpointer              user_data);
gboolean             sv_sync_client_login_finish        (SvSyncClient         *self,
                                                         GAsyncResult         *result,
                                                         GError              **error);
void                 sv_sync_client_register_async      (SvSyncClient         *self,
                                                         const SvRegisterRequest *request,
                                                         GCancellable         *cancellable,
                                                         GAsyncReadyCallback   callback,
                                                         gpointer              user_data);
SvSyncRegistration  *sv_sync_client_register_finish     (SvSyncClient         *self,
                                                         GAsyncResult         *result,
                                                         GError              **error);
void                 sv_sync_client_backup_async        (SvSyncClient         *self,
                                                         const char           *iccid,
                                                         const char           *body,
                                                         GCancellable         *cancellable,
                                                         GAsyncReadyCallback   callback,
                                                         gpointer              user_data);
SvBackupResponse    *sv_sync_client_backup_finish       (SvSyncClient         *self,
                                                         GAsyncResult         *result,
                                                         GError              **error);
void                 sv_sync_client_get_changes_async   (SvSyncClient         *self,
                                                         const char           *iccid,
                                                         const char           *since,
                                                         guint                 limit,
                                                         GCancellable         *cancellable,
                                                         GAsyncReadyCallback   callback,
                                                         gpointer              user_data);
SvChangesResponse   *sv_sync_client_get_changes_finish  (SvSyncClient         *self,
                                                         GAsyncResult         *result,
                                                         GError              **error);
void                 sv_sync_client_deregister_async    (SvSyncClient         *self,
                                                         const char           *iccid,
                                                         GCancellable         *cancellable,
                                                         GAsyncReadyCallback   callback,
                                                         gpointer              user_data);
gboolean             sv_sync_client_deregister_finish   (SvSyncClient         *self,
                                                         GAsyncResult         *result,
                                                         GError              **error);

/* Building a batch body: the canonical JSON the outbox keeps. */
char                *sv_sync_new_batch_id               (void);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SvSyncRegistration, sv_sync_registration_free)

G_END_DECLS
