/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The automatic backup of the seed (flow 2): after a card read or local
 * edits, a registered card is backed up when enough records changed or
 * the last backup is old enough. It is off by default (shop machines are
 * shared) and runs only with the account's password in the desktop
 * keyring: it never asks.
 */
#define G_LOG_DOMAIN "sv-operations"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "sv-operations-private.h"
#include "sv-auto-backup-operation.h"
#include "sv-sync-secret.h"

/**
 * sv_auto_backup_is_due:
 * @now: unix seconds
 *
 * Returns: whether @state calls for a backup under @policy: something
 *   waits for upload, and either @min_changes records (and messages) wait
 *   or the last backup (registration, if none) is @max_hours old
 */
gboolean
sv_auto_backup_is_due (const SvSyncState         *state,
                       const SvAutoBackupPolicy  *policy,
                       gint64                     now)
{
  guint waiting = state->n_pending_records + state->n_pending_messages;
  gint64 since = state->last_backup_at > 0 ? state->last_backup_at : state->registered_at;

  if (waiting == 0 && state->n_outbox == 0)
    return FALSE;
  /* A batch a crash left behind goes up at the first chance. */
  if (state->n_outbox > 0)
    return TRUE;
  if (policy->min_changes > 0 && waiting >= policy->min_changes)
    return TRUE;
  return policy->max_hours > 0 && now - since >= (gint64) policy->max_hours * 3600;
}

/**
 * sv_auto_backup_operation_run:
 * @ran: (out): whether a backup ran (%FALSE: not registered or not due)
 *
 * Blocking. Backs up @iccid incrementally, new messages included, when
 * sv_auto_backup_is_due() says so. Conflicts are reported, never settled.
 *
 * Returns: (transfer full) (nullable): the backup's result when one ran;
 *   %NULL with @error set when it failed (%SV_SYNC_ERROR_NO_PASSWORD when
 *   the keyring holds no password), %NULL without error when none ran
 */
SvBackupResult *
sv_auto_backup_operation_run (const char                *db_path,
                              const char                *iccid,
                              const SvAutoBackupPolicy  *policy,
                              gboolean                  *ran,
                              GCancellable              *cancellable,
                              GError                   **error)
{
  g_autoptr(SvMirror) mirror = NULL;
  g_autoptr(SvSyncState) state = NULL;
  g_autofree char *password = NULL;
  SvSyncCredentials credentials = { 0 };
  SvBackupOptions options = { 0 };
  SvBackupResult *result;

  *ran = FALSE;
  if ((mirror = sv_mirror_open (db_path, error)) == NULL)
    return NULL;
  state = sv_mirror_sync_get_state (mirror, iccid, NULL);
  g_clear_object (&mirror);
  if (state == NULL || !sv_auto_backup_is_due (state, policy, g_get_real_time () / G_USEC_PER_SEC))
    return NULL;

  password = sv_sync_secret_lookup (state->server, state->phone, cancellable, NULL);
  if (password == NULL)
    {
      g_set_error (error, SV_SYNC_ERROR, SV_SYNC_ERROR_NO_PASSWORD,
                   _("Automatic backup of %s needs the account’s password in the keyring; "
                     "register the card again from this computer"), iccid);
      return NULL;
    }
  credentials.password = password;
  options.sms = SV_BACKUP_SMS_NEW;
  *ran = TRUE;
  result = sv_backup_operation_run (db_path, iccid, &options, &credentials, NULL, cancellable, error);
  memset (password, 0, strlen (password));
  return result;
}

typedef struct
{
  char               *db_path;
  char               *iccid;
  SvAutoBackupPolicy  policy;
  gboolean            ran;
} AutoBackupJob;

static void
auto_backup_job_free (AutoBackupJob *job)
{
  g_free (job->db_path);
  g_free (job->iccid);
  g_free (job);
}

static void
auto_backup_thread (GTask        *task,
                    gpointer      source_object,
                    gpointer      task_data,
                    GCancellable *cancellable)
{
  AutoBackupJob *job = task_data;
  GError *error = NULL;
  SvBackupResult *result = sv_auto_backup_operation_run (job->db_path, job->iccid, &job->policy,
                                                         &job->ran, cancellable, &error);

  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, result, result ? (GDestroyNotify) sv_backup_result_unref : NULL);
}

void
sv_auto_backup_operation_run_async (const char                *db_path,
                                    const char                *iccid,
                                    const SvAutoBackupPolicy  *policy,
                                    GCancellable              *cancellable,
                                    GAsyncReadyCallback        callback,
                                    gpointer                   user_data)
{
  AutoBackupJob *job = g_new0 (AutoBackupJob, 1);

  job->db_path = g_strdup (db_path);
  job->iccid = g_strdup (iccid);
  job->policy = *policy;
  sv_operation_run_in_thread (sv_auto_backup_operation_run_async, job, (GDestroyNotify) auto_backup_job_free,
                              auto_backup_thread, cancellable, callback, user_data);
}

/**
 * sv_auto_backup_operation_run_finish:
 * @ran: (out) (optional): whether a backup ran
 */
SvBackupResult *
sv_auto_backup_operation_run_finish (GAsyncResult  *result,
                                     gboolean      *ran,
                                     GError       **error)
{
  AutoBackupJob *job;

  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  job = g_task_get_task_data (G_TASK (result));
  if (ran != NULL)
    *ran = job->ran;
  return g_task_propagate_pointer (G_TASK (result), error);
}
