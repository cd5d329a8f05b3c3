/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Restore one card's content onto another, in the mirror: the preview maps
 * the source's phonebook onto the target's sets and limits
 * (sync/mirror/sv-restore-map.c) and says, per contact, whether it fits,
 * is re-encoded, shortened or left out; apply stores the mapped phonebook
 * as one undoable edit of the target. The records then wait as pending
 * changes, and the write operation puts them on the card.
 */
#define G_LOG_DOMAIN "sv-operations"

#include "config.h"

#include "sv-operations-private.h"
#include "sv-restore-operation.h"

/**
 * sv_restore_operation_preview:
 * @db_path: (nullable): the mirror file; %NULL for the user's
 *
 * Blocking; opens its own connection.
 *
 * Returns: (transfer container) (element-type SvRestoreEntry): one entry
 *   per source contact, or %NULL with @error set
 */
GPtrArray *
sv_restore_operation_preview (const char    *db_path,
                              const char    *source_iccid,
                              const char    *target_iccid,
                              GCancellable  *cancellable,
                              GError       **error)
{
  g_autoptr(SvMirror) mirror = NULL;

  if (g_cancellable_set_error_if_cancelled (cancellable, error) ||
      (mirror = sv_mirror_open (db_path, error)) == NULL)
    return NULL;
  return sv_mirror_restore_preview (mirror, source_iccid, target_iccid, error);
}

/**
 * sv_restore_operation_apply:
 * @accept_truncation: store contacts that lose something (else refused)
 * @entries: (out) (optional) (transfer container) (element-type SvRestoreEntry):
 *   the mapping, also when it is refused (to say what would be lost)
 *
 * Blocking; opens its own connection.
 *
 * Returns: %TRUE when the mapping is stored in the target's working image
 */
gboolean
sv_restore_operation_apply (const char    *db_path,
                            const char    *source_iccid,
                            const char    *target_iccid,
                            gboolean       accept_truncation,
                            GPtrArray    **entries,
                            GCancellable  *cancellable,
                            GError       **error)
{
  g_autoptr(SvMirror) mirror = NULL;

  if (entries != NULL)
    *entries = NULL;
  if (g_cancellable_set_error_if_cancelled (cancellable, error) ||
      (mirror = sv_mirror_open (db_path, error)) == NULL)
    return FALSE;
  return sv_mirror_restore_apply (mirror, source_iccid, target_iccid, accept_truncation,
                                  entries, error);
}

typedef struct
{
  char      *db_path;
  char      *source;
  char      *target;
  gboolean   apply;
  gboolean   accept_truncation;
  GPtrArray *entries;           /* apply: the mapping, stored or refused */
} RestoreJob;

static void
restore_job_free (RestoreJob *job)
{
  g_free (job->db_path);
  g_free (job->source);
  g_free (job->target);
  g_clear_pointer (&job->entries, g_ptr_array_unref);
  g_free (job);
}

static void
restore_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  RestoreJob *job = task_data;
  GError *error = NULL;
  GPtrArray *entries;

  if (job->apply)
    {
      if (sv_restore_operation_apply (job->db_path, job->source, job->target, job->accept_truncation,
                                      &job->entries, cancellable, &error))
        g_task_return_boolean (task, TRUE);
      else
        g_task_return_error (task, error);
      return;
    }

  entries = sv_restore_operation_preview (job->db_path, job->source, job->target, cancellable, &error);
  if (entries == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, entries, (GDestroyNotify) g_ptr_array_unref);
}

static void
run_restore (const char          *db_path,
             const char          *source_iccid,
             const char          *target_iccid,
             gboolean             apply,
             gboolean             accept_truncation,
             gpointer             source_tag,
             GCancellable        *cancellable,
             GAsyncReadyCallback  callback,
             gpointer             user_data)
{
  RestoreJob *job = g_new0 (RestoreJob, 1);

  job->db_path = g_strdup (db_path);
  job->source = g_strdup (source_iccid);
  job->target = g_strdup (target_iccid);
  job->apply = apply;
  job->accept_truncation = accept_truncation;
  sv_operation_run_in_thread (source_tag, job, (GDestroyNotify) restore_job_free,
                              restore_thread, cancellable, callback, user_data);
}

void
sv_restore_operation_preview_async (const char          *db_path,
                                    const char          *source_iccid,
                                    const char          *target_iccid,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  run_restore (db_path, source_iccid, target_iccid, FALSE, FALSE,
               sv_restore_operation_preview_async, cancellable, callback, user_data);
}

/**
 * sv_restore_operation_preview_finish:
 *
 * Returns: (transfer container) (element-type SvRestoreEntry) (nullable)
 */
GPtrArray *
sv_restore_operation_preview_finish (GAsyncResult  *result,
                                     GError       **error)
{
  g_return_val_if_fail (g_async_result_is_tagged (result, sv_restore_operation_preview_async), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
sv_restore_operation_apply_async (const char          *db_path,
                                  const char          *source_iccid,
                                  const char          *target_iccid,
                                  gboolean             accept_truncation,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  run_restore (db_path, source_iccid, target_iccid, TRUE, accept_truncation,
               sv_restore_operation_apply_async, cancellable, callback, user_data);
}

/**
 * sv_restore_operation_apply_finish:
 * @entries: (out) (optional) (transfer container) (element-type SvRestoreEntry):
 *   as for sv_restore_operation_apply()
 */
gboolean
sv_restore_operation_apply_finish (GAsyncResult  *result,
                                   GPtrArray    **entries,
                                   GError       **error)
{
  RestoreJob *job;

  g_return_val_if_fail (g_async_result_is_tagged (result, sv_restore_operation_apply_async), FALSE);

  job = g_task_get_task_data (G_TASK (result));
  if (entries != NULL)
    *entries = g_steal_pointer (&job->entries);
  return g_task_propagate_boolean (G_TASK (result), error);
}
