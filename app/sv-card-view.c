/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One card from the local mirror: its contacts, messages and identity.
 * Works without the card: every edit goes to the mirror (in a worker
 * thread) and becomes a pending change that "Write to Card" applies later.
 * Each edit is one undo step, offered in a toast.
 */
#define G_LOG_DOMAIN "sv-card-view"

#include "config.h"

#include <glib/gi18n.h>

#include "sv-account-group.h"
#include "sv-card-view.h"
#include "sv-contact-editor.h"
#include "sv-mirror-messages.h"
#include "sv-mirror-worker.h"
#include "sv-phonebook.h"

struct _SvCardView
{
  AdwBin               parent_instance;

  AdwViewStack        *view_stack;
  AdwViewSwitcherBar  *switcher_bar;
  SvContactsPage      *contacts_page;
  SvMessagesPage      *messages_page;
  GtkLabel            *usage_label;
  AdwEntryRow         *label_row;
  AdwActionRow        *iccid_row;
  AdwActionRow        *number_row;
  AdwActionRow        *imsi_row;
  AdwActionRow        *type_row;
  AdwActionRow        *spn_row;
  AdwPreferencesGroup *capacity_group;
  AdwActionRow        *read_at_row;
  AdwActionRow        *pending_row;
  AdwExpanderRow      *history_row;
  SvAccountGroup      *account_group;
  GPtrArray           *history_rows;

  GPtrArray           *capacity_rows;
  char                *db_path;
  char                *iccid;
  SvCardImage         *image;
  GPtrArray           *contacts;
  guint                n_pending;
  GCancellable        *cancellable;
  guint                loading : 1;
};

G_DEFINE_FINAL_TYPE (SvCardView, sv_card_view, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_ICCID,
  PROP_N_PENDING,
  PROP_LOADING,
  N_PROPS
};

enum {
  CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* What one load brings back from the worker. */
typedef struct
{
  SvMirrorCard *card;
  SvCardImage  *image;
  GPtrArray    *contacts;
  GPtrArray    *messages;
  GPtrArray    *history;
} CardData;

static void
card_data_free (CardData *data)
{
  g_clear_pointer (&data->card, sv_mirror_card_free);
  g_clear_object (&data->image);
  g_clear_pointer (&data->contacts, g_ptr_array_unref);
  g_clear_pointer (&data->messages, g_ptr_array_unref);
  g_clear_pointer (&data->history, g_ptr_array_unref);
  g_free (data);
}

static void
show_toast (SvCardView *self,
            const char *title,
            gboolean    with_undo)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);
  AdwToast *toast;

  if (overlay == NULL)
    return;

  toast = adw_toast_new (title);
  if (with_undo)
    {
      adw_toast_set_button_label (toast, _("_Undo"));
      adw_toast_set_action_name (toast, "card.undo");
    }
  adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), toast);
}

static void
update_actions (SvCardView *self)
{
  g_autoptr(GPtrArray) selected = sv_contacts_page_get_selected (self->contacts_page);
  gboolean ready = self->image != NULL && !self->loading;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "card.add-contact", ready);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "card.new-message", ready);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "card.edit-contact", ready && selected->len == 1);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "card.duplicate-contact", ready && selected->len == 1);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "card.delete-contacts", ready && selected->len > 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "card.undo", ready);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "card.discard", ready && self->n_pending > 0);
}

static void
selection_changed_cb (SvCardView *self)
{
  update_actions (self);
}

static void
set_subtitle (AdwActionRow *row,
              const char   *value)
{
  adw_action_row_set_subtitle (row, value != NULL && *value != '\0' ? value : _("Unknown"));
}

static void
update_capacity (SvCardView *self)
{
  guint n_sets = sv_phonebook_get_n_sets (self->image);
  guint first_set = sv_card_image_lookup (self->image, "pbr") != NULL ? 1 : 0;
  guint total_records = 0;
  g_autofree char *usage = NULL;

  for (guint i = 0; i < self->capacity_rows->len; i++)
    adw_preferences_group_remove (self->capacity_group, g_ptr_array_index (self->capacity_rows, i));
  g_ptr_array_set_size (self->capacity_rows, 0);

  for (guint set = first_set; set < first_set + n_sets; set++)
    {
      SvPhonebookLimits limits;
      GtkWidget *row;
      g_autofree char *title = NULL;
      g_autofree char *subtitle = NULL;

      if (!sv_phonebook_get_limits (self->image, set, &limits, NULL))
        continue;

      total_records += limits.n_records;
      title = n_sets > 1 ? g_strdup_printf (_("Phonebook Set %u"), set) : g_strdup (_("Phonebook"));
      subtitle = g_strdup_printf (_("%u records, names up to %u bytes, %u of %u extension records free"),
                                  limits.n_records, limits.alpha_len,
                                  limits.n_ext1_free, limits.n_ext1_records);
      row = adw_action_row_new ();
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      gtk_widget_add_css_class (row, "property");
      adw_preferences_group_add (self->capacity_group, row);
      g_ptr_array_add (self->capacity_rows, row);
    }

  {
    GtkWidget *row = adw_action_row_new ();
    g_autofree char *subtitle = g_strdup_printf (_("%u records"), sv_card_image_get_sms_capacity (self->image));

    adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("Short Messages"));
    adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
    gtk_widget_add_css_class (row, "property");
    adw_preferences_group_add (self->capacity_group, row);
    g_ptr_array_add (self->capacity_rows, row);
  }

  usage = g_strdup_printf (_("%u of %u used"), self->contacts ? self->contacts->len : 0, total_records);
  gtk_label_set_text (self->usage_label, usage);
}

static const char *
history_op_label (SvHistoryOp op)
{
  switch (op)
    {
    case SV_HISTORY_READ:
      return _("Read from the card");
    case SV_HISTORY_EDIT:
      return _("Edited");
    case SV_HISTORY_WRITE:
      return _("Written to the card");
    case SV_HISTORY_BACKUP:
      return _("Backed up");
    case SV_HISTORY_RESTORE:
      return _("Restored");
    case SV_HISTORY_IMPORT:
      return _("Imported");
    case SV_HISTORY_UNDO:
      return _("Undone");
    case SV_HISTORY_LABEL:
      return _("Labelled");
    case SV_HISTORY_DELETE:
    default:
      return _("Deleted");
    }
}

/* The newest 50 entries of the card's history, newest first. */
static void
update_history (SvCardView *self,
                GPtrArray  *history)
{
  guint shown = 0;

  for (guint i = 0; i < self->history_rows->len; i++)
    adw_expander_row_remove (self->history_row, g_ptr_array_index (self->history_rows, i));
  g_ptr_array_set_size (self->history_rows, 0);

  for (guint i = history->len; i > 0 && shown < 50; i--, shown++)
    {
      SvMirrorHistoryEntry *entry = g_ptr_array_index (history, i - 1);
      g_autoptr(GDateTime) when = g_date_time_new_from_unix_local (entry->at);
      g_autofree char *title = g_date_time_format (when, "%x %X");
      g_autofree char *subtitle = g_strdup_printf ("%s · %s", history_op_label (entry->op),
                                                   entry->detail != NULL ? entry->detail : "");
      GtkWidget *row = adw_action_row_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      adw_expander_row_add_row (self->history_row, row);
      g_ptr_array_add (self->history_rows, row);
    }

  {
    g_autofree char *count = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u entry", "%u entries",
                                                           history->len), history->len);

    adw_expander_row_set_subtitle (self->history_row, count);
  }
}

static void
apply_card_data (SvCardView *self,
                 CardData   *data)
{
  g_autofree char *imsi = sv_card_image_dup_imsi (data->image);
  g_autofree char *spn = sv_card_image_dup_spn (data->image);
  g_autofree char *pending = NULL;
  g_autofree char *read_at = NULL;

  g_set_object (&self->image, data->image);
  g_clear_pointer (&self->contacts, g_ptr_array_unref);
  self->contacts = g_ptr_array_ref (data->contacts);

  sv_contacts_page_set_contacts (self->contacts_page, data->contacts);
  sv_messages_page_set_messages (self->messages_page, data->messages);

  gtk_editable_set_text (GTK_EDITABLE (self->label_row), data->card->label ? data->card->label : "");
  set_subtitle (self->iccid_row, data->card->iccid);
  set_subtitle (self->number_row, data->card->phone_number);
  set_subtitle (self->imsi_row, imsi);
  set_subtitle (self->spn_row, spn);
  adw_action_row_set_subtitle (self->type_row,
                               data->card->card_type == SV_CARD_TYPE_USIM ? _("USIM (3G/4G)") : _("SIM (2G)"));

  if (data->card->read_at > 0)
    {
      g_autoptr(GDateTime) when = g_date_time_new_from_unix_local (data->card->read_at);

      read_at = g_date_time_format (when, "%x %X");
    }
  set_subtitle (self->read_at_row, read_at);

  if (self->n_pending != data->card->n_pending)
    {
      self->n_pending = data->card->n_pending;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_PENDING]);
    }
  pending = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u record", "%u records", self->n_pending),
                             self->n_pending);
  adw_action_row_set_subtitle (self->pending_row, pending);

  update_history (self, data->history);
  update_capacity (self);
  update_actions (self);
}

static gpointer
load_card_worker (SvMirror      *mirror,
                  gpointer       user_data,
                  GCancellable  *cancellable,
                  GError       **error)
{
  const char *iccid = user_data;
  CardData *data = g_new0 (CardData, 1);

  if ((data->card = sv_mirror_get_card (mirror, iccid, error)) == NULL ||
      (data->image = sv_mirror_load_image (mirror, iccid, TRUE, error)) == NULL ||
      (data->contacts = sv_mirror_list_contacts (mirror, iccid, error)) == NULL ||
      (data->messages = sv_mirror_list_messages (mirror, iccid, error)) == NULL ||
      (data->history = sv_mirror_get_history (mirror, iccid, error)) == NULL)
    {
      card_data_free (data);
      return NULL;
    }

  return data;
}

static void
set_loading (SvCardView *self,
             gboolean    loading)
{
  if (self->loading == !!loading)
    return;

  self->loading = !!loading;
  update_actions (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
}

static void
load_card_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(SvCardView) self = user_data;
  g_autoptr(GError) error = NULL;
  CardData *data = sv_mirror_worker_finish (result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  set_loading (self, FALSE);
  if (data == NULL)
    {
      show_toast (self, error->message, FALSE);
      return;
    }

  apply_card_data (self, data);
  card_data_free (data);
}

/**
 * sv_card_view_load:
 * @db_path: (nullable): the mirror file; %NULL for the default one
 * @iccid: the card
 *
 * Shows @iccid from the mirror; loads in a worker thread.
 */
void
sv_card_view_load (SvCardView *self,
                   const char *db_path,
                   const char *iccid)
{
  g_return_if_fail (SV_IS_CARD_VIEW (self));
  g_return_if_fail (iccid != NULL);

  if (g_strcmp0 (self->iccid, iccid) != 0)
    {
      g_free (self->iccid);
      self->iccid = g_strdup (iccid);
      g_clear_object (&self->image);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ICCID]);
    }
  if (g_strcmp0 (self->db_path, db_path) != 0)
    {
      g_free (self->db_path);
      self->db_path = g_strdup (db_path);
    }

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();

  set_loading (self, TRUE);
  sv_account_group_load (self->account_group, self->db_path, iccid);
  sv_mirror_worker_run (self->db_path, load_card_worker, g_strdup (iccid), g_free,
                        (GDestroyNotify) card_data_free, self->cancellable,
                        load_card_cb, g_object_ref (self));
}

void
sv_card_view_reload (SvCardView *self)
{
  g_return_if_fail (SV_IS_CARD_VIEW (self));

  if (self->iccid != NULL)
    sv_card_view_load (self, self->db_path, self->iccid);
}

/* An edit: a worker function over the mirror, then a toast and a reload. */
typedef struct
{
  char            *iccid;
  SvContact       *contact;
  GPtrArray       *contacts;
  GArray          *records;
  SvMessageStatus  status;
  char            *toast;
} EditJob;

static void
edit_job_free (EditJob *job)
{
  g_free (job->iccid);
  g_clear_pointer (&job->contact, sv_contact_unref);
  g_clear_pointer (&job->contacts, g_ptr_array_unref);
  g_clear_pointer (&job->records, g_array_unref);
  g_free (job->toast);
  g_free (job);
}

typedef struct
{
  SvCardView *self;
  gboolean    undoable;
} EditCallback;

static void
edit_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  EditCallback *callback = user_data;
  g_autoptr(SvCardView) self = callback->self;
  g_autoptr(GError) error = NULL;
  g_autofree char *message = sv_mirror_worker_finish (result, &error);
  gboolean undoable = callback->undoable;

  g_free (callback);

  if (message == NULL)
    {
      show_toast (self, error->message, FALSE);
      set_loading (self, FALSE);
      return;
    }

  show_toast (self, message, undoable);
  sv_card_view_reload (self);
  g_signal_emit (self, signals[CHANGED], 0);
}

/* Runs @func over the mirror with @job; its result is the toast text. */
static void
run_edit (SvCardView         *self,
          SvMirrorWorkerFunc  func,
          EditJob            *job,
          gboolean            undoable)
{
  EditCallback *callback = g_new0 (EditCallback, 1);

  callback->self = g_object_ref (self);
  callback->undoable = undoable;
  job->iccid = g_strdup (self->iccid);
  set_loading (self, TRUE);
  sv_mirror_worker_run (self->db_path, func, job, (GDestroyNotify) edit_job_free,
                        g_free, NULL, edit_done_cb, callback);
}

static gpointer
store_contact_worker (SvMirror      *mirror,
                      gpointer       user_data,
                      GCancellable  *cancellable,
                      GError       **error)
{
  EditJob *job = user_data;
  g_autoptr(GPtrArray) problems = NULL;

  if (!sv_mirror_store_contact (mirror, job->iccid, job->contact, &problems, error))
    return NULL;

  return g_strdup (job->toast);
}

/**
 * sv_card_view_store_contact:
 * @contact: a contact placed at its set and index
 *
 * Stores @contact in the mirror (one undo step) and shows the result.
 */
void
sv_card_view_store_contact (SvCardView *self,
                            SvContact  *contact)
{
  EditJob *job = g_new0 (EditJob, 1);

  job->contact = sv_contact_ref (contact);
  job->toast = g_strdup_printf (_("“%s” saved"), sv_contact_get_name (contact));
  run_edit (self, store_contact_worker, job, TRUE);
}

static gpointer
delete_contacts_worker (SvMirror      *mirror,
                        gpointer       user_data,
                        GCancellable  *cancellable,
                        GError       **error)
{
  EditJob *job = user_data;
  g_autoptr(SvCardImage) working = sv_mirror_load_image (mirror, job->iccid, TRUE, error);

  if (working == NULL)
    return NULL;

  /* All deletions in one image, so they are one undo step. */
  for (guint i = 0; i < job->contacts->len; i++)
    {
      SvContact *contact = g_ptr_array_index (job->contacts, i);

      if (!sv_phonebook_delete_contact (working, sv_contact_get_set (contact),
                                        sv_contact_get_index (contact), error))
        return NULL;
    }

  if (!sv_mirror_apply_image (mirror, working, SV_HISTORY_EDIT, job->toast, error))
    return NULL;

  return g_strdup (job->toast);
}

static gpointer
undo_worker (SvMirror      *mirror,
             gpointer       user_data,
             GCancellable  *cancellable,
             GError       **error)
{
  EditJob *job = user_data;
  g_autofree char *detail = NULL;

  if (!sv_mirror_undo (mirror, job->iccid, &detail, error))
    return NULL;

  return g_strdup (_("Undone"));
}

static gpointer
update_messages_worker (SvMirror      *mirror,
                        gpointer       user_data,
                        GCancellable  *cancellable,
                        GError       **error)
{
  EditJob *job = user_data;

  if (!sv_mirror_update_messages (mirror, job->iccid, job->records, job->status, error))
    return NULL;

  return g_strdup (job->toast);
}

static void
update_messages_cb (SvCardView      *self,
                    GArray          *records,
                    SvMessageStatus  status)
{
  EditJob *job;

  if (self->image == NULL || self->loading)
    return;

  job = g_new0 (EditJob, 1);
  job->records = g_array_ref (records);
  job->status = status;
  job->toast = g_strdup (status == SV_MESSAGE_STATUS_FREE ? _("Conversation deleted") : _("Marked as read"));
  run_edit (self, update_messages_worker, job, TRUE);
}

static void
editor_save_cb (SvCardView *self,
                SvContact  *contact)
{
  sv_card_view_store_contact (self, contact);
}

static void
open_editor (SvCardView      *self,
             const SvContact *contact,
             guint            set,
             guint            index,
             const SvContact *template)
{
  GtkWindow *parent = GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self)));
  SvContactEditor *editor = sv_contact_editor_new (parent, self->image, contact, set, index);

  if (template != NULL)
    {
      sv_contact_editor_set_name (editor, sv_contact_get_name (template));
      sv_contact_editor_set_number (editor, sv_contact_get_number (template));
    }
  g_signal_connect_object (editor, "save", G_CALLBACK (editor_save_cb), self, G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (editor));
}

/* The first set with a free record, and that record. */
static gboolean
find_free_place (SvCardView *self,
                 guint      *set,
                 guint      *index)
{
  guint first_set = sv_card_image_lookup (self->image, "pbr") != NULL ? 1 : 0;
  guint n_sets = sv_phonebook_get_n_sets (self->image);

  for (guint s = first_set; s < first_set + n_sets; s++)
    {
      guint free_index = sv_phonebook_find_free_index (self->image, s);

      if (free_index > 0)
        {
          *set = s;
          *index = free_index;
          return TRUE;
        }
    }

  return FALSE;
}

static void
add_contact_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  SvCardView *self = SV_CARD_VIEW (widget);
  guint set, index;

  if (!find_free_place (self, &set, &index))
    {
      show_toast (self, _("The card is full: delete a contact first"), FALSE);
      return;
    }

  open_editor (self, NULL, set, index, NULL);
}

static SvContact *
single_selected (SvCardView *self)
{
  g_autoptr(GPtrArray) selected = sv_contacts_page_get_selected (self->contacts_page);

  if (selected->len != 1)
    return NULL;

  return sv_contact_ref (g_ptr_array_index (selected, 0));
}

static void
edit_contact_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  SvCardView *self = SV_CARD_VIEW (widget);
  g_autoptr(SvContact) contact = single_selected (self);

  if (contact != NULL)
    open_editor (self, contact, 0, 0, NULL);
}

static void
duplicate_contact_action (GtkWidget  *widget,
                          const char *action_name,
                          GVariant   *parameter)
{
  SvCardView *self = SV_CARD_VIEW (widget);
  g_autoptr(SvContact) contact = single_selected (self);
  guint set, index;

  if (contact == NULL)
    return;
  if (!find_free_place (self, &set, &index))
    {
      show_toast (self, _("The card is full: delete a contact first"), FALSE);
      return;
    }

  open_editor (self, NULL, set, index, contact);
}

static void
delete_contacts_action (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *parameter)
{
  SvCardView *self = SV_CARD_VIEW (widget);
  g_autoptr(GPtrArray) selected = sv_contacts_page_get_selected (self->contacts_page);
  EditJob *job;

  if (selected->len == 0)
    return;

  job = g_new0 (EditJob, 1);
  job->contacts = g_ptr_array_ref (selected);
  if (selected->len == 1)
    job->toast = g_strdup_printf (_("“%s” deleted"),
                                  sv_contact_get_name (g_ptr_array_index (selected, 0)));
  else
    job->toast = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u contact deleted",
                                               "%u contacts deleted", selected->len),
                                  selected->len);
  run_edit (self, delete_contacts_worker, job, TRUE);
}

static void
undo_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  run_edit (SV_CARD_VIEW (widget), undo_worker, g_new0 (EditJob, 1), FALSE);
}

static gpointer
discard_worker (SvMirror      *mirror,
                gpointer       user_data,
                GCancellable  *cancellable,
                GError       **error)
{
  EditJob *job = user_data;

  if (!sv_mirror_discard_pending (mirror, job->iccid, error))
    return NULL;

  return g_strdup (_("Changes discarded"));
}

static void
discard_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  run_edit (SV_CARD_VIEW (widget), discard_worker, g_new0 (EditJob, 1), TRUE);
}

static void
edit_contact_cb (SvCardView *self,
                 SvContact  *contact)
{
  if (self->image != NULL && !self->loading)
    open_editor (self, contact, 0, 0, NULL);
}

static gpointer
set_label_worker (SvMirror      *mirror,
                  gpointer       user_data,
                  GCancellable  *cancellable,
                  GError       **error)
{
  EditJob *job = user_data;

  if (!sv_mirror_set_label (mirror, job->iccid, job->toast, NULL, error))
    return NULL;

  return g_strdup (_("Label saved"));
}

static void
label_apply_cb (SvCardView *self)
{
  EditJob *job = g_new0 (EditJob, 1);

  job->toast = g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->label_row)));
  run_edit (self, set_label_worker, job, FALSE);
}

static void
sv_card_view_dispose (GObject *object)
{
  SvCardView *self = SV_CARD_VIEW (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->contacts_page != NULL)
    g_signal_handlers_disconnect_by_data (sv_contacts_page_get_model (self->contacts_page), self);
  adw_bin_set_child (ADW_BIN (self), NULL);
  g_clear_object (&self->image);
  g_clear_pointer (&self->contacts, g_ptr_array_unref);

  G_OBJECT_CLASS (sv_card_view_parent_class)->dispose (object);
}

static void
sv_card_view_finalize (GObject *object)
{
  SvCardView *self = SV_CARD_VIEW (object);

  g_clear_pointer (&self->capacity_rows, g_ptr_array_unref);
  g_clear_pointer (&self->history_rows, g_ptr_array_unref);
  g_clear_pointer (&self->db_path, g_free);
  g_clear_pointer (&self->iccid, g_free);

  G_OBJECT_CLASS (sv_card_view_parent_class)->finalize (object);
}

static void
sv_card_view_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  SvCardView *self = SV_CARD_VIEW (object);

  switch (prop_id)
    {
    case PROP_ICCID:
      g_value_set_string (value, self->iccid);
      break;

    case PROP_N_PENDING:
      g_value_set_uint (value, self->n_pending);
      break;

    case PROP_LOADING:
      g_value_set_boolean (value, self->loading);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

/* A new message into the card's free EF_SMS records (the mirror's
 * sv_mirror_add_message); the next write puts it on the card. */

typedef struct
{
  char *iccid;
  char *number;
  char *text;
} NewMessageJob;

static void
new_message_job_free (NewMessageJob *job)
{
  g_free (job->iccid);
  g_free (job->number);
  g_free (job->text);
  g_free (job);
}

static gpointer
new_message_worker (SvMirror      *mirror,
                    gpointer       user_data,
                    GCancellable  *cancellable,
                    GError       **error)
{
  NewMessageJob *job = user_data;

  if (!sv_mirror_add_message (mirror, job->iccid, SV_MESSAGE_STATUS_UNSENT, job->number, job->text,
                              NULL, NULL, error))
    return NULL;
  return g_strdup (_("The message waits to be written to the card"));
}

static void
new_message_done_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(SvCardView) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *message = sv_mirror_worker_finish (result, &error);

  show_toast (self, message ? message : error->message, message != NULL);
  if (message != NULL)
    {
      sv_card_view_reload (self);
      g_signal_emit (self, signals[CHANGED], 0);
    }
}

/**
 * sv_card_view_add_message:
 *
 * Stores a message to @number in the card's free records; a toast says
 * whether it fits.
 */
void
sv_card_view_add_message (SvCardView *self,
                          const char *number,
                          const char *text)
{
  NewMessageJob *job;

  g_return_if_fail (SV_IS_CARD_VIEW (self));

  if (self->iccid == NULL)
    return;
  job = g_new0 (NewMessageJob, 1);
  job->iccid = g_strdup (self->iccid);
  job->number = g_strdup (number);
  job->text = g_strdup (text);
  sv_mirror_worker_run (self->db_path, new_message_worker, job, (GDestroyNotify) new_message_job_free,
                        g_free, NULL, new_message_done_cb, g_object_ref (self));
}

static void
message_text_changed_cb (GtkTextBuffer *buffer,
                         GtkLabel      *counter)
{
  g_autofree char *text = g_strdup_printf (_("%u characters"), (guint) gtk_text_buffer_get_char_count (buffer));

  gtk_label_set_text (counter, text);
}

static void
new_message_response_cb (AdwMessageDialog *dialog,
                         const char       *response,
                         SvCardView       *self)
{
  GtkEditable *number = g_object_get_data (G_OBJECT (dialog), "number");
  GtkTextBuffer *buffer = g_object_get_data (G_OBJECT (dialog), "buffer");
  GtkTextIter start, end;
  g_autofree char *text = NULL;

  if (!g_str_equal (response, "add"))
    return;
  gtk_text_buffer_get_bounds (buffer, &start, &end);
  text = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
  sv_card_view_add_message (self, gtk_editable_get_text (number), text);
}

static void
new_message_fields_cb (GtkWidget        *widget,
                       AdwMessageDialog *dialog)
{
  GtkEditable *number = g_object_get_data (G_OBJECT (dialog), "number");
  GtkTextBuffer *buffer = g_object_get_data (G_OBJECT (dialog), "buffer");

  adw_message_dialog_set_response_enabled (dialog, "add",
                                           *gtk_editable_get_text (number) &&
                                           gtk_text_buffer_get_char_count (buffer) > 0);
}

static void
new_message_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  SvCardView *self = SV_CARD_VIEW (widget);
  GtkWindow *parent = GTK_WINDOW (gtk_widget_get_root (widget));
  GtkWidget *dialog = adw_message_dialog_new (parent, _("New Message"),
                                              _("Write a message into a free record of the card; it is written with the next Write."));
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  GtkWidget *list = gtk_list_box_new ();
  GtkWidget *number = adw_entry_row_new ();
  GtkWidget *scrolled = gtk_scrolled_window_new ();
  GtkWidget *view = gtk_text_view_new ();
  GtkWidget *counter = gtk_label_new (NULL);
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (view));

  gtk_list_box_set_selection_mode (GTK_LIST_BOX (list), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (list, "boxed-list");
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (number), _("Number"));
  adw_entry_row_set_input_purpose (ADW_ENTRY_ROW (number), GTK_INPUT_PURPOSE_PHONE);
  gtk_list_box_append (GTK_LIST_BOX (list), number);
  gtk_text_view_set_wrap_mode (GTK_TEXT_VIEW (view), GTK_WRAP_WORD_CHAR);
  gtk_text_view_set_accepts_tab (GTK_TEXT_VIEW (view), FALSE);
  gtk_text_view_set_top_margin (GTK_TEXT_VIEW (view), 6);
  gtk_text_view_set_bottom_margin (GTK_TEXT_VIEW (view), 6);
  gtk_text_view_set_left_margin (GTK_TEXT_VIEW (view), 6);
  gtk_text_view_set_right_margin (GTK_TEXT_VIEW (view), 6);
  gtk_accessible_update_property (GTK_ACCESSIBLE (view), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Message text"), -1);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), view);
  gtk_scrolled_window_set_min_content_height (GTK_SCROLLED_WINDOW (scrolled), 120);
  gtk_widget_add_css_class (scrolled, "card");
  gtk_label_set_xalign (GTK_LABEL (counter), 1);
  gtk_widget_add_css_class (counter, "dim-label");
  message_text_changed_cb (buffer, GTK_LABEL (counter));
  gtk_box_append (GTK_BOX (box), list);
  gtk_box_append (GTK_BOX (box), scrolled);
  gtk_box_append (GTK_BOX (box), counter);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), box);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "add", _("_Add"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "add", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_response_enabled (ADW_MESSAGE_DIALOG (dialog), "add", FALSE);
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data (G_OBJECT (dialog), "number", number);
  g_object_set_data (G_OBJECT (dialog), "buffer", buffer);
  g_signal_connect (buffer, "changed", G_CALLBACK (message_text_changed_cb), counter);
  g_signal_connect (buffer, "changed", G_CALLBACK (new_message_fields_cb), dialog);
  g_signal_connect (number, "changed", G_CALLBACK (new_message_fields_cb), dialog);
  g_signal_connect_object (dialog, "response", G_CALLBACK (new_message_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
  gtk_widget_grab_focus (number);
}

/* A conflict settled with the server's version changed the local copy. */
static void
account_mirror_changed_cb (SvCardView *self)
{
  sv_card_view_reload (self);
  g_signal_emit (self, signals[CHANGED], 0);
}

static void
sv_card_view_class_init (SvCardViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sv_card_view_dispose;
  object_class->finalize = sv_card_view_finalize;
  object_class->get_property = sv_card_view_get_property;

  properties[PROP_ICCID] =
    g_param_spec_string ("iccid", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_PENDING] =
    g_param_spec_uint ("n-pending", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LOADING] =
    g_param_spec_boolean ("loading", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * SvCardView::changed:
   *
   * The card's records in the mirror changed (an edit or an undo).
   */
  signals[CHANGED] =
    g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  g_type_ensure (SV_TYPE_CONTACTS_PAGE);
  g_type_ensure (SV_TYPE_MESSAGES_PAGE);
  g_type_ensure (SV_TYPE_ACCOUNT_GROUP);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PREFIX "/ui/sv-card-view.ui");
  gtk_widget_class_bind_template_child (widget_class, SvCardView, view_stack);
  gtk_widget_class_bind_template_child (widget_class, SvCardView, switcher_bar);
  gtk_widget_class_bind_template_child (widget_class, SvCardView, contacts_page);
  gtk_widget_class_bind_template_child (widget_class, SvCardView, messages_page);
  gtk_widget_class_bind_template_child (widget_class, SvCardView, usage_label);
  gtk_widget_class_bind_template_child (widget_class, SvCardView, label_row);
  gtk_widget_class_bind_template_child (widget_class, SvCardView, iccid_row);
  gtk_widget_class_bind_template_child (widget_class, SvCardView, number_row);
  gtk_widget_class_bind_template_child (widget_class, SvCardView, imsi_row);
  gtk_widget_class_bind_template_child (widget_class, SvCardView, type_row);
  gtk_widget_class_bind_template_child (widget_class, SvCardView, spn_row);
  gtk_widget_class_bind_template_child (widget_class, SvCardView, capacity_group);
  gtk_widget_class_bind_template_child (widget_class, SvCardView, read_at_row);
  gtk_widget_class_bind_template_child (widget_class, SvCardView, pending_row);
  gtk_widget_class_bind_template_child (widget_class, SvCardView, history_row);
  gtk_widget_class_bind_template_child (widget_class, SvCardView, account_group);
  gtk_widget_class_bind_template_callback (widget_class, account_mirror_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, edit_contact_cb);
  gtk_widget_class_bind_template_callback (widget_class, update_messages_cb);
  gtk_widget_class_bind_template_callback (widget_class, label_apply_cb);

  gtk_widget_class_install_action (widget_class, "card.add-contact", NULL, add_contact_action);
  gtk_widget_class_install_action (widget_class, "card.edit-contact", NULL, edit_contact_action);
  gtk_widget_class_install_action (widget_class, "card.duplicate-contact", NULL, duplicate_contact_action);
  gtk_widget_class_install_action (widget_class, "card.delete-contacts", NULL, delete_contacts_action);
  gtk_widget_class_install_action (widget_class, "card.undo", NULL, undo_action);
  gtk_widget_class_install_action (widget_class, "card.discard", NULL, discard_action);
  gtk_widget_class_install_action (widget_class, "card.new-message", NULL, new_message_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_n, GDK_CONTROL_MASK, "card.add-contact", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Delete, 0, "card.delete-contacts", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_z, GDK_CONTROL_MASK, "card.undo", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_d, GDK_CONTROL_MASK, "card.duplicate-contact", NULL);
}

static void
sv_card_view_init (SvCardView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->capacity_rows = g_ptr_array_new ();
  self->history_rows = g_ptr_array_new ();
  g_signal_connect_object (sv_contacts_page_get_model (self->contacts_page), "selection-changed",
                           G_CALLBACK (selection_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (sv_contacts_page_get_model (self->contacts_page), "items-changed",
                           G_CALLBACK (selection_changed_cb), self, G_CONNECT_SWAPPED);
  update_actions (self);
}

GtkWidget *
sv_card_view_new (void)
{
  return g_object_new (SV_TYPE_CARD_VIEW, NULL);
}

const char *
sv_card_view_get_iccid (SvCardView *self)
{
  g_return_val_if_fail (SV_IS_CARD_VIEW (self), NULL);

  return self->iccid;
}

/**
 * sv_card_view_get_image:
 *
 * Returns: (transfer none) (nullable): the working image shown
 */
SvCardImage *
sv_card_view_get_image (SvCardView *self)
{
  g_return_val_if_fail (SV_IS_CARD_VIEW (self), NULL);

  return self->image;
}

guint
sv_card_view_get_n_pending (SvCardView *self)
{
  g_return_val_if_fail (SV_IS_CARD_VIEW (self), 0);

  return self->n_pending;
}

AdwViewStack *
sv_card_view_get_view_stack (SvCardView *self)
{
  g_return_val_if_fail (SV_IS_CARD_VIEW (self), NULL);

  return self->view_stack;
}

/**
 * sv_card_view_get_switcher_bar:
 *
 * Returns: (transfer none): the bottom view switcher, for narrow windows
 */
AdwViewSwitcherBar *
sv_card_view_get_switcher_bar (SvCardView *self)
{
  g_return_val_if_fail (SV_IS_CARD_VIEW (self), NULL);

  return self->switcher_bar;
}

SvContactsPage *
sv_card_view_get_contacts_page (SvCardView *self)
{
  g_return_val_if_fail (SV_IS_CARD_VIEW (self), NULL);

  return self->contacts_page;
}

SvMessagesPage *
sv_card_view_get_messages_page (SvCardView *self)
{
  g_return_val_if_fail (SV_IS_CARD_VIEW (self), NULL);

  return self->messages_page;
}

gboolean
sv_card_view_is_loading (SvCardView *self)
{
  g_return_val_if_fail (SV_IS_CARD_VIEW (self), FALSE);

  return self->loading;
}

SvAccountGroup *
sv_card_view_get_account_group (SvCardView *self)
{
  g_return_val_if_fail (SV_IS_CARD_VIEW (self), NULL);

  return self->account_group;
}
