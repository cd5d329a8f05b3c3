/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The backup server's storage: every domain operation the request handlers
 * need, over one SQL engine chosen at open time (sv-db.h: SQLite, the
 * embedded default, or PostgreSQL). The handlers never see SQL and never
 * know which engine runs (Dovecot lib-sql).
 *
 * Conventions of this interface:
 * - Every function is synchronous, thread-safe and may block on I/O: call it
 *   from a worker thread (GTask), never from the server's main loop.
 * - Times are gint64 microseconds since the Unix epoch (g_get_real_time ()),
 *   taken from the clock given at open time, so tests can move time.
 * - Every operation on a card takes the caller's @account_id and answers
 *   SV_STORE_ERROR_NOT_FOUND for a card that is not that account's, exactly as
 *   for a card that does not exist (PROTOCOL.md: ids cannot be probed).
 * - Record bytes are GBytes, exactly the card's record.
 * - Every per-card row carries the ICCID, so the data can be partitioned by it.
 * - Failing functions return FALSE / NULL and set a SV_STORE_ERROR whose code
 *   maps 1:1 onto a protocol error code (sv_store_error_code_name ()).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* ------------------------------------------------------------------------ */
/* Errors                                                                   */

#define SV_STORE_ERROR (sv_store_error_quark ())

/**
 * SvStoreError:
 *
 * The failures of the storage layer. Each maps onto one row of the error
 * table of PROTOCOL.md (the comment gives status and code).
 */
typedef enum
{
  SV_STORE_ERROR_INVALID,              /* 400 invalid */
  SV_STORE_ERROR_UNAUTHENTICATED,      /* 401 unauthenticated: no/expired session */
  SV_STORE_ERROR_LOGIN_FAILED,         /* 401 login-failed */
  SV_STORE_ERROR_FORBIDDEN,            /* 403 forbidden */
  SV_STORE_ERROR_NOT_FOUND,            /* 404 not-found */
  SV_STORE_ERROR_CONFLICT,             /* 409 conflict */
  SV_STORE_ERROR_BATCH_IN_PROGRESS,    /* 409 batch-in-progress */
  SV_STORE_ERROR_FULL_RESYNC_REQUIRED, /* 410 full-resync-required */
  SV_STORE_ERROR_TOO_LARGE,            /* 413 too-large */
  SV_STORE_ERROR_BATCH_ID_REUSED,      /* 422 batch-id-reused */
  SV_STORE_ERROR_RATE_LIMITED,         /* 429 rate-limited */
  SV_STORE_ERROR_INTERNAL,             /* 500 internal */
  SV_STORE_ERROR_UNAVAILABLE,          /* 503 unavailable: database unreachable/busy */
} SvStoreError;

GQuark       sv_store_error_quark        (void);
/* "invalid", "not-found", ... as in PROTOCOL.md's table */
const char  *sv_store_error_code_name    (SvStoreError  code);
/* 400, 404, ... */
guint        sv_store_error_http_status  (SvStoreError  code);

/* ------------------------------------------------------------------------ */
/* Limits the store enforces itself (the handlers may check earlier).       */

#define SV_STORE_MAX_FILES            64      /* files per card layout */
#define SV_STORE_MAX_RECORD_LEN       1024    /* bytes per record */
#define SV_STORE_MAX_RECORDS_PER_CARD 65535   /* sum of n_records over files */
#define SV_STORE_MAX_SMS_CAPACITY     255     /* EF_SMS records */
#define SV_STORE_MAX_BATCH            1000    /* records per backup batch */
#define SV_STORE_MAX_GROUP_SIZE       1000

#define SV_STORE_OWNER_IDLE_USEC      (G_GINT64_CONSTANT (12) * G_TIME_SPAN_HOUR)
#define SV_STORE_STAFF_IDLE_USEC      (G_GINT64_CONSTANT (8) * G_TIME_SPAN_HOUR)
#define SV_STORE_DELEGATED_USEC       (G_GINT64_CONSTANT (30) * G_TIME_SPAN_MINUTE)
#define SV_STORE_RESTORE_CODE_USEC    (G_GINT64_CONSTANT (15) * G_TIME_SPAN_MINUTE)
#define SV_STORE_LOGIN_WINDOW_USEC    (G_GINT64_CONSTANT (15) * G_TIME_SPAN_MINUTE)
#define SV_STORE_LOGIN_MAX_FAILURES   5

/* ------------------------------------------------------------------------ */
/* Opening                                                                  */

typedef struct _SvStore SvStore;

typedef gint64 (*SvStoreNowFunc) (gpointer user_data);

/**
 * SvPasswordCost:
 * @SV_PASSWORD_COST_INTERACTIVE: Argon2id 64 MiB, t=2 (~65 ms here); default
 * @SV_PASSWORD_COST_MODERATE: Argon2id 256 MiB, t=3 (~440 ms)
 * @SV_PASSWORD_COST_TEST_ONLY: Argon2id at libsodium's minimum; for tests that
 *   log in many times, never for a production server
 */
typedef enum
{
  SV_PASSWORD_COST_INTERACTIVE,
  SV_PASSWORD_COST_MODERATE,
  SV_PASSWORD_COST_TEST_ONLY,
} SvPasswordCost;

/**
 * SvStoreOptions:
 * @password_cost: the Argon2id setting for new hashes
 * @now: the clock (NULL: g_get_real_time)
 * @now_data: passed to @now
 * @pool_size: connections kept open (0: a default of 4)
 *
 * Zero-initialise and set what you need.
 */
typedef struct
{
  SvPasswordCost  password_cost;
  SvStoreNowFunc  now;
  gpointer        now_data;
  guint           pool_size;
} SvStoreOptions;

/*
 * @location: "sqlite:PATH", a plain file path (SQLite), or
 * "postgresql://..." / "postgres://..." (a libpq connection URI; when built
 * with libpq). Applies the missing schema migrations (under a lock, so
 * several nodes may start at once).
 */
SvStore     *sv_store_open               (const char           *location,
                                          const SvStoreOptions *options,
                                          GError              **error);
/* Waits for operations still running in other threads, then closes. */
void         sv_store_close              (SvStore *store);
const char  *sv_store_get_engine         (SvStore *store);   /* "sqlite", "postgresql" */
gint64       sv_store_now                (SvStore *store);
guint        sv_store_get_schema_version (SvStore *store);

/*
 * Housekeeping, safe to call at any time (the server calls it every few
 * minutes): drops expired sessions, rate-limit windows, restore codes, batch
 * answers older than a day and finished restores older than a day.
 */
gboolean     sv_store_expire             (SvStore *store,
                                          GError **error);

/* ------------------------------------------------------------------------ */
/* Value types: plain structs, owned by the caller, freed with _free.       */

typedef struct
{
  gint64  id;
  char   *phone;     /* normalised: optional '+' and digits */
  gint64  counter_b; /* bumped on every card change */
  gint64  created_at;
} SvStoreAccount;

typedef struct
{
  gint64  id;
  char   *name;
  gint64  created_at;
} SvStoreStaff;

typedef enum
{
  SV_STORE_SESSION_OWNER,     /* phone + password (bearer or cookie) */
  SV_STORE_SESSION_STAFF,     /* staff name + password */
  SV_STORE_SESSION_DELEGATED, /* a staff member acting for an account, by consent */
} SvStoreSessionKind;

typedef struct
{
  char               *token;      /* only set by the functions that create it */
  char               *csrf;
  SvStoreSessionKind  kind;
  gint64              account_id; /* owner, delegated; 0 for staff */
  char               *phone;      /* the account's phone (owner, delegated) */
  gint64              staff_id;   /* staff, delegated; 0 for owner */
  char               *staff_name; /* staff, delegated */
  gint64              created_at;
  gint64              last_seen_at;
  gint64              expires_at;
} SvStoreSession;

/* One EF of the card's layout, as registered. */
typedef struct
{
  char  *key;       /* "adn", "pb1/adn", "sms", ... */
  char  *path;      /* hex path, "3F007F105F3A4F3A" */
  char  *structure; /* "linear-fixed", "cyclic", "transparent" */
  guint  record_len;
  guint  n_records;
} SvStoreCardFile;

/* What a registration uploads (flow 1). */
typedef struct
{
  char      *iccid;
  char      *imsi;         /* nullable */
  char      *card_type;    /* "sim", "usim" */
  char      *batch;        /* nullable */
  gint64     counter_a;
  guint      sms_capacity; /* A: EF_SMS records; the ring's size */
  GPtrArray *files;        /* SvStoreCardFile */
} SvStoreCardInfo;

typedef struct
{
  char      *iccid;
  gint64     account_id;
  char      *phone;
  char      *imsi;
  char      *card_type;
  char      *batch;
  gint64     counter_a;
  gint64     counter_b;   /* the account's */
  guint      sms_capacity;
  gint64     epoch;       /* tokens are "EPOCH-MODSEQ" */
  gint64     modseq;      /* the newest record version of this card */
  gint64     purge_floor; /* tokens with a modseq below are too old */
  char      *replaced_by; /* ICCID of the card that replaced it, or NULL */
  gint64     registered_at;
  gint64     updated_at;
  gint64     last_backup_at; /* the last backup batch applied; 0: none */
  GPtrArray *files;       /* SvStoreCardFile */
} SvStoreCard;

typedef enum
{
  SV_STORE_REGISTER_REGISTERED,  /* "registered": first card of the account */
  SV_STORE_REGISTER_UPDATED,     /* "updated": the same ICCID again */
  SV_STORE_REGISTER_CARD_CHANGE, /* "card-change": a new ICCID, counter B bumped */
} SvStoreRegisterOutcome;

const char  *sv_store_register_outcome_to_string (SvStoreRegisterOutcome  outcome);

/* One stored record; in a change list a cleared record has all-FF @data. */
typedef struct
{
  char   *file;
  guint   index;   /* 1-based */
  GBytes *data;    /* NULL in SvStoreBackupResult.applied */
  gint64  version; /* the modseq of the batch that wrote it */
} SvStoreRecord;

/* One record of a backup batch. */
typedef struct
{
  char   *file;
  guint   index;
  GBytes *data;
  gint64  base_version; /* the server version the client last saw, 0: none */
} SvStoreRecordWrite;

typedef enum
{
  SV_STORE_BACKUP_INCREMENTAL,  /* replace exactly these records */
  SV_STORE_BACKUP_FULL,         /* for each of @files: clear, then store these */
} SvStoreBackupMode;

typedef struct
{
  char              *batch_id;
  SvStoreBackupMode  mode;
  GPtrArray         *files;   /* char*, required for FULL */
  GPtrArray         *records; /* SvStoreRecordWrite */
} SvStoreBackupRequest;

typedef struct
{
  char   *file;
  guint   index;
  GBytes *server_data; /* all FF when the server never had the record */
  gint64  server_version;
  GBytes *client_data;
} SvStoreConflict;

typedef struct
{
  char      *batch_id;
  GPtrArray *applied;   /* SvStoreRecord without data, sorted by file, index;
                            * version = the record's version now */
  GPtrArray *conflicts; /* SvStoreConflict, sorted by file, index */
  gint64     epoch;     /* the token after the batch */
  gint64     modseq;
  gboolean   replayed;  /* answered from the stored batch, nothing applied */
} SvStoreBackupResult;

typedef struct
{
  GPtrArray *records; /* SvStoreRecord, ascending version, then file, index */
  gint64     epoch;   /* the token to ask with next */
  gint64     modseq;
  gboolean   more;
} SvStoreChanges;

/* One message of the ring: one or more EF_SMS records (a concatenated
 * message is one message of several parts, in part order). */
typedef struct
{
  gint64     id;          /* per card, grows; 0 in a request */
  GPtrArray *parts;       /* GBytes, one EF_SMS record each */
  gint64     stored_at;   /* when the phone stored it (client's claim), 0: unknown */
  gint64     received_at; /* when the server stored it */
} SvStoreMessage;

typedef struct
{
  guint     stored;
  guint     duplicates;
  guint     dropped;
  guint     count; /* messages in the ring afterwards */
  gboolean  replayed;
} SvStoreMessagesResult;

typedef enum
{
  SV_STORE_RESTORE_FULL,
  SV_STORE_RESTORE_INCREMENTAL,
} SvStoreRestoreKind;

typedef struct
{
  char               *id;          /* "ICCID.UUID" */
  char               *iccid;
  SvStoreRestoreKind  kind;
  gint64              staff_id; /* 0 unless started with a delegated token */
  guint               group_size;
  guint               n_groups;
  guint               n_records;
  guint               n_messages;
  guint               n_acked;  /* groups 0 .. n_acked-1 are acknowledged */
  gboolean            done;
  gint64              epoch;    /* the card's token once the restore is done */
  gint64              modseq;
  gint64              created_at;
} SvStoreRestore;

typedef struct
{
  guint      group;    /* the group actually answered */
  GPtrArray *records;  /* SvStoreRecord */
  GPtrArray *messages; /* SvStoreMessage */
  GPtrArray *clear;    /* char*, file keys; group 0 of a full restore */
} SvStoreRestoreGroup;

typedef struct
{
  gint64  id;
  gint64  at;
  gint64  account_id;
  char   *staff_name; /* NULL for the owner */
  char   *iccid;      /* nullable */
  char   *action;     /* "consent", "restore", "GET /api/v1/cards/..." */
  char   *detail;     /* nullable; never a password, token or record bytes */
} SvStoreAuditEntry;

void                    sv_store_account_free              (SvStoreAccount *account);
void                    sv_store_staff_free                (SvStoreStaff *staff);
void                    sv_store_session_free              (SvStoreSession *session);
SvStoreCardFile        *sv_store_card_file_new             (const char *key,
                                                            const char *path,
                                                            const char *structure,
                                                            guint       record_len,
                                                            guint       n_records);
SvStoreCardFile        *sv_store_card_file_copy            (const SvStoreCardFile *file);
void                    sv_store_card_file_free            (SvStoreCardFile *file);
SvStoreCardInfo        *sv_store_card_info_new             (const char *iccid);
void                    sv_store_card_info_free            (SvStoreCardInfo *info);
void                    sv_store_card_free                 (SvStoreCard *card);
const SvStoreCardFile  *sv_store_card_find_file            (const SvStoreCard *card,
                                                            const char        *key);
SvStoreRecord          *sv_store_record_new                (const char *file,
                                                            guint       index,
                                                            GBytes     *data,
                                                            gint64      version);
void                    sv_store_record_free               (SvStoreRecord *record);
SvStoreRecordWrite     *sv_store_record_write_new          (const char *file,
                                                            guint       index,
                                                            GBytes     *data,
                                                            gint64      base_version);
void                    sv_store_record_write_free         (SvStoreRecordWrite *write);
SvStoreBackupRequest   *sv_store_backup_request_new        (const char        *batch_id,
                                                            SvStoreBackupMode  mode);
void                    sv_store_backup_request_add_file   (SvStoreBackupRequest *request,
                                                            const char           *file);
/* takes @write */
void                    sv_store_backup_request_add_record (SvStoreBackupRequest *request,
                                                            SvStoreRecordWrite   *write);
void                    sv_store_backup_request_free       (SvStoreBackupRequest *request);
void                    sv_store_conflict_free             (SvStoreConflict *conflict);
void                    sv_store_backup_result_free        (SvStoreBackupResult *result);
void                    sv_store_changes_free              (SvStoreChanges *changes);
SvStoreMessage         *sv_store_message_new               (gint64  stored_at);
/* takes a reference on @part */
void                    sv_store_message_add_part          (SvStoreMessage *message,
                                                            GBytes         *part);
void                    sv_store_message_free              (SvStoreMessage *message);
void                    sv_store_messages_result_free      (SvStoreMessagesResult *result);
void                    sv_store_restore_free              (SvStoreRestore *restore);
void                    sv_store_restore_group_free        (SvStoreRestoreGroup *group);
void                    sv_store_audit_entry_free          (SvStoreAuditEntry *entry);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SvStore, sv_store_close)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SvStoreAccount, sv_store_account_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SvStoreStaff, sv_store_staff_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SvStoreSession, sv_store_session_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SvStoreCardFile, sv_store_card_file_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SvStoreCardInfo, sv_store_card_info_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SvStoreCard, sv_store_card_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SvStoreRecord, sv_store_record_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SvStoreRecordWrite, sv_store_record_write_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SvStoreBackupRequest, sv_store_backup_request_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SvStoreConflict, sv_store_conflict_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SvStoreBackupResult, sv_store_backup_result_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SvStoreChanges, sv_store_changes_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SvStoreMessage, sv_store_message_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SvStoreMessagesResult, sv_store_messages_result_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SvStoreRestore, sv_store_restore_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SvStoreRestoreGroup, sv_store_restore_group_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SvStoreAuditEntry, sv_store_audit_entry_free)

/* ------------------------------------------------------------------------ */
/* Accounts                                                                 */

/* Portal sign-up (POST /accounts). CONFLICT if the phone is an account;
 * INVALID for a malformed phone or an empty password. */
SvStoreAccount   *sv_store_account_create     (SvStore    *store,
                                               const char *phone,
                                               const char *password,
                                               GError    **error);
SvStoreAccount   *sv_store_account_get        (SvStore *store,
                                               gint64   account_id,
                                               GError **error);
/* NOT_FOUND for an unknown phone */
SvStoreAccount   *sv_store_account_lookup     (SvStore    *store,
                                               const char *phone,
                                               GError    **error);
/* Checks the password only (no rate limit, no session): LOGIN_FAILED on a
 * wrong password or an unknown phone, in the same time for both. */
SvStoreAccount   *sv_store_account_verify     (SvStore    *store,
                                               const char *phone,
                                               const char *password,
                                               GError    **error);
/* LOGIN_FAILED if @old_password is wrong. Ends every other session of the
 * account (keeps @keep_session_token's, if not NULL). */
gboolean     sv_store_account_change_password (SvStore    *store,
                                               gint64      account_id,
                                               const char *old_password,
                                               const char *new_password,
                                               const char *keep_session_token,
                                               GError    **error);

/* ------------------------------------------------------------------------ */
/* Login rate limits: counters in the database, per key, a fixed window of
 * SV_STORE_LOGIN_WINDOW_USEC from the first failure, at most
 * SV_STORE_LOGIN_MAX_FAILURES failures. Keys are the caller's:
 * "phone:+86...", "addr:192.0.2.1", "staff:alice". The login functions
 * below use them already.                                                  */

/* RATE_LIMITED (and *retry_after_sec) when the key is over its limit */
gboolean     sv_store_rate_limit_check   (SvStore    *store,
                                          const char *key,
                                          gint64     *retry_after_sec,
                                          GError    **error);
gboolean     sv_store_rate_limit_fail    (SvStore    *store,
                                          const char *key,
                                          GError    **error);
gboolean     sv_store_rate_limit_reset   (SvStore    *store,
                                          const char *key,
                                          GError    **error);

/* ------------------------------------------------------------------------ */
/* Sessions: in the database (any node serves any request). Tokens are
 * 256-bit random, base64url; only their hash is stored.                    */

/*
 * POST /session: rate limit on "phone:PHONE" and "addr:@client_addr"
 * (nullable), then the password; RATE_LIMITED (with *retry_after_sec),
 * LOGIN_FAILED, or a new owner session with token and csrf.
 */
SvStoreSession   *sv_store_login              (SvStore    *store,
                                               const char *phone,
                                               const char *password,
                                               const char *client_addr,
                                               gint64     *retry_after_sec,
                                               GError    **error);
/* POST /staff/session, the same with "staff:NAME" */
SvStoreSession   *sv_store_staff_login        (SvStore    *store,
                                               const char *name,
                                               const char *password,
                                               const char *client_addr,
                                               gint64     *retry_after_sec,
                                               GError    **error);
/* A session for an account already authenticated otherwise (registration) */
SvStoreSession   *sv_store_session_create     (SvStore            *store,
                                               SvStoreSessionKind  kind,
                                               gint64              account_id,
                                               gint64              staff_id,
                                               GError            **error);
/*
 * Looks the token up and touches it (owner/staff sessions slide by their
 * idle time; delegated ones end 30 minutes after the consent).
 * UNAUTHENTICATED for an unknown or expired token (an expired one is
 * deleted). The result has no token set.
 */
SvStoreSession   *sv_store_session_lookup     (SvStore    *store,
                                               const char *token,
                                               GError    **error);
/* Logout. Not an error if the token is unknown. */
gboolean     sv_store_session_delete     (SvStore    *store,
                                          const char *token,
                                          GError    **error);
/* Constant-time comparison of the X-CSRF-Token header with the session's. */
gboolean     sv_store_session_check_csrf       (const SvStoreSession *session,
                                                const char           *header);

/* ------------------------------------------------------------------------ */
/* Staff (simvault-server staff add|list|remove)                            */

SvStoreStaff     *sv_store_staff_add          (SvStore    *store,
                                               const char *name,
                                               const char *password,
                                               GError    **error);
GPtrArray   *sv_store_staff_list         (SvStore *store,       /* SvStoreStaff */
                                          GError **error);
/* Ends the member's sessions and delegated tokens; the audit log keeps the
 * name. NOT_FOUND if there is no such member. */
gboolean     sv_store_staff_remove       (SvStore    *store,
                                          const char *name,
                                          GError    **error);

/* ------------------------------------------------------------------------ */
/* Consents and restore codes                                               */

/* POST /account/restore-codes: a one-time code ("XXXX-XXXX", Crockford
 * base32), valid SV_STORE_RESTORE_CODE_USEC; only its hash is stored. */
char        *sv_store_restore_code_create (SvStore *store,
                                           gint64   account_id,
                                           gint64  *expires_at,
                                           GError **error);
/*
 * POST /staff/consents: the customer's @password or a @restore_code (exactly
 * one non-NULL). Rate-limited on "phone:PHONE"; LOGIN_FAILED for a wrong
 * password, or a code that is unknown, used or expired (a code is spent by
 * its first use, right or wrong account). Answers a delegated session
 * (token, 30 minutes) and writes "consent" to the account's audit log.
 */
SvStoreSession   *sv_store_consent_create     (SvStore    *store,
                                               gint64      staff_id,
                                               const char *phone,
                                               const char *password,
                                               const char *restore_code,
                                               const char *client_addr,
                                               gint64     *retry_after_sec,
                                               GError    **error);

/* ------------------------------------------------------------------------ */
/* Audit log (every request made with a delegated token, consents, restores) */

gboolean     sv_store_audit_append       (SvStore    *store,
                                          gint64      account_id,
                                          gint64      staff_id,    /* 0: owner */
                                          const char *iccid,       /* nullable */
                                          const char *action,
                                          const char *detail,      /* nullable */
                                          GError    **error);
/* Newest first; entries with id < @before_id (0: from the newest) */
GPtrArray   *sv_store_audit_list         (SvStore *store,       /* SvStoreAuditEntry */
                                          gint64   account_id,
                                          gint64   before_id,
                                          guint    limit,
                                          GError **error);

/* ------------------------------------------------------------------------ */
/* Cards (flow 1, 12)                                                       */

/*
 * Registers @info for @account_id (a session or delegated token): the same
 * ICCID -> UPDATED (info, layout, counter A taken as uploaded); a new ICCID ->
 * REGISTERED if the account has no card yet, else CARD_CHANGE (the earlier
 * cards get replaced_by, counter B + 1). CONFLICT if the ICCID is another
 * account's, INVALID for a malformed layout; nothing changes on failure.
 * A layout change that drops records (a file gone, a record length changed,
 * fewer records) starts a new epoch.
 */
SvStoreCard      *sv_store_card_register      (SvStore                *store,
                                               gint64                  account_id,
                                               const SvStoreCardInfo  *info,
                                               SvStoreRegisterOutcome *outcome,
                                               GError                **error);
/*
 * The same with phone + password in the body: an unknown phone creates the
 * account in the same transaction as the card; a known one must have the
 * password (LOGIN_FAILED; rate-limited as a login on "phone:" and "addr:").
 * *account_id receives the account.
 */
SvStoreCard      *sv_store_card_register_with_password (SvStore                *store,
                                                        const char             *phone,
                                                        const char             *password,
                                                        const char             *client_addr,
                                                        const SvStoreCardInfo  *info,
                                                        SvStoreRegisterOutcome *outcome,
                                                        gint64                 *account_id,
                                                        gint64                 *retry_after_sec,
                                                        GError                **error);
SvStoreCard      *sv_store_card_get           (SvStore    *store,
                                               gint64      account_id,
                                               const char *iccid,
                                               GError    **error);
/* The account's cards, replaced ones included, by registration time */
GPtrArray   *sv_store_card_list          (SvStore *store,       /* SvStoreCard */
                                          gint64   account_id,
                                          GError **error);
/*
 * Flow 12: deletes every row of the card in every per-card table (records,
 * files, messages, batches, restores and their items), in one transaction,
 * then counts them again and fails (nothing deleted) unless none is left.
 * Audit entries of the account keep their text but lose the ICCID.
 */
gboolean     sv_store_card_deregister    (SvStore    *store,
                                          gint64      account_id,
                                          const char *iccid,
                                          GError    **error);
/* Rows that carry @iccid, over every table (tests, verification) */
gint64       sv_store_card_count_rows    (SvStore    *store,
                                          const char *iccid,
                                          GError    **error);

/* ------------------------------------------------------------------------ */
/* Records (flows 2-5, 7, 8)                                                */

/*
 * Applies a batch in one transaction. Incremental: each record whose stored
 * version equals base_version (or whose stored bytes equal the sent ones)
 * is applied; any other is a conflict (not stored, both versions answered).
 * Full: for each file of request->files, records not sent are cleared (all
 * FF) and the sent ones stored, versions ignored. Every record changed gets
 * the card's next modseq as its version (one modseq per batch).
 * Idempotent by (card, batch_id): a retry with the same request answers the
 * stored result (replayed = TRUE) and applies nothing; the same id with
 * another request is BATCH_ID_REUSED. INVALID (nothing stored) for an
 * unknown file, an index outside 1..n_records, a wrong record length, a
 * record twice in one batch; TOO_LARGE over SV_STORE_MAX_BATCH records.
 */
SvStoreBackupResult *sv_store_backup_apply    (SvStore                    *store,
                                               gint64                      account_id,
                                               const char                 *iccid,
                                               const SvStoreBackupRequest *request,
                                               GError                    **error);
/*
 * Records with a version after (@since_epoch, @since_modseq), oldest first,
 * at most @limit (a batch's records are never split over two pages, so a
 * page may exceed @limit by the rest of one batch). Cleared records come
 * with all-FF bytes. FULL_RESYNC_REQUIRED if the epoch is not the card's,
 * the modseq is below the purge floor or beyond the card's modseq.
 */
SvStoreChanges   *sv_store_changes_since      (SvStore    *store,
                                               gint64      account_id,
                                               const char *iccid,
                                               gint64      since_epoch,
                                               gint64      since_modseq,
                                               guint       limit,
                                               GError    **error);
/* The stored records of @file (NULL: every file), by file, index; cleared
 * records are left out. */
GPtrArray   *sv_store_records_list       (SvStore    *store,       /* SvStoreRecord */
                                          gint64      account_id,
                                          const char *iccid,
                                          const char *file,
                                          GError    **error);
/* Deletes cleared records with a version <= @modseq and raises the purge
 * floor to it: tokens older than that answer FULL_RESYNC_REQUIRED. */
gboolean     sv_store_purge_cleared      (SvStore    *store,
                                          const char *iccid,
                                          gint64      modseq,
                                          GError    **error);
/* sv_store_purge_cleared () for every card, up to its newest tombstone
 * changed before @before (real time, µs), @batch cards per round. */
gboolean     sv_store_purge_cleared_before (SvStore  *store,
                                            gint64    before,
                                            guint     batch,
                                            guint    *n_cards,
                                            GError  **error);

/* ------------------------------------------------------------------------ */
/* SMS ring (flow 6, 7, 10)                                                 */

/*
 * Appends @messages (SvStoreMessage, id 0) in one transaction. The ring holds at
 * most the card's sms_capacity EF_SMS records (parts); the oldest messages
 * are dropped to make room. A message whose parts are byte for byte one
 * already stored is a duplicate. Idempotent by (card, @batch_id) like
 * backups. INVALID for an empty message or one with more parts than the
 * capacity.
 */
SvStoreMessagesResult *sv_store_messages_append (SvStore    *store,
                                                 gint64      account_id,
                                                 const char *iccid,
                                                 const char *batch_id,
                                                 GPtrArray  *messages,
                                                 GError    **error);
/* Oldest first */
GPtrArray   *sv_store_messages_list      (SvStore    *store,       /* SvStoreMessage */
                                          gint64      account_id,
                                          const char *iccid,
                                          GError    **error);
gboolean     sv_store_message_delete     (SvStore    *store,
                                          gint64      account_id,
                                          const char *iccid,
                                          gint64      message_id,
                                          GError    **error);

/* ------------------------------------------------------------------------ */
/* Restores (flows 8-11)                                                    */

/*
 * Takes a snapshot of what to send: FULL = every stored (non-cleared) record
 * of every file but the SMS file, plus the ring's messages when @sms;
 * INCREMENTAL = the changes since (@since_epoch, @since_modseq), cleared
 * records included (FULL_RESYNC_REQUIRED as for changes), no messages.
 * Items are split into groups of @group_size (1..SV_STORE_MAX_GROUP_SIZE).
 * @staff_id is the delegated token's staff member, or 0.
 */
SvStoreRestore   *sv_store_restore_create     (SvStore            *store,
                                               gint64              account_id,
                                               gint64              staff_id,
                                               const char         *iccid,
                                               SvStoreRestoreKind  kind,
                                               gint64              since_epoch,
                                               gint64              since_modseq,
                                               gboolean            sms,
                                               guint               group_size,
                                               GError            **error);
SvStoreRestore   *sv_store_restore_get        (SvStore    *store,
                                               gint64      account_id,
                                               const char *restore_id,
                                               GError    **error);
/* Group @n; a group after the first unacknowledged one answers that one
 * instead (flow 11). NOT_FOUND beyond the last group. */
SvStoreRestoreGroup *sv_store_restore_get_group (SvStore    *store,
                                                 gint64      account_id,
                                                 const char *restore_id,
                                                 guint       n,
                                                 GError    **error);
/* Acknowledges group @n (again: no error). INVALID for a group after the
 * first unacknowledged one. The last ack completes the restore (done; audit
 * entry "restore" if it was started by staff). */
SvStoreRestore   *sv_store_restore_ack        (SvStore    *store,
                                               gint64      account_id,
                                               const char *restore_id,
                                               guint       n,
                                               GError    **error);

G_END_DECLS
