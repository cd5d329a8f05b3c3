/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * PC/SC transactions over the fake reader: every whole operation (open,
 * ICCID, read, write, PIN status) holds exactly one transaction, sends no
 * APDU outside it, and releases it on success, error and cancellation;
 * a selection another client changed between operations is not trusted;
 * a card reset by another client is taken back.
 */
#include "config.h"

#include <glib/gstdio.h>

#include "sv-card-error.h"
#include "sv-card-reader.h"
#include "sv-card-session.h"
#include "sv-card-writer.h"
#include "sv-fake-reader.h"
#include "sv-pin.h"

#include "test-card-sim.h"

#define READER "Fake Reader 00 00"
#define ATR "3B9F96801FC78031A073BE21136743200718000001A5"

typedef struct
{
  SvFakeReader  *fake;
  SimCard       *sim;
  SvCardSession *session;
  char          *dir;
  char          *journal;
} Fixture;

/* Every transaction begun was ended, none is held, and no APDU went out
 * while none was held. Returns the number of transactions so far. */
static guint
assert_balanced (Fixture *f)
{
  guint n_begins = 0, n_ends = 0, n_outside = 0;
  guint depth = sv_fake_reader_get_transactions (f->fake, &n_begins, &n_ends, &n_outside);

  g_assert_cmpuint (depth, ==, 0);
  g_assert_cmpuint (n_begins, ==, n_ends);
  g_assert_cmpuint (n_outside, ==, 0);
  return n_begins;
}

static void
fixture_setup (Fixture *f,
               SimCard *sim)
{
  g_autoptr(GError) error = NULL;

  f->fake = sv_fake_reader_new ();
  f->sim = sim;
  f->dir = g_dir_make_tmp ("sv-test-transaction-XXXXXX", NULL);
  f->journal = g_build_filename (f->dir, "journal", NULL);
  sv_fake_reader_add_reader (f->fake, READER);
  sv_fake_reader_insert_card (f->fake, READER, ATR);
  sv_fake_reader_set_card_func (f->fake, sim_card_func, sim, (GDestroyNotify) sim_card_free);
  f->session = sv_card_session_open (SV_READER (f->fake), READER, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (assert_balanced (f), ==, 1);
}

static void
fixture_teardown (Fixture *f)
{
  g_clear_pointer (&f->session, sv_card_session_close);
  g_clear_object (&f->fake);
  g_remove (f->journal);
  g_rmdir (f->dir);
  g_free (f->journal);
  g_free (f->dir);
}

static SvCardImage *
read_ok (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  SvCardImage *image = sv_card_read_image (f->session, NULL, SV_CARD_READ_DEFAULT, NULL, NULL,
                                           NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (image);
  return image;
}

static void
test_success (gconstpointer data)
{
  gboolean usim = GPOINTER_TO_INT (data);
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(SvCardImage) base = NULL;
  g_autoptr(SvCardImage) target = NULL;
  g_autofree char *iccid = NULL;
  SvPinStatus status;
  SvCardFile *adn;
  guint8 name[] = { 'T', 'x', 'n' };

  fixture_setup (&f, usim ? sim_card_new_usim (FALSE) : sim_card_new_2g ());

  iccid = sv_card_read_iccid (f.session, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (assert_balanced (&f), ==, 2);

  base = read_ok (&f);
  g_assert_cmpuint (assert_balanced (&f), ==, 3);

  /* The PIN status works or not on this simulated card; either way the
   * card is released. */
  sv_pin_get_status (f.session, SV_PIN_1, &status, NULL);
  g_assert_cmpuint (assert_balanced (&f), ==, 4);

  target = sv_card_image_copy (base);
  adn = sv_card_image_lookup (target, usim ? "pb1/adn" : "adn");
  g_assert_nonnull (adn);
  {
    g_autofree guint8 *buf = g_malloc (adn->record_len);
    g_autoptr(GBytes) record = NULL;

    memset (buf, 0xFF, adn->record_len);
    memcpy (buf, name, sizeof name);
    record = g_bytes_new (buf, adn->record_len);
    g_assert_true (sv_card_image_set_record (target, usim ? "pb1/adn" : "adn", 2, record, NULL));
  }
  g_assert_true (sv_card_write_image (f.session, base, target, f.journal, NULL, NULL, NULL,
                                      NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (assert_balanced (&f), ==, 5);
  fixture_teardown (&f);
}

/* Another client selects the MF between two of our operations: the next
 * operation must not trust the DF it remembers. */
static void
test_selection_moved_by_other (void)
{
  Fixture f = { 0 };
  g_autoptr(SvCardImage) first = NULL;
  g_autoptr(SvCardImage) second = NULL;
  g_autoptr(GPtrArray) diff = NULL;

  fixture_setup (&f, sim_card_new_usim (FALSE));
  first = read_ok (&f);
  /* What "SELECT 3F00; SELECT 2F00" from another client leaves. */
  g_free (f.sim->cur_df);
  f.sim->cur_df = g_strdup ("3F00");
  g_clear_pointer (&f.sim->cur_ef, g_free);
  f.sim->cur_ef = g_strdup ("3F002F00");
  second = read_ok (&f);
  diff = sv_card_image_diff (first, second);
  g_assert_cmpuint (diff->len, ==, 0);
  g_assert_cmpuint (assert_balanced (&f), ==, 3);

  /* The EF we selected last is no longer selected: the next operation
   * must select it again, not read EF_DIR as if it were EF_ICCID. */
  {
    g_autoptr(GError) error = NULL;
    g_autofree char *iccid = sv_card_read_iccid (f.session, &error);
    g_autofree char *again = NULL;

    g_assert_no_error (error);
    g_free (f.sim->cur_df);
    f.sim->cur_df = g_strdup ("3F00");
    g_clear_pointer (&f.sim->cur_ef, g_free);
    f.sim->cur_ef = g_strdup ("3F002F00");
    again = sv_card_read_iccid (f.session, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (again, ==, iccid);
  }
  fixture_teardown (&f);
}

static void
test_error (void)
{
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(SvCardImage) image = NULL;
  g_autofree char *iccid = NULL;

  fixture_setup (&f, sim_card_new_usim (FALSE));
  sv_fake_reader_pull_card_after (f.fake, 10);
  image = sv_card_read_image (f.session, NULL, SV_CARD_READ_DEFAULT, NULL, NULL, NULL, &error);
  g_assert_null (image);
  g_assert_error (error, SV_PCSC_ERROR, SV_PCSC_ERROR_CARD_REMOVED);
  g_assert_cmpuint (assert_balanced (&f), ==, 2);
  g_clear_error (&error);

  /* The card is gone: begin itself fails, and nothing is left held. */
  iccid = sv_card_read_iccid (f.session, &error);
  g_assert_null (iccid);
  g_assert_error (error, SV_PCSC_ERROR, SV_PCSC_ERROR_CARD_REMOVED);
  g_assert_cmpuint (assert_balanced (&f), ==, 2);
  fixture_teardown (&f);
}

static void
test_cancel (void)
{
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(SvCardImage) image = NULL;
  g_autoptr(SvCardImage) base = NULL;
  g_autoptr(SvCardImage) target = NULL;

  fixture_setup (&f, sim_card_new_2g ());
  base = read_ok (&f);

  sim_reset_counters (f.sim);
  f.sim->cancel_at = cancellable;
  f.sim->cancel_after = 4;
  image = sv_card_read_image (f.session, NULL, SV_CARD_READ_DEFAULT, NULL, NULL, cancellable,
                              &error);
  g_assert_null (image);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (assert_balanced (&f), ==, 3);
  g_clear_error (&error);

  /* A write cancelled before its first record. */
  target = sv_card_image_copy (base);
  {
    SvCardFile *adn = sv_card_image_lookup (target, "adn");
    g_autofree guint8 *buf = g_malloc (adn->record_len);
    g_autoptr(GBytes) record = NULL;

    memset (buf, 0xFF, adn->record_len);
    buf[0] = 'C';
    record = g_bytes_new (buf, adn->record_len);
    g_assert_true (sv_card_image_set_record (target, "adn", 4, record, NULL));
  }
  g_assert_false (sv_card_write_image (f.session, base, target, f.journal, NULL, NULL, NULL,
                                       cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (assert_balanced (&f), ==, 4);
  fixture_teardown (&f);
}

/* Another client reset the card: the session reconnects, starts again
 * from the MF and the read is whole. */
static void
test_reset_by_other (void)
{
  Fixture f = { 0 };
  g_autoptr(SvCardImage) first = NULL;
  g_autoptr(SvCardImage) second = NULL;
  g_autoptr(GPtrArray) diff = NULL;

  fixture_setup (&f, sim_card_new_usim (FALSE));
  first = read_ok (&f);
  g_assert_cmpuint (sv_card_session_get_n_resets_seen (f.session), ==, 0);
  sv_fake_reader_reset_card_by_other (f.fake);
  g_free (f.sim->cur_df);
  f.sim->cur_df = g_strdup ("3F00");
  g_clear_pointer (&f.sim->cur_ef, g_free);
  second = read_ok (&f);
  g_assert_cmpuint (sv_card_session_get_n_resets_seen (f.session), ==, 1);
  diff = sv_card_image_diff (first, second);
  g_assert_cmpuint (diff->len, ==, 0);
  g_assert_cmpuint (assert_balanced (&f), ==, 3);
  fixture_teardown (&f);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_data_func ("/sv/transaction/success/2g", GINT_TO_POINTER (FALSE), test_success);
  g_test_add_data_func ("/sv/transaction/success/usim", GINT_TO_POINTER (TRUE), test_success);
  g_test_add_func ("/sv/transaction/selection-moved-by-other", test_selection_moved_by_other);
  g_test_add_func ("/sv/transaction/error", test_error);
  g_test_add_func ("/sv/transaction/cancel", test_cancel);
  g_test_add_func ("/sv/transaction/reset-by-other", test_reset_by_other);
  return g_test_run ();
}
