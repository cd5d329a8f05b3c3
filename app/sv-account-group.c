/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The card's backup account on the Card page: connect to a server, the
 * backup state (last backup, what waits for upload, conflicts, counters),
 * Back Up Now with progress and a stop button, automatic backup, sign out,
 * delete the backup. Every network step is an operation of
 * sync/operations/, the same ones `simvault-cli` runs; this widget only
 * asks, shows and reports.
 */
#define G_LOG_DOMAIN "sv-account-group"

#include "config.h"

#include <glib/gi18n.h>

#include "sv-account-dialog.h"
#include "sv-conflicts-dialog.h"
#include "sv-mirror-worker.h"
#include "sv-register-operation.h"
#include "sv-server-restore-operation.h"
#include "sv-sync-ui.h"

#include "sv-account-group.h"

struct _SvAccountGroup
{
  AdwPreferencesGroup  parent_instance;

  AdwActionRow        *connect_row;
  AdwActionRow        *error_row;
  AdwActionRow        *server_row;
  AdwActionRow        *account_row;
  AdwActionRow        *last_backup_row;
  AdwActionRow        *waiting_row;
  AdwActionRow        *progress_row;
  GtkProgressBar      *progress_bar;
  AdwActionRow        *conflicts_row;
  AdwActionRow        *counters_row;
  AdwActionRow        *restore_row;
  AdwActionRow        *messages_row;
  AdwActionRow        *sign_out_row;
  AdwActionRow        *deregister_row;

  char                *db_path;
  char                *iccid;
  SvSyncState         *state;
  guint                n_messages;
  char                *error;
  char                *last_toast;
  char                *progress_text;
  SvBackupResult      *last_backup;
  SvProgress          *progress;
  GCancellable        *load_cancellable;
  GCancellable        *cancellable;      /* the running backup or deregistration */
  GArray              *sms_indices;      /* the backup being started: chosen messages */
  gboolean             busy;
  gboolean             automatic;        /* the running backup started by itself */
};

G_DEFINE_FINAL_TYPE (SvAccountGroup, sv_account_group, ADW_TYPE_PREFERENCES_GROUP)

enum
{
  MIRROR_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void start_backup (SvAccountGroup *self);

static GtkWindow *
parent_window (SvAccountGroup *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  return GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL;
}

static void
toast (SvAccountGroup *self,
       const char     *text)
{
  g_free (self->last_toast);
  self->last_toast = g_strdup (text);
  sv_sync_ui_toast (GTK_WIDGET (self), text);
}

static void
set_error (SvAccountGroup *self,
           const char     *text)
{
  g_free (self->error);
  self->error = g_strdup (text);
  adw_action_row_set_subtitle (self->error_row, text ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_row), text != NULL);
}

static void
update_actions (SvAccountGroup *self)
{
  gboolean registered = self->state != NULL;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "account.connect", !registered && !self->busy && self->iccid);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "account.backup", registered && !self->busy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "account.cancel", self->busy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "account.conflicts",
                                 registered && !self->busy && self->state->n_conflicts > 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "account.choose-messages",
                                 registered && !self->busy && self->n_messages > 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "account.sign-out", registered && !self->busy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "account.restore", registered && !self->busy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "account.deregister", registered && !self->busy);
}

static void
show_state (SvAccountGroup *self)
{
  SvSyncState *state = self->state;
  gboolean registered = state != NULL;

  gtk_widget_set_visible (GTK_WIDGET (self->connect_row), !registered);
  gtk_widget_set_visible (GTK_WIDGET (self->server_row), registered);
  gtk_widget_set_visible (GTK_WIDGET (self->account_row), registered);
  gtk_widget_set_visible (GTK_WIDGET (self->last_backup_row), registered);
  gtk_widget_set_visible (GTK_WIDGET (self->waiting_row), registered);
  gtk_widget_set_visible (GTK_WIDGET (self->counters_row), registered);
  gtk_widget_set_visible (GTK_WIDGET (self->messages_row), registered);
  gtk_widget_set_visible (GTK_WIDGET (self->restore_row), registered);
  gtk_widget_set_visible (GTK_WIDGET (self->sign_out_row), registered);
  gtk_widget_set_visible (GTK_WIDGET (self->deregister_row), registered);
  gtk_widget_set_visible (GTK_WIDGET (self->conflicts_row), registered && state->n_conflicts > 0);
  gtk_widget_set_visible (GTK_WIDGET (self->progress_row), self->busy);

  if (registered)
    {
      g_autofree char *last = sv_sync_ui_format_time (state->last_backup_at);
      g_autofree char *records = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u record", "%u records",
                                                               state->n_pending_records),
                                                  state->n_pending_records);
      g_autofree char *messages = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u message", "%u messages",
                                                                state->n_pending_messages),
                                                   state->n_pending_messages);
      g_autofree char *waiting = NULL;
      g_autofree char *conflicts = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                                 "%u record changed here and on the server",
                                                                 "%u records changed here and on the server",
                                                                 state->n_conflicts),
                                                    state->n_conflicts);
      g_autofree char *counter_a = g_strdup_printf ("%" G_GINT64_FORMAT, state->counter_a);
      g_autofree char *counter_b = g_strdup_printf ("%" G_GINT64_FORMAT, state->counter_b);
      /* Translators: the server's counters: A counts this card's
       * registrations, B the account's card changes */
      g_autofree char *counters = g_strdup_printf (_("A %s (this card) · B %s (card changes)"),
                                                   counter_a, counter_b);

      if (state->n_pending_records == 0 && state->n_pending_messages == 0)
        waiting = g_strdup (_("Nothing: everything is backed up"));
      else
        /* Translators: "3 records, 2 messages" */
        waiting = g_strdup_printf (_("%s, %s"), records, messages);

      adw_action_row_set_subtitle (self->server_row, state->server);
      adw_action_row_set_subtitle (self->account_row, state->phone);
      adw_action_row_set_subtitle (self->last_backup_row, last);
      adw_action_row_set_subtitle (self->waiting_row, waiting);
      adw_action_row_set_subtitle (self->conflicts_row, conflicts);
      adw_action_row_set_subtitle (self->counters_row, counters);
    }
  update_actions (self);
}

/* Loading the state. */

typedef struct
{
  SvSyncState *state;
  guint        n_messages;
} LoadedState;

static void
loaded_state_free (LoadedState *loaded)
{
  g_clear_pointer (&loaded->state, sv_sync_state_free);
  g_free (loaded);
}

static gpointer
load_state_worker (SvMirror      *mirror,
                   gpointer       user_data,
                   GCancellable  *cancellable,
                   GError       **error)
{
  const char *iccid = user_data;
  LoadedState *loaded = g_new0 (LoadedState, 1);
  g_autoptr(GPtrArray) messages = sv_mirror_list_messages (mirror, iccid, NULL);

  loaded->state = sv_mirror_sync_get_state (mirror, iccid, NULL);
  loaded->n_messages = messages ? messages->len : 0;
  return loaded;
}

static void
load_state_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(SvAccountGroup) self = user_data;
  g_autoptr(GError) error = NULL;
  LoadedState *loaded = sv_mirror_worker_finish (result, &error);

  if (loaded == NULL)
    return;

  g_clear_pointer (&self->state, sv_sync_state_free);
  self->state = g_steal_pointer (&loaded->state);
  self->n_messages = loaded->n_messages;
  loaded_state_free (loaded);
  show_state (self);
}

static void
reload_state (SvAccountGroup *self)
{
  if (self->iccid == NULL)
    return;
  g_cancellable_cancel (self->load_cancellable);
  g_clear_object (&self->load_cancellable);
  self->load_cancellable = g_cancellable_new ();
  sv_mirror_worker_run (self->db_path, load_state_worker, g_strdup (self->iccid), g_free,
                        (GDestroyNotify) loaded_state_free, self->load_cancellable,
                        load_state_cb, g_object_ref (self));
}

/**
 * sv_account_group_load:
 *
 * Shows @iccid's backup account; reads the mirror in a worker. Called
 * after every read and edit of the card.
 */
void
sv_account_group_load (SvAccountGroup *self,
                       const char     *db_path,
                       const char     *iccid)
{
  g_return_if_fail (SV_IS_ACCOUNT_GROUP (self));

  if (g_strcmp0 (self->iccid, iccid) != 0)
    {
      if (self->busy)
        g_cancellable_cancel (self->cancellable);
      g_clear_pointer (&self->state, sv_sync_state_free);
      g_clear_pointer (&self->last_backup, sv_backup_result_unref);
      set_error (self, NULL);
      show_state (self);
    }
  g_free (self->db_path);
  self->db_path = g_strdup (db_path);
  g_free (self->iccid);
  self->iccid = g_strdup (iccid);
  reload_state (self);
}

/* Back Up Now. */

static void
progress_changed_cb (SvAccountGroup *self)
{
  guint done = sv_progress_get_completed (self->progress);
  guint total = sv_progress_get_total (self->progress);
  g_autofree char *message = sv_progress_dup_message (self->progress);

  g_free (self->progress_text);
  /* The operation reports the records first, then the messages (its
   * own words, in the same catalogue, tell which). */
  if (total > 1 && g_strcmp0 (message, _("Backing up messages")) == 0)
    self->progress_text = g_strdup_printf (_("%u of %u messages sent"), done, total);
  else if (total > 1)
    self->progress_text = g_strdup_printf (_("%u of %u records sent"), done, total);
  else
    self->progress_text = g_strdup (message ? message : "");
  adw_action_row_set_subtitle (self->progress_row, self->progress_text);
  gtk_progress_bar_set_fraction (self->progress_bar, sv_progress_get_fraction (self->progress));
}

static void
set_busy (SvAccountGroup *self,
          gboolean        busy)
{
  self->busy = busy;
  if (busy)
    {
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->progress_row),
                                     self->automatic ? _("Backing Up Automatically…") : _("Backing Up…"));
      adw_action_row_set_subtitle (self->progress_row, _("Connecting to the server…"));
      gtk_progress_bar_set_fraction (self->progress_bar, 0.0);
    }
  show_state (self);
}

static void
conflicts_toast_cb (AdwToast       *toast_widget,
                    SvAccountGroup *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "account.conflicts", NULL);
}

static void
backup_done_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(SvAccountGroup) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(SvBackupResult) backup = sv_backup_operation_run_finish (result, &error);
  gboolean automatic = self->automatic;
  g_autofree char *text = NULL;

  self->automatic = FALSE;
  set_busy (self, FALSE);
  if (backup == NULL)
    {
      g_autofree char *reason = sv_sync_ui_describe_error (error, self->state ? self->state->server : NULL);

      /* A refused password is not kept for the next try. */
      if (self->state != NULL && g_error_matches (error, SV_SYNC_ERROR, SV_SYNC_ERROR_LOGIN_FAILED))
        sv_sync_ui_password_forget (self->state->server, self->state->phone);
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        set_error (self, reason);
      toast (self, reason);
      reload_state (self);
      return;
    }

  set_error (self, NULL);
  g_clear_pointer (&self->last_backup, sv_backup_result_unref);
  self->last_backup = sv_backup_result_ref (backup);
  if (backup->records_applied == 0 && backup->messages_stored == 0 && backup->conflicts->len == 0)
    text = g_strdup (_("Everything was already backed up"));
  else
    {
      g_autofree char *records = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u record", "%u records",
                                                               backup->records_applied),
                                                  backup->records_applied);
      g_autofree char *messages = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u message", "%u messages",
                                                                backup->messages_stored),
                                                   backup->messages_stored);

      text = automatic
             /* Translators: "Backed up automatically: 3 records, 1 message" */
             ? g_strdup_printf (_("Backed up automatically: %s, %s"), records, messages)
             /* Translators: "Backed up 3 records, 1 message" */
             : g_strdup_printf (_("Backed up %s, %s"), records, messages);
    }
  if (backup->conflicts->len > 0)
    {
      g_autofree char *with = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                            "%s. %u conflict needs your choice",
                                                            "%s. %u conflicts need your choice",
                                                            backup->conflicts->len),
                                               text, backup->conflicts->len);
      AdwToast *t = adw_toast_new (with);
      GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);

      g_free (self->last_toast);
      self->last_toast = g_strdup (with);
      adw_toast_set_button_label (t, _("_Resolve"));
      g_signal_connect_object (t, "button-clicked", G_CALLBACK (conflicts_toast_cb), self, 0);
      if (overlay != NULL)
        adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), t);
      else
        g_object_unref (g_object_ref_sink (t));
    }
  else
    toast (self, text);
  reload_state (self);
}

static void
run_backup_with_password (SvAccountGroup *self,
                          const char     *password)
{
  SvBackupOptions options = { 0 };
  SvSyncCredentials credentials = { 0 };

  options.sms = SV_BACKUP_SMS_NEW;
  if (self->sms_indices != NULL)
    {
      options.sms = SV_BACKUP_SMS_CHOSEN;
      options.sms_indices = (const guint *) (gpointer) self->sms_indices->data;
      options.n_sms_indices = self->sms_indices->len;
    }
  options.resolve = SV_SYNC_RESOLVE_NONE;
  credentials.password = password;

  sv_backup_operation_run_async (self->db_path, self->iccid, &options, &credentials, self->progress,
                                 self->cancellable, backup_done_cb, g_object_ref (self));
  g_clear_pointer (&self->sms_indices, g_array_unref);
}

static void
signed_in_for_backup_cb (SvAccountGroup   *self,
                         SvRegisterResult *registration)
{
  start_backup (self);
}

static void
password_for_backup_cb (GObject      *source,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(SvAccountGroup) self = user_data;
  char *password = sv_sync_ui_password_lookup_finish (result);

  /* Stopped before anything was sent. */
  if (g_cancellable_is_cancelled (self->cancellable))
    {
      sv_sync_ui_password_free (password);
      self->automatic = FALSE;
      set_busy (self, FALSE);
      toast (self, _("Stopped. What the server already acknowledged stays backed up."));
      return;
    }
  if (password != NULL)
    {
      run_backup_with_password (self, password);
      sv_sync_ui_password_free (password);
      return;
    }

  set_busy (self, FALSE);
  if (self->automatic)
    {
      /* Never interrupt with a dialog for a backup nobody asked for. */
      self->automatic = FALSE;
      set_error (self, _("The automatic backup waits: sign in once with Back Up Now"));
      return;
    }
  {
    GtkWidget *dialog = sv_account_dialog_new (parent_window (self), self->db_path, self->iccid,
                                               self->state->server, self->state->phone);

    g_signal_connect_object (dialog, "connected", G_CALLBACK (signed_in_for_backup_cb), self,
                             G_CONNECT_SWAPPED);
    gtk_window_present (GTK_WINDOW (dialog));
  }
}

static void
start_backup (SvAccountGroup *self)
{
  if (self->state == NULL || self->busy)
    return;
  /* One cancellable from the start: Stop works while the password is
   * looked up as well as while records go up. */
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  set_busy (self, TRUE);
  sv_sync_ui_password_lookup_async (self->state->server, self->state->phone, self->cancellable,
                                    password_for_backup_cb, g_object_ref (self));
}

/**
 * sv_account_group_back_up:
 * @sms_indices: (array length=n_sms_indices) (nullable): the messages
 *   chosen to go up; %NULL: the messages changed since the last backup
 * @automatic: started by the thresholds, not by the person: shown in the
 *   progress row and a toast, never with a dialog
 */
void
sv_account_group_back_up (SvAccountGroup *self,
                          const guint    *sms_indices,
                          guint           n_sms_indices,
                          gboolean        automatic)
{
  g_return_if_fail (SV_IS_ACCOUNT_GROUP (self));

  if (self->busy)
    return;
  g_clear_pointer (&self->sms_indices, g_array_unref);
  if (sms_indices != NULL)
    {
      self->sms_indices = g_array_sized_new (FALSE, FALSE, sizeof (guint), n_sms_indices);
      g_array_append_vals (self->sms_indices, sms_indices, n_sms_indices);
    }
  self->automatic = automatic;
  start_backup (self);
}

static void
backup_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  sv_account_group_back_up (SV_ACCOUNT_GROUP (widget), NULL, 0, FALSE);
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

  set_error (self, NULL);
  if (g_strcmp0 (registration->result, "card-change") == 0)
    text = g_strdup_printf (_("This card replaces the previous card of %s: a card change. "
                              "The old card’s backup stays on the server."), registration->phone);
  else if (g_strcmp0 (registration->result, "updated") == 0)
    text = g_strdup_printf (_("Signed in: this card was already backed up on %s"), registration->server);
  else
    text = g_strdup_printf (_("Connected to %s; back up to send the card’s records"), registration->server);
  toast (self, text);
  reload_state (self);
}

static void
connect_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  SvAccountGroup *self = SV_ACCOUNT_GROUP (widget);
  GtkWidget *dialog = sv_account_dialog_new (parent_window (self), self->db_path, self->iccid, NULL, NULL);

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
  toast (self, _("Signed out: the password is no longer stored on this computer"));
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

  set_busy (self, FALSE);
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_autofree char *reason = sv_sync_ui_describe_error (error, server);

      set_error (self, reason);
      toast (self, reason);
      return;
    }
  if (server != NULL)
    sv_sync_ui_password_forget (server, phone);
  set_error (self, NULL);
  toast (self, _("The backup was deleted from the server"));
  reload_state (self);
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
      set_busy (self, FALSE);
      set_error (self, _("Sign in again before deleting the backup: the password is not stored on this computer."));
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
  set_busy (self, TRUE);
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
  dialog = adw_message_dialog_new (parent_window (self), _("Delete the Backup?"), NULL);
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

  set_busy (self, FALSE);
  if (restored == NULL)
    {
      g_autofree char *reason = sv_sync_ui_describe_error (error, self->state ? self->state->server : NULL);

      if (self->state != NULL && g_error_matches (error, SV_SYNC_ERROR, SV_SYNC_ERROR_LOGIN_FAILED))
        sv_sync_ui_password_forget (self->state->server, self->state->phone);
      set_error (self, reason);
      toast (self, reason);
      return;
    }
  set_error (self, NULL);
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
  toast (self, text);
  g_signal_emit (self, signals[MIRROR_CHANGED], 0);
  reload_state (self);
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
      set_busy (self, FALSE);
      set_error (self, _("Sign in again before restoring: the password is not stored on this computer."));
      return;
    }
  options.apply = TRUE;
  options.resolve = SV_SYNC_RESOLVE_NONE;
  credentials.password = password;
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
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
  set_busy (self, TRUE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->progress_row), _("Restoring From the Backup…"));
  sv_sync_ui_password_lookup_async (self->state->server, self->state->phone, NULL,
                                    password_for_restore_cb, g_object_ref (self));
}

/* Conflicts. */

static void
conflicts_resolved_cb (SvAccountGroup *self,
                       guint           n_local)
{
  g_signal_emit (self, signals[MIRROR_CHANGED], 0);
  reload_state (self);
  /* The local versions chosen go up now, as the choice said. */
  if (n_local > 0)
    sv_account_group_back_up (self, NULL, 0, FALSE);
  else
    toast (self, _("Conflicts resolved: the server’s versions are in the local copy"));
}

static void
conflicts_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  SvAccountGroup *self = SV_ACCOUNT_GROUP (widget);
  GtkWidget *dialog = sv_conflicts_dialog_new (parent_window (self), self->db_path, self->iccid);

  g_signal_connect_object (dialog, "resolved", G_CALLBACK (conflicts_resolved_cb), self,
                           G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* Chosen messages (the seed's manual SMS backup). */

static void
messages_response_cb (AdwMessageDialog *dialog,
                      const char       *response,
                      SvAccountGroup   *self)
{
  GtkWidget *list = g_object_get_data (G_OBJECT (dialog), "list");
  g_autoptr(GArray) indices = g_array_new (FALSE, FALSE, sizeof (guint));

  if (!g_str_equal (response, "backup"))
    return;
  for (GtkWidget *row = gtk_widget_get_first_child (list); row != NULL; row = gtk_widget_get_next_sibling (row))
    {
      GtkWidget *check = g_object_get_data (G_OBJECT (row), "check");

      if (check != NULL && gtk_check_button_get_active (GTK_CHECK_BUTTON (check)))
        {
          guint index = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (row), "index"));

          g_array_append_val (indices, index);
        }
    }
  if (indices->len == 0)
    {
      toast (self, _("No message was chosen"));
      return;
    }
  sv_account_group_back_up (self, (const guint *) (gpointer) indices->data, indices->len, FALSE);
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

  if (messages == NULL)
    {
      toast (self, error->message);
      return;
    }
  dialog = adw_message_dialog_new (parent_window (self), _("Back Up Messages"),
                                   _("The chosen messages go to the server now."));
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
      g_object_set_data (G_OBJECT (row), "check", check);
      g_object_set_data (G_OBJECT (row), "index", GUINT_TO_POINTER (sv_message_get_index (message)));
      gtk_list_box_append (GTK_LIST_BOX (list), row);
    }
  scrolled = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (scrolled), TRUE);
  gtk_scrolled_window_set_max_content_height (GTK_SCROLLED_WINDOW (scrolled), 360);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), list);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), scrolled);
  g_object_set_data (G_OBJECT (dialog), "list", list);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "backup", _("_Back Up"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "backup",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "backup");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (messages_response_cb), self, 0);
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

/* GObject. */

static void
sv_account_group_dispose (GObject *object)
{
  SvAccountGroup *self = SV_ACCOUNT_GROUP (object);

  g_cancellable_cancel (self->load_cancellable);
  g_cancellable_cancel (self->cancellable);
  if (self->progress != NULL)
    g_signal_handlers_disconnect_by_data (self->progress, self);
  gtk_widget_dispose_template (GTK_WIDGET (self), SV_TYPE_ACCOUNT_GROUP);

  G_OBJECT_CLASS (sv_account_group_parent_class)->dispose (object);
}

static void
sv_account_group_finalize (GObject *object)
{
  SvAccountGroup *self = SV_ACCOUNT_GROUP (object);

  g_clear_object (&self->load_cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->progress);
  g_clear_pointer (&self->state, sv_sync_state_free);
  g_clear_pointer (&self->last_backup, sv_backup_result_unref);
  g_clear_pointer (&self->sms_indices, g_array_unref);
  g_free (self->db_path);
  g_free (self->iccid);
  g_free (self->error);
  g_free (self->last_toast);
  g_free (self->progress_text);

  G_OBJECT_CLASS (sv_account_group_parent_class)->finalize (object);
}

static void
sv_account_group_class_init (SvAccountGroupClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sv_account_group_dispose;
  object_class->finalize = sv_account_group_finalize;

  /**
   * SvAccountGroup::mirror-changed:
   *
   * The card's local copy changed (a conflict took the server's side):
   * the page shows it again.
   */
  signals[MIRROR_CHANGED] =
    g_signal_new ("mirror-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PREFIX "/ui/sv-account-group.ui");
  gtk_widget_class_bind_template_child (widget_class, SvAccountGroup, connect_row);
  gtk_widget_class_bind_template_child (widget_class, SvAccountGroup, error_row);
  gtk_widget_class_bind_template_child (widget_class, SvAccountGroup, server_row);
  gtk_widget_class_bind_template_child (widget_class, SvAccountGroup, account_row);
  gtk_widget_class_bind_template_child (widget_class, SvAccountGroup, last_backup_row);
  gtk_widget_class_bind_template_child (widget_class, SvAccountGroup, waiting_row);
  gtk_widget_class_bind_template_child (widget_class, SvAccountGroup, progress_row);
  gtk_widget_class_bind_template_child (widget_class, SvAccountGroup, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, SvAccountGroup, conflicts_row);
  gtk_widget_class_bind_template_child (widget_class, SvAccountGroup, counters_row);
  gtk_widget_class_bind_template_child (widget_class, SvAccountGroup, messages_row);
  gtk_widget_class_bind_template_child (widget_class, SvAccountGroup, restore_row);
  gtk_widget_class_bind_template_child (widget_class, SvAccountGroup, sign_out_row);
  gtk_widget_class_bind_template_child (widget_class, SvAccountGroup, deregister_row);

  gtk_widget_class_install_action (widget_class, "account.connect", NULL, connect_action);
  gtk_widget_class_install_action (widget_class, "account.backup", NULL, backup_action);
  gtk_widget_class_install_action (widget_class, "account.cancel", NULL, cancel_action);
  gtk_widget_class_install_action (widget_class, "account.conflicts", NULL, conflicts_action);
  gtk_widget_class_install_action (widget_class, "account.choose-messages", NULL, choose_messages_action);
  gtk_widget_class_install_action (widget_class, "account.sign-out", NULL, sign_out_action);
  gtk_widget_class_install_action (widget_class, "account.restore", NULL, restore_action);
  gtk_widget_class_install_action (widget_class, "account.deregister", NULL, deregister_action);
}

static void
sv_account_group_init (SvAccountGroup *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->progress = sv_progress_new ();
  g_signal_connect_swapped (self->progress, "notify::completed", G_CALLBACK (progress_changed_cb), self);
  g_signal_connect_swapped (self->progress, "notify::message", G_CALLBACK (progress_changed_cb), self);
  show_state (self);
}

const SvSyncState *
sv_account_group_get_state (SvAccountGroup *self)
{
  g_return_val_if_fail (SV_IS_ACCOUNT_GROUP (self), NULL);
  return self->state;
}

gboolean
sv_account_group_is_busy (SvAccountGroup *self)
{
  g_return_val_if_fail (SV_IS_ACCOUNT_GROUP (self), FALSE);
  return self->busy;
}

/* Returns: (nullable): the failure shown in the group */
const char *
sv_account_group_get_error (SvAccountGroup *self)
{
  g_return_val_if_fail (SV_IS_ACCOUNT_GROUP (self), NULL);
  return self->error;
}

const char *
sv_account_group_get_last_toast (SvAccountGroup *self)
{
  g_return_val_if_fail (SV_IS_ACCOUNT_GROUP (self), NULL);
  return self->last_toast;
}

/* Returns: (nullable) (transfer none): what the last backup did */
SvBackupResult *
sv_account_group_get_last_backup (SvAccountGroup *self)
{
  g_return_val_if_fail (SV_IS_ACCOUNT_GROUP (self), NULL);
  return self->last_backup;
}

const char *
sv_account_group_get_progress_text (SvAccountGroup *self)
{
  g_return_val_if_fail (SV_IS_ACCOUNT_GROUP (self), NULL);
  return self->progress_text;
}
