/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The window's actions (win.*) and their enablement, updated in one place:
 * sv_window_update_actions().
 */
#define G_LOG_DOMAIN "sv-window"

#include "config.h"

#include <glib/gi18n.h>

#include "sv-mirror-worker.h"
#include "sv-window-private.h"

void
sv_window_update_actions (SvWindow *self)
{
  const char *iccid = sv_card_view_get_iccid (self->card_view);
  gboolean card_shown = iccid != NULL &&
                        g_strcmp0 (gtk_stack_get_visible_child_name (self->main_stack), "card") == 0;
  gboolean idle = !sv_card_view_is_loading (self->card_view);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.delete-card", card_shown && idle);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.search", card_shown);
}

/* Forget a card: deletes its local copy after a confirmation that names it. */

typedef struct
{
  char *iccid;
} DeleteJob;

static void
delete_job_free (DeleteJob *job)
{
  g_free (job->iccid);
  g_free (job);
}

static gpointer
delete_card_worker (SvMirror      *mirror,
                    gpointer       user_data,
                    GCancellable  *cancellable,
                    GError       **error)
{
  DeleteJob *job = user_data;

  if (!sv_mirror_delete_card (mirror, job->iccid, job->iccid, error))
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
                         gpointer          user_data)
{
  SvWindow *self = SV_WINDOW (user_data);
  DeleteJob *job;

  if (!g_str_equal (response, "delete"))
    return;

  job = g_new0 (DeleteJob, 1);
  job->iccid = g_strdup (g_object_get_data (G_OBJECT (dialog), "iccid"));
  sv_mirror_worker_run (self->db_path, delete_card_worker, job, (GDestroyNotify) delete_job_free,
                        NULL, NULL, delete_card_cb, g_object_ref (self));
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
  g_object_set_data_full (G_OBJECT (dialog), "iccid", g_strdup (iccid), g_free);
  g_signal_connect (dialog, "response", G_CALLBACK (delete_card_response_cb), self);
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

void
sv_window_class_add_actions (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "win.delete-card", NULL, delete_card_action);
  gtk_widget_class_install_action (widget_class, "win.search", NULL, search_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_f, GDK_CONTROL_MASK, "win.search", NULL);
}
