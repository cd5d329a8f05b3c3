/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define SV_TYPE_CELL_LABEL (sv_cell_label_get_type ())

G_DECLARE_FINAL_TYPE (SvCellLabel, sv_cell_label, SV, CELL_LABEL, GtkWidget)

GtkWidget  *sv_cell_label_new             (void);
void        sv_cell_label_set_text        (SvCellLabel *self,
                                           const char  *text);
const char *sv_cell_label_get_text        (SvCellLabel *self);
void        sv_cell_label_set_width_chars (SvCellLabel *self,
                                           guint        width_chars);

G_END_DECLS
