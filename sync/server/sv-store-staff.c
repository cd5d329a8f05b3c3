/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Staff accounts, the audit log, restore codes and consents.
 * See sv-store.c for how the operations run.
 */
#define G_LOG_DOMAIN "sv-store"

#include "config.h"

#include <string.h>

#include <sodium.h>

#include "sv-store-private.h"

/* ------------------------------------------------------------------------ */
/* Staff                                                                    */

static gboolean
check_staff_name (const char *name,
                  GError    **error)
{
  gsize len = name != NULL ? strlen (name) : 0;

  if (len == 0 || len > 64)
    goto bad;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalnum (name[i]) && strchr ("._@-", name[i]) == NULL)
      goto bad;
  return TRUE;

bad:
  g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID,
               "A staff name is 1 to 64 letters, digits and . _ @ -");
  return FALSE;
}

typedef struct
{
  SvStore    *store;
  const char *name;
  const char *hash;
  SvStoreStaff    *staff;       /* out (add) */
  char       *stored_hash; /* out (load) */
  GPtrArray  *list;        /* out (list) */
} StaffContext;

static gboolean
staff_add_txn (SvDbConn *conn,
               gpointer  user_data,
               GError  **error)
{
  StaffContext *ctx = user_data;
  gint64 id;
  gint64 now = sv_store_now (ctx->store);

  g_clear_pointer (&ctx->staff, sv_store_staff_free);
  if (!sv_store_insert_returning_id (conn,
                                     "INSERT INTO staff (name, password_hash, created_at) VALUES (?, ?, ?)"
                                     " ON CONFLICT (name) DO NOTHING RETURNING id",
                                     SV_STORE_PARAMS (SV_STORE_TEXT (ctx->name),
                                                      SV_STORE_TEXT (ctx->hash),
                                                      SV_STORE_INT64 (now)),
                                     &id, error))
    return FALSE;
  if (id == 0)
    {
      g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_CONFLICT,
                   "There is already a staff member “%s”", ctx->name);
      return FALSE;
    }
  ctx->staff = g_new0 (SvStoreStaff, 1);
  ctx->staff->id = id;
  ctx->staff->name = g_strdup (ctx->name);
  ctx->staff->created_at = now;
  return TRUE;
}

SvStoreStaff *
sv_store_staff_add (SvStore    *store,
                    const char *name,
                    const char *password,
                    GError    **error)
{
  g_autofree char *hash = NULL;
  StaffContext ctx = { store, name, };

  if (!check_staff_name (name, error) || !sv_store_check_password (password, error))
    return NULL;
  hash = sv_store_hash_password (store, password, error);
  if (hash == NULL)
    return NULL;
  ctx.hash = hash;
  return sv_store_run_result (store, SV_DB_WRITE, staff_add_txn, &ctx,
                              (gpointer *) &ctx.staff, (GDestroyNotify) sv_store_staff_free, error);
}

/* id, name, created_at, password_hash: the hash is kept for a lookup by
 * name (a login) */
static gpointer
staff_from_row (SvDbStmt *stmt,
                gpointer  user_data)
{
  StaffContext *ctx = user_data;
  SvStoreStaff *staff = g_new0 (SvStoreStaff, 1);

  staff->id = sv_db_stmt_column_int64 (stmt, 0);
  staff->name = sv_db_stmt_dup_text (stmt, 1);
  staff->created_at = sv_db_stmt_column_int64 (stmt, 2);
  if (ctx->name != NULL)
    {
      g_free (ctx->stored_hash);
      ctx->stored_hash = sv_db_stmt_dup_text (stmt, 3);
    }
  return staff;
}

static gboolean
staff_list_txn (SvDbConn *conn,
                gpointer  user_data,
                GError  **error)
{
  StaffContext *ctx = user_data;
  g_autoptr(SvDbStmt) stmt = NULL;

  g_clear_pointer (&ctx->list, g_ptr_array_unref);
  ctx->list = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_store_staff_free);
  if (ctx->name != NULL)
    stmt = sv_store_prepare (conn, "SELECT id, name, created_at, password_hash FROM staff WHERE name = ?",
                             SV_STORE_PARAMS (SV_STORE_TEXT (ctx->name)), error);
  else
    stmt = sv_db_prepare (conn, "SELECT id, name, created_at, password_hash FROM staff ORDER BY name", error);
  if (stmt == NULL)
    return FALSE;
  return sv_store_collect_rows (stmt, staff_from_row, ctx, ctx->list, error);
}

GPtrArray *
sv_store_staff_list (SvStore *store,
                     GError **error)
{
  StaffContext ctx = { store, };

  return sv_store_run_result (store, SV_DB_READ, staff_list_txn, &ctx,
                              (gpointer *) &ctx.list, (GDestroyNotify) g_ptr_array_unref, error);
}

static gboolean
staff_remove_txn (SvDbConn *conn,
                  gpointer  user_data,
                  GError  **error)
{
  StaffContext *ctx = user_data;
  gint64 changes;

  if (!sv_store_exec (conn,
                      "DELETE FROM sessions WHERE staff_id IN (SELECT id FROM staff WHERE name = ?)",
                      SV_STORE_PARAMS (SV_STORE_TEXT (ctx->name)),
                      NULL, error))
    return FALSE;

  if (!sv_store_exec (conn, "DELETE FROM staff WHERE name = ?",
                      SV_STORE_PARAMS (SV_STORE_TEXT (ctx->name)),
                      &changes, error))
    return FALSE;
  if (changes == 0)
    {
      g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND,
                   "There is no staff member “%s”", ctx->name);
      return FALSE;
    }
  return TRUE;
}

gboolean
sv_store_staff_remove (SvStore    *store,
                       const char *name,
                       GError    **error)
{
  StaffContext ctx = { store, name, };

  return sv_store_run (store, SV_DB_WRITE, staff_remove_txn, &ctx, error);
}

SvStoreSession *
sv_store_staff_login (SvStore    *store,
                      const char *name,
                      const char *password,
                      const char *client_addr,
                      gint64     *retry_after_sec,
                      GError    **error)
{
  g_autofree char *name_key = g_strconcat ("staff:", name != NULL ? name : "", NULL);
  g_autofree char *addr_key = client_addr != NULL ? g_strconcat ("addr:", client_addr, NULL) : NULL;
  StaffContext ctx = { store, name, };
  SvStoreStaff *staff;
  gboolean ok;
  gint64 staff_id;

  if (!sv_store_rate_check (store, name_key, addr_key, retry_after_sec, error))
    return NULL;
  if (name == NULL || !sv_store_run (store, SV_DB_READ, staff_list_txn, &ctx, error))
    {
      if (name == NULL)
        sv_store_login_failed (store, name_key, addr_key, "The staff name or the password is wrong", error);
      g_clear_pointer (&ctx.list, g_ptr_array_unref);
      return NULL;
    }
  staff = ctx.list->len > 0 ? g_ptr_array_index (ctx.list, 0) : NULL;
  ok = sv_store_verify_password (staff != NULL ? ctx.stored_hash : store->dummy_hash, password) && staff != NULL;
  staff_id = staff != NULL ? staff->id : 0;
  if (ok)
    sv_store_rehash_if_needed (store, "staff", staff_id, ctx.stored_hash, password);
  g_clear_pointer (&ctx.list, g_ptr_array_unref);
  g_clear_pointer (&ctx.stored_hash, g_free);
  if (!ok)
    {
      sv_store_login_failed (store, name_key, addr_key, "The staff name or the password is wrong", error);
      return NULL;
    }
  sv_store_login_succeeded (store, name_key);
  return sv_store_session_create (store, SV_STORE_SESSION_STAFF, 0, staff_id, error);
}

/* ------------------------------------------------------------------------ */
/* Audit                                                                    */

gboolean
sv_store_audit_insert (SvDbConn   *conn,
                       SvStore    *store,
                       gint64      account_id,
                       gint64      staff_id,
                       const char *iccid,
                       const char *action,
                       const char *detail,
                       GError    **error)
{
  return sv_store_exec (conn,
                        "INSERT INTO audit (account_id, at, staff_name, iccid, action, detail)"
                        " VALUES (?, ?, (SELECT name FROM staff WHERE id = ?), ?, ?, ?)",
                        SV_STORE_PARAMS (SV_STORE_INT64 (account_id),
                                         SV_STORE_INT64 (sv_store_now (store)),
                                         SV_STORE_INT64 (staff_id),
                                         SV_STORE_TEXT (iccid),
                                         SV_STORE_TEXT (action),
                                         SV_STORE_TEXT (detail)),
                        NULL, error);
}

typedef struct
{
  SvStore    *store;
  gint64      account_id;
  gint64      staff_id;
  const char *iccid;
  const char *action;
  const char *detail;
  gint64      before_id;
  guint       limit;
  GPtrArray  *list;     /* out */
} AuditContext;

static gboolean
audit_append_txn (SvDbConn *conn,
                  gpointer  user_data,
                  GError  **error)
{
  AuditContext *ctx = user_data;

  return sv_store_audit_insert (conn, ctx->store, ctx->account_id, ctx->staff_id,
                                ctx->iccid, ctx->action, ctx->detail, error);
}

gboolean
sv_store_audit_append (SvStore    *store,
                       gint64      account_id,
                       gint64      staff_id,
                       const char *iccid,
                       const char *action,
                       const char *detail,
                       GError    **error)
{
  AuditContext ctx = { store, account_id, staff_id, iccid, action, detail, };

  g_return_val_if_fail (action != NULL, FALSE);
  return sv_store_run (store, SV_DB_WRITE, audit_append_txn, &ctx, error);
}

/* id, at, staff_name, iccid, action, detail */
static gpointer
audit_entry_from_row (SvDbStmt *stmt,
                      gpointer  user_data)
{
  AuditContext *ctx = user_data;
  SvStoreAuditEntry *entry = g_new0 (SvStoreAuditEntry, 1);

  entry->id = sv_db_stmt_column_int64 (stmt, 0);
  entry->at = sv_db_stmt_column_int64 (stmt, 1);
  entry->account_id = ctx->account_id;
  entry->staff_name = sv_db_stmt_dup_text (stmt, 2);
  entry->iccid = sv_db_stmt_dup_text (stmt, 3);
  entry->action = sv_db_stmt_dup_text (stmt, 4);
  entry->detail = sv_db_stmt_dup_text (stmt, 5);
  return entry;
}

static gboolean
audit_list_txn (SvDbConn *conn,
                gpointer  user_data,
                GError  **error)
{
  AuditContext *ctx = user_data;
  g_autoptr(SvDbStmt) stmt = NULL;

  g_clear_pointer (&ctx->list, g_ptr_array_unref);
  ctx->list = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_store_audit_entry_free);
  stmt = sv_store_prepare (conn,
                           "SELECT id, at, staff_name, iccid, action, detail FROM audit"
                           " WHERE account_id = ? AND id < ? ORDER BY id DESC LIMIT ?",
                           SV_STORE_PARAMS (SV_STORE_INT64 (ctx->account_id),
                                            SV_STORE_INT64 (ctx->before_id > 0 ? ctx->before_id : G_MAXINT64),
                                            SV_STORE_INT64 (ctx->limit)),
                           error);
  if (stmt == NULL)
    return FALSE;
  return sv_store_collect_rows (stmt, audit_entry_from_row, ctx, ctx->list, error);
}

GPtrArray *
sv_store_audit_list (SvStore *store,
                     gint64   account_id,
                     gint64   before_id,
                     guint    limit,
                     GError **error)
{
  AuditContext ctx = { store, account_id, };

  ctx.before_id = before_id;
  ctx.limit = limit == 0 ? DEFAULT_AUDIT_LIMIT : MIN (limit, MAX_AUDIT_LIMIT);
  return sv_store_run_result (store, SV_DB_READ, audit_list_txn, &ctx,
                              (gpointer *) &ctx.list, (GDestroyNotify) g_ptr_array_unref, error);
}

/* ------------------------------------------------------------------------ */
/* Restore codes and consents                                               */

/* Crockford base32: no I, L, O, U; read back case-insensitively with the
 * look-alikes mapped. */
static const char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

static char *
restore_code_normalize (const char *code)
{
  g_autoptr(GString) out = g_string_new (NULL);

  for (const char *p = code; *p != '\0'; p++)
    {
      char c = g_ascii_toupper (*p);

      if (c == '-' || c == ' ')
        continue;
      if (c == 'O')
        c = '0';
      else if (c == 'I' || c == 'L')
        c = '1';
      if (strchr (crockford, c) == NULL || c == '\0')
        return NULL;
      g_string_append_c (out, c);
    }
  if (out->len != 8)
    return NULL;
  return g_string_free (g_steal_pointer (&out), FALSE);
}

typedef struct
{
  SvStore    *store;
  gint64      account_id;
  gint64      staff_id;
  guint8      hash[HASH_BYTES];
  gint64      expires_at;
  gboolean    accepted;      /* out (consume) */
  SvStoreSession  *session;       /* out (consume) */
} CodeContext;

static gboolean
restore_code_insert_txn (SvDbConn *conn,
                         gpointer  user_data,
                         GError  **error)
{
  CodeContext *ctx = user_data;

  return sv_store_exec (conn,
                        "INSERT INTO restore_codes (code_hash, account_id, created_at, expires_at)"
                        " VALUES (?, ?, ?, ?)",
                        SV_STORE_PARAMS (SV_STORE_BLOB (ctx->hash, HASH_BYTES),
                                         SV_STORE_INT64 (ctx->account_id),
                                         SV_STORE_INT64 (sv_store_now (ctx->store)),
                                         SV_STORE_INT64 (ctx->expires_at)),
                        NULL, error);
}

char *
sv_store_restore_code_create (SvStore *store,
                              gint64   account_id,
                              gint64  *expires_at,
                              GError **error)
{
  CodeContext ctx = { store, account_id, };
  guint8 random[5];
  guint64 bits = 0;
  char code[10];

  randombytes_buf (random, sizeof random);
  for (guint i = 0; i < sizeof random; i++)
    bits = (bits << 8) | random[i];
  for (guint i = 0, j = 0; i < 8; i++)
    {
      if (i == 4)
        code[j++] = '-';
      code[j++] = crockford[(bits >> (35 - 5 * i)) & 0x1f];
      code[j] = '\0';
    }

  {
    g_autofree char *normal = restore_code_normalize (code);

    sv_store_hash_buffer (ctx.hash, normal, strlen (normal));
  }
  ctx.expires_at = sv_store_now (store) + SV_STORE_RESTORE_CODE_USEC;
  if (!sv_store_run (store, SV_DB_WRITE, restore_code_insert_txn, &ctx, error))
    return NULL;
  if (expires_at != NULL)
    *expires_at = ctx.expires_at;
  return g_strdup (code);
}

/* Spends the code whatever happens; accepted only if it is the account's
 * and has not expired. The delegated session is made in the same
 * transaction. */
static gboolean
restore_code_consume_txn (SvDbConn *conn,
                          gpointer  user_data,
                          GError  **error)
{
  CodeContext *ctx = user_data;
  g_autoptr(SvDbStmt) stmt = NULL;
  gboolean found;

  ctx->accepted = FALSE;
  g_clear_pointer (&ctx->session, sv_store_session_free);

  stmt = sv_store_prepare (conn,
                           "DELETE FROM restore_codes WHERE code_hash = ? RETURNING account_id, expires_at",
                           SV_STORE_PARAMS (SV_STORE_BLOB (ctx->hash, HASH_BYTES)),
                           error);
  if (stmt == NULL)
    return FALSE;
  if (!sv_store_step_one (stmt, &found, error))
    return FALSE;
  if (found)
    ctx->accepted = sv_db_stmt_column_int64 (stmt, 0) == ctx->account_id &&
                    sv_db_stmt_column_int64 (stmt, 1) > sv_store_now (ctx->store);
  if (!sv_db_stmt_run (stmt, error))
    return FALSE;
  if (!ctx->accepted)
    return TRUE;

  ctx->session = sv_store_session_insert (conn, ctx->store, SV_STORE_SESSION_DELEGATED,
                                          ctx->account_id, ctx->staff_id, error);
  if (ctx->session == NULL || !sv_store_session_fill_names (conn, ctx->session, error))
    return FALSE;
  return sv_store_audit_insert (conn, ctx->store, ctx->account_id, ctx->staff_id, NULL,
                                "consent", "restore code", error);
}

SvStoreSession *
sv_store_consent_create (SvStore    *store,
                         gint64      staff_id,
                         const char *phone,
                         const char *password,
                         const char *restore_code,
                         const char *client_addr,
                         gint64     *retry_after_sec,
                         GError    **error)
{
  g_autofree char *normal = sv_store_normalize_phone (phone, NULL);
  g_autofree char *phone_key = g_strconcat ("phone:", normal != NULL ? normal : "", NULL);
  g_autofree char *addr_key = client_addr != NULL ? g_strconcat ("addr:", client_addr, NULL) : NULL;
  g_autoptr(SvStoreAccount) account = NULL;
  g_autoptr(GError) local_error = NULL;
  const char *failure = "The customer's phone number, password or restore code is wrong";

  g_return_val_if_fail ((password == NULL) != (restore_code == NULL), NULL);
  g_return_val_if_fail (staff_id != 0, NULL);

  if (!sv_store_rate_check (store, phone_key, addr_key, retry_after_sec, error))
    return NULL;

  if (password != NULL)
    {
      SvStoreSessionContext ctx = { store, SV_STORE_SESSION_DELEGATED, 0, staff_id, "consent", "password", };

      account = sv_store_account_verify (store, phone, password, &local_error);
      if (account == NULL)
        {
          if (g_error_matches (local_error, SV_STORE_ERROR, SV_STORE_ERROR_LOGIN_FAILED))
            sv_store_login_failed (store, phone_key, addr_key, failure, error);
          else
            g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
      sv_store_login_succeeded (store, phone_key);
      ctx.account_id = account->id;
      if (!sv_store_run (store, SV_DB_WRITE, sv_store_session_create_txn, &ctx, error))
        {
          g_clear_pointer (&ctx.session, sv_store_session_free);
          return NULL;
        }
      return ctx.session;
    }
  else
    {
      CodeContext ctx = { store, 0, staff_id, };
      g_autofree char *code = restore_code_normalize (restore_code);

      if (normal != NULL)
        account = sv_store_account_load (store, normal, 0, NULL, &local_error);
      if (account == NULL && local_error != NULL &&
          !g_error_matches (local_error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
      if (account == NULL || code == NULL)
        {
          sv_store_login_failed (store, phone_key, addr_key, failure, error);
          return NULL;
        }
      ctx.account_id = account->id;
      sv_store_hash_buffer (ctx.hash, code, strlen (code));
      if (!sv_store_run (store, SV_DB_WRITE, restore_code_consume_txn, &ctx, error))
        {
          g_clear_pointer (&ctx.session, sv_store_session_free);
          return NULL;
        }
      if (!ctx.accepted)
        {
          sv_store_login_failed (store, phone_key, addr_key, failure, error);
          return NULL;
        }
      sv_store_login_succeeded (store, phone_key);
      return ctx.session;
    }
}
