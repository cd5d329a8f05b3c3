/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What the files of the store share (sv-store.c and sv-store-*.c): the
 * struct, the limits, the contexts one section lends another, and the
 * helpers every operation is written with: sv_store_prepare () and
 * sv_store_exec () with SV_STORE_PARAMS, sv_store_collect_rows (),
 * sv_store_run () and sv_store_run_result (). Not installed, not used
 * outside sync/server.
 */
#pragma once

#include "sv-db.h"
#include "sv-store.h"

G_BEGIN_DECLS

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

typedef struct
{
  SvStore    *store;
  const char *phone;
  gint64      account_id;
  const char *hash;          /* in: for create */
  SvStoreAccount  *account;       /* out */
  char       *stored_hash;   /* out */
} SvStoreAccountContext;

typedef struct
{
  SvStore       *store;
  SvStoreSessionKind  kind;
  gint64         account_id;
  gint64         staff_id;
  const char    *audit_action;   /* nullable: an audit row for the account */
  const char    *audit_detail;
  SvStoreSession     *session;        /* out */
} SvStoreSessionContext;

/* One parameter of a statement, bound by sv_store_prepare () in order
 * (1-based). Write them with the SV_STORE_* macros inside SV_STORE_PARAMS. */
typedef enum
{
  SV_STORE_PARAM_TEXT,    /* NULL binds NULL */
  SV_STORE_PARAM_INT64,
  SV_STORE_PARAM_BLOB,
  SV_STORE_PARAM_BYTES,   /* NULL binds NULL */
  SV_STORE_PARAM_NULL,
} SvStoreParamType;

typedef struct
{
  SvStoreParamType  type;
  const char       *text;
  gint64            int64;
  const void       *blob;
  gsize             blob_len;
  GBytes           *bytes;
} SvStoreParam;

#define SV_STORE_TEXT(v)       { SV_STORE_PARAM_TEXT, .text = (v) }
#define SV_STORE_INT64(v)      { SV_STORE_PARAM_INT64, .int64 = (v) }
#define SV_STORE_BLOB(d, n)    { SV_STORE_PARAM_BLOB, .blob = (d), .blob_len = (n) }
#define SV_STORE_BYTES(v)      { SV_STORE_PARAM_BYTES, .bytes = (v) }
#define SV_STORE_NULL          { SV_STORE_PARAM_NULL }
/* @v if @cond, else NULL; an id where 0 means none */
#define SV_STORE_INT64_IF(cond, v) \
  { (cond) ? SV_STORE_PARAM_INT64 : SV_STORE_PARAM_NULL, .int64 = (v) }
#define SV_STORE_ID(v)         SV_STORE_INT64_IF ((v) != 0, (v))

/* Expands to the two arguments (array, length) that sv_store_prepare ()
 * takes: SV_STORE_PARAMS (SV_STORE_TEXT (iccid), SV_STORE_INT64 (index)) */
#define SV_STORE_PARAMS(...) \
  (const SvStoreParam[]) { __VA_ARGS__ }, \
  G_N_ELEMENTS (((const SvStoreParam[]) { __VA_ARGS__ }))

/* sv_db_prepare () and the binding of @params in order: the one shape of
 * every parameterised statement of the store. NULL on failure. */
SvDbStmt *
sv_store_prepare (SvDbConn           *conn,
                  const char         *sql,
                  const SvStoreParam *params,
                  gsize               n_params,
                  GError            **error);

/* sv_store_prepare () and running the statement to its end; *changes
 * (nullable) receives the rows it changed. */
gboolean
sv_store_exec (SvDbConn           *conn,
               const char         *sql,
               const SvStoreParam *params,
               gsize               n_params,
               gint64             *changes,
               GError            **error);

/* Runs @func and turns the driver's errors into the store's: transient and
 * connection failures are UNAVAILABLE (retry later), the rest INTERNAL.
 * Errors the function raised in SV_STORE_ERROR pass unchanged. */
gboolean
sv_store_run (SvStore     *store,
              SvDbTxnMode  mode,
              SvDbTxnFunc  func,
              gpointer     ctx,
              GError     **error);

/* sv_store_run () for an operation that leaves its result in *result:
 * hands it over, or frees it with @free_func and answers NULL on failure. */
gpointer
sv_store_run_result (SvStore        *store,
                     SvDbTxnMode     mode,
                     SvDbTxnFunc     func,
                     gpointer        ctx,
                     gpointer       *result,
                     GDestroyNotify  free_func,
                     GError        **error);

/* NOT_FOUND "No such @what" ("card", "restore") for a missing @id */
gboolean
sv_store_check_given (const char  *id,
                      const char  *what,
                      GError     **error);

/* An INSERT ... ON CONFLICT DO NOTHING RETURNING id, stepped to its end:
 * *id = the new row's id, or 0 when the row was there (nothing inserted). */
gboolean
sv_store_insert_returning_id (SvDbConn           *conn,
                              const char         *sql,
                              const SvStoreParam *params,
                              gsize               n_params,
                              gint64             *id,
                              GError            **error);

/* Makes the element of one row of a statement; %NULL leaves the row out */
typedef gpointer (*SvStoreRowFunc) (SvDbStmt *stmt,
                                    gpointer  user_data);

/* Steps @stmt to its end and appends what @row_func makes of each row to
 * @list: the one row loop of the store. */
gboolean
sv_store_collect_rows (SvDbStmt        *stmt,
                       SvStoreRowFunc   row_func,
                       gpointer         user_data,
                       GPtrArray       *list,
                       GError         **error);

/* sv_db_stmt_step () for a statement expected to answer at most one row:
 * TRUE and *found = whether there was one, FALSE on failure. */
gboolean
sv_store_step_one (SvDbStmt *stmt,
                   gboolean *found,
                   GError  **error);

gboolean
sv_store_query_int64 (SvDbConn    *conn,
                      const char  *sql,
                      const char  *text_param,
                      gint64      *value,
                      GError     **error);

void
sv_store_hash_buffer (guint8      out[HASH_BYTES],
                      const void *data,
                      gsize       len);

void
sv_store_hash_variant (guint8    out[HASH_BYTES],
                       GVariant *variant);

char *
sv_store_random_token (gsize n_bytes);

gboolean
sv_store_bytes_equal (GBytes *a,
                      GBytes *b);

GBytes *
sv_store_empty_record (guint len);

gboolean
sv_store_is_cleared (GBytes *data);

/* The EF_SMS of a layout: the ring replaces it in restores. */
gboolean
sv_store_is_sms_file (const char *key);

char *
sv_store_normalize_phone (const char *phone,
                          GError    **error);

gboolean
sv_store_check_iccid (const char *iccid,
                      GError    **error);

gboolean
sv_store_check_password (const char *password,
                         GError    **error);

char *
sv_store_hash_password (SvStore     *store,
                        const char  *password,
                        GError     **error);

/* A hash made with other limits than the store's (the operator changed the
 * cost, or the libsodium defaults moved) */
gboolean
sv_store_password_needs_rehash (SvStore    *store,
                                const char *hash);

gboolean
sv_store_verify_password (const char *hash,
                          const char *password);

void
sv_store_account_context_clear (SvStoreAccountContext *ctx);

/* Inserts the account; CONFLICT if the phone is taken. */
gboolean
sv_store_account_insert (SvDbConn       *conn,
                         SvStoreAccountContext *ctx,
                         GError        **error);

SvStoreAccount *
sv_store_account_load (SvStore    *store,
                       const char *phone,
                       gint64      account_id,
                       char      **stored_hash,
                       GError    **error);

/* After a successful login: store the hash again with the store's current
 * cost if it was made with another. Only if nobody changed it meanwhile;
 * failing here never fails the login. */
void
sv_store_rehash_if_needed (SvStore    *store,
                           const char *table,
                           gint64      id,
                           const char *old_hash,
                           const char *password);

gboolean
sv_store_rate_check (SvStore    *store,
                     const char *key1,
                     const char *key2,
                     gint64     *retry_after_sec,
                     GError    **error);

/* Records a failed login on both keys and sets LOGIN_FAILED (or the
 * storage's error if even that failed). */
void
sv_store_login_failed (SvStore    *store,
                       const char *key1,
                       const char *key2,
                       const char *message,
                       GError    **error);

void
sv_store_login_succeeded (SvStore    *store,
                          const char *key);

/* Inside a transaction: a new session row; the token and csrf go into a
 * new SvStoreSession (names filled by the caller's lookup if needed). */
SvStoreSession *
sv_store_session_insert (SvDbConn           *conn,
                         SvStore            *store,
                         SvStoreSessionKind  kind,
                         gint64              account_id,
                         gint64              staff_id,
                         GError            **error);

/* Fills phone and staff_name from their tables */
gboolean
sv_store_session_fill_names (SvDbConn       *conn,
                             SvStoreSession *session,
                             GError        **error);

gboolean
sv_store_session_create_txn (SvDbConn *conn,
                             gpointer  user_data,
                             GError  **error);

gboolean
sv_store_audit_insert (SvDbConn   *conn,
                       SvStore    *store,
                       gint64      account_id,
                       gint64      staff_id,
                       const char *iccid,
                       const char *action,
                       const char *detail,
                       GError    **error);

/* Inside a transaction: the card if it is @account_id's (0: any account),
 * NOT_FOUND otherwise. */
SvStoreCard *
sv_store_card_load (SvDbConn   *conn,
                    gint64      account_id,
                    const char *iccid,
                    GError    **error);

/* Drops the oldest messages until @room parts fit the card's ring;
 * *dropped counts them. */
gboolean
sv_store_ring_make_room (SvDbConn   *conn,
                         const char *iccid,
                         guint       capacity,
                         guint       room,
                         guint      *dropped,
                         GError    **error);

GVariant *
sv_store_bytes_variant (GBytes *bytes);

/* Looks the batch up: *answer set if it was applied before with the same
 * request; BATCH_ID_REUSED if with another. */
gboolean
sv_store_batch_lookup (SvDbConn      *conn,
                       const char    *iccid,
                       const char    *batch_id,
                       gint           kind,
                       const guint8   request_hash[HASH_BYTES],
                       GBytes       **answer,
                       GError       **error);

gboolean
sv_store_batch_store (SvDbConn      *conn,
                      SvStore       *store,
                      const char    *iccid,
                      const char    *batch_id,
                      gint           kind,
                      const guint8   request_hash[HASH_BYTES],
                      GBytes        *answer,
                      GError       **error);

gboolean
sv_store_check_batch_id (const char *batch_id,
                         GError    **error);

gboolean
sv_store_check_token (const SvStoreCard *card,
                      gint64             epoch,
                      gint64             modseq,
                      GError           **error);

SvStoreRecord *
sv_store_record_from_row (SvDbStmt *stmt);

/* Appends the rows of @stmt (file_key, idx, data, version) to @records,
 * leaving out the EF_SMS when @skip_sms */
gboolean
sv_store_collect_records (SvDbStmt  *stmt,
                          GPtrArray *records,
                          gboolean   skip_sms,
                          GError   **error);


/* Applies the missing migrations; *version receives the schema version. */
gboolean     sv_store_schema_migrate     (SvDb        *db,
                                          guint       *version,
                                          GError     **error);

/*
 * Every statement that counts the rows of one card (bind 1: ICCID), one per
 * table column that holds an ICCID. Deregistration checks them all; a new
 * per-card table must add its row here (test-store checks the schema).
 */
extern const char * const sv_store_card_row_counts[];
extern const guint sv_store_n_card_row_counts;

G_END_DECLS
