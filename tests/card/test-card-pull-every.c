/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Issue 17: the card pulled at *every* APDU of a write and of a restore,
 * then put back: each time the write fails with the journal named, the
 * card as it was when pulled goes back in, the same write resumes from
 * the journal and the card ends byte-equal to the intent (the target
 * image plus the write's own bookkeeping). Extends test-card-pcsc.c's
 * pull-mid-write (one pull point) to every pull point (vsim
 * --drop-after N for each N of the write's APDUs); the helpers both use
 * are in sv-card-test-util.c.
 *
 * "Restore" is the write a restore makes: the whole phonebook of the card
 * replaced by another card's contacts (every record rewritten), the write
 * path sv-restore-map and the restore desk end in. "Restore operation"
 * is the card-to-card restore as the window and `simvault-cli restore`
 * make it: both cards read into a mirror, the source mapped onto every
 * phonebook set of the target (sv_restore_operation_apply()), then the
 * write operation, pulled at every APDU and run again as a person would
 * after putting the card back.
 *
 * Bounded: at most SV_PULL_MAX_POINTS (default 25) pull points per case,
 * spread evenly over the write when it has more APDUs than that.
 */
#include "config.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "sv-card-error.h"
#include "sv-card-reader.h"
#include "sv-card-session.h"
#include "sv-card-writer.h"
#include "sv-operations.h"
#include "sv-pcsc-reader.h"
#include "sv-phonebook.h"
#include "sv-pin.h"
#include "sv-vsim-fixture.h"

#include "sv-card-test-util.h"


/* The restore-sized write: every contact of @base deleted, the contacts
 * of @source stored at the same indices where they fit. */
static SvCardImage *
make_restore (SvCardImage *base,
              SvCardImage *source)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) old = sv_phonebook_decode (base, &error);
  g_autoptr(GPtrArray) incoming = sv_phonebook_decode (source, &error);
  SvCardImage *target = sv_card_image_copy (base);

  g_assert_no_error (error);
  for (guint i = 0; i < old->len; i++)
    {
      SvContact *c = g_ptr_array_index (old, i);

      g_assert_true (sv_phonebook_delete_contact (target, sv_contact_get_set (c), sv_contact_get_index (c), &error));
    }
  for (guint i = 0; i < incoming->len; i++)
    {
      SvContact *c = g_ptr_array_index (incoming, i);
      g_autoptr(SvContact) moved = sv_contact_new (0, i + 1, sv_contact_get_name (c), sv_contact_get_number (c),
                                                   NULL, NULL, NULL);

      if (!sv_phonebook_store_contact (target, moved, NULL))
        break;
    }
  return target;
}

typedef struct
{
  const char *profile;
  const char *source;   /* NULL: the edits of make_edits(); else a restore from this profile */
} PullCase;

static SvCardImage *
read_profile_image (SvReader   *reader,
                    const char *name)
{
  g_autofree char *path = sv_vsim_fixture_profile (name);
  const char *persist[] = { "--persist", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(SvVsimFixture) fixture = sv_vsim_fixture_start (path, 0, persist, &error);
  g_autoptr(SvCardSession) session = NULL;
  SvCardImage *image;

  g_assert_no_error (error);
  session = sv_card_test_open_with_pin (reader, fixture, path, &error);
  g_assert_no_error (error);
  image = sv_card_read_image (session, NULL, SV_CARD_READ_SKIP_MESSAGES, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  sv_card_session_close (g_steal_pointer (&session));
  return image;
}

/* What the pull points gave. */
typedef struct
{
  guint pulled;                  /* the write failed */
  guint with_journal;            /* ... and its message named the journal */
  guint completed_before_pull;   /* the pull came after its last exchange */
} PullTally;

/* Counts a write that ran up to a pull at its APDU @k. Once the journal
 * exists the message names it, so the user knows the write is to be
 * finished; a pull before the first record was written leaves no journal
 * and nothing to finish but the write itself. */
static void
tally_pull (PullTally   *tally,
            gboolean     ok,
            GError     **error,
            const char  *journal,
            guint        k)
{
  if (ok)
    {
      g_assert_no_error (*error);
      tally->completed_before_pull++;
      return;
    }
  g_assert_nonnull (*error);
  g_test_message ("pulled after write APDU %u: %s", k, (*error)->message);
  if (g_file_test (journal, G_FILE_TEST_EXISTS))
    {
      g_assert_nonnull (strstr ((*error)->message, journal));
      tally->with_journal++;
    }
  g_clear_error (error);
  tally->pulled++;
}

/* The card as it was when pulled (@fixture's image, kept in
 * @saved_image) goes back in; returns its new fixture. */
static SvVsimFixture *
reinsert_pulled (SvVsimFixture *fixture,
                 const char    *saved_image)
{
  const char *persist[] = { "--persist", NULL };
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  SvVsimFixture *again;
  gsize len = 0;

  sv_vsim_fixture_wait_exit (fixture, 5000);
  g_assert_true (g_file_get_contents (sv_vsim_fixture_image_path (fixture), &contents, &len, NULL));
  g_assert_true (g_file_set_contents (saved_image, contents, (gssize) len, NULL));
  sv_vsim_fixture_stop (fixture);
  again = sv_vsim_fixture_start (saved_image, 0, persist, &error);
  g_assert_no_error (error);
  return again;
}

static void
test_pull_every_apdu (gconstpointer data)
{
  const PullCase *pc = data;
  g_autofree char *profile_path = NULL;
  g_autofree char *dir = g_dir_make_tmp ("sv-card-pull-every-XXXXXX", NULL);
  g_autofree char *journal = NULL;
  g_autofree char *saved_image = NULL;
  g_autoptr(SvReader) reader = sv_pcsc_reader_new ();
  g_autoptr(SvCardImage) base = NULL;
  g_autoptr(SvCardImage) target = NULL;
  g_autoptr(GError) error = NULL;
  const char *persist[] = { "--persist", NULL };
  guint before = 0, write_apdus = 0, n_points, step, resumed = 0;
  PullTally tally = { 0 };
  guint max_points = (guint) g_ascii_strtoull (g_getenv ("SV_PULL_MAX_POINTS") ? g_getenv ("SV_PULL_MAX_POINTS") : "25", NULL, 10);

  if (sv_vsim_fixture_skip_unless_available ())
    return;
  journal = g_build_filename (dir, "journal", NULL);
  saved_image = g_build_filename (dir, "card.json", NULL);
  profile_path = sv_vsim_fixture_profile (pc->profile);

  /* Dry run: how many APDUs the read and the write take. */
  {
    g_autoptr(SvVsimFixture) fixture = sv_vsim_fixture_start (profile_path, 0, persist, &error);
    g_autoptr(SvCardSession) session = NULL;
    SvCardWriteStats stats = { 0 };

    g_assert_no_error (error);
    session = sv_card_test_open_with_pin (reader, fixture, profile_path, &error);
    g_assert_no_error (error);
    base = sv_card_read_image (session, NULL, SV_CARD_READ_SKIP_MESSAGES, NULL, NULL, NULL, &error);
    g_assert_no_error (error);
    before = sv_card_session_get_apdu_count (session);
    if (pc->source == NULL)
      target = sv_card_test_make_edits (base);
    else
      {
        g_autoptr(SvCardImage) source = NULL;

        sv_card_session_close (g_steal_pointer (&session));
        g_clear_pointer (&fixture, sv_vsim_fixture_stop);
        source = read_profile_image (reader, pc->source);
        fixture = sv_vsim_fixture_start (profile_path, 0, persist, &error);
        g_assert_no_error (error);
        session = sv_card_test_open_with_pin (reader, fixture, profile_path, &error);
        g_assert_no_error (error);
        g_clear_object (&base);
        base = sv_card_read_image (session, NULL, SV_CARD_READ_SKIP_MESSAGES, NULL, NULL, NULL, &error);
        g_assert_no_error (error);
        before = sv_card_session_get_apdu_count (session);
        target = make_restore (base, source);
      }
    g_assert_true (sv_card_write_image (session, base, target, journal, NULL, &stats, NULL, NULL, &error));
    g_assert_no_error (error);
    write_apdus = stats.apdu_count;
    sv_card_write_stats_clear (&stats);
    sv_card_session_close (g_steal_pointer (&session));
  }
  g_assert_cmpuint (write_apdus, >, 0);
  n_points = MIN (write_apdus, max_points);
  step = MAX (1, write_apdus / n_points);
  g_test_message ("%s%s%s: read %u APDUs, write %u APDUs; pulling at every %u",
                  pc->profile, pc->source ? " <- " : "", pc->source ? pc->source : "", before, write_apdus, step);

  for (guint k = 1; k <= write_apdus; k += step)
    {
      g_autofree char *drop = g_strdup_printf ("%u", before + k);
      const char *args[] = { "--persist", "--drop-after", drop, NULL };
      g_autoptr(SvVsimFixture) fixture = sv_vsim_fixture_start (profile_path, 0, args, &error);
      g_autoptr(SvCardSession) session = NULL;
      g_autoptr(SvCardImage) base_now = NULL;
      g_autoptr(GPtrArray) written = NULL;
      SvCardWriteStats stats = { 0 };
      gboolean ok;

      g_assert_no_error (error);
      session = sv_card_test_open_with_pin (reader, fixture, profile_path, &error);
      g_assert_no_error (error);
      base_now = sv_card_read_image (session, NULL, SV_CARD_READ_SKIP_MESSAGES, NULL, NULL, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (sv_card_session_get_apdu_count (session), ==, before);
      ok = sv_card_write_image (session, base_now, target, journal, NULL, &stats, &written, NULL, &error);
      sv_card_write_stats_clear (&stats);
      sv_card_session_close (g_steal_pointer (&session));
      tally_pull (&tally, ok, &error, journal, k);

      /* The card as it was when pulled goes back in; the same write
       * resumes from the journal. */
      fixture = reinsert_pulled (g_steal_pointer (&fixture), saved_image);
      session = sv_card_test_open_with_pin (reader, fixture, profile_path, &error);
      g_assert_no_error (error);
      if (!ok)
        {
          g_clear_pointer (&written, g_ptr_array_unref);
          g_assert_true (sv_card_write_image (session, base_now, target, journal, NULL, &stats, &written, NULL, &error));
          g_assert_no_error (error);
          g_assert_false (g_file_test (journal, G_FILE_TEST_EXISTS));
          g_test_message ("resumed: %u already on the card, %u written now", stats.records_already, stats.records_written);
          sv_card_write_stats_clear (&stats);
          resumed++;
        }
      sv_card_session_close (g_steal_pointer (&session));
      g_assert_nonnull (written);
      sv_card_test_assert_card_equals (reader, fixture, profile_path, target, written);
      g_remove (journal);
    }
  g_test_message ("FIGURES pulls case=%s%s%s write_apdus=%u pulled=%u with_journal=%u resumed_and_equal=%u completed_before_pull=%u",
                  pc->profile, pc->source ? "<-" : "", pc->source ? pc->source : "",
                  write_apdus, tally.pulled, tally.with_journal, resumed, tally.completed_before_pull);
  g_assert_cmpuint (tally.with_journal, >, 0);
  g_assert_cmpuint (tally.pulled, >, 0);
  g_remove (saved_image);
  g_rmdir (dir);
}

/* Reads the card of @profile_path into the mirror @db; returns its ICCID
 * and, when @contacts is not %NULL, the contacts read. */
static char *
read_into_mirror (SvReader    *reader,
                  const char  *profile_path,
                  const char  *db,
                  GPtrArray  **contacts)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvVsimFixture) fixture = sv_vsim_fixture_start (profile_path, 0, NULL, &error);
  g_autoptr(SvCardSession) session = NULL;
  g_autoptr(SvReadResult) result = NULL;

  g_assert_no_error (error);
  session = sv_card_test_open_with_pin (reader, fixture, profile_path, &error);
  g_assert_no_error (error);
  result = sv_read_operation_run (session, db, SV_READ_OPERATION_SKIP_MESSAGES, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (sv_read_result_get_stored (result));
  if (contacts != NULL)
    *contacts = g_ptr_array_ref (sv_read_result_get_contacts (result));
  return g_strdup (sv_read_result_get_iccid (result));
}

/* A closed mirror is one file (no connection left, so no -wal beside it). */
static void
copy_mirror (const char *from,
             const char *to)
{
  g_autofree char *wal = g_strconcat (from, "-wal", NULL);
  g_autofree char *contents = NULL;
  gsize len = 0;

  g_assert_false (g_file_test (wal, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_get_contents (from, &contents, &len, NULL));
  g_assert_true (g_file_set_contents (to, contents, (gssize) len, NULL));
}

/* The write operation on the card in the reader (no plan: the pending
 * changes of whichever card it is), as the window and `simvault-cli write`
 * run it. */
static gboolean
run_write (SvCardSession  *session,
           const char     *db,
           const char     *journal,
           GPtrArray     **written,
           GError        **error)
{
  g_autoptr(SvWriteResult) result = NULL;
  gboolean ok = sv_write_operation_run (session, db, NULL, journal, NULL, &result, NULL, error);

  if (written != NULL && result != NULL)
    *written = g_ptr_array_ref (sv_write_result_get_written (result));
  return ok;
}

static void
test_pull_every_apdu_of_restore (gconstpointer data)
{
  const PullCase *pc = data;
  g_autofree char *dir = g_dir_make_tmp ("sv-card-pull-restore-XXXXXX", NULL);
  g_autofree char *db = g_build_filename (dir, "mirror.db", NULL);
  g_autofree char *pristine = g_build_filename (dir, "pristine.db", NULL);
  g_autofree char *journal = g_build_filename (dir, "journal", NULL);
  g_autofree char *saved_image = g_build_filename (dir, "card.json", NULL);
  g_autofree char *target_path = NULL;
  g_autofree char *source_path = NULL;
  g_autofree char *source_iccid = NULL;
  g_autofree char *target_iccid = NULL;
  g_autoptr(SvReader) reader = sv_pcsc_reader_new ();
  g_autoptr(GPtrArray) source_contacts = NULL;
  g_autoptr(SvWritePlan) plan = NULL;
  g_autoptr(GError) error = NULL;
  const char *persist[] = { "--persist", NULL };
  guint before = 0, write_apdus = 0, n_points, step, resumed = 0, in_set_2 = 0;
  PullTally tally = { 0 };
  guint max_points = (guint) g_ascii_strtoull (g_getenv ("SV_PULL_MAX_POINTS") ? g_getenv ("SV_PULL_MAX_POINTS") : "25", NULL, 10);

  if (sv_vsim_fixture_skip_unless_available ())
    return;
  target_path = sv_vsim_fixture_profile (pc->profile);
  source_path = sv_vsim_fixture_profile (pc->source);

  /* Both cards in the mirror, the source mapped onto the target; no
   * truncation accepted: the target holds everything only with both of
   * its sets used. */
  source_iccid = read_into_mirror (reader, source_path, db, &source_contacts);
  target_iccid = read_into_mirror (reader, target_path, db, NULL);
  g_assert_true (sv_restore_operation_apply (db, source_iccid, target_iccid, FALSE, NULL, NULL, &error));
  g_assert_no_error (error);
  plan = sv_write_operation_prepare (db, target_iccid, NULL, &error);
  g_assert_no_error (error);
  copy_mirror (db, pristine);

  /* Dry run: how many APDUs the session's opening and the write take. */
  {
    g_autoptr(SvVsimFixture) fixture = sv_vsim_fixture_start (target_path, 0, persist, &error);
    g_autoptr(SvCardSession) session = NULL;
    g_autoptr(GPtrArray) written = NULL;

    g_assert_no_error (error);
    session = sv_card_test_open_with_pin (reader, fixture, target_path, &error);
    g_assert_no_error (error);
    before = sv_card_session_get_apdu_count (session);
    g_assert_true (run_write (session, db, journal, &written, &error));
    g_assert_no_error (error);
    write_apdus = sv_card_session_get_apdu_count (session) - before;
    sv_card_session_close (g_steal_pointer (&session));
    sv_card_test_assert_card_equals (reader, fixture, target_path, sv_write_plan_get_target (plan), written);
  }
  n_points = MIN (write_apdus, max_points);
  step = MAX (1, write_apdus / n_points);
  g_test_message ("%s <- %s through the operations: %u records to write, %u APDUs; pulling at every %u",
                  pc->profile, pc->source, sv_write_plan_get_changes (plan)->len, write_apdus, step);

  for (guint k = 1; k <= write_apdus; k += step)
    {
      g_autofree char *drop = g_strdup_printf ("%u", before + k);
      const char *args[] = { "--persist", "--drop-after", drop, NULL };
      g_autoptr(SvVsimFixture) fixture = NULL;
      g_autoptr(SvCardSession) session = NULL;
      g_autoptr(GPtrArray) written = NULL;
      g_autoptr(SvWritePlan) left = NULL;
      gboolean ok;

      copy_mirror (pristine, db);
      fixture = sv_vsim_fixture_start (target_path, 0, args, &error);
      g_assert_no_error (error);
      session = sv_card_test_open_with_pin (reader, fixture, target_path, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (sv_card_session_get_apdu_count (session), ==, before);
      ok = run_write (session, db, journal, &written, &error);
      sv_card_session_close (g_steal_pointer (&session));
      tally_pull (&tally, ok, &error, journal, k);

      /* The card as it was when pulled goes back in; the same operation
       * finishes the restore from the mirror and the journal. */
      fixture = reinsert_pulled (g_steal_pointer (&fixture), saved_image);
      if (!ok)
        {
          session = sv_card_test_open_with_pin (reader, fixture, target_path, &error);
          g_assert_no_error (error);
          g_clear_pointer (&written, g_ptr_array_unref);
          g_assert_true (run_write (session, db, journal, &written, &error));
          g_assert_no_error (error);
          g_assert_false (g_file_test (journal, G_FILE_TEST_EXISTS));
          sv_card_session_close (g_steal_pointer (&session));
          resumed++;
        }
      /* Nothing left pending in the mirror, and the card is the plan's
       * target with the write's own bookkeeping. */
      left = sv_write_operation_prepare (db, target_iccid, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (sv_write_plan_get_changes (left)->len, ==, 0);
      g_assert_nonnull (written);
      sv_card_test_assert_card_equals (reader, fixture, target_path, sv_write_plan_get_target (plan), written);
      g_remove (journal);
    }

  /* Independently of the plan: every contact of the source is on the
   * target, with its number, and the second set holds some of them. */
  {
    g_autoptr(SvVsimFixture) fixture = sv_vsim_fixture_start (saved_image, 0, NULL, &error);
    g_autoptr(SvCardSession) session = NULL;
    g_autoptr(SvCardImage) now = NULL;
    g_autoptr(GPtrArray) on_card = NULL;

    g_assert_no_error (error);
    session = sv_card_test_open_with_pin (reader, fixture, target_path, &error);
    g_assert_no_error (error);
    now = sv_card_read_image (session, NULL, SV_CARD_READ_SKIP_MESSAGES, NULL, NULL, NULL, &error);
    g_assert_no_error (error);
    on_card = sv_phonebook_decode (now, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (on_card->len, ==, source_contacts->len);
    for (guint i = 0; i < source_contacts->len; i++)
      {
        SvContact *want = g_ptr_array_index (source_contacts, i);
        gboolean found = FALSE;

        for (guint j = 0; j < on_card->len && !found; j++)
          {
            SvContact *have = g_ptr_array_index (on_card, j);

            found = g_strcmp0 (sv_contact_get_name (have), sv_contact_get_name (want)) == 0 &&
                    g_strcmp0 (sv_contact_get_number (have), sv_contact_get_number (want)) == 0;
          }
        g_assert_true (found);
      }
    for (guint j = 0; j < on_card->len; j++)
      in_set_2 += sv_contact_get_set (g_ptr_array_index (on_card, j)) == 2;
    g_assert_cmpuint (in_set_2, >, 0);
  }

  g_test_message ("FIGURES pulls case=%s<-%s(operations) write_apdus=%u pulled=%u with_journal=%u "
                  "resumed_and_equal=%u completed_before_pull=%u contacts=%u in_set_2=%u",
                  pc->profile, pc->source, write_apdus, tally.pulled, tally.with_journal, resumed,
                  tally.completed_before_pull, source_contacts->len, in_set_2);
  g_assert_cmpuint (tally.with_journal, >, 0);
  g_assert_cmpuint (tally.pulled, >, 0);
  g_remove (saved_image);
  g_remove (db);
  g_remove (pristine);
  g_rmdir (dir);
}

int
main (int   argc,
      char *argv[])
{
  static const PullCase write_2g = { "sim-2g-plain", NULL };
  static const PullCase write_usim = { "usim-2sets", NULL };
  static const PullCase restore_2g = { "sim-2g-plain", "sim-2g-old-small" };
  static const PullCase restore_uneven = { "usim-restore-uneven", "usim-restore-source" };

  g_test_init (&argc, &argv, NULL);

  g_test_add_data_func ("/sv/card-pull-every/write/sim-2g-plain", &write_2g, test_pull_every_apdu);
  g_test_add_data_func ("/sv/card-pull-every/write/usim-2sets", &write_usim, test_pull_every_apdu);
  g_test_add_data_func ("/sv/card-pull-every/restore/sim-2g-plain", &restore_2g, test_pull_every_apdu);
  g_test_add_data_func ("/sv/card-pull-every/restore-operation/usim-restore-uneven", &restore_uneven,
                        test_pull_every_apdu_of_restore);

  return g_test_run ();
}
