/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The real window on the real PC/SC stack: pcscd + vpcd + simvault-vsim
 * (build-aux/with-card-harness.sh), under Xvfb. Each test inserts a virtual
 * card, and drives the window the way a person does: answers the PIN
 * dialog, edits a contact in the editor, confirms the write preview, pulls
 * the card during a write and puts it back.
 */
#include "config.h"

#include <adwaita.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "sv-application.h"
#include "sv-card-reader.h"
#include "sv-contact-editor.h"
#include "sv-contact-object.h"
#include "sv-contacts-page.h"
#include "sv-messages-page.h"
#include "sv-pcsc-reader.h"
#include "sv-phonebook.h"
#include "sv-pin-dialog.h"
#include "sv-gui-test-util.h"
#include "sv-vsim-fixture.h"
#include "sv-window-private.h"

static gboolean
pin_dialog_answered (gpointer dialog)
{
  return !sv_pin_dialog_is_busy (dialog);
}

static guint
n_contacts_shown (SvWindow *window)
{
  return g_list_model_get_n_items (sv_contacts_page_get_model (sv_card_view_get_contacts_page (window->card_view)));
}

/* The contacts of the card as it is now, read through PC/SC without the
 * window: what a later reader or phone would see. */
static GPtrArray *
read_contacts_from_card (const char *reader_name)
{
  g_autoptr(SvReader) reader = sv_pcsc_reader_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(SvCardSession) session = sv_card_session_open (reader, reader_name, &error);
  g_autoptr(SvCardImage) image = NULL;
  GPtrArray *contacts;

  g_assert_no_error (error);
  image = sv_card_read_image (session, NULL, SV_CARD_READ_SKIP_MESSAGES, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  contacts = sv_phonebook_decode (image, &error);
  g_assert_no_error (error);

  return contacts;
}

/* The contacts a profile was generated from: make-cards.py's "expected"
 * member, the values it encoded, so the window is checked against the
 * card's source and not against SimVault's own decoding. */
static JsonArray *
profile_contacts (JsonParser *parser,
                  const char *profile_name)
{
  g_autofree char *path = sv_vsim_fixture_profile (profile_name);
  g_autoptr(GError) error = NULL;
  JsonObject *root;

  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));
  return json_object_get_array_member (json_object_get_object_member (root, "expected"), "contacts");
}

/* The messages of the profile @parser holds (after profile_contacts()). */
static JsonArray *
profile_messages (JsonParser *parser)
{
  JsonObject *root = json_node_get_object (json_parser_get_root (parser));

  return json_object_get_array_member (json_object_get_object_member (root, "expected"), "messages");
}

/* How many conversations the profile's messages make: one per number. */
static guint
profile_n_conversations (JsonParser *parser)
{
  JsonArray *messages = profile_messages (parser);
  g_autoptr(GHashTable) numbers = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < json_array_get_length (messages); i++)
    g_hash_table_add (numbers, (gpointer) json_object_get_string_member (json_array_get_object_element (messages, i),
                                                                         "number"));
  return g_hash_table_size (numbers);
}

static SvContact *
find_shown_contact (SvWindow *window,
                    guint     set,
                    guint     index)
{
  SvContactsPage *page = sv_card_view_get_contacts_page (window->card_view);
  GListModel *model = sv_contacts_page_get_model (page);

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      SvContact *contact = sv_contacts_page_get_contact (page, i);

      if (sv_contact_get_set (contact) == set && sv_contact_get_index (contact) == index)
        return contact;
    }
  return NULL;
}

/* Every contact of @expected is in @contacts (or shown, with @window) with
 * its name and number, except the one at @skip_set/@skip_index. */
static void
assert_contacts_as_in_profile (JsonArray *expected,
                               GPtrArray *contacts,
                               SvWindow  *window,
                               guint      skip_set,
                               guint      skip_index);

static SvContact *
find_contact (GPtrArray *contacts,
              guint      set,
              guint      index)
{
  for (guint i = 0; i < contacts->len; i++)
    {
      SvContact *contact = g_ptr_array_index (contacts, i);

      if (sv_contact_get_set (contact) == set && sv_contact_get_index (contact) == index)
        return contact;
    }

  return NULL;
}

static void
assert_contacts_as_in_profile (JsonArray *expected,
                               GPtrArray *contacts,
                               SvWindow  *window,
                               guint      skip_set,
                               guint      skip_index)
{
  for (guint i = 0; i < json_array_get_length (expected); i++)
    {
      JsonObject *e = json_array_get_object_element (expected, i);
      guint set = (guint) json_object_get_int_member (e, "set");
      guint index = (guint) json_object_get_int_member (e, "index");
      SvContact *contact;

      if (set == skip_set && index == skip_index)
        continue;
      contact = window != NULL ? find_shown_contact (window, set, index) : find_contact (contacts, set, index);
      if (contact == NULL)
        g_error ("contact %u/%u (%s) is missing", set, index, json_object_get_string_member (e, "name"));
      g_assert_cmpstr (sv_contact_get_name (contact), ==, json_object_get_string_member (e, "name"));
      g_assert_cmpstr (sv_contact_get_number (contact), ==, json_object_get_string_member (e, "number"));
    }
}

/* A fresh mirror, the window, and the card @profile_name inserted in slot
 * 0 and read. */
static SvWindow *
open_with_card (const char          *profile_name,
                const char * const  *extra_args,
                guint                timeout_s,
                SvVsimFixture      **card)
{
  g_autofree char *profile = sv_vsim_fixture_profile (profile_name);
  g_autoptr(GError) error = NULL;
  SvWindow *window;

  sv_test_reset_db ();
  window = sv_test_open_window ();
  *card = sv_vsim_fixture_start (profile, 0, extra_args, &error);
  g_assert_no_error (error);
  sv_test_wait_for (sv_test_card_shown, window, timeout_s, "the card to be read");

  return window;
}

/* Reads a card as soon as it is inserted. */
static void
test_read_on_insert (void)
{
  g_autoptr(SvVsimFixture) card = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonArray *expected;
  SvWindow *window;

  if (sv_vsim_fixture_skip_unless_available ())
    return;

  expected = profile_contacts (parser, "sim-2g-plain");
  window = open_with_card ("sim-2g-plain", NULL, 30, &card);
  g_assert_cmpuint (json_array_get_length (expected), >, 0);
  g_assert_cmpuint (n_contacts_shown (window), ==, json_array_get_length (expected));
  assert_contacts_as_in_profile (expected, NULL, window, G_MAXUINT, G_MAXUINT);
  g_assert_cmpuint (sv_card_view_get_n_pending (window->card_view), ==, 0);

  sv_test_close_window (window);
}

/* A PIN-protected card: the dialog shows the tries left before anything
 * is sent; a wrong PIN costs exactly one try and nothing is retried. */
static void
test_pin (void)
{
  g_autofree char *profile = sv_vsim_fixture_profile ("usim-pin");
  g_autoptr(SvVsimFixture) card = NULL;
  g_autoptr(GError) error = NULL;
  SvPinDialog *dialog;
  GtkWidget *entry, *submit;
  SvWindow *window;
  guint apdus_before;

  if (sv_vsim_fixture_skip_unless_available ())
    return;
  sv_test_reset_db ();

  window = sv_test_open_window ();
  card = sv_vsim_fixture_start (profile, 0, NULL, &error);
  g_assert_no_error (error);

  sv_test_wait_for (sv_test_has_toplevel, GSIZE_TO_POINTER (SV_TYPE_PIN_DIALOG), 30, "the PIN dialog");
  dialog = SV_PIN_DIALOG (sv_test_find_toplevel (SV_TYPE_PIN_DIALOG));
  g_assert_false (sv_pin_dialog_is_puk_mode (dialog));
  g_assert_false (sv_pin_dialog_needs_confirmation (dialog));
  g_assert_nonnull (sv_test_find_child (GTK_WIDGET (dialog), ADW_TYPE_PREFERENCES_GROUP, 0));
  g_assert_cmpstr (adw_preferences_group_get_description (ADW_PREFERENCES_GROUP (sv_test_find_child (GTK_WIDGET (dialog), ADW_TYPE_PREFERENCES_GROUP, 0))),
                   ==, "The card is locked with a PIN. 3 tries left.");

  /* Nothing is sent while the dialog waits. */
  apdus_before = sv_vsim_fixture_apdu_count (card);
  g_usleep (300000);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpuint (sv_vsim_fixture_apdu_count (card), ==, apdus_before);

  entry = sv_test_find_child (GTK_WIDGET (dialog), ADW_TYPE_PASSWORD_ENTRY_ROW, 0);
  submit = sv_test_find_child (GTK_WIDGET (dialog), GTK_TYPE_BUTTON, 1);
  g_assert_nonnull (entry);
  g_assert_nonnull (submit);

  gtk_editable_set_text (GTK_EDITABLE (entry), "9999");
  g_assert_true (gtk_widget_get_sensitive (submit));
  g_signal_emit_by_name (submit, "clicked");
  g_assert_true (sv_pin_dialog_is_busy (dialog));
  sv_test_wait_for (pin_dialog_answered, dialog, 30, "the answer to a wrong PIN");
  g_assert_cmpstr (adw_preferences_group_get_description (ADW_PREFERENCES_GROUP (sv_test_find_child (GTK_WIDGET (dialog), ADW_TYPE_PREFERENCES_GROUP, 0))),
                   ==, "The card is locked with a PIN. 2 tries left.");
  /* The dialog stays open: no retry happened on its own. */
  g_assert_true (sv_test_find_toplevel (SV_TYPE_PIN_DIALOG) == GTK_WIDGET (dialog));

  gtk_editable_set_text (GTK_EDITABLE (entry), "1234");
  g_signal_emit_by_name (submit, "clicked");
  sv_test_wait_for (sv_test_no_toplevel, GSIZE_TO_POINTER (SV_TYPE_PIN_DIALOG), 30, "the PIN dialog to close");
  sv_test_wait_for (sv_test_card_shown, window, 30, "the card to be read after the PIN");
  g_assert_cmpuint (n_contacts_shown (window), >, 0);

  sv_test_close_window (window);
}

static gboolean
has_pending (gpointer data)
{
  SvWindow *window = data;

  return sv_test_window_idle (window) && sv_card_view_get_n_pending (window->card_view) > 0;
}

static void
answer_write_preview (const char *response)
{
  GtkWidget *dialog;

  sv_test_wait_for (sv_test_has_toplevel, GSIZE_TO_POINTER (ADW_TYPE_MESSAGE_DIALOG), 30, "the write preview");
  dialog = sv_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG);
  g_assert_cmpstr (adw_message_dialog_get_heading (ADW_MESSAGE_DIALOG (dialog)), ==, "Write to Card?");
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), response);
  gtk_window_destroy (GTK_WINDOW (dialog));
}

/* Edit a contact in the editor, write it, and find it on the card. */
static void
test_edit_and_write (void)
{
  g_autoptr(SvVsimFixture) card = NULL;
  g_autoptr(GPtrArray) on_card = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonArray *expected;
  GtkSelectionModel *selection;
  SvContactEditor *editor;
  GtkWidget *save;
  SvContact *contact;
  SvWindow *window;

  if (sv_vsim_fixture_skip_unless_available ())
    return;

  window = open_with_card ("usim-2sets", NULL, 30, &card);

  /* Select the first contact and open it in the editor. */
  selection = GTK_SELECTION_MODEL (sv_contacts_page_get_model (sv_card_view_get_contacts_page (window->card_view)));
  gtk_selection_model_select_item (selection, 0, TRUE);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window->card_view), "card.edit-contact", NULL));
  sv_test_wait_for (sv_test_has_toplevel, GSIZE_TO_POINTER (SV_TYPE_CONTACT_EDITOR), 10, "the contact editor");
  editor = SV_CONTACT_EDITOR (sv_test_find_toplevel (SV_TYPE_CONTACT_EDITOR));

  /* Live validation: a name too long for the card is refused. */
  save = sv_test_find_child (GTK_WIDGET (editor), GTK_TYPE_BUTTON, 1);
  sv_contact_editor_set_name (editor, "A name that is far too long for any SIM card alpha field");
  g_assert_false (gtk_widget_get_sensitive (save));
  g_assert_cmpuint (sv_contact_editor_get_problems (editor)->len, >, 0);
  g_assert_nonnull (strstr (sv_contact_editor_get_encoding_text (editor), "too long for this card"));

  sv_contact_editor_set_name (editor, "Renamed by test");
  g_assert_true (gtk_widget_get_sensitive (save));
  g_signal_emit_by_name (save, "clicked");
  sv_test_wait_for (has_pending, window, 30, "the edit to be pending");

  /* Write: preview, confirm, then read back through PC/SC. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.write-card", NULL));
  answer_write_preview ("write");
  sv_test_wait_for (sv_test_window_idle, window, 60, "the write to finish");
  sv_test_wait_for (sv_test_card_shown, window, 30, "the card to be reloaded");
  g_assert_false (gtk_revealer_get_reveal_child (window->banner_revealer));
  g_assert_cmpuint (sv_card_view_get_n_pending (window->card_view), ==, 0);

  on_card = read_contacts_from_card (sv_vsim_fixture_reader_name (card));
  contact = find_contact (on_card, 1, 1);
  g_assert_nonnull (contact);
  g_assert_cmpstr (sv_contact_get_name (contact), ==, "Renamed by test");
  /* Only that contact changed: the rest is the profile's. */
  expected = profile_contacts (parser, "usim-2sets");
  g_assert_cmpuint (on_card->len, ==, json_array_get_length (expected));
  assert_contacts_as_in_profile (expected, on_card, NULL, 1, 1);

  sv_test_close_window (window);
}

static gboolean
writing_started (gpointer data)
{
  SvWindow *window = data;

  return window->card_busy && gtk_revealer_get_reveal_child (window->progress_revealer) &&
         g_str_has_prefix (gtk_label_get_text (window->progress_label), "Writing to the card: 2 of");
}

static gboolean
read_again (gpointer data)
{
  SvWindow *window = data;

  /* A successful read takes the interrupted-write banner away. */
  return sv_test_card_shown (window) && !gtk_revealer_get_reveal_child (window->banner_revealer);
}

static gboolean
banner_shown (gpointer data)
{
  SvWindow *window = data;

  return !window->card_busy && gtk_revealer_get_reveal_child (window->banner_revealer);
}

/* Pull the card in the middle of a write: the window says what was
 * written and keeps every edit pending; after the card is back, writing
 * again finishes the job. */
static void
test_pull_card_during_write (void)
{
  const char *slow_args[] = { "--persist", "--delay-ms", "40", NULL };
  g_autoptr(SvVsimFixture) card = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) on_card = NULL;
  g_autofree char *pulled_image = NULL;
  g_autofree char *contents = NULL;
  GtkSelectionModel *selection;
  SvWindow *window;
  gsize len;

  if (sv_vsim_fixture_skip_unless_available ())
    return;

  window = open_with_card ("sim-2g-plain", slow_args, 120, &card);

  /* Delete the first 12 contacts: at least 12 records to write. */
  selection = GTK_SELECTION_MODEL (sv_contacts_page_get_model (sv_card_view_get_contacts_page (window->card_view)));
  gtk_selection_model_select_range (selection, 0, 12, TRUE);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window->card_view), "card.delete-contacts", NULL));
  sv_test_wait_for (has_pending, window, 30, "the deletions to be pending");
  g_assert_cmpuint (sv_card_view_get_n_pending (window->card_view), >=, 12);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.write-card", NULL));
  answer_write_preview ("write");
  sv_test_wait_for (writing_started, window, 60, "the write to be under way");

  /* Pull the card. The virtual card persisted every record it took, so
   * its image is the card as it was pulled. */
  sv_vsim_fixture_keep_files (card);
  pulled_image = g_strdup (sv_vsim_fixture_image_path (card));
  g_clear_pointer (&card, sv_vsim_fixture_stop);
  sv_test_wait_for (banner_shown, window, 60, "the interrupted write to be reported");
  g_assert_nonnull (strstr (gtk_label_get_text (window->banner_label), "Write interrupted after"));
  g_assert_cmpuint (sv_card_view_get_n_pending (window->card_view), >=, 12);

  /* Put the same card back: it is read again, the edits stay pending. */
  card = sv_vsim_fixture_start (pulled_image, 0, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (pulled_image, &contents, &len, NULL));
  g_unlink (pulled_image);
  sv_test_wait_for (read_again, window, 60, "the card to be read again");
  g_assert_cmpuint (sv_card_view_get_n_pending (window->card_view), >=, 9);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.write-card", NULL));
  answer_write_preview ("write");
  sv_test_wait_for (sv_test_window_idle, window, 60, "the second write to finish");
  sv_test_wait_for (sv_test_card_shown, window, 30, "the card to be reloaded");
  g_assert_cmpuint (sv_card_view_get_n_pending (window->card_view), ==, 0);

  on_card = read_contacts_from_card (sv_vsim_fixture_reader_name (card));
  for (guint index = 1; index <= 12; index++)
    g_assert_null (find_contact (on_card, 0, index));
  g_assert_nonnull (find_contact (on_card, 0, 13));

  sv_test_close_window (window);
}

static gboolean
restore_preview_shown (gpointer data)
{
  GtkWidget *dialog = sv_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG);

  return dialog != NULL &&
         g_strcmp0 (adw_message_dialog_get_heading (ADW_MESSAGE_DIALOG (dialog)),
                    "Restore onto the Inserted Card?") == 0;
}

typedef struct
{
  SvWindow   *window;
  const char *iccid;
} ShownCard;

static gboolean
card_with_pending_shown (gpointer data)
{
  ShownCard *shown = data;

  return sv_test_card_shown (shown->window) &&
         g_strcmp0 (sv_card_view_get_iccid (shown->window->card_view), shown->iccid) == 0 &&
         sv_card_view_get_n_pending (shown->window->card_view) > 0;
}

/* A card other than @shown->iccid is shown, read. */
static gboolean
other_card_shown (gpointer data)
{
  ShownCard *shown = data;

  return sv_test_card_shown (shown->window) &&
         g_strcmp0 (sv_card_view_get_iccid (shown->window->card_view), shown->iccid) != 0;
}

/* Retail: the customer's old card is in the mirror, a new, smaller card
 * is inserted; its phonebook is mapped onto the new card with a preview,
 * written, and found on the new card. */
static void
test_restore_onto_new_card (void)
{
  g_autofree char *old_profile = sv_vsim_fixture_profile ("usim-ucs2");
  g_autofree char *new_profile = sv_vsim_fixture_profile ("sim-2g-old-small");
  g_autoptr(SvVsimFixture) old_card = NULL;
  g_autoptr(SvVsimFixture) new_card = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) on_card = NULL;
  g_autofree char *old_iccid = NULL;
  g_autofree char *new_iccid = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  GtkWidget *dialog, *check;
  ShownCard shown;
  SvWindow *window;
  guint n_source;

  if (sv_vsim_fixture_skip_unless_available ())
    return;
  sv_test_reset_db ();

  window = sv_test_open_window ();
  old_card = sv_vsim_fixture_start (old_profile, 0, NULL, &error);
  g_assert_no_error (error);
  sv_test_wait_for (sv_test_card_shown, window, 30, "the old card to be read");
  old_iccid = g_strdup (sv_card_view_get_iccid (window->card_view));
  n_source = json_array_get_length (profile_contacts (parser, "usim-ucs2"));
  g_assert_cmpuint (n_source, >, 0);
  g_assert_cmpuint (n_contacts_shown (window), ==, n_source);

  /* The old card leaves, the new one comes in and is read. */
  g_clear_pointer (&old_card, sv_vsim_fixture_stop);
  new_card = sv_vsim_fixture_start (new_profile, 1, NULL, &error);
  g_assert_no_error (error);
  shown.window = window;
  shown.iccid = old_iccid;
  sv_test_wait_for (other_card_shown, &shown, 30, "the new card to be read and shown");
  new_iccid = g_strdup (sv_card_view_get_iccid (window->card_view));

  /* Open the old card from the mirror and restore it onto the new one. */
  sv_window_show_card (window, old_iccid);
  sv_test_wait_for (sv_test_card_shown, window, 30, "the old card to be shown from the mirror");
  g_assert_cmpstr (sv_window_find_restore_target (window), ==, new_iccid);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.restore-onto-inserted", NULL));
  sv_test_wait_for (restore_preview_shown, NULL, 30, "the restore preview");
  dialog = sv_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG);
  check = sv_test_find_child (dialog, GTK_TYPE_CHECK_BUTTON, 0);
  if (check != NULL)
    {
      /* Shortened names need an explicit yes. */
      g_assert_false (adw_message_dialog_get_response_enabled (ADW_MESSAGE_DIALOG (dialog), "restore"));
      gtk_check_button_set_active (GTK_CHECK_BUTTON (check), TRUE);
    }
  g_assert_true (adw_message_dialog_get_response_enabled (ADW_MESSAGE_DIALOG (dialog), "restore"));
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "restore");
  gtk_window_destroy (GTK_WINDOW (dialog));

  shown.iccid = new_iccid;
  sv_test_wait_for (card_with_pending_shown, &shown, 30, "the new card with the restored contacts");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.write-card", NULL));
  answer_write_preview ("write");
  sv_test_wait_for (sv_test_window_idle, window, 60, "the restore to be written");
  sv_test_wait_for (sv_test_card_shown, window, 30, "the new card to be reloaded");
  g_assert_cmpuint (sv_card_view_get_n_pending (window->card_view), ==, 0);

  on_card = read_contacts_from_card (sv_vsim_fixture_reader_name (new_card));
  g_assert_cmpuint (on_card->len, ==, MIN (n_source, 100));
  g_assert_cmpuint (on_card->len, ==, n_contacts_shown (window));

  sv_test_close_window (window);
}

static gboolean
file_written (gpointer path)
{
  return g_file_test (path, G_FILE_TEST_EXISTS);
}

static guint
count_occurrences (const char *text,
                   const char *needle)
{
  guint n = 0;

  for (const char *p = strstr (text, needle); p != NULL; p = strstr (p + 1, needle))
    n++;
  return n;
}

typedef struct
{
  SvWindow *window;
  guint     n;
} ContactCount;

static gboolean
contacts_shown_at_least (gpointer data)
{
  ContactCount *count = data;

  return sv_test_card_shown (count->window) && n_contacts_shown (count->window) >= count->n;
}

/* Export as a user would after picking a file, and import a vCard file
 * with one malformed entry: nothing is imported until the user asks for
 * the valid entries. */
static void
test_export_import (void)
{
  g_autofree char *dir = g_dir_make_tmp ("sv-gui-files-XXXXXX", NULL);
  g_autofree char *vcf = g_build_filename (dir, "out.vcf", NULL);
  g_autofree char *xml = g_build_filename (dir, "out.xml", NULL);
  g_autofree char *in = g_build_filename (dir, "in.vcf", NULL);
  g_autofree char *text = NULL;
  g_autoptr(SvVsimFixture) card = NULL;
  const char *malformed =
    "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Imported One\r\nTEL;TYPE=CELL:+4930123456\r\nEND:VCARD\r\n"
    "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Broken\r\nTEL:+49301\r\n";
  g_autoptr(JsonParser) parser = json_parser_new ();
  ContactCount count;
  GtkWidget *dialog;
  SvWindow *window;
  guint n_before, n_messages;

  if (sv_vsim_fixture_skip_unless_available ())
    return;

  n_before = json_array_get_length (profile_contacts (parser, "sim-2g-plain"));
  n_messages = json_array_get_length (profile_messages (parser));
  window = open_with_card ("sim-2g-plain", NULL, 30, &card);
  g_assert_cmpuint (n_contacts_shown (window), ==, n_before);

  sv_window_export_file (window, sv_card_view_get_iccid (window->card_view), "vcard", vcf);
  sv_window_export_file (window, sv_card_view_get_iccid (window->card_view), "sms-xml", xml);
  sv_test_wait_for (file_written, vcf, 30, "the vCard export");
  sv_test_wait_for (file_written, xml, 30, "the SMS export");
  g_assert_true (g_file_get_contents (vcf, &text, NULL, NULL));
  g_assert_cmpuint (count_occurrences (text, "BEGIN:VCARD"), ==, n_before);
  g_clear_pointer (&text, g_free);
  g_assert_true (g_file_get_contents (xml, &text, NULL, NULL));
  g_assert_cmpuint (n_messages, >, 0);
  g_assert_cmpuint (count_occurrences (text, "<sms "), ==, n_messages);

  g_assert_true (g_file_set_contents (in, malformed, -1, NULL));
  sv_window_import_file (window, in, FALSE);
  sv_test_wait_for (sv_test_has_toplevel, GSIZE_TO_POINTER (ADW_TYPE_MESSAGE_DIALOG), 30, "the import error");
  dialog = sv_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG);
  g_assert_cmpstr (adw_message_dialog_get_heading (ADW_MESSAGE_DIALOG (dialog)), ==, "Nothing Imported");
  g_assert_nonnull (strstr (adw_message_dialog_get_body (ADW_MESSAGE_DIALOG (dialog)), "line"));
  g_assert_cmpuint (n_contacts_shown (window), ==, n_before);

  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "partial");
  gtk_window_destroy (GTK_WINDOW (dialog));
  count.window = window;
  count.n = n_before + 1;
  sv_test_wait_for (contacts_shown_at_least, &count, 30, "the valid entry to be imported");
  g_assert_cmpuint (n_contacts_shown (window), ==, n_before + 1);
  g_assert_cmpuint (sv_card_view_get_n_pending (window->card_view), >, 0);

  g_unlink (vcf);
  g_unlink (xml);
  g_unlink (in);
  g_rmdir (dir);
  sv_test_close_window (window);
}

static GtkWidget *
find_button (GtkWidget  *root,
             const char *tooltip)
{
  for (guint i = 0;; i++)
    {
      GtkWidget *button = sv_test_find_child (root, GTK_TYPE_BUTTON, i);

      if (button == NULL || g_strcmp0 (gtk_widget_get_tooltip_text (button), tooltip) == 0)
        return button;
    }
}

static guint
n_conversations (SvWindow *window)
{
  return g_list_model_get_n_items (sv_messages_page_get_conversations (sv_card_view_get_messages_page (window->card_view)));
}

typedef struct
{
  SvWindow *window;
  guint     n;
} ConversationCount;

static gboolean
conversations_are (gpointer data)
{
  ConversationCount *count = data;

  return sv_test_card_shown (count->window) && n_conversations (count->window) == count->n;
}

/* Messages: mark a conversation read, delete it, undo; the card's history
 * lists what was done. */
static void
test_messages (void)
{
  g_autoptr(SvVsimFixture) card = NULL;
  SvMessagesPage *page;
  GtkWidget *mark_read, *delete, *composer;
  g_autoptr(JsonParser) parser = json_parser_new ();
  ConversationCount count;
  SvWindow *window;
  guint n_before;

  if (sv_vsim_fixture_skip_unless_available ())
    return;

  profile_contacts (parser, "usim-sms");
  window = open_with_card ("usim-sms", NULL, 30, &card);

  page = sv_card_view_get_messages_page (window->card_view);
  adw_view_stack_set_visible_child_name (sv_card_view_get_view_stack (window->card_view), "messages");
  n_before = n_conversations (window);
  g_assert_cmpuint (n_before, >, 1);
  g_assert_cmpuint (n_before, ==, profile_n_conversations (parser));

  /* The newest conversation of the profile has an unread message. */
  sv_messages_page_show_conversation (page, 0);
  mark_read = find_button (GTK_WIDGET (page), "Mark as Read");
  delete = find_button (GTK_WIDGET (page), "Delete Conversation");
  g_assert_nonnull (mark_read);
  g_assert_nonnull (delete);
  g_assert_true (gtk_widget_get_visible (mark_read));
  g_signal_emit_by_name (mark_read, "clicked");
  sv_test_wait_for (sv_test_window_idle, window, 30, "the conversation to be marked read");
  sv_test_wait_for (sv_test_card_shown, window, 30, "the card to be reloaded");
  g_assert_cmpuint (sv_card_view_get_n_pending (window->card_view), >, 0);

  sv_messages_page_show_conversation (page, 0);
  g_assert_false (gtk_widget_get_visible (mark_read));
  g_signal_emit_by_name (delete, "clicked");
  count.window = window;
  count.n = n_before - 1;
  sv_test_wait_for (conversations_are, &count, 30, "the conversation to be deleted");

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window->card_view), "card.undo", NULL));
  count.n = n_before;
  sv_test_wait_for (conversations_are, &count, 30, "the deletion to be undone");

  /* A new message from the composer: "Add" only with a number and a text;
   * the message is a new conversation (a number the card has none with). */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window->card_view), "card.new-message", NULL));
  sv_test_wait_for (sv_test_has_toplevel, GSIZE_TO_POINTER (ADW_TYPE_MESSAGE_DIALOG), 10, "the composer");
  composer = sv_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG);
  g_assert_false (adw_message_dialog_get_response_enabled (ADW_MESSAGE_DIALOG (composer), "add"));
  gtk_editable_set_text (GTK_EDITABLE (sv_test_find_child (composer, ADW_TYPE_ENTRY_ROW, 0)), "+8613912345678");
  g_assert_false (adw_message_dialog_get_response_enabled (ADW_MESSAGE_DIALOG (composer), "add"));
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (GTK_TEXT_VIEW (sv_test_find_child (composer, GTK_TYPE_TEXT_VIEW, 0))),
                            "New SIM, same number", -1);
  g_assert_true (adw_message_dialog_get_response_enabled (ADW_MESSAGE_DIALOG (composer), "add"));
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (composer), "add");
  count.n = n_before + 1;
  sv_test_wait_for (conversations_are, &count, 30, "the new message's conversation");

  /* Drop the remaining changes (the read mark, the new message) from the
   * Card page. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window->card_view), "card.discard", NULL));
  sv_test_wait_for (sv_test_window_idle, window, 30, "the changes to be discarded");
  sv_test_wait_for (sv_test_card_shown, window, 30, "the card to be reloaded");
  g_assert_cmpuint (sv_card_view_get_n_pending (window->card_view), ==, 0);
  count.n = n_before;
  sv_test_wait_for (conversations_are, &count, 30, "the new message to be discarded");

  sv_test_close_window (window);
}

static gboolean
two_cards_listed (gpointer data)
{
  SvWindow *window = data;

  return sv_test_window_idle (window) && g_list_model_get_n_items (G_LIST_MODEL (window->cards)) == 2;
}

/* Two cards inserted at once (the demo of run.sh): the second is read
 * when the first is done, and both are in the local copy. */
static void
test_two_cards (void)
{
  g_autofree char *first = sv_vsim_fixture_profile ("sim-2g-plain");
  g_autofree char *second = sv_vsim_fixture_profile ("usim-2sets");
  g_autoptr(SvVsimFixture) card0 = NULL;
  g_autoptr(SvVsimFixture) card1 = NULL;
  g_autoptr(GError) error = NULL;
  SvWindow *window;

  if (sv_vsim_fixture_skip_unless_available ())
    return;
  sv_test_reset_db ();

  card0 = sv_vsim_fixture_start (first, 0, NULL, &error);
  g_assert_no_error (error);
  card1 = sv_vsim_fixture_start (second, 1, NULL, &error);
  g_assert_no_error (error);
  window = sv_test_open_window ();
  sv_test_wait_for (two_cards_listed, window, 60, "both cards to be read");

  sv_test_close_window (window);
}

int
main (int    argc,
      char **argv)
{
  int ret;

  sv_test_init (&argc, &argv);

  g_test_add_func ("/sv/gui/card/read-on-insert", test_read_on_insert);
  g_test_add_func ("/sv/gui/card/pin", test_pin);
  g_test_add_func ("/sv/gui/card/edit-and-write", test_edit_and_write);
  g_test_add_func ("/sv/gui/card/pull-during-write", test_pull_card_during_write);
  g_test_add_func ("/sv/gui/card/restore-onto-new-card", test_restore_onto_new_card);
  g_test_add_func ("/sv/gui/card/export-import", test_export_import);
  g_test_add_func ("/sv/gui/card/messages", test_messages);
  g_test_add_func ("/sv/gui/card/two-cards", test_two_cards);

  ret = g_test_run ();
  g_clear_object (&sv_test_app);
  return ret;
}
