/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The shop's restore desk: a guided flow in one window, one step at a
 * time: staff sign in; the customer's phone number with their password
 * or a one-time restore code (consent); the backup's cards; the new SIM
 * in a reader (the main window reads it); a preview of what fits, is
 * re-encoded, shortened (only with a tick) or does not fit; the write
 * with progress and read-back; a receipt to print or save as PDF.
 *
 * The server steps are the operations layer's (the staff form of
 * `simvault-cli restore`), on one signed-in client so the customer's
 * one-time code carries both preview and apply; the card write is the
 * window's writer with read-back verification.
 *
 * This file holds the window, what the steps share and the callbacks the
 * template names; the steps themselves are in sv-restore-desk-steps.c.
 */
#define G_LOG_DOMAIN "sv-restore-desk"

#include "config.h"

#include <glib/gi18n.h>

#include "sv-server-restore-operation.h"
#include "sv-sync-ui.h"
#include "sv-window-private.h"

#include "sv-restore-desk-private.h"

G_DEFINE_FINAL_TYPE (SvRestoreDesk, sv_restore_desk, ADW_TYPE_WINDOW)

static const char *steps[] = { "staff", "customer", "cards", "insert", "preview", "write", "receipt" };

const char *
sv_restore_desk_text_of (gpointer editable)
{
  return gtk_editable_get_text (GTK_EDITABLE (editable));
}

void
sv_restore_desk_fail (SvRestoreDesk *self,
                      const GError  *error)
{
  g_autofree char *text = sv_sync_ui_describe_error (error, self->server);

  g_free (self->error);
  self->error = g_strdup (text);
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (text));
}

void
sv_restore_desk_update_actions (SvRestoreDesk *self)
{
  const char *step = gtk_stack_get_visible_child_name (self->stack);
  gboolean idle = !self->busy;
  gboolean shortened_ok = self->counts[SV_RESTORE_TRUNCATED] == 0 ||
                          gtk_check_button_get_active (self->accept_check);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "desk.back",
                                 idle && (g_str_equal (step, "customer") || g_str_equal (step, "cards") ||
                                          g_str_equal (step, "insert") || g_str_equal (step, "preview")));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "desk.staff-sign-in",
                                 idle && *sv_restore_desk_text_of (self->server_row) &&
                                 *sv_restore_desk_text_of (self->staff_row) &&
                                 *sv_restore_desk_text_of (self->staff_password_row));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "desk.consent",
                                 idle && self->client != NULL && *sv_restore_desk_text_of (self->phone_row) &&
                                 (*sv_restore_desk_text_of (self->code_row) ||
                                  *sv_restore_desk_text_of (self->customer_password_row)));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "desk.choose-card",
                                 idle && self->client != NULL && self->card_iccids->len > 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "desk.preview",
                                 idle && self->client != NULL && self->source_iccid != NULL &&
                                 self->target_iccid != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "desk.write", idle && self->preview != NULL && shortened_ok);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "desk.stop", self->busy && g_str_equal (step, "write"));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "desk.print", self->receipt != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "desk.save-pdf", self->receipt != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "desk.next-customer", idle);
}

void
sv_restore_desk_set_busy (SvRestoreDesk *self,
                          gboolean       busy)
{
  self->busy = busy;
  sv_restore_desk_update_actions (self);
}

static void
fields_changed_cb (SvRestoreDesk *self)
{
  sv_restore_desk_update_actions (self);
}

void
sv_restore_desk_show_step (SvRestoreDesk *self,
                           const char    *step)
{
  guint n = 0;
  g_autofree char *subtitle = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (steps); i++)
    if (g_str_equal (steps[i], step))
      n = i + 1;
  /* Translators: the restore desk's progress through its steps */
  subtitle = g_strdup_printf (_("Step %u of %u"), n, (guint) G_N_ELEMENTS (steps));
  adw_window_title_set_subtitle (self->window_title, subtitle);
  gtk_stack_set_visible_child_name (self->stack, step);
  g_clear_handle_id (&self->poll_id, g_source_remove);
  if (g_str_equal (step, "insert"))
    {
      sv_restore_desk_poll_target_cb (self);
      self->poll_id = g_timeout_add (300, sv_restore_desk_poll_target_cb, self);
    }
  sv_restore_desk_update_actions (self);
}

/* Template callbacks. */

static void
staff_activate_cb (SvRestoreDesk *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "desk.staff-sign-in", NULL);
}

static void
customer_activate_cb (SvRestoreDesk *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "desk.consent", NULL);
}

/* GObject. */

static void
sv_restore_desk_dispose (GObject *object)
{
  SvRestoreDesk *self = SV_RESTORE_DESK (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->poll_id, g_source_remove);
  if (self->progress != NULL)
    g_signal_handlers_disconnect_by_data (self->progress, self);
  if (self->session != NULL && self->window != NULL)
    self->window->card_busy = FALSE;
  g_clear_pointer (&self->session, sv_card_session_close);
  sv_restore_desk_sign_out (self);
  g_clear_weak_pointer (&self->window);
  gtk_widget_dispose_template (GTK_WIDGET (self), SV_TYPE_RESTORE_DESK);

  G_OBJECT_CLASS (sv_restore_desk_parent_class)->dispose (object);
}

static void
sv_restore_desk_finalize (GObject *object)
{
  SvRestoreDesk *self = SV_RESTORE_DESK (object);

  g_clear_object (&self->client);
  g_clear_object (&self->progress);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->preview, sv_server_restore_result_unref);
  g_clear_pointer (&self->receipt, sv_receipt_free);
  g_ptr_array_unref (self->card_iccids);
  g_ptr_array_unref (self->extra_rows);
  g_free (self->server);
  g_free (self->staff);
  g_free (self->phone);
  g_free (self->source_iccid);
  g_free (self->target_iccid);
  g_free (self->target_reader);
  g_free (self->error);

  G_OBJECT_CLASS (sv_restore_desk_parent_class)->finalize (object);
}

static void
sv_restore_desk_class_init (SvRestoreDeskClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sv_restore_desk_dispose;
  object_class->finalize = sv_restore_desk_finalize;

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PREFIX "/ui/sv-restore-desk.ui");
  gtk_widget_class_bind_template_child (widget_class, SvRestoreDesk, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, SvRestoreDesk, window_title);
  gtk_widget_class_bind_template_child (widget_class, SvRestoreDesk, stack);
  gtk_widget_class_bind_template_child (widget_class, SvRestoreDesk, server_row);
  gtk_widget_class_bind_template_child (widget_class, SvRestoreDesk, staff_row);
  gtk_widget_class_bind_template_child (widget_class, SvRestoreDesk, staff_password_row);
  gtk_widget_class_bind_template_child (widget_class, SvRestoreDesk, phone_row);
  gtk_widget_class_bind_template_child (widget_class, SvRestoreDesk, code_row);
  gtk_widget_class_bind_template_child (widget_class, SvRestoreDesk, customer_password_row);
  gtk_widget_class_bind_template_child (widget_class, SvRestoreDesk, cards_group);
  gtk_widget_class_bind_template_child (widget_class, SvRestoreDesk, insert_page);
  gtk_widget_class_bind_template_child (widget_class, SvRestoreDesk, fits_row);
  gtk_widget_class_bind_template_child (widget_class, SvRestoreDesk, reencoded_row);
  gtk_widget_class_bind_template_child (widget_class, SvRestoreDesk, shortened_row);
  gtk_widget_class_bind_template_child (widget_class, SvRestoreDesk, nofit_row);
  gtk_widget_class_bind_template_child (widget_class, SvRestoreDesk, messages_row);
  gtk_widget_class_bind_template_child (widget_class, SvRestoreDesk, accept_row);
  gtk_widget_class_bind_template_child (widget_class, SvRestoreDesk, accept_check);
  gtk_widget_class_bind_template_child (widget_class, SvRestoreDesk, entries_group);
  gtk_widget_class_bind_template_child (widget_class, SvRestoreDesk, write_page);
  gtk_widget_class_bind_template_child (widget_class, SvRestoreDesk, write_progress);
  gtk_widget_class_bind_template_child (widget_class, SvRestoreDesk, receipt_group);
  gtk_widget_class_bind_template_callback (widget_class, fields_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, staff_activate_cb);
  gtk_widget_class_bind_template_callback (widget_class, customer_activate_cb);

  sv_restore_desk_class_steps_init (widget_class);
}

static void
sv_restore_desk_init (SvRestoreDesk *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->card_iccids = g_ptr_array_new_with_free_func (g_free);
  self->extra_rows = g_ptr_array_new ();
  self->cancellable = g_cancellable_new ();
  self->progress = sv_progress_new ();
  g_signal_connect_swapped (self->progress, "notify::completed", G_CALLBACK (sv_restore_desk_progress_cb), self);
  sv_restore_desk_show_step (self, "staff");
}

GtkWidget *
sv_restore_desk_new (SvWindow *window)
{
  SvRestoreDesk *self = g_object_new (SV_TYPE_RESTORE_DESK,
                                      "transient-for", window,
                                      NULL);

  g_set_weak_pointer (&self->window, window);
  return GTK_WIDGET (self);
}

const char *
sv_restore_desk_get_step (SvRestoreDesk *self)
{
  return gtk_stack_get_visible_child_name (self->stack);
}

gboolean
sv_restore_desk_is_busy (SvRestoreDesk *self)
{
  return self->busy;
}

const char *
sv_restore_desk_get_error (SvRestoreDesk *self)
{
  return self->error;
}

const char *
sv_restore_desk_get_target (SvRestoreDesk *self)
{
  return self->target_iccid;
}

guint
sv_restore_desk_get_n_cards (SvRestoreDesk *self)
{
  return self->card_iccids->len;
}

void
sv_restore_desk_get_counts (SvRestoreDesk *self,
                            guint         *fits,
                            guint         *reencoded,
                            guint         *shortened,
                            guint         *overflow)
{
  *fits = self->counts[SV_RESTORE_FITS];
  *reencoded = self->counts[SV_RESTORE_REENCODED];
  *shortened = self->counts[SV_RESTORE_TRUNCATED];
  *overflow = self->counts[SV_RESTORE_OVERFLOW];
}

/* Returns: (nullable) (transfer none): the receipt, once written */
SvReceipt *
sv_restore_desk_get_receipt (SvRestoreDesk *self)
{
  return self->receipt;
}

void
sv_restore_desk_fill_staff (SvRestoreDesk *self,
                            const char    *server,
                            const char    *name,
                            const char    *password)
{
  gtk_editable_set_text (GTK_EDITABLE (self->server_row), server);
  gtk_editable_set_text (GTK_EDITABLE (self->staff_row), name);
  gtk_editable_set_text (GTK_EDITABLE (self->staff_password_row), password);
}

void
sv_restore_desk_fill_customer (SvRestoreDesk *self,
                               const char    *phone,
                               const char    *code,
                               const char    *password)
{
  gtk_editable_set_text (GTK_EDITABLE (self->phone_row), phone);
  gtk_editable_set_text (GTK_EDITABLE (self->code_row), code ? code : "");
  gtk_editable_set_text (GTK_EDITABLE (self->customer_password_row), password ? password : "");
}

void
sv_restore_desk_set_accept_truncation (SvRestoreDesk *self,
                                       gboolean       accept)
{
  gtk_check_button_set_active (self->accept_check, accept);
}
