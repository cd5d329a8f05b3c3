/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The mirror's schema as a list of migrations. The file's PRAGMA
 * user_version is the number of migrations applied; opening a file applies
 * the missing ones in one transaction. Never edit a published migration:
 * add a new one.
 */
#define G_LOG_DOMAIN "sv-mirror"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "sv-mirror-private.h"

static const char * const migrations[] = {
  /* 1: cards, their files and records (base = as on the card, working =
   * with local edits), and the append-only history. */
  "CREATE TABLE cards ("
  "  id INTEGER PRIMARY KEY,"
  "  iccid TEXT NOT NULL UNIQUE,"
  "  card_type INTEGER NOT NULL,"
  "  read_at INTEGER NOT NULL DEFAULT 0,"
  "  modseq INTEGER NOT NULL DEFAULT 0);"
  "CREATE TABLE files ("
  "  id INTEGER PRIMARY KEY,"
  "  card_id INTEGER NOT NULL REFERENCES cards (id) ON DELETE CASCADE,"
  "  key TEXT NOT NULL,"
  "  path TEXT NOT NULL,"
  "  structure INTEGER NOT NULL,"
  "  record_len INTEGER NOT NULL,"
  "  n_records INTEGER NOT NULL,"
  "  UNIQUE (card_id, key));"
  "CREATE TABLE records ("
  "  file_id INTEGER NOT NULL REFERENCES files (id) ON DELETE CASCADE,"
  "  idx INTEGER NOT NULL,"
  "  base BLOB,"
  "  working BLOB NOT NULL,"
  "  state INTEGER NOT NULL DEFAULT 0,"
  "  version INTEGER NOT NULL DEFAULT 0,"
  "  PRIMARY KEY (file_id, idx)) WITHOUT ROWID;"
  "CREATE TABLE history ("
  "  id INTEGER PRIMARY KEY,"
  "  iccid TEXT NOT NULL,"
  "  at INTEGER NOT NULL,"
  "  op TEXT NOT NULL,"
  "  who TEXT NOT NULL,"
  "  detail TEXT);"
  "CREATE INDEX history_iccid ON history (iccid, id);"
  "CREATE TRIGGER history_no_update BEFORE UPDATE ON history"
  "  BEGIN SELECT RAISE (ABORT, 'the history is append-only'); END;"
  "CREATE TRIGGER history_no_delete BEFORE DELETE ON history"
  "  BEGIN SELECT RAISE (ABORT, 'the history is append-only'); END;",

  /* 2: identity and labels for the card list, the decoded contacts and
   * messages for listing and search, the modseq in history rows. */
  "ALTER TABLE cards ADD COLUMN label TEXT;"
  "ALTER TABLE cards ADD COLUMN note TEXT;"
  "ALTER TABLE cards ADD COLUMN phone_number TEXT;"
  "ALTER TABLE cards ADD COLUMN imsi TEXT;"
  "ALTER TABLE cards ADD COLUMN spn TEXT;"
  "ALTER TABLE cards ADD COLUMN decoded_modseq INTEGER NOT NULL DEFAULT -1;"
  "ALTER TABLE history ADD COLUMN modseq INTEGER NOT NULL DEFAULT 0;"
  "CREATE INDEX records_version ON records (file_id, version);"
  "CREATE TABLE contacts ("
  "  card_id INTEGER NOT NULL REFERENCES cards (id) ON DELETE CASCADE,"
  "  pb_set INTEGER NOT NULL,"
  "  idx INTEGER NOT NULL,"
  "  name TEXT NOT NULL DEFAULT '',"
  "  number TEXT NOT NULL DEFAULT '',"
  "  additional_numbers TEXT NOT NULL DEFAULT '',"
  "  emails TEXT NOT NULL DEFAULT '',"
  "  second_name TEXT NOT NULL DEFAULT '',"
  "  PRIMARY KEY (card_id, pb_set, idx)) WITHOUT ROWID;"
  "CREATE TABLE messages ("
  "  card_id INTEGER NOT NULL REFERENCES cards (id) ON DELETE CASCADE,"
  "  idx INTEGER NOT NULL,"
  "  status INTEGER NOT NULL,"
  "  type INTEGER NOT NULL,"
  "  number TEXT NOT NULL DEFAULT '',"
  "  at INTEGER NOT NULL DEFAULT 0,"
  "  text TEXT NOT NULL DEFAULT '',"
  "  record_indices TEXT NOT NULL DEFAULT '',"
  "  raw_status INTEGER NOT NULL DEFAULT 0,"
  "  decode_error TEXT,"
  "  PRIMARY KEY (card_id, idx)) WITHOUT ROWID;",

  /* 3: undo of offline edits: the working bytes each edit replaced. */
  "CREATE TABLE undo_steps ("
  "  id INTEGER PRIMARY KEY,"
  "  card_id INTEGER NOT NULL REFERENCES cards (id) ON DELETE CASCADE,"
  "  modseq INTEGER NOT NULL,"
  "  detail TEXT NOT NULL);"
  "CREATE INDEX undo_steps_card ON undo_steps (card_id, id);"
  "CREATE TABLE undo_records ("
  "  step_id INTEGER NOT NULL REFERENCES undo_steps (id) ON DELETE CASCADE,"
  "  key TEXT NOT NULL,"
  "  idx INTEGER NOT NULL,"
  "  working BLOB NOT NULL,"
  "  version INTEGER NOT NULL,"
  "  PRIMARY KEY (step_id, key, idx)) WITHOUT ROWID;",

  /* 4: a message's time stamp keeps the sender's UTC offset (TS 23.040
   * §9.2.3.11), in seconds east of UTC, so exports show the time as
   * the message carried it (rows stored before read as UTC). */
  "ALTER TABLE messages ADD COLUMN at_offset INTEGER NOT NULL DEFAULT 0;",

  /* 5: backup-server sync state (sv-mirror-sync.c). Per card the server,
   * account, tokens and counters; per record the bytes and server version
   * the server last acknowledged (a record waits for upload exactly when
   * its working bytes differ from them); the outbox of batches written
   * before they are sent; the conflicts waiting for a choice. */
  "CREATE TABLE sync_cards ("
  "  card_id INTEGER PRIMARY KEY REFERENCES cards (id) ON DELETE CASCADE,"
  "  server TEXT NOT NULL,"
  "  phone TEXT NOT NULL,"
  "  token TEXT,"
  "  backup_token TEXT,"
  "  counter_a INTEGER NOT NULL DEFAULT 0,"
  "  counter_b INTEGER NOT NULL DEFAULT 0,"
  "  registered_at INTEGER NOT NULL DEFAULT 0,"
  "  last_backup_at INTEGER NOT NULL DEFAULT 0,"
  "  last_restore_at INTEGER NOT NULL DEFAULT 0);"
  "CREATE TABLE sync_records ("
  "  card_id INTEGER NOT NULL REFERENCES cards (id) ON DELETE CASCADE,"
  "  key TEXT NOT NULL,"
  "  idx INTEGER NOT NULL,"
  "  acked BLOB NOT NULL,"
  "  server_version INTEGER NOT NULL DEFAULT 0,"
  "  PRIMARY KEY (card_id, key, idx)) WITHOUT ROWID;"
  "CREATE TABLE sync_outbox ("
  "  batch_id TEXT PRIMARY KEY,"
  "  card_id INTEGER NOT NULL REFERENCES cards (id) ON DELETE CASCADE,"
  "  kind TEXT NOT NULL,"
  "  body TEXT NOT NULL,"
  "  created_at INTEGER NOT NULL);"
  "CREATE INDEX sync_outbox_card ON sync_outbox (card_id, created_at);"
  "CREATE TABLE sync_outbox_records ("
  "  batch_id TEXT NOT NULL REFERENCES sync_outbox (batch_id) ON DELETE CASCADE,"
  "  key TEXT NOT NULL,"
  "  idx INTEGER NOT NULL,"
  "  data BLOB NOT NULL,"
  "  base_version INTEGER NOT NULL,"
  "  PRIMARY KEY (batch_id, key, idx)) WITHOUT ROWID;"
  "CREATE TABLE sync_conflicts ("
  "  card_id INTEGER NOT NULL REFERENCES cards (id) ON DELETE CASCADE,"
  "  key TEXT NOT NULL,"
  "  idx INTEGER NOT NULL,"
  "  server_data BLOB NOT NULL,"
  "  server_version INTEGER NOT NULL,"
  "  local_data BLOB NOT NULL,"
  "  detected_at INTEGER NOT NULL,"
  "  PRIMARY KEY (card_id, key, idx)) WITHOUT ROWID;",
};

guint
sv_mirror_schema_n_versions (void)
{
  return G_N_ELEMENTS (migrations);
}

guint
sv_mirror_schema_version (void)
{
  return G_N_ELEMENTS (migrations);
}

static gboolean
get_user_version (sqlite3  *db,
                  guint    *version,
                  GError  **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  int rc;

  if (!sv_mirror_sql_prepare (db, "PRAGMA user_version", &stmt, error))
    return FALSE;
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    return sv_mirror_sql_error (db, rc, N_("reading the schema version"), error);
  *version = (guint) sqlite3_column_int (stmt, 0);
  return TRUE;
}

/*
 * sv_mirror_schema_migrate:
 * @target_version: apply migrations up to this version (tests build older
 *   files with it); sv_mirror_schema_n_versions() for the current one
 * @from_version: (out) (optional): the version the file had
 *
 * Brings the file to @target_version in one transaction: either every
 * missing migration is applied or none is.
 */
gboolean
sv_mirror_schema_migrate (sqlite3  *db,
                          guint     target_version,
                          guint    *from_version,
                          GError  **error)
{
  guint version = 0;

  g_return_val_if_fail (target_version <= G_N_ELEMENTS (migrations), FALSE);

  if (!sv_mirror_sql_exec (db, "BEGIN IMMEDIATE", error))
    return FALSE;

  if (!get_user_version (db, &version, error))
    goto fail;

  if (from_version != NULL)
    *from_version = version;

  if (version > G_N_ELEMENTS (migrations))
    {
      g_set_error (error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_TOO_NEW,
                   _("The mirror has schema version %u, newer than the %u this "
                     "SimVault knows; use a newer SimVault"),
                   version, (guint) G_N_ELEMENTS (migrations));
      goto fail;
    }

  for (guint v = version; v < target_version; v++)
    {
      g_autofree char *pragma = NULL;
      g_autoptr(GError) local_error = NULL;

      if (!sv_mirror_sql_exec (db, migrations[v], &local_error))
        {
          g_set_error (error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_FAILED,
                       _("Migrating the mirror to schema version %u failed: %s"),
                       v + 1, local_error->message);
          goto fail;
        }
      pragma = g_strdup_printf ("PRAGMA user_version = %u", v + 1);
      if (!sv_mirror_sql_exec (db, pragma, error))
        goto fail;
    }

  return sv_mirror_sql_exec (db, "COMMIT", error);

fail:
  sv_mirror_sql_exec (db, "ROLLBACK", NULL);
  return FALSE;
}
