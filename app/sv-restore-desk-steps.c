/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The restore desk's steps 1 to 7, in order: staff sign-in, the
 * customer's consent, the backup's cards, the new SIM, the preview, the
 * write and the receipt, with the actions that move between them. The
 * window, its template and the callbacks the template names are in
 * sv-restore-desk.c.
 */
#define G_LOG_DOMAIN "sv-restore-desk"

#include "config.h"

#include <glib/gi18n.h>

#include "sv-mirror-worker.h"
#include "sv-protocol.h"
#include "sv-server-restore-operation.h"
#include "sv-sync-ui.h"
#include "sv-write-operation.h"
#include "sv-window-private.h"

#include "sv-restore-desk-private.h"

static void
remove_extra_rows (SvRestoreDesk *self)
{
  for (guint i = 0; i < self->extra_rows->len; i++)
    {
      GtkWidget *row = g_ptr_array_index (self->extra_rows, i);
      GtkWidget *group = gtk_widget_get_ancestor (row, ADW_TYPE_PREFERENCES_GROUP);

      if (group != NULL)
        adw_preferences_group_remove (ADW_PREFERENCES_GROUP (group), row);
    }
  g_ptr_array_set_size (self->extra_rows, 0);
}

static GtkWidget *
add_property_row (SvRestoreDesk       *self,
                  AdwPreferencesGroup *group,
                  const char          *title,
                  const char          *value)
{
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), value);
  gtk_widget_add_css_class (row, "property");
  adw_preferences_group_add (group, row);
  g_ptr_array_add (self->extra_rows, row);
  return row;
}

/* Step 1: staff sign-in. */

typedef struct
{
  char *name;
  char *password;
} StaffJob;

static void
staff_job_free (StaffJob *job)
{
  g_free (job->name);
  sv_sync_ui_password_free (job->password);
  g_free (job);
}

static void
staff_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  SvSyncClient *client = source_object;
  StaffJob *job = task_data;
  GError *error = NULL;

  if (sv_sync_client_staff_login (client, job->name, job->password, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
staff_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(SvRestoreDesk) self = user_data;
  g_autoptr(GError) error = NULL;

  sv_restore_desk_set_busy (self, FALSE);
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_clear_object (&self->client);
      sv_restore_desk_fail (self, error);
      return;
    }
  g_clear_pointer (&self->error, g_free);
  gtk_editable_set_text (GTK_EDITABLE (self->staff_password_row), "");
  sv_restore_desk_show_step (self, "customer");
  gtk_widget_grab_focus (GTK_WIDGET (self->phone_row));
}

static void
staff_sign_in_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  SvRestoreDesk *self = SV_RESTORE_DESK (widget);
  g_autoptr(GError) error = NULL;
  g_autoptr(GTask) task = NULL;
  StaffJob *job;

  g_free (self->server);
  self->server = g_strstrip (g_strdup (sv_restore_desk_text_of (self->server_row)));
  if (!g_str_has_prefix (self->server, "http://") && !g_str_has_prefix (self->server, "https://"))
    {
      char *with_scheme = g_strconcat ("https://", self->server, NULL);

      g_free (self->server);
      self->server = with_scheme;
    }
  g_free (self->staff);
  self->staff = g_strdup (sv_restore_desk_text_of (self->staff_row));
  g_clear_object (&self->client);
  self->client = sv_sync_client_new (self->server, &error);
  if (self->client == NULL)
    {
      sv_restore_desk_fail (self, error);
      return;
    }
  job = g_new0 (StaffJob, 1);
  job->name = g_strdup (self->staff);
  job->password = g_strdup (sv_restore_desk_text_of (self->staff_password_row));
  sv_restore_desk_set_busy (self, TRUE);
  task = g_task_new (self->client, self->cancellable, staff_done_cb, g_object_ref (self));
  g_task_set_task_data (task, job, (GDestroyNotify) staff_job_free);
  g_task_run_in_thread (task, staff_thread);
}

/* Step 2: the customer's consent, then the backup's cards. */

typedef struct
{
  char *phone;
  char *password;
  char *code;
} ConsentJob;

static void
consent_job_free (ConsentJob *job)
{
  g_free (job->phone);
  sv_sync_ui_password_free (job->password);
  sv_sync_ui_password_free (job->code);
  g_free (job);
}

static void
consent_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  SvSyncClient *client = source_object;
  ConsentJob *job = task_data;
  GError *error = NULL;
  JsonNode *cards;

  if (!sv_sync_client_staff_consent (client, job->phone, job->code ? NULL : job->password, job->code,
                                     cancellable, &error) ||
      (cards = sv_sync_client_list_cards (client, cancellable, &error)) == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_return_pointer (task, cards, (GDestroyNotify) json_node_unref);
}

static void
card_row_toggled_cb (GtkCheckButton *check,
                     SvRestoreDesk  *self)
{
  /* The check's row is titled with the card's ICCID. */
  GtkWidget *row = gtk_widget_get_ancestor (GTK_WIDGET (check), ADW_TYPE_PREFERENCES_ROW);

  if (row != NULL && gtk_check_button_get_active (check))
    {
      g_free (self->source_iccid);
      self->source_iccid = g_strdup (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)));
    }
}

static void
consent_done_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(SvRestoreDesk) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) answer = g_task_propagate_pointer (G_TASK (result), &error);
  JsonArray *cards = NULL;
  GtkCheckButton *group = NULL;

  sv_restore_desk_set_busy (self, FALSE);
  if (answer == NULL)
    {
      sv_restore_desk_fail (self, error);
      return;
    }
  g_clear_pointer (&self->error, g_free);
  remove_extra_rows (self);
  g_ptr_array_set_size (self->card_iccids, 0);
  g_clear_pointer (&self->source_iccid, g_free);
  if (JSON_NODE_HOLDS_OBJECT (answer) && json_object_has_member (json_node_get_object (answer), "cards"))
    cards = json_object_get_array_member (json_node_get_object (answer), "cards");
  for (guint i = 0; cards != NULL && i < json_array_get_length (cards); i++)
    {
      JsonObject *card = json_array_get_object_element (cards, i);
      const char *iccid = sv_protocol_get_string (card, "iccid");
      const char *replaced_by = sv_protocol_get_string (card, "replaced_by");
      const char *type = sv_protocol_get_string (card, "card_type");
      const char *updated = sv_protocol_get_string (card, "updated");
      GtkWidget *row, *check;
      g_autofree char *subtitle = NULL;

      if (iccid == NULL)
        continue;
      if (replaced_by != NULL)
        /* Translators: a card of the account that a later card replaced */
        subtitle = g_strdup_printf (_("%s, replaced by %s"), type ? type : "", replaced_by);
      else
        /* Translators: card type and when its backup last changed */
        subtitle = g_strdup_printf (_("%s, last change %s"), type ? type : "", updated ? updated : "");
      row = adw_action_row_new ();
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), iccid);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      check = gtk_check_button_new ();
      gtk_widget_set_valign (check, GTK_ALIGN_CENTER);
      if (group != NULL)
        gtk_check_button_set_group (GTK_CHECK_BUTTON (check), group);
      else
        group = GTK_CHECK_BUTTON (check);
      g_signal_connect (check, "toggled", G_CALLBACK (card_row_toggled_cb), self);
      adw_action_row_add_prefix (ADW_ACTION_ROW (row), check);
      adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), check);
      adw_preferences_group_add (self->cards_group, row);
      g_ptr_array_add (self->extra_rows, row);
      g_ptr_array_add (self->card_iccids, g_strdup (iccid));
      /* The current card (not replaced) is the usual choice. */
      if (replaced_by == NULL && self->source_iccid == NULL)
        gtk_check_button_set_active (GTK_CHECK_BUTTON (check), TRUE);
    }
  if (self->source_iccid == NULL && group != NULL)
    gtk_check_button_set_active (group, TRUE);
  if (self->card_iccids->len == 0)
    {
      GError *none = g_error_new_literal (SV_SYNC_ERROR, SV_SYNC_ERROR_NOT_FOUND,
                                          _("This account has no backed-up card"));

      sv_restore_desk_fail (self, none);
      g_error_free (none);
      return;
    }
  g_free (self->phone);
  self->phone = g_strdup (sv_restore_desk_text_of (self->phone_row));
  gtk_editable_set_text (GTK_EDITABLE (self->customer_password_row), "");
  sv_restore_desk_show_step (self, "cards");
}

static void
consent_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  SvRestoreDesk *self = SV_RESTORE_DESK (widget);
  g_autoptr(GTask) task = NULL;
  ConsentJob *job = g_new0 (ConsentJob, 1);

  job->phone = g_strstrip (g_strdup (sv_restore_desk_text_of (self->phone_row)));
  if (*sv_restore_desk_text_of (self->code_row))
    job->code = g_strstrip (g_strdup (sv_restore_desk_text_of (self->code_row)));
  else
    job->password = g_strdup (sv_restore_desk_text_of (self->customer_password_row));
  sv_restore_desk_set_busy (self, TRUE);
  task = g_task_new (self->client, self->cancellable, consent_done_cb, g_object_ref (self));
  g_task_set_task_data (task, job, (GDestroyNotify) consent_job_free);
  g_task_run_in_thread (task, consent_thread);
}

/* Step 3 -> 4: the card chosen; wait for the new SIM. */

static void
choose_card_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  SvRestoreDesk *self = SV_RESTORE_DESK (widget);

  if (self->source_iccid == NULL)
    return;
  g_clear_pointer (&self->target_iccid, g_free);
  sv_restore_desk_show_step (self, "insert");
}

/* A card other than the backed-up one, in a reader, read into the
 * mirror by the main window. */
gboolean
sv_restore_desk_poll_target_cb (gpointer data)
{
  SvRestoreDesk *self = data;
  SvWindow *window = self->window;
  GHashTableIter iter;
  gpointer reader, iccid;
  const char *found = NULL, *found_reader = NULL;

  if (window != NULL && window->readers != NULL && !window->card_busy)
    {
      g_hash_table_iter_init (&iter, window->readers);
      while (g_hash_table_iter_next (&iter, &reader, &iccid))
        if (iccid != NULL && *(const char *) iccid && g_strcmp0 (iccid, self->source_iccid) != 0 &&
            g_strcmp0 (sv_card_view_get_iccid (window->card_view), iccid) == 0 &&
            sv_card_view_get_image (window->card_view) != NULL &&
            !sv_card_view_is_loading (window->card_view))
          {
            found = iccid;
            found_reader = reader;
          }
    }
  if (g_strcmp0 (found, self->target_iccid) != 0)
    {
      g_free (self->target_iccid);
      self->target_iccid = g_strdup (found);
      g_free (self->target_reader);
      self->target_reader = g_strdup (found_reader);
      if (found != NULL)
        {
          g_autofree char *text = g_strdup_printf (_("The new card %s in “%s” is read and ready."),
                                                   found, found_reader);

          adw_status_page_set_title (self->insert_page, _("New SIM Card Ready"));
          adw_status_page_set_description (self->insert_page, text);
        }
      else
        {
          adw_status_page_set_title (self->insert_page, _("Insert the New SIM Card"));
          adw_status_page_set_description (self->insert_page,
                                           _("Put the customer’s new SIM card into a reader. It is read as soon as it is in."));
        }
      sv_restore_desk_update_actions (self);
    }
  return G_SOURCE_CONTINUE;
}

/* Step 5: the preview. */

static void
set_count_row (AdwActionRow *row,
               guint         n)
{
  g_autofree char *text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u contact", "%u contacts", n), n);

  adw_action_row_set_subtitle (row, text);
}

static void
preview_done_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(SvRestoreDesk) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(SvServerRestoreResult) preview = sv_server_restore_operation_run_finish (result, &error);

  sv_restore_desk_set_busy (self, FALSE);
  if (preview == NULL)
    {
      sv_restore_desk_fail (self, error);
      return;
    }
  g_clear_pointer (&self->error, g_free);
  g_clear_pointer (&self->preview, sv_server_restore_result_unref);
  self->preview = sv_server_restore_result_ref (preview);
  memset (self->counts, 0, sizeof self->counts);
  remove_extra_rows (self);
  for (guint i = 0; preview->entries != NULL && i < preview->entries->len; i++)
    {
      SvRestoreEntry *entry = g_ptr_array_index (preview->entries, i);
      const char *name = sv_contact_get_name (entry->source);

      self->counts[entry->outcome]++;
      if (entry->outcome != SV_RESTORE_FITS)
        add_property_row (self, self->entries_group, name && *name ? name : sv_contact_get_number (entry->source),
                          entry->message ? entry->message : "");
    }
  set_count_row (self->fits_row, self->counts[SV_RESTORE_FITS]);
  set_count_row (self->reencoded_row, self->counts[SV_RESTORE_REENCODED]);
  set_count_row (self->shortened_row, self->counts[SV_RESTORE_TRUNCATED]);
  set_count_row (self->nofit_row, self->counts[SV_RESTORE_OVERFLOW]);
  {
    g_autofree char *messages = g_strdup_printf (_("%u backed up"), preview->messages);

    adw_action_row_set_subtitle (self->messages_row, messages);
  }
  gtk_widget_set_visible (GTK_WIDGET (self->accept_row), self->counts[SV_RESTORE_TRUNCATED] > 0);
  gtk_widget_set_visible (GTK_WIDGET (self->entries_group), self->extra_rows->len > 0);
  gtk_check_button_set_active (self->accept_check, FALSE);
  sv_restore_desk_show_step (self, "preview");
}

static void
run_restore (SvRestoreDesk       *self,
             gboolean             apply,
             GAsyncReadyCallback  callback)
{
  SvServerRestoreOptions options = { 0 };
  SvSyncCredentials credentials = { 0 };

  options.full = TRUE;
  options.sms = TRUE;
  options.apply = apply;
  options.accept_truncation = gtk_check_button_get_active (self->accept_check);
  options.source_iccid = self->source_iccid;
  credentials.server = self->server;
  credentials.phone = self->phone;
  credentials.client = self->client;
  sv_restore_desk_set_busy (self, TRUE);
  sv_server_restore_operation_run_async (self->window->db_path, self->target_iccid, &options, &credentials,
                                         apply ? self->progress : NULL, self->cancellable, callback,
                                         g_object_ref (self));
}

static void
preview_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  SvRestoreDesk *self = SV_RESTORE_DESK (widget);

  if (self->target_iccid == NULL)
    return;
  run_restore (self, FALSE, preview_done_cb);
}

/* Step 6: apply into the mirror, write with read-back, mark written. */

static void
finish_write (SvRestoreDesk *self,
              const GError  *error)
{
  g_clear_pointer (&self->session, sv_card_session_close);
  if (self->window != NULL)
    {
      self->window->card_busy = FALSE;
      sv_window_update_actions (self->window);
      sv_card_view_reload (self->window->card_view);
      sv_window_refresh_cards (self->window);
    }
  sv_restore_desk_set_busy (self, FALSE);
  if (error != NULL)
    {
      sv_restore_desk_fail (self, error);
      sv_restore_desk_show_step (self, "preview");
      return;
    }
}

static void
show_receipt (SvRestoreDesk *self)
{
  g_autoptr(GPtrArray) lines = sv_receipt_get_lines (self->receipt);

  remove_extra_rows (self);
  for (guint i = 0; i < lines->len; i++)
    {
      g_auto(GStrv) parts = g_strsplit (g_ptr_array_index (lines, i), "\t", 2);

      add_property_row (self, self->receipt_group, parts[0], parts[1] ? parts[1] : "");
    }
  sv_restore_desk_show_step (self, "receipt");
}

static void
written_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(SvRestoreDesk) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(SvWriteResult) written = NULL;
  const SvCardWriteStats *stats;

  if (!sv_write_operation_run_finish (result, &written, &error))
    {
      finish_write (self, error);
      return;
    }
  stats = sv_write_result_get_stats (written);
  self->receipt->records_verified = stats->records_written + stats->records_already;
  finish_write (self, NULL);
  show_receipt (self);
}

typedef struct
{
  SvRestoreDesk *self;
  SvWritePlan   *plan;
} WriteStart;

static void
session_open_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  WriteStart *start = user_data;
  g_autoptr(SvRestoreDesk) self = start->self;
  g_autoptr(SvWritePlan) plan = start->plan;
  g_autoptr(GError) error = NULL;

  g_free (start);
  self->session = sv_card_session_open_finish (result, &error);
  if (self->session == NULL)
    {
      finish_write (self, error);
      return;
    }
  /* The write operation checks the card against the plan, writes, reads
   * every record back and only then marks it written in the mirror. */
  sv_write_operation_run_async (self->session, self->window->db_path, plan, NULL, self->progress,
                                self->cancellable, written_cb, g_object_ref (self));
}

static void
prepared_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(SvRestoreDesk) self = user_data;
  g_autoptr(GError) error = NULL;
  SvWritePlan *plan = sv_write_operation_prepare_finish (result, &error);
  WriteStart *start;

  if (plan == NULL)
    {
      finish_write (self, error);
      return;
    }
  start = g_new0 (WriteStart, 1);
  start->self = g_object_ref (self);
  start->plan = plan;
  sv_card_session_open_async (self->window->reader, self->target_reader, self->cancellable,
                              session_open_cb, start);
}

static void
applied_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(SvRestoreDesk) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(SvServerRestoreResult) applied = sv_server_restore_operation_run_finish (result, &error);
  SvReceipt *receipt;

  if (applied == NULL)
    {
      finish_write (self, error);
      return;
    }
  g_clear_pointer (&self->receipt, sv_receipt_free);
  self->receipt = receipt = sv_receipt_new ();
  receipt->source_iccid = g_strdup (applied->source_iccid);
  receipt->target_iccid = g_strdup (applied->target_iccid);
  receipt->phone = g_strdup (self->phone);
  receipt->staff = g_strdup (self->staff);
  receipt->server = g_strdup (self->server);
  receipt->time = g_date_time_new_now_local ();
  memset (self->counts, 0, sizeof self->counts);
  for (guint i = 0; applied->entries != NULL && i < applied->entries->len; i++)
    {
      SvRestoreEntry *entry = g_ptr_array_index (applied->entries, i);

      self->counts[entry->outcome]++;
      if (entry->outcome == SV_RESTORE_OVERFLOW)
        g_ptr_array_add (receipt->not_fitted, g_strdup (sv_contact_get_name (entry->source)
                                                        ? sv_contact_get_name (entry->source) : ""));
    }
  receipt->contacts_written = self->counts[SV_RESTORE_FITS] + self->counts[SV_RESTORE_REENCODED] +
                              self->counts[SV_RESTORE_TRUNCATED];
  receipt->contacts_shortened = self->counts[SV_RESTORE_TRUNCATED];
  receipt->contacts_not_fitted = self->counts[SV_RESTORE_OVERFLOW];
  receipt->messages_written = applied->messages_written;
  receipt->messages_not_fitted = applied->messages_dropped;
  gtk_progress_bar_set_text (self->write_progress, _("Writing and reading back…"));
  sv_write_operation_prepare_async (self->window->db_path, self->target_iccid, self->cancellable,
                                    prepared_cb, g_object_ref (self));
}

void
sv_restore_desk_progress_cb (SvRestoreDesk *self)
{
  guint done = sv_progress_get_completed (self->progress);
  guint total = sv_progress_get_total (self->progress);
  g_autofree char *text = g_strdup_printf (_("%u of %u records written"), done, total);

  gtk_progress_bar_set_fraction (self->write_progress, sv_progress_get_fraction (self->progress));
  if (total > 1)
    gtk_progress_bar_set_text (self->write_progress, text);
}

static void
write_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  SvRestoreDesk *self = SV_RESTORE_DESK (widget);

  if (self->window == NULL || self->window->card_busy)
    {
      adw_toast_overlay_add_toast (self->toast_overlay,
                                   adw_toast_new (_("The main window is busy with a card; try again in a moment")));
      return;
    }
  /* The window must not read or write the card while the desk does. */
  self->window->card_busy = TRUE;
  sv_window_update_actions (self->window);
  gtk_progress_bar_set_fraction (self->write_progress, 0.0);
  gtk_progress_bar_set_text (self->write_progress, _("Fetching the backup…"));
  sv_restore_desk_show_step (self, "write");
  run_restore (self, TRUE, applied_cb);
}

static void
stop_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  SvRestoreDesk *self = SV_RESTORE_DESK (widget);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
}

/* Step 7: the receipt. */

static void
print_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  SvRestoreDesk *self = SV_RESTORE_DESK (widget);
  g_autoptr(GError) error = NULL;

  if (!sv_receipt_print (self->receipt, GTK_WINDOW (self), NULL, &error))
    sv_restore_desk_fail (self, error);
}

static void
save_pdf_response_cb (GtkNativeDialog *chooser,
                      int              response,
                      SvRestoreDesk   *self)
{
  g_autoptr(GFile) file = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;

  if (response == GTK_RESPONSE_ACCEPT &&
      (file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser))) != NULL &&
      (path = g_file_get_path (file)) != NULL)
    {
      if (sv_receipt_print (self->receipt, GTK_WINDOW (self), path, &error))
        {
          g_autofree char *text = g_strdup_printf (_("Receipt saved as %s"), path);

          adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (text));
        }
      else
        sv_restore_desk_fail (self, error);
    }
  g_object_unref (chooser);
}

static void
save_pdf_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  SvRestoreDesk *self = SV_RESTORE_DESK (widget);
  GtkFileChooserNative *chooser = gtk_file_chooser_native_new (_("Save Receipt"), GTK_WINDOW (self),
                                                               GTK_FILE_CHOOSER_ACTION_SAVE,
                                                               _("_Save"), _("_Cancel"));
  g_autofree char *name = g_strdup_printf ("receipt-%s.pdf", self->receipt->target_iccid);

  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), name);
  g_signal_connect (chooser, "response", G_CALLBACK (save_pdf_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
logout_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  sv_sync_client_logout (SV_SYNC_CLIENT (source_object), cancellable, NULL);
  g_task_return_boolean (task, TRUE);
}

/* The staff's and the customer's sessions end on the server too, in the
 * background: nobody waits for it. */
void
sv_restore_desk_sign_out (SvRestoreDesk *self)
{
  g_autoptr(GTask) task = NULL;

  if (self->client == NULL)
    return;
  task = g_task_new (self->client, NULL, NULL, NULL);
  g_task_run_in_thread (task, logout_thread);
  g_clear_object (&self->client);
}

static void
reset_customer (SvRestoreDesk *self)
{
  remove_extra_rows (self);
  g_ptr_array_set_size (self->card_iccids, 0);
  g_clear_pointer (&self->source_iccid, g_free);
  g_clear_pointer (&self->target_iccid, g_free);
  g_clear_pointer (&self->target_reader, g_free);
  g_clear_pointer (&self->preview, sv_server_restore_result_unref);
  g_clear_pointer (&self->receipt, sv_receipt_free);
  g_clear_pointer (&self->phone, g_free);
  memset (self->counts, 0, sizeof self->counts);
  gtk_editable_set_text (GTK_EDITABLE (self->phone_row), "");
  gtk_editable_set_text (GTK_EDITABLE (self->code_row), "");
  gtk_editable_set_text (GTK_EDITABLE (self->customer_password_row), "");
}

/* The staff session stays; the customer's consent does not: a new
 * customer signs in again. The staff signs in again too, so one
 * customer's delegated session never reaches the next. */
static void
next_customer_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  SvRestoreDesk *self = SV_RESTORE_DESK (widget);

  reset_customer (self);
  sv_restore_desk_sign_out (self);
  sv_restore_desk_show_step (self, "staff");
  gtk_widget_grab_focus (GTK_WIDGET (self->staff_password_row));
}

static void
back_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  SvRestoreDesk *self = SV_RESTORE_DESK (widget);
  const char *step = gtk_stack_get_visible_child_name (self->stack);

  if (g_str_equal (step, "customer"))
    {
      sv_restore_desk_sign_out (self);
      sv_restore_desk_show_step (self, "staff");
    }
  else if (g_str_equal (step, "cards"))
    sv_restore_desk_show_step (self, "customer");
  else if (g_str_equal (step, "insert"))
    sv_restore_desk_show_step (self, "cards");
  else if (g_str_equal (step, "preview"))
    {
      g_clear_pointer (&self->preview, sv_server_restore_result_unref);
      sv_restore_desk_show_step (self, "insert");
    }
}

void
sv_restore_desk_class_steps_init (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "desk.back", NULL, back_action);
  gtk_widget_class_install_action (widget_class, "desk.staff-sign-in", NULL, staff_sign_in_action);
  gtk_widget_class_install_action (widget_class, "desk.consent", NULL, consent_action);
  gtk_widget_class_install_action (widget_class, "desk.choose-card", NULL, choose_card_action);
  gtk_widget_class_install_action (widget_class, "desk.preview", NULL, preview_action);
  gtk_widget_class_install_action (widget_class, "desk.write", NULL, write_action);
  gtk_widget_class_install_action (widget_class, "desk.stop", NULL, stop_action);
  gtk_widget_class_install_action (widget_class, "desk.print", NULL, print_action);
  gtk_widget_class_install_action (widget_class, "desk.save-pdf", NULL, save_pdf_action);
  gtk_widget_class_install_action (widget_class, "desk.next-customer", NULL, next_customer_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Left, GDK_ALT_MASK, "desk.back", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_p, GDK_CONTROL_MASK, "desk.print", NULL);
}
