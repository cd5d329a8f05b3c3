/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "sv-card-reader.h"
#include "sv-card-session.h"
#include "sv-mirror.h"
#include "sv-progress.h"

G_BEGIN_DECLS

typedef enum
{
  SV_READ_OPERATION_DEFAULT       = 0,
  SV_READ_OPERATION_SKIP_MESSAGES = 1 << 0,   /* do not read EF_SMS */
  SV_READ_OPERATION_NO_MIRROR     = 1 << 1,   /* read only: the mirror is not opened */
} SvReadOperationFlags;

/**
 * SvReadResult:
 *
 * What one read of a card produced: the image as read, its contacts and
 * messages (decoded once, here), the conflicts the mirror found between
 * local edits and the card, and the APDU counts. Immutable and
 * refcounted: safe to hand from the worker thread to the main thread.
 */
typedef struct _SvReadResult SvReadResult;

#define SV_TYPE_READ_RESULT (sv_read_result_get_type ())

GType                   sv_read_result_get_type      (void) G_GNUC_CONST;
SvReadResult           *sv_read_result_ref           (SvReadResult *result);
void                    sv_read_result_unref         (SvReadResult *result);
const char             *sv_read_result_get_iccid     (SvReadResult *result);
SvCardImage            *sv_read_result_get_image     (SvReadResult *result);
GPtrArray              *sv_read_result_get_contacts  (SvReadResult *result);
GPtrArray              *sv_read_result_get_messages  (SvReadResult *result);
const char             *sv_read_result_get_decode_problem (SvReadResult *result);
GPtrArray              *sv_read_result_get_conflicts (SvReadResult *result);
gboolean                sv_read_result_get_stored    (SvReadResult *result);
const SvCardReadStats  *sv_read_result_get_stats     (SvReadResult *result);

SvReadResult *sv_read_operation_run        (SvCardSession         *session,
                                            const char            *db_path,
                                            SvReadOperationFlags   flags,
                                            SvProgress            *progress,
                                            GCancellable          *cancellable,
                                            GError               **error);
void          sv_read_operation_run_async  (SvCardSession         *session,
                                            const char            *db_path,
                                            SvReadOperationFlags   flags,
                                            SvProgress            *progress,
                                            GCancellable          *cancellable,
                                            GAsyncReadyCallback    callback,
                                            gpointer               user_data);
SvReadResult *sv_read_operation_run_finish (GAsyncResult          *result,
                                            GError               **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SvReadResult, sv_read_result_unref)

G_END_DECLS
