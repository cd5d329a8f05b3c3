/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * vCard and CSV import/export: files as GNOME Contacts (Evolution, vCard
 * 3.0), Thunderbird (vCard 4.0), Android (vCard 2.1, quoted-printable) and
 * Google Contacts (CSV) write them, written by hand from their documented
 * formats; malformed files with line numbers; round trips; all-or-nothing
 * import into the mirror; restore preview onto a smaller card.
 */
#include "config.h"

#include <glib/gstdio.h>

#include "sv-csv.h"
#include "sv-mirror-import.h"
#include "sv-phonebook.h"
#include "sv-restore-map.h"
#include "sv-vcard.h"
#include "sv-mirror-test-util.h"

static GPtrArray *
parse_fixture (const char     *name,
               SvImportFlags   flags,
               GPtrArray     **warnings,
               GError        **error)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "mirror", "data", name, NULL);
  g_autofree char *text = NULL;
  gsize len;

  g_assert_true (g_file_get_contents (path, &text, &len, NULL));
  return sv_contacts_parse_file (text, len, SV_CONTACT_FORMAT_AUTO, flags, warnings, error);
}

#define CONTACT(arr, i) ((const SvContact *) g_ptr_array_index (arr, i))

static void
test_gnome_contacts (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) c = parse_fixture ("gnome-contacts.vcf", 0, NULL, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (c->len, ==, 2);
  g_assert_cmpstr (sv_contact_get_name (CONTACT (c, 0)), ==, "Zoë Müller");
  g_assert_cmpstr (sv_contact_get_number (CONTACT (c, 0)), ==, "+49 171 7654321");   /* PREF */
  g_assert_cmpstr (sv_contact_get_additional_numbers (CONTACT (c, 0))[0], ==, "+49 30 1234567");
  g_assert_cmpstr (sv_contact_get_emails (CONTACT (c, 0))[0], ==, "zoe@example.org");
  g_assert_cmpuint (sv_contact_get_index (CONTACT (c, 0)), ==, 0);
  g_assert_cmpstr (sv_contact_get_name (CONTACT (c, 1)), ==, "Li Lei with a very long display name");
}

static void
test_thunderbird (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) c = parse_fixture ("thunderbird.vcf", 0, NULL, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (c->len, ==, 1);
  g_assert_cmpstr (sv_contact_get_name (CONTACT (c, 0)), ==, "Ana García");
  g_assert_cmpstr (sv_contact_get_number (CONTACT (c, 0)), ==, "+34 600 111 222");   /* cell */
  g_assert_cmpstr (sv_contact_get_additional_numbers (CONTACT (c, 0))[0], ==, "+34 91 555 0100");
  g_assert_cmpstr (sv_contact_get_emails (CONTACT (c, 0))[0], ==, "ana@example.com");
}

static void
test_android (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) c = parse_fixture ("android.vcf", 0, NULL, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (c->len, ==, 2);
  g_assert_cmpstr (sv_contact_get_name (CONTACT (c, 0)), ==, "王小明");
  g_assert_cmpstr (sv_contact_get_number (CONTACT (c, 0)), ==, "+8613912345678");
  g_assert_cmpstr (sv_contact_get_additional_numbers (CONTACT (c, 0))[0], ==, "010-12345678");
  g_assert_cmpstr (sv_contact_get_name (CONTACT (c, 1)), ==, "John Smith");
  g_assert_cmpstr (sv_contact_get_number (CONTACT (c, 1)), ==, "555-0199");
}

static void
test_google_csv (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) c = parse_fixture ("google.csv", 0, NULL, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (c->len, ==, 2);
  g_assert_cmpstr (sv_contact_get_name (CONTACT (c, 0)), ==, "Wang Fang");
  g_assert_cmpstr (sv_contact_get_number (CONTACT (c, 0)), ==, "+86 139 0000 1111");
  g_assert_cmpstr (sv_contact_get_additional_numbers (CONTACT (c, 0))[0], ==, "010 8888 9999");
  g_assert_cmpstr (sv_contact_get_emails (CONTACT (c, 0))[0], ==, "wf@example.cn");
  g_assert_cmpstr (sv_contact_get_name (CONTACT (c, 1)), ==, "Doe, Jane");
  g_assert_cmpstr (sv_contact_get_number (CONTACT (c, 1)), ==, "555 0100");
  g_assert_cmpstr (sv_contact_get_additional_numbers (CONTACT (c, 1))[0], ==, "555 0101");
  g_assert_cmpstr (sv_contact_get_second_name (CONTACT (c, 1)), ==, "JD");
}

static void
test_malformed (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) c = parse_fixture ("malformed.vcf", 0, NULL, &error);
  g_autoptr(GPtrArray) warnings = NULL;
  g_autoptr(GPtrArray) partial = NULL;
  g_autoptr(GPtrArray) csv = NULL;

  g_assert_null (c);
  g_assert_error (error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_INVALID);
  g_assert_true (g_str_has_prefix (error->message, "line 9:"));
  g_clear_error (&error);

  partial = parse_fixture ("malformed.vcf", SV_IMPORT_PARTIAL, &warnings, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (partial->len, ==, 1);
  g_assert_cmpuint (warnings->len, ==, 1);
  g_assert_true (g_str_has_prefix (g_ptr_array_index (warnings, 0), "line 9:"));

  csv = parse_fixture ("malformed.csv", 0, NULL, &error);
  g_assert_null (csv);
  g_assert_error (error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "line 3"));
}

static GPtrArray *
sample_contacts (void)
{
  GPtrArray *c = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_contact_unref);
  const char *anr[] = { "+4930111", "0800 1", NULL };
  const char *mail[] = { "a;b@example.org", NULL };

  g_ptr_array_add (c, sv_contact_new (1, 3, "Zoë, \"the\" Müller\\x", "+491717654321",
                                      anr, mail, "Zo\në"));
  g_ptr_array_add (c, sv_contact_new (0, 250, "王小明 with a name longer than seventy-five octets when folded in a line", "*#31#", NULL, NULL, NULL));
  return c;
}

static void
assert_same_contacts (GPtrArray *a,
                      GPtrArray *b)
{
  g_assert_cmpuint (a->len, ==, b->len);
  for (guint i = 0; i < a->len; i++)
    g_assert_true (sv_contact_equal (CONTACT (a, i), CONTACT (b, i)));
}

static void
test_round_trip (gconstpointer data)
{
  const char *format = data;
  g_autoptr(GPtrArray) contacts = sample_contacts ();
  g_autoptr(GPtrArray) back = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  if (g_str_equal (format, "vcard3"))
    text = sv_vcard_export (contacts, SV_VCARD_VERSION_3_0, TEST_ICCID);
  else if (g_str_equal (format, "vcard4"))
    text = sv_vcard_export (contacts, SV_VCARD_VERSION_4_0, TEST_ICCID);
  else
    text = sv_csv_export (contacts);

  if (!g_str_equal (format, "csv"))
    {
      /* Folded at 75 octets, CRLF. */
      g_auto(GStrv) lines = g_strsplit (text, "\r\n", -1);
      for (guint i = 0; lines[i]; i++)
        g_assert_cmpuint (strlen (lines[i]), <=, 75);
    }
  else
    /* A second name with a line break stays in one quoted field. */
    g_assert_nonnull (strstr (text, "\"Zo\në\""));

  back = sv_contacts_parse_file (text, -1, SV_CONTACT_FORMAT_AUTO, 0, NULL, &error);
  g_assert_no_error (error);
  if (g_str_equal (format, "csv"))
    {
      /* CSV keeps several values with " ; ": an e-mail with ";" splits. */
      g_assert_cmpuint (back->len, ==, 2);
      g_assert_cmpstr (sv_contact_get_name (CONTACT (back, 0)), ==, "Zoë, \"the\" Müller\\x");
      g_assert_cmpuint (sv_contact_get_index (CONTACT (back, 1)), ==, 250);
      g_assert_true (sv_contact_equal (CONTACT (back, 1), CONTACT (contacts, 1)));
    }
  else
    assert_same_contacts (contacts, back);
}

typedef struct
{
  char     *dir;
  SvMirror *mirror;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autoptr(SvCardImage) card = test_card_new (TEST_ICCID, TEST_ALPHA_LEN, TEST_N_ADN, 2);

  f->dir = g_dir_make_tmp ("sv-import-XXXXXX", &error);
  path = g_build_filename (f->dir, "mirror.db", NULL);
  f->mirror = sv_mirror_open (path, &error);
  g_assert_no_error (error);
  g_assert_true (sv_mirror_import_card (f->mirror, card, NULL, &error));
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GDir) dir = g_dir_open (f->dir, 0, NULL);
  const char *name;

  g_clear_object (&f->mirror);
  while (dir && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *p = g_build_filename (f->dir, name, NULL);
      g_remove (p);
    }
  g_rmdir (f->dir);
  g_free (f->dir);
}

static void
test_import_all_or_nothing (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) contacts = parse_fixture ("gnome-contacts.vcf", 0, NULL, &error);
  g_autoptr(GPtrArray) pending = NULL;
  g_autoptr(GPtrArray) warnings = NULL;
  guint n = 99;

  /* Zoë's e-mail and additional number do not fit a 2G card, nor the
   * 36-character name of Li Lei: nothing is stored. */
  g_assert_false (sv_mirror_import_contacts (f->mirror, TEST_ICCID, contacts, 0, NULL, &n, &error));
  g_assert_error (error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_DOES_NOT_FIT);
  g_assert_nonnull (strstr (error->message, "2 of 2 contacts do not fit"));
  g_assert_nonnull (strstr (error->message, "Li Lei"));
  g_assert_cmpuint (n, ==, 0);
  g_clear_error (&error);
  pending = sv_mirror_get_pending (f->mirror, TEST_ICCID, &error);
  g_assert_cmpuint (pending->len, ==, 0);
  g_clear_pointer (&pending, g_ptr_array_unref);

  /* Android's contacts fit: placed in the free records 3 and 4. */
  g_clear_pointer (&contacts, g_ptr_array_unref);
  contacts = parse_fixture ("android.vcf", 0, NULL, &error);
  g_assert_false (sv_mirror_import_contacts (f->mirror, TEST_ICCID, contacts, 0, NULL, &n, &error));
  g_clear_error (&error);
  g_assert_true (sv_mirror_import_contacts (f->mirror, TEST_ICCID, contacts, SV_IMPORT_PARTIAL, &warnings, &n, &error));
  g_assert_no_error (error);
  /* 王小明 has an additional number the 2G card cannot hold: skipped. */
  g_assert_cmpuint (n, ==, 1);
  g_assert_cmpuint (warnings->len, ==, 1);
  pending = sv_mirror_get_pending (f->mirror, TEST_ICCID, &error);
  g_assert_cmpuint (pending->len, ==, 1);
  g_assert_cmpuint (((SvMirrorPendingRecord *) g_ptr_array_index (pending, 0))->index, ==, 3);
}

static void
test_restore_preview_smaller (Fixture       *f,
                              gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvCardImage) small = test_card_new ("8944000000000000002", 8, 3, 0);
  g_autoptr(SvContact) cyr = sv_contact_new (0, 4, "Александра", "123", NULL, NULL, NULL);
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GPtrArray) pending = NULL;
  SvRestoreEntry *e;

  g_assert_true (sv_mirror_import_card (f->mirror, small, NULL, &error));
  g_assert_true (sv_mirror_store_contact (f->mirror, TEST_ICCID, cyr, NULL, &error));
  g_assert_no_error (error);

  entries = sv_mirror_restore_preview (f->mirror, TEST_ICCID, "8944000000000000002", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (entries->len, ==, 4);
  e = g_ptr_array_index (entries, 0);
  g_assert_cmpint (e->outcome, ==, SV_RESTORE_FITS);                   /* Alice */
  e = g_ptr_array_index (entries, 2);
  g_assert_cmpint (e->outcome, ==, SV_RESTORE_TRUNCATED);              /* Александра */
  g_assert_cmpuint (sv_contact_get_index (e->target), ==, 3);
  g_assert_cmpstr (sv_contact_get_name (e->target), ==, "Алекс");
  g_assert_nonnull (strstr (e->message, "5 character(s) cut"));
  e = g_ptr_array_index (entries, 3);
  g_assert_cmpint (e->outcome, ==, SV_RESTORE_OVERFLOW);               /* Odd, record 9 */
  g_assert_null (e->target);

  /* Nothing changed by the preview; applying needs the confirmation. */
  pending = sv_mirror_get_pending (f->mirror, "8944000000000000002", &error);
  g_assert_cmpuint (pending->len, ==, 0);
  g_clear_pointer (&pending, g_ptr_array_unref);
  g_assert_false (sv_mirror_restore_apply (f->mirror, TEST_ICCID, "8944000000000000002", FALSE, NULL, &error));
  g_assert_error (error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_DOES_NOT_FIT);
  g_clear_error (&error);
  g_assert_true (sv_mirror_restore_apply (f->mirror, TEST_ICCID, "8944000000000000002", TRUE, NULL, &error));
  g_assert_no_error (error);
  pending = sv_mirror_get_pending (f->mirror, "8944000000000000002", &error);
  /* Alice and Bob are already the same bytes on the small card: only
   * record 3 (the shortened name) changes. */
  g_assert_cmpuint (pending->len, ==, 1);
  g_assert_cmpuint (((SvMirrorPendingRecord *) g_ptr_array_index (pending, 0))->index, ==, 3);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sv/mirror/vcard/gnome-contacts", test_gnome_contacts);
  g_test_add_func ("/sv/mirror/vcard/thunderbird", test_thunderbird);
  g_test_add_func ("/sv/mirror/vcard/android-2.1", test_android);
  g_test_add_func ("/sv/mirror/csv/google", test_google_csv);
  g_test_add_func ("/sv/mirror/import/malformed", test_malformed);
  g_test_add_data_func ("/sv/mirror/round-trip/vcard3", "vcard3", test_round_trip);
  g_test_add_data_func ("/sv/mirror/round-trip/vcard4", "vcard4", test_round_trip);
  g_test_add_data_func ("/sv/mirror/round-trip/csv", "csv", test_round_trip);
  g_test_add ("/sv/mirror/import/all-or-nothing", Fixture, NULL, fixture_setup,
              test_import_all_or_nothing, fixture_teardown);
  g_test_add ("/sv/mirror/restore/preview-smaller-card", Fixture, NULL, fixture_setup,
              test_restore_preview_smaller, fixture_teardown);
  return g_test_run ();
}
