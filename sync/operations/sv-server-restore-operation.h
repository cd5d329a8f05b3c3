/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "sv-progress.h"
#include "sv-restore-map.h"
#include "sv-sync-operation.h"

G_BEGIN_DECLS

/**
 * SvServerRestoreOptions:
 * @full: a full restore (flows 9, 10): the target's phonebook is cleared,
 *   then everything backed up is written
 * @incremental: only the changes since the card's token (flow 8); without
 *   either, incremental when the mirror has a token for the card
 * @sms: the backed-up messages too
 * @apply: store the result as the target's pending changes (else a preview)
 * @accept_truncation: the user consents to shortened contacts
 * @resolve: what to do with records changed on both sides (same card)
 * @source_iccid: (nullable): the backed-up card; %NULL: the target itself
 *   when it is backed up on the account, else the account's current card
 */
typedef struct
{
  gboolean       full;
  gboolean       incremental;
  gboolean       sms;
  gboolean       apply;
  gboolean       accept_truncation;
  SvSyncResolve  resolve;
  const char    *source_iccid;
} SvServerRestoreOptions;

/**
 * SvServerRestoreResult:
 * @same_card: the backup is the target's own (records go back to their
 *   indices); else the backup was mapped onto another card
 * @registration: (nullable): with @apply on another card, what registering
 *   the target answered ("card-change" for a replacement card)
 * @entries: (element-type SvRestoreEntry) (nullable): another card: the fit
 *   preview per contact
 * @written: (element-type SvSyncRecord): records whose working bytes
 *   change (changed, with @applied)
 * @conflicts: (element-type SvSyncConflict): same card: records changed on
 *   both sides, left as they are
 * @before: the target's working image before the restore
 * @after: the target's working image with the restore
 *
 * What a restore from the server did or would do. Immutable, refcounted.
 */
typedef struct
{
  char        *source_iccid;
  char        *target_iccid;
  gboolean     same_card;
  gboolean     full;
  gboolean     applied;
  char        *registration;
  GPtrArray   *entries;
  guint        records;
  GPtrArray   *written;
  GPtrArray   *conflicts;
  guint        messages;
  guint        messages_written;
  guint        messages_dropped;
  char        *token;
  SvSyncStats  stats;
  SvCardImage *before;
  SvCardImage *after;
} SvServerRestoreResult;

#define SV_TYPE_SERVER_RESTORE_RESULT (sv_server_restore_result_get_type ())
GType                   sv_server_restore_result_get_type (void) G_GNUC_CONST;
SvServerRestoreResult  *sv_server_restore_result_ref      (SvServerRestoreResult *result);
void                    sv_server_restore_result_unref    (SvServerRestoreResult *result);

SvServerRestoreResult  *sv_server_restore_operation_run        (const char                    *db_path,
                                                                const char                    *target_iccid,
                                                                const SvServerRestoreOptions  *options,
                                                                const SvSyncCredentials       *credentials,
                                                                SvProgress                    *progress,
                                                                GCancellable                  *cancellable,
                                                                GError                       **error);
void                    sv_server_restore_operation_run_async  (const char                    *db_path,
                                                                const char                    *target_iccid,
                                                                const SvServerRestoreOptions  *options,
                                                                const SvSyncCredentials       *credentials,
                                                                SvProgress                    *progress,
                                                                GCancellable                  *cancellable,
                                                                GAsyncReadyCallback            callback,
                                                                gpointer                       user_data);
SvServerRestoreResult  *sv_server_restore_operation_run_finish (GAsyncResult                  *result,
                                                                GError                       **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SvServerRestoreResult, sv_server_restore_result_unref)

G_END_DECLS
