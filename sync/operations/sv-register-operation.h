/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "sv-sync-operation.h"

G_BEGIN_DECLS

/**
 * SvRegisterResult:
 * @result: "registered", "updated" or "card-change"
 * @portal: (nullable): the web portal's address
 *
 * What a registration (flow 1) answered. Immutable, refcounted.
 */
typedef struct
{
  char   *iccid;
  char   *server;
  char   *phone;
  char   *result;
  gint64  counter_a;
  gint64  counter_b;
  char   *portal;
} SvRegisterResult;

#define SV_TYPE_REGISTER_RESULT (sv_register_result_get_type ())
GType              sv_register_result_get_type (void) G_GNUC_CONST;
SvRegisterResult  *sv_register_result_ref      (SvRegisterResult *result);
void               sv_register_result_unref    (SvRegisterResult *result);

SvRegisterResult  *sv_register_operation_run   (const char               *db_path,
                                                const char               *iccid,
                                                const SvSyncCredentials  *credentials,
                                                GCancellable             *cancellable,
                                                GError                  **error);
SvRegisterResult  *sv_register_operation_with_client (SvMirror           *mirror,
                                                SvSyncClient             *client,
                                                const char               *iccid,
                                                const char               *phone,
                                                const char               *password,
                                                GCancellable             *cancellable,
                                                GError                  **error);
void               sv_register_operation_run_async  (const char          *db_path,
                                                const char               *iccid,
                                                const SvSyncCredentials  *credentials,
                                                GCancellable             *cancellable,
                                                GAsyncReadyCallback       callback,
                                                gpointer                  user_data);
SvRegisterResult  *sv_register_operation_run_finish (GAsyncResult        *result,
                                                GError                  **error);

gboolean           sv_deregister_operation_run (const char               *db_path,
                                                const char               *iccid,
                                                const SvSyncCredentials  *credentials,
                                                GCancellable             *cancellable,
                                                GError                  **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SvRegisterResult, sv_register_result_unref)

G_END_DECLS
