/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * FCP templates (TS 102.221 §11.1.1.3) and 2G file headers (TS 51.011 §9.2.1).
 */
#include "config.h"

#include <string.h>

#include "sv-codec.h"
#include "test-util.h"

typedef struct
{
  const char      *hex;
  gboolean         fcp;
  guint16          fid;
  SvFileStructure structure;
  guint            record_len;
  guint            n_records;
  gsize            file_size;
  gint             sfi;
} FileCase;

static const FileCase cases[] = {
  /* Worked: EF_ADN, linear fixed, shareable, 10 records of 28 bytes, SFI 1 */
  { "621A 82054221001C0A 83026F3A 8A0105 8B036F0604 80020118 880108", TRUE,
    0x6F3A, SV_FILE_STRUCTURE_LINEAR_FIXED, 28, 10, 280, 1 },
  /* Worked: EF_ICCID, transparent, no SFI tag: SFI from the FID */
  { "620F 82024121 83022FE2 8A0105 8002000A", TRUE,
    0x2FE2, SV_FILE_STRUCTURE_TRANSPARENT, 0, 0, 10, 0x02 },
  /* Worked: cyclic, empty SFI tag = no SFI */
  { "6214 82054626000305 83026F39 8A0105 8002000F 8800", TRUE,
    0x6F39, SV_FILE_STRUCTURE_CYCLIC, 3, 5, 15, -1 },
  /* Worked: ADF with AID */
  { "6219 82027821 8410A0000000871002FFFFFFFF8907090000 8A0105", TRUE,
    0x0000, SV_FILE_STRUCTURE_DF, 0, 0, 0, -1 },
  /* 2G: EF_ADN, 280 bytes, linear fixed, 28-byte records */
  { "0000 0118 6F3A 04 00 11FF22 01 02 01 1C", FALSE,
    0x6F3A, SV_FILE_STRUCTURE_LINEAR_FIXED, 28, 10, 280, -1 },
  /* 2G: EF_ICCID transparent */
  { "0000000A2FE204000BFFBB01020000", FALSE,
    0x2FE2, SV_FILE_STRUCTURE_TRANSPARENT, 0, 0, 10, -1 },
  /* 2G: DF_TELECOM */
  { "000000007F100200000000000A13000C0400838A838A", FALSE,
    0x7F10, SV_FILE_STRUCTURE_DF, 0, 0, 0, -1 },
};

static void
test_decode_golden (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const FileCase *c = &cases[i];
      g_autoptr(GError) error = NULL;
      g_autofree guint8 *data = NULL;
      SvFileInfo info;
      gsize len;
      gboolean ok;

      g_test_message ("case %u: %s", i, c->hex);
      data = test_hex (c->hex, &len);
      ok = c->fcp ? sv_fcp_decode (data, len, SV_FILE_INFO_STRICT, &info, &error)
                  : sv_gsm_file_header_decode (data, len, SV_FILE_INFO_STRICT, &info, &error);
      g_assert_no_error (error);
      g_assert_true (ok);
      g_assert_cmpuint (info.fid, ==, c->fid);
      g_assert_cmpint (info.structure, ==, c->structure);
      g_assert_cmpuint (info.record_len, ==, c->record_len);
      g_assert_cmpuint (info.n_records, ==, c->n_records);
      g_assert_cmpuint (info.file_size, ==, c->file_size);
      g_assert_cmpint (info.sfi, ==, c->sfi);
      if (c->structure == SV_FILE_STRUCTURE_DF && c->fcp)
        g_assert_cmpuint (g_bytes_get_size (info.df_name), ==, 16);
      sv_file_info_clear (&info);
    }
}

static void
test_decode_errors (void)
{
  static const struct
  {
    const char *hex;
    gboolean    fcp;
  } bad[] = {
    { "", TRUE },
    { "6F02", TRUE },                  /* not tag 62 */
    { "6210820241", TRUE },            /* template longer than data */
    { "6204820541", TRUE },            /* TLV overruns the template */
    { "62028200", TRUE },              /* empty file descriptor */
    { "0000", FALSE },
    { "000001186F3A05", FALSE },        /* file type 05 */
    { "000001186F3A040011FF22010207", FALSE },  /* structure 07 */
    { "000001186F3A040011FF22010201", FALSE },  /* record EF without record length */
    { "000001186F3A040011FF2201020100", FALSE },  /* record length 0 */
    { "62028281", TRUE },              /* long-form length 81 without its byte */
    { "62028283", TRUE },              /* 83: a length form a UICC does not use */
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree guint8 *data = NULL;
      SvFileInfo info;
      gsize len;
      gboolean ok;

      g_test_message ("case %u: %s", i, bad[i].hex);
      data = test_hex (bad[i].hex, &len);
      ok = bad[i].fcp ? sv_fcp_decode (data, len, SV_FILE_INFO_STRICT, &info, &error)
                      : sv_gsm_file_header_decode (data, len, SV_FILE_INFO_STRICT, &info, &error);
      g_assert_false (ok);
      g_assert_nonnull (error);
      g_assert_nonnull (strstr (error->message, "at byte"));
    }
}

/* SV_FILE_INFO_LENIENT_STRUCTURE on the EF structure codes TS 102.221
 * §11.1.1.4.3 (FDB b3-b1: 000 no information, 011, 100, 101, 111 RFU)
 * and TS 51.011 §9.2.1 (byte 14: only 00, 01, 03) leave undefined: strict
 * gives UNKNOWN (FCP) or an error (2G); lenient gives linear fixed when a
 * record length is given, else transparent. Defined codes decode the
 * same either way. */
typedef struct
{
  const char      *hex;
  gboolean         fcp;
  gboolean         strict_ok;
  SvFileStructure  strict;
  SvFileStructure  lenient;
  guint            record_len;
  guint            n_records;
} LenientCase;

static const LenientCase lenient_cases[] = {
  /* FDB 0x45 (b3-b1 101 RFU) with 10 records of 28 bytes */
  { "620F 82054521001C0A 83026F3A 80020118", TRUE,
    TRUE, SV_FILE_STRUCTURE_UNKNOWN, SV_FILE_STRUCTURE_LINEAR_FIXED, 28, 10 },
  /* FDB 0x43 (011 RFU), record length and count, no tag 80: size from them */
  { "620B 82054321001C03 83026F3B", TRUE,
    TRUE, SV_FILE_STRUCTURE_UNKNOWN, SV_FILE_STRUCTURE_LINEAR_FIXED, 28, 3 },
  /* FDB 0x40 (000 no information), no record length */
  { "620C 82024021 83026F07 80020009", TRUE,
    TRUE, SV_FILE_STRUCTURE_UNKNOWN, SV_FILE_STRUCTURE_TRANSPARENT, 0, 0 },
  /* Defined codes are not touched: linear fixed, transparent */
  { "621A 82054221001C0A 83026F3A 8A0105 8B036F0604 80020118 880108", TRUE,
    TRUE, SV_FILE_STRUCTURE_LINEAR_FIXED, SV_FILE_STRUCTURE_LINEAR_FIXED, 28, 10 },
  { "0000000A2FE204000BFFBB01020000", FALSE,
    TRUE, SV_FILE_STRUCTURE_TRANSPARENT, SV_FILE_STRUCTURE_TRANSPARENT, 0, 0 },
  /* 2G byte 14 = 07 with a record length of 28 */
  { "0000 0118 6F3A 04 00 11FF22 01 02 07 1C", FALSE,
    FALSE, SV_FILE_STRUCTURE_UNKNOWN, SV_FILE_STRUCTURE_LINEAR_FIXED, 28, 10 },
  /* 2G byte 14 = 02 with record length 00, and without byte 15 */
  { "0000 0009 6F07 04 00 11FF22 01 02 02 00", FALSE,
    FALSE, SV_FILE_STRUCTURE_UNKNOWN, SV_FILE_STRUCTURE_TRANSPARENT, 0, 0 },
  { "0000 0009 6F07 04 00 11FF22 01 02 02", FALSE,
    FALSE, SV_FILE_STRUCTURE_UNKNOWN, SV_FILE_STRUCTURE_TRANSPARENT, 0, 0 },
};

static gboolean
decode_with (const LenientCase  *c,
             SvFileInfoFlags     flags,
             SvFileInfo         *info,
             GError            **error)
{
  g_autofree guint8 *data = NULL;
  gsize len;

  data = test_hex (c->hex, &len);
  return c->fcp ? sv_fcp_decode (data, len, flags, info, error)
                : sv_gsm_file_header_decode (data, len, flags, info, error);
}

static void
test_decode_lenient (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (lenient_cases); i++)
    {
      const LenientCase *c = &lenient_cases[i];
      g_autoptr(GError) error = NULL;
      SvFileInfo info;

      g_test_message ("case %u: %s", i, c->hex);

      if (c->strict_ok)
        {
          g_assert_true (decode_with (c, SV_FILE_INFO_STRICT, &info, &error));
          g_assert_no_error (error);
          g_assert_cmpint (info.structure, ==, c->strict);
          sv_file_info_clear (&info);
        }
      else
        {
          g_assert_false (decode_with (c, SV_FILE_INFO_STRICT, &info, &error));
          g_assert_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_INVALID);
          g_clear_error (&error);
        }

      g_assert_true (decode_with (c, SV_FILE_INFO_LENIENT_STRUCTURE, &info, &error));
      g_assert_no_error (error);
      g_assert_cmpint (info.structure, ==, c->lenient);
      g_assert_cmpuint (info.record_len, ==, c->record_len);
      g_assert_cmpuint (info.n_records, ==, c->n_records);
      if (c->lenient == SV_FILE_STRUCTURE_LINEAR_FIXED)
        g_assert_cmpuint (info.file_size, ==, c->record_len * c->n_records);
      sv_file_info_clear (&info);
    }
}

/* ISO/IEC 7816-4 §5.2.2.2: 1-byte, 81 xx and 82 xx xx length fields. */
static void
test_ber_length (void)
{
  static const struct
  {
    const char *hex;
    gsize       start;
    gboolean    ok;
    gsize       length;
    gsize       next;
  } ber_cases[] = {
    { "05", 0, TRUE, 5, 1 },
    { "7F", 0, TRUE, 127, 1 },
    { "8180", 0, TRUE, 128, 2 },
    { "A5 81FF", 1, TRUE, 255, 3 },
    { "820100", 0, TRUE, 256, 3 },
    { "82FFFF", 0, TRUE, 65535, 3 },
    { "", 0, FALSE, 0, 0 },
    { "81", 0, FALSE, 0, 0 },
    { "8201", 0, FALSE, 0, 0 },
    { "80", 0, FALSE, 0, 0 },          /* indefinite form: not in a UICC */
    { "83010000", 0, FALSE, 0, 0 },
    { "05", 1, FALSE, 0, 0 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (ber_cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree guint8 *data = NULL;
      gsize len, pos = ber_cases[i].start, length = 0;

      g_test_message ("case %u: %s from %" G_GSIZE_FORMAT, i, ber_cases[i].hex, ber_cases[i].start);
      data = test_hex (ber_cases[i].hex, &len);
      if (ber_cases[i].ok)
        {
          g_assert_true (sv_ber_length_decode (data, len, &pos, &length, &error));
          g_assert_no_error (error);
          g_assert_cmpuint (length, ==, ber_cases[i].length);
          g_assert_cmpuint (pos, ==, ber_cases[i].next);
        }
      else
        {
          g_assert_false (sv_ber_length_decode (data, len, &pos, &length, &error));
          g_assert_nonnull (error);
          g_assert_cmpuint (pos, ==, ber_cases[i].start);
        }
    }
}

/* ISO/IEC 7816-4 §5.2: one data object, tag, length, value. */
static void
test_ber_tlv (void)
{
  static const struct
  {
    const char *hex;
    gboolean    ok;
    guint8      tag;
    const char *value;
  } tlv_cases[] = {
    { "82024121", TRUE, 0x82, "4121" },
    { "8A0105 FF", TRUE, 0x8A, "05" },
    { "8800", TRUE, 0x88, "" },
    { "C6 8103 900140", TRUE, 0xC6, "900140" },
    { "", FALSE, 0, NULL },
    { "82", FALSE, 0, NULL },
    { "820341", FALSE, 0, NULL },        /* value runs past the data */
    { "8281", FALSE, 0, NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (tlv_cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree guint8 *data = NULL;
      const guint8 *value = NULL;
      gsize len, pos = 0, value_len = 0;
      guint8 tag = 0;

      g_test_message ("case %u: %s", i, tlv_cases[i].hex);
      data = test_hex (tlv_cases[i].hex, &len);
      if (tlv_cases[i].ok)
        {
          g_autofree char *hex = NULL;

          g_assert_true (sv_ber_tlv_next (data, len, &pos, &tag, &value, &value_len, &error));
          g_assert_no_error (error);
          g_assert_cmpuint (tag, ==, tlv_cases[i].tag);
          hex = test_to_hex (value, value_len);
          g_assert_cmpstr (hex, ==, tlv_cases[i].value);
          g_assert_true (value + value_len == data + pos);
        }
      else
        {
          g_assert_false (sv_ber_tlv_next (data, len, &pos, &tag, &value, &value_len, &error));
          g_assert_nonnull (error);
          g_assert_true (error->domain == SV_CODEC_ERROR);
          g_assert_nonnull (strstr (error->message, "at byte"));
          g_assert_cmpuint (pos, ==, 0);
        }
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sv/file-info/decode/golden", test_decode_golden);
  g_test_add_func ("/sv/file-info/decode/errors", test_decode_errors);
  g_test_add_func ("/sv/file-info/decode/lenient-structure", test_decode_lenient);
  g_test_add_func ("/sv/file-info/ber-length", test_ber_length);
  g_test_add_func ("/sv/file-info/ber-tlv", test_ber_tlv);

  return g_test_run ();
}
