/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The _async/_finish pairs of SvSyncClient: each runs the blocking call of
 * sv-sync-client.c in a GTask worker thread (D-Spy style). Split from
 * sv-sync-client.c to keep each file one subject.
 */
#define G_LOG_DOMAIN "sv-sync"

#include "config.h"

#include <string.h>

#include "sv-sync-client.h"

/* ------------------------------------------------------------------ */
/* Async                                                                */

typedef enum
{
  CALL_LOGIN,
  CALL_REGISTER,
  CALL_BACKUP,
  CALL_CHANGES,
  CALL_DEREGISTER,
} CallKind;

typedef struct
{
  CallKind           kind;
  char              *a;         /* phone / iccid */
  char              *b;         /* password / body / since */
  guint              limit;
  JsonNode          *request_json;
} Call;

static void
call_free (Call *call)
{
  g_free (call->a);
  if (call->b != NULL)
    memset (call->b, 0, strlen (call->b));
  g_free (call->b);
  g_clear_pointer (&call->request_json, json_node_unref);
  g_free (call);
}

static void
call_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  SvSyncClient *self = source_object;
  Call *call = task_data;
  GError *error = NULL;

  switch (call->kind)
    {
    case CALL_LOGIN:
      if (sv_sync_client_login (self, call->a, call->b, cancellable, &error))
        g_task_return_boolean (task, TRUE);
      else
        g_task_return_error (task, error);
      break;

    case CALL_REGISTER:
      {
        g_autoptr(SvRegisterRequest) request = sv_register_request_from_json (call->request_json, &error);
        SvSyncRegistration *registration = NULL;

        if (request != NULL)
          registration = sv_sync_client_register (self, request, cancellable, &error);
        if (registration != NULL)
          g_task_return_pointer (task, registration, (GDestroyNotify) sv_sync_registration_free);
        else
          g_task_return_error (task, error);
      }
      break;

    case CALL_BACKUP:
      {
        SvBackupResponse *response = sv_sync_client_backup (self, call->a, call->b, cancellable, &error);

        if (response != NULL)
          g_task_return_pointer (task, response, (GDestroyNotify) sv_backup_response_free);
        else
          g_task_return_error (task, error);
      }
      break;

    case CALL_CHANGES:
      {
        SvChangesResponse *response = sv_sync_client_get_changes (self, call->a, call->b, call->limit,
                                                                  cancellable, &error);

        if (response != NULL)
          g_task_return_pointer (task, response, (GDestroyNotify) sv_changes_response_free);
        else
          g_task_return_error (task, error);
      }
      break;

    case CALL_DEREGISTER:
      if (sv_sync_client_deregister (self, call->a, cancellable, &error))
        g_task_return_boolean (task, TRUE);
      else
        g_task_return_error (task, error);
      break;

    default:
      g_assert_not_reached ();
    }
}

static void
run_call (SvSyncClient        *self,
          Call                *call,
          gpointer             source_tag,
          GCancellable        *cancellable,
          GAsyncReadyCallback  callback,
          gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, call, (GDestroyNotify) call_free);
  g_task_run_in_thread (task, call_thread);
}

void
sv_sync_client_login_async (SvSyncClient        *self,
                            const char          *phone,
                            const char          *password,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  Call *call = g_new0 (Call, 1);

  call->kind = CALL_LOGIN;
  call->a = g_strdup (phone);
  call->b = g_strdup (password);
  run_call (self, call, sv_sync_client_login_async, cancellable, callback, user_data);
}

gboolean
sv_sync_client_login_finish (SvSyncClient  *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
sv_sync_client_register_async (SvSyncClient             *self,
                               const SvRegisterRequest  *request,
                               GCancellable             *cancellable,
                               GAsyncReadyCallback       callback,
                               gpointer                  user_data)
{
  Call *call = g_new0 (Call, 1);

  call->kind = CALL_REGISTER;
  /* The request crosses threads as its canonical JSON. */
  call->request_json = sv_register_request_to_json (request);
  run_call (self, call, sv_sync_client_register_async, cancellable, callback, user_data);
}

SvSyncRegistration *
sv_sync_client_register_finish (SvSyncClient  *self,
                                GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
sv_sync_client_backup_async (SvSyncClient        *self,
                             const char          *iccid,
                             const char          *body,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  Call *call = g_new0 (Call, 1);

  call->kind = CALL_BACKUP;
  call->a = g_strdup (iccid);
  call->b = g_strdup (body);
  run_call (self, call, sv_sync_client_backup_async, cancellable, callback, user_data);
}

SvBackupResponse *
sv_sync_client_backup_finish (SvSyncClient  *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
sv_sync_client_get_changes_async (SvSyncClient        *self,
                                  const char          *iccid,
                                  const char          *since,
                                  guint                limit,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  Call *call = g_new0 (Call, 1);

  call->kind = CALL_CHANGES;
  call->a = g_strdup (iccid);
  call->b = g_strdup (since);
  call->limit = limit;
  run_call (self, call, sv_sync_client_get_changes_async, cancellable, callback, user_data);
}

SvChangesResponse *
sv_sync_client_get_changes_finish (SvSyncClient  *self,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
sv_sync_client_deregister_async (SvSyncClient        *self,
                                 const char          *iccid,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  Call *call = g_new0 (Call, 1);

  call->kind = CALL_DEREGISTER;
  call->a = g_strdup (iccid);
  run_call (self, call, sv_sync_client_deregister_async, cancellable, callback, user_data);
}

gboolean
sv_sync_client_deregister_finish (SvSyncClient  *self,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
