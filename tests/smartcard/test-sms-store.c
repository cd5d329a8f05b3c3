/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The short messages of a card image (sv-sms-store.c) over hand-built
 * EF_SMS records written out in hex from TS 51.011 §10.5.3 and TS 23.040,
 * not produced by SimVault's encoders: decoding and grouping, the
 * free-record rule, adding a text, changing a status.
 */
#include "config.h"

#include <string.h>

#include "sv-hex.h"
#include "sv-sms-store.h"

/* Messages. EF_SMS records (176 bytes): status, SMSC 07 91 447785016005,
 * then an SMS-DELIVER: OA 1234 (04 81 21 43), PID 00, DCS 08 (UCS2),
 * SCTS 2024-01-02 03:04:05 +00 (42 10 20 30 40 50 00). Concatenated parts
 * carry UDH 05 00 03 2A 03 seq (8-bit reference 0x2A, 3 parts). */
#define SMSC "07 91 44 77 58 10 06 50 "
#define SCTS "42 10 20 30 40 50 00 "

static void
set_sms (SvCardImage *image,
         guint        index,
         const char  *text)
{
  g_autoptr(GBytes) body = sv_hex_to_bytes (text);
  g_autofree guint8 *rec = g_malloc (176);
  g_autoptr(GBytes) bytes = NULL;

  g_assert_cmpuint (g_bytes_get_size (body), <=, 176);
  memset (rec, 0xFF, 176);
  memcpy (rec, g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  bytes = g_bytes_new (rec, 176);
  g_assert_true (sv_card_image_set_record (image, "sms", index, bytes, NULL));
}

static void
test_messages_reassembly (void)
{
  g_autoptr(SvCardImage) image = sv_card_image_new (SV_CARD_TYPE_SIM);
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) when = g_date_time_new_utc (2024, 1, 2, 3, 4, 5);
  SvMessage *m;
  const guint *parts;

  sv_card_image_add_file (image, "sms", "3F007F106F3C", SV_FILE_STRUCTURE_LINEAR_FIXED, 176, 6);
  /* 1: single message "OK" from 5678, read */
  set_sms (image, 1, "01 " SMSC "04 04 81 65 87 00 08 " SCTS "04 00 4F 00 4B");
  /* 2: part 3 of 3, "!!", unread */
  set_sms (image, 2, "03 " SMSC "44 04 81 21 43 00 08 " SCTS "0A 05 00 03 2A 03 03 00 21 00 21");
  /* 3: free */
  set_sms (image, 3, "00");
  /* 4: part 1 of 3, "Hi", read; part 2 is nowhere */
  set_sms (image, 4, "01 " SMSC "44 04 81 21 43 00 08 " SCTS "0A 05 00 03 2A 03 01 00 48 00 69");
  /* 5: UDL 255 UCS2 octets in a record that has 160 left: does not decode */
  set_sms (image, 5, "03 00 04 04 81 21 43 00 08 " SCTS "FF");
  /* 6: all 'FF', as add_file leaves it: erased, so free: no message */

  messages = sv_sms_store_decode (image, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (messages->len, ==, 3);

  m = g_ptr_array_index (messages, 0);
  g_assert_cmpuint (sv_message_get_index (m), ==, 1);
  g_assert_cmpstr (sv_message_get_text (m), ==, "OK");
  g_assert_cmpstr (sv_message_get_number (m), ==, "5678");
  g_assert_cmpint (sv_message_get_status (m), ==, SV_MESSAGE_STATUS_READ);
  g_assert_cmpint (sv_message_get_message_type (m), ==, SV_MESSAGE_TYPE_DELIVER);
  g_assert_nonnull (sv_message_get_timestamp (m));
  g_assert_true (g_date_time_equal (sv_message_get_timestamp (m), when));
  g_assert_null (sv_message_get_decode_error (m));

  /* parts in part order wherever they are, the missing one as 0 */
  m = g_ptr_array_index (messages, 1);
  g_assert_cmpuint (sv_message_get_n_parts (m), ==, 3);
  parts = sv_message_get_record_indices (m);
  g_assert_cmpuint (parts[0], ==, 4);
  g_assert_cmpuint (parts[1], ==, 0);
  g_assert_cmpuint (parts[2], ==, 2);
  g_assert_cmpuint (sv_message_get_n_missing (m), ==, 1);
  g_assert_cmpuint (sv_message_get_index (m), ==, 4);
  g_assert_cmpstr (sv_message_get_text (m), ==, "Hi!!");
  g_assert_cmpstr (sv_message_get_number (m), ==, "1234");
  /* status of the first part present */
  g_assert_cmpint (sv_message_get_status (m), ==, SV_MESSAGE_STATUS_READ);

  /* the undecodable record is kept, with its raw status and an error */
  m = g_ptr_array_index (messages, 2);
  g_assert_cmpuint (sv_message_get_index (m), ==, 5);
  g_assert_cmpuint (sv_message_get_raw_status (m), ==, 0x03);
  g_assert_cmpint (sv_message_get_status (m), ==, SV_MESSAGE_STATUS_UNREAD);
  g_assert_cmpstr (sv_message_get_text (m), ==, "");
  g_assert_nonnull (sv_message_get_decode_error (m));

}

static void
test_messages_order_independent (void)
{
  const char *p1 = "01 " SMSC "44 04 81 21 43 00 08 " SCTS "0A 05 00 03 2A 03 01 00 41 00 42";
  const char *p2 = "01 " SMSC "44 04 81 21 43 00 08 " SCTS "0A 05 00 03 2A 03 02 00 43 00 44";
  const char *p3 = "01 " SMSC "44 04 81 21 43 00 08 " SCTS "0A 05 00 03 2A 03 03 00 45 00 46";
  const char *orders[][3] = {
    { p1, p2, p3 }, { p3, p2, p1 }, { p2, p3, p1 },
  };

  for (guint o = 0; o < G_N_ELEMENTS (orders); o++)
    {
      g_autoptr(SvCardImage) image = sv_card_image_new (SV_CARD_TYPE_SIM);
      g_autoptr(GPtrArray) messages = NULL;
      SvMessage *m;

      sv_card_image_add_file (image, "sms", NULL, SV_FILE_STRUCTURE_LINEAR_FIXED, 176, 3);
      for (guint i = 0; i < 3; i++)
        set_sms (image, i + 1, orders[o][i]);

      messages = sv_sms_store_decode (image, NULL);
      g_assert_cmpuint (messages->len, ==, 1);
      m = g_ptr_array_index (messages, 0);
      g_assert_cmpstr (sv_message_get_text (m), ==, "ABCDEF");
      g_assert_cmpuint (sv_message_get_n_missing (m), ==, 0);
      for (guint part = 0; part < 3; part++)
        g_assert_true (orders[o][sv_message_get_record_indices (m)[part] - 1] ==
                       (part == 0 ? p1 : part == 1 ? p2 : p3));
    }
}


/* A concatenated part stored twice is not hidden: the second copy is a
 * message of its own, the first copy joins the other parts. */
static void
test_messages_duplicate_part (void)
{
  g_autoptr(SvCardImage) image = sv_card_image_new (SV_CARD_TYPE_SIM);
  g_autoptr(GPtrArray) messages = NULL;
  SvMessage *m;

  sv_card_image_add_file (image, "sms", NULL, SV_FILE_STRUCTURE_LINEAR_FIXED, 176, 3);
  set_sms (image, 1, "01 " SMSC "44 04 81 21 43 00 08 " SCTS "0A 05 00 03 2A 02 01 00 41 00 42");
  set_sms (image, 2, "01 " SMSC "44 04 81 21 43 00 08 " SCTS "0A 05 00 03 2A 02 02 00 43 00 44");
  set_sms (image, 3, "03 " SMSC "44 04 81 21 43 00 08 " SCTS "0A 05 00 03 2A 02 01 00 41 00 42");

  messages = sv_sms_store_decode (image, NULL);
  g_assert_cmpuint (messages->len, ==, 2);
  m = g_ptr_array_index (messages, 0);
  g_assert_cmpstr (sv_message_get_text (m), ==, "ABCD");
  g_assert_cmpuint (sv_message_get_record_indices (m)[0], ==, 1);
  g_assert_cmpuint (sv_message_get_record_indices (m)[1], ==, 2);
  m = g_ptr_array_index (messages, 1);
  g_assert_cmpstr (sv_message_get_text (m), ==, "AB");
  g_assert_cmpuint (sv_message_get_index (m), ==, 3);
  g_assert_cmpuint (sv_message_get_n_missing (m), ==, 1);
  g_assert_cmpint (sv_message_get_status (m), ==, SV_MESSAGE_STATUS_UNREAD);
}

/* TS 51.011 §10.5.3: status b1 = 0 is free space, b1 = 1 used space,
 * whatever the rest of the record holds; b3-b1 001 read, 011 to be read,
 * 101 sent (b5-b4: status report state), 111 to be sent; b8-b6 RFU. */
static void
test_free_record_rule (void)
{
  static const struct
  {
    const char      *record;
    gboolean         free;
    SvMessageStatus  status;
  } cases[] = {
    { "00", TRUE, SV_MESSAGE_STATUS_FREE },
    /* a whole message after a free status byte: still free */
    { "00 " SMSC "04 04 81 65 87 00 08 " SCTS "04 00 4F 00 4B", TRUE, SV_MESSAGE_STATUS_FREE },
    { "FE", TRUE, SV_MESSAGE_STATUS_FREE },
    { "02", TRUE, SV_MESSAGE_STATUS_FREE },
    { "01", FALSE, SV_MESSAGE_STATUS_READ },
    { "03", FALSE, SV_MESSAGE_STATUS_UNREAD },
    { "05", FALSE, SV_MESSAGE_STATUS_SENT },
    { "0D", FALSE, SV_MESSAGE_STATUS_SENT },      /* report requested, not received */
    { "1D", FALSE, SV_MESSAGE_STATUS_SENT },      /* report received and stored */
    { "07", FALSE, SV_MESSAGE_STATUS_UNSENT },
    /* status 'FF' with a TPDU after it: b1 = 1, used ("to be sent", RFU
     * bits set); its TPDU is what decides, not the status byte */
    { "FF 00 01 00", FALSE, SV_MESSAGE_STATUS_UNSENT },
    /* all 'FF': erased, free */
    { "FF", TRUE, SV_MESSAGE_STATUS_UNSENT },
  };
  g_autoptr(SvCardImage) image = sv_card_image_new (SV_CARD_TYPE_SIM);
  g_autoptr(GPtrArray) messages = NULL;
  guint n_used = 0;

  sv_card_image_add_file (image, "sms", NULL, SV_FILE_STRUCTURE_LINEAR_FIXED, 176,
                          G_N_ELEMENTS (cases));
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      GBytes *record;

      g_test_message ("case %u: %s", i, cases[i].record);
      set_sms (image, i + 1, cases[i].record);
      record = sv_card_image_get_record (image, "sms", i + 1);
      g_assert_cmpint (sv_sms_record_is_free (record), ==, cases[i].free);
      g_assert_cmpint (sv_sms_store_status_from_raw (*(const guint8 *) g_bytes_get_data (record, NULL)),
                       ==, cases[i].status);
      if (!cases[i].free)
        n_used++;
    }
  g_assert_true (sv_sms_record_is_free (NULL));

  /* A record freed here: '00', then 'FF'. */
  {
    g_autoptr(GBytes) fresh = sv_sms_record_new_free (176);
    const guint8 *data = g_bytes_get_data (fresh, NULL);

    g_assert_cmpuint (g_bytes_get_size (fresh), ==, 176);
    g_assert_cmpuint (data[0], ==, 0x00);
    for (guint b = 1; b < 176; b++)
      g_assert_cmpuint (data[b], ==, 0xFF);
    g_assert_true (sv_sms_record_is_free (fresh));
  }

  /* Every used record is a message (here none decodes), no free one is. */
  g_assert_cmpuint (sv_sms_store_count_used (image), ==, n_used);
  messages = sv_sms_store_decode (image, NULL);
  g_assert_cmpuint (messages->len, ==, n_used);
  for (guint m = 0; m < messages->len; m++)
    g_assert_false (cases[sv_message_get_index (g_ptr_array_index (messages, m)) - 1].free);
}

/* The status byte written for each status, and read back. */
static void
test_status_bytes (void)
{
  static const struct
  {
    SvMessageStatus status;
    guint8          raw;
  } cases[] = {
    { SV_MESSAGE_STATUS_FREE, 0x00 },
    { SV_MESSAGE_STATUS_READ, 0x01 },
    { SV_MESSAGE_STATUS_UNREAD, 0x03 },
    { SV_MESSAGE_STATUS_SENT, 0x05 },
    { SV_MESSAGE_STATUS_UNSENT, 0x07 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_assert_cmpuint (sv_sms_store_status_to_raw (cases[i].status), ==, cases[i].raw);
      g_assert_cmpint (sv_sms_store_status_from_raw (cases[i].raw), ==, cases[i].status);
    }
}

static SvCardImage *
image_with_free_sms (guint n)
{
  SvCardImage *image = sv_card_image_new (SV_CARD_TYPE_SIM);

  sv_card_image_add_file (image, "sms", "3F007F106F3C", SV_FILE_STRUCTURE_LINEAR_FIXED, 176, n);
  for (guint i = 1; i <= n; i++)
    set_sms (image, i, "00");
  return image;
}

static void
test_add (void)
{
  g_autoptr(SvCardImage) image = image_with_free_sms (4);
  g_autoptr(SvCardImage) before = NULL;
  g_autoptr(GDateTime) when = g_date_time_new_utc (2024, 3, 1, 12, 0, 5);
  g_autoptr(GArray) records = NULL;
  g_autoptr(GArray) long_records = NULL;
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(GString) long_text = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  const guint8 *data;
  SvMessage *m;

  /* A received message: SMS-DELIVER, status '03', its time stamp. */
  g_assert_true (sv_sms_store_add (image, SV_MESSAGE_STATUS_UNREAD, "+8613800138000",
                                   "你好，明天见", when, &records, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (records->len, ==, 1);
  g_assert_cmpuint (g_array_index (records, guint, 0), ==, 1);
  data = g_bytes_get_data (sv_card_image_get_record (image, "sms", 1), NULL);
  g_assert_cmpuint (data[0], ==, 0x03);

  /* 200 GSM characters: two parts of 153 and 47 septets, SMS-SUBMIT. */
  for (guint i = 0; i < 200; i++)
    g_string_append_c (long_text, 'a' + i % 26);
  g_assert_true (sv_sms_store_add (image, SV_MESSAGE_STATUS_UNSENT, "5551234", long_text->str,
                                   NULL, &long_records, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (long_records->len, ==, 2);
  g_assert_cmpuint (g_array_index (long_records, guint, 0), ==, 2);
  g_assert_cmpuint (g_array_index (long_records, guint, 1), ==, 3);

  messages = sv_sms_store_decode (image, &error);
  g_assert_cmpuint (messages->len, ==, 2);
  m = g_ptr_array_index (messages, 0);
  g_assert_cmpstr (sv_message_get_text (m), ==, "你好，明天见");
  g_assert_cmpstr (sv_message_get_number (m), ==, "+8613800138000");
  g_assert_cmpint (sv_message_get_status (m), ==, SV_MESSAGE_STATUS_UNREAD);
  g_assert_cmpint (sv_message_get_message_type (m), ==, SV_MESSAGE_TYPE_DELIVER);
  g_assert_true (g_date_time_equal (sv_message_get_timestamp (m), when));
  m = g_ptr_array_index (messages, 1);
  g_assert_cmpstr (sv_message_get_text (m), ==, long_text->str);
  g_assert_cmpuint (sv_message_get_n_parts (m), ==, 2);
  g_assert_cmpint (sv_message_get_status (m), ==, SV_MESSAGE_STATUS_UNSENT);
  g_assert_cmpint (sv_message_get_message_type (m), ==, SV_MESSAGE_TYPE_SUBMIT);

  /* One record is left: a two-part text does not fit, nothing changes. */
  before = sv_card_image_copy (image);
  g_assert_false (sv_sms_store_add (image, SV_MESSAGE_STATUS_READ, "1", long_text->str,
                                    NULL, NULL, &error));
  g_assert_error (error, SV_SMS_STORE_ERROR, SV_SMS_STORE_ERROR_DOES_NOT_FIT);
  g_clear_error (&error);
  g_assert_true (sv_card_image_equal (image, before));

  g_assert_false (sv_sms_store_add (image, SV_MESSAGE_STATUS_READ, "1", "", NULL, NULL, &error));
  g_assert_error (error, SV_SMS_STORE_ERROR, SV_SMS_STORE_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (sv_sms_store_add (image, SV_MESSAGE_STATUS_FREE, "1", "x", NULL, NULL, &error));
  g_assert_error (error, SV_SMS_STORE_ERROR, SV_SMS_STORE_ERROR_INVALID);
}

static void
test_add_no_file (void)
{
  g_autoptr(SvCardImage) image = sv_card_image_new (SV_CARD_TYPE_SIM);
  g_autoptr(GError) error = NULL;

  g_assert_false (sv_sms_store_add (image, SV_MESSAGE_STATUS_READ, "1", "x", NULL, NULL, &error));
  g_assert_error (error, SV_SMS_STORE_ERROR, SV_SMS_STORE_ERROR_NO_FILE);
  g_assert_cmpuint (sv_sms_store_count_used (image), ==, 0);
}

static void
test_set_status (void)
{
  g_autoptr(SvCardImage) image = image_with_free_sms (4);
  g_autoptr(GArray) indices = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr(GError) error = NULL;
  const guint8 *data;
  guint n_changed = 99;
  guint all[] = { 1, 2, 3, 4 };
  guint beyond = 5;

  set_sms (image, 1, "03 " SMSC "04 04 81 65 87 00 08 " SCTS "04 00 4F 00 4B");   /* to be read */
  set_sms (image, 2, "05 " SMSC "01 00 04 81 65 87 00 08 04 00 4F 00 4B");       /* sent */
  set_sms (image, 3, "01 " SMSC "04 04 81 65 87 00 08 " SCTS "04 00 4F 00 4B");   /* read */
  g_array_append_vals (indices, all, G_N_ELEMENTS (all));

  /* Read: only the received unread one changes; sent and free stay. */
  g_assert_true (sv_sms_store_set_status (image, indices, SV_MESSAGE_STATUS_READ, &n_changed, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_changed, ==, 1);
  data = g_bytes_get_data (sv_card_image_get_record (image, "sms", 1), NULL);
  g_assert_cmpuint (data[0], ==, 0x01);
  data = g_bytes_get_data (sv_card_image_get_record (image, "sms", 2), NULL);
  g_assert_cmpuint (data[0], ==, 0x05);

  g_assert_true (sv_sms_store_set_status (image, indices, SV_MESSAGE_STATUS_UNREAD, &n_changed, &error));
  g_assert_cmpuint (n_changed, ==, 2);
  data = g_bytes_get_data (sv_card_image_get_record (image, "sms", 3), NULL);
  g_assert_cmpuint (data[0], ==, 0x03);

  /* Delete: status '00', then 'FF' (TS 51.011 §10.5.3). */
  g_assert_true (sv_sms_store_set_status (image, indices, SV_MESSAGE_STATUS_FREE, &n_changed, &error));
  g_assert_cmpuint (n_changed, ==, 3);
  for (guint i = 1; i <= 4; i++)
    {
      gsize len;

      data = g_bytes_get_data (sv_card_image_get_record (image, "sms", i), &len);
      g_assert_cmpuint (len, ==, 176);
      g_assert_cmpuint (data[0], ==, 0x00);
      for (gsize b = 1; b < len; b++)
        g_assert_cmpuint (data[b], ==, 0xFF);
    }
  g_assert_cmpuint (sv_sms_store_count_used (image), ==, 0);

  g_array_append_val (indices, beyond);
  g_assert_false (sv_sms_store_set_status (image, indices, SV_MESSAGE_STATUS_FREE, NULL, &error));
  g_assert_error (error, SV_SMS_STORE_ERROR, SV_SMS_STORE_ERROR_NO_SUCH_RECORD);
}

static void
test_split_text (void)
{
  g_autoptr(GPtrArray) single = NULL;
  g_autoptr(GPtrArray) gsm_parts = NULL;
  g_autoptr(GPtrArray) ucs2_parts = NULL;
  g_autoptr(GString) gsm = g_string_new (NULL);
  g_autoptr(GString) chinese = g_string_new (NULL);
  gboolean ucs2;

  single = sv_sms_store_split_text ("hello", &ucs2);
  g_assert_false (ucs2);
  g_assert_cmpuint (single->len, ==, 1);

  /* 152 septets then '€' (an escape pair, 2 septets): the pair is not cut,
   * the first part holds 152 septets (TS 23.038 §6.2.1.1). */
  for (guint i = 0; i < 152; i++)
    g_string_append_c (gsm, 'a');
  g_string_append (gsm, "€");
  for (guint i = 0; i < 47; i++)
    g_string_append_c (gsm, 'b');
  gsm_parts = sv_sms_store_split_text (gsm->str, &ucs2);
  g_assert_false (ucs2);
  g_assert_cmpuint (gsm_parts->len, ==, 2);
  g_assert_cmpuint (strlen (g_ptr_array_index (gsm_parts, 0)), ==, 152);
  g_assert_true (g_str_has_prefix (g_ptr_array_index (gsm_parts, 1), "€"));

  /* 70 UCS2 characters fit one message, 71 need two parts of 67 + 4; an
   * emoji (a surrogate pair) is never cut in half. */
  for (guint i = 0; i < 66; i++)
    g_string_append (chinese, "中");
  g_string_append (chinese, "😀");
  for (guint i = 0; i < 4; i++)
    g_string_append (chinese, "文");
  ucs2_parts = sv_sms_store_split_text (chinese->str, &ucs2);
  g_assert_true (ucs2);
  g_assert_cmpuint (ucs2_parts->len, ==, 2);
  g_assert_cmpuint (g_utf8_strlen (g_ptr_array_index (ucs2_parts, 0), -1), ==, 66);
  g_assert_true (g_str_has_prefix (g_ptr_array_index (ucs2_parts, 1), "😀"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sv/sms-store/decode/reassembly", test_messages_reassembly);
  g_test_add_func ("/sv/sms-store/decode/order-independent", test_messages_order_independent);
  g_test_add_func ("/sv/sms-store/decode/duplicate-part", test_messages_duplicate_part);
  g_test_add_func ("/sv/sms-store/free-record-rule", test_free_record_rule);
  g_test_add_func ("/sv/sms-store/status-bytes", test_status_bytes);
  g_test_add_func ("/sv/sms-store/add", test_add);
  g_test_add_func ("/sv/sms-store/add/no-file", test_add_no_file);
  g_test_add_func ("/sv/sms-store/set-status", test_set_status);
  g_test_add_func ("/sv/sms-store/split-text", test_split_text);

  return g_test_run ();
}
