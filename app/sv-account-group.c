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
#include "sv-interrupted-work.h"
#include "sv-mirror-worker.h"
#include "sv-register-operation.h"
#include "sv-server-restore-operation.h"
#include "sv-sync-ui.h"

#include "sv-account-group-private.h"

G_DEFINE_FINAL_TYPE (SvAccountGroup, sv_account_group, ADW_TYPE_PREFERENCES_GROUP)

enum
{
  MIRROR_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

GtkWindow *
sv_account_group_parent_window (SvAccountGroup *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  return GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL;
}

void
sv_account_group_toast (SvAccountGroup *self,
                        const char     *text)
{
  g_free (self->last_toast);
  self->last_toast = g_strdup (text);
  sv_sync_ui_toast (GTK_WIDGET (self), text);
}

void
sv_account_group_set_error (SvAccountGroup *self,
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

  if (self->pending_action != NULL && self->state != NULL && !self->busy &&
      g_strcmp0 (self->pending_iccid, self->iccid) == 0)
    {
      g_autofree char *action_name = g_steal_pointer (&self->pending_action);

      g_clear_pointer (&self->pending_iccid, g_free);
      gtk_widget_activate_action (GTK_WIDGET (self), action_name, NULL);
    }
}

/**
 * sv_account_group_activate_when_loaded:
 * @iccid: the card the action is for
 * @action_name: "account.backup" or "account.restore"
 *
 * Activates @action_name once the group shows @iccid with its backup
 * state loaded (the next sv_account_group_load() of that card), so a
 * caller may load the card and ask for the action at once.
 */
void
sv_account_group_activate_when_loaded (SvAccountGroup *self,
                                       const char     *iccid,
                                       const char     *action_name)
{
  g_return_if_fail (SV_IS_ACCOUNT_GROUP (self));

  g_free (self->pending_action);
  self->pending_action = g_strdup (action_name);
  g_free (self->pending_iccid);
  self->pending_iccid = g_strdup (iccid);
}

void
sv_account_group_reload_state (SvAccountGroup *self)
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
      sv_account_group_set_error (self, NULL);
      show_state (self);
    }
  g_free (self->db_path);
  self->db_path = g_strdup (db_path);
  g_free (self->iccid);
  self->iccid = g_strdup (iccid);
  sv_account_group_reload_state (self);
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

void
sv_account_group_set_busy (SvAccountGroup *self,
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
  sv_account_group_set_busy (self, FALSE);
  sv_interrupted_work_end (sv_interrupted_work_get_default (), SV_WORK_BACKUP, self->iccid, backup != NULL);
  if (backup == NULL)
    {
      g_autofree char *reason = sv_sync_ui_describe_error (error, self->state ? self->state->server : NULL);

      /* A refused password is not kept for the next try. */
      if (self->state != NULL && g_error_matches (error, SV_SYNC_ERROR, SV_SYNC_ERROR_LOGIN_FAILED))
        sv_sync_ui_password_forget (self->state->server, self->state->phone);
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        sv_account_group_set_error (self, reason);
      sv_account_group_toast (self, reason);
      sv_account_group_reload_state (self);
      return;
    }

  sv_account_group_set_error (self, NULL);
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
    sv_account_group_toast (self, text);
  sv_account_group_reload_state (self);
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

  sv_interrupted_work_begin (sv_interrupted_work_get_default (), SV_WORK_BACKUP, self->iccid);
  sv_backup_operation_run_async (self->db_path, self->iccid, &options, &credentials, self->progress,
                                 self->cancellable, backup_done_cb, g_object_ref (self));
  g_clear_pointer (&self->sms_indices, g_array_unref);
}

static void
signed_in_for_backup_cb (SvAccountGroup   *self,
                         SvRegisterResult *registration)
{
  sv_account_group_start_backup (self);
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
      sv_account_group_set_busy (self, FALSE);
      sv_account_group_toast (self, _("Stopped. What the server already acknowledged stays backed up."));
      return;
    }
  if (password != NULL)
    {
      run_backup_with_password (self, password);
      sv_sync_ui_password_free (password);
      return;
    }

  sv_account_group_set_busy (self, FALSE);
  if (self->automatic)
    {
      /* Never interrupt with a dialog for a backup nobody asked for. */
      self->automatic = FALSE;
      sv_account_group_set_error (self, _("The automatic backup waits: sign in once with Back Up Now"));
      return;
    }
  {
    GtkWidget *dialog = sv_account_dialog_new (sv_account_group_parent_window (self), self->db_path, self->iccid,
                                                                self->state->server, self->state->phone);

    g_signal_connect_object (dialog, "connected", G_CALLBACK (signed_in_for_backup_cb), self,
                             G_CONNECT_SWAPPED);
    gtk_window_present (GTK_WINDOW (dialog));
  }
}

void
sv_account_group_start_backup (SvAccountGroup *self)
{
  if (self->state == NULL || self->busy)
    return;
  /* One cancellable from the start: Stop works while the password is
   * looked up as well as while records go up. */
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  sv_account_group_set_busy (self, TRUE);
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
  sv_account_group_start_backup (self);
}

void
sv_account_group_emit_mirror_changed (SvAccountGroup *self)
{
  g_signal_emit (self, signals[MIRROR_CHANGED], 0);
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
  g_free (self->pending_action);
  g_free (self->pending_iccid);

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

  sv_account_group_class_actions_init (widget_class);
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
