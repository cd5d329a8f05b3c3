/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * SvCardView's edits: each one a worker function over the mirror, then a
 * toast (with Undo where it is one undo step) and a reload; the actions
 * that start them, the contact editor and the New Message dialog. Loading
 * and showing the card are in sv-card-view.c.
 */
#define G_LOG_DOMAIN "sv-card-view"

#include "config.h"

#include <glib/gi18n.h>

#include "sv-contact-editor.h"
#include "sv-mirror-messages.h"
#include "sv-mirror-worker.h"
#include "sv-phonebook.h"

#include "sv-card-view-private.h"

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
      sv_card_view_show_toast (self, error->message, FALSE);
      sv_card_view_set_loading (self, FALSE);
      return;
    }

  sv_card_view_show_toast (self, message, undoable);
  sv_card_view_reload (self);
  sv_card_view_emit_changed (self);
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
  sv_card_view_set_loading (self, TRUE);
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

void
sv_card_view_update_messages (SvCardView      *self,
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

void
sv_card_view_open_editor (SvCardView      *self,
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
      sv_card_view_show_toast (self, _("The card is full: delete a contact first"), FALSE);
      return;
    }

  sv_card_view_open_editor (self, NULL, set, index, NULL);
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
    sv_card_view_open_editor (self, contact, 0, 0, NULL);
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
      sv_card_view_show_toast (self, _("The card is full: delete a contact first"), FALSE);
      return;
    }

  sv_card_view_open_editor (self, NULL, set, index, contact);
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

void
sv_card_view_save_label (SvCardView *self,
                         const char *label)
{
  EditJob *job = g_new0 (EditJob, 1);

  job->toast = g_strdup (label);
  run_edit (self, set_label_worker, job, FALSE);
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

  sv_card_view_show_toast (self, message ? message : error->message, message != NULL);
  if (message != NULL)
    {
      sv_card_view_reload (self);
      sv_card_view_emit_changed (self);
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

/* The new-message dialog's fields. */
typedef struct
{
  SvCardView       *self;
  AdwMessageDialog *dialog;
  GtkEditable      *number;
  GtkTextBuffer    *buffer;
} NewMessage;

static void
new_message_free (gpointer  data,
                  GClosure *closure)
{
  NewMessage *new_message = data;

  g_object_unref (new_message->self);
  g_free (new_message);
}

static void
new_message_response_cb (AdwMessageDialog *dialog,
                         const char       *response,
                         NewMessage       *new_message)
{
  GtkTextIter start, end;
  g_autofree char *text = NULL;

  if (!g_str_equal (response, "add"))
    return;
  gtk_text_buffer_get_bounds (new_message->buffer, &start, &end);
  text = gtk_text_buffer_get_text (new_message->buffer, &start, &end, FALSE);
  sv_card_view_add_message (new_message->self, gtk_editable_get_text (new_message->number), text);
}

static void
new_message_fields_cb (GObject    *field,
                       NewMessage *new_message)
{
  adw_message_dialog_set_response_enabled (new_message->dialog, "add",
                                           *gtk_editable_get_text (new_message->number) &&
                                           gtk_text_buffer_get_char_count (new_message->buffer) > 0);
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
  NewMessage *new_message;

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
  new_message = g_new0 (NewMessage, 1);
  new_message->self = g_object_ref (self);
  new_message->dialog = ADW_MESSAGE_DIALOG (dialog);
  new_message->number = GTK_EDITABLE (number);
  new_message->buffer = buffer;
  g_signal_connect (buffer, "changed", G_CALLBACK (message_text_changed_cb), counter);
  /* The struct is freed with the dialog's handlers, after its children
   * (and their handlers) are gone. */
  g_signal_connect (buffer, "changed", G_CALLBACK (new_message_fields_cb), new_message);
  g_signal_connect (number, "changed", G_CALLBACK (new_message_fields_cb), new_message);
  g_signal_connect_data (dialog, "response", G_CALLBACK (new_message_response_cb), new_message,
                         new_message_free, 0);
  gtk_window_present (GTK_WINDOW (dialog));
  gtk_widget_grab_focus (number);
}

void
sv_card_view_class_actions_init (GtkWidgetClass *widget_class)
{
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
