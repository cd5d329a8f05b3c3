/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "sv-application.h"
#include "sv-window-private.h"

G_BEGIN_DECLS

/* Helpers for the tests and the screenshot tool that drive the real
 * window: wait on the main loop for a condition, find dialogs and
 * widgets. One application per process (a second could not export its
 * D-Bus path). */

typedef gboolean (*SvTestCondition) (gpointer data);

extern SvApplication *sv_test_app;

void       sv_test_init             (int              *argc,
                                     char           ***argv);
void       sv_test_wait_for         (SvTestCondition   condition,
                                     gpointer          data,
                                     guint             timeout_s,
                                     const char       *what);
GtkWidget *sv_test_find_toplevel    (GType             type);
gboolean   sv_test_has_toplevel     (gpointer          type);
gboolean   sv_test_no_toplevel      (gpointer          type);
GtkWidget *sv_test_find_child       (GtkWidget        *root,
                                     GType             type,
                                     guint             nth);
SvWindow  *sv_test_open_window      (void);
void       sv_test_close_window     (SvWindow         *window);
gboolean   sv_test_card_shown       (gpointer          window);
gboolean   sv_test_window_idle      (gpointer          window);
void       sv_test_reset_db         (void);

G_END_DECLS
