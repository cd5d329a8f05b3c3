/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * SMS TPDUs (TS 23.040 §9.2), DCS (TS 23.038 §4), EF_SMS (TS 51.011
 * §10.5.3) and concatenation (TS 23.040 §9.2.3.24.1).
 */
#include "config.h"

#include <string.h>

#include "sv-codec.h"
#include "test-util.h"

typedef struct
{
  const char    *hex;
  gboolean       has_smsc;
  SvSmsType      type;
  const char    *smsc;
  const char    *number;
  guint          ton;
  const char    *timestamp;      /* ISO 8601, or NULL */
  SvSmsAlphabet  alphabet;
  const char    *text;           /* NULL: no text */
  gint           concat_ref;     /* -1: not concatenated */
  guint          concat_total;
  guint          concat_seq;
} TpduCase;

static const TpduCase tpdu_cases[] = {
  /* The well-known public SMS-DELIVER "How are you?" */
  { "07911326040000F0040B911346610089F60000208062917314080CC8F71D14969741F977FD07", TRUE,
    SV_SMS_TYPE_DELIVER, "+31624000000", "+31641600986", SV_TON_INTERNATIONAL,
    "2002-08-26T19:37:41+00:00", SV_SMS_ALPHABET_GSM7, "How are you?", -1, 0, 0 },
  /* Android GsmSmsTest: negative time zone (0x8A = -28 quarters) */
  { "07914151551512F2040B916105551511F100006060605130308A04D4F29C0E", TRUE,
    SV_SMS_TYPE_DELIVER, "+14155551212", "+16505551111", SV_TON_INTERNATIONAL,
    "2006-06-06T15:03:03-07:00", SV_SMS_ALPHABET_GSM7, "Test", -1, 0, 0 },
  /* Worked: alphanumeric originator packed in 7 bit (14 semi-octets) */
  { "00040ED0D374DB1AAEB3E900004230102100502305C8329BFD06", TRUE,
    SV_SMS_TYPE_DELIVER, NULL, "SimVault", SV_TON_ALPHANUMERIC,
    "2024-03-01T12:00:05+08:00", SV_SMS_ALPHABET_GSM7, "Hello", -1, 0, 0 },
  /* Worked: SMS-SUBMIT with TP-UDHI, 8 bit concatenation, 1 fill bit */
  { "0041000B916407281553F8000009050003CC02019069", TRUE,
    SV_SMS_TYPE_SUBMIT, NULL, "+46708251358", SV_TON_INTERNATIONAL,
    NULL, SV_SMS_ALPHABET_GSM7, "Hi", 0xCC, 2, 1 },
  /* Worked: 16 bit concatenation reference, no fill bits (7-octet UDH) */
  { "4100038121F300000A060804ABCD0302C834", FALSE,
    SV_SMS_TYPE_SUBMIT, NULL, "123", SV_TON_UNKNOWN,
    NULL, SV_SMS_ALPHABET_GSM7, "Hi", 0xABCD, 3, 2 },
  /* Worked: UCS2 */
  { "00040B916407281553F8000842301021005023044F60597D", TRUE,
    SV_SMS_TYPE_DELIVER, NULL, "+46708251358", SV_TON_INTERNATIONAL,
    "2024-03-01T12:00:05+08:00", SV_SMS_ALPHABET_UCS2, "你好", -1, 0, 0 },
  /* SMS-SUBMIT with relative validity (hellohello, TS 23.038 example) */
  { "0011000B916407281553F80000AA0AE8329BFD4697D9EC37", TRUE,
    SV_SMS_TYPE_SUBMIT, NULL, "+46708251358", SV_TON_INTERNATIONAL,
    NULL, SV_SMS_ALPHABET_GSM7, "hellohello", -1, 0, 0 },
  /* Worked: SMS-STATUS-REPORT without TP-PI */
  { "06 0D 0B916407281553F8 42301021005023 42301021005523 00", FALSE,
    SV_SMS_TYPE_STATUS_REPORT, NULL, "+46708251358", SV_TON_INTERNATIONAL,
    "2024-03-01T12:00:05+08:00", SV_SMS_ALPHABET_GSM7, NULL, -1, 0, 0 },
  /* Worked: empty originating address */
  { "04 00 80 00 00 42301021005023 00", FALSE,
    SV_SMS_TYPE_DELIVER, NULL, "", SV_TON_UNKNOWN,
    "2024-03-01T12:00:05+08:00", SV_SMS_ALPHABET_GSM7, "", -1, 0, 0 },
};

static void
test_tpdu_decode_golden (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (tpdu_cases); i++)
    {
      const TpduCase *c = &tpdu_cases[i];
      g_autoptr(GError) error = NULL;
      g_autoptr(SvSmsTpdu) t = NULL;
      g_autofree guint8 *data = NULL;
      g_autofree guint8 *again = NULL;
      g_autofree char *iso = NULL;
      g_autofree char *hex_in = NULL;
      g_autofree char *hex_out = NULL;
      gsize len, again_len = 0;

      g_test_message ("case %u: %s", i, c->hex);
      data = test_hex (c->hex, &len);
      t = sv_sms_tpdu_decode (data, len, c->has_smsc, SV_SMS_DIRECTION_AUTO, &error);
      g_assert_no_error (error);
      g_assert_nonnull (t);
      g_assert_cmpint (t->type, ==, c->type);
      g_assert_cmpstr (t->smsc, ==, c->smsc);
      g_assert_cmpstr (t->number, ==, c->number);
      g_assert_cmpuint (SV_TON_NPI_TON (t->number_ton_npi), ==, c->ton);
      if (t->timestamp)
        iso = g_date_time_format (t->timestamp, "%Y-%m-%dT%H:%M:%S%:z");
      g_assert_cmpstr (iso, ==, c->timestamp);
      g_assert_cmpint (t->dcs_info.alphabet, ==, c->alphabet);
      g_assert_cmpstr (t->text, ==, c->text);
      g_assert_cmpint (t->concat, ==, c->concat_ref >= 0);
      if (c->concat_ref >= 0)
        {
          g_assert_cmpuint (t->concat_ref, ==, c->concat_ref);
          g_assert_cmpuint (t->concat_total, ==, c->concat_total);
          g_assert_cmpuint (t->concat_seq, ==, c->concat_seq);
        }

      /* and back to the same bytes */
      again = sv_sms_tpdu_encode (t, c->has_smsc, &again_len, &error);
      g_assert_no_error (error);
      hex_in = test_to_hex (data, len);
      hex_out = test_to_hex (again, again_len);
      g_assert_cmpstr (hex_out, ==, hex_in);
    }
}

static void
test_tpdu_decode_details (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvSmsTpdu) t = NULL;
  g_autofree guint8 *data = NULL;
  gsize len;

  /* 8 bit WAP push with 16 bit application ports (TS 23.040 §9.2.3.24.4) */
  data = test_hex ("00440B916407281553F80004423010210050230A060504 0B8423F0 010203", &len);
  t = sv_sms_tpdu_decode (data, len, TRUE, SV_SMS_DIRECTION_AUTO, &error);
  g_assert_no_error (error);
  g_assert_cmpint (t->dcs_info.alphabet, ==, SV_SMS_ALPHABET_8BIT);
  g_assert_true (t->udhi);
  g_assert_true (t->ports);
  g_assert_true (t->ports_16bit);
  g_assert_cmpuint (t->port_dst, ==, 2948);
  g_assert_cmpuint (t->port_src, ==, 9200);
  g_assert_false (t->concat);
  g_assert_cmpuint (g_bytes_get_size (t->user_data), ==, 3);
  g_clear_pointer (&t, sv_sms_tpdu_free);
  g_clear_pointer (&data, g_free);

  /* compressed (TS 23.038 §4 bit 5): no text, but the headers decode */
  data = test_hex ("00040B916407281553F800204230102100502303AABBCC", &len);
  t = sv_sms_tpdu_decode (data, len, TRUE, SV_SMS_DIRECTION_AUTO, &error);
  g_assert_no_error (error);
  g_assert_true (t->dcs_info.compressed);
  g_assert_null (t->text);
  g_assert_nonnull (t->text_error);
  g_assert_cmpstr (t->number, ==, "+46708251358");
  g_assert_cmpuint (t->udl, ==, 3);
  g_clear_pointer (&t, sv_sms_tpdu_free);
  g_clear_pointer (&data, g_free);

  /* status report fields */
  data = test_hex ("060D0B916407281553F8423010210050234230102100552346", &len);
  t = sv_sms_tpdu_decode (data, len, FALSE, SV_SMS_DIRECTION_MT, &error);
  g_assert_no_error (error);
  g_assert_cmpint (t->type, ==, SV_SMS_TYPE_STATUS_REPORT);
  g_assert_cmpuint (t->mr, ==, 0x0D);
  g_assert_cmpuint (t->status, ==, 0x46);
  g_assert_nonnull (t->discharge_time);
  g_assert_cmpint (g_date_time_get_second (t->discharge_time), ==, 55);
  g_assert_false (t->has_pi);
  g_clear_pointer (&t, sv_sms_tpdu_free);
  g_clear_pointer (&data, g_free);

  /* MTI 11 received by the phone reads as SMS-DELIVER (§9.2.3.1) */
  data = test_hex ("070B916407281553F80000423010210050230100", &len);
  t = sv_sms_tpdu_decode (data, len, FALSE, SV_SMS_DIRECTION_MT, &error);
  g_assert_no_error (error);
  g_assert_cmpint (t->type, ==, SV_SMS_TYPE_DELIVER);
  g_assert_cmpstr (t->text, ==, "@");
  g_clear_pointer (&t, sv_sms_tpdu_free);

  /* but is an error when the phone sent it */
  t = sv_sms_tpdu_decode (data, len, FALSE, SV_SMS_DIRECTION_MO, &error);
  g_assert_null (t);
  g_assert_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_INVALID);
  g_clear_error (&error);

  /* MTI 01 received by the phone is a SUBMIT-REPORT: not supported */
  t = sv_sms_tpdu_decode ((const guint8 *) "\x01\x00", 2, FALSE, SV_SMS_DIRECTION_MT, &error);
  g_assert_null (t);
  g_assert_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_UNSUPPORTED);
}

static void
test_tpdu_decode_errors (void)
{
  static const struct
  {
    const char *hex;
    gboolean    has_smsc;
    gint        code;
    const char *where;
  } cases[] = {
    { "", FALSE, SV_CODEC_ERROR_TRUNCATED, "at byte 0" },
    { "07911326040000", TRUE, SV_CODEC_ERROR_TRUNCATED, "at byte 1" },
    { "0D91", TRUE, SV_CODEC_ERROR_INVALID, "at byte 0" },
    /* UDL says 12 septets, 10 octets present */
    { "07911326040000F0040B911346610089F60000208062917314080CC8F71D14969741F977", TRUE,
      SV_CODEC_ERROR_TRUNCATED, "at byte 27" },
    /* UDHL 0x09 larger than the user data */
    { "4100038121F300000A090804ABCD0302C834", FALSE, SV_CODEC_ERROR_INVALID, "at byte 9" },
    /* UDH element overrunning the header */
    { "4100038121F300000A0608 07ABCD0302C834", FALSE, SV_CODEC_ERROR_INVALID, "at byte 10" },
    /* SCTS missing */
    { "040B916407281553F80000423010", FALSE, SV_CODEC_ERROR_TRUNCATED, "at byte 11" },
    /* TS 23.040 §9.2.3.16: 8 bit TP-UDL 141 > 140 octets, all 141 present */
    { "0100038121F300048D"
      "414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141"
      "414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141"
      "41414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141",
      FALSE, SV_CODEC_ERROR_INVALID, "at byte 8" },
    /* GSM 7 bit TP-UDL 161 > 160 septets, all 141 octets present */
    { "0100038121F30000A1"
      "414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141"
      "414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141"
      "41414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141",
      FALSE, SV_CODEC_ERROR_INVALID, "at byte 8" },
    /* UCS2 user data of 3 octets: ends inside a character */
    { "0100038121F30008030041FF", FALSE, SV_CODEC_ERROR_INVALID, "at byte 9" },
    /* concatenation element (IEI 00) of 2 bytes instead of 3 */
    { "4100038121F30004060400 02AB0341", FALSE, SV_CODEC_ERROR_INVALID, "at byte 10" },
    /* 16 bit ports element (IEI 05) of 2 bytes instead of 4 */
    { "4100038121F300040604050204D241", FALSE, SV_CODEC_ERROR_INVALID, "at byte 10" },
    /* UDHL 0x07 past TP-UDL 4 (the bytes after it are padding) */
    { "4100038121F300040407000301020341FFFF", FALSE, SV_CODEC_ERROR_INVALID, "at byte 9" },
    /* a STATUS-REPORT whose TP-PI announces user data beyond the TPDU */
    { "060D0B916407281553F842301021005023423010210055230004", FALSE,
      SV_CODEC_ERROR_TRUNCATED, "TP-UDL" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree guint8 *data = NULL;
      SvSmsTpdu *t;
      gsize len;

      g_test_message ("case %u: %s", i, cases[i].hex);
      data = test_hex (cases[i].hex, &len);
      t = sv_sms_tpdu_decode (data, len, cases[i].has_smsc, SV_SMS_DIRECTION_AUTO, &error);
      g_assert_null (t);
      g_assert_error (error, SV_CODEC_ERROR, cases[i].code);
      g_assert_nonnull (strstr (error->message, cases[i].where));
    }
}

/* SMS-STATUS-REPORT (TS 23.040 §9.2.2.3): TP-SCTS and TP-DT are both
 * decoded, with their own time zones. */
static void
test_tpdu_status_report_times (void)
{
  g_autoptr(GError) error = NULL;
  gsize len;
  g_autofree guint8 *data = test_hex ("0006D60B911326880736F4111011719551401110117195714000", &len);
  g_autoptr(SvSmsTpdu) t = sv_sms_tpdu_decode (data, len, TRUE, SV_SMS_DIRECTION_AUTO, &error);
  g_autofree char *scts = NULL;
  g_autofree char *dt = NULL;

  g_assert_no_error (error);
  g_assert_cmpint (t->type, ==, SV_SMS_TYPE_STATUS_REPORT);
  g_assert_cmpuint (t->mr, ==, 0xD6);
  g_assert_cmpstr (t->number, ==, "+31628870634");
  g_assert_nonnull (t->timestamp);
  g_assert_nonnull (t->discharge_time);
  scts = g_date_time_format (t->timestamp, "%Y-%m-%dT%H:%M:%S%:z");
  dt = g_date_time_format (t->discharge_time, "%Y-%m-%dT%H:%M:%S%:z");
  g_assert_cmpstr (scts, ==, "2011-01-11T17:59:15+01:00");
  g_assert_cmpstr (dt, ==, "2011-01-11T17:59:17+01:00");
  g_assert_cmpuint (t->status, ==, 0);
}

static void
test_dcs (void)
{
  static const struct
  {
    guint8        dcs;
    SvSmsAlphabet alphabet;
    gint          message_class;
    gboolean      compressed;
    gboolean      mwi;
  } cases[] = {
    { 0x00, SV_SMS_ALPHABET_GSM7, -1, FALSE, FALSE },
    { 0x04, SV_SMS_ALPHABET_8BIT, -1, FALSE, FALSE },
    { 0x08, SV_SMS_ALPHABET_UCS2, -1, FALSE, FALSE },
    { 0x0C, SV_SMS_ALPHABET_GSM7, -1, FALSE, FALSE },   /* reserved: GSM 7 bit */
    { 0x10, SV_SMS_ALPHABET_GSM7, 0, FALSE, FALSE },    /* flash */
    { 0x11, SV_SMS_ALPHABET_GSM7, 1, FALSE, FALSE },
    { 0x16, SV_SMS_ALPHABET_8BIT, 2, FALSE, FALSE },
    { 0x13, SV_SMS_ALPHABET_GSM7, 3, FALSE, FALSE },
    { 0x1B, SV_SMS_ALPHABET_UCS2, 3, FALSE, FALSE },
    { 0x18, SV_SMS_ALPHABET_UCS2, 0, FALSE, FALSE },
    { 0x20, SV_SMS_ALPHABET_GSM7, -1, TRUE, FALSE },
    { 0x2A, SV_SMS_ALPHABET_UCS2, -1, TRUE, FALSE },
    { 0x48, SV_SMS_ALPHABET_UCS2, -1, FALSE, FALSE },   /* auto deletion */
    { 0x80, SV_SMS_ALPHABET_GSM7, -1, FALSE, FALSE },   /* reserved group */
    { 0xC0, SV_SMS_ALPHABET_GSM7, -1, FALSE, TRUE },
    { 0xD8, SV_SMS_ALPHABET_GSM7, -1, FALSE, TRUE },
    { 0xE0, SV_SMS_ALPHABET_UCS2, -1, FALSE, TRUE },
    { 0xF0, SV_SMS_ALPHABET_GSM7, 0, FALSE, FALSE },
    { 0xF2, SV_SMS_ALPHABET_GSM7, 2, FALSE, FALSE },
    { 0xF4, SV_SMS_ALPHABET_8BIT, 0, FALSE, FALSE },
    { 0xF5, SV_SMS_ALPHABET_8BIT, 1, FALSE, FALSE },
    { 0xFF, SV_SMS_ALPHABET_8BIT, 3, FALSE, FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      SvSmsDcsInfo info;

      sv_sms_dcs_decode (cases[i].dcs, &info);
      g_test_message ("dcs 0x%02X", cases[i].dcs);
      g_assert_cmpint (info.alphabet, ==, cases[i].alphabet);
      g_assert_cmpint (info.message_class, ==, cases[i].message_class);
      g_assert_cmpint (info.compressed, ==, cases[i].compressed);
      g_assert_cmpint (info.mwi_group, ==, cases[i].mwi);
    }

  {
    SvSmsDcsInfo info;

    sv_sms_dcs_decode (0xD9, &info);
    g_assert_true (info.mwi_active);
    g_assert_cmpuint (info.mwi_type, ==, 1);
    g_assert_false (info.mwi_discard);
    sv_sms_dcs_decode (0xC0, &info);
    g_assert_true (info.mwi_discard);
  }
}

static void
test_timestamp (void)
{
  static const struct
  {
    const char *hex;
    const char *iso;
  } cases[] = {
    { "42301021005023", "2024-03-01T12:00:05+08:00" },
    { "4230102100504A", "2024-03-01T12:00:05-06:00" },
    { "99211332959500", "1999-12-31T23:59:59+00:00" },
    { "00101010101040", "2000-01-01T01:01:01+01:00" },
    { "42301021005083", "2024-03-01T12:00:05+09:30" },
    { "42311021005023", NULL },   /* month 13 */
    { "423010210050A2", NULL },   /* tz digit 0xA */
    { "FFFFFFFFFFFFFF", NULL },
    { "00000000000000", NULL },   /* month 0 */
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree guint8 *data = NULL;
      g_autoptr(GDateTime) dt = NULL;
      g_autofree char *iso = NULL;
      gsize len;

      data = test_hex (cases[i].hex, &len);
      dt = sv_sms_timestamp_decode (data);
      if (dt)
        {
          guint8 back[7];
          g_autoptr(GError) error = NULL;

          iso = g_date_time_format (dt, "%Y-%m-%dT%H:%M:%S%:z");
          g_assert_true (sv_sms_timestamp_encode (dt, back, &error));
          g_assert_cmpmem (back, 7, data, 7);
        }
      g_assert_cmpstr (iso, ==, cases[i].iso);
    }
}

static void
test_validity (void)
{
  static const struct
  {
    guint8 vp;
    guint  seconds;
  } cases[] = {
    { 0, 5 * 60 }, { 11, 60 * 60 }, { 143, 12 * 3600 }, { 144, 12 * 3600 + 1800 },
    { 167, 24 * 3600 }, { 168, 2 * 86400 }, { 196, 30 * 86400 }, { 197, 5 * 7 * 86400 },
    { 255, 63 * 7 * 86400 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_assert_cmpuint (sv_sms_vp_relative_seconds (cases[i].vp), ==, cases[i].seconds);
      g_assert_cmpuint (sv_sms_vp_relative_encode (cases[i].seconds), ==, cases[i].vp);
    }

  {
    g_autoptr(GError) error = NULL;
    g_autoptr(SvSmsTpdu) t = NULL;
    g_autofree guint8 *data = NULL;
    gsize len;

    /* enhanced format, relative in seconds (TS 23.040 §9.2.3.12.3) */
    data = test_hex ("0900038121F300000278000000000001 31", &len);
    t = sv_sms_tpdu_decode (data, len, FALSE, SV_SMS_DIRECTION_AUTO, &error);
    g_assert_no_error (error);
    g_assert_cmpint (t->vp_format, ==, SV_SMS_VP_ENHANCED);
    g_assert_cmpuint (t->vp_seconds, ==, 0x78);
    g_assert_cmpstr (t->text, ==, "1");
    g_clear_pointer (&t, sv_sms_tpdu_free);
    g_clear_pointer (&data, g_free);

    /* absolute format */
    data = test_hex ("1900038121F30000 4230102100500A 01 31", &len);
    t = sv_sms_tpdu_decode (data, len, FALSE, SV_SMS_DIRECTION_AUTO, &error);
    g_assert_no_error (error);
    g_assert_cmpint (t->vp_format, ==, SV_SMS_VP_ABSOLUTE);
    g_assert_nonnull (t->vp_absolute);
    g_assert_cmpint (g_date_time_get_utc_offset (t->vp_absolute) / G_TIME_SPAN_HOUR, ==, -5);
  }
}

static SvSmsTpdu *
make_part (const char *text,
           guint       ref,
           guint       total,
           guint       seq)
{
  SvSmsTpdu *t = sv_sms_tpdu_new ();

  t->type = SV_SMS_TYPE_DELIVER;
  t->number = g_strdup ("+46708251358");
  t->text = g_strdup (text);
  t->concat = total > 0;
  t->concat_ref = ref;
  t->concat_total = total;
  t->concat_seq = seq;
  return t;
}

static void
test_reassemble (void)
{
  SvSmsTpdu *parts[6];
  g_autoptr(GPtrArray) messages = NULL;
  SvSmsConcat *c;

  parts[0] = make_part ("C", 7, 3, 3);
  parts[1] = make_part ("A", 7, 3, 1);
  parts[2] = make_part ("solo", 0, 0, 0);
  parts[3] = make_part ("B", 7, 3, 2);
  parts[4] = make_part ("y", 8, 2, 2);   /* part 1 of ref 8 missing */
  parts[5] = make_part ("A-dup", 7, 3, 1);

  messages = sv_sms_reassemble (parts, G_N_ELEMENTS (parts));
  g_assert_cmpuint (messages->len, ==, 4);

  c = g_ptr_array_index (messages, 0);
  g_assert_cmpstr (c->text, ==, "solo");
  g_assert_true (c->complete);
  g_assert_cmpuint (c->total, ==, 1);

  c = g_ptr_array_index (messages, 1);
  g_assert_cmpuint (c->ref, ==, 7);
  g_assert_cmpstr (c->text, ==, "ABC");
  g_assert_true (c->complete);
  g_assert_true (g_ptr_array_index (c->parts, 0) == parts[1]);

  /* The second copy of part 1 is not dropped: a message of its own. */
  c = g_ptr_array_index (messages, 2);
  g_assert_cmpuint (c->ref, ==, 7);
  g_assert_cmpstr (c->text, ==, "A-dup");
  g_assert_false (c->complete);
  g_assert_cmpuint (c->missing->len, ==, 2);
  g_assert_true (g_ptr_array_index (c->parts, 0) == parts[5]);

  c = g_ptr_array_index (messages, 3);
  g_assert_cmpuint (c->ref, ==, 8);
  g_assert_false (c->complete);
  g_assert_cmpuint (c->missing->len, ==, 1);
  g_assert_cmpuint (g_array_index (c->missing, guint, 0), ==, 1);
  g_assert_cmpstr (c->text, ==, "y");

  for (guint i = 0; i < G_N_ELEMENTS (parts); i++)
    sv_sms_tpdu_free (parts[i]);
}

/* Same address, reference and part count but another TPDU type (a
 * received and a sent message): two messages, never one. */
static void
test_reassemble_type_apart (void)
{
  SvSmsTpdu *parts[2];
  g_autoptr(GPtrArray) messages = NULL;

  parts[0] = make_part ("in", 3, 2, 1);
  parts[1] = make_part ("out", 3, 2, 2);
  parts[1]->type = SV_SMS_TYPE_SUBMIT;

  messages = sv_sms_reassemble (parts, G_N_ELEMENTS (parts));
  g_assert_cmpuint (messages->len, ==, 2);
  for (guint i = 0; i < messages->len; i++)
    g_assert_false (((SvSmsConcat *) g_ptr_array_index (messages, i))->complete);

  for (guint i = 0; i < G_N_ELEMENTS (parts); i++)
    sv_sms_tpdu_free (parts[i]);
}

/* TPDUs built by hand with a sequence outside 1..total (the decoder never
 * produces them) are messages of their own, never an index out of range. */
static void
test_reassemble_bad_sequence (void)
{
  SvSmsTpdu *parts[4];
  g_autoptr(GPtrArray) messages = NULL;

  parts[0] = make_part ("zero", 9, 2, 0);
  parts[1] = make_part ("beyond", 9, 2, 3);
  parts[2] = make_part ("one", 9, 2, 1);
  parts[3] = make_part ("two", 9, 2, 2);

  messages = sv_sms_reassemble (parts, G_N_ELEMENTS (parts));
  g_assert_cmpuint (messages->len, ==, 3);
  for (guint i = 0; i < messages->len; i++)
    {
      SvSmsConcat *c = g_ptr_array_index (messages, i);

      if (c->total == 2)
        {
          g_assert_cmpstr (c->text, ==, "onetwo");
          g_assert_true (c->complete);
        }
      else
        {
          g_assert_cmpuint (c->total, ==, 1);
          g_assert_true (g_str_equal (c->text, "zero") || g_str_equal (c->text, "beyond"));
        }
    }

  for (guint i = 0; i < G_N_ELEMENTS (parts); i++)
    sv_sms_tpdu_free (parts[i]);
}

static void
test_ef_sms (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *pdu = NULL;
  guint8 rec[SV_EF_SMS_RECORD_LEN];
  guint8 again[SV_EF_SMS_RECORD_LEN];
  SvEfSmsRecord r;
  gsize len;

  pdu = test_hex ("07911326040000F0040B911346610089F60000208062917314080CC8F71D14969741F977FD07", &len);
  memset (rec, 0xFF, sizeof rec);
  rec[0] = 0x03;
  memcpy (rec + 1, pdu, len);

  g_assert_true (sv_ef_sms_record_decode (rec, sizeof rec, &r, &error));
  g_assert_no_error (error);
  g_assert_cmpint (r.status, ==, SV_EF_SMS_TO_BE_READ);
  g_assert_cmpstr (sv_ef_sms_status_to_string (r.status), ==, "to_be_read");
  g_assert_cmpstr (r.tpdu->text, ==, "How are you?");
  g_assert_cmpstr (r.tpdu->smsc, ==, "+31624000000");

  g_assert_true (sv_ef_sms_record_encode (SV_EF_SMS_TO_BE_READ, r.tpdu, again, sizeof again, &error));
  g_assert_cmpmem (again, sizeof again, rec, sizeof rec);
  sv_ef_sms_record_clear (&r);

  /* free record */
  memset (rec, 0xFF, sizeof rec);
  rec[0] = 0x00;
  g_assert_true (sv_ef_sms_record_decode (rec, sizeof rec, &r, &error));
  g_assert_cmpint (r.status, ==, SV_EF_SMS_FREE);
  g_assert_null (r.tpdu);

  /* sent, status report received and stored (bits 5-4 = 11) */
  g_clear_pointer (&pdu, g_free);
  pdu = test_hex ("0011000B916407281553F80000AA0AE8329BFD4697D9EC37", &len);
  memset (rec, 0xFF, sizeof rec);
  rec[0] = 0x1D;
  memcpy (rec + 1, pdu, len);
  g_assert_true (sv_ef_sms_record_decode (rec, sizeof rec, &r, &error));
  g_assert_cmpint (r.status, ==, SV_EF_SMS_SENT);
  g_assert_cmpuint (r.status_report, ==, 3);
  g_assert_cmpint (r.tpdu->type, ==, SV_SMS_TYPE_SUBMIT);
  g_assert_cmpstr (r.tpdu->text, ==, "hellohello");
  sv_ef_sms_record_clear (&r);

  /* an error inside the TPDU names the byte in the record */
  rec[0] = 0x01;
  rec[1] = 0x0D;
  g_assert_false (sv_ef_sms_record_decode (rec, sizeof rec, &r, &error));
  g_assert_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "at byte 1:"));
}

/* Random messages: encode, decode, compare, encode again to the same bytes. */
static void
test_roundtrip_random (void)
{
  static const char *const texts[] = {
    "", "Hello", "€uro [test] {x} ~^|\\", "你好世界", "Привет, мир", "😀 emoji", "@@@@", "a\nb\rc",
  };

  for (guint iter = 0; iter < 3000; iter++)
    {
      g_autoptr(SvSmsTpdu) t = sv_sms_tpdu_new ();
      g_autoptr(SvSmsTpdu) back = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(GString) text = g_string_new (NULL);
      g_autoptr(GTimeZone) tz = NULL;
      g_autofree guint8 *pdu = NULL;
      g_autofree guint8 *pdu2 = NULL;
      gsize len = 0, len2 = 0;
      guint reps = g_test_rand_int_range (1, 6);
      const char *piece = texts[g_test_rand_int_range (0, G_N_ELEMENTS (texts))];
      gboolean with_smsc = g_test_rand_bit ();

      for (guint i = 0; i < reps; i++)
        g_string_append (text, piece);

      t->type = g_test_rand_bit () ? SV_SMS_TYPE_DELIVER : SV_SMS_TYPE_SUBMIT;
      t->number = g_test_rand_bit () ? g_strdup_printf ("+%u", g_test_rand_int_range (1, G_MAXINT32))
                                     : g_strdup ("Info");
      t->number_ton_npi = t->number[0] == '+' ? 0x91 : 0xD0;
      if (with_smsc && g_test_rand_bit ())
        t->smsc = g_strdup ("+31624000000");
      t->smsc_ton_npi = 0x91;
      t->mr = g_test_rand_int_range (0, 256);
      t->dcs = sv_gsm7_can_encode (text->str) ? 0x00 : 0x08;
      if (g_test_rand_bit ())
        t->dcs |= 0x10 | g_test_rand_int_range (0, 4);   /* with a class */
      t->text = g_strdup (text->str);
      if (g_test_rand_bit ())
        {
          t->concat = TRUE;
          t->concat_16bit = g_test_rand_bit ();
          t->concat_ref = g_test_rand_int_range (0, t->concat_16bit ? 65536 : 256);
          t->concat_total = g_test_rand_int_range (1, 256);
          t->concat_seq = g_test_rand_int_range (1, t->concat_total + 1);
        }
      if (g_test_rand_bit ())
        {
          t->ports = TRUE;
          t->ports_16bit = g_test_rand_bit ();
          t->port_dst = g_test_rand_int_range (0, t->ports_16bit ? 65536 : 256);
          t->port_src = g_test_rand_int_range (0, t->ports_16bit ? 65536 : 256);
        }
      tz = g_time_zone_new_offset (g_test_rand_int_range (-48, 57) * 15 * 60);
      t->timestamp = g_date_time_new (tz, g_test_rand_int_range (1990, 2090), g_test_rand_int_range (1, 13),
                                      g_test_rand_int_range (1, 29), g_test_rand_int_range (0, 24),
                                      g_test_rand_int_range (0, 60), g_test_rand_int_range (0, 60));
      t->vp_format = g_test_rand_bit () ? SV_SMS_VP_RELATIVE : SV_SMS_VP_NONE;
      t->vp_raw[0] = g_test_rand_int_range (0, 256);

      pdu = sv_sms_tpdu_encode (t, with_smsc, &len, &error);
      if (pdu == NULL)
        {
          /* only a text too long for one message may fail */
          g_assert_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_TOO_LONG);
          continue;
        }

      back = sv_sms_tpdu_decode (pdu, len, with_smsc, SV_SMS_DIRECTION_AUTO, &error);
      g_assert_no_error (error);
      g_assert_cmpint (back->type, ==, t->type);
      g_assert_cmpstr (back->text, ==, t->text);
      g_assert_cmpstr (back->number, ==, t->number);
      g_assert_cmpstr (back->smsc, ==, with_smsc ? t->smsc : NULL);
      g_assert_cmpint (back->concat, ==, t->concat);
      g_assert_cmpint (back->ports, ==, t->ports);
      if (t->concat)
        {
          g_assert_cmpuint (back->concat_ref, ==, t->concat_ref);
          g_assert_cmpuint (back->concat_total, ==, t->concat_total);
          g_assert_cmpuint (back->concat_seq, ==, t->concat_seq);
        }
      if (t->ports)
        {
          g_assert_cmpuint (back->port_dst, ==, t->port_dst);
          g_assert_cmpuint (back->port_src, ==, t->port_src);
        }
      if (t->type == SV_SMS_TYPE_DELIVER)
        g_assert_true (g_date_time_equal (back->timestamp, t->timestamp));
      else
        g_assert_cmpuint (back->mr, ==, t->mr);

      pdu2 = sv_sms_tpdu_encode (back, with_smsc, &len2, &error);
      g_assert_no_error (error);
      g_assert_cmpmem (pdu2, len2, pdu, len);
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sv/sms/tpdu/decode/golden", test_tpdu_decode_golden);
  g_test_add_func ("/sv/sms/tpdu/decode/details", test_tpdu_decode_details);
  g_test_add_func ("/sv/sms/tpdu/decode/errors", test_tpdu_decode_errors);
  g_test_add_func ("/sv/sms/tpdu/decode/status-report-times", test_tpdu_status_report_times);
  g_test_add_func ("/sv/sms/dcs", test_dcs);
  g_test_add_func ("/sv/sms/timestamp", test_timestamp);
  g_test_add_func ("/sv/sms/validity", test_validity);
  g_test_add_func ("/sv/sms/reassemble", test_reassemble);
  g_test_add_func ("/sv/sms/reassemble/bad-sequence", test_reassemble_bad_sequence);
  g_test_add_func ("/sv/sms/reassemble/type-apart", test_reassemble_type_apart);
  g_test_add_func ("/sv/sms/ef-sms", test_ef_sms);
  g_test_add_func ("/sv/sms/roundtrip/random", test_roundtrip_random);

  return g_test_run ();
}
