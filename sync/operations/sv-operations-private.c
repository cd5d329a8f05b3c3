/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Helpers the operations share; see sv-operations-private.h.
 */
#define G_LOG_DOMAIN "sv-operations"

#include "config.h"

#include <string.h>

#include "sv-operations-private.h"

/*
 * sv_operation_credentials_copy:
 * @copy: the worker's credentials, filled from @credentials
 * @strings: %SV_OPERATION_N_CREDENTIAL_STRINGS slots that take ownership of
 *   @copy's strings (free them with sv_operation_strings_wipe())
 * @credentials: the caller's credentials, borrowed
 *
 * @copy holds a reference on @credentials' client, if any.
 */
void
sv_operation_credentials_copy (SvSyncCredentials       *copy,
                               char                   **strings,
                               const SvSyncCredentials *credentials)
{
  *copy = *credentials;
  copy->server = strings[0] = g_strdup (credentials->server);
  copy->phone = strings[1] = g_strdup (credentials->phone);
  copy->password = strings[2] = g_strdup (credentials->password);
  copy->staff_name = strings[3] = g_strdup (credentials->staff_name);
  copy->staff_password = strings[4] = g_strdup (credentials->staff_password);
  copy->consent_code = strings[5] = g_strdup (credentials->consent_code);
  copy->client = credentials->client ? g_object_ref (credentials->client) : NULL;
}

/*
 * sv_operation_strings_wipe:
 *
 * Zeroes then frees each of @strings: they may hold passwords.
 */
void
sv_operation_strings_wipe (char  **strings,
                           guint   n_strings)
{
  for (guint i = 0; i < n_strings; i++)
    {
      if (strings[i] != NULL)
        memset (strings[i], 0, strlen (strings[i]));
      g_clear_pointer (&strings[i], g_free);
    }
}

/*
 * sv_operation_run_in_thread:
 * @source_tag: the _async function, which its _finish checks
 * @job: (transfer full): the worker's own copy of its arguments
 * @job_free: frees @job with the task
 *
 * Runs @thread_func in a worker thread with @job as the task data of a
 * GTask without a source object; @callback gets that task.
 */
void
sv_operation_run_in_thread (gpointer             source_tag,
                            gpointer             job,
                            GDestroyNotify       job_free,
                            GTaskThreadFunc      thread_func,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, job, job_free);
  g_task_run_in_thread (task, thread_func);
}

/*
 * sv_operation_task_return:
 * @result: (transfer full) (nullable): the operation's result
 * @error: (transfer full): the operation's error when @result is %NULL
 *
 * Ends a worker thread's @task with @result, or else with @error.
 */
void
sv_operation_task_return (GTask          *task,
                          gpointer        result,
                          GDestroyNotify  result_unref,
                          GError         *error)
{
  if (result != NULL)
    g_task_return_pointer (task, result, result_unref);
  else
    g_task_return_error (task, error);
}

/*
 * sv_operation_client_new:
 *
 * A client for @server with @credentials' timeout and attempts (each
 * when set; else the client's defaults).
 *
 * Returns: (transfer full): the client, or %NULL with @error set
 */
SvSyncClient *
sv_operation_client_new (const char              *server,
                         const SvSyncCredentials *credentials,
                         GError                 **error)
{
  SvSyncClient *client = sv_sync_client_new (server, error);

  if (client == NULL)
    return NULL;
  if (credentials->timeout_seconds > 0)
    sv_sync_client_set_timeout (client, credentials->timeout_seconds);
  if (credentials->max_attempts > 0)
    sv_sync_client_set_retry_policy (client, credentials->max_attempts, 250, 4000);
  return client;
}
