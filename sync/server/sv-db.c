/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The engine-independent half of sv-db.h: choosing the driver, the
 * connection pool, transactions with retry, and dispatch to the driver.
 */
#define G_LOG_DOMAIN "sv-db"

#include "config.h"

#include <string.h>

#include "sv-db-private.h"

G_DEFINE_QUARK (sv-db-error-quark, sv_db_error)

#define DEFAULT_POOL_SIZE 4
#define MAX_ATTEMPTS      8

struct _SvDb
{
  const SvDbDriver *driver;
  char             *location;
  GMutex            lock;
  GCond             cond;
  GQueue            idle;      /* SvDbConn */
  guint             n_open;
  guint             max_open;
};

static const struct {
  const char       *prefix;
  const SvDbDriver *driver;
  gboolean          keep_prefix;   /* the location is the whole string */
} drivers[] = {
  { "sqlite:", &sv_db_driver_sqlite, FALSE },
#ifdef SV_HAVE_PGSQL
  { "postgresql://", &sv_db_driver_pgsql, TRUE },
  { "postgres://", &sv_db_driver_pgsql, TRUE },
#endif
};

static SvDbConn *
sv_db_acquire (SvDb    *db,
               GError **error)
{
  SvDbConn *conn;

  g_mutex_lock (&db->lock);
  while (db->idle.length == 0 && db->n_open >= db->max_open)
    g_cond_wait (&db->cond, &db->lock);
  conn = g_queue_pop_head (&db->idle);
  if (conn == NULL)
    db->n_open++;
  g_mutex_unlock (&db->lock);

  if (conn != NULL)
    return conn;

  conn = db->driver->connect (db->location, error);
  if (conn == NULL)
    {
      g_mutex_lock (&db->lock);
      db->n_open--;
      g_cond_signal (&db->cond);
      g_mutex_unlock (&db->lock);
    }
  return conn;
}

static void
sv_db_release (SvDb     *db,
               SvDbConn *conn)
{
  gboolean usable = db->driver->is_usable == NULL || db->driver->is_usable (conn);

  if (!usable)
    db->driver->disconnect (conn);

  g_mutex_lock (&db->lock);
  if (usable)
    g_queue_push_head (&db->idle, conn);
  else
    db->n_open--;
  g_cond_signal (&db->cond);
  g_mutex_unlock (&db->lock);
}

SvDb *
sv_db_open (const char  *location,
            guint        pool_size,
            GError     **error)
{
  g_autoptr(SvDb) db = g_new0 (SvDb, 1);
  const SvDbDriver *driver = NULL;
  const char *rest = location;
  SvDbConn *conn;

  g_return_val_if_fail (location != NULL, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (drivers); i++)
    if (g_str_has_prefix (location, drivers[i].prefix))
      {
        driver = drivers[i].driver;
        rest = drivers[i].keep_prefix ? location : location + strlen (drivers[i].prefix);
      }
  if (driver == NULL)
    {
      if (g_str_has_prefix (location, "postgresql:") ||
          g_str_has_prefix (location, "postgres:"))
        {
          g_set_error (error, SV_DB_ERROR, SV_DB_ERROR_UNAVAILABLE,
                       "This build has no PostgreSQL driver");
          return NULL;
        }
      /* a plain path is a SQLite file */
      driver = &sv_db_driver_sqlite;
    }

  g_mutex_init (&db->lock);
  g_cond_init (&db->cond);
  g_queue_init (&db->idle);
  db->driver = driver;
  db->location = g_strdup (rest);
  db->max_open = pool_size > 0 ? pool_size : DEFAULT_POOL_SIZE;

  /* Connect once now, so a wrong location fails here and not at the first
   * request. */
  conn = sv_db_acquire (db, error);
  if (conn == NULL)
    return NULL;
  sv_db_release (db, conn);

  return g_steal_pointer (&db);
}

void
sv_db_close (SvDb *db)
{
  SvDbConn *conn;

  if (db == NULL)
    return;

  g_mutex_lock (&db->lock);
  /* work still running in other threads finishes first (a server shutting
   * down while a worker commits a batch) */
  while (db->idle.length < db->n_open)
    g_cond_wait (&db->cond, &db->lock);
  while ((conn = g_queue_pop_head (&db->idle)) != NULL)
    db->driver->disconnect (conn);
  g_mutex_unlock (&db->lock);

  g_mutex_clear (&db->lock);
  g_cond_clear (&db->cond);
  g_free (db->location);
  g_free (db);
}

const char *
sv_db_get_engine (SvDb *db)
{
  return db->driver->name;
}

const char *
sv_db_get_type_name (SvDb         *db,
                     SvDbTypeName  type)
{
  g_return_val_if_fail (type < G_N_ELEMENTS (db->driver->type_names), NULL);
  return db->driver->type_names[type];
}

gboolean
sv_db_transaction (SvDb        *db,
                   SvDbTxnMode  mode,
                   SvDbTxnFunc  func,
                   gpointer     user_data,
                   GError     **error)
{
  SvDbConn *conn;
  gulong delay_usec = 2000;

  conn = sv_db_acquire (db, error);
  if (conn == NULL)
    return FALSE;

  for (guint attempt = 1; ; attempt++)
    {
      g_autoptr(GError) local_error = NULL;
      gboolean lost;

      if (db->driver->begin (conn, mode, &local_error) &&
          func (conn, user_data, &local_error) &&
          db->driver->commit (conn, &local_error))
        {
          sv_db_release (db, conn);
          return TRUE;
        }

      db->driver->rollback (conn);

      /* a connection the server dropped (a restart, a standby promoted):
       * retry the work on a new one */
      lost = g_error_matches (local_error, SV_DB_ERROR, SV_DB_ERROR_UNAVAILABLE) &&
             db->driver->is_usable != NULL && !db->driver->is_usable (conn);

      if (attempt < MAX_ATTEMPTS &&
          (lost || g_error_matches (local_error, SV_DB_ERROR, SV_DB_ERROR_RETRY)))
        {
          /* back off with jitter so two writers do not meet again */
          g_usleep (delay_usec + g_random_int_range (0, (gint32) delay_usec));
          delay_usec = MIN (delay_usec * 2, 200000);
          if (lost)
            {
              sv_db_release (db, conn);
              g_clear_error (&local_error);
              conn = sv_db_acquire (db, &local_error);
              if (conn == NULL)
                {
                  g_propagate_error (error, g_steal_pointer (&local_error));
                  return FALSE;
                }
            }
          continue;
        }

      sv_db_release (db, conn);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
}

gboolean
sv_db_conn_lock_schema (SvDbConn  *conn,
                        GError   **error)
{
  if (conn->driver->schema_lock == NULL)
    return TRUE;
  return conn->driver->exec (conn, conn->driver->schema_lock, error);
}

gboolean
sv_db_conn_exec (SvDbConn   *conn,
                 const char *sql,
                 GError    **error)
{
  return conn->driver->exec (conn, sql, error);
}

SvDbStmt *
sv_db_prepare (SvDbConn   *conn,
               const char *sql,
               GError    **error)
{
  return conn->driver->prepare (conn, sql, error);
}

void
sv_db_stmt_bind_int64 (SvDbStmt *stmt,
                       guint     index,
                       gint64    value)
{
  stmt->conn->driver->bind_int64 (stmt, index, value);
}

void
sv_db_stmt_bind_text (SvDbStmt   *stmt,
                      guint       index,
                      const char *value)
{
  if (value == NULL)
    stmt->conn->driver->bind_null (stmt, index);
  else
    stmt->conn->driver->bind_text (stmt, index, value);
}

void
sv_db_stmt_bind_blob (SvDbStmt   *stmt,
                      guint       index,
                      const void *data,
                      gsize       len)
{
  stmt->conn->driver->bind_blob (stmt, index, data, len);
}

void
sv_db_stmt_bind_bytes (SvDbStmt *stmt,
                       guint     index,
                       GBytes   *bytes)
{
  gsize len;
  const void *data;

  if (bytes == NULL)
    {
      stmt->conn->driver->bind_null (stmt, index);
      return;
    }
  data = g_bytes_get_data (bytes, &len);
  stmt->conn->driver->bind_blob (stmt, index, data, len);
}

void
sv_db_stmt_bind_null (SvDbStmt *stmt,
                      guint     index)
{
  stmt->conn->driver->bind_null (stmt, index);
}

gboolean
sv_db_stmt_step (SvDbStmt *stmt,
                 GError  **error)
{
  return stmt->conn->driver->step (stmt, error);
}

gboolean
sv_db_stmt_run (SvDbStmt *stmt,
                GError  **error)
{
  GError *local_error = NULL;

  while (stmt->conn->driver->step (stmt, &local_error))
    ;
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return FALSE;
    }
  return TRUE;
}

gint64
sv_db_stmt_changes (SvDbStmt *stmt)
{
  return stmt->conn->driver->changes (stmt);
}

gboolean
sv_db_stmt_column_is_null (SvDbStmt *stmt,
                           guint     column)
{
  return stmt->conn->driver->column_is_null (stmt, column);
}

gint64
sv_db_stmt_column_int64 (SvDbStmt *stmt,
                         guint     column)
{
  return stmt->conn->driver->column_int64 (stmt, column);
}

const char *
sv_db_stmt_column_text (SvDbStmt *stmt,
                        guint     column)
{
  return stmt->conn->driver->column_text (stmt, column);
}

char *
sv_db_stmt_dup_text (SvDbStmt *stmt,
                     guint     column)
{
  return g_strdup (stmt->conn->driver->column_text (stmt, column));
}

GBytes *
sv_db_stmt_column_bytes (SvDbStmt *stmt,
                         guint     column)
{
  const void *data;
  gsize len = 0;

  if (stmt->conn->driver->column_is_null (stmt, column))
    return NULL;
  data = stmt->conn->driver->column_blob (stmt, column, &len);
  return g_bytes_new (data, len);
}

void
sv_db_stmt_finish (SvDbStmt *stmt)
{
  if (stmt != NULL)
    stmt->conn->driver->finish (stmt);
}
