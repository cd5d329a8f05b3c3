/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The contacts of one card: a GtkColumnView over SvContactList (sorted by
 * the column headers, filtered by the search) -> GtkMultiSelection. Why
 * SvContactList and not GtkSortListModel -> GtkFilterListModel: see
 * sv-contact-list.c; with 10,000 contacts a key typed in the search and a
 * click on a column header now each take under one frame.
 */
#define G_LOG_DOMAIN "sv-contacts-page"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "sv-cell-label.h"
#include "sv-contact-list.h"
#include "sv-contact-object.h"
#include "sv-contact-row.h"
#include "sv-contacts-page.h"

struct _SvContactsPage
{
  AdwBin              parent_instance;

  GtkSearchEntry     *search_entry;
  GtkStack           *stack;
  GtkColumnView      *column_view;
  GtkColumnViewColumn *index_column;
  GtkColumnViewColumn *name_column;
  GtkColumnViewColumn *number_column;

  SvContactList      *list;
  GtkMultiSelection  *selection;
  char               *query;   /* the search text last filtered by */

  /* Which column sorts: asked of the column view's sorter (GTK 4.8 has no
   * getter for it), see sorter_changed_cb(). */
  gboolean            probing;
  int                 probed_column;
};

G_DEFINE_FINAL_TYPE (SvContactsPage, sv_contacts_page, ADW_TYPE_BIN)

enum {
  EDIT_CONTACT,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
update_visible_page (SvContactsPage *self)
{
  const char *page = "list";

  if (sv_contact_list_get_n_contacts (self->list) == 0)
    page = "empty";
  else if (g_list_model_get_n_items (G_LIST_MODEL (self->list)) == 0)
    page = "no-results";

  gtk_stack_set_visible_child_name (self->stack, page);
}

/* The selection follows the contacts, not the positions: rows change
 * contact in place when the list is filtered or sorted. */
static GHashTable *
get_selected_objects (SvContactsPage *self)
{
  g_autoptr(GtkBitset) selected = gtk_selection_model_get_selection (GTK_SELECTION_MODEL (self->selection));
  GHashTable *objects;
  GtkBitsetIter iter;
  guint position;

  if (gtk_bitset_is_empty (selected))
    return NULL;

  objects = g_hash_table_new (NULL, NULL);
  for (gboolean more = gtk_bitset_iter_init_first (&iter, selected, &position);
       more;
       more = gtk_bitset_iter_next (&iter, &position))
    g_hash_table_add (objects, sv_contact_list_get_object (self->list, position));
  return objects;
}

static void
restore_selected_objects (SvContactsPage *self,
                          GHashTable     *objects)
{
  g_autoptr(GtkBitset) selected = gtk_bitset_new_empty ();
  g_autoptr(GtkBitset) mask = NULL;
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->list));

  if (objects == NULL)
    return;

  for (guint position = 0; position < n; position++)
    if (g_hash_table_contains (objects, sv_contact_list_get_object (self->list, position)))
      gtk_bitset_add (selected, position);
  mask = gtk_bitset_new_range (0, n);
  gtk_selection_model_set_selection (GTK_SELECTION_MODEL (self->selection), selected, mask);
  g_hash_table_unref (objects);
}

static void
search_changed_cb (SvContactsPage *self,
                   GtkSearchEntry *entry)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (entry));
  GHashTable *selected;

  /* sv_contacts_page_set_query() filtered already */
  if (g_strcmp0 (text, self->query) == 0)
    return;
  g_free (self->query);
  self->query = g_strdup (text);

  selected = get_selected_objects (self);
  sv_contact_list_set_query (self->list, text);
  restore_selected_objects (self, selected);
  update_visible_page (self);
}

static void
row_activated_cb (SvContactsPage *self,
                  guint           position,
                  GtkColumnView  *view)
{
  SvContactObject *object = sv_contact_list_get_object (self->list, position);

  if (object != NULL)
    g_signal_emit (self, signals[EDIT_CONTACT], 0, sv_contact_object_get_contact (object));
}

static void
setup_label_cb (GtkSignalListItemFactory *factory,
                GtkListItem              *item,
                gpointer                  user_data)
{
  gtk_list_item_set_child (item, sv_cell_label_new ());
}

/* Style classes are given before the cell is in the window: one style
 * computation per new cell, not a second one at bind. */
static void
setup_index_cb (GtkSignalListItemFactory *factory,
                GtkListItem              *item,
                gpointer                  user_data)
{
  GtkWidget *label = sv_cell_label_new ();

  gtk_widget_add_css_class (label, "numeric");
  gtk_list_item_set_child (item, label);
}

static void
setup_details_cb (GtkSignalListItemFactory *factory,
                  GtkListItem              *item,
                  gpointer                  user_data)
{
  GtkWidget *label = sv_cell_label_new ();

  gtk_widget_add_css_class (label, "dim-label");
  gtk_list_item_set_child (item, label);
}

/* Cells show the contact of their row and follow it when the row changes
 * contact (a search or a sort); see sv-contact-row.c. */
typedef void (*FillCellFunc) (SvCellLabel     *label,
                              SvContactObject *object);

static GQuark fill_quark;
static GQuark handler_quark;

static void
fill_index (SvCellLabel     *label,
            SvContactObject *object)
{
  SvContact *contact = sv_contact_object_get_contact (object);
  char text[32];

  /* USIM contacts show their phonebook set too: "2·17". */
  if (sv_contact_get_set (contact) > 1)
    g_snprintf (text, sizeof text, "%u·%u", sv_contact_get_set (contact), sv_contact_get_index (contact));
  else
    g_snprintf (text, sizeof text, "%u", sv_contact_get_index (contact));
  sv_cell_label_set_text (label, text);
}

static void
fill_name (SvCellLabel     *label,
           SvContactObject *object)
{
  sv_cell_label_set_text (label, sv_contact_get_name (sv_contact_object_get_contact (object)));
}

static void
fill_number (SvCellLabel     *label,
             SvContactObject *object)
{
  sv_cell_label_set_text (label, sv_contact_get_number (sv_contact_object_get_contact (object)));
}

static void
fill_details (SvCellLabel     *label,
              SvContactObject *object)
{
  sv_cell_label_set_text (label, sv_contact_object_get_details (object));
}

static void
row_changed_cb (SvContactRow *row,
                SvCellLabel  *label)
{
  FillCellFunc fill = g_object_get_qdata (G_OBJECT (label), fill_quark);

  fill (label, sv_contact_row_get_object (row));
}

static void
bind_cell (GtkListItem  *item,
           FillCellFunc  fill,
           guint         width_chars)
{
  SvContactRow *row = gtk_list_item_get_item (item);
  GtkWidget *label = gtk_list_item_get_child (item);
  gulong handler;

  sv_cell_label_set_width_chars (SV_CELL_LABEL (label), width_chars);
  g_object_set_qdata (G_OBJECT (label), fill_quark, fill);
  fill (SV_CELL_LABEL (label), sv_contact_row_get_object (row));
  handler = g_signal_connect_object (row, "changed", G_CALLBACK (row_changed_cb), label, 0);
  g_object_set_qdata (G_OBJECT (label), handler_quark, GSIZE_TO_POINTER (handler));
}

static void
unbind_cell_cb (GtkSignalListItemFactory *factory,
                GtkListItem              *item,
                gpointer                  user_data)
{
  GObject *label = G_OBJECT (gtk_list_item_get_child (item));
  gulong handler = GPOINTER_TO_SIZE (g_object_steal_qdata (label, handler_quark));

  if (handler != 0)
    g_signal_handler_disconnect (gtk_list_item_get_item (item), handler);
}

static void
bind_index_cb (GtkSignalListItemFactory *factory,
               GtkListItem              *item,
               gpointer                  user_data)
{
  bind_cell (item, fill_index, 6);
}

static void
bind_name_cb (GtkSignalListItemFactory *factory,
              GtkListItem              *item,
              gpointer                  user_data)
{
  bind_cell (item, fill_name, 20);
}

static void
bind_number_cb (GtkSignalListItemFactory *factory,
                GtkListItem              *item,
                gpointer                  user_data)
{
  bind_cell (item, fill_number, 16);
}

static void
bind_details_cb (GtkSignalListItemFactory *factory,
                 GtkListItem              *item,
                 gpointer                  user_data)
{
  bind_cell (item, fill_details, 16);
}

/* The column sorters are never used to sort: SvContactList sorts by keys
 * stored on the contacts. They give the column view its clickable headers,
 * and when the column view's sorter changes it is asked to compare two
 * items: the column sorter it consults first names the sort column, the
 * sign of its answer the direction. */
static int
probe_column (SvContactsPage   *self,
              SvContactsColumn  column)
{
  if (self->probing && self->probed_column < 0)
    self->probed_column = column;
  return -1;
}

static int
probe_index_cb (gconstpointer a,
                gconstpointer b,
                gpointer      user_data)
{
  return probe_column (user_data, SV_CONTACTS_COLUMN_INDEX);
}

static int
probe_name_cb (gconstpointer a,
               gconstpointer b,
               gpointer      user_data)
{
  return probe_column (user_data, SV_CONTACTS_COLUMN_NAME);
}

static int
probe_number_cb (gconstpointer a,
                 gconstpointer b,
                 gpointer      user_data)
{
  return probe_column (user_data, SV_CONTACTS_COLUMN_NUMBER);
}

static void
sorter_changed_cb (SvContactsPage  *self,
                   GtkSorterChange  change,
                   GtkSorter       *sorter)
{
  g_autoptr(GObject) a = NULL;
  g_autoptr(GObject) b = NULL;
  GHashTable *selected;
  GtkOrdering ordering;

  if (self->list == NULL)   /* disposing */
    return;

  a = g_object_new (G_TYPE_OBJECT, NULL);
  b = g_object_new (G_TYPE_OBJECT, NULL);
  selected = get_selected_objects (self);
  self->probing = TRUE;
  self->probed_column = -1;
  ordering = gtk_sorter_compare (sorter, a, b);
  self->probing = FALSE;

  if (self->probed_column < 0)
    sv_contact_list_set_order (self->list, SV_CONTACTS_COLUMN_INDEX, GTK_SORT_ASCENDING);
  else
    sv_contact_list_set_order (self->list, self->probed_column,
                               ordering == GTK_ORDERING_LARGER ? GTK_SORT_DESCENDING : GTK_SORT_ASCENDING);
  restore_selected_objects (self, selected);
}

static void
set_column_sorters (SvContactsPage *self)
{
  g_autoptr(GtkSorter) position = GTK_SORTER (gtk_custom_sorter_new (probe_index_cb, self, NULL));
  g_autoptr(GtkSorter) name = GTK_SORTER (gtk_custom_sorter_new (probe_name_cb, self, NULL));
  g_autoptr(GtkSorter) number = GTK_SORTER (gtk_custom_sorter_new (probe_number_cb, self, NULL));

  gtk_column_view_column_set_sorter (self->index_column, position);
  gtk_column_view_column_set_sorter (self->name_column, name);
  gtk_column_view_column_set_sorter (self->number_column, number);
}

static void
sv_contacts_page_dispose (GObject *object)
{
  SvContactsPage *self = SV_CONTACTS_PAGE (object);

  adw_bin_set_child (ADW_BIN (self), NULL);
  g_clear_object (&self->selection);
  g_clear_object (&self->list);
  g_clear_pointer (&self->query, g_free);

  G_OBJECT_CLASS (sv_contacts_page_parent_class)->dispose (object);
}

static void
sv_contacts_page_class_init (SvContactsPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sv_contacts_page_dispose;

  /**
   * SvContactsPage::edit-contact:
   * @contact: the activated contact
   *
   * A row was activated (double click or Enter).
   */
  signals[EDIT_CONTACT] =
    g_signal_new ("edit-contact", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, SV_TYPE_CONTACT);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PREFIX "/ui/sv-contacts-page.ui");
  gtk_widget_class_bind_template_child (widget_class, SvContactsPage, search_entry);
  gtk_widget_class_bind_template_child (widget_class, SvContactsPage, stack);
  gtk_widget_class_bind_template_child (widget_class, SvContactsPage, column_view);
  gtk_widget_class_bind_template_child (widget_class, SvContactsPage, index_column);
  gtk_widget_class_bind_template_child (widget_class, SvContactsPage, name_column);
  gtk_widget_class_bind_template_child (widget_class, SvContactsPage, number_column);
  gtk_widget_class_bind_template_callback (widget_class, search_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, row_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, setup_label_cb);
  gtk_widget_class_bind_template_callback (widget_class, setup_index_cb);
  gtk_widget_class_bind_template_callback (widget_class, setup_details_cb);
  gtk_widget_class_bind_template_callback (widget_class, bind_index_cb);
  gtk_widget_class_bind_template_callback (widget_class, bind_name_cb);
  gtk_widget_class_bind_template_callback (widget_class, bind_number_cb);
  gtk_widget_class_bind_template_callback (widget_class, bind_details_cb);
  gtk_widget_class_bind_template_callback (widget_class, unbind_cell_cb);

  fill_quark = g_quark_from_static_string ("sv-contacts-page-fill");
  handler_quark = g_quark_from_static_string ("sv-contacts-page-handler");
}

static void
sv_contacts_page_init (SvContactsPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  set_column_sorters (self);

  self->list = sv_contact_list_new ();
  self->selection = gtk_multi_selection_new (G_LIST_MODEL (g_object_ref (self->list)));
  gtk_column_view_set_model (self->column_view, GTK_SELECTION_MODEL (self->selection));
  g_signal_connect_object (gtk_column_view_get_sorter (self->column_view), "changed",
                           G_CALLBACK (sorter_changed_cb), self, G_CONNECT_SWAPPED);
  gtk_column_view_sort_by_column (self->column_view, self->index_column, GTK_SORT_ASCENDING);

  update_visible_page (self);
}

GtkWidget *
sv_contacts_page_new (void)
{
  return g_object_new (SV_TYPE_CONTACTS_PAGE, NULL);
}

/**
 * sv_contacts_page_set_contacts:
 * @contacts: (element-type SvContact): the contacts to show
 *
 * Replaces the contacts shown; the search and the sort order stay. Rows
 * already on screen show their new contacts in place.
 */
void
sv_contacts_page_set_contacts (SvContactsPage *self,
                               GPtrArray      *contacts)
{
  g_autoptr(GPtrArray) objects = g_ptr_array_new_with_free_func (g_object_unref);
  GHashTable *selected;

  g_return_if_fail (SV_IS_CONTACTS_PAGE (self));

  for (guint i = 0; contacts != NULL && i < contacts->len; i++)
    g_ptr_array_add (objects, sv_contact_object_new (g_ptr_array_index (contacts, i)));

  /* The contacts are new objects: nothing stays selected. */
  selected = get_selected_objects (self);
  sv_contact_list_set_contacts (self->list, objects);
  restore_selected_objects (self, selected);
  update_visible_page (self);
}

/**
 * sv_contacts_page_get_model:
 *
 * Returns: (transfer none): the list as shown: filtered and sorted
 */
GListModel *
sv_contacts_page_get_model (SvContactsPage *self)
{
  g_return_val_if_fail (SV_IS_CONTACTS_PAGE (self), NULL);

  return G_LIST_MODEL (self->selection);
}

/**
 * sv_contacts_page_get_contact:
 * @position: a position in sv_contacts_page_get_model()
 *
 * The model's items are #SvContactRow slots that change contact in place
 * (see sv-contact-list.c); this is the contact shown at @position now.
 *
 * Returns: (transfer none) (nullable): the contact, or %NULL past the end
 */
SvContact *
sv_contacts_page_get_contact (SvContactsPage *self,
                              guint           position)
{
  SvContactObject *object;

  g_return_val_if_fail (SV_IS_CONTACTS_PAGE (self), NULL);

  object = sv_contact_list_get_object (self->list, position);
  return object != NULL ? sv_contact_object_get_contact (object) : NULL;
}

/**
 * sv_contacts_page_get_selected:
 *
 * Returns: (transfer container) (element-type SvContact): the selected
 *   contacts, in the order shown
 */
GPtrArray *
sv_contacts_page_get_selected (SvContactsPage *self)
{
  g_autoptr(GtkBitset) selected = NULL;
  GPtrArray *contacts = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_contact_unref);
  GtkBitsetIter iter;
  guint position;

  g_return_val_if_fail (SV_IS_CONTACTS_PAGE (self), contacts);

  selected = gtk_selection_model_get_selection (GTK_SELECTION_MODEL (self->selection));
  for (gboolean more = gtk_bitset_iter_init_first (&iter, selected, &position);
       more;
       more = gtk_bitset_iter_next (&iter, &position))
    {
      SvContactObject *object = sv_contact_list_get_object (self->list, position);

      g_ptr_array_add (contacts, sv_contact_ref (sv_contact_object_get_contact (object)));
    }

  return contacts;
}

void
sv_contacts_page_set_query (SvContactsPage *self,
                            const char     *query)
{
  GtkEditable *editable;
  const char *text;
  gsize len, new_len;

  g_return_if_fail (SV_IS_CONTACTS_PAGE (self));

  /* As typing does: add or remove characters at the end. Replacing the
   * whole text would pass through an empty query, which GtkSearchEntry
   * reports at once, and show all contacts in between. */
  editable = GTK_EDITABLE (self->search_entry);
  text = gtk_editable_get_text (editable);
  len = strlen (text);
  query = query != NULL ? query : "";
  new_len = strlen (query);
  if (new_len > len && strncmp (query, text, len) == 0)
    {
      int position = (int) g_utf8_strlen (text, -1);

      gtk_editable_insert_text (editable, query + len, (int) (new_len - len), &position);
    }
  else if (new_len < len && strncmp (query, text, new_len) == 0)
    gtk_editable_delete_text (editable, (int) g_utf8_strlen (query, -1), -1);
  else
    gtk_editable_set_text (editable, query);

  /* search-changed comes from a 0 ms timeout (no search delay, see the
   * .ui), before the next frame; filter now so callers see the result. */
  search_changed_cb (self, self->search_entry);
}

void
sv_contacts_page_focus_search (SvContactsPage *self)
{
  g_return_if_fail (SV_IS_CONTACTS_PAGE (self));

  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

/**
 * sv_contacts_page_sort_by_name:
 *
 * Sorts the list by name, as a click on the column header does.
 */
void
sv_contacts_page_sort_by_name (SvContactsPage *self)
{
  g_return_if_fail (SV_IS_CONTACTS_PAGE (self));

  gtk_column_view_sort_by_column (self->column_view, self->name_column, GTK_SORT_ASCENDING);
}

/**
 * sv_contacts_page_sort:
 * @column: the column to sort by
 * @order: ascending or descending
 *
 * Sorts the list as clicks on a column header do.
 */
void
sv_contacts_page_sort (SvContactsPage   *self,
                       SvContactsColumn  column,
                       GtkSortType       order)
{
  GtkColumnViewColumn *columns[] = { self->index_column, self->name_column, self->number_column };

  g_return_if_fail (SV_IS_CONTACTS_PAGE (self));
  g_return_if_fail (column < G_N_ELEMENTS (columns));

  gtk_column_view_sort_by_column (self->column_view, columns[column], order);
}
