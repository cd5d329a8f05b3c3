/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "sv-db.h"
#include "sv-store.h"

G_BEGIN_DECLS

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
