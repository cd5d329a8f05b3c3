/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Restore between the virtual card profiles (tests/data/cards, generated
 * by make-cards.py independently of the C codecs), each read by the
 * product's reader code through the virtual card's engine: same-size
 * cards keep everything, a target whose sets differ in shape is used set
 * by set, a national number stays national, a card is not restored onto
 * itself.
 */
#include "config.h"

#include <glib/gstdio.h>

#include "sv-dialling-number.h"
#include "sv-mirror.h"
#include "sv-phonebook.h"
#include "sv-profile-card.h"
#include "sv-restore-map.h"

static SvCardImage *
read_profile (const char *name)
{
  g_autofree char *file = g_strconcat (name, ".json", NULL);
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "data", "cards", file, NULL);
  g_autoptr(GError) error = NULL;
  SvCardImage *image = sv_profile_card_read (path, &error);

  g_assert_no_error (error);
  g_assert_nonnull (image);
  return image;
}

/* The TON/NPI byte of EF_ADN record @index of @set, read from the raw
 * bytes (TS 51.011 §10.5.1: the byte after the BCD length). */
static guint8
raw_ton_npi (SvCardImage *image,
             guint        set,
             guint        index)
{
  g_autofree char *key = set == 0 ? g_strdup ("adn") : g_strdup_printf ("pb%u/adn", set);
  GBytes *rec = sv_card_image_get_record (image, key, index);
  gsize len;
  const guint8 *d;

  g_assert_nonnull (rec);
  d = g_bytes_get_data (rec, &len);
  return d[len - 14 + 1];
}

static const SvContact *
find_by_name (GPtrArray  *contacts,
              const char *name)
{
  for (guint i = 0; i < contacts->len; i++)
    if (g_str_equal (sv_contact_get_name (g_ptr_array_index (contacts, i)), name))
      return g_ptr_array_index (contacts, i);
  return NULL;
}

static void
assert_same_fields (const SvContact *a,
                    const SvContact *b)
{
  g_assert_cmpstr (sv_contact_get_name (a), ==, sv_contact_get_name (b));
  g_assert_cmpstr (sv_contact_get_number (a), ==, sv_contact_get_number (b));
  g_assert_true (g_strv_equal (sv_contact_get_additional_numbers (a), sv_contact_get_additional_numbers (b)));
  g_assert_true (g_strv_equal (sv_contact_get_emails (a), sv_contact_get_emails (b)));
  g_assert_cmpstr (sv_contact_get_second_name (a), ==, sv_contact_get_second_name (b));
  g_assert_cmphex (sv_contact_get_effective_ton_npi (a), ==, sv_contact_get_effective_ton_npi (b));
}

/* usim-2sets onto usim-empty (same layout): all 310 contacts of both sets
 * fit, each at its own set and record, with every field. */
static void
test_same_size (void)
{
  g_autoptr(SvCardImage) source = read_profile ("usim-2sets");
  g_autoptr(SvCardImage) target = read_profile ("usim-empty");
  g_autoptr(SvCardImage) result = NULL;
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GPtrArray) before = NULL;
  g_autoptr(GPtrArray) after = NULL;
  g_autoptr(GError) error = NULL;
  guint in_set[3] = { 0, 0, 0 };

  entries = sv_restore_map_preview (source, target, &result, &error);
  g_assert_no_error (error);
  before = sv_phonebook_decode (source, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (entries->len, ==, before->len);
  g_assert_cmpuint (before->len, ==, 310);
  for (guint i = 0; i < entries->len; i++)
    {
      const SvRestoreEntry *e = g_ptr_array_index (entries, i);

      g_assert_cmpint (e->outcome, ==, SV_RESTORE_FITS);
      g_assert_cmpuint (e->n_numbers_lost + e->n_emails_lost + e->n_chars_cut, ==, 0);
      g_assert_false (e->second_name_lost);
    }

  after = sv_phonebook_decode (result, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (after->len, ==, before->len);
  for (guint i = 0; i < after->len; i++)
    {
      const SvContact *a = g_ptr_array_index (before, i);
      const SvContact *b = g_ptr_array_index (after, i);

      g_assert_cmpuint (sv_contact_get_set (a), ==, sv_contact_get_set (b));
      g_assert_cmpuint (sv_contact_get_index (a), ==, sv_contact_get_index (b));
      assert_same_fields (a, b);
      in_set[MIN (sv_contact_get_set (b), 2)]++;
    }
  /* the profile: 250 contacts in set 1, 60 in set 2 */
  g_assert_cmpuint (in_set[1], ==, 250);
  g_assert_cmpuint (in_set[2], ==, 60);
}

/* usim-restore-source (one set of 100, with ANR, EMAIL, SNE) onto
 * usim-restore-uneven (set 1: 30 records, ANR only; set 2: 100 records
 * with ANR, EMAIL, SNE): every contact fits whole, so nothing is dropped;
 * a contact with an e-mail or second name goes to set 2. */
static void
test_uneven_sets (void)
{
  g_autoptr(SvCardImage) source = read_profile ("usim-restore-source");
  g_autoptr(SvCardImage) target = read_profile ("usim-restore-uneven");
  g_autoptr(SvCardImage) result = NULL;
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GPtrArray) before = NULL;
  g_autoptr(GPtrArray) after = NULL;
  g_autoptr(GError) error = NULL;
  guint n_national = 0, in_set1 = 0, in_set2 = 0;

  before = sv_phonebook_decode (source, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (before->len, ==, 60);
  entries = sv_restore_map_preview (source, target, &result, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < entries->len; i++)
    {
      const SvRestoreEntry *e = g_ptr_array_index (entries, i);

      g_test_message ("%s: %s", sv_contact_get_name (e->source), e->message);
      g_assert_cmpint (e->outcome, ==, SV_RESTORE_FITS);
      g_assert_nonnull (e->target);
    }

  after = sv_phonebook_decode (result, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (after->len, ==, before->len);
  for (guint i = 0; i < before->len; i++)
    {
      const SvContact *a = g_ptr_array_index (before, i);
      const SvContact *b = find_by_name (after, sv_contact_get_name (a));
      guint8 src_byte = raw_ton_npi (source, sv_contact_get_set (a), sv_contact_get_index (a));

      g_assert_nonnull (b);
      assert_same_fields (a, b);
      /* the byte on the target card is the source's: A1 stays A1 */
      g_assert_cmphex (raw_ton_npi (result, sv_contact_get_set (b), sv_contact_get_index (b)), ==, src_byte);
      n_national += src_byte == 0xA1;
      if (sv_contact_get_set (b) == 1)
        {
          in_set1++;
          g_assert_null (sv_contact_get_emails (b)[0]);
          g_assert_cmpstr (sv_contact_get_second_name (b), ==, "");
        }
      else
        {
          g_assert_cmpuint (sv_contact_get_set (b), ==, 2);
          in_set2++;
        }
    }
  g_assert_cmpuint (n_national, >, 0);
  g_assert_cmpuint (in_set1, >, 0);
  g_assert_cmpuint (in_set2, >, 0);
  g_assert_cmpuint (in_set1, <=, 30);
}

/* Onto a 2G card (no ANR, EMAIL or SNE at all) the extras are dropped,
 * and counted; names and numbers stay. */
static void
test_onto_2g (void)
{
  g_autoptr(SvCardImage) source = read_profile ("usim-restore-source");
  g_autoptr(SvCardImage) target = read_profile ("sim-2g-old-small");
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *lost = NULL;
  guint want_numbers = 0, want_emails = 0, want_sne = 0;
  guint got_numbers = 0, got_emails = 0, got_sne = 0;

  entries = sv_restore_map_preview (source, target, NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < entries->len; i++)
    {
      const SvRestoreEntry *e = g_ptr_array_index (entries, i);

      want_numbers += g_strv_length ((char **) sv_contact_get_additional_numbers (e->source));
      want_emails += g_strv_length ((char **) sv_contact_get_emails (e->source));
      want_sne += sv_contact_get_second_name (e->source)[0] != '\0';
      got_numbers += e->n_numbers_lost;
      got_emails += e->n_emails_lost;
      got_sne += e->second_name_lost;
      g_assert_nonnull (e->target);
      g_assert_cmpstr (sv_contact_get_number (e->target), ==, sv_contact_get_number (e->source));
      g_assert_cmpint (e->outcome, ==,
                       e->n_numbers_lost + e->n_emails_lost + e->second_name_lost > 0
                       ? SV_RESTORE_TRUNCATED : SV_RESTORE_FITS);
    }
  g_assert_cmpuint (want_numbers, >, 0);
  g_assert_cmpuint (got_numbers, ==, want_numbers);
  g_assert_cmpuint (got_emails, ==, want_emails);
  g_assert_cmpuint (got_sne, ==, want_sne);
  lost = sv_restore_describe_losses (entries);
  g_assert_nonnull (strstr (lost, "additional number"));
  g_assert_nonnull (strstr (lost, "e-mail"));
}

/* An edit that does not give a TON/NPI keeps the card's for an unchanged
 * number: renaming a national contact leaves it national. */
static void
test_edit_keeps_ton_npi (void)
{
  g_autoptr(SvCardImage) image = read_profile ("usim-restore-source");
  g_autoptr(GPtrArray) contacts = NULL;
  g_autoptr(GError) error = NULL;
  const SvContact *national = NULL;

  contacts = sv_phonebook_decode (image, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < contacts->len && national == NULL; i++)
    if (sv_contact_get_ton_npi (g_ptr_array_index (contacts, i)) == 0xA1)
      national = g_ptr_array_index (contacts, i);
  g_assert_nonnull (national);

  {
    g_autoptr(SvContact) renamed = sv_contact_new (sv_contact_get_set (national), sv_contact_get_index (national),
                                                   "Renamed", sv_contact_get_number (national),
                                                   sv_contact_get_additional_numbers (national),
                                                   sv_contact_get_emails (national),
                                                   sv_contact_get_second_name (national));

    g_assert_true (sv_phonebook_store_contact (image, renamed, &error));
    g_assert_no_error (error);
    g_assert_cmphex (raw_ton_npi (image, sv_contact_get_set (national), sv_contact_get_index (national)), ==, 0xA1);
  }
  {
    /* a TON/NPI that is given is written, with the same digits */
    g_autoptr(SvContact) unknown = sv_contact_new_full (sv_contact_get_set (national), sv_contact_get_index (national),
                                                        "Renamed", sv_contact_get_number (national), 0x81,
                                                        NULL, NULL, NULL);

    g_assert_true (sv_phonebook_store_contact (image, unknown, &error));
    g_assert_no_error (error);
    g_assert_cmphex (raw_ton_npi (image, sv_contact_get_set (national), sv_contact_get_index (national)), ==, 0x81);
  }
}

/* "restore X X": refused by the mirror, which stays as it was. */
static void
test_same_card_refused (void)
{
  g_autofree char *dir = g_dir_make_tmp ("sv-restore-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "mirror.db", NULL);
  g_autoptr(SvCardImage) image = read_profile ("usim-2sets");
  g_autoptr(SvMirror) mirror = sv_mirror_open (path, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GPtrArray) pending = NULL;
  const char *iccid = sv_card_image_get_iccid (image);

  g_assert_nonnull (mirror);
  g_assert_true (sv_mirror_import_card (mirror, image, NULL, &error));
  g_assert_no_error (error);

  entries = sv_mirror_restore_preview (mirror, iccid, iccid, &error);
  g_assert_null (entries);
  g_assert_error (error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, iccid));
  g_clear_error (&error);

  g_assert_false (sv_mirror_restore_apply (mirror, iccid, iccid, TRUE, &entries, &error));
  g_assert_error (error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_INVALID);
  g_clear_error (&error);

  pending = sv_mirror_get_pending (mirror, iccid, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (pending->len, ==, 0);

  g_clear_object (&mirror);
  g_unlink (path);
  g_rmdir (dir);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sv/restore/cards/same-size", test_same_size);
  g_test_add_func ("/sv/restore/cards/uneven-sets", test_uneven_sets);
  g_test_add_func ("/sv/restore/cards/onto-2g", test_onto_2g);
  g_test_add_func ("/sv/restore/cards/edit-keeps-ton-npi", test_edit_keeps_ton_npi);
  g_test_add_func ("/sv/restore/same-card-refused", test_same_card_refused);
  return g_test_run ();
}
