/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The driver table behind sv-db.h (Dovecot sql-api-private.h). A driver
 * subclasses SvDbConn and SvDbStmt by putting them first in its structs.
 */
#pragma once

#include "sv-db.h"

G_BEGIN_DECLS

typedef struct _SvDbDriver SvDbDriver;

struct _SvDbConn
{
  const SvDbDriver *driver;
};

struct _SvDbStmt
{
  SvDbConn *conn;
};

struct _SvDbDriver
{
  const char *name;
  const char *type_names[3];   /* by SvDbTypeName */
  /* run first in the migration transaction, NULL if the write lock is
   * enough (SQLite BEGIN IMMEDIATE) */
  const char *schema_lock;

  /* @location is what follows the driver's prefix */
  SvDbConn   *(*connect)        (const char *location,
                                 GError    **error);
  void        (*disconnect)     (SvDbConn   *conn);
  /* FALSE when the connection cannot be used again (dropped by the server) */
  gboolean    (*is_usable)      (SvDbConn   *conn);
  gboolean    (*exec)           (SvDbConn   *conn,
                                 const char *sql,
                                 GError    **error);
  gboolean    (*begin)          (SvDbConn   *conn,
                                 SvDbTxnMode mode,
                                 GError    **error);
  gboolean    (*commit)         (SvDbConn   *conn,
                                 GError    **error);
  void        (*rollback)       (SvDbConn   *conn);

  SvDbStmt   *(*prepare)        (SvDbConn   *conn,
                                 const char *sql,
                                 GError    **error);
  void        (*bind_int64)     (SvDbStmt   *stmt,
                                 guint       index,
                                 gint64      value);
  void        (*bind_text)      (SvDbStmt   *stmt,
                                 guint       index,
                                 const char *value);
  void        (*bind_blob)      (SvDbStmt   *stmt,
                                 guint       index,
                                 const void *data,
                                 gsize       len);
  void        (*bind_null)      (SvDbStmt   *stmt,
                                 guint       index);
  gboolean    (*step)           (SvDbStmt   *stmt,
                                 GError    **error);
  gint64      (*changes)        (SvDbStmt   *stmt);
  gboolean    (*column_is_null) (SvDbStmt   *stmt,
                                 guint       column);
  gint64      (*column_int64)   (SvDbStmt   *stmt,
                                 guint       column);
  const char *(*column_text)    (SvDbStmt   *stmt,
                                 guint       column);
  const void *(*column_blob)    (SvDbStmt   *stmt,
                                 guint       column,
                                 gsize      *len);
  /* reset, clear bindings, give back to the connection's cache */
  void        (*finish)         (SvDbStmt   *stmt);
};

extern const SvDbDriver sv_db_driver_sqlite;
#ifdef SV_HAVE_PGSQL
extern const SvDbDriver sv_db_driver_pgsql;
#endif

G_END_DECLS
