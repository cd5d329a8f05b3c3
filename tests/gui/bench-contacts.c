/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * sv-bench-contacts [N]: how the contacts list copes with N contacts
 * (default 10000) in a real window: time to show them, to filter as each
 * key of a search is typed, and to sort by name. Prints figures; asserts
 * nothing about time (build-aux/bench-gui.sh runs it).
 */
#include "config.h"

#include <adwaita.h>

#include "sv-contacts-page.h"

static const char *first_names[] = { "Anna", "Bo", "Chen", "Dmitri", "Eva", "Fatima", "Georg", "Hana",
                                     "Ivan", "Jun", "Karin", "Li", "Marta", "Nikolai", "Olga", "Piotr" };
static const char *last_names[] = { "Wang", "Müller", "Ivanova", "Smith", "Kowalski", "Zhang", "Rossi",
                                    "Tanaka", "Novak", "Dubois", "Li", "Garcia" };

static void
settle (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static double
ms_since (gint64 start)
{
  return (g_get_monotonic_time () - start) / 1000.0;
}

int
main (int    argc,
      char **argv)
{
  guint n = argc > 1 ? (guint) g_ascii_strtoull (argv[1], NULL, 10) : 10000;
  g_autoptr(GPtrArray) contacts = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_contact_unref);
  const char *query = "ivan";
  GtkWidget *window, *page;
  gint64 start;
  double show_ms, sort_ms, total_filter_ms = 0, total_model_ms = 0;

  gtk_init ();
  adw_init ();

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *name = g_strdup_printf ("%s %s %u", first_names[i % G_N_ELEMENTS (first_names)],
                                               last_names[(i / 7) % G_N_ELEMENTS (last_names)], i);
      g_autofree char *number = g_strdup_printf ("+4915%08u", i * 7919 % 100000000);

      g_ptr_array_add (contacts, sv_contact_new (1 + i / 250, 1 + i % 250, name, number, NULL, NULL, NULL));
    }

  window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (window), 1000, 700);
  page = sv_contacts_page_new ();
  gtk_window_set_child (GTK_WINDOW (window), page);
  gtk_window_present (GTK_WINDOW (window));
  settle ();

  start = g_get_monotonic_time ();
  sv_contacts_page_set_contacts (SV_CONTACTS_PAGE (page), contacts);
  settle ();
  show_ms = ms_since (start);

  g_print ("contacts: %u\n", n);
  g_print ("show all: %.1f ms\n", show_ms);
  for (guint i = 1; i <= strlen (query); i++)
    {
      g_autofree char *prefix = g_strndup (query, i);
      double ms, model_ms;

      start = g_get_monotonic_time ();
      sv_contacts_page_set_query (SV_CONTACTS_PAGE (page), prefix);
      model_ms = ms_since (start);
      settle ();
      ms = ms_since (start);
      total_filter_ms += ms;
      total_model_ms += model_ms;
      g_print ("filter \"%s\": %.1f ms until drawn (%.1f ms in the models), %u shown\n", prefix, ms,
               model_ms, g_list_model_get_n_items (sv_contacts_page_get_model (SV_CONTACTS_PAGE (page))));
    }
  g_print ("filter per key (mean): %.1f ms until drawn, %.1f ms in the models\n",
           total_filter_ms / strlen (query), total_model_ms / strlen (query));

  sv_contacts_page_set_query (SV_CONTACTS_PAGE (page), "");
  settle ();
  start = g_get_monotonic_time ();
  sv_contacts_page_sort_by_name (SV_CONTACTS_PAGE (page));
  settle ();
  sort_ms = ms_since (start);
  g_print ("sort by name: %.1f ms\n", sort_ms);
  g_print ("frame budget at 60 Hz: 16.7 ms; filter per key / budget: %.2f\n",
           total_filter_ms / strlen (query) / 16.7);

  gtk_window_destroy (GTK_WINDOW (window));
  return 0;
}
