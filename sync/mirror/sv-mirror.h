/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "sv-card-image.h"
#include "sv-contact.h"
#include "sv-message.h"

G_BEGIN_DECLS

#define SV_MIRROR_ERROR (sv_mirror_error_quark ())

typedef enum
{
  SV_MIRROR_ERROR_FAILED,         /* SQLite said no; the message has its text */
  SV_MIRROR_ERROR_NOT_FOUND,      /* no such card, record or contact */
  SV_MIRROR_ERROR_TOO_NEW,        /* the file was written by a newer SimVault */
  SV_MIRROR_ERROR_DOES_NOT_FIT,   /* an edit does not fit the card's limits */
  SV_MIRROR_ERROR_CONFLICT,       /* the card changed since it was read */
  SV_MIRROR_ERROR_INVALID,        /* bad argument or malformed file to import */
  SV_MIRROR_ERROR_NOTHING_TO_UNDO,
} SvMirrorError;

GQuark sv_mirror_error_quark (void);

/* State of one record in the mirror: working bytes against base bytes (the
 * bytes last read from or written to the card). */
typedef enum
{
  SV_RECORD_STATE_CLEAN,
  SV_RECORD_STATE_MODIFIED,
  SV_RECORD_STATE_ADDED,          /* base record was empty (or absent) */
  SV_RECORD_STATE_DELETED,        /* working record is empty, base was not */
} SvRecordState;

const char *sv_record_state_to_string (SvRecordState state);

/* Operations in a card's append-only history. */
typedef enum
{
  SV_HISTORY_READ,
  SV_HISTORY_EDIT,
  SV_HISTORY_WRITE,
  SV_HISTORY_BACKUP,
  SV_HISTORY_RESTORE,
  SV_HISTORY_IMPORT,
  SV_HISTORY_UNDO,
  SV_HISTORY_LABEL,
  SV_HISTORY_DELETE,
} SvHistoryOp;

const char *sv_history_op_to_string (SvHistoryOp op);

/**
 * SvMirrorConflict:
 * @key, @index: the record
 * @base_bytes: what the mirror last saw on the card (%NULL if never)
 * @card_bytes: what the card holds now
 * @local_bytes: the local edit that was kept
 *
 * A record edited in the mirror that was also changed on the card since it
 * was last read. The local edit is never overwritten silently: it stays
 * pending and the caller reports the conflict.
 *
 * Immutable and refcounted (it crosses from the worker thread to the
 * window): share it with sv_mirror_conflict_ref(), never copy its fields.
 */
typedef struct
{
  char   *key;
  guint   index;
  GBytes *base_bytes;
  GBytes *card_bytes;
  GBytes *local_bytes;
} SvMirrorConflict;

#define SV_TYPE_MIRROR_CONFLICT (sv_mirror_conflict_get_type ())
GType             sv_mirror_conflict_get_type (void) G_GNUC_CONST;
SvMirrorConflict *sv_mirror_conflict_new      (const char       *key,
                                               guint             index,
                                               GBytes           *base_bytes,
                                               GBytes           *card_bytes,
                                               GBytes           *local_bytes);
SvMirrorConflict *sv_mirror_conflict_ref      (SvMirrorConflict *conflict);
void              sv_mirror_conflict_unref    (SvMirrorConflict *conflict);

/**
 * SvMirrorCard:
 *
 * One card in the mirror, as listed (no records).
 */
typedef struct
{
  char       *iccid;
  SvCardType  card_type;
  char       *label;          /* nullable */
  char       *note;           /* nullable */
  char       *phone_number;   /* nullable: decoded EF_MSISDN, if any */
  char       *imsi;           /* nullable */
  gint64      read_at;        /* unix seconds of the last read; 0 if never */
  gint64      modseq;         /* per-card change counter */
  guint       n_contacts;
  guint       n_messages;
  guint       n_pending;      /* records not clean */
} SvMirrorCard;

void sv_mirror_card_free (SvMirrorCard *card);

/**
 * SvMirrorHistoryEntry: one row of a card's history.
 */
typedef struct
{
  gint64       id;
  char        *iccid;
  gint64       at;              /* unix seconds */
  SvHistoryOp  op;
  char        *who;
  char        *detail;
  gint64       modseq;          /* the card's modseq after the operation */
} SvMirrorHistoryEntry;

void sv_mirror_history_entry_free (SvMirrorHistoryEntry *entry);

/**
 * SvMirrorPendingRecord:
 *
 * A record whose working bytes differ from its base bytes, with its state
 * and version (the card's modseq at its last change; a later sync asks for
 * "records with version > N").
 */
typedef struct
{
  char          *key;
  guint          index;
  SvRecordState  state;
  gint64         version;
  GBytes        *base_bytes;    /* nullable */
  GBytes        *working_bytes;
} SvMirrorPendingRecord;

void sv_mirror_pending_record_free (SvMirrorPendingRecord *record);

#define SV_TYPE_MIRROR (sv_mirror_get_type ())
G_DECLARE_FINAL_TYPE (SvMirror, sv_mirror, SV, MIRROR, GObject)

char          *sv_mirror_default_path        (void);
SvMirror      *sv_mirror_open                (const char       *path,
                                              GError          **error);
const char    *sv_mirror_get_path            (SvMirror         *self);
void           sv_mirror_set_who             (SvMirror         *self,
                                              const char       *who);

/* Cards. */
gboolean       sv_mirror_import_card         (SvMirror         *self,
                                              SvCardImage      *read_from_card,
                                              GPtrArray       **conflicts,
                                              GError          **error);
gboolean       sv_mirror_import_card_decoded (SvMirror         *self,
                                              SvCardImage      *read_from_card,
                                              GPtrArray        *contacts,
                                              GPtrArray        *messages,
                                              GPtrArray       **conflicts,
                                              GError          **error);
gboolean       sv_mirror_has_card            (SvMirror         *self,
                                              const char       *iccid);
SvCardImage   *sv_mirror_load_image          (SvMirror         *self,
                                              const char       *iccid,
                                              gboolean          with_pending,
                                              GError          **error);
GPtrArray     *sv_mirror_list_cards          (SvMirror         *self,
                                              GError          **error);
GPtrArray     *sv_mirror_search_cards        (SvMirror         *self,
                                              const char       *query,
                                              GError          **error);
SvMirrorCard  *sv_mirror_get_card            (SvMirror         *self,
                                              const char       *iccid,
                                              GError          **error);
gboolean       sv_mirror_set_label           (SvMirror         *self,
                                              const char       *iccid,
                                              const char       *label,
                                              const char       *note,
                                              GError          **error);
gboolean       sv_mirror_delete_card         (SvMirror         *self,
                                              const char       *iccid,
                                              const char       *confirm_iccid,
                                              GError          **error);

/* Contents, decoded from the working image. */
GPtrArray     *sv_mirror_list_contacts       (SvMirror         *self,
                                              const char       *iccid,
                                              GError          **error);
GPtrArray     *sv_mirror_list_messages       (SvMirror         *self,
                                              const char       *iccid,
                                              GError          **error);

/* Offline editing: each call is one transaction, bumps the card's modseq,
 * records one history row and one undo step. */
gboolean       sv_mirror_store_contact       (SvMirror         *self,
                                              const char       *iccid,
                                              const SvContact  *contact,
                                              GPtrArray       **problems,
                                              GError          **error);
gboolean       sv_mirror_delete_contact      (SvMirror         *self,
                                              const char       *iccid,
                                              guint             set,
                                              guint             index,
                                              GError          **error);
gboolean       sv_mirror_set_message_status  (SvMirror         *self,
                                              const char       *iccid,
                                              guint             index,
                                              SvMessageStatus   status,
                                              GError          **error);
gboolean       sv_mirror_delete_message      (SvMirror         *self,
                                              const char       *iccid,
                                              guint             index,
                                              GError          **error);
/**
 * SvMirrorEditFunc:
 * @working: the card's working image, to change in place
 * @detail: (out): set to the history text
 *
 * An edit run by sv_mirror_edit() inside its transaction.
 */
typedef gboolean (*SvMirrorEditFunc) (SvCardImage  *working,
                                      gpointer      user_data,
                                      char        **detail,
                                      GError      **error);

gboolean       sv_mirror_edit                (SvMirror         *self,
                                              const char       *iccid,
                                              SvHistoryOp       op,
                                              SvMirrorEditFunc  func,
                                              gpointer          user_data,
                                              GError          **error);
gboolean       sv_mirror_apply_image         (SvMirror         *self,
                                              SvCardImage      *working,
                                              SvHistoryOp       op,
                                              const char       *detail,
                                              GError          **error);
gboolean       sv_mirror_undo                (SvMirror         *self,
                                              const char       *iccid,
                                              char            **undone_detail,
                                              GError          **error);
gboolean       sv_mirror_discard_pending     (SvMirror         *self,
                                              const char       *iccid,
                                              GError          **error);

/* Pending changes and conflicts. */
GPtrArray     *sv_mirror_get_pending         (SvMirror         *self,
                                              const char       *iccid,
                                              GError          **error);
GPtrArray     *sv_mirror_get_pending_changes (SvMirror         *self,
                                              const char       *iccid,
                                              GError          **error);
GPtrArray     *sv_mirror_get_changed_since   (SvMirror         *self,
                                              const char       *iccid,
                                              gint64            modseq,
                                              GError          **error);
gboolean       sv_mirror_mark_written        (SvMirror         *self,
                                              const char       *iccid,
                                              GPtrArray        *written_changes,
                                              GError          **error);

/* History. */
gboolean       sv_mirror_append_history      (SvMirror         *self,
                                              const char       *iccid,
                                              SvHistoryOp       op,
                                              const char       *detail,
                                              GError          **error);
GPtrArray     *sv_mirror_get_history         (SvMirror         *self,
                                              const char       *iccid,
                                              GError          **error);

/* Nothing here blocks the caller's thread in the background: to run any of
 * these off the main thread, use sv_mirror_worker_run() (sv-mirror-worker.h),
 * which opens a connection of its own in the worker thread. */

/* For tests: the schema version this build writes. */
guint          sv_mirror_schema_version      (void);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SvMirrorConflict, sv_mirror_conflict_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SvMirrorCard, sv_mirror_card_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SvMirrorHistoryEntry, sv_mirror_history_entry_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SvMirrorPendingRecord, sv_mirror_pending_record_free)

G_END_DECLS
