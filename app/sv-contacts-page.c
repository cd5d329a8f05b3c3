/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The contacts of one card: a GtkColumnView over
 * GListStore -> GtkSortListModel (column headers) -> GtkFilterListModel
 * (search) -> GtkMultiSelection, so ten thousand rows stay smooth.
 */
#define G_LOG_DOMAIN "sv-contacts-page"

#include "config.h"

#include <glib/gi18n.h>

#include "sv-contact-object.h"
#include "sv-contacts-page.h"
#include "sv-search-filter.h"

struct _SvContactsPage
{
  AdwBin              parent_instance;

  GtkSearchEntry     *search_entry;
  GtkStack           *stack;
  GtkColumnView      *column_view;
  GtkColumnViewColumn *index_column;
  GtkColumnViewColumn *name_column;
  GtkColumnViewColumn *number_column;

  GListStore         *store;
  GtkCustomFilter    *filter;
  GtkFilterListModel *filtered;
  GtkMultiSelection  *selection;
  char               *folded_query;
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

  if (g_list_model_get_n_items (G_LIST_MODEL (self->store)) == 0)
    page = "empty";
  else if (g_list_model_get_n_items (G_LIST_MODEL (self->filtered)) == 0)
    page = "no-results";

  gtk_stack_set_visible_child_name (self->stack, page);
}

static gboolean
filter_contact (gpointer item,
                gpointer user_data)
{
  SvContactsPage *self = user_data;

  return sv_contact_object_matches (SV_CONTACT_OBJECT (item), self->folded_query);
}

static void
search_changed_cb (SvContactsPage *self,
                   GtkSearchEntry *entry)
{
  sv_search_filter_update (GTK_FILTER (self->filter), &self->folded_query,
                           gtk_editable_get_text (GTK_EDITABLE (entry)));
  update_visible_page (self);
}

static void
row_activated_cb (SvContactsPage *self,
                  guint           position,
                  GtkColumnView  *view)
{
  g_autoptr(SvContactObject) object = g_list_model_get_item (G_LIST_MODEL (self->selection), position);

  if (object != NULL)
    g_signal_emit (self, signals[EDIT_CONTACT], 0, sv_contact_object_get_contact (object));
}

static void
setup_label_cb (GtkSignalListItemFactory *factory,
                GtkListItem              *item,
                gpointer                  user_data)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_list_item_set_child (item, label);
}

static SvContact *
item_contact (GtkListItem *item)
{
  return sv_contact_object_get_contact (SV_CONTACT_OBJECT (gtk_list_item_get_item (item)));
}

static void
bind_index_cb (GtkSignalListItemFactory *factory,
               GtkListItem              *item,
               gpointer                  user_data)
{
  SvContact *contact = item_contact (item);
  g_autofree char *text = NULL;

  /* USIM contacts show their phonebook set too: "2·17". */
  if (sv_contact_get_set (contact) > 1)
    text = g_strdup_printf ("%u·%u", sv_contact_get_set (contact), sv_contact_get_index (contact));
  else
    text = g_strdup_printf ("%u", sv_contact_get_index (contact));

  gtk_label_set_text (GTK_LABEL (gtk_list_item_get_child (item)), text);
  gtk_widget_add_css_class (gtk_list_item_get_child (item), "numeric");
}

static void
bind_name_cb (GtkSignalListItemFactory *factory,
              GtkListItem              *item,
              gpointer                  user_data)
{
  gtk_label_set_text (GTK_LABEL (gtk_list_item_get_child (item)),
                      sv_contact_get_name (item_contact (item)));
}

static void
bind_number_cb (GtkSignalListItemFactory *factory,
                GtkListItem              *item,
                gpointer                  user_data)
{
  gtk_label_set_text (GTK_LABEL (gtk_list_item_get_child (item)),
                      sv_contact_get_number (item_contact (item)));
}

static void
bind_details_cb (GtkSignalListItemFactory *factory,
                 GtkListItem              *item,
                 gpointer                  user_data)
{
  SvContactObject *object = SV_CONTACT_OBJECT (gtk_list_item_get_item (item));
  GtkWidget *label = gtk_list_item_get_child (item);

  gtk_label_set_text (GTK_LABEL (label), sv_contact_object_get_details (object));
  gtk_widget_add_css_class (label, "dim-label");
}

static int
compare_position (gconstpointer a,
                  gconstpointer b,
                  gpointer      user_data)
{
  SvContact *ca = sv_contact_object_get_contact ((SvContactObject *) a);
  SvContact *cb = sv_contact_object_get_contact ((SvContactObject *) b);

  if (sv_contact_get_set (ca) != sv_contact_get_set (cb))
    return sv_contact_get_set (ca) < sv_contact_get_set (cb) ? -1 : 1;
  if (sv_contact_get_index (ca) != sv_contact_get_index (cb))
    return sv_contact_get_index (ca) < sv_contact_get_index (cb) ? -1 : 1;
  return 0;
}

static void
set_column_sorters (SvContactsPage *self)
{
  g_autoptr(GtkSorter) position = GTK_SORTER (gtk_custom_sorter_new (compare_position, NULL, NULL));
  g_autoptr(GtkSorter) name = GTK_SORTER (gtk_string_sorter_new (
    gtk_property_expression_new (SV_TYPE_CONTACT_OBJECT, NULL, "name")));
  g_autoptr(GtkSorter) number = GTK_SORTER (gtk_string_sorter_new (
    gtk_property_expression_new (SV_TYPE_CONTACT_OBJECT, NULL, "number")));

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
  g_clear_object (&self->store);

  G_OBJECT_CLASS (sv_contacts_page_parent_class)->dispose (object);
}

static void
sv_contacts_page_finalize (GObject *object)
{
  SvContactsPage *self = SV_CONTACTS_PAGE (object);

  g_clear_pointer (&self->folded_query, g_free);

  G_OBJECT_CLASS (sv_contacts_page_parent_class)->finalize (object);
}

static void
sv_contacts_page_class_init (SvContactsPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sv_contacts_page_dispose;
  object_class->finalize = sv_contacts_page_finalize;

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
  gtk_widget_class_bind_template_callback (widget_class, bind_index_cb);
  gtk_widget_class_bind_template_callback (widget_class, bind_name_cb);
  gtk_widget_class_bind_template_callback (widget_class, bind_number_cb);
  gtk_widget_class_bind_template_callback (widget_class, bind_details_cb);
}

static void
sv_contacts_page_init (SvContactsPage *self)
{
  GtkSortListModel *sorted;

  gtk_widget_init_template (GTK_WIDGET (self));
  set_column_sorters (self);

  self->store = g_list_store_new (SV_TYPE_CONTACT_OBJECT);
  self->filter = gtk_custom_filter_new (filter_contact, self, NULL);
  /* Sort before filtering: typing in the search entry then never re-sorts
   * the 10,000 rows, the filter keeps the sorted order. */
  sorted = gtk_sort_list_model_new (G_LIST_MODEL (g_object_ref (self->store)),
                                    g_object_ref (gtk_column_view_get_sorter (self->column_view)));
  self->filtered = gtk_filter_list_model_new (G_LIST_MODEL (sorted), GTK_FILTER (self->filter));
  self->selection = gtk_multi_selection_new (G_LIST_MODEL (self->filtered));
  gtk_column_view_set_model (self->column_view, GTK_SELECTION_MODEL (self->selection));
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
 * Replaces the list in one splice, so the view updates once.
 */
void
sv_contacts_page_set_contacts (SvContactsPage *self,
                               GPtrArray      *contacts)
{
  g_autoptr(GPtrArray) objects = g_ptr_array_new_with_free_func (g_object_unref);

  g_return_if_fail (SV_IS_CONTACTS_PAGE (self));

  for (guint i = 0; contacts != NULL && i < contacts->len; i++)
    g_ptr_array_add (objects, sv_contact_object_new (g_ptr_array_index (contacts, i)));

  g_list_store_splice (self->store, 0, g_list_model_get_n_items (G_LIST_MODEL (self->store)),
                       objects->pdata, objects->len);
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
      g_autoptr(SvContactObject) object = g_list_model_get_item (G_LIST_MODEL (self->selection), position);

      g_ptr_array_add (contacts, sv_contact_ref (sv_contact_object_get_contact (object)));
    }

  return contacts;
}

void
sv_contacts_page_set_query (SvContactsPage *self,
                            const char     *query)
{
  g_return_if_fail (SV_IS_CONTACTS_PAGE (self));

  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), query ? query : "");
  /* search-changed is delayed; filter now so callers see the result. */
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
