/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The server's schema, one description for every engine: portable SQL in
 * which @BLOB@, @ID@ and @BIGINT@ are replaced by the driver's type names
 * (sv_db_get_type_name ()). The table sv_schema holds the number of
 * migrations applied; opening applies the missing ones in one transaction.
 * Never edit a published migration: add a new one.
 *
 * Every per-card table starts its primary key with the ICCID, so the data
 * can be hash-partitioned by card (PostgreSQL PARTITION BY HASH (iccid), or
 * Citus distributed on iccid) without changing a query: every per-card
 * statement of sv-store.c has "iccid = ?" in its WHERE clause.
 * Times are microseconds since the Unix epoch.
 */
#define G_LOG_DOMAIN "sv-store"

#include "config.h"

#include "sv-store-private.h"

static const char * const migrations[] = {
  /* 1: accounts, staff, sessions, rate limits, restore codes, audit; cards,
   * their layout, records, the SMS ring, batch answers, restores. */
  "CREATE TABLE accounts ("
  "  id @ID@,"
  "  phone TEXT NOT NULL UNIQUE,"
  "  password_hash TEXT NOT NULL,"
  "  counter_b @BIGINT@ NOT NULL DEFAULT 0,"
  "  created_at @BIGINT@ NOT NULL);"

  "CREATE TABLE staff ("
  "  id @ID@,"
  "  name TEXT NOT NULL UNIQUE,"
  "  password_hash TEXT NOT NULL,"
  "  created_at @BIGINT@ NOT NULL);"

  /* token_hash: BLAKE2b-256 of the token; the token itself is never stored */
  "CREATE TABLE sessions ("
  "  token_hash @BLOB@ PRIMARY KEY,"
  "  kind INTEGER NOT NULL,"
  "  account_id @BIGINT@ REFERENCES accounts (id) ON DELETE CASCADE,"
  "  staff_id @BIGINT@ REFERENCES staff (id) ON DELETE CASCADE,"
  "  csrf TEXT NOT NULL,"
  "  created_at @BIGINT@ NOT NULL,"
  "  last_seen_at @BIGINT@ NOT NULL,"
  "  expires_at @BIGINT@ NOT NULL);"
  "CREATE INDEX sessions_expires ON sessions (expires_at);"
  "CREATE INDEX sessions_account ON sessions (account_id);"
  "CREATE INDEX sessions_staff ON sessions (staff_id);"

  "CREATE TABLE rate_limits ("
  "  key TEXT PRIMARY KEY,"
  "  window_start @BIGINT@ NOT NULL,"
  "  failures INTEGER NOT NULL);"

  "CREATE TABLE restore_codes ("
  "  code_hash @BLOB@ PRIMARY KEY,"
  "  account_id @BIGINT@ NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,"
  "  created_at @BIGINT@ NOT NULL,"
  "  expires_at @BIGINT@ NOT NULL);"
  "CREATE INDEX restore_codes_expires ON restore_codes (expires_at);"

  /* staff_name is a copy: removing a staff member keeps the history */
  "CREATE TABLE audit ("
  "  id @ID@,"
  "  account_id @BIGINT@ NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,"
  "  at @BIGINT@ NOT NULL,"
  "  staff_name TEXT,"
  "  iccid TEXT,"
  "  action TEXT NOT NULL,"
  "  detail TEXT);"
  "CREATE INDEX audit_account ON audit (account_id, id);"
  "CREATE INDEX audit_iccid ON audit (iccid);"

  "CREATE TABLE cards ("
  "  iccid TEXT PRIMARY KEY,"
  "  account_id @BIGINT@ NOT NULL REFERENCES accounts (id),"
  "  imsi TEXT,"
  "  card_type TEXT NOT NULL,"
  "  batch TEXT,"
  "  counter_a @BIGINT@ NOT NULL,"
  "  sms_capacity INTEGER NOT NULL,"
  "  epoch @BIGINT@ NOT NULL,"
  "  modseq @BIGINT@ NOT NULL DEFAULT 0,"
  "  purge_floor @BIGINT@ NOT NULL DEFAULT 0,"
  "  msg_seq @BIGINT@ NOT NULL DEFAULT 0,"
  "  replaced_by TEXT,"
  "  registered_at @BIGINT@ NOT NULL,"
  "  updated_at @BIGINT@ NOT NULL);"
  "CREATE INDEX cards_account ON cards (account_id, registered_at);"
  "CREATE INDEX cards_replaced_by ON cards (replaced_by);"

  "CREATE TABLE card_files ("
  "  iccid TEXT NOT NULL REFERENCES cards (iccid) ON DELETE CASCADE,"
  "  key TEXT NOT NULL,"
  "  path TEXT NOT NULL,"
  "  structure TEXT NOT NULL,"
  "  record_len INTEGER NOT NULL,"
  "  n_records INTEGER NOT NULL,"
  "  position INTEGER NOT NULL,"
  "  PRIMARY KEY (iccid, key));"

  /* cleared = 1: all bytes FF (a tombstone, purged below the purge floor);
   * version = the card's modseq of the batch that last changed it */
  "CREATE TABLE records ("
  "  iccid TEXT NOT NULL,"
  "  file_key TEXT NOT NULL,"
  "  idx INTEGER NOT NULL,"
  "  data @BLOB@ NOT NULL,"
  "  cleared INTEGER NOT NULL,"
  "  version @BIGINT@ NOT NULL,"
  "  PRIMARY KEY (iccid, file_key, idx),"
  "  FOREIGN KEY (iccid, file_key) REFERENCES card_files (iccid, key) ON DELETE CASCADE);"
  "CREATE INDEX records_changes ON records (iccid, version);"

  /* parts: the EF_SMS records concatenated, n_parts of equal length */
  "CREATE TABLE messages ("
  "  iccid TEXT NOT NULL REFERENCES cards (iccid) ON DELETE CASCADE,"
  "  id @BIGINT@ NOT NULL,"
  "  content_hash @BLOB@ NOT NULL,"
  "  parts @BLOB@ NOT NULL,"
  "  n_parts INTEGER NOT NULL,"
  "  stored_at @BIGINT@ NOT NULL,"
  "  received_at @BIGINT@ NOT NULL,"
  "  PRIMARY KEY (iccid, id),"
  "  UNIQUE (iccid, content_hash));"

  /* kind 0: backup, 1: messages; answer: the result as a GVariant */
  "CREATE TABLE batches ("
  "  iccid TEXT NOT NULL REFERENCES cards (iccid) ON DELETE CASCADE,"
  "  batch_id TEXT NOT NULL,"
  "  kind INTEGER NOT NULL,"
  "  request_hash @BLOB@ NOT NULL,"
  "  answer @BLOB@ NOT NULL,"
  "  created_at @BIGINT@ NOT NULL,"
  "  PRIMARY KEY (iccid, batch_id));"
  "CREATE INDEX batches_created ON batches (created_at);"

  "CREATE TABLE restores ("
  "  iccid TEXT NOT NULL REFERENCES cards (iccid) ON DELETE CASCADE,"
  "  id TEXT NOT NULL,"
  "  account_id @BIGINT@ NOT NULL,"
  "  staff_id @BIGINT@ NOT NULL,"
  "  kind INTEGER NOT NULL,"
  "  include_sms INTEGER NOT NULL,"
  "  group_size INTEGER NOT NULL,"
  "  n_groups INTEGER NOT NULL,"
  "  n_records INTEGER NOT NULL,"
  "  n_messages INTEGER NOT NULL,"
  "  n_acked INTEGER NOT NULL DEFAULT 0,"
  "  clear_files TEXT NOT NULL,"
  "  epoch @BIGINT@ NOT NULL,"
  "  modseq @BIGINT@ NOT NULL,"
  "  created_at @BIGINT@ NOT NULL,"
  "  completed_at @BIGINT@,"
  "  PRIMARY KEY (iccid, id));"
  "CREATE UNIQUE INDEX restores_id ON restores (id);"

  /* a snapshot of what the restore sends: a record (file_key set) or a
   * message (message_id set) */
  "CREATE TABLE restore_items ("
  "  iccid TEXT NOT NULL,"
  "  restore_id TEXT NOT NULL,"
  "  seq INTEGER NOT NULL,"
  "  file_key TEXT,"
  "  idx INTEGER,"
  "  version @BIGINT@,"
  "  message_id @BIGINT@,"
  "  n_parts INTEGER,"
  "  stored_at @BIGINT@,"
  "  data @BLOB@ NOT NULL,"
  "  PRIMARY KEY (iccid, restore_id, seq),"
  "  FOREIGN KEY (iccid, restore_id) REFERENCES restores (iccid, id) ON DELETE CASCADE);",

  /* 2: restore ids carry their ICCID ("ICCID.UUID") and are looked up by
   * (iccid, id), the primary key: an index on the id alone would have to
   * span every partition. */
  "DROP INDEX restores_id;",

  /* 3: when a record last changed, so that tombstones older than the
   * retention can be purged (housekeeping); rows from before this
   * migration count as old. */
  "ALTER TABLE records ADD COLUMN changed_at @BIGINT@ NOT NULL DEFAULT 0;"
  "CREATE INDEX records_cleared ON records (cleared, changed_at);",

  /* 4: when the last backup batch (records or messages) was applied to a
   * card; NULL: never */
  "ALTER TABLE cards ADD COLUMN last_backup_at @BIGINT@;",
};

const char * const sv_store_card_row_counts[] = {
  "SELECT COUNT(*) FROM cards WHERE iccid = ?",
  "SELECT COUNT(*) FROM cards WHERE replaced_by = ?",
  "SELECT COUNT(*) FROM card_files WHERE iccid = ?",
  "SELECT COUNT(*) FROM records WHERE iccid = ?",
  "SELECT COUNT(*) FROM messages WHERE iccid = ?",
  "SELECT COUNT(*) FROM batches WHERE iccid = ?",
  "SELECT COUNT(*) FROM restores WHERE iccid = ?",
  "SELECT COUNT(*) FROM restore_items WHERE iccid = ?",
  "SELECT COUNT(*) FROM audit WHERE iccid = ?",
};
const guint sv_store_n_card_row_counts = G_N_ELEMENTS (sv_store_card_row_counts);

typedef struct
{
  SvDb  *db;
  guint  version;
} MigrateContext;

static char *
substitute_types (SvDb       *db,
                  const char *sql)
{
  static const struct {
    const char   *token;
    SvDbTypeName  type;
  } tokens[] = {
    { "@BLOB@", SV_DB_TYPE_BLOB },
    { "@ID@", SV_DB_TYPE_ID },
    { "@BIGINT@", SV_DB_TYPE_BIGINT },
  };
  g_autoptr(GString) out = g_string_new (sql);

  for (guint i = 0; i < G_N_ELEMENTS (tokens); i++)
    g_string_replace (out, tokens[i].token,
                      sv_db_get_type_name (db, tokens[i].type), 0);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static gboolean
migrate_txn (SvDbConn  *conn,
             gpointer   user_data,
             GError   **error)
{
  MigrateContext *ctx = user_data;
  g_autoptr(SvDbStmt) select = NULL;
  gboolean has_row;
  guint version = 0;

  ctx->version = 0;
  if (!sv_db_conn_lock_schema (conn, error) ||
      !sv_db_conn_exec (conn, "CREATE TABLE IF NOT EXISTS sv_schema (version INTEGER NOT NULL)", error))
    return FALSE;

  select = sv_db_prepare (conn, "SELECT version FROM sv_schema", error);
  if (select == NULL)
    return FALSE;
  has_row = sv_db_stmt_step (select, error);
  if (!has_row && error != NULL && *error != NULL)
    return FALSE;
  if (has_row)
    version = (guint) sv_db_stmt_column_int64 (select, 0);
  g_clear_pointer (&select, sv_db_stmt_finish);

  if (!has_row && !sv_db_conn_exec (conn, "INSERT INTO sv_schema (version) VALUES (0)", error))
    return FALSE;

  if (version > G_N_ELEMENTS (migrations))
    {
      g_set_error (error, SV_DB_ERROR, SV_DB_ERROR_FAILED,
                   "The database has schema version %u; this server knows only %u",
                   version, (guint) G_N_ELEMENTS (migrations));
      return FALSE;
    }

  for (; version < G_N_ELEMENTS (migrations); version++)
    {
      g_autofree char *sql = substitute_types (ctx->db, migrations[version]);
      g_autoptr(SvDbStmt) update = NULL;

      if (!sv_db_conn_exec (conn, sql, error))
        return FALSE;
      update = sv_db_prepare (conn, "UPDATE sv_schema SET version = ?", error);
      if (update == NULL)
        return FALSE;
      sv_db_stmt_bind_int64 (update, 1, version + 1);
      if (!sv_db_stmt_run (update, error))
        return FALSE;
    }

  ctx->version = version;
  return TRUE;
}

gboolean
sv_store_schema_migrate (SvDb    *db,
                         guint   *version,
                         GError **error)
{
  MigrateContext ctx = { db, 0 };

  if (!sv_db_transaction (db, SV_DB_WRITE, migrate_txn, &ctx, error))
    return FALSE;
  *version = ctx.version;
  return TRUE;
}
