/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "sv-receipt.h"
#include "sv-window.h"

G_BEGIN_DECLS

#define SV_TYPE_RESTORE_DESK (sv_restore_desk_get_type ())

G_DECLARE_FINAL_TYPE (SvRestoreDesk, sv_restore_desk, SV, RESTORE_DESK, AdwWindow)

GtkWidget  *sv_restore_desk_new          (SvWindow      *window);
const char *sv_restore_desk_get_step     (SvRestoreDesk *self);
gboolean    sv_restore_desk_is_busy      (SvRestoreDesk *self);
const char *sv_restore_desk_get_error    (SvRestoreDesk *self);
const char *sv_restore_desk_get_target   (SvRestoreDesk *self);
guint       sv_restore_desk_get_n_cards  (SvRestoreDesk *self);
void        sv_restore_desk_get_counts   (SvRestoreDesk *self,
                                          guint         *fits,
                                          guint         *reencoded,
                                          guint         *shortened,
                                          guint         *overflow);
SvReceipt  *sv_restore_desk_get_receipt  (SvRestoreDesk *self);
void        sv_restore_desk_fill_staff   (SvRestoreDesk *self,
                                          const char    *server,
                                          const char    *name,
                                          const char    *password);
void        sv_restore_desk_fill_customer (SvRestoreDesk *self,
                                          const char    *phone,
                                          const char    *code,
                                          const char    *password);
void        sv_restore_desk_set_accept_truncation (SvRestoreDesk *self,
                                          gboolean       accept);

G_END_DECLS
