/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What the files of test-store share: the fixture (a store on a SQLite
 * file or, with SV_TEST_STORAGE, on PostgreSQL, with an injected clock),
 * the helpers that fill it, and each file's tests for main() in
 * test-store.c.
 */
#pragma once

#include <glib.h>
#ifdef SV_HAVE_PGSQL
#include <libpq-fe.h>
#endif

#include "sv-store.h"

#define T0 (G_GINT64_CONSTANT (1796612400) * G_USEC_PER_SEC) /* 2026-12-07T03:00:00Z */

#define ICCID_A "89860123456789012345"
#define ICCID_B "8986012345678901234"
#define ICCID_C "89860000000000000001"
#define PHONE_A "+8613800138000"
#define PHONE_B "+8613900139000"

typedef struct
{
  char       *dir;
  char       *path;
  const char *location;   /* path, or the PostgreSQL URL */
  SvStore    *store;
  gint64      now;
} Fixture;

const char *postgresql_location (void);
gint64 fixture_now (gpointer user_data);
SvStore *fixture_open (Fixture *f);
void fixture_setup (Fixture       *f,
                    gconstpointer  data);
void fixture_teardown (Fixture       *f,
                       gconstpointer  data);
GBytes *rec (guint       len,
             const char *text);
SvStoreCardInfo *make_info (const char *iccid,
                            guint       sms_capacity);
gint64 create_account (Fixture    *f,
                       const char *phone);
gint64 setup_card (Fixture    *f,
                   const char *phone,
                   const char *iccid);
SvStoreBackupResult *backup (Fixture           *f,
                             gint64             account_id,
                             const char        *batch_id,
                             SvStoreBackupMode  mode,
                             const char        *file,
                             guint              index,
                             const char        *text,
                             gint64             base,
                             GError           **error);
gint64 record_version (Fixture    *f,
                       gint64      account_id,
                       const char *file,
                       guint       index,
                       GBytes    **data);
void fill_history (Fixture *f,
                   gint64   account_id,
                   guint    n,
                   guint    big);
#ifdef SV_HAVE_PGSQL
PGconn *pg_open (const char *location);
#endif

/* test-store-cards.c */
void test_register_outcomes (Fixture       *f,
                             gconstpointer  data);
void test_register_invalid (Fixture       *f,
                            gconstpointer  data);
void test_register_layout_change (Fixture       *f,
                                  gconstpointer  data);
void test_backup_incremental (Fixture       *f,
                              gconstpointer  data);
void test_backup_idempotent (Fixture       *f,
                             gconstpointer  data);
void test_backup_conflict (Fixture       *f,
                           gconstpointer  data);
void test_backup_invalid (Fixture       *f,
                          gconstpointer  data);
void test_backup_full (Fixture       *f,
                       gconstpointer  data);
void test_changes_paging (Fixture       *f,
                          gconstpointer  data);
void test_changes_big_batch (Fixture       *f,
                             gconstpointer  data);
void test_changes_tokens (Fixture       *f,
                          gconstpointer  data);
void test_purge_before (Fixture       *f,
                        gconstpointer  data);

/* test-store-restores.c */
void test_ring (Fixture       *f,
                gconstpointer  data);
void test_restore_full (Fixture       *f,
                        gconstpointer  data);
void test_restore_incremental (Fixture       *f,
                               gconstpointer  data);
void test_deregister (Fixture       *f,
                      gconstpointer  data);

/* test-store-concurrency.c */
void test_concurrent_writers (Fixture       *f,
                              gconstpointer  data);
void test_reconnect (Fixture       *f,
                     gconstpointer  data);
void test_crash_during_batch (Fixture       *f,
                              gconstpointer  data);
