/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The domain operations of sv-store.h in portable SQL over sv-db.h. Every
 * operation is one transaction function (a *_txn) run by
 * sv_db_transaction (), which may run it again on a transient failure:
 * a *_txn resets its outputs first and touches nothing but the database
 * and its context. Password hashing (slow on purpose) runs outside any
 * transaction.
 */
#define G_LOG_DOMAIN "sv-store"

#include "config.h"

#include <string.h>

#include <sodium.h>

#include "sv-store-private.h"

struct _SvStore
{
  SvDb           *db;
  SvPasswordCost  password_cost;
  SvStoreNowFunc  now;
  gpointer        now_data;
  guint           schema_version;
  char           *dummy_hash;   /* verified against for unknown names */
};

#define TOKEN_BYTES   32
#define CSRF_BYTES    16
#define HASH_BYTES    32
#define TOUCH_USEC    (G_GINT64_CONSTANT (60) * G_USEC_PER_SEC)
#define BATCH_KEEP_USEC    (G_GINT64_CONSTANT (24) * G_TIME_SPAN_HOUR)
#define RESTORE_KEEP_USEC  (G_GINT64_CONSTANT (24) * G_TIME_SPAN_HOUR)
#define RESTORE_MAX_USEC   (G_GINT64_CONSTANT (7) * G_TIME_SPAN_DAY)
#define DEFAULT_CHANGES_LIMIT 500
#define DEFAULT_GROUP_SIZE    50
#define DEFAULT_AUDIT_LIMIT   100
#define MAX_AUDIT_LIMIT       1000
#define MAX_MESSAGES          1000

enum { BATCH_BACKUP = 0, BATCH_MESSAGES = 1 };

/* ------------------------------------------------------------------------ */
/* Helpers                                                                  */

static gint64
default_now (gpointer user_data)
{
  return g_get_real_time ();
}

gint64
sv_store_now (SvStore *store)
{
  return store->now (store->now_data);
}

/* Runs @func and turns the driver's errors into the store's: transient and
 * connection failures are UNAVAILABLE (retry later), the rest INTERNAL.
 * Errors the function raised in SV_STORE_ERROR pass unchanged. */
static gboolean
run (SvStore     *store,
     SvDbTxnMode  mode,
     SvDbTxnFunc  func,
     gpointer     ctx,
     GError     **error)
{
  g_autoptr(GError) local_error = NULL;

  if (sv_db_transaction (store->db, mode, func, ctx, &local_error))
    return TRUE;

  if (local_error->domain == SV_STORE_ERROR)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  /* A full or read-only disk: nothing was stored, and the same request
   * succeeds once space returns (tests/fault/test-disk-full.py). */
  if (g_error_matches (local_error, SV_DB_ERROR, SV_DB_ERROR_NO_SPACE))
    {
      g_message ("Storage full or read-only: %s", local_error->message);
      g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_UNAVAILABLE,
                   "The server's disk is full or read-only; nothing was stored; try again later");
      return FALSE;
    }
  if (g_error_matches (local_error, SV_DB_ERROR, SV_DB_ERROR_RETRY) ||
      g_error_matches (local_error, SV_DB_ERROR, SV_DB_ERROR_UNAVAILABLE))
    {
      g_message ("Storage unavailable: %s", local_error->message);
      g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_UNAVAILABLE,
                   "The storage is busy or unreachable; try again later");
    }
  else
    {
      g_message ("Storage failure: %s", local_error->message);
      g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INTERNAL,
                   "The server failed; nothing was stored");
    }
  return FALSE;
}

/* sv_db_stmt_step () for a statement expected to answer at most one row:
 * TRUE and *found = whether there was one, FALSE on failure. */
static gboolean
step_one (SvDbStmt *stmt,
          gboolean *found,
          GError  **error)
{
  GError *local_error = NULL;

  *found = sv_db_stmt_step (stmt, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return FALSE;
    }
  return TRUE;
}

static gboolean
query_int64 (SvDbConn    *conn,
             const char  *sql,
             const char  *text_param,
             gint64      *value,
             GError     **error)
{
  g_autoptr(SvDbStmt) stmt = sv_db_prepare (conn, sql, error);
  gboolean found;

  if (stmt == NULL)
    return FALSE;
  if (text_param != NULL)
    sv_db_stmt_bind_text (stmt, 1, text_param);
  if (!step_one (stmt, &found, error))
    return FALSE;
  *value = found ? sv_db_stmt_column_int64 (stmt, 0) : 0;
  return TRUE;
}

static void
hash_buffer (guint8      out[HASH_BYTES],
             const void *data,
             gsize       len)
{
  crypto_generichash (out, HASH_BYTES, data, len, NULL, 0);
}

static void
hash_variant (guint8    out[HASH_BYTES],
              GVariant *variant)
{
  g_autoptr(GVariant) sunk = g_variant_ref_sink (variant);

  hash_buffer (out, g_variant_get_data (sunk), g_variant_get_size (sunk));
}

static char *
random_token (gsize n_bytes)
{
  guint8 buf[TOKEN_BYTES];
  char *text;

  g_assert (n_bytes <= sizeof buf);
  randombytes_buf (buf, n_bytes);
  text = g_base64_encode (buf, n_bytes);
  sodium_memzero (buf, sizeof buf);
  /* base64url without padding: safe in headers, cookies and URLs */
  for (char *p = text; *p != '\0'; p++)
    {
      if (*p == '+')
        *p = '-';
      else if (*p == '/')
        *p = '_';
      else if (*p == '=')
        {
          *p = '\0';
          break;
        }
    }
  return text;
}

static gboolean
bytes_equal (GBytes *a,
             GBytes *b)
{
  if (a == NULL || b == NULL)
    return a == b;
  return g_bytes_equal (a, b);
}

static GBytes *
empty_record (guint len)
{
  guint8 *data = g_malloc (len);

  memset (data, 0xff, len);
  return g_bytes_new_take (data, len);
}

static gboolean
is_cleared (GBytes *data)
{
  gsize len;
  const guint8 *p = g_bytes_get_data (data, &len);

  for (gsize i = 0; i < len; i++)
    if (p[i] != 0xff)
      return FALSE;
  return TRUE;
}

/* The EF_SMS of a layout: the ring replaces it in restores. */
static gboolean
is_sms_file (const char *key)
{
  return g_strcmp0 (key, "sms") == 0 || g_str_has_suffix (key, "/sms");
}

static char *
normalize_phone (const char *phone,
                 GError    **error)
{
  g_autoptr(GString) out = g_string_new (NULL);
  guint digits = 0;

  if (phone == NULL)
    phone = "";
  for (const char *p = phone; *p != '\0'; p++)
    {
      if (*p == ' ' || *p == '-')
        continue;
      if (*p == '+' && out->len == 0)
        {
          g_string_append_c (out, '+');
          continue;
        }
      if (!g_ascii_isdigit (*p))
        {
          digits = 0;
          break;
        }
      g_string_append_c (out, *p);
      digits++;
    }
  if (digits < 3 || digits > 20)
    {
      g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID,
                   "A phone number is 3 to 20 digits with an optional leading +");
      return NULL;
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static gboolean
check_iccid (const char *iccid,
             GError    **error)
{
  gsize len = iccid != NULL ? strlen (iccid) : 0;

  if (len < 19 || len > 20)
    goto bad;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isdigit (iccid[i]))
      goto bad;
  return TRUE;

bad:
  g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID,
               "An ICCID is 19 or 20 digits");
  return FALSE;
}

static gboolean
check_password (const char *password,
                GError    **error)
{
  if (password == NULL || *password == '\0' || strlen (password) > 1024)
    {
      g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID,
                   "A password is 1 to 1024 bytes");
      return FALSE;
    }
  return TRUE;
}

/* ------------------------------------------------------------------------ */
/* Passwords: Argon2id through libsodium                                    */

static void
password_cost_limits (SvPasswordCost      cost,
                      unsigned long long *ops,
                      gsize              *mem)
{
  switch (cost)
    {
    case SV_PASSWORD_COST_MODERATE:
      *ops = crypto_pwhash_OPSLIMIT_MODERATE;
      *mem = crypto_pwhash_MEMLIMIT_MODERATE;
      break;
    case SV_PASSWORD_COST_TEST_ONLY:
      *ops = crypto_pwhash_OPSLIMIT_MIN;
      *mem = crypto_pwhash_MEMLIMIT_MIN;
      break;
    case SV_PASSWORD_COST_INTERACTIVE:
    default:
      *ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
      *mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
      break;
    }
}

static char *
hash_password (SvStore     *store,
               const char  *password,
               GError     **error)
{
  char out[crypto_pwhash_STRBYTES];
  unsigned long long ops;
  gsize mem;

  password_cost_limits (store->password_cost, &ops, &mem);
  if (crypto_pwhash_str_alg (out, password, strlen (password), ops, mem,
                             crypto_pwhash_ALG_ARGON2ID13) != 0)
    {
      g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INTERNAL,
                   "Out of memory while hashing a password");
      return NULL;
    }
  return g_strdup (out);
}

/* A hash made with other limits than the store's (the operator changed the
 * cost, or the libsodium defaults moved) */
static gboolean
password_needs_rehash (SvStore    *store,
                       const char *hash)
{
  unsigned long long ops;
  gsize mem;

  password_cost_limits (store->password_cost, &ops, &mem);
  return crypto_pwhash_str_needs_rehash (hash, ops, mem) != 0;
}

static gboolean
verify_password (const char *hash,
                 const char *password)
{
  if (hash == NULL || password == NULL)
    return FALSE;
  return crypto_pwhash_str_verify (hash, password, strlen (password)) == 0;
}

/* ------------------------------------------------------------------------ */
/* Opening                                                                  */

SvStore *
sv_store_open (const char           *location,
               const SvStoreOptions *options,
               GError              **error)
{
  g_autoptr(SvStore) store = NULL;
  g_autoptr(GError) local_error = NULL;
  SvStoreOptions defaults = { 0, };

  g_return_val_if_fail (location != NULL, NULL);

  if (options == NULL)
    options = &defaults;

  if (sodium_init () < 0)
    {
      g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INTERNAL,
                   "libsodium could not be initialised");
      return NULL;
    }

  store = g_new0 (SvStore, 1);
  store->password_cost = options->password_cost;
  store->now = options->now != NULL ? options->now : default_now;
  store->now_data = options->now_data;

  store->db = sv_db_open (location, options->pool_size, &local_error);
  if (store->db == NULL ||
      !sv_store_schema_migrate (store->db, &store->schema_version, &local_error))
    {
      /* A PostgreSQL connection string may hold a password: name only the
       * engine (libpq's message already says which host and port failed). */
      gboolean pgsql = g_str_has_prefix (location, "postgresql:") ||
                       g_str_has_prefix (location, "postgres:");

      g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_UNAVAILABLE,
                   "Cannot open the storage %s: %s", pgsql ? "(PostgreSQL)" : location,
                   local_error->message);
      return NULL;
    }

  store->dummy_hash = hash_password (store, "not a password of anyone", error);
  if (store->dummy_hash == NULL)
    return NULL;

  return g_steal_pointer (&store);
}

void
sv_store_close (SvStore *store)
{
  if (store == NULL)
    return;
  g_clear_pointer (&store->db, sv_db_close);
  g_free (store->dummy_hash);
  g_free (store);
}

const char *
sv_store_get_engine (SvStore *store)
{
  return sv_db_get_engine (store->db);
}

guint
sv_store_get_schema_version (SvStore *store)
{
  return store->schema_version;
}

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

typedef struct
{
  SvStore    *store;
  const char *phone;
  gint64      account_id;
  const char *hash;          /* in: for create */
  SvStoreAccount  *account;       /* out */
  char       *stored_hash;   /* out */
} AccountContext;

static void
account_context_clear (AccountContext *ctx)
{
  g_clear_pointer (&ctx->account, sv_store_account_free);
  g_clear_pointer (&ctx->stored_hash, g_free);
}

static gboolean
account_load_txn (SvDbConn *conn,
                  gpointer  user_data,
                  GError  **error)
{
  AccountContext *ctx = user_data;
  g_autoptr(SvDbStmt) stmt = NULL;
  gboolean found;

  account_context_clear (ctx);
  if (ctx->phone != NULL)
    {
      stmt = sv_db_prepare (conn, "SELECT " ACCOUNT_COLUMNS " FROM accounts WHERE phone = ?", error);
      if (stmt == NULL)
        return FALSE;
      sv_db_stmt_bind_text (stmt, 1, ctx->phone);
    }
  else
    {
      stmt = sv_db_prepare (conn, "SELECT " ACCOUNT_COLUMNS " FROM accounts WHERE id = ?", error);
      if (stmt == NULL)
        return FALSE;
      sv_db_stmt_bind_int64 (stmt, 1, ctx->account_id);
    }
  if (!step_one (stmt, &found, error))
    return FALSE;
  if (found)
    {
      ctx->account = account_from_row (stmt);
      ctx->stored_hash = sv_db_stmt_dup_text (stmt, 4);
    }
  return TRUE;
}

/* Inserts the account; CONFLICT if the phone is taken. */
static gboolean
account_insert (SvDbConn       *conn,
                AccountContext *ctx,
                GError        **error)
{
  g_autoptr(SvDbStmt) stmt = NULL;
  gboolean found;
  gint64 now = sv_store_now (ctx->store);

  stmt = sv_db_prepare (conn,
                        "INSERT INTO accounts (phone, password_hash, counter_b, created_at)"
                        " VALUES (?, ?, 0, ?) ON CONFLICT (phone) DO NOTHING RETURNING id",
                        error);
  if (stmt == NULL)
    return FALSE;
  sv_db_stmt_bind_text (stmt, 1, ctx->phone);
  sv_db_stmt_bind_text (stmt, 2, ctx->hash);
  sv_db_stmt_bind_int64 (stmt, 3, now);
  if (!step_one (stmt, &found, error))
    return FALSE;
  if (!found)
    {
      g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_CONFLICT,
                   "This phone number already has an account");
      return FALSE;
    }
  ctx->account = g_new0 (SvStoreAccount, 1);
  ctx->account->id = sv_db_stmt_column_int64 (stmt, 0);
  ctx->account->phone = g_strdup (ctx->phone);
  ctx->account->created_at = now;
  return sv_db_stmt_run (stmt, error);
}

static gboolean
account_create_txn (SvDbConn *conn,
                    gpointer  user_data,
                    GError  **error)
{
  AccountContext *ctx = user_data;

  account_context_clear (ctx);
  return account_insert (conn, ctx, error);
}

SvStoreAccount *
sv_store_account_create (SvStore    *store,
                         const char *phone,
                         const char *password,
                         GError    **error)
{
  g_autofree char *normal = NULL;
  g_autofree char *hash = NULL;
  AccountContext ctx = { store, };
  gboolean ok;

  normal = normalize_phone (phone, error);
  if (normal == NULL || !check_password (password, error))
    return NULL;
  hash = hash_password (store, password, error);
  if (hash == NULL)
    return NULL;

  ctx.phone = normal;
  ctx.hash = hash;
  ok = run (store, SV_DB_WRITE, account_create_txn, &ctx, error);
  g_clear_pointer (&ctx.stored_hash, g_free);
  if (!ok)
    {
      account_context_clear (&ctx);
      return NULL;
    }
  return ctx.account;
}

static SvStoreAccount *
account_load (SvStore    *store,
              const char *phone,
              gint64      account_id,
              char      **stored_hash,
              GError    **error)
{
  AccountContext ctx = { store, phone, account_id, };

  if (!run (store, SV_DB_READ, account_load_txn, &ctx, error))
    {
      account_context_clear (&ctx);
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
  return account_load (store, NULL, account_id, NULL, error);
}

SvStoreAccount *
sv_store_account_lookup (SvStore    *store,
                         const char *phone,
                         GError    **error)
{
  g_autofree char *normal = normalize_phone (phone, error);

  if (normal == NULL)
    return NULL;
  return account_load (store, normal, 0, NULL, error);
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
  g_autoptr(SvDbStmt) stmt = sv_db_prepare (conn, ctx->sql, error);

  if (stmt == NULL)
    return FALSE;
  sv_db_stmt_bind_text (stmt, 1, ctx->new_hash);
  sv_db_stmt_bind_int64 (stmt, 2, ctx->id);
  sv_db_stmt_bind_text (stmt, 3, ctx->old_hash);
  return sv_db_stmt_run (stmt, error);
}

/* After a successful login: store the hash again with the store's current
 * cost if it was made with another. Only if nobody changed it meanwhile;
 * failing here never fails the login. */
static void
rehash_if_needed (SvStore    *store,
                  const char *table,
                  gint64      id,
                  const char *old_hash,
                  const char *password)
{
  g_autofree char *new_hash = NULL;
  g_autoptr(GError) local_error = NULL;
  RehashContext ctx = { NULL, id, old_hash, };

  if (!password_needs_rehash (store, old_hash))
    return;
  new_hash = hash_password (store, password, &local_error);
  ctx.new_hash = new_hash;
  ctx.sql = g_str_equal (table, "staff")
            ? "UPDATE staff SET password_hash = ? WHERE id = ? AND password_hash = ?"
            : "UPDATE accounts SET password_hash = ? WHERE id = ? AND password_hash = ?";
  if (new_hash == NULL || !run (store, SV_DB_WRITE, rehash_txn, &ctx, &local_error))
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

  normal = normalize_phone (phone, NULL);
  if (normal != NULL)
    account = account_load (store, normal, 0, &hash, &local_error);
  if (account == NULL && local_error != NULL &&
      !g_error_matches (local_error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  /* an unknown phone costs the same time as a wrong password */
  if (!verify_password (account != NULL ? hash : store->dummy_hash, password) ||
      account == NULL)
    {
      g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_LOGIN_FAILED,
                   "The phone number or the password is wrong");
      return NULL;
    }
  rehash_if_needed (store, "accounts", account->id, hash, password);
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
  g_autoptr(SvDbStmt) update = NULL;
  g_autoptr(SvDbStmt) drop = NULL;

  update = sv_db_prepare (conn, "UPDATE accounts SET password_hash = ? WHERE id = ?", error);
  if (update == NULL)
    return FALSE;
  sv_db_stmt_bind_text (update, 1, ctx->hash);
  sv_db_stmt_bind_int64 (update, 2, ctx->account_id);
  if (!sv_db_stmt_run (update, error))
    return FALSE;
  if (sv_db_stmt_changes (update) != 1)
    {
      g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND, "No such account");
      return FALSE;
    }

  /* every other session and delegated token of the account ends */
  drop = sv_db_prepare (conn, "DELETE FROM sessions WHERE account_id = ? AND token_hash <> ?", error);
  if (drop == NULL)
    return FALSE;
  sv_db_stmt_bind_int64 (drop, 1, ctx->account_id);
  if (ctx->keep_hash != NULL)
    sv_db_stmt_bind_blob (drop, 2, ctx->keep_hash, HASH_BYTES);
  else
    sv_db_stmt_bind_blob (drop, 2, "", 0);
  return sv_db_stmt_run (drop, error);
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

  if (!check_password (new_password, error))
    return FALSE;
  account = account_load (store, NULL, account_id, &old_hash, error);
  if (account == NULL)
    return FALSE;
  if (!verify_password (old_hash, old_password))
    {
      g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_LOGIN_FAILED,
                   "The current password is wrong");
      return FALSE;
    }
  new_hash = hash_password (store, new_password, error);
  if (new_hash == NULL)
    return FALSE;

  ctx.hash = new_hash;
  if (keep_session_token != NULL)
    {
      hash_buffer (keep, keep_session_token, strlen (keep_session_token));
      ctx.keep_hash = keep;
    }
  return run (store, SV_DB_WRITE, account_set_password_txn, &ctx, error);
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

      stmt = sv_db_prepare (conn, "SELECT window_start, failures FROM rate_limits WHERE key = ?", error);
      if (stmt == NULL)
        return FALSE;
      sv_db_stmt_bind_text (stmt, 1, ctx->keys[i]);
      if (!step_one (stmt, &found, error))
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
      g_autoptr(SvDbStmt) stmt = NULL;

      /* a window that has ended starts again at this failure */
      stmt = sv_db_prepare (conn,
                            "INSERT INTO rate_limits (key, window_start, failures) VALUES (?, ?, 1)"
                            " ON CONFLICT (key) DO UPDATE SET"
                            "  failures = CASE WHEN rate_limits.window_start + ? <= excluded.window_start"
                            "             THEN 1 ELSE rate_limits.failures + 1 END,"
                            "  window_start = CASE WHEN rate_limits.window_start + ? <= excluded.window_start"
                            "             THEN excluded.window_start ELSE rate_limits.window_start END",
                            error);
      if (stmt == NULL)
        return FALSE;
      sv_db_stmt_bind_text (stmt, 1, ctx->keys[i]);
      sv_db_stmt_bind_int64 (stmt, 2, now);
      sv_db_stmt_bind_int64 (stmt, 3, SV_STORE_LOGIN_WINDOW_USEC);
      sv_db_stmt_bind_int64 (stmt, 4, SV_STORE_LOGIN_WINDOW_USEC);
      if (!sv_db_stmt_run (stmt, error))
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
      g_autoptr(SvDbStmt) stmt = sv_db_prepare (conn, "DELETE FROM rate_limits WHERE key = ?", error);

      if (stmt == NULL)
        return FALSE;
      sv_db_stmt_bind_text (stmt, 1, ctx->keys[i]);
      if (!sv_db_stmt_run (stmt, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
rate_check (SvStore    *store,
            const char *key1,
            const char *key2,
            gint64     *retry_after_sec,
            GError    **error)
{
  RateContext ctx = { store, { key1, key2, NULL }, 0 };

  if (retry_after_sec != NULL)
    *retry_after_sec = 0;
  if (!run (store, SV_DB_READ, rate_check_txn, &ctx, error))
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
  return rate_check (store, key, NULL, retry_after_sec, error);
}

gboolean
sv_store_rate_limit_fail (SvStore    *store,
                          const char *key,
                          GError    **error)
{
  RateContext ctx = { store, { key, NULL, NULL }, 0 };

  return run (store, SV_DB_WRITE, rate_fail_txn, &ctx, error);
}

gboolean
sv_store_rate_limit_reset (SvStore    *store,
                           const char *key,
                           GError    **error)
{
  RateContext ctx = { store, { key, NULL, NULL }, 0 };

  return run (store, SV_DB_WRITE, rate_reset_txn, &ctx, error);
}

/* Records a failed login on both keys and sets LOGIN_FAILED (or the
 * storage's error if even that failed). */
static void
login_failed (SvStore    *store,
              const char *key1,
              const char *key2,
              const char *message,
              GError    **error)
{
  RateContext ctx = { store, { key1, key2, NULL }, 0 };

  if (run (store, SV_DB_WRITE, rate_fail_txn, &ctx, error))
    g_set_error_literal (error, SV_STORE_ERROR, SV_STORE_ERROR_LOGIN_FAILED, message);
}

static void
login_succeeded (SvStore    *store,
                 const char *key)
{
  RateContext ctx = { store, { key, NULL, NULL }, 0 };
  g_autoptr(GError) local_error = NULL;

  /* not fatal: the window ends by itself */
  if (!run (store, SV_DB_WRITE, rate_reset_txn, &ctx, &local_error))
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

/* Inside a transaction: a new session row; the token and csrf go into a
 * new SvStoreSession (names filled by the caller's lookup if needed). */
static SvStoreSession *
session_insert (SvDbConn           *conn,
                SvStore            *store,
                SvStoreSessionKind  kind,
                gint64              account_id,
                gint64              staff_id,
                GError            **error)
{
  g_autoptr(SvStoreSession) session = g_new0 (SvStoreSession, 1);
  g_autoptr(SvDbStmt) stmt = NULL;
  guint8 hash[HASH_BYTES];
  gint64 now = sv_store_now (store);

  session->token = random_token (TOKEN_BYTES);
  session->csrf = random_token (CSRF_BYTES);
  session->kind = kind;
  session->account_id = account_id;
  session->staff_id = staff_id;
  session->created_at = now;
  session->last_seen_at = now;
  session->expires_at = now + session_lifetime (kind);
  hash_buffer (hash, session->token, strlen (session->token));

  stmt = sv_db_prepare (conn,
                        "INSERT INTO sessions (token_hash, kind, account_id, staff_id, csrf,"
                        " created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        error);
  if (stmt == NULL)
    return NULL;
  sv_db_stmt_bind_blob (stmt, 1, hash, sizeof hash);
  sv_db_stmt_bind_int64 (stmt, 2, kind);
  if (account_id != 0)
    sv_db_stmt_bind_int64 (stmt, 3, account_id);
  else
    sv_db_stmt_bind_null (stmt, 3);
  if (staff_id != 0)
    sv_db_stmt_bind_int64 (stmt, 4, staff_id);
  else
    sv_db_stmt_bind_null (stmt, 4);
  sv_db_stmt_bind_text (stmt, 5, session->csrf);
  sv_db_stmt_bind_int64 (stmt, 6, now);
  sv_db_stmt_bind_int64 (stmt, 7, now);
  sv_db_stmt_bind_int64 (stmt, 8, session->expires_at);
  if (!sv_db_stmt_run (stmt, error))
    return NULL;
  return g_steal_pointer (&session);
}

/* Fills phone and staff_name from their tables */
static gboolean
session_fill_names (SvDbConn       *conn,
                    SvStoreSession *session,
                    GError        **error)
{
  g_autoptr(SvDbStmt) stmt = NULL;
  gboolean found;

  stmt = sv_db_prepare (conn,
                        "SELECT (SELECT phone FROM accounts WHERE id = ?),"
                        " (SELECT name FROM staff WHERE id = ?)",
                        error);
  if (stmt == NULL)
    return FALSE;
  sv_db_stmt_bind_int64 (stmt, 1, session->account_id);
  sv_db_stmt_bind_int64 (stmt, 2, session->staff_id);
  if (!step_one (stmt, &found, error))
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

typedef struct
{
  SvStore       *store;
  SvStoreSessionKind  kind;
  gint64         account_id;
  gint64         staff_id;
  const char    *audit_action;   /* nullable: an audit row for the account */
  const char    *audit_detail;
  SvStoreSession     *session;        /* out */
} SessionContext;

static gboolean audit_insert (SvDbConn    *conn,
                              SvStore     *store,
                              gint64       account_id,
                              gint64       staff_id,
                              const char  *iccid,
                              const char  *action,
                              const char  *detail,
                              GError     **error);

static gboolean
session_create_txn (SvDbConn *conn,
                    gpointer  user_data,
                    GError  **error)
{
  SessionContext *ctx = user_data;

  g_clear_pointer (&ctx->session, sv_store_session_free);
  ctx->session = session_insert (conn, ctx->store, ctx->kind, ctx->account_id,
                                 ctx->staff_id, error);
  if (ctx->session == NULL || !session_fill_names (conn, ctx->session, error))
    return FALSE;
  if (ctx->audit_action != NULL &&
      !audit_insert (conn, ctx->store, ctx->account_id, ctx->staff_id, NULL,
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
  SessionContext ctx = { store, kind, account_id, staff_id, };

  g_return_val_if_fail ((kind == SV_STORE_SESSION_STAFF) == (account_id == 0), NULL);
  g_return_val_if_fail ((kind == SV_STORE_SESSION_OWNER) == (staff_id == 0), NULL);

  if (!run (store, SV_DB_WRITE, session_create_txn, &ctx, error))
    {
      g_clear_pointer (&ctx.session, sv_store_session_free);
      return NULL;
    }
  return ctx.session;
}

SvStoreSession *
sv_store_login (SvStore    *store,
                const char *phone,
                const char *password,
                const char *client_addr,
                gint64     *retry_after_sec,
                GError    **error)
{
  g_autofree char *normal = normalize_phone (phone, NULL);
  g_autofree char *phone_key = g_strconcat ("phone:", normal != NULL ? normal : "", NULL);
  g_autofree char *addr_key = client_addr != NULL ? g_strconcat ("addr:", client_addr, NULL) : NULL;
  g_autoptr(SvStoreAccount) account = NULL;
  g_autoptr(GError) local_error = NULL;

  if (!rate_check (store, phone_key, addr_key, retry_after_sec, error))
    return NULL;

  account = sv_store_account_verify (store, phone, password, &local_error);
  if (account == NULL)
    {
      if (g_error_matches (local_error, SV_STORE_ERROR, SV_STORE_ERROR_LOGIN_FAILED))
        login_failed (store, phone_key, addr_key, local_error->message, error);
      else
        g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  login_succeeded (store, phone_key);
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

  stmt = sv_db_prepare (conn,
                        "SELECT s.kind, s.account_id, s.staff_id, s.csrf, s.created_at,"
                        " s.last_seen_at, s.expires_at, a.phone, st.name"
                        " FROM sessions s"
                        " LEFT JOIN accounts a ON a.id = s.account_id"
                        " LEFT JOIN staff st ON st.id = s.staff_id"
                        " WHERE s.token_hash = ?",
                        error);
  if (stmt == NULL)
    return FALSE;
  sv_db_stmt_bind_blob (stmt, 1, ctx->hash, HASH_BYTES);
  if (!step_one (stmt, &found, error))
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
  g_autoptr(SvDbStmt) stmt = NULL;
  gint64 now = sv_store_now (ctx->store);

  if (ctx->expired)
    {
      stmt = sv_db_prepare (conn, "DELETE FROM sessions WHERE token_hash = ?", error);
      if (stmt == NULL)
        return FALSE;
      sv_db_stmt_bind_blob (stmt, 1, ctx->hash, HASH_BYTES);
      return sv_db_stmt_run (stmt, error);
    }

  /* only forward, and never past an expiry that has come meanwhile */
  stmt = sv_db_prepare (conn,
                        "UPDATE sessions SET last_seen_at = ?, expires_at = ?"
                        " WHERE token_hash = ? AND expires_at > ? AND last_seen_at < ?",
                        error);
  if (stmt == NULL)
    return FALSE;
  sv_db_stmt_bind_int64 (stmt, 1, now);
  sv_db_stmt_bind_int64 (stmt, 2, now + session_lifetime (ctx->session->kind));
  sv_db_stmt_bind_blob (stmt, 3, ctx->hash, HASH_BYTES);
  sv_db_stmt_bind_int64 (stmt, 4, now);
  sv_db_stmt_bind_int64 (stmt, 5, now);
  return sv_db_stmt_run (stmt, error);
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
  hash_buffer (ctx.hash, token, strlen (token));

  if (!run (store, SV_DB_READ, session_lookup_txn, &ctx, error))
    goto failed;
  if (ctx.session == NULL)
    {
      g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_UNAUTHENTICATED,
                   "The session is unknown or has ended; log in again");
      goto failed;
    }
  if (ctx.expired || ctx.needs_touch)
    {
      if (!run (store, SV_DB_WRITE, session_touch_txn, &ctx, error))
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
  g_autoptr(SvDbStmt) stmt = sv_db_prepare (conn, "DELETE FROM sessions WHERE token_hash = ?", error);

  if (stmt == NULL)
    return FALSE;
  sv_db_stmt_bind_blob (stmt, 1, ctx->hash, HASH_BYTES);
  return sv_db_stmt_run (stmt, error);
}

gboolean
sv_store_session_delete (SvStore    *store,
                         const char *token,
                         GError    **error)
{
  DeleteSessionContext ctx;

  if (token == NULL)
    return TRUE;
  hash_buffer (ctx.hash, token, strlen (token));
  return run (store, SV_DB_WRITE, session_delete_txn, &ctx, error);
}

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
  g_autoptr(SvDbStmt) stmt = NULL;
  gboolean found;
  gint64 now = sv_store_now (ctx->store);

  g_clear_pointer (&ctx->staff, sv_store_staff_free);
  stmt = sv_db_prepare (conn,
                        "INSERT INTO staff (name, password_hash, created_at) VALUES (?, ?, ?)"
                        " ON CONFLICT (name) DO NOTHING RETURNING id",
                        error);
  if (stmt == NULL)
    return FALSE;
  sv_db_stmt_bind_text (stmt, 1, ctx->name);
  sv_db_stmt_bind_text (stmt, 2, ctx->hash);
  sv_db_stmt_bind_int64 (stmt, 3, now);
  if (!step_one (stmt, &found, error))
    return FALSE;
  if (!found)
    {
      g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_CONFLICT,
                   "There is already a staff member “%s”", ctx->name);
      return FALSE;
    }
  ctx->staff = g_new0 (SvStoreStaff, 1);
  ctx->staff->id = sv_db_stmt_column_int64 (stmt, 0);
  ctx->staff->name = g_strdup (ctx->name);
  ctx->staff->created_at = now;
  return sv_db_stmt_run (stmt, error);
}

SvStoreStaff *
sv_store_staff_add (SvStore    *store,
                    const char *name,
                    const char *password,
                    GError    **error)
{
  g_autofree char *hash = NULL;
  StaffContext ctx = { store, name, };

  if (!check_staff_name (name, error) || !check_password (password, error))
    return NULL;
  hash = hash_password (store, password, error);
  if (hash == NULL)
    return NULL;
  ctx.hash = hash;
  if (!run (store, SV_DB_WRITE, staff_add_txn, &ctx, error))
    {
      g_clear_pointer (&ctx.staff, sv_store_staff_free);
      return NULL;
    }
  return ctx.staff;
}

static gboolean
staff_list_txn (SvDbConn *conn,
                gpointer  user_data,
                GError  **error)
{
  StaffContext *ctx = user_data;
  g_autoptr(SvDbStmt) stmt = NULL;
  GError *local_error = NULL;

  g_clear_pointer (&ctx->list, g_ptr_array_unref);
  ctx->list = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_store_staff_free);
  stmt = sv_db_prepare (conn,
                        ctx->name != NULL
                          ? "SELECT id, name, created_at, password_hash FROM staff WHERE name = ?"
                          : "SELECT id, name, created_at, password_hash FROM staff ORDER BY name",
                        error);
  if (stmt == NULL)
    return FALSE;
  if (ctx->name != NULL)
    sv_db_stmt_bind_text (stmt, 1, ctx->name);
  while (sv_db_stmt_step (stmt, &local_error))
    {
      SvStoreStaff *staff = g_new0 (SvStoreStaff, 1);

      staff->id = sv_db_stmt_column_int64 (stmt, 0);
      staff->name = sv_db_stmt_dup_text (stmt, 1);
      staff->created_at = sv_db_stmt_column_int64 (stmt, 2);
      g_ptr_array_add (ctx->list, staff);
      if (ctx->name != NULL)
        {
          g_free (ctx->stored_hash);
          ctx->stored_hash = sv_db_stmt_dup_text (stmt, 3);
        }
    }
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return FALSE;
    }
  return TRUE;
}

GPtrArray *
sv_store_staff_list (SvStore *store,
                     GError **error)
{
  StaffContext ctx = { store, };

  if (!run (store, SV_DB_READ, staff_list_txn, &ctx, error))
    {
      g_clear_pointer (&ctx.list, g_ptr_array_unref);
      return NULL;
    }
  return ctx.list;
}

static gboolean
staff_remove_txn (SvDbConn *conn,
                  gpointer  user_data,
                  GError  **error)
{
  StaffContext *ctx = user_data;
  g_autoptr(SvDbStmt) sessions = NULL;
  g_autoptr(SvDbStmt) stmt = NULL;

  sessions = sv_db_prepare (conn,
                            "DELETE FROM sessions WHERE staff_id IN (SELECT id FROM staff WHERE name = ?)",
                            error);
  if (sessions == NULL)
    return FALSE;
  sv_db_stmt_bind_text (sessions, 1, ctx->name);
  if (!sv_db_stmt_run (sessions, error))
    return FALSE;

  stmt = sv_db_prepare (conn, "DELETE FROM staff WHERE name = ?", error);
  if (stmt == NULL)
    return FALSE;
  sv_db_stmt_bind_text (stmt, 1, ctx->name);
  if (!sv_db_stmt_run (stmt, error))
    return FALSE;
  if (sv_db_stmt_changes (stmt) == 0)
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

  return run (store, SV_DB_WRITE, staff_remove_txn, &ctx, error);
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

  if (!rate_check (store, name_key, addr_key, retry_after_sec, error))
    return NULL;
  if (name == NULL || !run (store, SV_DB_READ, staff_list_txn, &ctx, error))
    {
      if (name == NULL)
        login_failed (store, name_key, addr_key, "The staff name or the password is wrong", error);
      g_clear_pointer (&ctx.list, g_ptr_array_unref);
      return NULL;
    }
  staff = ctx.list->len > 0 ? g_ptr_array_index (ctx.list, 0) : NULL;
  ok = verify_password (staff != NULL ? ctx.stored_hash : store->dummy_hash, password) && staff != NULL;
  staff_id = staff != NULL ? staff->id : 0;
  if (ok)
    rehash_if_needed (store, "staff", staff_id, ctx.stored_hash, password);
  g_clear_pointer (&ctx.list, g_ptr_array_unref);
  g_clear_pointer (&ctx.stored_hash, g_free);
  if (!ok)
    {
      login_failed (store, name_key, addr_key, "The staff name or the password is wrong", error);
      return NULL;
    }
  login_succeeded (store, name_key);
  return sv_store_session_create (store, SV_STORE_SESSION_STAFF, 0, staff_id, error);
}

/* ------------------------------------------------------------------------ */
/* Audit                                                                    */

static gboolean
audit_insert (SvDbConn   *conn,
              SvStore    *store,
              gint64      account_id,
              gint64      staff_id,
              const char *iccid,
              const char *action,
              const char *detail,
              GError    **error)
{
  g_autoptr(SvDbStmt) stmt = NULL;

  stmt = sv_db_prepare (conn,
                        "INSERT INTO audit (account_id, at, staff_name, iccid, action, detail)"
                        " VALUES (?, ?, (SELECT name FROM staff WHERE id = ?), ?, ?, ?)",
                        error);
  if (stmt == NULL)
    return FALSE;
  sv_db_stmt_bind_int64 (stmt, 1, account_id);
  sv_db_stmt_bind_int64 (stmt, 2, sv_store_now (store));
  sv_db_stmt_bind_int64 (stmt, 3, staff_id);
  sv_db_stmt_bind_text (stmt, 4, iccid);
  sv_db_stmt_bind_text (stmt, 5, action);
  sv_db_stmt_bind_text (stmt, 6, detail);
  return sv_db_stmt_run (stmt, error);
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

  return audit_insert (conn, ctx->store, ctx->account_id, ctx->staff_id,
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
  return run (store, SV_DB_WRITE, audit_append_txn, &ctx, error);
}

static gboolean
audit_list_txn (SvDbConn *conn,
                gpointer  user_data,
                GError  **error)
{
  AuditContext *ctx = user_data;
  g_autoptr(SvDbStmt) stmt = NULL;
  GError *local_error = NULL;

  g_clear_pointer (&ctx->list, g_ptr_array_unref);
  ctx->list = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_store_audit_entry_free);
  stmt = sv_db_prepare (conn,
                        "SELECT id, at, staff_name, iccid, action, detail FROM audit"
                        " WHERE account_id = ? AND id < ? ORDER BY id DESC LIMIT ?",
                        error);
  if (stmt == NULL)
    return FALSE;
  sv_db_stmt_bind_int64 (stmt, 1, ctx->account_id);
  sv_db_stmt_bind_int64 (stmt, 2, ctx->before_id > 0 ? ctx->before_id : G_MAXINT64);
  sv_db_stmt_bind_int64 (stmt, 3, ctx->limit);
  while (sv_db_stmt_step (stmt, &local_error))
    {
      SvStoreAuditEntry *entry = g_new0 (SvStoreAuditEntry, 1);

      entry->id = sv_db_stmt_column_int64 (stmt, 0);
      entry->at = sv_db_stmt_column_int64 (stmt, 1);
      entry->account_id = ctx->account_id;
      entry->staff_name = sv_db_stmt_dup_text (stmt, 2);
      entry->iccid = sv_db_stmt_dup_text (stmt, 3);
      entry->action = sv_db_stmt_dup_text (stmt, 4);
      entry->detail = sv_db_stmt_dup_text (stmt, 5);
      g_ptr_array_add (ctx->list, entry);
    }
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return FALSE;
    }
  return TRUE;
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
  if (!run (store, SV_DB_READ, audit_list_txn, &ctx, error))
    {
      g_clear_pointer (&ctx.list, g_ptr_array_unref);
      return NULL;
    }
  return ctx.list;
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
  g_autoptr(SvDbStmt) stmt = NULL;

  stmt = sv_db_prepare (conn,
                        "INSERT INTO restore_codes (code_hash, account_id, created_at, expires_at)"
                        " VALUES (?, ?, ?, ?)",
                        error);
  if (stmt == NULL)
    return FALSE;
  sv_db_stmt_bind_blob (stmt, 1, ctx->hash, HASH_BYTES);
  sv_db_stmt_bind_int64 (stmt, 2, ctx->account_id);
  sv_db_stmt_bind_int64 (stmt, 3, sv_store_now (ctx->store));
  sv_db_stmt_bind_int64 (stmt, 4, ctx->expires_at);
  return sv_db_stmt_run (stmt, error);
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

    hash_buffer (ctx.hash, normal, strlen (normal));
  }
  ctx.expires_at = sv_store_now (store) + SV_STORE_RESTORE_CODE_USEC;
  if (!run (store, SV_DB_WRITE, restore_code_insert_txn, &ctx, error))
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

  stmt = sv_db_prepare (conn,
                        "DELETE FROM restore_codes WHERE code_hash = ? RETURNING account_id, expires_at",
                        error);
  if (stmt == NULL)
    return FALSE;
  sv_db_stmt_bind_blob (stmt, 1, ctx->hash, HASH_BYTES);
  if (!step_one (stmt, &found, error))
    return FALSE;
  if (found)
    ctx->accepted = sv_db_stmt_column_int64 (stmt, 0) == ctx->account_id &&
                    sv_db_stmt_column_int64 (stmt, 1) > sv_store_now (ctx->store);
  if (!sv_db_stmt_run (stmt, error))
    return FALSE;
  if (!ctx->accepted)
    return TRUE;

  ctx->session = session_insert (conn, ctx->store, SV_STORE_SESSION_DELEGATED,
                                 ctx->account_id, ctx->staff_id, error);
  if (ctx->session == NULL || !session_fill_names (conn, ctx->session, error))
    return FALSE;
  return audit_insert (conn, ctx->store, ctx->account_id, ctx->staff_id, NULL,
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
  g_autofree char *normal = normalize_phone (phone, NULL);
  g_autofree char *phone_key = g_strconcat ("phone:", normal != NULL ? normal : "", NULL);
  g_autofree char *addr_key = client_addr != NULL ? g_strconcat ("addr:", client_addr, NULL) : NULL;
  g_autoptr(SvStoreAccount) account = NULL;
  g_autoptr(GError) local_error = NULL;
  const char *failure = "The customer's phone number, password or restore code is wrong";

  g_return_val_if_fail ((password == NULL) != (restore_code == NULL), NULL);
  g_return_val_if_fail (staff_id != 0, NULL);

  if (!rate_check (store, phone_key, addr_key, retry_after_sec, error))
    return NULL;

  if (password != NULL)
    {
      SessionContext ctx = { store, SV_STORE_SESSION_DELEGATED, 0, staff_id, "consent", "password", };

      account = sv_store_account_verify (store, phone, password, &local_error);
      if (account == NULL)
        {
          if (g_error_matches (local_error, SV_STORE_ERROR, SV_STORE_ERROR_LOGIN_FAILED))
            login_failed (store, phone_key, addr_key, failure, error);
          else
            g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
      login_succeeded (store, phone_key);
      ctx.account_id = account->id;
      if (!run (store, SV_DB_WRITE, session_create_txn, &ctx, error))
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
        account = account_load (store, normal, 0, NULL, &local_error);
      if (account == NULL && local_error != NULL &&
          !g_error_matches (local_error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
      if (account == NULL || code == NULL)
        {
          login_failed (store, phone_key, addr_key, failure, error);
          return NULL;
        }
      ctx.account_id = account->id;
      hash_buffer (ctx.hash, code, strlen (code));
      if (!run (store, SV_DB_WRITE, restore_code_consume_txn, &ctx, error))
        {
          g_clear_pointer (&ctx.session, sv_store_session_free);
          return NULL;
        }
      if (!ctx.accepted)
        {
          login_failed (store, phone_key, addr_key, failure, error);
          return NULL;
        }
      login_succeeded (store, phone_key);
      return ctx.session;
    }
}

/* ------------------------------------------------------------------------ */
/* Cards                                                                    */

/* Inside a transaction: the card if it is @account_id's (0: any account),
 * NOT_FOUND otherwise. */
static SvStoreCard *
card_load (SvDbConn   *conn,
           gint64      account_id,
           const char *iccid,
           GError    **error)
{
  g_autoptr(SvStoreCard) card = NULL;
  g_autoptr(SvDbStmt) stmt = NULL;
  g_autoptr(SvDbStmt) files = NULL;
  GError *local_error = NULL;
  gboolean found;

  stmt = sv_db_prepare (conn,
                        "SELECT c.iccid, c.account_id, a.phone, c.imsi, c.card_type, c.batch,"
                        " c.counter_a, a.counter_b, c.sms_capacity, c.epoch, c.modseq,"
                        " c.purge_floor, c.replaced_by, c.registered_at, c.updated_at"
                        " FROM cards c JOIN accounts a ON a.id = c.account_id"
                        " WHERE c.iccid = ?",
                        error);
  if (stmt == NULL)
    return NULL;
  sv_db_stmt_bind_text (stmt, 1, iccid);
  if (!step_one (stmt, &found, error))
    return NULL;
  if (!found || (account_id != 0 && sv_db_stmt_column_int64 (stmt, 1) != account_id))
    {
      g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND,
                   "No such card");
      return NULL;
    }

  card = g_new0 (SvStoreCard, 1);
  card->iccid = sv_db_stmt_dup_text (stmt, 0);
  card->account_id = sv_db_stmt_column_int64 (stmt, 1);
  card->phone = sv_db_stmt_dup_text (stmt, 2);
  card->imsi = sv_db_stmt_dup_text (stmt, 3);
  card->card_type = sv_db_stmt_dup_text (stmt, 4);
  card->batch = sv_db_stmt_dup_text (stmt, 5);
  card->counter_a = sv_db_stmt_column_int64 (stmt, 6);
  card->counter_b = sv_db_stmt_column_int64 (stmt, 7);
  card->sms_capacity = (guint) sv_db_stmt_column_int64 (stmt, 8);
  card->epoch = sv_db_stmt_column_int64 (stmt, 9);
  card->modseq = sv_db_stmt_column_int64 (stmt, 10);
  card->purge_floor = sv_db_stmt_column_int64 (stmt, 11);
  card->replaced_by = sv_db_stmt_dup_text (stmt, 12);
  card->registered_at = sv_db_stmt_column_int64 (stmt, 13);
  card->updated_at = sv_db_stmt_column_int64 (stmt, 14);
  card->files = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_store_card_file_free);
  g_clear_pointer (&stmt, sv_db_stmt_finish);

  files = sv_db_prepare (conn,
                         "SELECT key, path, structure, record_len, n_records FROM card_files"
                         " WHERE iccid = ? ORDER BY position",
                         error);
  if (files == NULL)
    return NULL;
  sv_db_stmt_bind_text (files, 1, iccid);
  while (sv_db_stmt_step (files, &local_error))
    g_ptr_array_add (card->files,
                     sv_store_card_file_new (sv_db_stmt_column_text (files, 0),
                                       sv_db_stmt_column_text (files, 1),
                                       sv_db_stmt_column_text (files, 2),
                                       (guint) sv_db_stmt_column_int64 (files, 3),
                                       (guint) sv_db_stmt_column_int64 (files, 4)));
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return NULL;
    }
  return g_steal_pointer (&card);
}

static gboolean
check_card_info (const SvStoreCardInfo *info,
                 GError               **error)
{
  g_autoptr(GHashTable) keys = g_hash_table_new (g_str_hash, g_str_equal);
  guint64 total = 0;

  if (!check_iccid (info->iccid, error))
    return FALSE;
  if (info->card_type == NULL || *info->card_type == '\0' || strlen (info->card_type) > 32)
    {
      g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID, "The card type is missing");
      return FALSE;
    }
  if ((info->imsi != NULL && strlen (info->imsi) > 32) ||
      (info->batch != NULL && strlen (info->batch) > 128))
    {
      g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID, "The IMSI or the batch is too long");
      return FALSE;
    }
  if (info->counter_a < 0)
    {
      g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID, "Counter A is negative");
      return FALSE;
    }
  if (info->sms_capacity > SV_STORE_MAX_SMS_CAPACITY)
    {
      g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID,
                   "The SMS capacity is at most %u", SV_STORE_MAX_SMS_CAPACITY);
      return FALSE;
    }
  if (info->files == NULL || info->files->len > SV_STORE_MAX_FILES)
    {
      g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID,
                   "A card has at most %u files", SV_STORE_MAX_FILES);
      return FALSE;
    }
  for (guint i = 0; i < info->files->len; i++)
    {
      const SvStoreCardFile *file = g_ptr_array_index (info->files, i);

      if (file->key == NULL || *file->key == '\0' || strlen (file->key) > 32 ||
          file->path == NULL || strlen (file->path) > 64 ||
          file->structure == NULL || strlen (file->structure) > 32)
        {
          g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID,
                       "File %u has no key, path or structure", i);
          return FALSE;
        }
      if (!g_hash_table_add (keys, file->key))
        {
          g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID,
                       "The file “%s” is listed twice", file->key);
          return FALSE;
        }
      if (file->record_len < 1 || file->record_len > SV_STORE_MAX_RECORD_LEN ||
          file->n_records < 1 || file->n_records > 255)
        {
          g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID,
                       "The file “%s” has %u records of %u bytes: out of range",
                       file->key, file->n_records, file->record_len);
          return FALSE;
        }
      total += file->n_records;
    }
  if (total > SV_STORE_MAX_RECORDS_PER_CARD)
    {
      g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID,
                   "The card has more than %u records", SV_STORE_MAX_RECORDS_PER_CARD);
      return FALSE;
    }
  return TRUE;
}

static gboolean
exec_text (SvDbConn   *conn,
           const char *sql,
           const char *param,
           gint64     *changes,
           GError    **error)
{
  g_autoptr(SvDbStmt) stmt = sv_db_prepare (conn, sql, error);

  if (stmt == NULL)
    return FALSE;
  sv_db_stmt_bind_text (stmt, 1, param);
  if (!sv_db_stmt_run (stmt, error))
    return FALSE;
  if (changes != NULL)
    *changes = sv_db_stmt_changes (stmt);
  return TRUE;
}

static gboolean
files_upsert (SvDbConn              *conn,
              const SvStoreCardInfo *info,
              GError               **error)
{
  for (guint i = 0; i < info->files->len; i++)
    {
      const SvStoreCardFile *file = g_ptr_array_index (info->files, i);
      g_autoptr(SvDbStmt) stmt = NULL;

      stmt = sv_db_prepare (conn,
                            "INSERT INTO card_files (iccid, key, path, structure, record_len, n_records, position)"
                            " VALUES (?, ?, ?, ?, ?, ?, ?)"
                            " ON CONFLICT (iccid, key) DO UPDATE SET path = excluded.path,"
                            " structure = excluded.structure, record_len = excluded.record_len,"
                            " n_records = excluded.n_records, position = excluded.position",
                            error);
      if (stmt == NULL)
        return FALSE;
      sv_db_stmt_bind_text (stmt, 1, info->iccid);
      sv_db_stmt_bind_text (stmt, 2, file->key);
      sv_db_stmt_bind_text (stmt, 3, file->path);
      sv_db_stmt_bind_text (stmt, 4, file->structure);
      sv_db_stmt_bind_int64 (stmt, 5, file->record_len);
      sv_db_stmt_bind_int64 (stmt, 6, file->n_records);
      sv_db_stmt_bind_int64 (stmt, 7, i);
      if (!sv_db_stmt_run (stmt, error))
        return FALSE;
    }
  return TRUE;
}

/* Drops the oldest messages until @room parts fit the card's ring;
 * *dropped counts them. */
static gboolean
ring_make_room (SvDbConn   *conn,
                const char *iccid,
                guint       capacity,
                guint       room,
                guint      *dropped,
                GError    **error)
{
  gint64 used;

  if (!query_int64 (conn, "SELECT COALESCE(SUM(n_parts), 0) FROM messages WHERE iccid = ?",
                    iccid, &used, error))
    return FALSE;

  while (used + room > capacity && used > 0)
    {
      g_autoptr(SvDbStmt) oldest = NULL;
      g_autoptr(SvDbStmt) drop = NULL;
      gboolean found;
      gint64 id, n_parts;

      oldest = sv_db_prepare (conn,
                              "SELECT id, n_parts FROM messages WHERE iccid = ? ORDER BY id LIMIT 1",
                              error);
      if (oldest == NULL)
        return FALSE;
      sv_db_stmt_bind_text (oldest, 1, iccid);
      if (!step_one (oldest, &found, error))
        return FALSE;
      if (!found)
        break;
      id = sv_db_stmt_column_int64 (oldest, 0);
      n_parts = sv_db_stmt_column_int64 (oldest, 1);
      g_clear_pointer (&oldest, sv_db_stmt_finish);

      drop = sv_db_prepare (conn, "DELETE FROM messages WHERE iccid = ? AND id = ?", error);
      if (drop == NULL)
        return FALSE;
      sv_db_stmt_bind_text (drop, 1, iccid);
      sv_db_stmt_bind_int64 (drop, 2, id);
      if (!sv_db_stmt_run (drop, error))
        return FALSE;
      used -= n_parts;
      if (dropped != NULL)
        (*dropped)++;
    }
  return TRUE;
}

/* The same ICCID registered again: new info and layout. Records that the
 * new layout cannot hold are deleted, and then the epoch changes. */
static gboolean
card_update (SvDbConn              *conn,
             SvStore               *store,
             const SvStoreCard     *old,
             const SvStoreCardInfo *info,
             GError               **error)
{
  g_autoptr(SvDbStmt) update = NULL;
  gint64 dropped_records = 0;
  gint64 now = sv_store_now (store);
  gint64 epoch = old->epoch;

  for (guint i = 0; i < old->files->len; i++)
    {
      const SvStoreCardFile *was = g_ptr_array_index (old->files, i);
      const SvStoreCardFile *now_file = NULL;
      g_autoptr(SvDbStmt) stmt = NULL;

      for (guint j = 0; j < info->files->len; j++)
        if (g_str_equal (((SvStoreCardFile *) g_ptr_array_index (info->files, j))->key, was->key))
          now_file = g_ptr_array_index (info->files, j);

      if (now_file != NULL && now_file->record_len == was->record_len &&
          now_file->n_records >= was->n_records)
        continue;

      stmt = sv_db_prepare (conn,
                            "DELETE FROM records WHERE iccid = ? AND file_key = ? AND idx > ?",
                            error);
      if (stmt == NULL)
        return FALSE;
      sv_db_stmt_bind_text (stmt, 1, info->iccid);
      sv_db_stmt_bind_text (stmt, 2, was->key);
      sv_db_stmt_bind_int64 (stmt, 3, now_file != NULL && now_file->record_len == was->record_len
                                        ? now_file->n_records : 0);
      if (!sv_db_stmt_run (stmt, error))
        return FALSE;
      dropped_records += sv_db_stmt_changes (stmt);
      g_clear_pointer (&stmt, sv_db_stmt_finish);

      if (now_file == NULL)
        {
          stmt = sv_db_prepare (conn, "DELETE FROM card_files WHERE iccid = ? AND key = ?", error);
          if (stmt == NULL)
            return FALSE;
          sv_db_stmt_bind_text (stmt, 1, info->iccid);
          sv_db_stmt_bind_text (stmt, 2, was->key);
          if (!sv_db_stmt_run (stmt, error))
            return FALSE;
        }
    }

  if (!files_upsert (conn, info, error))
    return FALSE;

  /* a client holding a token of the old layout must start over */
  if (dropped_records > 0)
    epoch = MAX (epoch + 1, now / G_USEC_PER_SEC);

  update = sv_db_prepare (conn,
                          "UPDATE cards SET imsi = ?, card_type = ?, batch = ?, counter_a = ?,"
                          " sms_capacity = ?, epoch = ?, replaced_by = NULL, updated_at = ?"
                          " WHERE iccid = ?",
                          error);
  if (update == NULL)
    return FALSE;
  sv_db_stmt_bind_text (update, 1, info->imsi);
  sv_db_stmt_bind_text (update, 2, info->card_type);
  sv_db_stmt_bind_text (update, 3, info->batch);
  sv_db_stmt_bind_int64 (update, 4, info->counter_a);
  sv_db_stmt_bind_int64 (update, 5, info->sms_capacity);
  sv_db_stmt_bind_int64 (update, 6, epoch);
  sv_db_stmt_bind_int64 (update, 7, now);
  sv_db_stmt_bind_text (update, 8, info->iccid);
  if (!sv_db_stmt_run (update, error))
    return FALSE;

  /* a smaller SMS capacity: the ring keeps the newest that fit */
  return ring_make_room (conn, info->iccid, info->sms_capacity, 0, NULL, error);
}

static gboolean
card_insert (SvDbConn              *conn,
             SvStore               *store,
             gint64                 account_id,
             const SvStoreCardInfo *info,
             GError               **error)
{
  g_autoptr(SvDbStmt) stmt = NULL;
  gint64 now = sv_store_now (store);

  stmt = sv_db_prepare (conn,
                        "INSERT INTO cards (iccid, account_id, imsi, card_type, batch, counter_a,"
                        " sms_capacity, epoch, modseq, purge_floor, msg_seq, registered_at, updated_at)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, 0, 0, ?, ?)",
                        error);
  if (stmt == NULL)
    return FALSE;
  sv_db_stmt_bind_text (stmt, 1, info->iccid);
  sv_db_stmt_bind_int64 (stmt, 2, account_id);
  sv_db_stmt_bind_text (stmt, 3, info->imsi);
  sv_db_stmt_bind_text (stmt, 4, info->card_type);
  sv_db_stmt_bind_text (stmt, 5, info->batch);
  sv_db_stmt_bind_int64 (stmt, 6, info->counter_a);
  sv_db_stmt_bind_int64 (stmt, 7, info->sms_capacity);
  /* the epoch is the registration's second: a card registered again after
   * a deregistration never accepts a token of its earlier life */
  sv_db_stmt_bind_int64 (stmt, 8, MAX (1, now / G_USEC_PER_SEC));
  sv_db_stmt_bind_int64 (stmt, 9, now);
  sv_db_stmt_bind_int64 (stmt, 10, now);
  if (!sv_db_stmt_run (stmt, error))
    return FALSE;
  return files_upsert (conn, info, error);
}

typedef struct
{
  SvStore           *store;
  gint64             account_id;
  const SvStoreCardInfo  *info;
  /* with a password: */
  const char        *phone;
  const char        *hash;          /* set: create the account */
  /* out: */
  SvStoreRegisterOutcome  outcome;
  SvStoreCard            *card;
  gint64             new_account_id;
} RegisterContext;

static gboolean
card_register_in_txn (SvDbConn        *conn,
                      RegisterContext *ctx,
                      gint64           account_id,
                      GError         **error)
{
  g_autoptr(SvStoreCard) existing = NULL;
  g_autoptr(GError) local_error = NULL;
  const char *iccid = ctx->info->iccid;
  gint64 n_cards;

  existing = card_load (conn, 0, iccid, &local_error);
  if (existing == NULL && !g_error_matches (local_error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  if (existing != NULL && existing->account_id != account_id)
    {
      g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_CONFLICT,
                   "This card is registered to another account");
      return FALSE;
    }

  if (existing != NULL)
    {
      ctx->outcome = SV_STORE_REGISTER_UPDATED;
      if (!card_update (conn, ctx->store, existing, ctx->info, error))
        return FALSE;
    }
  else
    {
      g_autoptr(SvDbStmt) stmt = NULL;
      gboolean found;

      stmt = sv_db_prepare (conn, "SELECT COUNT(*) FROM cards WHERE account_id = ?", error);
      if (stmt == NULL)
        return FALSE;
      sv_db_stmt_bind_int64 (stmt, 1, account_id);
      if (!step_one (stmt, &found, error))
        return FALSE;
      n_cards = found ? sv_db_stmt_column_int64 (stmt, 0) : 0;
      g_clear_pointer (&stmt, sv_db_stmt_finish);
      ctx->outcome = n_cards > 0 ? SV_STORE_REGISTER_CARD_CHANGE : SV_STORE_REGISTER_REGISTERED;

      if (ctx->outcome == SV_STORE_REGISTER_CARD_CHANGE)
        {
          /* flow 1: the earlier backups stay, the new card is recorded,
           * counter B of the account goes up */
          stmt = sv_db_prepare (conn,
                                "UPDATE cards SET replaced_by = ? WHERE account_id = ? AND replaced_by IS NULL",
                                error);
          if (stmt == NULL)
            return FALSE;
          sv_db_stmt_bind_text (stmt, 1, iccid);
          sv_db_stmt_bind_int64 (stmt, 2, account_id);
          if (!sv_db_stmt_run (stmt, error))
            return FALSE;
          g_clear_pointer (&stmt, sv_db_stmt_finish);

          stmt = sv_db_prepare (conn, "UPDATE accounts SET counter_b = counter_b + 1 WHERE id = ?", error);
          if (stmt == NULL)
            return FALSE;
          sv_db_stmt_bind_int64 (stmt, 1, account_id);
          if (!sv_db_stmt_run (stmt, error))
            return FALSE;
        }
      if (!card_insert (conn, ctx->store, account_id, ctx->info, error))
        return FALSE;
    }

  ctx->card = card_load (conn, account_id, iccid, error);
  return ctx->card != NULL;
}

static gboolean
card_register_txn (SvDbConn *conn,
                   gpointer  user_data,
                   GError  **error)
{
  RegisterContext *ctx = user_data;
  gint64 account_id = ctx->account_id;

  g_clear_pointer (&ctx->card, sv_store_card_free);
  ctx->new_account_id = 0;

  if (ctx->hash != NULL)
    {
      AccountContext account = { ctx->store, ctx->phone, 0, ctx->hash, };

      if (!account_insert (conn, &account, error))
        {
          account_context_clear (&account);
          return FALSE;
        }
      account_id = ctx->new_account_id = account.account->id;
      account_context_clear (&account);
    }

  return card_register_in_txn (conn, ctx, account_id, error);
}

SvStoreCard *
sv_store_card_register (SvStore                *store,
                        gint64                  account_id,
                        const SvStoreCardInfo  *info,
                        SvStoreRegisterOutcome *outcome,
                        GError                **error)
{
  RegisterContext ctx = { store, account_id, info, };

  if (!check_card_info (info, error))
    return NULL;
  if (!run (store, SV_DB_WRITE, card_register_txn, &ctx, error))
    {
      g_clear_pointer (&ctx.card, sv_store_card_free);
      return NULL;
    }
  if (outcome != NULL)
    *outcome = ctx.outcome;
  return ctx.card;
}

SvStoreCard *
sv_store_card_register_with_password (SvStore                *store,
                                      const char             *phone,
                                      const char             *password,
                                      const char             *client_addr,
                                      const SvStoreCardInfo  *info,
                                      SvStoreRegisterOutcome *outcome,
                                      gint64                 *account_id,
                                      gint64                 *retry_after_sec,
                                      GError                **error)
{
  g_autofree char *normal = NULL;
  g_autofree char *phone_key = NULL;
  g_autofree char *addr_key = NULL;
  g_autofree char *stored_hash = NULL;
  g_autofree char *new_hash = NULL;
  g_autoptr(SvStoreAccount) account = NULL;
  g_autoptr(GError) local_error = NULL;
  RegisterContext ctx = { store, 0, info, };

  normal = normalize_phone (phone, error);
  if (normal == NULL || !check_password (password, error) || !check_card_info (info, error))
    return NULL;
  phone_key = g_strconcat ("phone:", normal, NULL);
  addr_key = client_addr != NULL ? g_strconcat ("addr:", client_addr, NULL) : NULL;
  if (!rate_check (store, phone_key, addr_key, retry_after_sec, error))
    return NULL;

  account = account_load (store, normal, 0, &stored_hash, &local_error);
  if (account == NULL)
    {
      if (!g_error_matches (local_error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
      /* a new account, created in the card's transaction: if the card
       * cannot be registered, there is no account either */
      new_hash = hash_password (store, password, error);
      if (new_hash == NULL)
        return NULL;
      ctx.phone = normal;
      ctx.hash = new_hash;
    }
  else if (!verify_password (stored_hash, password))
    {
      login_failed (store, phone_key, addr_key, "The phone number or the password is wrong", error);
      return NULL;
    }
  else
    {
      login_succeeded (store, phone_key);
      rehash_if_needed (store, "accounts", account->id, stored_hash, password);
      ctx.account_id = account->id;
    }

  if (!run (store, SV_DB_WRITE, card_register_txn, &ctx, error))
    {
      g_clear_pointer (&ctx.card, sv_store_card_free);
      return NULL;
    }
  if (outcome != NULL)
    *outcome = ctx.outcome;
  if (account_id != NULL)
    *account_id = ctx.card->account_id;
  return ctx.card;
}

typedef struct
{
  gint64      account_id;
  const char *iccid;
  SvStoreCard     *card;    /* out */
  GPtrArray  *list;    /* out */
  gint64      count;   /* out */
} CardContext;

static gboolean
card_get_txn (SvDbConn *conn,
              gpointer  user_data,
              GError  **error)
{
  CardContext *ctx = user_data;

  g_clear_pointer (&ctx->card, sv_store_card_free);
  ctx->card = card_load (conn, ctx->account_id, ctx->iccid, error);
  return ctx->card != NULL;
}

SvStoreCard *
sv_store_card_get (SvStore    *store,
                   gint64      account_id,
                   const char *iccid,
                   GError    **error)
{
  CardContext ctx = { account_id, iccid, };

  g_return_val_if_fail (account_id != 0, NULL);
  if (iccid == NULL || !run (store, SV_DB_READ, card_get_txn, &ctx, error))
    {
      if (iccid == NULL)
        g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND, "No such card");
      g_clear_pointer (&ctx.card, sv_store_card_free);
      return NULL;
    }
  return ctx.card;
}

static gboolean
card_list_txn (SvDbConn *conn,
               gpointer  user_data,
               GError  **error)
{
  CardContext *ctx = user_data;
  g_autoptr(SvDbStmt) stmt = NULL;
  g_autoptr(GPtrArray) iccids = g_ptr_array_new_with_free_func (g_free);
  GError *local_error = NULL;

  g_clear_pointer (&ctx->list, g_ptr_array_unref);
  ctx->list = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_store_card_free);

  stmt = sv_db_prepare (conn,
                        "SELECT iccid FROM cards WHERE account_id = ? ORDER BY registered_at, iccid",
                        error);
  if (stmt == NULL)
    return FALSE;
  sv_db_stmt_bind_int64 (stmt, 1, ctx->account_id);
  while (sv_db_stmt_step (stmt, &local_error))
    g_ptr_array_add (iccids, sv_db_stmt_dup_text (stmt, 0));
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return FALSE;
    }
  g_clear_pointer (&stmt, sv_db_stmt_finish);

  for (guint i = 0; i < iccids->len; i++)
    {
      SvStoreCard *card = card_load (conn, ctx->account_id, g_ptr_array_index (iccids, i), error);

      if (card == NULL)
        return FALSE;
      g_ptr_array_add (ctx->list, card);
    }
  return TRUE;
}

GPtrArray *
sv_store_card_list (SvStore *store,
                    gint64   account_id,
                    GError **error)
{
  CardContext ctx = { account_id, };

  if (!run (store, SV_DB_READ, card_list_txn, &ctx, error))
    {
      g_clear_pointer (&ctx.list, g_ptr_array_unref);
      return NULL;
    }
  return ctx.list;
}

static gboolean
count_card_rows (SvDbConn   *conn,
                 const char *iccid,
                 gint64     *total,
                 GError    **error)
{
  *total = 0;
  for (guint i = 0; i < sv_store_n_card_row_counts; i++)
    {
      gint64 n;

      if (!query_int64 (conn, sv_store_card_row_counts[i], iccid, &n, error))
        return FALSE;
      *total += n;
    }
  return TRUE;
}

static gboolean
card_deregister_txn (SvDbConn *conn,
                     gpointer  user_data,
                     GError  **error)
{
  /* children first: no reliance on ON DELETE CASCADE, which partitioned
   * tables may not have */
  static const char * const deletes[] = {
    "DELETE FROM restore_items WHERE iccid = ?",
    "DELETE FROM restores WHERE iccid = ?",
    "DELETE FROM batches WHERE iccid = ?",
    "DELETE FROM messages WHERE iccid = ?",
    "DELETE FROM records WHERE iccid = ?",
    "DELETE FROM card_files WHERE iccid = ?",
    "UPDATE cards SET replaced_by = NULL WHERE replaced_by = ?",
    "UPDATE audit SET iccid = NULL WHERE iccid = ?",
    "DELETE FROM cards WHERE iccid = ?",
  };
  CardContext *ctx = user_data;
  g_autoptr(SvStoreCard) card = NULL;

  card = card_load (conn, ctx->account_id, ctx->iccid, error);
  if (card == NULL)
    return FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (deletes); i++)
    if (!exec_text (conn, deletes[i], ctx->iccid, NULL, error))
      return FALSE;

  if (!count_card_rows (conn, ctx->iccid, &ctx->count, error))
    return FALSE;
  if (ctx->count != 0)
    {
      g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INTERNAL,
                   "%" G_GINT64_FORMAT " rows of the card are left after deleting it; nothing was deleted",
                   ctx->count);
      return FALSE;
    }
  return TRUE;
}

gboolean
sv_store_card_deregister (SvStore    *store,
                          gint64      account_id,
                          const char *iccid,
                          GError    **error)
{
  CardContext ctx = { account_id, iccid, };

  g_return_val_if_fail (account_id != 0, FALSE);
  if (iccid == NULL)
    {
      g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND, "No such card");
      return FALSE;
    }
  return run (store, SV_DB_WRITE, card_deregister_txn, &ctx, error);
}

static gboolean
card_count_txn (SvDbConn *conn,
                gpointer  user_data,
                GError  **error)
{
  CardContext *ctx = user_data;

  return count_card_rows (conn, ctx->iccid, &ctx->count, error);
}

gint64
sv_store_card_count_rows (SvStore    *store,
                          const char *iccid,
                          GError    **error)
{
  CardContext ctx = { 0, iccid, };

  if (!run (store, SV_DB_READ, card_count_txn, &ctx, error))
    return -1;
  return ctx.count;
}

/* ------------------------------------------------------------------------ */
/* Batches: the stored answers of backups and message appends               */

static GVariant *
bytes_variant (GBytes *bytes)
{
  return g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING, bytes, TRUE);
}

static void
backup_request_hash (const SvStoreBackupRequest *request,
                     guint8                 out[HASH_BYTES])
{
  GVariantBuilder files, records;

  g_variant_builder_init (&files, G_VARIANT_TYPE ("as"));
  for (guint i = 0; i < request->files->len; i++)
    g_variant_builder_add (&files, "s", (const char *) g_ptr_array_index (request->files, i));
  g_variant_builder_init (&records, G_VARIANT_TYPE ("a(suayx)"));
  for (guint i = 0; i < request->records->len; i++)
    {
      const SvStoreRecordWrite *write = g_ptr_array_index (request->records, i);

      g_variant_builder_add (&records, "(su@ayx)", write->file, write->index,
                             bytes_variant (write->data), write->base_version);
    }
  hash_variant (out, g_variant_new ("(uasa(suayx))", (guint32) request->mode,
                                    &files, &records));
}

static GBytes *
backup_result_serialize (const SvStoreBackupResult *result)
{
  GVariantBuilder applied, conflicts;
  g_autoptr(GVariant) variant = NULL;

  g_variant_builder_init (&applied, G_VARIANT_TYPE ("a(sux)"));
  for (guint i = 0; i < result->applied->len; i++)
    {
      const SvStoreRecord *record = g_ptr_array_index (result->applied, i);

      g_variant_builder_add (&applied, "(sux)", record->file, record->index, record->version);
    }
  g_variant_builder_init (&conflicts, G_VARIANT_TYPE ("a(suayxay)"));
  for (guint i = 0; i < result->conflicts->len; i++)
    {
      const SvStoreConflict *conflict = g_ptr_array_index (result->conflicts, i);

      g_variant_builder_add (&conflicts, "(su@ayx@ay)", conflict->file, conflict->index,
                             bytes_variant (conflict->server_data), conflict->server_version,
                             bytes_variant (conflict->client_data));
    }
  variant = g_variant_ref_sink (g_variant_new ("(a(sux)a(suayxay)xx)", &applied, &conflicts,
                                               result->epoch, result->modseq));
  return g_variant_get_data_as_bytes (variant);
}

static SvStoreBackupResult *
backup_result_new (const char *batch_id)
{
  SvStoreBackupResult *result = g_new0 (SvStoreBackupResult, 1);

  result->batch_id = g_strdup (batch_id);
  result->applied = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_store_record_free);
  result->conflicts = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_store_conflict_free);
  return result;
}

static SvStoreBackupResult *
backup_result_deserialize (const char *batch_id,
                           GBytes     *answer,
                           GError    **error)
{
  g_autoptr(GVariant) variant = NULL;
  g_autoptr(GVariantIter) applied = NULL;
  g_autoptr(GVariantIter) conflicts = NULL;
  SvStoreBackupResult *result;
  const char *file;
  guint32 index;
  gint64 version;
  GVariant *server_data, *client_data;

  variant = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE ("(a(sux)a(suayxay)xx)"),
                                                          answer, FALSE));
  result = backup_result_new (batch_id);
  g_variant_get (variant, "(a(sux)a(suayxay)xx)", &applied, &conflicts,
                 &result->epoch, &result->modseq);
  while (g_variant_iter_next (applied, "(&sux)", &file, &index, &version))
    g_ptr_array_add (result->applied, sv_store_record_new (file, index, NULL, version));
  while (g_variant_iter_next (conflicts, "(&su@ayx@ay)", &file, &index, &server_data,
                              &version, &client_data))
    {
      SvStoreConflict *conflict = g_new0 (SvStoreConflict, 1);

      conflict->file = g_strdup (file);
      conflict->index = index;
      conflict->server_data = g_variant_get_data_as_bytes (server_data);
      conflict->server_version = version;
      conflict->client_data = g_variant_get_data_as_bytes (client_data);
      g_ptr_array_add (result->conflicts, conflict);
      g_variant_unref (server_data);
      g_variant_unref (client_data);
    }
  return result;
}

/* Looks the batch up: *answer set if it was applied before with the same
 * request; BATCH_ID_REUSED if with another. */
static gboolean
batch_lookup (SvDbConn      *conn,
              const char    *iccid,
              const char    *batch_id,
              gint           kind,
              const guint8   request_hash[HASH_BYTES],
              GBytes       **answer,
              GError       **error)
{
  g_autoptr(SvDbStmt) stmt = NULL;
  g_autoptr(GBytes) stored_hash = NULL;
  g_autoptr(GBytes) expected = g_bytes_new (request_hash, HASH_BYTES);
  gboolean found;

  *answer = NULL;
  stmt = sv_db_prepare (conn,
                        "SELECT kind, request_hash, answer FROM batches WHERE iccid = ? AND batch_id = ?",
                        error);
  if (stmt == NULL)
    return FALSE;
  sv_db_stmt_bind_text (stmt, 1, iccid);
  sv_db_stmt_bind_text (stmt, 2, batch_id);
  if (!step_one (stmt, &found, error))
    return FALSE;
  if (!found)
    return TRUE;

  stored_hash = sv_db_stmt_column_bytes (stmt, 1);
  if (sv_db_stmt_column_int64 (stmt, 0) != kind || !bytes_equal (stored_hash, expected))
    {
      g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_BATCH_ID_REUSED,
                   "The batch id %s was used before with another request", batch_id);
      return FALSE;
    }
  *answer = sv_db_stmt_column_bytes (stmt, 2);
  return TRUE;
}

static gboolean
batch_store (SvDbConn      *conn,
             SvStore       *store,
             const char    *iccid,
             const char    *batch_id,
             gint           kind,
             const guint8   request_hash[HASH_BYTES],
             GBytes        *answer,
             GError       **error)
{
  g_autoptr(SvDbStmt) stmt = NULL;

  stmt = sv_db_prepare (conn,
                        "INSERT INTO batches (iccid, batch_id, kind, request_hash, answer, created_at)"
                        " VALUES (?, ?, ?, ?, ?, ?)",
                        error);
  if (stmt == NULL)
    return FALSE;
  sv_db_stmt_bind_text (stmt, 1, iccid);
  sv_db_stmt_bind_text (stmt, 2, batch_id);
  sv_db_stmt_bind_int64 (stmt, 3, kind);
  sv_db_stmt_bind_blob (stmt, 4, request_hash, HASH_BYTES);
  sv_db_stmt_bind_bytes (stmt, 5, answer);
  sv_db_stmt_bind_int64 (stmt, 6, sv_store_now (store));
  return sv_db_stmt_run (stmt, error);
}

static gboolean
check_batch_id (const char *batch_id,
                GError    **error)
{
  gsize len = batch_id != NULL ? strlen (batch_id) : 0;

  if (len == 0 || len > 64)
    goto bad;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalnum (batch_id[i]) && batch_id[i] != '-' && batch_id[i] != '_')
      goto bad;
  return TRUE;

bad:
  g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID,
               "A batch id is 1 to 64 letters, digits, - and _");
  return FALSE;
}

/* ------------------------------------------------------------------------ */
/* Records                                                                  */

static gint
compare_record (gconstpointer  a,
                gconstpointer  b)
{
  const SvStoreRecord *ra = *(SvStoreRecord * const *) a;
  const SvStoreRecord *rb = *(SvStoreRecord * const *) b;
  int c = strcmp (ra->file, rb->file);

  if (c != 0)
    return c;
  return ra->index < rb->index ? -1 : ra->index > rb->index;
}

static gint
compare_conflict (gconstpointer  a,
                  gconstpointer  b)
{
  const SvStoreConflict *ca = *(SvStoreConflict * const *) a;
  const SvStoreConflict *cb = *(SvStoreConflict * const *) b;
  int c = strcmp (ca->file, cb->file);

  if (c != 0)
    return c;
  return ca->index < cb->index ? -1 : ca->index > cb->index;
}

static gboolean
record_load (SvDbConn   *conn,
             const char *iccid,
             const char *file,
             guint       index,
             GBytes    **data,
             gint64     *version,
             GError    **error)
{
  g_autoptr(SvDbStmt) stmt = NULL;
  gboolean found;

  *data = NULL;
  *version = 0;
  stmt = sv_db_prepare (conn,
                        "SELECT data, version FROM records WHERE iccid = ? AND file_key = ? AND idx = ?",
                        error);
  if (stmt == NULL)
    return FALSE;
  sv_db_stmt_bind_text (stmt, 1, iccid);
  sv_db_stmt_bind_text (stmt, 2, file);
  sv_db_stmt_bind_int64 (stmt, 3, index);
  if (!step_one (stmt, &found, error))
    return FALSE;
  if (found)
    {
      *data = sv_db_stmt_column_bytes (stmt, 0);
      *version = sv_db_stmt_column_int64 (stmt, 1);
    }
  return TRUE;
}

static gboolean
record_store (SvDbConn   *conn,
              const char *iccid,
              const char *file,
              guint       index,
              GBytes     *data,
              gint64      version,
              GError    **error)
{
  g_autoptr(SvDbStmt) stmt = NULL;

  stmt = sv_db_prepare (conn,
                        "INSERT INTO records (iccid, file_key, idx, data, cleared, version)"
                        " VALUES (?, ?, ?, ?, ?, ?)"
                        " ON CONFLICT (iccid, file_key, idx) DO UPDATE SET data = excluded.data,"
                        " cleared = excluded.cleared, version = excluded.version",
                        error);
  if (stmt == NULL)
    return FALSE;
  sv_db_stmt_bind_text (stmt, 1, iccid);
  sv_db_stmt_bind_text (stmt, 2, file);
  sv_db_stmt_bind_int64 (stmt, 3, index);
  sv_db_stmt_bind_bytes (stmt, 4, data);
  sv_db_stmt_bind_int64 (stmt, 5, is_cleared (data) ? 1 : 0);
  sv_db_stmt_bind_int64 (stmt, 6, version);
  return sv_db_stmt_run (stmt, error);
}

static gboolean
check_backup_request (const SvStoreCard          *card,
                      const SvStoreBackupRequest *request,
                      GError                    **error)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) full_files = g_hash_table_new (g_str_hash, g_str_equal);

  if (request->records->len > SV_STORE_MAX_BATCH)
    {
      g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_TOO_LARGE,
                   "A batch holds at most %u records", SV_STORE_MAX_BATCH);
      return FALSE;
    }
  if (request->mode == SV_STORE_BACKUP_FULL && request->files->len == 0)
    {
      g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID,
                   "A full backup names the files it replaces");
      return FALSE;
    }
  if (request->mode != SV_STORE_BACKUP_FULL && request->files->len > 0)
    {
      g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID,
                   "Only a full backup names files");
      return FALSE;
    }
  for (guint i = 0; i < request->files->len; i++)
    {
      const char *key = g_ptr_array_index (request->files, i);

      if (sv_store_card_find_file (card, key) == NULL)
        {
          g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID,
                       "The card has no file “%s”", key);
          return FALSE;
        }
      g_hash_table_add (full_files, (gpointer) key);
    }
  for (guint i = 0; i < request->records->len; i++)
    {
      const SvStoreRecordWrite *write = g_ptr_array_index (request->records, i);
      const SvStoreCardFile *file = write->file != NULL ? sv_store_card_find_file (card, write->file) : NULL;

      if (file == NULL)
        {
          g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID,
                       "Record %u: the card has no file “%s”", i, write->file);
          return FALSE;
        }
      if (request->mode == SV_STORE_BACKUP_FULL && !g_hash_table_contains (full_files, write->file))
        {
          g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID,
                       "Record %u: the file “%s” is not one of the full backup's files", i, write->file);
          return FALSE;
        }
      if (write->index < 1 || write->index > file->n_records)
        {
          g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID,
                       "Record %u: index %u is outside 1-%u of “%s”",
                       i, write->index, file->n_records, file->key);
          return FALSE;
        }
      if (write->data == NULL || g_bytes_get_size (write->data) != file->record_len)
        {
          g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID,
                       "Record %u: a record of “%s” is %u bytes, not %" G_GSIZE_FORMAT,
                       i, file->key, file->record_len,
                       write->data != NULL ? g_bytes_get_size (write->data) : 0);
          return FALSE;
        }
      if (write->base_version < 0)
        {
          g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID,
                       "Record %u: a negative base version", i);
          return FALSE;
        }
      if (!g_hash_table_add (seen, g_strdup_printf ("%s#%u", write->file, write->index)))
        {
          g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID,
                       "Record %u: %s %u is in the batch twice", i, write->file, write->index);
          return FALSE;
        }
    }
  return TRUE;
}

typedef struct
{
  SvStore               *store;
  gint64                 account_id;
  const char            *iccid;
  const SvStoreBackupRequest *request;
  guint8                 request_hash[HASH_BYTES];
  SvStoreBackupResult        *result;   /* out */
} BackupContext;

static gboolean
backup_apply_txn (SvDbConn *conn,
                  gpointer  user_data,
                  GError  **error)
{
  BackupContext *ctx = user_data;
  const SvStoreBackupRequest *request = ctx->request;
  g_autoptr(SvStoreCard) card = NULL;
  g_autoptr(GBytes) answer = NULL;
  SvStoreBackupResult *result;
  gint64 modseq;
  gboolean changed = FALSE;

  g_clear_pointer (&ctx->result, sv_store_backup_result_free);

  card = card_load (conn, ctx->account_id, ctx->iccid, error);
  if (card == NULL)
    return FALSE;

  if (!batch_lookup (conn, ctx->iccid, request->batch_id, BATCH_BACKUP,
                     ctx->request_hash, &answer, error))
    return FALSE;
  if (answer != NULL)
    {
      ctx->result = backup_result_deserialize (request->batch_id, answer, error);
      if (ctx->result == NULL)
        return FALSE;
      ctx->result->replayed = TRUE;
      return TRUE;
    }

  if (!check_backup_request (card, request, error))
    return FALSE;

  result = ctx->result = backup_result_new (request->batch_id);
  modseq = card->modseq + 1;   /* the version of everything this batch changes */

  if (request->mode == SV_STORE_BACKUP_INCREMENTAL)
    {
      for (guint i = 0; i < request->records->len; i++)
        {
          const SvStoreRecordWrite *write = g_ptr_array_index (request->records, i);
          const SvStoreCardFile *file = sv_store_card_find_file (card, write->file);
          g_autoptr(GBytes) stored = NULL;
          gint64 version;

          if (!record_load (conn, ctx->iccid, write->file, write->index, &stored, &version, error))
            return FALSE;
          if (stored == NULL)
            stored = empty_record (file->record_len);

          if (bytes_equal (stored, write->data))
            {
              /* already there (a retry, or the same edit twice): no conflict
               * and no new version */
              g_ptr_array_add (result->applied, sv_store_record_new (write->file, write->index, NULL, version));
            }
          else if (version == write->base_version)
            {
              if (!record_store (conn, ctx->iccid, write->file, write->index, write->data, modseq, error))
                return FALSE;
              changed = TRUE;
              g_ptr_array_add (result->applied, sv_store_record_new (write->file, write->index, NULL, modseq));
            }
          else
            {
              SvStoreConflict *conflict = g_new0 (SvStoreConflict, 1);

              conflict->file = g_strdup (write->file);
              conflict->index = write->index;
              conflict->server_data = g_bytes_ref (stored);
              conflict->server_version = version;
              conflict->client_data = g_bytes_ref (write->data);
              g_ptr_array_add (result->conflicts, conflict);
            }
        }
    }
  else
    {
      for (guint f = 0; f < request->files->len; f++)
        {
          const char *key = g_ptr_array_index (request->files, f);
          const SvStoreCardFile *file = sv_store_card_find_file (card, key);
          g_autoptr(GHashTable) sent = g_hash_table_new (NULL, NULL);
          g_autoptr(GArray) to_clear = g_array_new (FALSE, FALSE, sizeof (guint));
          g_autoptr(SvDbStmt) stmt = NULL;
          g_autoptr(GBytes) empty = empty_record (file->record_len);
          GError *local_error = NULL;

          for (guint i = 0; i < request->records->len; i++)
            {
              const SvStoreRecordWrite *write = g_ptr_array_index (request->records, i);

              if (g_str_equal (write->file, key))
                g_hash_table_add (sent, GUINT_TO_POINTER (write->index));
            }

          /* the records of the file that the batch does not send are
           * cleared (kept as all-FF tombstones for "changes since") */
          stmt = sv_db_prepare (conn,
                                "SELECT idx FROM records WHERE iccid = ? AND file_key = ? AND cleared = 0",
                                error);
          if (stmt == NULL)
            return FALSE;
          sv_db_stmt_bind_text (stmt, 1, ctx->iccid);
          sv_db_stmt_bind_text (stmt, 2, key);
          while (sv_db_stmt_step (stmt, &local_error))
            {
              guint index = (guint) sv_db_stmt_column_int64 (stmt, 0);

              if (!g_hash_table_contains (sent, GUINT_TO_POINTER (index)))
                g_array_append_val (to_clear, index);
            }
          if (local_error != NULL)
            {
              g_propagate_error (error, local_error);
              return FALSE;
            }
          g_clear_pointer (&stmt, sv_db_stmt_finish);

          for (guint i = 0; i < to_clear->len; i++)
            {
              if (!record_store (conn, ctx->iccid, key, g_array_index (to_clear, guint, i),
                                 empty, modseq, error))
                return FALSE;
              changed = TRUE;
            }
        }

      for (guint i = 0; i < request->records->len; i++)
        {
          const SvStoreRecordWrite *write = g_ptr_array_index (request->records, i);
          const SvStoreCardFile *file = sv_store_card_find_file (card, write->file);
          g_autoptr(GBytes) stored = NULL;
          gint64 version;

          if (!record_load (conn, ctx->iccid, write->file, write->index, &stored, &version, error))
            return FALSE;
          if (stored == NULL)
            stored = empty_record (file->record_len);
          if (bytes_equal (stored, write->data))
            {
              g_ptr_array_add (result->applied, sv_store_record_new (write->file, write->index, NULL, version));
              continue;
            }
          if (!record_store (conn, ctx->iccid, write->file, write->index, write->data, modseq, error))
            return FALSE;
          changed = TRUE;
          g_ptr_array_add (result->applied, sv_store_record_new (write->file, write->index, NULL, modseq));
        }
    }

  if (changed)
    {
      g_autoptr(SvDbStmt) stmt = NULL;

      stmt = sv_db_prepare (conn, "UPDATE cards SET modseq = ?, updated_at = ? WHERE iccid = ?", error);
      if (stmt == NULL)
        return FALSE;
      sv_db_stmt_bind_int64 (stmt, 1, modseq);
      sv_db_stmt_bind_int64 (stmt, 2, sv_store_now (ctx->store));
      sv_db_stmt_bind_text (stmt, 3, ctx->iccid);
      if (!sv_db_stmt_run (stmt, error))
        return FALSE;
    }

  g_ptr_array_sort (result->applied, compare_record);
  g_ptr_array_sort (result->conflicts, compare_conflict);
  result->epoch = card->epoch;
  result->modseq = changed ? modseq : card->modseq;

  /* the answer is stored in the transaction that applied the batch: a
   * crash leaves both or neither */
  g_clear_pointer (&answer, g_bytes_unref);
  answer = backup_result_serialize (result);
  return batch_store (conn, ctx->store, ctx->iccid, request->batch_id, BATCH_BACKUP,
                      ctx->request_hash, answer, error);
}

SvStoreBackupResult *
sv_store_backup_apply (SvStore                    *store,
                       gint64                      account_id,
                       const char                 *iccid,
                       const SvStoreBackupRequest *request,
                       GError                    **error)
{
  BackupContext ctx = { store, account_id, iccid, request, };

  g_return_val_if_fail (request != NULL, NULL);

  if (iccid == NULL)
    {
      g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND, "No such card");
      return NULL;
    }
  if (!check_batch_id (request->batch_id, error))
    return NULL;
  for (guint i = 0; i < request->records->len; i++)
    if (((SvStoreRecordWrite *) g_ptr_array_index (request->records, i))->data == NULL)
      {
        g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID, "Record %u has no data", i);
        return NULL;
      }
  backup_request_hash (request, ctx.request_hash);

  if (!run (store, SV_DB_WRITE, backup_apply_txn, &ctx, error))
    {
      g_clear_pointer (&ctx.result, sv_store_backup_result_free);
      return NULL;
    }
  return ctx.result;
}

/* ------------------------------------------------------------------------ */
/* Changes since a token                                                    */

static gboolean
check_token (const SvStoreCard *card,
             gint64             epoch,
             gint64             modseq,
             GError           **error)
{
  if (epoch != card->epoch || modseq < card->purge_floor || modseq > card->modseq || modseq < 0)
    {
      g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_FULL_RESYNC_REQUIRED,
                   "The sync token is unknown or too old; a full resync is required");
      return FALSE;
    }
  return TRUE;
}

static SvStoreRecord *
record_from_row (SvDbStmt *stmt)
{
  SvStoreRecord *record = g_new0 (SvStoreRecord, 1);

  record->file = sv_db_stmt_dup_text (stmt, 0);
  record->index = (guint) sv_db_stmt_column_int64 (stmt, 1);
  record->data = sv_db_stmt_column_bytes (stmt, 2);
  record->version = sv_db_stmt_column_int64 (stmt, 3);
  return record;
}

/* Appends the rows of @stmt (file_key, idx, data, version) to @records,
 * leaving out the EF_SMS when @skip_sms */
static gboolean
collect_records (SvDbStmt  *stmt,
                 GPtrArray *records,
                 gboolean   skip_sms,
                 GError   **error)
{
  GError *local_error = NULL;

  while (sv_db_stmt_step (stmt, &local_error))
    {
      if (skip_sms && is_sms_file (sv_db_stmt_column_text (stmt, 0)))
        continue;
      g_ptr_array_add (records, record_from_row (stmt));
    }
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return FALSE;
    }
  return TRUE;
}

typedef struct
{
  gint64      account_id;
  const char *iccid;
  gint64      epoch;
  gint64      modseq;
  guint       limit;
  const char *file;
  SvStoreChanges  *changes;    /* out */
  GPtrArray  *records;    /* out (list) */
} ChangesContext;

static gboolean
changes_since_txn (SvDbConn *conn,
                   gpointer  user_data,
                   GError  **error)
{
  ChangesContext *ctx = user_data;
  g_autoptr(SvStoreCard) card = NULL;
  g_autoptr(SvDbStmt) stmt = NULL;
  GPtrArray *records;
  gint64 last;

  g_clear_pointer (&ctx->changes, sv_store_changes_free);

  card = card_load (conn, ctx->account_id, ctx->iccid, error);
  if (card == NULL || !check_token (card, ctx->epoch, ctx->modseq, error))
    return FALSE;

  ctx->changes = g_new0 (SvStoreChanges, 1);
  ctx->changes->records = records = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_store_record_free);
  ctx->changes->epoch = card->epoch;

  /* one range scan of records_changes (iccid, version); the extra row says
   * whether there is more */
  stmt = sv_db_prepare (conn,
                        "SELECT file_key, idx, data, version FROM records"
                        " WHERE iccid = ? AND version > ? ORDER BY version, file_key, idx LIMIT ?",
                        error);
  if (stmt == NULL)
    return FALSE;
  sv_db_stmt_bind_text (stmt, 1, ctx->iccid);
  sv_db_stmt_bind_int64 (stmt, 2, ctx->modseq);
  sv_db_stmt_bind_int64 (stmt, 3, (gint64) ctx->limit + 1);
  if (!collect_records (stmt, records, FALSE, error))
    return FALSE;
  g_clear_pointer (&stmt, sv_db_stmt_finish);

  if (records->len <= ctx->limit)
    {
      ctx->changes->modseq = card->modseq;
      ctx->changes->more = FALSE;
      return TRUE;
    }

  /* The token names a modseq, so a page ends at the end of one: drop the
   * extra row and the rest of its batch. */
  last = ((SvStoreRecord *) g_ptr_array_index (records, ctx->limit))->version;
  while (records->len > 0 &&
         ((SvStoreRecord *) g_ptr_array_index (records, records->len - 1))->version == last)
    g_ptr_array_set_size (records, records->len - 1);

  if (records->len == 0)
    {
      /* one batch is larger than the page: send it whole */
      stmt = sv_db_prepare (conn,
                            "SELECT file_key, idx, data, version FROM records"
                            " WHERE iccid = ? AND version = ? ORDER BY file_key, idx",
                            error);
      if (stmt == NULL)
        return FALSE;
      sv_db_stmt_bind_text (stmt, 1, ctx->iccid);
      sv_db_stmt_bind_int64 (stmt, 2, last);
      if (!collect_records (stmt, records, FALSE, error))
        return FALSE;
      ctx->changes->modseq = last;
      ctx->changes->more = last < card->modseq;
      return TRUE;
    }

  ctx->changes->modseq = ((SvStoreRecord *) g_ptr_array_index (records, records->len - 1))->version;
  ctx->changes->more = TRUE;
  return TRUE;
}

SvStoreChanges *
sv_store_changes_since (SvStore    *store,
                        gint64      account_id,
                        const char *iccid,
                        gint64      since_epoch,
                        gint64      since_modseq,
                        guint       limit,
                        GError    **error)
{
  ChangesContext ctx = { account_id, iccid, since_epoch, since_modseq, };

  ctx.limit = limit == 0 ? DEFAULT_CHANGES_LIMIT : MIN (limit, SV_STORE_MAX_BATCH);
  if (iccid == NULL)
    {
      g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND, "No such card");
      return NULL;
    }
  if (!run (store, SV_DB_READ, changes_since_txn, &ctx, error))
    {
      g_clear_pointer (&ctx.changes, sv_store_changes_free);
      return NULL;
    }
  return ctx.changes;
}

static gboolean
records_list_txn (SvDbConn *conn,
                  gpointer  user_data,
                  GError  **error)
{
  ChangesContext *ctx = user_data;
  g_autoptr(SvStoreCard) card = NULL;
  g_autoptr(SvDbStmt) stmt = NULL;

  g_clear_pointer (&ctx->records, g_ptr_array_unref);
  card = card_load (conn, ctx->account_id, ctx->iccid, error);
  if (card == NULL)
    return FALSE;
  if (ctx->file != NULL && sv_store_card_find_file (card, ctx->file) == NULL)
    {
      g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND,
                   "The card has no file “%s”", ctx->file);
      return FALSE;
    }

  ctx->records = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_store_record_free);
  if (ctx->file != NULL)
    {
      stmt = sv_db_prepare (conn,
                            "SELECT file_key, idx, data, version FROM records"
                            " WHERE iccid = ? AND file_key = ? AND cleared = 0 ORDER BY idx",
                            error);
      if (stmt == NULL)
        return FALSE;
      sv_db_stmt_bind_text (stmt, 2, ctx->file);
    }
  else
    {
      stmt = sv_db_prepare (conn,
                            "SELECT file_key, idx, data, version FROM records"
                            " WHERE iccid = ? AND cleared = 0 ORDER BY file_key, idx",
                            error);
      if (stmt == NULL)
        return FALSE;
    }
  sv_db_stmt_bind_text (stmt, 1, ctx->iccid);
  return collect_records (stmt, ctx->records, FALSE, error);
}

GPtrArray *
sv_store_records_list (SvStore    *store,
                       gint64      account_id,
                       const char *iccid,
                       const char *file,
                       GError    **error)
{
  ChangesContext ctx = { account_id, iccid, };

  ctx.file = file;
  if (iccid == NULL)
    {
      g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND, "No such card");
      return NULL;
    }
  if (!run (store, SV_DB_READ, records_list_txn, &ctx, error))
    {
      g_clear_pointer (&ctx.records, g_ptr_array_unref);
      return NULL;
    }
  return ctx.records;
}

static gboolean
purge_cleared_txn (SvDbConn *conn,
                   gpointer  user_data,
                   GError  **error)
{
  ChangesContext *ctx = user_data;
  g_autoptr(SvStoreCard) card = NULL;
  g_autoptr(SvDbStmt) purge = NULL;
  g_autoptr(SvDbStmt) raise_floor = NULL;
  gint64 modseq;

  card = card_load (conn, 0, ctx->iccid, error);
  if (card == NULL)
    return FALSE;
  modseq = MIN (ctx->modseq, card->modseq);
  if (modseq <= card->purge_floor)
    return TRUE;

  purge = sv_db_prepare (conn,
                         "DELETE FROM records WHERE iccid = ? AND cleared = 1 AND version <= ?",
                         error);
  if (purge == NULL)
    return FALSE;
  sv_db_stmt_bind_text (purge, 1, ctx->iccid);
  sv_db_stmt_bind_int64 (purge, 2, modseq);
  if (!sv_db_stmt_run (purge, error))
    return FALSE;

  raise_floor = sv_db_prepare (conn, "UPDATE cards SET purge_floor = ? WHERE iccid = ?", error);
  if (raise_floor == NULL)
    return FALSE;
  sv_db_stmt_bind_int64 (raise_floor, 1, modseq);
  sv_db_stmt_bind_text (raise_floor, 2, ctx->iccid);
  return sv_db_stmt_run (raise_floor, error);
}

gboolean
sv_store_purge_cleared (SvStore    *store,
                        const char *iccid,
                        gint64      modseq,
                        GError    **error)
{
  ChangesContext ctx = { 0, iccid, 0, modseq, };

  return run (store, SV_DB_WRITE, purge_cleared_txn, &ctx, error);
}

/* ------------------------------------------------------------------------ */
/* The SMS ring                                                             */

static GBytes *
message_parts_concat (const SvStoreMessage *message)
{
  g_autoptr(GByteArray) all = g_byte_array_new ();

  for (guint i = 0; i < message->parts->len; i++)
    {
      gsize len;
      const guint8 *data = g_bytes_get_data (g_ptr_array_index (message->parts, i), &len);

      g_byte_array_append (all, data, len);
    }
  return g_byte_array_free_to_bytes (g_steal_pointer (&all));
}

static GVariant *
message_variant (const SvStoreMessage *message)
{
  GVariantBuilder parts;

  g_variant_builder_init (&parts, G_VARIANT_TYPE ("aay"));
  for (guint i = 0; i < message->parts->len; i++)
    g_variant_builder_add_value (&parts, bytes_variant (g_ptr_array_index (message->parts, i)));
  return g_variant_builder_end (&parts);
}

static SvStoreMessage *
message_from_blob (gint64  id,
                   GBytes *parts,
                   guint   n_parts,
                   gint64  stored_at,
                   gint64  received_at)
{
  SvStoreMessage *message = sv_store_message_new (stored_at);
  gsize len = g_bytes_get_size (parts);
  gsize part_len = n_parts > 0 ? len / n_parts : 0;

  message->id = id;
  message->received_at = received_at;
  for (guint i = 0; i < n_parts; i++)
    g_ptr_array_add (message->parts, g_bytes_new_from_bytes (parts, i * part_len, part_len));
  return message;
}

static gboolean
check_messages (const SvStoreCard *card,
                GPtrArray         *messages,
                GError           **error)
{
  if (messages == NULL || messages->len > MAX_MESSAGES)
    {
      g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_TOO_LARGE,
                   "A batch holds at most %u messages", MAX_MESSAGES);
      return FALSE;
    }
  for (guint i = 0; i < messages->len; i++)
    {
      const SvStoreMessage *message = g_ptr_array_index (messages, i);
      gsize part_len = 0;

      if (message->parts == NULL || message->parts->len == 0)
        {
          g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID,
                       "Message %u has no record", i);
          return FALSE;
        }
      if (message->parts->len > card->sms_capacity)
        {
          g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID,
                       "Message %u has %u records; the card holds %u",
                       i, message->parts->len, card->sms_capacity);
          return FALSE;
        }
      for (guint j = 0; j < message->parts->len; j++)
        {
          gsize len = g_bytes_get_size (g_ptr_array_index (message->parts, j));

          if (j == 0)
            part_len = len;
          if (len == 0 || len > SV_STORE_MAX_RECORD_LEN || len != part_len)
            {
              g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID,
                           "Message %u: the records of a message are EF_SMS records of one size", i);
              return FALSE;
            }
        }
    }
  return TRUE;
}

typedef struct
{
  SvStore          *store;
  gint64            account_id;
  const char       *iccid;
  const char       *batch_id;
  GPtrArray        *messages;
  gint64            message_id;
  guint8            request_hash[HASH_BYTES];
  SvStoreMessagesResult *result;   /* out */
  GPtrArray        *list;     /* out */
} MessagesContext;

static gboolean
messages_append_txn (SvDbConn *conn,
                     gpointer  user_data,
                     GError  **error)
{
  MessagesContext *ctx = user_data;
  g_autoptr(SvStoreCard) card = NULL;
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(GVariant) answer_variant = NULL;
  g_autoptr(SvDbStmt) seq = NULL;
  SvStoreMessagesResult *result;
  gint64 msg_seq, count;
  gint64 now = sv_store_now (ctx->store);
  gboolean found;

  g_clear_pointer (&ctx->result, sv_store_messages_result_free);

  card = card_load (conn, ctx->account_id, ctx->iccid, error);
  if (card == NULL)
    return FALSE;

  if (!batch_lookup (conn, ctx->iccid, ctx->batch_id, BATCH_MESSAGES,
                     ctx->request_hash, &answer, error))
    return FALSE;
  if (answer != NULL)
    {
      g_autoptr(GVariant) stored = NULL;
      guint32 stored_n, duplicates, dropped, n;

      stored = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE ("(uuuu)"), answer, FALSE));
      g_variant_get (stored, "(uuuu)", &stored_n, &duplicates, &dropped, &n);
      ctx->result = g_new0 (SvStoreMessagesResult, 1);
      ctx->result->stored = stored_n;
      ctx->result->duplicates = duplicates;
      ctx->result->dropped = dropped;
      ctx->result->count = n;
      ctx->result->replayed = TRUE;
      return TRUE;
    }

  if (!check_messages (card, ctx->messages, error))
    return FALSE;

  seq = sv_db_prepare (conn, "SELECT msg_seq FROM cards WHERE iccid = ?", error);
  if (seq == NULL)
    return FALSE;
  sv_db_stmt_bind_text (seq, 1, ctx->iccid);
  if (!step_one (seq, &found, error))
    return FALSE;
  msg_seq = found ? sv_db_stmt_column_int64 (seq, 0) : 0;
  g_clear_pointer (&seq, sv_db_stmt_finish);

  result = ctx->result = g_new0 (SvStoreMessagesResult, 1);
  for (guint i = 0; i < ctx->messages->len; i++)
    {
      const SvStoreMessage *message = g_ptr_array_index (ctx->messages, i);
      g_autoptr(SvDbStmt) exists = NULL;
      g_autoptr(SvDbStmt) insert = NULL;
      g_autoptr(GBytes) parts = NULL;
      guint8 content_hash[HASH_BYTES];

      hash_variant (content_hash, message_variant (message));
      exists = sv_db_prepare (conn, "SELECT id FROM messages WHERE iccid = ? AND content_hash = ?", error);
      if (exists == NULL)
        return FALSE;
      sv_db_stmt_bind_text (exists, 1, ctx->iccid);
      sv_db_stmt_bind_blob (exists, 2, content_hash, HASH_BYTES);
      if (!step_one (exists, &found, error))
        return FALSE;
      if (found)
        {
          result->duplicates++;
          continue;
        }

      if (!ring_make_room (conn, ctx->iccid, card->sms_capacity, message->parts->len,
                           &result->dropped, error))
        return FALSE;

      parts = message_parts_concat (message);
      insert = sv_db_prepare (conn,
                              "INSERT INTO messages (iccid, id, content_hash, parts, n_parts, stored_at, received_at)"
                              " VALUES (?, ?, ?, ?, ?, ?, ?)",
                              error);
      if (insert == NULL)
        return FALSE;
      sv_db_stmt_bind_text (insert, 1, ctx->iccid);
      sv_db_stmt_bind_int64 (insert, 2, ++msg_seq);
      sv_db_stmt_bind_blob (insert, 3, content_hash, HASH_BYTES);
      sv_db_stmt_bind_bytes (insert, 4, parts);
      sv_db_stmt_bind_int64 (insert, 5, message->parts->len);
      sv_db_stmt_bind_int64 (insert, 6, message->stored_at);
      sv_db_stmt_bind_int64 (insert, 7, now);
      if (!sv_db_stmt_run (insert, error))
        return FALSE;
      result->stored++;
    }

  seq = sv_db_prepare (conn, "UPDATE cards SET msg_seq = ?, updated_at = ? WHERE iccid = ?", error);
  if (seq == NULL)
    return FALSE;
  sv_db_stmt_bind_int64 (seq, 1, msg_seq);
  sv_db_stmt_bind_int64 (seq, 2, now);
  sv_db_stmt_bind_text (seq, 3, ctx->iccid);
  if (!sv_db_stmt_run (seq, error))
    return FALSE;

  if (!query_int64 (conn, "SELECT COUNT(*) FROM messages WHERE iccid = ?", ctx->iccid, &count, error))
    return FALSE;
  result->count = (guint) count;

  answer_variant = g_variant_ref_sink (g_variant_new ("(uuuu)", result->stored, result->duplicates,
                                                      result->dropped, result->count));
  g_clear_pointer (&answer, g_bytes_unref);
  answer = g_variant_get_data_as_bytes (answer_variant);
  return batch_store (conn, ctx->store, ctx->iccid, ctx->batch_id, BATCH_MESSAGES,
                      ctx->request_hash, answer, error);
}

SvStoreMessagesResult *
sv_store_messages_append (SvStore    *store,
                          gint64      account_id,
                          const char *iccid,
                          const char *batch_id,
                          GPtrArray  *messages,
                          GError    **error)
{
  MessagesContext ctx = { store, account_id, iccid, batch_id, messages, };
  GVariantBuilder all;

  if (iccid == NULL)
    {
      g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND, "No such card");
      return NULL;
    }
  if (!check_batch_id (batch_id, error))
    return NULL;
  if (messages == NULL)
    {
      g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID, "No messages");
      return NULL;
    }

  g_variant_builder_init (&all, G_VARIANT_TYPE ("a(xaay)"));
  for (guint i = 0; i < messages->len; i++)
    {
      const SvStoreMessage *message = g_ptr_array_index (messages, i);

      g_variant_builder_add (&all, "(x@aay)", message->stored_at, message_variant (message));
    }
  hash_variant (ctx.request_hash, g_variant_builder_end (&all));

  if (!run (store, SV_DB_WRITE, messages_append_txn, &ctx, error))
    {
      g_clear_pointer (&ctx.result, sv_store_messages_result_free);
      return NULL;
    }
  return ctx.result;
}

/* The ring, oldest first */
static gboolean
messages_collect (SvDbConn   *conn,
                  const char *iccid,
                  GPtrArray  *list,
                  GError    **error)
{
  g_autoptr(SvDbStmt) stmt = NULL;
  GError *local_error = NULL;

  stmt = sv_db_prepare (conn,
                        "SELECT id, parts, n_parts, stored_at, received_at FROM messages"
                        " WHERE iccid = ? ORDER BY id",
                        error);
  if (stmt == NULL)
    return FALSE;
  sv_db_stmt_bind_text (stmt, 1, iccid);
  while (sv_db_stmt_step (stmt, &local_error))
    {
      g_autoptr(GBytes) parts = sv_db_stmt_column_bytes (stmt, 1);

      g_ptr_array_add (list, message_from_blob (sv_db_stmt_column_int64 (stmt, 0), parts,
                                                (guint) sv_db_stmt_column_int64 (stmt, 2),
                                                sv_db_stmt_column_int64 (stmt, 3),
                                                sv_db_stmt_column_int64 (stmt, 4)));
    }
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return FALSE;
    }
  return TRUE;
}

static gboolean
messages_list_txn (SvDbConn *conn,
                   gpointer  user_data,
                   GError  **error)
{
  MessagesContext *ctx = user_data;
  g_autoptr(SvStoreCard) card = NULL;

  g_clear_pointer (&ctx->list, g_ptr_array_unref);
  card = card_load (conn, ctx->account_id, ctx->iccid, error);
  if (card == NULL)
    return FALSE;
  ctx->list = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_store_message_free);
  return messages_collect (conn, ctx->iccid, ctx->list, error);
}

GPtrArray *
sv_store_messages_list (SvStore    *store,
                        gint64      account_id,
                        const char *iccid,
                        GError    **error)
{
  MessagesContext ctx = { store, account_id, iccid, };

  if (iccid == NULL)
    {
      g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND, "No such card");
      return NULL;
    }
  if (!run (store, SV_DB_READ, messages_list_txn, &ctx, error))
    {
      g_clear_pointer (&ctx.list, g_ptr_array_unref);
      return NULL;
    }
  return ctx.list;
}

static gboolean
message_delete_txn (SvDbConn *conn,
                    gpointer  user_data,
                    GError  **error)
{
  MessagesContext *ctx = user_data;
  g_autoptr(SvStoreCard) card = NULL;
  g_autoptr(SvDbStmt) stmt = NULL;

  card = card_load (conn, ctx->account_id, ctx->iccid, error);
  if (card == NULL)
    return FALSE;
  stmt = sv_db_prepare (conn, "DELETE FROM messages WHERE iccid = ? AND id = ?", error);
  if (stmt == NULL)
    return FALSE;
  sv_db_stmt_bind_text (stmt, 1, ctx->iccid);
  sv_db_stmt_bind_int64 (stmt, 2, ctx->message_id);
  if (!sv_db_stmt_run (stmt, error))
    return FALSE;
  if (sv_db_stmt_changes (stmt) == 0)
    {
      g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND, "No such message");
      return FALSE;
    }
  return TRUE;
}

gboolean
sv_store_message_delete (SvStore    *store,
                         gint64      account_id,
                         const char *iccid,
                         gint64      message_id,
                         GError    **error)
{
  MessagesContext ctx = { store, account_id, iccid, };

  ctx.message_id = message_id;
  if (iccid == NULL)
    {
      g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND, "No such card");
      return FALSE;
    }
  return run (store, SV_DB_WRITE, message_delete_txn, &ctx, error);
}

/* ------------------------------------------------------------------------ */
/* Restores                                                                 */

#define RESTORE_COLUMNS \
  "id, iccid, kind, staff_id, group_size, n_groups, n_records, n_messages," \
  " n_acked, completed_at, epoch, modseq, created_at, clear_files"

static SvStoreRestore *
restore_from_row (SvDbStmt *stmt,
                  char    **clear_files)
{
  SvStoreRestore *restore = g_new0 (SvStoreRestore, 1);

  restore->id = sv_db_stmt_dup_text (stmt, 0);
  restore->iccid = sv_db_stmt_dup_text (stmt, 1);
  restore->kind = sv_db_stmt_column_int64 (stmt, 2) == SV_STORE_RESTORE_INCREMENTAL
                  ? SV_STORE_RESTORE_INCREMENTAL : SV_STORE_RESTORE_FULL;
  restore->staff_id = sv_db_stmt_column_int64 (stmt, 3);
  restore->group_size = (guint) sv_db_stmt_column_int64 (stmt, 4);
  restore->n_groups = (guint) sv_db_stmt_column_int64 (stmt, 5);
  restore->n_records = (guint) sv_db_stmt_column_int64 (stmt, 6);
  restore->n_messages = (guint) sv_db_stmt_column_int64 (stmt, 7);
  restore->n_acked = (guint) sv_db_stmt_column_int64 (stmt, 8);
  restore->done = !sv_db_stmt_column_is_null (stmt, 9);
  restore->epoch = sv_db_stmt_column_int64 (stmt, 10);
  restore->modseq = sv_db_stmt_column_int64 (stmt, 11);
  restore->created_at = sv_db_stmt_column_int64 (stmt, 12);
  if (clear_files != NULL)
    *clear_files = sv_db_stmt_dup_text (stmt, 13);
  return restore;
}

/* A restore id is "ICCID.UUID": the card is in the id, so every lookup
 * names the card (one partition when the tables are partitioned by card). */
static char *
restore_id_card (const char *restore_id)
{
  const char *dot = restore_id != NULL ? strchr (restore_id, '.') : NULL;

  if (dot == NULL || dot == restore_id || dot - restore_id > 20)
    return NULL;
  return g_strndup (restore_id, dot - restore_id);
}

/* Inside a transaction: the restore if it belongs to @account_id */
static SvStoreRestore *
restore_load (SvDbConn   *conn,
              gint64      account_id,
              const char *restore_id,
              char      **clear_files,
              GError    **error)
{
  g_autoptr(SvDbStmt) stmt = NULL;
  g_autofree char *iccid = restore_id_card (restore_id);
  gboolean found;

  if (iccid == NULL)
    {
      g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND, "No such restore");
      return NULL;
    }
  stmt = sv_db_prepare (conn,
                        "SELECT " RESTORE_COLUMNS " FROM restores"
                        " WHERE iccid = ? AND id = ? AND account_id = ?",
                        error);
  if (stmt == NULL)
    return NULL;
  sv_db_stmt_bind_text (stmt, 1, iccid);
  sv_db_stmt_bind_text (stmt, 2, restore_id);
  sv_db_stmt_bind_int64 (stmt, 3, account_id);
  if (!step_one (stmt, &found, error))
    return NULL;
  if (!found)
    {
      g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND, "No such restore");
      return NULL;
    }
  return restore_from_row (stmt, clear_files);
}

typedef struct
{
  SvStore        *store;
  gint64          account_id;
  gint64          staff_id;
  const char     *iccid;
  SvStoreRestoreKind   kind;
  gint64          since_epoch;
  gint64          since_modseq;
  gboolean        sms;
  guint           group_size;
  const char     *restore_id;
  guint           group;
  SvStoreRestore      *restore;     /* out */
  SvStoreRestoreGroup *result;      /* out */
} RestoreContext;

static gboolean
restore_item_insert (SvDbConn             *conn,
                     RestoreContext       *ctx,
                     const char           *restore_id,
                     guint                 seq,
                     const SvStoreRecord  *record,
                     const SvStoreMessage *message,
                     GError              **error)
{
  g_autoptr(SvDbStmt) stmt = NULL;

  stmt = sv_db_prepare (conn,
                        "INSERT INTO restore_items (iccid, restore_id, seq, file_key, idx, version,"
                        " message_id, n_parts, stored_at, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        error);
  if (stmt == NULL)
    return FALSE;
  sv_db_stmt_bind_text (stmt, 1, ctx->iccid);
  sv_db_stmt_bind_text (stmt, 2, restore_id);
  sv_db_stmt_bind_int64 (stmt, 3, seq);
  if (record != NULL)
    {
      sv_db_stmt_bind_text (stmt, 4, record->file);
      sv_db_stmt_bind_int64 (stmt, 5, record->index);
      sv_db_stmt_bind_int64 (stmt, 6, record->version);
      sv_db_stmt_bind_null (stmt, 7);
      sv_db_stmt_bind_null (stmt, 8);
      sv_db_stmt_bind_null (stmt, 9);
      sv_db_stmt_bind_bytes (stmt, 10, record->data);
    }
  else
    {
      g_autoptr(GBytes) parts = message_parts_concat (message);

      sv_db_stmt_bind_null (stmt, 4);
      sv_db_stmt_bind_null (stmt, 5);
      sv_db_stmt_bind_null (stmt, 6);
      sv_db_stmt_bind_int64 (stmt, 7, message->id);
      sv_db_stmt_bind_int64 (stmt, 8, message->parts->len);
      sv_db_stmt_bind_int64 (stmt, 9, message->stored_at);
      sv_db_stmt_bind_bytes (stmt, 10, parts);
    }
  return sv_db_stmt_run (stmt, error);
}

static gboolean
restore_create_txn (SvDbConn *conn,
                    gpointer  user_data,
                    GError  **error)
{
  RestoreContext *ctx = user_data;
  g_autoptr(SvStoreCard) card = NULL;
  g_autoptr(SvDbStmt) stmt = NULL;
  g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_store_record_free);
  g_autoptr(GPtrArray) messages = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_store_message_free);
  g_autoptr(GString) clear = g_string_new (NULL);
  g_autofree char *uuid = g_uuid_string_random ();
  g_autofree char *id = g_strconcat (ctx->iccid, ".", uuid, NULL);
  guint n_items, n_groups, seq = 0;

  g_clear_pointer (&ctx->restore, sv_store_restore_free);

  card = card_load (conn, ctx->account_id, ctx->iccid, error);
  if (card == NULL)
    return FALSE;

  if (ctx->kind == SV_STORE_RESTORE_FULL)
    {
      const char *sms_key = "sms";

      /* flow 9: every stored record, in the layout's order */
      stmt = sv_db_prepare (conn,
                            "SELECT r.file_key, r.idx, r.data, r.version FROM records r"
                            " JOIN card_files f ON f.iccid = r.iccid AND f.key = r.file_key"
                            " WHERE r.iccid = ? AND r.cleared = 0 ORDER BY f.position, r.idx",
                            error);
      if (stmt == NULL)
        return FALSE;
      sv_db_stmt_bind_text (stmt, 1, ctx->iccid);
      if (!collect_records (stmt, records, TRUE, error))
        return FALSE;

      for (guint i = 0; i < card->files->len; i++)
        {
          const SvStoreCardFile *file = g_ptr_array_index (card->files, i);

          if (is_sms_file (file->key))
            {
              sms_key = file->key;
              continue;
            }
          g_string_append_printf (clear, "%s%s", clear->len > 0 ? "\n" : "", file->key);
        }

      /* flow 10: the newest A messages, which is the whole ring */
      if (ctx->sms)
        {
          g_string_append_printf (clear, "%s%s", clear->len > 0 ? "\n" : "", sms_key);
          if (!messages_collect (conn, ctx->iccid, messages, error))
            return FALSE;
        }
    }
  else
    {
      /* flow 8: what changed since the card's token, cleared records too */
      if (!check_token (card, ctx->since_epoch, ctx->since_modseq, error))
        return FALSE;
      stmt = sv_db_prepare (conn,
                            "SELECT file_key, idx, data, version FROM records"
                            " WHERE iccid = ? AND version > ? ORDER BY version, file_key, idx",
                            error);
      if (stmt == NULL)
        return FALSE;
      sv_db_stmt_bind_text (stmt, 1, ctx->iccid);
      sv_db_stmt_bind_int64 (stmt, 2, ctx->since_modseq);
      if (!collect_records (stmt, records, TRUE, error))
        return FALSE;
    }
  g_clear_pointer (&stmt, sv_db_stmt_finish);

  n_items = records->len + messages->len;
  n_groups = MAX (1, (n_items + ctx->group_size - 1) / ctx->group_size);

  stmt = sv_db_prepare (conn,
                        "INSERT INTO restores (iccid, id, account_id, staff_id, kind, include_sms,"
                        " group_size, n_groups, n_records, n_messages, n_acked, clear_files, epoch,"
                        " modseq, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?)",
                        error);
  if (stmt == NULL)
    return FALSE;
  sv_db_stmt_bind_text (stmt, 1, ctx->iccid);
  sv_db_stmt_bind_text (stmt, 2, id);
  sv_db_stmt_bind_int64 (stmt, 3, ctx->account_id);
  sv_db_stmt_bind_int64 (stmt, 4, ctx->staff_id);
  sv_db_stmt_bind_int64 (stmt, 5, ctx->kind);
  sv_db_stmt_bind_int64 (stmt, 6, ctx->sms ? 1 : 0);
  sv_db_stmt_bind_int64 (stmt, 7, ctx->group_size);
  sv_db_stmt_bind_int64 (stmt, 8, n_groups);
  sv_db_stmt_bind_int64 (stmt, 9, records->len);
  sv_db_stmt_bind_int64 (stmt, 10, messages->len);
  sv_db_stmt_bind_text (stmt, 11, clear->str);
  sv_db_stmt_bind_int64 (stmt, 12, card->epoch);
  sv_db_stmt_bind_int64 (stmt, 13, card->modseq);
  sv_db_stmt_bind_int64 (stmt, 14, sv_store_now (ctx->store));
  if (!sv_db_stmt_run (stmt, error))
    return FALSE;
  g_clear_pointer (&stmt, sv_db_stmt_finish);

  for (guint i = 0; i < records->len; i++)
    if (!restore_item_insert (conn, ctx, id, seq++, g_ptr_array_index (records, i), NULL, error))
      return FALSE;
  for (guint i = 0; i < messages->len; i++)
    if (!restore_item_insert (conn, ctx, id, seq++, NULL, g_ptr_array_index (messages, i), error))
      return FALSE;

  if (ctx->staff_id != 0)
    {
      g_autofree char *detail = g_strdup_printf ("%s restore: %u records, %u messages",
                                                 ctx->kind == SV_STORE_RESTORE_FULL ? "full" : "incremental",
                                                 records->len, messages->len);

      if (!audit_insert (conn, ctx->store, ctx->account_id, ctx->staff_id, ctx->iccid,
                         "restore-start", detail, error))
        return FALSE;
    }

  ctx->restore = restore_load (conn, ctx->account_id, id, NULL, error);
  return ctx->restore != NULL;
}

SvStoreRestore *
sv_store_restore_create (SvStore            *store,
                         gint64              account_id,
                         gint64              staff_id,
                         const char         *iccid,
                         SvStoreRestoreKind  kind,
                         gint64              since_epoch,
                         gint64              since_modseq,
                         gboolean            sms,
                         guint               group_size,
                         GError            **error)
{
  RestoreContext ctx = { store, account_id, staff_id, iccid, kind, since_epoch, since_modseq, sms, };

  if (iccid == NULL)
    {
      g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND, "No such card");
      return NULL;
    }
  if (group_size == 0)
    group_size = DEFAULT_GROUP_SIZE;
  if (group_size > SV_STORE_MAX_GROUP_SIZE)
    {
      g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID,
                   "A group holds 1 to %u items", SV_STORE_MAX_GROUP_SIZE);
      return NULL;
    }
  ctx.group_size = group_size;
  if (!run (store, SV_DB_WRITE, restore_create_txn, &ctx, error))
    {
      g_clear_pointer (&ctx.restore, sv_store_restore_free);
      return NULL;
    }
  return ctx.restore;
}

static gboolean
restore_get_txn (SvDbConn *conn,
                 gpointer  user_data,
                 GError  **error)
{
  RestoreContext *ctx = user_data;

  g_clear_pointer (&ctx->restore, sv_store_restore_free);
  ctx->restore = restore_load (conn, ctx->account_id, ctx->restore_id, NULL, error);
  return ctx->restore != NULL;
}

SvStoreRestore *
sv_store_restore_get (SvStore    *store,
                      gint64      account_id,
                      const char *restore_id,
                      GError    **error)
{
  RestoreContext ctx = { store, account_id, };

  ctx.restore_id = restore_id;
  if (restore_id == NULL || !run (store, SV_DB_READ, restore_get_txn, &ctx, error))
    {
      if (restore_id == NULL)
        g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND, "No such restore");
      g_clear_pointer (&ctx.restore, sv_store_restore_free);
      return NULL;
    }
  return ctx.restore;
}

static gboolean
restore_group_txn (SvDbConn *conn,
                   gpointer  user_data,
                   GError  **error)
{
  RestoreContext *ctx = user_data;
  g_autoptr(SvStoreRestore) restore = NULL;
  g_autoptr(SvDbStmt) stmt = NULL;
  g_autofree char *clear_files = NULL;
  SvStoreRestoreGroup *group;
  GError *local_error = NULL;
  guint n = ctx->group;

  g_clear_pointer (&ctx->result, sv_store_restore_group_free);
  restore = restore_load (conn, ctx->account_id, ctx->restore_id, &clear_files, error);
  if (restore == NULL)
    return FALSE;
  if (n >= restore->n_groups)
    {
      g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND,
                   "The restore has %u groups", restore->n_groups);
      return FALSE;
    }
  /* flow 11: nothing after the first unacknowledged group */
  if (n > restore->n_acked)
    n = restore->n_acked;

  group = ctx->result = g_new0 (SvStoreRestoreGroup, 1);
  group->group = n;
  group->records = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_store_record_free);
  group->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_store_message_free);
  group->clear = g_ptr_array_new_with_free_func (g_free);
  if (n == 0 && restore->kind == SV_STORE_RESTORE_FULL && clear_files != NULL && *clear_files != '\0')
    {
      g_auto(GStrv) keys = g_strsplit (clear_files, "\n", -1);

      for (guint i = 0; keys[i] != NULL; i++)
        g_ptr_array_add (group->clear, g_strdup (keys[i]));
    }

  stmt = sv_db_prepare (conn,
                        "SELECT file_key, idx, data, version, message_id, n_parts, stored_at"
                        " FROM restore_items WHERE iccid = ? AND restore_id = ? AND seq >= ? AND seq < ?"
                        " ORDER BY seq",
                        error);
  if (stmt == NULL)
    return FALSE;
  sv_db_stmt_bind_text (stmt, 1, restore->iccid);
  sv_db_stmt_bind_text (stmt, 2, restore->id);
  sv_db_stmt_bind_int64 (stmt, 3, (gint64) n * restore->group_size);
  sv_db_stmt_bind_int64 (stmt, 4, (gint64) (n + 1) * restore->group_size);
  while (sv_db_stmt_step (stmt, &local_error))
    {
      if (!sv_db_stmt_column_is_null (stmt, 0))
        g_ptr_array_add (group->records, record_from_row (stmt));
      else
        {
          g_autoptr(GBytes) parts = sv_db_stmt_column_bytes (stmt, 2);

          g_ptr_array_add (group->messages,
                           message_from_blob (sv_db_stmt_column_int64 (stmt, 4), parts,
                                              (guint) sv_db_stmt_column_int64 (stmt, 5),
                                              sv_db_stmt_column_int64 (stmt, 6), 0));
        }
    }
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return FALSE;
    }
  return TRUE;
}

SvStoreRestoreGroup *
sv_store_restore_get_group (SvStore    *store,
                            gint64      account_id,
                            const char *restore_id,
                            guint       n,
                            GError    **error)
{
  RestoreContext ctx = { store, account_id, };

  ctx.restore_id = restore_id;
  ctx.group = n;
  if (restore_id == NULL || !run (store, SV_DB_READ, restore_group_txn, &ctx, error))
    {
      if (restore_id == NULL)
        g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND, "No such restore");
      g_clear_pointer (&ctx.result, sv_store_restore_group_free);
      return NULL;
    }
  return ctx.result;
}

static gboolean
restore_ack_txn (SvDbConn *conn,
                 gpointer  user_data,
                 GError  **error)
{
  RestoreContext *ctx = user_data;
  g_autoptr(SvStoreRestore) restore = NULL;
  g_autoptr(SvDbStmt) stmt = NULL;
  gboolean completes;
  gint64 now = sv_store_now (ctx->store);

  g_clear_pointer (&ctx->restore, sv_store_restore_free);
  restore = restore_load (conn, ctx->account_id, ctx->restore_id, NULL, error);
  if (restore == NULL)
    return FALSE;
  if (ctx->group >= restore->n_groups)
    {
      g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND,
                   "The restore has %u groups", restore->n_groups);
      return FALSE;
    }
  if (ctx->group < restore->n_acked)
    {
      /* a repeated ack */
      ctx->restore = g_steal_pointer (&restore);
      return TRUE;
    }
  if (ctx->group > restore->n_acked)
    {
      g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID,
                   "Group %u cannot be acknowledged before group %u",
                   ctx->group, restore->n_acked);
      return FALSE;
    }

  completes = ctx->group + 1 == restore->n_groups;
  stmt = sv_db_prepare (conn,
                        "UPDATE restores SET n_acked = ?, completed_at = ?"
                        " WHERE iccid = ? AND id = ? AND n_acked = ?",
                        error);
  if (stmt == NULL)
    return FALSE;
  sv_db_stmt_bind_int64 (stmt, 1, ctx->group + 1);
  if (completes)
    sv_db_stmt_bind_int64 (stmt, 2, now);
  else
    sv_db_stmt_bind_null (stmt, 2);
  sv_db_stmt_bind_text (stmt, 3, restore->iccid);
  sv_db_stmt_bind_text (stmt, 4, restore->id);
  sv_db_stmt_bind_int64 (stmt, 5, restore->n_acked);
  if (!sv_db_stmt_run (stmt, error))
    return FALSE;

  if (completes && restore->staff_id != 0)
    {
      g_autofree char *detail = g_strdup_printf ("%s restore done: %u records, %u messages",
                                                 restore->kind == SV_STORE_RESTORE_FULL ? "full" : "incremental",
                                                 restore->n_records, restore->n_messages);

      if (!audit_insert (conn, ctx->store, ctx->account_id, restore->staff_id, restore->iccid,
                         "restore", detail, error))
        return FALSE;
    }

  restore->n_acked = ctx->group + 1;
  restore->done = completes;
  ctx->restore = g_steal_pointer (&restore);
  return TRUE;
}

SvStoreRestore *
sv_store_restore_ack (SvStore    *store,
                      gint64      account_id,
                      const char *restore_id,
                      guint       n,
                      GError    **error)
{
  RestoreContext ctx = { store, account_id, };

  ctx.restore_id = restore_id;
  ctx.group = n;
  if (restore_id == NULL || !run (store, SV_DB_WRITE, restore_ack_txn, &ctx, error))
    {
      if (restore_id == NULL)
        g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND, "No such restore");
      g_clear_pointer (&ctx.restore, sv_store_restore_free);
      return NULL;
    }
  return ctx.restore;
}

/* ------------------------------------------------------------------------ */
/* Housekeeping                                                             */

static gboolean
expire_txn (SvDbConn *conn,
            gpointer  user_data,
            GError  **error)
{
  SvStore *store = user_data;
  gint64 now = sv_store_now (store);
  static const struct {
    const char *sql;
    gint64      age;   /* the bound time is now - age */
  } steps[] = {
    { "DELETE FROM sessions WHERE expires_at <= ?", 0 },
    { "DELETE FROM rate_limits WHERE window_start <= ?", SV_STORE_LOGIN_WINDOW_USEC },
    { "DELETE FROM restore_codes WHERE expires_at <= ?", 0 },
    { "DELETE FROM batches WHERE created_at < ?", BATCH_KEEP_USEC },
    { "DELETE FROM restore_items WHERE (iccid, restore_id) IN"
      " (SELECT iccid, id FROM restores WHERE completed_at < ?)", RESTORE_KEEP_USEC },
    { "DELETE FROM restores WHERE completed_at < ?", RESTORE_KEEP_USEC },
    { "DELETE FROM restore_items WHERE (iccid, restore_id) IN"
      " (SELECT iccid, id FROM restores WHERE created_at < ?)", RESTORE_MAX_USEC },
    { "DELETE FROM restores WHERE created_at < ?", RESTORE_MAX_USEC },
  };

  for (guint i = 0; i < G_N_ELEMENTS (steps); i++)
    {
      g_autoptr(SvDbStmt) stmt = sv_db_prepare (conn, steps[i].sql, error);

      if (stmt == NULL)
        return FALSE;
      sv_db_stmt_bind_int64 (stmt, 1, now - steps[i].age);
      if (!sv_db_stmt_run (stmt, error))
        return FALSE;
    }
  return TRUE;
}

gboolean
sv_store_expire (SvStore *store,
                 GError **error)
{
  return run (store, SV_DB_WRITE, expire_txn, store, error);
}
