/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The operations layer (sync/operations/) over the fake reader and the
 * simulated file system of tests/smartcard/test-card-sim.h, with a mirror
 * in a temporary directory: read into the mirror, write the pending
 * changes (with the writer's conflict rule and the ICCID check), restore
 * one card onto another, and the async variants with progress and
 * cancellation. Expected values are the simulated card's bytes, decoded
 * here by hand (TS 51.011 §10.5.1), not by the code under test. Last,
 * every virtual card profile (tests/data/cards) is read by the operation
 * over the virtual card's engine, without pcscd, and each contact and
 * message is compared with the profile's source data.
 */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "sv-card-error.h"
#include "sv-card-session.h"
#include "sv-fake-reader.h"
#include "sv-mirror.h"
#include "sv-operations.h"
#include "sv-pin.h"
#include "sv-profile-expected.h"
#include "sv-vsim-card.h"
#include "sv-vsim-image.h"

#include "test-card-sim.h"

#define READER "Fake Reader 00 00"
#define ATR "3B9F96801FC78031A073BE21136743200718000001A5"
#define ICCID "89014103211118510720"             /* ICCID_HEX, nibbles swapped */
#define OTHER_ICCID_HEX "98101430121181157003"
#define OTHER_ICCID "89014103211118510730"
#define ADN_2G "3F007F106F3A"

typedef struct
{
  SvFakeReader  *fake;
  SimCard       *sim;
  SvCardSession *session;
  char          *dir;
  char          *db_path;
  char          *journal;
} Fixture;

static void
fixture_connect (Fixture *f)
{
  g_autoptr(GError) error = NULL;

  g_clear_pointer (&f->session, sv_card_session_close);
  f->session = sv_card_session_open (SV_READER (f->fake), READER, &error);
  g_assert_no_error (error);
}

static void
fixture_setup (Fixture *f,
               SimCard *sim)
{
  f->fake = sv_fake_reader_new ();
  f->sim = sim;
  f->dir = g_dir_make_tmp ("sv-test-operations-XXXXXX", NULL);
  f->db_path = g_build_filename (f->dir, "mirror.db", NULL);
  f->journal = g_build_filename (f->dir, "journal", NULL);
  sv_fake_reader_add_reader (f->fake, READER);
  sv_fake_reader_insert_card (f->fake, READER, ATR);
  sv_fake_reader_set_card_func (f->fake, sim_card_func, sim, (GDestroyNotify) sim_card_free);
  fixture_connect (f);
}

static void
fixture_teardown (Fixture *f)
{
  g_autoptr(GDir) dir = g_dir_open (f->dir, 0, NULL);
  const char *name;

  g_clear_pointer (&f->session, sv_card_session_close);
  g_clear_object (&f->fake);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (f->dir, name, NULL);
      g_remove (path);
    }
  g_rmdir (f->dir);
  g_free (f->dir);
  g_free (f->db_path);
  g_free (f->journal);
}

/* How often EF_ICCID was read since the counters were reset. */
static guint
iccid_reads (SimCard *sim)
{
  SimFile *file = g_hash_table_lookup (sim->files, "3F002FE2");

  return file->reads[1];
}

/* An EF_ADN record as TS 51.011 §10.5.1 lays it out: the name in the
 * default alphabet (ASCII letters here) padded with FF, the BCD length
 * (number bytes + TON/NPI), TON/NPI 81, the BCD digits, FF padding, and
 * capability/extension FF FF. */
static GBytes *
adn_record (guint       alpha_len,
            const char *name,
            const char *bcd_hex)
{
  g_autoptr(GString) hex = g_string_new (NULL);
  gsize bcd_bytes = strlen (bcd_hex) / 2;
  gsize len;
  guint8 *data;

  for (const char *p = name; *p; p++)
    g_string_append_printf (hex, "%02X", (guint8) *p);
  for (gsize i = strlen (name); i < alpha_len; i++)
    g_string_append (hex, "FF");
  g_string_append_printf (hex, "%02X81%s", (guint) bcd_bytes + 1, bcd_hex);
  for (gsize i = bcd_bytes; i < 10; i++)
    g_string_append (hex, "FF");
  g_string_append (hex, "FFFF");

  len = hex->len / 2;
  data = g_malloc (len);
  for (gsize i = 0; i < len; i++)
    data[i] = (guint8) g_ascii_strtoull ((char[]) { hex->str[2 * i], hex->str[2 * i + 1], 0 }, NULL, 16);
  return g_bytes_new_take (data, len);
}

static void
assert_contact (SvContact  *contact,
                guint       index,
                const char *name,
                const char *number)
{
  g_assert_cmpuint (sv_contact_get_index (contact), ==, index);
  g_assert_cmpstr (sv_contact_get_name (contact), ==, name);
  g_assert_cmpstr (sv_contact_get_number (contact), ==, number);
}

static SvReadResult *
read_card (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  SvReadResult *result = sv_read_operation_run (f->session, f->db_path, SV_READ_OPERATION_DEFAULT,
                                                NULL, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (result);
  return result;
}

static void
test_read_2g (void)
{
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(SvReadResult) result = NULL;
  g_autoptr(SvMirror) mirror = NULL;
  g_autoptr(GPtrArray) stored = NULL;
  GPtrArray *contacts;

  fixture_setup (&f, sim_card_new_2g ());
  sim_reset_counters (f.sim);
  result = read_card (&f);

  g_assert_cmpstr (sv_read_result_get_iccid (result), ==, ICCID);
  g_assert_cmpuint (iccid_reads (f.sim), ==, 1);
  g_assert_true (sv_read_result_get_stored (result));
  g_assert_cmpuint (sv_read_result_get_conflicts (result)->len, ==, 0);
  g_assert_null (sv_read_result_get_decode_problem (result));
  g_assert_cmpuint (sv_read_result_get_stats (result)->apdu_count, ==,
                    sv_card_session_get_apdu_count (f.session));

  /* The card holds Alice (BCD 21 43 65 87 09) and Bob (10 32 54 76 98). */
  contacts = sv_read_result_get_contacts (result);
  g_assert_cmpuint (contacts->len, ==, 2);
  assert_contact (g_ptr_array_index (contacts, 0), 1, "Alice", "1234567890");
  assert_contact (g_ptr_array_index (contacts, 1), 2, "Bob", "0123456789");
  g_assert_cmpuint (sv_read_result_get_messages (result)->len, ==, 0);

  /* And so does the mirror, through its own connection. */
  mirror = sv_mirror_open (f.db_path, &error);
  g_assert_no_error (error);
  stored = sv_mirror_list_contacts (mirror, ICCID, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (stored->len, ==, 2);
  assert_contact (g_ptr_array_index (stored, 1), 2, "Bob", "0123456789");
  fixture_teardown (&f);
}

static void
test_read_no_mirror (void)
{
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(SvReadResult) result = NULL;

  fixture_setup (&f, sim_card_new_2g ());
  result = sv_read_operation_run (f.session, f.db_path,
                                  SV_READ_OPERATION_NO_MIRROR | SV_READ_OPERATION_SKIP_MESSAGES,
                                  NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (sv_read_result_get_stored (result));
  g_assert_null (sv_card_image_lookup (sv_read_result_get_image (result), "sms"));
  g_assert_cmpuint (sv_read_result_get_contacts (result)->len, ==, 2);
  g_assert_false (g_file_test (f.db_path, G_FILE_TEST_EXISTS));
  fixture_teardown (&f);
}

/* A USIM read again: the previous image, looked up in the mirror by the
 * ICCID the read itself found, spares the phonebook; EF_ICCID is read
 * once per operation all the same. */
static void
test_read_usim_again (void)
{
  Fixture f = { 0 };
  g_autoptr(SvReadResult) first = NULL;
  g_autoptr(SvReadResult) second = NULL;

  fixture_setup (&f, sim_card_new_usim (FALSE));
  first = read_card (&f);
  g_assert_cmpuint (sv_read_result_get_stats (first)->records_reused, ==, 0);
  g_assert_cmpuint (sv_read_result_get_contacts (first)->len, ==, 2);
  assert_contact (g_ptr_array_index (sv_read_result_get_contacts (first), 0), 1, "Alice", "1234567890");

  sim_reset_counters (f.sim);
  second = read_card (&f);
  g_assert_cmpuint (iccid_reads (f.sim), ==, 1);
  g_assert_cmpuint (sv_read_result_get_stats (second)->records_reused, >, 0);
  g_assert_true (sv_card_image_equal (sv_read_result_get_image (first), sv_read_result_get_image (second)));
  fixture_teardown (&f);
}

/* Edited here and changed on the card: the edit stays, the read reports it. */
static void
test_read_conflict (void)
{
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(SvReadResult) first = NULL;
  g_autoptr(SvReadResult) second = NULL;
  g_autoptr(SvMirror) mirror = NULL;
  g_autoptr(SvContact) alicia = sv_contact_new (0, 1, "Alicia", "1234567890", NULL, NULL, NULL);
  g_autoptr(GBytes) elsewhere = adn_record (14, "Alice W", "2143658709");
  SvMirrorConflict *conflict;

  fixture_setup (&f, sim_card_new_2g ());
  first = read_card (&f);
  mirror = sv_mirror_open (f.db_path, &error);
  g_assert_true (sv_mirror_store_contact (mirror, ICCID, alicia, NULL, &error));
  g_assert_no_error (error);
  sim_fill_adn (f.sim, ADN_2G, 14, 1, "Alice W", "2143658709");

  second = read_card (&f);
  g_assert_cmpuint (sv_read_result_get_conflicts (second)->len, ==, 1);
  conflict = g_ptr_array_index (sv_read_result_get_conflicts (second), 0);
  g_assert_cmpstr (conflict->key, ==, "adn");
  g_assert_cmpuint (conflict->index, ==, 1);
  g_assert_true (g_bytes_equal (conflict->card_bytes, elsewhere));
  /* What the card holds is what the result decoded. */
  assert_contact (g_ptr_array_index (sv_read_result_get_contacts (second), 0), 1, "Alice W", "1234567890");
  fixture_teardown (&f);
}

static void
store_carol (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvMirror) mirror = sv_mirror_open (f->db_path, &error);
  g_autoptr(SvContact) carol = sv_contact_new (0, 3, "Carol", "5551234", NULL, NULL, NULL);

  g_assert_no_error (error);
  g_assert_true (sv_mirror_store_contact (mirror, ICCID, carol, NULL, &error));
  g_assert_no_error (error);
}

static guint
n_pending (Fixture    *f,
           const char *iccid)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvMirror) mirror = sv_mirror_open (f->db_path, &error);
  g_autoptr(GPtrArray) pending = sv_mirror_get_pending (mirror, iccid, &error);

  g_assert_no_error (error);
  return pending->len;
}

static void
test_write_planned (void)
{
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(SvReadResult) read = NULL;
  g_autoptr(SvWritePlan) plan = NULL;
  g_autoptr(SvWriteResult) result = NULL;
  g_autoptr(GBytes) carol = adn_record (14, "Carol", "551532F4");
  g_autoptr(GBytes) now = NULL;

  fixture_setup (&f, sim_card_new_2g ());
  read = read_card (&f);
  store_carol (&f);

  plan = sv_write_operation_prepare (f.db_path, ICCID, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (sv_write_plan_get_iccid (plan), ==, ICCID);
  g_assert_cmpuint (sv_write_plan_get_changes (plan)->len, ==, 1);
  g_assert_cmpuint (sv_write_plan_get_added_contacts (plan)->len, ==, 1);
  g_assert_cmpuint (sv_write_plan_get_changed_contacts (plan)->len, ==, 0);
  g_assert_cmpuint (sv_write_plan_get_deleted_contacts (plan)->len, ==, 0);
  assert_contact (g_ptr_array_index (sv_write_plan_get_added_contacts (plan), 0), 3, "Carol", "5551234");

  sim_reset_counters (f.sim);
  g_assert_true (sv_write_operation_run (f.session, f.db_path, plan, f.journal, NULL, &result, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (iccid_reads (f.sim), ==, 1);
  g_assert_cmpuint (f.sim->n_updates, ==, 1);
  now = sim_get (f.sim, ADN_2G, 3);
  g_assert_true (g_bytes_equal (now, carol));
  g_assert_cmpuint (sv_write_result_get_stats (result)->records_written, ==, 1);
  g_assert_cmpuint (sv_write_result_get_written (result)->len, ==, 1);
  g_assert_null (sv_write_result_get_journal_left (result));
  g_assert_false (g_file_test (f.journal, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (n_pending (&f, ICCID), ==, 0);
  fixture_teardown (&f);
}

/* The CLI's way: no plan, the card in the reader says which changes. */
static void
test_write_card_in_reader (void)
{
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(SvReadResult) read = NULL;
  g_autoptr(SvWriteResult) result = NULL;
  g_autoptr(GBytes) carol = adn_record (14, "Carol", "551532F4");
  g_autoptr(GBytes) now = NULL;

  fixture_setup (&f, sim_card_new_2g ());
  read = read_card (&f);
  store_carol (&f);

  sim_reset_counters (f.sim);
  g_assert_true (sv_write_operation_run (f.session, f.db_path, NULL, f.journal, NULL, &result, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (sv_write_result_get_iccid (result), ==, ICCID);
  g_assert_cmpuint (iccid_reads (f.sim), ==, 1);
  now = sim_get (f.sim, ADN_2G, 3);
  g_assert_true (g_bytes_equal (now, carol));
  g_assert_cmpuint (n_pending (&f, ICCID), ==, 0);
  fixture_teardown (&f);
}

static void
test_write_not_in_mirror (void)
{
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(SvWriteResult) result = NULL;

  fixture_setup (&f, sim_card_new_2g ());
  g_assert_false (sv_write_operation_run (f.session, f.db_path, NULL, f.journal, NULL, &result, NULL, &error));
  g_assert_error (error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, ICCID));
  g_assert_null (result);
  g_assert_cmpuint (f.sim->n_updates, ==, 0);
  fixture_teardown (&f);
}

/* The writer's rule: a record changed on the card since the read stops the
 * write before anything is written; the edit stays pending. */
static void
test_write_conflict (void)
{
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(SvReadResult) read = NULL;
  g_autoptr(SvWritePlan) plan = NULL;
  g_autoptr(SvWriteResult) result = NULL;

  fixture_setup (&f, sim_card_new_2g ());
  read = read_card (&f);
  store_carol (&f);
  plan = sv_write_operation_prepare (f.db_path, ICCID, NULL, &error);
  g_assert_no_error (error);
  /* Someone writes Dave into record 3 with a phone meanwhile. */
  sim_fill_adn (f.sim, ADN_2G, 14, 3, "Dave", "1111");

  sim_reset_counters (f.sim);
  g_assert_false (sv_write_operation_run (f.session, f.db_path, plan, f.journal, NULL, &result, NULL, &error));
  g_assert_error (error, SV_CARD_ERROR, SV_CARD_ERROR_CONFLICT);
  g_assert_nonnull (strstr (error->message, "adn#3"));
  g_assert_cmpuint (f.sim->n_updates, ==, 0);
  g_assert_nonnull (result);
  g_assert_cmpuint (sv_write_result_get_written (result)->len, ==, 0);
  g_assert_null (sv_write_result_get_journal_left (result));
  g_assert_cmpuint (n_pending (&f, ICCID), ==, 1);
  fixture_teardown (&f);
}

/* A plan for one card never goes onto another. */
static void
test_write_wrong_card (void)
{
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(SvReadResult) read = NULL;
  g_autoptr(SvWritePlan) plan = NULL;
  g_autoptr(SvWriteResult) result = NULL;

  fixture_setup (&f, sim_card_new_2g ());
  read = read_card (&f);
  store_carol (&f);
  plan = sv_write_operation_prepare (f.db_path, ICCID, NULL, &error);
  sim_set (f.sim, "3F002FE2", 1, OTHER_ICCID_HEX);

  sim_reset_counters (f.sim);
  g_assert_false (sv_write_operation_run (f.session, f.db_path, plan, f.journal, NULL, &result, NULL, &error));
  g_assert_error (error, SV_CARD_ERROR, SV_CARD_ERROR_WRONG_CARD);
  g_assert_nonnull (strstr (error->message, OTHER_ICCID));
  g_assert_cmpuint (iccid_reads (f.sim), ==, 1);
  g_assert_cmpuint (f.sim->n_updates, ==, 0);
  g_assert_cmpuint (n_pending (&f, ICCID), ==, 1);
  fixture_teardown (&f);
}

/* Async: callbacks and progress on the caller's main context. */
typedef struct
{
  GAsyncResult *result;
  GThread      *main_thread;
  guint         n_progress;
  gboolean      progress_elsewhere;
} AsyncRun;

static void
async_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  AsyncRun *run = user_data;

  g_assert_true (g_thread_self () == run->main_thread);
  run->result = g_object_ref (result);
}

static void
progress_cb (SvProgress *progress,
             GParamSpec *pspec,
             AsyncRun   *run)
{
  run->n_progress++;
  run->progress_elsewhere |= g_thread_self () != run->main_thread;
}

static void
wait_for (AsyncRun *run)
{
  while (run->result == NULL)
    g_main_context_iteration (NULL, TRUE);
}

static void
test_async_read_write (void)
{
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(SvProgress) progress = sv_progress_new ();
  g_autoptr(SvReadResult) read = NULL;
  g_autoptr(SvWritePlan) plan = NULL;
  g_autoptr(SvWriteResult) written = NULL;
  g_autoptr(GBytes) carol = adn_record (14, "Carol", "551532F4");
  g_autoptr(GBytes) now = NULL;
  AsyncRun run = { NULL, g_thread_self (), 0, FALSE };

  fixture_setup (&f, sim_card_new_2g ());
  g_signal_connect (progress, "notify::completed", G_CALLBACK (progress_cb), &run);

  sv_read_operation_run_async (f.session, f.db_path, SV_READ_OPERATION_DEFAULT, progress, NULL,
                               async_done_cb, &run);
  wait_for (&run);
  /* Let the last coalesced progress update arrive. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  read = sv_read_operation_run_finish (run.result, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (sv_read_result_get_contacts (read)->len, ==, 2);
  g_assert_cmpuint (run.n_progress, >, 0);
  g_assert_false (run.progress_elsewhere);
  /* The simulated 2G card: ICCID, IMSI, SPN, 2 MSISDN, 10 ADN, 5 EXT1,
   * 5 SMS and 1 SMSP records. */
  g_assert_cmpuint (sv_progress_get_completed (progress), ==, 26);
  g_assert_cmpuint (sv_progress_get_total (progress), ==, 26);
  g_clear_object (&run.result);

  store_carol (&f);
  sv_write_operation_prepare_async (f.db_path, ICCID, NULL, async_done_cb, &run);
  wait_for (&run);
  plan = sv_write_operation_prepare_finish (run.result, &error);
  g_assert_no_error (error);
  g_clear_object (&run.result);

  sv_write_operation_run_async (f.session, f.db_path, plan, f.journal, progress, NULL, async_done_cb, &run);
  wait_for (&run);
  g_assert_true (sv_write_operation_run_finish (run.result, &written, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (sv_write_result_get_stats (written)->records_written, ==, 1);
  g_clear_object (&run.result);
  now = sim_get (f.sim, ADN_2G, 3);
  g_assert_true (g_bytes_equal (now, carol));
  g_assert_cmpuint (n_pending (&f, ICCID), ==, 0);
  fixture_teardown (&f);
}

/* Cancelled before the read starts (@data 0) or after that many READs:
 * stops promptly and stores nothing. */
static void
test_async_cancelled (gconstpointer data)
{
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(SvReadResult) read = NULL;
  g_autoptr(SvMirror) mirror = NULL;
  AsyncRun run = { NULL, g_thread_self (), 0, FALSE };
  guint cancel_after = GPOINTER_TO_UINT (data);

  fixture_setup (&f, sim_card_new_2g ());
  if (cancel_after == 0)
    g_cancellable_cancel (cancellable);
  f.sim->cancel_at = cancellable;
  f.sim->cancel_after = cancel_after;
  sv_read_operation_run_async (f.session, f.db_path, SV_READ_OPERATION_DEFAULT, NULL, cancellable,
                               async_done_cb, &run);
  wait_for (&run);
  read = sv_read_operation_run_finish (run.result, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (read);
  g_assert_cmpuint (f.sim->n_reads, <, cancel_after + 2);
  g_clear_object (&run.result);
  g_clear_error (&error);

  mirror = sv_mirror_open (f.db_path, &error);
  g_assert_no_error (error);
  g_assert_false (sv_mirror_has_card (mirror, ICCID));
  f.sim->cancel_at = NULL;
  fixture_teardown (&f);
}

/* Card A's phonebook onto an empty card B, then written to B. */
static void
test_restore_then_write (void)
{
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(SvReadResult) a = NULL;
  g_autoptr(SvReadResult) b = NULL;
  g_autoptr(GPtrArray) preview = NULL;
  g_autoptr(GPtrArray) applied = NULL;
  g_autoptr(SvWriteResult) written = NULL;
  g_autoptr(GBytes) alice = adn_record (14, "Alice", "2143658709");
  g_autoptr(GBytes) bob = adn_record (14, "Bob", "1032547698");
  g_autoptr(GBytes) now1 = NULL;
  g_autoptr(GBytes) now2 = NULL;

  fixture_setup (&f, sim_card_new_2g ());
  a = read_card (&f);
  /* Another, empty card in the reader. */
  sim_set (f.sim, "3F002FE2", 1, OTHER_ICCID_HEX);
  sim_set (f.sim, ADN_2G, 1, "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF");
  sim_set (f.sim, ADN_2G, 2, "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF");
  b = read_card (&f);
  g_assert_cmpstr (sv_read_result_get_iccid (b), ==, OTHER_ICCID);
  g_assert_cmpuint (sv_read_result_get_contacts (b)->len, ==, 0);

  preview = sv_restore_operation_preview (f.db_path, ICCID, OTHER_ICCID, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (preview->len, ==, 2);
  for (guint i = 0; i < preview->len; i++)
    g_assert_cmpint (((SvRestoreEntry *) g_ptr_array_index (preview, i))->outcome, ==, SV_RESTORE_FITS);
  g_assert_cmpuint (n_pending (&f, OTHER_ICCID), ==, 0);

  g_assert_true (sv_restore_operation_apply (f.db_path, ICCID, OTHER_ICCID, FALSE, &applied, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (applied->len, ==, 2);
  g_assert_cmpuint (n_pending (&f, OTHER_ICCID), ==, 2);
  g_assert_cmpuint (n_pending (&f, ICCID), ==, 0);

  g_assert_true (sv_write_operation_run (f.session, f.db_path, NULL, f.journal, NULL, &written, NULL, &error));
  g_assert_no_error (error);
  now1 = sim_get (f.sim, ADN_2G, 1);
  now2 = sim_get (f.sim, ADN_2G, 2);
  g_assert_true (g_bytes_equal (now1, alice));
  g_assert_true (g_bytes_equal (now2, bob));
  g_assert_cmpuint (n_pending (&f, OTHER_ICCID), ==, 0);
  fixture_teardown (&f);
}

static GBytes *
vsim_answer (GBytes   *apdu,
             gpointer  card)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (apdu, &len);

  return sv_vsim_card_transmit (card, data, len);
}

static void
test_read_profile (gconstpointer data)
{
  const char *name = data;
  g_autofree char *file = g_strconcat (name, ".json", NULL);
  g_autofree char *path = g_build_filename (g_getenv ("SV_SOURCE_ROOT"), "tests", "data", "cards", file, NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(SvFakeReader) fake = sv_fake_reader_new ();
  g_autoptr(SvCardSession) session = NULL;
  g_autoptr(SvReadResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) atr = g_string_new (NULL);
  JsonObject *root, *expected, *pin1;
  SvVsimImage *image;
  SvPinStatus status;
  gsize atr_len;
  const guint8 *atr_data;

  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));
  expected = json_object_get_object_member (root, "expected");

  image = sv_vsim_image_load (path, &error);
  g_assert_no_error (error);
  atr_data = g_bytes_get_data (image->atr, &atr_len);
  for (gsize i = 0; i < atr_len; i++)
    g_string_append_printf (atr, "%02X", atr_data[i]);
  sv_fake_reader_add_reader (fake, READER);
  sv_fake_reader_insert_card (fake, READER, atr->str);
  sv_fake_reader_set_card_func (fake, vsim_answer, sv_vsim_card_new (image), (GDestroyNotify) sv_vsim_card_free);
  session = sv_card_session_open (SV_READER (fake), READER, &error);
  g_assert_no_error (error);

  g_assert_true (sv_pin_get_status (session, SV_PIN_1, &status, &error));
  if (!status.verified)
    {
      g_autofree char *pin = NULL;

      pin1 = json_object_get_object_member (json_object_get_object_member (root, "secrets"), "pin1");
      pin = g_strdup (json_object_get_string_member (pin1, "value"));
      g_assert_true (sv_pin_verify (session, SV_PIN_1, pin, SV_PIN_FLAGS_NONE, &error));
      g_assert_no_error (error);
    }

  result = sv_read_operation_run (session, NULL, SV_READ_OPERATION_NO_MIRROR, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (sv_read_result_get_decode_problem (result));
  sv_profile_compare_contacts (name, sv_read_result_get_contacts (result),
                               json_object_get_array_member (expected, "contacts"));
  sv_profile_compare_messages (name, sv_read_result_get_messages (result),
                               json_object_get_array_member (expected, "messages"));
}

static const char *profiles[] = {
  "sim-2g-plain", "sim-2g-old-small", "usim-2sets", "usim-empty", "usim-long-numbers",
  "usim-pin", "usim-restore-source", "usim-restore-uneven", "usim-sms", "usim-ucs2", "usim-uicc-only",
};

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sv/operations/read/2g-into-mirror", test_read_2g);
  g_test_add_func ("/sv/operations/read/no-mirror", test_read_no_mirror);
  g_test_add_func ("/sv/operations/read/usim-again", test_read_usim_again);
  g_test_add_func ("/sv/operations/read/conflict", test_read_conflict);
  g_test_add_func ("/sv/operations/write/planned", test_write_planned);
  g_test_add_func ("/sv/operations/write/card-in-reader", test_write_card_in_reader);
  g_test_add_func ("/sv/operations/write/not-in-mirror", test_write_not_in_mirror);
  g_test_add_func ("/sv/operations/write/conflict", test_write_conflict);
  g_test_add_func ("/sv/operations/write/wrong-card", test_write_wrong_card);
  g_test_add_func ("/sv/operations/async/read-write", test_async_read_write);
  g_test_add_data_func ("/sv/operations/async/cancelled-before", GUINT_TO_POINTER (0), test_async_cancelled);
  g_test_add_data_func ("/sv/operations/async/cancelled-mid-read", GUINT_TO_POINTER (8), test_async_cancelled);
  g_test_add_func ("/sv/operations/restore/then-write", test_restore_then_write);
  for (guint i = 0; i < G_N_ELEMENTS (profiles); i++)
    {
      g_autofree char *test_path = g_strconcat ("/sv/operations/read/profile/", profiles[i], NULL);

      g_test_add_data_func (test_path, profiles[i], test_read_profile);
    }

  return g_test_run ();
}
