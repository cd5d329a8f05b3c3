/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * sv-screenshots OUTDIR [--only-main]: drives the real window on the real
 * PC/SC stack (virtual cards through the card harness) into its main
 * states and saves each as a PNG rendered by GTK itself. Run by
 * build-aux/screenshots.sh; the README shows the results.
 */
#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <locale.h>

#include "sv-contact-editor.h"
#include "sv-gui-test-util.h"
#include "sv-messages-page.h"
#include "sv-pin-dialog.h"
#include "sv-vsim-fixture.h"

static const char *outdir;

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

  /* Let layout and animations settle first. */
  for (int i = 0; i < 50; i++)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (10000);
    }

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

static SvVsimFixture *
insert (const char *profile,
        guint       slot)
{
  g_autofree char *path = sv_vsim_fixture_profile (profile);
  g_autoptr(GError) error = NULL;
  SvVsimFixture *card = sv_vsim_fixture_start (path, slot, NULL, &error);

  if (card == NULL)
    g_error ("Cannot insert %s: %s", profile, error->message);

  return card;
}

static char *shown_iccid;

static gboolean
other_card_shown (gpointer window)
{
  return sv_test_card_shown (window) &&
         g_strcmp0 (sv_card_view_get_iccid (SV_WINDOW (window)->card_view), shown_iccid) != 0;
}

static void
select_first_contact (SvWindow *window)
{
  GListModel *model = sv_contacts_page_get_model (sv_card_view_get_contacts_page (window->card_view));

  gtk_selection_model_select_item (GTK_SELECTION_MODEL (model), 0, TRUE);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(SvVsimFixture) card = NULL;
  gboolean only_main;
  SvWindow *window;
  GtkWidget *dialog;

  setlocale (LC_ALL, "");
  if (g_getenv ("SV_LOCALEDIR") != NULL)
    bindtextdomain (GETTEXT_PACKAGE, g_getenv ("SV_LOCALEDIR"));
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  sv_test_init (&argc, &argv);
  if (argc < 2)
    g_error ("usage: sv-screenshots OUTDIR [--only-main]");
  outdir = argv[1];
  only_main = argc > 2 && g_str_equal (argv[2], "--only-main");
  if (!sv_vsim_fixture_available ())
    g_error ("The card harness is not running (see build-aux/with-card-harness.sh)");
  g_mkdir_with_parents (outdir, 0755);
  sv_test_reset_db ();

  window = sv_test_open_window ();
  gtk_window_set_default_size (GTK_WINDOW (window), 1100, 700);
  card = insert ("usim-ucs2", 0);
  sv_test_wait_for (sv_test_card_shown, window, 60, "the card to be read");

  if (only_main)
    {
      save_png (GTK_WIDGET (window), "window-translated.png");
      sv_test_close_window (window);
      g_clear_pointer (&card, sv_vsim_fixture_stop);
      g_clear_object (&sv_test_app);
      return 0;
    }

  save_png (GTK_WIDGET (window), "window-contacts.png");

  /* The contact editor, with a name too long for this card. */
  select_first_contact (window);
  gtk_widget_activate_action (GTK_WIDGET (window->card_view), "card.edit-contact", NULL);
  sv_test_wait_for (sv_test_has_toplevel, GSIZE_TO_POINTER (SV_TYPE_CONTACT_EDITOR), 10, "the editor");
  dialog = sv_test_find_toplevel (SV_TYPE_CONTACT_EDITOR);
  sv_contact_editor_set_name (SV_CONTACT_EDITOR (dialog), "Александра Константиновна");
  save_png (dialog, "contact-editor.png");
  sv_contact_editor_set_name (SV_CONTACT_EDITOR (dialog), "Александра");
  g_signal_emit_by_name (sv_test_find_child (dialog, GTK_TYPE_BUTTON, 1), "clicked");
  sv_test_wait_for (sv_test_window_idle, window, 30, "the edit to be stored");
  sv_test_wait_for (sv_test_card_shown, window, 30, "the card to be shown");

  /* The write preview. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.write-card", NULL);
  sv_test_wait_for (sv_test_has_toplevel, GSIZE_TO_POINTER (ADW_TYPE_MESSAGE_DIALOG), 30, "the preview");
  dialog = sv_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG);
  save_png (dialog, "write-preview.png");
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  gtk_window_destroy (GTK_WINDOW (dialog));
  sv_test_wait_for (sv_test_window_idle, window, 30, "the preview to close");

  /* Messages, as conversations. */
  g_clear_pointer (&card, sv_vsim_fixture_stop);
  g_free (shown_iccid);
  shown_iccid = g_strdup (sv_card_view_get_iccid (window->card_view));
  card = insert ("usim-sms", 0);
  sv_test_wait_for (other_card_shown, window, 60, "the SMS card to be read");
  adw_view_stack_set_visible_child_name (sv_card_view_get_view_stack (window->card_view), "messages");
  sv_messages_page_show_conversation (sv_card_view_get_messages_page (window->card_view), 0);
  save_png (GTK_WIDGET (window), "window-messages.png");

  /* Dark style, and 360 px wide: the leaflet folds. */
  adw_view_stack_set_visible_child_name (sv_card_view_get_view_stack (window->card_view), "contacts");
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_DARK);
  save_png (GTK_WIDGET (window), "window-dark.png");
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_DEFAULT);
  gtk_window_unmaximize (GTK_WINDOW (window));
  gtk_window_set_default_size (GTK_WINDOW (window), 360, 700);
  save_png (GTK_WIDGET (window), "window-narrow.png");
  sv_test_close_window (window);
  g_clear_pointer (&card, sv_vsim_fixture_stop);

  /* A PIN-protected card. */
  sv_test_reset_db ();
  window = sv_test_open_window ();
  card = insert ("usim-pin", 0);
  sv_test_wait_for (sv_test_has_toplevel, GSIZE_TO_POINTER (SV_TYPE_PIN_DIALOG), 30, "the PIN dialog");
  save_png (sv_test_find_toplevel (SV_TYPE_PIN_DIALOG), "pin-dialog.png");
  sv_test_close_window (window);
  g_clear_pointer (&card, sv_vsim_fixture_stop);

  /* Nothing inserted. */
  sv_test_reset_db ();
  window = sv_test_open_window ();
  gtk_window_set_default_size (GTK_WINDOW (window), 1100, 700);
  save_png (GTK_WIDGET (window), "window-empty.png");
  sv_test_close_window (window);

  g_clear_pointer (&shown_iccid, g_free);
  g_clear_object (&sv_test_app);
  return 0;
}
