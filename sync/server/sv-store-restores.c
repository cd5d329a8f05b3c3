/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The SMS ring and restores.
 * See sv-store.c for how the operations run.
 */
#define G_LOG_DOMAIN "sv-store"

#include "config.h"

#include <string.h>

#include "sv-store-private.h"

/* ------------------------------------------------------------------------ */
/* The SMS ring                                                             */

static GBytes *
message_parts_concat (const SvStoreMessage *message)
{
  g_autoptr(GByteArray) all = g_byte_array_new ();

  for (guint i = 0; i < message->parts->len; i++)
    {
      gsize len;
      const guint8 *data = g_bytes_get_data (g_ptr_array_index (message->parts, i), &len);

      g_byte_array_append (all, data, len);
    }
  return g_byte_array_free_to_bytes (g_steal_pointer (&all));
}

static GVariant *
message_variant (const SvStoreMessage *message)
{
  GVariantBuilder parts;

  g_variant_builder_init (&parts, G_VARIANT_TYPE ("aay"));
  for (guint i = 0; i < message->parts->len; i++)
    g_variant_builder_add_value (&parts, sv_store_bytes_variant (g_ptr_array_index (message->parts, i)));
  return g_variant_builder_end (&parts);
}

static SvStoreMessage *
message_from_blob (gint64  id,
                   GBytes *parts,
                   guint   n_parts,
                   gint64  stored_at,
                   gint64  received_at)
{
  SvStoreMessage *message = sv_store_message_new (stored_at);
  gsize len = g_bytes_get_size (parts);
  gsize part_len = n_parts > 0 ? len / n_parts : 0;

  message->id = id;
  message->received_at = received_at;
  for (guint i = 0; i < n_parts; i++)
    g_ptr_array_add (message->parts, g_bytes_new_from_bytes (parts, i * part_len, part_len));
  return message;
}

static gboolean
check_messages (const SvStoreCard *card,
                GPtrArray         *messages,
                GError           **error)
{
  if (messages == NULL || messages->len > MAX_MESSAGES)
    {
      g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_TOO_LARGE,
                   "A batch holds at most %u messages", MAX_MESSAGES);
      return FALSE;
    }
  for (guint i = 0; i < messages->len; i++)
    {
      const SvStoreMessage *message = g_ptr_array_index (messages, i);
      gsize part_len = 0;

      if (message->parts == NULL || message->parts->len == 0)
        {
          g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID,
                       "Message %u has no record", i);
          return FALSE;
        }
      if (message->parts->len > card->sms_capacity)
        {
          g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID,
                       "Message %u has %u records; the card holds %u",
                       i, message->parts->len, card->sms_capacity);
          return FALSE;
        }
      for (guint j = 0; j < message->parts->len; j++)
        {
          gsize len = g_bytes_get_size (g_ptr_array_index (message->parts, j));

          if (j == 0)
            part_len = len;
          if (len == 0 || len > SV_STORE_MAX_RECORD_LEN || len != part_len)
            {
              g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID,
                           "Message %u: the records of a message are EF_SMS records of one size", i);
              return FALSE;
            }
        }
    }
  return TRUE;
}

typedef struct
{
  SvStore          *store;
  gint64            account_id;
  const char       *iccid;
  const char       *batch_id;
  GPtrArray        *messages;
  gint64            message_id;
  guint8            request_hash[HASH_BYTES];
  SvStoreMessagesResult *result;   /* out */
  GPtrArray        *list;     /* out */
} MessagesContext;

static gboolean
messages_append_txn (SvDbConn *conn,
                     gpointer  user_data,
                     GError  **error)
{
  MessagesContext *ctx = user_data;
  g_autoptr(SvStoreCard) card = NULL;
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(GVariant) answer_variant = NULL;
  g_autoptr(SvDbStmt) seq = NULL;
  SvStoreMessagesResult *result;
  gint64 msg_seq, count;
  gint64 now = sv_store_now (ctx->store);
  gboolean found;

  g_clear_pointer (&ctx->result, sv_store_messages_result_free);

  card = sv_store_card_load (conn, ctx->account_id, ctx->iccid, error);
  if (card == NULL)
    return FALSE;

  if (!sv_store_batch_lookup (conn, ctx->iccid, ctx->batch_id, BATCH_MESSAGES,
                              ctx->request_hash, &answer, error))
    return FALSE;
  if (answer != NULL)
    {
      g_autoptr(GVariant) stored = NULL;
      guint32 stored_n, duplicates, dropped, n;

      stored = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE ("(uuuu)"), answer, FALSE));
      g_variant_get (stored, "(uuuu)", &stored_n, &duplicates, &dropped, &n);
      ctx->result = g_new0 (SvStoreMessagesResult, 1);
      ctx->result->stored = stored_n;
      ctx->result->duplicates = duplicates;
      ctx->result->dropped = dropped;
      ctx->result->count = n;
      ctx->result->replayed = TRUE;
      return TRUE;
    }

  if (!check_messages (card, ctx->messages, error))
    return FALSE;

  seq = sv_store_prepare (conn, "SELECT msg_seq FROM cards WHERE iccid = ?",
                          SV_STORE_PARAMS (SV_STORE_TEXT (ctx->iccid)),
                          error);
  if (seq == NULL)
    return FALSE;
  if (!sv_store_step_one (seq, &found, error))
    return FALSE;
  msg_seq = found ? sv_db_stmt_column_int64 (seq, 0) : 0;
  g_clear_pointer (&seq, sv_db_stmt_finish);

  result = ctx->result = g_new0 (SvStoreMessagesResult, 1);
  for (guint i = 0; i < ctx->messages->len; i++)
    {
      const SvStoreMessage *message = g_ptr_array_index (ctx->messages, i);
      g_autoptr(SvDbStmt) exists = NULL;
      g_autoptr(GBytes) parts = NULL;
      guint8 content_hash[HASH_BYTES];

      sv_store_hash_variant (content_hash, message_variant (message));
      exists = sv_store_prepare (conn, "SELECT id FROM messages WHERE iccid = ? AND content_hash = ?",
                                 SV_STORE_PARAMS (SV_STORE_TEXT (ctx->iccid),
                                                  SV_STORE_BLOB (content_hash, HASH_BYTES)),
                                 error);
      if (exists == NULL)
        return FALSE;
      if (!sv_store_step_one (exists, &found, error))
        return FALSE;
      if (found)
        {
          result->duplicates++;
          continue;
        }

      if (!sv_store_ring_make_room (conn, ctx->iccid, card->sms_capacity, message->parts->len,
                                    &result->dropped, error))
        return FALSE;

      parts = message_parts_concat (message);
      if (!sv_store_exec (conn,
                          "INSERT INTO messages (iccid, id, content_hash, parts, n_parts, stored_at, received_at)"
                          " VALUES (?, ?, ?, ?, ?, ?, ?)",
                          SV_STORE_PARAMS (SV_STORE_TEXT (ctx->iccid),
                                           SV_STORE_INT64 (++msg_seq),
                                           SV_STORE_BLOB (content_hash, HASH_BYTES),
                                           SV_STORE_BYTES (parts),
                                           SV_STORE_INT64 (message->parts->len),
                                           SV_STORE_INT64 (message->stored_at),
                                           SV_STORE_INT64 (now)),
                          NULL, error))
        return FALSE;
      result->stored++;
    }

  if (!sv_store_exec (conn, "UPDATE cards SET msg_seq = ?, updated_at = ? WHERE iccid = ?",
                      SV_STORE_PARAMS (SV_STORE_INT64 (msg_seq),
                                       SV_STORE_INT64 (now),
                                       SV_STORE_TEXT (ctx->iccid)),
                      NULL, error))
    return FALSE;

  if (!sv_store_query_int64 (conn, "SELECT COUNT(*) FROM messages WHERE iccid = ?", ctx->iccid, &count, error))
    return FALSE;
  result->count = (guint) count;

  answer_variant = g_variant_ref_sink (g_variant_new ("(uuuu)", result->stored, result->duplicates,
                                                      result->dropped, result->count));
  g_clear_pointer (&answer, g_bytes_unref);
  answer = g_variant_get_data_as_bytes (answer_variant);
  return sv_store_batch_store (conn, ctx->store, ctx->iccid, ctx->batch_id, BATCH_MESSAGES,
                               ctx->request_hash, answer, error);
}

SvStoreMessagesResult *
sv_store_messages_append (SvStore    *store,
                          gint64      account_id,
                          const char *iccid,
                          const char *batch_id,
                          GPtrArray  *messages,
                          GError    **error)
{
  MessagesContext ctx = { store, account_id, iccid, batch_id, messages, };
  GVariantBuilder all;

  if (!sv_store_check_given (iccid, "card", error))
    return NULL;
  if (!sv_store_check_batch_id (batch_id, error))
    return NULL;
  if (messages == NULL)
    {
      g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID, "No messages");
      return NULL;
    }

  g_variant_builder_init (&all, G_VARIANT_TYPE ("a(xaay)"));
  for (guint i = 0; i < messages->len; i++)
    {
      const SvStoreMessage *message = g_ptr_array_index (messages, i);

      g_variant_builder_add (&all, "(x@aay)", message->stored_at, message_variant (message));
    }
  sv_store_hash_variant (ctx.request_hash, g_variant_builder_end (&all));

  return sv_store_run_result (store, SV_DB_WRITE, messages_append_txn, &ctx,
                              (gpointer *) &ctx.result, (GDestroyNotify) sv_store_messages_result_free, error);
}

/* id, parts, n_parts, stored_at, received_at */
static gpointer
message_from_row (SvDbStmt *stmt,
                  gpointer  user_data)
{
  g_autoptr(GBytes) parts = sv_db_stmt_column_bytes (stmt, 1);

  return message_from_blob (sv_db_stmt_column_int64 (stmt, 0), parts,
                            (guint) sv_db_stmt_column_int64 (stmt, 2),
                            sv_db_stmt_column_int64 (stmt, 3),
                            sv_db_stmt_column_int64 (stmt, 4));
}

/* The ring, oldest first */
static gboolean
messages_collect (SvDbConn   *conn,
                  const char *iccid,
                  GPtrArray  *list,
                  GError    **error)
{
  g_autoptr(SvDbStmt) stmt = NULL;

  stmt = sv_store_prepare (conn,
                           "SELECT id, parts, n_parts, stored_at, received_at FROM messages"
                           " WHERE iccid = ? ORDER BY id",
                           SV_STORE_PARAMS (SV_STORE_TEXT (iccid)),
                           error);
  if (stmt == NULL)
    return FALSE;
  return sv_store_collect_rows (stmt, message_from_row, NULL, list, error);
}

static gboolean
messages_list_txn (SvDbConn *conn,
                   gpointer  user_data,
                   GError  **error)
{
  MessagesContext *ctx = user_data;
  g_autoptr(SvStoreCard) card = NULL;

  g_clear_pointer (&ctx->list, g_ptr_array_unref);
  card = sv_store_card_load (conn, ctx->account_id, ctx->iccid, error);
  if (card == NULL)
    return FALSE;
  ctx->list = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_store_message_free);
  return messages_collect (conn, ctx->iccid, ctx->list, error);
}

GPtrArray *
sv_store_messages_list (SvStore    *store,
                        gint64      account_id,
                        const char *iccid,
                        GError    **error)
{
  MessagesContext ctx = { store, account_id, iccid, };

  if (!sv_store_check_given (iccid, "card", error))
    return NULL;
  return sv_store_run_result (store, SV_DB_READ, messages_list_txn, &ctx,
                              (gpointer *) &ctx.list, (GDestroyNotify) g_ptr_array_unref, error);
}

static gboolean
message_delete_txn (SvDbConn *conn,
                    gpointer  user_data,
                    GError  **error)
{
  MessagesContext *ctx = user_data;
  g_autoptr(SvStoreCard) card = NULL;
  gint64 changes;

  card = sv_store_card_load (conn, ctx->account_id, ctx->iccid, error);
  if (card == NULL)
    return FALSE;
  if (!sv_store_exec (conn, "DELETE FROM messages WHERE iccid = ? AND id = ?",
                      SV_STORE_PARAMS (SV_STORE_TEXT (ctx->iccid),
                                       SV_STORE_INT64 (ctx->message_id)),
                      &changes, error))
    return FALSE;
  if (changes == 0)
    {
      g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND, "No such message");
      return FALSE;
    }
  return TRUE;
}

gboolean
sv_store_message_delete (SvStore    *store,
                         gint64      account_id,
                         const char *iccid,
                         gint64      message_id,
                         GError    **error)
{
  MessagesContext ctx = { store, account_id, iccid, };

  ctx.message_id = message_id;
  if (!sv_store_check_given (iccid, "card", error))
    return FALSE;
  return sv_store_run (store, SV_DB_WRITE, message_delete_txn, &ctx, error);
}

/* ------------------------------------------------------------------------ */
/* Restores                                                                 */

#define RESTORE_COLUMNS \
  "id, iccid, kind, staff_id, group_size, n_groups, n_records, n_messages," \
  " n_acked, completed_at, epoch, modseq, created_at, clear_files"

static SvStoreRestore *
restore_from_row (SvDbStmt *stmt,
                  char    **clear_files)
{
  SvStoreRestore *restore = g_new0 (SvStoreRestore, 1);

  restore->id = sv_db_stmt_dup_text (stmt, 0);
  restore->iccid = sv_db_stmt_dup_text (stmt, 1);
  restore->kind = sv_db_stmt_column_int64 (stmt, 2) == SV_STORE_RESTORE_INCREMENTAL
                  ? SV_STORE_RESTORE_INCREMENTAL : SV_STORE_RESTORE_FULL;
  restore->staff_id = sv_db_stmt_column_int64 (stmt, 3);
  restore->group_size = (guint) sv_db_stmt_column_int64 (stmt, 4);
  restore->n_groups = (guint) sv_db_stmt_column_int64 (stmt, 5);
  restore->n_records = (guint) sv_db_stmt_column_int64 (stmt, 6);
  restore->n_messages = (guint) sv_db_stmt_column_int64 (stmt, 7);
  restore->n_acked = (guint) sv_db_stmt_column_int64 (stmt, 8);
  restore->done = !sv_db_stmt_column_is_null (stmt, 9);
  restore->epoch = sv_db_stmt_column_int64 (stmt, 10);
  restore->modseq = sv_db_stmt_column_int64 (stmt, 11);
  restore->created_at = sv_db_stmt_column_int64 (stmt, 12);
  if (clear_files != NULL)
    *clear_files = sv_db_stmt_dup_text (stmt, 13);
  return restore;
}

/* A restore id is "ICCID.UUID": the card is in the id, so every lookup
 * names the card (one partition when the tables are partitioned by card). */
static char *
restore_id_card (const char *restore_id)
{
  const char *dot = restore_id != NULL ? strchr (restore_id, '.') : NULL;

  if (dot == NULL || dot == restore_id || dot - restore_id > 20)
    return NULL;
  return g_strndup (restore_id, dot - restore_id);
}

/* Inside a transaction: the restore if it belongs to @account_id */
static SvStoreRestore *
restore_load (SvDbConn   *conn,
              gint64      account_id,
              const char *restore_id,
              char      **clear_files,
              GError    **error)
{
  g_autoptr(SvDbStmt) stmt = NULL;
  g_autofree char *iccid = restore_id_card (restore_id);
  gboolean found;

  if (iccid == NULL)
    {
      g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND, "No such restore");
      return NULL;
    }
  stmt = sv_store_prepare (conn,
                           "SELECT " RESTORE_COLUMNS " FROM restores"
                           " WHERE iccid = ? AND id = ? AND account_id = ?",
                           SV_STORE_PARAMS (SV_STORE_TEXT (iccid),
                                            SV_STORE_TEXT (restore_id),
                                            SV_STORE_INT64 (account_id)),
                           error);
  if (stmt == NULL)
    return NULL;
  if (!sv_store_step_one (stmt, &found, error))
    return NULL;
  if (!found)
    {
      g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND, "No such restore");
      return NULL;
    }
  return restore_from_row (stmt, clear_files);
}

typedef struct
{
  SvStore        *store;
  gint64          account_id;
  gint64          staff_id;
  const char     *iccid;
  SvStoreRestoreKind   kind;
  gint64          since_epoch;
  gint64          since_modseq;
  gboolean        sms;
  guint           group_size;
  const char     *restore_id;
  guint           group;
  SvStoreRestore      *restore;     /* out */
  SvStoreRestoreGroup *result;      /* out */
} RestoreContext;

static gboolean
restore_item_insert (SvDbConn             *conn,
                     RestoreContext       *ctx,
                     const char           *restore_id,
                     guint                 seq,
                     const SvStoreRecord  *record,
                     const SvStoreMessage *message,
                     GError              **error)
{
  static const char insert[] =
    "INSERT INTO restore_items (iccid, restore_id, seq, file_key, idx, version,"
    " message_id, n_parts, stored_at, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
  g_autoptr(GBytes) parts = NULL;

  if (record != NULL)
    return sv_store_exec (conn, insert,
                          SV_STORE_PARAMS (SV_STORE_TEXT (ctx->iccid),
                                           SV_STORE_TEXT (restore_id),
                                           SV_STORE_INT64 (seq),
                                           SV_STORE_TEXT (record->file),
                                           SV_STORE_INT64 (record->index),
                                           SV_STORE_INT64 (record->version),
                                           SV_STORE_NULL,
                                           SV_STORE_NULL,
                                           SV_STORE_NULL,
                                           SV_STORE_BYTES (record->data)),
                          NULL, error);

  parts = message_parts_concat (message);
  return sv_store_exec (conn, insert,
                        SV_STORE_PARAMS (SV_STORE_TEXT (ctx->iccid),
                                         SV_STORE_TEXT (restore_id),
                                         SV_STORE_INT64 (seq),
                                         SV_STORE_NULL,
                                         SV_STORE_NULL,
                                         SV_STORE_NULL,
                                         SV_STORE_INT64 (message->id),
                                         SV_STORE_INT64 (message->parts->len),
                                         SV_STORE_INT64 (message->stored_at),
                                         SV_STORE_BYTES (parts)),
                        NULL, error);
}

static gboolean
restore_create_txn (SvDbConn *conn,
                    gpointer  user_data,
                    GError  **error)
{
  RestoreContext *ctx = user_data;
  g_autoptr(SvStoreCard) card = NULL;
  g_autoptr(SvDbStmt) stmt = NULL;
  g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_store_record_free);
  g_autoptr(GPtrArray) messages = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_store_message_free);
  g_autoptr(GString) clear = g_string_new (NULL);
  g_autofree char *uuid = g_uuid_string_random ();
  g_autofree char *id = g_strconcat (ctx->iccid, ".", uuid, NULL);
  guint n_items, n_groups, seq = 0;

  g_clear_pointer (&ctx->restore, sv_store_restore_free);

  card = sv_store_card_load (conn, ctx->account_id, ctx->iccid, error);
  if (card == NULL)
    return FALSE;

  if (ctx->kind == SV_STORE_RESTORE_FULL)
    {
      const char *sms_key = "sms";

      /* flow 9: every stored record, in the layout's order */
      stmt = sv_store_prepare (conn,
                               "SELECT r.file_key, r.idx, r.data, r.version FROM records r"
                               " JOIN card_files f ON f.iccid = r.iccid AND f.key = r.file_key"
                               " WHERE r.iccid = ? AND r.cleared = 0 ORDER BY f.position, r.idx",
                               SV_STORE_PARAMS (SV_STORE_TEXT (ctx->iccid)),
                               error);
      if (stmt == NULL)
        return FALSE;
      if (!sv_store_collect_records (stmt, records, TRUE, error))
        return FALSE;

      for (guint i = 0; i < card->files->len; i++)
        {
          const SvStoreCardFile *file = g_ptr_array_index (card->files, i);

          if (sv_store_is_sms_file (file->key))
            {
              sms_key = file->key;
              continue;
            }
          g_string_append_printf (clear, "%s%s", clear->len > 0 ? "\n" : "", file->key);
        }

      /* flow 10: the newest A messages, which is the whole ring */
      if (ctx->sms)
        {
          g_string_append_printf (clear, "%s%s", clear->len > 0 ? "\n" : "", sms_key);
          if (!messages_collect (conn, ctx->iccid, messages, error))
            return FALSE;
        }
    }
  else
    {
      /* flow 8: what changed since the card's token, cleared records too */
      if (!sv_store_check_token (card, ctx->since_epoch, ctx->since_modseq, error))
        return FALSE;
      stmt = sv_store_prepare (conn,
                               "SELECT file_key, idx, data, version FROM records"
                               " WHERE iccid = ? AND version > ? ORDER BY version, file_key, idx",
                               SV_STORE_PARAMS (SV_STORE_TEXT (ctx->iccid),
                                                SV_STORE_INT64 (ctx->since_modseq)),
                               error);
      if (stmt == NULL)
        return FALSE;
      if (!sv_store_collect_records (stmt, records, TRUE, error))
        return FALSE;
    }
  g_clear_pointer (&stmt, sv_db_stmt_finish);

  n_items = records->len + messages->len;
  n_groups = MAX (1, (n_items + ctx->group_size - 1) / ctx->group_size);

  if (!sv_store_exec (conn,
                      "INSERT INTO restores (iccid, id, account_id, staff_id, kind, include_sms,"
                      " group_size, n_groups, n_records, n_messages, n_acked, clear_files, epoch,"
                      " modseq, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?)",
                      SV_STORE_PARAMS (SV_STORE_TEXT (ctx->iccid),
                                       SV_STORE_TEXT (id),
                                       SV_STORE_INT64 (ctx->account_id),
                                       SV_STORE_INT64 (ctx->staff_id),
                                       SV_STORE_INT64 (ctx->kind),
                                       SV_STORE_INT64 (ctx->sms ? 1 : 0),
                                       SV_STORE_INT64 (ctx->group_size),
                                       SV_STORE_INT64 (n_groups),
                                       SV_STORE_INT64 (records->len),
                                       SV_STORE_INT64 (messages->len),
                                       SV_STORE_TEXT (clear->str),
                                       SV_STORE_INT64 (card->epoch),
                                       SV_STORE_INT64 (card->modseq),
                                       SV_STORE_INT64 (sv_store_now (ctx->store))),
                      NULL, error))
    return FALSE;

  for (guint i = 0; i < records->len; i++)
    if (!restore_item_insert (conn, ctx, id, seq++, g_ptr_array_index (records, i), NULL, error))
      return FALSE;
  for (guint i = 0; i < messages->len; i++)
    if (!restore_item_insert (conn, ctx, id, seq++, NULL, g_ptr_array_index (messages, i), error))
      return FALSE;

  if (ctx->staff_id != 0)
    {
      g_autofree char *detail = g_strdup_printf ("%s restore: %u records, %u messages",
                                                 ctx->kind == SV_STORE_RESTORE_FULL ? "full" : "incremental",
                                                 records->len, messages->len);

      if (!sv_store_audit_insert (conn, ctx->store, ctx->account_id, ctx->staff_id, ctx->iccid,
                                  "restore-start", detail, error))
        return FALSE;
    }

  ctx->restore = restore_load (conn, ctx->account_id, id, NULL, error);
  return ctx->restore != NULL;
}

SvStoreRestore *
sv_store_restore_create (SvStore            *store,
                         gint64              account_id,
                         gint64              staff_id,
                         const char         *iccid,
                         SvStoreRestoreKind  kind,
                         gint64              since_epoch,
                         gint64              since_modseq,
                         gboolean            sms,
                         guint               group_size,
                         GError            **error)
{
  RestoreContext ctx = { store, account_id, staff_id, iccid, kind, since_epoch, since_modseq, sms, };

  if (!sv_store_check_given (iccid, "card", error))
    return NULL;
  if (group_size == 0)
    group_size = DEFAULT_GROUP_SIZE;
  if (group_size > SV_STORE_MAX_GROUP_SIZE)
    {
      g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID,
                   "A group holds 1 to %u items", SV_STORE_MAX_GROUP_SIZE);
      return NULL;
    }
  ctx.group_size = group_size;
  return sv_store_run_result (store, SV_DB_WRITE, restore_create_txn, &ctx,
                              (gpointer *) &ctx.restore, (GDestroyNotify) sv_store_restore_free, error);
}

static gboolean
restore_get_txn (SvDbConn *conn,
                 gpointer  user_data,
                 GError  **error)
{
  RestoreContext *ctx = user_data;

  g_clear_pointer (&ctx->restore, sv_store_restore_free);
  ctx->restore = restore_load (conn, ctx->account_id, ctx->restore_id, NULL, error);
  return ctx->restore != NULL;
}

SvStoreRestore *
sv_store_restore_get (SvStore    *store,
                      gint64      account_id,
                      const char *restore_id,
                      GError    **error)
{
  RestoreContext ctx = { store, account_id, };

  ctx.restore_id = restore_id;
  if (!sv_store_check_given (restore_id, "restore", error))
    return NULL;
  return sv_store_run_result (store, SV_DB_READ, restore_get_txn, &ctx,
                              (gpointer *) &ctx.restore, (GDestroyNotify) sv_store_restore_free, error);
}

static gboolean
restore_group_txn (SvDbConn *conn,
                   gpointer  user_data,
                   GError  **error)
{
  RestoreContext *ctx = user_data;
  g_autoptr(SvStoreRestore) restore = NULL;
  g_autoptr(SvDbStmt) stmt = NULL;
  g_autofree char *clear_files = NULL;
  SvStoreRestoreGroup *group;
  GError *local_error = NULL;
  guint n = ctx->group;

  g_clear_pointer (&ctx->result, sv_store_restore_group_free);
  restore = restore_load (conn, ctx->account_id, ctx->restore_id, &clear_files, error);
  if (restore == NULL)
    return FALSE;
  if (n >= restore->n_groups)
    {
      g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND,
                   "The restore has %u groups", restore->n_groups);
      return FALSE;
    }
  /* flow 11: nothing after the first unacknowledged group */
  if (n > restore->n_acked)
    n = restore->n_acked;

  group = ctx->result = g_new0 (SvStoreRestoreGroup, 1);
  group->group = n;
  group->records = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_store_record_free);
  group->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_store_message_free);
  group->clear = g_ptr_array_new_with_free_func (g_free);
  if (n == 0 && restore->kind == SV_STORE_RESTORE_FULL && clear_files != NULL && *clear_files != '\0')
    {
      g_auto(GStrv) keys = g_strsplit (clear_files, "\n", -1);

      for (guint i = 0; keys[i] != NULL; i++)
        g_ptr_array_add (group->clear, g_strdup (keys[i]));
    }

  stmt = sv_store_prepare (conn,
                           "SELECT file_key, idx, data, version, message_id, n_parts, stored_at"
                           " FROM restore_items WHERE iccid = ? AND restore_id = ? AND seq >= ? AND seq < ?"
                           " ORDER BY seq",
                           SV_STORE_PARAMS (SV_STORE_TEXT (restore->iccid),
                                            SV_STORE_TEXT (restore->id),
                                            SV_STORE_INT64 ((gint64) n * restore->group_size),
                                            SV_STORE_INT64 ((gint64) (n + 1) * restore->group_size)),
                           error);
  if (stmt == NULL)
    return FALSE;
  while (sv_db_stmt_step (stmt, &local_error))
    {
      if (!sv_db_stmt_column_is_null (stmt, 0))
        g_ptr_array_add (group->records, sv_store_record_from_row (stmt));
      else
        {
          g_autoptr(GBytes) parts = sv_db_stmt_column_bytes (stmt, 2);

          g_ptr_array_add (group->messages,
                           message_from_blob (sv_db_stmt_column_int64 (stmt, 4), parts,
                                              (guint) sv_db_stmt_column_int64 (stmt, 5),
                                              sv_db_stmt_column_int64 (stmt, 6), 0));
        }
    }
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return FALSE;
    }
  return TRUE;
}

SvStoreRestoreGroup *
sv_store_restore_get_group (SvStore    *store,
                            gint64      account_id,
                            const char *restore_id,
                            guint       n,
                            GError    **error)
{
  RestoreContext ctx = { store, account_id, };

  ctx.restore_id = restore_id;
  ctx.group = n;
  if (!sv_store_check_given (restore_id, "restore", error))
    return NULL;
  return sv_store_run_result (store, SV_DB_READ, restore_group_txn, &ctx,
                              (gpointer *) &ctx.result, (GDestroyNotify) sv_store_restore_group_free, error);
}

static gboolean
restore_ack_txn (SvDbConn *conn,
                 gpointer  user_data,
                 GError  **error)
{
  RestoreContext *ctx = user_data;
  g_autoptr(SvStoreRestore) restore = NULL;
  gboolean completes;
  gint64 now = sv_store_now (ctx->store);

  g_clear_pointer (&ctx->restore, sv_store_restore_free);
  restore = restore_load (conn, ctx->account_id, ctx->restore_id, NULL, error);
  if (restore == NULL)
    return FALSE;
  if (ctx->group >= restore->n_groups)
    {
      g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND,
                   "The restore has %u groups", restore->n_groups);
      return FALSE;
    }
  if (ctx->group < restore->n_acked)
    {
      /* a repeated ack */
      ctx->restore = g_steal_pointer (&restore);
      return TRUE;
    }
  if (ctx->group > restore->n_acked)
    {
      g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID,
                   "Group %u cannot be acknowledged before group %u",
                   ctx->group, restore->n_acked);
      return FALSE;
    }

  completes = ctx->group + 1 == restore->n_groups;
  if (!sv_store_exec (conn,
                      "UPDATE restores SET n_acked = ?, completed_at = ?"
                      " WHERE iccid = ? AND id = ? AND n_acked = ?",
                      SV_STORE_PARAMS (SV_STORE_INT64 (ctx->group + 1),
                                       SV_STORE_INT64_IF (completes, now),
                                       SV_STORE_TEXT (restore->iccid),
                                       SV_STORE_TEXT (restore->id),
                                       SV_STORE_INT64 (restore->n_acked)),
                      NULL, error))
    return FALSE;

  if (completes && restore->staff_id != 0)
    {
      g_autofree char *detail = g_strdup_printf ("%s restore done: %u records, %u messages",
                                                 restore->kind == SV_STORE_RESTORE_FULL ? "full" : "incremental",
                                                 restore->n_records, restore->n_messages);

      if (!sv_store_audit_insert (conn, ctx->store, ctx->account_id, restore->staff_id, restore->iccid,
                                  "restore", detail, error))
        return FALSE;
    }

  restore->n_acked = ctx->group + 1;
  restore->done = completes;
  ctx->restore = g_steal_pointer (&restore);
  return TRUE;
}

SvStoreRestore *
sv_store_restore_ack (SvStore    *store,
                      gint64      account_id,
                      const char *restore_id,
                      guint       n,
                      GError    **error)
{
  RestoreContext ctx = { store, account_id, };

  ctx.restore_id = restore_id;
  ctx.group = n;
  if (!sv_store_check_given (restore_id, "restore", error))
    return NULL;
  return sv_store_run_result (store, SV_DB_WRITE, restore_ack_txn, &ctx,
                              (gpointer *) &ctx.restore, (GDestroyNotify) sv_store_restore_free, error);
}
