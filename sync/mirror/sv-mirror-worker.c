/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Runs mirror operations off the main thread. SQLite wants one connection
 * per thread, so each worker opens its own SvMirror on the same file; WAL
 * lets the readers and the one writer work side by side.
 */
#define G_LOG_DOMAIN "sv-mirror-worker"

#include "config.h"

#include "sv-mirror-worker.h"

typedef struct
{
  char               *db_path;
  SvMirrorWorkerFunc  func;
  gpointer            data;
  GDestroyNotify      data_free;
  GDestroyNotify      result_free;
} WorkerJob;

static void
worker_job_free (WorkerJob *job)
{
  if (job->data_free != NULL)
    job->data_free (job->data);
  g_free (job->db_path);
  g_free (job);
}

static void
worker_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  WorkerJob *job = task_data;
  g_autoptr(SvMirror) mirror = NULL;
  g_autoptr(GError) error = NULL;
  gpointer result;

  mirror = sv_mirror_open (job->db_path, &error);
  if (mirror == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  result = job->func (mirror, job->data, cancellable, &error);
  if (result == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, result, job->result_free);
}

/**
 * sv_mirror_worker_run:
 * @db_path: (nullable): the mirror file; %NULL for the default one
 *
 * Runs @func in a worker thread with a connection of its own and calls
 * @callback on the caller's main context.
 */
void
sv_mirror_worker_run (const char          *db_path,
                      SvMirrorWorkerFunc   func,
                      gpointer             data,
                      GDestroyNotify       data_free,
                      GDestroyNotify       result_free,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  WorkerJob *job;

  g_return_if_fail (func != NULL);

  job = g_new0 (WorkerJob, 1);
  job->db_path = g_strdup (db_path);
  job->func = func;
  job->data = data;
  job->data_free = data_free;
  job->result_free = result_free;

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, sv_mirror_worker_run);
  g_task_set_task_data (task, job, (GDestroyNotify) worker_job_free);
  g_task_run_in_thread (task, worker_thread);
}

/**
 * sv_mirror_worker_finish:
 *
 * Returns: (transfer full) (nullable): what the worker function returned
 */
gpointer
sv_mirror_worker_finish (GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * sv_mirror_worker_get_data:
 *
 * Returns: (transfer none): the @data given to sv_mirror_worker_run(),
 *   valid until the callback returns
 */
gpointer
sv_mirror_worker_get_data (GAsyncResult *result)
{
  WorkerJob *job;

  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  job = g_task_get_task_data (G_TASK (result));
  return job->data;
}
