/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The mirror's side of the backup-server sync: which server and account a
 * card is registered with, what the server last acknowledged per record,
 * the outbox of batches, conflicts. The HTTP side lives in sync/client/;
 * the order of steps (outbox, send, acknowledge) in sync/operations/.
 *
 * The rules that make "nothing lost, nothing twice" hold:
 *  - a record waits for upload exactly when its working bytes differ from
 *    the bytes the server acknowledged (sync_records.acked); nothing else
 *    marks it, so no flag can go stale;
 *  - a batch is written to the outbox before it is sent, and removed in
 *    the same transaction that records the server's answer; a client that
 *    dies in between resends the same batch id with the same body, which
 *    the server answers from its idempotency store without applying twice;
 *  - tokens are written only from an answer the server gave.
 */
#define G_LOG_DOMAIN "sv-mirror"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "sv-mirror-sync-private.h"

/* ------------------------------------------------------------------ */
/* Boxed types                                                          */

G_DEFINE_BOXED_TYPE (SvSyncRecord, sv_sync_record, sv_sync_record_ref, sv_sync_record_unref)
G_DEFINE_BOXED_TYPE (SvSyncConflict, sv_sync_conflict, sv_sync_conflict_ref, sv_sync_conflict_unref)

static void
sync_record_clear (SvSyncRecord *record)
{
  g_free (record->key);
  g_bytes_unref (record->data);
}

static void
sync_conflict_clear (SvSyncConflict *conflict)
{
  g_free (conflict->key);
  g_clear_pointer (&conflict->server_data, g_bytes_unref);
  g_clear_pointer (&conflict->local_data, g_bytes_unref);
}

/**
 * sv_sync_record_new:
 * @data: the record's bytes (a reference is taken)
 *
 * Returns: (transfer full): a new record
 */
SvSyncRecord *
sv_sync_record_new (const char *key,
                    guint       index,
                    GBytes     *data,
                    gint64      version)
{
  SvSyncRecord *record = g_atomic_rc_box_new0 (SvSyncRecord);

  g_return_val_if_fail (key != NULL && data != NULL, NULL);

  record->key = g_strdup (key);
  record->index = index;
  record->data = g_bytes_ref (data);
  record->version = version;
  return record;
}

SvSyncRecord *
sv_sync_record_ref (SvSyncRecord *record)
{
  return g_atomic_rc_box_acquire (record);
}

void
sv_sync_record_unref (SvSyncRecord *record)
{
  g_atomic_rc_box_release_full (record, (GDestroyNotify) sync_record_clear);
}

/**
 * sv_sync_conflict_new:
 * @local_data: (nullable): the local bytes
 *
 * Returns: (transfer full): a new conflict
 */
SvSyncConflict *
sv_sync_conflict_new (const char *key,
                      guint       index,
                      GBytes     *server_data,
                      gint64      server_version,
                      GBytes     *local_data)
{
  SvSyncConflict *conflict = g_atomic_rc_box_new0 (SvSyncConflict);

  conflict->key = g_strdup (key);
  conflict->index = index;
  conflict->server_data = server_data ? g_bytes_ref (server_data) : NULL;
  conflict->server_version = server_version;
  conflict->local_data = local_data ? g_bytes_ref (local_data) : NULL;
  return conflict;
}

SvSyncConflict *
sv_sync_conflict_ref (SvSyncConflict *conflict)
{
  return g_atomic_rc_box_acquire (conflict);
}

void
sv_sync_conflict_unref (SvSyncConflict *conflict)
{
  g_atomic_rc_box_release_full (conflict, (GDestroyNotify) sync_conflict_clear);
}

void
sv_sync_state_free (SvSyncState *state)
{
  if (state == NULL)
    return;
  g_free (state->iccid);
  g_free (state->server);
  g_free (state->phone);
  g_free (state->token);
  g_free (state->backup_token);
  g_free (state);
}

void
sv_sync_batch_free (SvSyncBatch *batch)
{
  if (batch == NULL)
    return;
  g_free (batch->batch_id);
  g_free (batch->kind);
  g_free (batch->body);
  g_clear_pointer (&batch->records, g_ptr_array_unref);
  g_free (batch);
}

/**
 * sv_sync_resolve_from_string:
 * @text: "local", "server" or "none"
 *
 * Returns: %TRUE if @text names a choice
 */
gboolean
sv_sync_resolve_from_string (const char    *text,
                             SvSyncResolve *resolve)
{
  if (g_strcmp0 (text, "local") == 0)
    *resolve = SV_SYNC_RESOLVE_LOCAL;
  else if (g_strcmp0 (text, "server") == 0)
    *resolve = SV_SYNC_RESOLVE_SERVER;
  else if (g_strcmp0 (text, "none") == 0)
    *resolve = SV_SYNC_RESOLVE_NONE;
  else
    return FALSE;
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* SQL helpers                                                          */

static gboolean
lookup_card_id (sqlite3     *db,
                const char  *iccid,
                gint64      *card_id,
                GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  int rc;

  if (!sv_mirror_sql_prepare (db, "SELECT id FROM cards WHERE iccid = ?", &stmt, error))
    return FALSE;
  sqlite3_bind_text (stmt, 1, iccid, -1, SQLITE_TRANSIENT);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      *card_id = sqlite3_column_int64 (stmt, 0);
      return TRUE;
    }
  if (rc == SQLITE_DONE)
    {
      g_set_error (error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_NOT_FOUND,
                   _("The card %s is not in the mirror"), iccid);
      return FALSE;
    }
  return sv_mirror_sql_error (db, rc, N_("looking up a card"), error);
}

static gboolean
is_registered (sqlite3  *db,
               gint64    card_id,
               gboolean *registered,
               GError  **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  int rc;

  if (!sv_mirror_sql_prepare (db, "SELECT 1 FROM sync_cards WHERE card_id = ?", &stmt, error))
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, card_id);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return sv_mirror_sql_error (db, rc, N_("reading the sync state"), error);
  *registered = rc == SQLITE_ROW;
  return TRUE;
}

gboolean
sv_mirror_sync_require_registered (sqlite3     *db,
                    const char  *iccid,
                    gint64      *card_id,
                    GError     **error)
{
  gboolean registered = FALSE;

  if (!lookup_card_id (db, iccid, card_id, error) ||
      !is_registered (db, *card_id, &registered, error))
    return FALSE;
  if (!registered)
    {
      g_set_error (error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_NOT_FOUND,
                   _("The card %s is not registered with a backup server; run “register” first"),
                   iccid);
      return FALSE;
    }
  return TRUE;
}

/* The acknowledged bytes and version of every record of a card, by
 * "key\nindex". */
GHashTable *
sv_mirror_sync_load_acked (sqlite3  *db,
            gint64    card_id,
            GError  **error)
{
  g_autoptr(GHashTable) acked = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                       (GDestroyNotify) sv_sync_record_unref);
  g_autoptr(sqlite3_stmt) stmt = NULL;
  int rc;

  if (!sv_mirror_sql_prepare (db, "SELECT key, idx, acked, server_version FROM sync_records "
                                  "WHERE card_id = ?", &stmt, error))
    return NULL;
  sqlite3_bind_int64 (stmt, 1, card_id);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *key = (const char *) sqlite3_column_text (stmt, 0);
      guint idx = (guint) sqlite3_column_int (stmt, 1);
      g_autoptr(GBytes) data = sv_mirror_column_bytes (stmt, 2);

      g_hash_table_insert (acked, g_strdup_printf ("%s\n%u", key, idx),
                           sv_sync_record_new (key, idx, data, sqlite3_column_int64 (stmt, 3)));
    }
  if (rc != SQLITE_DONE)
    {
      sv_mirror_sql_error (db, rc, N_("reading the sync state"), error);
      return NULL;
    }
  return g_steal_pointer (&acked);
}

static GHashTable *
load_conflict_keys (sqlite3  *db,
                    gint64    card_id,
                    GError  **error)
{
  g_autoptr(GHashTable) keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(sqlite3_stmt) stmt = NULL;
  int rc;

  if (!sv_mirror_sql_prepare (db, "SELECT key, idx FROM sync_conflicts WHERE card_id = ?",
                              &stmt, error))
    return NULL;
  sqlite3_bind_int64 (stmt, 1, card_id);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_hash_table_add (keys, g_strdup_printf ("%s\n%d", sqlite3_column_text (stmt, 0),
                                             sqlite3_column_int (stmt, 1)));
  if (rc != SQLITE_DONE)
    {
      sv_mirror_sql_error (db, rc, N_("reading the sync conflicts"), error);
      return NULL;
    }
  return g_steal_pointer (&keys);
}

gboolean
sv_mirror_sync_put_acked (sqlite3       *db,
           gint64         card_id,
           SvSyncRecord  *record,
           GError       **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;

  if (!sv_mirror_sql_prepare (db, "INSERT OR REPLACE INTO sync_records "
                                  "(card_id, key, idx, acked, server_version) VALUES (?, ?, ?, ?, ?)",
                              &stmt, error))
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, card_id);
  sqlite3_bind_text (stmt, 2, record->key, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int (stmt, 3, (int) record->index);
  sv_mirror_bind_bytes (stmt, 4, record->data);
  sqlite3_bind_int64 (stmt, 5, record->version);
  return sv_mirror_step_done (db, stmt, N_("recording what the server acknowledged"), error);
}

gboolean
sv_mirror_sync_put_conflict (sqlite3         *db,
              gint64           card_id,
              SvSyncConflict  *conflict,
              GError         **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(GBytes) empty = g_bytes_new (NULL, 0);

  if (!sv_mirror_sql_prepare (db, "INSERT OR REPLACE INTO sync_conflicts (card_id, key, idx, "
                                  "server_data, server_version, local_data, detected_at) "
                                  "VALUES (?, ?, ?, ?, ?, ?, ?)", &stmt, error))
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, card_id);
  sqlite3_bind_text (stmt, 2, conflict->key, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int (stmt, 3, (int) conflict->index);
  sv_mirror_bind_bytes (stmt, 4, conflict->server_data ? conflict->server_data : empty);
  sqlite3_bind_int64 (stmt, 5, conflict->server_version);
  sv_mirror_bind_bytes (stmt, 6, conflict->local_data ? conflict->local_data : empty);
  sqlite3_bind_int64 (stmt, 7, g_get_real_time () / G_USEC_PER_SEC);
  return sv_mirror_step_done (db, stmt, N_("recording a sync conflict"), error);
}

gboolean
sv_mirror_sync_delete_conflict (sqlite3     *db,
                 gint64       card_id,
                 const char  *key,
                 guint        index,
                 GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;

  if (!sv_mirror_sql_prepare (db, "DELETE FROM sync_conflicts WHERE card_id = ? AND key = ? "
                                  "AND idx = ?", &stmt, error))
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, card_id);
  sqlite3_bind_text (stmt, 2, key, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int (stmt, 3, (int) index);
  return sv_mirror_step_done (db, stmt, N_("removing a sync conflict"), error);
}

static gboolean
in_scope (const char  *key,
          SvSyncScope  scope)
{
  gboolean is_sms = g_strcmp0 (key, "sms") == 0;

  return scope == SV_SYNC_SCOPE_MESSAGES ? is_sms : !is_sms;
}

/* The server never saw a record that is empty now and was never
 * acknowledged: its space starts empty. */
gboolean
sv_mirror_sync_waits_for_upload (const char   *key,
                  GBytes       *working,
                  SvSyncRecord *acked)
{
  if (acked == NULL)
    return !sv_mirror_record_is_empty (key, working);
  return !g_bytes_equal (working, acked->data);
}

/* ------------------------------------------------------------------ */
/* Registration                                                         */

/**
 * sv_mirror_sync_register:
 * @token: (nullable): the card's token the server answered
 * @empty_server_space: %TRUE when the server created a new, empty space for
 *   the card (a new registration or a card change): everything the mirror
 *   remembers as acknowledged is forgotten, so the next backup sends all
 *
 * Records the server's registration answer. Call it only with an answer
 * the server gave.
 */
gboolean
sv_mirror_sync_register (SvMirror    *self,
                         const char  *iccid,
                         const char  *server,
                         const char  *phone,
                         gint64       counter_a,
                         gint64       counter_b,
                         const char  *token,
                         gboolean     empty_server_space,
                         GError     **error)
{
  sqlite3 *db = sv_mirror_get_db (self);
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gint64 card_id;
  gboolean registered = FALSE;

  g_return_val_if_fail (SV_IS_MIRROR (self), FALSE);
  g_return_val_if_fail (server != NULL && phone != NULL, FALSE);

  if (!sv_mirror_sql_exec (db, "BEGIN IMMEDIATE", error))
    return FALSE;
  if (!lookup_card_id (db, iccid, &card_id, error) ||
      !is_registered (db, card_id, &registered, error))
    return sv_mirror_rollback (db);

  if (empty_server_space)
    {
      const char * const wipe[] = {
        "DELETE FROM sync_records WHERE card_id = ?",
        "DELETE FROM sync_outbox WHERE card_id = ?",
        "DELETE FROM sync_conflicts WHERE card_id = ?",
      };

      for (guint i = 0; i < G_N_ELEMENTS (wipe); i++)
        {
          g_autoptr(sqlite3_stmt) del = NULL;

          if (!sv_mirror_sql_prepare (db, wipe[i], &del, error))
            return sv_mirror_rollback (db);
          sqlite3_bind_int64 (del, 1, card_id);
          if (!sv_mirror_step_done (db, del, N_("resetting the sync state"), error))
            return sv_mirror_rollback (db);
        }
    }

  if (registered)
    {
      if (!sv_mirror_sql_prepare (db, "UPDATE sync_cards SET server = ?2, phone = ?3, "
                                      "counter_a = ?4, counter_b = ?5, "
                                      "token = CASE WHEN ?7 THEN ?6 ELSE token END, "
                                      "registered_at = ?8 WHERE card_id = ?1", &stmt, error))
        return sv_mirror_rollback (db);
    }
  else if (!sv_mirror_sql_prepare (db, "INSERT INTO sync_cards (card_id, server, phone, counter_a, "
                                       "counter_b, token, registered_at) "
                                       "VALUES (?1, ?2, ?3, ?4, ?5, CASE WHEN ?7 THEN ?6 END, ?8)",
                                   &stmt, error))
    return sv_mirror_rollback (db);

  sqlite3_bind_int64 (stmt, 1, card_id);
  sqlite3_bind_text (stmt, 2, server, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, phone, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 4, counter_a);
  sqlite3_bind_int64 (stmt, 5, counter_b);
  if (token != NULL)
    sqlite3_bind_text (stmt, 6, token, -1, SQLITE_TRANSIENT);
  /* A token is taken from a registration only for a new, empty space: for
   * an existing one the mirror has not seen the server's records yet. */
  sqlite3_bind_int (stmt, 7, empty_server_space && token != NULL);
  sqlite3_bind_int64 (stmt, 8, g_get_real_time () / G_USEC_PER_SEC);
  if (!sv_mirror_step_done (db, stmt, N_("recording the registration"), error))
    return sv_mirror_rollback (db);
  if (!sv_mirror_commit (db, error))
    return FALSE;

  return sv_mirror_append_history (self, iccid, SV_HISTORY_BACKUP,
                                   empty_server_space ? "registered with a backup server"
                                                      : "registration updated", error);
}

static guint
count_rows (sqlite3    *db,
            const char *sql,
            gint64      card_id)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;

  if (!sv_mirror_sql_prepare (db, sql, &stmt, NULL))
    return 0;
  sqlite3_bind_int64 (stmt, 1, card_id);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return 0;
  return (guint) sqlite3_column_int (stmt, 0);
}

/**
 * sv_mirror_sync_get_state:
 *
 * Returns: (transfer full): the card's sync state, or %NULL with
 *   %SV_MIRROR_ERROR_NOT_FOUND if the card is not in the mirror or not
 *   registered
 */
SvSyncState *
sv_mirror_sync_get_state (SvMirror    *self,
                          const char  *iccid,
                          GError     **error)
{
  sqlite3 *db = sv_mirror_get_db (self);
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(SvSyncState) state = NULL;
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GPtrArray) messages = NULL;
  gint64 card_id;
  int rc;

  g_return_val_if_fail (SV_IS_MIRROR (self), NULL);

  if (!sv_mirror_sync_require_registered (db, iccid, &card_id, error))
    return NULL;
  if (!sv_mirror_sql_prepare (db, "SELECT server, phone, token, backup_token, counter_a, "
                                  "counter_b, registered_at, last_backup_at, last_restore_at "
                                  "FROM sync_cards WHERE card_id = ?", &stmt, error))
    return NULL;
  sqlite3_bind_int64 (stmt, 1, card_id);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    {
      sv_mirror_sql_error (db, rc, N_("reading the sync state"), error);
      return NULL;
    }
  state = g_new0 (SvSyncState, 1);
  state->iccid = g_strdup (iccid);
  state->server = sv_mirror_column_dup_text (stmt, 0);
  state->phone = sv_mirror_column_dup_text (stmt, 1);
  state->token = sv_mirror_column_dup_text (stmt, 2);
  state->backup_token = sv_mirror_column_dup_text (stmt, 3);
  state->counter_a = sqlite3_column_int64 (stmt, 4);
  state->counter_b = sqlite3_column_int64 (stmt, 5);
  state->registered_at = sqlite3_column_int64 (stmt, 6);
  state->last_backup_at = sqlite3_column_int64 (stmt, 7);
  state->last_restore_at = sqlite3_column_int64 (stmt, 8);

  records = sv_mirror_sync_get_upload_set (self, iccid, SV_SYNC_SCOPE_RECORDS, FALSE, error);
  if (records == NULL)
    return NULL;
  messages = sv_mirror_sync_get_upload_set (self, iccid, SV_SYNC_SCOPE_MESSAGES, FALSE, error);
  if (messages == NULL)
    return NULL;
  state->n_pending_records = records->len;
  state->n_pending_messages = messages->len;
  state->n_conflicts = count_rows (db, "SELECT count(*) FROM sync_conflicts WHERE card_id = ?",
                                   card_id);
  state->n_outbox = count_rows (db, "SELECT count(*) FROM sync_outbox WHERE card_id = ?",
                                card_id);
  return g_steal_pointer (&state);
}

/**
 * sv_mirror_sync_forget:
 *
 * Forgets the card's registration (after the server deregistered it): the
 * server, tokens, acknowledged versions, outbox and conflicts. The card's
 * records stay in the mirror.
 */
gboolean
sv_mirror_sync_forget (SvMirror    *self,
                       const char  *iccid,
                       GError     **error)
{
  sqlite3 *db = sv_mirror_get_db (self);
  const char * const wipe[] = {
    "DELETE FROM sync_records WHERE card_id = ?",
    "DELETE FROM sync_outbox WHERE card_id = ?",
    "DELETE FROM sync_conflicts WHERE card_id = ?",
    "DELETE FROM sync_cards WHERE card_id = ?",
  };
  gint64 card_id;

  g_return_val_if_fail (SV_IS_MIRROR (self), FALSE);

  if (!sv_mirror_sql_exec (db, "BEGIN IMMEDIATE", error))
    return FALSE;
  if (!sv_mirror_sync_require_registered (db, iccid, &card_id, error))
    return sv_mirror_rollback (db);
  for (guint i = 0; i < G_N_ELEMENTS (wipe); i++)
    {
      g_autoptr(sqlite3_stmt) del = NULL;

      if (!sv_mirror_sql_prepare (db, wipe[i], &del, error))
        return sv_mirror_rollback (db);
      sqlite3_bind_int64 (del, 1, card_id);
      if (!sv_mirror_step_done (db, del, N_("forgetting the registration"), error))
        return sv_mirror_rollback (db);
    }
  if (!sv_mirror_commit (db, error))
    return FALSE;
  return sv_mirror_append_history (self, iccid, SV_HISTORY_BACKUP,
                                   "deregistered from the backup server", error);
}

/* ------------------------------------------------------------------ */
/* Backup                                                               */

/**
 * sv_mirror_sync_get_upload_set:
 * @scope: the phonebook and other files, or EF_SMS
 * @full: every non-empty record (a full backup) instead of the records that
 *   wait for upload
 *
 * The records to send: for an incremental backup, those whose working
 * bytes differ from what the server acknowledged, except records with an
 * unresolved conflict. Each carries the server version last acknowledged
 * (the base_version of the batch).
 *
 * Returns: (transfer container) (element-type SvSyncRecord): the records,
 *   by file key and index
 */
GPtrArray *
sv_mirror_sync_get_upload_set (SvMirror    *self,
                               const char  *iccid,
                               SvSyncScope  scope,
                               gboolean     full,
                               GError     **error)
{
  sqlite3 *db = sv_mirror_get_db (self);
  g_autoptr(GPtrArray) result = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_sync_record_unref);
  g_autoptr(SvCardImage) working = NULL;
  g_autoptr(GHashTable) acked = NULL;
  g_autoptr(GHashTable) conflicts = NULL;
  g_autoptr(GPtrArray) keys = NULL;
  gint64 card_id;

  g_return_val_if_fail (SV_IS_MIRROR (self), NULL);

  if (!sv_mirror_sync_require_registered (db, iccid, &card_id, error) ||
      (acked = sv_mirror_sync_load_acked (db, card_id, error)) == NULL ||
      (conflicts = load_conflict_keys (db, card_id, error)) == NULL ||
      (working = sv_mirror_load_image (self, iccid, TRUE, error)) == NULL)
    return NULL;

  keys = sv_card_image_list_keys (working);
  for (guint k = 0; k < keys->len; k++)
    {
      const char *key = g_ptr_array_index (keys, k);
      SvCardFile *file = sv_card_image_lookup (working, key);

      if (!in_scope (key, scope))
        continue;
      for (guint i = 1; i <= file->records->len; i++)
        {
          GBytes *bytes = g_ptr_array_index (file->records, i - 1);
          g_autofree char *id = g_strdup_printf ("%s\n%u", key, i);
          SvSyncRecord *ack = g_hash_table_lookup (acked, id);
          gboolean send;

          if (bytes == NULL)
            continue;
          if (full)
            send = !sv_mirror_record_is_empty (key, bytes);
          else
            send = sv_mirror_sync_waits_for_upload (key, bytes, ack) && !g_hash_table_contains (conflicts, id);
          if (send)
            g_ptr_array_add (result, sv_sync_record_new (key, i, bytes, ack ? ack->version : 0));
        }
    }
  return g_steal_pointer (&result);
}

/**
 * sv_mirror_sync_outbox_put:
 * @kind: "records" or "messages"
 * @body: the request body exactly as it will be sent
 * @records: (element-type SvSyncRecord): what it carries
 *
 * Writes a batch to the outbox, before it is sent.
 */
gboolean
sv_mirror_sync_outbox_put (SvMirror    *self,
                           const char  *iccid,
                           const char  *batch_id,
                           const char  *kind,
                           const char  *body,
                           GPtrArray   *records,
                           GError     **error)
{
  sqlite3 *db = sv_mirror_get_db (self);
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gint64 card_id;

  g_return_val_if_fail (SV_IS_MIRROR (self), FALSE);

  if (!sv_mirror_sql_exec (db, "BEGIN IMMEDIATE", error))
    return FALSE;
  if (!sv_mirror_sync_require_registered (db, iccid, &card_id, error))
    return sv_mirror_rollback (db);
  if (!sv_mirror_sql_prepare (db, "INSERT INTO sync_outbox (batch_id, card_id, kind, body, "
                                  "created_at) VALUES (?, ?, ?, ?, ?)", &stmt, error))
    return sv_mirror_rollback (db);
  sqlite3_bind_text (stmt, 1, batch_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, card_id);
  sqlite3_bind_text (stmt, 3, kind, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 4, body, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 5, g_get_real_time ());
  if (!sv_mirror_step_done (db, stmt, N_("writing the outbox"), error))
    return sv_mirror_rollback (db);

  for (guint i = 0; records != NULL && i < records->len; i++)
    {
      SvSyncRecord *record = g_ptr_array_index (records, i);
      g_autoptr(sqlite3_stmt) rec = NULL;

      if (!sv_mirror_sql_prepare (db, "INSERT INTO sync_outbox_records (batch_id, key, idx, "
                                      "data, base_version) VALUES (?, ?, ?, ?, ?)", &rec, error))
        return sv_mirror_rollback (db);
      sqlite3_bind_text (rec, 1, batch_id, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (rec, 2, record->key, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int (rec, 3, (int) record->index);
      sv_mirror_bind_bytes (rec, 4, record->data);
      sqlite3_bind_int64 (rec, 5, record->version);
      if (!sv_mirror_step_done (db, rec, N_("writing the outbox"), error))
        return sv_mirror_rollback (db);
    }
  return sv_mirror_commit (db, error);
}

/**
 * sv_mirror_sync_outbox_list:
 *
 * Returns: (transfer container) (element-type SvSyncBatch): the card's
 *   batches that were written but not acknowledged, oldest first
 */
GPtrArray *
sv_mirror_sync_outbox_list (SvMirror    *self,
                            const char  *iccid,
                            GError     **error)
{
  sqlite3 *db = sv_mirror_get_db (self);
  g_autoptr(GPtrArray) batches = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_sync_batch_free);
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gint64 card_id;
  int rc;

  g_return_val_if_fail (SV_IS_MIRROR (self), NULL);

  if (!sv_mirror_sync_require_registered (db, iccid, &card_id, error))
    return NULL;
  if (!sv_mirror_sql_prepare (db, "SELECT batch_id, kind, body, created_at FROM sync_outbox "
                                  "WHERE card_id = ? ORDER BY created_at, batch_id", &stmt, error))
    return NULL;
  sqlite3_bind_int64 (stmt, 1, card_id);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      SvSyncBatch *batch = g_new0 (SvSyncBatch, 1);
      g_autoptr(sqlite3_stmt) rec = NULL;
      int rrc;

      batch->batch_id = sv_mirror_column_dup_text (stmt, 0);
      batch->kind = sv_mirror_column_dup_text (stmt, 1);
      batch->body = sv_mirror_column_dup_text (stmt, 2);
      batch->created_at = sqlite3_column_int64 (stmt, 3);
      batch->records = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_sync_record_unref);
      g_ptr_array_add (batches, batch);

      if (!sv_mirror_sql_prepare (db, "SELECT key, idx, data, base_version FROM sync_outbox_records "
                                      "WHERE batch_id = ? ORDER BY key, idx", &rec, error))
        return NULL;
      sqlite3_bind_text (rec, 1, batch->batch_id, -1, SQLITE_TRANSIENT);
      while ((rrc = sqlite3_step (rec)) == SQLITE_ROW)
        {
          g_autoptr(GBytes) data = sv_mirror_column_bytes (rec, 2);

          g_ptr_array_add (batch->records,
                           sv_sync_record_new ((const char *) sqlite3_column_text (rec, 0),
                                               (guint) sqlite3_column_int (rec, 1), data,
                                               sqlite3_column_int64 (rec, 3)));
        }
      if (rrc != SQLITE_DONE)
        {
          sv_mirror_sql_error (db, rrc, N_("reading the outbox"), error);
          return NULL;
        }
    }
  if (rc != SQLITE_DONE)
    {
      sv_mirror_sql_error (db, rc, N_("reading the outbox"), error);
      return NULL;
    }
  return g_steal_pointer (&batches);
}

/* A token as the server writes it, "EPOCH-MODSEQ" (PROTOCOL.md). */
static gboolean
parse_token (const char *token,
             gint64     *epoch,
             gint64     *modseq)
{
  g_auto(GStrv) parts = token ? g_strsplit (token, "-", 3) : NULL;

  return parts != NULL && g_strv_length (parts) == 2 &&
         g_ascii_string_to_signed (parts[0], 10, 0, G_MAXINT64, epoch, NULL) &&
         g_ascii_string_to_signed (parts[1], 10, 0, G_MAXINT64, modseq, NULL);
}

/*
 * After an acknowledged records batch, the restore cursor (the "changes
 * since" token) moves to the batch's token when the mirror then holds
 * everything the server held at that token, so that the next incremental
 * restore fetches only what changed after the backup (issue 16):
 *  - a full batch with no conflict: the server's files are what was sent;
 *  - an incremental batch with no conflict whose token is the cursor's
 *    modseq + 1 (it changed records) or the cursor itself (it changed
 *    nothing), in the cursor's epoch: PROTOCOL.md ("Backup") guarantees
 *    that a batch takes the card's modseq + 1, so nothing else (a portal
 *    edit) changed between the cursor and the batch. Otherwise the cursor
 *    stays, and the next restore brings that edit (and this batch's own
 *    records, the same bytes as the mirror's).
 * Any conflict of the card still open keeps the cursor too: the server
 * holds bytes the mirror does not.
 */
static gboolean
advance_restore_cursor (sqlite3     *db,
                        gint64       card_id,
                        const char  *backup_token,
                        gboolean     full_records,
                        GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autofree char *cursor = NULL;
  gint64 epoch, modseq, cursor_epoch, cursor_modseq;
  gboolean open_conflicts;
  gboolean advance;

  if (!parse_token (backup_token, &epoch, &modseq))
    return TRUE;
  if (!sv_mirror_sql_prepare (db, "SELECT token, EXISTS (SELECT 1 FROM sync_conflicts WHERE card_id = ?1) "
                                  "FROM sync_cards WHERE card_id = ?1", &stmt, error))
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, card_id);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return TRUE;
  cursor = sv_mirror_column_dup_text (stmt, 0);
  open_conflicts = sqlite3_column_int (stmt, 1) != 0;
  g_clear_pointer (&stmt, sqlite3_finalize);

  if (open_conflicts)
    advance = FALSE;
  else if (full_records)
    advance = TRUE;
  else
    advance = parse_token (cursor, &cursor_epoch, &cursor_modseq) && cursor_epoch == epoch &&
              (modseq == cursor_modseq + 1 || modseq == cursor_modseq);
  if (!advance)
    return TRUE;

  if (!sv_mirror_sql_prepare (db, "UPDATE sync_cards SET token = ? WHERE card_id = ?", &stmt, error))
    return FALSE;
  sqlite3_bind_text (stmt, 1, backup_token, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, card_id);
  return sv_mirror_step_done (db, stmt, N_("recording the sync token"), error);
}

/**
 * sv_mirror_sync_acknowledge:
 * @batch_id: the outbox batch the answer is for
 * @applied: (element-type SvSyncRecord): the records the server stored,
 *   with the bytes sent and the version it answered
 * @conflicts: (element-type SvSyncConflict) (nullable): the records it
 *   refused as conflicts
 * @full_records: the batch was a full backup: the server cleared every
 *   file but EF_SMS first, so what it held before is forgotten
 * @backup_token: (nullable): the token the answer carried
 *
 * Records the server's answer to a batch in one transaction: the applied
 * records become the base of the next backup, the conflicts wait for a
 * choice, the batch leaves the outbox. Records the batch carried that are
 * in neither list stay waiting for upload (flow 5: resend what is missing).
 * A records batch (@backup_token given) also moves the restore cursor to
 * @backup_token when nothing else changed on the server since the cursor
 * (see advance_restore_cursor()).
 */
gboolean
sv_mirror_sync_acknowledge (SvMirror    *self,
                            const char  *iccid,
                            const char  *batch_id,
                            GPtrArray   *applied,
                            GPtrArray   *conflicts,
                            gboolean     full_records,
                            const char  *backup_token,
                            GError     **error)
{
  sqlite3 *db = sv_mirror_get_db (self);
  g_autoptr(sqlite3_stmt) del = NULL;
  g_autoptr(sqlite3_stmt) upd = NULL;
  gint64 card_id;

  g_return_val_if_fail (SV_IS_MIRROR (self), FALSE);

  if (!sv_mirror_sql_exec (db, "BEGIN IMMEDIATE", error))
    return FALSE;
  if (!sv_mirror_sync_require_registered (db, iccid, &card_id, error))
    return sv_mirror_rollback (db);

  if (full_records)
    {
      g_autoptr(sqlite3_stmt) clear = NULL;

      if (!sv_mirror_sql_prepare (db, "DELETE FROM sync_records WHERE card_id = ? AND key != 'sms'",
                                  &clear, error))
        return sv_mirror_rollback (db);
      sqlite3_bind_int64 (clear, 1, card_id);
      if (!sv_mirror_step_done (db, clear, N_("recording the backup"), error))
        return sv_mirror_rollback (db);
    }

  for (guint i = 0; applied != NULL && i < applied->len; i++)
    {
      SvSyncRecord *record = g_ptr_array_index (applied, i);

      if (!sv_mirror_sync_put_acked (db, card_id, record, error) ||
          !sv_mirror_sync_delete_conflict (db, card_id, record->key, record->index, error))
        return sv_mirror_rollback (db);
    }
  for (guint i = 0; conflicts != NULL && i < conflicts->len; i++)
    if (!sv_mirror_sync_put_conflict (db, card_id, g_ptr_array_index (conflicts, i), error))
      return sv_mirror_rollback (db);

  if (!sv_mirror_sql_prepare (db, "DELETE FROM sync_outbox WHERE batch_id = ? AND card_id = ?",
                              &del, error))
    return sv_mirror_rollback (db);
  sqlite3_bind_text (del, 1, batch_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (del, 2, card_id);
  if (!sv_mirror_step_done (db, del, N_("removing an acknowledged batch"), error))
    return sv_mirror_rollback (db);

  if (!sv_mirror_sql_prepare (db, "UPDATE sync_cards SET last_backup_at = ?2, "
                                  "backup_token = coalesce (?3, backup_token) WHERE card_id = ?1",
                              &upd, error))
    return sv_mirror_rollback (db);
  sqlite3_bind_int64 (upd, 1, card_id);
  sqlite3_bind_int64 (upd, 2, g_get_real_time () / G_USEC_PER_SEC);
  if (backup_token != NULL)
    sqlite3_bind_text (upd, 3, backup_token, -1, SQLITE_TRANSIENT);
  if (!sv_mirror_step_done (db, upd, N_("recording the backup"), error))
    return sv_mirror_rollback (db);
  if (backup_token != NULL && (conflicts == NULL || conflicts->len == 0) &&
      !advance_restore_cursor (db, card_id, backup_token, full_records, error))
    return sv_mirror_rollback (db);

  return sv_mirror_commit (db, error);
}
