/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The window's actions (win.*) and their enablement, updated in one place:
 * sv_window_update_actions().
 */
#define G_LOG_DOMAIN "sv-window"

#include "config.h"

#include <glib/gi18n.h>

#include "sv-csv.h"
#include "sv-interrupted-work.h"
#include "sv-mirror-import.h"
#include "sv-mirror-worker.h"
#include "sv-operations.h"
#include "sv-sms-export.h"
#include "sv-vcard.h"
#include "sv-window-private.h"

void
sv_window_update_actions (SvWindow *self)
{
  const char *iccid = sv_card_view_get_iccid (self->card_view);
  gboolean card_shown = iccid != NULL &&
                        g_strcmp0 (gtk_stack_get_visible_child_name (self->main_stack), "card") == 0;
  gboolean idle = !sv_card_view_is_loading (self->card_view) && !self->card_busy;
  gboolean can_write = card_shown && idle && sv_card_view_get_n_pending (self->card_view) > 0 &&
                       sv_window_find_reader_of (self, iccid) != NULL;
  gboolean any_card = sv_window_first_reader_with_card (self) != NULL;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.delete-card", card_shown && idle);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.import", card_shown && idle);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.restore-onto-inserted",
                                 card_shown && idle && sv_window_find_restore_target (self) != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.export", card_shown && idle);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.search", card_shown);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.read-card", !self->card_busy && any_card);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.write-card", can_write);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.finish-interrupted",
                                 !self->card_busy && self->interrupted_text != NULL &&
                                 sv_interrupted_work_get_items (sv_interrupted_work_get_default ())->len > 0);
  gtk_widget_set_visible (self->write_button, card_shown);
  if (can_write)
    gtk_widget_add_css_class (self->write_button, "suggested-action");
  else
    gtk_widget_remove_css_class (self->write_button, "suggested-action");
}

/* What a dialog's response needs, carried by the signal's closure (freed
 * with the dialog) instead of data hung on the dialog. */
typedef struct
{
  SvWindow *self;
  char     *iccid;
  char     *text;            /* export: the format; import: the file */
} DialogJob;

static DialogJob *
dialog_job_new (SvWindow   *self,
                const char *iccid,
                const char *text)
{
  DialogJob *job = g_new0 (DialogJob, 1);

  job->self = g_object_ref (self);
  job->iccid = g_strdup (iccid);
  job->text = g_strdup (text);
  return job;
}

static void
dialog_job_free (gpointer  data,
                 GClosure *closure)
{
  DialogJob *job = data;

  g_clear_object (&job->self);
  g_free (job->iccid);
  g_free (job->text);
  g_free (job);
}

/* Forget a card: deletes its local copy after a confirmation that names it. */

static gpointer
delete_card_worker (SvMirror      *mirror,
                    gpointer       user_data,
                    GCancellable  *cancellable,
                    GError       **error)
{
  const char *iccid = user_data;

  if (!sv_mirror_delete_card (mirror, iccid, iccid, error))
    return NULL;

  return GINT_TO_POINTER (TRUE);
}

static void
delete_card_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(SvWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (sv_mirror_worker_finish (result, &error) == NULL)
    {
      sv_window_add_toast (self, adw_toast_new (error->message));
      return;
    }

  sv_window_add_toast (self, adw_toast_new (_("Card forgotten")));
  sv_window_show_status (self, "sv-sim-card-symbolic", _("Insert a SIM Card"),
                         _("Put a SIM or USIM card into a USB smart card reader to read its contacts and messages."));
  sv_window_refresh_cards (self);
}

static void
delete_card_response_cb (AdwMessageDialog *dialog,
                         const char       *response,
                         DialogJob        *job)
{
  if (!g_str_equal (response, "delete"))
    return;

  sv_mirror_worker_run (job->self->db_path, delete_card_worker, g_strdup (job->iccid), g_free,
                        NULL, NULL, delete_card_cb, g_object_ref (job->self));
}

static void
delete_card_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  SvWindow *self = SV_WINDOW (widget);
  const char *iccid = sv_card_view_get_iccid (self->card_view);
  guint n_pending = sv_card_view_get_n_pending (self->card_view);
  g_autofree char *body = NULL;
  GtkWidget *dialog;

  if (iccid == NULL)
    return;

  if (n_pending > 0)
    body = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                         "The local copy of card %s and its history will be deleted, with %u change that was never written to the card. The card itself is not changed.",
                                         "The local copy of card %s and its history will be deleted, with %u changes that were never written to the card. The card itself is not changed.",
                                         n_pending),
                            iccid, n_pending);
  else
    body = g_strdup_printf (_("The local copy of card %s and its history will be deleted. The card itself is not changed."),
                            iccid);

  dialog = adw_message_dialog_new (GTK_WINDOW (self), _("Forget This Card?"), body);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "delete", _("_Forget"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "delete",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect_data (dialog, "response", G_CALLBACK (delete_card_response_cb),
                         dialog_job_new (self, iccid, NULL), dialog_job_free, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
search_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  SvWindow *self = SV_WINDOW (widget);
  AdwViewStack *stack = sv_card_view_get_view_stack (self->card_view);

  adw_view_stack_set_visible_child_name (stack, "contacts");
  sv_contacts_page_focus_search (sv_card_view_get_contacts_page (self->card_view));
}

/* Export: contacts as vCard 3.0/4.0 or CSV, messages as SMS Backup &
 * Restore XML or JSON. The file is written by the worker. */

typedef struct
{
  char *iccid;
  char *format;
  char *path;
  guint n_items;
} FileJob;

static void
file_job_free (FileJob *job)
{
  g_free (job->iccid);
  g_free (job->format);
  g_free (job->path);
  g_free (job);
}

static gpointer
export_worker (SvMirror      *mirror,
               gpointer       user_data,
               GCancellable  *cancellable,
               GError       **error)
{
  FileJob *job = user_data;
  g_autofree char *text = NULL;

  if (g_str_equal (job->format, "sms-xml") || g_str_equal (job->format, "json"))
    {
      g_autoptr(GPtrArray) messages = sv_mirror_list_messages (mirror, job->iccid, error);
      g_autoptr(SvCardImage) image = NULL;

      if (messages == NULL ||
          (image = sv_mirror_load_image (mirror, job->iccid, TRUE, error)) == NULL)
        return NULL;
      job->n_items = messages->len;
      text = g_str_equal (job->format, "json") ? sv_sms_export_json (messages, image)
                                               : sv_sms_export_xml (messages, image);
    }
  else
    {
      g_autoptr(GPtrArray) contacts = sv_mirror_list_contacts (mirror, job->iccid, error);

      if (contacts == NULL)
        return NULL;
      job->n_items = contacts->len;
      if (g_str_equal (job->format, "csv"))
        text = sv_csv_export (contacts);
      else
        text = sv_vcard_export (contacts,
                                g_str_equal (job->format, "vcard4") ? SV_VCARD_VERSION_4_0
                                                                    : SV_VCARD_VERSION_3_0,
                                job->iccid);
    }

  if (!g_file_set_contents (job->path, text, -1, error))
    return NULL;

  if (g_str_equal (job->format, "sms-xml") || g_str_equal (job->format, "json"))
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u message exported", "%u messages exported",
                                         job->n_items), job->n_items);
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u contact exported", "%u contacts exported",
                                       job->n_items), job->n_items);
}

static void
file_job_done_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(SvWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *message = sv_mirror_worker_finish (result, &error);

  sv_window_add_toast (self, adw_toast_new (message != NULL ? message : error->message));
}

static const struct
{
  const char *format;
  const char *extension;
  const char *mime_type;
} export_formats[] = {
  { "vcard", "vcf", "text/vcard" },
  { "vcard4", "vcf", "text/vcard" },
  { "csv", "csv", "text/csv" },
  { "sms-xml", "xml", "application/xml" },
  { "json", "json", "application/json" },
};

static void
export_response_cb (GtkNativeDialog *chooser,
                    int              response,
                    DialogJob       *job)
{
  g_autoptr(GFile) file = NULL;
  g_autofree char *path = NULL;

  if (response != GTK_RESPONSE_ACCEPT)
    {
      g_object_unref (chooser);
      return;
    }

  file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  path = g_file_get_path (file);
  sv_window_export_file (job->self, job->iccid, job->text, path);
  g_object_unref (chooser);
}

/**
 * sv_window_export_file:
 * @format: "vcard", "vcard4", "csv", "sms-xml" or "json"
 *
 * Exports card @iccid to @path in a worker; a toast tells the result.
 */
void
sv_window_export_file (SvWindow   *self,
                       const char *iccid,
                       const char *format,
                       const char *path)
{
  FileJob *job = g_new0 (FileJob, 1);

  job->iccid = g_strdup (iccid);
  job->format = g_strdup (format);
  job->path = g_strdup (path);
  sv_mirror_worker_run (self->db_path, export_worker, job, (GDestroyNotify) file_job_free,
                        g_free, NULL, file_job_done_cb, g_object_ref (self));
}

static void
export_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  SvWindow *self = SV_WINDOW (widget);
  const char *format = g_variant_get_string (parameter, NULL);
  const char *iccid = sv_card_view_get_iccid (self->card_view);
  GtkFileChooserNative *chooser;
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();
  g_autofree char *name = NULL;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (export_formats); i++)
    if (g_str_equal (export_formats[i].format, format))
      break;
  if (i == G_N_ELEMENTS (export_formats) || iccid == NULL)
    return;

  chooser = gtk_file_chooser_native_new (_("Export"), GTK_WINDOW (self),
                                         GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"), _("_Cancel"));
  name = g_strdup_printf ("%s%s.%s", iccid,
                          g_str_has_prefix (format, "vcard") || g_str_equal (format, "csv") ? "" : "-messages",
                          export_formats[i].extension);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), name);
  gtk_file_filter_add_mime_type (filter, export_formats[i].mime_type);
  gtk_file_filter_add_suffix (filter, export_formats[i].extension);
  gtk_file_chooser_set_filter (GTK_FILE_CHOOSER (chooser), filter);
  g_signal_connect_data (chooser, "response", G_CALLBACK (export_response_cb),
                         dialog_job_new (self, iccid, format), dialog_job_free, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

/* Import: vCard or CSV into free records. A malformed file imports nothing
 * and says at which line; the user may then import the valid entries. */

typedef struct
{
  char     *iccid;
  char     *path;
  gboolean  partial;
  GPtrArray *warnings;
  guint     n_stored;
} ImportJob;

static void
import_job_free (ImportJob *job)
{
  g_free (job->iccid);
  g_free (job->path);
  g_clear_pointer (&job->warnings, g_ptr_array_unref);
  g_free (job);
}

static gpointer
import_worker (SvMirror      *mirror,
               gpointer       user_data,
               GCancellable  *cancellable,
               GError       **error)
{
  ImportJob *job = user_data;
  SvImportFlags flags = job->partial ? SV_IMPORT_PARTIAL : SV_IMPORT_NONE;
  g_autofree char *text = NULL;
  g_autoptr(GPtrArray) contacts = NULL;
  g_autoptr(GPtrArray) store_warnings = NULL;
  gsize len;

  if (!g_file_get_contents (job->path, &text, &len, error) ||
      (contacts = sv_contacts_parse_file (text, len, SV_CONTACT_FORMAT_AUTO, flags,
                                          &job->warnings, error)) == NULL ||
      !sv_mirror_import_contacts (mirror, job->iccid, contacts, flags, &store_warnings,
                                  &job->n_stored, error))
    return NULL;

  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u contact imported", "%u contacts imported",
                                       job->n_stored), job->n_stored);
}

static void
import_error_response_cb (AdwMessageDialog *dialog,
                          const char       *response,
                          DialogJob        *job)
{
  if (g_str_equal (response, "partial"))
    sv_window_import_file (job->self, job->text, TRUE);
}

static void
import_done_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(SvWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *message = sv_mirror_worker_finish (result, &error);
  ImportJob *job = sv_mirror_worker_get_data (result);

  if (message == NULL)
    {
      GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (self), _("Nothing Imported"), error->message);

      adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
      if (!job->partial && g_error_matches (error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_INVALID))
        {
          adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "partial",
                                           _("Import _Valid Entries"));
        }
      g_signal_connect_data (dialog, "response", G_CALLBACK (import_error_response_cb),
                             dialog_job_new (self, job->iccid, job->path), dialog_job_free, 0);
      gtk_window_present (GTK_WINDOW (dialog));
      return;
    }

  {
    AdwToast *toast = adw_toast_new (message);

    adw_toast_set_button_label (toast, _("_Undo"));
    adw_toast_set_action_name (toast, "card.undo");
    sv_window_add_toast (self, toast);
  }
  sv_card_view_reload (self->card_view);
  sv_window_refresh_cards (self);
}

/**
 * sv_window_import_file:
 * @partial: import the valid entries of a malformed file
 *
 * Imports the contacts of @path into the shown card, in a worker; a
 * malformed file imports nothing and offers the valid entries.
 */
void
sv_window_import_file (SvWindow   *self,
                       const char *path,
                       gboolean    partial)
{
  ImportJob *job = g_new0 (ImportJob, 1);

  job->iccid = g_strdup (sv_card_view_get_iccid (self->card_view));
  job->path = g_strdup (path);
  job->partial = partial;
  sv_mirror_worker_run (self->db_path, import_worker, job, (GDestroyNotify) import_job_free,
                        g_free, NULL, import_done_cb, g_object_ref (self));
}

static void
import_response_cb (GtkNativeDialog *chooser,
                    int              response,
                    gpointer         user_data)
{
  SvWindow *self = SV_WINDOW (user_data);

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
      g_autofree char *path = g_file_get_path (file);

      sv_window_import_file (self, path, FALSE);
    }
  g_object_unref (chooser);
}

static void
import_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  SvWindow *self = SV_WINDOW (widget);
  GtkFileChooserNative *chooser;
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();

  if (sv_card_view_get_iccid (self->card_view) == NULL)
    return;

  chooser = gtk_file_chooser_native_new (_("Import Contacts"), GTK_WINDOW (self),
                                         GTK_FILE_CHOOSER_ACTION_OPEN, _("_Import"), _("_Cancel"));
  gtk_file_filter_set_name (filter, _("vCard and CSV files"));
  gtk_file_filter_add_mime_type (filter, "text/vcard");
  gtk_file_filter_add_mime_type (filter, "text/x-vcard");
  gtk_file_filter_add_mime_type (filter, "text/csv");
  gtk_file_filter_add_suffix (filter, "vcf");
  gtk_file_filter_add_suffix (filter, "csv");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), filter);
  g_signal_connect (chooser, "response", G_CALLBACK (import_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

/**
 * sv_window_preview_list_new:
 * @markup: one line per contact
 *
 * Returns: (transfer floating): the list of a preview dialog, scrolled
 *   past 240 px
 */
GtkWidget *
sv_window_preview_list_new (const char *markup)
{
  GtkWidget *label = gtk_label_new (NULL);
  GtkWidget *scrolled = gtk_scrolled_window_new ();

  gtk_label_set_markup (GTK_LABEL (label), markup);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_max_content_height (GTK_SCROLLED_WINDOW (scrolled), 240);
  gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (scrolled), TRUE);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), label);

  return scrolled;
}

/* Restore onto the inserted card: the shown card's phonebook mapped onto
 * another card that is in a reader now (a replacement SIM), previewed
 * first. The target then has pending changes; writing them is the usual
 * write, so every record is verified on the card. */

/**
 * sv_window_find_restore_target:
 *
 * Returns: (nullable): the ICCID of a card in a reader, read into the
 *   mirror, that is not the shown card
 */
const char *
sv_window_find_restore_target (SvWindow *self)
{
  const char *source = sv_card_view_get_iccid (self->card_view);
  GHashTableIter iter;
  gpointer name, iccid;

  if (source == NULL || self->readers == NULL)
    return NULL;

  g_hash_table_iter_init (&iter, self->readers);
  while (g_hash_table_iter_next (&iter, &name, &iccid))
    if (iccid != NULL && *(const char *) iccid != '\0' && !g_str_equal (iccid, source))
      return iccid;

  return NULL;
}

/* One restore, from the preview to the apply; the preview dialog's
 * response closure owns it. */
typedef struct
{
  SvWindow       *self;
  char           *source;
  char           *target;
  GtkCheckButton *accept;       /* nullable: only when something is shortened */
} RestoreJob;

static RestoreJob *
restore_job_new (SvWindow   *self,
                 const char *source,
                 const char *target)
{
  RestoreJob *job = g_new0 (RestoreJob, 1);

  job->self = g_object_ref (self);
  job->source = g_strdup (source);
  job->target = g_strdup (target);
  return job;
}

static void
restore_job_free (RestoreJob *job)
{
  g_clear_object (&job->self);
  g_free (job->source);
  g_free (job->target);
  g_free (job);
}

static void
restore_job_closure_free (gpointer  data,
                          GClosure *closure)
{
  restore_job_free (data);
}

static void
restore_apply_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  RestoreJob *job = user_data;
  SvWindow *self = job->self;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) entries = NULL;
  guint n_stored = 0;
  g_autofree char *text = NULL;

  if (!sv_restore_operation_apply_finish (result, &entries, &error))
    {
      sv_window_add_toast (self, adw_toast_new (error->message));
      restore_job_free (job);
      return;
    }

  for (guint i = 0; i < entries->len; i++)
    if (((SvRestoreEntry *) g_ptr_array_index (entries, i))->outcome != SV_RESTORE_OVERFLOW)
      n_stored++;

  sv_window_show_card (self, job->target);
  sv_window_refresh_cards (self);
  text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                       "%u contact placed on card %s: write to finish",
                                       "%u contacts placed on card %s: write to finish", n_stored),
                          n_stored, job->target);
  sv_window_add_toast (self, adw_toast_new (text));
  restore_job_free (job);
}

static void
restore_response_cb (AdwMessageDialog *dialog,
                     const char       *response,
                     RestoreJob       *job)
{
  gboolean accept_truncation;

  if (!g_str_equal (response, "restore"))
    return;

  accept_truncation = job->accept != NULL && gtk_check_button_get_active (job->accept);
  sv_restore_operation_apply_async (job->self->db_path, job->source, job->target, accept_truncation,
                                    NULL, restore_apply_cb,
                                    restore_job_new (job->self, job->source, job->target));
}

static void
accept_toggled_cb (GtkCheckButton   *check,
                   AdwMessageDialog *dialog)
{
  adw_message_dialog_set_response_enabled (dialog, "restore", gtk_check_button_get_active (check));
}

static const char *
outcome_sign (SvRestoreOutcome outcome)
{
  switch (outcome)
    {
    case SV_RESTORE_FITS:
      return "=";
    case SV_RESTORE_REENCODED:
      return "≈";
    case SV_RESTORE_TRUNCATED:
      return "✂";
    case SV_RESTORE_OVERFLOW:
    default:
      return "✗";
    }
}

static void
restore_preview_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  RestoreJob *job = user_data;
  SvWindow *self = job->self;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) entries = sv_restore_operation_preview_finish (result, &error);
  g_autoptr(GString) lines = g_string_new (NULL);
  g_autofree char *body = NULL;
  guint counts[SV_RESTORE_OVERFLOW + 1] = { 0 };
  GtkWidget *dialog, *box;

  if (entries == NULL)
    {
      sv_window_add_toast (self, adw_toast_new (error->message));
      restore_job_free (job);
      return;
    }

  for (guint i = 0; i < entries->len; i++)
    {
      SvRestoreEntry *entry = g_ptr_array_index (entries, i);
      SvContact *shown = entry->target != NULL ? entry->target : entry->source;
      g_autofree char *line = NULL;

      counts[entry->outcome]++;
      line = g_markup_printf_escaped ("%s  %s  %s%s%s\n", outcome_sign (entry->outcome),
                                      sv_contact_get_name (shown), sv_contact_get_number (shown),
                                      entry->message != NULL ? " — " : "",
                                      entry->message != NULL ? entry->message : "");
      g_string_append (lines, line);
    }

  body = g_strdup_printf (_("Card %s onto card %s: %u contacts fit as they are, %u in another coding, %u shortened, %u do not fit. Nothing is written until you write the target card."),
                          job->source, job->target, counts[SV_RESTORE_FITS], counts[SV_RESTORE_REENCODED],
                          counts[SV_RESTORE_TRUNCATED], counts[SV_RESTORE_OVERFLOW]);
  dialog = adw_message_dialog_new (GTK_WINDOW (self), _("Restore onto the Inserted Card?"), body);

  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  gtk_box_append (GTK_BOX (box), sv_window_preview_list_new (lines->str));
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), box);

  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "restore", _("_Restore"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "restore", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");

  /* Shortening a name is never silent: the user ticks it off first. */
  if (counts[SV_RESTORE_TRUNCATED] > 0)
    {
      GtkWidget *accept = gtk_check_button_new_with_label (_("Store the shortened entries as shown"));

      gtk_box_append (GTK_BOX (box), accept);
      job->accept = GTK_CHECK_BUTTON (accept);
      adw_message_dialog_set_response_enabled (ADW_MESSAGE_DIALOG (dialog), "restore", FALSE);
      g_signal_connect (accept, "toggled", G_CALLBACK (accept_toggled_cb), dialog);
    }

  /* The dialog's closure owns the job from here on. */
  g_signal_connect_data (dialog, "response", G_CALLBACK (restore_response_cb), job,
                         restore_job_closure_free, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
restore_onto_inserted_action (GtkWidget  *widget,
                              const char *action_name,
                              GVariant   *parameter)
{
  SvWindow *self = SV_WINDOW (widget);
  const char *target = sv_window_find_restore_target (self);

  if (target == NULL)
    return;

  sv_restore_operation_preview_async (self->db_path, sv_card_view_get_iccid (self->card_view), target,
                                      NULL, restore_preview_cb,
                                      restore_job_new (self, sv_card_view_get_iccid (self->card_view), target));
}

void
sv_window_class_add_actions (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "win.restore-onto-inserted", NULL,
                                   restore_onto_inserted_action);
  gtk_widget_class_install_action (widget_class, "win.export", "s", export_action);
  gtk_widget_class_install_action (widget_class, "win.import", NULL, import_action);
  gtk_widget_class_install_action (widget_class, "win.delete-card", NULL, delete_card_action);
  gtk_widget_class_install_action (widget_class, "win.search", NULL, search_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_f, GDK_CONTROL_MASK, "win.search", NULL);
}
