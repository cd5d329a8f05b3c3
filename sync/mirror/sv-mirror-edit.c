/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Offline editing: each edit is one transaction that changes the working
 * image, bumps the card's modseq, appends one history row and keeps one
 * undo step (the last MAX_UNDO_STEPS per card).
 */
#define G_LOG_DOMAIN "sv-mirror"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "sv-phonebook.h"
#include "sv-mirror-private.h"

#define MAX_UNDO_STEPS 100

/* ------------------------------------------------------------------ */
/* Editing                                                              */

typedef SvMirrorEditFunc EditFunc;

/* One edit, in one transaction: load the working image, let @func change
 * it, store the records that changed, remember their previous bytes for
 * undo, bump the modseq, append to the history, refresh the lists. */
static gboolean
run_edit (SvMirror     *self,
          const char   *iccid,
          SvHistoryOp   op,
          EditFunc      func,
          gpointer      user_data,
          GError      **error)
{
  g_autoptr(SvCardImage) before = NULL;
  g_autoptr(SvCardImage) after = NULL;
  g_autoptr(GPtrArray) changes = NULL;
  g_autofree char *detail = NULL;
  g_autoptr(sqlite3_stmt) step = NULL;
  g_autoptr(sqlite3_stmt) trim = NULL;
  gint64 step_id, new_modseq;
  SvMirrorCardRow card;

  if (!sv_mirror_begin (self->db, error))
    return FALSE;

  if (!sv_mirror_lookup_card (self->db, iccid, &card, error) ||
      (before = sv_mirror_load_image_locked (self->db, iccid, &card, TRUE, error)) == NULL)
    return sv_mirror_rollback (self->db);

  after = sv_card_image_copy (before);
  if (!func (after, user_data, &detail, error))
    return sv_mirror_rollback (self->db);

  changes = sv_card_image_diff (before, after);
  if (changes->len == 0)
    {
      /* Nothing to store: not an error, and nothing to undo. */
      sv_mirror_rollback (self->db);
      return TRUE;
    }

  new_modseq = card.modseq + 1;

  if (!sv_mirror_sql_prepare (self->db,
                              "INSERT INTO undo_steps (card_id, modseq, detail) VALUES (?, ?, ?)",
                              &step, error))
    return sv_mirror_rollback (self->db);
  sqlite3_bind_int64 (step, 1, card.id);
  sqlite3_bind_int64 (step, 2, new_modseq);
  sqlite3_bind_text (step, 3, detail ? detail : "", -1, SQLITE_TRANSIENT);
  if (!sv_mirror_step_done (self->db, step, N_("recording undo"), error))
    return sv_mirror_rollback (self->db);
  step_id = sqlite3_last_insert_rowid (self->db);

  for (guint i = 0; i < changes->len; i++)
    {
      SvRecordChange *change = g_ptr_array_index (changes, i);
      g_autoptr(sqlite3_stmt) undo = NULL;
      g_autoptr(GBytes) base = NULL;
      g_autoptr(GBytes) working = NULL;
      gint64 file_id, version = 0;
      gboolean found = FALSE;

      if (change->new_bytes == NULL)
        {
          g_set_error (error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_INVALID,
                       _("An edit may not remove record %u of “%s”"), change->index, change->key);
          return sv_mirror_rollback (self->db);
        }
      if (!sv_mirror_lookup_file_id (self->db, card.id, change->key, &file_id, error) ||
          !sv_mirror_get_record (self->db, file_id, change->index, &base, &working, &version, &found, error))
        return sv_mirror_rollback (self->db);

      if (!sv_mirror_sql_prepare (self->db,
                                  "INSERT INTO undo_records (step_id, key, idx, working, version) "
                                  "VALUES (?, ?, ?, ?, ?)", &undo, error))
        return sv_mirror_rollback (self->db);
      sqlite3_bind_int64 (undo, 1, step_id);
      sqlite3_bind_text (undo, 2, change->key, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int (undo, 3, (int) change->index);
      sv_mirror_bind_bytes (undo, 4, found ? working : change->old_bytes);
      sqlite3_bind_int64 (undo, 5, version);
      if (!sv_mirror_step_done (self->db, undo, N_("recording undo"), error) ||
          !sv_mirror_put_record (self->db, file_id, change->key, change->index,
                       found ? base : NULL, change->new_bytes, new_modseq, error))
        return sv_mirror_rollback (self->db);
    }

  /* Keep the last MAX_UNDO_STEPS steps of this card. */
  if (!sv_mirror_sql_prepare (self->db,
                              "DELETE FROM undo_steps WHERE card_id = ?1 AND id NOT IN "
                              "(SELECT id FROM undo_steps WHERE card_id = ?1 ORDER BY id DESC LIMIT ?2)",
                              &trim, error))
    return sv_mirror_rollback (self->db);
  sqlite3_bind_int64 (trim, 1, card.id);
  sqlite3_bind_int (trim, 2, MAX_UNDO_STEPS);
  if (!sv_mirror_step_done (self->db, trim, N_("trimming undo"), error))
    return sv_mirror_rollback (self->db);

  card.modseq = new_modseq;
  if (!sv_mirror_set_card_modseq (self->db, card.id, new_modseq, error) ||
      !sv_mirror_insert_history (self, iccid, op, detail, new_modseq, error) ||
      !sv_mirror_refresh_decoded (self->db, &card, after, new_modseq, error))
    return sv_mirror_rollback (self->db);

  return sv_mirror_commit (self->db, error);
}

/**
 * sv_mirror_edit:
 * @op: the history operation (edit, import, restore)
 * @func: changes the working image; returning %FALSE stores nothing
 *
 * Runs @func on the card's working image inside one transaction and stores
 * the records it changed: the building block of every edit, undoable like
 * them. A call that changes nothing stores nothing.
 */
gboolean
sv_mirror_edit (SvMirror          *self,
                const char        *iccid,
                SvHistoryOp        op,
                SvMirrorEditFunc   func,
                gpointer           user_data,
                GError           **error)
{
  g_return_val_if_fail (SV_IS_MIRROR (self), FALSE);
  g_return_val_if_fail (func != NULL, FALSE);
  return run_edit (self, iccid, op, func, user_data, error);
}

static char *
format_problems (GPtrArray *problems)
{
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; i < problems->len; i++)
    {
      const SvFitProblem *problem = g_ptr_array_index (problems, i);

      if (i > 0)
        g_string_append (text, "; ");
      g_string_append_printf (text, "%s: %s", problem->field, problem->message);
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

typedef struct
{
  const SvContact *contact;
  GPtrArray       *problems;
} StoreContact;

static gboolean
store_contact_cb (SvCardImage  *working,
                  gpointer      user_data,
                  char        **detail,
                  GError      **error)
{
  StoreContact *data = user_data;
  const SvContact *contact = data->contact;
  g_autoptr(GPtrArray) problems = sv_phonebook_check_contact (working, contact);

  if (problems != NULL && problems->len > 0)
    {
      g_autofree char *text = format_problems (problems);

      g_set_error (error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_DOES_NOT_FIT,
                   _("Contact %u does not fit this card: %s"),
                   sv_contact_get_index (contact), text);
      data->problems = g_steal_pointer (&problems);
      return FALSE;
    }

  if (!sv_phonebook_store_contact (working, contact, error))
    return FALSE;

  *detail = g_strdup_printf ("stored contact %u%s%s: “%s” %s",
                             sv_contact_get_index (contact),
                             sv_contact_get_set (contact) ? " of set " : "",
                             sv_contact_get_set (contact) ? "" : "",
                             sv_contact_get_name (contact) ? sv_contact_get_name (contact) : "",
                             sv_contact_get_number (contact) ? sv_contact_get_number (contact) : "");
  return TRUE;
}

/**
 * sv_mirror_store_contact:
 * @contact: the contact, at its set and index (use
 *   sv_mirror_find_free_index() or the model for a new one)
 * @problems: (out) (optional) (element-type SvFitProblem): when it does not
 *   fit, what does not fit and by how much
 *
 * Adds or changes a contact in the working image, after checking it
 * against the card's real limits. Fails with
 * %SV_MIRROR_ERROR_DOES_NOT_FIT and stores nothing if any field does not
 * fit.
 */
gboolean
sv_mirror_store_contact (SvMirror         *self,
                         const char       *iccid,
                         const SvContact  *contact,
                         GPtrArray       **problems,
                         GError          **error)
{
  StoreContact data = { contact, NULL };
  gboolean ok;

  g_return_val_if_fail (SV_IS_MIRROR (self), FALSE);
  g_return_val_if_fail (contact != NULL, FALSE);

  ok = run_edit (self, iccid, SV_HISTORY_EDIT, store_contact_cb, &data, error);
  if (problems != NULL)
    *problems = data.problems;
  else if (data.problems != NULL)
    g_ptr_array_unref (data.problems);
  return ok;
}

typedef struct
{
  guint set;
  guint index;
} DeleteContact;

static gboolean
delete_contact_cb (SvCardImage  *working,
                   gpointer      user_data,
                   char        **detail,
                   GError      **error)
{
  DeleteContact *data = user_data;

  if (!sv_phonebook_delete_contact (working, data->set, data->index, error))
    return FALSE;
  *detail = g_strdup_printf ("deleted contact %u of set %u", data->index, data->set);
  return TRUE;
}

gboolean
sv_mirror_delete_contact (SvMirror    *self,
                          const char  *iccid,
                          guint        set,
                          guint        index,
                          GError     **error)
{
  DeleteContact data = { set, index };

  g_return_val_if_fail (SV_IS_MIRROR (self), FALSE);
  return run_edit (self, iccid, SV_HISTORY_EDIT, delete_contact_cb, &data, error);
}

typedef struct
{
  SvCardImage *image;
  const char  *detail;
} ApplyImage;

static gboolean
apply_image_cb (SvCardImage  *working,
                gpointer      user_data,
                char        **detail,
                GError      **error)
{
  ApplyImage *data = user_data;
  g_autoptr(GPtrArray) keys = sv_card_image_list_keys (data->image);
  guint n = 0;

  for (guint k = 0; k < keys->len; k++)
    {
      const char *key = g_ptr_array_index (keys, k);
      SvCardFile *file = sv_card_image_lookup (data->image, key);

      if (sv_card_image_lookup (working, key) == NULL)
        {
          g_set_error (error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_INVALID,
                       _("The card has no file “%s”"), key);
          return FALSE;
        }
      for (guint i = 0; i < file->records->len; i++)
        {
          GBytes *bytes = g_ptr_array_index (file->records, i);

          if (!sv_mirror_bytes_equal0 (bytes, sv_card_image_get_record (working, key, i + 1)))
            n++;
          if (!sv_card_image_set_record (working, key, i + 1, bytes, error))
            return FALSE;
        }
    }
  *detail = data->detail ? g_strdup (data->detail) : g_strdup_printf ("changed %u records", n);
  return TRUE;
}

/**
 * sv_mirror_apply_image:
 * @working: an image of the card with the records as they should be (for
 *   example after an import or a restore mapping); its ICCID names the card
 * @op: what this is, for the history
 * @detail: (nullable): the history text
 *
 * Makes @working the card's working records: one edit, undoable.
 */
gboolean
sv_mirror_apply_image (SvMirror     *self,
                       SvCardImage  *working,
                       SvHistoryOp   op,
                       const char   *detail,
                       GError      **error)
{
  ApplyImage data = { working, detail };
  g_autofree char *iccid = NULL;

  g_return_val_if_fail (SV_IS_MIRROR (self), FALSE);
  g_return_val_if_fail (SV_IS_CARD_IMAGE (working), FALSE);

  iccid = sv_mirror_image_iccid (working);
  return run_edit (self, iccid, op, apply_image_cb, &data, error);
}

/**
 * sv_mirror_undo:
 * @undone_detail: (out) (optional): what was undone
 *
 * Undoes the last edit of the card (up to 100 steps back), restoring the
 * working bytes of every record it changed.
 */
gboolean
sv_mirror_undo (SvMirror     *self,
                const char   *iccid,
                char        **undone_detail,
                GError      **error)
{
  g_autoptr(sqlite3_stmt) last = NULL;
  g_autoptr(sqlite3_stmt) recs = NULL;
  g_autoptr(sqlite3_stmt) del = NULL;
  g_autoptr(SvCardImage) working = NULL;
  g_autofree char *detail = NULL;
  g_autofree char *history = NULL;
  gint64 step_id, new_modseq;
  SvMirrorCardRow card;
  int rc;

  g_return_val_if_fail (SV_IS_MIRROR (self), FALSE);

  if (!sv_mirror_begin (self->db, error))
    return FALSE;
  if (!sv_mirror_lookup_card (self->db, iccid, &card, error) ||
      !sv_mirror_sql_prepare (self->db,
                              "SELECT id, detail FROM undo_steps WHERE card_id = ? ORDER BY id DESC LIMIT 1",
                              &last, error))
    return sv_mirror_rollback (self->db);
  sqlite3_bind_int64 (last, 1, card.id);
  rc = sqlite3_step (last);
  if (rc == SQLITE_DONE)
    {
      g_set_error (error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_NOTHING_TO_UNDO,
                   _("There is no edit of card %s to undo"), iccid);
      return sv_mirror_rollback (self->db);
    }
  if (rc != SQLITE_ROW)
    return sv_mirror_sql_error (self->db, rc, N_("reading undo"), error), sv_mirror_rollback (self->db);
  step_id = sqlite3_column_int64 (last, 0);
  detail = sv_mirror_column_dup_text (last, 1);

  new_modseq = card.modseq + 1;
  if (!sv_mirror_sql_prepare (self->db,
                              "SELECT key, idx, working FROM undo_records WHERE step_id = ?",
                              &recs, error))
    return sv_mirror_rollback (self->db);
  sqlite3_bind_int64 (recs, 1, step_id);
  while ((rc = sqlite3_step (recs)) == SQLITE_ROW)
    {
      const char *key = (const char *) sqlite3_column_text (recs, 0);
      guint idx = (guint) sqlite3_column_int (recs, 1);
      g_autoptr(GBytes) previous = sv_mirror_column_bytes (recs, 2);
      g_autoptr(GBytes) base = NULL;
      gint64 file_id;
      gboolean found = FALSE;

      if (!sv_mirror_lookup_file_id (self->db, card.id, key, &file_id, error) ||
          !sv_mirror_get_record (self->db, file_id, idx, &base, NULL, NULL, &found, error) ||
          !sv_mirror_put_record (self->db, file_id, key, idx, base, previous, new_modseq, error))
        return sv_mirror_rollback (self->db);
    }
  if (rc != SQLITE_DONE)
    return sv_mirror_sql_error (self->db, rc, N_("reading undo"), error), sv_mirror_rollback (self->db);

  if (!sv_mirror_sql_prepare (self->db, "DELETE FROM undo_steps WHERE id = ?", &del, error))
    return sv_mirror_rollback (self->db);
  sqlite3_bind_int64 (del, 1, step_id);
  history = g_strdup_printf ("undid: %s", detail);
  card.modseq = new_modseq;
  if (!sv_mirror_step_done (self->db, del, N_("removing an undo step"), error) ||
      !sv_mirror_set_card_modseq (self->db, card.id, new_modseq, error) ||
      !sv_mirror_insert_history (self, iccid, SV_HISTORY_UNDO, history, new_modseq, error) ||
      (working = sv_mirror_load_image_locked (self->db, iccid, &card, TRUE, error)) == NULL ||
      !sv_mirror_refresh_decoded (self->db, &card, working, new_modseq, error))
    return sv_mirror_rollback (self->db);

  if (!sv_mirror_commit (self->db, error))
    return FALSE;
  if (undone_detail != NULL)
    *undone_detail = g_steal_pointer (&detail);
  return TRUE;
}

static gboolean
discard_cb (SvCardImage  *working,
            gpointer      user_data,
            char        **detail,
            GError      **error)
{
  SvCardImage *base = user_data;
  g_autoptr(GPtrArray) changes = sv_card_image_diff (working, base);

  for (guint i = 0; i < changes->len; i++)
    {
      SvRecordChange *change = g_ptr_array_index (changes, i);

      if (change->new_bytes != NULL &&
          !sv_card_image_set_record (working, change->key, change->index, change->new_bytes, error))
        return FALSE;
    }
  *detail = g_strdup_printf ("discarded %u pending changes", changes->len);
  return TRUE;
}

/**
 * sv_mirror_discard_pending:
 *
 * Drops every local edit: working = base. Undoable.
 */
gboolean
sv_mirror_discard_pending (SvMirror    *self,
                           const char  *iccid,
                           GError     **error)
{
  g_autoptr(SvCardImage) base = NULL;

  g_return_val_if_fail (SV_IS_MIRROR (self), FALSE);

  base = sv_mirror_load_image (self, iccid, FALSE, error);
  if (base == NULL)
    return FALSE;
  return run_edit (self, iccid, SV_HISTORY_EDIT, discard_cb, base, error);
}
