/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The window's backup actions: Back Up Now for the card shown (the
 * Card page's account group does the work) and the shop's restore desk.
 */
#define G_LOG_DOMAIN "sv-window-sync"

#include "config.h"

#include "sv-account-group.h"
#include "sv-restore-desk.h"
#include "sv-window-private.h"

static void
back_up_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  SvWindow *self = SV_WINDOW (widget);

  if (sv_card_view_get_iccid (self->card_view) == NULL)
    return;
  gtk_widget_activate_action (GTK_WIDGET (sv_card_view_get_account_group (self->card_view)),
                              "account.backup", NULL);
}

/* Restore From the Backup for the card shown, as its row on the Card page
 * does; a window action so that it is reachable from the window (and its
 * accessible actions) whatever page is shown. */
static void
restore_from_backup_action (GtkWidget  *widget,
                            const char *action_name,
                            GVariant   *parameter)
{
  SvWindow *self = SV_WINDOW (widget);
  SvAccountGroup *group = sv_card_view_get_account_group (self->card_view);
  const char *iccid = sv_card_view_get_iccid (self->card_view);

  if (iccid == NULL)
    return;
  if (sv_account_group_get_state (group) != NULL)
    gtk_widget_activate_action (GTK_WIDGET (group), "account.restore", NULL);
  else
    sv_account_group_activate_when_loaded (group, iccid, "account.restore");
}

static void
restore_desk_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  SvWindow *self = SV_WINDOW (widget);
  GtkWidget *desk = sv_restore_desk_new (self);

  gtk_window_present (GTK_WINDOW (desk));
}

void
sv_window_class_add_sync_actions (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "win.back-up", NULL, back_up_action);
  gtk_widget_class_install_action (widget_class, "win.restore-desk", NULL, restore_desk_action);
  gtk_widget_class_install_action (widget_class, "win.restore-from-backup", NULL, restore_from_backup_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_b, GDK_CONTROL_MASK, "win.back-up", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_r, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "win.restore-desk", NULL);
}
