/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Cards: registration, ownership, layout and deregistration.
 * See sv-store.c for how the operations run.
 */
#define G_LOG_DOMAIN "sv-store"

#include "config.h"

#include <string.h>

#include "sv-store-private.h"

/* ------------------------------------------------------------------------ */
/* Cards                                                                    */

/* user_data: a GArray of gint64 that receives the row's position, when
 * the query selects it as column 5 */
static gpointer
card_file_from_row (SvDbStmt *stmt,
                    gpointer  user_data)
{
  GArray *positions = user_data;

  if (positions != NULL)
    {
      gint64 position = sv_db_stmt_column_int64 (stmt, 5);

      g_array_append_val (positions, position);
    }
  return sv_store_card_file_new (sv_db_stmt_column_text (stmt, 0),
                                 sv_db_stmt_column_text (stmt, 1),
                                 sv_db_stmt_column_text (stmt, 2),
                                 (guint) sv_db_stmt_column_int64 (stmt, 3),
                                 (guint) sv_db_stmt_column_int64 (stmt, 4));
}

/* Insertion sort of @files by @positions (a card has a few files). */
static void
sort_card_files (GPtrArray *files,
                 GArray    *positions)
{
  for (guint i = 1; i < files->len; i++)
    {
      gint64 position = g_array_index (positions, gint64, i);
      gpointer file = files->pdata[i];
      guint j = i;

      for (; j > 0 && g_array_index (positions, gint64, j - 1) > position; j--)
        {
          files->pdata[j] = files->pdata[j - 1];
          g_array_index (positions, gint64, j) = g_array_index (positions, gint64, j - 1);
        }
      files->pdata[j] = file;
      g_array_index (positions, gint64, j) = position;
    }
}

static gpointer
text_from_row (SvDbStmt *stmt,
               gpointer  user_data)
{
  return sv_db_stmt_dup_text (stmt, 0);
}

SvStoreCard *
sv_store_card_load (SvDbConn   *conn,
                    gint64      account_id,
                    const char *iccid,
                    GError    **error)
{
  g_autoptr(SvStoreCard) card = NULL;
  g_autoptr(SvDbStmt) stmt = NULL;
  g_autoptr(SvDbStmt) files = NULL;
  g_autoptr(GArray) positions = g_array_new (FALSE, FALSE, sizeof (gint64));
  gboolean found;

  stmt = sv_store_prepare (conn,
                           "SELECT c.iccid, c.account_id, a.phone, c.imsi, c.card_type, c.batch,"
                           " c.counter_a, a.counter_b, c.sms_capacity, c.epoch, c.modseq,"
                           " c.purge_floor, c.replaced_by, c.registered_at, c.updated_at,"
                           " c.last_backup_at"
                           " FROM cards c JOIN accounts a ON a.id = c.account_id"
                           " WHERE c.iccid = ?",
                           SV_STORE_PARAMS (SV_STORE_TEXT (iccid)),
                           error);
  if (stmt == NULL)
    return NULL;
  if (!sv_store_step_one (stmt, &found, error))
    return NULL;
  if (!found || (account_id != 0 && sv_db_stmt_column_int64 (stmt, 1) != account_id))
    {
      g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND,
                   "No such card");
      return NULL;
    }

  card = g_new0 (SvStoreCard, 1);
  card->iccid = sv_db_stmt_dup_text (stmt, 0);
  card->account_id = sv_db_stmt_column_int64 (stmt, 1);
  card->phone = sv_db_stmt_dup_text (stmt, 2);
  card->imsi = sv_db_stmt_dup_text (stmt, 3);
  card->card_type = sv_db_stmt_dup_text (stmt, 4);
  card->batch = sv_db_stmt_dup_text (stmt, 5);
  card->counter_a = sv_db_stmt_column_int64 (stmt, 6);
  card->counter_b = sv_db_stmt_column_int64 (stmt, 7);
  card->sms_capacity = (guint) sv_db_stmt_column_int64 (stmt, 8);
  card->epoch = sv_db_stmt_column_int64 (stmt, 9);
  card->modseq = sv_db_stmt_column_int64 (stmt, 10);
  card->purge_floor = sv_db_stmt_column_int64 (stmt, 11);
  card->replaced_by = sv_db_stmt_dup_text (stmt, 12);
  card->registered_at = sv_db_stmt_column_int64 (stmt, 13);
  card->updated_at = sv_db_stmt_column_int64 (stmt, 14);
  card->last_backup_at = sv_db_stmt_column_is_null (stmt, 15) ? 0 : sv_db_stmt_column_int64 (stmt, 15);
  card->files = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_store_card_file_free);
  g_clear_pointer (&stmt, sv_db_stmt_finish);

  /* In position order, sorted here: the primary key is (iccid, key), and
   * an ORDER BY position made SQLite start a sorter on every request that
   * names a card (~3% of a "changes since"), for a handful of rows. */
  files = sv_store_prepare (conn,
                            "SELECT key, path, structure, record_len, n_records, position FROM card_files"
                            " WHERE iccid = ?",
                            SV_STORE_PARAMS (SV_STORE_TEXT (iccid)),
                            error);
  if (files == NULL)
    return NULL;
  if (!sv_store_collect_rows (files, card_file_from_row, positions, card->files, error))
    return NULL;
  sort_card_files (card->files, positions);
  return g_steal_pointer (&card);
}

static gboolean
check_card_info (const SvStoreCardInfo *info,
                 GError               **error)
{
  g_autoptr(GHashTable) keys = g_hash_table_new (g_str_hash, g_str_equal);
  guint64 total = 0;

  if (!sv_store_check_iccid (info->iccid, error))
    return FALSE;
  if (info->card_type == NULL || *info->card_type == '\0' || strlen (info->card_type) > 32)
    {
      g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID, "The card type is missing");
      return FALSE;
    }
  if ((info->imsi != NULL && strlen (info->imsi) > 32) ||
      (info->batch != NULL && strlen (info->batch) > 128))
    {
      g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID, "The IMSI or the batch is too long");
      return FALSE;
    }
  if (info->counter_a < 0)
    {
      g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID, "Counter A is negative");
      return FALSE;
    }
  if (info->sms_capacity > SV_STORE_MAX_SMS_CAPACITY)
    {
      g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID,
                   "The SMS capacity is at most %u", SV_STORE_MAX_SMS_CAPACITY);
      return FALSE;
    }
  if (info->files == NULL || info->files->len > SV_STORE_MAX_FILES)
    {
      g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID,
                   "A card has at most %u files", SV_STORE_MAX_FILES);
      return FALSE;
    }
  for (guint i = 0; i < info->files->len; i++)
    {
      const SvStoreCardFile *file = g_ptr_array_index (info->files, i);

      if (file->key == NULL || *file->key == '\0' || strlen (file->key) > 32 ||
          file->path == NULL || strlen (file->path) > 64 ||
          file->structure == NULL || strlen (file->structure) > 32)
        {
          g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID,
                       "File %u has no key, path or structure", i);
          return FALSE;
        }
      if (!g_hash_table_add (keys, file->key))
        {
          g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID,
                       "The file “%s” is listed twice", file->key);
          return FALSE;
        }
      if (file->record_len < 1 || file->record_len > SV_STORE_MAX_RECORD_LEN ||
          file->n_records < 1 || file->n_records > 255)
        {
          g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID,
                       "The file “%s” has %u records of %u bytes: out of range",
                       file->key, file->n_records, file->record_len);
          return FALSE;
        }
      total += file->n_records;
    }
  if (total > SV_STORE_MAX_RECORDS_PER_CARD)
    {
      g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID,
                   "The card has more than %u records", SV_STORE_MAX_RECORDS_PER_CARD);
      return FALSE;
    }
  return TRUE;
}

static gboolean
files_upsert (SvDbConn              *conn,
              const SvStoreCardInfo *info,
              GError               **error)
{
  for (guint i = 0; i < info->files->len; i++)
    {
      const SvStoreCardFile *file = g_ptr_array_index (info->files, i);

      if (!sv_store_exec (conn,
                          "INSERT INTO card_files (iccid, key, path, structure, record_len, n_records, position)"
                          " VALUES (?, ?, ?, ?, ?, ?, ?)"
                          " ON CONFLICT (iccid, key) DO UPDATE SET path = excluded.path,"
                          " structure = excluded.structure, record_len = excluded.record_len,"
                          " n_records = excluded.n_records, position = excluded.position",
                          SV_STORE_PARAMS (SV_STORE_TEXT (info->iccid),
                                           SV_STORE_TEXT (file->key),
                                           SV_STORE_TEXT (file->path),
                                           SV_STORE_TEXT (file->structure),
                                           SV_STORE_INT64 (file->record_len),
                                           SV_STORE_INT64 (file->n_records),
                                           SV_STORE_INT64 (i)),
                          NULL, error))
        return FALSE;
    }
  return TRUE;
}

gboolean
sv_store_ring_make_room (SvDbConn   *conn,
                         const char *iccid,
                         guint       capacity,
                         guint       room,
                         guint      *dropped,
                         GError    **error)
{
  gint64 used;

  if (!sv_store_query_int64 (conn, "SELECT COALESCE(SUM(n_parts), 0) FROM messages WHERE iccid = ?",
                             iccid, &used, error))
    return FALSE;

  while (used + room > capacity && used > 0)
    {
      g_autoptr(SvDbStmt) oldest = NULL;
      gboolean found;
      gint64 id, n_parts;

      oldest = sv_store_prepare (conn,
                                 "SELECT id, n_parts FROM messages WHERE iccid = ? ORDER BY id LIMIT 1",
                                 SV_STORE_PARAMS (SV_STORE_TEXT (iccid)),
                                 error);
      if (oldest == NULL)
        return FALSE;
      if (!sv_store_step_one (oldest, &found, error))
        return FALSE;
      if (!found)
        break;
      id = sv_db_stmt_column_int64 (oldest, 0);
      n_parts = sv_db_stmt_column_int64 (oldest, 1);
      g_clear_pointer (&oldest, sv_db_stmt_finish);

      if (!sv_store_exec (conn, "DELETE FROM messages WHERE iccid = ? AND id = ?",
                          SV_STORE_PARAMS (SV_STORE_TEXT (iccid), SV_STORE_INT64 (id)),
                          NULL, error))
        return FALSE;
      used -= n_parts;
      if (dropped != NULL)
        (*dropped)++;
    }
  return TRUE;
}

/* The same ICCID registered again: new info and layout. Records that the
 * new layout cannot hold are deleted, and then the epoch changes. */
static gboolean
card_update (SvDbConn              *conn,
             SvStore               *store,
             const SvStoreCard     *old,
             const SvStoreCardInfo *info,
             GError               **error)
{
  gint64 dropped_records = 0;
  gint64 now = sv_store_now (store);
  gint64 epoch = old->epoch;

  for (guint i = 0; i < old->files->len; i++)
    {
      const SvStoreCardFile *was = g_ptr_array_index (old->files, i);
      const SvStoreCardFile *now_file = NULL;
      gint64 changes;

      for (guint j = 0; j < info->files->len; j++)
        if (g_str_equal (((SvStoreCardFile *) g_ptr_array_index (info->files, j))->key, was->key))
          now_file = g_ptr_array_index (info->files, j);

      if (now_file != NULL && now_file->record_len == was->record_len &&
          now_file->n_records >= was->n_records)
        continue;

      if (!sv_store_exec (conn,
                          "DELETE FROM records WHERE iccid = ? AND file_key = ? AND idx > ?",
                          SV_STORE_PARAMS (SV_STORE_TEXT (info->iccid),
                                           SV_STORE_TEXT (was->key),
                                           SV_STORE_INT64 (now_file != NULL && now_file->record_len == was->record_len
                                                           ? now_file->n_records : 0)),
                          &changes, error))
        return FALSE;
      dropped_records += changes;

      if (now_file == NULL)
        {
          if (!sv_store_exec (conn, "DELETE FROM card_files WHERE iccid = ? AND key = ?",
                              SV_STORE_PARAMS (SV_STORE_TEXT (info->iccid),
                                               SV_STORE_TEXT (was->key)),
                              NULL, error))
            return FALSE;
        }
    }

  if (!files_upsert (conn, info, error))
    return FALSE;

  /* a client holding a token of the old layout must start over */
  if (dropped_records > 0)
    epoch = MAX (epoch + 1, now / G_USEC_PER_SEC);

  if (!sv_store_exec (conn,
                      "UPDATE cards SET imsi = ?, card_type = ?, batch = ?, counter_a = ?,"
                      " sms_capacity = ?, epoch = ?, replaced_by = NULL, updated_at = ?"
                      " WHERE iccid = ?",
                      SV_STORE_PARAMS (SV_STORE_TEXT (info->imsi),
                                       SV_STORE_TEXT (info->card_type),
                                       SV_STORE_TEXT (info->batch),
                                       SV_STORE_INT64 (info->counter_a),
                                       SV_STORE_INT64 (info->sms_capacity),
                                       SV_STORE_INT64 (epoch),
                                       SV_STORE_INT64 (now),
                                       SV_STORE_TEXT (info->iccid)),
                      NULL, error))
    return FALSE;

  /* a smaller SMS capacity: the ring keeps the newest that fit */
  return sv_store_ring_make_room (conn, info->iccid, info->sms_capacity, 0, NULL, error);
}

static gboolean
card_insert (SvDbConn              *conn,
             SvStore               *store,
             gint64                 account_id,
             const SvStoreCardInfo *info,
             GError               **error)
{
  gint64 now = sv_store_now (store);

  /* the epoch is the registration's second: a card registered again after
   * a deregistration never accepts a token of its earlier life */
  if (!sv_store_exec (conn,
                      "INSERT INTO cards (iccid, account_id, imsi, card_type, batch, counter_a,"
                      " sms_capacity, epoch, modseq, purge_floor, msg_seq, registered_at, updated_at)"
                      " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, 0, 0, ?, ?)",
                      SV_STORE_PARAMS (SV_STORE_TEXT (info->iccid),
                                       SV_STORE_INT64 (account_id),
                                       SV_STORE_TEXT (info->imsi),
                                       SV_STORE_TEXT (info->card_type),
                                       SV_STORE_TEXT (info->batch),
                                       SV_STORE_INT64 (info->counter_a),
                                       SV_STORE_INT64 (info->sms_capacity),
                                       SV_STORE_INT64 (MAX (1, now / G_USEC_PER_SEC)),
                                       SV_STORE_INT64 (now),
                                       SV_STORE_INT64 (now)),
                      NULL, error))
    return FALSE;
  return files_upsert (conn, info, error);
}

typedef struct
{
  SvStore           *store;
  gint64             account_id;
  const SvStoreCardInfo  *info;
  /* with a password: */
  const char        *phone;
  const char        *hash;          /* set: create the account */
  /* out: */
  SvStoreRegisterOutcome  outcome;
  SvStoreCard            *card;
  gint64             new_account_id;
} RegisterContext;

static gboolean
card_register_in_txn (SvDbConn        *conn,
                      RegisterContext *ctx,
                      gint64           account_id,
                      GError         **error)
{
  g_autoptr(SvStoreCard) existing = NULL;
  g_autoptr(GError) local_error = NULL;
  const char *iccid = ctx->info->iccid;
  gint64 n_cards;

  existing = sv_store_card_load (conn, 0, iccid, &local_error);
  if (existing == NULL && !g_error_matches (local_error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  if (existing != NULL && existing->account_id != account_id)
    {
      g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_CONFLICT,
                   "This card is registered to another account");
      return FALSE;
    }

  if (existing != NULL)
    {
      ctx->outcome = SV_STORE_REGISTER_UPDATED;
      if (!card_update (conn, ctx->store, existing, ctx->info, error))
        return FALSE;
    }
  else
    {
      g_autoptr(SvDbStmt) stmt = NULL;
      gboolean found;

      stmt = sv_store_prepare (conn, "SELECT COUNT(*) FROM cards WHERE account_id = ?",
                               SV_STORE_PARAMS (SV_STORE_INT64 (account_id)),
                               error);
      if (stmt == NULL)
        return FALSE;
      if (!sv_store_step_one (stmt, &found, error))
        return FALSE;
      n_cards = found ? sv_db_stmt_column_int64 (stmt, 0) : 0;
      g_clear_pointer (&stmt, sv_db_stmt_finish);
      ctx->outcome = n_cards > 0 ? SV_STORE_REGISTER_CARD_CHANGE : SV_STORE_REGISTER_REGISTERED;

      if (ctx->outcome == SV_STORE_REGISTER_CARD_CHANGE)
        {
          /* flow 1: the earlier backups stay, the new card is recorded,
           * counter B of the account goes up */
          if (!sv_store_exec (conn,
                              "UPDATE cards SET replaced_by = ? WHERE account_id = ? AND replaced_by IS NULL",
                              SV_STORE_PARAMS (SV_STORE_TEXT (iccid),
                                               SV_STORE_INT64 (account_id)),
                              NULL, error))
            return FALSE;

          if (!sv_store_exec (conn, "UPDATE accounts SET counter_b = counter_b + 1 WHERE id = ?",
                              SV_STORE_PARAMS (SV_STORE_INT64 (account_id)),
                              NULL, error))
            return FALSE;
        }
      if (!card_insert (conn, ctx->store, account_id, ctx->info, error))
        return FALSE;
    }

  ctx->card = sv_store_card_load (conn, account_id, iccid, error);
  return ctx->card != NULL;
}

static gboolean
card_register_txn (SvDbConn *conn,
                   gpointer  user_data,
                   GError  **error)
{
  RegisterContext *ctx = user_data;
  gint64 account_id = ctx->account_id;

  g_clear_pointer (&ctx->card, sv_store_card_free);
  ctx->new_account_id = 0;

  if (ctx->hash != NULL)
    {
      SvStoreAccountContext account = { ctx->store, ctx->phone, 0, ctx->hash, };

      if (!sv_store_account_insert (conn, &account, error))
        {
          sv_store_account_context_clear (&account);
          return FALSE;
        }
      account_id = ctx->new_account_id = account.account->id;
      sv_store_account_context_clear (&account);
    }

  return card_register_in_txn (conn, ctx, account_id, error);
}

SvStoreCard *
sv_store_card_register (SvStore                *store,
                        gint64                  account_id,
                        const SvStoreCardInfo  *info,
                        SvStoreRegisterOutcome *outcome,
                        GError                **error)
{
  RegisterContext ctx = { store, account_id, info, };

  if (!check_card_info (info, error))
    return NULL;
  if (!sv_store_run (store, SV_DB_WRITE, card_register_txn, &ctx, error))
    {
      g_clear_pointer (&ctx.card, sv_store_card_free);
      return NULL;
    }
  if (outcome != NULL)
    *outcome = ctx.outcome;
  return ctx.card;
}

SvStoreCard *
sv_store_card_register_with_password (SvStore                *store,
                                      const char             *phone,
                                      const char             *password,
                                      const char             *client_addr,
                                      const SvStoreCardInfo  *info,
                                      SvStoreRegisterOutcome *outcome,
                                      gint64                 *account_id,
                                      gint64                 *retry_after_sec,
                                      GError                **error)
{
  g_autofree char *normal = NULL;
  g_autofree char *phone_key = NULL;
  g_autofree char *addr_key = NULL;
  g_autofree char *stored_hash = NULL;
  g_autofree char *new_hash = NULL;
  g_autoptr(SvStoreAccount) account = NULL;
  g_autoptr(GError) local_error = NULL;
  RegisterContext ctx = { store, 0, info, };

  normal = sv_store_normalize_phone (phone, error);
  if (normal == NULL || !sv_store_check_password (password, error) || !check_card_info (info, error))
    return NULL;
  phone_key = g_strconcat ("phone:", normal, NULL);
  addr_key = client_addr != NULL ? g_strconcat ("addr:", client_addr, NULL) : NULL;
  if (!sv_store_rate_check (store, phone_key, addr_key, retry_after_sec, error))
    return NULL;

  account = sv_store_account_load (store, normal, 0, &stored_hash, &local_error);
  if (account == NULL)
    {
      if (!g_error_matches (local_error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
      /* a new account, created in the card's transaction: if the card
       * cannot be registered, there is no account either */
      new_hash = sv_store_hash_password (store, password, error);
      if (new_hash == NULL)
        return NULL;
      ctx.phone = normal;
      ctx.hash = new_hash;
    }
  else if (!sv_store_verify_password (stored_hash, password))
    {
      sv_store_login_failed (store, phone_key, addr_key, "The phone number or the password is wrong", error);
      return NULL;
    }
  else
    {
      sv_store_login_succeeded (store, phone_key);
      sv_store_rehash_if_needed (store, "accounts", account->id, stored_hash, password);
      ctx.account_id = account->id;
    }

  if (!sv_store_run (store, SV_DB_WRITE, card_register_txn, &ctx, error))
    {
      g_clear_pointer (&ctx.card, sv_store_card_free);
      return NULL;
    }
  if (outcome != NULL)
    *outcome = ctx.outcome;
  if (account_id != NULL)
    *account_id = ctx.card->account_id;
  return ctx.card;
}

typedef struct
{
  gint64      account_id;
  const char *iccid;
  SvStoreCard     *card;    /* out */
  GPtrArray  *list;    /* out */
  gint64      count;   /* out */
} CardContext;

static gboolean
card_get_txn (SvDbConn *conn,
              gpointer  user_data,
              GError  **error)
{
  CardContext *ctx = user_data;

  g_clear_pointer (&ctx->card, sv_store_card_free);
  ctx->card = sv_store_card_load (conn, ctx->account_id, ctx->iccid, error);
  return ctx->card != NULL;
}

SvStoreCard *
sv_store_card_get (SvStore    *store,
                   gint64      account_id,
                   const char *iccid,
                   GError    **error)
{
  CardContext ctx = { account_id, iccid, };

  g_return_val_if_fail (account_id != 0, NULL);
  if (!sv_store_check_given (iccid, "card", error))
    return NULL;
  return sv_store_run_result (store, SV_DB_READ, card_get_txn, &ctx,
                              (gpointer *) &ctx.card, (GDestroyNotify) sv_store_card_free, error);
}

static gboolean
card_list_txn (SvDbConn *conn,
               gpointer  user_data,
               GError  **error)
{
  CardContext *ctx = user_data;
  g_autoptr(SvDbStmt) stmt = NULL;
  g_autoptr(GPtrArray) iccids = g_ptr_array_new_with_free_func (g_free);

  g_clear_pointer (&ctx->list, g_ptr_array_unref);
  ctx->list = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_store_card_free);

  stmt = sv_store_prepare (conn,
                           "SELECT iccid FROM cards WHERE account_id = ? ORDER BY registered_at, iccid",
                           SV_STORE_PARAMS (SV_STORE_INT64 (ctx->account_id)),
                           error);
  if (stmt == NULL)
    return FALSE;
  if (!sv_store_collect_rows (stmt, text_from_row, NULL, iccids, error))
    return FALSE;
  g_clear_pointer (&stmt, sv_db_stmt_finish);

  for (guint i = 0; i < iccids->len; i++)
    {
      SvStoreCard *card = sv_store_card_load (conn, ctx->account_id, g_ptr_array_index (iccids, i), error);

      if (card == NULL)
        return FALSE;
      g_ptr_array_add (ctx->list, card);
    }
  return TRUE;
}

GPtrArray *
sv_store_card_list (SvStore *store,
                    gint64   account_id,
                    GError **error)
{
  CardContext ctx = { account_id, };

  return sv_store_run_result (store, SV_DB_READ, card_list_txn, &ctx,
                              (gpointer *) &ctx.list, (GDestroyNotify) g_ptr_array_unref, error);
}

static gboolean
count_card_rows (SvDbConn   *conn,
                 const char *iccid,
                 gint64     *total,
                 GError    **error)
{
  *total = 0;
  for (guint i = 0; i < sv_store_n_card_row_counts; i++)
    {
      gint64 n;

      if (!sv_store_query_int64 (conn, sv_store_card_row_counts[i], iccid, &n, error))
        return FALSE;
      *total += n;
    }
  return TRUE;
}

static gboolean
card_deregister_txn (SvDbConn *conn,
                     gpointer  user_data,
                     GError  **error)
{
  /* children first: no reliance on ON DELETE CASCADE, which partitioned
   * tables may not have */
  static const char * const deletes[] = {
    "DELETE FROM restore_items WHERE iccid = ?",
    "DELETE FROM restores WHERE iccid = ?",
    "DELETE FROM batches WHERE iccid = ?",
    "DELETE FROM messages WHERE iccid = ?",
    "DELETE FROM records WHERE iccid = ?",
    "DELETE FROM card_files WHERE iccid = ?",
    "UPDATE cards SET replaced_by = NULL WHERE replaced_by = ?",
    "UPDATE audit SET iccid = NULL WHERE iccid = ?",
    "DELETE FROM cards WHERE iccid = ?",
  };
  CardContext *ctx = user_data;
  g_autoptr(SvStoreCard) card = NULL;

  card = sv_store_card_load (conn, ctx->account_id, ctx->iccid, error);
  if (card == NULL)
    return FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (deletes); i++)
    if (!sv_store_exec (conn, deletes[i], SV_STORE_PARAMS (SV_STORE_TEXT (ctx->iccid)), NULL, error))
      return FALSE;

  if (!count_card_rows (conn, ctx->iccid, &ctx->count, error))
    return FALSE;
  if (ctx->count != 0)
    {
      g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INTERNAL,
                   "%" G_GINT64_FORMAT " rows of the card are left after deleting it; nothing was deleted",
                   ctx->count);
      return FALSE;
    }
  return TRUE;
}

gboolean
sv_store_card_deregister (SvStore    *store,
                          gint64      account_id,
                          const char *iccid,
                          GError    **error)
{
  CardContext ctx = { account_id, iccid, };

  g_return_val_if_fail (account_id != 0, FALSE);
  if (!sv_store_check_given (iccid, "card", error))
    return FALSE;
  return sv_store_run (store, SV_DB_WRITE, card_deregister_txn, &ctx, error);
}

static gboolean
card_count_txn (SvDbConn *conn,
                gpointer  user_data,
                GError  **error)
{
  CardContext *ctx = user_data;

  return count_card_rows (conn, ctx->iccid, &ctx->count, error);
}

gint64
sv_store_card_count_rows (SvStore    *store,
                          const char *iccid,
                          GError    **error)
{
  CardContext ctx = { 0, iccid, };

  if (!sv_store_run (store, SV_DB_READ, card_count_txn, &ctx, error))
    return -1;
  return ctx.count;
}
