/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Work a previous run left interrupted (SimVault killed or crashed during
 * a write, a backup or a restore; sv-interrupted-work.c): the window says
 * what it was, with what the card journal and the mirror know of it, in
 * the banner, and its button finishes it through the usual path (the
 * write's preview, Back Up Now, Restore), so the same checks apply: the
 * write resumes from its journal, the backup resends its outbox batch with
 * the same id (the server applies it once), the restore is fetched again.
 * The banner stays until every item is finished.
 */
#define G_LOG_DOMAIN "sv-window"

#include "config.h"

#include <glib/gi18n.h>

#include "sv-account-group.h"
#include "sv-card-writer.h"
#include "sv-interrupted-work.h"
#include "sv-mirror-sync.h"
#include "sv-mirror-worker.h"
#include "sv-window-private.h"

typedef struct
{
  SvWorkKind  kind;
  char       *iccid;
} ItemCopy;

static void
item_copies_free (GArray *items)
{
  for (guint i = 0; i < items->len; i++)
    g_free (g_array_index (items, ItemCopy, i).iccid);
  g_array_unref (items);
}

static char *
describe_item (SvMirror       *mirror,
               const ItemCopy *item)
{
  switch (item->kind)
    {
    case SV_WORK_WRITE:
      {
        g_autofree char *journal = sv_card_journal_path (item->iccid);
        guint total = 0;
        g_autoptr(GPtrArray) written = sv_card_journal_load_written (journal, &total, NULL);

        if (written != NULL && total > 0)
          return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                               "SimVault was closed while writing to card %s: %u of %u record was written. Insert the card and finish the write.",
                                               "SimVault was closed while writing to card %s: %u of %u records were written. Insert the card and finish the write.",
                                               total),
                                  item->iccid, written->len, total);
        return g_strdup_printf (_("SimVault was closed while writing to card %s. Insert the card and finish the write."),
                                item->iccid);
      }

    case SV_WORK_BACKUP:
      {
        g_autoptr(GError) error = NULL;
        SvSyncState *state = sv_mirror_sync_get_state (mirror, item->iccid, &error);
        char *text;

        if (state == NULL)
          return g_strdup_printf (_("SimVault was closed while backing up card %s. Back it up again to finish."),
                                  item->iccid);
        text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                             "SimVault was closed while backing up card %s: %u unacknowledged batch and %u records wait for the server. Finish the backup: the server keeps each record once.",
                                             "SimVault was closed while backing up card %s: %u unacknowledged batches and %u records wait for the server. Finish the backup: the server keeps each record once.",
                                             state->n_outbox),
                                item->iccid, state->n_outbox, state->n_pending_records);
        sv_sync_state_free (state);
        return text;
      }

    case SV_WORK_RESTORE:
    default:
      return g_strdup_printf (_("SimVault was closed while restoring card %s from its backup. Restore again to finish; then write the changes to the card."),
                              item->iccid);
    }
}

static gpointer
describe_worker (SvMirror      *mirror,
                 gpointer       user_data,
                 GCancellable  *cancellable,
                 GError       **error)
{
  GArray *items = user_data;
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < items->len; i++)
    {
      g_autofree char *line = describe_item (mirror, &g_array_index (items, ItemCopy, i));

      if (text->len > 0)
        g_string_append_c (text, '\n');
      g_string_append (text, line);
    }
  return g_string_free (text, FALSE);
}

static void
describe_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(SvWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  char *text = sv_mirror_worker_finish (result, &error);

  if (text == NULL)
    return;
  g_free (self->interrupted_text);
  self->interrupted_text = text;
  sv_window_hide_banner (self);         /* shows it: see sv_window_hide_banner() */
  sv_window_update_actions (self);
}

static const char *
finish_label (SvWorkKind kind)
{
  switch (kind)
    {
    case SV_WORK_WRITE:
      return _("_Finish Writing");
    case SV_WORK_BACKUP:
      return _("_Finish Backup");
    case SV_WORK_RESTORE:
    default:
      return _("_Finish Restore");
    }
}

/**
 * sv_window_show_interrupted:
 *
 * Shows the interrupted work in the banner, if any is left; returns
 * whether it did.
 */
gboolean
sv_window_show_interrupted (SvWindow *self)
{
  GPtrArray *items = sv_interrupted_work_get_items (sv_interrupted_work_get_default ());
  SvInterruptedItem *first;

  if (items->len == 0 || self->interrupted_text == NULL)
    return FALSE;
  first = g_ptr_array_index (items, 0);
  sv_window_show_banner (self, self->interrupted_text, finish_label (first->kind),
                         "win.finish-interrupted");
  return TRUE;
}

/**
 * sv_window_update_interrupted:
 *
 * Describes the interrupted work again (the journal and the mirror in a
 * worker), then shows it; hides the banner when nothing is left.
 */
void
sv_window_update_interrupted (SvWindow *self)
{
  GPtrArray *items = sv_interrupted_work_get_items (sv_interrupted_work_get_default ());
  GArray *copies;

  if (items->len == 0)
    {
      if (self->interrupted_text != NULL)
        {
          g_clear_pointer (&self->interrupted_text, g_free);
          if (g_strcmp0 (self->banner_action, "win.finish-interrupted") == 0)
            sv_window_hide_banner (self);
        }
      sv_window_update_actions (self);
      return;
    }

  copies = g_array_sized_new (FALSE, TRUE, sizeof (ItemCopy), items->len);
  for (guint i = 0; i < items->len; i++)
    {
      SvInterruptedItem *item = g_ptr_array_index (items, i);
      ItemCopy copy = { item->kind, g_strdup (item->iccid) };

      g_array_append_val (copies, copy);
    }
  sv_mirror_worker_run (self->db_path, describe_worker, copies, (GDestroyNotify) item_copies_free,
                        g_free, NULL, describe_cb, g_object_ref (self));
  sv_window_update_actions (self);
}

static void
finish_interrupted_action (GtkWidget  *widget,
                           const char *action_name,
                           GVariant   *parameter)
{
  SvWindow *self = SV_WINDOW (widget);
  GPtrArray *items = sv_interrupted_work_get_items (sv_interrupted_work_get_default ());
  SvInterruptedItem *item;

  if (items->len == 0 || self->card_busy)
    return;
  item = g_ptr_array_index (items, 0);

  if (item->kind == SV_WORK_WRITE)
    {
      if (g_strcmp0 (sv_card_view_get_iccid (self->card_view), item->iccid) != 0)
        sv_window_show_card (self, item->iccid);
      sv_window_write_card (self, item->iccid);
      return;
    }

  /* Backup and restore run in the card's Backup group, with its progress
   * and its password; it starts them once it has loaded the card. */
  sv_account_group_activate_when_loaded (sv_card_view_get_account_group (self->card_view), item->iccid,
                                         item->kind == SV_WORK_BACKUP ? "account.backup" : "account.restore");
  sv_window_show_card (self, item->iccid);
}

void
sv_window_interrupted_init (SvWindow *self)
{
  g_signal_connect_object (sv_interrupted_work_get_default (), "changed",
                           G_CALLBACK (sv_window_update_interrupted), self, G_CONNECT_SWAPPED);
  sv_window_update_interrupted (self);
}

void
sv_window_class_add_interrupted_actions (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "win.finish-interrupted", NULL, finish_interrupted_action);
}
