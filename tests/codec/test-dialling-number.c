/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Dialling numbers, ADN records and EF_EXT1 chains (TS 51.011 §10.5.1,
 * §10.5.10, TS 31.102 §4.4.2.3).
 */
#include "config.h"

#include <string.h>

#include "sv-codec.h"
#include "test-util.h"

typedef struct
{
  const char *hex;      /* TON/NPI + BCD */
  const char *number;
  guint8      ton_npi;
} NumberCase;

static const NumberCase number_cases[] = {
  { "812143658709", "1234567890", 0x81 },
  { "81214365F7", "1234567", 0x81 },
  /* TON international: leading '+' */
  { "918150367742F3", "+18056377243", 0x91 },
  /* national */
  { "A11032547698", "0123456789", 0xA1 },
  /* extended BCD: * # pause wild expansion (TS 51.011 §10.5.1) */
  { "81C1D2E3BA", "1p2w3e*#", 0x81 },
  /* supplementary service string with TON international: '+' goes after
   * the service code, as phones show it */
  { "912AA19412FB", "*21*+4921#", 0x91 },
  { "91AA164A29F1", "**61*+4921", 0x91 },
  /* quirk: 0xF filler in the middle is skipped */
  { "8121F354", "12345", 0x81 },
  /* no digits */
  { "81", "", 0x81 },
  { "91FFFF", "", 0x91 },
};

static void
test_number_decode (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (number_cases); i++)
    {
      const NumberCase *c = &number_cases[i];
      g_autoptr(GError) error = NULL;
      g_autofree guint8 *data = NULL;
      g_autofree char *number = NULL;
      guint8 ton_npi = 0;
      gsize len;

      g_test_message ("case %u: %s", i, c->hex);
      data = test_hex (c->hex, &len);
      number = sv_dialling_number_decode (data, len, &ton_npi, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (number, ==, c->number);
      g_assert_cmpuint (ton_npi, ==, c->ton_npi);
    }
}

static void
test_number_encode (void)
{
  static const struct
  {
    const char *number;
    guint8      ton_npi;
    const char *hex;
  } cases[] = {
    { "1234567", 0x81, "81214365F7" },
    { "+18056377243", 0x81, "918150367742F3" },
    /* '+' forces international, its absence clears it */
    { "18056377243", 0x91, "818150367742F3" },
    { "*21*+4921#", 0x81, "912AA19412FB" },
    { "1p2w3e*#", 0x81, "81C1D2E3BA" },
    { "1,2N3;", 0x81, "81C1D2E3" },
    { "+44 (20) 7946-0018", 0x81, "91440297640081" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree guint8 *data = NULL;
      g_autofree char *hex = NULL;
      gsize len = 0;

      data = sv_dialling_number_encode (cases[i].number, cases[i].ton_npi, &len, &error);
      g_assert_no_error (error);
      hex = test_to_hex (data, len);
      g_assert_cmpstr (hex, ==, cases[i].hex);
    }
}

static void
test_number_encode_invalid (void)
{
  g_autoptr(GError) error = NULL;
  gsize len = 0;
  guint8 *data = sv_dialling_number_encode ("12a4", 0x81, &len, &error);

  g_assert_null (data);
  g_assert_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_UNENCODABLE);
  g_assert_nonnull (strstr (error->message, "character 3"));
  g_clear_error (&error);

  g_assert_null (sv_dialling_number_decode (NULL, 0, NULL, &error));
  g_assert_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_TRUNCATED);
}

typedef struct
{
  const char *hex;
  const char *alpha;
  const char *number;
  guint8      ton_npi;
  guint8      ext;
  gboolean    empty;
} AdnCase;

static const AdnCase adn_cases[] = {
  /* Android AdnRecordTest: "Voice Mail" */
  { "566F696365204D61696C07918150367742F3FFFFFFFFFFFF", "Voice Mail", "+18056377243", 0x91, 0xFF, FALSE },
  /* unused record: all 0xFF */
  { "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF", "", "", 0xFF, 0xFF, TRUE },
  /* quirk: BCD length over 11 reads as no number */
  { "566F696365204D61696C0F918150367742F3FFFFFFFFFFFF", "Voice Mail", "", 0x91, 0xFF, FALSE },
  /* number only, 14-byte record (X = 0) */
  { "0481214365FFFFFFFFFFFFFFFFFF", "", "123456", 0x81, 0xFF, FALSE },
  /* alpha only */
  { "416C696365FFFFFFFFFFFFFFFFFFFFFFFFFFFF", "Alice", "", 0xFF, 0xFF, FALSE },
  /* 0x80 alpha, EXT1 link to record 2 */
  { "80004A00610063006BFFFFFF0B8110325476981032547698FF02", "Jack", "01234567890123456789", 0x81, 0x02, FALSE },
};

static void
test_adn_decode (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (adn_cases); i++)
    {
      const AdnCase *c = &adn_cases[i];
      g_autoptr(GError) error = NULL;
      g_autofree guint8 *data = NULL;
      SvAdnRecord rec;
      gsize len;

      g_test_message ("case %u: %s", i, c->hex);
      data = test_hex (c->hex, &len);
      g_assert_true (sv_adn_record_decode (data, len, &rec, &error));
      g_assert_no_error (error);
      g_assert_cmpstr (rec.alpha, ==, c->alpha);
      g_assert_cmpstr (rec.number, ==, c->number);
      if (c->number[0])
        g_assert_cmpuint (rec.ton_npi, ==, c->ton_npi);
      g_assert_cmpuint (rec.ext_record, ==, c->ext);
      g_assert_cmpint (rec.empty, ==, c->empty);
      g_assert_cmpint (sv_adn_record_is_empty (data, len), ==, c->empty);
      sv_adn_record_clear (&rec);
    }
}

static void
test_adn_decode_short (void)
{
  g_autoptr(GError) error = NULL;
  static const guint8 data[13] = { 0 };
  SvAdnRecord rec;

  g_assert_false (sv_adn_record_decode (data, sizeof data, &rec, &error));
  g_assert_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_TRUNCATED);
  g_assert_false (sv_adn_record_is_empty (data, sizeof data));
}

static void
test_adn_encode (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) chunks = NULL;
  g_autofree char *hex = NULL;
  SvAdnRecord rec = { (char *) "Voice Mail", 0, (char *) "+18056377243", 0x81, 0xFF, 0xFF, FALSE };
  guint8 out[24];

  g_assert_true (sv_adn_record_encode (&rec, out, sizeof out, &chunks, &error));
  g_assert_no_error (error);
  g_assert_null (chunks);
  hex = test_to_hex (out, sizeof out);
  g_assert_cmpstr (hex, ==, "566F696365204D61696C07918150367742F3FFFFFFFFFFFF");

  /* empty record */
  rec.alpha = NULL;
  rec.number = NULL;
  g_assert_true (sv_adn_record_encode (&rec, out, sizeof out, NULL, &error));
  g_assert_true (sv_adn_record_is_empty (out, sizeof out));

  /* alpha too long */
  rec.alpha = (char *) "A name far too long";
  g_assert_false (sv_adn_record_encode (&rec, out, sizeof out, NULL, &error));
  g_assert_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_TOO_LONG);
}

typedef struct
{
  GPtrArray *records;   /* GBytes */
} Ext1File;

static gboolean
lookup_cb (guint         record_number,
           SvExt1Record *out,
           gpointer      user_data)
{
  Ext1File *file = user_data;
  gsize len;
  const guint8 *data;

  if (record_number < 1 || record_number > file->records->len)
    return FALSE;
  data = g_bytes_get_data (g_ptr_array_index (file->records, record_number - 1), &len);
  return sv_ext1_record_decode (data, len, out, NULL);
}

/* 44 digits: 20 in the ADN, 20 in EXT1 record 3, 4 in record 1 */
static void
test_ext1_chain (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) chunks = NULL;
  g_autofree char *joined = NULL;
  const char *number = "+12345678901234567890123456789012345678901234";
  SvAdnRecord rec = { (char *) "Long", 0, (char *) number, 0x81, 0xFF, 3, FALSE };
  SvAdnRecord back;
  Ext1File file = { g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref) };
  guint8 out[18], ext[13];

  g_assert_true (sv_adn_record_encode (&rec, out, sizeof out, &chunks, &error));
  g_assert_no_error (error);
  g_assert_nonnull (chunks);
  g_assert_cmpuint (chunks->len, ==, 2);
  g_assert_cmpuint (g_bytes_get_size (g_ptr_array_index (chunks, 0)), ==, 10);
  g_assert_cmpuint (g_bytes_get_size (g_ptr_array_index (chunks, 1)), ==, 2);
  g_assert_cmpuint (out[4], ==, 11);        /* BCD length byte */
  g_assert_cmpuint (out[17], ==, 3);        /* EXT1 id */

  /* EF_EXT1: record 1 = second chunk, record 2 unused, record 3 = first */
  for (guint i = 0; i < 3; i++)
    g_ptr_array_add (file.records, NULL);
  g_assert_true (sv_ext1_record_encode (g_ptr_array_index (chunks, 1), 0xFF, ext, sizeof ext, &error));
  g_ptr_array_index (file.records, 0) = g_bytes_new (ext, sizeof ext);
  memset (ext, 0xFF, sizeof ext);
  g_ptr_array_index (file.records, 1) = g_bytes_new (ext, sizeof ext);
  g_assert_true (sv_ext1_record_encode (g_ptr_array_index (chunks, 0), 1, ext, sizeof ext, &error));
  g_ptr_array_index (file.records, 2) = g_bytes_new (ext, sizeof ext);
  g_assert_cmpuint (ext[0], ==, 0x02);
  g_assert_cmpuint (ext[1], ==, 10);
  g_assert_cmpuint (ext[12], ==, 1);

  g_assert_true (sv_adn_record_decode (out, sizeof out, &back, &error));
  g_assert_cmpstr (back.number, ==, "+12345678901234567890");
  joined = sv_adn_number_join_ext1 (&back, lookup_cb, &file, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (joined, ==, number);

  /* a link to the unused record 2 */
  back.ext_record = 2;
  g_assert_null (sv_adn_number_join_ext1 (&back, lookup_cb, &file, &error));
  g_assert_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_INVALID);
  g_clear_error (&error);

  /* a link past the end */
  back.ext_record = 9;
  g_assert_null (sv_adn_number_join_ext1 (&back, lookup_cb, &file, &error));
  g_assert_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_INVALID);
  g_clear_error (&error);

  /* record 1 pointing at record 3 which points at 1: a loop */
  g_assert_true (sv_ext1_record_encode (g_ptr_array_index (chunks, 1), 3, ext, sizeof ext, &error));
  g_bytes_unref (g_ptr_array_index (file.records, 0));
  g_ptr_array_index (file.records, 0) = g_bytes_new (ext, sizeof ext);
  back.ext_record = 3;
  g_assert_null (sv_adn_number_join_ext1 (&back, lookup_cb, &file, &error));
  g_assert_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "loop"));
  g_clear_error (&error);

  /* without room for EXT1 chunks, a long number is an error */
  g_assert_false (sv_adn_record_encode (&rec, out, sizeof out, NULL, &error));
  g_assert_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_TOO_LONG);

  sv_adn_record_clear (&back);
  g_ptr_array_unref (file.records);
}

static void
test_ext1_array (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *joined = NULL;
  g_autofree guint8 *adn = NULL;
  g_autofree guint8 *e1 = NULL;
  SvExt1Record records[2];
  SvAdnRecord rec;
  gsize len, elen;

  adn = test_hex ("0B8110325476981032547698FF01", &len);
  e1 = test_hex ("0202 2143 FFFFFFFFFFFFFFFFFF FF", &elen);
  g_assert_true (sv_adn_record_decode (adn, len, &rec, &error));
  g_assert_true (sv_ext1_record_decode (e1, elen, &records[0], &error));
  memset (&records[1], 0xFF, sizeof records[1]);
  joined = sv_adn_number_join_ext1_array (&rec, records, 2, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (joined, ==, "012345678901234567891234");

  /* record number 0 is never valid */
  rec.ext_record = 0;
  g_assert_null (sv_adn_number_join_ext1_array (&rec, records, 2, &error));
  g_assert_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_INVALID);
  sv_adn_record_clear (&rec);
}

static void
test_ext1_decode_errors (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *e1 = NULL;
  SvExt1Record ext;
  gsize len;

  e1 = test_hex ("020C2143FFFFFFFFFFFFFFFFFFFF", &len);
  g_assert_false (sv_ext1_record_decode (e1, len, &ext, &error));
  g_assert_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (sv_ext1_record_decode (e1, 12, &ext, &error));
  g_assert_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_TRUNCATED);
}

/* Random numbers and names through ADN + EXT1 and back. */
static void
test_roundtrip_random (void)
{
  static const char digits[] = "0123456789*#pwe";
  static const char *const names[] = { "", "Bob", "Zoë", "Привет", "王小明", "😀 Ann" };

  for (guint iter = 0; iter < 2000; iter++)
    {
      g_autoptr(GString) number = g_string_new (NULL);
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) chunks = NULL;
      g_autofree guint8 *out = NULL;
      g_autofree char *joined = NULL;
      g_autofree SvExt1Record *ext = NULL;
      gboolean intl = g_test_rand_bit ();
      guint n = g_test_rand_int_range (0, 60);
      gsize x = g_test_rand_int_range (14, 30);
      SvAdnRecord rec = { 0 }, back;

      if (intl && n > 0)
        g_string_append_c (number, '+');
      for (guint i = 0; i < n; i++)
        g_string_append_c (number, digits[g_test_rand_int_range (0, intl ? 10 : 15)]);

      rec.alpha = (char *) names[g_test_rand_int_range (0, G_N_ELEMENTS (names))];
      rec.number = number->str;
      rec.ton_npi = 0x81;
      rec.ccp = 0xFF;
      rec.ext_record = 1;
      out = g_malloc (x + 14);

      g_assert_true (sv_adn_record_encode (&rec, out, x + 14, &chunks, &error));
      g_assert_no_error (error);
      g_assert_true (sv_adn_record_decode (out, x + 14, &back, &error));
      g_assert_cmpstr (back.alpha, ==, rec.alpha);
      g_assert_cmpint (back.empty, ==, rec.alpha[0] == '\0' && n == 0);

      if (chunks)
        {
          ext = g_new0 (SvExt1Record, chunks->len);
          for (guint i = 0; i < chunks->len; i++)
            {
              guint8 e[13];

              g_assert_true (sv_ext1_record_encode (g_ptr_array_index (chunks, i),
                                                    i + 1 < chunks->len ? i + 2 : 0xFF,
                                                    e, sizeof e, &error));
              g_assert_true (sv_ext1_record_decode (e, sizeof e, &ext[i], &error));
            }
          joined = sv_adn_number_join_ext1_array (&back, ext, chunks->len, &error);
          g_assert_no_error (error);
          g_assert_cmpstr (joined, ==, number->str);
        }
      else
        {
          g_assert_cmpuint (back.ext_record, ==, 0xFF);
          g_assert_cmpstr (back.number, ==, number->str);
        }
      sv_adn_record_clear (&back);
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sv/dialling-number/decode", test_number_decode);
  g_test_add_func ("/sv/dialling-number/encode", test_number_encode);
  g_test_add_func ("/sv/dialling-number/encode/invalid", test_number_encode_invalid);
  g_test_add_func ("/sv/adn/decode/golden", test_adn_decode);
  g_test_add_func ("/sv/adn/decode/short", test_adn_decode_short);
  g_test_add_func ("/sv/adn/encode", test_adn_encode);
  g_test_add_func ("/sv/ext1/chain", test_ext1_chain);
  g_test_add_func ("/sv/ext1/array", test_ext1_array);
  g_test_add_func ("/sv/ext1/decode/errors", test_ext1_decode_errors);
  g_test_add_func ("/sv/adn/roundtrip/random", test_roundtrip_random);

  return g_test_run ();
}
