/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The SQLite mirror: byte-exact storage, edits through the phonebook model,
 * pending diff, conflicts, undo, history, cards list/search/label/delete,
 * migrations from every earlier schema version.
 */
#include "config.h"

#include <glib/gstdio.h>

#include "sv-phonebook.h"
#include "sv-mirror-messages.h"
#include "sv-mirror-worker.h"
#include "sv-mirror-private.h"
#include "sv-mirror-test-util.h"
#include "sv-sms-store.h"

typedef struct
{
  char     *dir;
  char     *path;
  SvMirror *mirror;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("sv-mirror-XXXXXX", &error);
  g_assert_no_error (error);
  f->path = g_build_filename (f->dir, "sub", "mirror.db", NULL);
  f->mirror = sv_mirror_open (f->path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (f->mirror);
  sv_mirror_set_who (f->mirror, "tester");
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir != NULL)
    while ((name = g_dir_read_name (dir)) != NULL)
      {
        g_autofree char *child = g_build_filename (path, name, NULL);
        remove_tree (child);
      }
  g_remove (path);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_object (&f->mirror);
  remove_tree (f->dir);
  g_free (f->path);
  g_free (f->dir);
}

static void
import_test_card (Fixture *f)
{
  g_autoptr(SvCardImage) card = test_card_new (TEST_ICCID, TEST_ALPHA_LEN, TEST_N_ADN, 2);
  g_autoptr(GPtrArray) conflicts = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (sv_mirror_import_card (f->mirror, card, &conflicts, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (conflicts->len, ==, 0);
}

static void
test_default_path (void)
{
  g_autofree char *path = NULL;
  g_autofree char *expected = g_build_filename (g_get_user_data_dir (), "simvault", "mirror.db", NULL);

  g_unsetenv ("SIMVAULT_DB");
  path = sv_mirror_default_path ();
  g_assert_cmpstr (path, ==, expected);
  g_setenv ("SIMVAULT_DB", "/tmp/other.db", TRUE);
  g_free (path);
  path = sv_mirror_default_path ();
  g_assert_cmpstr (path, ==, "/tmp/other.db");
  g_unsetenv ("SIMVAULT_DB");
}

static void
test_pragmas (Fixture       *f,
              gconstpointer  data)
{
  sqlite3 *db = sv_mirror_get_db (f->mirror);
  g_autoptr(sqlite3_stmt) stmt = NULL;

  g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA journal_mode", -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 0), ==, "wal");
  g_clear_pointer (&stmt, sqlite3_finalize);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA foreign_keys", -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpint (sqlite3_column_int (stmt, 0), ==, 1);
  g_clear_pointer (&stmt, sqlite3_finalize);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA user_version", -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpint (sqlite3_column_int (stmt, 0), ==, sv_mirror_schema_version ());
}

static void
test_import_byte_exact (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(SvCardImage) card = test_card_new (TEST_ICCID, TEST_ALPHA_LEN, TEST_N_ADN, 2);
  g_autoptr(SvCardImage) base = NULL;
  g_autoptr(SvCardImage) working = NULL;
  g_autoptr(SvMirror) again = NULL;
  g_autoptr(GPtrArray) pending = NULL;
  g_autoptr(GError) error = NULL;

  import_test_card (f);

  /* Reopen: what comes back is what the card held, byte for byte. */
  g_clear_object (&f->mirror);
  again = sv_mirror_open (f->path, &error);
  g_assert_no_error (error);
  base = sv_mirror_load_image (again, TEST_ICCID, FALSE, &error);
  g_assert_no_error (error);
  working = sv_mirror_load_image (again, TEST_ICCID, TRUE, &error);
  g_assert_no_error (error);
  g_assert_true (sv_card_image_equal (base, card));
  g_assert_true (sv_card_image_equal (working, card));
  g_assert_cmpuint (sv_card_image_get_card_type (base), ==, SV_CARD_TYPE_SIM);
  g_assert_cmpstr (sv_card_image_lookup (base, "adn")->path, ==, "3F007F106F3A");
  /* The uninterpreted CCP byte of record 9 survived. */
  g_assert_cmpint (((const guint8 *) g_bytes_get_data (sv_card_image_get_record (base, "adn", 9), NULL))[TEST_ALPHA_LEN + 12],
                   ==, 0x42);

  pending = sv_mirror_get_pending (again, TEST_ICCID, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (pending->len, ==, 0);
}

static void
test_not_found (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvCardImage) image = sv_mirror_load_image (f->mirror, "8900000000000000000", TRUE, &error);

  g_assert_null (image);
  g_assert_error (error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "8900000000000000000"));
}

static void
test_no_iccid (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(SvCardImage) card = sv_card_image_new (SV_CARD_TYPE_SIM);
  g_autoptr(GError) error = NULL;

  g_assert_false (sv_mirror_import_card (f->mirror, card, NULL, &error));
  g_assert_error (error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_INVALID);
}

static void
test_edit_pending_undo (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) pending = NULL;
  g_autoptr(GPtrArray) contacts = NULL;
  g_autoptr(SvContact) carol = sv_contact_new (0, 3, "Carol", "+4930123456", NULL, NULL, NULL);
  g_autoptr(SvContact) bob2 = sv_contact_new (0, 2, "Robert", "5551234", NULL, NULL, NULL);
  g_autoptr(SvMirrorCard) card = NULL;
  g_autofree char *undone = NULL;
  SvMirrorPendingRecord *rec;

  import_test_card (f);

  g_assert_true (sv_mirror_store_contact (f->mirror, TEST_ICCID, carol, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (sv_mirror_store_contact (f->mirror, TEST_ICCID, bob2, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (sv_mirror_delete_contact (f->mirror, TEST_ICCID, 0, 1, &error));
  g_assert_no_error (error);

  pending = sv_mirror_get_pending (f->mirror, TEST_ICCID, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (pending->len, ==, 3);
  rec = g_ptr_array_index (pending, 0);
  g_assert_cmpstr (rec->key, ==, "adn");
  g_assert_cmpuint (rec->index, ==, 1);
  g_assert_cmpint (rec->state, ==, SV_RECORD_STATE_DELETED);
  rec = g_ptr_array_index (pending, 1);
  g_assert_cmpuint (rec->index, ==, 2);
  g_assert_cmpint (rec->state, ==, SV_RECORD_STATE_MODIFIED);
  rec = g_ptr_array_index (pending, 2);
  g_assert_cmpuint (rec->index, ==, 3);
  g_assert_cmpint (rec->state, ==, SV_RECORD_STATE_ADDED);
  g_assert_cmpint (rec->version, ==, 2);        /* read = 1, add = 2 */

  contacts = sv_mirror_list_contacts (f->mirror, TEST_ICCID, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (contacts->len, ==, 3);      /* Robert, Carol, Odd */
  g_assert_cmpstr (sv_contact_get_name (g_ptr_array_index (contacts, 0)), ==, "Robert");
  g_assert_cmpstr (sv_contact_get_name (g_ptr_array_index (contacts, 1)), ==, "Carol");
  g_assert_cmpstr (sv_contact_get_number (g_ptr_array_index (contacts, 1)), ==, "+4930123456");

  card = sv_mirror_get_card (f->mirror, TEST_ICCID, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (card->n_pending, ==, 3);
  g_assert_cmpint (card->modseq, ==, 4);

  /* Undo the delete, then the rename: only Carol stays pending. */
  g_assert_true (sv_mirror_undo (f->mirror, TEST_ICCID, &undone, &error));
  g_assert_no_error (error);
  g_assert_nonnull (strstr (undone, "deleted contact 1"));
  g_assert_true (sv_mirror_undo (f->mirror, TEST_ICCID, NULL, &error));
  g_assert_no_error (error);
  g_clear_pointer (&pending, g_ptr_array_unref);
  pending = sv_mirror_get_pending (f->mirror, TEST_ICCID, &error);
  g_assert_cmpuint (pending->len, ==, 1);
  g_assert_cmpuint (((SvMirrorPendingRecord *) g_ptr_array_index (pending, 0))->index, ==, 3);

  g_assert_true (sv_mirror_undo (f->mirror, TEST_ICCID, NULL, &error));
  g_assert_false (sv_mirror_undo (f->mirror, TEST_ICCID, NULL, &error));
  g_assert_error (error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_NOTHING_TO_UNDO);
  g_clear_pointer (&pending, g_ptr_array_unref);
  pending = sv_mirror_get_pending (f->mirror, TEST_ICCID, NULL);
  g_assert_cmpuint (pending->len, ==, 0);
}

/* The validation edge: the 14-byte alpha field holds 6 UCS2 characters in
 * scheme 0x80 but 11 in scheme 0x81 when they share one half-page. */
static void
test_validation_0x81 (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) problems = NULL;
  /* 10 Cyrillic letters: 20 bytes in 0x80, 13 bytes in 0x81. */
  g_autoptr(SvContact) fits = sv_contact_new (0, 4, "Александра", "123", NULL, NULL, NULL);
  /* 13 letters: 16 bytes even in 0x81, 2 too many. */
  g_autoptr(SvContact) too_long = sv_contact_new (0, 5, "Александрович", "123", NULL, NULL, NULL);
  /* 41 digits: 20 in ADN, 20 per EXT1 record, this card has 2 free. */
  g_autoptr(SvContact) long_number = sv_contact_new (0, 6, "N", "12345678901234567890123456789012345678901234567890123456789012345", NULL, NULL, NULL);
  g_autoptr(GPtrArray) contacts = NULL;
  const SvFitProblem *problem;

  import_test_card (f);

  g_assert_true (sv_mirror_store_contact (f->mirror, TEST_ICCID, fits, &problems, &error));
  g_assert_no_error (error);
  g_assert_null (problems);
  contacts = sv_mirror_list_contacts (f->mirror, TEST_ICCID, &error);
  g_assert_cmpstr (sv_contact_get_name (g_ptr_array_index (contacts, 2)), ==, "Александра");

  g_assert_false (sv_mirror_store_contact (f->mirror, TEST_ICCID, too_long, &problems, &error));
  g_assert_error (error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_DOES_NOT_FIT);
  g_assert_nonnull (problems);
  g_assert_cmpuint (problems->len, ==, 1);
  problem = g_ptr_array_index (problems, 0);
  g_assert_cmpstr (problem->field, ==, "name");
  g_assert_cmpint (problem->excess, ==, 2);
  g_clear_error (&error);
  g_clear_pointer (&problems, g_ptr_array_unref);

  g_assert_false (sv_mirror_store_contact (f->mirror, TEST_ICCID, long_number, &problems, &error));
  g_assert_error (error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_DOES_NOT_FIT);
  problem = g_ptr_array_index (problems, 0);
  g_assert_cmpstr (problem->field, ==, "number");
  g_assert_cmpint (problem->excess, ==, 5);
  g_clear_error (&error);

  /* Nothing of the failed edits was stored. */
  g_clear_pointer (&contacts, g_ptr_array_unref);
  contacts = sv_mirror_list_contacts (f->mirror, TEST_ICCID, &error);
  g_assert_cmpuint (contacts->len, ==, 4);
}

static void
test_conflict_on_reread (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvContact) alice2 = sv_contact_new (0, 1, "Alicia", "8613800138000", NULL, NULL, NULL);
  g_autoptr(SvCardImage) card = test_card_new (TEST_ICCID, TEST_ALPHA_LEN, TEST_N_ADN, 2);
  g_autoptr(GBytes) changed_elsewhere = test_adn_record (TEST_ALPHA_LEN, "Alice W", 0x91, "8613800138000");
  g_autoptr(GBytes) bob_elsewhere = test_adn_record (TEST_ALPHA_LEN, "Bobby", 0x81, "5551234");
  g_autoptr(GPtrArray) conflicts = NULL;
  g_autoptr(GPtrArray) pending = NULL;
  g_autoptr(SvCardImage) working = NULL;
  SvMirrorConflict *conflict;

  import_test_card (f);
  g_assert_true (sv_mirror_store_contact (f->mirror, TEST_ICCID, alice2, NULL, &error));
  g_assert_no_error (error);
  working = sv_mirror_load_image (f->mirror, TEST_ICCID, TRUE, &error);

  /* (Before a write, the writer compares the card itself: see the
   * operations tests in tests/sync/test-operations.c.) */
  /* A fresh read: record 1 (edited here and there) conflicts, record 2
   * (edited only there) follows the card. */
  sv_card_image_set_record (card, "adn", 1, changed_elsewhere, NULL);
  sv_card_image_set_record (card, "adn", 2, bob_elsewhere, NULL);
  g_assert_true (sv_mirror_import_card (f->mirror, card, &conflicts, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (conflicts->len, ==, 1);
  conflict = g_ptr_array_index (conflicts, 0);
  g_assert_cmpstr (conflict->key, ==, "adn");
  g_assert_cmpuint (conflict->index, ==, 1);
  g_assert_true (g_bytes_equal (conflict->card_bytes, changed_elsewhere));
  g_assert_true (g_bytes_equal (conflict->local_bytes, sv_card_image_get_record (working, "adn", 1)));

  /* The local edit is kept, still pending against the new base. */
  pending = sv_mirror_get_pending (f->mirror, TEST_ICCID, &error);
  g_assert_cmpuint (pending->len, ==, 1);
  g_assert_true (g_bytes_equal (((SvMirrorPendingRecord *) g_ptr_array_index (pending, 0))->working_bytes,
                                sv_card_image_get_record (working, "adn", 1)));
  g_assert_true (g_bytes_equal (((SvMirrorPendingRecord *) g_ptr_array_index (pending, 0))->base_bytes,
                                changed_elsewhere));
  g_clear_object (&working);
  working = sv_mirror_load_image (f->mirror, TEST_ICCID, TRUE, &error);
  g_assert_true (g_bytes_equal (sv_card_image_get_record (working, "adn", 2), bob_elsewhere));
}

static void
test_mark_written (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvContact) eve = sv_contact_new (0, 7, "Eve", "999", NULL, NULL, NULL);
  g_autoptr(GPtrArray) changes = NULL;
  g_autoptr(GPtrArray) pending = NULL;
  g_autoptr(GPtrArray) since = NULL;
  g_autoptr(GPtrArray) history = NULL;
  g_autoptr(SvCardImage) base = NULL;

  import_test_card (f);
  g_assert_true (sv_mirror_store_contact (f->mirror, TEST_ICCID, eve, NULL, &error));
  changes = sv_mirror_get_pending_changes (f->mirror, TEST_ICCID, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (changes->len, ==, 1);

  g_assert_true (sv_mirror_mark_written (f->mirror, TEST_ICCID, changes, &error));
  g_assert_no_error (error);
  pending = sv_mirror_get_pending (f->mirror, TEST_ICCID, &error);
  g_assert_cmpuint (pending->len, ==, 0);
  base = sv_mirror_load_image (f->mirror, TEST_ICCID, FALSE, &error);
  g_assert_true (g_bytes_equal (sv_card_image_get_record (base, "adn", 7),
                                ((SvRecordChange *) g_ptr_array_index (changes, 0))->new_bytes));

  since = sv_mirror_get_changed_since (f->mirror, TEST_ICCID, 2, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (since->len, ==, 1);
  g_assert_cmpuint (((SvMirrorPendingRecord *) g_ptr_array_index (since, 0))->index, ==, 7);

  history = sv_mirror_get_history (f->mirror, TEST_ICCID, &error);
  g_assert_cmpuint (history->len, ==, 3);
  g_assert_cmpint (((SvMirrorHistoryEntry *) g_ptr_array_index (history, 0))->op, ==, SV_HISTORY_READ);
  g_assert_cmpint (((SvMirrorHistoryEntry *) g_ptr_array_index (history, 1))->op, ==, SV_HISTORY_EDIT);
  g_assert_cmpint (((SvMirrorHistoryEntry *) g_ptr_array_index (history, 2))->op, ==, SV_HISTORY_WRITE);
  g_assert_cmpstr (((SvMirrorHistoryEntry *) g_ptr_array_index (history, 2))->who, ==, "tester");
}

/* The writer adds records the user never edited (EF_CC, EF_UID) and a
 * shared file may be stored under several keys: after the write all of
 * them follow the card, and nothing is left pending. A record edited
 * again while the write ran keeps the newer edit. */
static void
test_mark_written_follows_card (Fixture       *f,
                                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvCardImage) card = test_card_new (TEST_ICCID, TEST_ALPHA_LEN, TEST_N_ADN, 2);
  g_autoptr(GPtrArray) conflicts = NULL;
  g_autoptr(GPtrArray) written = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_record_change_unref);
  g_autoptr(GPtrArray) pending = NULL;
  g_autoptr(SvCardImage) working = NULL;
  g_autoptr(SvCardImage) base = NULL;
  g_autoptr(SvContact) eve = sv_contact_new (0, 7, "Eve", "999", NULL, NULL, NULL);
  g_autoptr(SvContact) eve2 = sv_contact_new (0, 7, "Eve again", "999", NULL, NULL, NULL);
  g_autoptr(GPtrArray) changes = NULL;
  static const guint8 ext_new[13] = { 0x02, 0x02, 0x21, 0xF3, 0xFF, 0xFF, 0xFF, 0xFF,
                                      0xFF, 0xFF, 0xFF, 0xFF, 0xFF };
  g_autoptr(GBytes) ext_new_bytes = NULL;

  /* "ext1" also stored as "ext1-alias": one file, two keys. */
  sv_card_image_add_file (card, "ext1-alias", "3F007F106F4A", SV_FILE_STRUCTURE_LINEAR_FIXED, 13, 2);
  g_assert_true (sv_mirror_import_card (f->mirror, card, &conflicts, &error));
  g_assert_no_error (error);

  g_assert_true (sv_mirror_store_contact (f->mirror, TEST_ICCID, eve, NULL, &error));
  changes = sv_mirror_get_pending_changes (f->mirror, TEST_ICCID, &error);
  g_assert_cmpuint (changes->len, ==, 1);
  g_ptr_array_add (written, g_steal_pointer (&g_ptr_array_index (changes, 0)));

  /* Bookkeeping the writer added on its own: an EXT1 record that was
   * clean in the mirror (the card's change counter is the same kind). */
  ext_new_bytes = g_bytes_new_static (ext_new, sizeof ext_new);
  g_ptr_array_add (written, sv_record_change_new ("ext1", 2, sv_card_image_get_record (card, "ext1", 2),
                                                  ext_new_bytes));

  /* The user edits Eve again while the write runs. */
  g_assert_true (sv_mirror_store_contact (f->mirror, TEST_ICCID, eve2, NULL, &error));

  g_assert_true (sv_mirror_mark_written (f->mirror, TEST_ICCID, written, &error));
  g_assert_no_error (error);

  base = sv_mirror_load_image (f->mirror, TEST_ICCID, FALSE, &error);
  working = sv_mirror_load_image (f->mirror, TEST_ICCID, TRUE, &error);
  g_assert_true (g_bytes_equal (sv_card_image_get_record (base, "ext1", 2), ext_new_bytes));
  g_assert_true (g_bytes_equal (sv_card_image_get_record (working, "ext1", 2), ext_new_bytes));
  g_assert_true (g_bytes_equal (sv_card_image_get_record (base, "ext1-alias", 2), ext_new_bytes));
  g_assert_true (g_bytes_equal (sv_card_image_get_record (working, "ext1-alias", 2), ext_new_bytes));

  /* Only the newer edit of Eve is still pending. */
  pending = sv_mirror_get_pending (f->mirror, TEST_ICCID, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (pending->len, ==, 1);
  g_assert_cmpstr (((SvMirrorPendingRecord *) g_ptr_array_index (pending, 0))->key, ==, "adn");
  g_assert_cmpuint (((SvMirrorPendingRecord *) g_ptr_array_index (pending, 0))->index, ==, 7);
}

static SvMessage *
find_message_by_number (GPtrArray  *messages,
                        const char *number)
{
  for (guint i = 0; i < messages->len; i++)
    if (g_strcmp0 (sv_message_get_number (g_ptr_array_index (messages, i)), number) == 0)
      return g_ptr_array_index (messages, i);
  return NULL;
}

/* A message added offline: one record, or a concatenated message over
 * free records, decoded back exactly; no room is a clear error. */
static void
test_add_message (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) records = NULL;
  g_autoptr(GArray) long_records = NULL;
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(GString) long_text = g_string_new (NULL);
  g_autoptr(GDateTime) when = g_date_time_new_utc (2024, 3, 1, 12, 0, 5);
  SvMessage *message;

  import_test_card (f);

  g_assert_true (sv_mirror_add_message (f->mirror, TEST_ICCID, SV_MESSAGE_STATUS_UNREAD,
                                        "+8613800138000", "你好，明天见", when, &records, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (records->len, ==, 1);

  /* 200 GSM characters with an extension character at the split: two
   * parts of at most 153 septets. */
  for (guint i = 0; i < 152; i++)
    g_string_append_c (long_text, 'a');
  g_string_append (long_text, "€");
  for (guint i = 0; i < 47; i++)
    g_string_append_c (long_text, 'b');
  g_assert_true (sv_mirror_add_message (f->mirror, TEST_ICCID, SV_MESSAGE_STATUS_UNSENT,
                                        "5551234", long_text->str, NULL, &long_records, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (long_records->len, ==, 2);

  messages = sv_mirror_list_messages (f->mirror, TEST_ICCID, &error);
  g_assert_no_error (error);
  message = find_message_by_number (messages, "+8613800138000");
  g_assert_nonnull (message);
  g_assert_cmpstr (sv_message_get_text (message), ==, "你好，明天见");
  g_assert_cmpint (sv_message_get_status (message), ==, SV_MESSAGE_STATUS_UNREAD);
  g_assert_cmpint (sv_message_get_message_type (message), ==, SV_MESSAGE_TYPE_DELIVER);
  g_assert_true (g_date_time_equal (sv_message_get_timestamp (message), when));

  message = find_message_by_number (messages, "5551234");
  g_assert_nonnull (message);
  g_assert_cmpstr (sv_message_get_text (message), ==, long_text->str);
  g_assert_cmpuint (sv_message_get_n_parts (message), ==, 2);
  g_assert_cmpuint (sv_message_get_n_missing (message), ==, 0);
  g_assert_cmpint (sv_message_get_message_type (message), ==, SV_MESSAGE_TYPE_SUBMIT);

  /* The card has 3 records, all used now. */
  g_assert_false (sv_mirror_add_message (f->mirror, TEST_ICCID, SV_MESSAGE_STATUS_READ,
                                         "1", "no room", NULL, NULL, &error));
  g_assert_error (error, SV_SMS_STORE_ERROR, SV_SMS_STORE_ERROR_DOES_NOT_FIT);
  g_clear_error (&error);

  /* Mark read, then delete the long one: each one undoable edit; a sent
   * message keeps its status when marked. */
  g_array_append_vals (long_records, records->data, records->len);
  g_assert_true (sv_mirror_update_messages (f->mirror, TEST_ICCID, records, SV_MESSAGE_STATUS_READ, &error));
  g_assert_no_error (error);
  g_clear_pointer (&messages, g_ptr_array_unref);
  messages = sv_mirror_list_messages (f->mirror, TEST_ICCID, &error);
  g_assert_cmpint (sv_message_get_status (find_message_by_number (messages, "+8613800138000")), ==,
                   SV_MESSAGE_STATUS_READ);

  g_assert_true (sv_mirror_update_messages (f->mirror, TEST_ICCID, long_records, SV_MESSAGE_STATUS_FREE, &error));
  g_assert_no_error (error);
  g_clear_pointer (&messages, g_ptr_array_unref);
  messages = sv_mirror_list_messages (f->mirror, TEST_ICCID, &error);
  g_assert_null (find_message_by_number (messages, "5551234"));
  g_assert_null (find_message_by_number (messages, "+8613800138000"));

  g_assert_true (sv_mirror_undo (f->mirror, TEST_ICCID, NULL, &error));
  g_clear_pointer (&messages, g_ptr_array_unref);
  messages = sv_mirror_list_messages (f->mirror, TEST_ICCID, &error);
  g_assert_nonnull (find_message_by_number (messages, "5551234"));
  g_assert_nonnull (find_message_by_number (messages, "+8613800138000"));
}

static void
test_history_append_only (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  sqlite3 *db = sv_mirror_get_db (f->mirror);

  import_test_card (f);
  g_assert_true (sv_mirror_append_history (f->mirror, TEST_ICCID, SV_HISTORY_BACKUP, "to server", &error));
  g_assert_false (sv_mirror_sql_exec (db, "UPDATE history SET who = 'mallory'", &error));
  g_assert_nonnull (strstr (error->message, "append-only"));
  g_clear_error (&error);
  g_assert_false (sv_mirror_sql_exec (db, "DELETE FROM history", &error));
  g_clear_error (&error);
}

static void
test_cards_list_search_label_delete (Fixture       *f,
                                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvCardImage) other = test_card_new ("8944000000000000001", TEST_ALPHA_LEN, 5, 0);
  g_autoptr(SvContact) zoe = sv_contact_new (0, 3, "Zoë Müller", "+49 (30) 777-888", NULL, NULL, NULL);
  g_autoptr(GPtrArray) cards = NULL;
  g_autoptr(GPtrArray) history = NULL;

  import_test_card (f);
  g_assert_true (sv_mirror_import_card (f->mirror, other, NULL, &error));
  g_assert_true (sv_mirror_store_contact (f->mirror, "8944000000000000001", zoe, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (sv_mirror_set_label (f->mirror, TEST_ICCID, "Mrs Li", "spare, shop 3", &error));

  cards = sv_mirror_list_cards (f->mirror, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (cards->len, ==, 2);

#define SEARCH(q, n) G_STMT_START { \
    g_autoptr(GPtrArray) r = sv_mirror_search_cards (f->mirror, q, &error); \
    g_assert_no_error (error); \
    g_assert_cmpuint (r->len, ==, n); \
  } G_STMT_END
  SEARCH ("89860012", 1);
  SEARCH ("mrs li", 1);
  SEARCH ("SHOP", 1);
  SEARCH ("zoë", 1);
  SEARCH ("ZOË MÜLLER", 1);
  SEARCH ("30777888", 1);           /* punctuation in the stored number */
  SEARCH ("+86 138-0013", 2);       /* Alice is on both */
  SEARCH ("nobody", 0);
#undef SEARCH

  g_assert_false (sv_mirror_delete_card (f->mirror, TEST_ICCID, "89", &error));
  g_assert_error (error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_true (sv_mirror_delete_card (f->mirror, TEST_ICCID, TEST_ICCID, &error));
  g_assert_no_error (error);
  g_assert_false (sv_mirror_has_card (f->mirror, TEST_ICCID));
  g_clear_pointer (&cards, g_ptr_array_unref);
  cards = sv_mirror_list_cards (f->mirror, &error);
  g_assert_cmpuint (cards->len, ==, 1);

  /* The history outlives the card. */
  history = sv_mirror_get_history (f->mirror, TEST_ICCID, &error);
  g_assert_cmpint (((SvMirrorHistoryEntry *) g_ptr_array_index (history, history->len - 1))->op,
                   ==, SV_HISTORY_DELETE);
  {
    g_autoptr(sqlite3_stmt) stmt = NULL;
    sqlite3_prepare_v2 (sv_mirror_get_db (f->mirror), "SELECT count(*) FROM records", -1, &stmt, NULL);
    sqlite3_step (stmt);
    /* Only the other card's records remain (cascade). */
    g_assert_cmpint (sqlite3_column_int (stmt, 0), ==, 5 + 0 + 3);
  }
}

static void
test_messages_edit (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvCardImage) card = test_card_new (TEST_ICCID, TEST_ALPHA_LEN, TEST_N_ADN, 2);
  g_autoptr(GPtrArray) pending = NULL;
  g_autoptr(SvCardImage) working = NULL;
  /* TS 23.040 SMS-DELIVER from +4912345, "hi", status 03 (unread). */
  static const guint8 deliver[] = {
    0x03, 0x00, 0x04, 0x0B, 0x91, 0x94, 0x21, 0x43, 0xF5, 0x00, 0x00,
    0x42, 0x10, 0x11, 0x21, 0x43, 0x65, 0x00, 0x02, 0xE8, 0x34,
  };
  guint8 rec[176];
  g_autoptr(GBytes) bytes = NULL;
  const guint8 *data_now;

  memset (rec, 0xFF, sizeof rec);
  memcpy (rec, deliver, sizeof deliver);
  bytes = g_bytes_new (rec, sizeof rec);
  sv_card_image_set_record (card, "sms", 2, bytes, NULL);
  g_assert_true (sv_mirror_import_card (f->mirror, card, NULL, &error));

  g_assert_true (sv_mirror_set_message_status (f->mirror, TEST_ICCID, 2, SV_MESSAGE_STATUS_READ, &error));
  g_assert_no_error (error);
  working = sv_mirror_load_image (f->mirror, TEST_ICCID, TRUE, &error);
  data_now = g_bytes_get_data (sv_card_image_get_record (working, "sms", 2), NULL);
  g_assert_cmpint (data_now[0], ==, 0x01);
  g_assert_cmpmem (data_now + 1, sizeof deliver - 1, deliver + 1, sizeof deliver - 1);

  g_assert_true (sv_mirror_delete_message (f->mirror, TEST_ICCID, 2, &error));
  g_assert_no_error (error);
  pending = sv_mirror_get_pending (f->mirror, TEST_ICCID, &error);
  g_assert_cmpuint (pending->len, ==, 1);
  g_assert_cmpint (((SvMirrorPendingRecord *) g_ptr_array_index (pending, 0))->state, ==, SV_RECORD_STATE_DELETED);

  g_assert_false (sv_mirror_delete_message (f->mirror, TEST_ICCID, 1, &error));
  g_assert_error (error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_NOT_FOUND);
}

/* Migrations: a file at every earlier schema version, with data in that
 * version's shape, opens and keeps its data. */
static void
fill_version (sqlite3 *db,
              guint    version)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvCardImage) card = test_card_new (TEST_ICCID, TEST_ALPHA_LEN, TEST_N_ADN, 2);
  g_autoptr(GPtrArray) keys = sv_card_image_list_keys (card);

  if (version == 0)
    return;
  g_assert_true (sv_mirror_sql_exec (db, "INSERT INTO cards (id, iccid, card_type, read_at, modseq) "
                                     "VALUES (1, '" TEST_ICCID "', 0, 1700000000, 1);"
                                     "INSERT INTO history (iccid, at, op, who, detail) "
                                     "VALUES ('" TEST_ICCID "', 1700000000, 'read', 'old', 'v1 read');",
                                     &error));
  g_assert_no_error (error);
  for (guint k = 0; k < keys->len; k++)
    {
      SvCardFile *file = sv_card_image_lookup (card, g_ptr_array_index (keys, k));
      g_autoptr(sqlite3_stmt) ins = NULL;

      sqlite3_prepare_v2 (db, "INSERT INTO files (card_id, key, path, structure, record_len, n_records) "
                          "VALUES (1, ?, ?, ?, ?, ?)", -1, &ins, NULL);
      sqlite3_bind_text (ins, 1, file->key, -1, SQLITE_STATIC);
      sqlite3_bind_text (ins, 2, file->path, -1, SQLITE_STATIC);
      sqlite3_bind_int (ins, 3, file->structure);
      sqlite3_bind_int (ins, 4, file->record_len);
      sqlite3_bind_int (ins, 5, file->n_records);
      g_assert_cmpint (sqlite3_step (ins), ==, SQLITE_DONE);
      for (guint i = 0; i < file->records->len; i++)
        {
          g_autoptr(sqlite3_stmt) rec = NULL;
          GBytes *b = g_ptr_array_index (file->records, i);

          sqlite3_prepare_v2 (db, "INSERT INTO records (file_id, idx, base, working, state, version) "
                              "SELECT id, ?, ?, ?, 0, 1 FROM files WHERE card_id = 1 AND key = ?", -1, &rec, NULL);
          sqlite3_bind_int (rec, 1, i + 1);
          sqlite3_bind_blob (rec, 2, g_bytes_get_data (b, NULL), g_bytes_get_size (b), SQLITE_STATIC);
          sqlite3_bind_blob (rec, 3, g_bytes_get_data (b, NULL), g_bytes_get_size (b), SQLITE_STATIC);
          sqlite3_bind_text (rec, 4, file->key, -1, SQLITE_STATIC);
          g_assert_cmpint (sqlite3_step (rec), ==, SQLITE_DONE);
        }
    }
  if (version >= 2)
    g_assert_true (sv_mirror_sql_exec (db, "UPDATE cards SET label = 'old label'", NULL));
}

static void
test_migration (gconstpointer data)
{
  guint version = GPOINTER_TO_UINT (data);
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("sv-migrate-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "mirror.db", NULL);
  g_autoptr(SvMirror) mirror = NULL;
  g_autoptr(SvCardImage) expected = test_card_new (TEST_ICCID, TEST_ALPHA_LEN, TEST_N_ADN, 2);
  sqlite3 *db = NULL;
  guint from = 99;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_true (sv_mirror_schema_migrate (db, version, &from, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (from, ==, 0);
  fill_version (db, version);
  sqlite3_close (db);

  mirror = sv_mirror_open (path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (mirror);
  g_assert_true (sv_mirror_sql_exec (sv_mirror_get_db (mirror), "PRAGMA foreign_key_check", &error));

  if (version > 0)
    {
      g_autoptr(SvCardImage) image = sv_mirror_load_image (mirror, TEST_ICCID, TRUE, &error);
      g_autoptr(GPtrArray) contacts = NULL;
      g_autoptr(GPtrArray) history = NULL;
      g_autoptr(SvMirrorCard) card = NULL;
      g_autoptr(SvContact) edit = sv_contact_new (0, 5, "After", "42", NULL, NULL, NULL);

      g_assert_no_error (error);
      g_assert_true (sv_card_image_equal (image, expected));
      /* The decoded lists are rebuilt for files that predate them. */
      contacts = sv_mirror_list_contacts (mirror, TEST_ICCID, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (contacts->len, ==, 3);
      history = sv_mirror_get_history (mirror, TEST_ICCID, &error);
      g_assert_cmpuint (history->len, ==, 1);
      g_assert_cmpstr (((SvMirrorHistoryEntry *) g_ptr_array_index (history, 0))->detail, ==, "v1 read");
      card = sv_mirror_get_card (mirror, TEST_ICCID, &error);
      g_assert_cmpstr (card->label, ==, version >= 2 ? "old label" : NULL);
      /* And it is editable, with undo. */
      g_assert_true (sv_mirror_store_contact (mirror, TEST_ICCID, edit, NULL, &error));
      g_assert_no_error (error);
      g_assert_true (sv_mirror_undo (mirror, TEST_ICCID, NULL, &error));
      g_assert_no_error (error);
    }

  g_clear_object (&mirror);
  remove_tree (dir);
}

static void
test_too_new (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("sv-migrate-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "mirror.db", NULL);
  g_autoptr(SvMirror) mirror = NULL;
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_true (sv_mirror_sql_exec (db, "PRAGMA user_version = 99", NULL));
  sqlite3_close (db);
  mirror = sv_mirror_open (path, &error);
  g_assert_null (mirror);
  g_assert_error (error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_TOO_NEW);
  remove_tree (dir);
}

typedef struct
{
  GAsyncResult *result;
  GThread      *caller;
  gboolean      ran_elsewhere;
} WorkerRun;

static void
worker_done_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  WorkerRun *run = user_data;

  g_assert_true (g_thread_self () == run->caller);
  run->result = g_object_ref (result);
}

static gpointer
import_in_worker (SvMirror      *mirror,
                  gpointer       data,
                  GCancellable  *cancellable,
                  GError       **error)
{
  WorkerRun *run = g_object_get_data (G_OBJECT (data), "test-run");
  GPtrArray *conflicts = NULL;

  run->ran_elsewhere = g_thread_self () != run->caller;
  if (!sv_mirror_import_card (mirror, data, &conflicts, error))
    return NULL;
  return conflicts;
}

static gpointer
load_in_worker (SvMirror      *mirror,
                gpointer       data,
                GCancellable  *cancellable,
                GError       **error)
{
  return sv_mirror_load_image (mirror, data, TRUE, error);
}

/* The one way the app runs mirror work off the main thread: a worker with
 * a connection of its own, the result back on the caller's context. */
static void
test_worker (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(SvCardImage) card = test_card_new (TEST_ICCID, TEST_ALPHA_LEN, TEST_N_ADN, 2);
  g_autoptr(GPtrArray) conflicts = NULL;
  g_autoptr(SvCardImage) image = NULL;
  g_autoptr(GError) error = NULL;
  WorkerRun run = { NULL, g_thread_self (), FALSE };

  g_object_set_data (G_OBJECT (card), "test-run", &run);
  sv_mirror_worker_run (sv_mirror_get_path (f->mirror), import_in_worker, g_object_ref (card),
                        g_object_unref, (GDestroyNotify) g_ptr_array_unref, NULL, worker_done_cb, &run);
  while (run.result == NULL)
    g_main_context_iteration (NULL, TRUE);
  conflicts = sv_mirror_worker_finish (run.result, &error);
  g_assert_no_error (error);
  g_assert_true (run.ran_elsewhere);
  g_assert_cmpuint (conflicts->len, ==, 0);
  g_clear_object (&run.result);

  /* The caller's own connection sees the worker's commit. */
  g_assert_true (sv_mirror_has_card (f->mirror, TEST_ICCID));

  sv_mirror_worker_run (sv_mirror_get_path (f->mirror), load_in_worker, g_strdup (TEST_ICCID), g_free,
                        g_object_unref, NULL, worker_done_cb, &run);
  while (run.result == NULL)
    g_main_context_iteration (NULL, TRUE);
  image = sv_mirror_worker_finish (run.result, &error);
  g_assert_no_error (error);
  g_assert_true (sv_card_image_equal (image, card));
  g_clear_object (&run.result);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/sv/mirror/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  g_test_add_func ("/sv/mirror/open/default-path", test_default_path);
  ADD ("open/pragmas", test_pragmas);
  g_test_add_func ("/sv/mirror/open/too-new", test_too_new);
  for (guint v = 0; v < sv_mirror_schema_version (); v++)
    {
      g_autofree char *path = g_strdup_printf ("/sv/mirror/migrate/from-v%u", v);
      g_test_add_data_func (path, GUINT_TO_POINTER (v), test_migration);
    }
  ADD ("import/byte-exact", test_import_byte_exact);
  ADD ("import/no-iccid", test_no_iccid);
  ADD ("import/not-found", test_not_found);
  ADD ("import/conflict-on-reread", test_conflict_on_reread);
  ADD ("edit/pending-and-undo", test_edit_pending_undo);
  ADD ("edit/validation-ucs2-0x81", test_validation_0x81);
  ADD ("edit/messages", test_messages_edit);
  ADD ("edit/add-message", test_add_message);
  ADD ("write/mark-written", test_mark_written);
  ADD ("write/mark-written-follows-card", test_mark_written_follows_card);
  ADD ("history/append-only", test_history_append_only);
  ADD ("cards/list-search-label-delete", test_cards_list_search_label_delete);
  ADD ("worker/import-then-load", test_worker);

  return g_test_run ();
}
