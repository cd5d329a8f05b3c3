/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "sv-mirror.h"

G_BEGIN_DECLS

/**
 * SvSyncRecord:
 * @key, @index: the record, as in #SvCardImage
 * @data: the record's bytes
 * @version: the server's version of the record: the base_version a backup
 *   sends, or the version the server answered; 0 for "never seen one"
 *
 * One record as it travels between the mirror and the backup server.
 * Refcounted and immutable once made: hand it to any thread.
 */
typedef struct _SvSyncRecord SvSyncRecord;

struct _SvSyncRecord
{
  char   *key;
  guint   index;
  GBytes *data;
  gint64  version;
};

#define SV_TYPE_SYNC_RECORD (sv_sync_record_get_type ())
GType          sv_sync_record_get_type   (void) G_GNUC_CONST;
SvSyncRecord  *sv_sync_record_new        (const char    *key,
                                          guint          index,
                                          GBytes        *data,
                                          gint64         version);
SvSyncRecord  *sv_sync_record_ref        (SvSyncRecord  *record);
void           sv_sync_record_unref      (SvSyncRecord  *record);

/**
 * SvSyncConflict:
 * @key, @index: the record
 * @server_data, @server_version: what the server holds
 * @local_data: the mirror's working bytes (the local edit)
 *
 * A record edited on the server (the portal) and locally since the last
 * acknowledged sync. Neither side is overwritten until someone chooses.
 */
typedef struct _SvSyncConflict SvSyncConflict;

struct _SvSyncConflict
{
  char   *key;
  guint   index;
  GBytes *server_data;
  gint64  server_version;
  GBytes *local_data;
};

#define SV_TYPE_SYNC_CONFLICT (sv_sync_conflict_get_type ())
GType            sv_sync_conflict_get_type (void) G_GNUC_CONST;
SvSyncConflict  *sv_sync_conflict_new      (const char      *key,
                                            guint            index,
                                            GBytes          *server_data,
                                            gint64           server_version,
                                            GBytes          *local_data);
SvSyncConflict  *sv_sync_conflict_ref      (SvSyncConflict  *conflict);
void             sv_sync_conflict_unref    (SvSyncConflict  *conflict);

/**
 * SvSyncState:
 *
 * What the mirror knows about a card's registration on a backup server.
 * The password is never here: it lives in the keyring or a file the user
 * names.
 */
typedef struct
{
  char   *iccid;
  char   *server;           /* base URL, e.g. "https://backup.example/" */
  char   *phone;            /* the account */
  char   *token;            /* "changes since" token; %NULL before the first restore */
  char   *backup_token;     /* the token the last acknowledged backup answered */
  gint64  counter_a;
  gint64  counter_b;
  gint64  registered_at;    /* unix seconds */
  gint64  last_backup_at;   /* unix seconds, 0 if never */
  gint64  last_restore_at;  /* unix seconds, 0 if never */
  guint   n_pending_records;   /* records waiting for upload (not SMS) */
  guint   n_pending_messages;  /* SMS records waiting for upload */
  guint   n_conflicts;
  guint   n_outbox;            /* batches sent but not acknowledged */
} SvSyncState;

void sv_sync_state_free (SvSyncState *state);

/**
 * SvSyncScope:
 * @SV_SYNC_SCOPE_RECORDS: every file but EF_SMS (backed up as records)
 * @SV_SYNC_SCOPE_MESSAGES: EF_SMS only (backed up as messages, a ring)
 */
typedef enum
{
  SV_SYNC_SCOPE_RECORDS,
  SV_SYNC_SCOPE_MESSAGES,
} SvSyncScope;

/**
 * SvSyncResolve:
 * @SV_SYNC_RESOLVE_NONE: report conflicts, change neither side
 * @SV_SYNC_RESOLVE_LOCAL: the local edit wins (it is uploaded over the server's)
 * @SV_SYNC_RESOLVE_SERVER: the server's record wins (it replaces the local edit)
 */
typedef enum
{
  SV_SYNC_RESOLVE_NONE,
  SV_SYNC_RESOLVE_LOCAL,
  SV_SYNC_RESOLVE_SERVER,
} SvSyncResolve;

gboolean      sv_sync_resolve_from_string (const char  *text,
                                           SvSyncResolve *resolve);

/**
 * SvSyncBatch:
 * @batch_id: the idempotency key the server stores the answer under
 * @kind: "records" (a backup) or "messages" (an SMS backup)
 * @body: the exact request body, resent byte for byte
 * @records: (element-type SvSyncRecord): what the batch carries
 *
 * A batch in the outbox: written before it is sent, removed in the same
 * transaction that records the server's acknowledgement.
 */
typedef struct
{
  char      *batch_id;
  char      *kind;
  char      *body;
  GPtrArray *records;
  gint64     created_at;
} SvSyncBatch;

void sv_sync_batch_free (SvSyncBatch *batch);

/* Registration. */
gboolean      sv_mirror_sync_register        (SvMirror        *self,
                                              const char      *iccid,
                                              const char      *server,
                                              const char      *phone,
                                              gint64           counter_a,
                                              gint64           counter_b,
                                              const char      *token,
                                              gboolean         empty_server_space,
                                              GError         **error);
SvSyncState  *sv_mirror_sync_get_state       (SvMirror        *self,
                                              const char      *iccid,
                                              GError         **error);
gboolean      sv_mirror_sync_forget          (SvMirror        *self,
                                              const char      *iccid,
                                              GError         **error);

/* Backup: what to send, the outbox, the acknowledgement. */
GPtrArray    *sv_mirror_sync_get_upload_set  (SvMirror        *self,
                                              const char      *iccid,
                                              SvSyncScope      scope,
                                              gboolean         full,
                                              GError         **error);
gboolean      sv_mirror_sync_outbox_put      (SvMirror        *self,
                                              const char      *iccid,
                                              const char      *batch_id,
                                              const char      *kind,
                                              const char      *body,
                                              GPtrArray       *records,
                                              GError         **error);
GPtrArray    *sv_mirror_sync_outbox_list     (SvMirror        *self,
                                              const char      *iccid,
                                              GError         **error);
gboolean      sv_mirror_sync_acknowledge     (SvMirror        *self,
                                              const char      *iccid,
                                              const char      *batch_id,
                                              GPtrArray       *applied,
                                              GPtrArray       *conflicts,
                                              gboolean         full_records,
                                              const char      *backup_token,
                                              GError         **error);

/* Restore and conflicts. */
gboolean      sv_mirror_sync_apply_server_records (SvMirror       *self,
                                                   const char     *iccid,
                                                   GPtrArray      *records,
                                                   SvSyncResolve   resolve,
                                                   gboolean        dry_run,
                                                   GPtrArray     **written,
                                                   GPtrArray     **conflicts,
                                                   GError        **error);
gboolean      sv_mirror_sync_set_token       (SvMirror        *self,
                                              const char      *iccid,
                                              const char      *token,
                                              GError         **error);
gboolean      sv_mirror_sync_mark_acknowledged (SvMirror      *self,
                                                const char    *iccid,
                                                GPtrArray     *records,
                                                GError       **error);
GPtrArray    *sv_mirror_sync_list_conflicts  (SvMirror        *self,
                                              const char      *iccid,
                                              GError         **error);
gboolean      sv_mirror_sync_resolve         (SvMirror        *self,
                                              const char      *iccid,
                                              const char      *key,
                                              guint            index,
                                              SvSyncResolve    resolve,
                                              GError         **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SvSyncRecord, sv_sync_record_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SvSyncConflict, sv_sync_conflict_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SvSyncState, sv_sync_state_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SvSyncBatch, sv_sync_batch_free)

G_END_DECLS
