/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "sv-mirror.h"

G_BEGIN_DECLS

/**
 * SvMirrorWorkerFunc:
 * @mirror: a connection to the mirror, owned by the worker thread
 * @data: the caller's data
 * @cancellable: (nullable): the operation's cancellable
 * @error: return location for an error
 *
 * The blocking part of a mirror operation. Runs in a worker thread and
 * touches no widget.
 *
 * Returns: (transfer full) (nullable): the result handed to the callback;
 *   %NULL with @error set on failure. Operations without a result return
 *   any non-%NULL pointer, such as GINT_TO_POINTER (TRUE), and no
 *   @result_free.
 */
typedef gpointer (*SvMirrorWorkerFunc) (SvMirror      *mirror,
                                        gpointer       data,
                                        GCancellable  *cancellable,
                                        GError       **error);

void     sv_mirror_worker_run    (const char          *db_path,
                                  SvMirrorWorkerFunc   func,
                                  gpointer             data,
                                  GDestroyNotify       data_free,
                                  GDestroyNotify       result_free,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data);
gpointer sv_mirror_worker_finish (GAsyncResult        *result,
                                  GError             **error);
gpointer sv_mirror_worker_get_data (GAsyncResult      *result);

G_END_DECLS
