/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "sv-backup-operation.h"

G_BEGIN_DECLS

/**
 * SvAutoBackupPolicy:
 * @min_changes: back up once this many records wait for upload
 * @max_hours: or once anything waits and the last backup is this old
 *
 * When the seed's automatic backup (flow 2) runs: the number of changed
 * records or the time since the last backup passes a threshold.
 */
typedef struct
{
  guint min_changes;
  guint max_hours;
} SvAutoBackupPolicy;

gboolean         sv_auto_backup_is_due                (const SvSyncState         *state,
                                                       const SvAutoBackupPolicy  *policy,
                                                       gint64                     now);
SvBackupResult  *sv_auto_backup_operation_run         (const char                *db_path,
                                                       const char                *iccid,
                                                       const SvAutoBackupPolicy  *policy,
                                                       gboolean                  *ran,
                                                       GCancellable              *cancellable,
                                                       GError                   **error);
void             sv_auto_backup_operation_run_async   (const char                *db_path,
                                                       const char                *iccid,
                                                       const SvAutoBackupPolicy  *policy,
                                                       GCancellable              *cancellable,
                                                       GAsyncReadyCallback        callback,
                                                       gpointer                   user_data);
SvBackupResult  *sv_auto_backup_operation_run_finish  (GAsyncResult              *result,
                                                       gboolean                  *ran,
                                                       GError                   **error);

G_END_DECLS
