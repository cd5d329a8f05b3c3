/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The contacts list: what a search shows and in which order, against a
 * plain scan of all contacts; sorting by each column in both directions;
 * the selection following contacts, not positions; the cells on screen
 * following their row when a search or a sort changes its contact; what
 * a frame of the list costs to draw (render nodes per row).
 */
#include "config.h"

#include <string.h>

#include <adwaita.h>

#include "sv-cell-label.h"
#include "sv-contact-row.h"
#include "sv-contacts-page.h"

static const char *names[] = { "Anna", "anton", "Bo", "Chen", "Dmitri", "Élodie", "Eva", "Müller",
                               "MÜLLER Jr", "muller", "Ivan", "Ivanova", "Zoë", "Ångström", "李", "" };

typedef struct
{
  GtkWidget      *window;
  SvContactsPage *page;
  GPtrArray      *contacts;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  guint n = GPOINTER_TO_UINT (data);

  fixture->contacts = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_contact_unref);
  for (guint i = 0; i < n; i++)
    {
      /* positions not in name order, some equal names */
      g_autofree char *name = g_strdup_printf ("%s %u", names[(i * 7) % G_N_ELEMENTS (names)], i % 5);
      g_autofree char *number = g_strdup_printf ("+49151%06u", (i * 7919) % 1000000);

      g_ptr_array_add (fixture->contacts, sv_contact_new (1 + i / 250, 1 + i % 250, name, number, NULL, NULL, NULL));
    }

  fixture->window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (fixture->window), 800, 600);
  fixture->page = SV_CONTACTS_PAGE (sv_contacts_page_new ());
  gtk_window_set_child (GTK_WINDOW (fixture->window), GTK_WIDGET (fixture->page));
  gtk_window_present (GTK_WINDOW (fixture->window));
  sv_contacts_page_set_contacts (fixture->page, fixture->contacts);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  gtk_window_destroy (GTK_WINDOW (fixture->window));
  g_ptr_array_unref (fixture->contacts);
}

static void
settle (void)
{
  for (int i = 0; i < 20; i++)
    while (g_main_context_iteration (NULL, FALSE))
      ;
}

static SvContact *
shown_contact (SvContactsPage *page,
               guint           position)
{
  g_autoptr(SvContactRow) row = g_list_model_get_item (sv_contacts_page_get_model (page), position);

  g_assert_nonnull (row);
  return sv_contact_object_get_contact (sv_contact_row_get_object (row));
}

static gboolean
contact_matches (SvContact  *contact,
                 const char *query)
{
  g_autofree char *folded_query = NULL;
  g_autofree char *name = NULL;
  g_autofree char *number = NULL;

  if (query == NULL || *query == '\0')
    return TRUE;
  folded_query = sv_contact_object_fold (query);
  name = sv_contact_object_fold (sv_contact_get_name (contact));
  number = sv_contact_object_fold (sv_contact_get_number (contact));
  return strstr (name, folded_query) != NULL || strstr (number, folded_query) != NULL;
}

static int
compare_position (SvContact *a,
                  SvContact *b)
{
  if (sv_contact_get_set (a) != sv_contact_get_set (b))
    return sv_contact_get_set (a) < sv_contact_get_set (b) ? -1 : 1;
  return sv_contact_get_index (a) < sv_contact_get_index (b) ? -1 : sv_contact_get_index (a) > sv_contact_get_index (b);
}

static int
compare_by (SvContactsColumn  column,
            SvContact        *a,
            SvContact        *b)
{
  int result = 0;

  if (column == SV_CONTACTS_COLUMN_NAME)
    {
      g_autofree char *fa = g_utf8_casefold (sv_contact_get_name (a), -1);
      g_autofree char *fb = g_utf8_casefold (sv_contact_get_name (b), -1);

      result = g_utf8_collate (fa, fb);
    }
  else if (column == SV_CONTACTS_COLUMN_NUMBER)
    {
      result = strcmp (sv_contact_get_number (a), sv_contact_get_number (b));
    }
  return result != 0 ? result : compare_position (a, b);
}

/* What is shown is exactly the contacts that match, in @column's order. */
static void
assert_shown (Fixture          *fixture,
              const char       *query,
              SvContactsColumn  column,
              GtkSortType       order)
{
  GListModel *model = sv_contacts_page_get_model (fixture->page);
  guint n_expected = 0;

  for (guint i = 0; i < fixture->contacts->len; i++)
    n_expected += contact_matches (g_ptr_array_index (fixture->contacts, i), query);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, n_expected);

  for (guint position = 0; position < n_expected; position++)
    {
      SvContact *contact = shown_contact (fixture->page, position);

      g_assert_true (contact_matches (contact, query));
      if (position > 0)
        {
          int c = compare_by (column, shown_contact (fixture->page, position - 1), contact);

          g_assert_cmpint (order == GTK_SORT_ASCENDING ? c : -c, <, 0);
        }
    }
}

static void
test_filter (Fixture       *fixture,
             gconstpointer  data)
{
  /* typed and erased key by key, then queries that neither extend nor
   * shorten the previous one */
  static const char *queries[] = { "", "m", "mü", "mül", "müll", "mül", "mü", "m", "", "MÜLLER", "muller",
                                   "ivan", "IVANOVA", "+4915", "0", "zz", "e", "é", "Élo", "李", "Å", "",
                                   /* nothing that is not in a field */ "null", "(null)" };

  for (guint i = 0; i < G_N_ELEMENTS (queries); i++)
    {
      sv_contacts_page_set_query (fixture->page, queries[i]);
      assert_shown (fixture, queries[i], SV_CONTACTS_COLUMN_INDEX, GTK_SORT_ASCENDING);
    }
}

static void
test_sort (Fixture       *fixture,
           gconstpointer  data)
{
  static const struct { SvContactsColumn column; GtkSortType order; } sorts[] = {
    { SV_CONTACTS_COLUMN_NAME, GTK_SORT_ASCENDING },
    { SV_CONTACTS_COLUMN_NAME, GTK_SORT_DESCENDING },
    { SV_CONTACTS_COLUMN_NUMBER, GTK_SORT_ASCENDING },
    { SV_CONTACTS_COLUMN_NUMBER, GTK_SORT_DESCENDING },
    { SV_CONTACTS_COLUMN_INDEX, GTK_SORT_DESCENDING },
    { SV_CONTACTS_COLUMN_INDEX, GTK_SORT_ASCENDING },
  };
  static const char *queries[] = { "", "an", "a" };

  /* Let the worker that computes the name and number orders deliver them,
   * so the orders checked below are the worker's (an even number of
   * contacts), or not: then the first click computes them (odd). */
  if (GPOINTER_TO_UINT (data) % 2 == 0)
    for (int i = 0; i < 100; i++)
      {
        while (g_main_context_iteration (NULL, FALSE))
          ;
        g_usleep (10 * 1000);
      }

  for (guint q = 0; q < G_N_ELEMENTS (queries); q++)
    for (guint i = 0; i < G_N_ELEMENTS (sorts); i++)
      {
        sv_contacts_page_set_query (fixture->page, queries[q]);
        sv_contacts_page_sort (fixture->page, sorts[i].column, sorts[i].order);
        assert_shown (fixture, queries[q], sorts[i].column, sorts[i].order);
      }

  /* the order and the query stay when the contacts are replaced */
  sv_contacts_page_sort (fixture->page, SV_CONTACTS_COLUMN_NAME, GTK_SORT_DESCENDING);
  sv_contacts_page_set_query (fixture->page, "a");
  sv_contacts_page_set_contacts (fixture->page, fixture->contacts);
  assert_shown (fixture, "a", SV_CONTACTS_COLUMN_NAME, GTK_SORT_DESCENDING);

  /* a reload where the names moved to other positions: the name keys the
   * list carries over follow the names */
  {
    g_autoptr(GPtrArray) moved = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_contact_unref);
    GPtrArray *original = fixture->contacts;
    guint n = original->len;

    for (guint i = 0; i < n; i++)
      {
        SvContact *at = g_ptr_array_index (original, i);
        SvContact *named = g_ptr_array_index (original, n - 1 - i);

        g_ptr_array_add (moved, sv_contact_new (sv_contact_get_set (at), sv_contact_get_index (at),
                                                sv_contact_get_name (named), sv_contact_get_number (at),
                                                NULL, NULL, NULL));
      }
    fixture->contacts = moved;
    sv_contacts_page_set_contacts (fixture->page, moved);
    assert_shown (fixture, "a", SV_CONTACTS_COLUMN_NAME, GTK_SORT_DESCENDING);
    sv_contacts_page_set_query (fixture->page, "");
    assert_shown (fixture, "", SV_CONTACTS_COLUMN_NAME, GTK_SORT_DESCENDING);
    fixture->contacts = original;
    sv_contacts_page_set_contacts (fixture->page, original);
  }
}

static void
test_selection_follows_contacts (Fixture       *fixture,
                                 gconstpointer  data)
{
  GtkSelectionModel *selection = GTK_SELECTION_MODEL (sv_contacts_page_get_model (fixture->page));
  g_autoptr(GPtrArray) selected = NULL;
  SvContact *chosen;
  guint position;

  /* the last contact named Ivan: after a search for "ivan" it moves up */
  for (position = fixture->contacts->len; position-- > 0;)
    if (g_str_has_prefix (sv_contact_get_name (shown_contact (fixture->page, position)), "Ivan "))
      break;
  chosen = shown_contact (fixture->page, position);
  gtk_selection_model_select_item (selection, position, TRUE);

  sv_contacts_page_set_query (fixture->page, "ivan");
  selected = sv_contacts_page_get_selected (fixture->page);
  g_assert_cmpuint (selected->len, ==, 1);
  g_assert_true (g_ptr_array_index (selected, 0) == chosen);
  g_clear_pointer (&selected, g_ptr_array_unref);

  sv_contacts_page_sort (fixture->page, SV_CONTACTS_COLUMN_NAME, GTK_SORT_DESCENDING);
  selected = sv_contacts_page_get_selected (fixture->page);
  g_assert_cmpuint (selected->len, ==, 1);
  g_assert_true (g_ptr_array_index (selected, 0) == chosen);
  g_clear_pointer (&selected, g_ptr_array_unref);

  /* hidden by the search: no longer selected, so no action takes it */
  sv_contacts_page_set_query (fixture->page, "ivanova");
  selected = sv_contacts_page_get_selected (fixture->page);
  g_assert_cmpuint (selected->len, ==, 0);
  g_clear_pointer (&selected, g_ptr_array_unref);

  /* new contacts from the mirror: nothing selected */
  sv_contacts_page_set_query (fixture->page, NULL);
  gtk_selection_model_select_item (selection, 0, TRUE);
  sv_contacts_page_set_contacts (fixture->page, fixture->contacts);
  g_assert_true (gtk_bitset_is_empty (gtk_selection_model_get_selection (selection)));
}

static void
collect_cell_texts (GtkWidget  *widget,
                    GHashTable *texts)
{
  if (SV_IS_CELL_LABEL (widget) && sv_cell_label_get_text (SV_CELL_LABEL (widget)) != NULL)
    g_hash_table_add (texts, g_strdup (sv_cell_label_get_text (SV_CELL_LABEL (widget))));
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child; child = gtk_widget_get_next_sibling (child))
    collect_cell_texts (child, texts);
}

static void
assert_cells_show_first_rows (Fixture *fixture)
{
  g_autoptr(GHashTable) texts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  guint n = MIN (g_list_model_get_n_items (sv_contacts_page_get_model (fixture->page)), 10);

  settle ();
  collect_cell_texts (fixture->window, texts);
  for (guint position = 0; position < n; position++)
    {
      SvContact *contact = shown_contact (fixture->page, position);

      g_assert_true (g_hash_table_contains (texts, sv_contact_get_name (contact)));
      g_assert_true (g_hash_table_contains (texts, sv_contact_get_number (contact)));
    }
}

static void
test_cells_follow_rows (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(GHashTable) texts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  assert_cells_show_first_rows (fixture);

  sv_contacts_page_set_query (fixture->page, "zoë");
  assert_cells_show_first_rows (fixture);
  /* no cell shows a contact the search hides */
  collect_cell_texts (fixture->window, texts);
  for (guint i = 0; i < fixture->contacts->len; i++)
    {
      SvContact *contact = g_ptr_array_index (fixture->contacts, i);

      if (!contact_matches (contact, "zoë"))
        g_assert_false (g_hash_table_contains (texts, sv_contact_get_number (contact)));
    }

  sv_contacts_page_sort (fixture->page, SV_CONTACTS_COLUMN_NUMBER, GTK_SORT_DESCENDING);
  assert_cells_show_first_rows (fixture);
  sv_contacts_page_set_query (fixture->page, "");
  assert_cells_show_first_rows (fixture);
  sv_contacts_page_sort (fixture->page, SV_CONTACTS_COLUMN_NAME, GTK_SORT_ASCENDING);
  assert_cells_show_first_rows (fixture);
}

/* A key typed in the search entry filters the list before the next frame
 * (no search delay): the list follows the key in the frame that shows it. */
static void
test_typing_filters_at_once (Fixture       *fixture,
                             gconstpointer  data)
{
  GtkWidget *focus;
  GdkFrameClock *clock = gtk_widget_get_frame_clock (fixture->window);
  gint64 frame_before;
  int position = 0;

  settle ();
  sv_contacts_page_focus_search (fixture->page);
  focus = gtk_root_get_focus (GTK_ROOT (fixture->window));
  g_assert_true (GTK_IS_EDITABLE (focus));

  frame_before = gdk_frame_clock_get_frame_counter (clock);
  gtk_editable_insert_text (GTK_EDITABLE (focus), "Zo", -1, &position);
  /* what runs before the frame clock's next paint: sources of higher
   * priority than GDK_PRIORITY_REDRAW, e.g. a 0 ms timeout */
  while (g_main_context_pending (NULL) && gdk_frame_clock_get_frame_counter (clock) == frame_before)
    g_main_context_iteration (NULL, FALSE);
  assert_shown (fixture, "zo", SV_CONTACTS_COLUMN_INDEX, GTK_SORT_ASCENDING);
  g_assert_cmpuint (g_list_model_get_n_items (sv_contacts_page_get_model (fixture->page)), <,
                    fixture->contacts->len);

  gtk_editable_delete_text (GTK_EDITABLE (focus), 1, -1);
  frame_before = gdk_frame_clock_get_frame_counter (clock);
  while (g_main_context_pending (NULL) && gdk_frame_clock_get_frame_counter (clock) == frame_before)
    g_main_context_iteration (NULL, FALSE);
  assert_shown (fixture, "z", SV_CONTACTS_COLUMN_INDEX, GTK_SORT_ASCENDING);
}

typedef struct
{
  guint text;
  guint border;
  guint large_fill;   /* color nodes covering half the window or more */
  double window_area;
} NodeCounts;

static void
count_nodes (GskRenderNode *node,
             NodeCounts    *counts)
{
  switch ((int) gsk_render_node_get_node_type (node))
    {
    case GSK_CONTAINER_NODE:
      for (guint i = 0; i < gsk_container_node_get_n_children (node); i++)
        count_nodes (gsk_container_node_get_child (node, i), counts);
      break;
    case GSK_TRANSFORM_NODE:
      count_nodes (gsk_transform_node_get_child (node), counts);
      break;
    case GSK_CLIP_NODE:
      count_nodes (gsk_clip_node_get_child (node), counts);
      break;
    case GSK_ROUNDED_CLIP_NODE:
      count_nodes (gsk_rounded_clip_node_get_child (node), counts);
      break;
    case GSK_OPACITY_NODE:
      count_nodes (gsk_opacity_node_get_child (node), counts);
      break;
    case GSK_COLOR_MATRIX_NODE:
      count_nodes (gsk_color_matrix_node_get_child (node), counts);
      break;
    case GSK_TEXT_NODE:
      counts->text++;
      break;
    case GSK_BORDER_NODE:
      counts->border++;
      break;
    case GSK_COLOR_NODE:
      {
        graphene_rect_t bounds;

        gsk_render_node_get_bounds (node, &bounds);
        if (bounds.size.width * bounds.size.height >= counts->window_area / 2)
          counts->large_fill++;
      }
      break;
    default:
      break;
    }
}

/* Every key typed in the search redraws the rows on screen (and, with
 * GTK's GL renderer under X11 without buffer age, the whole window on
 * every frame): each row is its cells' text and nothing else, no border
 * node per row or per cell (row separators, the cells' transparent left
 * border), and the list is filled once, not by the column view and again
 * by its list. */
static void
test_render_nodes (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (fixture->window);
  g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;
  int width, height;
  guint n_rows_on_screen;
  NodeCounts counts = { 0, };

  settle ();
  width = gtk_widget_get_width (fixture->window);
  height = gtk_widget_get_height (fixture->window);
  counts.window_area = (double) width * height;
  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  g_assert_nonnull (node);
  count_nodes (node, &counts);

  /* four cells a row, the last ("More") empty for these contacts */
  n_rows_on_screen = (counts.text - 4) / 3;   /* minus the header's titles */
  g_test_message ("%u text, %u border, %u window-size fill nodes", counts.text, counts.border, counts.large_fill);
  g_assert_cmpuint (n_rows_on_screen, >=, 10);
  /* the search entry's focus ring and the header's separators only */
  g_assert_cmpuint (counts.border, <=, 4);
  /* the window's background and the column view's */
  g_assert_cmpuint (counts.large_fill, <=, 2);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GtkCssProvider) style = NULL;

  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  /* The application's style sheet, as AdwApplication loads it. */
  style = gtk_css_provider_new ();
  gtk_css_provider_load_from_resource (style, RESOURCE_PREFIX "/style.css");
  gtk_style_context_add_provider_for_display (gdk_display_get_default (), GTK_STYLE_PROVIDER (style),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);

  g_test_add ("/sv/contacts-page/filter", Fixture, GUINT_TO_POINTER (700),
              fixture_set_up, test_filter, fixture_tear_down);
  g_test_add ("/sv/contacts-page/sort", Fixture, GUINT_TO_POINTER (700),
              fixture_set_up, test_sort, fixture_tear_down);
  g_test_add ("/sv/contacts-page/sort-before-the-worker", Fixture, GUINT_TO_POINTER (701),
              fixture_set_up, test_sort, fixture_tear_down);
  g_test_add ("/sv/contacts-page/selection-follows-contacts", Fixture, GUINT_TO_POINTER (700),
              fixture_set_up, test_selection_follows_contacts, fixture_tear_down);
  g_test_add ("/sv/contacts-page/cells-follow-rows", Fixture, GUINT_TO_POINTER (700),
              fixture_set_up, test_cells_follow_rows, fixture_tear_down);
  g_test_add ("/sv/contacts-page/typing-filters-at-once", Fixture, GUINT_TO_POINTER (700),
              fixture_set_up, test_typing_filters_at_once, fixture_tear_down);
  g_test_add ("/sv/contacts-page/render-nodes", Fixture, GUINT_TO_POINTER (700),
              fixture_set_up, test_render_nodes, fixture_tear_down);

  return g_test_run ();
}
