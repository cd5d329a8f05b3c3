/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The SQLite driver of sv-db.h (Dovecot driver-sqlite.c): WAL,
 * synchronous=FULL, foreign keys, a busy timeout; statements prepared once
 * per connection and reused; write transactions take the lock up front
 * (BEGIN IMMEDIATE) so two writers never deadlock on the upgrade.
 */
#define G_LOG_DOMAIN "sv-db"

#include "config.h"

#include <sqlite3.h>

#include "sv-db-private.h"

#define BUSY_TIMEOUT_MS 5000

typedef struct
{
  SvDbConn    parent;
  sqlite3    *handle;
  GHashTable *cache;   /* SQL text -> SqliteStmt */
} SqliteConn;

typedef struct
{
  SvDbStmt      parent;
  sqlite3_stmt *handle;
  char         *sql;
  gint64        changes;
  gboolean      in_use;
  gboolean      cached;
} SqliteStmt;

static void
set_error (GError     **error,
           sqlite3     *handle,
           int          rc,
           const char  *what)
{
  SvDbError code;

  switch (rc & 0xff)
    {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      code = SV_DB_ERROR_RETRY;
      break;
    case SQLITE_CONSTRAINT:
      code = SV_DB_ERROR_CONSTRAINT;
      break;
    case SQLITE_CANTOPEN:
    case SQLITE_NOTADB:
      code = SV_DB_ERROR_UNAVAILABLE;
      break;
    case SQLITE_FULL:
    case SQLITE_READONLY:
      code = SV_DB_ERROR_NO_SPACE;
      break;
    case SQLITE_IOERR:
      /* A write that hit ENOSPC or EROFS is an I/O error with one of
       * these extended codes. */
      code = rc == SQLITE_IOERR_WRITE || rc == SQLITE_IOERR_FSYNC || rc == SQLITE_IOERR_TRUNCATE ||
             rc == SQLITE_IOERR_SHMSIZE || rc == SQLITE_IOERR_SHMOPEN
             ? SV_DB_ERROR_NO_SPACE : SV_DB_ERROR_FAILED;
      break;
    default:
      code = SV_DB_ERROR_FAILED;
      break;
    }
  g_set_error (error, SV_DB_ERROR, code, "SQLite: %s: %s", what,
               handle != NULL ? sqlite3_errmsg (handle) : sqlite3_errstr (rc));
}

static SvDbStmt *sqlite_prepare (SvDbConn   *conn,
                                  const char *sql,
                                  GError    **error);
static void      sqlite_finish  (SvDbStmt   *stmt);

static void
sqlite_stmt_destroy (gpointer data)
{
  SqliteStmt *stmt = data;

  sqlite3_finalize (stmt->handle);
  g_free (stmt->sql);
  g_free (stmt);
}

static gboolean
sqlite_exec (SvDbConn   *conn,
             const char *sql,
             GError    **error)
{
  SqliteConn *self = (SqliteConn *) conn;
  int rc;

  rc = sqlite3_exec (self->handle, sql, NULL, NULL, NULL);
  if (rc != SQLITE_OK)
    {
      set_error (error, self->handle, rc, "exec");
      return FALSE;
    }
  return TRUE;
}

static void
sqlite_disconnect (SvDbConn *conn)
{
  SqliteConn *self = (SqliteConn *) conn;

  g_hash_table_unref (self->cache);
  sqlite3_close (self->handle);
  g_free (self);
}

static SvDbConn *
sqlite_connect (const char  *location,
                GError     **error)
{
  SqliteConn *self;
  sqlite3 *handle = NULL;
  int rc;

  rc = sqlite3_open_v2 (location, &handle,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                        SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_PRIVATECACHE,
                        NULL);
  if (rc != SQLITE_OK)
    {
      g_set_error (error, SV_DB_ERROR, SV_DB_ERROR_UNAVAILABLE,
                   "Cannot open the database %s: %s", location,
                   handle != NULL ? sqlite3_errmsg (handle) : sqlite3_errstr (rc));
      sqlite3_close (handle);
      return NULL;
    }
  sqlite3_extended_result_codes (handle, 1);
  sqlite3_busy_timeout (handle, BUSY_TIMEOUT_MS);

  self = g_new0 (SqliteConn, 1);
  self->parent.driver = &sv_db_driver_sqlite;
  self->handle = handle;
  self->cache = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                       sqlite_stmt_destroy);

  /* journal_mode answers a row: exec ignores it. */
  if (!sqlite_exec (&self->parent,
                    "PRAGMA journal_mode = WAL;"
                    "PRAGMA synchronous = FULL;"
                    "PRAGMA foreign_keys = ON;",
                    error))
    {
      sqlite_disconnect (&self->parent);
      return NULL;
    }
  return &self->parent;
}

static gboolean
sqlite_is_usable (SvDbConn *conn)
{
  SqliteConn *self = (SqliteConn *) conn;

  /* a connection handed back inside a transaction would leak it */
  return sqlite3_get_autocommit (self->handle) != 0;
}

/* BEGIN, COMMIT and ROLLBACK run several times per request: through the
 * statement cache like any other statement, not through sqlite_exec(),
 * which has SQLite parse them again each time (a parser allocation that
 * made glibc consolidate its free lists on every request: ~8% of a
 * backup's CPU in perf). */
static gboolean
sqlite_run_control (SvDbConn    *conn,
                    const char  *sql,
                    GError     **error)
{
  SqliteConn *self = (SqliteConn *) conn;
  SvDbStmt *stmt = sqlite_prepare (conn, sql, error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  rc = sqlite3_step (((SqliteStmt *) stmt)->handle);
  if (rc != SQLITE_DONE)
    set_error (error, self->handle, rc, sql);
  sqlite_finish (stmt);
  return rc == SQLITE_DONE;
}

static gboolean
sqlite_begin (SvDbConn    *conn,
              SvDbTxnMode  mode,
              GError     **error)
{
  return sqlite_run_control (conn, mode == SV_DB_WRITE ? "BEGIN IMMEDIATE" : "BEGIN", error);
}

static gboolean
sqlite_commit (SvDbConn *conn,
               GError  **error)
{
  return sqlite_run_control (conn, "COMMIT", error);
}

static void
sqlite_rollback (SvDbConn *conn)
{
  SqliteConn *self = (SqliteConn *) conn;

  if (sqlite3_get_autocommit (self->handle) == 0)
    sqlite_run_control (conn, "ROLLBACK", NULL);
}

static SvDbStmt *
sqlite_prepare (SvDbConn   *conn,
                const char *sql,
                GError    **error)
{
  SqliteConn *self = (SqliteConn *) conn;
  SqliteStmt *stmt;
  sqlite3_stmt *handle = NULL;
  int rc;

  stmt = g_hash_table_lookup (self->cache, sql);
  if (stmt != NULL && !stmt->in_use)
    {
      stmt->in_use = TRUE;
      stmt->changes = 0;
      return &stmt->parent;
    }

  rc = sqlite3_prepare_v3 (self->handle, sql, -1, SQLITE_PREPARE_PERSISTENT,
                           &handle, NULL);
  if (rc != SQLITE_OK)
    {
      set_error (error, self->handle, rc, "prepare");
      return NULL;
    }

  stmt = g_new0 (SqliteStmt, 1);
  stmt->parent.conn = conn;
  stmt->handle = handle;
  stmt->sql = g_strdup (sql);
  stmt->in_use = TRUE;
  /* the same SQL already running (a nested use) gets its own statement */
  stmt->cached = !g_hash_table_contains (self->cache, sql);
  if (stmt->cached)
    g_hash_table_insert (self->cache, stmt->sql, stmt);
  return &stmt->parent;
}

static void
sqlite_bind_int64 (SvDbStmt *stmt,
                   guint     index,
                   gint64    value)
{
  sqlite3_bind_int64 (((SqliteStmt *) stmt)->handle, index, value);
}

static void
sqlite_bind_text (SvDbStmt   *stmt,
                  guint       index,
                  const char *value)
{
  sqlite3_bind_text (((SqliteStmt *) stmt)->handle, index, value, -1, SQLITE_TRANSIENT);
}

static void
sqlite_bind_blob (SvDbStmt   *stmt,
                  guint       index,
                  const void *data,
                  gsize       len)
{
  /* a zero-length blob, not NULL */
  sqlite3_bind_blob64 (((SqliteStmt *) stmt)->handle, index,
                       len > 0 ? data : "", len, SQLITE_TRANSIENT);
}

static void
sqlite_bind_null (SvDbStmt *stmt,
                  guint     index)
{
  sqlite3_bind_null (((SqliteStmt *) stmt)->handle, index);
}

static gboolean
sqlite_step (SvDbStmt *stmt,
             GError  **error)
{
  SqliteStmt *self = (SqliteStmt *) stmt;
  sqlite3 *handle = sqlite3_db_handle (self->handle);
  int rc;

  rc = sqlite3_step (self->handle);
  if (rc == SQLITE_ROW)
    return TRUE;
  if (rc == SQLITE_DONE)
    {
      self->changes = sqlite3_changes64 (handle);
      return FALSE;
    }
  set_error (error, handle, rc, "step");
  return FALSE;
}

static gint64
sqlite_changes (SvDbStmt *stmt)
{
  return ((SqliteStmt *) stmt)->changes;
}

static gboolean
sqlite_column_is_null (SvDbStmt *stmt,
                       guint     column)
{
  return sqlite3_column_type (((SqliteStmt *) stmt)->handle, column) == SQLITE_NULL;
}

static gint64
sqlite_column_int64 (SvDbStmt *stmt,
                     guint     column)
{
  return sqlite3_column_int64 (((SqliteStmt *) stmt)->handle, column);
}

static const char *
sqlite_column_text (SvDbStmt *stmt,
                    guint     column)
{
  return (const char *) sqlite3_column_text (((SqliteStmt *) stmt)->handle, column);
}

static const void *
sqlite_column_blob (SvDbStmt *stmt,
                    guint     column,
                    gsize    *len)
{
  SqliteStmt *self = (SqliteStmt *) stmt;
  const void *data = sqlite3_column_blob (self->handle, column);

  *len = sqlite3_column_bytes (self->handle, column);
  return data;
}

static void
sqlite_finish (SvDbStmt *stmt)
{
  SqliteStmt *self = (SqliteStmt *) stmt;

  sqlite3_reset (self->handle);
  sqlite3_clear_bindings (self->handle);
  self->in_use = FALSE;
  if (!self->cached)
    sqlite_stmt_destroy (self);
}

const SvDbDriver sv_db_driver_sqlite = {
  .name = "sqlite",
  .type_names = {
    [SV_DB_TYPE_BLOB] = "BLOB",
    [SV_DB_TYPE_ID] = "INTEGER PRIMARY KEY",
    [SV_DB_TYPE_BIGINT] = "INTEGER",
  },
  .connect = sqlite_connect,
  .disconnect = sqlite_disconnect,
  .is_usable = sqlite_is_usable,
  .exec = sqlite_exec,
  .begin = sqlite_begin,
  .commit = sqlite_commit,
  .rollback = sqlite_rollback,
  .prepare = sqlite_prepare,
  .bind_int64 = sqlite_bind_int64,
  .bind_text = sqlite_bind_text,
  .bind_blob = sqlite_bind_blob,
  .bind_null = sqlite_bind_null,
  .step = sqlite_step,
  .changes = sqlite_changes,
  .column_is_null = sqlite_column_is_null,
  .column_int64 = sqlite_column_int64,
  .column_text = sqlite_column_text,
  .column_blob = sqlite_column_blob,
  .finish = sqlite_finish,
};
