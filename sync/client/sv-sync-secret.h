/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

gboolean  sv_sync_secret_is_available (void);
gboolean  sv_sync_secret_store        (const char    *server,
                                       const char    *phone,
                                       const char    *password,
                                       GCancellable  *cancellable,
                                       GError       **error);
char     *sv_sync_secret_lookup       (const char    *server,
                                       const char    *phone,
                                       GCancellable  *cancellable,
                                       GError       **error);
gboolean  sv_sync_secret_clear        (const char    *server,
                                       const char    *phone,
                                       GCancellable  *cancellable,
                                       GError       **error);

G_END_DECLS
