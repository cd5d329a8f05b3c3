/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The main window: the cards of the local mirror in a sidebar, the chosen
 * card in the content pane (AdwLeaflet folds the two at narrow widths),
 * status pages when there is nothing to show, a banner for problems that
 * stay, and a progress bar for long card work. Actions live in
 * sv-window-actions.c.
 */
#define G_LOG_DOMAIN "sv-window"

#include "config.h"

#include <glib/gi18n.h>

#include "sv-card-item.h"
#include "sv-mirror-worker.h"
#include "sv-window-private.h"

G_DEFINE_FINAL_TYPE (SvWindow, sv_window, ADW_TYPE_APPLICATION_WINDOW)

static void
save_window_state (SvWindow *self)
{
  SvApplication *app = SV_APPLICATION (gtk_window_get_application (GTK_WINDOW (self)));
  GSettings *settings;
  int width, height;

  if (app == NULL || (settings = sv_application_get_settings (app)) == NULL)
    return;

  gtk_window_get_default_size (GTK_WINDOW (self), &width, &height);
  g_settings_set_int (settings, "window-width", width);
  g_settings_set_int (settings, "window-height", height);
  g_settings_set_boolean (settings, "window-maximized",
                          gtk_window_is_maximized (GTK_WINDOW (self)));
}

void
sv_window_show_status (SvWindow   *self,
                       const char *icon_name,
                       const char *title,
                       const char *description)
{
  adw_status_page_set_icon_name (self->status_page, icon_name);
  adw_status_page_set_title (self->status_page, title);
  adw_status_page_set_description (self->status_page, description);
  gtk_stack_set_visible_child_name (self->main_stack, "status");
  adw_view_switcher_title_set_stack (self->switcher_title, NULL);
  adw_view_switcher_title_set_subtitle (self->switcher_title, NULL);
  sv_window_update_actions (self);
}

void
sv_window_show_card (SvWindow   *self,
                     const char *iccid)
{
  sv_card_view_load (self->card_view, self->db_path, iccid);
  adw_view_switcher_title_set_stack (self->switcher_title,
                                     sv_card_view_get_view_stack (self->card_view));
  adw_view_switcher_title_set_subtitle (self->switcher_title, iccid);
  gtk_stack_set_visible_child_name (self->main_stack, "card");
  adw_leaflet_set_visible_child (self->leaflet, self->content);
  sv_window_update_actions (self);
}

/**
 * sv_window_show_banner:
 * @action_name: (nullable): the action of the banner's button
 *
 * Shows a problem that stays until it is solved ("The card was removed
 * during writing"), unlike a toast.
 */
void
sv_window_show_banner (SvWindow   *self,
                       const char *text,
                       const char *button_label,
                       const char *action_name)
{
  gtk_label_set_text (self->banner_label, text);
  gtk_widget_set_visible (GTK_WIDGET (self->banner_button), button_label != NULL);
  if (button_label != NULL)
    gtk_button_set_label (self->banner_button, button_label);
  g_free (self->banner_action);
  self->banner_action = g_strdup (action_name);
  gtk_revealer_set_reveal_child (self->banner_revealer, TRUE);
}

/**
 * sv_window_hide_banner:
 *
 * Hides the banner's problem; work the last run left interrupted stays
 * announced there until it is finished.
 */
void
sv_window_hide_banner (SvWindow *self)
{
  if (sv_window_show_interrupted (self))
    return;
  gtk_revealer_set_reveal_child (self->banner_revealer, FALSE);
}

static void
banner_button_clicked_cb (SvWindow *self)
{
  if (self->banner_action != NULL)
    gtk_widget_activate_action (GTK_WIDGET (self), self->banner_action, NULL);
}

/**
 * sv_window_set_progress:
 * @text: "120 of 250 contacts"
 * @fraction: 0 to 1, or negative to pulse
 */
void
sv_window_set_progress (SvWindow   *self,
                        const char *text,
                        double      fraction)
{
  gtk_label_set_text (self->progress_label, text);
  if (fraction < 0)
    gtk_progress_bar_pulse (self->progress_bar);
  else
    gtk_progress_bar_set_fraction (self->progress_bar, CLAMP (fraction, 0.0, 1.0));
  gtk_revealer_set_reveal_child (self->progress_revealer, TRUE);
}

void
sv_window_end_progress (SvWindow *self)
{
  gtk_revealer_set_reveal_child (self->progress_revealer, FALSE);
}

static void
cancel_clicked_cb (SvWindow *self)
{
  g_cancellable_cancel (self->operation_cancellable);
}

static void
back_clicked_cb (SvWindow *self)
{
  adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_BACK);
}

/* The sidebar's list of mirrored cards. */

static void
setup_card_row_cb (GtkSignalListItemFactory *factory,
                   GtkListItem              *item,
                   gpointer                  user_data)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *title = gtk_label_new (NULL);
  GtkWidget *subtitle = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (title), 0);
  gtk_label_set_ellipsize (GTK_LABEL (title), PANGO_ELLIPSIZE_END);
  gtk_label_set_xalign (GTK_LABEL (subtitle), 0);
  gtk_label_set_ellipsize (GTK_LABEL (subtitle), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (subtitle, "caption");
  gtk_widget_add_css_class (subtitle, "dim-label");
  gtk_widget_set_margin_top (box, 6);
  gtk_widget_set_margin_bottom (box, 6);
  gtk_box_append (GTK_BOX (box), title);
  gtk_box_append (GTK_BOX (box), subtitle);
  gtk_list_item_set_child (item, box);
}

static void
bind_card_row_cb (GtkSignalListItemFactory *factory,
                  GtkListItem              *item,
                  gpointer                  user_data)
{
  SvCardItem *card = gtk_list_item_get_item (item);
  GtkWidget *title = gtk_widget_get_first_child (gtk_list_item_get_child (item));
  GtkWidget *subtitle = gtk_widget_get_next_sibling (title);

  gtk_label_set_text (GTK_LABEL (title), sv_card_item_get_title (card));
  gtk_label_set_text (GTK_LABEL (subtitle), sv_card_item_get_subtitle (card));
}

static void
card_activated_cb (SvWindow    *self,
                   guint        position,
                   GtkListView *view)
{
  g_autoptr(SvCardItem) card = g_list_model_get_item (G_LIST_MODEL (self->cards_selection), position);

  if (card != NULL)
    sv_window_show_card (self, sv_card_item_get_iccid (card));
}

static gpointer
list_cards_worker (SvMirror      *mirror,
                   gpointer       user_data,
                   GCancellable  *cancellable,
                   GError       **error)
{
  const char *query = user_data;

  if (query != NULL && *query != '\0')
    return sv_mirror_search_cards (mirror, query, error);

  return sv_mirror_list_cards (mirror, error);
}

static void
list_cards_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(SvWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) cards = sv_mirror_worker_finish (result, &error);
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);
  const char *shown = sv_card_view_get_iccid (self->card_view);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (cards == NULL)
    {
      sv_window_show_banner (self, error->message, NULL, NULL);
      return;
    }

  for (guint i = 0; i < cards->len; i++)
    g_ptr_array_add (items, sv_card_item_new (g_ptr_array_index (cards, i)));

  g_list_store_splice (self->cards, 0, g_list_model_get_n_items (G_LIST_MODEL (self->cards)),
                       items->pdata, items->len);

  /* Keep the shown card selected in the list. */
  gtk_single_selection_set_selected (self->cards_selection, GTK_INVALID_LIST_POSITION);
  for (guint i = 0; shown != NULL && i < items->len; i++)
    if (g_str_equal (sv_card_item_get_iccid (g_ptr_array_index (items, i)), shown))
      gtk_single_selection_set_selected (self->cards_selection, i);

  gtk_stack_set_visible_child_name (self->cards_stack, items->len > 0 ? "list" : "empty");
}

/**
 * sv_window_refresh_cards:
 *
 * Lists the mirror's cards again (filtered by the search entry), in a
 * worker thread.
 */
void
sv_window_refresh_cards (SvWindow *self)
{
  const char *query = gtk_editable_get_text (GTK_EDITABLE (self->cards_search));

  g_cancellable_cancel (self->cards_cancellable);
  g_clear_object (&self->cards_cancellable);
  self->cards_cancellable = g_cancellable_new ();

  sv_mirror_worker_run (self->db_path, list_cards_worker, g_strdup (query), g_free,
                        (GDestroyNotify) g_ptr_array_unref, self->cards_cancellable,
                        list_cards_cb, g_object_ref (self));
}

static void
cards_search_changed_cb (SvWindow *self)
{
  sv_window_refresh_cards (self);
}

static void
card_changed_cb (SvWindow *self)
{
  const char *iccid = sv_card_view_get_iccid (self->card_view);

  sv_window_refresh_cards (self);
  sv_window_update_actions (self);
  /* Local edits count towards the automatic backup too (when it is on;
   * the operation decides whether it is due). */
  if (iccid != NULL)
    sv_window_maybe_auto_backup (self, iccid);
}

static void
reader_activated_cb (SvWindow      *self,
                     GtkListBoxRow *row)
{
  /* The row's title is the reader's name (rebuild_readers_list()). */
  const char *reader_name = adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row));

  if (reader_name != NULL && gtk_list_box_row_get_activatable (row))
    sv_window_read_card (self, reader_name);
}

void
sv_window_add_toast (SvWindow *self,
                     AdwToast *toast)
{
  g_return_if_fail (SV_IS_WINDOW (self));

  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

const char *
sv_window_get_db_path (SvWindow *self)
{
  g_return_val_if_fail (SV_IS_WINDOW (self), NULL);

  return self->db_path;
}

static gboolean
sv_window_close_request (GtkWindow *window)
{
  save_window_state (SV_WINDOW (window));

  return GTK_WINDOW_CLASS (sv_window_parent_class)->close_request (window);
}

static void
sv_window_dispose (GObject *object)
{
  SvWindow *self = SV_WINDOW (object);

  sv_window_card_dispose (self);
  g_cancellable_cancel (self->cards_cancellable);
  g_clear_object (&self->cards_cancellable);
  g_cancellable_cancel (self->operation_cancellable);
  g_clear_object (&self->operation_cancellable);
  g_cancellable_cancel (self->backup_cancellable);
  g_clear_object (&self->backup_cancellable);
  g_clear_object (&self->cards_selection);
  g_clear_object (&self->cards);

  G_OBJECT_CLASS (sv_window_parent_class)->dispose (object);
}

static void
sv_window_finalize (GObject *object)
{
  SvWindow *self = SV_WINDOW (object);

  g_clear_pointer (&self->db_path, g_free);
  g_clear_pointer (&self->banner_action, g_free);
  g_clear_pointer (&self->interrupted_text, g_free);

  G_OBJECT_CLASS (sv_window_parent_class)->finalize (object);
}

static void
sv_window_class_init (SvWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = sv_window_dispose;
  object_class->finalize = sv_window_finalize;
  window_class->close_request = sv_window_close_request;

  g_type_ensure (SV_TYPE_CARD_VIEW);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PREFIX "/ui/sv-window.ui");
  gtk_widget_class_bind_template_child (widget_class, SvWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, SvWindow, leaflet);
  gtk_widget_class_bind_template_child (widget_class, SvWindow, sidebar);
  gtk_widget_class_bind_template_child (widget_class, SvWindow, content);
  gtk_widget_class_bind_template_child (widget_class, SvWindow, readers_list);
  gtk_widget_class_bind_template_child (widget_class, SvWindow, cards_search);
  gtk_widget_class_bind_template_child (widget_class, SvWindow, cards_stack);
  gtk_widget_class_bind_template_child (widget_class, SvWindow, cards_list);
  gtk_widget_class_bind_template_child (widget_class, SvWindow, switcher_title);
  gtk_widget_class_bind_template_child (widget_class, SvWindow, write_button);
  gtk_widget_class_bind_template_child (widget_class, SvWindow, read_button);
  gtk_widget_class_bind_template_child (widget_class, SvWindow, banner_revealer);
  gtk_widget_class_bind_template_child (widget_class, SvWindow, banner_label);
  gtk_widget_class_bind_template_child (widget_class, SvWindow, banner_button);
  gtk_widget_class_bind_template_child (widget_class, SvWindow, progress_revealer);
  gtk_widget_class_bind_template_child (widget_class, SvWindow, progress_label);
  gtk_widget_class_bind_template_child (widget_class, SvWindow, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, SvWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, SvWindow, status_page);
  gtk_widget_class_bind_template_child (widget_class, SvWindow, card_view);
  gtk_widget_class_bind_template_callback (widget_class, banner_button_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, cancel_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, back_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, card_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, cards_search_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, card_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, reader_activated_cb);

  sv_window_class_add_actions (widget_class);
  sv_window_class_add_card_actions (widget_class);
  sv_window_class_add_sync_actions (widget_class);
  sv_window_class_add_interrupted_actions (widget_class);
}

static void
sv_window_init (SvWindow *self)
{
  GtkListItemFactory *factory;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->cards = g_list_store_new (SV_TYPE_CARD_ITEM);
  self->cards_selection = gtk_single_selection_new (G_LIST_MODEL (g_object_ref (self->cards)));
  gtk_single_selection_set_autoselect (self->cards_selection, FALSE);
  gtk_single_selection_set_can_unselect (self->cards_selection, TRUE);

  factory = gtk_signal_list_item_factory_new ();
  g_signal_connect (factory, "setup", G_CALLBACK (setup_card_row_cb), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_card_row_cb), NULL);
  gtk_list_view_set_factory (self->cards_list, factory);
  g_object_unref (factory);
  gtk_list_view_set_model (self->cards_list, GTK_SELECTION_MODEL (self->cards_selection));

  /* When the header has no room for the view switcher, it moves to the
   * bottom (GNOME's adaptive pattern for libadwaita 1.2). */
  g_object_bind_property (self->switcher_title, "title-visible",
                          sv_card_view_get_switcher_bar (self->card_view), "reveal",
                          G_BINDING_SYNC_CREATE);
  g_signal_connect_object (self->card_view, "notify::n-pending",
                           G_CALLBACK (sv_window_update_actions), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->card_view, "notify::loading",
                           G_CALLBACK (sv_window_update_actions), self, G_CONNECT_SWAPPED);

  /* Start on the content pane when folded: it says what to do. */
  adw_leaflet_set_visible_child (self->leaflet, self->content);
}

/**
 * sv_window_new:
 * @db_path: (nullable): the mirror file; %NULL for the default one
 */
SvWindow *
sv_window_new (SvApplication *application,
               const char    *db_path)
{
  GSettings *settings = sv_application_get_settings (application);
  SvWindow *self = g_object_new (SV_TYPE_WINDOW, "application", application, NULL);

  self->db_path = g_strdup (db_path);

  if (settings != NULL)
    {
      gtk_window_set_default_size (GTK_WINDOW (self),
                                   g_settings_get_int (settings, "window-width"),
                                   g_settings_get_int (settings, "window-height"));
      if (g_settings_get_boolean (settings, "window-maximized"))
        gtk_window_maximize (GTK_WINDOW (self));
    }

  if (DEVELOPMENT_BUILD)
    gtk_widget_add_css_class (GTK_WIDGET (self), "devel");

  sv_window_card_init (self);
  sv_window_update_actions (self);
  sv_window_refresh_cards (self);
  sv_window_interrupted_init (self);

  return self;
}
