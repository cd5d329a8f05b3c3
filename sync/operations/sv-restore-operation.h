/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "sv-restore-map.h"

G_BEGIN_DECLS

GPtrArray *sv_restore_operation_preview        (const char           *db_path,
                                                const char           *source_iccid,
                                                const char           *target_iccid,
                                                GCancellable         *cancellable,
                                                GError              **error);
void       sv_restore_operation_preview_async  (const char           *db_path,
                                                const char           *source_iccid,
                                                const char           *target_iccid,
                                                GCancellable         *cancellable,
                                                GAsyncReadyCallback   callback,
                                                gpointer              user_data);
GPtrArray *sv_restore_operation_preview_finish (GAsyncResult         *result,
                                                GError              **error);

gboolean   sv_restore_operation_apply          (const char           *db_path,
                                                const char           *source_iccid,
                                                const char           *target_iccid,
                                                gboolean              accept_truncation,
                                                GPtrArray           **entries,
                                                GCancellable         *cancellable,
                                                GError              **error);
void       sv_restore_operation_apply_async    (const char           *db_path,
                                                const char           *source_iccid,
                                                const char           *target_iccid,
                                                gboolean              accept_truncation,
                                                GCancellable         *cancellable,
                                                GAsyncReadyCallback   callback,
                                                gpointer              user_data);
gboolean   sv_restore_operation_apply_finish   (GAsyncResult         *result,
                                                GPtrArray           **entries,
                                                GError              **error);

G_END_DECLS
