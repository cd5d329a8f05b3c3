/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * SvAccountGroup's actions: Back Up Now and its stop button, connect,
 * sign out, delete the backup, restore from it, conflicts and the chosen
 * messages. The state shown and the backup run are in sv-account-group.c.
 */
#define G_LOG_DOMAIN "sv-account-group"

#include "config.h"

#include <glib/gi18n.h>

#include "sv-account-dialog.h"
#include "sv-conflicts-dialog.h"
#include "sv-interrupted-work.h"
#include "sv-mirror-worker.h"
#include "sv-register-operation.h"
#include "sv-server-restore-operation.h"
#include "sv-sync-ui.h"

#include "sv-account-group-private.h"

static void
backup_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  SvAccountGroup *self = SV_ACCOUNT_GROUP (widget);

  /* Asked for while the card's state loads (the window's Ctrl+B, the
   * interrupted-work banner): run it once it is there. */
  if (self->state == NULL)
    {
      sv_account_group_activate_when_loaded (self, self->iccid, "account.backup");
      return;
    }
  sv_account_group_back_up (self, NULL, 0, FALSE);
}

static void
cancel_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  SvAccountGroup *self = SV_ACCOUNT_GROUP (widget);

  g_cancellable_cancel (self->cancellable);
}

/* Connect. */

static void
connected_cb (SvAccountGroup   *self,
              SvRegisterResult *registration)
{
  g_autofree char *text = NULL;

  sv_account_group_set_error (self, NULL);
  if (g_strcmp0 (registration->result, "card-change") == 0)
    text = g_strdup_printf (_("This card replaces the previous card of %s: a card change. "
                              "The old card’s backup stays on the server."), registration->phone);
  else if (g_strcmp0 (registration->result, "updated") == 0)
    text = g_strdup_printf (_("Signed in: this card was already backed up on %s"), registration->server);
  else
    text = g_strdup_printf (_("Connected to %s; back up to send the card’s records"), registration->server);
  sv_account_group_toast (self, text);
  sv_account_group_reload_state (self);
}

static void
connect_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  SvAccountGroup *self = SV_ACCOUNT_GROUP (widget);
  GtkWidget *dialog = sv_account_dialog_new (sv_account_group_parent_window (self), self->db_path, self->iccid, NULL, NULL);

  g_signal_connect_object (dialog, "connected", G_CALLBACK (connected_cb), self, G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* Sign out. */

static void
sign_out_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  SvAccountGroup *self = SV_ACCOUNT_GROUP (widget);

  if (self->state == NULL)
    return;
  sv_sync_ui_password_forget (self->state->server, self->state->phone);
  sv_account_group_toast (self, _("Signed out: the password is no longer stored on this computer"));
}

/* Delete the backup (deregistration). */

typedef struct
{
  char *db_path;
  char *iccid;
  char *password;
} DeregisterJob;

static void
deregister_job_free (DeregisterJob *job)
{
  g_free (job->db_path);
  g_free (job->iccid);
  sv_sync_ui_password_free (job->password);
  g_free (job);
}

static void
deregister_thread (GTask        *task,
                   gpointer      source_object,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  DeregisterJob *job = task_data;
  SvSyncCredentials credentials = { 0 };
  GError *error = NULL;

  credentials.password = job->password;
  if (sv_deregister_operation_run (job->db_path, job->iccid, &credentials, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
deregister_done_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  SvAccountGroup *self = SV_ACCOUNT_GROUP (source);
  g_autoptr(GError) error = NULL;
  g_autofree char *server = self->state ? g_strdup (self->state->server) : NULL;
  g_autofree char *phone = self->state ? g_strdup (self->state->phone) : NULL;

  sv_account_group_set_busy (self, FALSE);
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_autofree char *reason = sv_sync_ui_describe_error (error, server);

      sv_account_group_set_error (self, reason);
      sv_account_group_toast (self, reason);
      return;
    }
  if (server != NULL)
    sv_sync_ui_password_forget (server, phone);
  sv_account_group_set_error (self, NULL);
  sv_account_group_toast (self, _("The backup was deleted from the server"));
  sv_account_group_reload_state (self);
}

static void
password_for_deregister_cb (GObject      *source,
                            GAsyncResult *result,
                            gpointer      user_data)
{
  g_autoptr(SvAccountGroup) self = user_data;
  char *password = sv_sync_ui_password_lookup_finish (result);
  g_autoptr(GTask) task = NULL;
  DeregisterJob *job;

  if (password == NULL)
    {
      sv_account_group_set_busy (self, FALSE);
      sv_account_group_set_error (self, _("Sign in again before deleting the backup: the password is not stored on this computer."));
      return;
    }
  job = g_new0 (DeregisterJob, 1);
  job->db_path = g_strdup (self->db_path);
  job->iccid = g_strdup (self->iccid);
  job->password = password;
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  task = g_task_new (self, self->cancellable, deregister_done_cb, NULL);
  g_task_set_task_data (task, job, (GDestroyNotify) deregister_job_free);
  g_task_run_in_thread (task, deregister_thread);
}

static void
deregister_response_cb (AdwMessageDialog *dialog,
                        const char       *response,
                        SvAccountGroup   *self)
{
  if (!g_str_equal (response, "delete") || self->state == NULL || self->busy)
    return;
  self->automatic = FALSE;
  sv_account_group_set_busy (self, TRUE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->progress_row), _("Deleting the Backup…"));
  sv_sync_ui_password_lookup_async (self->state->server, self->state->phone, NULL,
                                    password_for_deregister_cb, g_object_ref (self));
}

static void
deregister_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  SvAccountGroup *self = SV_ACCOUNT_GROUP (widget);
  GtkWidget *dialog;

  if (self->state == NULL)
    return;
  dialog = adw_message_dialog_new (sv_account_group_parent_window (self), _("Delete the Backup?"), NULL);
  adw_message_dialog_format_body (ADW_MESSAGE_DIALOG (dialog),
                                  _("The server %s deletes everything it keeps for the card %s of "
                                    "the account %s: the backed-up contacts, messages and their "
                                    "history. This cannot be undone. The card itself and this "
                                    "computer’s copy stay as they are."),
                                  self->state->server, self->iccid, self->state->phone);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "delete", _("_Delete Backup"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "delete",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (deregister_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* Restore from the backup: the server's changes since the last sync become
 * the card's pending changes (the operations layer's incremental restore,
 * as `simvault-cli restore ICCID --apply`); the window's Write puts them
 * on the card with its preview and read-back. */

static void
restore_done_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(SvAccountGroup) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(SvServerRestoreResult) restored = sv_server_restore_operation_run_finish (result, &error);
  g_autofree char *text = NULL;
  guint changed;

  sv_account_group_set_busy (self, FALSE);
  sv_interrupted_work_end (sv_interrupted_work_get_default (), SV_WORK_RESTORE, self->iccid, restored != NULL);
  if (restored == NULL)
    {
      g_autofree char *reason = sv_sync_ui_describe_error (error, self->state ? self->state->server : NULL);

      if (self->state != NULL && g_error_matches (error, SV_SYNC_ERROR, SV_SYNC_ERROR_LOGIN_FAILED))
        sv_sync_ui_password_forget (self->state->server, self->state->phone);
      sv_account_group_set_error (self, reason);
      sv_account_group_toast (self, reason);
      return;
    }
  sv_account_group_set_error (self, NULL);
  changed = restored->written ? restored->written->len : 0;
  if (changed == 0 && restored->conflicts->len == 0)
    text = g_strdup (_("The card already holds everything in the backup"));
  else if (restored->conflicts->len > 0)
    text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                         "%u change from the server waits to be written; %u record changed on both sides was left",
                                         "%u changes from the server wait to be written; %u records changed on both sides were left",
                                         restored->conflicts->len),
                            changed, restored->conflicts->len);
  else
    text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                         "%u change from the server waits to be written to the card",
                                         "%u changes from the server wait to be written to the card",
                                         changed),
                            changed);
  sv_account_group_toast (self, text);
  sv_account_group_emit_mirror_changed (self);
  sv_account_group_reload_state (self);
}

static void
password_for_restore_cb (GObject      *source,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  g_autoptr(SvAccountGroup) self = user_data;
  char *password = sv_sync_ui_password_lookup_finish (result);
  SvServerRestoreOptions options = { 0 };
  SvSyncCredentials credentials = { 0 };

  if (password == NULL)
    {
      sv_account_group_set_busy (self, FALSE);
      sv_account_group_set_error (self, _("Sign in again before restoring: the password is not stored on this computer."));
      return;
    }
  options.apply = TRUE;
  options.resolve = SV_SYNC_RESOLVE_NONE;
  credentials.password = password;
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  sv_interrupted_work_begin (sv_interrupted_work_get_default (), SV_WORK_RESTORE, self->iccid);
  sv_server_restore_operation_run_async (self->db_path, self->iccid, &options, &credentials, self->progress,
                                         self->cancellable, restore_done_cb, g_object_ref (self));
  sv_sync_ui_password_free (password);
}

static void
restore_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  SvAccountGroup *self = SV_ACCOUNT_GROUP (widget);

  if (self->state == NULL || self->busy)
    return;
  self->automatic = FALSE;
  sv_account_group_set_busy (self, TRUE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->progress_row), _("Restoring From the Backup…"));
  sv_sync_ui_password_lookup_async (self->state->server, self->state->phone, NULL,
                                    password_for_restore_cb, g_object_ref (self));
}

/* Conflicts. */

static void
conflicts_resolved_cb (SvAccountGroup *self,
                       guint           n_local)
{
  sv_account_group_emit_mirror_changed (self);
  sv_account_group_reload_state (self);
  /* The local versions chosen go up now, as the choice said. */
  if (n_local > 0)
    sv_account_group_back_up (self, NULL, 0, FALSE);
  else
    sv_account_group_toast (self, _("Conflicts resolved: the server’s versions are in the local copy"));
}

static void
conflicts_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  SvAccountGroup *self = SV_ACCOUNT_GROUP (widget);
  GtkWidget *dialog = sv_conflicts_dialog_new (sv_account_group_parent_window (self), self->db_path, self->iccid);

  g_signal_connect_object (dialog, "resolved", G_CALLBACK (conflicts_resolved_cb), self,
                           G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* Chosen messages (the seed's manual SMS backup). */

/* The dialog's state: a check per message and the record it stands for. */
typedef struct
{
  SvAccountGroup *self;
  GPtrArray      *checks;   /* GtkCheckButton */
  GArray         *indices;  /* guint, the record of each check */
} MessagesChoice;

static void
messages_choice_free (gpointer  data,
                      GClosure *closure)
{
  MessagesChoice *choice = data;

  g_object_unref (choice->self);
  g_ptr_array_unref (choice->checks);
  g_array_unref (choice->indices);
  g_free (choice);
}

static void
messages_response_cb (AdwMessageDialog *dialog,
                      const char       *response,
                      MessagesChoice   *choice)
{
  g_autoptr(GArray) indices = g_array_new (FALSE, FALSE, sizeof (guint));

  if (!g_str_equal (response, "backup"))
    return;
  for (guint i = 0; i < choice->checks->len; i++)
    if (gtk_check_button_get_active (g_ptr_array_index (choice->checks, i)))
      g_array_append_val (indices, g_array_index (choice->indices, guint, i));
  if (indices->len == 0)
    {
      sv_account_group_toast (choice->self, _("No message was chosen"));
      return;
    }
  sv_account_group_back_up (choice->self, (const guint *) (gpointer) indices->data, indices->len, FALSE);
}

static void
messages_loaded_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(SvAccountGroup) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) messages = sv_mirror_worker_finish (result, &error);
  GtkWidget *dialog, *scrolled, *list;
  MessagesChoice *choice;

  if (messages == NULL)
    {
      sv_account_group_toast (self, error->message);
      return;
    }
  dialog = adw_message_dialog_new (sv_account_group_parent_window (self), _("Back Up Messages"),
                                                    _("The chosen messages go to the server now."));
  choice = g_new0 (MessagesChoice, 1);
  choice->self = g_object_ref (self);
  choice->checks = g_ptr_array_new ();
  choice->indices = g_array_new (FALSE, FALSE, sizeof (guint));
  list = gtk_list_box_new ();
  gtk_list_box_set_selection_mode (GTK_LIST_BOX (list), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (list, "boxed-list");
  gtk_accessible_update_property (GTK_ACCESSIBLE (list), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Messages on the card"), -1);
  for (guint i = 0; i < messages->len; i++)
    {
      SvMessage *message = g_ptr_array_index (messages, i);
      const char *text = sv_message_get_text (message);
      g_autofree char *start = NULL;
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *check = gtk_check_button_new ();
      guint index = sv_message_get_index (message);

      if (text == NULL)
        text = "";
      start = g_utf8_strlen (text, -1) > 40 ? g_strconcat (g_utf8_substring (text, 0, 40), "…", NULL)
                                            : g_strdup (text);
      /* Markup-free: a message's text is the sender's, not ours. */
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), *start ? start : _("(no text)"));
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), sv_message_get_number (message)
                                                         ? sv_message_get_number (message) : "");
      gtk_widget_set_valign (check, GTK_ALIGN_CENTER);
      gtk_check_button_set_active (GTK_CHECK_BUTTON (check), TRUE);
      adw_action_row_add_prefix (ADW_ACTION_ROW (row), check);
      adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), check);
      g_ptr_array_add (choice->checks, check);
      g_array_append_val (choice->indices, index);
      gtk_list_box_append (GTK_LIST_BOX (list), row);
    }
  scrolled = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (scrolled), TRUE);
  gtk_scrolled_window_set_max_content_height (GTK_SCROLLED_WINDOW (scrolled), 360);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), list);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), scrolled);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "backup", _("_Back Up"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "backup",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "backup");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  /* The checks live as long as the dialog, and so does this handler. */
  g_signal_connect_data (dialog, "response", G_CALLBACK (messages_response_cb), choice,
                         messages_choice_free, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static gpointer
list_messages_worker (SvMirror      *mirror,
                      gpointer       user_data,
                      GCancellable  *cancellable,
                      GError       **error)
{
  return sv_mirror_list_messages (mirror, user_data, error);
}

static void
choose_messages_action (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *parameter)
{
  SvAccountGroup *self = SV_ACCOUNT_GROUP (widget);

  sv_mirror_worker_run (self->db_path, list_messages_worker, g_strdup (self->iccid), g_free,
                        (GDestroyNotify) g_ptr_array_unref, NULL, messages_loaded_cb,
                        g_object_ref (self));
}

void
sv_account_group_class_actions_init (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "account.connect", NULL, connect_action);
  gtk_widget_class_install_action (widget_class, "account.backup", NULL, backup_action);
  gtk_widget_class_install_action (widget_class, "account.cancel", NULL, cancel_action);
  gtk_widget_class_install_action (widget_class, "account.conflicts", NULL, conflicts_action);
  gtk_widget_class_install_action (widget_class, "account.choose-messages", NULL, choose_messages_action);
  gtk_widget_class_install_action (widget_class, "account.sign-out", NULL, sign_out_action);
  gtk_widget_class_install_action (widget_class, "account.restore", NULL, restore_action);
  gtk_widget_class_install_action (widget_class, "account.deregister", NULL, deregister_action);
}
