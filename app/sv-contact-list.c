/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The contacts list as shown: sorted by a column, filtered by a search,
 * as a GListModel of SvContactRow.
 *
 * Why not GtkSortListModel -> GtkFilterListModel: with 10,000 contacts a
 * key typed in the search took four frames, a click on a column header
 * ten (build-aux/bench-gui.sh). The models themselves were not the cost:
 * GTK 4.8's list view keeps 200 rows bound, and when the items at their
 * positions change it destroys those rows and builds new ones (a row of
 * the column view is nine widgets). So this model
 *   - keeps one SvContactRow per position for as long as the view holds
 *     it, and when the contact at that position changes it swaps the
 *     row's contact (the row's labels update; no widget is built), and
 *     tells the view only that the list grew or shrank at its end;
 *   - sorts by permutations computed once per column from keys stored on
 *     the contacts (descending walks the same permutation backwards);
 *   - filters incrementally: a longer query re-checks only the contacts
 *     shown, a shorter one only those hidden; matching is strstr() on
 *     text folded once per contact, with no allocation per contact.
 */
#define G_LOG_DOMAIN "sv-contact-list"

#include "config.h"

#include <string.h>

#include "sv-contact-list.h"
#include "sv-contact-row.h"

struct _SvContactList
{
  GObject           parent_instance;

  GPtrArray        *objects;                      /* SvContactObject, as given */
  guint            *orders[SV_CONTACTS_N_COLUMNS]; /* permutations of objects, on first use */
  SvContactsColumn  column;
  GtkSortType       sort_order;

  char             *query;                        /* folded; NULL shows all */
  guint8           *matches;                      /* per object: matches the query */

  guint            *visible;                      /* indices into objects, as shown */
  guint             n_visible;
  GPtrArray        *rows;                         /* per position: RowSlot or NULL */
  guint             generation;                   /* counts set_contacts() */
};

/* The row at a position lives as long as the view holds it; the list only
 * remembers it, weakly, so it can swap its contact. Rows never move. */
typedef struct
{
  SvContactList *list;
  SvContactRow  *row;
  guint          position;
} RowSlot;

static void sv_contact_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (SvContactList, sv_contact_list, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, sv_contact_list_model_init))

static void
row_finalized_cb (gpointer  user_data,
                  GObject  *where_the_row_was)
{
  RowSlot *slot = user_data;

  g_ptr_array_index (slot->list->rows, slot->position) = NULL;
  g_free (slot);
}

static void
forget_row (SvContactList *self,
            guint          position)
{
  RowSlot *slot = g_ptr_array_index (self->rows, position);

  if (slot != NULL)
    {
      g_object_weak_unref (G_OBJECT (slot->row), row_finalized_cb, slot);
      g_ptr_array_index (self->rows, position) = NULL;
      g_free (slot);
    }
}

static GType
sv_contact_list_get_item_type (GListModel *model)
{
  return SV_TYPE_CONTACT_ROW;
}

static guint
sv_contact_list_get_n_items (GListModel *model)
{
  return SV_CONTACT_LIST (model)->n_visible;
}

static gpointer
sv_contact_list_get_item (GListModel *model,
                          guint       position)
{
  SvContactList *self = SV_CONTACT_LIST (model);
  RowSlot *slot;

  if (position >= self->n_visible)
    return NULL;

  slot = g_ptr_array_index (self->rows, position);
  if (slot != NULL)
    return g_object_ref (slot->row);

  slot = g_new (RowSlot, 1);
  slot->list = self;
  slot->position = position;
  slot->row = sv_contact_row_new (g_ptr_array_index (self->objects, self->visible[position]));
  g_object_weak_ref (G_OBJECT (slot->row), row_finalized_cb, slot);
  g_ptr_array_index (self->rows, position) = slot;
  return slot->row;
}

static void
sv_contact_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = sv_contact_list_get_item_type;
  iface->get_n_items = sv_contact_list_get_n_items;
  iface->get_item = sv_contact_list_get_item;
}

/* Orders, ties broken by position on the card so every order is total. */
static int
compare_position (SvContactObject *a,
                  SvContactObject *b)
{
  SvContact *ca = sv_contact_object_get_contact (a);
  SvContact *cb = sv_contact_object_get_contact (b);

  if (sv_contact_get_set (ca) != sv_contact_get_set (cb))
    return sv_contact_get_set (ca) < sv_contact_get_set (cb) ? -1 : 1;
  if (sv_contact_get_index (ca) != sv_contact_get_index (cb))
    return sv_contact_get_index (ca) < sv_contact_get_index (cb) ? -1 : 1;
  return 0;
}

static int
compare_objects (gconstpointer a,
                 gconstpointer b,
                 gpointer      user_data)
{
  SvContactList *self = user_data;
  SvContactObject *oa = g_ptr_array_index (self->objects, *(const guint *) a);
  SvContactObject *ob = g_ptr_array_index (self->objects, *(const guint *) b);
  int result = 0;

  switch (self->column)
    {
    case SV_CONTACTS_COLUMN_NAME:
      result = strcmp (sv_contact_object_get_name_key (oa), sv_contact_object_get_name_key (ob));
      break;

    case SV_CONTACTS_COLUMN_NUMBER:
      {
        const char *na = sv_contact_get_number (sv_contact_object_get_contact (oa));
        const char *nb = sv_contact_get_number (sv_contact_object_get_contact (ob));

        /* no number sorts as "", as in name_order_thread() */
        result = strcmp (na != NULL ? na : "", nb != NULL ? nb : "");
      }
      break;

    case SV_CONTACTS_COLUMN_INDEX:
    case SV_CONTACTS_N_COLUMNS:
    default:
      break;
    }

  return result != 0 ? result : compare_position (oa, ob);
}

static const guint *
get_order (SvContactList *self)
{
  guint *order = self->orders[self->column];

  if (order == NULL)
    {
      gboolean sorted = TRUE;

      order = g_new (guint, MAX (self->objects->len, 1));
      for (guint i = 0; i < self->objects->len; i++)
        {
          order[i] = i;
          if (sorted && i > 0 && compare_objects (&order[i - 1], &order[i], self) > 0)
            sorted = FALSE;
        }
      /* The mirror lists contacts by position: that order costs one pass. */
      if (!sorted)
        g_qsort_with_data (order, (gint) self->objects->len, sizeof (guint), compare_objects, self);
      self->orders[self->column] = order;
    }
  return order;
}

/* The order by name needs a collation key per contact: microseconds each,
 * 10-100 ms for a large phonebook, which the first click on the Name
 * header would otherwise wait for; the order by number is a sort too. A
 * worker thread computes both from copies of the names and numbers as soon
 * as the contacts arrive; a click that comes first computes its order
 * itself and the worker's result is dropped. */
typedef struct
{
  guint   generation;
  guint   n;
  char  **names;      /* owned; a name key already where has_key */
  gboolean *has_key;
  char  **numbers;    /* owned */
  guint  *positions;  /* set << 16 | index, the tie-break */
  char  **keys;       /* what compare_job_entries() compares */
  guint  *order;      /* by name */
  guint  *number_order;
} NameOrderJob;

static void
name_order_job_free (NameOrderJob *job)
{
  for (guint i = 0; i < job->n; i++)
    {
      g_free (job->names[i]);
      g_free (job->numbers[i]);
    }
  g_free (job->names);
  g_free (job->has_key);
  g_free (job->numbers);
  g_free (job->keys);
  g_free (job->positions);
  g_free (job->order);
  g_free (job->number_order);
  g_free (job);
}

static int
compare_job_entries (gconstpointer a,
                     gconstpointer b,
                     gpointer      user_data)
{
  NameOrderJob *job = user_data;
  guint ia = *(const guint *) a, ib = *(const guint *) b;
  int result = strcmp (job->keys[ia], job->keys[ib]);

  if (result != 0)
    return result;
  return job->positions[ia] < job->positions[ib] ? -1 : job->positions[ia] > job->positions[ib];
}

static void
name_order_thread (GTask        *task,
                   gpointer      source_object,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  NameOrderJob *job = task_data;

  /* by name: the names are replaced by their keys */
  job->order = g_new (guint, MAX (job->n, 1));
  for (guint i = 0; i < job->n; i++)
    {
      job->order[i] = i;
      if (!job->has_key[i])
        {
          g_autofree char *folded = g_utf8_casefold (job->names[i], -1);

          g_free (job->names[i]);
          job->names[i] = g_utf8_collate_key (folded, -1);
        }
    }
  job->keys = job->names;
  g_qsort_with_data (job->order, (gint) job->n, sizeof (guint), compare_job_entries, job);

  /* by number, byte order as compare_objects() */
  job->number_order = g_new (guint, MAX (job->n, 1));
  for (guint i = 0; i < job->n; i++)
    job->number_order[i] = i;
  job->keys = job->numbers;
  g_qsort_with_data (job->number_order, (gint) job->n, sizeof (guint), compare_job_entries, job);
  job->keys = NULL;
  g_task_return_boolean (task, TRUE);
}

static void
name_order_ready_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  SvContactList *self = SV_CONTACT_LIST (source);
  NameOrderJob *job = g_task_get_task_data (G_TASK (result));

  if (!g_task_propagate_boolean (G_TASK (result), NULL) || job->generation != self->generation)
    return;
  /* the keys go to the contacts, so a reload can reuse them */
  for (guint i = 0; i < job->n && i < self->objects->len; i++)
    sv_contact_object_set_name_key (g_ptr_array_index (self->objects, i), job->names[i]);
  if (self->orders[SV_CONTACTS_COLUMN_NAME] == NULL)
    self->orders[SV_CONTACTS_COLUMN_NAME] = g_steal_pointer (&job->order);
  if (self->orders[SV_CONTACTS_COLUMN_NUMBER] == NULL)
    self->orders[SV_CONTACTS_COLUMN_NUMBER] = g_steal_pointer (&job->number_order);
}

static void
start_name_order (SvContactList *self)
{
  g_autoptr(GTask) task = NULL;
  NameOrderJob *job;

  if (self->objects->len < 2 ||
      (self->orders[SV_CONTACTS_COLUMN_NAME] != NULL && self->orders[SV_CONTACTS_COLUMN_NUMBER] != NULL))
    return;

  job = g_new0 (NameOrderJob, 1);
  job->generation = self->generation;
  job->n = self->objects->len;
  job->names = g_new (char *, job->n);
  job->has_key = g_new (gboolean, job->n);
  job->numbers = g_new (char *, job->n);
  job->positions = g_new (guint, job->n);
  for (guint i = 0; i < job->n; i++)
    {
      SvContact *contact = sv_contact_object_get_contact (g_ptr_array_index (self->objects, i));
      const char *name = sv_contact_get_name (contact);
      const char *number = sv_contact_get_number (contact);
      const char *key = sv_contact_object_peek_name_key (g_ptr_array_index (self->objects, i));

      job->has_key[i] = key != NULL;
      job->names[i] = g_strdup (key != NULL ? key : name != NULL ? name : "");
      job->numbers[i] = g_strdup (number != NULL ? number : "");
      job->positions[i] = MIN (sv_contact_get_set (contact), 0xFFFF) << 16 | MIN (sv_contact_get_index (contact), 0xFFFF);
    }

  task = g_task_new (self, NULL, name_order_ready_cb, NULL);
  g_task_set_source_tag (task, start_name_order);
  g_task_set_task_data (task, job, (GDestroyNotify) name_order_job_free);
  g_task_set_priority (task, G_PRIORITY_LOW);
  g_task_run_in_thread (task, name_order_thread);
}

static gboolean
object_matches (SvContactList *self,
                guint          index)
{
  return self->query == NULL ||
         sv_contact_object_matches (g_ptr_array_index (self->objects, index), self->query);
}

/* Makes what is shown follow order and matches: rows whose contact changed
 * are updated in place, and the view hears only that the list grew or
 * shrank at its end. */
static void
update_visible (SvContactList *self)
{
  const guint *order = get_order (self);
  guint n = self->objects->len;
  guint old_n = self->n_visible;
  guint new_n = 0;

  for (guint k = 0; k < n; k++)
    {
      guint i = order[self->sort_order == GTK_SORT_ASCENDING ? k : n - 1 - k];

      if (self->matches[i])
        self->visible[new_n++] = i;
    }
  self->n_visible = new_n;

  for (guint position = 0; position < self->rows->len; position++)
    {
      RowSlot *slot = g_ptr_array_index (self->rows, position);

      if (slot == NULL)
        continue;
      if (position < new_n)
        sv_contact_row_set_object (slot->row, g_ptr_array_index (self->objects, self->visible[position]));
      else
        forget_row (self, position);
    }
  g_ptr_array_set_size (self->rows, new_n);

  if (new_n < old_n)
    g_list_model_items_changed (G_LIST_MODEL (self), new_n, old_n - new_n, 0);
  else if (new_n > old_n)
    g_list_model_items_changed (G_LIST_MODEL (self), old_n, 0, new_n - old_n);
}

static void
clear_contacts (SvContactList *self)
{
  for (guint c = 0; c < SV_CONTACTS_N_COLUMNS; c++)
    g_clear_pointer (&self->orders[c], g_free);
  g_clear_pointer (&self->matches, g_free);
  g_clear_pointer (&self->visible, g_free);
  g_ptr_array_set_size (self->objects, 0);
}

static void
sv_contact_list_dispose (GObject *object)
{
  SvContactList *self = SV_CONTACT_LIST (object);

  for (guint i = 0; self->rows != NULL && i < self->rows->len; i++)
    forget_row (self, i);

  G_OBJECT_CLASS (sv_contact_list_parent_class)->dispose (object);
}

static void
sv_contact_list_finalize (GObject *object)
{
  SvContactList *self = SV_CONTACT_LIST (object);

  clear_contacts (self);
  g_clear_pointer (&self->objects, g_ptr_array_unref);
  g_clear_pointer (&self->rows, g_ptr_array_unref);
  g_clear_pointer (&self->query, g_free);

  G_OBJECT_CLASS (sv_contact_list_parent_class)->finalize (object);
}

static void
sv_contact_list_class_init (SvContactListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = sv_contact_list_dispose;
  object_class->finalize = sv_contact_list_finalize;
}

static void
sv_contact_list_init (SvContactList *self)
{
  self->objects = g_ptr_array_new_with_free_func (g_object_unref);
  self->rows = g_ptr_array_new ();
  self->column = SV_CONTACTS_COLUMN_INDEX;
  self->sort_order = GTK_SORT_ASCENDING;
  self->visible = g_new (guint, 1);
  self->matches = g_new0 (guint8, 1);
}

SvContactList *
sv_contact_list_new (void)
{
  return g_object_new (SV_TYPE_CONTACT_LIST, NULL);
}

/**
 * sv_contact_list_set_contacts:
 * @objects: (element-type SvContactObject): the contacts
 *
 * Replaces the contacts; the order and the query stay.
 */
void
sv_contact_list_set_contacts (SvContactList *self,
                              GPtrArray     *objects)
{
  GHashTable *old_keys = NULL;
  guint n;

  g_return_if_fail (SV_IS_CONTACT_LIST (self));

  /* The same contacts usually come back (a reload after an edit): keep the
   * name keys already made instead of making them again. */
  for (guint i = 0; i < self->objects->len; i++)
    {
      SvContactObject *object = g_ptr_array_index (self->objects, i);
      const char *key = sv_contact_object_peek_name_key (object);
      const char *name = sv_contact_get_name (sv_contact_object_get_contact (object));

      if (key != NULL && name != NULL)
        {
          if (old_keys == NULL)
            old_keys = g_hash_table_new (g_str_hash, g_str_equal);
          g_hash_table_insert (old_keys, (gpointer) name, (gpointer) key);
        }
    }
  for (guint i = 0; old_keys != NULL && objects != NULL && i < objects->len; i++)
    {
      SvContactObject *object = g_ptr_array_index (objects, i);
      const char *name = sv_contact_get_name (sv_contact_object_get_contact (object));
      const char *key = name != NULL ? g_hash_table_lookup (old_keys, name) : NULL;

      if (key != NULL)
        sv_contact_object_set_name_key (object, key);
    }
  g_clear_pointer (&old_keys, g_hash_table_unref);

  clear_contacts (self);
  self->generation++;
  for (guint i = 0; objects != NULL && i < objects->len; i++)
    g_ptr_array_add (self->objects, g_object_ref (g_ptr_array_index (objects, i)));

  n = self->objects->len;
  self->visible = g_new (guint, MAX (n, 1));
  self->matches = g_new (guint8, MAX (n, 1));
  for (guint i = 0; i < n; i++)
    self->matches[i] = object_matches (self, i);

  update_visible (self);
  start_name_order (self);
}

/**
 * sv_contact_list_get_n_contacts:
 *
 * Returns: how many contacts there are, shown or not
 */
guint
sv_contact_list_get_n_contacts (SvContactList *self)
{
  g_return_val_if_fail (SV_IS_CONTACT_LIST (self), 0);

  return self->objects->len;
}

/**
 * sv_contact_list_set_query:
 * @text: (nullable): the text in the search entry
 *
 * Shows only the contacts whose name, second name, numbers or e-mails
 * contain @text, ignoring case. A query that extends the previous one
 * re-checks only the contacts shown; one the previous query extends
 * re-checks only the contacts hidden.
 */
void
sv_contact_list_set_query (SvContactList *self,
                           const char    *text)
{
  g_autofree char *old = NULL;
  guint n;

  g_return_if_fail (SV_IS_CONTACT_LIST (self));

  old = g_steal_pointer (&self->query);
  if (text != NULL && *text != '\0')
    self->query = sv_contact_object_fold (text);
  if (g_strcmp0 (old, self->query) == 0)
    return;

  n = self->objects->len;
  if (self->query == NULL)
    memset (self->matches, 1, n);
  else if (old != NULL && strstr (self->query, old) != NULL)
    {
      /* more strict: only what is shown can drop out */
      for (guint k = 0; k < self->n_visible; k++)
        self->matches[self->visible[k]] = object_matches (self, self->visible[k]);
    }
  else if (old != NULL && strstr (old, self->query) != NULL)
    {
      /* less strict: only what is hidden can come in */
      for (guint i = 0; i < n; i++)
        if (!self->matches[i])
          self->matches[i] = object_matches (self, i);
    }
  else
    {
      for (guint i = 0; i < n; i++)
        self->matches[i] = object_matches (self, i);
    }

  update_visible (self);
}

/**
 * sv_contact_list_set_order:
 * @column: the column to sort by
 * @order: ascending or descending
 *
 * Sorts the list. The first sort by a column computes its order (the
 * number of contacts times log of it, comparing keys stored on the
 * contacts); later ones reuse it, in either direction.
 */
void
sv_contact_list_set_order (SvContactList    *self,
                           SvContactsColumn  column,
                           GtkSortType       order)
{
  g_return_if_fail (SV_IS_CONTACT_LIST (self));
  g_return_if_fail (column < SV_CONTACTS_N_COLUMNS);

  if (self->column == column && self->sort_order == order)
    return;

  self->column = column;
  self->sort_order = order;
  update_visible (self);
}

/**
 * sv_contact_list_get_object:
 * @position: a position in the list as shown
 *
 * Returns: (transfer none) (nullable): the contact shown at @position
 */
SvContactObject *
sv_contact_list_get_object (SvContactList *self,
                            guint          position)
{
  g_return_val_if_fail (SV_IS_CONTACT_LIST (self), NULL);

  if (position >= self->n_visible)
    return NULL;
  return g_ptr_array_index (self->objects, self->visible[position]);
}
