/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "sv-progress.h"
#include "sv-sync-operation.h"

G_BEGIN_DECLS

/**
 * SvBackupSms:
 * @SV_BACKUP_SMS_NONE: no messages
 * @SV_BACKUP_SMS_NEW: the messages changed since the last SMS backup
 * @SV_BACKUP_SMS_ALL: every message on the card (flow 6, full)
 * @SV_BACKUP_SMS_CHOSEN: the messages listed in @sms_indices (flow 6, manual)
 */
typedef enum
{
  SV_BACKUP_SMS_NONE,
  SV_BACKUP_SMS_NEW,
  SV_BACKUP_SMS_ALL,
  SV_BACKUP_SMS_CHOSEN,
} SvBackupSms;

/**
 * SvBackupOptions:
 * @full: a full backup (flow 4): the server clears the card's files first
 * @sms: which messages go up
 * @sms_indices: (array length=n_sms_indices): with %SV_BACKUP_SMS_CHOSEN,
 *   the message indices (as `show` lists them)
 * @resolve: what to do with conflicts, recorded ones included
 */
typedef struct
{
  gboolean       full;
  SvBackupSms    sms;
  const guint   *sms_indices;
  guint          n_sms_indices;
  SvSyncResolve  resolve;
} SvBackupOptions;

/**
 * SvBackupResult:
 * @records_sent: records in the batches sent (resends included once)
 * @records_applied: records the server stored
 * @batches: batches sent, @resumed of them from the outbox of an earlier run
 * @conflicts: (element-type SvSyncConflict): records left unresolved
 * @messages_*: the SMS backup's answer, summed over its batches
 * @stats: bytes and round trips
 * @token: (nullable): the token of the last acknowledged batch
 * @image: the working image, for decoding the conflicts
 *
 * What one backup did. Immutable, refcounted.
 */
typedef struct
{
  char        *iccid;
  gboolean     full;
  guint        records_sent;
  guint        records_applied;
  guint        batches;
  guint        resumed;
  GPtrArray   *conflicts;
  guint        messages_sent;
  guint        messages_stored;
  guint        messages_duplicates;
  guint        messages_dropped;
  guint        messages_count;
  SvSyncStats  stats;
  char        *token;
  SvCardImage *image;
} SvBackupResult;

#define SV_TYPE_BACKUP_RESULT (sv_backup_result_get_type ())
GType            sv_backup_result_get_type   (void) G_GNUC_CONST;
SvBackupResult  *sv_backup_result_ref        (SvBackupResult *result);
void             sv_backup_result_unref      (SvBackupResult *result);

SvBackupResult  *sv_backup_operation_run        (const char               *db_path,
                                                 const char               *iccid,
                                                 const SvBackupOptions    *options,
                                                 const SvSyncCredentials  *credentials,
                                                 SvProgress               *progress,
                                                 GCancellable             *cancellable,
                                                 GError                  **error);
void             sv_backup_operation_run_async  (const char               *db_path,
                                                 const char               *iccid,
                                                 const SvBackupOptions    *options,
                                                 const SvSyncCredentials  *credentials,
                                                 SvProgress               *progress,
                                                 GCancellable             *cancellable,
                                                 GAsyncReadyCallback       callback,
                                                 gpointer                  user_data);
SvBackupResult  *sv_backup_operation_run_finish (GAsyncResult             *result,
                                                 GError                  **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SvBackupResult, sv_backup_result_unref)

G_END_DECLS
