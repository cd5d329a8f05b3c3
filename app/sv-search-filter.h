/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

void sv_search_filter_update (GtkFilter   *filter,
                              char       **folded_query,
                              const char  *text);

G_END_DECLS
