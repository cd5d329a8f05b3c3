/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * EF_DIR (TS 102.221 §13.1), ICCID (TS 102.221 §13.2), IMSI (TS 31.102 §4.2.2), SPN (§4.2.12).
 */
#include "config.h"

#include <string.h>

#include "sv-codec.h"
#include "test-util.h"

static void
test_iccid (void)
{
  static const struct
  {
    const char *hex;
    const char *iccid;
  } cases[] = {
    { "981014000000123456F7", "8901410000002143657" },      /* 19 digits + filler */
    { "98940000000000000011", "8949000000000000001" "1" },   /* 20 digits */
    { "98 10 14 F0 FF FF FF FF FF FF", "8901410" },
  };
  static const char *const bad[] = { "", "9A10", "98F123", "FFFF" };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree guint8 *data = NULL;
      g_autofree char *iccid = NULL;
      gsize len;

      data = test_hex (cases[i].hex, &len);
      iccid = sv_iccid_decode (data, len, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (iccid, ==, cases[i].iccid);
    }

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree guint8 *data = NULL;
      g_autofree char *iccid = NULL;
      gsize len;

      data = test_hex (bad[i], &len);
      iccid = sv_iccid_decode (data, len, &error);
      g_assert_null (iccid);
      g_assert_nonnull (strstr (error->message, "at byte"));
    }
}

static void
test_imsi (void)
{
  static const struct
  {
    const char *hex;
    const char *imsi;
  } cases[] = {
    /* worked: 15 digits, odd parity nibble 9 */
    { "080910101032547698", "001010123456789" },
    /* worked: 14 digits, even parity nibble 1, 0xF filler */
    { "08 21 43 65 87 09 21 43 F5", "23456789012345" },
    /* 3GPP test IMSI 001010000000001 */
    { "080910100000000010", "001010000000001" },
  };
  static const char *const bad[] = { "", "08", "FFFFFFFFFFFFFFFFFF", "0809101010325476", "0209A0" };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree guint8 *data = NULL;
      g_autofree char *imsi = NULL;
      gsize len;

      data = test_hex (cases[i].hex, &len);
      imsi = sv_imsi_decode (data, len, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (imsi, ==, cases[i].imsi);
    }

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree guint8 *data = NULL;
      g_autofree char *imsi = NULL;
      gsize len;

      g_test_message ("bad %u: %s", i, bad[i]);
      data = test_hex (bad[i], &len);
      imsi = sv_imsi_decode (data, len, &error);
      g_assert_null (imsi);
      g_assert_nonnull (strstr (error->message, "at byte"));
    }
}

static void
test_spn (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *data = NULL;
  SvSpn spn;
  gsize len;

  data = test_hex ("0153696D5661756C74FFFFFFFFFFFFFFFF", &len);
  g_assert_true (sv_spn_decode (data, len, &spn, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (spn.display_condition, ==, 1);
  g_assert_cmpstr (spn.name, ==, "SimVault");
  g_assert_cmpint (spn.scheme, ==, SV_ALPHA_SCHEME_GSM);
  sv_spn_clear (&spn);
  g_clear_pointer (&data, g_free);

  data = test_hex ("00804E2D56FD79FB52A8FFFFFFFFFFFFFF", &len);
  g_assert_true (sv_spn_decode (data, len, &spn, &error));
  g_assert_cmpstr (spn.name, ==, "中国移动");
  sv_spn_clear (&spn);

  g_assert_false (sv_spn_decode (data, 0, &spn, &error));
  g_assert_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_TRUNCATED);
}

/* TS 102.221 §13.1: EF_DIR records, 61 L { 4F L AID, 50 L label, ... } */
static void
test_dir_record (void)
{
  static const struct
  {
    const char *record;
    const char *aid;            /* NULL: an error */
  } cases[] = {
    /* a 3GPP USIM (TS 101.220 Annex E), padded with FF */
    { "61124F10A0000000871002FFFFFFFF8907090000FFFFFFFF", "A0000000871002FFFFFFFF8907090000" },
    /* with a label after the AID */
    { "61114F07A000000087100250065553494D2031", "A0000000871002" },
    /* a long-form template length */
    { "61810C4F0AA0000000090001FF44FF", "A0000000090001FF44FF" },
    { "FFFFFFFFFFFFFFFFFFFF", NULL },         /* a free record */
    { "", NULL },
    { "6104500255534D", NULL },               /* no AID first */
    { "61124F10A00000008710", NULL },         /* template overruns the record */
    { "61034F05A0", NULL },                   /* AID overruns the template */
    { "61024F00", NULL },                     /* empty AID */
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) aid = NULL;
      g_autofree guint8 *data = NULL;
      gsize len;

      g_test_message ("case %u: %s", i, cases[i].record);
      data = test_hex (cases[i].record, &len);
      aid = sv_dir_record_decode_aid (data, len, &error);
      if (cases[i].aid == NULL)
        {
          g_assert_null (aid);
          g_assert_nonnull (error);
          g_assert_true (error->domain == SV_CODEC_ERROR);
          g_assert_nonnull (strstr (error->message, "at byte"));
        }
      else
        {
          g_autofree char *hex = sv_gbytes_to_hex (aid);

          g_assert_no_error (error);
          g_assert_cmpstr (hex, ==, cases[i].aid);
        }
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sv/identity/dir-record", test_dir_record);
  g_test_add_func ("/sv/identity/iccid", test_iccid);
  g_test_add_func ("/sv/identity/imsi", test_imsi);
  g_test_add_func ("/sv/identity/spn", test_spn);

  return g_test_run ();
}
