/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What the files of test-server-http share: the fixture (a server with one
 * registered card), its request helpers, and each file's tests for main()
 * in test-server-http.c.
 */
#pragma once

#include "sv-test-server.h"

#define PHONE   "+8613800138000"
#define PHONE_B "+8613900139000"
#define ICCID   "89860123456789012345"
#define ICCID_2 "89860123456789012346"
#define ICCID_B "89860198765432109876"

typedef struct
{
  SvTestServer *server;
  char         *token;
} Fixture;

void fixture_setup (Fixture       *f,
                    gconstpointer  data);
void fixture_teardown (Fixture       *f,
                       gconstpointer  data);
SvTestReply *get (Fixture    *f,
                  const char *path);
SvTestReply *post (Fixture    *f,
                   const char *path,
                   const char *json);
char *card_token (Fixture *f);
char *backup_json (const char *batch_id,
                   const char *mode,
                   const char *records);
char *record_json (guint       index,
                   const char *hex,
                   gint64      base);
GBytes *body_of (SvTestReply *r);

/* test-server-http-backup.c */
char *messages_json (const char *batch_id,
                     guint       first,
                     guint       n);
void test_backup_incremental (Fixture       *f,
                              gconstpointer  data);
void test_backup_invalid (Fixture       *f,
                          gconstpointer  data);
void test_backup_conflict (Fixture       *f,
                           gconstpointer  data);
void test_backup_full (Fixture       *f,
                       gconstpointer  data);
void test_sms_ring (Fixture       *f,
                    gconstpointer  data);
void test_changes (Fixture       *f,
                   gconstpointer  data);
void test_purge_tombstones (Fixture       *f,
                            gconstpointer  data);
void test_last_backup (Fixture       *f,
                       gconstpointer  data);
void test_concurrent_batch (Fixture       *f,
                            gconstpointer  data);

/* test-server-http-restore.c */
void test_restore (Fixture       *f,
                   gconstpointer  data);
void test_contacts (Fixture       *f,
                    gconstpointer  data);
void test_deregister (Fixture       *f,
                      gconstpointer  data);
