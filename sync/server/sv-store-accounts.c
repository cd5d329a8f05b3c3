/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Accounts, the rate limits of logins, and sessions.
 * See sv-store.c for how the operations run.
 */
#define G_LOG_DOMAIN "sv-store"

#include "config.h"

#include <string.h>

#include "sv-store-private.h"

/* ------------------------------------------------------------------------ */
/* Accounts                                                                 */

#define ACCOUNT_COLUMNS "id, phone, counter_b, created_at, password_hash"

static SvStoreAccount *
account_from_row (SvDbStmt *stmt)
{
  SvStoreAccount *account = g_new0 (SvStoreAccount, 1);

  account->id = sv_db_stmt_column_int64 (stmt, 0);
  account->phone = sv_db_stmt_dup_text (stmt, 1);
  account->counter_b = sv_db_stmt_column_int64 (stmt, 2);
  account->created_at = sv_db_stmt_column_int64 (stmt, 3);
  return account;
}

void
sv_store_account_context_clear (SvStoreAccountContext *ctx)
{
  g_clear_pointer (&ctx->account, sv_store_account_free);
  g_clear_pointer (&ctx->stored_hash, g_free);
}

static gboolean
account_load_txn (SvDbConn *conn,
                  gpointer  user_data,
                  GError  **error)
{
  SvStoreAccountContext *ctx = user_data;
  g_autoptr(SvDbStmt) stmt = NULL;
  gboolean found;

  sv_store_account_context_clear (ctx);
  if (ctx->phone != NULL)
    {
      stmt = sv_store_prepare (conn, "SELECT " ACCOUNT_COLUMNS " FROM accounts WHERE phone = ?",
                               SV_STORE_PARAMS (SV_STORE_TEXT (ctx->phone)),
                               error);
      if (stmt == NULL)
        return FALSE;
    }
  else
    {
      stmt = sv_store_prepare (conn, "SELECT " ACCOUNT_COLUMNS " FROM accounts WHERE id = ?",
                               SV_STORE_PARAMS (SV_STORE_INT64 (ctx->account_id)),
                               error);
      if (stmt == NULL)
        return FALSE;
    }
  if (!sv_store_step_one (stmt, &found, error))
    return FALSE;
  if (found)
    {
      ctx->account = account_from_row (stmt);
      ctx->stored_hash = sv_db_stmt_dup_text (stmt, 4);
    }
  return TRUE;
}

gboolean
sv_store_account_insert (SvDbConn       *conn,
                         SvStoreAccountContext *ctx,
                         GError        **error)
{
  gint64 id;
  gint64 now = sv_store_now (ctx->store);

  if (!sv_store_insert_returning_id (conn,
                                     "INSERT INTO accounts (phone, password_hash, counter_b, created_at)"
                                     " VALUES (?, ?, 0, ?) ON CONFLICT (phone) DO NOTHING RETURNING id",
                                     SV_STORE_PARAMS (SV_STORE_TEXT (ctx->phone),
                                                      SV_STORE_TEXT (ctx->hash),
                                                      SV_STORE_INT64 (now)),
                                     &id, error))
    return FALSE;
  if (id == 0)
    {
      g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_CONFLICT,
                   "This phone number already has an account");
      return FALSE;
    }
  ctx->account = g_new0 (SvStoreAccount, 1);
  ctx->account->id = id;
  ctx->account->phone = g_strdup (ctx->phone);
  ctx->account->created_at = now;
  return TRUE;
}

static gboolean
account_create_txn (SvDbConn *conn,
                    gpointer  user_data,
                    GError  **error)
{
  SvStoreAccountContext *ctx = user_data;

  sv_store_account_context_clear (ctx);
  return sv_store_account_insert (conn, ctx, error);
}

SvStoreAccount *
sv_store_account_create (SvStore    *store,
                         const char *phone,
                         const char *password,
                         GError    **error)
{
  g_autofree char *normal = NULL;
  g_autofree char *hash = NULL;
  SvStoreAccountContext ctx = { store, };
  gboolean ok;

  normal = sv_store_normalize_phone (phone, error);
  if (normal == NULL || !sv_store_check_password (password, error))
    return NULL;
  hash = sv_store_hash_password (store, password, error);
  if (hash == NULL)
    return NULL;

  ctx.phone = normal;
  ctx.hash = hash;
  ok = sv_store_run (store, SV_DB_WRITE, account_create_txn, &ctx, error);
  g_clear_pointer (&ctx.stored_hash, g_free);
  if (!ok)
    {
      sv_store_account_context_clear (&ctx);
      return NULL;
    }
  return ctx.account;
}

SvStoreAccount *
sv_store_account_load (SvStore    *store,
                       const char *phone,
                       gint64      account_id,
                       char      **stored_hash,
                       GError    **error)
{
  SvStoreAccountContext ctx = { store, phone, account_id, };

  if (!sv_store_run (store, SV_DB_READ, account_load_txn, &ctx, error))
    {
      sv_store_account_context_clear (&ctx);
      return NULL;
    }
  if (ctx.account == NULL)
    {
      g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND,
                   "No such account");
      return NULL;
    }
  if (stored_hash != NULL)
    *stored_hash = g_steal_pointer (&ctx.stored_hash);
  g_clear_pointer (&ctx.stored_hash, g_free);
  return ctx.account;
}

SvStoreAccount *
sv_store_account_get (SvStore *store,
                      gint64   account_id,
                      GError **error)
{
  return sv_store_account_load (store, NULL, account_id, NULL, error);
}

SvStoreAccount *
sv_store_account_lookup (SvStore    *store,
                         const char *phone,
                         GError    **error)
{
  g_autofree char *normal = sv_store_normalize_phone (phone, error);

  if (normal == NULL)
    return NULL;
  return sv_store_account_load (store, normal, 0, NULL, error);
}

typedef struct
{
  const char *sql;
  gint64      id;
  const char *old_hash;
  const char *new_hash;
} RehashContext;

static gboolean
rehash_txn (SvDbConn  *conn,
            gpointer   user_data,
            GError   **error)
{
  RehashContext *ctx = user_data;

  return sv_store_exec (conn, ctx->sql,
                        SV_STORE_PARAMS (SV_STORE_TEXT (ctx->new_hash),
                                         SV_STORE_INT64 (ctx->id),
                                         SV_STORE_TEXT (ctx->old_hash)),
                        NULL, error);
}

void
sv_store_rehash_if_needed (SvStore    *store,
                           const char *table,
                           gint64      id,
                           const char *old_hash,
                           const char *password)
{
  g_autofree char *new_hash = NULL;
  g_autoptr(GError) local_error = NULL;
  RehashContext ctx = { NULL, id, old_hash, };

  if (!sv_store_password_needs_rehash (store, old_hash))
    return;
  new_hash = sv_store_hash_password (store, password, &local_error);
  ctx.new_hash = new_hash;
  ctx.sql = g_str_equal (table, "staff")
            ? "UPDATE staff SET password_hash = ? WHERE id = ? AND password_hash = ?"
            : "UPDATE accounts SET password_hash = ? WHERE id = ? AND password_hash = ?";
  if (new_hash == NULL || !sv_store_run (store, SV_DB_WRITE, rehash_txn, &ctx, &local_error))
    g_message ("Could not store a new password hash: %s", local_error->message);
}

SvStoreAccount *
sv_store_account_verify (SvStore    *store,
                         const char *phone,
                         const char *password,
                         GError    **error)
{
  g_autofree char *normal = NULL;
  g_autofree char *hash = NULL;
  g_autoptr(SvStoreAccount) account = NULL;
  g_autoptr(GError) local_error = NULL;

  normal = sv_store_normalize_phone (phone, NULL);
  if (normal != NULL)
    account = sv_store_account_load (store, normal, 0, &hash, &local_error);
  if (account == NULL && local_error != NULL &&
      !g_error_matches (local_error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  /* an unknown phone costs the same time as a wrong password */
  if (!sv_store_verify_password (account != NULL ? hash : store->dummy_hash, password) ||
      account == NULL)
    {
      g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_LOGIN_FAILED,
                   "The phone number or the password is wrong");
      return NULL;
    }
  sv_store_rehash_if_needed (store, "accounts", account->id, hash, password);
  return g_steal_pointer (&account);
}

typedef struct
{
  gint64        account_id;
  const char   *hash;
  const guint8 *keep_hash;   /* nullable */
} PasswordContext;

static gboolean
account_set_password_txn (SvDbConn *conn,
                          gpointer  user_data,
                          GError  **error)
{
  PasswordContext *ctx = user_data;
  gint64 changes;

  if (!sv_store_exec (conn, "UPDATE accounts SET password_hash = ? WHERE id = ?",
                      SV_STORE_PARAMS (SV_STORE_TEXT (ctx->hash),
                                       SV_STORE_INT64 (ctx->account_id)),
                      &changes, error))
    return FALSE;
  if (changes != 1)
    {
      g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND, "No such account");
      return FALSE;
    }

  /* every other session and delegated token of the account ends (an
   * empty hash matches no session: then all of them end) */
  return sv_store_exec (conn, "DELETE FROM sessions WHERE account_id = ? AND token_hash <> ?",
                        SV_STORE_PARAMS (SV_STORE_INT64 (ctx->account_id),
                                         SV_STORE_BLOB (ctx->keep_hash != NULL ? (const void *) ctx->keep_hash : "",
                                                        ctx->keep_hash != NULL ? HASH_BYTES : 0)),
                        NULL, error);
}

gboolean
sv_store_account_change_password (SvStore    *store,
                                  gint64      account_id,
                                  const char *old_password,
                                  const char *new_password,
                                  const char *keep_session_token,
                                  GError    **error)
{
  g_autoptr(SvStoreAccount) account = NULL;
  g_autofree char *old_hash = NULL;
  g_autofree char *new_hash = NULL;
  guint8 keep[HASH_BYTES];
  PasswordContext ctx = { account_id, };

  if (!sv_store_check_password (new_password, error))
    return FALSE;
  account = sv_store_account_load (store, NULL, account_id, &old_hash, error);
  if (account == NULL)
    return FALSE;
  if (!sv_store_verify_password (old_hash, old_password))
    {
      g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_LOGIN_FAILED,
                   "The current password is wrong");
      return FALSE;
    }
  new_hash = sv_store_hash_password (store, new_password, error);
  if (new_hash == NULL)
    return FALSE;

  ctx.hash = new_hash;
  if (keep_session_token != NULL)
    {
      sv_store_hash_buffer (keep, keep_session_token, strlen (keep_session_token));
      ctx.keep_hash = keep;
    }
  return sv_store_run (store, SV_DB_WRITE, account_set_password_txn, &ctx, error);
}

/* ------------------------------------------------------------------------ */
/* Rate limits                                                              */

typedef struct
{
  SvStore     *store;
  const char  *keys[3];
  gint64       retry_after_sec;   /* out: 0 if not limited */
} RateContext;

static gboolean
rate_check_txn (SvDbConn *conn,
                gpointer  user_data,
                GError  **error)
{
  RateContext *ctx = user_data;
  gint64 now = sv_store_now (ctx->store);

  ctx->retry_after_sec = 0;
  for (guint i = 0; i < G_N_ELEMENTS (ctx->keys) && ctx->keys[i] != NULL; i++)
    {
      g_autoptr(SvDbStmt) stmt = NULL;
      gboolean found;

      stmt = sv_store_prepare (conn, "SELECT window_start, failures FROM rate_limits WHERE key = ?",
                               SV_STORE_PARAMS (SV_STORE_TEXT (ctx->keys[i])),
                               error);
      if (stmt == NULL)
        return FALSE;
      if (!sv_store_step_one (stmt, &found, error))
        return FALSE;
      if (found)
        {
          gint64 end = sv_db_stmt_column_int64 (stmt, 0) + SV_STORE_LOGIN_WINDOW_USEC;
          gint64 failures = sv_db_stmt_column_int64 (stmt, 1);

          if (failures >= SV_STORE_LOGIN_MAX_FAILURES && now < end)
            ctx->retry_after_sec = MAX (ctx->retry_after_sec,
                                        (end - now + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC);
        }
    }
  return TRUE;
}

static gboolean
rate_fail_txn (SvDbConn *conn,
               gpointer  user_data,
               GError  **error)
{
  RateContext *ctx = user_data;
  gint64 now = sv_store_now (ctx->store);

  for (guint i = 0; i < G_N_ELEMENTS (ctx->keys) && ctx->keys[i] != NULL; i++)
    {

      /* a window that has ended starts again at this failure */
      if (!sv_store_exec (conn,
                          "INSERT INTO rate_limits (key, window_start, failures) VALUES (?, ?, 1)"
                          " ON CONFLICT (key) DO UPDATE SET"
                          "  failures = CASE WHEN rate_limits.window_start + ? <= excluded.window_start"
                          "             THEN 1 ELSE rate_limits.failures + 1 END,"
                          "  window_start = CASE WHEN rate_limits.window_start + ? <= excluded.window_start"
                          "             THEN excluded.window_start ELSE rate_limits.window_start END",
                          SV_STORE_PARAMS (SV_STORE_TEXT (ctx->keys[i]),
                                           SV_STORE_INT64 (now),
                                           SV_STORE_INT64 (SV_STORE_LOGIN_WINDOW_USEC),
                                           SV_STORE_INT64 (SV_STORE_LOGIN_WINDOW_USEC)),
                          NULL, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
rate_reset_txn (SvDbConn *conn,
                gpointer  user_data,
                GError  **error)
{
  RateContext *ctx = user_data;

  for (guint i = 0; i < G_N_ELEMENTS (ctx->keys) && ctx->keys[i] != NULL; i++)
    {
      if (!sv_store_exec (conn, "DELETE FROM rate_limits WHERE key = ?",
                          SV_STORE_PARAMS (SV_STORE_TEXT (ctx->keys[i])), NULL, error))
        return FALSE;
    }
  return TRUE;
}

gboolean
sv_store_rate_check (SvStore    *store,
                     const char *key1,
                     const char *key2,
                     gint64     *retry_after_sec,
                     GError    **error)
{
  RateContext ctx = { store, { key1, key2, NULL }, 0 };

  if (retry_after_sec != NULL)
    *retry_after_sec = 0;
  if (!sv_store_run (store, SV_DB_READ, rate_check_txn, &ctx, error))
    return FALSE;
  if (ctx.retry_after_sec > 0)
    {
      if (retry_after_sec != NULL)
        *retry_after_sec = ctx.retry_after_sec;
      g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_RATE_LIMITED,
                   "Too many failed attempts; try again in %" G_GINT64_FORMAT " seconds",
                   ctx.retry_after_sec);
      return FALSE;
    }
  return TRUE;
}

gboolean
sv_store_rate_limit_check (SvStore    *store,
                           const char *key,
                           gint64     *retry_after_sec,
                           GError    **error)
{
  return sv_store_rate_check (store, key, NULL, retry_after_sec, error);
}

gboolean
sv_store_rate_limit_fail (SvStore    *store,
                          const char *key,
                          GError    **error)
{
  RateContext ctx = { store, { key, NULL, NULL }, 0 };

  return sv_store_run (store, SV_DB_WRITE, rate_fail_txn, &ctx, error);
}

gboolean
sv_store_rate_limit_reset (SvStore    *store,
                           const char *key,
                           GError    **error)
{
  RateContext ctx = { store, { key, NULL, NULL }, 0 };

  return sv_store_run (store, SV_DB_WRITE, rate_reset_txn, &ctx, error);
}

void
sv_store_login_failed (SvStore    *store,
                       const char *key1,
                       const char *key2,
                       const char *message,
                       GError    **error)
{
  RateContext ctx = { store, { key1, key2, NULL }, 0 };

  if (sv_store_run (store, SV_DB_WRITE, rate_fail_txn, &ctx, error))
    g_set_error_literal (error, SV_STORE_ERROR, SV_STORE_ERROR_LOGIN_FAILED, message);
}

void
sv_store_login_succeeded (SvStore    *store,
                          const char *key)
{
  RateContext ctx = { store, { key, NULL, NULL }, 0 };
  g_autoptr(GError) local_error = NULL;

  /* not fatal: the window ends by itself */
  if (!sv_store_run (store, SV_DB_WRITE, rate_reset_txn, &ctx, &local_error))
    g_message ("Could not reset the login rate limit: %s", local_error->message);
}

/* ------------------------------------------------------------------------ */
/* Sessions                                                                 */

static gint64
session_lifetime (SvStoreSessionKind kind)
{
  switch (kind)
    {
    case SV_STORE_SESSION_STAFF:
      return SV_STORE_STAFF_IDLE_USEC;
    case SV_STORE_SESSION_DELEGATED:
      return SV_STORE_DELEGATED_USEC;
    case SV_STORE_SESSION_OWNER:
    default:
      return SV_STORE_OWNER_IDLE_USEC;
    }
}

SvStoreSession *
sv_store_session_insert (SvDbConn           *conn,
                         SvStore            *store,
                         SvStoreSessionKind  kind,
                         gint64              account_id,
                         gint64              staff_id,
                         GError            **error)
{
  g_autoptr(SvStoreSession) session = g_new0 (SvStoreSession, 1);
  guint8 hash[HASH_BYTES];
  gint64 now = sv_store_now (store);

  session->token = sv_store_random_token (TOKEN_BYTES);
  session->csrf = sv_store_random_token (CSRF_BYTES);
  session->kind = kind;
  session->account_id = account_id;
  session->staff_id = staff_id;
  session->created_at = now;
  session->last_seen_at = now;
  session->expires_at = now + session_lifetime (kind);
  sv_store_hash_buffer (hash, session->token, strlen (session->token));

  if (!sv_store_exec (conn,
                      "INSERT INTO sessions (token_hash, kind, account_id, staff_id, csrf,"
                      " created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                      SV_STORE_PARAMS (SV_STORE_BLOB (hash, sizeof hash),
                                       SV_STORE_INT64 (kind),
                                       SV_STORE_ID (account_id),
                                       SV_STORE_ID (staff_id),
                                       SV_STORE_TEXT (session->csrf),
                                       SV_STORE_INT64 (now),
                                       SV_STORE_INT64 (now),
                                       SV_STORE_INT64 (session->expires_at)),
                      NULL, error))
    return NULL;
  return g_steal_pointer (&session);
}

gboolean
sv_store_session_fill_names (SvDbConn       *conn,
                             SvStoreSession *session,
                             GError        **error)
{
  g_autoptr(SvDbStmt) stmt = NULL;
  gboolean found;

  stmt = sv_store_prepare (conn,
                           "SELECT (SELECT phone FROM accounts WHERE id = ?),"
                           " (SELECT name FROM staff WHERE id = ?)",
                           SV_STORE_PARAMS (SV_STORE_INT64 (session->account_id),
                                            SV_STORE_INT64 (session->staff_id)),
                           error);
  if (stmt == NULL)
    return FALSE;
  if (!sv_store_step_one (stmt, &found, error))
    return FALSE;
  if (found)
    {
      g_free (session->phone);
      session->phone = sv_db_stmt_dup_text (stmt, 0);
      g_free (session->staff_name);
      session->staff_name = sv_db_stmt_dup_text (stmt, 1);
    }
  return TRUE;
}

gboolean
sv_store_session_create_txn (SvDbConn *conn,
                             gpointer  user_data,
                             GError  **error)
{
  SvStoreSessionContext *ctx = user_data;

  g_clear_pointer (&ctx->session, sv_store_session_free);
  ctx->session = sv_store_session_insert (conn, ctx->store, ctx->kind, ctx->account_id,
                                          ctx->staff_id, error);
  if (ctx->session == NULL || !sv_store_session_fill_names (conn, ctx->session, error))
    return FALSE;
  if (ctx->audit_action != NULL &&
      !sv_store_audit_insert (conn, ctx->store, ctx->account_id, ctx->staff_id, NULL,
                              ctx->audit_action, ctx->audit_detail, error))
    return FALSE;
  return TRUE;
}

SvStoreSession *
sv_store_session_create (SvStore            *store,
                         SvStoreSessionKind  kind,
                         gint64              account_id,
                         gint64              staff_id,
                         GError            **error)
{
  SvStoreSessionContext ctx = { store, kind, account_id, staff_id, };

  g_return_val_if_fail ((kind == SV_STORE_SESSION_STAFF) == (account_id == 0), NULL);
  g_return_val_if_fail ((kind == SV_STORE_SESSION_OWNER) == (staff_id == 0), NULL);

  return sv_store_run_result (store, SV_DB_WRITE, sv_store_session_create_txn, &ctx,
                              (gpointer *) &ctx.session, (GDestroyNotify) sv_store_session_free, error);
}

SvStoreSession *
sv_store_login (SvStore    *store,
                const char *phone,
                const char *password,
                const char *client_addr,
                gint64     *retry_after_sec,
                GError    **error)
{
  g_autofree char *normal = sv_store_normalize_phone (phone, NULL);
  g_autofree char *phone_key = g_strconcat ("phone:", normal != NULL ? normal : "", NULL);
  g_autofree char *addr_key = client_addr != NULL ? g_strconcat ("addr:", client_addr, NULL) : NULL;
  g_autoptr(SvStoreAccount) account = NULL;
  g_autoptr(GError) local_error = NULL;

  if (!sv_store_rate_check (store, phone_key, addr_key, retry_after_sec, error))
    return NULL;

  account = sv_store_account_verify (store, phone, password, &local_error);
  if (account == NULL)
    {
      if (g_error_matches (local_error, SV_STORE_ERROR, SV_STORE_ERROR_LOGIN_FAILED))
        sv_store_login_failed (store, phone_key, addr_key, local_error->message, error);
      else
        g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  sv_store_login_succeeded (store, phone_key);
  return sv_store_session_create (store, SV_STORE_SESSION_OWNER, account->id, 0, error);
}

typedef struct
{
  SvStore     *store;
  guint8       hash[HASH_BYTES];
  SvStoreSession   *session;      /* out */
  gboolean     expired;      /* out */
  gboolean     needs_touch;  /* out */
} LookupContext;

static gboolean
session_lookup_txn (SvDbConn *conn,
                    gpointer  user_data,
                    GError  **error)
{
  LookupContext *ctx = user_data;
  g_autoptr(SvDbStmt) stmt = NULL;
  gboolean found;
  gint64 now = sv_store_now (ctx->store);

  g_clear_pointer (&ctx->session, sv_store_session_free);
  ctx->expired = FALSE;
  ctx->needs_touch = FALSE;

  stmt = sv_store_prepare (conn,
                           "SELECT s.kind, s.account_id, s.staff_id, s.csrf, s.created_at,"
                           " s.last_seen_at, s.expires_at, a.phone, st.name"
                           " FROM sessions s"
                           " LEFT JOIN accounts a ON a.id = s.account_id"
                           " LEFT JOIN staff st ON st.id = s.staff_id"
                           " WHERE s.token_hash = ?",
                           SV_STORE_PARAMS (SV_STORE_BLOB (ctx->hash, HASH_BYTES)),
                           error);
  if (stmt == NULL)
    return FALSE;
  if (!sv_store_step_one (stmt, &found, error))
    return FALSE;
  if (!found)
    return TRUE;

  ctx->session = g_new0 (SvStoreSession, 1);
  ctx->session->kind = (SvStoreSessionKind) sv_db_stmt_column_int64 (stmt, 0);
  ctx->session->account_id = sv_db_stmt_column_int64 (stmt, 1);
  ctx->session->staff_id = sv_db_stmt_column_int64 (stmt, 2);
  ctx->session->csrf = sv_db_stmt_dup_text (stmt, 3);
  ctx->session->created_at = sv_db_stmt_column_int64 (stmt, 4);
  ctx->session->last_seen_at = sv_db_stmt_column_int64 (stmt, 5);
  ctx->session->expires_at = sv_db_stmt_column_int64 (stmt, 6);
  ctx->session->phone = sv_db_stmt_dup_text (stmt, 7);
  ctx->session->staff_name = sv_db_stmt_dup_text (stmt, 8);

  if (ctx->session->expires_at <= now)
    ctx->expired = TRUE;
  else if (ctx->session->kind != SV_STORE_SESSION_DELEGATED &&
           now - ctx->session->last_seen_at >= TOUCH_USEC)
    ctx->needs_touch = TRUE;
  return TRUE;
}

static gboolean
session_touch_txn (SvDbConn *conn,
                   gpointer  user_data,
                   GError  **error)
{
  LookupContext *ctx = user_data;
  gint64 now = sv_store_now (ctx->store);

  if (ctx->expired)
    {
      return sv_store_exec (conn, "DELETE FROM sessions WHERE token_hash = ?",
                            SV_STORE_PARAMS (SV_STORE_BLOB (ctx->hash, HASH_BYTES)),
                            NULL, error);
    }

  /* only forward, and never past an expiry that has come meanwhile */
  return sv_store_exec (conn,
                        "UPDATE sessions SET last_seen_at = ?, expires_at = ?"
                        " WHERE token_hash = ? AND expires_at > ? AND last_seen_at < ?",
                        SV_STORE_PARAMS (SV_STORE_INT64 (now),
                                         SV_STORE_INT64 (now + session_lifetime (ctx->session->kind)),
                                         SV_STORE_BLOB (ctx->hash, HASH_BYTES),
                                         SV_STORE_INT64 (now),
                                         SV_STORE_INT64 (now)),
                        NULL, error);
}

SvStoreSession *
sv_store_session_lookup (SvStore    *store,
                         const char *token,
                         GError    **error)
{
  LookupContext ctx = { store, };

  if (token == NULL || *token == '\0' || strlen (token) > 256)
    {
      g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_UNAUTHENTICATED,
                   "No session");
      return NULL;
    }
  sv_store_hash_buffer (ctx.hash, token, strlen (token));

  if (!sv_store_run (store, SV_DB_READ, session_lookup_txn, &ctx, error))
    goto failed;
  if (ctx.session == NULL)
    {
      g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_UNAUTHENTICATED,
                   "The session is unknown or has ended; log in again");
      goto failed;
    }
  if (ctx.expired || ctx.needs_touch)
    {
      if (!sv_store_run (store, SV_DB_WRITE, session_touch_txn, &ctx, error))
        goto failed;
      if (ctx.expired)
        {
          g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_UNAUTHENTICATED,
                       "The session has expired; log in again");
          goto failed;
        }
      ctx.session->last_seen_at = sv_store_now (store);
      ctx.session->expires_at = ctx.session->last_seen_at + session_lifetime (ctx.session->kind);
    }
  return ctx.session;

failed:
  g_clear_pointer (&ctx.session, sv_store_session_free);
  return NULL;
}

typedef struct
{
  guint8 hash[HASH_BYTES];
} DeleteSessionContext;

static gboolean
session_delete_txn (SvDbConn *conn,
                    gpointer  user_data,
                    GError  **error)
{
  DeleteSessionContext *ctx = user_data;

  return sv_store_exec (conn, "DELETE FROM sessions WHERE token_hash = ?",
                        SV_STORE_PARAMS (SV_STORE_BLOB (ctx->hash, HASH_BYTES)), NULL, error);
}

gboolean
sv_store_session_delete (SvStore    *store,
                         const char *token,
                         GError    **error)
{
  DeleteSessionContext ctx;

  if (token == NULL)
    return TRUE;
  sv_store_hash_buffer (ctx.hash, token, strlen (token));
  return sv_store_run (store, SV_DB_WRITE, session_delete_txn, &ctx, error);
}
