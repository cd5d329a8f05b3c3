/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Connects a card to a backup server: address, phone number, password.
 * The registration is the operations layer's (the same call as
 * `simvault-cli register`); a card that replaces the account's previous
 * one comes back as a card change, and the dialog's caller says so. On
 * success the password goes to the keyring (or this session's memory)
 * and "connected" carries the answer; on failure the dialog stays open
 * with the reason, and nothing was stored.
 */
#define G_LOG_DOMAIN "sv-account-dialog"

#include "config.h"

#include <glib/gi18n.h>

#include "sv-sync-ui.h"

#include "sv-account-dialog.h"

struct _SvAccountDialog
{
  AdwWindow             parent_instance;

  GtkStack             *button_stack;
  GtkButton            *connect_button;
  AdwEntryRow          *server_row;
  AdwEntryRow          *phone_row;
  AdwPasswordEntryRow  *password_row;
  GtkLabel             *error_label;

  char                 *db_path;
  char                 *iccid;
  char                 *error;
  GCancellable         *cancellable;
  gboolean              busy;
};

G_DEFINE_FINAL_TYPE (SvAccountDialog, sv_account_dialog, ADW_TYPE_WINDOW)

enum
{
  CONNECTED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static const char *
text_of (gpointer editable)
{
  return gtk_editable_get_text (GTK_EDITABLE (editable));
}

static void
update_sensitivity (SvAccountDialog *self)
{
  gboolean ready = *text_of (self->server_row) && *text_of (self->phone_row) &&
                   *text_of (self->password_row) && !self->busy;

  /* The fields stay sensitive while the server answers: an entry made
   * insensitive while it has the focus keeps its cursor blinking (GTK 4.8
   * warns when it goes); the spinner in place of the button says "wait". */
  gtk_widget_set_sensitive (GTK_WIDGET (self->connect_button), ready);
  gtk_stack_set_visible_child_name (self->button_stack, self->busy ? "spinner" : "button");
}

static void
entry_changed_cb (SvAccountDialog *self)
{
  update_sensitivity (self);
}

static void
show_error (SvAccountDialog *self,
            const char      *text)
{
  g_free (self->error);
  self->error = g_strdup (text);
  gtk_label_set_text (self->error_label, text ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), text != NULL);
  /* A screen reader hears the reason with the field that needs work. */
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->password_row),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, text ? text : "",
                                  -1);
}

static void
register_done_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(SvAccountDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(SvRegisterResult) registration = sv_register_operation_run_finish (result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self->busy = FALSE;
  update_sensitivity (self);
  if (registration == NULL)
    {
      g_autofree char *text = sv_sync_ui_describe_error (error, text_of (self->server_row));

      show_error (self, text);
      gtk_widget_grab_focus (GTK_WIDGET (self->password_row));
      return;
    }

  sv_sync_ui_password_remember (registration->server, registration->phone, text_of (self->password_row));
  gtk_editable_set_text (GTK_EDITABLE (self->password_row), "");
  g_signal_emit (self, signals[CONNECTED], 0, registration);
  gtk_window_destroy (GTK_WINDOW (self));
}

/* Runs the registration with what the fields hold. */
void
sv_account_dialog_submit (SvAccountDialog *self)
{
  SvSyncCredentials credentials = { 0 };
  g_autofree char *server = g_strstrip (g_strdup (text_of (self->server_row)));

  g_return_if_fail (SV_IS_ACCOUNT_DIALOG (self));

  if (self->busy || !gtk_widget_get_sensitive (GTK_WIDGET (self->connect_button)))
    return;
  /* "backup.example" means the https site. */
  if (!g_str_has_prefix (server, "http://") && !g_str_has_prefix (server, "https://"))
    {
      char *with_scheme = g_strconcat ("https://", server, NULL);

      g_free (server);
      server = with_scheme;
    }
  credentials.server = server;
  credentials.phone = text_of (self->phone_row);
  credentials.password = text_of (self->password_row);

  show_error (self, NULL);
  self->busy = TRUE;
  update_sensitivity (self);
  sv_register_operation_run_async (self->db_path, self->iccid, &credentials, self->cancellable,
                                   register_done_cb, g_object_ref (self));
}

static void
connect_clicked_cb (SvAccountDialog *self)
{
  sv_account_dialog_submit (self);
}

static void
sv_account_dialog_dispose (GObject *object)
{
  SvAccountDialog *self = SV_ACCOUNT_DIALOG (object);

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), SV_TYPE_ACCOUNT_DIALOG);

  G_OBJECT_CLASS (sv_account_dialog_parent_class)->dispose (object);
}

static void
sv_account_dialog_finalize (GObject *object)
{
  SvAccountDialog *self = SV_ACCOUNT_DIALOG (object);

  g_clear_object (&self->cancellable);
  g_free (self->db_path);
  g_free (self->iccid);
  g_free (self->error);

  G_OBJECT_CLASS (sv_account_dialog_parent_class)->finalize (object);
}

static void
sv_account_dialog_class_init (SvAccountDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sv_account_dialog_dispose;
  object_class->finalize = sv_account_dialog_finalize;

  /**
   * SvAccountDialog::connected:
   * @registration: what the server answered
   *
   * The card is registered and the password remembered.
   */
  signals[CONNECTED] =
    g_signal_new ("connected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, SV_TYPE_REGISTER_RESULT);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PREFIX "/ui/sv-account-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, SvAccountDialog, button_stack);
  gtk_widget_class_bind_template_child (widget_class, SvAccountDialog, connect_button);
  gtk_widget_class_bind_template_child (widget_class, SvAccountDialog, server_row);
  gtk_widget_class_bind_template_child (widget_class, SvAccountDialog, phone_row);
  gtk_widget_class_bind_template_child (widget_class, SvAccountDialog, password_row);
  gtk_widget_class_bind_template_child (widget_class, SvAccountDialog, error_label);
  gtk_widget_class_bind_template_callback (widget_class, connect_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, entry_changed_cb);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
sv_account_dialog_init (SvAccountDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
}

/**
 * sv_account_dialog_new:
 * @server: (nullable): the card's server, to sign in again
 * @phone: (nullable): the card's account
 */
GtkWidget *
sv_account_dialog_new (GtkWindow  *parent,
                       const char *db_path,
                       const char *iccid,
                       const char *server,
                       const char *phone)
{
  SvAccountDialog *self = g_object_new (SV_TYPE_ACCOUNT_DIALOG,
                                        "transient-for", parent,
                                        NULL);

  self->db_path = g_strdup (db_path);
  self->iccid = g_strdup (iccid);
  if (server != NULL)
    {
      gtk_window_set_title (GTK_WINDOW (self), _("Sign In to the Backup Server"));
      gtk_button_set_label (self->connect_button, _("_Sign In"));
    }
  sv_account_dialog_set_fields (self, server, phone, NULL);
  gtk_widget_grab_focus (GTK_WIDGET (server ? (gpointer) self->password_row : (gpointer) self->server_row));

  return GTK_WIDGET (self);
}

void
sv_account_dialog_set_fields (SvAccountDialog *self,
                              const char      *server,
                              const char      *phone,
                              const char      *password)
{
  g_return_if_fail (SV_IS_ACCOUNT_DIALOG (self));

  if (server != NULL)
    gtk_editable_set_text (GTK_EDITABLE (self->server_row), server);
  if (phone != NULL)
    gtk_editable_set_text (GTK_EDITABLE (self->phone_row), phone);
  if (password != NULL)
    gtk_editable_set_text (GTK_EDITABLE (self->password_row), password);
  update_sensitivity (self);
}

gboolean
sv_account_dialog_is_busy (SvAccountDialog *self)
{
  g_return_val_if_fail (SV_IS_ACCOUNT_DIALOG (self), FALSE);
  return self->busy;
}

/* Returns: (nullable): the reason the last attempt failed, as shown */
const char *
sv_account_dialog_get_error (SvAccountDialog *self)
{
  g_return_val_if_fail (SV_IS_ACCOUNT_DIALOG (self), NULL);
  return self->error;
}
