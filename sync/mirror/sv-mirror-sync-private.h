/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "sv-mirror-private.h"
#include "sv-mirror-sync.h"

G_BEGIN_DECLS

/* Helpers shared by sv-mirror-sync.c (registration, backup) and
 * sv-mirror-sync-restore.c (restore, conflicts). */
gboolean      sv_mirror_sync_require_registered (sqlite3 *db, const char *iccid, gint64 *card_id, GError **error);
GHashTable *  sv_mirror_sync_load_acked (sqlite3 *db, gint64 card_id, GError **error);
gboolean      sv_mirror_sync_put_acked (sqlite3 *db, gint64 card_id, SvSyncRecord *record, GError **error);
gboolean      sv_mirror_sync_put_conflict (sqlite3 *db, gint64 card_id, SvSyncConflict *conflict, GError **error);
gboolean      sv_mirror_sync_delete_conflict (sqlite3 *db, gint64 card_id, const char *key, guint index, GError **error);
gboolean      sv_mirror_sync_waits_for_upload (const char *key, GBytes *working, SvSyncRecord *acked);

G_END_DECLS
