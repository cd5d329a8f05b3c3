/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The window and the card readers: the reader monitor (insertion, removal,
 * swap, a pcscd that goes away), the PIN dialog, reading a card into the
 * mirror and writing the mirror's changes back. The card work itself is
 * the operations layer's (sync/operations/: the CLI runs the very same
 * code); this file opens the session, asks for the PIN, and shows the
 * outcome. Every card operation is a chain of async steps on one CardOp;
 * the card is only touched in worker threads and widgets only in callbacks
 * on the main thread.
 */
#define G_LOG_DOMAIN "sv-window"

#include "config.h"

#include <glib/gi18n.h>

#include "sv-card-error.h"
#include "sv-interrupted-work.h"
#include "sv-operations.h"
#include "sv-pcsc-reader.h"
#include "sv-pin-dialog.h"
#include "sv-pin.h"
#include "sv-progress.h"
#include "sv-window-private.h"

typedef enum
{
  CARD_OP_READ,
  CARD_OP_WRITE,
} CardOpKind;

typedef struct
{
  SvWindow      *self;
  CardOpKind     kind;
  char          *reader_name;
  char          *iccid;
  SvCardSession *session;
  SvProgress    *progress;
  SvWritePlan   *plan;          /* write: what the preview showed */
  SvPinDialog   *pin_dialog;
  char          *pin_error;     /* the last PIN attempt's error, for the dialog */
  GCancellable  *cancellable;
} CardOp;

static void
card_op_free (CardOp *op)
{
  if (op->pin_dialog != NULL)
    {
      g_signal_handlers_disconnect_by_data (op->pin_dialog, op);
      gtk_window_destroy (GTK_WINDOW (op->pin_dialog));
    }
  g_clear_pointer (&op->session, sv_card_session_close);
  g_clear_object (&op->progress);
  g_clear_pointer (&op->plan, sv_write_plan_unref);
  g_free (op->pin_error);
  g_clear_object (&op->cancellable);
  g_free (op->reader_name);
  g_free (op->iccid);
  g_clear_object (&op->self);
  g_free (op);
}

/* Readers in the sidebar. */

/* The readers as the monitor's signals told them, so the list never
 * depends on when the monitor thread updates its own snapshot. */
static void
rebuild_readers_list (SvWindow *self)
{
  g_autoptr(GList) names = g_list_sort (g_hash_table_get_keys (self->readers), (GCompareFunc) g_strcmp0);
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->readers_list))) != NULL)
    gtk_list_box_remove (self->readers_list, child);

  for (GList *l = names; l != NULL; l = l->next)
    {
      const char *name = l->data;
      const char *iccid = g_hash_table_lookup (self->readers, name);
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *icon = gtk_image_new_from_icon_name ("sv-sim-card-symbolic");
      g_autofree char *subtitle = NULL;

      if (iccid == NULL)
        subtitle = g_strdup (_("No card"));
      else if (*iccid != '\0')
        subtitle = g_strdup_printf (_("Card %s"), iccid);
      else
        subtitle = g_strdup (_("Card inserted"));

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), name);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      adw_action_row_add_prefix (ADW_ACTION_ROW (row), icon);
      gtk_widget_set_sensitive (icon, iccid != NULL);
      gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), iccid != NULL);
      gtk_list_box_append (self->readers_list, row);
    }

  gtk_widget_set_visible (GTK_WIDGET (self->readers_list), names != NULL);
}

/**
 * sv_window_find_reader_of:
 * @iccid: a card
 *
 * Returns: (nullable): the reader the card is in right now
 */
const char *
sv_window_find_reader_of (SvWindow   *self,
                          const char *iccid)
{
  GHashTableIter iter;
  gpointer name, card;

  if (iccid == NULL)
    return NULL;

  g_hash_table_iter_init (&iter, self->readers);
  while (g_hash_table_iter_next (&iter, &name, &card))
    if (g_strcmp0 (card, iccid) == 0)
      return name;

  return NULL;
}

/**
 * sv_window_first_reader_with_card:
 *
 * Returns: (nullable): a reader that holds a card
 */
const char *
sv_window_first_reader_with_card (SvWindow *self)
{
  GHashTableIter iter;
  gpointer name, card;

  if (self->readers == NULL)
    return NULL;

  g_hash_table_iter_init (&iter, self->readers);
  while (g_hash_table_iter_next (&iter, &name, &card))
    if (card != NULL)
      return name;

  return NULL;
}

/**
 * sv_window_show_idle_status:
 *
 * When no card is shown, says what to do next: start the smart card
 * service, connect a reader, or insert a card.
 */
void
sv_window_show_idle_status (SvWindow *self)
{
  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->main_stack), "card") == 0)
    return;

  if (!self->service_available)
    {
      sv_window_show_status (self, "dialog-warning-symbolic", _("No Smart Card Service"),
                             _("SimVault reaches card readers through the PC/SC daemon, which is not running. "
                               "Start it (package pcscd, command “pcscd”) and SimVault connects by itself. "
                               "Cards read before stay available on the left."));
      return;
    }

  if (g_hash_table_size (self->readers) == 0)
    sv_window_show_status (self, "sv-sim-card-symbolic", _("No Reader Found"),
                           _("Connect a USB smart card reader. Cards read before stay available on the left."));
  else
    sv_window_show_status (self, "sv-sim-card-symbolic", _("Insert a SIM Card"),
                           _("Put a SIM or USIM card into a USB smart card reader to read its contacts and messages."));
}

/* Progress of the running operation, in the window's progress bar. */

static void
progress_changed_cb (SvProgress *progress,
                     GParamSpec *pspec,
                     CardOp     *op)
{
  guint completed = sv_progress_get_completed (progress);
  guint total = sv_progress_get_total (progress);
  g_autofree char *text = NULL;

  if (total == 0)
    return;

  if (op->kind == CARD_OP_READ)
    text = g_strdup_printf (_("Reading the card: %u of %u records"), completed, total);
  else
    text = g_strdup_printf (_("Writing to the card: %u of %u records"), completed, total);
  sv_window_set_progress (op->self, text, sv_progress_get_fraction (progress));
}

static CardOp *
card_op_new (SvWindow   *self,
             CardOpKind  kind,
             const char *reader_name)
{
  CardOp *op = g_new0 (CardOp, 1);

  op->self = g_object_ref (self);
  op->kind = kind;
  op->reader_name = g_strdup (reader_name);
  op->progress = sv_progress_new ();
  op->cancellable = g_cancellable_new ();
  g_signal_connect (op->progress, "notify::completed", G_CALLBACK (progress_changed_cb), op);

  g_set_object (&self->operation_cancellable, op->cancellable);
  self->card_busy = TRUE;
  sv_window_update_actions (self);

  return op;
}

/* Ends an operation: clears the busy state, shows @error if any. */
static void
card_op_finish (CardOp       *op,
                const GError *error)
{
  /* The operation holds the window; keep it until the queue is served. */
  g_autoptr(SvWindow) self = g_object_ref (op->self);

  g_signal_handlers_disconnect_by_data (op->progress, op);
  self->card_busy = FALSE;
  /* Done, failed or declined: the outcome is shown below, so the write is
   * no longer running; only a completed one finishes an interrupted one. */
  if (op->kind == CARD_OP_WRITE)
    sv_interrupted_work_end (sv_interrupted_work_get_default (), SV_WORK_WRITE, op->iccid, error == NULL);
  sv_window_end_progress (self);

  if (error != NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    sv_window_add_toast (self, adw_toast_new (op->kind == CARD_OP_READ ? _("Reading cancelled")
                                                                        : _("Writing cancelled")));
  else if (error != NULL && op->kind == CARD_OP_WRITE)
    sv_window_show_banner (self, error->message, _("_Write Again"), "win.write-card");
  else if (error != NULL && g_error_matches (error, SV_CARD_ERROR, SV_CARD_ERROR_UNSUPPORTED))
    sv_window_show_status (self, "dialog-warning-symbolic", _("Card Not Supported"), error->message);
  else if (error != NULL)
    sv_window_show_banner (self, error->message, NULL, NULL);

  sv_window_update_actions (self);
  card_op_free (op);

  /* Cards inserted while this one was busy are read now, in turn. */
  while (self->pending_reads != NULL && !self->card_busy && self->pending_reads->len > 0)
    {
      g_autofree char *reader_name = g_ptr_array_steal_index (self->pending_reads, 0);

      if (g_hash_table_lookup (self->readers, reader_name) != NULL)
        sv_window_read_card (self, reader_name);
    }
}

/* Step: the read operation: the whole card into the mirror. */

static void
read_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  CardOp *op = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(SvReadResult) read = sv_read_operation_run_finish (result, &error);
  SvWindow *self = op->self;
  GPtrArray *conflicts;

  if (read == NULL)
    {
      card_op_finish (op, error);
      return;
    }

  g_debug ("Read %s: %u APDUs, %u records read, %u reused", sv_read_result_get_iccid (read),
           sv_read_result_get_stats (read)->apdu_count, sv_read_result_get_stats (read)->records_read,
           sv_read_result_get_stats (read)->records_reused);
  g_free (op->iccid);
  op->iccid = g_strdup (sv_read_result_get_iccid (read));
  g_hash_table_replace (self->readers, g_strdup (op->reader_name), g_strdup (op->iccid));
  rebuild_readers_list (self);

  sv_window_hide_banner (self);
  sv_window_show_card (self, op->iccid);
  sv_window_refresh_cards (self);
  conflicts = sv_read_result_get_conflicts (read);
  if (conflicts->len > 0)
    {
      g_autofree char *text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                            "%u record was changed both on the card and here. Your edit is kept and nothing is overwritten; writing will stop at it.",
                                                            "%u records were changed both on the card and here. Your edits are kept and nothing is overwritten; writing will stop at them.",
                                                            conflicts->len),
                                               conflicts->len);

      sv_window_show_banner (self, text, NULL, NULL);
    }
  else
    {
      g_autofree char *text = g_strdup_printf (_("Card %s read"), op->iccid);

      sv_window_add_toast (self, adw_toast_new (text));
    }
  sv_window_maybe_auto_backup (self, op->iccid);
  card_op_finish (op, NULL);
}

static void write_done_cb (GObject *source, GAsyncResult *result, gpointer user_data);

static void
after_pin (CardOp *op)
{
  if (op->kind == CARD_OP_WRITE)
    {
      sv_window_set_progress (op->self, _("Checking the card…"), 0.0);
      sv_interrupted_work_begin (sv_interrupted_work_get_default (), SV_WORK_WRITE, op->iccid);
      sv_write_operation_run_async (op->session, op->self->db_path, op->plan, NULL, op->progress,
                                    op->cancellable, write_done_cb, op);
      return;
    }

  sv_window_set_progress (op->self, _("Reading the card…"), 0.0);
  sv_read_operation_run_async (op->session, op->self->db_path, SV_READ_OPERATION_DEFAULT,
                               op->progress, op->cancellable, read_done_cb, op);
}

/* Step: the PIN. Asked only when the card wants it, with the tries left
 * shown first; every attempt is one click of the user. */

static void pin_status_cb (GObject *source, GAsyncResult *result, gpointer user_data);

static void
pin_attempt_done (CardOp       *op,
                  const GError *error)
{
  if (error == NULL)
    {
      g_signal_handlers_disconnect_by_data (op->pin_dialog, op);
      gtk_window_destroy (GTK_WINDOW (op->pin_dialog));
      op->pin_dialog = NULL;
      after_pin (op);
      return;
    }

  /* Read the counters again (an empty VERIFY costs no try) and let the
   * user decide what to do next. */
  g_free (op->pin_error);
  op->pin_error = g_strdup (error->message);
  sv_pin_get_status_async (op->session, SV_PIN_1, op->cancellable, pin_status_cb, op);
}

static void
pin_verify_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  sv_pin_verify_finish (result, &error);
  pin_attempt_done (user_data, error);
}

typedef struct
{
  SvCardSession *session;
  char          *puk;
  char          *new_pin;
  SvPinFlags     flags;
} UnblockData;

static void
unblock_data_free (UnblockData *data)
{
  sv_pin_wipe (data->puk);
  sv_pin_wipe (data->new_pin);
  g_free (data->puk);
  g_free (data->new_pin);
  g_free (data);
}

static void
unblock_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  UnblockData *data = task_data;
  GError *error = NULL;

  if (sv_pin_unblock (data->session, SV_PIN_1, data->puk, data->new_pin, data->flags, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
pin_unblock_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  g_task_propagate_boolean (G_TASK (result), &error);
  pin_attempt_done (user_data, error);
}

static void
pin_submit_cb (SvPinDialog *dialog,
               const char  *secret,
               const char  *new_pin,
               gboolean     confirmed_last_try,
               CardOp      *op)
{
  SvPinFlags flags = confirmed_last_try ? SV_PIN_CONFIRM_LAST_TRY : SV_PIN_FLAGS_NONE;

  if (new_pin != NULL)
    {
      g_autoptr(GTask) task = g_task_new (NULL, op->cancellable, pin_unblock_cb, op);
      UnblockData *data = g_new0 (UnblockData, 1);

      data->session = op->session;
      data->puk = g_strdup (secret);
      data->new_pin = g_strdup (new_pin);
      data->flags = flags;
      g_task_set_task_data (task, data, (GDestroyNotify) unblock_data_free);
      g_task_run_in_thread (task, unblock_thread);
    }
  else
    {
      g_autofree char *pin = g_strdup (secret);

      /* sv_pin_verify_async() wipes @pin once it has its own copy. */
      sv_pin_verify_async (op->session, SV_PIN_1, pin, flags, op->cancellable, pin_verify_cb, op);
    }
}

static gboolean
pin_dialog_close_cb (SvPinDialog *dialog,
                     CardOp      *op)
{
  g_autoptr(GError) error = NULL;

  g_signal_handlers_disconnect_by_data (dialog, op);
  op->pin_dialog = NULL;
  g_set_error_literal (&error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "PIN not entered");
  card_op_finish (op, error);

  return FALSE;
}

static void
pin_status_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  CardOp *op = user_data;
  g_autoptr(GError) error = NULL;
  SvPinStatus status = { 0 };

  if (!sv_pin_get_status_finish (result, &status, &error))
    {
      card_op_finish (op, error);
      return;
    }

  if (op->pin_dialog != NULL)
    {
      sv_pin_dialog_set_status (op->pin_dialog, &status, op->pin_error);
      return;
    }

  if (!status.enabled || status.verified)
    {
      after_pin (op);
      return;
    }

  sv_window_set_progress (op->self, _("Waiting for the PIN…"), 0.0);
  op->pin_dialog = sv_pin_dialog_new (GTK_WINDOW (op->self), op->reader_name, &status);
  g_signal_connect (op->pin_dialog, "submit", G_CALLBACK (pin_submit_cb), op);
  g_signal_connect (op->pin_dialog, "close-request", G_CALLBACK (pin_dialog_close_cb), op);
  gtk_window_present (GTK_WINDOW (op->pin_dialog));
}

static void
session_open_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  CardOp *op = user_data;
  g_autoptr(GError) error = NULL;

  op->session = sv_card_session_open_finish (result, &error);
  if (op->session == NULL)
    {
      card_op_finish (op, error);
      return;
    }

  sv_pin_get_status_async (op->session, SV_PIN_1, op->cancellable, pin_status_cb, op);
}

static void
start_card_op (CardOp *op)
{
  sv_window_hide_banner (op->self);
  sv_window_set_progress (op->self, _("Connecting to the card…"), 0.0);
  sv_card_session_open_async (op->self->reader, op->reader_name, op->cancellable,
                              session_open_cb, op);
}

/**
 * sv_window_read_card:
 * @reader_name: the reader holding the card
 *
 * Reads the card into the mirror (asking for the PIN if the card wants
 * it) and shows it. While another card operation runs, the read waits
 * for it to end.
 */
void
sv_window_read_card (SvWindow   *self,
                     const char *reader_name)
{
  CardOp *op;

  if (self->card_busy)
    {
      if (!g_ptr_array_find_with_equal_func (self->pending_reads, reader_name, g_str_equal, NULL))
        g_ptr_array_add (self->pending_reads, g_strdup (reader_name));
      return;
    }

  op = card_op_new (self, CARD_OP_READ, reader_name);
  op->iccid = g_strdup (g_hash_table_lookup (self->readers, reader_name));
  start_card_op (op);
}

/* Writing: a preview of what changes, then the write operation (checked
 * against the card, read back, journalled, then marked in the mirror). */

static void
write_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  CardOp *op = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(SvWriteResult) written = NULL;
  const SvCardWriteStats *stats;
  g_autofree char *text = NULL;
  guint n;

  if (!sv_write_operation_run_finish (result, &written, &error))
    {
      card_op_finish (op, error);
      return;
    }

  stats = sv_write_result_get_stats (written);
  n = stats->records_written + stats->records_already;
  text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                       "%u record written and verified",
                                       "%u records written and verified", n), n);
  sv_window_add_toast (op->self, adw_toast_new (text));
  sv_card_view_reload (op->self->card_view);
  sv_window_refresh_cards (op->self);
  card_op_finish (op, NULL);
}

static void
append_contact_lines (GString    *text,
                      const char *sign,
                      GPtrArray  *contacts)
{
  for (guint i = 0; i < contacts->len; i++)
    {
      SvContact *contact = g_ptr_array_index (contacts, i);
      g_autofree char *line = g_markup_printf_escaped ("%s  %u  %s  %s\n", sign,
                                                       sv_contact_get_index (contact),
                                                       sv_contact_get_name (contact),
                                                       sv_contact_get_number (contact));

      g_string_append (text, line);
    }
}

static void
write_preview_response_cb (AdwMessageDialog *dialog,
                           const char       *response,
                           CardOp           *op)
{
  if (!g_str_equal (response, "write"))
    {
      g_autoptr(GError) error = NULL;

      g_set_error_literal (&error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "not confirmed");
      card_op_finish (op, error);
      return;
    }

  start_card_op (op);
}

static void
write_prepared_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  CardOp *op = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) lines = g_string_new (NULL);
  g_autofree char *body = NULL;
  GPtrArray *added, *changed, *deleted;
  GtkWidget *dialog;

  op->plan = sv_write_operation_prepare_finish (result, &error);
  if (op->plan == NULL)
    {
      card_op_finish (op, error);
      return;
    }
  if (sv_write_plan_get_changes (op->plan)->len == 0)
    {
      sv_window_add_toast (op->self, adw_toast_new (_("Nothing to write: the card already holds every change")));
      card_op_finish (op, NULL);
      return;
    }

  added = sv_write_plan_get_added_contacts (op->plan);
  changed = sv_write_plan_get_changed_contacts (op->plan);
  deleted = sv_write_plan_get_deleted_contacts (op->plan);
  append_contact_lines (lines, "+", added);
  append_contact_lines (lines, "~", changed);
  append_contact_lines (lines, "−", deleted);
  body = g_strdup_printf (_("%u added, %u changed and %u deleted contacts; %u records will be written to the card in %s and read back to verify."),
                          added->len, changed->len, deleted->len,
                          sv_write_plan_get_changes (op->plan)->len, op->reader_name);

  dialog = adw_message_dialog_new (GTK_WINDOW (op->self), _("Write to Card?"), body);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), sv_window_preview_list_new (lines->str));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "write", _("_Write"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "write",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "write");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect (dialog, "response", G_CALLBACK (write_preview_response_cb), op);
  gtk_window_present (GTK_WINDOW (dialog));
}

/**
 * sv_window_write_card:
 * @iccid: a card of the mirror
 *
 * Writes the card's pending changes, after the preview, if it is in a
 * reader; otherwise asks for it.
 */
void
sv_window_write_card (SvWindow   *self,
                      const char *iccid)
{
  const char *reader_name = sv_window_find_reader_of (self, iccid);
  CardOp *op;

  if (self->card_busy || iccid == NULL)
    return;
  if (reader_name == NULL)
    {
      g_autofree char *text = g_strdup_printf (_("Insert card %s to write the changes"), iccid);

      sv_window_add_toast (self, adw_toast_new (text));
      return;
    }

  op = card_op_new (self, CARD_OP_WRITE, reader_name);
  op->iccid = g_strdup (iccid);
  sv_window_set_progress (self, _("Preparing the changes…"), 0.0);
  sv_write_operation_prepare_async (self->db_path, iccid, op->cancellable, write_prepared_cb, op);
}

static void
write_card_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  SvWindow *self = SV_WINDOW (widget);

  sv_window_write_card (self, sv_card_view_get_iccid (self->card_view));
}

static void
read_card_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  SvWindow *self = SV_WINDOW (widget);
  const char *iccid = sv_card_view_get_iccid (self->card_view);
  const char *reader_name = sv_window_find_reader_of (self, iccid);

  if (reader_name == NULL)
    reader_name = sv_window_first_reader_with_card (self);
  if (reader_name != NULL)
    sv_window_read_card (self, reader_name);
}

/* Monitor events, on the main thread. */

static void
card_inserted_cb (SvWindow   *self,
                  const char *reader_name,
                  GBytes     *atr,
                  const char *iccid)
{
  SvApplication *app = SV_APPLICATION (gtk_window_get_application (GTK_WINDOW (self)));
  GSettings *settings = app != NULL ? sv_application_get_settings (app) : NULL;

  g_hash_table_replace (self->readers, g_strdup (reader_name), g_strdup (iccid ? iccid : ""));
  rebuild_readers_list (self);
  sv_window_update_actions (self);

  /* Retail staff expect a card to be read as soon as it is in; the
   * preference turns that off for people who prepare many cards. */
  if (settings == NULL || g_settings_get_boolean (settings, "auto-read"))
    sv_window_read_card (self, reader_name);
}

static void
card_removed_cb (SvWindow   *self,
                 const char *reader_name)
{
  if (g_hash_table_contains (self->readers, reader_name))
    g_hash_table_replace (self->readers, g_strdup (reader_name), NULL);
  rebuild_readers_list (self);
  sv_window_update_actions (self);
  sv_window_show_idle_status (self);
}

static void
reader_added_cb (SvWindow   *self,
                 const char *reader_name)
{
  if (!g_hash_table_contains (self->readers, reader_name))
    g_hash_table_insert (self->readers, g_strdup (reader_name), NULL);
  rebuild_readers_list (self);
  sv_window_show_idle_status (self);
}

static void
reader_removed_cb (SvWindow   *self,
                   const char *reader_name)
{
  g_hash_table_remove (self->readers, reader_name);
  rebuild_readers_list (self);
  sv_window_update_actions (self);
  sv_window_show_idle_status (self);
}

static void
service_changed_cb (SvWindow *self,
                    gboolean  available)
{
  self->service_available = available;
  if (!available)
    g_hash_table_remove_all (self->readers);
  rebuild_readers_list (self);
  sv_window_show_idle_status (self);
}

void
sv_window_class_add_card_actions (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "win.read-card", NULL, read_card_action);
  gtk_widget_class_install_action (widget_class, "win.write-card", NULL, write_card_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_r, GDK_CONTROL_MASK, "win.read-card", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_w, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "win.write-card", NULL);
}

void
sv_window_card_init (SvWindow *self)
{
  g_autoptr(GError) error = NULL;

  self->readers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->pending_reads = g_ptr_array_new_with_free_func (g_free);
  self->reader = sv_pcsc_reader_new ();
  self->monitor = sv_reader_monitor_new (self->reader, TRUE);

  g_signal_connect_object (self->monitor, "card-inserted", G_CALLBACK (card_inserted_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->monitor, "card-removed", G_CALLBACK (card_removed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->monitor, "reader-added", G_CALLBACK (reader_added_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->monitor, "reader-removed", G_CALLBACK (reader_removed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->monitor, "service-changed", G_CALLBACK (service_changed_cb), self, G_CONNECT_SWAPPED);

  /* The monitor reports the service state itself and keeps trying when
   * pcscd is not there yet. */
  self->service_available = sv_reader_monitor_start (self->monitor, &error);
  if (!self->service_available)
    g_debug ("Reader monitor: %s", error->message);

  sv_window_show_idle_status (self);
}

void
sv_window_card_dispose (SvWindow *self)
{
  if (self->monitor != NULL)
    sv_reader_monitor_stop (self->monitor);
  g_clear_object (&self->monitor);
  g_clear_object (&self->reader);
  g_clear_pointer (&self->readers, g_hash_table_unref);
  g_clear_pointer (&self->pending_reads, g_ptr_array_unref);
}
