/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Value types: SvCardImage (records, copy, diff, identity), SvContact,
 * SvMessage. */
#include "config.h"

#include <string.h>

#include "sv-card-image.h"
#include "sv-contact.h"
#include "sv-hex.h"
#include "sv-message.h"
#include "sv-sms-store.h"

static void
set_hex (SvCardImage *image,
         const char  *key,
         guint        index,
         const char  *text)
{
  g_autoptr(GBytes) bytes = sv_hex_to_bytes (text);
  g_autoptr(GError) error = NULL;

  g_assert_true (sv_card_image_set_record (image, key, index, bytes, &error));
  g_assert_no_error (error);
}

static void
test_image_records (void)
{
  g_autoptr(SvCardImage) image = sv_card_image_new (SV_CARD_TYPE_SIM);
  g_autoptr(GBytes) good = sv_hex_to_bytes ("01 02 03");
  g_autoptr(GBytes) short_rec = sv_hex_to_bytes ("01 02");
  g_autoptr(GError) error = NULL;
  SvCardFile *file;
  GBytes *rec;

  file = sv_card_image_add_file (image, "ext1", "3F007F106F4A", SV_FILE_STRUCTURE_LINEAR_FIXED, 3, 2);
  g_assert_nonnull (file);
  g_assert_true (sv_card_image_lookup (image, "ext1") == file);
  g_assert_cmpuint (file->records->len, ==, 2);

  /* new records are erased: all 'FF' */
  rec = sv_card_image_get_record (image, "ext1", 1);
  g_assert_cmpmem (g_bytes_get_data (rec, NULL), 3, "\xff\xff\xff", 3);

  g_assert_true (sv_card_image_set_record (image, "ext1", 2, good, &error));
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (sv_card_image_get_record (image, "ext1", 2), good));

  g_assert_false (sv_card_image_set_record (image, "ext1", 3, good, &error));
  g_assert_error (error, SV_CARD_IMAGE_ERROR, SV_CARD_IMAGE_ERROR_OUT_OF_RANGE);
  g_clear_error (&error);
  g_assert_false (sv_card_image_set_record (image, "ext1", 0, good, &error));
  g_assert_error (error, SV_CARD_IMAGE_ERROR, SV_CARD_IMAGE_ERROR_OUT_OF_RANGE);
  g_clear_error (&error);
  g_assert_false (sv_card_image_set_record (image, "ext1", 1, short_rec, &error));
  g_assert_error (error, SV_CARD_IMAGE_ERROR, SV_CARD_IMAGE_ERROR_BAD_LENGTH);
  g_clear_error (&error);
  g_assert_false (sv_card_image_set_record (image, "nope", 1, good, &error));
  g_assert_error (error, SV_CARD_IMAGE_ERROR, SV_CARD_IMAGE_ERROR_NO_SUCH_FILE);
  g_clear_error (&error);

  g_assert_null (sv_card_image_get_record (image, "ext1", 3));
  g_assert_null (sv_card_image_get_record (image, "nope", 1));
}

static void
test_image_copy_diff (void)
{
  g_autoptr(SvCardImage) base = sv_card_image_new (SV_CARD_TYPE_USIM);
  g_autoptr(SvCardImage) copy = NULL;
  g_autoptr(GPtrArray) changes = NULL;
  g_autoptr(GPtrArray) keys = NULL;
  SvRecordChange *change;

  sv_card_image_set_iccid (base, "8949000000000000001");
  sv_card_image_add_file (base, "sms", NULL, SV_FILE_STRUCTURE_LINEAR_FIXED, 2, 3);
  sv_card_image_add_file (base, "adn", NULL, SV_FILE_STRUCTURE_LINEAR_FIXED, 2, 2);
  sv_card_image_add_file (base, "gone", NULL, SV_FILE_STRUCTURE_TRANSPARENT, 1, 1);

  copy = sv_card_image_copy (base);
  g_assert_true (sv_card_image_equal (base, copy));
  g_assert_cmpstr (sv_card_image_get_iccid (copy), ==, "8949000000000000001");

  /* deep: changing the copy leaves the base alone */
  set_hex (copy, "sms", 3, "01 02");
  set_hex (copy, "adn", 2, "AA BB");
  set_hex (copy, "sms", 1, "03 04");
  set_hex (copy, "adn", 1, "FF FF");      /* same bytes: no change */
  g_assert_cmpmem (g_bytes_get_data (sv_card_image_get_record (base, "sms", 3), NULL), 2, "\xff\xff", 2);
  g_assert_false (sv_card_image_equal (base, copy));

  /* files in one image only: all records added / removed */
  sv_card_image_add_file (copy, "new", NULL, SV_FILE_STRUCTURE_LINEAR_FIXED, 1, 2);
  /* remove "gone" from the copy by building the diff against a base that
   * has it and a copy that does not */
  {
    g_autoptr(SvCardImage) without = sv_card_image_new (SV_CARD_TYPE_USIM);
    GPtrArray *copy_keys = sv_card_image_list_keys (copy);

    for (guint i = 0; i < copy_keys->len; i++)
      {
        const char *key = g_ptr_array_index (copy_keys, i);
        SvCardFile *file = sv_card_image_lookup (copy, key);

        if (g_str_equal (key, "gone"))
          continue;
        sv_card_image_add_file (without, key, file->path, file->structure, file->record_len, file->n_records);
        for (guint r = 0; r < file->records->len; r++)
          g_assert_true (sv_card_image_set_record (without, key, r + 1, g_ptr_array_index (file->records, r), NULL));
      }
    g_ptr_array_unref (copy_keys);
    changes = sv_card_image_diff (base, without);
  }

  /* ordered by key, then index */
  g_assert_cmpuint (changes->len, ==, 6);
  change = g_ptr_array_index (changes, 0);
  g_assert_cmpstr (change->key, ==, "adn");
  g_assert_cmpuint (change->index, ==, 2);
  g_assert_nonnull (change->old_bytes);
  change = g_ptr_array_index (changes, 1);
  g_assert_cmpstr (change->key, ==, "gone");
  g_assert_cmpuint (change->index, ==, 1);
  g_assert_null (change->new_bytes);
  change = g_ptr_array_index (changes, 2);
  g_assert_cmpstr (change->key, ==, "new");
  g_assert_cmpuint (change->index, ==, 1);
  g_assert_null (change->old_bytes);
  change = g_ptr_array_index (changes, 3);
  g_assert_cmpstr (change->key, ==, "new");
  g_assert_cmpuint (change->index, ==, 2);
  change = g_ptr_array_index (changes, 4);
  g_assert_cmpstr (change->key, ==, "sms");
  g_assert_cmpuint (change->index, ==, 1);
  g_assert_cmpmem (g_bytes_get_data (change->new_bytes, NULL), 2, "\x03\x04", 2);
  change = g_ptr_array_index (changes, 5);
  g_assert_cmpstr (change->key, ==, "sms");
  g_assert_cmpuint (change->index, ==, 3);

  keys = sv_card_image_list_keys (base);
  g_assert_cmpuint (keys->len, ==, 3);
  g_assert_cmpstr (g_ptr_array_index (keys, 0), ==, "adn");
  g_assert_cmpstr (g_ptr_array_index (keys, 2), ==, "sms");
}

static void
test_image_identity (void)
{
  g_autoptr(SvCardImage) image = sv_card_image_new (SV_CARD_TYPE_SIM);
  g_autofree char *iccid = NULL;
  g_autofree char *imsi = NULL;
  g_autofree char *msisdn = NULL;
  g_autofree char *spn = NULL;

  g_assert_null (sv_card_image_dup_imsi (image));

  /* TS 102.221 §13.2: "89490200001234567890" swapped */
  sv_card_image_add_file (image, "iccid", "3F002FE2", SV_FILE_STRUCTURE_TRANSPARENT, 10, 1);
  set_hex (image, "iccid", 1, "98 94 20 00 00 21 43 65 87 09");
  /* TS 31.102 §4.2.2: IMSI 262011234567890 (15 digits, odd): length 8,
   * first byte 0x29 = digit 2 + parity 1001 */
  sv_card_image_add_file (image, "imsi", "3F007F206F07", SV_FILE_STRUCTURE_TRANSPARENT, 9, 1);
  set_hex (image, "imsi", 1, "08 29 26 10 21 43 65 87 09");
  /* EF_MSISDN: alpha "Me" (X = 4), +491701234567 */
  sv_card_image_add_file (image, "msisdn", "3F007F106F40", SV_FILE_STRUCTURE_LINEAR_FIXED, 18, 1);
  set_hex (image, "msisdn", 1, "4D 65 FF FF 07 91 94 71 10 32 54 76 FF FF FF FF FF FF");
  /* EF_SPN: display condition, "Test Net" GSM, FF padded to 16 */
  sv_card_image_add_file (image, "spn", "3F007F206F46", SV_FILE_STRUCTURE_TRANSPARENT, 17, 1);
  set_hex (image, "spn", 1, "01 54 65 73 74 20 4E 65 74 FF FF FF FF FF FF FF FF");
  sv_card_image_add_file (image, "sms", "3F007F106F3C", SV_FILE_STRUCTURE_LINEAR_FIXED, 4, 3);
  set_hex (image, "sms", 2, "03 00 00 00");
  set_hex (image, "sms", 3, "00 00 00 00");

  iccid = sv_card_image_dup_iccid (image);
  imsi = sv_card_image_dup_imsi (image);
  msisdn = sv_card_image_dup_msisdn (image);
  spn = sv_card_image_dup_spn (image);
  g_assert_cmpstr (iccid, ==, "89490200001234567890");
  g_assert_cmpstr (imsi, ==, "262011234567890");
  g_assert_cmpstr (msisdn, ==, "+491701234567");
  g_assert_cmpstr (spn, ==, "Test Net");
  g_assert_cmpuint (sv_card_image_get_sms_capacity (image), ==, 3);
  /* record 1 is all 'FF': erased, so free (sv-sms-store.c) */
  g_assert_cmpuint (sv_sms_store_count_used (image), ==, 1);
  g_assert_cmpstr (sv_card_type_to_string (sv_card_image_get_card_type (image)), ==, "sim");
}

static void
test_contact (void)
{
  const char *anrs[] = { "5678", NULL };
  g_autoptr(SvContact) a = sv_contact_new (1, 3, "Ann", "+4912", anrs, NULL, NULL);
  g_autoptr(SvContact) b = sv_contact_copy_at (a, 1, 3);
  g_autoptr(SvContact) c = sv_contact_copy_at (a, 2, 7);
  g_autoptr(SvContact) empty = sv_contact_new (0, 1, NULL, NULL, NULL, NULL, NULL);

  g_assert_true (sv_contact_equal (a, b));
  g_assert_false (sv_contact_equal (a, c));
  g_assert_cmpuint (sv_contact_get_set (c), ==, 2);
  g_assert_cmpuint (sv_contact_get_index (c), ==, 7);
  g_assert_cmpstr (sv_contact_get_name (c), ==, "Ann");
  g_assert_cmpstr (sv_contact_get_additional_numbers (c)[0], ==, "5678");
  g_assert_null (sv_contact_get_additional_numbers (c)[1]);
  g_assert_nonnull (sv_contact_get_emails (c));
  g_assert_null (sv_contact_get_emails (c)[0]);
  g_assert_cmpstr (sv_contact_get_second_name (c), ==, "");
  g_assert_true (sv_contact_is_empty (empty));
  g_assert_false (sv_contact_is_empty (a));

  /* refcount: a boxed copy is a ref */
  {
    SvContact *boxed = g_boxed_copy (SV_TYPE_CONTACT, a);

    g_assert_true (boxed == a);
    g_boxed_free (SV_TYPE_CONTACT, boxed);
  }
}

static void
test_message (void)
{
  const guint parts[] = { 4, 0, 2 };
  g_autoptr(GDateTime) when = g_date_time_new_utc (2024, 1, 2, 3, 4, 5);
  g_autoptr(SvMessage) m = sv_message_new (SV_MESSAGE_STATUS_UNREAD, SV_MESSAGE_TYPE_DELIVER,
                                           "+491", when, "Hi", parts, 3);
  g_autoptr(SvMessage) bad = sv_message_new_undecodable (9, 0x07, "at byte 3: truncated");

  g_assert_cmpuint (sv_message_get_index (m), ==, 4);
  g_assert_cmpuint (sv_message_get_n_parts (m), ==, 3);
  g_assert_cmpuint (sv_message_get_n_missing (m), ==, 1);
  g_assert_cmpuint (sv_message_get_record_indices (m)[2], ==, 2);
  g_assert_cmpuint (sv_message_get_raw_status (m), ==, 0x03);
  g_assert_null (sv_message_get_decode_error (m));
  g_assert_true (g_date_time_equal (sv_message_get_timestamp (m), when));

  g_assert_cmpuint (sv_message_get_index (bad), ==, 9);
  g_assert_cmpint (sv_message_get_status (bad), ==, SV_MESSAGE_STATUS_UNSENT);
  g_assert_cmpuint (sv_message_get_raw_status (bad), ==, 0x07);
  g_assert_cmpstr (sv_message_get_text (bad), ==, "");
  g_assert_cmpstr (sv_message_get_decode_error (bad), ==, "at byte 3: truncated");
  g_assert_false (sv_message_equal (m, bad));
  g_assert_cmpstr (sv_message_status_to_string (SV_MESSAGE_STATUS_SENT), ==, "sent");
  g_assert_cmpstr (sv_message_type_to_string (SV_MESSAGE_TYPE_STATUS_REPORT), ==, "status-report");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sv/model/image/records", test_image_records);
  g_test_add_func ("/sv/model/image/copy-diff", test_image_copy_diff);
  g_test_add_func ("/sv/model/image/identity", test_image_identity);
  g_test_add_func ("/sv/model/contact/basics", test_contact);
  g_test_add_func ("/sv/model/message/basics", test_message);

  return g_test_run ();
}
