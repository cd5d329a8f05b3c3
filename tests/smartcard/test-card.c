/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Reading and writing whole cards over the fake reader with a simulated
 * file system (test-card-sim.h): every record read once, the USIM change
 * counters, quirks, the diff write with verify, conflicts, a card pulled
 * mid-write and resumed from the journal, cancellation.
 */
#include "config.h"

#include <glib/gstdio.h>

#include "sv-card-error.h"
#include "sv-card-info.h"
#include "sv-card-reader.h"
#include "sv-card-session.h"
#include "sv-card-writer.h"
#include "sv-fake-reader.h"
#include "sv-phonebook.h"

#include "test-card-sim.h"

#define READER "Fake Reader 00 00"
#define ATR "3B9F96801FC78031A073BE21136743200718000001A5"

typedef struct
{
  SvFakeReader  *fake;
  SimCard       *sim;
  SvCardSession *session;
  char          *dir;
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
  f->dir = g_dir_make_tmp ("sv-test-card-XXXXXX", NULL);
  sv_fake_reader_add_reader (f->fake, READER);
  sv_fake_reader_insert_card (f->fake, READER, ATR);
  sv_fake_reader_set_card_func (f->fake, sim_card_func, sim, (GDestroyNotify) sim_card_free);
  fixture_connect (f);
}

static void
fixture_teardown (Fixture *f)
{
  g_clear_pointer (&f->session, sv_card_session_close);
  g_clear_object (&f->fake);
  if (f->dir)
    {
      g_autofree char *journal = g_build_filename (f->dir, "journal", NULL);

      g_remove (journal);
      g_rmdir (f->dir);
      g_free (f->dir);
    }
}

static guint
n_records_of (SvCardImage *image,
              const char  *key)
{
  SvCardFile *file = sv_card_image_lookup (image, key);

  return file ? file->records->len : 0;
}

static void
test_read_2g (void)
{
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(SvCardImage) image = NULL;
  g_autoptr(GPtrArray) contacts = NULL;
  SvCardReadStats stats;

  fixture_setup (&f, sim_card_new_2g ());
  g_assert_cmpint (sv_card_session_get_card_type (f.session), ==, SV_CARD_TYPE_SIM);
  sim_reset_counters (f.sim);
  image = sv_card_read_image (f.session, NULL, SV_CARD_READ_DEFAULT, NULL, &stats, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (sv_card_image_get_iccid (image), ==, "89014103211118510720");
  g_assert_cmpuint (n_records_of (image, "adn"), ==, 10);
  g_assert_cmpuint (n_records_of (image, "ext1"), ==, 5);
  g_assert_cmpuint (n_records_of (image, "sms"), ==, 5);
  g_assert_cmpuint (n_records_of (image, "msisdn"), ==, 2);
  g_assert_cmpuint (n_records_of (image, "imsi"), ==, 1);
  g_assert_cmpstr (sv_card_image_lookup (image, "adn")->path, ==, "3F007F106F3A");

  /* Minimum: 1 READ per record or transparent file (3 + 2+10+5+5+1 = 26),
   * per EF one SELECT + one GET RESPONSE (8 EFs = 16), the MF (1: the read
   * holds the card in a transaction of its own, and another client may have
   * moved the selection since the last one), DFs 7F20, then its sibling
   * 7F10 (2). */
  g_assert_cmpuint (sim_count_rereads (f.sim), ==, 0);
  g_assert_cmpuint (stats.records_read, ==, 26);
  g_assert_cmpuint (stats.apdu_count, ==, 26 + 16 + 1 + 2);

  {
    g_autoptr(SvCardInfo) info = sv_card_info_new_from_image (image);
    const SvPhonebookLimits *limits;

    g_assert_cmpstr (sv_card_info_get_iccid (info), ==, "89014103211118510720");
    g_assert_cmpstr (sv_card_info_get_imsi (info), ==, "262502143658709");
    g_assert_cmpstr (sv_card_info_get_spn (info), ==, "Some");
    g_assert_cmpuint (sv_card_info_get_n_phonebook_sets (info), ==, 1);
    limits = sv_card_info_get_phonebook_limits (info, 0);
    g_assert_cmpuint (limits->n_records, ==, 10);
    g_assert_cmpuint (limits->alpha_len, ==, 14);
    g_assert_cmpuint (limits->n_ext1_records, ==, 5);
    g_assert_cmpuint (sv_card_info_get_sms_capacity (info), ==, 5);
    g_assert_cmpuint (sv_card_info_get_sms_used (info), ==, 0);
  }

  contacts = sv_phonebook_decode (image, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (contacts->len, ==, 2);
  g_assert_cmpstr (sv_contact_get_name (g_ptr_array_index (contacts, 0)), ==, "Alice");
  g_assert_cmpstr (sv_contact_get_number (g_ptr_array_index (contacts, 0)), ==, "1234567890");
  fixture_teardown (&f);
}

static void
test_read_usim (gconstpointer data)
{
  gboolean global = GPOINTER_TO_INT (data);
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(SvCardImage) image = NULL;
  g_autoptr(GPtrArray) contacts = NULL;
  SvCardReadStats stats;

  fixture_setup (&f, sim_card_new_usim (global));
  g_assert_cmpint (sv_card_session_get_card_type (f.session), ==, SV_CARD_TYPE_USIM);
  sim_reset_counters (f.sim);
  image = sv_card_read_image (f.session, NULL, SV_CARD_READ_DEFAULT, NULL, &stats, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (sv_card_image_get_card_type (image), ==, SV_CARD_TYPE_USIM);
  g_assert_cmpuint (n_records_of (image, "pbr"), ==, 2);
  g_assert_cmpuint (n_records_of (image, "pb1/adn"), ==, 6);
  g_assert_cmpuint (n_records_of (image, "pb1/anr1"), ==, 6);
  g_assert_cmpuint (n_records_of (image, "pb1/email1"), ==, 6);
  g_assert_cmpuint (n_records_of (image, "pb1/uid"), ==, 6);
  g_assert_cmpuint (n_records_of (image, "pb1/ext1"), ==, 4);
  g_assert_cmpuint (n_records_of (image, "pb2/adn"), ==, 6);
  g_assert_cmpuint (n_records_of (image, "pb2/iap"), ==, 6);
  g_assert_cmpuint (n_records_of (image, "pb2/email1"), ==, 6);
  /* The shared type 3 EXT1 is in both sets, read once. */
  g_assert_cmpuint (n_records_of (image, "pb2/ext1"), ==, 4);
  g_assert_cmpuint (n_records_of (image, "cc"), ==, 1);
  g_assert_cmpuint (n_records_of (image, "sms"), ==, 4);
  g_assert_null (sv_card_image_lookup (image, "spn"));          /* absent on this card */
  g_assert_true (g_str_has_prefix (sv_card_image_lookup (image, "pb1/adn")->path,
                                   global ? "3F007F105F3A" : "7FFF5F3A"));
  g_assert_cmpuint (sim_count_rereads (f.sim), ==, 0);

  contacts = sv_phonebook_decode (image, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (contacts->len, ==, 2);
  g_assert_cmpuint (sv_contact_get_set (g_ptr_array_index (contacts, 1)), ==, 2);
  g_assert_cmpstr (sv_contact_get_name (g_ptr_array_index (contacts, 1)), ==, "Carol");
  fixture_teardown (&f);
}

static void
test_reread_unchanged (void)
{
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(SvCardImage) first = NULL;
  g_autoptr(SvCardImage) second = NULL;
  g_autoptr(GPtrArray) diff = NULL;
  SvCardReadStats stats1, stats2;

  fixture_setup (&f, sim_card_new_usim (FALSE));
  first = sv_card_read_image (f.session, NULL, SV_CARD_READ_SKIP_MESSAGES, NULL, &stats1, NULL, &error);
  g_assert_no_error (error);
  fixture_connect (&f);
  second = sv_card_read_image (f.session, first, SV_CARD_READ_SKIP_MESSAGES, NULL, &stats2, NULL, &error);
  g_assert_no_error (error);
  diff = sv_card_image_diff (first, second);
  g_assert_cmpuint (diff->len, ==, 0);
  g_assert_cmpuint (stats2.records_reused, >, 40);
  /* MF 1 (a new transaction starts from an unknown selection), ICCID 3
   * (SELECT, GET RESPONSE, READ BINARY); then files known from the
   * previous image need no FCP: ADF 1, IMSI 2, SPN (absent) 1, MSISDN 2,
   * DF_PHONEBOOK 1, PBR 3, PSC/CC/PUID 6, and per set a SELECT of EF_PBC
   * + SEARCH RECORD (this card answers 6D00) 4. */
  g_assert_cmpuint (stats2.apdu_count, ==, 24);
  g_assert_cmpuint (stats2.apdu_count * 3, <, stats1.apdu_count);
  g_test_message ("full read %u APDUs, re-read of an unchanged card %u APDUs",
                  stats1.apdu_count, stats2.apdu_count);
  fixture_teardown (&f);
}

static void
test_reread_changed (void)
{
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(SvCardImage) first = NULL;
  g_autoptr(SvCardImage) second = NULL;
  g_autoptr(GPtrArray) diff = NULL;
  SvCardReadStats stats;

  fixture_setup (&f, sim_card_new_usim (FALSE));
  first = sv_card_read_image (f.session, NULL, SV_CARD_READ_SKIP_MESSAGES, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  /* A phone changes an entry and bumps EF_CC. */
  sim_fill_adn (f.sim, "7FFF5F3A4F3A", 16, 4, "Dave", "99");
  sim_set (f.sim, "7FFF5F3A4F23", 1, "0006");
  fixture_connect (&f);
  second = sv_card_read_image (f.session, first, SV_CARD_READ_SKIP_MESSAGES, NULL, &stats, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (stats.records_reused, ==, 0);
  diff = sv_card_image_diff (first, second);
  g_assert_cmpuint (diff->len, ==, 2);    /* cc and pb1/adn#4 */
  fixture_teardown (&f);
}

/* A 2G terminal changed an entry: PBC flags it, CC does not move. */
static void
test_reread_pbc_flag (gconstpointer data)
{
  gboolean flagged = GPOINTER_TO_INT (data);
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(SvCardImage) first = NULL;
  g_autoptr(SvCardImage) second = NULL;
  g_autoptr(GPtrArray) diff = NULL;
  SvCardReadStats stats;
  SimCard *sim = sim_card_new_usim (FALSE);

  sim->support_search = TRUE;
  fixture_setup (&f, sim);
  first = sv_card_read_image (f.session, NULL, SV_CARD_READ_SKIP_MESSAGES, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  if (flagged)
    {
      sim_fill_adn (f.sim, "7FFF5F3A4F3B", 16, 5, "Eve", "77");
      sim_set (f.sim, "7FFF5F3A4F0A", 5, "0100");
    }
  fixture_connect (&f);
  second = sv_card_read_image (f.session, first, SV_CARD_READ_SKIP_MESSAGES, NULL, &stats, NULL, &error);
  g_assert_no_error (error);
  diff = sv_card_image_diff (first, second);
  if (flagged)
    {
      g_assert_cmpuint (stats.records_reused, ==, 0);
      g_assert_cmpuint (diff->len, ==, 2);    /* pb2/adn#5, pb2/pbc#5 */
    }
  else
    {
      g_assert_cmpuint (stats.records_reused, >, 40);
      g_assert_cmpuint (diff->len, ==, 0);
      /* As above; SEARCH RECORD answers 6A83: nothing flagged. */
      g_assert_cmpuint (stats.apdu_count, ==, 24);
    }
  fixture_teardown (&f);
}

typedef enum
{
  QUIRK_DIRECT_FCP,
  QUIRK_FCP_RECORD_LEN,
  QUIRK_NO_EXT1_NO_SMS,
  QUIRK_UICC_WITHOUT_USIM,
} Quirk;

static void
test_quirk (gconstpointer data)
{
  Quirk quirk = GPOINTER_TO_INT (data);
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(SvCardImage) image = NULL;
  SimCard *sim = quirk == QUIRK_UICC_WITHOUT_USIM || quirk == QUIRK_NO_EXT1_NO_SMS
                 ? sim_card_new_2g () : sim_card_new_usim (FALSE);

  switch (quirk)
    {
    case QUIRK_DIRECT_FCP:
      sim->direct_fcp = TRUE;
      break;
    case QUIRK_FCP_RECORD_LEN:
      sim->fcp_record_len_lie = 2;
      break;
    case QUIRK_NO_EXT1_NO_SMS:
      g_hash_table_remove (sim->files, "3F007F106F4A");
      g_hash_table_remove (sim->files, "3F007F106F3C");
      break;
    case QUIRK_UICC_WITHOUT_USIM:
      sim->uicc = TRUE;   /* a UICC with only the 2G file system */
      break;
    default:
      g_assert_not_reached ();
    }
  fixture_setup (&f, sim);
  if (quirk == QUIRK_DIRECT_FCP)
    {
      sv_fake_reader_set_protocol (f.fake, SV_CARD_PROTOCOL_T1);
      fixture_connect (&f);
    }
  sim_reset_counters (f.sim);
  image = sv_card_read_image (f.session, NULL, SV_CARD_READ_DEFAULT, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (sv_card_image_get_iccid (image), ==, "89014103211118510720");
  switch (quirk)
    {
    case QUIRK_DIRECT_FCP:
    case QUIRK_FCP_RECORD_LEN:
      g_assert_cmpuint (sv_card_image_lookup (image, "pb1/adn")->record_len, ==, 30);
      g_assert_cmpuint (n_records_of (image, "pb1/adn"), ==, 6);
      break;
    case QUIRK_NO_EXT1_NO_SMS:
      g_assert_null (sv_card_image_lookup (image, "ext1"));
      g_assert_null (sv_card_image_lookup (image, "sms"));
      g_assert_cmpuint (n_records_of (image, "adn"), ==, 10);
      break;
    case QUIRK_UICC_WITHOUT_USIM:
      g_assert_cmpint (sv_card_image_get_card_type (image), ==, SV_CARD_TYPE_SIM);
      g_assert_cmpuint (n_records_of (image, "adn"), ==, 10);
      break;
    default:
      g_assert_not_reached ();
    }
  g_assert_cmpuint (sim_count_rereads (f.sim), ==, 0);
  fixture_teardown (&f);
}

/* The card as read (no error), and the journal path in the fixture's
 * folder, for the write tests */
static SvCardImage *
fixture_read_base (Fixture          *f,
                   SvCardReadFlags   flags,
                   char            **journal)
{
  g_autoptr(GError) error = NULL;
  SvCardImage *base;

  *journal = g_build_filename (f->dir, "journal", NULL);
  base = sv_card_read_image (f->session, NULL, flags, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (base);
  return base;
}

static SvCardImage *
edited_copy (SvCardImage *base,
             const char  *key,
             guint        index,
             const char  *hex)
{
  SvCardImage *target = sv_card_image_copy (base);
  SvCardFile *file = sv_card_image_lookup (target, key);
  g_autoptr(GBytes) bytes = sv_hex_to_bytes (hex);
  g_autofree guint8 *buf = g_malloc (file->record_len);
  g_autoptr(GBytes) record = NULL;

  memset (buf, 0xFF, file->record_len);
  memcpy (buf, g_bytes_get_data (bytes, NULL), MIN (file->record_len, g_bytes_get_size (bytes)));
  record = g_bytes_new (buf, file->record_len);
  g_assert_true (sv_card_image_set_record (target, key, index, record, NULL));
  return target;
}

static void
test_write_2g (void)
{
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(SvCardImage) base = NULL;
  g_autoptr(SvCardImage) target = NULL;
  g_autoptr(GPtrArray) written = NULL;
  g_autoptr(GBytes) now = NULL;
  g_autofree char *journal = NULL;
  SvCardWriteStats stats = { 0 };

  fixture_setup (&f, sim_card_new_2g ());
  base = fixture_read_base (&f, SV_CARD_READ_DEFAULT, &journal);
  target = edited_copy (base, "adn", 3, "4361726F6CFFFFFFFFFFFFFFFFFF0381214365FFFFFFFFFFFFFFFFFF");
  sim_reset_counters (f.sim);
  g_assert_true (sv_card_write_image (f.session, base, target, journal, NULL, &stats, &written,
                                      NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (written->len, ==, 1);
  g_assert_cmpuint (stats.records_written, ==, 1);
  g_assert_cmpuint (stats.records_checked, ==, 1);     /* 2G: no counter, read to compare */
  g_assert_cmpuint (f.sim->n_updates, ==, 1);
  now = sim_get (f.sim, "3F007F106F3A", 3);
  g_assert_true (g_bytes_equal (now, sv_card_image_get_record (target, "adn", 3)));
  g_assert_false (g_file_test (journal, G_FILE_TEST_EXISTS));
  sv_card_write_stats_clear (&stats);
  fixture_teardown (&f);
}

static void
test_write_usim_bookkeeping (void)
{
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(SvCardImage) base = NULL;
  g_autoptr(SvCardImage) target = NULL;
  g_autoptr(GPtrArray) written = NULL;
  g_autoptr(GBytes) cc = NULL;
  g_autoptr(GBytes) puid = NULL;
  g_autoptr(GBytes) uid = NULL;
  g_autofree char *journal = NULL;
  SvCardWriteStats stats = { 0 };

  fixture_setup (&f, sim_card_new_usim (FALSE));
  base = fixture_read_base (&f, SV_CARD_READ_DEFAULT, &journal);
  target = edited_copy (base, "pb1/adn", 3,
                        "446176654646FFFFFFFFFFFFFFFFFFFF0381214365FFFFFFFFFFFFFFFFFF");
  sim_reset_counters (f.sim);
  g_assert_true (sv_card_write_image (f.session, base, target, journal, NULL, &stats, &written,
                                      NULL, &error));
  g_assert_no_error (error);
  /* pb1/adn#3, pb1/uid#3, cc, puid */
  g_assert_cmpuint (written->len, ==, 4);
  g_assert_cmpuint (stats.records_checked, ==, 0);     /* PSC and CC vouched for the base */
  cc = sim_get (f.sim, "7FFF5F3A4F23", 1);
  puid = sim_get (f.sim, "7FFF5F3A4F24", 1);
  uid = sim_get (f.sim, "7FFF5F3A4F21", 3);
  g_assert_cmpmem (g_bytes_get_data (cc, NULL), 2, "\x00\x06", 2);
  g_assert_cmpmem (g_bytes_get_data (puid, NULL), 2, "\x00\x03", 2);
  g_assert_cmpmem (g_bytes_get_data (uid, NULL), 2, "\x00\x03", 2);
  sv_card_write_stats_clear (&stats);
  fixture_teardown (&f);
}

/* EF_CC unchanged but the written set's EF_PBC flags a 2G terminal's
 * edit: the counters no longer vouch for the base, every record is
 * compared first. A flag in another set only (@other_set) cannot be
 * overwritten by this write: the counters still vouch. */
static void
write_usim_pbc_flagged (gboolean other_set)
{
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(SvCardImage) base = NULL;
  g_autoptr(SvCardImage) target = NULL;
  g_autofree char *journal = NULL;
  SvCardWriteStats stats = { 0 };
  SimCard *sim = sim_card_new_usim (FALSE);

  sim->support_search = TRUE;
  fixture_setup (&f, sim);
  base = fixture_read_base (&f, SV_CARD_READ_SKIP_MESSAGES, &journal);
  target = edited_copy (base, "pb1/adn", 3,
                        "446176654646FFFFFFFFFFFFFFFFFFFF0381214365FFFFFFFFFFFFFFFFFF");
  /* pb1's EF_PBC is 4F09, pb2's 4F0A */
  sim_set (f.sim, other_set ? "7FFF5F3A4F0A" : "7FFF5F3A4F09", 5, "0100");
  g_assert_true (sv_card_write_image (f.session, base, target, journal, NULL, &stats, NULL,
                                      NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (stats.records_checked, ==, other_set ? 0 : 4);
  g_assert_cmpuint (stats.records_written, ==, 4);
  sv_card_write_stats_clear (&stats);
  fixture_teardown (&f);
}

static void
test_write_usim_pbc_flagged (void)
{
  write_usim_pbc_flagged (FALSE);
}

static void
test_write_usim_pbc_flagged_other_set (void)
{
  write_usim_pbc_flagged (TRUE);
}

/* pb1/ext1 and pb2/ext1 are one EF_EXT1 (type 3): the record is written
 * once, and reported under both keys. */
static void
test_write_shared_ext1 (void)
{
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(SvCardImage) base = NULL;
  g_autoptr(SvCardImage) target = NULL;
  g_autoptr(SvCardImage) both = NULL;
  g_autoptr(GPtrArray) written = NULL;
  g_autoptr(GPtrArray) changes = NULL;
  g_autofree char *journal = NULL;
  SvCardWriteStats stats = { 0 };
  guint keys_seen = 0;

  fixture_setup (&f, sim_card_new_usim (FALSE));
  base = fixture_read_base (&f, SV_CARD_READ_SKIP_MESSAGES, &journal);
  target = edited_copy (base, "pb2/ext1", 2, "0203214365FFFFFFFFFFFFFFFF");

  /* The image keeps the two views of the file in line by itself. */
  g_assert_true (g_bytes_equal (sv_card_image_get_record (target, "pb1/ext1", 2),
                                sv_card_image_get_record (target, "pb2/ext1", 2)));
  changes = sv_card_write_prepare (base, target, &error);
  g_assert_no_error (error);
  g_assert_nonnull (changes);

  sim_reset_counters (f.sim);
  g_assert_true (sv_card_write_image (f.session, base, target, journal, NULL, &stats, &written,
                                      NULL, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < written->len; i++)
    {
      SvRecordChange *c = g_ptr_array_index (written, i);

      if (g_str_has_suffix (c->key, "/ext1") && c->index == 2)
        keys_seen++;
    }
  g_assert_cmpuint (keys_seen, ==, 2);
  g_assert_cmpuint (stats.records_written, ==, 2);       /* EXT1 #2 once, CC */
  g_assert_cmpuint (f.sim->n_updates, ==, 2);

  /* The bookkeeping the edit did not contain (EF_CC) is brought in line;
   * the shared file already was. */
  both = sv_card_image_copy (target);
  g_assert_cmpuint (sv_card_image_sync_aliases (both, written), ==, 1);
  {
    g_autoptr(GBytes) card_cc = sim_get (f.sim, "7FFF5F3A4F23", 1);

    g_assert_true (g_bytes_equal (sv_card_image_get_record (both, "cc", 1), card_cc));
    g_assert_false (g_bytes_equal (sv_card_image_get_record (target, "cc", 1), card_cc));
  }
  g_assert_true (g_bytes_equal (sv_card_image_get_record (both, "pb1/ext1", 2),
                                sv_card_image_get_record (both, "pb2/ext1", 2)));
  sv_card_write_stats_clear (&stats);
  fixture_teardown (&f);
}

/* Cancelled between records: the journal says what is on the card, and
 * the next write completes the rest. */
static void
test_write_cancelled (void)
{
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(SvCardImage) base = NULL;
  g_autoptr(SvCardImage) target = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GPtrArray) on_journal = NULL;
  g_autofree char *journal = NULL;
  SvCardWriteStats stats = { 0 };

  fixture_setup (&f, sim_card_new_2g ());
  base = fixture_read_base (&f, SV_CARD_READ_DEFAULT, &journal);
  target = sv_card_image_copy (base);
  for (guint i = 5; i <= 7; i++)
    {
      g_autoptr(SvCardImage) next = NULL;
      g_autofree char *hex = g_strdup_printf ("4E616D65%02XFFFFFFFFFFFFFFFFFF0381214365", i);

      next = edited_copy (target, "adn", i, hex);
      g_set_object (&target, next);
    }
  /* ICCID read 1 + three comparisons + the first read back. */
  sim_reset_counters (f.sim);
  f.sim->cancel_at = cancellable;
  f.sim->cancel_after = 1 + 3 + 1;
  g_assert_false (sv_card_write_image (f.session, base, target, journal, NULL, &stats, NULL,
                                       cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (stats.records_written, ==, 1);
  g_assert_cmpuint (f.sim->n_updates, ==, 1);
  g_clear_error (&error);
  sv_card_write_stats_clear (&stats);
  on_journal = sv_card_journal_load_written (journal, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (on_journal->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (on_journal, 0), ==, "adn#5");

  f.sim->cancel_at = NULL;
  g_assert_true (sv_card_write_image (f.session, base, target, journal, NULL, &stats, NULL,
                                      NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (stats.records_already, ==, 1);
  g_assert_cmpuint (stats.records_written, ==, 2);
  g_assert_false (g_file_test (journal, G_FILE_TEST_EXISTS));
  sv_card_write_stats_clear (&stats);
  fixture_teardown (&f);
}

static void
test_write_conflict (void)
{
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(SvCardImage) base = NULL;
  g_autoptr(SvCardImage) target = NULL;
  g_autofree char *journal = NULL;

  fixture_setup (&f, sim_card_new_2g ());
  base = fixture_read_base (&f, SV_CARD_READ_DEFAULT, &journal);
  target = edited_copy (base, "adn", 2, "5A6F65");
  sim_fill_adn (f.sim, "3F007F106F3A", 14, 2, "Robert", "55");   /* changed behind our back */
  sim_reset_counters (f.sim);
  g_assert_false (sv_card_write_image (f.session, base, target, journal, NULL, NULL, NULL,
                                       NULL, &error));
  g_assert_error (error, SV_CARD_ERROR, SV_CARD_ERROR_CONFLICT);
  g_assert_nonnull (strstr (error->message, "adn#2"));
  g_assert_cmpuint (f.sim->n_updates, ==, 0);
  fixture_teardown (&f);
}

static void
test_write_pulled_and_resumed (void)
{
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(SvCardImage) base = NULL;
  g_autoptr(SvCardImage) target = NULL;
  g_autoptr(GPtrArray) on_journal = NULL;
  g_autoptr(GPtrArray) written = NULL;
  g_autofree char *journal = NULL;
  SvCardWriteStats stats = { 0 };
  guint n_total = 0;
  guint n_updates_before;

  fixture_setup (&f, sim_card_new_2g ());
  base = fixture_read_base (&f, SV_CARD_READ_DEFAULT, &journal);
  target = sv_card_image_copy (base);
  for (guint i = 3; i <= 8; i++)
    {
      g_autoptr(SvCardImage) next = NULL;
      g_autofree char *hex = g_strdup_printf ("4E616D65%02XFFFFFFFFFFFFFFFFFF0381214365", i);

      next = edited_copy (target, "adn", i, hex);
      g_set_object (&target, next);
    }
  /* Pull the card after the ICCID check (1 READ BINARY, selects), the six
   * comparisons and two complete writes (UPDATE + READ back each). */
  sim_reset_counters (f.sim);
  sv_fake_reader_pull_card_after (f.fake, 3 + 6 + 2 + 4 + 1);
  g_assert_false (sv_card_write_image (f.session, base, target, journal, NULL, &stats, NULL,
                                       NULL, &error));
  g_assert_error (error, SV_PCSC_ERROR, SV_PCSC_ERROR_CARD_REMOVED);
  g_assert_nonnull (strstr (error->message, READER));
  g_assert_nonnull (strstr (error->message, journal));
  g_test_message ("%s", error->message);
  g_clear_error (&error);
  sv_card_write_stats_clear (&stats);

  on_journal = sv_card_journal_load_written (journal, &n_total, &error);
  g_assert_no_error (error);
  g_assert_nonnull (on_journal);
  g_assert_cmpuint (n_total, ==, 6);
  /* Verified writes are "written"; one more may have reached the card
   * before the read-back failed ("uncertain"). */
  g_assert_cmpuint (on_journal->len, >=, 1);
  g_assert_cmpuint (on_journal->len, <=, f.sim->n_updates);
  g_assert_cmpuint (f.sim->n_updates, <=, on_journal->len + 1);
  n_updates_before = f.sim->n_updates;

  /* Put the card back and write again: the rest goes, nothing twice. */
  sv_fake_reader_insert_card (f.fake, READER, ATR);
  fixture_connect (&f);
  g_assert_true (sv_card_write_image (f.session, base, target, journal, NULL, &stats, &written,
                                      NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (stats.records_already, ==, n_updates_before);
  g_assert_cmpuint (stats.records_written, ==, 6 - n_updates_before);
  g_assert_cmpuint (f.sim->n_updates, ==, 6);
  g_assert_nonnull (stats.previous_written);
  g_assert_cmpuint (stats.previous_written->len, ==, on_journal->len);
  g_assert_false (g_file_test (journal, G_FILE_TEST_EXISTS));
  for (guint i = 3; i <= 8; i++)
    {
      g_autoptr(GBytes) now = sim_get (f.sim, "3F007F106F3A", i);

      g_assert_true (g_bytes_equal (now, sv_card_image_get_record (target, "adn", i)));
    }
  sv_card_write_stats_clear (&stats);
  fixture_teardown (&f);
}

static void
test_read_pulled (void)
{
  Fixture f = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(SvCardImage) image = NULL;

  fixture_setup (&f, sim_card_new_2g ());
  sv_fake_reader_pull_card_after (f.fake, 20);
  image = sv_card_read_image (f.session, NULL, SV_CARD_READ_DEFAULT, NULL, NULL, NULL, &error);
  g_assert_null (image);
  g_assert_error (error, SV_PCSC_ERROR, SV_PCSC_ERROR_CARD_REMOVED);
  g_assert_nonnull (strstr (error->message, READER));
  fixture_teardown (&f);
}

/* A journal left by a program killed mid-write: saved whole, then the
 * progress appended per record; the last state of each change counts. */
static void
test_journal_appended_progress (void)
{
  g_autofree char *dir = g_dir_make_tmp ("sv-journal-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "journal", NULL);
  g_autoptr(GPtrArray) written = NULL;
  g_autoptr(GError) error = NULL;
  guint n_total = 0;
  static const char text[] =
    "[write]\niccid=8949\nreader=R\nchanges=3\n\n"
    "[change 1]\nkey=cc\nindex=1\npath=7FFF5F3A4F23\nold=0001\nnew=0002\nstate=pending\n\n"
    "[change 2]\nkey=pb1/adn\nindex=4\npath=7FFF5F3A4F3A\nold=FF\nnew=41\nstate=pending\n\n"
    "[change 3]\nkey=pb1/adn\nindex=9\npath=7FFF5F3A4F3A\nold=FF\nnew=42\nstate=pending\n"
    "[progress 1]\nchange=1\nstate=uncertain\n"
    "[progress 2]\nchange=1\nstate=written\n"
    "[progress 3]\nchange=2\nstate=uncertain\n"
    "[progress 4]\nchange=2\nstate=written\n"
    "[progress 5]\nchange=3\nstate=uncertain\n";

  g_assert_true (g_file_set_contents (path, text, -1, NULL));
  written = sv_card_journal_load_written (path, &n_total, &error);
  g_assert_no_error (error);
  g_assert_nonnull (written);
  g_assert_cmpuint (n_total, ==, 3);
  g_assert_cmpuint (written->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (written, 0), ==, "cc#1");
  g_assert_cmpstr (g_ptr_array_index (written, 1), ==, "pb1/adn#4");
  g_remove (path);
  g_rmdir (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_setenv ("XDG_STATE_HOME", g_get_tmp_dir (), FALSE);

  g_test_add_func ("/sv/card/read/2g", test_read_2g);
  g_test_add_data_func ("/sv/card/read/usim", GINT_TO_POINTER (FALSE), test_read_usim);
  g_test_add_data_func ("/sv/card/read/usim-global-phonebook", GINT_TO_POINTER (TRUE), test_read_usim);
  g_test_add_func ("/sv/card/read/usim-unchanged", test_reread_unchanged);
  g_test_add_func ("/sv/card/read/usim-changed", test_reread_changed);
  g_test_add_data_func ("/sv/card/read/usim-pbc-clean", GINT_TO_POINTER (FALSE), test_reread_pbc_flag);
  g_test_add_data_func ("/sv/card/read/usim-pbc-flagged", GINT_TO_POINTER (TRUE), test_reread_pbc_flag);
  g_test_add_data_func ("/sv/card/quirk/direct-fcp", GINT_TO_POINTER (QUIRK_DIRECT_FCP), test_quirk);
  g_test_add_data_func ("/sv/card/quirk/fcp-record-length", GINT_TO_POINTER (QUIRK_FCP_RECORD_LEN), test_quirk);
  g_test_add_data_func ("/sv/card/quirk/no-ext1-no-sms", GINT_TO_POINTER (QUIRK_NO_EXT1_NO_SMS), test_quirk);
  g_test_add_data_func ("/sv/card/quirk/uicc-without-usim", GINT_TO_POINTER (QUIRK_UICC_WITHOUT_USIM), test_quirk);
  g_test_add_func ("/sv/card/read/pulled", test_read_pulled);
  g_test_add_func ("/sv/card/write/2g", test_write_2g);
  g_test_add_func ("/sv/card/write/usim-bookkeeping", test_write_usim_bookkeeping);
  g_test_add_func ("/sv/card/write/usim-pbc-flagged", test_write_usim_pbc_flagged);
  g_test_add_func ("/sv/card/write/usim-pbc-flagged-other-set", test_write_usim_pbc_flagged_other_set);
  g_test_add_func ("/sv/card/write/shared-ext1", test_write_shared_ext1);
  g_test_add_func ("/sv/card/write/cancelled-and-resumed", test_write_cancelled);
  g_test_add_func ("/sv/card/write/conflict", test_write_conflict);
  g_test_add_func ("/sv/card/write/pulled-and-resumed", test_write_pulled_and_resumed);
  g_test_add_func ("/sv/card/write/journal-appended-progress", test_journal_appended_progress);

  return g_test_run ();
}
