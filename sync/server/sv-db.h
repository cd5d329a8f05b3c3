/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A small SQL layer with one driver per engine (Dovecot lib-sql): the store
 * writes portable SQL with `?` placeholders, binds typed parameters
 * (1-based), steps, reads typed columns (0-based). Engines differ only in
 * their driver (sv-db-sqlite.c, later sv-db-pgsql.c) and in three type names
 * the schema substitutes (sv_db_get_type_name ()).
 *
 * A SvDb is a small pool of connections; a connection serves one thread at
 * a time. Work runs in sv_db_transaction (), which retries the whole
 * function when the engine reports a transient failure (SQLITE_BUSY,
 * PostgreSQL serialization failure or deadlock), so the function must only
 * touch the database and its own context, and start by resetting its
 * outputs.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SV_DB_ERROR (sv_db_error_quark ())

typedef enum
{
  SV_DB_ERROR_FAILED,       /* a bug or a broken database: SQL error, I/O */
  SV_DB_ERROR_RETRY,        /* transient: busy, serialization failure, deadlock */
  SV_DB_ERROR_CONSTRAINT,   /* a UNIQUE, FOREIGN KEY or CHECK constraint */
  SV_DB_ERROR_UNAVAILABLE,  /* cannot connect */
  SV_DB_ERROR_NO_SPACE,     /* the disk is full or read-only (issue 17) */
} SvDbError;

GQuark        sv_db_error_quark   (void);

typedef struct _SvDb       SvDb;
typedef struct _SvDbConn   SvDbConn;
typedef struct _SvDbStmt   SvDbStmt;

typedef enum
{
  SV_DB_TYPE_BLOB,      /* "BLOB" / "BYTEA" */
  SV_DB_TYPE_ID,        /* an auto-assigned BIGINT primary key */
  SV_DB_TYPE_BIGINT,    /* "INTEGER" / "BIGINT" */
} SvDbTypeName;

/* "sqlite:PATH", a plain path, or "postgresql://..." / "postgres://..." */
SvDb         *sv_db_open          (const char   *location,
                                   guint         pool_size,
                                   GError      **error);
void          sv_db_close         (SvDb         *db);
const char   *sv_db_get_engine    (SvDb         *db);
const char   *sv_db_get_type_name (SvDb         *db,
                                   SvDbTypeName  type);

typedef enum
{
  SV_DB_READ,   /* a consistent snapshot, no writes */
  SV_DB_WRITE,  /* takes the write lock up front (SQLite BEGIN IMMEDIATE) */
} SvDbTxnMode;

typedef gboolean (*SvDbTxnFunc) (SvDbConn  *conn,
                                 gpointer   user_data,
                                 GError   **error);

/* Runs @func in one transaction; commits if it returns TRUE, else rolls
 * back and passes its error on. Retries on SV_DB_ERROR_RETRY. */
gboolean      sv_db_transaction   (SvDb         *db,
                                   SvDbTxnMode   mode,
                                   SvDbTxnFunc   func,
                                   gpointer      user_data,
                                   GError      **error);

/* Outside any transaction: DDL and pragmas, several statements, no params */
gboolean      sv_db_conn_exec     (SvDbConn     *conn,
                                   const char   *sql,
                                   GError      **error);

/* Inside a write transaction: keeps other processes from migrating the
 * schema at the same time (a no-op where the write lock does that) */
gboolean      sv_db_conn_lock_schema (SvDbConn  *conn,
                                      GError   **error);

/* A statement, cached per connection: finish it on every path (g_autoptr) */
SvDbStmt     *sv_db_prepare       (SvDbConn     *conn,
                                   const char   *sql,
                                   GError      **error);
void          sv_db_stmt_bind_int64 (SvDbStmt   *stmt,
                                     guint       index,
                                     gint64      value);
void          sv_db_stmt_bind_text  (SvDbStmt   *stmt,
                                     guint       index,
                                     const char *value);   /* NULL binds NULL */
void          sv_db_stmt_bind_blob  (SvDbStmt   *stmt,
                                     guint       index,
                                     const void *data,
                                     gsize       len);
void          sv_db_stmt_bind_bytes (SvDbStmt   *stmt,
                                     guint       index,
                                     GBytes     *bytes);   /* NULL binds NULL */
void          sv_db_stmt_bind_null  (SvDbStmt   *stmt,
                                     guint       index);
/* TRUE: a row is there. FALSE: done (error unset) or failed (error set). */
gboolean      sv_db_stmt_step       (SvDbStmt   *stmt,
                                     GError    **error);
/* Steps a statement that returns no row to its end */
gboolean      sv_db_stmt_run        (SvDbStmt   *stmt,
                                     GError    **error);
/* Rows changed by the last INSERT/UPDATE/DELETE of this statement */
gint64        sv_db_stmt_changes    (SvDbStmt   *stmt);
gboolean      sv_db_stmt_column_is_null (SvDbStmt *stmt,
                                         guint     column);
gint64        sv_db_stmt_column_int64   (SvDbStmt *stmt,
                                         guint     column);
const char   *sv_db_stmt_column_text    (SvDbStmt *stmt,
                                         guint     column);   /* valid until the next step */
char         *sv_db_stmt_dup_text       (SvDbStmt *stmt,
                                         guint     column);
GBytes       *sv_db_stmt_column_bytes   (SvDbStmt *stmt,
                                         guint     column);   /* a copy; NULL for NULL */
void          sv_db_stmt_finish     (SvDbStmt   *stmt);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SvDb, sv_db_close)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SvDbStmt, sv_db_stmt_finish)

G_END_DECLS
