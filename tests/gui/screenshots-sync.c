/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Not a test: build-aux/screenshots.sh runs it to picture the backup and
 * restore states of the window (Card page account, connect dialog,
 * conflicts, the restore desk's steps, a new message, the automatic
 * backup preferences) against a loopback simvault-server
 * (SIMVAULT_SERVER) and virtual cards.
 *
 *   sv-screenshots-sync OUTDIR
 */
#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <libsoup/soup.h>
#include <json-glib/json-glib.h>
#include <locale.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>

#include "sv-account-dialog.h"
#include "sv-account-group.h"
#include "sv-conflicts-dialog.h"
#include "sv-gui-test-util.h"
#include "sv-preferences-window.h"
#include "sv-restore-desk.h"
#include "sv-vsim-fixture.h"

static const char *outdir;
static char *server_url;
static char *server_dir;

static void
settle (void)
{
  for (int i = 0; i < 60; i++)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (10000);
    }
}

static void
save_png (GtkWidget  *widget,
          const char *name)
{
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *path = g_build_filename (outdir, name, NULL);
  int width, height;

  settle ();
  width = gtk_widget_get_width (widget);
  height = gtk_widget_get_height (widget);
  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), width, height);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (gtk_widget_get_native (widget)),
                                         node, &GRAPHENE_RECT_INIT (0, 0, width, height));
  if (!gdk_texture_save_to_png (texture, path))
    g_error ("Cannot write %s", path);
  g_print ("%s\n", path);
}

static void
die_with_parent (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

static GSubprocess *
start_server (void)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                       G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *data_arg = NULL;
  GSubprocess *server;
  char *line;

  server_dir = g_dir_make_tmp ("sv-shots-XXXXXX", &error);
  g_assert_no_error (error);
  data_arg = g_strdup_printf ("--data-dir=%s", server_dir);
  g_subprocess_launcher_setenv (launcher, "SIMVAULT_SERVER_PASSWORD_COST", "test-only", TRUE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  server = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("SIMVAULT_SERVER"), "--port=0",
                                        data_arg, NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (server));
  line = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
  g_assert_no_error (error);
  server_url = g_str_has_suffix (line, "/") ? g_strdup (line) : g_strconcat (line, "/", NULL);
  g_free (line);
  return server;
}

static JsonNode *
api (const char *method,
     const char *path,
     const char *body,
     const char *token)
{
  static SoupSession *session;
  g_autofree char *url = g_strconcat (server_url, path, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new (method, url);
  g_autoptr(GBytes) answer = NULL;
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
  answer = soup_session_send_and_read (session, msg, NULL, NULL);
  if (answer == NULL || g_bytes_get_size (answer) == 0 ||
      !json_parser_load_from_data (parser, g_bytes_get_data (answer, NULL), g_bytes_get_size (answer), NULL))
    return NULL;
  return json_node_copy (json_parser_get_root (parser));
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

static gboolean
group_backed_up (gpointer data)
{
  const SvSyncState *state = sv_account_group_get_state (data);

  return !sv_account_group_is_busy (data) && state != NULL && state->last_backup_at > 0;
}

static gboolean
group_has_conflict (gpointer data)
{
  const SvSyncState *state = sv_account_group_get_state (data);

  return !sv_account_group_is_busy (data) && state != NULL && state->n_conflicts > 0;
}

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

static void
show_card_page (SvWindow *window)
{
  SvAccountGroup *group = sv_card_view_get_account_group (window->card_view);
  GtkWidget *button;

  adw_view_stack_set_visible_child_name (sv_card_view_get_view_stack (window->card_view), "card");
  settle ();
  /* Scroll the Backup group (the page's last) into view. */
  button = gtk_widget_get_ancestor (GTK_WIDGET (group), GTK_TYPE_SCROLLED_WINDOW);
  if (button != NULL)
    {
      GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (button));

      settle ();
      gtk_adjustment_set_value (adjustment, gtk_adjustment_get_upper (adjustment) -
                                            gtk_adjustment_get_page_size (adjustment));
    }
}

#define PHONE "+8613900139009"
#define PASSWORD "screenshot password"

int
main (int    argc,
      char **argv)
{
  g_autoptr(SvVsimFixture) card = NULL;
  g_autoptr(SvVsimFixture) card_b = NULL;
  g_autoptr(GSubprocess) server = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) answer = NULL;
  g_autofree char *token = NULL;
  g_autofree char *code = NULL;
  g_autofree char *path = NULL;
  g_autofree char *pw_file = NULL;
  SvAccountGroup *group;
  SvAccountDialog *dialog;
  SvRestoreDesk *desk;
  GtkWidget *window_widget, *other;
  SvWindow *window;
  const char *iccid;
  int status = 0;

  setlocale (LC_ALL, "");
  if (g_getenv ("SV_LOCALEDIR") != NULL)
    bindtextdomain (GETTEXT_PACKAGE, g_getenv ("SV_LOCALEDIR"));
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  g_setenv ("SV_NO_KEYRING", "1", TRUE);

  sv_test_init (&argc, &argv);
  if (argc < 2 || g_getenv ("SIMVAULT_SERVER") == NULL)
    g_error ("usage: SIMVAULT_SERVER=PATH sv-screenshots-sync OUTDIR");
  outdir = argv[1];
  if (!sv_vsim_fixture_available ())
    g_error ("The card harness is not running (see build-aux/with-card-harness.sh)");
  g_mkdir_with_parents (outdir, 0755);
  server = start_server ();
  sv_test_reset_db ();

  window = sv_test_open_window ();
  window_widget = GTK_WIDGET (window);
  gtk_window_set_default_size (GTK_WINDOW (window), 1100, 900);
  {
    g_autofree char *profile = sv_vsim_fixture_profile ("usim-restore-source");

    card = sv_vsim_fixture_start (profile, 0, NULL, &error);
    g_assert_no_error (error);
  }
  sv_test_wait_for (sv_test_card_shown, window, 60, "the card to be read");
  iccid = sv_card_view_get_iccid (window->card_view);
  group = sv_card_view_get_account_group (window->card_view);

  /* Not backed up yet, then the connect dialog. */
  show_card_page (window);
  save_png (window_widget, "backup-not-connected.png");
  gtk_widget_activate_action (GTK_WIDGET (group), "account.connect", NULL);
  sv_test_wait_for (sv_test_has_toplevel, GSIZE_TO_POINTER (SV_TYPE_ACCOUNT_DIALOG), 10, "the dialog");
  dialog = SV_ACCOUNT_DIALOG (sv_test_find_toplevel (SV_TYPE_ACCOUNT_DIALOG));
  sv_account_dialog_set_fields (dialog, server_url, PHONE, PASSWORD);
  save_png (GTK_WIDGET (dialog), "backup-connect-dialog.png");
  sv_account_dialog_submit (dialog);
  sv_test_wait_for (sv_test_no_toplevel, GSIZE_TO_POINTER (SV_TYPE_ACCOUNT_DIALOG), 60, "the dialog to close");
  sv_test_wait_for (group_registered, group, 30, "the account");

  /* Back up now; the state after it. */
  gtk_widget_activate_action (GTK_WIDGET (group), "account.backup", NULL);
  sv_test_wait_for (group_idle, group, 120, "the backup");
  sv_test_wait_for (group_backed_up, group, 30, "the state");
  show_card_page (window);
  save_png (window_widget, "backup-state.png");

  /* A conflict: edited here and in the portal. */
  {
    g_autofree char *body = g_strdup_printf ("{\"phone\": \"%s\", \"password\": \"%s\"}", PHONE, PASSWORD);
    g_autoptr(JsonNode) session = api ("POST", "api/v1/session", body, NULL);
    g_autoptr(SvContact) local = sv_contact_new (1, 1, "Li Lei (home)", "+8613812345678", NULL, NULL, NULL);
    g_autoptr(JsonNode) put = NULL;

    token = g_strdup (json_object_get_string_member (json_node_get_object (session), "token"));
    path = g_strdup_printf ("api/v1/cards/%s/contacts/1/1", iccid);
    put = api ("PUT", path, "{\"name\": \"Li Lei (office)\", \"number\": \"+861087654321\"}", token);
    sv_card_view_store_contact (window->card_view, local);
    sv_test_wait_for (sv_test_window_idle, window, 30, "the edit");
  }
  gtk_widget_activate_action (GTK_WIDGET (group), "account.backup", NULL);
  sv_test_wait_for (group_has_conflict, group, 120, "the conflict");
  gtk_widget_activate_action (GTK_WIDGET (group), "account.conflicts", NULL);
  sv_test_wait_for (sv_test_has_toplevel, GSIZE_TO_POINTER (SV_TYPE_CONFLICTS_DIALOG), 10, "the conflicts");
  other = sv_test_find_toplevel (SV_TYPE_CONFLICTS_DIALOG);
  sv_test_wait_for ((SvTestCondition) sv_conflicts_dialog_is_loaded, other, 30, "the conflicts to load");
  sv_conflicts_dialog_choose (SV_CONFLICTS_DIALOG (other), 0, TRUE);
  save_png (other, "conflicts-dialog.png");
  gtk_window_destroy (GTK_WINDOW (other));

  /* A new message from the Messages page. */
  adw_view_stack_set_visible_child_name (sv_card_view_get_view_stack (window->card_view), "messages");
  gtk_widget_activate_action (GTK_WIDGET (window->card_view), "card.new-message", NULL);
  sv_test_wait_for (sv_test_has_toplevel, GSIZE_TO_POINTER (ADW_TYPE_MESSAGE_DIALOG), 10, "the composer");
  other = sv_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG);
  gtk_editable_set_text (GTK_EDITABLE (sv_test_find_child (other, ADW_TYPE_ENTRY_ROW, 0)), "+8613800138000");
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (GTK_TEXT_VIEW (sv_test_find_child (other, GTK_TYPE_TEXT_VIEW, 0))),
                            "Picked up the new SIM at the shop, all contacts are back.", -1);
  save_png (other, "new-message.png");
  gtk_window_destroy (GTK_WINDOW (other));

  /* Automatic backup in Preferences. */
  other = sv_preferences_window_new (GTK_WINDOW (window), sv_application_get_settings (sv_test_app));
  gtk_window_present (GTK_WINDOW (other));
  save_png (other, "preferences-backup.png");
  gtk_window_destroy (GTK_WINDOW (other));

  /* The restore desk: a staff account and the customer's code. */
  pw_file = g_build_filename (server_dir, "staff", NULL);
  g_file_set_contents (pw_file, "shop staff secret 7\n", -1, NULL);
  {
    g_autofree char *data_arg = g_strdup_printf ("--data-dir=%s", server_dir);
    const char *args[] = { g_getenv ("SIMVAULT_SERVER"), data_arg, "staff", "add", "wangfang",
                           "--password-file", pw_file, NULL };

    g_spawn_sync (NULL, (char **) args, NULL, G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                  NULL, NULL, NULL, NULL, &status, NULL);
  }
  answer = api ("POST", "api/v1/account/restore-codes", "{}", token);
  code = g_strdup (json_object_get_string_member (json_node_get_object (answer), "code"));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.restore-desk", NULL);
  sv_test_wait_for (sv_test_has_toplevel, GSIZE_TO_POINTER (SV_TYPE_RESTORE_DESK), 10, "the desk");
  desk = SV_RESTORE_DESK (sv_test_find_toplevel (SV_TYPE_RESTORE_DESK));
  sv_restore_desk_fill_staff (desk, server_url, "wangfang", "shop staff secret 7");
  save_png (GTK_WIDGET (desk), "restore-desk-staff.png");
  gtk_widget_activate_action (GTK_WIDGET (desk), "desk.staff-sign-in", NULL);
  sv_test_wait_for (desk_idle, desk, 60, "the staff sign-in");
  if (g_strcmp0 (sv_restore_desk_get_step (desk), "customer") != 0)
    g_error ("The staff sign-in failed: %s", sv_restore_desk_get_error (desk));
  sv_restore_desk_fill_customer (desk, PHONE, code, NULL);
  save_png (GTK_WIDGET (desk), "restore-desk-customer.png");
  gtk_widget_activate_action (GTK_WIDGET (desk), "desk.consent", NULL);
  sv_test_wait_for (desk_idle, desk, 60, "the consent");
  save_png (GTK_WIDGET (desk), "restore-desk-cards.png");
  gtk_widget_activate_action (GTK_WIDGET (desk), "desk.choose-card", NULL);
  save_png (GTK_WIDGET (desk), "restore-desk-insert.png");
  {
    g_autofree char *profile = sv_vsim_fixture_profile ("sim-2g-old-small");

    card_b = sv_vsim_fixture_start (profile, 1, NULL, &error);
    g_assert_no_error (error);
  }
  sv_test_wait_for (desk_has_target, desk, 60, "the new card");
  gtk_widget_activate_action (GTK_WIDGET (desk), "desk.preview", NULL);
  sv_test_wait_for (desk_idle, desk, 60, "the preview");
  save_png (GTK_WIDGET (desk), "restore-desk-preview.png");
  sv_restore_desk_set_accept_truncation (desk, TRUE);
  gtk_widget_activate_action (GTK_WIDGET (desk), "desk.write", NULL);
  sv_test_wait_for ((SvTestCondition) sv_restore_desk_get_receipt, desk, 120, "the receipt");
  sv_test_wait_for (desk_idle, desk, 60, "the write");
  save_png (GTK_WIDGET (desk), "restore-desk-receipt.png");
  {
    g_autofree char *pdf = g_build_filename (outdir, "restore-receipt.pdf", NULL);

    sv_receipt_print (sv_restore_desk_get_receipt (desk), GTK_WINDOW (desk), pdf, NULL);
  }

  /* Dark style at 360 px. */
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_DARK);
  gtk_window_set_default_size (GTK_WINDOW (desk), 360, 720);
  save_png (GTK_WIDGET (desk), "restore-desk-receipt-dark-360.png");
  gtk_window_destroy (GTK_WINDOW (desk));
  gtk_window_set_default_size (GTK_WINDOW (window), 360, 720);
  show_card_page (window);
  save_png (window_widget, "backup-state-dark-360.png");

  sv_test_close_window (window);
  g_subprocess_send_signal (server, SIGTERM);
  g_subprocess_wait (server, NULL, NULL);
  return 0;
}
