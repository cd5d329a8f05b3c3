/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Batches (the stored answers of backups and message appends), records,
 * and the changes since a token.
 * See sv-store.c for how the operations run.
 */
#define G_LOG_DOMAIN "sv-store"

#include "config.h"

#include <string.h>

#include "sv-store-private.h"

/* ------------------------------------------------------------------------ */
/* Batches: the stored answers of backups and message appends               */

GVariant *
sv_store_bytes_variant (GBytes *bytes)
{
  return g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING, bytes, TRUE);
}

static void
backup_request_hash (const SvStoreBackupRequest *request,
                     guint8                 out[HASH_BYTES])
{
  GVariantBuilder files, records;

  g_variant_builder_init (&files, G_VARIANT_TYPE ("as"));
  for (guint i = 0; i < request->files->len; i++)
    g_variant_builder_add (&files, "s", (const char *) g_ptr_array_index (request->files, i));
  g_variant_builder_init (&records, G_VARIANT_TYPE ("a(suayx)"));
  for (guint i = 0; i < request->records->len; i++)
    {
      const SvStoreRecordWrite *write = g_ptr_array_index (request->records, i);

      g_variant_builder_add (&records, "(su@ayx)", write->file, write->index,
                             sv_store_bytes_variant (write->data), write->base_version);
    }
  sv_store_hash_variant (out, g_variant_new ("(uasa(suayx))", (guint32) request->mode,
                                             &files, &records));
}

static GBytes *
backup_result_serialize (const SvStoreBackupResult *result)
{
  GVariantBuilder applied, conflicts;
  g_autoptr(GVariant) variant = NULL;

  g_variant_builder_init (&applied, G_VARIANT_TYPE ("a(sux)"));
  for (guint i = 0; i < result->applied->len; i++)
    {
      const SvStoreRecord *record = g_ptr_array_index (result->applied, i);

      g_variant_builder_add (&applied, "(sux)", record->file, record->index, record->version);
    }
  g_variant_builder_init (&conflicts, G_VARIANT_TYPE ("a(suayxay)"));
  for (guint i = 0; i < result->conflicts->len; i++)
    {
      const SvStoreConflict *conflict = g_ptr_array_index (result->conflicts, i);

      g_variant_builder_add (&conflicts, "(su@ayx@ay)", conflict->file, conflict->index,
                             sv_store_bytes_variant (conflict->server_data), conflict->server_version,
                             sv_store_bytes_variant (conflict->client_data));
    }
  variant = g_variant_ref_sink (g_variant_new ("(a(sux)a(suayxay)xx)", &applied, &conflicts,
                                               result->epoch, result->modseq));
  return g_variant_get_data_as_bytes (variant);
}

static SvStoreBackupResult *
backup_result_new (const char *batch_id)
{
  SvStoreBackupResult *result = g_new0 (SvStoreBackupResult, 1);

  result->batch_id = g_strdup (batch_id);
  result->applied = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_store_record_free);
  result->conflicts = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_store_conflict_free);
  return result;
}

static SvStoreBackupResult *
backup_result_deserialize (const char *batch_id,
                           GBytes     *answer,
                           GError    **error)
{
  g_autoptr(GVariant) variant = NULL;
  g_autoptr(GVariantIter) applied = NULL;
  g_autoptr(GVariantIter) conflicts = NULL;
  SvStoreBackupResult *result;
  const char *file;
  guint32 index;
  gint64 version;
  GVariant *server_data, *client_data;

  variant = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE ("(a(sux)a(suayxay)xx)"),
                                                          answer, FALSE));
  result = backup_result_new (batch_id);
  g_variant_get (variant, "(a(sux)a(suayxay)xx)", &applied, &conflicts,
                 &result->epoch, &result->modseq);
  while (g_variant_iter_next (applied, "(&sux)", &file, &index, &version))
    g_ptr_array_add (result->applied, sv_store_record_new (file, index, NULL, version));
  while (g_variant_iter_next (conflicts, "(&su@ayx@ay)", &file, &index, &server_data,
                              &version, &client_data))
    {
      SvStoreConflict *conflict = g_new0 (SvStoreConflict, 1);

      conflict->file = g_strdup (file);
      conflict->index = index;
      conflict->server_data = g_variant_get_data_as_bytes (server_data);
      conflict->server_version = version;
      conflict->client_data = g_variant_get_data_as_bytes (client_data);
      g_ptr_array_add (result->conflicts, conflict);
      g_variant_unref (server_data);
      g_variant_unref (client_data);
    }
  return result;
}

gboolean
sv_store_batch_lookup (SvDbConn      *conn,
                       const char    *iccid,
                       const char    *batch_id,
                       gint           kind,
                       const guint8   request_hash[HASH_BYTES],
                       GBytes       **answer,
                       GError       **error)
{
  g_autoptr(SvDbStmt) stmt = NULL;
  g_autoptr(GBytes) stored_hash = NULL;
  g_autoptr(GBytes) expected = g_bytes_new (request_hash, HASH_BYTES);
  gboolean found;

  *answer = NULL;
  stmt = sv_store_prepare (conn,
                           "SELECT kind, request_hash, answer FROM batches WHERE iccid = ? AND batch_id = ?",
                           SV_STORE_PARAMS (SV_STORE_TEXT (iccid), SV_STORE_TEXT (batch_id)),
                           error);
  if (stmt == NULL)
    return FALSE;
  if (!sv_store_step_one (stmt, &found, error))
    return FALSE;
  if (!found)
    return TRUE;

  stored_hash = sv_db_stmt_column_bytes (stmt, 1);
  if (sv_db_stmt_column_int64 (stmt, 0) != kind || !sv_store_bytes_equal (stored_hash, expected))
    {
      g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_BATCH_ID_REUSED,
                   "The batch id %s was used before with another request", batch_id);
      return FALSE;
    }
  *answer = sv_db_stmt_column_bytes (stmt, 2);
  return TRUE;
}

gboolean
sv_store_batch_store (SvDbConn      *conn,
                      SvStore       *store,
                      const char    *iccid,
                      const char    *batch_id,
                      gint           kind,
                      const guint8   request_hash[HASH_BYTES],
                      GBytes        *answer,
                      GError       **error)
{
  gint64 now = sv_store_now (store);

  /* A batch applied (not a replay): the card's last backup, in the same
   * transaction. */
  return sv_store_exec (conn,
                        "INSERT INTO batches (iccid, batch_id, kind, request_hash, answer, created_at)"
                        " VALUES (?, ?, ?, ?, ?, ?)",
                        SV_STORE_PARAMS (SV_STORE_TEXT (iccid),
                                         SV_STORE_TEXT (batch_id),
                                         SV_STORE_INT64 (kind),
                                         SV_STORE_BLOB (request_hash, HASH_BYTES),
                                         SV_STORE_BYTES (answer),
                                         SV_STORE_INT64 (now)),
                        NULL, error)
         && sv_store_exec (conn, "UPDATE cards SET last_backup_at = ? WHERE iccid = ?",
                           SV_STORE_PARAMS (SV_STORE_INT64 (now), SV_STORE_TEXT (iccid)),
                           NULL, error);
}

gboolean
sv_store_check_batch_id (const char *batch_id,
                         GError    **error)
{
  gsize len = batch_id != NULL ? strlen (batch_id) : 0;

  if (len == 0 || len > 64)
    goto bad;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalnum (batch_id[i]) && batch_id[i] != '-' && batch_id[i] != '_')
      goto bad;
  return TRUE;

bad:
  g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID,
               "A batch id is 1 to 64 letters, digits, - and _");
  return FALSE;
}

/* ------------------------------------------------------------------------ */
/* Records                                                                  */

/* Records and conflicts sort by file, then index */
static gint
compare_file_index (const char *file_a,
                    guint       index_a,
                    const char *file_b,
                    guint       index_b)
{
  int c = strcmp (file_a, file_b);

  if (c != 0)
    return c;
  return index_a < index_b ? -1 : index_a > index_b;
}

static gint
compare_record (gconstpointer  a,
                gconstpointer  b)
{
  const SvStoreRecord *ra = *(SvStoreRecord * const *) a;
  const SvStoreRecord *rb = *(SvStoreRecord * const *) b;

  return compare_file_index (ra->file, ra->index, rb->file, rb->index);
}

/* "Changes since" answers sort by version, then file and index */
static gint
compare_change (gconstpointer  a,
                gconstpointer  b)
{
  const SvStoreRecord *ra = *(SvStoreRecord * const *) a;
  const SvStoreRecord *rb = *(SvStoreRecord * const *) b;

  if (ra->version != rb->version)
    return ra->version < rb->version ? -1 : 1;
  return compare_record (a, b);
}

static gint
compare_conflict (gconstpointer  a,
                  gconstpointer  b)
{
  const SvStoreConflict *ca = *(SvStoreConflict * const *) a;
  const SvStoreConflict *cb = *(SvStoreConflict * const *) b;

  return compare_file_index (ca->file, ca->index, cb->file, cb->index);
}

static gboolean
record_load (SvDbConn   *conn,
             const char *iccid,
             const char *file,
             guint       index,
             GBytes    **data,
             gint64     *version,
             GError    **error)
{
  g_autoptr(SvDbStmt) stmt = NULL;
  gboolean found;

  *data = NULL;
  *version = 0;
  stmt = sv_store_prepare (conn,
                           "SELECT data, version FROM records WHERE iccid = ? AND file_key = ? AND idx = ?",
                           SV_STORE_PARAMS (SV_STORE_TEXT (iccid),
                                            SV_STORE_TEXT (file),
                                            SV_STORE_INT64 (index)),
                           error);
  if (stmt == NULL)
    return FALSE;
  if (!sv_store_step_one (stmt, &found, error))
    return FALSE;
  if (found)
    {
      *data = sv_db_stmt_column_bytes (stmt, 0);
      *version = sv_db_stmt_column_int64 (stmt, 1);
    }
  return TRUE;
}

/* record_load () for the record @write names; a record never written
 * reads as all-FF of its file's length */
static gboolean
record_load_or_empty (SvDbConn                 *conn,
                      const char               *iccid,
                      const SvStoreCard        *card,
                      const SvStoreRecordWrite *write,
                      GBytes                  **stored,
                      gint64                   *version,
                      GError                  **error)
{
  if (!record_load (conn, iccid, write->file, write->index, stored, version, error))
    return FALSE;
  if (*stored == NULL)
    *stored = sv_store_empty_record (sv_store_card_find_file (card, write->file)->record_len);
  return TRUE;
}

static gboolean
record_store (SvDbConn   *conn,
              const char *iccid,
              const char *file,
              guint       index,
              GBytes     *data,
              gint64      version,
              gint64      now,
              GError    **error)
{
  return sv_store_exec (conn,
                        "INSERT INTO records (iccid, file_key, idx, data, cleared, version, changed_at)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?)"
                        " ON CONFLICT (iccid, file_key, idx) DO UPDATE SET data = excluded.data,"
                        " cleared = excluded.cleared, version = excluded.version,"
                        " changed_at = excluded.changed_at",
                        SV_STORE_PARAMS (SV_STORE_TEXT (iccid),
                                         SV_STORE_TEXT (file),
                                         SV_STORE_INT64 (index),
                                         SV_STORE_BYTES (data),
                                         SV_STORE_INT64 (sv_store_is_cleared (data) ? 1 : 0),
                                         SV_STORE_INT64 (version),
                                         SV_STORE_INT64 (now)),
                        NULL, error);
}

static gboolean
check_backup_request (const SvStoreCard          *card,
                      const SvStoreBackupRequest *request,
                      GError                    **error)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) full_files = g_hash_table_new (g_str_hash, g_str_equal);

  if (request->records->len > SV_STORE_MAX_BATCH)
    {
      g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_TOO_LARGE,
                   "A batch holds at most %u records", SV_STORE_MAX_BATCH);
      return FALSE;
    }
  if (request->mode == SV_STORE_BACKUP_FULL && request->files->len == 0)
    {
      g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID,
                   "A full backup names the files it replaces");
      return FALSE;
    }
  if (request->mode != SV_STORE_BACKUP_FULL && request->files->len > 0)
    {
      g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID,
                   "Only a full backup names files");
      return FALSE;
    }
  for (guint i = 0; i < request->files->len; i++)
    {
      const char *key = g_ptr_array_index (request->files, i);

      if (sv_store_card_find_file (card, key) == NULL)
        {
          g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID,
                       "The card has no file “%s”", key);
          return FALSE;
        }
      g_hash_table_add (full_files, (gpointer) key);
    }
  for (guint i = 0; i < request->records->len; i++)
    {
      const SvStoreRecordWrite *write = g_ptr_array_index (request->records, i);
      const SvStoreCardFile *file = write->file != NULL ? sv_store_card_find_file (card, write->file) : NULL;

      if (file == NULL)
        {
          g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID,
                       "Record %u: the card has no file “%s”", i, write->file);
          return FALSE;
        }
      if (request->mode == SV_STORE_BACKUP_FULL && !g_hash_table_contains (full_files, write->file))
        {
          g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID,
                       "Record %u: the file “%s” is not one of the full backup's files", i, write->file);
          return FALSE;
        }
      if (write->index < 1 || write->index > file->n_records)
        {
          g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID,
                       "Record %u: index %u is outside 1-%u of “%s”",
                       i, write->index, file->n_records, file->key);
          return FALSE;
        }
      if (write->data == NULL || g_bytes_get_size (write->data) != file->record_len)
        {
          g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID,
                       "Record %u: a record of “%s” is %u bytes, not %" G_GSIZE_FORMAT,
                       i, file->key, file->record_len,
                       write->data != NULL ? g_bytes_get_size (write->data) : 0);
          return FALSE;
        }
      if (write->base_version < 0)
        {
          g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID,
                       "Record %u: a negative base version", i);
          return FALSE;
        }
      if (!g_hash_table_add (seen, g_strdup_printf ("%s#%u", write->file, write->index)))
        {
          g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID,
                       "Record %u: %s %u is in the batch twice", i, write->file, write->index);
          return FALSE;
        }
    }
  return TRUE;
}

typedef struct
{
  SvStore               *store;
  gint64                 account_id;
  const char            *iccid;
  const SvStoreBackupRequest *request;
  guint8                 request_hash[HASH_BYTES];
  SvStoreBackupResult        *result;   /* out */
} BackupContext;

static gboolean
backup_apply_txn (SvDbConn *conn,
                  gpointer  user_data,
                  GError  **error)
{
  BackupContext *ctx = user_data;
  const SvStoreBackupRequest *request = ctx->request;
  g_autoptr(SvStoreCard) card = NULL;
  g_autoptr(GBytes) answer = NULL;
  SvStoreBackupResult *result;
  gint64 modseq;
  gboolean changed = FALSE;

  g_clear_pointer (&ctx->result, sv_store_backup_result_free);

  card = sv_store_card_load (conn, ctx->account_id, ctx->iccid, error);
  if (card == NULL)
    return FALSE;

  if (!sv_store_batch_lookup (conn, ctx->iccid, request->batch_id, BATCH_BACKUP,
                              ctx->request_hash, &answer, error))
    return FALSE;
  if (answer != NULL)
    {
      ctx->result = backup_result_deserialize (request->batch_id, answer, error);
      if (ctx->result == NULL)
        return FALSE;
      ctx->result->replayed = TRUE;
      return TRUE;
    }

  if (!check_backup_request (card, request, error))
    return FALSE;

  result = ctx->result = backup_result_new (request->batch_id);
  modseq = card->modseq + 1;   /* the version of everything this batch changes */

  if (request->mode == SV_STORE_BACKUP_INCREMENTAL)
    {
      for (guint i = 0; i < request->records->len; i++)
        {
          const SvStoreRecordWrite *write = g_ptr_array_index (request->records, i);
          g_autoptr(GBytes) stored = NULL;
          gint64 version;

          if (!record_load_or_empty (conn, ctx->iccid, card, write, &stored, &version, error))
            return FALSE;

          if (sv_store_bytes_equal (stored, write->data))
            {
              /* already there (a retry, or the same edit twice): no conflict
               * and no new version */
              g_ptr_array_add (result->applied, sv_store_record_new (write->file, write->index, NULL, version));
            }
          else if (version == write->base_version)
            {
              if (!record_store (conn, ctx->iccid, write->file, write->index, write->data, modseq, sv_store_now (ctx->store), error))
                return FALSE;
              changed = TRUE;
              g_ptr_array_add (result->applied, sv_store_record_new (write->file, write->index, NULL, modseq));
            }
          else
            {
              SvStoreConflict *conflict = g_new0 (SvStoreConflict, 1);

              conflict->file = g_strdup (write->file);
              conflict->index = write->index;
              conflict->server_data = g_bytes_ref (stored);
              conflict->server_version = version;
              conflict->client_data = g_bytes_ref (write->data);
              g_ptr_array_add (result->conflicts, conflict);
            }
        }
    }
  else
    {
      for (guint f = 0; f < request->files->len; f++)
        {
          const char *key = g_ptr_array_index (request->files, f);
          const SvStoreCardFile *file = sv_store_card_find_file (card, key);
          g_autoptr(GHashTable) sent = g_hash_table_new (NULL, NULL);
          g_autoptr(GArray) to_clear = g_array_new (FALSE, FALSE, sizeof (guint));
          g_autoptr(SvDbStmt) stmt = NULL;
          g_autoptr(GBytes) empty = sv_store_empty_record (file->record_len);
          GError *local_error = NULL;

          for (guint i = 0; i < request->records->len; i++)
            {
              const SvStoreRecordWrite *write = g_ptr_array_index (request->records, i);

              if (g_str_equal (write->file, key))
                g_hash_table_add (sent, GUINT_TO_POINTER (write->index));
            }

          /* the records of the file that the batch does not send are
           * cleared (kept as all-FF tombstones for "changes since") */
          stmt = sv_store_prepare (conn,
                                   "SELECT idx FROM records WHERE iccid = ? AND file_key = ? AND cleared = 0",
                                   SV_STORE_PARAMS (SV_STORE_TEXT (ctx->iccid),
                                                    SV_STORE_TEXT (key)),
                                   error);
          if (stmt == NULL)
            return FALSE;
          while (sv_db_stmt_step (stmt, &local_error))
            {
              guint index = (guint) sv_db_stmt_column_int64 (stmt, 0);

              if (!g_hash_table_contains (sent, GUINT_TO_POINTER (index)))
                g_array_append_val (to_clear, index);
            }
          if (local_error != NULL)
            {
              g_propagate_error (error, local_error);
              return FALSE;
            }
          g_clear_pointer (&stmt, sv_db_stmt_finish);

          for (guint i = 0; i < to_clear->len; i++)
            {
              if (!record_store (conn, ctx->iccid, key, g_array_index (to_clear, guint, i),
                                 empty, modseq, sv_store_now (ctx->store), error))
                return FALSE;
              changed = TRUE;
            }
        }

      for (guint i = 0; i < request->records->len; i++)
        {
          const SvStoreRecordWrite *write = g_ptr_array_index (request->records, i);
          g_autoptr(GBytes) stored = NULL;
          gint64 version;

          if (!record_load_or_empty (conn, ctx->iccid, card, write, &stored, &version, error))
            return FALSE;
          if (sv_store_bytes_equal (stored, write->data))
            {
              g_ptr_array_add (result->applied, sv_store_record_new (write->file, write->index, NULL, version));
              continue;
            }
          if (!record_store (conn, ctx->iccid, write->file, write->index, write->data, modseq, sv_store_now (ctx->store), error))
            return FALSE;
          changed = TRUE;
          g_ptr_array_add (result->applied, sv_store_record_new (write->file, write->index, NULL, modseq));
        }
    }

  if (changed)
    {
      if (!sv_store_exec (conn, "UPDATE cards SET modseq = ?, updated_at = ? WHERE iccid = ?",
                          SV_STORE_PARAMS (SV_STORE_INT64 (modseq),
                                           SV_STORE_INT64 (sv_store_now (ctx->store)),
                                           SV_STORE_TEXT (ctx->iccid)),
                          NULL, error))
        return FALSE;
    }

  g_ptr_array_sort (result->applied, compare_record);
  g_ptr_array_sort (result->conflicts, compare_conflict);
  result->epoch = card->epoch;
  result->modseq = changed ? modseq : card->modseq;

  /* the answer is stored in the transaction that applied the batch: a
   * crash leaves both or neither */
  g_clear_pointer (&answer, g_bytes_unref);
  answer = backup_result_serialize (result);
  return sv_store_batch_store (conn, ctx->store, ctx->iccid, request->batch_id, BATCH_BACKUP,
                               ctx->request_hash, answer, error);
}

SvStoreBackupResult *
sv_store_backup_apply (SvStore                    *store,
                       gint64                      account_id,
                       const char                 *iccid,
                       const SvStoreBackupRequest *request,
                       GError                    **error)
{
  BackupContext ctx = { store, account_id, iccid, request, };

  g_return_val_if_fail (request != NULL, NULL);

  if (!sv_store_check_given (iccid, "card", error))
    return NULL;
  if (!sv_store_check_batch_id (request->batch_id, error))
    return NULL;
  for (guint i = 0; i < request->records->len; i++)
    if (((SvStoreRecordWrite *) g_ptr_array_index (request->records, i))->data == NULL)
      {
        g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID, "Record %u has no data", i);
        return NULL;
      }
  backup_request_hash (request, ctx.request_hash);

  return sv_store_run_result (store, SV_DB_WRITE, backup_apply_txn, &ctx,
                              (gpointer *) &ctx.result, (GDestroyNotify) sv_store_backup_result_free, error);
}

/* ------------------------------------------------------------------------ */
/* Changes since a token                                                    */

gboolean
sv_store_check_token (const SvStoreCard *card,
                      gint64             epoch,
                      gint64             modseq,
                      GError           **error)
{
  if (epoch != card->epoch || modseq < card->purge_floor || modseq > card->modseq || modseq < 0)
    {
      g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_FULL_RESYNC_REQUIRED,
                   "The sync token is unknown or too old; a full resync is required");
      return FALSE;
    }
  return TRUE;
}

SvStoreRecord *
sv_store_record_from_row (SvDbStmt *stmt)
{
  SvStoreRecord *record = g_new0 (SvStoreRecord, 1);

  record->file = sv_db_stmt_dup_text (stmt, 0);
  record->index = (guint) sv_db_stmt_column_int64 (stmt, 1);
  record->data = sv_db_stmt_column_bytes (stmt, 2);
  record->version = sv_db_stmt_column_int64 (stmt, 3);
  return record;
}

static gpointer
record_from_row (SvDbStmt *stmt,
                 gpointer  user_data)
{
  return sv_store_record_from_row (stmt);
}

static gpointer
record_from_row_but_sms (SvDbStmt *stmt,
                         gpointer  user_data)
{
  if (sv_store_is_sms_file (sv_db_stmt_column_text (stmt, 0)))
    return NULL;
  return sv_store_record_from_row (stmt);
}

gboolean
sv_store_collect_records (SvDbStmt  *stmt,
                          GPtrArray *records,
                          gboolean   skip_sms,
                          GError   **error)
{
  return sv_store_collect_rows (stmt, skip_sms ? record_from_row_but_sms : record_from_row,
                                NULL, records, error);
}

typedef struct
{
  gint64      account_id;
  const char *iccid;
  gint64      epoch;
  gint64      modseq;
  guint       limit;
  const char *file;
  SvStoreChanges  *changes;    /* out */
  GPtrArray  *records;    /* out (list) */
} ChangesContext;

static gboolean
changes_since_txn (SvDbConn *conn,
                   gpointer  user_data,
                   GError  **error)
{
  ChangesContext *ctx = user_data;
  g_autoptr(SvStoreCard) card = NULL;
  g_autoptr(SvDbStmt) stmt = NULL;
  GPtrArray *records;
  gint64 last;

  g_clear_pointer (&ctx->changes, sv_store_changes_free);

  card = sv_store_card_load (conn, ctx->account_id, ctx->iccid, error);
  if (card == NULL || !sv_store_check_token (card, ctx->epoch, ctx->modseq, error))
    return FALSE;

  ctx->changes = g_new0 (SvStoreChanges, 1);
  ctx->changes->records = records = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_store_record_free);
  ctx->changes->epoch = card->epoch;

  /* one range scan of records_changes (iccid, version); the extra row says
   * whether there is more. In the index's order: ordering by file and
   * index too made SQLite sort every answer in a temporary B-tree (a page
   * holds whole versions, so which rows it holds does not depend on their
   * order inside a version); they are sorted below. */
  stmt = sv_store_prepare (conn,
                           "SELECT file_key, idx, data, version FROM records"
                           " WHERE iccid = ? AND version > ? ORDER BY version LIMIT ?",
                           SV_STORE_PARAMS (SV_STORE_TEXT (ctx->iccid),
                                            SV_STORE_INT64 (ctx->modseq),
                                            SV_STORE_INT64 ((gint64) ctx->limit + 1)),
                           error);
  if (stmt == NULL)
    return FALSE;
  if (!sv_store_collect_records (stmt, records, FALSE, error))
    return FALSE;
  g_clear_pointer (&stmt, sv_db_stmt_finish);
  g_ptr_array_sort (records, compare_change);

  if (records->len <= ctx->limit)
    {
      ctx->changes->modseq = card->modseq;
      ctx->changes->more = FALSE;
      return TRUE;
    }

  /* The token names a modseq, so a page ends at the end of one: drop the
   * extra row and the rest of its batch. */
  last = ((SvStoreRecord *) g_ptr_array_index (records, ctx->limit))->version;
  while (records->len > 0 &&
         ((SvStoreRecord *) g_ptr_array_index (records, records->len - 1))->version == last)
    g_ptr_array_set_size (records, records->len - 1);

  if (records->len == 0)
    {
      /* one batch is larger than the page: send it whole */
      stmt = sv_store_prepare (conn,
                               "SELECT file_key, idx, data, version FROM records"
                               " WHERE iccid = ? AND version = ? ORDER BY file_key, idx",
                               SV_STORE_PARAMS (SV_STORE_TEXT (ctx->iccid), SV_STORE_INT64 (last)),
                               error);
      if (stmt == NULL)
        return FALSE;
      if (!sv_store_collect_records (stmt, records, FALSE, error))
        return FALSE;
      ctx->changes->modseq = last;
      ctx->changes->more = last < card->modseq;
      return TRUE;
    }

  ctx->changes->modseq = ((SvStoreRecord *) g_ptr_array_index (records, records->len - 1))->version;
  ctx->changes->more = TRUE;
  return TRUE;
}

SvStoreChanges *
sv_store_changes_since (SvStore    *store,
                        gint64      account_id,
                        const char *iccid,
                        gint64      since_epoch,
                        gint64      since_modseq,
                        guint       limit,
                        GError    **error)
{
  ChangesContext ctx = { account_id, iccid, since_epoch, since_modseq, };

  ctx.limit = limit == 0 ? DEFAULT_CHANGES_LIMIT : MIN (limit, SV_STORE_MAX_BATCH);
  if (!sv_store_check_given (iccid, "card", error))
    return NULL;
  return sv_store_run_result (store, SV_DB_READ, changes_since_txn, &ctx,
                              (gpointer *) &ctx.changes, (GDestroyNotify) sv_store_changes_free, error);
}

static gboolean
records_list_txn (SvDbConn *conn,
                  gpointer  user_data,
                  GError  **error)
{
  ChangesContext *ctx = user_data;
  g_autoptr(SvStoreCard) card = NULL;
  g_autoptr(SvDbStmt) stmt = NULL;

  g_clear_pointer (&ctx->records, g_ptr_array_unref);
  card = sv_store_card_load (conn, ctx->account_id, ctx->iccid, error);
  if (card == NULL)
    return FALSE;
  if (ctx->file != NULL && sv_store_card_find_file (card, ctx->file) == NULL)
    {
      g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND,
                   "The card has no file “%s”", ctx->file);
      return FALSE;
    }

  ctx->records = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_store_record_free);
  if (ctx->file != NULL)
    stmt = sv_store_prepare (conn,
                             "SELECT file_key, idx, data, version FROM records"
                             " WHERE iccid = ? AND file_key = ? AND cleared = 0 ORDER BY idx",
                             SV_STORE_PARAMS (SV_STORE_TEXT (ctx->iccid), SV_STORE_TEXT (ctx->file)),
                             error);
  else
    stmt = sv_store_prepare (conn,
                             "SELECT file_key, idx, data, version FROM records"
                             " WHERE iccid = ? AND cleared = 0 ORDER BY file_key, idx",
                             SV_STORE_PARAMS (SV_STORE_TEXT (ctx->iccid)),
                             error);
  if (stmt == NULL)
    return FALSE;
  return sv_store_collect_records (stmt, ctx->records, FALSE, error);
}

GPtrArray *
sv_store_records_list (SvStore    *store,
                       gint64      account_id,
                       const char *iccid,
                       const char *file,
                       GError    **error)
{
  ChangesContext ctx = { account_id, iccid, };

  ctx.file = file;
  if (!sv_store_check_given (iccid, "card", error))
    return NULL;
  return sv_store_run_result (store, SV_DB_READ, records_list_txn, &ctx,
                              (gpointer *) &ctx.records, (GDestroyNotify) g_ptr_array_unref, error);
}

static gboolean
purge_cleared_txn (SvDbConn *conn,
                   gpointer  user_data,
                   GError  **error)
{
  ChangesContext *ctx = user_data;
  g_autoptr(SvStoreCard) card = NULL;
  gint64 modseq;

  card = sv_store_card_load (conn, 0, ctx->iccid, error);
  if (card == NULL)
    return FALSE;
  modseq = MIN (ctx->modseq, card->modseq);
  if (modseq <= card->purge_floor)
    return TRUE;

  if (!sv_store_exec (conn,
                      "DELETE FROM records WHERE iccid = ? AND cleared = 1 AND version <= ?",
                      SV_STORE_PARAMS (SV_STORE_TEXT (ctx->iccid), SV_STORE_INT64 (modseq)),
                      NULL, error))
    return FALSE;

  return sv_store_exec (conn, "UPDATE cards SET purge_floor = ? WHERE iccid = ?",
                        SV_STORE_PARAMS (SV_STORE_INT64 (modseq),
                                         SV_STORE_TEXT (ctx->iccid)),
                        NULL, error);
}

gboolean
sv_store_purge_cleared (SvStore    *store,
                        const char *iccid,
                        gint64      modseq,
                        GError    **error)
{
  ChangesContext ctx = { 0, iccid, 0, modseq, };

  return sv_store_run (store, SV_DB_WRITE, purge_cleared_txn, &ctx, error);
}

typedef struct
{
  char   *iccid;
  gint64  modseq;
} PurgeTarget;

static void
purge_target_free (PurgeTarget *target)
{
  g_free (target->iccid);
  g_free (target);
}

typedef struct
{
  gint64     before;
  guint      limit;
  GPtrArray *targets;  /* out, PurgeTarget */
} PurgeScanContext;

static gpointer
purge_target_row (SvDbStmt *stmt,
                  gpointer  user_data)
{
  PurgeTarget *target = g_new0 (PurgeTarget, 1);

  target->iccid = g_strdup (sv_db_stmt_column_text (stmt, 0));
  target->modseq = sv_db_stmt_column_int64 (stmt, 1);
  return target;
}

static gboolean
purge_scan_txn (SvDbConn *conn,
                gpointer  user_data,
                GError  **error)
{
  PurgeScanContext *ctx = user_data;
  g_autoptr(SvDbStmt) stmt = NULL;

  g_ptr_array_set_size (ctx->targets, 0);
  /* A card's versions grow with time: its tombstones changed before
   * @before are exactly those up to the newest of them. */
  stmt = sv_store_prepare (conn,
                           "SELECT iccid, MAX(version) FROM records"
                           " WHERE cleared = 1 AND changed_at < ?"
                           " GROUP BY iccid ORDER BY iccid LIMIT ?",
                           SV_STORE_PARAMS (SV_STORE_INT64 (ctx->before),
                                            SV_STORE_INT64 (ctx->limit)),
                           error);
  if (stmt == NULL)
    return FALSE;
  return sv_store_collect_rows (stmt, purge_target_row, NULL, ctx->targets, error);
}

/**
 * sv_store_purge_cleared_before:
 * @before: real time in microseconds; tombstones changed before it go
 * @batch: cards per round (each card is purged in its own transaction)
 * @n_cards: (out) (optional): the cards whose purge floor rose
 *
 * sv_store_purge_cleared () for every card that has tombstones older than
 * @before, in bounded rounds so that no transaction holds the whole table.
 */
gboolean
sv_store_purge_cleared_before (SvStore  *store,
                               gint64    before,
                               guint     batch,
                               guint    *n_cards,
                               GError  **error)
{
  g_autoptr(GPtrArray) targets = g_ptr_array_new_with_free_func ((GDestroyNotify) purge_target_free);
  g_autoptr(GHashTable) done = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  PurgeScanContext scan = { before, MAX (batch, 1), targets };

  if (n_cards != NULL)
    *n_cards = 0;
  for (;;)
    {
      guint progress = 0;

      if (!sv_store_run (store, SV_DB_READ, purge_scan_txn, &scan, error))
        return FALSE;
      for (guint i = 0; i < targets->len; i++)
        {
          PurgeTarget *target = g_ptr_array_index (targets, i);
          g_autoptr(GError) local_error = NULL;

          /* a card seen again made no progress (its tombstones are above
           * its modseq): never loop on it */
          if (g_hash_table_contains (done, target->iccid))
            continue;
          g_hash_table_add (done, g_strdup (target->iccid));
          progress++;
          if (!sv_store_purge_cleared (store, target->iccid, target->modseq, &local_error))
            {
              /* deregistered meanwhile: nothing left to purge */
              if (g_error_matches (local_error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND))
                continue;
              g_propagate_error (error, g_steal_pointer (&local_error));
              return FALSE;
            }
          if (n_cards != NULL)
            (*n_cards)++;
        }
      if (targets->len < scan.limit || progress == 0)
        return TRUE;
    }
}
