/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The PostgreSQL driver of sv-db.h (Dovecot driver-pgsql.c), over libpq.
 * The store's portable SQL uses `?`; statements are rewritten to `$n` once
 * and prepared once per connection (PQprepare), then run with typed
 * parameters (integers and text as text, bytes as binary) and binary
 * results. Write transactions are SERIALIZABLE, so the store's
 * read-then-write steps behave as under SQLite's single writer; the
 * serialization failures and deadlocks that this costs are reported as
 * SV_DB_ERROR_RETRY and sv_db_transaction () runs the work again.
 */
#define G_LOG_DOMAIN "sv-db"

#include "config.h"

#include <string.h>

#include <libpq-fe.h>

#include "sv-db-private.h"

/* pg_type.h OIDs (src/include/catalog/pg_type.dat) */
#define BOOLOID  16
#define INT8OID  20
#define INT2OID  21
#define INT4OID  23

typedef struct
{
  char  *name;
  guint  n_params;
} PgPrepared;

typedef struct
{
  SvDbConn    parent;
  PGconn     *pg;
  GHashTable *prepared;   /* SQL text -> PgPrepared */
  guint       next_id;
} PgConn;

typedef struct
{
  SvDbStmt          parent;
  const PgPrepared *prepared;
  char            **values;
  int              *lengths;
  int              *formats;
  PGresult         *result;
  int               row;
  int               n_rows;
  gboolean          executed;
  gint64            changes;
} PgStmt;

static void
pg_prepared_free (gpointer data)
{
  PgPrepared *prepared = data;

  g_free (prepared->name);
  g_free (prepared);
}

static void
set_error_from_result (GError     **error,
                       PGconn      *pg,
                       PGresult    *result,
                       const char  *what)
{
  const char *state = result != NULL ? PQresultErrorField (result, PG_DIAG_SQLSTATE) : NULL;
  const char *message = result != NULL ? PQresultErrorMessage (result) : NULL;
  g_autofree char *text = NULL;
  SvDbError code = SV_DB_ERROR_FAILED;

  if (message == NULL || *message == '\0')
    message = PQerrorMessage (pg);
  text = g_strchomp (g_strdup (message));

  if (PQstatus (pg) != CONNECTION_OK)
    code = SV_DB_ERROR_UNAVAILABLE;
  else if (state != NULL)
    {
      if (g_str_equal (state, "40001") || g_str_equal (state, "40P01"))
        code = SV_DB_ERROR_RETRY;                    /* serialization failure, deadlock */
      else if (g_str_has_prefix (state, "23"))
        code = SV_DB_ERROR_CONSTRAINT;               /* integrity constraint violation */
      else if (g_str_has_prefix (state, "08") ||     /* connection exception */
               g_str_has_prefix (state, "57P") ||    /* admin/crash shutdown */
               g_str_equal (state, "25006"))         /* read-only: a standby */
        code = SV_DB_ERROR_UNAVAILABLE;
      else if (g_str_equal (state, "53100"))   /* disk_full */
        code = SV_DB_ERROR_NO_SPACE;
    }
  g_set_error (error, SV_DB_ERROR, code, "PostgreSQL: %s: %s%s%s", what,
               state != NULL ? state : "", state != NULL ? " " : "", text);
}

static gboolean
check_result (PGconn      *pg,
              PGresult    *result,
              const char  *what,
              GError     **error)
{
  ExecStatusType status = result != NULL ? PQresultStatus (result) : PGRES_FATAL_ERROR;

  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)
    return TRUE;
  set_error_from_result (error, pg, result, what);
  return FALSE;
}

static void
notice_ignore (void       *arg,
               const char *message)
{
  /* NOTICEs ("relation already exists, skipping") are not for the log */
}

static gboolean
pg_exec (SvDbConn   *conn,
         const char *sql,
         GError    **error)
{
  PgConn *self = (PgConn *) conn;
  PGresult *result = PQexec (self->pg, sql);
  gboolean ok = check_result (self->pg, result, "exec", error);

  PQclear (result);
  return ok;
}

static void
pg_disconnect (SvDbConn *conn)
{
  PgConn *self = (PgConn *) conn;

  g_hash_table_unref (self->prepared);
  PQfinish (self->pg);
  g_free (self);
}

static SvDbConn *
pg_connect (const char  *location,
            GError     **error)
{
  PgConn *self;
  PGconn *pg = PQconnectdb (location);

  if (pg == NULL || PQstatus (pg) != CONNECTION_OK)
    {
      g_autofree char *message = g_strdup (pg != NULL ? PQerrorMessage (pg) : "out of memory");

      g_set_error (error, SV_DB_ERROR, SV_DB_ERROR_UNAVAILABLE,
                   "Cannot connect to PostgreSQL: %s", g_strchomp (message));
      PQfinish (pg);
      return NULL;
    }
  PQsetNoticeProcessor (pg, notice_ignore, NULL);

  self = g_new0 (PgConn, 1);
  self->parent.driver = &sv_db_driver_pgsql;
  self->pg = pg;
  self->prepared = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, pg_prepared_free);

  if (!pg_exec (&self->parent, "SET client_min_messages = warning", error))
    {
      pg_disconnect (&self->parent);
      return NULL;
    }
  return &self->parent;
}

static gboolean
pg_is_usable (SvDbConn *conn)
{
  PgConn *self = (PgConn *) conn;

  return PQstatus (self->pg) == CONNECTION_OK &&
         PQtransactionStatus (self->pg) == PQTRANS_IDLE;
}

static gboolean
pg_begin (SvDbConn    *conn,
          SvDbTxnMode  mode,
          GError     **error)
{
  return pg_exec (conn,
                  mode == SV_DB_WRITE
                    ? "BEGIN ISOLATION LEVEL SERIALIZABLE"
                    : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
                  error);
}

static gboolean
pg_commit (SvDbConn *conn,
           GError  **error)
{
  PgConn *self = (PgConn *) conn;
  PGresult *result = PQexec (self->pg, "COMMIT");
  gboolean ok = check_result (self->pg, result, "commit", error);

  /* COMMIT of an aborted transaction answers ROLLBACK, not an error */
  if (ok && g_strcmp0 (PQcmdStatus (result), "ROLLBACK") == 0)
    {
      g_set_error (error, SV_DB_ERROR, SV_DB_ERROR_FAILED,
                   "PostgreSQL: the transaction was rolled back");
      ok = FALSE;
    }
  PQclear (result);
  return ok;
}

static void
pg_rollback (SvDbConn *conn)
{
  PgConn *self = (PgConn *) conn;

  if (PQstatus (self->pg) == CONNECTION_OK &&
      PQtransactionStatus (self->pg) != PQTRANS_IDLE)
    PQclear (PQexec (self->pg, "ROLLBACK"));
}

/* `?` -> `$1`, `$2`, ... outside quotes */
static char *
rewrite_placeholders (const char *sql,
                      guint      *n_params)
{
  GString *out = g_string_sized_new (strlen (sql) + 16);
  char quote = 0;

  *n_params = 0;
  for (const char *p = sql; *p != '\0'; p++)
    {
      if (quote != 0)
        {
          if (*p == quote)
            quote = 0;
          g_string_append_c (out, *p);
        }
      else if (*p == '\'' || *p == '"')
        {
          quote = *p;
          g_string_append_c (out, *p);
        }
      else if (*p == '?')
        g_string_append_printf (out, "$%u", ++*n_params);
      else
        g_string_append_c (out, *p);
    }
  return g_string_free (out, FALSE);
}

static SvDbStmt *
pg_prepare (SvDbConn   *conn,
            const char *sql,
            GError    **error)
{
  PgConn *self = (PgConn *) conn;
  PgPrepared *prepared = g_hash_table_lookup (self->prepared, sql);
  PgStmt *stmt;

  if (prepared == NULL)
    {
      g_autofree char *text = NULL;
      PGresult *result;
      guint n_params;

      prepared = g_new0 (PgPrepared, 1);
      prepared->name = g_strdup_printf ("sv%u", self->next_id++);
      text = rewrite_placeholders (sql, &n_params);
      prepared->n_params = n_params;
      result = PQprepare (self->pg, prepared->name, text, 0, NULL);
      if (!check_result (self->pg, result, "prepare", error))
        {
          PQclear (result);
          pg_prepared_free (prepared);
          return NULL;
        }
      PQclear (result);
      g_hash_table_insert (self->prepared, g_strdup (sql), prepared);
    }

  stmt = g_new0 (PgStmt, 1);
  stmt->parent.conn = conn;
  stmt->prepared = prepared;
  stmt->values = g_new0 (char *, MAX (prepared->n_params, 1));
  stmt->lengths = g_new0 (int, MAX (prepared->n_params, 1));
  stmt->formats = g_new0 (int, MAX (prepared->n_params, 1));
  return &stmt->parent;
}

static void
set_param (PgStmt *stmt,
           guint   index,
           char   *value,
           int     length,
           int     format)
{
  g_return_if_fail (index >= 1 && index <= stmt->prepared->n_params);
  g_free (stmt->values[index - 1]);
  stmt->values[index - 1] = value;
  stmt->lengths[index - 1] = length;
  stmt->formats[index - 1] = format;
}

static void
pg_bind_int64 (SvDbStmt *stmt,
               guint     index,
               gint64    value)
{
  set_param ((PgStmt *) stmt, index, g_strdup_printf ("%" G_GINT64_FORMAT, value), 0, 0);
}

static void
pg_bind_text (SvDbStmt   *stmt,
              guint       index,
              const char *value)
{
  set_param ((PgStmt *) stmt, index, g_strdup (value), 0, 0);
}

static void
pg_bind_blob (SvDbStmt   *stmt,
              guint       index,
              const void *data,
              gsize       len)
{
  /* g_malloc (0) is NULL, which would bind NULL: keep a byte */
  char *copy = g_malloc (MAX (len, 1));

  if (len > 0)
    memcpy (copy, data, len);
  set_param ((PgStmt *) stmt, index, copy, (int) len, 1);
}

static void
pg_bind_null (SvDbStmt *stmt,
              guint     index)
{
  set_param ((PgStmt *) stmt, index, NULL, 0, 0);
}

static gboolean
pg_step (SvDbStmt *stmt,
         GError  **error)
{
  PgStmt *self = (PgStmt *) stmt;
  PgConn *conn = (PgConn *) stmt->conn;

  if (!self->executed)
    {
      const char *changes;

      self->executed = TRUE;
      self->result = PQexecPrepared (conn->pg, self->prepared->name,
                                     (int) self->prepared->n_params,
                                     (const char * const *) self->values,
                                     self->lengths, self->formats, 1);
      if (!check_result (conn->pg, self->result, "step", error))
        {
          self->n_rows = 0;
          return FALSE;
        }
      self->n_rows = PQntuples (self->result);
      self->row = -1;
      changes = PQcmdTuples (self->result);
      self->changes = changes != NULL && *changes != '\0' ? g_ascii_strtoll (changes, NULL, 10) : 0;
    }
  if (self->row + 1 < self->n_rows)
    {
      self->row++;
      return TRUE;
    }
  self->row = self->n_rows;
  return FALSE;
}

static gint64
pg_changes (SvDbStmt *stmt)
{
  return ((PgStmt *) stmt)->changes;
}

static gboolean
pg_column_is_null (SvDbStmt *stmt,
                   guint     column)
{
  PgStmt *self = (PgStmt *) stmt;

  return PQgetisnull (self->result, self->row, column);
}

static gint64
pg_column_int64 (SvDbStmt *stmt,
                 guint     column)
{
  PgStmt *self = (PgStmt *) stmt;
  const guint8 *p;

  if (PQgetisnull (self->result, self->row, column))
    return 0;
  p = (const guint8 *) PQgetvalue (self->result, self->row, column);
  switch (PQftype (self->result, column))
    {
    case INT8OID:
      {
        guint64 v = 0;

        for (guint i = 0; i < 8; i++)
          v = (v << 8) | p[i];
        return (gint64) v;
      }
    case INT4OID:
      return (gint32) (((guint32) p[0] << 24) | ((guint32) p[1] << 16) |
                       ((guint32) p[2] << 8) | p[3]);
    case INT2OID:
      return (gint16) (((guint16) p[0] << 8) | p[1]);
    case BOOLOID:
      return p[0] != 0;
    default:
      /* text-like types come as their text */
      return g_ascii_strtoll ((const char *) p, NULL, 10);
    }
}

static const char *
pg_column_text (SvDbStmt *stmt,
                guint     column)
{
  PgStmt *self = (PgStmt *) stmt;

  if (PQgetisnull (self->result, self->row, column))
    return NULL;
  /* binary text is the text; libpq appends a NUL */
  return PQgetvalue (self->result, self->row, column);
}

static const void *
pg_column_blob (SvDbStmt *stmt,
                guint     column,
                gsize    *len)
{
  PgStmt *self = (PgStmt *) stmt;

  *len = PQgetlength (self->result, self->row, column);
  return PQgetvalue (self->result, self->row, column);
}

static void
pg_finish (SvDbStmt *stmt)
{
  PgStmt *self = (PgStmt *) stmt;

  for (guint i = 0; i < self->prepared->n_params; i++)
    g_free (self->values[i]);
  g_free (self->values);
  g_free (self->lengths);
  g_free (self->formats);
  PQclear (self->result);
  g_free (self);
}

const SvDbDriver sv_db_driver_pgsql = {
  .name = "postgresql",
  .type_names = {
    [SV_DB_TYPE_BLOB] = "BYTEA",
    [SV_DB_TYPE_ID] = "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
    [SV_DB_TYPE_BIGINT] = "BIGINT",
  },
  /* two nodes starting at once must not both migrate */
  .schema_lock = "SELECT pg_advisory_xact_lock(1937007734)",
  .connect = pg_connect,
  .disconnect = pg_disconnect,
  .is_usable = pg_is_usable,
  .exec = pg_exec,
  .begin = pg_begin,
  .commit = pg_commit,
  .rollback = pg_rollback,
  .prepare = pg_prepare,
  .bind_int64 = pg_bind_int64,
  .bind_text = pg_bind_text,
  .bind_blob = pg_bind_blob,
  .bind_null = pg_bind_null,
  .step = pg_step,
  .changes = pg_changes,
  .column_is_null = pg_column_is_null,
  .column_int64 = pg_column_int64,
  .column_text = pg_column_text,
  .column_blob = pg_column_blob,
  .finish = pg_finish,
};
