/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Adds or edits one contact, validated live against the card it is meant
 * for: the name is measured in the alpha coding that will be used, the
 * number against the EXT1 records still free, extra numbers and e-mails
 * against the files of the phonebook set. Saving is refused while anything
 * does not fit; the editor only emits ::save, the caller stores.
 */
#define G_LOG_DOMAIN "sv-contact-editor"

#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>

#include "sv-alpha.h"
#include "sv-contact-editor.h"
#include "sv-phonebook.h"

struct _SvContactEditor
{
  AdwWindow             parent_instance;

  AdwWindowTitle       *window_title;
  GtkWidget            *save_button;
  AdwEntryRow          *name_row;
  AdwEntryRow          *number_row;
  AdwEntryRow          *second_name_row;
  GtkSpinButton        *index_spin;
  GtkAdjustment        *index_adjustment;
  AdwPreferencesGroup  *extra_numbers_group;
  AdwPreferencesGroup  *emails_group;
  GtkLabel             *encoding_label;
  GtkLabel             *problems_label;

  SvCardImage          *image;
  SvPhonebookLimits     limits;
  guint                 set;
  GPtrArray            *anr_rows;
  GPtrArray            *email_rows;
  GPtrArray            *problems;
  char                 *encoding_text;
};

G_DEFINE_FINAL_TYPE (SvContactEditor, sv_contact_editor, ADW_TYPE_WINDOW)

enum {
  SAVE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static char **
collect_rows (GPtrArray *rows)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = 0; i < rows->len; i++)
    {
      const char *text = gtk_editable_get_text (GTK_EDITABLE (g_ptr_array_index (rows, i)));

      /* Keep the position: slot 2 stays slot 2 even when slot 1 is empty. */
      g_strv_builder_add (builder, text);
    }

  return g_strv_builder_end (builder);
}

/* Trailing empty slots are not entries. */
static void
trim_empty_tail (char **values)
{
  guint n = values ? g_strv_length (values) : 0;

  while (n > 0 && *values[n - 1] == '\0')
    {
      g_free (values[n - 1]);
      values[--n] = NULL;
    }
}

SvContact *
sv_contact_editor_dup_contact (SvContactEditor *self)
{
  g_auto(GStrv) anrs = collect_rows (self->anr_rows);
  g_auto(GStrv) emails = collect_rows (self->email_rows);
  g_autofree char *number = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->number_row))));

  trim_empty_tail (anrs);
  trim_empty_tail (emails);

  return sv_contact_new (self->set,
                         (guint) gtk_spin_button_get_value_as_int (self->index_spin),
                         gtk_editable_get_text (GTK_EDITABLE (self->name_row)),
                         number,
                         (const char * const *) anrs,
                         (const char * const *) emails,
                         gtk_editable_get_text (GTK_EDITABLE (self->second_name_row)));
}

static const char *
scheme_label (SvAlphaScheme scheme)
{
  switch (scheme)
    {
    case SV_ALPHA_SCHEME_GSM:
      return _("GSM 7-bit");
    case SV_ALPHA_SCHEME_UCS2_80:
      return _("UCS2 (0x80)");
    case SV_ALPHA_SCHEME_UCS2_81:
      return _("UCS2 (0x81)");
    case SV_ALPHA_SCHEME_UCS2_82:
      return _("UCS2 (0x82)");
    default:
      return "";
    }
}

static void
mark_row (GtkWidget *row,
          gboolean   bad)
{
  if (bad)
    gtk_widget_add_css_class (row, "error");
  else
    gtk_widget_remove_css_class (row, "error");
}

static GtkWidget *
row_for_field (SvContactEditor *self,
               const char      *field)
{
  guint slot;

  if (g_str_equal (field, "name"))
    return GTK_WIDGET (self->name_row);
  if (g_str_equal (field, "number"))
    return GTK_WIDGET (self->number_row);
  if (g_str_equal (field, "second_name"))
    return GTK_WIDGET (self->second_name_row);
  if (g_str_equal (field, "index"))
    return GTK_WIDGET (self->index_spin);
  if (sscanf (field, "additional_numbers[%u]", &slot) == 1 && slot < self->anr_rows->len)
    return g_ptr_array_index (self->anr_rows, slot);
  if (sscanf (field, "emails[%u]", &slot) == 1 && slot < self->email_rows->len)
    return g_ptr_array_index (self->email_rows, slot);

  return NULL;
}

static void
validate (SvContactEditor *self)
{
  g_autoptr(SvContact) contact = sv_contact_editor_dup_contact (self);
  g_autoptr(GString) messages = g_string_new (NULL);
  const char *name = sv_contact_get_name (contact);
  SvAlphaFit fit;
  GtkWidget *rows[] = {
    GTK_WIDGET (self->name_row), GTK_WIDGET (self->number_row),
    GTK_WIDGET (self->second_name_row), GTK_WIDGET (self->index_spin),
  };

  g_clear_pointer (&self->problems, g_ptr_array_unref);
  self->problems = sv_phonebook_check_contact (self->image, contact);

  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    mark_row (rows[i], FALSE);
  for (guint i = 0; i < self->anr_rows->len; i++)
    mark_row (g_ptr_array_index (self->anr_rows, i), FALSE);
  for (guint i = 0; i < self->email_rows->len; i++)
    mark_row (g_ptr_array_index (self->email_rows, i), FALSE);

  for (guint i = 0; i < self->problems->len; i++)
    {
      SvFitProblem *problem = g_ptr_array_index (self->problems, i);
      GtkWidget *row = row_for_field (self, problem->field);

      if (row != NULL)
        mark_row (row, TRUE);
      /* The name is explained by the encoding line below, in the user's
       * language. */
      if (g_str_equal (problem->field, "name"))
        continue;
      if (messages->len > 0)
        g_string_append_c (messages, '\n');
      g_string_append (messages, problem->message);
    }
  gtk_label_set_text (self->problems_label, messages->str);
  gtk_widget_set_visible (GTK_WIDGET (self->problems_label), messages->len > 0);

  /* Tell the technician how the name will be stored, before it is too
   * late: "UCS2 (0x81), 9 of 14 characters". */
  g_clear_pointer (&self->encoding_text, g_free);
  sv_alpha_measure (name, self->limits.alpha_len, &fit);
  if (*name == '\0')
    self->encoding_text = g_strdup_printf (_("Names on this card can have up to %u bytes."),
                                           self->limits.alpha_len);
  else if (fit.fits)
    self->encoding_text = g_strdup_printf (_("Stored as %s, %u of %u bytes used."),
                                           scheme_label (fit.scheme), (guint) fit.n_bytes,
                                           self->limits.alpha_len);
  else
    self->encoding_text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                        "%u character too long for this card (%s): %u of %u fit.",
                                                        "%u characters too long for this card (%s): %u of %u fit.",
                                                        fit.n_chars - fit.n_chars_fit),
                                           fit.n_chars - fit.n_chars_fit, scheme_label (fit.scheme),
                                           fit.n_chars_fit, fit.n_chars);
  gtk_label_set_text (self->encoding_label, self->encoding_text);

  gtk_widget_set_sensitive (self->save_button,
                            self->problems->len == 0 &&
                            (*name != '\0' || *sv_contact_get_number (contact) != '\0'));
}

static void
field_changed_cb (SvContactEditor *self)
{
  validate (self);
}

static void
save_clicked_cb (SvContactEditor *self)
{
  g_autoptr(SvContact) contact = NULL;

  validate (self);
  if (self->problems->len > 0)
    return;

  contact = sv_contact_editor_dup_contact (self);
  g_signal_emit (self, signals[SAVE], 0, contact);
  gtk_window_destroy (GTK_WINDOW (self));
}

static GtkWidget *
add_entry_row (SvContactEditor     *self,
               AdwPreferencesGroup *group,
               GPtrArray           *rows,
               const char          *title,
               const char          *value,
               GtkInputPurpose      purpose)
{
  GtkWidget *row = adw_entry_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  gtk_editable_set_text (GTK_EDITABLE (row), value ? value : "");
  adw_entry_row_set_input_purpose (ADW_ENTRY_ROW (row), purpose);
  g_signal_connect_object (row, "changed", G_CALLBACK (field_changed_cb), self, G_CONNECT_SWAPPED);
  adw_preferences_group_add (group, row);
  g_ptr_array_add (rows, row);

  return row;
}

static void
sv_contact_editor_dispose (GObject *object)
{
  SvContactEditor *self = SV_CONTACT_EDITOR (object);

  g_clear_object (&self->image);

  G_OBJECT_CLASS (sv_contact_editor_parent_class)->dispose (object);
}

static void
sv_contact_editor_finalize (GObject *object)
{
  SvContactEditor *self = SV_CONTACT_EDITOR (object);

  g_clear_pointer (&self->anr_rows, g_ptr_array_unref);
  g_clear_pointer (&self->email_rows, g_ptr_array_unref);
  g_clear_pointer (&self->problems, g_ptr_array_unref);
  g_clear_pointer (&self->encoding_text, g_free);

  G_OBJECT_CLASS (sv_contact_editor_parent_class)->finalize (object);
}

static void
sv_contact_editor_class_init (SvContactEditorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sv_contact_editor_dispose;
  object_class->finalize = sv_contact_editor_finalize;

  /**
   * SvContactEditor::save:
   * @contact: the contact as entered, placed at its set and index
   */
  signals[SAVE] =
    g_signal_new ("save", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, SV_TYPE_CONTACT);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PREFIX "/ui/sv-contact-editor.ui");
  gtk_widget_class_bind_template_child (widget_class, SvContactEditor, window_title);
  gtk_widget_class_bind_template_child (widget_class, SvContactEditor, save_button);
  gtk_widget_class_bind_template_child (widget_class, SvContactEditor, name_row);
  gtk_widget_class_bind_template_child (widget_class, SvContactEditor, number_row);
  gtk_widget_class_bind_template_child (widget_class, SvContactEditor, second_name_row);
  gtk_widget_class_bind_template_child (widget_class, SvContactEditor, index_spin);
  gtk_widget_class_bind_template_child (widget_class, SvContactEditor, index_adjustment);
  gtk_widget_class_bind_template_child (widget_class, SvContactEditor, extra_numbers_group);
  gtk_widget_class_bind_template_child (widget_class, SvContactEditor, emails_group);
  gtk_widget_class_bind_template_child (widget_class, SvContactEditor, encoding_label);
  gtk_widget_class_bind_template_child (widget_class, SvContactEditor, problems_label);
  gtk_widget_class_bind_template_callback (widget_class, field_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, save_clicked_cb);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
sv_contact_editor_init (SvContactEditor *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->anr_rows = g_ptr_array_new ();
  self->email_rows = g_ptr_array_new ();
}

/**
 * sv_contact_editor_new:
 * @image: the card's working image, for limits and validation
 * @contact: (nullable): the contact to edit; %NULL for a new one
 * @set: the phonebook set of a new contact
 * @index: the record of a new contact (a free one)
 */
SvContactEditor *
sv_contact_editor_new (GtkWindow       *parent,
                       SvCardImage     *image,
                       const SvContact *contact,
                       guint            set,
                       guint            index)
{
  SvContactEditor *self;
  g_autoptr(GError) error = NULL;
  const char * const *anrs = NULL;
  const char * const *emails = NULL;

  g_return_val_if_fail (SV_IS_CARD_IMAGE (image), NULL);

  self = g_object_new (SV_TYPE_CONTACT_EDITOR, "transient-for", parent, NULL);
  self->image = g_object_ref (image);
  self->set = contact != NULL ? sv_contact_get_set (contact) : set;
  if (!sv_phonebook_get_limits (image, self->set, &self->limits, &error))
    g_debug ("No phonebook limits for set %u: %s", self->set, error->message);

  adw_window_title_set_title (self->window_title,
                              contact != NULL ? _("Edit Contact") : _("New Contact"));
  gtk_adjustment_set_upper (self->index_adjustment, MAX (self->limits.n_records, 1));
  gtk_spin_button_set_value (self->index_spin, contact != NULL ? sv_contact_get_index (contact) : index);
  /* An existing contact stays where it is; moving is delete + add. */
  gtk_widget_set_sensitive (GTK_WIDGET (self->index_spin), contact == NULL);

  if (contact != NULL)
    {
      gtk_editable_set_text (GTK_EDITABLE (self->name_row), sv_contact_get_name (contact));
      gtk_editable_set_text (GTK_EDITABLE (self->number_row), sv_contact_get_number (contact));
      gtk_editable_set_text (GTK_EDITABLE (self->second_name_row), sv_contact_get_second_name (contact));
      anrs = sv_contact_get_additional_numbers (contact);
      emails = sv_contact_get_emails (contact);
    }

  gtk_widget_set_visible (GTK_WIDGET (self->second_name_row), self->limits.sne_len > 0);
  gtk_widget_set_visible (GTK_WIDGET (self->extra_numbers_group), self->limits.n_anr > 0);
  gtk_widget_set_visible (GTK_WIDGET (self->emails_group), self->limits.n_email > 0);

  for (guint i = 0; i < self->limits.n_anr; i++)
    {
      g_autofree char *title = g_strdup_printf (_("Number %u"), i + 2);
      const char *value = anrs != NULL && i < g_strv_length ((char **) anrs) ? anrs[i] : NULL;

      add_entry_row (self, self->extra_numbers_group, self->anr_rows, title, value, GTK_INPUT_PURPOSE_PHONE);
    }
  for (guint i = 0; i < self->limits.n_email; i++)
    {
      g_autofree char *title = self->limits.n_email > 1 ? g_strdup_printf (_("E-mail %u"), i + 1)
                                                        : g_strdup (_("E-mail"));
      const char *value = emails != NULL && i < g_strv_length ((char **) emails) ? emails[i] : NULL;

      add_entry_row (self, self->emails_group, self->email_rows, title, value, GTK_INPUT_PURPOSE_EMAIL);
    }

  validate (self);

  return self;
}

/**
 * sv_contact_editor_get_problems:
 *
 * Returns: (transfer none) (element-type SvFitProblem): what does not fit
 *   the card as the fields are now
 */
GPtrArray *
sv_contact_editor_get_problems (SvContactEditor *self)
{
  g_return_val_if_fail (SV_IS_CONTACT_EDITOR (self), NULL);

  return self->problems;
}

void
sv_contact_editor_set_name (SvContactEditor *self,
                            const char      *name)
{
  g_return_if_fail (SV_IS_CONTACT_EDITOR (self));

  gtk_editable_set_text (GTK_EDITABLE (self->name_row), name);
}

void
sv_contact_editor_set_number (SvContactEditor *self,
                              const char      *number)
{
  g_return_if_fail (SV_IS_CONTACT_EDITOR (self));

  gtk_editable_set_text (GTK_EDITABLE (self->number_row), number);
}

const char *
sv_contact_editor_get_encoding_text (SvContactEditor *self)
{
  g_return_val_if_fail (SV_IS_CONTACT_EDITOR (self), NULL);

  return self->encoding_text;
}
