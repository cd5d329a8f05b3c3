/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Search as you type over a GtkCustomFilter whose function matches a
 * case-folded query.
 */
#include "config.h"

#include "sv-search-filter.h"

/**
 * sv_search_filter_update:
 * @filter: the filter that reads *@folded_query
 * @folded_query: (inout): the query in use, case-folded; %NULL for none
 * @text: (nullable): the text now in the search entry
 *
 * Stores the new query and tells @filter how it changed: a longer query
 * only drops rows, a shorter one only adds them, so GTK re-checks just
 * the rows that can change (with 10,000 contacts that is what keeps
 * typing smooth).
 */
void
sv_search_filter_update (GtkFilter   *filter,
                         char       **folded_query,
                         const char  *text)
{
  g_autofree char *old = g_steal_pointer (folded_query);
  GtkFilterChange change = GTK_FILTER_CHANGE_DIFFERENT;

  if (text != NULL && *text != '\0')
    *folded_query = g_utf8_casefold (text, -1);

  if (g_strcmp0 (old, *folded_query) == 0)
    return;
  if (old == NULL)
    change = GTK_FILTER_CHANGE_MORE_STRICT;
  else if (*folded_query == NULL)
    change = GTK_FILTER_CHANGE_LESS_STRICT;
  else if (strstr (*folded_query, old) != NULL)
    change = GTK_FILTER_CHANGE_MORE_STRICT;
  else if (strstr (old, *folded_query) != NULL)
    change = GTK_FILTER_CHANGE_LESS_STRICT;

  gtk_filter_changed (filter, change);
}
