/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One card from the local mirror: its contacts, messages and identity.
 * Works without the card: every edit goes to the mirror (in a worker
 * thread) and becomes a pending change that "Write to Card" applies later.
 * Each edit is one undo step, offered in a toast.
 *
 * This file loads and shows the card; the edits, the actions and the New
 * Message dialog are in sv-card-view-actions.c.
 */
#define G_LOG_DOMAIN "sv-card-view"

#include "config.h"

#include <glib/gi18n.h>

#include "sv-account-group.h"
#include "sv-mirror-worker.h"
#include "sv-phonebook.h"

#include "sv-card-view-private.h"

G_DEFINE_FINAL_TYPE (SvCardView, sv_card_view, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_ICCID,
  PROP_N_PENDING,
  PROP_LOADING,
  N_PROPS
};

enum {
  CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* What one load brings back from the worker. */
typedef struct
{
  SvMirrorCard *card;
  SvCardImage  *image;
  GPtrArray    *contacts;
  GPtrArray    *messages;
  GPtrArray    *history;
} CardData;

static void
card_data_free (CardData *data)
{
  g_clear_pointer (&data->card, sv_mirror_card_free);
  g_clear_object (&data->image);
  g_clear_pointer (&data->contacts, g_ptr_array_unref);
  g_clear_pointer (&data->messages, g_ptr_array_unref);
  g_clear_pointer (&data->history, g_ptr_array_unref);
  g_free (data);
}

void
sv_card_view_show_toast (SvCardView *self,
                         const char *title,
                         gboolean    with_undo)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);
  AdwToast *toast;

  if (overlay == NULL)
    return;

  toast = adw_toast_new (title);
  if (with_undo)
    {
      adw_toast_set_button_label (toast, _("_Undo"));
      adw_toast_set_action_name (toast, "card.undo");
    }
  adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), toast);
}

static void
update_actions (SvCardView *self)
{
  g_autoptr(GPtrArray) selected = sv_contacts_page_get_selected (self->contacts_page);
  gboolean ready = self->image != NULL && !self->loading;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "card.add-contact", ready);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "card.new-message", ready);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "card.edit-contact", ready && selected->len == 1);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "card.duplicate-contact", ready && selected->len == 1);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "card.delete-contacts", ready && selected->len > 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "card.undo", ready);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "card.discard", ready && self->n_pending > 0);
}

static void
selection_changed_cb (SvCardView *self)
{
  update_actions (self);
}

static void
set_subtitle (AdwActionRow *row,
              const char   *value)
{
  adw_action_row_set_subtitle (row, value != NULL && *value != '\0' ? value : _("Unknown"));
}

static void
update_capacity (SvCardView *self)
{
  guint n_sets = sv_phonebook_get_n_sets (self->image);
  guint first_set = sv_card_image_lookup (self->image, "pbr") != NULL ? 1 : 0;
  guint total_records = 0;
  g_autofree char *usage = NULL;

  for (guint i = 0; i < self->capacity_rows->len; i++)
    adw_preferences_group_remove (self->capacity_group, g_ptr_array_index (self->capacity_rows, i));
  g_ptr_array_set_size (self->capacity_rows, 0);

  for (guint set = first_set; set < first_set + n_sets; set++)
    {
      SvPhonebookLimits limits;
      GtkWidget *row;
      g_autofree char *title = NULL;
      g_autofree char *subtitle = NULL;

      if (!sv_phonebook_get_limits (self->image, set, &limits, NULL))
        continue;

      total_records += limits.n_records;
      title = n_sets > 1 ? g_strdup_printf (_("Phonebook Set %u"), set) : g_strdup (_("Phonebook"));
      subtitle = g_strdup_printf (_("%u records, names up to %u bytes, %u of %u extension records free"),
                                  limits.n_records, limits.alpha_len,
                                  limits.n_ext1_free, limits.n_ext1_records);
      row = adw_action_row_new ();
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      gtk_widget_add_css_class (row, "property");
      adw_preferences_group_add (self->capacity_group, row);
      g_ptr_array_add (self->capacity_rows, row);
    }

  {
    GtkWidget *row = adw_action_row_new ();
    g_autofree char *subtitle = g_strdup_printf (_("%u records"), sv_card_image_get_sms_capacity (self->image));

    adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("Short Messages"));
    adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
    gtk_widget_add_css_class (row, "property");
    adw_preferences_group_add (self->capacity_group, row);
    g_ptr_array_add (self->capacity_rows, row);
  }

  usage = g_strdup_printf (_("%u of %u used"), self->contacts ? self->contacts->len : 0, total_records);
  gtk_label_set_text (self->usage_label, usage);
}

static const char *
history_op_label (SvHistoryOp op)
{
  switch (op)
    {
    case SV_HISTORY_READ:
      return _("Read from the card");
    case SV_HISTORY_EDIT:
      return _("Edited");
    case SV_HISTORY_WRITE:
      return _("Written to the card");
    case SV_HISTORY_BACKUP:
      return _("Backed up");
    case SV_HISTORY_RESTORE:
      return _("Restored");
    case SV_HISTORY_IMPORT:
      return _("Imported");
    case SV_HISTORY_UNDO:
      return _("Undone");
    case SV_HISTORY_LABEL:
      return _("Labelled");
    case SV_HISTORY_DELETE:
    default:
      return _("Deleted");
    }
}

/* The newest 50 entries of the card's history, newest first. */
static void
update_history (SvCardView *self,
                GPtrArray  *history)
{
  guint shown = 0;

  for (guint i = 0; i < self->history_rows->len; i++)
    adw_expander_row_remove (self->history_row, g_ptr_array_index (self->history_rows, i));
  g_ptr_array_set_size (self->history_rows, 0);

  for (guint i = history->len; i > 0 && shown < 50; i--, shown++)
    {
      SvMirrorHistoryEntry *entry = g_ptr_array_index (history, i - 1);
      g_autoptr(GDateTime) when = g_date_time_new_from_unix_local (entry->at);
      g_autofree char *title = g_date_time_format (when, "%x %X");
      g_autofree char *subtitle = g_strdup_printf ("%s · %s", history_op_label (entry->op),
                                                   entry->detail != NULL ? entry->detail : "");
      GtkWidget *row = adw_action_row_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      adw_expander_row_add_row (self->history_row, row);
      g_ptr_array_add (self->history_rows, row);
    }

  {
    g_autofree char *count = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u entry", "%u entries",
                                                           history->len), history->len);

    adw_expander_row_set_subtitle (self->history_row, count);
  }
}

static void
apply_card_data (SvCardView *self,
                 CardData   *data)
{
  g_autofree char *imsi = sv_card_image_dup_imsi (data->image);
  g_autofree char *spn = sv_card_image_dup_spn (data->image);
  g_autofree char *pending = NULL;
  g_autofree char *read_at = NULL;

  g_set_object (&self->image, data->image);
  g_clear_pointer (&self->contacts, g_ptr_array_unref);
  self->contacts = g_ptr_array_ref (data->contacts);

  sv_contacts_page_set_contacts (self->contacts_page, data->contacts);
  sv_messages_page_set_messages (self->messages_page, data->messages);

  gtk_editable_set_text (GTK_EDITABLE (self->label_row), data->card->label ? data->card->label : "");
  set_subtitle (self->iccid_row, data->card->iccid);
  set_subtitle (self->number_row, data->card->phone_number);
  set_subtitle (self->imsi_row, imsi);
  set_subtitle (self->spn_row, spn);
  adw_action_row_set_subtitle (self->type_row,
                               data->card->card_type == SV_CARD_TYPE_USIM ? _("USIM (3G/4G)") : _("SIM (2G)"));

  if (data->card->read_at > 0)
    {
      g_autoptr(GDateTime) when = g_date_time_new_from_unix_local (data->card->read_at);

      read_at = g_date_time_format (when, "%x %X");
    }
  set_subtitle (self->read_at_row, read_at);

  if (self->n_pending != data->card->n_pending)
    {
      self->n_pending = data->card->n_pending;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_PENDING]);
    }
  pending = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u record", "%u records", self->n_pending),
                             self->n_pending);
  adw_action_row_set_subtitle (self->pending_row, pending);

  update_history (self, data->history);
  update_capacity (self);
  update_actions (self);
}

static gpointer
load_card_worker (SvMirror      *mirror,
                  gpointer       user_data,
                  GCancellable  *cancellable,
                  GError       **error)
{
  const char *iccid = user_data;
  CardData *data = g_new0 (CardData, 1);

  if ((data->card = sv_mirror_get_card (mirror, iccid, error)) == NULL ||
      (data->image = sv_mirror_load_image (mirror, iccid, TRUE, error)) == NULL ||
      (data->contacts = sv_mirror_list_contacts (mirror, iccid, error)) == NULL ||
      (data->messages = sv_mirror_list_messages (mirror, iccid, error)) == NULL ||
      (data->history = sv_mirror_get_history (mirror, iccid, error)) == NULL)
    {
      card_data_free (data);
      return NULL;
    }

  return data;
}

void
sv_card_view_set_loading (SvCardView *self,
                          gboolean    loading)
{
  if (self->loading == !!loading)
    return;

  self->loading = !!loading;
  update_actions (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
}

static void
load_card_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(SvCardView) self = user_data;
  g_autoptr(GError) error = NULL;
  CardData *data = sv_mirror_worker_finish (result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  sv_card_view_set_loading (self, FALSE);
  if (data == NULL)
    {
      sv_card_view_show_toast (self, error->message, FALSE);
      return;
    }

  apply_card_data (self, data);
  card_data_free (data);
}

/**
 * sv_card_view_load:
 * @db_path: (nullable): the mirror file; %NULL for the default one
 * @iccid: the card
 *
 * Shows @iccid from the mirror; loads in a worker thread.
 */
void
sv_card_view_load (SvCardView *self,
                   const char *db_path,
                   const char *iccid)
{
  g_return_if_fail (SV_IS_CARD_VIEW (self));
  g_return_if_fail (iccid != NULL);

  if (g_strcmp0 (self->iccid, iccid) != 0)
    {
      g_free (self->iccid);
      self->iccid = g_strdup (iccid);
      g_clear_object (&self->image);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ICCID]);
    }
  if (g_strcmp0 (self->db_path, db_path) != 0)
    {
      g_free (self->db_path);
      self->db_path = g_strdup (db_path);
    }

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();

  sv_card_view_set_loading (self, TRUE);
  sv_account_group_load (self->account_group, self->db_path, iccid);
  sv_mirror_worker_run (self->db_path, load_card_worker, g_strdup (iccid), g_free,
                        (GDestroyNotify) card_data_free, self->cancellable,
                        load_card_cb, g_object_ref (self));
}

void
sv_card_view_reload (SvCardView *self)
{
  g_return_if_fail (SV_IS_CARD_VIEW (self));

  if (self->iccid != NULL)
    sv_card_view_load (self, self->db_path, self->iccid);
}

void
sv_card_view_emit_changed (SvCardView *self)
{
  g_signal_emit (self, signals[CHANGED], 0);
}

/* Template callbacks. */

static void
edit_contact_cb (SvCardView *self,
                 SvContact  *contact)
{
  if (self->image != NULL && !self->loading)
    sv_card_view_open_editor (self, contact, 0, 0, NULL);
}

static void
update_messages_cb (SvCardView      *self,
                    GArray          *records,
                    SvMessageStatus  status)
{
  sv_card_view_update_messages (self, records, status);
}

static void
label_apply_cb (SvCardView *self)
{
  sv_card_view_save_label (self, gtk_editable_get_text (GTK_EDITABLE (self->label_row)));
}

/* A conflict settled with the server's version changed the local copy. */
static void
account_mirror_changed_cb (SvCardView *self)
{
  sv_card_view_reload (self);
  g_signal_emit (self, signals[CHANGED], 0);
}

static void
sv_card_view_dispose (GObject *object)
{
  SvCardView *self = SV_CARD_VIEW (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->contacts_page != NULL)
    g_signal_handlers_disconnect_by_data (sv_contacts_page_get_model (self->contacts_page), self);
  adw_bin_set_child (ADW_BIN (self), NULL);
  g_clear_object (&self->image);
  g_clear_pointer (&self->contacts, g_ptr_array_unref);

  G_OBJECT_CLASS (sv_card_view_parent_class)->dispose (object);
}

static void
sv_card_view_finalize (GObject *object)
{
  SvCardView *self = SV_CARD_VIEW (object);

  g_clear_pointer (&self->capacity_rows, g_ptr_array_unref);
  g_clear_pointer (&self->history_rows, g_ptr_array_unref);
  g_clear_pointer (&self->db_path, g_free);
  g_clear_pointer (&self->iccid, g_free);

  G_OBJECT_CLASS (sv_card_view_parent_class)->finalize (object);
}

static void
sv_card_view_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  SvCardView *self = SV_CARD_VIEW (object);

  switch (prop_id)
    {
    case PROP_ICCID:
      g_value_set_string (value, self->iccid);
      break;

    case PROP_N_PENDING:
      g_value_set_uint (value, self->n_pending);
      break;

    case PROP_LOADING:
      g_value_set_boolean (value, self->loading);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sv_card_view_class_init (SvCardViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sv_card_view_dispose;
  object_class->finalize = sv_card_view_finalize;
  object_class->get_property = sv_card_view_get_property;

  properties[PROP_ICCID] =
    g_param_spec_string ("iccid", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_PENDING] =
    g_param_spec_uint ("n-pending", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LOADING] =
    g_param_spec_boolean ("loading", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * SvCardView::changed:
   *
   * The card's records in the mirror changed (an edit or an undo).
   */
  signals[CHANGED] =
    g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  g_type_ensure (SV_TYPE_CONTACTS_PAGE);
  g_type_ensure (SV_TYPE_MESSAGES_PAGE);
  g_type_ensure (SV_TYPE_ACCOUNT_GROUP);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PREFIX "/ui/sv-card-view.ui");
  gtk_widget_class_bind_template_child (widget_class, SvCardView, view_stack);
  gtk_widget_class_bind_template_child (widget_class, SvCardView, switcher_bar);
  gtk_widget_class_bind_template_child (widget_class, SvCardView, contacts_page);
  gtk_widget_class_bind_template_child (widget_class, SvCardView, messages_page);
  gtk_widget_class_bind_template_child (widget_class, SvCardView, usage_label);
  gtk_widget_class_bind_template_child (widget_class, SvCardView, label_row);
  gtk_widget_class_bind_template_child (widget_class, SvCardView, iccid_row);
  gtk_widget_class_bind_template_child (widget_class, SvCardView, number_row);
  gtk_widget_class_bind_template_child (widget_class, SvCardView, imsi_row);
  gtk_widget_class_bind_template_child (widget_class, SvCardView, type_row);
  gtk_widget_class_bind_template_child (widget_class, SvCardView, spn_row);
  gtk_widget_class_bind_template_child (widget_class, SvCardView, capacity_group);
  gtk_widget_class_bind_template_child (widget_class, SvCardView, read_at_row);
  gtk_widget_class_bind_template_child (widget_class, SvCardView, pending_row);
  gtk_widget_class_bind_template_child (widget_class, SvCardView, history_row);
  gtk_widget_class_bind_template_child (widget_class, SvCardView, account_group);
  gtk_widget_class_bind_template_callback (widget_class, account_mirror_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, edit_contact_cb);
  gtk_widget_class_bind_template_callback (widget_class, update_messages_cb);
  gtk_widget_class_bind_template_callback (widget_class, label_apply_cb);

  sv_card_view_class_actions_init (widget_class);
}

static void
sv_card_view_init (SvCardView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->capacity_rows = g_ptr_array_new ();
  self->history_rows = g_ptr_array_new ();
  g_signal_connect_object (sv_contacts_page_get_model (self->contacts_page), "selection-changed",
                           G_CALLBACK (selection_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (sv_contacts_page_get_model (self->contacts_page), "items-changed",
                           G_CALLBACK (selection_changed_cb), self, G_CONNECT_SWAPPED);
  update_actions (self);
}

GtkWidget *
sv_card_view_new (void)
{
  return g_object_new (SV_TYPE_CARD_VIEW, NULL);
}

const char *
sv_card_view_get_iccid (SvCardView *self)
{
  g_return_val_if_fail (SV_IS_CARD_VIEW (self), NULL);

  return self->iccid;
}

/**
 * sv_card_view_get_image:
 *
 * Returns: (transfer none) (nullable): the working image shown
 */
SvCardImage *
sv_card_view_get_image (SvCardView *self)
{
  g_return_val_if_fail (SV_IS_CARD_VIEW (self), NULL);

  return self->image;
}

guint
sv_card_view_get_n_pending (SvCardView *self)
{
  g_return_val_if_fail (SV_IS_CARD_VIEW (self), 0);

  return self->n_pending;
}

AdwViewStack *
sv_card_view_get_view_stack (SvCardView *self)
{
  g_return_val_if_fail (SV_IS_CARD_VIEW (self), NULL);

  return self->view_stack;
}

/**
 * sv_card_view_get_switcher_bar:
 *
 * Returns: (transfer none): the bottom view switcher, for narrow windows
 */
AdwViewSwitcherBar *
sv_card_view_get_switcher_bar (SvCardView *self)
{
  g_return_val_if_fail (SV_IS_CARD_VIEW (self), NULL);

  return self->switcher_bar;
}

SvContactsPage *
sv_card_view_get_contacts_page (SvCardView *self)
{
  g_return_val_if_fail (SV_IS_CARD_VIEW (self), NULL);

  return self->contacts_page;
}

SvMessagesPage *
sv_card_view_get_messages_page (SvCardView *self)
{
  g_return_val_if_fail (SV_IS_CARD_VIEW (self), NULL);

  return self->messages_page;
}

gboolean
sv_card_view_is_loading (SvCardView *self)
{
  g_return_val_if_fail (SV_IS_CARD_VIEW (self), FALSE);

  return self->loading;
}

SvAccountGroup *
sv_card_view_get_account_group (SvCardView *self)
{
  g_return_val_if_fail (SV_IS_CARD_VIEW (self), NULL);

  return self->account_group;
}
