/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * test-store: registering cards, backups and the changes since a token.
 */
#include "config.h"

#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <sqlite3.h>

#include "test-store-private.h"

/* ------------------------------------------------------------------------ */
/* Cards                                                                    */

void
test_register_outcomes (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvStoreCardInfo) info = make_info (ICCID_A, 5);
  g_autoptr(SvStoreCardInfo) info_b = make_info (ICCID_B, 5);
  g_autoptr(SvStoreCard) card = NULL;
  g_autoptr(SvStoreCard) old = NULL;
  g_autoptr(GPtrArray) cards = NULL;
  g_autoptr(SvStoreAccount) account = NULL;
  SvStoreRegisterOutcome outcome;
  gint64 account_id = 0, other_id = 0;

  /* phone unknown: account and card */
  card = sv_store_card_register_with_password (f->store, PHONE_A, "secret", NULL, info,
                                               &outcome, &account_id, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (outcome, ==, SV_STORE_REGISTER_REGISTERED);
  g_assert_cmpint (account_id, !=, 0);
  g_assert_cmpstr (card->iccid, ==, ICCID_A);
  g_assert_cmpstr (card->phone, ==, PHONE_A);
  g_assert_cmpint (card->counter_a, ==, 7);
  g_assert_cmpint (card->counter_b, ==, 0);
  g_assert_cmpint (card->modseq, ==, 0);
  g_assert_cmpint (card->epoch, >=, 1);
  g_assert_cmpuint (card->sms_capacity, ==, 5);
  g_assert_cmpuint (card->files->len, ==, 3);
  g_assert_cmpstr (((SvStoreCardFile *) g_ptr_array_index (card->files, 0))->key, ==, "pb1/adn");
  g_assert_cmpuint (sv_store_card_find_file (card, "pb1/ext1")->record_len, ==, 13);
  g_assert_cmpstr (sv_store_card_find_file (card, "sms")->structure, ==, "linear-fixed");
  g_clear_pointer (&card, sv_store_card_free);

  /* the same ICCID again: info updated, counter A taken */
  info->counter_a = 9;
  g_free (info->imsi);
  info->imsi = g_strdup ("460009999999999");
  card = sv_store_card_register_with_password (f->store, PHONE_A, "secret", NULL, info,
                                               &outcome, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (outcome, ==, SV_STORE_REGISTER_UPDATED);
  g_assert_cmpint (card->counter_a, ==, 9);
  g_assert_cmpstr (card->imsi, ==, "460009999999999");
  g_clear_pointer (&card, sv_store_card_free);

  /* wrong password: nothing changes */
  info->counter_a = 11;
  g_assert_null (sv_store_card_register_with_password (f->store, PHONE_A, "wrong", NULL, info,
                                                       &outcome, NULL, NULL, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_LOGIN_FAILED);
  g_clear_error (&error);
  card = sv_store_card_get (f->store, account_id, ICCID_A, &error);
  g_assert_no_error (error);
  g_assert_cmpint (card->counter_a, ==, 9);
  g_clear_pointer (&card, sv_store_card_free);

  /* another ICCID on the same account: a card change */
  card = sv_store_card_register (f->store, account_id, info_b, &outcome, &error);
  g_assert_no_error (error);
  g_assert_cmpint (outcome, ==, SV_STORE_REGISTER_CARD_CHANGE);
  g_assert_cmpint (card->counter_b, ==, 1);
  g_assert_null (card->replaced_by);
  old = sv_store_card_get (f->store, account_id, ICCID_A, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (old->replaced_by, ==, ICCID_B);
  cards = sv_store_card_list (f->store, account_id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (cards->len, ==, 2);
  account = sv_store_account_get (f->store, account_id, &error);
  g_assert_cmpint (account->counter_b, ==, 1);
  g_clear_pointer (&card, sv_store_card_free);

  /* the ICCID of another account: conflict, and no account is created */
  g_assert_null (sv_store_card_register_with_password (f->store, PHONE_B, "secret", NULL, info,
                                                       &outcome, &other_id, NULL, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_CONFLICT);
  g_clear_error (&error);
  g_assert_null (sv_store_account_lookup (f->store, PHONE_B, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* a portal sign-up without a card registers its first card as new */
  other_id = create_account (f, PHONE_B);
  g_clear_pointer (&info, sv_store_card_info_free);
  info = make_info (ICCID_C, 5);
  card = sv_store_card_register_with_password (f->store, PHONE_B, "secret", NULL,
                                               info, &outcome, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (outcome, ==, SV_STORE_REGISTER_REGISTERED);
  g_assert_cmpint (card->account_id, ==, other_id);
}

void
test_register_invalid (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvStoreCardInfo) info = NULL;
  SvStoreRegisterOutcome outcome;
  gint64 account_id = create_account (f, PHONE_A);

  info = make_info ("1234", 5);
  g_assert_null (sv_store_card_register (f->store, account_id, info, &outcome, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID);
  g_clear_error (&error);
  g_clear_pointer (&info, sv_store_card_info_free);

  info = make_info (ICCID_A, 5);
  ((SvStoreCardFile *) g_ptr_array_index (info->files, 0))->record_len = 0;
  g_assert_null (sv_store_card_register (f->store, account_id, info, &outcome, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID);
  g_clear_error (&error);
  g_clear_pointer (&info, sv_store_card_info_free);

  info = make_info (ICCID_A, 5);
  g_ptr_array_add (info->files, sv_store_card_file_new ("pb1/adn", "3F00", "linear-fixed", 30, 10));
  g_assert_null (sv_store_card_register (f->store, account_id, info, &outcome, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID);
  g_clear_error (&error);
  g_clear_pointer (&info, sv_store_card_info_free);

  info = make_info (ICCID_A, 5);
  g_clear_pointer (&info->card_type, g_free);
  g_assert_null (sv_store_card_register (f->store, account_id, info, &outcome, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID);
  g_clear_error (&error);
  g_clear_pointer (&info, sv_store_card_info_free);

  info = make_info (ICCID_A, SV_STORE_MAX_SMS_CAPACITY + 1);
  g_assert_null (sv_store_card_register (f->store, account_id, info, &outcome, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID);
  g_clear_error (&error);

  /* nothing was stored */
  g_assert_cmpint (sv_store_card_count_rows (f->store, ICCID_A, &error), ==, 0);
  g_assert_no_error (error);
}

void
test_register_layout_change (Fixture       *f,
                             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvStoreCardInfo) info = make_info (ICCID_A, 5);
  g_autoptr(SvStoreCard) card = NULL;
  g_autoptr(SvStoreBackupResult) result = NULL;
  g_autoptr(SvStoreChanges) changes = NULL;
  SvStoreRegisterOutcome outcome;
  gint64 account_id = setup_card (f, PHONE_A, ICCID_A);
  gint64 epoch;

  result = backup (f, account_id, "b1", SV_STORE_BACKUP_INCREMENTAL, "pb1/adn", 9, "Ann", 0, &error);
  g_assert_no_error (error);
  epoch = result->epoch;

  /* more records: nothing is lost, the epoch stays */
  ((SvStoreCardFile *) g_ptr_array_index (info->files, 0))->n_records = 20;
  card = sv_store_card_register (f->store, account_id, info, &outcome, &error);
  g_assert_no_error (error);
  g_assert_cmpint (outcome, ==, SV_STORE_REGISTER_UPDATED);
  g_assert_cmpint (card->epoch, ==, epoch);
  g_assert_cmpuint (sv_store_card_find_file (card, "pb1/adn")->n_records, ==, 20);
  g_clear_pointer (&card, sv_store_card_free);

  /* fewer: record 9 is dropped and tokens of the old epoch are refused */
  f->now += 10 * G_USEC_PER_SEC;
  ((SvStoreCardFile *) g_ptr_array_index (info->files, 0))->n_records = 8;
  card = sv_store_card_register (f->store, account_id, info, &outcome, &error);
  g_assert_no_error (error);
  g_assert_cmpint (card->epoch, >, epoch);
  g_assert_cmpint (record_version (f, account_id, "pb1/adn", 9, NULL), ==, 0);
  g_assert_null (sv_store_changes_since (f->store, account_id, ICCID_A, epoch, 0, 0, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_FULL_RESYNC_REQUIRED);
  g_clear_error (&error);
  changes = sv_store_changes_since (f->store, account_id, ICCID_A, card->epoch, 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (changes->records->len, ==, 0);
}

/* ------------------------------------------------------------------------ */
/* Backups                                                                  */

void
test_backup_incremental (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvStoreBackupRequest) request = sv_store_backup_request_new ("0f9c1a3e-6d7b-4c21", SV_STORE_BACKUP_INCREMENTAL);
  g_autoptr(SvStoreBackupResult) result = NULL;
  g_autoptr(GBytes) ann = rec (30, "Ann");
  g_autoptr(GBytes) bob = rec (30, "Bob");
  g_autoptr(GBytes) ext = rec (13, "\x02\x12\x34");
  g_autoptr(GBytes) stored = NULL;
  g_autoptr(SvStoreCard) card = NULL;
  gint64 account_id = setup_card (f, PHONE_A, ICCID_A);

  sv_store_backup_request_add_record (request, sv_store_record_write_new ("pb1/adn", 4, bob, 0));
  sv_store_backup_request_add_record (request, sv_store_record_write_new ("pb1/adn", 3, ann, 0));
  sv_store_backup_request_add_record (request, sv_store_record_write_new ("pb1/ext1", 1, ext, 0));
  result = sv_store_backup_apply (f->store, account_id, ICCID_A, request, &error);
  g_assert_no_error (error);
  g_assert_false (result->replayed);
  g_assert_cmpstr (result->batch_id, ==, "0f9c1a3e-6d7b-4c21");
  g_assert_cmpuint (result->applied->len, ==, 3);
  g_assert_cmpuint (result->conflicts->len, ==, 0);
  /* sorted by file, index; one version for the whole batch */
  g_assert_cmpstr (((SvStoreRecord *) g_ptr_array_index (result->applied, 0))->file, ==, "pb1/adn");
  g_assert_cmpuint (((SvStoreRecord *) g_ptr_array_index (result->applied, 0))->index, ==, 3);
  g_assert_cmpuint (((SvStoreRecord *) g_ptr_array_index (result->applied, 1))->index, ==, 4);
  g_assert_cmpstr (((SvStoreRecord *) g_ptr_array_index (result->applied, 2))->file, ==, "pb1/ext1");
  for (guint i = 0; i < 3; i++)
    g_assert_cmpint (((SvStoreRecord *) g_ptr_array_index (result->applied, i))->version, ==, 1);
  g_assert_cmpint (result->modseq, ==, 1);

  g_assert_cmpint (record_version (f, account_id, "pb1/adn", 3, &stored), ==, 1);
  g_assert_true (g_bytes_equal (stored, ann));
  card = sv_store_card_get (f->store, account_id, ICCID_A, &error);
  g_assert_cmpint (card->modseq, ==, 1);
  g_assert_cmpint (card->epoch, ==, result->epoch);
}

void
test_backup_idempotent (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvStoreBackupResult) first = NULL;
  g_autoptr(SvStoreBackupResult) again = NULL;
  g_autoptr(SvStoreBackupResult) other = NULL;
  g_autoptr(SvStoreCard) card = NULL;
  gint64 account_id = setup_card (f, PHONE_A, ICCID_A);

  first = backup (f, account_id, "batch-1", SV_STORE_BACKUP_INCREMENTAL, "pb1/adn", 1, "Ann", 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (first->modseq, ==, 1);

  /* a newer write by someone else in between */
  other = backup (f, account_id, "batch-2", SV_STORE_BACKUP_INCREMENTAL, "pb1/adn", 1, "Anne", 1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (other->modseq, ==, 2);

  /* the retry answers exactly the first answer and applies nothing */
  again = backup (f, account_id, "batch-1", SV_STORE_BACKUP_INCREMENTAL, "pb1/adn", 1, "Ann", 0, &error);
  g_assert_no_error (error);
  g_assert_true (again->replayed);
  g_assert_cmpint (again->modseq, ==, first->modseq);
  g_assert_cmpint (again->epoch, ==, first->epoch);
  g_assert_cmpuint (again->applied->len, ==, 1);
  g_assert_cmpint (((SvStoreRecord *) g_ptr_array_index (again->applied, 0))->version, ==, 1);
  g_assert_cmpuint (again->conflicts->len, ==, 0);
  card = sv_store_card_get (f->store, account_id, ICCID_A, &error);
  g_assert_cmpint (card->modseq, ==, 2);
  g_assert_cmpint (record_version (f, account_id, "pb1/adn", 1, NULL), ==, 2);

  /* the same id with another body */
  g_clear_pointer (&other, sv_store_backup_result_free);
  other = backup (f, account_id, "batch-1", SV_STORE_BACKUP_INCREMENTAL, "pb1/adn", 1, "Eve", 0, &error);
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_BATCH_ID_REUSED);
  g_assert_null (other);
  g_clear_error (&error);
  other = backup (f, account_id, "batch-1", SV_STORE_BACKUP_FULL, "pb1/adn", 1, "Ann", 0, &error);
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_BATCH_ID_REUSED);
  g_clear_error (&error);

  /* a malformed batch id */
  g_assert_null (backup (f, account_id, "no spaces", SV_STORE_BACKUP_INCREMENTAL, "pb1/adn", 1, "Ann", 0, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID);
}

void
test_backup_conflict (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvStoreBackupResult) r1 = NULL;
  g_autoptr(SvStoreBackupResult) r2 = NULL;
  g_autoptr(SvStoreBackupResult) r3 = NULL;
  g_autoptr(SvStoreBackupResult) r4 = NULL;
  g_autoptr(SvStoreBackupRequest) request = sv_store_backup_request_new ("mixed", SV_STORE_BACKUP_INCREMENTAL);
  g_autoptr(GBytes) anne = rec (30, "Anne");
  g_autoptr(GBytes) carl = rec (30, "Carl");
  g_autoptr(GBytes) ann = rec (30, "Ann");
  g_autoptr(GBytes) stored = NULL;
  SvStoreConflict *conflict;
  gint64 account_id = setup_card (f, PHONE_A, ICCID_A);

  r1 = backup (f, account_id, "b1", SV_STORE_BACKUP_INCREMENTAL, "pb1/adn", 7, "Ann", 0, &error);
  g_assert_no_error (error);
  r2 = backup (f, account_id, "b2", SV_STORE_BACKUP_INCREMENTAL, "pb1/adn", 7, "Ann B", 1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (r2->modseq, ==, 2);

  /* a client that saw version 1 writes "Anne": conflict with version 2;
   * in the same batch a clean record goes in */
  sv_store_backup_request_add_record (request, sv_store_record_write_new ("pb1/adn", 7, anne, 1));
  sv_store_backup_request_add_record (request, sv_store_record_write_new ("pb1/adn", 8, carl, 0));
  r3 = sv_store_backup_apply (f->store, account_id, ICCID_A, request, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (r3->conflicts->len, ==, 1);
  conflict = g_ptr_array_index (r3->conflicts, 0);
  g_assert_cmpstr (conflict->file, ==, "pb1/adn");
  g_assert_cmpuint (conflict->index, ==, 7);
  g_assert_cmpint (conflict->server_version, ==, 2);
  g_assert_cmpmem (g_bytes_get_data (conflict->server_data, NULL), 5, "Ann B", 5);
  g_assert_true (g_bytes_equal (conflict->client_data, anne));
  g_assert_cmpuint (r3->applied->len, ==, 1);
  g_assert_cmpuint (((SvStoreRecord *) g_ptr_array_index (r3->applied, 0))->index, ==, 8);
  /* not stored */
  g_assert_cmpint (record_version (f, account_id, "pb1/adn", 7, &stored), ==, 2);
  g_assert_cmpmem (g_bytes_get_data (stored, NULL), 5, "Ann B", 5);
  g_clear_pointer (&stored, g_bytes_unref);

  /* same bytes with a stale base: already applied, no conflict, no new
   * version */
  r4 = backup (f, account_id, "b4", SV_STORE_BACKUP_INCREMENTAL, "pb1/adn", 7, "Ann B", 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (r4->conflicts->len, ==, 0);
  g_assert_cmpuint (r4->applied->len, ==, 1);
  g_assert_cmpint (((SvStoreRecord *) g_ptr_array_index (r4->applied, 0))->version, ==, 2);
  g_assert_cmpint (r4->modseq, ==, r3->modseq);

  /* a record never stored, with a base version: conflict against FF */
  g_clear_pointer (&r4, sv_store_backup_result_free);
  r4 = backup (f, account_id, "b5", SV_STORE_BACKUP_INCREMENTAL, "pb1/adn", 2, "Zed", 5, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (r4->conflicts->len, ==, 1);
  conflict = g_ptr_array_index (r4->conflicts, 0);
  g_assert_cmpint (conflict->server_version, ==, 0);
  g_assert_cmpuint (((const guint8 *) g_bytes_get_data (conflict->server_data, NULL))[0], ==, 0xff);
  (void) ann;
}

void
test_backup_invalid (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvStoreBackupRequest) request = NULL;
  g_autoptr(GBytes) good = rec (30, "Ann");
  g_autoptr(GBytes) short_rec = rec (29, "Ann");
  gint64 account_id = setup_card (f, PHONE_A, ICCID_A);
  gint64 other_id = setup_card (f, PHONE_B, ICCID_B);
  struct {
    const char *file;
    guint       index;
    GBytes     *data;
  } bad[] = {
    { "pb9/adn", 1, good },       /* unknown file */
    { "pb1/adn", 0, good },       /* index 0 */
    { "pb1/adn", 11, good },      /* beyond n_records */
    { "pb1/adn", 1, short_rec },  /* wrong length */
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *id = g_strdup_printf ("bad-%u", i);

      request = sv_store_backup_request_new (id, SV_STORE_BACKUP_INCREMENTAL);
      /* a good record first: the whole batch is refused */
      sv_store_backup_request_add_record (request, sv_store_record_write_new ("pb1/adn", 5, good, 0));
      sv_store_backup_request_add_record (request, sv_store_record_write_new (bad[i].file, bad[i].index, bad[i].data, 0));
      g_assert_null (sv_store_backup_apply (f->store, account_id, ICCID_A, request, &error));
      g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID);
      g_clear_error (&error);
      g_clear_pointer (&request, sv_store_backup_request_free);
    }

  /* the same record twice */
  request = sv_store_backup_request_new ("twice", SV_STORE_BACKUP_INCREMENTAL);
  sv_store_backup_request_add_record (request, sv_store_record_write_new ("pb1/adn", 5, good, 0));
  sv_store_backup_request_add_record (request, sv_store_record_write_new ("pb1/adn", 5, good, 0));
  g_assert_null (sv_store_backup_apply (f->store, account_id, ICCID_A, request, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID);
  g_clear_error (&error);
  g_clear_pointer (&request, sv_store_backup_request_free);

  /* over the batch limit */
  request = sv_store_backup_request_new ("huge", SV_STORE_BACKUP_INCREMENTAL);
  for (guint i = 0; i <= SV_STORE_MAX_BATCH; i++)
    sv_store_backup_request_add_record (request, sv_store_record_write_new ("pb1/adn", 1 + i % 10, good, 0));
  g_assert_null (sv_store_backup_apply (f->store, account_id, ICCID_A, request, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_TOO_LARGE);
  g_clear_error (&error);
  g_clear_pointer (&request, sv_store_backup_request_free);

  /* a full backup without files, an incremental one with files */
  request = sv_store_backup_request_new ("full-nofiles", SV_STORE_BACKUP_FULL);
  g_assert_null (sv_store_backup_apply (f->store, account_id, ICCID_A, request, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID);
  g_clear_error (&error);
  g_clear_pointer (&request, sv_store_backup_request_free);

  /* another account's card, an unknown card */
  request = sv_store_backup_request_new ("foreign", SV_STORE_BACKUP_INCREMENTAL);
  sv_store_backup_request_add_record (request, sv_store_record_write_new ("pb1/adn", 5, good, 0));
  g_assert_null (sv_store_backup_apply (f->store, other_id, ICCID_A, request, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (sv_store_backup_apply (f->store, account_id, ICCID_C, request, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* nothing of all that was stored */
  g_assert_cmpint (record_version (f, account_id, "pb1/adn", 5, NULL), ==, 0);
}

void
test_backup_full (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvStoreBackupRequest) request = NULL;
  g_autoptr(SvStoreBackupResult) result = NULL;
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GBytes) stored = NULL;
  g_autoptr(SvStoreChanges) changes = NULL;
  gint64 account_id = setup_card (f, PHONE_A, ICCID_A);
  gint64 epoch;

  /* before: adn 1, 2, 3 and ext1 1 */
  request = sv_store_backup_request_new ("before", SV_STORE_BACKUP_INCREMENTAL);
  for (guint i = 1; i <= 3; i++)
    {
      g_autofree char *name = g_strdup_printf ("Old %u", i);
      g_autoptr(GBytes) bytes = rec (30, name);

      sv_store_backup_request_add_record (request, sv_store_record_write_new ("pb1/adn", i, bytes, 0));
    }
  {
    g_autoptr(GBytes) ext = rec (13, "\x02");

    sv_store_backup_request_add_record (request, sv_store_record_write_new ("pb1/ext1", 1, ext, 0));
  }
  result = sv_store_backup_apply (f->store, account_id, ICCID_A, request, &error);
  g_assert_no_error (error);
  epoch = result->epoch;
  g_clear_pointer (&result, sv_store_backup_result_free);
  g_clear_pointer (&request, sv_store_backup_request_free);

  /* a full backup that fails half-way changes nothing */
  request = sv_store_backup_request_new ("full-bad", SV_STORE_BACKUP_FULL);
  sv_store_backup_request_add_file (request, "pb1/adn");
  {
    g_autoptr(GBytes) a = rec (30, "New 2");
    g_autoptr(GBytes) b = rec (30, "New 99");

    sv_store_backup_request_add_record (request, sv_store_record_write_new ("pb1/adn", 2, a, 0));
    sv_store_backup_request_add_record (request, sv_store_record_write_new ("pb1/adn", 99, b, 0));
  }
  g_assert_null (sv_store_backup_apply (f->store, account_id, ICCID_A, request, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID);
  g_clear_error (&error);
  g_clear_pointer (&request, sv_store_backup_request_free);
  records = sv_store_records_list (f->store, account_id, ICCID_A, "pb1/adn", &error);
  g_assert_cmpuint (records->len, ==, 3);
  g_clear_pointer (&records, g_ptr_array_unref);

  /* the full backup of pb1/adn: 2 (changed) and 5 (new); 1 and 3 are
   * cleared; ext1 is not named and stays; versions are ignored */
  request = sv_store_backup_request_new ("full", SV_STORE_BACKUP_FULL);
  sv_store_backup_request_add_file (request, "pb1/adn");
  {
    g_autoptr(GBytes) a = rec (30, "New 2");
    g_autoptr(GBytes) b = rec (30, "New 5");

    sv_store_backup_request_add_record (request, sv_store_record_write_new ("pb1/adn", 2, a, 42));
    sv_store_backup_request_add_record (request, sv_store_record_write_new ("pb1/adn", 5, b, 0));
  }
  result = sv_store_backup_apply (f->store, account_id, ICCID_A, request, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (result->applied->len, ==, 2);
  g_assert_cmpuint (result->conflicts->len, ==, 0);
  g_assert_cmpint (result->modseq, ==, 2);

  records = sv_store_records_list (f->store, account_id, ICCID_A, "pb1/adn", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (records->len, ==, 2);
  g_assert_cmpuint (((SvStoreRecord *) g_ptr_array_index (records, 0))->index, ==, 2);
  g_assert_cmpuint (((SvStoreRecord *) g_ptr_array_index (records, 1))->index, ==, 5);
  g_assert_cmpmem (g_bytes_get_data (((SvStoreRecord *) g_ptr_array_index (records, 1))->data, NULL), 5, "New 5", 5);
  g_clear_pointer (&records, g_ptr_array_unref);
  records = sv_store_records_list (f->store, account_id, ICCID_A, "pb1/ext1", &error);
  g_assert_cmpuint (records->len, ==, 1);
  g_clear_pointer (&records, g_ptr_array_unref);
  g_assert_null (sv_store_records_list (f->store, account_id, ICCID_A, "nope", &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* the cleared records travel as all-FF in the changes */
  changes = sv_store_changes_since (f->store, account_id, ICCID_A, epoch, 1, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (changes->records->len, ==, 4);
  {
    SvStoreRecord *cleared = g_ptr_array_index (changes->records, 0);
    const guint8 *p = g_bytes_get_data (cleared->data, NULL);

    g_assert_cmpstr (cleared->file, ==, "pb1/adn");
    g_assert_cmpuint (cleared->index, ==, 1);
    g_assert_cmpuint (g_bytes_get_size (cleared->data), ==, 30);
    for (guint i = 0; i < 30; i++)
      g_assert_cmpuint (p[i], ==, 0xff);
  }
  (void) stored;
}

/* ------------------------------------------------------------------------ */
/* Changes since                                                            */

void
test_changes_paging (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvStoreCard) card = NULL;
  gint64 account_id = setup_card (f, PHONE_A, ICCID_A);
  gint64 modseq = 0;
  guint seen = 0, pages = 0;
  gboolean more = TRUE;

  fill_history (f, account_id, 7, 0);
  card = sv_store_card_get (f->store, account_id, ICCID_A, &error);

  /* pages of 3: 3 + 3 + 1, each ending on a batch boundary */
  while (more)
    {
      g_autoptr(SvStoreChanges) changes = NULL;

      changes = sv_store_changes_since (f->store, account_id, ICCID_A, card->epoch, modseq, 3, &error);
      g_assert_no_error (error);
      g_assert_cmpint (changes->epoch, ==, card->epoch);
      g_assert_cmpuint (changes->records->len, <=, 3);
      for (guint i = 0; i < changes->records->len; i++)
        {
          SvStoreRecord *record = g_ptr_array_index (changes->records, i);

          g_assert_cmpint (record->version, >, modseq);
          g_assert_cmpint (record->version, <=, changes->modseq);
          g_assert_cmpuint (record->index, ==, ++seen);
        }
      modseq = changes->modseq;
      more = changes->more;
      pages++;
    }
  g_assert_cmpuint (seen, ==, 7);
  g_assert_cmpuint (pages, ==, 3);
  g_assert_cmpint (modseq, ==, 7);

  /* up to date: nothing, and the same token */
  {
    g_autoptr(SvStoreChanges) changes = sv_store_changes_since (f->store, account_id, ICCID_A,
                                                           card->epoch, 7, 3, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (changes->records->len, ==, 0);
    g_assert_false (changes->more);
    g_assert_cmpint (changes->modseq, ==, 7);
  }
}

void
test_changes_big_batch (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvStoreCard) card = NULL;
  g_autoptr(SvStoreChanges) page1 = NULL;
  g_autoptr(SvStoreChanges) page2 = NULL;
  g_autoptr(SvStoreChanges) page3 = NULL;
  gint64 account_id = setup_card (f, PHONE_A, ICCID_A);

  /* versions 1, 2 (one record each), 3 (five records) */
  fill_history (f, account_id, 2, 5);
  card = sv_store_card_get (f->store, account_id, ICCID_A, &error);
  g_assert_cmpint (card->modseq, ==, 3);

  /* limit 3: the page stops before batch 3 rather than splitting it */
  page1 = sv_store_changes_since (f->store, account_id, ICCID_A, card->epoch, 0, 3, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (page1->records->len, ==, 2);
  g_assert_cmpint (page1->modseq, ==, 2);
  g_assert_true (page1->more);

  /* batch 3 is larger than the page: it comes whole */
  page2 = sv_store_changes_since (f->store, account_id, ICCID_A, card->epoch, page1->modseq, 3, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (page2->records->len, ==, 5);
  g_assert_cmpint (page2->modseq, ==, 3);
  g_assert_false (page2->more);

  page3 = sv_store_changes_since (f->store, account_id, ICCID_A, card->epoch, page2->modseq, 3, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (page3->records->len, ==, 0);
}

void
test_changes_tokens (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvStoreCard) card = NULL;
  g_autoptr(SvStoreChanges) changes = NULL;
  g_autoptr(SvStoreBackupResult) cleared = NULL;
  g_autoptr(SvStoreBackupResult) result = NULL;
  gint64 account_id = setup_card (f, PHONE_A, ICCID_A);

  fill_history (f, account_id, 3, 0);
  card = sv_store_card_get (f->store, account_id, ICCID_A, &error);

  /* another epoch, a modseq from the future, a negative one */
  g_assert_null (sv_store_changes_since (f->store, account_id, ICCID_A, card->epoch + 1, 0, 0, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_FULL_RESYNC_REQUIRED);
  g_clear_error (&error);
  g_assert_null (sv_store_changes_since (f->store, account_id, ICCID_A, card->epoch, 4, 0, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_FULL_RESYNC_REQUIRED);
  g_clear_error (&error);
  g_assert_null (sv_store_changes_since (f->store, account_id, ICCID_A, card->epoch, -1, 0, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_FULL_RESYNC_REQUIRED);
  g_clear_error (&error);

  /* clear record 1 (version 4), then purge the tombstones up to 4: a token
   * older than 4 needs a full resync, 4 itself is fine */
  cleared = backup (f, account_id, "clear", SV_STORE_BACKUP_INCREMENTAL, "pb1/adn", 1, NULL, 1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (cleared->modseq, ==, 4);
  changes = sv_store_changes_since (f->store, account_id, ICCID_A, card->epoch, 3, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (changes->records->len, ==, 1);
  g_clear_pointer (&changes, sv_store_changes_free);

  g_assert_true (sv_store_purge_cleared (f->store, ICCID_A, 4, &error));
  g_assert_no_error (error);
  g_assert_null (sv_store_changes_since (f->store, account_id, ICCID_A, card->epoch, 3, 0, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_FULL_RESYNC_REQUIRED);
  g_clear_error (&error);
  changes = sv_store_changes_since (f->store, account_id, ICCID_A, card->epoch, 4, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (changes->records->len, ==, 0);
  g_clear_pointer (&changes, sv_store_changes_free);
  g_clear_pointer (&card, sv_store_card_free);
  card = sv_store_card_get (f->store, account_id, ICCID_A, &error);
  g_assert_cmpint (card->purge_floor, ==, 4);

  /* the purged record is gone; writing it again from "never seen" works */
  result = backup (f, account_id, "again", SV_STORE_BACKUP_INCREMENTAL, "pb1/adn", 1, "Back", 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (result->conflicts->len, ==, 0);
  g_assert_cmpint (result->modseq, ==, 5);

  /* another account sees no card at all */
  {
    gint64 other = create_account (f, PHONE_B);

    g_assert_null (sv_store_changes_since (f->store, other, ICCID_A, card->epoch, 4, 0, &error));
    g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND);
  }
}

/* Housekeeping's purge for every card: tombstones changed before the cut
 * go, in rounds of one card, each card's floor rising to its newest purged
 * tombstone; a newer tombstone stays; a second run finds nothing. */
static gint64
clear_or_write (Fixture    *f,
                gint64      account_id,
                const char *iccid,
                const char *batch_id,
                guint       index,
                const char *text,
                gint64      base)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvStoreBackupRequest) request = sv_store_backup_request_new (batch_id, SV_STORE_BACKUP_INCREMENTAL);
  g_autoptr(GBytes) data = rec (30, text);
  g_autoptr(SvStoreBackupResult) result = NULL;

  sv_store_backup_request_add_record (request, sv_store_record_write_new ("pb1/adn", index, data, base));
  result = sv_store_backup_apply (f->store, account_id, iccid, request, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (result->conflicts->len, ==, 0);
  return result->modseq;
}

void
test_purge_before (Fixture       *f,
                   gconstpointer  data)
{
  const char *iccids[] = { ICCID_A, ICCID_B, ICCID_C };
  const char *phones[] = { PHONE_A, PHONE_B, "+8613700137000" };
  gint64 accounts[3], floors[3], newer = 0;
  g_autoptr(GError) error = NULL;
  guint n_cards = 99;

  for (guint i = 0; i < 3; i++)
    {
      gint64 v1, v2;

      accounts[i] = setup_card (f, phones[i], iccids[i]);
      v1 = clear_or_write (f, accounts[i], iccids[i], "w1", 1, "One", 0);
      v2 = clear_or_write (f, accounts[i], iccids[i], "w2", 2, "Two", 0);
      floors[i] = clear_or_write (f, accounts[i], iccids[i], "c1", 1, NULL, v1);
      if (i == 0)
        {
          f->now = T0 + 40 * G_GINT64_CONSTANT (86400) * G_USEC_PER_SEC;
          newer = clear_or_write (f, accounts[i], iccids[i], "c2", 2, NULL, v2);
          f->now = T0;
        }
    }

  /* 45 days on, keeping 30: the cut is T0 + 15 days */
  f->now = T0 + 45 * G_GINT64_CONSTANT (86400) * G_USEC_PER_SEC;
  g_assert_true (sv_store_purge_cleared_before (f->store, f->now - 30 * G_GINT64_CONSTANT (86400) * G_USEC_PER_SEC,
                                                1, &n_cards, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_cards, ==, 3);
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(SvStoreCard) card = sv_store_card_get (f->store, accounts[i], iccids[i], &error);
      g_autoptr(SvStoreChanges) changes = NULL;

      g_assert_no_error (error);
      g_assert_cmpint (card->purge_floor, ==, floors[i]);
      g_assert_null (sv_store_changes_since (f->store, accounts[i], iccids[i], card->epoch, floors[i] - 1, 0, &error));
      g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_FULL_RESYNC_REQUIRED);
      g_clear_error (&error);
      changes = sv_store_changes_since (f->store, accounts[i], iccids[i], card->epoch, floors[i], 0, &error);
      g_assert_no_error (error);
      /* card A's newer tombstone is kept for the tokens before it */
      g_assert_cmpuint (changes->records->len, ==, i == 0 ? 1 : 0);
      if (i == 0)
        g_assert_cmpint (((SvStoreRecord *) g_ptr_array_index (changes->records, 0))->version, ==, newer);
    }

  g_assert_true (sv_store_purge_cleared_before (f->store, f->now - 30 * G_GINT64_CONSTANT (86400) * G_USEC_PER_SEC,
                                                1, &n_cards, &error));
  g_assert_cmpuint (n_cards, ==, 0);
}

