/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The automatic backup after a card read (settings "auto-backup",
 * "auto-backup-changes", "auto-backup-hours"; off by default). The
 * decision and the backup run in the operations layer's worker; the window
 * only says what happened: a toast when records went up, the banner when
 * the backup failed. Never a dialog: nobody asked for it.
 */
#define G_LOG_DOMAIN "sv-window"

#include "config.h"

#include <glib/gi18n.h>

#include "sv-application.h"
#include "sv-auto-backup-operation.h"
#include "sv-window-private.h"

static void
auto_backup_done_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(SvWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(SvBackupResult) backup = NULL;
  gboolean ran = FALSE;

  backup = sv_auto_backup_operation_run_finish (result, &ran, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (error != NULL)
    {
      g_autofree char *text = g_strdup_printf (_("Automatic backup failed: %s"), error->message);

      sv_window_show_banner (self, text, NULL, NULL);
      return;
    }
  if (!ran || backup == NULL)
    return;
  /* The Card page's Backup group shows the new state. */
  sv_card_view_reload (self->card_view);

  if (backup->conflicts->len > 0)
    {
      g_autofree char *text =
        g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                      "Backed up; %u record was also changed on the server and was left as it is",
                                      "Backed up; %u records were also changed on the server and were left as they are",
                                      backup->conflicts->len),
                         backup->conflicts->len);

      sv_window_show_banner (self, text, NULL, NULL);
    }
  else
    {
      g_autofree char *text =
        g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                      "Backed up %u record to the server",
                                      "Backed up %u records to the server",
                                      backup->records_applied),
                         backup->records_applied);

      sv_window_add_toast (self, adw_toast_new (text));
    }
}

/**
 * sv_window_maybe_auto_backup:
 * @iccid: the card just read
 *
 * Starts the automatic backup of @iccid when the settings ask for it; the
 * operation decides whether it is due.
 */
void
sv_window_maybe_auto_backup (SvWindow   *self,
                             const char *iccid)
{
  GApplication *app = g_application_get_default ();
  GSettings *settings;
  SvAutoBackupPolicy policy;

  if (app == NULL || !SV_IS_APPLICATION (app) ||
      (settings = sv_application_get_settings (SV_APPLICATION (app))) == NULL ||
      !g_settings_get_boolean (settings, "auto-backup"))
    return;

  policy.min_changes = g_settings_get_uint (settings, "auto-backup-changes");
  policy.max_hours = g_settings_get_uint (settings, "auto-backup-hours");
  if (self->backup_cancellable == NULL)
    self->backup_cancellable = g_cancellable_new ();
  sv_auto_backup_operation_run_async (self->db_path, iccid, &policy, self->backup_cancellable,
                                      auto_backup_done_cb, g_object_ref (self));
}
