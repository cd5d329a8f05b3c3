/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "sv-backup-operation.h"

G_BEGIN_DECLS

/* What the window's backup pieces share: words for the sync errors a
 * person can act on, and the account passwords of this session (the
 * keyring when there is one, else memory until the app quits or the
 * person signs out). */

char     *sv_sync_ui_describe_error    (const GError  *error,
                                        const char    *server);
void      sv_sync_ui_password_remember (const char    *server,
                                        const char    *phone,
                                        const char    *password);
void      sv_sync_ui_password_lookup_async  (const char          *server,
                                             const char          *phone,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
char     *sv_sync_ui_password_lookup_finish (GAsyncResult        *result);
void      sv_sync_ui_password_forget   (const char    *server,
                                        const char    *phone);
void      sv_sync_ui_password_free     (char          *password);
char     *sv_sync_ui_describe_record   (SvCardImage   *image,
                                        const char    *key,
                                        guint          index,
                                        GBytes        *bytes);
char     *sv_sync_ui_format_time       (gint64         unix_seconds);
void      sv_sync_ui_toast             (GtkWidget     *widget,
                                        const char    *text);

G_END_DECLS
