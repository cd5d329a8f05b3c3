/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What was running when SimVault last died. Each write, backup and
 * restore leaves a marker file under $XDG_STATE_HOME/simvault/running/
 * while it runs ("write-<ICCID>", …, holding the process id and the start
 * time) and removes it when its outcome has been shown. A marker left by a
 * process that is gone means that process was killed in the middle: the
 * next start reads them into the list of interrupted work, which the
 * window announces and offers to finish. An item leaves the list when the
 * same work on the same card completes.
 *
 * The details (records already on the card, batches waiting for the
 * server's answer) are the card journal's and the mirror's; this only
 * remembers *that* something ran. The markers are a few bytes written
 * with g_file_set_contents() (atomic rename), like GSettings' keyfile
 * backend does on the main thread.
 */
#define G_LOG_DOMAIN "sv-interrupted-work"

#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "sv-interrupted-work.h"

struct _SvInterruptedWork
{
  GObject    parent_instance;
  char      *dir;
  GPtrArray *items;             /* SvInterruptedItem, from the previous run */
  GHashTable *begun;            /* marker paths this process wrote */
};

G_DEFINE_FINAL_TYPE (SvInterruptedWork, sv_interrupted_work, G_TYPE_OBJECT)

enum
{
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static const char *const kind_names[] = {
  [SV_WORK_WRITE] = "write",
  [SV_WORK_BACKUP] = "backup",
  [SV_WORK_RESTORE] = "restore",
};

static void
interrupted_item_free (SvInterruptedItem *item)
{
  g_free (item->iccid);
  g_free (item);
}

static char *
marker_path (SvInterruptedWork *self,
             SvWorkKind         kind,
             const char        *iccid)
{
  g_autofree char *name = g_strconcat (kind_names[kind], "-", iccid, NULL);

  return g_build_filename (self->dir, name, NULL);
}

/* A marker of a live process is work running now in another instance
 * (another session sharing the home directory), not interrupted work. */
static gboolean
process_is_alive (gint64 pid)
{
  if (pid <= 0 || pid == getpid ())
    return FALSE;
  return kill ((pid_t) pid, 0) == 0 || errno == EPERM;
}

static gboolean
kind_from_name (const char *name,
                SvWorkKind *kind)
{
  for (guint i = 0; i < G_N_ELEMENTS (kind_names); i++)
    if (g_str_equal (name, kind_names[i]))
      {
        *kind = i;
        return TRUE;
      }
  return FALSE;
}

static void
load_markers (SvInterruptedWork *self)
{
  g_autoptr(GDir) dir = g_dir_open (self->dir, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (self->dir, name, NULL);
      g_autoptr(GKeyFile) marker = g_key_file_new ();
      const char *dash = strchr (name, '-');
      g_autofree char *kind_name = dash ? g_strndup (name, dash - name) : NULL;
      SvInterruptedItem *item;
      SvWorkKind kind;

      if (kind_name == NULL || !kind_from_name (kind_name, &kind) || dash[1] == '\0' ||
          !g_key_file_load_from_file (marker, path, G_KEY_FILE_NONE, NULL) ||
          process_is_alive (g_key_file_get_int64 (marker, "work", "pid", NULL)))
        continue;

      item = g_new0 (SvInterruptedItem, 1);
      item->kind = kind;
      item->iccid = g_strdup (dash + 1);
      item->started_at = g_key_file_get_int64 (marker, "work", "started", NULL);
      g_ptr_array_add (self->items, item);
    }
}

static gint
compare_items (gconstpointer a,
               gconstpointer b)
{
  const SvInterruptedItem *x = *(SvInterruptedItem **) a;
  const SvInterruptedItem *y = *(SvInterruptedItem **) b;

  if (x->started_at != y->started_at)
    return x->started_at < y->started_at ? -1 : 1;
  return g_strcmp0 (x->iccid, y->iccid);
}

static void
sv_interrupted_work_finalize (GObject *object)
{
  SvInterruptedWork *self = SV_INTERRUPTED_WORK (object);

  g_free (self->dir);
  g_clear_pointer (&self->items, g_ptr_array_unref);
  g_clear_pointer (&self->begun, g_hash_table_unref);

  G_OBJECT_CLASS (sv_interrupted_work_parent_class)->finalize (object);
}

static void
sv_interrupted_work_class_init (SvInterruptedWorkClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = sv_interrupted_work_finalize;

  /**
   * SvInterruptedWork::changed:
   *
   * An interrupted item was finished: the list is shorter.
   */
  signals[CHANGED] =
    g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
sv_interrupted_work_init (SvInterruptedWork *self)
{
  self->items = g_ptr_array_new_with_free_func ((GDestroyNotify) interrupted_item_free);
  self->begun = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

/**
 * sv_interrupted_work_new:
 * @dir: where the markers live
 *
 * Returns: (transfer full): the work left interrupted in @dir by earlier
 *   processes, read now
 */
SvInterruptedWork *
sv_interrupted_work_new (const char *dir)
{
  SvInterruptedWork *self = g_object_new (SV_TYPE_INTERRUPTED_WORK, NULL);

  self->dir = g_strdup (dir);
  load_markers (self);
  g_ptr_array_sort (self->items, compare_items);
  return self;
}

/**
 * sv_interrupted_work_get_default:
 *
 * Returns: (transfer none): the process's list, under
 *   `$XDG_STATE_HOME/simvault/running`, read on the first call
 */
SvInterruptedWork *
sv_interrupted_work_get_default (void)
{
  static SvInterruptedWork *instance;

  if (instance == NULL)
    {
      g_autofree char *dir = g_build_filename (g_get_user_state_dir (), "simvault", "running", NULL);

      instance = sv_interrupted_work_new (dir);
    }
  return instance;
}

/**
 * sv_interrupted_work_begin:
 *
 * Leaves the marker of @kind for @iccid until sv_interrupted_work_end().
 */
void
sv_interrupted_work_begin (SvInterruptedWork *self,
                           SvWorkKind         kind,
                           const char        *iccid)
{
  g_autofree char *path = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;

  g_return_if_fail (SV_IS_INTERRUPTED_WORK (self));
  g_return_if_fail (iccid != NULL);

  path = marker_path (self, kind, iccid);
  text = g_strdup_printf ("[work]\npid=%ld\nstarted=%" G_GINT64_FORMAT "\n",
                          (long) getpid (), g_get_real_time () / G_USEC_PER_SEC);
  /* Without the marker the work still runs; only its announcement after
   * a crash is lost, so this is not the user's problem now. */
  if (g_mkdir_with_parents (self->dir, 0700) != 0 ||
      !g_file_set_contents (path, text, -1, &error))
    g_debug ("No marker for the %s of %s: %s", kind_names[kind], iccid,
             error ? error->message : g_strerror (errno));
  else
    g_hash_table_add (self->begun, g_steal_pointer (&path));
}

/**
 * sv_interrupted_work_end:
 * @finished: the work completed (not failed or cancelled): an item of the
 *   previous run for the same work and card is done as well
 *
 * Removes the marker once the outcome has been shown. A marker of the
 * previous run stays unless the work completed: declining the preview of
 * an interrupted write still leaves it announced at the next start.
 */
void
sv_interrupted_work_end (SvInterruptedWork *self,
                         SvWorkKind         kind,
                         const char        *iccid,
                         gboolean           finished)
{
  g_autofree char *path = NULL;
  gboolean changed = FALSE;

  g_return_if_fail (SV_IS_INTERRUPTED_WORK (self));

  if (iccid == NULL)
    return;
  path = marker_path (self, kind, iccid);
  if (g_hash_table_remove (self->begun, path) || finished)
    g_unlink (path);

  for (guint i = 0; finished && i < self->items->len; i++)
    {
      SvInterruptedItem *item = g_ptr_array_index (self->items, i);

      if (item->kind == kind && g_str_equal (item->iccid, iccid))
        {
          g_ptr_array_remove_index (self->items, i--);
          changed = TRUE;
        }
    }
  if (changed)
    g_signal_emit (self, signals[CHANGED], 0);
}

/**
 * sv_interrupted_work_get_items:
 *
 * Returns: (transfer none) (element-type SvInterruptedItem): the work the
 *   previous runs left interrupted and not yet finished, oldest first
 */
GPtrArray *
sv_interrupted_work_get_items (SvInterruptedWork *self)
{
  g_return_val_if_fail (SV_IS_INTERRUPTED_WORK (self), NULL);

  return self->items;
}
