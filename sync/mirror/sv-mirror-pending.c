/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Pending changes: the records whose working bytes differ from their base,
 * and marking records written once a write has verified them on the card.
 * Whether the card still holds the base is the writer's rule
 * (smartcard/sv-card-writer.c), checked against the card itself.
 */
#define G_LOG_DOMAIN "sv-mirror"

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "sv-phonebook.h"
#include "sv-mirror-private.h"

/* ------------------------------------------------------------------ */
/* Pending changes, conflicts, writing                                  */

static GPtrArray *
query_records (SvMirror    *self,
               const char  *iccid,
               const char  *condition,
               gint64       modseq,
               GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_mirror_pending_record_free);
  g_autofree char *sql = NULL;
  SvMirrorCardRow card;
  int rc;

  if (!sv_mirror_lookup_card (self->db, iccid, &card, error))
    return NULL;
  sql = g_strdup_printf ("SELECT f.key, r.idx, r.state, r.version, r.base, r.working "
                         "FROM records r JOIN files f ON f.id = r.file_id "
                         "WHERE f.card_id = ?1 AND %s ORDER BY f.key, r.idx", condition);
  if (!sv_mirror_sql_prepare (self->db, sql, &stmt, error))
    return NULL;
  sqlite3_bind_int64 (stmt, 1, card.id);
  sqlite3_bind_int64 (stmt, 2, modseq);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      SvMirrorPendingRecord *record = g_new0 (SvMirrorPendingRecord, 1);

      record->key = sv_mirror_column_dup_text (stmt, 0);
      record->index = (guint) sqlite3_column_int (stmt, 1);
      record->state = sqlite3_column_int (stmt, 2);
      record->version = sqlite3_column_int64 (stmt, 3);
      record->base_bytes = sv_mirror_column_bytes (stmt, 4);
      record->working_bytes = sv_mirror_column_bytes (stmt, 5);
      g_ptr_array_add (records, record);
    }
  if (rc != SQLITE_DONE)
    return sv_mirror_sql_error (self->db, rc, N_("listing records"), error), NULL;
  return g_steal_pointer (&records);
}

/**
 * sv_mirror_get_pending:
 *
 * Returns: (transfer container) (element-type SvMirrorPendingRecord): the
 *   records whose working bytes differ from the card's, by file and index
 */
GPtrArray *
sv_mirror_get_pending (SvMirror    *self,
                       const char  *iccid,
                       GError     **error)
{
  g_return_val_if_fail (SV_IS_MIRROR (self), NULL);
  return query_records (self, iccid, "r.state != 0 AND ?2 = ?2", 0, error);
}

/**
 * sv_mirror_get_changed_since:
 * @modseq: a modseq seen before
 *
 * Returns: (transfer container) (element-type SvMirrorPendingRecord): every
 *   record (clean or not) whose version is above @modseq: what a sync
 *   sends.
 */
GPtrArray *
sv_mirror_get_changed_since (SvMirror    *self,
                             const char  *iccid,
                             gint64       modseq,
                             GError     **error)
{
  g_return_val_if_fail (SV_IS_MIRROR (self), NULL);
  return query_records (self, iccid, "r.version > ?2", modseq, error);
}

/**
 * sv_mirror_get_pending_changes:
 *
 * The pending records as #SvRecordChange (old = base, new = working): what
 * `simvault-cli write` puts on the card.
 *
 * Returns: (transfer container) (element-type SvRecordChange):
 */
GPtrArray *
sv_mirror_get_pending_changes (SvMirror    *self,
                               const char  *iccid,
                               GError     **error)
{
  g_autoptr(GPtrArray) pending = NULL;
  GPtrArray *changes;

  g_return_val_if_fail (SV_IS_MIRROR (self), NULL);

  pending = sv_mirror_get_pending (self, iccid, error);
  if (pending == NULL)
    return NULL;
  changes = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_record_change_unref);
  for (guint i = 0; i < pending->len; i++)
    {
      SvMirrorPendingRecord *record = g_ptr_array_index (pending, i);
      g_ptr_array_add (changes, sv_record_change_new (record->key, record->index,
                                                      record->base_bytes, record->working_bytes));
    }
  return changes;
}

/**
 * sv_mirror_mark_written:
 * @written_changes: (element-type SvRecordChange): the records now on the
 *   card; each one's @new_bytes becomes the base
 *
 * After a write: those records are clean (unless edited again meanwhile),
 * and the history gets a "write" row. One transaction.
 */
gboolean
sv_mirror_mark_written (SvMirror    *self,
                        const char  *iccid,
                        GPtrArray   *written_changes,
                        GError     **error)
{
  g_autofree char *detail = NULL;
  gint64 new_modseq;
  SvMirrorCardRow card;
  g_autoptr(SvCardImage) working = NULL;
  g_autoptr(sqlite3_stmt) same_file = NULL;
  g_autoptr(sqlite3_stmt) get_record = NULL;
  g_autoptr(sqlite3_stmt) put_record = NULL;

  g_return_val_if_fail (SV_IS_MIRROR (self), FALSE);
  g_return_val_if_fail (written_changes != NULL, FALSE);

  if (!sv_mirror_begin (self->db, error))
    return FALSE;
  if (!sv_mirror_lookup_card (self->db, iccid, &card, error))
    return sv_mirror_rollback (self->db);

  /* Three statements for the whole batch, reset per record (they were
   * prepared again for every record: three prepares each). */
  if (!sv_mirror_sql_prepare (self->db,
                              "SELECT f.id, f.key FROM files f JOIN files w ON w.path = f.path "
                              "AND w.card_id = f.card_id WHERE w.card_id = ? AND w.key = ?",
                              &same_file, error) ||
      !sv_mirror_sql_prepare (self->db,
                              "SELECT base, working FROM records WHERE file_id = ? AND idx = ?",
                              &get_record, error) ||
      !sv_mirror_sql_prepare (self->db,
                              "INSERT OR REPLACE INTO records (file_id, idx, base, working, state, version) "
                              "VALUES (?, ?, ?, ?, ?, ?)", &put_record, error))
    return sv_mirror_rollback (self->db);

  new_modseq = card.modseq + 1;
  for (guint i = 0; i < written_changes->len; i++)
    {
      SvRecordChange *change = g_ptr_array_index (written_changes, i);
      int rc;

      if (change->new_bytes == NULL)
        continue;

      /* Every key naming the same file on the card (an EF_EXT1 shared by
       * several phonebook sets) now holds the written bytes too. */
      sqlite3_reset (same_file);
      sqlite3_bind_int64 (same_file, 1, card.id);
      sqlite3_bind_text (same_file, 2, change->key, -1, SQLITE_TRANSIENT);
      while ((rc = sqlite3_step (same_file)) == SQLITE_ROW)
        {
          gint64 file_id = sqlite3_column_int64 (same_file, 0);
          const char *key = (const char *) sqlite3_column_text (same_file, 1);
          g_autoptr(GBytes) old_base = NULL;
          g_autoptr(GBytes) local = NULL;
          gboolean found = FALSE;
          GBytes *follow;
          int get_rc;

          sqlite3_reset (get_record);
          sqlite3_bind_int64 (get_record, 1, file_id);
          sqlite3_bind_int (get_record, 2, (int) change->index);
          get_rc = sqlite3_step (get_record);
          if (get_rc == SQLITE_ROW)
            {
              found = TRUE;
              old_base = sv_mirror_column_bytes (get_record, 0);
              local = sv_mirror_column_bytes (get_record, 1);
            }
          else if (get_rc != SQLITE_DONE)
            {
              sv_mirror_sql_error (self->db, get_rc, N_("reading a record"), error);
              return sv_mirror_rollback (self->db);
            }
          sqlite3_reset (get_record);

          /* The record follows the card unless it holds a newer local edit
           * than what was written: bookkeeping the writer added (EF_CC,
           * EF_UID, EF_PUID) and records that were clean follow. */
          if (!found ||
              g_bytes_equal (local, change->new_bytes) ||
              (change->old_bytes != NULL && g_bytes_equal (local, change->old_bytes)) ||
              (old_base != NULL && g_bytes_equal (local, old_base)))
            follow = change->new_bytes;
          else
            follow = local;

          sqlite3_reset (put_record);
          sqlite3_bind_int64 (put_record, 1, file_id);
          sqlite3_bind_int (put_record, 2, (int) change->index);
          sv_mirror_bind_bytes (put_record, 3, change->new_bytes);
          sv_mirror_bind_bytes (put_record, 4, follow);
          sqlite3_bind_int (put_record, 5, sv_mirror_record_state (key, change->new_bytes, follow));
          sqlite3_bind_int64 (put_record, 6, new_modseq);
          if (!sv_mirror_step_done (self->db, put_record, N_("storing a record"), error))
            return sv_mirror_rollback (self->db);
        }
      if (rc != SQLITE_DONE)
        {
          sv_mirror_sql_error (self->db, rc, N_("marking records written"), error);
          return sv_mirror_rollback (self->db);
        }
    }

  detail = g_strdup_printf ("wrote %u records to the card", written_changes->len);
  card.modseq = new_modseq;
  if (!sv_mirror_set_card_modseq (self->db, card.id, new_modseq, error) ||
      !sv_mirror_insert_history (self, iccid, SV_HISTORY_WRITE, detail, new_modseq, error) ||
      (working = sv_mirror_load_image_locked (self->db, iccid, &card, TRUE, error)) == NULL ||
      !sv_mirror_refresh_decoded (self->db, &card, working, new_modseq, error))
    return sv_mirror_rollback (self->db);
  return sv_mirror_commit (self->db, error);
}
