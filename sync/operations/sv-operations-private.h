/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Helpers the operations share and do not export: a worker thread's own
 * copy of the caller's SvSyncCredentials, a client with their network
 * policy, and how a worker starts and returns.
 */
#pragma once

#include "sv-sync-operation.h"

G_BEGIN_DECLS

/* The strings a copy of SvSyncCredentials owns: server, phone, password,
 * staff_name, staff_password, consent_code. */
#define SV_OPERATION_N_CREDENTIAL_STRINGS 6

void          sv_operation_credentials_copy (SvSyncCredentials       *copy,
                                             char                   **strings,
                                             const SvSyncCredentials *credentials);
void          sv_operation_strings_wipe     (char                   **strings,
                                             guint                    n_strings);
SvSyncClient *sv_operation_client_new       (const char              *server,
                                             const SvSyncCredentials *credentials,
                                             GError                 **error);
void          sv_operation_run_in_thread    (gpointer                 source_tag,
                                             gpointer                 job,
                                             GDestroyNotify           job_free,
                                             GTaskThreadFunc          thread_func,
                                             GCancellable            *cancellable,
                                             GAsyncReadyCallback      callback,
                                             gpointer                 user_data);
void          sv_operation_task_return      (GTask                   *task,
                                             gpointer                 result,
                                             GDestroyNotify           result_unref,
                                             GError                  *error);

G_END_DECLS
