/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Backup and restore in the real window, on the real PC/SC stack (pcscd +
 * vpcd + simvault-vsim, build-aux/with-card-harness.sh) and a loopback
 * simvault-server this test starts: connect a card's account, back up,
 * edit the backup through the server's API and restore it onto the card,
 * a conflict settled in the dialog, the shop's restore desk onto a
 * second, smaller card with a restore code, and the failures a person
 * meets (server down, wrong password) with nothing changed.
 *
 * Expected values come from the cards as read back through PC/SC and from
 * the server's API, never from the window's own numbers.
 *
 * Needs SIMVAULT_SERVER (meson sets it when the server is built); skips
 * without it or without the card harness.
 */
#include "config.h"

#include <adwaita.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>

#include "sv-account-dialog.h"
#include "sv-account-group.h"
#include "sv-card-reader.h"
#include "sv-conflicts-dialog.h"
#include "sv-gui-test-util.h"
#include "sv-mirror-sync.h"
#include "sv-pcsc-reader.h"
#include "sv-phonebook.h"
#include "sv-restore-desk.h"
#include "sv-vsim-fixture.h"
#include "sv-window-private.h"

static char *server_url;
static char *server_dir;
static GSubprocess *server;

/* ---- the server ---------------------------------------------------------- */

/* The server goes when the test goes, even when the test aborts. */
static void
die_with_parent (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

static gboolean
start_server (void)
{
  const char *binary = g_getenv ("SIMVAULT_SERVER");
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *data_arg = NULL;
  char *line;

  if (binary == NULL || !g_file_test (binary, G_FILE_TEST_IS_EXECUTABLE))
    return FALSE;
  server_dir = g_dir_make_tmp ("sv-gui-sync-XXXXXX", &error);
  g_assert_no_error (error);
  data_arg = g_strdup_printf ("--data-dir=%s", server_dir);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_setenv (launcher, "SIMVAULT_SERVER_PASSWORD_COST", "test-only", TRUE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  server = g_subprocess_launcher_spawn (launcher, &error, binary, "--port=0", data_arg, NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (server));
  line = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  server_url = g_str_has_suffix (line, "/") ? g_strdup (line) : g_strconcat (line, "/", NULL);
  g_free (line);
  return TRUE;
}

static void
stop_server (void)
{
  if (server == NULL)
    return;
  g_subprocess_send_signal (server, SIGTERM);
  g_subprocess_wait (server, NULL, NULL);
  g_clear_object (&server);
}

/* One request to the server's API; the answer's JSON (or NULL). */
static JsonNode *
api (const char *method,
     const char *path,
     const char *body,
     const char *token,
     guint      *status)
{
  static SoupSession *session;
  g_autofree char *url = g_strconcat (server_url, path, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new (method, url);
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();

  if (session == NULL)
    session = soup_session_new ();
  if (body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));

      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
    }
  if (token != NULL)
    {
      g_autofree char *bearer = g_strconcat ("Bearer ", token, NULL);

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", bearer);
    }
  answer = soup_session_send_and_read (session, msg, NULL, &error);
  g_assert_no_error (error);
  *status = soup_message_get_status (msg);
  if (g_bytes_get_size (answer) == 0 ||
      !json_parser_load_from_data (parser, g_bytes_get_data (answer, NULL), g_bytes_get_size (answer), NULL))
    return NULL;
  return json_node_copy (json_parser_get_root (parser));
}

static char *
owner_token (const char *phone,
             const char *password)
{
  g_autofree char *body = g_strdup_printf ("{\"phone\": \"%s\", \"password\": \"%s\"}", phone, password);
  guint status = 0;
  g_autoptr(JsonNode) answer = api ("POST", "api/v1/session", body, NULL, &status);

  g_assert_cmpuint (status, ==, 200);
  return g_strdup (json_object_get_string_member (json_node_get_object (answer), "token"));
}

/* The @what ("contacts", "messages") the server holds for @iccid, as its
 * API lists them. */
static JsonArray *
server_list (const char *token,
             const char *iccid,
             const char *what)
{
  g_autofree char *path = g_strdup_printf ("api/v1/cards/%s/%s", iccid, what);
  guint status = 0;
  g_autoptr(JsonNode) answer = api ("GET", path, NULL, token, &status);

  g_assert_cmpuint (status, ==, 200);
  return json_array_ref (json_object_get_array_member (json_node_get_object (answer), what));
}

/* ---- cards ------------------------------------------------------------- */

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

static SvWindow *
open_with_card (const char     *profile_name,
                SvVsimFixture **card)
{
  g_autofree char *profile = sv_vsim_fixture_profile (profile_name);
  g_autoptr(GError) error = NULL;
  SvWindow *window;

  sv_test_reset_db ();
  window = sv_test_open_window ();
  *card = sv_vsim_fixture_start (profile, 0, NULL, &error);
  g_assert_no_error (error);
  sv_test_wait_for (sv_test_card_shown, window, 60, "the card to be read");
  return window;
}

static SvAccountGroup *
account_of (SvWindow *window)
{
  return sv_card_view_get_account_group (window->card_view);
}

static gboolean
group_idle (gpointer data)
{
  return !sv_account_group_is_busy (data);
}

static gboolean
group_registered (gpointer data)
{
  return !sv_account_group_is_busy (data) && sv_account_group_get_state (data) != NULL;
}

/* The group shows a state that has a backup in it and nothing waiting. */
static gboolean
group_backed_up (gpointer data)
{
  const SvSyncState *state = sv_account_group_get_state (data);

  return !sv_account_group_is_busy (data) && state != NULL && state->last_backup_at > 0 &&
         state->n_pending_records == 0;
}

static gboolean
group_deregistered (gpointer data)
{
  return !sv_account_group_is_busy (data) && sv_account_group_get_state (data) == NULL;
}

static gboolean
group_has_conflict (gpointer data)
{
  const SvSyncState *state = sv_account_group_get_state (data);

  return !sv_account_group_is_busy (data) && state != NULL && state->n_conflicts > 0;
}

/* Every "N of M records sent" the progress row showed. */
static void
record_subtitle_cb (GObject    *row,
                    GParamSpec *pspec,
                    GPtrArray  *seen)
{
  const char *subtitle = adw_action_row_get_subtitle (ADW_ACTION_ROW (row));

  if (subtitle != NULL && strstr (subtitle, " records sent") != NULL &&
      (seen->len == 0 || g_strcmp0 (g_ptr_array_index (seen, seen->len - 1), subtitle) != 0))
    g_ptr_array_add (seen, g_strdup (subtitle));
}

static gboolean
dialog_idle (gpointer data)
{
  return !sv_account_dialog_is_busy (data);
}

static SvSyncState *
mirror_state (const char *iccid)
{
  g_autoptr(SvMirror) mirror = sv_mirror_open (NULL, NULL);

  g_assert_nonnull (mirror);
  return sv_mirror_sync_get_state (mirror, iccid, NULL);
}

/* Opens the connect dialog of the card shown and submits it. */
static SvAccountDialog *
submit_account_dialog (SvWindow   *window,
                       const char *action,
                       const char *url,
                       const char *phone,
                       const char *password)
{
  SvAccountDialog *dialog;

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (account_of (window)), action, NULL));
  sv_test_wait_for (sv_test_has_toplevel, GSIZE_TO_POINTER (SV_TYPE_ACCOUNT_DIALOG), 10, "the account dialog");
  dialog = SV_ACCOUNT_DIALOG (sv_test_find_toplevel (SV_TYPE_ACCOUNT_DIALOG));
  sv_account_dialog_set_fields (dialog, url, phone, password);
  sv_account_dialog_submit (dialog);
  return dialog;
}

/* ---- tests ------------------------------------------------------------- */

#define PHONE_1 "+8613900139001"
#define PASSWORD_1 "gui story password"

/* Server down and a wrong password: clear words, nothing changed; then
 * connect, back up, and find every contact of the card on the server. */
static void
test_account_and_backup (void)
{
  g_autoptr(SvVsimFixture) card = NULL;
  g_autoptr(GPtrArray) on_card = NULL;
  g_autoptr(JsonArray) on_server = NULL;
  g_autoptr(SvSyncState) state = NULL;
  g_autofree char *token = NULL;
  g_autofree char *iccid = NULL;
  SvAccountDialog *dialog;
  SvAccountGroup *group;
  SvWindow *window;
  gint64 last_backup;

  if (server_url == NULL || sv_vsim_fixture_skip_unless_available ())
    return;
  window = open_with_card ("sim-2g-plain", &card);
  iccid = g_strdup (sv_card_view_get_iccid (window->card_view));
  group = account_of (window);
  g_assert_null (sv_account_group_get_state (group));

  /* A server that is not there. */
  dialog = submit_account_dialog (window, "account.connect", "http://127.0.0.1:9/", PHONE_1, PASSWORD_1);
  sv_test_wait_for (dialog_idle, dialog, 120, "the unreachable server's answer");
  g_assert_nonnull (sv_account_dialog_get_error (dialog));
  g_assert_nonnull (strstr (sv_account_dialog_get_error (dialog), "cannot be reached"));
  g_assert_true (sv_test_find_toplevel (SV_TYPE_ACCOUNT_DIALOG) == GTK_WIDGET (dialog));
  state = mirror_state (iccid);
  g_assert_null (state);

  /* The real server: a new account. */
  sv_account_dialog_set_fields (dialog, server_url, PHONE_1, PASSWORD_1);
  sv_account_dialog_submit (dialog);
  sv_test_wait_for (sv_test_no_toplevel, GSIZE_TO_POINTER (SV_TYPE_ACCOUNT_DIALOG), 60, "the dialog to close");
  sv_test_wait_for (group_registered, group, 30, "the account to show");
  g_assert_cmpstr (sv_account_group_get_state (group)->phone, ==, PHONE_1);
  g_assert_cmpint (sv_account_group_get_state (group)->last_backup_at, ==, 0);
  g_assert_cmpuint (sv_account_group_get_state (group)->n_pending_records, >, 0);

  /* Back Up Now, stopped at once: nothing went up, the records still wait. */
  {
    guint pending = sv_account_group_get_state (group)->n_pending_records;
    g_autoptr(SvSyncState) after = NULL;

    g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.back-up", NULL));
    g_assert_true (gtk_widget_activate_action (GTK_WIDGET (group), "account.cancel", NULL));
    sv_test_wait_for (group_idle, group, 60, "the stopped backup");
    g_assert_cmpstr (sv_account_group_get_last_toast (group), ==,
                     "Stopped. What the server already acknowledged stays backed up.");
    after = mirror_state (iccid);
    g_assert_cmpint (after->last_backup_at, ==, 0);
    g_assert_cmpuint (after->n_pending_records, ==, pending);
  }

  /* Back Up Now, with the password the dialog remembered; the progress
   * row counts the records the mirror had waiting. */
  {
    g_autoptr(GPtrArray) seen = g_ptr_array_new_with_free_func (g_free);
    g_autofree char *expected = g_strdup_printf ("of %u records sent",
                                                 sv_account_group_get_state (group)->n_pending_records);
    GtkWidget *row;

    for (guint i = 0; (row = sv_test_find_child (GTK_WIDGET (group), ADW_TYPE_ACTION_ROW, i)) != NULL; i++)
      g_signal_connect (row, "notify::subtitle", G_CALLBACK (record_subtitle_cb), seen);
    g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.back-up", NULL));
    g_assert_true (sv_account_group_is_busy (group));
    sv_test_wait_for (group_idle, group, 120, "the backup");
    for (guint i = 0; (row = sv_test_find_child (GTK_WIDGET (group), ADW_TYPE_ACTION_ROW, i)) != NULL; i++)
      g_signal_handlers_disconnect_by_func (row, record_subtitle_cb, seen);
    /* A fast backup may end before the progress row was drawn (the
     * progress object keeps only its latest state for the main loop);
     * whenever it counted, it counted the records the mirror had waiting. */
    for (guint i = 0; i < seen->len; i++)
      {
        g_test_message ("progress: %s", (const char *) g_ptr_array_index (seen, i));
        g_assert_true (g_str_has_suffix (g_ptr_array_index (seen, i), expected));
      }
  }
  g_assert_null (sv_account_group_get_error (group));
  g_assert_nonnull (sv_account_group_get_last_backup (group));
  g_assert_true (g_str_has_prefix (sv_account_group_get_last_toast (group), "Backed up "));
  sv_test_wait_for (group_backed_up, group, 30, "the state after the backup");

  /* Every contact of the card (read through PC/SC) is on the server. */
  on_card = read_contacts_from_card (sv_vsim_fixture_reader_name (card));
  token = owner_token (PHONE_1, PASSWORD_1);
  on_server = server_list (token, iccid, "contacts");
  g_assert_cmpuint (json_array_get_length (on_server), ==, on_card->len);
  for (guint i = 0; i < on_card->len; i++)
    {
      SvContact *c = g_ptr_array_index (on_card, i);
      gboolean found = FALSE;

      for (guint j = 0; j < json_array_get_length (on_server) && !found; j++)
        {
          JsonObject *s = json_array_get_object_element (on_server, j);

          found = g_strcmp0 (json_object_get_string_member_with_default (s, "name", ""), sv_contact_get_name (c)) == 0 &&
                  g_strcmp0 (json_object_get_string_member_with_default (s, "number", ""), sv_contact_get_number (c)) == 0;
        }
      g_assert_true (found);
    }

  /* Back Up Messages: one check per message of the card, all ticked;
   * with none ticked it is refused and no backup starts; with one, that
   * message and no other goes up: the owner deletes the messages the
   * backup above stored, and the server then holds just the chosen one. */
  {
    g_autoptr(JsonArray) stored = server_list (token, iccid, "messages");
    g_autoptr(JsonArray) after_choice = NULL;
    GtkWidget *chooser, *check;
    g_autofree char *chosen_title = NULL;
    const char *text;
    guint n_checks = 0;

    g_assert_cmpuint (json_array_get_length (stored), ==, 20);
    for (guint i = 0; i < json_array_get_length (stored); i++)
      {
        JsonObject *m = json_array_get_object_element (stored, i);
        g_autofree char *path = g_strdup_printf ("api/v1/cards/%s/messages/%" G_GINT64_FORMAT, iccid,
                                                 json_object_get_int_member (m, "id"));
        guint status = 0;
        g_autoptr(JsonNode) answer = api ("DELETE", path, NULL, token, &status);

        g_assert_cmpuint (status, ==, 200);
      }

    g_assert_true (gtk_widget_activate_action (GTK_WIDGET (group), "account.choose-messages", NULL));
    sv_test_wait_for (sv_test_has_toplevel, GSIZE_TO_POINTER (ADW_TYPE_MESSAGE_DIALOG), 30, "the message chooser");
    chooser = sv_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG);
    for (; (check = sv_test_find_child (chooser, GTK_TYPE_CHECK_BUTTON, n_checks)) != NULL; n_checks++)
      {
        g_assert_true (gtk_check_button_get_active (GTK_CHECK_BUTTON (check)));
        gtk_check_button_set_active (GTK_CHECK_BUTTON (check), FALSE);
      }
    g_assert_cmpuint (n_checks, ==, 20);  /* sim-2g-plain's messages */
    adw_message_dialog_response (ADW_MESSAGE_DIALOG (chooser), "backup");
    gtk_window_destroy (GTK_WINDOW (chooser));
    g_assert_cmpstr (sv_account_group_get_last_toast (group), ==, "No message was chosen");

    g_assert_true (gtk_widget_activate_action (GTK_WIDGET (group), "account.choose-messages", NULL));
    sv_test_wait_for (sv_test_has_toplevel, GSIZE_TO_POINTER (ADW_TYPE_MESSAGE_DIALOG), 30, "the message chooser");
    chooser = sv_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG);
    for (guint i = 1; (check = sv_test_find_child (chooser, GTK_TYPE_CHECK_BUTTON, i)) != NULL; i++)
      gtk_check_button_set_active (GTK_CHECK_BUTTON (check), FALSE);
    check = sv_test_find_child (chooser, GTK_TYPE_CHECK_BUTTON, 0);
    chosen_title = g_strdup (adw_preferences_row_get_title (
      ADW_PREFERENCES_ROW (gtk_widget_get_ancestor (check, ADW_TYPE_ACTION_ROW))));
    adw_message_dialog_response (ADW_MESSAGE_DIALOG (chooser), "backup");
    gtk_window_destroy (GTK_WINDOW (chooser));
    g_assert_true (sv_account_group_is_busy (group));
    sv_test_wait_for (group_idle, group, 120, "the backup of the chosen message");
    g_assert_null (sv_account_group_get_error (group));
    g_test_message ("after the chosen message: %s", sv_account_group_get_last_toast (group));
    g_assert_cmpstr (sv_account_group_get_last_toast (group), !=, "No message was chosen");

    after_choice = server_list (token, iccid, "messages");
    g_assert_cmpuint (json_array_get_length (after_choice), ==, 1);
    text = json_object_get_string_member_with_default (json_array_get_object_element (after_choice, 0),
                                                       "text", "");
    g_test_message ("chosen: \"%s\", on the server: \"%s\"", chosen_title, text);
    /* The row shows the text's first 40 characters, then an ellipsis. */
    if (g_str_has_suffix (chosen_title, "…"))
      chosen_title[strlen (chosen_title) - strlen ("…")] = '\0';
    g_assert_cmpstr (chosen_title, !=, "");
    g_assert_true (g_str_has_prefix (text, chosen_title));
  }

  /* Sign out; Back Up Now asks for the password; a wrong one is refused
   * and changes nothing (the last backup's time read from the mirror: the
   * window reloads its own copy after a backup, a moment later). */
  g_clear_pointer (&state, sv_sync_state_free);
  state = mirror_state (iccid);
  last_backup = state->last_backup_at;
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (group), "account.sign-out", NULL));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (group), "account.backup", NULL));
  sv_test_wait_for (sv_test_has_toplevel, GSIZE_TO_POINTER (SV_TYPE_ACCOUNT_DIALOG), 10, "the sign-in dialog");
  dialog = SV_ACCOUNT_DIALOG (sv_test_find_toplevel (SV_TYPE_ACCOUNT_DIALOG));
  sv_account_dialog_set_fields (dialog, NULL, NULL, "not the password");
  sv_account_dialog_submit (dialog);
  sv_test_wait_for (dialog_idle, dialog, 60, "the wrong password's answer");
  g_assert_cmpstr (sv_account_dialog_get_error (dialog), ==,
                   "The phone number or the password is wrong. Nothing was changed.");
  g_clear_pointer (&state, sv_sync_state_free);
  state = mirror_state (iccid);
  g_assert_nonnull (state);
  g_assert_cmpint (state->last_backup_at, ==, last_backup);

  /* The right one signs in and the backup goes on. */
  sv_account_dialog_set_fields (dialog, NULL, NULL, PASSWORD_1);
  sv_account_dialog_submit (dialog);
  sv_test_wait_for (sv_test_no_toplevel, GSIZE_TO_POINTER (SV_TYPE_ACCOUNT_DIALOG), 60, "the dialog to close");
  sv_test_wait_for (group_idle, group, 120, "the backup after signing in");
  g_assert_null (sv_account_group_get_error (group));

  /* Delete the backup: the confirmation names what goes. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (group), "account.deregister", NULL));
  sv_test_wait_for (sv_test_has_toplevel, GSIZE_TO_POINTER (ADW_TYPE_MESSAGE_DIALOG), 10, "the confirmation");
  {
    GtkWidget *confirm = sv_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG);
    const char *body = adw_message_dialog_get_body (ADW_MESSAGE_DIALOG (confirm));
    g_autofree char *path = g_strdup_printf ("api/v1/cards/%s", iccid);
    g_autoptr(JsonNode) gone = NULL;
    guint status = 0;

    g_assert_cmpstr (adw_message_dialog_get_heading (ADW_MESSAGE_DIALOG (confirm)), ==, "Delete the Backup?");
    g_assert_nonnull (strstr (body, iccid));
    g_assert_nonnull (strstr (body, PHONE_1));
    g_assert_nonnull (strstr (body, server_url));
    adw_message_dialog_response (ADW_MESSAGE_DIALOG (confirm), "delete");
    gtk_window_destroy (GTK_WINDOW (confirm));
    sv_test_wait_for (group_deregistered, group, 60, "the deregistration");
    g_assert_null (sv_account_group_get_error (group));
    g_clear_pointer (&state, sv_sync_state_free);
    state = mirror_state (iccid);
    g_assert_null (state);
    gone = api ("GET", path, NULL, token, &status);
    g_assert_cmpuint (status, ==, 404);
  }

  sv_test_close_window (window);
}

static gboolean
has_pending (gpointer data)
{
  SvWindow *window = data;

  return sv_test_window_idle (window) && sv_card_view_get_n_pending (window->card_view) > 0;
}

static void
answer_write_preview (void)
{
  GtkWidget *dialog;

  sv_test_wait_for (sv_test_has_toplevel, GSIZE_TO_POINTER (ADW_TYPE_MESSAGE_DIALOG), 30, "the write preview");
  dialog = sv_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG);
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "write");
  gtk_window_destroy (GTK_WINDOW (dialog));
}

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

#define PHONE_2 "+8613900139002"
#define PASSWORD_2 "edit story password"

/* Back up, edit one contact through the server's API, restore from the
 * backup, write: the card holds the server's version; then the same
 * contact edited on both sides is a conflict the dialog settles. */
static void
test_restore_and_conflict (void)
{
  g_autoptr(SvVsimFixture) card = NULL;
  g_autoptr(GPtrArray) before = NULL;
  g_autoptr(GPtrArray) after = NULL;
  g_autofree char *token = NULL;
  g_autofree char *iccid = NULL;
  g_autofree char *path = NULL;
  g_autoptr(JsonNode) answer = NULL;
  g_autoptr(SvContact) local = NULL;
  SvConflictsDialog *conflicts;
  SvAccountDialog *dialog;
  SvAccountGroup *group;
  SvContact *victim, *found;
  SvWindow *window;
  guint status = 0;

  if (server_url == NULL || sv_vsim_fixture_skip_unless_available ())
    return;
  window = open_with_card ("usim-2sets", &card);
  iccid = g_strdup (sv_card_view_get_iccid (window->card_view));
  group = account_of (window);
  dialog = submit_account_dialog (window, "account.connect", server_url, PHONE_2, PASSWORD_2);
  sv_test_wait_for (sv_test_no_toplevel, GSIZE_TO_POINTER (SV_TYPE_ACCOUNT_DIALOG), 60, "the dialog to close");
  (void) dialog;
  sv_test_wait_for (group_registered, group, 30, "the account");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (group), "account.backup", NULL));
  sv_test_wait_for (group_idle, group, 120, "the backup");
  g_assert_null (sv_account_group_get_error (group));

  /* The portal's edit. */
  before = read_contacts_from_card (sv_vsim_fixture_reader_name (card));
  victim = g_ptr_array_index (before, 0);
  token = owner_token (PHONE_2, PASSWORD_2);
  path = g_strdup_printf ("api/v1/cards/%s/contacts/%u/%u", iccid, sv_contact_get_set (victim),
                          sv_contact_get_index (victim));
  answer = api ("PUT", path, "{\"name\": \"From Portal\", \"number\": \"+8613811112222\"}", token, &status);
  g_assert_cmpuint (status, ==, 200);

  /* Restore from the backup, then write with the window's preview. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (group), "account.restore", NULL));
  sv_test_wait_for (group_idle, group, 120, "the restore");
  g_assert_null (sv_account_group_get_error (group));
  sv_test_wait_for (has_pending, window, 30, "the restored change to be pending");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.write-card", NULL));
  answer_write_preview ();
  sv_test_wait_for (sv_test_window_idle, window, 60, "the write");
  sv_test_wait_for (sv_test_card_shown, window, 30, "the card to be reloaded");
  after = read_contacts_from_card (sv_vsim_fixture_reader_name (card));
  found = find_contact (after, sv_contact_get_set (victim), sv_contact_get_index (victim));
  g_assert_nonnull (found);
  g_assert_cmpstr (sv_contact_get_name (found), ==, "From Portal");
  g_assert_cmpstr (sv_contact_get_number (found), ==, "+8613811112222");
  g_assert_cmpuint (after->len, ==, before->len);

  /* A conflict: the same contact edited here and in the portal. */
  local = sv_contact_new (sv_contact_get_set (victim), sv_contact_get_index (victim), "Edited Here",
                          "+8613800000001", NULL, NULL, NULL);
  sv_card_view_store_contact (window->card_view, local);
  sv_test_wait_for (has_pending, window, 30, "the local edit");
  g_clear_pointer (&answer, json_node_unref);
  answer = api ("PUT", path, "{\"name\": \"Portal Again\", \"number\": \"+8613833334444\"}", token, &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (group), "account.backup", NULL));
  sv_test_wait_for (group_idle, group, 120, "the backup with a conflict");
  g_assert_cmpuint (sv_account_group_get_last_backup (group)->conflicts->len, ==, 1);
  sv_test_wait_for (group_has_conflict, group, 30, "the conflict to show");
  g_assert_cmpuint (sv_account_group_get_state (group)->n_conflicts, ==, 1);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (group), "account.conflicts", NULL));
  sv_test_wait_for (sv_test_has_toplevel, GSIZE_TO_POINTER (SV_TYPE_CONFLICTS_DIALOG), 10, "the conflicts dialog");
  conflicts = SV_CONFLICTS_DIALOG (sv_test_find_toplevel (SV_TYPE_CONFLICTS_DIALOG));
  sv_test_wait_for ((SvTestCondition) sv_conflicts_dialog_is_loaded, conflicts, 30, "the conflicts");
  g_assert_cmpuint (sv_conflicts_dialog_get_n_conflicts (conflicts), ==, 1);
  {
    g_autofree char *here = sv_conflicts_dialog_dup_text (conflicts, 0, FALSE);
    g_autofree char *there = sv_conflicts_dialog_dup_text (conflicts, 0, TRUE);

    g_assert_cmpstr (here, ==, "Edited Here\n+8613800000001");
    g_assert_cmpstr (there, ==, "Portal Again\n+8613833334444");
  }
  sv_conflicts_dialog_choose (conflicts, 0, TRUE);
  sv_conflicts_dialog_apply (conflicts);
  sv_test_wait_for (sv_test_no_toplevel, GSIZE_TO_POINTER (SV_TYPE_CONFLICTS_DIALOG), 30, "the dialog to close");
  sv_test_wait_for (group_registered, group, 30, "the state after resolving");
  sv_test_wait_for (sv_test_card_shown, window, 30, "the card to be reloaded");
  {
    g_autoptr(SvSyncState) state = mirror_state (iccid);
    g_autoptr(SvMirror) mirror = sv_mirror_open (NULL, NULL);
    g_autoptr(GPtrArray) contacts = sv_mirror_list_contacts (mirror, iccid, NULL);
    SvContact *now = find_contact (contacts, sv_contact_get_set (victim), sv_contact_get_index (victim));

    g_assert_cmpuint (state->n_conflicts, ==, 0);
    g_assert_cmpstr (sv_contact_get_name (now), ==, "Portal Again");
  }

  sv_test_close_window (window);
}

#define PHONE_3 "+8613900139003"
#define PASSWORD_3 "lost sim password"
#define STAFF "shop1"
#define STAFF_PASSWORD "shop staff secret 7"

static gboolean
desk_idle (gpointer data)
{
  return !sv_restore_desk_is_busy (data);
}

static gboolean
desk_has_target (gpointer data)
{
  return sv_restore_desk_get_target (data) != NULL;
}

static gboolean
desk_at_receipt (gpointer data)
{
  return !sv_restore_desk_is_busy (data) && sv_restore_desk_get_receipt (data) != NULL;
}

/* The lost-SIM story at the shop: card A backed up by its owner; the
 * staff puts it onto a new, smaller card B with the customer's restore
 * code; B is checked through PC/SC. */
static void
test_restore_desk (void)
{
  g_autoptr(SvVsimFixture) card_a = NULL;
  g_autoptr(SvVsimFixture) card_b = NULL;
  g_autoptr(GPtrArray) on_a = NULL;
  g_autoptr(GPtrArray) on_b = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *iccid_a = NULL;
  g_autofree char *receipt_target = NULL;
  g_autofree char *token = NULL;
  g_autofree char *code = NULL;
  g_autofree char *pw_file = NULL;
  g_autofree char *profile_b = NULL;
  g_autofree char *pdf = NULL;
  g_autoptr(JsonNode) answer = NULL;
  SvAccountDialog *dialog;
  SvAccountGroup *group;
  SvRestoreDesk *desk;
  SvReceipt *receipt;
  SvWindow *window;
  guint status = 0, fits, reencoded, shortened, overflow;
  int exit_status = 0;

  if (server_url == NULL || sv_vsim_fixture_skip_unless_available ())
    return;

  /* The owner backs card A up. */
  window = open_with_card ("usim-restore-source", &card_a);
  iccid_a = g_strdup (sv_card_view_get_iccid (window->card_view));
  group = account_of (window);
  dialog = submit_account_dialog (window, "account.connect", server_url, PHONE_3, PASSWORD_3);
  (void) dialog;
  sv_test_wait_for (sv_test_no_toplevel, GSIZE_TO_POINTER (SV_TYPE_ACCOUNT_DIALOG), 60, "the dialog to close");
  sv_test_wait_for (group_registered, group, 30, "the account");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (group), "account.backup", NULL));
  sv_test_wait_for (group_idle, group, 120, "the backup");
  g_assert_null (sv_account_group_get_error (group));
  on_a = read_contacts_from_card (sv_vsim_fixture_reader_name (card_a));
  g_clear_pointer (&card_a, sv_vsim_fixture_stop);

  /* A staff account, and the customer's one-time restore code. */
  pw_file = g_build_filename (server_dir, "staff-password", NULL);
  g_file_set_contents (pw_file, STAFF_PASSWORD "\n", -1, &error);
  g_assert_no_error (error);
  {
    g_autofree char *data_arg = g_strdup_printf ("--data-dir=%s", server_dir);
    const char *argv[] = { g_getenv ("SIMVAULT_SERVER"), data_arg, "staff", "add", STAFF,
                           "--password-file", pw_file, NULL };

    g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                                 NULL, NULL, &exit_status, &error));
    g_assert_no_error (error);
    g_assert_true (g_spawn_check_wait_status (exit_status, NULL));
  }
  token = owner_token (PHONE_3, PASSWORD_3);
  answer = api ("POST", "api/v1/account/restore-codes", "{}", token, &status);
  g_assert_cmpuint (status / 100, ==, 2);
  code = g_strdup (json_object_get_string_member (json_node_get_object (answer), "code"));

  /* The desk: staff, customer, the backup's cards. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.restore-desk", NULL));
  sv_test_wait_for (sv_test_has_toplevel, GSIZE_TO_POINTER (SV_TYPE_RESTORE_DESK), 10, "the restore desk");
  desk = SV_RESTORE_DESK (sv_test_find_toplevel (SV_TYPE_RESTORE_DESK));
  g_assert_cmpstr (sv_restore_desk_get_step (desk), ==, "staff");

  sv_restore_desk_fill_staff (desk, server_url, STAFF, "wrong staff password");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (desk), "desk.staff-sign-in", NULL));
  sv_test_wait_for (desk_idle, desk, 60, "the staff sign-in");
  g_assert_cmpstr (sv_restore_desk_get_step (desk), ==, "staff");
  g_assert_nonnull (sv_restore_desk_get_error (desk));

  sv_restore_desk_fill_staff (desk, server_url, STAFF, STAFF_PASSWORD);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (desk), "desk.staff-sign-in", NULL));
  sv_test_wait_for (desk_idle, desk, 60, "the staff sign-in");
  g_assert_cmpstr (sv_restore_desk_get_step (desk), ==, "customer");

  sv_restore_desk_fill_customer (desk, PHONE_3, code, NULL);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (desk), "desk.consent", NULL));
  sv_test_wait_for (desk_idle, desk, 60, "the consent");
  g_assert_cmpstr (sv_restore_desk_get_step (desk), ==, "cards");
  g_assert_cmpuint (sv_restore_desk_get_n_cards (desk), ==, 1);

  /* The new, smaller SIM goes into the second slot. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (desk), "desk.choose-card", NULL));
  g_assert_cmpstr (sv_restore_desk_get_step (desk), ==, "insert");
  profile_b = sv_vsim_fixture_profile ("sim-2g-old-small");
  card_b = sv_vsim_fixture_start (profile_b, 1, NULL, &error);
  g_assert_no_error (error);
  sv_test_wait_for (desk_has_target, desk, 60, "the new card to be read");
  g_assert_cmpstr (sv_restore_desk_get_target (desk), !=, iccid_a);

  /* Preview: every contact of A is counted in one outcome. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (desk), "desk.preview", NULL));
  sv_test_wait_for (desk_idle, desk, 60, "the preview");
  g_assert_null (sv_restore_desk_get_error (desk));
  g_assert_cmpstr (sv_restore_desk_get_step (desk), ==, "preview");
  sv_restore_desk_get_counts (desk, &fits, &reencoded, &shortened, &overflow);
  g_assert_cmpuint (fits + reencoded + shortened + overflow, ==, on_a->len);
  /* This card's names are shorter: shortened names go only with the tick. */
  g_assert_cmpuint (shortened, >, 0);
  gtk_widget_activate_action (GTK_WIDGET (desk), "desk.write", NULL);
  g_assert_cmpstr (sv_restore_desk_get_step (desk), ==, "preview");
  g_assert_false (sv_restore_desk_is_busy (desk));
  sv_restore_desk_set_accept_truncation (desk, TRUE);

  /* Write with read-back; the receipt. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (desk), "desk.write", NULL));
  sv_test_wait_for (desk_at_receipt, desk, 120, "the write and the receipt");
  g_assert_null (sv_restore_desk_get_error (desk));
  g_assert_cmpstr (sv_restore_desk_get_step (desk), ==, "receipt");
  receipt = sv_restore_desk_get_receipt (desk);
  receipt_target = g_strdup (receipt->target_iccid);
  g_assert_cmpstr (receipt->source_iccid, ==, iccid_a);
  g_assert_cmpstr (receipt->phone, ==, PHONE_3);
  g_assert_cmpstr (receipt->staff, ==, STAFF);
  g_assert_cmpuint (receipt->contacts_written + receipt->contacts_not_fitted, ==, on_a->len);
  g_assert_cmpuint (receipt->records_verified, >, 0);

  /* On card B, through PC/SC: each contact written is one of A's. */
  on_b = read_contacts_from_card (sv_vsim_fixture_reader_name (card_b));
  g_assert_cmpuint (on_b->len, ==, receipt->contacts_written);
  for (guint i = 0; i < on_b->len; i++)
    {
      SvContact *b = g_ptr_array_index (on_b, i);
      gboolean from_a = FALSE;

      for (guint j = 0; j < on_a->len && !from_a; j++)
        {
          SvContact *a = g_ptr_array_index (on_a, j);
          const char *name_b = sv_contact_get_name (b) ? sv_contact_get_name (b) : "";

          from_a = g_strcmp0 (sv_contact_get_number (a), sv_contact_get_number (b)) == 0 &&
                   g_str_has_prefix (sv_contact_get_name (a) ? sv_contact_get_name (a) : "", name_b);
        }
      g_assert_true (from_a);
    }

  /* The receipt as a PDF. */
  pdf = g_build_filename (server_dir, "receipt.pdf", NULL);
  g_assert_true (sv_receipt_print (receipt, GTK_WINDOW (desk), pdf, &error));
  g_assert_no_error (error);
  {
    g_autofree char *contents = NULL;
    gsize len = 0;

    g_assert_true (g_file_get_contents (pdf, &contents, &len, NULL));
    g_assert_cmpuint (len, >, 100);
    g_assert_true (g_str_has_prefix (contents, "%PDF"));
  }

  gtk_window_destroy (GTK_WINDOW (desk));

  /* The main window shows card B registered to the customer's account as
   * a card change (counter B of the account went up). */
  {
    g_autoptr(SvSyncState) state_b = mirror_state (receipt_target);

    g_assert_nonnull (state_b);
    g_assert_cmpstr (state_b->phone, ==, PHONE_3);
    g_assert_cmpint (state_b->counter_b, >=, 1);
  }
  sv_test_close_window (window);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_setenv ("SV_NO_KEYRING", "1", TRUE);
  sv_test_init (&argc, &argv);
  start_server ();

  g_test_add_func ("/sv/gui/sync/account-and-backup", test_account_and_backup);
  g_test_add_func ("/sv/gui/sync/restore-and-conflict", test_restore_and_conflict);
  g_test_add_func ("/sv/gui/sync/restore-desk", test_restore_desk);

  status = g_test_run ();
  stop_server ();
  return status;
}
