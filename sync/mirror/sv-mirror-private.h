/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <sqlite3.h>

#include "sv-mirror.h"

G_BEGIN_DECLS

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, sqlite3_finalize)

/* sv-mirror-schema.c: the migrations, applied in order under
 * PRAGMA user_version. */
guint     sv_mirror_schema_n_versions   (void);
gboolean  sv_mirror_schema_migrate      (sqlite3  *db,
                                         guint     target_version,
                                         guint    *from_version,
                                         GError  **error);

/* Helpers shared by the sync/ files that talk SQL. */
gboolean  sv_mirror_sql_exec            (sqlite3     *db,
                                         const char  *sql,
                                         GError     **error);
gboolean  sv_mirror_sql_prepare         (sqlite3       *db,
                                         const char    *sql,
                                         sqlite3_stmt **stmt,
                                         GError       **error);
gboolean  sv_mirror_sql_error           (sqlite3     *db,
                                         int          rc,
                                         const char  *what,
                                         GError     **error);
sqlite3  *sv_mirror_get_db              (SvMirror    *self);

/* An empty record: erased EEPROM (all 0xFF); for EF_SMS a free status byte
 * (TS 51.011 §10.5.3: bit 1 of the status byte is 0). */
gboolean  sv_mirror_record_is_empty     (const char  *key,
                                         GBytes      *bytes);
SvRecordState sv_mirror_record_state    (const char  *key,
                                         GBytes      *base,
                                         GBytes      *working);


/* The mirror object. Its connection @db belongs to the thread that opened
 * it: SQLite wants one connection per thread, so a worker thread opens its
 * own SvMirror on the same file (see sv-mirror-worker.h). */
struct _SvMirror
{
  GObject  parent_instance;

  char    *path;
  char    *who;
  sqlite3 *db;
};

/* A row of the cards table, as the files of the mirror use it inside a
 * transaction. */
typedef struct
{
  gint64     id;
  gint64     modseq;
  gint64     decoded_modseq;
  SvCardType card_type;
} SvMirrorCardRow;

/* Internal helpers shared by sv-mirror*.c. The transaction helpers
 * (begin/commit/rollback) wrap BEGIN IMMEDIATE, COMMIT and ROLLBACK; the
 * rest work inside a transaction the caller opened. rollback() always
 * returns %FALSE, so "return sv_mirror_rollback (db);" ends a failed
 * operation. */
gboolean     sv_mirror_step_done         (sqlite3                *db,
                                          sqlite3_stmt           *stmt,
                                          const char             *what,
                                          GError                **error);
void         sv_mirror_bind_bytes        (sqlite3_stmt           *stmt,
                                          int                     column,
                                          GBytes                 *bytes);
GBytes      *sv_mirror_column_bytes      (sqlite3_stmt           *stmt,
                                          int                     column);
char        *sv_mirror_column_dup_text   (sqlite3_stmt           *stmt,
                                          int                     column);
gboolean     sv_mirror_bytes_equal0      (GBytes                 *a,
                                          GBytes                 *b);
gboolean     sv_mirror_begin             (sqlite3                *db,
                                          GError                **error);
gboolean     sv_mirror_commit            (sqlite3                *db,
                                          GError                **error);
gboolean     sv_mirror_rollback          (sqlite3                *db);
gboolean     sv_mirror_lookup_card       (sqlite3                *db,
                                          const char             *iccid,
                                          SvMirrorCardRow        *row,
                                          GError                **error);
gboolean     sv_mirror_set_card_modseq   (sqlite3                *db,
                                          gint64                  card_id,
                                          gint64                  modseq,
                                          GError                **error);
gboolean     sv_mirror_insert_history    (SvMirror               *self,
                                          const char             *iccid,
                                          SvHistoryOp             op,
                                          const char             *detail,
                                          gint64                  modseq,
                                          GError                **error);
SvCardImage *sv_mirror_load_image_locked (sqlite3                *db,
                                          const char             *iccid,
                                          const SvMirrorCardRow  *card,
                                          gboolean                with_pending,
                                          GError                **error);
gboolean     sv_mirror_refresh_decoded   (sqlite3                *db,
                                          const SvMirrorCardRow  *card,
                                          SvCardImage            *working,
                                          gint64                  modseq,
                                          GError                **error);
gboolean     sv_mirror_store_decoded     (sqlite3                *db,
                                          const SvMirrorCardRow  *card,
                                          GPtrArray              *contacts,
                                          GPtrArray              *messages,
                                          gint64                  modseq,
                                          GError                **error);
gboolean     sv_mirror_ensure_decoded    (SvMirror               *self,
                                          const char             *iccid,
                                          GError                **error);
gboolean     sv_mirror_lookup_file_id    (sqlite3                *db,
                                          gint64                  card_id,
                                          const char             *key,
                                          gint64                 *file_id,
                                          GError                **error);
gboolean     sv_mirror_get_record        (sqlite3                *db,
                                          gint64                  file_id,
                                          guint                   idx,
                                          GBytes                **base,
                                          GBytes                **working,
                                          gint64                 *version,
                                          gboolean               *found,
                                          GError                **error);
gboolean     sv_mirror_put_record        (sqlite3                *db,
                                          gint64                  file_id,
                                          const char             *key,
                                          guint                   idx,
                                          GBytes                 *base,
                                          GBytes                 *working,
                                          gint64                  version,
                                          GError                **error);
char        *sv_mirror_image_iccid       (SvCardImage            *image);

G_END_DECLS
