/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The mirror's side of a restore from the backup server: the server's
 * records into the working image (conflicts when a record changed on both
 * sides), the restore token, conflicts and their resolution. The rules are
 * at the top of sv-mirror-sync.c.
 */
#define G_LOG_DOMAIN "sv-mirror"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "sv-mirror-sync-private.h"

/* ------------------------------------------------------------------ */
/* Restore                                                              */

typedef struct
{
  GPtrArray *records;           /* SvSyncRecord: what the working image gets */
  guint      n_changed;
} ApplyData;

static gboolean
apply_records_cb (SvCardImage  *working,
                  gpointer      user_data,
                  char        **detail,
                  GError      **error)
{
  ApplyData *data = user_data;

  for (guint i = 0; i < data->records->len; i++)
    {
      SvSyncRecord *record = g_ptr_array_index (data->records, i);

      if (!sv_card_image_set_record (working, record->key, record->index, record->data, error))
        return FALSE;
    }
  *detail = g_strdup_printf ("%u records from the backup server", data->records->len);
  return TRUE;
}

/**
 * sv_mirror_sync_apply_server_records:
 * @records: (element-type SvSyncRecord): records as the server holds them,
 *   with their versions (a full restore includes the cleared records as
 *   empty ones)
 * @resolve: what to do with a record changed on both sides
 * @dry_run: only say what would change (a preview): store nothing
 * @written: (out) (optional) (transfer container) (element-type SvSyncRecord):
 *   the records whose working bytes changed (or would change)
 * @conflicts: (out) (optional) (transfer container) (element-type SvSyncConflict):
 *   records changed on both sides and left as they are
 *
 * Brings the server's records into the card's working image, as pending
 * changes the ordinary write puts on the card. Per record: bytes equal to
 * the working ones change nothing; a record without a local edit since
 * the last acknowledged sync takes the server's bytes; a record edited on
 * both sides is a conflict, resolved by @resolve or recorded. Either way
 * the server's version becomes the record's base.
 *
 * The working image is changed in one transaction (undoable, in the
 * history), the acknowledged state in a second one: a crash between them
 * leaves records that the next backup finds already applied on the
 * server (same bytes), never a loss.
 */
gboolean
sv_mirror_sync_apply_server_records (SvMirror       *self,
                                     const char     *iccid,
                                     GPtrArray      *records,
                                     SvSyncResolve   resolve,
                                     gboolean        dry_run,
                                     GPtrArray     **written,
                                     GPtrArray     **conflicts,
                                     GError        **error)
{
  sqlite3 *db = sv_mirror_get_db (self);
  g_autoptr(SvCardImage) working = NULL;
  g_autoptr(GHashTable) acked = NULL;
  g_autoptr(GPtrArray) to_write = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_sync_record_unref);
  g_autoptr(GPtrArray) to_ack = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_sync_record_unref);
  g_autoptr(GPtrArray) found = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_sync_conflict_unref);
  ApplyData data;
  gint64 card_id;

  g_return_val_if_fail (SV_IS_MIRROR (self), FALSE);

  if (!sv_mirror_sync_require_registered (db, iccid, &card_id, error) ||
      (acked = sv_mirror_sync_load_acked (db, card_id, error)) == NULL ||
      (working = sv_mirror_load_image (self, iccid, TRUE, error)) == NULL)
    return FALSE;

  for (guint i = 0; i < records->len; i++)
    {
      SvSyncRecord *record = g_ptr_array_index (records, i);
      g_autofree char *id = g_strdup_printf ("%s\n%u", record->key, record->index);
      SvSyncRecord *ack = g_hash_table_lookup (acked, id);
      GBytes *local = sv_card_image_get_record (working, record->key, record->index);

      if (local == NULL)
        {
          g_set_error (error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_INVALID,
                       _("The server sent record %u of “%s”, which card %s does not have"),
                       record->index, record->key, iccid);
          return FALSE;
        }
      if (g_bytes_get_size (local) != g_bytes_get_size (record->data))
        {
          g_set_error (error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_INVALID,
                       _("The server sent record %u of “%s” with %zu bytes; card %s has %zu"),
                       record->index, record->key, g_bytes_get_size (record->data), iccid,
                       g_bytes_get_size (local));
          return FALSE;
        }

      if (g_bytes_equal (local, record->data))
        g_ptr_array_add (to_ack, sv_sync_record_ref (record));
      else if (!sv_mirror_sync_waits_for_upload (record->key, local, ack) || resolve == SV_SYNC_RESOLVE_SERVER)
        {
          g_ptr_array_add (to_write, sv_sync_record_ref (record));
          g_ptr_array_add (to_ack, sv_sync_record_ref (record));
        }
      else if (resolve == SV_SYNC_RESOLVE_LOCAL)
        /* The local edit stays and goes up with the server's version as
         * its base, so the server takes it at the next backup. */
        g_ptr_array_add (to_ack, sv_sync_record_ref (record));
      else
        g_ptr_array_add (found, sv_sync_conflict_new (record->key, record->index, record->data,
                                                      record->version, local));
    }

  if (dry_run)
    {
      if (written != NULL)
        *written = g_steal_pointer (&to_write);
      if (conflicts != NULL)
        *conflicts = g_steal_pointer (&found);
      return TRUE;
    }

  data.records = to_write;
  data.n_changed = to_write->len;
  if (to_write->len > 0 &&
      !sv_mirror_edit (self, iccid, SV_HISTORY_RESTORE, apply_records_cb, &data, error))
    return FALSE;

  if (!sv_mirror_sql_exec (db, "BEGIN IMMEDIATE", error))
    return FALSE;
  for (guint i = 0; i < to_ack->len; i++)
    {
      SvSyncRecord *record = g_ptr_array_index (to_ack, i);

      if (!sv_mirror_sync_put_acked (db, card_id, record, error) ||
          !sv_mirror_sync_delete_conflict (db, card_id, record->key, record->index, error))
        return sv_mirror_rollback (db);
    }
  for (guint i = 0; i < found->len; i++)
    if (!sv_mirror_sync_put_conflict (db, card_id, g_ptr_array_index (found, i), error))
      return sv_mirror_rollback (db);
  if (!sv_mirror_commit (db, error))
    return FALSE;

  if (written != NULL)
    *written = g_steal_pointer (&to_write);
  if (conflicts != NULL)
    *conflicts = g_steal_pointer (&found);
  return TRUE;
}

/**
 * sv_mirror_sync_mark_acknowledged:
 * @records: (element-type SvSyncRecord): records the server holds with
 *   these bytes and versions (e.g. the messages of an SMS backup)
 *
 * Records them as acknowledged without touching the working image.
 */
gboolean
sv_mirror_sync_mark_acknowledged (SvMirror    *self,
                                  const char  *iccid,
                                  GPtrArray   *records,
                                  GError     **error)
{
  sqlite3 *db = sv_mirror_get_db (self);
  gint64 card_id;

  if (!sv_mirror_sql_exec (db, "BEGIN IMMEDIATE", error))
    return FALSE;
  if (!sv_mirror_sync_require_registered (db, iccid, &card_id, error))
    return sv_mirror_rollback (db);
  for (guint i = 0; i < records->len; i++)
    if (!sv_mirror_sync_put_acked (db, card_id, g_ptr_array_index (records, i), error))
      return sv_mirror_rollback (db);
  return sv_mirror_commit (db, error);
}

/**
 * sv_mirror_sync_set_token:
 * @token: the token a completed restore (or changes request) answered
 *
 * Call only after the records up to @token are in the mirror.
 */
gboolean
sv_mirror_sync_set_token (SvMirror    *self,
                          const char  *iccid,
                          const char  *token,
                          GError     **error)
{
  sqlite3 *db = sv_mirror_get_db (self);
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gint64 card_id;

  if (!sv_mirror_sync_require_registered (db, iccid, &card_id, error))
    return FALSE;
  if (!sv_mirror_sql_prepare (db, "UPDATE sync_cards SET token = ?, last_restore_at = ? "
                                  "WHERE card_id = ?", &stmt, error))
    return FALSE;
  sqlite3_bind_text (stmt, 1, token, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, g_get_real_time () / G_USEC_PER_SEC);
  sqlite3_bind_int64 (stmt, 3, card_id);
  return sv_mirror_step_done (db, stmt, N_("recording the sync token"), error);
}

/**
 * sv_mirror_sync_list_conflicts:
 *
 * Returns: (transfer container) (element-type SvSyncConflict): the
 *   conflicts waiting for a choice, by file and index
 */
GPtrArray *
sv_mirror_sync_list_conflicts (SvMirror    *self,
                               const char  *iccid,
                               GError     **error)
{
  sqlite3 *db = sv_mirror_get_db (self);
  g_autoptr(GPtrArray) result = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_sync_conflict_unref);
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gint64 card_id;
  int rc;

  if (!sv_mirror_sync_require_registered (db, iccid, &card_id, error))
    return NULL;
  if (!sv_mirror_sql_prepare (db, "SELECT key, idx, server_data, server_version, local_data "
                                  "FROM sync_conflicts WHERE card_id = ? ORDER BY key, idx",
                              &stmt, error))
    return NULL;
  sqlite3_bind_int64 (stmt, 1, card_id);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      g_autoptr(GBytes) server = sv_mirror_column_bytes (stmt, 2);
      g_autoptr(GBytes) local = sv_mirror_column_bytes (stmt, 4);

      g_ptr_array_add (result, sv_sync_conflict_new ((const char *) sqlite3_column_text (stmt, 0),
                                                     (guint) sqlite3_column_int (stmt, 1),
                                                     server, sqlite3_column_int64 (stmt, 3),
                                                     local));
    }
  if (rc != SQLITE_DONE)
    {
      sv_mirror_sql_error (db, rc, N_("reading the sync conflicts"), error);
      return NULL;
    }
  return g_steal_pointer (&result);
}

/**
 * sv_mirror_sync_resolve:
 * @resolve: %SV_SYNC_RESOLVE_LOCAL keeps the local edit (the next backup
 *   sends it over the server's version); %SV_SYNC_RESOLVE_SERVER puts the
 *   server's record into the working image
 *
 * Settles one recorded conflict.
 */
gboolean
sv_mirror_sync_resolve (SvMirror       *self,
                        const char     *iccid,
                        const char     *key,
                        guint           index,
                        SvSyncResolve   resolve,
                        GError        **error)
{
  g_autoptr(GPtrArray) conflicts = NULL;
  g_autoptr(GPtrArray) one = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_sync_record_unref);
  SvSyncConflict *conflict = NULL;
  sqlite3 *db = sv_mirror_get_db (self);
  gint64 card_id;

  g_return_val_if_fail (resolve != SV_SYNC_RESOLVE_NONE, FALSE);

  if ((conflicts = sv_mirror_sync_list_conflicts (self, iccid, error)) == NULL ||
      !sv_mirror_sync_require_registered (db, iccid, &card_id, error))
    return FALSE;
  for (guint i = 0; i < conflicts->len && conflict == NULL; i++)
    {
      SvSyncConflict *c = g_ptr_array_index (conflicts, i);

      if (g_str_equal (c->key, key) && c->index == index)
        conflict = c;
    }
  if (conflict == NULL)
    {
      g_set_error (error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_NOT_FOUND,
                   _("Record %u of “%s” has no sync conflict"), index, key);
      return FALSE;
    }

  g_ptr_array_add (one, sv_sync_record_new (conflict->key, conflict->index,
                                            conflict->server_data, conflict->server_version));
  if (resolve == SV_SYNC_RESOLVE_SERVER)
    {
      ApplyData data = { one, 1 };

      if (!sv_mirror_edit (self, iccid, SV_HISTORY_RESTORE, apply_records_cb, &data, error))
        return FALSE;
    }

  if (!sv_mirror_sql_exec (db, "BEGIN IMMEDIATE", error))
    return FALSE;
  if (!sv_mirror_sync_put_acked (db, card_id, g_ptr_array_index (one, 0), error) ||
      !sv_mirror_sync_delete_conflict (db, card_id, key, index, error))
    return sv_mirror_rollback (db);
  return sv_mirror_commit (db, error);
}
