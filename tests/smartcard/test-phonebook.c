/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The phonebook model over hand-built card images. Every
 * record below is written out in hex from TS 51.011 §10.5.1/§10.5.10,
 * TS 31.102 §4.4.2 and TS 23.040, not produced by SimVault's encoders. */
#include "config.h"

#include <string.h>

#include "sv-hex.h"
#include "sv-phonebook.h"

#define FF2  "FF FF"
#define FF4  "FF FF FF FF"
#define FF8  "FF FF FF FF FF FF FF FF"
#define FF10 "FF FF FF FF FF FF FF FF FF FF"
#define EXT1_FREE_00 "00 FF FF FF FF FF FF FF FF FF FF FF FF"

static void
set_hex (SvCardImage *image,
         const char  *key,
         guint        index,
         const char  *text)
{
  g_autoptr(GBytes) bytes = sv_hex_to_bytes (text);
  g_autoptr(GError) error = NULL;

  if (!sv_card_image_set_record (image, key, index, bytes, &error))
    g_error ("%s %u: %s", key, index, error->message);
}

static void
assert_record (SvCardImage *image,
               const char  *key,
               guint        index,
               const char  *text)
{
  g_autoptr(GBytes) expected = sv_hex_to_bytes (text);
  GBytes *actual = sv_card_image_get_record (image, key, index);

  g_assert_nonnull (actual);
  if (!g_bytes_equal (expected, actual))
    {
      g_autofree char *got = NULL;
      GString *s = g_string_new (NULL);
      gsize len;
      const guint8 *d = g_bytes_get_data (actual, &len);

      for (gsize i = 0; i < len; i++)
        g_string_append_printf (s, "%02X ", d[i]);
      got = g_string_free (s, FALSE);
      g_error ("%s record %u: expected %s, got %s", key, index, text, got);
    }
}

/* Asserts the diff between @base and @changed is exactly @expected, a
 * NULL-terminated list of "key:index" in diff order. */
static void
assert_diff (SvCardImage *base,
             SvCardImage *changed,
             const char  *expected[])
{
  g_autoptr(GPtrArray) changes = sv_card_image_diff (base, changed);
  g_autoptr(GString) got = g_string_new (NULL);
  g_autoptr(GString) want = g_string_new (NULL);

  for (guint i = 0; i < changes->len; i++)
    {
      SvRecordChange *change = g_ptr_array_index (changes, i);

      g_string_append_printf (got, "%s:%u ", change->key, change->index);
    }
  for (guint i = 0; expected[i]; i++)
    g_string_append_printf (want, "%s ", expected[i]);

  g_assert_cmpstr (got->str, ==, want->str);
}

static SvContact *
find_contact (GPtrArray *contacts,
              guint      set,
              guint      index)
{
  for (guint i = 0; i < contacts->len; i++)
    {
      SvContact *contact = g_ptr_array_index (contacts, i);

      if (sv_contact_get_set (contact) == set && sv_contact_get_index (contact) == index)
        return contact;
    }
  return NULL;
}

/* 2G image: EF_ADN with X = 10 alpha bytes (24-byte records), 5 records;
 * EF_EXT1 with 4 records. */
#define DIGITS45 "123456789012345678901234567890123456789012345"

static SvCardImage *
build_sim_image (void)
{
  SvCardImage *image = sv_card_image_new (SV_CARD_TYPE_SIM);

  sv_card_image_add_file (image, "adn", "3F007F106F3A", SV_FILE_STRUCTURE_LINEAR_FIXED, 24, 5);
  sv_card_image_add_file (image, "ext1", "3F007F106F4A", SV_FILE_STRUCTURE_LINEAR_FIXED, 13, 4);

  /* 1: "Alice" GSM, +4915112345678: 13 digits, 7 BCD bytes, length 8,
   * TON/NPI 91 (international, ISDN) */
  set_hex (image, "adn", 1, "41 6C 69 63 65 FF FF FF FF FF  08 91 94 51 11 32 54 76 F8 FF FF FF  FF FF");
  /* 2: "Жук" UCS2 0x80 (U+0416 U+0443 U+043A), 12345 */
  set_hex (image, "adn", 2, "80 04 16 04 43 04 3A FF FF FF  04 81 21 43 F5 FF FF FF FF FF FF FF  FF FF");
  /* 3: "Жук" UCS2 0x81, base 0x0400 (pointer 08), 45 digits: 20 in ADN
   * (length 0B), then EXT1 record 2 (20 digits) -> record 4 (5 digits) */
  set_hex (image, "adn", 3, "81 03 08 96 C3 BA FF FF FF FF  0B 81 21 43 65 87 09 21 43 65 87 09  FF 02");
  set_hex (image, "ext1", 2, "02 0A 21 43 65 87 09 21 43 65 87 09 04");
  set_hex (image, "ext1", 4, "02 03 21 43 F5 FF FF FF FF FF FF FF FF");
  /* EXT1 record 3: type '00' = free (TS 31.102 §4.4.2.4); 1 is erased */
  set_hex (image, "ext1", 3, EXT1_FREE_00);

  return image;
}

static void
test_sim_decode (void)
{
  g_autoptr(SvCardImage) image = build_sim_image ();
  g_autoptr(GPtrArray) contacts = NULL;
  g_autoptr(GError) error = NULL;
  SvContact *c;

  g_assert_cmpuint (sv_phonebook_get_n_sets (image), ==, 1);
  contacts = sv_phonebook_decode (image, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (contacts->len, ==, 3);

  c = g_ptr_array_index (contacts, 0);
  g_assert_cmpuint (sv_contact_get_set (c), ==, 0);
  g_assert_cmpuint (sv_contact_get_index (c), ==, 1);
  g_assert_cmpstr (sv_contact_get_name (c), ==, "Alice");
  g_assert_cmpstr (sv_contact_get_number (c), ==, "+4915112345678");

  c = g_ptr_array_index (contacts, 1);
  g_assert_cmpuint (sv_contact_get_index (c), ==, 2);
  g_assert_cmpstr (sv_contact_get_name (c), ==, "Жук");
  g_assert_cmpstr (sv_contact_get_number (c), ==, "12345");

  c = g_ptr_array_index (contacts, 2);
  g_assert_cmpuint (sv_contact_get_index (c), ==, 3);
  g_assert_cmpstr (sv_contact_get_name (c), ==, "Жук");
  g_assert_cmpstr (sv_contact_get_number (c), ==, DIGITS45);

  g_assert_cmpuint (sv_phonebook_find_free_index (image, 0), ==, 4);
}

/* sv_phonebook_get_limits () of @set answers @expected, every field; a
 * NULL @expected: there is no such set. */
static void
assert_limits (SvCardImage             *image,
               guint                    set,
               const SvPhonebookLimits *expected)
{
  g_autoptr(GError) error = NULL;
  SvPhonebookLimits limits;

  if (expected == NULL)
    {
      g_assert_false (sv_phonebook_get_limits (image, set, &limits, &error));
      g_assert_error (error, SV_PHONEBOOK_ERROR, SV_PHONEBOOK_ERROR_NO_SUCH_SET);
      return;
    }
  g_assert_true (sv_phonebook_get_limits (image, set, &limits, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (limits.set, ==, expected->set);
  g_assert_cmpuint (limits.n_records, ==, expected->n_records);
  g_assert_cmpuint (limits.alpha_len, ==, expected->alpha_len);
  g_assert_cmpuint (limits.n_ext1_records, ==, expected->n_ext1_records);
  g_assert_cmpuint (limits.n_ext1_free, ==, expected->n_ext1_free);
  g_assert_cmpuint (limits.n_anr, ==, expected->n_anr);
  g_assert_cmpuint (limits.n_email, ==, expected->n_email);
  g_assert_cmpuint (limits.email_len, ==, expected->email_len);
  g_assert_cmpuint (limits.sne_len, ==, expected->sne_len);
}

static void
test_sim_limits (void)
{
  g_autoptr(SvCardImage) image = build_sim_image ();

  assert_limits (image, 0, &(SvPhonebookLimits) {
    .set = 0, .n_records = 5, .alpha_len = 10, .n_ext1_records = 4, .n_ext1_free = 2 });
  assert_limits (image, 1, NULL);
}

static void
test_sim_store_new (void)
{
  g_autoptr(SvCardImage) base = build_sim_image ();
  g_autoptr(SvCardImage) image = sv_card_image_copy (base);
  g_autoptr(SvContact) bob = sv_contact_new (0, 4, "Bob", "0123", NULL, NULL, NULL);
  g_autoptr(GError) error = NULL;
  const char *expected[] = { "adn:4", NULL };

  g_assert_true (sv_phonebook_store_contact (image, bob, &error));
  g_assert_no_error (error);
  assert_diff (base, image, expected);
  /* "Bob" GSM; 0123 = 10 32, length 3, TON/NPI 81 */
  assert_record (image, "adn", 4, "42 6F 62 FF FF FF FF FF FF FF  03 81 10 32 FF FF FF FF FF FF FF FF  FF FF");
}

static void
test_sim_edit_name (void)
{
  g_autoptr(SvCardImage) base = build_sim_image ();
  g_autoptr(SvCardImage) image = sv_card_image_copy (base);
  g_autoptr(SvContact) c1 = sv_contact_new (0, 1, "Alicia", "+4915112345678", NULL, NULL, NULL);
  g_autoptr(SvContact) c3 = sv_contact_new (0, 3, "Zhuk", DIGITS45, NULL, NULL, NULL);
  g_autoptr(GError) error = NULL;
  const char *expected[] = { "adn:1", "adn:3", NULL };

  g_assert_true (sv_phonebook_store_contact (image, c1, &error));
  g_assert_no_error (error);
  /* the contact with an EXT1 chain: renaming leaves the chain alone */
  g_assert_true (sv_phonebook_store_contact (image, c3, &error));
  g_assert_no_error (error);
  assert_diff (base, image, expected);
  assert_record (image, "adn", 1, "41 6C 69 63 69 61 FF FF FF FF  08 91 94 51 11 32 54 76 F8 FF FF FF  FF FF");
  assert_record (image, "adn", 3, "5A 68 75 6B FF FF FF FF FF FF  0B 81 21 43 65 87 09 21 43 65 87 09  FF 02");

  /* storing what is already there changes nothing */
  {
    g_autoptr(SvCardImage) again = sv_card_image_copy (image);
    const char *none[] = { NULL };

    g_assert_true (sv_phonebook_store_contact (again, c1, &error));
    assert_diff (image, again, none);
  }
}

static void
test_sim_lengthen_number (void)
{
  g_autoptr(SvCardImage) base = build_sim_image ();
  g_autoptr(SvCardImage) image = sv_card_image_copy (base);
  /* 25 digits: 20 in EF_ADN, 5 in the first free EXT1 record (1) */
  g_autoptr(SvContact) c = sv_contact_new (0, 1, "Alice", "1234567890123456789012345", NULL, NULL, NULL);
  g_autoptr(GError) error = NULL;
  const char *expected[] = { "adn:1", "ext1:1", NULL };
  g_autoptr(GPtrArray) contacts = NULL;

  g_assert_true (sv_phonebook_store_contact (image, c, &error));
  g_assert_no_error (error);
  assert_diff (base, image, expected);
  assert_record (image, "adn", 1, "41 6C 69 63 65 FF FF FF FF FF  0B 81 21 43 65 87 09 21 43 65 87 09  FF 01");
  assert_record (image, "ext1", 1, "02 03 21 43 F5 FF FF FF FF FF FF FF FF");

  contacts = sv_phonebook_decode (image, &error);
  g_assert_true (sv_contact_equal (find_contact (contacts, 0, 1), c));
}

static void
test_sim_shorten_number (void)
{
  g_autoptr(SvCardImage) base = build_sim_image ();
  g_autoptr(SvCardImage) image = sv_card_image_copy (base);
  g_autoptr(SvCardImage) image2 = sv_card_image_copy (base);
  g_autoptr(SvContact) short3 = sv_contact_new (0, 3, "Жук", "999", NULL, NULL, NULL);
  g_autoptr(SvContact) mid3 = sv_contact_new (0, 3, "Жук", "1234567890123456789012345", NULL, NULL, NULL);
  g_autoptr(GError) error = NULL;
  const char *expected[] = { "adn:3", "ext1:2", "ext1:4", NULL };
  const char *expected_mid[] = { "ext1:2", "ext1:4", NULL };

  /* 45 -> 3 digits: both EXT1 records freed ('00' type, TS 31.102 §4.4.2.4) */
  g_assert_true (sv_phonebook_store_contact (image, short3, &error));
  g_assert_no_error (error);
  assert_diff (base, image, expected);
  assert_record (image, "adn", 3, "81 03 08 96 C3 BA FF FF FF FF  03 81 99 F9 FF FF FF FF FF FF FF FF  FF FF");
  assert_record (image, "ext1", 2, EXT1_FREE_00);
  assert_record (image, "ext1", 4, EXT1_FREE_00);

  /* 45 -> 25 digits: the chain's first record (2) is reused, 4 freed;
   * the EF_ADN record itself (first 20 digits, pointer to 2) stays */
  g_assert_true (sv_phonebook_store_contact (image2, mid3, &error));
  g_assert_no_error (error);
  assert_diff (base, image2, expected_mid);
  assert_record (image2, "adn", 3, "81 03 08 96 C3 BA FF FF FF FF  0B 81 21 43 65 87 09 21 43 65 87 09  FF 02");
  assert_record (image2, "ext1", 2, "02 03 21 43 F5 FF FF FF FF FF FF FF FF");
  assert_record (image2, "ext1", 4, EXT1_FREE_00);
}

static void
test_sim_delete (void)
{
  g_autoptr(SvCardImage) base = build_sim_image ();
  g_autoptr(SvCardImage) image = sv_card_image_copy (base);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) contacts = NULL;
  const char *expected[] = { "adn:3", "ext1:2", "ext1:4", NULL };

  g_assert_true (sv_phonebook_delete_contact (image, 0, 3, &error));
  g_assert_no_error (error);
  assert_diff (base, image, expected);
  assert_record (image, "adn", 3, FF10 " " FF10 " " FF4);
  assert_record (image, "ext1", 2, EXT1_FREE_00);

  contacts = sv_phonebook_decode (image, &error);
  g_assert_cmpuint (contacts->len, ==, 2);
  g_assert_null (find_contact (contacts, 0, 3));

  g_assert_false (sv_phonebook_delete_contact (image, 0, 6, &error));
  g_assert_error (error, SV_PHONEBOOK_ERROR, SV_PHONEBOOK_ERROR_OUT_OF_RANGE);
}

static SvFitProblem *
find_problem (GPtrArray  *problems,
              const char *field)
{
  for (guint i = 0; i < problems->len; i++)
    {
      SvFitProblem *problem = g_ptr_array_index (problems, i);

      if (g_str_equal (problem->field, field))
        return problem;
    }
  return NULL;
}

static void
test_sim_validation (void)
{
  g_autoptr(SvCardImage) image = build_sim_image ();
  SvFitProblem *problem;

  /* 6 Cyrillic letters: 0x80 needs 1 + 12 = 13 bytes, 0x81 needs 3 + 6 = 9 <= 10 */
  {
    g_autoptr(SvContact) c = sv_contact_new (0, 4, "Жукова", "1", NULL, NULL, NULL);
    g_autoptr(GPtrArray) problems = sv_phonebook_check_contact (image, c);
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) contacts = NULL;

    g_assert_cmpuint (problems->len, ==, 0);
    g_assert_true (sv_phonebook_store_contact (image, c, &error));
    g_assert_no_error (error);
    /* 0x81, 6 chars, base 0x0400: Ж 96 у C3 к BA о BE в B2 а B0 */
    assert_record (image, "adn", 4, "81 06 08 96 C3 BA BE B2 B0 FF  02 81 F1 FF FF FF FF FF FF FF FF FF  FF FF");
    contacts = sv_phonebook_decode (image, &error);
    g_assert_true (sv_contact_equal (find_contact (contacts, 0, 4), c));
  }

  /* 8 letters need 11 bytes in 0x81: one too many */
  {
    g_autoptr(SvContact) c = sv_contact_new (0, 5, "Жуковска", "1", NULL, NULL, NULL);
    g_autoptr(GPtrArray) problems = sv_phonebook_check_contact (image, c);
    g_autoptr(GError) error = NULL;
    g_autoptr(SvCardImage) before = sv_card_image_copy (image);
    const char *none[] = { NULL };

    g_assert_cmpuint (problems->len, ==, 1);
    problem = find_problem (problems, "name");
    g_assert_nonnull (problem);
    g_assert_cmpint (problem->excess, ==, 1);
    g_assert_nonnull (strstr (problem->message, "1 character"));

    /* nothing is written when it does not fit */
    g_assert_false (sv_phonebook_store_contact (image, c, &error));
    g_assert_error (error, SV_PHONEBOOK_ERROR, SV_PHONEBOOK_ERROR_DOES_NOT_FIT);
    assert_diff (before, image, none);
  }

  /* invalid characters */
  {
    g_autoptr(SvContact) c = sv_contact_new (0, 5, "X", "12a4", NULL, NULL, NULL);
    g_autoptr(GPtrArray) problems = sv_phonebook_check_contact (image, c);

    problem = find_problem (problems, "number");
    g_assert_nonnull (problem);
    g_assert_nonnull (strstr (problem->message, "character 3 ('a')"));
  }

  /* index out of range, and no additional numbers on a SIM */
  {
    const char *anrs[] = { "1", NULL };
    g_autoptr(SvContact) c = sv_contact_new (0, 6, "X", "1", NULL, NULL, NULL);
    g_autoptr(SvContact) d = sv_contact_new (0, 5, "X", "1", anrs, NULL, "Y");
    g_autoptr(GPtrArray) problems = sv_phonebook_check_contact (image, c);
    g_autoptr(GPtrArray) problems_d = sv_phonebook_check_contact (image, d);

    g_assert_nonnull (find_problem (problems, "index"));
    problem = find_problem (problems_d, "additional_numbers[0]");
    g_assert_nonnull (problem);
    g_assert_cmpint (problem->excess, ==, 1);
    g_assert_nonnull (find_problem (problems_d, "second_name"));
  }
}

static void
test_sim_ext1_capacity (void)
{
  g_autoptr(SvCardImage) image = build_sim_image ();
  g_autoptr(GString) digits101 = g_string_new (NULL);
  g_autoptr(GString) digits100 = NULL;
  SvFitProblem *problem;

  /* use up the two free EXT1 records (1 and 3) */
  set_hex (image, "ext1", 1, "02 01 11 FF FF FF FF FF FF FF FF FF FF");
  set_hex (image, "ext1", 3, "02 01 11 FF FF FF FF FF FF FF FF FF FF");

  /* 21 digits on a new entry, no free EXT1 record: 1 too many */
  {
    g_autoptr(SvContact) c = sv_contact_new (0, 5, "X", "123456789012345678901", NULL, NULL, NULL);
    g_autoptr(GPtrArray) problems = sv_phonebook_check_contact (image, c);
    g_autoptr(GError) error = NULL;

    problem = find_problem (problems, "number");
    g_assert_nonnull (problem);
    g_assert_cmpint (problem->excess, ==, 1);
    g_assert_nonnull (strstr (problem->message, "21 digits"));
    g_assert_false (sv_phonebook_store_contact (image, c, &error));
  }

  /* entry 3 owns two records: 60 digits fit, 61 do not */
  for (guint i = 0; i < 61; i++)
    g_string_append_c (digits101, '0' + i % 10);
  {
    g_autoptr(SvContact) c = sv_contact_new (0, 3, "X", digits101->str, NULL, NULL, NULL);
    g_autoptr(GPtrArray) problems = sv_phonebook_check_contact (image, c);

    problem = find_problem (problems, "number");
    g_assert_nonnull (problem);
    g_assert_cmpint (problem->excess, ==, 1);
  }
  digits100 = g_string_new_len (digits101->str, 60);
  {
    g_autoptr(SvContact) c = sv_contact_new (0, 3, "X", digits100->str, NULL, NULL, NULL);
    g_autoptr(GPtrArray) problems = sv_phonebook_check_contact (image, c);
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) contacts = NULL;

    g_assert_cmpuint (problems->len, ==, 0);
    g_assert_true (sv_phonebook_store_contact (image, c, &error));
    g_assert_no_error (error);
    contacts = sv_phonebook_decode (image, &error);
    g_assert_cmpstr (sv_contact_get_number (find_contact (contacts, 0, 3)), ==, digits100->str);
  }
}

/* USIM image. EF_PBR record 1 (48 bytes):
 *   A8 19: C0 03 4F3A 01 (ADN, SFI 01), C3 02 4F19 (SNE), C4 02 4F11 (ANR),
 *          C5 02 4F09 (PBC), C9 02 4F21 (UID), C1 02 4F25 (IAP)
 *   A9 04: CA 02 4F50 (EMAIL, type 2: IAP byte 1)
 *   AA 04: C2 02 4F4A (EXT1)
 * EF_PBR record 2: A8 05: C0 03 4F3B 02 (a second set with only ADN). */
static SvCardImage *
build_usim_image (void)
{
  SvCardImage *image = sv_card_image_new (SV_CARD_TYPE_USIM);

  sv_card_image_add_file (image, "pbr", "7FFF5F3A4F30", SV_FILE_STRUCTURE_LINEAR_FIXED, 48, 2);
  set_hex (image, "pbr", 1,
           "A8 19 C0 03 4F 3A 01 C3 02 4F 19 C4 02 4F 11 C5 02 4F 09 C9 02 4F 21 C1 02 4F 25 "
           "A9 04 CA 02 4F 50 AA 04 C2 02 4F 4A " FF8 " FF");
  set_hex (image, "pbr", 2, "A8 05 C0 03 4F 3B 02 " FF10 " " FF10 " " FF10 " " FF10 " FF");

  /* ADN: X = 8 (22-byte records) */
  sv_card_image_add_file (image, "pb1/adn", "7FFF5F3A4F3A", SV_FILE_STRUCTURE_LINEAR_FIXED, 22, 4);
  sv_card_image_add_file (image, "pb1/sne1", "7FFF5F3A4F19", SV_FILE_STRUCTURE_LINEAR_FIXED, 10, 4);
  sv_card_image_add_file (image, "pb1/anr1", "7FFF5F3A4F11", SV_FILE_STRUCTURE_LINEAR_FIXED, 15, 4);
  sv_card_image_add_file (image, "pb1/pbc", "7FFF5F3A4F09", SV_FILE_STRUCTURE_LINEAR_FIXED, 2, 4);
  sv_card_image_add_file (image, "pb1/uid", "7FFF5F3A4F21", SV_FILE_STRUCTURE_LINEAR_FIXED, 2, 4);
  sv_card_image_add_file (image, "pb1/iap", "7FFF5F3A4F25", SV_FILE_STRUCTURE_LINEAR_FIXED, 1, 4);
  sv_card_image_add_file (image, "pb1/email1", "7FFF5F3A4F50", SV_FILE_STRUCTURE_LINEAR_FIXED, 20, 3);
  sv_card_image_add_file (image, "pb1/ext1", "7FFF5F3A4F4A", SV_FILE_STRUCTURE_LINEAR_FIXED, 13, 2);
  sv_card_image_add_file (image, "pb2/adn", "7FFF5F3A4F3B", SV_FILE_STRUCTURE_LINEAR_FIXED, 22, 2);
  sv_card_image_add_file (image, "cc", "7FFF5F3A4F23", SV_FILE_STRUCTURE_TRANSPARENT, 2, 1);
  sv_card_image_add_file (image, "puid", "7FFF5F3A4F24", SV_FILE_STRUCTURE_TRANSPARENT, 2, 1);
  sv_card_image_add_file (image, "psc", "7FFF5F3A4F22", SV_FILE_STRUCTURE_TRANSPARENT, 4, 1);
  /* the 2G view of the same card: must not show up a second time */
  sv_card_image_add_file (image, "adn", "3F007F106F3A", SV_FILE_STRUCTURE_LINEAR_FIXED, 22, 4);
  set_hex (image, "adn", 1, "43 61 72 6F 6C FF FF FF  03 81 21 43 FF FF FF FF FF FF FF FF  FF FF");

  /* set 1 entry 1: "Carol" 1234, ANR 5678 (AAS 00), SNE "CJ",
   * e-mail "c@x.org" (GSM: @ = 00) in EMAIL record 1 via IAP, which ends
   * with ADN SFI 01 and ADN record 01 */
  set_hex (image, "pb1/adn", 1, "43 61 72 6F 6C FF FF FF  03 81 21 43 FF FF FF FF FF FF FF FF  FF FF");
  set_hex (image, "pb1/anr1", 1, "00 03 81 65 87 FF FF FF FF FF FF FF FF  FF FF");
  set_hex (image, "pb1/sne1", 1, "43 4A FF FF FF FF FF FF FF FF");
  set_hex (image, "pb1/iap", 1, "01");
  set_hex (image, "pb1/email1", 1, "63 00 78 2E 6F 72 67 FF FF FF FF FF FF FF FF FF FF FF  01 01");
  set_hex (image, "pb1/pbc", 1, "00 00");
  set_hex (image, "pb1/uid", 1, "00 01");
  set_hex (image, "pb1/pbc", 2, "00 00");
  set_hex (image, "pb1/uid", 2, "00 00");
  set_hex (image, "puid", 1, "00 01");
  set_hex (image, "cc", 1, "00 05");
  set_hex (image, "psc", 1, "00 00 00 01");

  /* set 2 entry 1: "Dave" +123 */
  set_hex (image, "pb2/adn", 1, "44 61 76 65 FF FF FF FF  03 91 21 F3 FF FF FF FF FF FF FF FF  FF FF");

  return image;
}

/* Where the model follows the codec since it stopped keeping its own BCD,
 * EF_EXT1 and alpha decoders: one row per record of EF_ADN record 5. */
typedef struct
{
  const char *what;
  const char *adn;              /* record 5 */
  const char *ext1_1;           /* EF_EXT1 record 1, or NULL to leave it erased */
  const char *name;             /* NULL: no contact */
  const char *number;
} DecodeCase;

static const DecodeCase decode_cases[] = {
  /* TS 51.011 §10.5.1: BCD D is the "wild" value, E is RFU; the codec
   * writes them 'w' and 'e' (the model used to show '?' and drop E on) */
  { "wild-and-rfu", "42 FF FF FF FF FF FF FF FF FF  04 81 21 DE F3 FF FF FF FF FF FF FF  FF FF",
    NULL, "B", "12ew3" },
  /* a length over 11 is no number (TS 51.011 §10.5.1: at most 11); the
   * model used to read 10 bytes anyway */
  { "length-over-11", "42 FF FF FF FF FF FF FF FF FF  0C 81 21 43 65 87 09 21 43 65 87 09  FF FF",
    NULL, "B", "" },
  /* TON international on a supplementary service string: the '+' goes in
   * front of the number part (TS 22.030), not in front of "*21*" */
  { "ss-international", "42 FF FF FF FF FF FF FF FF FF  06 91 2A A1 94 21 B3 FF FF FF FF FF  FF FF",
    NULL, "B", "*21*+49123#" },
  /* an EXT1 chain that loops: the number is what the ADN record holds */
  { "ext1-loop", "42 FF FF FF FF FF FF FF FF FF  0B 81 21 43 65 87 09 21 43 65 87 09  FF 01",
    "02 01 21 FF FF FF FF FF FF FF FF FF 01", "B", "12345678901234567890" },
  /* an erased record: no contact */
  { "erased", "FF FF FF FF FF FF FF FF FF FF  FF FF FF FF FF FF FF FF FF FF FF FF  FF FF",
    NULL, NULL, NULL },
};

static void
test_sim_decode_cases (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (decode_cases); i++)
    {
      const DecodeCase *tc = &decode_cases[i];
      g_autoptr(SvCardImage) image = build_sim_image ();
      g_autoptr(GPtrArray) contacts = NULL;
      g_autoptr(GError) error = NULL;
      SvContact *c;

      g_test_message ("case %s", tc->what);
      set_hex (image, "adn", 5, tc->adn);
      if (tc->ext1_1)
        set_hex (image, "ext1", 1, tc->ext1_1);
      contacts = sv_phonebook_decode (image, &error);
      g_assert_no_error (error);
      c = find_contact (contacts, 0, 5);
      if (tc->name == NULL)
        {
          g_assert_null (c);
          continue;
        }
      g_assert_nonnull (c);
      g_assert_cmpstr (sv_contact_get_name (c), ==, tc->name);
      g_assert_cmpstr (sv_contact_get_number (c), ==, tc->number);
    }
}

/* Numbers the codec takes that the model used to refuse: a '+' inside a
 * supplementary service string, 'w' for the wild value; each round-trips. */
static void
test_sim_store_codec_numbers (void)
{
  static const struct { const char *in; const char *stored; const char *footer; } cases[] = {
    { "*21*+49123#", "*21*+49123#", "06 91 2A A1 94 21 B3 FF FF FF FF FF  FF FF" },
    { "12w3", "12w3", "03 81 21 3D FF FF FF FF FF FF FF FF  FF FF" },
    { "12?3", "12w3", "03 81 21 3D FF FF FF FF FF FF FF FF  FF FF" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(SvCardImage) image = build_sim_image ();
      g_autoptr(SvContact) c = sv_contact_new (0, 5, "B", cases[i].in, NULL, NULL, NULL);
      g_autoptr(GPtrArray) problems = sv_phonebook_check_contact (image, c);
      g_autoptr(GPtrArray) contacts = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *record = g_strconcat ("42 FF FF FF FF FF FF FF FF FF  ", cases[i].footer, NULL);

      g_test_message ("number %s", cases[i].in);
      g_assert_cmpuint (problems->len, ==, 0);
      g_assert_true (sv_phonebook_store_contact (image, c, &error));
      g_assert_no_error (error);
      assert_record (image, "adn", 5, record);
      contacts = sv_phonebook_decode (image, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (sv_contact_get_number (find_contact (contacts, 0, 5)), ==, cases[i].stored);
    }
}

static void
test_usim_decode (void)
{
  g_autoptr(SvCardImage) image = build_usim_image ();
  g_autoptr(GPtrArray) contacts = NULL;
  g_autoptr(GError) error = NULL;
  SvContact *c;

  g_assert_cmpuint (sv_phonebook_get_n_sets (image), ==, 2);
  contacts = sv_phonebook_decode (image, &error);
  g_assert_no_error (error);
  /* "adn" (DF_TELECOM) is ignored on a USIM image with "pbr" */
  g_assert_cmpuint (contacts->len, ==, 2);
  g_assert_null (find_contact (contacts, 0, 1));

  c = g_ptr_array_index (contacts, 0);
  g_assert_cmpuint (sv_contact_get_set (c), ==, 1);
  g_assert_cmpuint (sv_contact_get_index (c), ==, 1);
  g_assert_cmpstr (sv_contact_get_name (c), ==, "Carol");
  g_assert_cmpstr (sv_contact_get_number (c), ==, "1234");
  g_assert_cmpuint (g_strv_length ((char **) sv_contact_get_additional_numbers (c)), ==, 1);
  g_assert_cmpstr (sv_contact_get_additional_numbers (c)[0], ==, "5678");
  g_assert_cmpuint (g_strv_length ((char **) sv_contact_get_emails (c)), ==, 1);
  g_assert_cmpstr (sv_contact_get_emails (c)[0], ==, "c@x.org");
  g_assert_cmpstr (sv_contact_get_second_name (c), ==, "CJ");

  c = g_ptr_array_index (contacts, 1);
  g_assert_cmpuint (sv_contact_get_set (c), ==, 2);
  g_assert_cmpuint (sv_contact_get_index (c), ==, 1);
  g_assert_cmpstr (sv_contact_get_name (c), ==, "Dave");
  g_assert_cmpstr (sv_contact_get_number (c), ==, "+123");
  g_assert_null (sv_contact_get_emails (c)[0]);
}

static void
test_usim_limits (void)
{
  g_autoptr(SvCardImage) image = build_usim_image ();

  assert_limits (image, 1, &(SvPhonebookLimits) {
    .set = 1, .n_records = 4, .alpha_len = 8, .n_ext1_records = 2, .n_ext1_free = 2,
    .n_anr = 1, .n_email = 1, .email_len = 18, .sne_len = 10 });
  assert_limits (image, 2, &(SvPhonebookLimits) {
    .set = 2, .n_records = 2, .alpha_len = 8 });
  assert_limits (image, 0, NULL);
}

static void
test_usim_store_new (void)
{
  g_autoptr(SvCardImage) base = build_usim_image ();
  g_autoptr(SvCardImage) image = sv_card_image_copy (base);
  const char *anrs[] = { "888", NULL };
  const char *emails[] = { "e@y.io", NULL };
  g_autoptr(SvContact) eve = sv_contact_new (1, 2, "Eve", "777", anrs, emails, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) contacts = NULL;
  const char *expected[] = {
    "cc:1", "pb1/adn:2", "pb1/anr1:2", "pb1/email1:2", "pb1/iap:2", "pb1/uid:2", "puid:1", NULL
  };

  g_assert_cmpuint (sv_phonebook_find_free_index (image, 1), ==, 2);
  g_assert_true (sv_phonebook_store_contact (image, eve, &error));
  g_assert_no_error (error);
  assert_diff (base, image, expected);
  assert_record (image, "pb1/adn", 2, "45 76 65 FF FF FF FF FF  03 81 77 F7 FF FF FF FF FF FF FF FF  FF FF");
  /* TS 31.102 §4.4.2.9: AAS '00' = no description */
  assert_record (image, "pb1/anr1", 2, "00 03 81 88 F8 FF FF FF FF FF FF FF FF  FF FF");
  /* first free EMAIL record (2), ending with ADN SFI 01, ADN record 02 */
  assert_record (image, "pb1/email1", 2, "65 00 79 2E 69 6F FF FF FF FF FF FF FF FF FF FF FF FF  01 02");
  assert_record (image, "pb1/iap", 2, "02");
  /* PBC: b1 stays 0, the change is in EF_CC (TS 31.102 §4.4.2.5: b1
   * flags a 2G terminal's edit); UID = PUID + 1; CC + 1 */
  assert_record (image, "pb1/pbc", 2, "00 00");
  assert_record (image, "pb1/uid", 2, "00 02");
  assert_record (image, "puid", 1, "00 02");
  assert_record (image, "cc", 1, "00 06");

  /* round trip */
  contacts = sv_phonebook_decode (image, &error);
  g_assert_true (sv_contact_equal (find_contact (contacts, 1, 2), eve));
}

static void
test_usim_edit_name (void)
{
  g_autoptr(SvCardImage) base = build_usim_image ();
  g_autoptr(SvCardImage) image = sv_card_image_copy (base);
  const char *anrs[] = { "5678", NULL };
  const char *emails[] = { "c@x.org", NULL };
  g_autoptr(SvContact) c = sv_contact_new (1, 1, "Caroline", "1234", anrs, emails, "CJ");
  g_autoptr(GError) error = NULL;
  const char *expected[] = { "cc:1", "pb1/adn:1", NULL };

  g_assert_true (sv_phonebook_store_contact (image, c, &error));
  g_assert_no_error (error);
  assert_diff (base, image, expected);
  assert_record (image, "pb1/adn", 1, "43 61 72 6F 6C 69 6E 65  03 81 21 43 FF FF FF FF FF FF FF FF  FF FF");
  assert_record (image, "pb1/pbc", 1, "00 00");
  assert_record (image, "cc", 1, "00 06");
}

/* TS 31.102 §4.4.2.5, Annex C: b1 of EF_PBC marks an edit made by a 2G
 * terminal; a 3G terminal that writes the entry resets it (its own change
 * is counted in EF_CC), and keeps the hidden byte. */
static void
test_usim_edit_clears_2g_flag (void)
{
  g_autoptr(SvCardImage) base = build_usim_image ();
  g_autoptr(SvCardImage) image = NULL;
  const char *anrs[] = { "5678", NULL };
  const char *emails[] = { "c@x.org", NULL };
  g_autoptr(SvContact) c = sv_contact_new (1, 1, "Caroline", "1234", anrs, emails, "CJ");
  g_autoptr(GError) error = NULL;
  const char *expected[] = { "cc:1", "pb1/adn:1", "pb1/pbc:1", NULL };

  set_hex (base, "pb1/pbc", 1, "01 00");
  image = sv_card_image_copy (base);
  g_assert_true (sv_phonebook_store_contact (image, c, &error));
  g_assert_no_error (error);
  assert_diff (base, image, expected);
  assert_record (image, "pb1/pbc", 1, "00 00");
}

static void
test_usim_edit_linked (void)
{
  g_autoptr(SvCardImage) base = build_usim_image ();
  g_autoptr(SvCardImage) image = sv_card_image_copy (base);
  g_autoptr(SvContact) c = sv_contact_new (1, 1, "Carol", "1234", NULL, NULL, "CJ");
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) contacts = NULL;
  /* removing the ANR and the type 2 e-mail: ANR record erased, EMAIL
   * record freed and its IAP byte set to 'FF' */
  const char *expected[] = { "cc:1", "pb1/anr1:1", "pb1/email1:1", "pb1/iap:1", NULL };

  g_assert_true (sv_phonebook_store_contact (image, c, &error));
  g_assert_no_error (error);
  assert_diff (base, image, expected);
  assert_record (image, "pb1/email1", 1, FF10 " " FF10);
  assert_record (image, "pb1/iap", 1, "FF");
  assert_record (image, "pb1/anr1", 1, FF10 " FF FF FF FF FF");

  contacts = sv_phonebook_decode (image, &error);
  g_assert_true (sv_contact_equal (find_contact (contacts, 1, 1), c));
}

static void
test_usim_delete (void)
{
  g_autoptr(SvCardImage) base = build_usim_image ();
  g_autoptr(SvCardImage) image = sv_card_image_copy (base);
  g_autoptr(GError) error = NULL;
  const char *expected[] = {
    "cc:1", "pb1/adn:1", "pb1/anr1:1", "pb1/email1:1", "pb1/iap:1", "pb1/sne1:1", "pb1/uid:1", NULL
  };

  g_assert_true (sv_phonebook_delete_contact (image, 1, 1, &error));
  g_assert_no_error (error);
  assert_diff (base, image, expected);
  assert_record (image, "pb1/adn", 1, FF10 " " FF10 " FF FF");
  assert_record (image, "pb1/uid", 1, "00 00");
  assert_record (image, "cc", 1, "00 06");
  /* PBC was '00 00' and stays so: no change */
  assert_record (image, "pb1/pbc", 1, "00 00");
}

static void
test_usim_anr_ext1 (void)
{
  g_autoptr(SvCardImage) base = build_usim_image ();
  g_autoptr(SvCardImage) image = sv_card_image_copy (base);
  const char *anrs[] = { "1234567890123456789012345", NULL };
  const char *emails[] = { "c@x.org", NULL };
  g_autoptr(SvContact) c = sv_contact_new (1, 1, "Carol", "1234", anrs, emails, "CJ");
  g_autoptr(SvContact) back = sv_contact_new (1, 1, "Carol", "1234", NULL, emails, "CJ");
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) contacts = NULL;
  const char *expected[] = { "cc:1", "pb1/anr1:1", "pb1/ext1:1", NULL };

  /* a 25-digit additional number: 20 digits in EF_ANR, 5 in EXT1 record 1 */
  g_assert_true (sv_phonebook_store_contact (image, c, &error));
  g_assert_no_error (error);
  assert_diff (base, image, expected);
  assert_record (image, "pb1/anr1", 1, "00 0B 81 21 43 65 87 09 21 43 65 87 09 FF 01");
  assert_record (image, "pb1/ext1", 1, "02 03 21 43 F5 FF FF FF FF FF FF FF FF");
  contacts = sv_phonebook_decode (image, &error);
  g_assert_true (sv_contact_equal (find_contact (contacts, 1, 1), c));

  /* dropping it frees the EXT1 record again */
  g_assert_true (sv_phonebook_store_contact (image, back, &error));
  g_assert_no_error (error);
  assert_record (image, "pb1/ext1", 1, EXT1_FREE_00);
  assert_record (image, "pb1/anr1", 1, FF10 " FF FF FF FF FF");
}

/* A type 3 EF_EXT1 named by both EF_PBR records is one file on the card:
 * a record one set takes is not free for the other (TS 31.102 §4.4.2.1). */
static void
test_usim_shared_ext1 (void)
{
  g_autoptr(SvCardImage) image = sv_card_image_new (SV_CARD_TYPE_USIM);
  g_autoptr(SvContact) first = sv_contact_new (1, 1, "A", "123456789012345678901234", NULL, NULL, NULL);
  g_autoptr(SvContact) second = sv_contact_new (2, 1, "B", "987654321098765432109876", NULL, NULL, NULL);
  g_autoptr(GPtrArray) contacts = NULL;
  g_autoptr(GError) error = NULL;
  GBytes *ext_a, *ext_b;

  sv_card_image_add_file (image, "pbr", "7FFF5F3A4F30", SV_FILE_STRUCTURE_LINEAR_FIXED, 20, 2);
  set_hex (image, "pbr", 1, "A8 05 C0 03 4F 3A 01 AA 04 C2 02 4F 4A FF FF FF FF FF FF FF");
  set_hex (image, "pbr", 2, "A8 05 C0 03 4F 3B 02 AA 04 C2 02 4F 4A FF FF FF FF FF FF FF");
  sv_card_image_add_file (image, "pb1/adn", "7FFF5F3A4F3A", SV_FILE_STRUCTURE_LINEAR_FIXED, 22, 2);
  sv_card_image_add_file (image, "pb2/adn", "7FFF5F3A4F3B", SV_FILE_STRUCTURE_LINEAR_FIXED, 22, 2);
  sv_card_image_add_file (image, "pb1/ext1", "7FFF5F3A4F4A", SV_FILE_STRUCTURE_LINEAR_FIXED, 13, 3);
  sv_card_image_add_file (image, "pb2/ext1", "7FFF5F3A4F4A", SV_FILE_STRUCTURE_LINEAR_FIXED, 13, 3);

  g_assert_true (sv_phonebook_store_contact (image, first, &error));
  g_assert_no_error (error);
  g_assert_true (sv_phonebook_store_contact (image, second, &error));
  g_assert_no_error (error);

  /* Both views of the file agree, and the two chains use two records. */
  for (guint i = 1; i <= 3; i++)
    g_assert_true (g_bytes_equal (sv_card_image_get_record (image, "pb1/ext1", i),
                                  sv_card_image_get_record (image, "pb2/ext1", i)));
  ext_a = sv_card_image_get_record (image, "pb1/ext1", 1);
  ext_b = sv_card_image_get_record (image, "pb1/ext1", 2);
  g_assert_cmpuint (((const guint8 *) g_bytes_get_data (ext_a, NULL))[0], ==, 0x02);
  g_assert_cmpuint (((const guint8 *) g_bytes_get_data (ext_b, NULL))[0], ==, 0x02);

  contacts = sv_phonebook_decode (image, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (sv_contact_get_number (find_contact (contacts, 1, 1)), ==, "123456789012345678901234");
  g_assert_cmpstr (sv_contact_get_number (find_contact (contacts, 2, 1)), ==, "987654321098765432109876");
}

static void
test_usim_no_free_email (void)
{
  g_autoptr(SvCardImage) image = build_usim_image ();
  const char *emails[] = { "e@y.io", NULL };
  g_autoptr(SvContact) c = sv_contact_new (1, 2, "Eve", "1", NULL, emails, NULL);
  g_autoptr(GPtrArray) problems = NULL;
  g_autoptr(GError) error = NULL;
  SvFitProblem *problem;

  /* EMAIL records 2 and 3 taken (by entries 3 and 4) */
  set_hex (image, "pb1/email1", 2, "61 FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF  01 03");
  set_hex (image, "pb1/email1", 3, "62 FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF  01 04");
  problems = sv_phonebook_check_contact (image, c);
  problem = find_problem (problems, "emails[0]");
  g_assert_nonnull (problem);
  g_assert_nonnull (strstr (problem->message, "no free record"));
  g_assert_false (sv_phonebook_store_contact (image, c, &error));
  g_assert_error (error, SV_PHONEBOOK_ERROR, SV_PHONEBOOK_ERROR_DOES_NOT_FIT);
  g_clear_error (&error);

  /* entry 1 already owns EMAIL record 1: editing its address needs no free one */
  {
    const char *new_email[] = { "carol@x.org", NULL };
    const char *anrs[] = { "5678", NULL };
    g_autoptr(SvContact) carol = sv_contact_new (1, 1, "Carol", "1234", anrs, new_email, "CJ");
    g_autoptr(GPtrArray) carol_problems = sv_phonebook_check_contact (image, carol);

    g_assert_cmpuint (carol_problems->len, ==, 0);
    g_assert_true (sv_phonebook_store_contact (image, carol, &error));
    g_assert_no_error (error);
    assert_record (image, "pb1/email1", 1, "63 61 72 6F 6C 00 78 2E 6F 72 67 FF FF FF FF FF FF FF  01 01");
    assert_record (image, "pb1/iap", 1, "01");
  }
}

static void
test_usim_puid_exhausted (void)
{
  g_autoptr(SvCardImage) image = build_usim_image ();
  g_autoptr(SvCardImage) before = NULL;
  g_autoptr(SvContact) c = sv_contact_new (1, 2, "Eve", "1", NULL, NULL, NULL);
  g_autoptr(GError) error = NULL;
  const char *none[] = { NULL };

  set_hex (image, "puid", 1, "FF FF");
  before = sv_card_image_copy (image);
  g_assert_false (sv_phonebook_store_contact (image, c, &error));
  g_assert_error (error, SV_PHONEBOOK_ERROR, SV_PHONEBOOK_ERROR_DOES_NOT_FIT);
  assert_diff (before, image, none);
}

static void
test_usim_validation (void)
{
  g_autoptr(SvCardImage) image = build_usim_image ();
  SvFitProblem *problem;

  {
    const char *emails[] = { "a@b.c", "d@e.f", NULL };
    g_autoptr(SvContact) c = sv_contact_new (1, 2, "X", "1", NULL, emails, NULL);
    g_autoptr(GPtrArray) problems = sv_phonebook_check_contact (image, c);

    problem = find_problem (problems, "emails[1]");
    g_assert_nonnull (problem);
    g_assert_cmpint (problem->excess, ==, 1);
  }
  {
    /* 19 GSM characters in an 18-byte field */
    const char *emails[] = { "abcdefghij@klm.nop", NULL };
    const char *emails19[] = { "abcdefghijk@lmn.opq", NULL };
    g_autoptr(SvContact) ok = sv_contact_new (1, 2, "X", "1", NULL, emails, NULL);
    g_autoptr(SvContact) c = sv_contact_new (1, 2, "X", "1", NULL, emails19, NULL);
    g_autoptr(GPtrArray) ok_problems = sv_phonebook_check_contact (image, ok);
    g_autoptr(GPtrArray) problems = sv_phonebook_check_contact (image, c);

    g_assert_cmpuint (ok_problems->len, ==, 0);
    problem = find_problem (problems, "emails[0]");
    g_assert_nonnull (problem);
    g_assert_cmpint (problem->excess, ==, 1);
  }
  {
    /* set 2 has no ANR, no SNE */
    const char *anrs[] = { "1", "2", NULL };
    g_autoptr(SvContact) c = sv_contact_new (2, 2, "X", "1", anrs, NULL, "Y");
    g_autoptr(GPtrArray) problems = sv_phonebook_check_contact (image, c);

    problem = find_problem (problems, "additional_numbers[0]");
    g_assert_nonnull (problem);
    g_assert_cmpint (problem->excess, ==, 2);
    g_assert_nonnull (find_problem (problems, "second_name"));
  }
  {
    g_autoptr(SvContact) c = sv_contact_new (3, 1, "X", "1", NULL, NULL, NULL);
    g_autoptr(GPtrArray) problems = sv_phonebook_check_contact (image, c);

    g_assert_nonnull (find_problem (problems, "index"));
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sv/phonebook/sim/decode", test_sim_decode);
  g_test_add_func ("/sv/phonebook/sim/limits", test_sim_limits);
  g_test_add_func ("/sv/phonebook/sim/store-new", test_sim_store_new);
  g_test_add_func ("/sv/phonebook/sim/edit-name", test_sim_edit_name);
  g_test_add_func ("/sv/phonebook/sim/lengthen-number", test_sim_lengthen_number);
  g_test_add_func ("/sv/phonebook/sim/shorten-number", test_sim_shorten_number);
  g_test_add_func ("/sv/phonebook/sim/delete", test_sim_delete);
  g_test_add_func ("/sv/phonebook/sim/validation", test_sim_validation);
  g_test_add_func ("/sv/phonebook/sim/ext1-capacity", test_sim_ext1_capacity);
  g_test_add_func ("/sv/phonebook/sim/decode-cases", test_sim_decode_cases);
  g_test_add_func ("/sv/phonebook/sim/store-codec-numbers", test_sim_store_codec_numbers);
  g_test_add_func ("/sv/phonebook/usim/decode", test_usim_decode);
  g_test_add_func ("/sv/phonebook/usim/limits", test_usim_limits);
  g_test_add_func ("/sv/phonebook/usim/store-new", test_usim_store_new);
  g_test_add_func ("/sv/phonebook/usim/edit-name", test_usim_edit_name);
  g_test_add_func ("/sv/phonebook/usim/edit-clears-2g-flag", test_usim_edit_clears_2g_flag);
  g_test_add_func ("/sv/phonebook/usim/edit-linked", test_usim_edit_linked);
  g_test_add_func ("/sv/phonebook/usim/delete", test_usim_delete);
  g_test_add_func ("/sv/phonebook/usim/shared-ext1", test_usim_shared_ext1);
  g_test_add_func ("/sv/phonebook/usim/validation", test_usim_validation);
  g_test_add_func ("/sv/phonebook/usim/anr-ext1", test_usim_anr_ext1);
  g_test_add_func ("/sv/phonebook/usim/puid-exhausted", test_usim_puid_exhausted);
  g_test_add_func ("/sv/phonebook/usim/no-free-email", test_usim_no_free_email);

  return g_test_run ();
}
