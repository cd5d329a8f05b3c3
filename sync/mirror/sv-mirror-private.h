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

G_END_DECLS
