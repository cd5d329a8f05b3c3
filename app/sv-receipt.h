/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/**
 * SvReceipt:
 *
 * What the restore desk hands the customer: which card went onto which,
 * for which phone number, what was written and what did not fit, when
 * and by whom.
 */
typedef struct
{
  char      *source_iccid;
  char      *target_iccid;
  char      *phone;
  char      *staff;
  char      *server;
  GDateTime *time;
  guint      contacts_written;
  guint      contacts_shortened;
  guint      contacts_not_fitted;
  guint      messages_written;
  guint      messages_not_fitted;
  guint      records_verified;
  GPtrArray *not_fitted;          /* (element-type utf8): names */
} SvReceipt;

SvReceipt *sv_receipt_new          (void);
void       sv_receipt_free         (SvReceipt    *receipt);
GPtrArray *sv_receipt_get_lines    (SvReceipt    *receipt);
gboolean   sv_receipt_print        (SvReceipt    *receipt,
                                    GtkWindow    *parent,
                                    const char   *pdf_path,
                                    GError      **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SvReceipt, sv_receipt_free)

G_END_DECLS
