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
  SvFcpStructure  structure;
  guint            record_len;
  guint            n_records;
  gsize            file_size;
  gint             sfi;
} FileCase;

static const FileCase cases[] = {
  /* Worked: EF_ADN, linear fixed, shareable, 10 records of 28 bytes, SFI 1 */
  { "621A 82054221001C0A 83026F3A 8A0105 8B036F0604 80020118 880108", TRUE,
    0x6F3A, SV_FCP_STRUCTURE_LINEAR_FIXED, 28, 10, 280, 1 },
  /* Worked: EF_ICCID, transparent, no SFI tag: SFI from the FID */
  { "620F 82024121 83022FE2 8A0105 8002000A", TRUE,
    0x2FE2, SV_FCP_STRUCTURE_TRANSPARENT, 0, 0, 10, 0x02 },
  /* Worked: cyclic, empty SFI tag = no SFI */
  { "6214 82054626000305 83026F39 8A0105 8002000F 8800", TRUE,
    0x6F39, SV_FCP_STRUCTURE_CYCLIC, 3, 5, 15, -1 },
  /* Worked: ADF with AID */
  { "6219 82027821 8410A0000000871002FFFFFFFF8907090000 8A0105", TRUE,
    0x0000, SV_FCP_STRUCTURE_DF, 0, 0, 0, -1 },
  /* 2G: EF_ADN, 280 bytes, linear fixed, 28-byte records */
  { "0000 0118 6F3A 04 00 11FF22 01 02 01 1C", FALSE,
    0x6F3A, SV_FCP_STRUCTURE_LINEAR_FIXED, 28, 10, 280, -1 },
  /* 2G: EF_ICCID transparent */
  { "0000000A2FE204000BFFBB01020000", FALSE,
    0x2FE2, SV_FCP_STRUCTURE_TRANSPARENT, 0, 0, 10, -1 },
  /* 2G: DF_TELECOM */
  { "000000007F100200000000000A13000C0400838A838A", FALSE,
    0x7F10, SV_FCP_STRUCTURE_DF, 0, 0, 0, -1 },
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
      ok = c->fcp ? sv_fcp_decode (data, len, &info, &error)
                  : sv_gsm_file_header_decode (data, len, &info, &error);
      g_assert_no_error (error);
      g_assert_true (ok);
      g_assert_cmpuint (info.fid, ==, c->fid);
      g_assert_cmpint (info.structure, ==, c->structure);
      g_assert_cmpuint (info.record_len, ==, c->record_len);
      g_assert_cmpuint (info.n_records, ==, c->n_records);
      g_assert_cmpuint (info.file_size, ==, c->file_size);
      g_assert_cmpint (info.sfi, ==, c->sfi);
      if (c->structure == SV_FCP_STRUCTURE_DF && c->fcp)
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
      ok = bad[i].fcp ? sv_fcp_decode (data, len, &info, &error)
                      : sv_gsm_file_header_decode (data, len, &info, &error);
      g_assert_false (ok);
      g_assert_nonnull (error);
      g_assert_nonnull (strstr (error->message, "at byte"));
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sv/file-info/decode/golden", test_decode_golden);
  g_test_add_func ("/sv/file-info/decode/errors", test_decode_errors);

  return g_test_run ();
}
