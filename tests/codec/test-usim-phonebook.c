/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * USIM phonebook files (TS 31.102 §4.4.2).
 */
#include "config.h"

#include <string.h>

#include "sv-codec.h"
#include "test-util.h"

/* Worked: a typical EF_PBR record: type 1 ADN, PBC, UID, type 2 EMAIL,
 * type 3 EXT1 without SFI, then padding */
static const char pbr_hex[] =
  "A80F C0034F3A01 C5034F0905 C9034F210C"
  "A905 CA034F500A"
  "AA04 C2024F4A"
  "FFFFFFFFFF";

static void
test_pbr_decode (void)
{
  static const SvPbrEntry expected[] = {
    { 0xA8, 0xC0, 0x4F3A, 1 },
    { 0xA8, 0xC5, 0x4F09, 5 },
    { 0xA8, 0xC9, 0x4F21, 0x0C },
    { 0xA9, 0xCA, 0x4F50, 0x0A },
    { 0xAA, 0xC2, 0x4F4A, -1 },
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) entries = NULL;
  g_autofree guint8 *data = NULL;
  g_autofree guint8 *again = NULL;
  gsize len;

  data = test_hex (pbr_hex, &len);
  entries = sv_pbr_record_decode (data, len, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (entries->len, ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < entries->len; i++)
    {
      const SvPbrEntry *e = &g_array_index (entries, SvPbrEntry, i);

      g_assert_cmpuint (e->constructed_tag, ==, expected[i].constructed_tag);
      g_assert_cmpuint (e->tag, ==, expected[i].tag);
      g_assert_cmpuint (e->fid, ==, expected[i].fid);
      g_assert_cmpint (e->sfi, ==, expected[i].sfi);
    }

  g_assert_cmpstr (sv_pbr_tag_to_string (0xC0), ==, "ADN");
  g_assert_cmpstr (sv_pbr_tag_to_string (0xCA), ==, "EMAIL");
  g_assert_cmpstr (sv_pbr_tag_to_string (0xCB), ==, "CCP1");
  g_assert_cmpstr (sv_pbr_tag_to_string (0xD0), ==, "unknown");

  again = g_malloc (len);
  g_assert_true (sv_pbr_record_encode (&g_array_index (entries, SvPbrEntry, 0), entries->len, again, len, &error));
  g_assert_cmpmem (again, len, data, len);
}

static void
test_pbr_errors (void)
{
  static const char *const bad[] = {
    "A805C0034F",          /* template overruns the record */
    "A803C0054F3A01",      /* file TLV overruns its template */
    "A803C0014F",          /* FID of one byte */
    "A8",                  /* no length */
    "A883",                /* unsupported length form */
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree guint8 *data = NULL;
      GArray *entries;
      gsize len;

      data = test_hex (bad[i], &len);
      entries = sv_pbr_record_decode (data, len, &error);
      g_assert_null (entries);
      g_assert_nonnull (error);
      g_assert_nonnull (strstr (error->message, "at byte"));
    }
}

static void
test_iap (void)
{
  static const guint8 data[] = { 0x03, 0xFF, 0x00 };
  g_autoptr(GArray) iap = sv_iap_record_decode (data, sizeof data);

  g_assert_cmpuint (iap->len, ==, 3);
  g_assert_cmpuint (g_array_index (iap, guint, 0), ==, 3);
  g_assert_cmpuint (g_array_index (iap, guint, 1), ==, 0);
  g_assert_cmpuint (g_array_index (iap, guint, 2), ==, 0);
}

static void
test_anr (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *data = NULL;
  SvAnrRecord rec;
  guint8 again[17];
  gsize len;

  /* AAS 1, +4670825135, type 2 trailer: ADN SFI 0x01, record 5 */
  data = test_hex ("01 06 91 6407281553 FFFFFFFFFF FF FF 01 05", &len);
  g_assert_cmpuint (len, ==, 17);
  g_assert_true (sv_anr_record_decode (data, len, &rec, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (rec.aas_record, ==, 1);
  g_assert_cmpstr (rec.number, ==, "+4670825135");
  g_assert_true (rec.has_adn_ref);
  g_assert_cmpuint (rec.adn_sfi, ==, 1);
  g_assert_cmpuint (rec.adn_record, ==, 5);
  g_assert_false (rec.empty);

  g_assert_true (sv_anr_record_encode (&rec, again, sizeof again, &error));
  g_assert_cmpmem (again, sizeof again, data, len);
  sv_anr_record_clear (&rec);

  memset (again, 0xFF, sizeof again);
  g_assert_true (sv_anr_record_decode (again, 15, &rec, &error));
  g_assert_true (rec.empty);
  g_assert_false (rec.has_adn_ref);
  sv_anr_record_clear (&rec);

  g_assert_false (sv_anr_record_decode (again, 14, &rec, &error));
  g_assert_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_TRUNCATED);
}

static void
test_email_sne (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *data = NULL;
  SvPbTextRecord rec;
  guint8 again[20];
  gsize len;

  /* type 1: the whole record is text */
  data = test_hex ("616C69636500 6578616D706C652E6F7267 FFFFFF", &len);
  g_assert_true (sv_email_record_decode (data, len, FALSE, &rec, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (rec.text, ==, "alice@example.org");
  g_assert_false (rec.has_adn_ref);
  g_assert_true (sv_email_record_encode (&rec, FALSE, again, sizeof again, &error));
  g_assert_cmpmem (again, sizeof again, data, len);
  sv_pb_text_record_clear (&rec);
  g_clear_pointer (&data, g_free);

  /* type 2: ADN SFI and record id at the end */
  data = test_hex ("626F6200 6578616D706C652E6F7267 FFFFFF 0203", &len);
  g_assert_true (sv_email_record_decode (data, len, TRUE, &rec, &error));
  g_assert_cmpstr (rec.text, ==, "bob@example.org");
  g_assert_true (rec.has_adn_ref);
  g_assert_cmpuint (rec.adn_sfi, ==, 2);
  g_assert_cmpuint (rec.adn_record, ==, 3);
  g_assert_true (sv_email_record_encode (&rec, TRUE, again, sizeof again, &error));
  g_assert_cmpmem (again, sizeof again, data, len);
  sv_pb_text_record_clear (&rec);
  g_clear_pointer (&data, g_free);

  /* SNE in UCS2 */
  data = test_hex ("80738B5C0FFFFFFF", &len);
  g_assert_true (sv_sne_record_decode (data, len, FALSE, &rec, &error));
  g_assert_cmpstr (rec.text, ==, "王小");
  g_assert_cmpint (rec.scheme, ==, SV_ALPHA_SCHEME_UCS2_80);
  sv_pb_text_record_clear (&rec);

  g_assert_false (sv_sne_record_decode (data, 1, TRUE, &rec, &error));
  g_assert_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_TRUNCATED);
}

static void
test_small_files (void)
{
  g_autoptr(GError) error = NULL;
  static const guint8 pbc[] = { 0x01, 0x00 };
  static const guint8 uid[] = { 0x12, 0x34 };
  static const guint8 psc[] = { 0xDE, 0xAD, 0xBE, 0xEF };
  SvPbcRecord p;
  guint16 v16;
  guint32 v32;
  guint8 out[4];

  g_assert_true (sv_pbc_record_decode (pbc, 2, &p, &error));
  g_assert_cmpuint (p.entry_control & 1, ==, 1);
  g_assert_cmpuint (p.hidden, ==, 0);
  sv_pbc_record_encode (&p, out);
  g_assert_cmpmem (out, 2, pbc, 2);

  g_assert_true (sv_uid_record_decode (uid, 2, &v16, &error));
  g_assert_cmpuint (v16, ==, 0x1234);
  sv_uid_record_encode (v16, out);
  g_assert_cmpmem (out, 2, uid, 2);

  g_assert_true (sv_psc_decode (psc, 4, &v32, &error));
  g_assert_cmpuint (v32, ==, 0xDEADBEEF);
  sv_psc_encode (v32, out);
  g_assert_cmpmem (out, 4, psc, 4);

  g_assert_true (sv_cc_decode (uid, 2, &v16, &error));
  g_assert_cmpuint (v16, ==, 0x1234);
  sv_cc_encode (0xBEEF, out);
  g_assert_cmpuint (out[0], ==, 0xBE);
  g_assert_cmpuint (out[1], ==, 0xEF);

  g_assert_false (sv_psc_decode (psc, 3, &v32, &error));
  g_assert_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_TRUNCATED);
  g_clear_error (&error);
  g_assert_false (sv_uid_record_decode (uid, 1, &v16, &error));
  g_assert_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_TRUNCATED);
  g_clear_error (&error);
  g_assert_false (sv_pbc_record_decode (pbc, 0, &p, &error));
  g_assert_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_TRUNCATED);
}

/* Random PBR layouts survive encode/decode. */
static void
test_pbr_roundtrip_random (void)
{
  for (guint iter = 0; iter < 1000; iter++)
    {
      g_autoptr(GArray) in = g_array_new (FALSE, TRUE, sizeof (SvPbrEntry));
      g_autoptr(GArray) out = NULL;
      g_autoptr(GError) error = NULL;
      guint8 rec[128];
      guint n = g_test_rand_int_range (0, 20);
      guint8 ctag = SV_PBR_TYPE1;

      for (guint i = 0; i < n; i++)
        {
          SvPbrEntry e;

          if (g_test_rand_int_range (0, 4) == 0 && ctag < SV_PBR_TYPE3)
            ctag++;
          e.constructed_tag = ctag;
          e.tag = g_test_rand_int_range (SV_PBR_TAG_ADN, SV_PBR_TAG_CCP1 + 1);
          e.fid = g_test_rand_int_range (0, 65536);
          e.sfi = g_test_rand_bit () ? -1 : g_test_rand_int_range (0, 256);
          g_array_append_val (in, e);
        }

      g_assert_true (sv_pbr_record_encode (in->len ? &g_array_index (in, SvPbrEntry, 0) : NULL, in->len, rec, sizeof rec, &error));
      g_assert_no_error (error);
      out = sv_pbr_record_decode (rec, sizeof rec, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (out->len, ==, in->len);
      g_assert_cmpmem (out->data, out->len * sizeof (SvPbrEntry), in->data, in->len * sizeof (SvPbrEntry));
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sv/usim-phonebook/pbr/decode", test_pbr_decode);
  g_test_add_func ("/sv/usim-phonebook/pbr/errors", test_pbr_errors);
  g_test_add_func ("/sv/usim-phonebook/pbr/roundtrip/random", test_pbr_roundtrip_random);
  g_test_add_func ("/sv/usim-phonebook/iap", test_iap);
  g_test_add_func ("/sv/usim-phonebook/anr", test_anr);
  g_test_add_func ("/sv/usim-phonebook/email-sne", test_email_sne);
  g_test_add_func ("/sv/usim-phonebook/pbc-uid-psc-cc", test_small_files);

  return g_test_run ();
}
