/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Short messages as conversations: one row per number (newest first), and
 * the messages of the chosen number as bubbles, received on the left and
 * sent on the right. Concatenated messages arrive already joined.
 */
#define G_LOG_DOMAIN "sv-messages-page"

#include "config.h"

#include <glib/gi18n.h>

#include "sv-conversation.h"
#include "sv-messages-page.h"
#include "sv-search-filter.h"

struct _SvMessagesPage
{
  AdwBin              parent_instance;

  GtkStack           *stack;
  AdwLeaflet         *leaflet;
  GtkWidget          *thread_pane;
  GtkListView        *conversation_list;
  GtkListBox         *thread_list;
  GtkLabel           *thread_title;
  GtkWidget          *mark_read_button;
  GtkWidget          *delete_button;

  GListStore         *conversations;
  GtkCustomFilter    *filter;
  GtkFilterListModel *filtered;
  GtkSingleSelection *selection;
  char               *folded_query;
};

G_DEFINE_FINAL_TYPE (SvMessagesPage, sv_messages_page, ADW_TYPE_BIN)

enum {
  UPDATE_MESSAGES,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static const char *
status_label (SvMessageStatus status)
{
  switch (status)
    {
    case SV_MESSAGE_STATUS_READ:
      return _("Read");
    case SV_MESSAGE_STATUS_UNREAD:
      return _("Unread");
    case SV_MESSAGE_STATUS_SENT:
      return _("Sent");
    case SV_MESSAGE_STATUS_UNSENT:
      return _("Not sent");
    case SV_MESSAGE_STATUS_FREE:
    default:
      return "";
    }
}

static char *
format_caption (SvMessage *message)
{
  g_autoptr(GString) caption = g_string_new (NULL);
  GDateTime *timestamp = sv_message_get_timestamp (message);
  guint n_parts = sv_message_get_n_parts (message);
  guint n_missing = sv_message_get_n_missing (message);

  if (timestamp != NULL)
    {
      g_autofree char *when = g_date_time_format (timestamp, "%x %X");

      g_string_append (caption, when);
      g_string_append (caption, " · ");
    }
  g_string_append (caption, status_label (sv_message_get_status (message)));

  if (n_parts > 1)
    {
      g_string_append (caption, " · ");
      g_string_append_printf (caption, g_dngettext (GETTEXT_PACKAGE, "%u part", "%u parts", n_parts), n_parts);
    }
  if (n_missing > 0)
    {
      g_string_append (caption, " · ");
      g_string_append_printf (caption, g_dngettext (GETTEXT_PACKAGE, "%u part missing", "%u parts missing", n_missing), n_missing);
    }

  return g_string_free (g_steal_pointer (&caption), FALSE);
}

static GtkWidget *
create_bubble (SvMessage *message)
{
  gboolean outgoing = sv_message_get_message_type (message) == SV_MESSAGE_TYPE_SUBMIT;
  g_autofree char *caption_text = format_caption (message);
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *text = gtk_label_new (sv_message_get_text (message));
  GtkWidget *caption = gtk_label_new (caption_text);

  gtk_label_set_wrap (GTK_LABEL (text), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (text), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_selectable (GTK_LABEL (text), TRUE);
  gtk_label_set_xalign (GTK_LABEL (text), 0);
  gtk_label_set_max_width_chars (GTK_LABEL (text), 50);
  gtk_widget_add_css_class (caption, "caption");
  gtk_widget_add_css_class (caption, "dim-label");
  gtk_label_set_xalign (GTK_LABEL (caption), outgoing ? 1 : 0);

  gtk_box_append (GTK_BOX (box), text);
  gtk_box_append (GTK_BOX (box), caption);
  gtk_widget_add_css_class (box, "card");
  gtk_widget_add_css_class (box, outgoing ? "sv-bubble-out" : "sv-bubble-in");
  gtk_widget_set_halign (box, outgoing ? GTK_ALIGN_END : GTK_ALIGN_START);
  gtk_widget_set_margin_start (box, outgoing ? 48 : 12);
  gtk_widget_set_margin_end (box, outgoing ? 12 : 48);
  gtk_widget_set_margin_top (box, 6);
  gtk_widget_set_margin_bottom (box, 6);

  return box;
}

static void
show_conversation (SvMessagesPage *self,
                   SvConversation *conversation)
{
  GPtrArray *messages;
  const char *number;
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->thread_list))) != NULL)
    gtk_list_box_remove (self->thread_list, child);

  gtk_widget_set_sensitive (self->delete_button, conversation != NULL);
  gtk_widget_set_visible (self->mark_read_button,
                          conversation != NULL && sv_conversation_get_n_unread (conversation) > 0);
  if (conversation == NULL)
    {
      gtk_label_set_text (self->thread_title, "");
      return;
    }

  number = sv_conversation_get_number (conversation);
  gtk_label_set_text (self->thread_title, *number ? number : _("Unknown number"));

  messages = sv_conversation_get_messages (conversation);
  for (guint i = 0; i < messages->len; i++)
    gtk_list_box_append (self->thread_list, create_bubble (g_ptr_array_index (messages, i)));
}

static void
selection_changed_cb (SvMessagesPage     *self,
                      guint               position,
                      guint               n_items,
                      GtkSingleSelection *selection)
{
  show_conversation (self, gtk_single_selection_get_selected_item (selection));
}

static void
conversation_activated_cb (SvMessagesPage *self,
                           guint           position,
                           GtkListView    *view)
{
  sv_messages_page_show_conversation (self, position);
}

/* Every EF_SMS record of the shown conversation, parts included. */
static GArray *
conversation_records (SvMessagesPage *self)
{
  SvConversation *conversation = gtk_single_selection_get_selected_item (self->selection);
  GArray *records = g_array_new (FALSE, FALSE, sizeof (guint));
  GPtrArray *messages;

  if (conversation == NULL)
    return records;

  messages = sv_conversation_get_messages (conversation);
  for (guint i = 0; i < messages->len; i++)
    {
      SvMessage *message = g_ptr_array_index (messages, i);
      const guint *indices = sv_message_get_record_indices (message);

      for (guint p = 0; p < sv_message_get_n_parts (message); p++)
        if (indices[p] != 0)
          g_array_append_val (records, indices[p]);
    }

  return records;
}

static void
emit_update (SvMessagesPage  *self,
             SvMessageStatus  status)
{
  g_autoptr(GArray) records = conversation_records (self);

  if (records->len > 0)
    g_signal_emit (self, signals[UPDATE_MESSAGES], 0, records, status);
}

static void
mark_read_clicked_cb (SvMessagesPage *self)
{
  emit_update (self, SV_MESSAGE_STATUS_READ);
}

static void
delete_clicked_cb (SvMessagesPage *self)
{
  emit_update (self, SV_MESSAGE_STATUS_FREE);
}

static void
back_clicked_cb (SvMessagesPage *self)
{
  adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_BACK);
}

static gboolean
filter_conversation (gpointer item,
                     gpointer user_data)
{
  SvMessagesPage *self = user_data;

  return sv_conversation_matches (SV_CONVERSATION (item), self->folded_query);
}

static void
search_changed_cb (SvMessagesPage *self,
                   GtkSearchEntry *entry)
{
  sv_search_filter_update (GTK_FILTER (self->filter), &self->folded_query,
                           gtk_editable_get_text (GTK_EDITABLE (entry)));
}

static void
setup_conversation_cb (GtkSignalListItemFactory *factory,
                       GtkListItem              *item,
                       gpointer                  user_data)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *title = gtk_label_new (NULL);
  GtkWidget *snippet = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (title), 0);
  gtk_label_set_ellipsize (GTK_LABEL (title), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (title, "heading");
  gtk_label_set_xalign (GTK_LABEL (snippet), 0);
  gtk_label_set_ellipsize (GTK_LABEL (snippet), PANGO_ELLIPSIZE_END);
  gtk_label_set_single_line_mode (GTK_LABEL (snippet), TRUE);
  gtk_widget_add_css_class (snippet, "dim-label");
  gtk_widget_set_margin_top (box, 6);
  gtk_widget_set_margin_bottom (box, 6);
  gtk_box_append (GTK_BOX (box), title);
  gtk_box_append (GTK_BOX (box), snippet);
  gtk_list_item_set_child (item, box);
}

static void
bind_conversation_cb (GtkSignalListItemFactory *factory,
                      GtkListItem              *item,
                      gpointer                  user_data)
{
  SvConversation *conversation = gtk_list_item_get_item (item);
  GtkWidget *title = gtk_widget_get_first_child (gtk_list_item_get_child (item));
  GtkWidget *snippet = gtk_widget_get_next_sibling (title);
  const char *number = sv_conversation_get_number (conversation);
  guint n_unread = sv_conversation_get_n_unread (conversation);
  g_autofree char *heading = NULL;
  g_autofree char *first_line = NULL;
  const char *text = sv_message_get_text (sv_conversation_get_last (conversation));

  if (n_unread > 0)
    heading = g_strdup_printf ("%s (%u)", *number ? number : _("Unknown number"), n_unread);
  else
    heading = g_strdup (*number ? number : _("Unknown number"));

  first_line = g_strdup (text ? text : "");
  g_strdelimit (first_line, "\r\n", ' ');

  gtk_label_set_text (GTK_LABEL (title), heading);
  gtk_label_set_text (GTK_LABEL (snippet), first_line);
}

static void
sv_messages_page_dispose (GObject *object)
{
  SvMessagesPage *self = SV_MESSAGES_PAGE (object);

  adw_bin_set_child (ADW_BIN (self), NULL);
  g_clear_object (&self->selection);
  g_clear_object (&self->conversations);

  G_OBJECT_CLASS (sv_messages_page_parent_class)->dispose (object);
}

static void
sv_messages_page_finalize (GObject *object)
{
  SvMessagesPage *self = SV_MESSAGES_PAGE (object);

  g_clear_pointer (&self->folded_query, g_free);

  G_OBJECT_CLASS (sv_messages_page_parent_class)->finalize (object);
}

static void
sv_messages_page_class_init (SvMessagesPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sv_messages_page_dispose;
  object_class->finalize = sv_messages_page_finalize;

  /**
   * SvMessagesPage::update-messages:
   * @records: (element-type guint): the EF_SMS records of a conversation
   * @status: %SV_MESSAGE_STATUS_FREE to delete them, or read
   *
   * The user asked to delete the shown conversation or mark it read.
   */
  signals[UPDATE_MESSAGES] =
    g_signal_new ("update-messages", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_ARRAY, G_TYPE_INT);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PREFIX "/ui/sv-messages-page.ui");
  gtk_widget_class_bind_template_child (widget_class, SvMessagesPage, stack);
  gtk_widget_class_bind_template_child (widget_class, SvMessagesPage, leaflet);
  gtk_widget_class_bind_template_child (widget_class, SvMessagesPage, thread_pane);
  gtk_widget_class_bind_template_child (widget_class, SvMessagesPage, conversation_list);
  gtk_widget_class_bind_template_child (widget_class, SvMessagesPage, thread_list);
  gtk_widget_class_bind_template_child (widget_class, SvMessagesPage, thread_title);
  gtk_widget_class_bind_template_child (widget_class, SvMessagesPage, mark_read_button);
  gtk_widget_class_bind_template_child (widget_class, SvMessagesPage, delete_button);
  gtk_widget_class_bind_template_callback (widget_class, search_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, conversation_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, back_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, mark_read_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, delete_clicked_cb);
}

static void
sv_messages_page_init (SvMessagesPage *self)
{
  GtkListItemFactory *factory;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->conversations = g_list_store_new (SV_TYPE_CONVERSATION);
  self->filter = gtk_custom_filter_new (filter_conversation, self, NULL);
  self->filtered = gtk_filter_list_model_new (G_LIST_MODEL (g_object_ref (self->conversations)),
                                              GTK_FILTER (self->filter));
  self->selection = gtk_single_selection_new (G_LIST_MODEL (self->filtered));
  gtk_single_selection_set_autoselect (self->selection, TRUE);
  g_signal_connect_object (self->selection, "selection-changed",
                           G_CALLBACK (selection_changed_cb), self, G_CONNECT_SWAPPED);

  factory = gtk_signal_list_item_factory_new ();
  g_signal_connect (factory, "setup", G_CALLBACK (setup_conversation_cb), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_conversation_cb), NULL);
  gtk_list_view_set_factory (self->conversation_list, factory);
  g_object_unref (factory);
  gtk_list_view_set_model (self->conversation_list, GTK_SELECTION_MODEL (self->selection));

  gtk_stack_set_visible_child_name (self->stack, "empty");
}

GtkWidget *
sv_messages_page_new (void)
{
  return g_object_new (SV_TYPE_MESSAGES_PAGE, NULL);
}

/**
 * sv_messages_page_set_messages:
 * @messages: (element-type SvMessage): the messages of the card
 */
void
sv_messages_page_set_messages (SvMessagesPage *self,
                               GPtrArray      *messages)
{
  g_autoptr(GListStore) grouped = NULL;
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);
  guint n;

  g_return_if_fail (SV_IS_MESSAGES_PAGE (self));

  grouped = sv_conversation_group (messages);
  n = g_list_model_get_n_items (G_LIST_MODEL (grouped));
  for (guint i = 0; i < n; i++)
    g_ptr_array_add (items, g_list_model_get_item (G_LIST_MODEL (grouped), i));

  g_list_store_splice (self->conversations, 0,
                       g_list_model_get_n_items (G_LIST_MODEL (self->conversations)),
                       items->pdata, items->len);
  gtk_stack_set_visible_child_name (self->stack, n > 0 ? "messages" : "empty");
  show_conversation (self, gtk_single_selection_get_selected_item (self->selection));
}

/**
 * sv_messages_page_get_conversations:
 *
 * Returns: (transfer none): the conversations as shown (filtered)
 */
GListModel *
sv_messages_page_get_conversations (SvMessagesPage *self)
{
  g_return_val_if_fail (SV_IS_MESSAGES_PAGE (self), NULL);

  return G_LIST_MODEL (self->selection);
}

void
sv_messages_page_set_query (SvMessagesPage *self,
                            const char     *query)
{
  g_return_if_fail (SV_IS_MESSAGES_PAGE (self));

  sv_search_filter_update (GTK_FILTER (self->filter), &self->folded_query, query);
}

void
sv_messages_page_show_conversation (SvMessagesPage *self,
                                    guint           position)
{
  g_return_if_fail (SV_IS_MESSAGES_PAGE (self));

  gtk_single_selection_set_selected (self->selection, position);
  adw_leaflet_set_visible_child (self->leaflet, self->thread_pane);
}

/**
 * sv_messages_page_get_thread:
 *
 * Returns: (transfer none): the list of bubbles of the shown conversation
 */
GtkWidget *
sv_messages_page_get_thread (SvMessagesPage *self)
{
  g_return_val_if_fail (SV_IS_MESSAGES_PAGE (self), NULL);

  return GTK_WIDGET (self->thread_list);
}
