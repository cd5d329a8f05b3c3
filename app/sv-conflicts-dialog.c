/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The records changed both here and on the server since the last backup,
 * each with the two versions side by side, decoded (a contact's name,
 * numbers and e-mails, a message's text). The person picks a side per
 * record or for all; applying settles them in the mirror
 * (sv_mirror_sync_resolve, as `simvault-cli backup --resolve-record`
 * does), and the caller backs up the local choices.
 */
#define G_LOG_DOMAIN "sv-conflicts-dialog"

#include "config.h"

#include <glib/gi18n.h>

#include "sv-mirror-sync.h"
#include "sv-mirror-worker.h"
#include "sv-sync-ui.h"

#include "sv-conflicts-dialog.h"

typedef struct
{
  SvSyncConflict  *conflict;
  char            *local_text;
  char            *server_text;
  GtkToggleButton *local_button;
  GtkToggleButton *server_button;
} ConflictRow;

struct _SvConflictsDialog
{
  AdwWindow             parent_instance;

  AdwPreferencesPage   *page;
  GtkButton            *apply_button;

  char                 *db_path;
  char                 *iccid;
  GArray               *rows;        /* ConflictRow */
  GPtrArray            *groups;
  GCancellable         *cancellable;
  gboolean              loaded;
  gboolean              busy;
};

G_DEFINE_FINAL_TYPE (SvConflictsDialog, sv_conflicts_dialog, ADW_TYPE_WINDOW)

enum
{
  RESOLVED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
conflict_row_clear (ConflictRow *row)
{
  g_clear_pointer (&row->conflict, sv_sync_conflict_unref);
  g_free (row->local_text);
  g_free (row->server_text);
}

static void
update_apply (SvConflictsDialog *self)
{
  gboolean any = FALSE;

  for (guint i = 0; i < self->rows->len; i++)
    {
      ConflictRow *row = &g_array_index (self->rows, ConflictRow, i);

      any |= gtk_toggle_button_get_active (row->local_button) ||
             gtk_toggle_button_get_active (row->server_button);
    }
  gtk_widget_set_sensitive (GTK_WIDGET (self->apply_button), any && !self->busy);
}

static GtkWidget *
version_button (const char *heading,
                const char *text)
{
  GtkWidget *button = gtk_toggle_button_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *title = gtk_label_new (heading);
  GtkWidget *body = gtk_label_new (text);
  g_autofree char *accessible = g_strdup_printf ("%s: %s", heading, text);

  gtk_widget_add_css_class (title, "heading");
  gtk_label_set_xalign (GTK_LABEL (title), 0);
  gtk_label_set_wrap (GTK_LABEL (title), TRUE);
  gtk_label_set_xalign (GTK_LABEL (body), 0);
  gtk_label_set_wrap (GTK_LABEL (body), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (body), PANGO_WRAP_WORD_CHAR);
  gtk_box_append (GTK_BOX (box), title);
  gtk_box_append (GTK_BOX (box), body);
  gtk_widget_set_margin_top (box, 6);
  gtk_widget_set_margin_bottom (box, 6);
  gtk_button_set_child (GTK_BUTTON (button), box);
  gtk_widget_set_hexpand (button, TRUE);
  gtk_widget_add_css_class (button, "sv-version");
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, accessible, -1);
  return button;
}

static char *
record_title (SvSyncConflict *conflict)
{
  if (g_str_has_suffix (conflict->key, "adn"))
    return g_strdup_printf (_("Contact at position %u"), conflict->index);
  if (g_str_equal (conflict->key, "sms"))
    return g_strdup_printf (_("Message record %u"), conflict->index);
  /* Translators: a record of another card file, e.g. "fdn record 3" */
  return g_strdup_printf (_("%s record %u"), conflict->key, conflict->index);
}

static void
toggled_cb (GtkToggleButton   *button,
            SvConflictsDialog *self)
{
  update_apply (self);
}

/* Loading. */

typedef struct
{
  GPtrArray   *conflicts;
  SvCardImage *image;
} Loaded;

static void
loaded_free (Loaded *loaded)
{
  g_clear_pointer (&loaded->conflicts, g_ptr_array_unref);
  g_clear_object (&loaded->image);
  g_free (loaded);
}

static gpointer
load_worker (SvMirror      *mirror,
             gpointer       user_data,
             GCancellable  *cancellable,
             GError       **error)
{
  const char *iccid = user_data;
  Loaded *loaded = g_new0 (Loaded, 1);

  if ((loaded->conflicts = sv_mirror_sync_list_conflicts (mirror, iccid, error)) == NULL ||
      (loaded->image = sv_mirror_load_image (mirror, iccid, TRUE, error)) == NULL)
    {
      loaded_free (loaded);
      return NULL;
    }
  return loaded;
}

static void
loaded_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(SvConflictsDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  Loaded *loaded = sv_mirror_worker_finish (result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self->loaded = TRUE;
  if (loaded == NULL)
    {
      GtkWidget *group = adw_preferences_group_new ();

      adw_preferences_group_set_description (ADW_PREFERENCES_GROUP (group), error->message);
      adw_preferences_page_add (self->page, ADW_PREFERENCES_GROUP (group));
      return;
    }

  for (guint i = 0; i < loaded->conflicts->len; i++)
    {
      SvSyncConflict *conflict = g_ptr_array_index (loaded->conflicts, i);
      ConflictRow row = { 0 };
      GtkWidget *group = adw_preferences_group_new ();
      GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
      g_autofree char *title = record_title (conflict);

      row.conflict = sv_sync_conflict_ref (conflict);
      row.local_text = sv_sync_ui_describe_record (loaded->image, conflict->key, conflict->index,
                                                   conflict->local_data);
      row.server_text = sv_sync_ui_describe_record (loaded->image, conflict->key, conflict->index,
                                                    conflict->server_data);
      row.local_button = GTK_TOGGLE_BUTTON (version_button (_("On This Computer"), row.local_text));
      row.server_button = GTK_TOGGLE_BUTTON (version_button (_("On the Server"), row.server_text));
      gtk_toggle_button_set_group (row.server_button, row.local_button);
      g_signal_connect (row.local_button, "toggled", G_CALLBACK (toggled_cb), self);
      g_signal_connect (row.server_button, "toggled", G_CALLBACK (toggled_cb), self);
      gtk_box_set_homogeneous (GTK_BOX (box), TRUE);
      gtk_box_append (GTK_BOX (box), GTK_WIDGET (row.local_button));
      gtk_box_append (GTK_BOX (box), GTK_WIDGET (row.server_button));
      adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (group), title);
      adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), box);
      adw_preferences_page_add (self->page, ADW_PREFERENCES_GROUP (group));
      g_ptr_array_add (self->groups, group);
      g_array_append_val (self->rows, row);
    }
  if (loaded->conflicts->len == 0)
    {
      GtkWidget *group = adw_preferences_group_new ();

      adw_preferences_group_set_description (ADW_PREFERENCES_GROUP (group), _("No conflicts are left."));
      adw_preferences_page_add (self->page, ADW_PREFERENCES_GROUP (group));
    }
  loaded_free (loaded);
  update_apply (self);
}

/* Applying. */

typedef struct
{
  char      *iccid;
  GPtrArray *conflicts;
  GArray    *sides;      /* SvSyncResolve */
} ResolveJob;

static void
resolve_job_free (ResolveJob *job)
{
  g_free (job->iccid);
  g_ptr_array_unref (job->conflicts);
  g_array_unref (job->sides);
  g_free (job);
}

static gpointer
resolve_worker (SvMirror      *mirror,
                gpointer       user_data,
                GCancellable  *cancellable,
                GError       **error)
{
  ResolveJob *job = user_data;
  guint n_local = 0;

  for (guint i = 0; i < job->conflicts->len; i++)
    {
      SvSyncConflict *conflict = g_ptr_array_index (job->conflicts, i);
      SvSyncResolve side = g_array_index (job->sides, SvSyncResolve, i);

      if (!sv_mirror_sync_resolve (mirror, job->iccid, conflict->key, conflict->index, side, error))
        return NULL;
      if (side == SV_SYNC_RESOLVE_LOCAL)
        n_local++;
    }
  return GUINT_TO_POINTER (n_local + 1);
}

static void
resolved_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(SvConflictsDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  gpointer answer = sv_mirror_worker_finish (result, &error);

  self->busy = FALSE;
  if (answer == NULL)
    {
      GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (self), _("The Choices Were Not Applied"),
                                                  error->message);

      adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
      gtk_window_present (GTK_WINDOW (dialog));
      update_apply (self);
      return;
    }
  g_signal_emit (self, signals[RESOLVED], 0, GPOINTER_TO_UINT (answer) - 1);
  gtk_window_destroy (GTK_WINDOW (self));
}

void
sv_conflicts_dialog_apply (SvConflictsDialog *self)
{
  ResolveJob *job;

  g_return_if_fail (SV_IS_CONFLICTS_DIALOG (self));

  if (self->busy)
    return;
  job = g_new0 (ResolveJob, 1);
  job->iccid = g_strdup (self->iccid);
  job->conflicts = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_sync_conflict_unref);
  job->sides = g_array_new (FALSE, FALSE, sizeof (SvSyncResolve));
  for (guint i = 0; i < self->rows->len; i++)
    {
      ConflictRow *row = &g_array_index (self->rows, ConflictRow, i);
      SvSyncResolve side;

      if (gtk_toggle_button_get_active (row->local_button))
        side = SV_SYNC_RESOLVE_LOCAL;
      else if (gtk_toggle_button_get_active (row->server_button))
        side = SV_SYNC_RESOLVE_SERVER;
      else
        continue;
      g_ptr_array_add (job->conflicts, sv_sync_conflict_ref (row->conflict));
      g_array_append_val (job->sides, side);
    }
  self->busy = TRUE;
  update_apply (self);
  sv_mirror_worker_run (self->db_path, resolve_worker, job, (GDestroyNotify) resolve_job_free, NULL,
                        self->cancellable, resolved_cb, g_object_ref (self));
}

static void
apply_clicked_cb (SvConflictsDialog *self)
{
  sv_conflicts_dialog_apply (self);
}

void
sv_conflicts_dialog_choose_all (SvConflictsDialog *self,
                                gboolean           server)
{
  g_return_if_fail (SV_IS_CONFLICTS_DIALOG (self));

  for (guint i = 0; i < self->rows->len; i++)
    sv_conflicts_dialog_choose (self, i, server);
}

static void
all_local_clicked_cb (SvConflictsDialog *self)
{
  sv_conflicts_dialog_choose_all (self, FALSE);
}

static void
all_server_clicked_cb (SvConflictsDialog *self)
{
  sv_conflicts_dialog_choose_all (self, TRUE);
}

static void
sv_conflicts_dialog_dispose (GObject *object)
{
  SvConflictsDialog *self = SV_CONFLICTS_DIALOG (object);

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), SV_TYPE_CONFLICTS_DIALOG);

  G_OBJECT_CLASS (sv_conflicts_dialog_parent_class)->dispose (object);
}

static void
sv_conflicts_dialog_finalize (GObject *object)
{
  SvConflictsDialog *self = SV_CONFLICTS_DIALOG (object);

  g_clear_object (&self->cancellable);
  g_array_unref (self->rows);
  g_ptr_array_unref (self->groups);
  g_free (self->db_path);
  g_free (self->iccid);

  G_OBJECT_CLASS (sv_conflicts_dialog_parent_class)->finalize (object);
}

static void
sv_conflicts_dialog_class_init (SvConflictsDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sv_conflicts_dialog_dispose;
  object_class->finalize = sv_conflicts_dialog_finalize;

  /**
   * SvConflictsDialog::resolved:
   * @n_local: how many records keep this computer's version (they wait
   *   for upload now)
   */
  signals[RESOLVED] =
    g_signal_new ("resolved", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PREFIX "/ui/sv-conflicts-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, SvConflictsDialog, page);
  gtk_widget_class_bind_template_child (widget_class, SvConflictsDialog, apply_button);
  gtk_widget_class_bind_template_callback (widget_class, apply_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, all_local_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, all_server_clicked_cb);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
sv_conflicts_dialog_init (SvConflictsDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->rows = g_array_new (FALSE, TRUE, sizeof (ConflictRow));
  g_array_set_clear_func (self->rows, (GDestroyNotify) conflict_row_clear);
  self->groups = g_ptr_array_new ();
  self->cancellable = g_cancellable_new ();
}

GtkWidget *
sv_conflicts_dialog_new (GtkWindow  *parent,
                         const char *db_path,
                         const char *iccid)
{
  SvConflictsDialog *self = g_object_new (SV_TYPE_CONFLICTS_DIALOG,
                                          "transient-for", parent,
                                          NULL);

  self->db_path = g_strdup (db_path);
  self->iccid = g_strdup (iccid);
  sv_mirror_worker_run (db_path, load_worker, g_strdup (iccid), g_free, (GDestroyNotify) loaded_free,
                        self->cancellable, loaded_cb, g_object_ref (self));
  return GTK_WIDGET (self);
}

gboolean
sv_conflicts_dialog_is_loaded (SvConflictsDialog *self)
{
  g_return_val_if_fail (SV_IS_CONFLICTS_DIALOG (self), FALSE);
  return self->loaded;
}

guint
sv_conflicts_dialog_get_n_conflicts (SvConflictsDialog *self)
{
  g_return_val_if_fail (SV_IS_CONFLICTS_DIALOG (self), 0);
  return self->rows->len;
}

/* Returns: (transfer full): the decoded version shown for the @nth record */
char *
sv_conflicts_dialog_dup_text (SvConflictsDialog *self,
                              guint              nth,
                              gboolean           server)
{
  ConflictRow *row;

  g_return_val_if_fail (SV_IS_CONFLICTS_DIALOG (self), NULL);
  g_return_val_if_fail (nth < self->rows->len, NULL);
  row = &g_array_index (self->rows, ConflictRow, nth);
  return g_strdup (server ? row->server_text : row->local_text);
}

void
sv_conflicts_dialog_choose (SvConflictsDialog *self,
                            guint              nth,
                            gboolean           server)
{
  ConflictRow *row;

  g_return_if_fail (SV_IS_CONFLICTS_DIALOG (self));
  g_return_if_fail (nth < self->rows->len);
  row = &g_array_index (self->rows, ConflictRow, nth);
  gtk_toggle_button_set_active (server ? row->server_button : row->local_button, TRUE);
}
