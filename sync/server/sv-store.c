/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The domain operations of sv-store.h in portable SQL over sv-db.h. Every
 * operation is one transaction function (a *_txn) run by
 * sv_db_transaction (), which may run it again on a transient failure:
 * a *_txn resets its outputs first and touches nothing but the database
 * and its context. Password hashing (slow on purpose) runs outside any
 * transaction.
 *
 * This file holds the shared helpers, passwords, opening and housekeeping;
 * the operations live by section in sv-store-accounts.c (accounts, rate
 * limits, sessions), sv-store-staff.c (staff, audit, restore codes and
 * consents), sv-store-cards.c, sv-store-records.c (batches, records,
 * changes) and sv-store-restores.c (the SMS ring, restores). They share
 * the struct and the helpers through sv-store-private.h.
 */
#define G_LOG_DOMAIN "sv-store"

#include "config.h"

#include <string.h>

#include <sodium.h>

#include "sv-store-private.h"

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

gboolean
sv_store_run (SvStore     *store,
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

SvDbStmt *
sv_store_prepare (SvDbConn           *conn,
                  const char         *sql,
                  const SvStoreParam *params,
                  gsize               n_params,
                  GError            **error)
{
  SvDbStmt *stmt = sv_db_prepare (conn, sql, error);

  if (stmt == NULL)
    return NULL;
  for (gsize i = 0; i < n_params; i++)
    {
      const SvStoreParam *param = &params[i];
      guint index = (guint) i + 1;

      switch (param->type)
        {
        case SV_STORE_PARAM_TEXT:
          sv_db_stmt_bind_text (stmt, index, param->text);
          break;
        case SV_STORE_PARAM_INT64:
          sv_db_stmt_bind_int64 (stmt, index, param->int64);
          break;
        case SV_STORE_PARAM_BLOB:
          sv_db_stmt_bind_blob (stmt, index, param->blob, param->blob_len);
          break;
        case SV_STORE_PARAM_BYTES:
          sv_db_stmt_bind_bytes (stmt, index, param->bytes);
          break;
        case SV_STORE_PARAM_NULL:
        default:
          sv_db_stmt_bind_null (stmt, index);
          break;
        }
    }
  return stmt;
}

gboolean
sv_store_exec (SvDbConn           *conn,
               const char         *sql,
               const SvStoreParam *params,
               gsize               n_params,
               gint64             *changes,
               GError            **error)
{
  g_autoptr(SvDbStmt) stmt = sv_store_prepare (conn, sql, params, n_params, error);

  if (stmt == NULL || !sv_db_stmt_run (stmt, error))
    return FALSE;
  if (changes != NULL)
    *changes = sv_db_stmt_changes (stmt);
  return TRUE;
}

gpointer
sv_store_run_result (SvStore        *store,
                     SvDbTxnMode     mode,
                     SvDbTxnFunc     func,
                     gpointer        ctx,
                     gpointer       *result,
                     GDestroyNotify  free_func,
                     GError        **error)
{
  if (!sv_store_run (store, mode, func, ctx, error))
    {
      g_clear_pointer (result, free_func);
      return NULL;
    }
  return g_steal_pointer (result);
}

gboolean
sv_store_check_given (const char  *id,
                      const char  *what,
                      GError     **error)
{
  if (id == NULL)
    {
      g_set_error (error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND, "No such %s", what);
      return FALSE;
    }
  return TRUE;
}

gboolean
sv_store_insert_returning_id (SvDbConn           *conn,
                              const char         *sql,
                              const SvStoreParam *params,
                              gsize               n_params,
                              gint64             *id,
                              GError            **error)
{
  g_autoptr(SvDbStmt) stmt = sv_store_prepare (conn, sql, params, n_params, error);
  gboolean found;

  *id = 0;
  if (stmt == NULL || !sv_store_step_one (stmt, &found, error))
    return FALSE;
  if (!found)
    return TRUE;
  *id = sv_db_stmt_column_int64 (stmt, 0);
  return sv_db_stmt_run (stmt, error);
}

gboolean
sv_store_collect_rows (SvDbStmt        *stmt,
                       SvStoreRowFunc   row_func,
                       gpointer         user_data,
                       GPtrArray       *list,
                       GError         **error)
{
  GError *local_error = NULL;

  while (sv_db_stmt_step (stmt, &local_error))
    {
      gpointer element = row_func (stmt, user_data);

      if (element != NULL)
        g_ptr_array_add (list, element);
    }
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return FALSE;
    }
  return TRUE;
}

gboolean
sv_store_step_one (SvDbStmt *stmt,
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

gboolean
sv_store_query_int64 (SvDbConn    *conn,
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
  if (!sv_store_step_one (stmt, &found, error))
    return FALSE;
  *value = found ? sv_db_stmt_column_int64 (stmt, 0) : 0;
  return TRUE;
}

void
sv_store_hash_buffer (guint8      out[HASH_BYTES],
                      const void *data,
                      gsize       len)
{
  crypto_generichash (out, HASH_BYTES, data, len, NULL, 0);
}

void
sv_store_hash_variant (guint8    out[HASH_BYTES],
                       GVariant *variant)
{
  g_autoptr(GVariant) sunk = g_variant_ref_sink (variant);

  sv_store_hash_buffer (out, g_variant_get_data (sunk), g_variant_get_size (sunk));
}

char *
sv_store_random_token (gsize n_bytes)
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

gboolean
sv_store_bytes_equal (GBytes *a,
                      GBytes *b)
{
  if (a == NULL || b == NULL)
    return a == b;
  return g_bytes_equal (a, b);
}

GBytes *
sv_store_empty_record (guint len)
{
  guint8 *data = g_malloc (len);

  memset (data, 0xff, len);
  return g_bytes_new_take (data, len);
}

gboolean
sv_store_is_cleared (GBytes *data)
{
  gsize len;
  const guint8 *p = g_bytes_get_data (data, &len);

  for (gsize i = 0; i < len; i++)
    if (p[i] != 0xff)
      return FALSE;
  return TRUE;
}

gboolean
sv_store_is_sms_file (const char *key)
{
  return g_strcmp0 (key, "sms") == 0 || g_str_has_suffix (key, "/sms");
}

char *
sv_store_normalize_phone (const char *phone,
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

gboolean
sv_store_check_iccid (const char *iccid,
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

gboolean
sv_store_check_password (const char *password,
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

char *
sv_store_hash_password (SvStore     *store,
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

gboolean
sv_store_password_needs_rehash (SvStore    *store,
                                const char *hash)
{
  unsigned long long ops;
  gsize mem;

  password_cost_limits (store->password_cost, &ops, &mem);
  return crypto_pwhash_str_needs_rehash (hash, ops, mem) != 0;
}

gboolean
sv_store_verify_password (const char *hash,
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

  store->dummy_hash = sv_store_hash_password (store, "not a password of anyone", error);
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
  return sv_store_run (store, SV_DB_WRITE, expire_txn, store, error);
}
