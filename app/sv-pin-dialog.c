/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Asks for the PIN (or, once it is blocked, the PUK and a new PIN) and
 * says how many tries are left before anything is sent. At the last try
 * the user must tick a confirmation first. The dialog never talks to the
 * card and never retries: it emits ::submit once per click, and the caller
 * answers with sv_pin_dialog_set_status() after the card has.
 */
#define G_LOG_DOMAIN "sv-pin-dialog"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "sv-pin-dialog.h"

struct _SvPinDialog
{
  AdwWindow            parent_instance;

  AdwWindowTitle      *window_title;
  GtkWidget           *submit_button;
  AdwPreferencesGroup *group;
  AdwEntryRow         *secret_row;
  AdwEntryRow         *new_pin_row;
  AdwEntryRow         *confirm_pin_row;
  GtkLabel            *error_label;
  GtkCheckButton      *last_try_check;

  char                *reader_name;
  SvPinStatus          status;
  gboolean             busy;
};

G_DEFINE_FINAL_TYPE (SvPinDialog, sv_pin_dialog, ADW_TYPE_WINDOW)

enum {
  SUBMIT,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* TS 51.011 §9.3 / TS 102.221 §9.5: PINs have 4 to 8 digits, PUKs 8. */
static gboolean
is_digits (const char *text,
           gsize       min_len,
           gsize       max_len)
{
  gsize len = strlen (text);

  if (len < min_len || len > max_len)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isdigit (text[i]))
      return FALSE;
  return TRUE;
}

gboolean
sv_pin_dialog_is_puk_mode (SvPinDialog *self)
{
  g_return_val_if_fail (SV_IS_PIN_DIALOG (self), FALSE);

  return self->status.blocked || self->status.pin_retries == 0;
}

gboolean
sv_pin_dialog_needs_confirmation (SvPinDialog *self)
{
  g_return_val_if_fail (SV_IS_PIN_DIALOG (self), FALSE);

  if (sv_pin_dialog_is_puk_mode (self))
    return self->status.puk_retries == 1;
  return self->status.pin_retries == 1;
}

static void
update_state (SvPinDialog *self)
{
  const char *secret = gtk_editable_get_text (GTK_EDITABLE (self->secret_row));
  gboolean puk = sv_pin_dialog_is_puk_mode (self);
  gboolean valid;

  if (puk)
    {
      const char *new_pin = gtk_editable_get_text (GTK_EDITABLE (self->new_pin_row));
      const char *confirm = gtk_editable_get_text (GTK_EDITABLE (self->confirm_pin_row));

      valid = is_digits (secret, 8, 8) && is_digits (new_pin, 4, 8) &&
              g_str_equal (new_pin, confirm);
    }
  else
    {
      valid = is_digits (secret, 4, 8);
    }

  if (sv_pin_dialog_needs_confirmation (self))
    valid = valid && gtk_check_button_get_active (self->last_try_check);

  gtk_widget_set_sensitive (self->submit_button, valid && !self->busy && self->status.puk_retries + self->status.pin_retries > 0);
}

static void
apply_status (SvPinDialog *self)
{
  gboolean puk = sv_pin_dialog_is_puk_mode (self);
  g_autofree char *description = NULL;

  adw_window_title_set_title (self->window_title, puk ? _("PIN Blocked") : _("Enter PIN"));
  adw_window_title_set_subtitle (self->window_title, self->reader_name);

  if (puk && self->status.puk_retries == 0)
    description = g_strdup (_("The PUK is blocked too. This card cannot be unlocked any more; ask the operator for a replacement."));
  else if (puk)
    description = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                "The PIN was entered wrongly too often. Enter the PUK (8 digits, on the card holder's documents) and a new PIN. %u PUK try left.",
                                                "The PIN was entered wrongly too often. Enter the PUK (8 digits, on the card holder's documents) and a new PIN. %u PUK tries left.",
                                                self->status.puk_retries),
                                   self->status.puk_retries);
  else
    description = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                "The card is locked with a PIN. %u try left.",
                                                "The card is locked with a PIN. %u tries left.",
                                                self->status.pin_retries),
                                   self->status.pin_retries);
  adw_preferences_group_set_description (self->group, description);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->secret_row), puk ? _("PUK") : _("PIN"));
  gtk_widget_set_visible (GTK_WIDGET (self->new_pin_row), puk);
  gtk_widget_set_visible (GTK_WIDGET (self->confirm_pin_row), puk);
  gtk_button_set_label (GTK_BUTTON (self->submit_button), puk ? _("_Unblock") : _("_Unlock"));

  gtk_widget_set_visible (GTK_WIDGET (self->last_try_check), sv_pin_dialog_needs_confirmation (self));
  gtk_check_button_set_active (self->last_try_check, FALSE);
  gtk_check_button_set_label (self->last_try_check,
                              puk ? _("This is the last PUK try: a wrong PUK makes the card unusable for good. Try anyway.")
                                  : _("This is the last try: a wrong PIN blocks the card and the PUK will be needed. Try anyway."));

  update_state (self);
}

static void
changed_cb (SvPinDialog *self)
{
  update_state (self);
}

static void
clear_entry (AdwEntryRow *row)
{
  gtk_editable_set_text (GTK_EDITABLE (row), "");
}

static void
submit_clicked_cb (SvPinDialog *self)
{
  g_autofree char *secret = NULL;
  g_autofree char *new_pin = NULL;

  if (!gtk_widget_get_sensitive (self->submit_button))
    return;

  secret = g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->secret_row)));
  if (sv_pin_dialog_is_puk_mode (self))
    new_pin = g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->new_pin_row)));

  /* The entries are emptied at once so the secret lives in as few places
   * as possible; the copies are wiped after the handlers ran. */
  clear_entry (self->secret_row);
  clear_entry (self->new_pin_row);
  clear_entry (self->confirm_pin_row);

  sv_pin_dialog_set_busy (self, TRUE);
  g_signal_emit (self, signals[SUBMIT], 0, secret, new_pin,
                 sv_pin_dialog_needs_confirmation (self));

  sv_pin_wipe (secret);
  if (new_pin != NULL)
    sv_pin_wipe (new_pin);
}

static void
sv_pin_dialog_finalize (GObject *object)
{
  SvPinDialog *self = SV_PIN_DIALOG (object);

  g_clear_pointer (&self->reader_name, g_free);

  G_OBJECT_CLASS (sv_pin_dialog_parent_class)->finalize (object);
}

static void
sv_pin_dialog_class_init (SvPinDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = sv_pin_dialog_finalize;

  /**
   * SvPinDialog::submit:
   * @secret: the PIN, or the PUK in PUK mode
   * @new_pin: (nullable): the new PIN in PUK mode
   * @confirmed_last_try: the user ticked the last-try confirmation
   *
   * The strings are wiped when the handlers return: copy what you keep,
   * and wipe your copies.
   */
  signals[SUBMIT] =
    g_signal_new ("submit", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 3,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                  G_TYPE_BOOLEAN);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PREFIX "/ui/sv-pin-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, SvPinDialog, window_title);
  gtk_widget_class_bind_template_child (widget_class, SvPinDialog, submit_button);
  gtk_widget_class_bind_template_child (widget_class, SvPinDialog, group);
  gtk_widget_class_bind_template_child (widget_class, SvPinDialog, secret_row);
  gtk_widget_class_bind_template_child (widget_class, SvPinDialog, new_pin_row);
  gtk_widget_class_bind_template_child (widget_class, SvPinDialog, confirm_pin_row);
  gtk_widget_class_bind_template_child (widget_class, SvPinDialog, error_label);
  gtk_widget_class_bind_template_child (widget_class, SvPinDialog, last_try_check);
  gtk_widget_class_bind_template_callback (widget_class, changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, submit_clicked_cb);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
sv_pin_dialog_init (SvPinDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

/**
 * sv_pin_dialog_new:
 * @reader_name: the reader, shown so the user knows which card is meant
 * @status: the PIN state read from the card before asking
 */
SvPinDialog *
sv_pin_dialog_new (GtkWindow         *parent,
                   const char        *reader_name,
                   const SvPinStatus *status)
{
  SvPinDialog *self;

  g_return_val_if_fail (status != NULL, NULL);

  self = g_object_new (SV_TYPE_PIN_DIALOG, "transient-for", parent, NULL);
  self->reader_name = g_strdup (reader_name);
  self->status = *status;
  apply_status (self);
  gtk_widget_grab_focus (GTK_WIDGET (self->secret_row));

  return self;
}

/**
 * sv_pin_dialog_set_status:
 * @status: the PIN state after the last attempt
 * @error_text: (nullable): why the last attempt failed
 */
void
sv_pin_dialog_set_status (SvPinDialog       *self,
                          const SvPinStatus *status,
                          const char        *error_text)
{
  g_return_if_fail (SV_IS_PIN_DIALOG (self));

  self->status = *status;
  self->busy = FALSE;
  gtk_label_set_text (self->error_label, error_text ? error_text : "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), error_text != NULL);
  apply_status (self);
  gtk_widget_grab_focus (GTK_WIDGET (self->secret_row));
}

/**
 * sv_pin_dialog_is_busy:
 *
 * Returns: whether an attempt was submitted and its answer not given yet
 */
gboolean
sv_pin_dialog_is_busy (SvPinDialog *self)
{
  g_return_val_if_fail (SV_IS_PIN_DIALOG (self), FALSE);

  return self->busy;
}

void
sv_pin_dialog_set_busy (SvPinDialog *self,
                        gboolean     busy)
{
  g_return_if_fail (SV_IS_PIN_DIALOG (self));

  self->busy = busy;
  update_state (self);
}
