/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "sv-card-session.h"
#include "sv-card-writer.h"
#include "sv-mirror.h"
#include "sv-progress.h"

G_BEGIN_DECLS

/**
 * SvWritePlan:
 *
 * What writing a card's pending changes will do, made before the card is
 * touched: the card as last read (base), the card with the edits (target),
 * the records the writer will update (bookkeeping included) and the
 * contacts added, changed and deleted, for a preview. Immutable and
 * refcounted.
 */
typedef struct _SvWritePlan SvWritePlan;

#define SV_TYPE_WRITE_PLAN (sv_write_plan_get_type ())

GType         sv_write_plan_get_type             (void) G_GNUC_CONST;
SvWritePlan  *sv_write_plan_ref                  (SvWritePlan  *plan);
void          sv_write_plan_unref                (SvWritePlan  *plan);
const char   *sv_write_plan_get_iccid            (SvWritePlan  *plan);
SvCardImage  *sv_write_plan_get_base             (SvWritePlan  *plan);
SvCardImage  *sv_write_plan_get_target           (SvWritePlan  *plan);
GPtrArray    *sv_write_plan_get_changes          (SvWritePlan  *plan);
GPtrArray    *sv_write_plan_get_added_contacts   (SvWritePlan  *plan);
GPtrArray    *sv_write_plan_get_changed_contacts (SvWritePlan  *plan);
GPtrArray    *sv_write_plan_get_deleted_contacts (SvWritePlan  *plan);

/**
 * SvWriteResult:
 *
 * What a write did, also when it failed part-way: the counts, the records
 * an earlier interrupted write had already written (from its journal) and
 * the journal left behind when this one was interrupted. Immutable and
 * refcounted.
 */
typedef struct _SvWriteResult SvWriteResult;

#define SV_TYPE_WRITE_RESULT (sv_write_result_get_type ())

GType                   sv_write_result_get_type         (void) G_GNUC_CONST;
SvWriteResult          *sv_write_result_ref              (SvWriteResult *result);
void                    sv_write_result_unref            (SvWriteResult *result);
const char             *sv_write_result_get_iccid        (SvWriteResult *result);
const SvCardWriteStats *sv_write_result_get_stats        (SvWriteResult *result);
guint                   sv_write_result_get_apdu_count   (SvWriteResult *result);
GPtrArray              *sv_write_result_get_written      (SvWriteResult *result);
const char             *sv_write_result_get_journal_left (SvWriteResult *result);

SvWritePlan *sv_write_operation_prepare        (const char           *db_path,
                                                const char           *iccid,
                                                GCancellable         *cancellable,
                                                GError              **error);
void         sv_write_operation_prepare_async  (const char           *db_path,
                                                const char           *iccid,
                                                GCancellable         *cancellable,
                                                GAsyncReadyCallback   callback,
                                                gpointer              user_data);
SvWritePlan *sv_write_operation_prepare_finish (GAsyncResult         *result,
                                                GError              **error);

gboolean     sv_write_operation_run            (SvCardSession        *session,
                                                const char           *db_path,
                                                SvWritePlan          *plan,
                                                const char           *journal_path,
                                                SvProgress           *progress,
                                                SvWriteResult       **result,
                                                GCancellable         *cancellable,
                                                GError              **error);
void         sv_write_operation_run_async      (SvCardSession        *session,
                                                const char           *db_path,
                                                SvWritePlan          *plan,
                                                const char           *journal_path,
                                                SvProgress           *progress,
                                                GCancellable         *cancellable,
                                                GAsyncReadyCallback   callback,
                                                gpointer              user_data);
gboolean     sv_write_operation_run_finish     (GAsyncResult         *async_result,
                                                SvWriteResult       **result,
                                                GError              **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SvWritePlan, sv_write_plan_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SvWriteResult, sv_write_result_unref)

G_END_DECLS
