/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * GSM 7 bit default alphabet (TS 23.038 §6.2.1) and septet packing
 * (TS 23.038 §6.1.2.1).
 */
#include "config.h"

#include <string.h>

#include "sv-codec.h"
#include "test-util.h"

typedef struct
{
  const char *text;
  const char *packed;     /* hex */
  guint       fill_bits;
  gsize       n_septets;
} PackCase;

static const PackCase pack_cases[] = {
  /* TS 23.038 §6.1.2.1.1 worked example */
  { "hellohello", "E8329BFD4697D9EC37", 0, 10 },
  /* The well-known "How are you?" SMS-DELIVER user data */
  { "How are you?", "C8F71D14969741F977FD07", 0, 12 },
  /* Worked: after a 6-octet UDH, 1 fill bit: 'H' << 1 = 0x90 */
  { "Hi", "9069", 1, 2 },
  { "Test", "D4F29C0E", 0, 4 },
  /* Worked: 8 septets fill exactly 7 octets */
  { "12345678", "31D98C56B3DD70", 0, 8 },
  { "", "", 0, 0 },
};

static void
test_pack_golden (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (pack_cases); i++)
    {
      const PackCase *c = &pack_cases[i];
      g_autoptr(GError) error = NULL;
      g_autofree guint8 *septets = NULL;
      g_autofree guint8 *packed = NULL;
      g_autofree guint8 *expected = NULL;
      g_autofree guint8 *unpacked = NULL;
      g_autofree char *hex = NULL;
      g_autofree char *text = NULL;
      gsize n = 0, packed_len = 0, expected_len = 0;

      septets = sv_gsm7_encode_unpacked (c->text, &n, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (n, ==, c->n_septets);

      packed = sv_gsm7_pack (septets, n, c->fill_bits, &packed_len);
      hex = test_to_hex (packed, packed_len);
      g_assert_cmpstr (hex, ==, c->packed);

      expected = test_hex (c->packed, &expected_len);
      unpacked = sv_gsm7_unpack (expected, expected_len, c->n_septets, c->fill_bits, &error);
      g_assert_no_error (error);
      text = sv_gsm7_decode_unpacked (unpacked, c->n_septets, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (text, ==, c->text);
    }
}

typedef struct
{
  const char *unpacked;  /* hex */
  const char *text;
} UnpackedCase;

static const UnpackedCase unpacked_cases[] = {
  /* TS 23.038 §6.2.1 default table, a sample of every block */
  { "00011B650203", "@£€$¥" },
  { "10111213141516171819 1A", "Δ_ΦΓΛΩΠΨΣΘΞ" },
  { "1C1D1E1F24405B5C5D5E5F60", "ÆæßÉ¤¡ÄÖÑÜ§¿" },
  { "7B7C7D7E7F0405060708090B0C0E0F", "äöñüàèéùìòÇØøÅå" },
  /* §6.2.1.1 extension table: every defined entry */
  { "1B0A1B141B281B291B2F1B3C1B3D1B3E1B401B65", "\f^{}\\[~]|€" },
  /* §6.2.1.1: an undefined extension code shows the default character */
  { "1B41", "A" },
  /* §6.2.1.1 note: 0x1B 0x1B shows a space */
  { "1B1B41", " A" },
  /* lone escape at the end */
  { "411B", "A " },
  { "0A0D", "\n\r" },
};

static void
test_decode_unpacked (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (unpacked_cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree guint8 *data = NULL;
      g_autofree char *text = NULL;
      gsize len;

      data = test_hex (unpacked_cases[i].unpacked, &len);
      text = sv_gsm7_decode_unpacked (data, len, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (text, ==, unpacked_cases[i].text);
    }
}

static void
test_decode_extension (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *septets = NULL;
  gsize n = 0;
  guint8 two[2];

  septets = sv_gsm7_encode_unpacked ("a€[", &n, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 5);
  g_assert_cmpmem (septets, n, "\x61\x1B\x65\x1B\x3C", 5);

  g_assert_cmpuint (sv_gsm7_char_septets (0x20AC, two), ==, 2);
  g_assert_cmpuint (two[0], ==, 0x1B);
  g_assert_cmpuint (two[1], ==, 0x65);
  g_assert_cmpuint (sv_gsm7_char_septets ('@', two), ==, 1);
  g_assert_cmpuint (two[0], ==, 0x00);
  g_assert_cmpint (sv_gsm7_septet_count ("{x}"), ==, 5);
  g_assert_cmpint (sv_gsm7_septet_count ("plain"), ==, 5);
}

static void
test_decode_invalid (void)
{
  g_autoptr(GError) error = NULL;
  static const guint8 bad[] = { 0x41, 0x80 };
  char *text = sv_gsm7_decode_unpacked (bad, sizeof bad, &error);

  g_assert_null (text);
  g_assert_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "at byte 1"));
}

static void
test_encode_unmappable (void)
{
  g_autoptr(GError) error = NULL;
  gsize n = 0;
  guint8 *septets = sv_gsm7_encode_unpacked ("ab你", &n, &error);

  g_assert_null (septets);
  g_assert_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_UNENCODABLE);
  g_assert_nonnull (strstr (error->message, "character 3"));
  g_assert_nonnull (strstr (error->message, "U+4F60"));

  g_assert_false (sv_gsm7_can_encode ("Grüße ç"));   /* ç is not in the table, Ç is */
  g_assert_true (sv_gsm7_can_encode ("Grüße Ç"));
  g_assert_cmpint (sv_gsm7_septet_count ("😀"), ==, -1);
  g_assert_cmpint (sv_gsm7_septet_count ("\xff"), ==, -1);
}

static void
test_unpack_truncated (void)
{
  g_autoptr(GError) error = NULL;
  static const guint8 data[] = { 0xE8, 0x32 };
  guint8 *out = sv_gsm7_unpack (data, sizeof data, 3, 0, &error);

  g_assert_null (out);
  g_assert_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_TRUNCATED);
  g_clear_error (&error);

  out = sv_gsm7_unpack (data, sizeof data, 2, 2, &error);
  g_assert_no_error (error);
  g_free (out);

  out = sv_gsm7_unpack (data, sizeof data, 1, 8, &error);
  g_assert_null (out);
  g_assert_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_INVALID);
}

static void
test_packed_length (void)
{
  g_assert_cmpuint (sv_gsm7_packed_length (0, 0), ==, 0);
  g_assert_cmpuint (sv_gsm7_packed_length (1, 0), ==, 1);
  g_assert_cmpuint (sv_gsm7_packed_length (8, 0), ==, 7);
  g_assert_cmpuint (sv_gsm7_packed_length (9, 0), ==, 8);
  g_assert_cmpuint (sv_gsm7_packed_length (160, 0), ==, 140);
  g_assert_cmpuint (sv_gsm7_packed_length (153, 1), ==, 134);
}

/* Every character of both tables, in random strings, survives
 * encode -> pack -> unpack -> decode with any fill. */
static void
test_roundtrip_random (void)
{
  g_autoptr(GArray) alphabet = g_array_new (FALSE, FALSE, sizeof (gunichar));

  for (guint s = 0; s < 128; s++)
    {
      gunichar c;

      if (s == 0x1B)
        continue;
      c = sv_gsm7_septet_to_char (s, FALSE);
      g_array_append_val (alphabet, c);
    }
  for (guint s = 0; s < 128; s++)
    {
      gunichar c = sv_gsm7_septet_to_char (s, TRUE);
      guint8 two[2];

      if (sv_gsm7_char_septets (c, two) == 2)
        g_array_append_val (alphabet, c);
    }
  g_assert_cmpuint (alphabet->len, ==, 127 + 10);

  for (guint iter = 0; iter < 2000; iter++)
    {
      g_autoptr(GString) text = g_string_new (NULL);
      g_autoptr(GError) error = NULL;
      g_autofree guint8 *septets = NULL;
      g_autofree guint8 *packed = NULL;
      g_autofree guint8 *unpacked = NULL;
      g_autofree char *back = NULL;
      guint n_chars = g_test_rand_int_range (0, 200);
      guint fill = g_test_rand_int_range (0, 7);
      gsize n = 0, packed_len = 0;

      for (guint i = 0; i < n_chars; i++)
        g_string_append_unichar (text, g_array_index (alphabet, gunichar,
                                                      g_test_rand_int_range (0, alphabet->len)));

      g_assert_cmpint (sv_gsm7_septet_count (text->str), >=, n_chars);
      septets = sv_gsm7_encode_unpacked (text->str, &n, &error);
      g_assert_no_error (error);
      g_assert_cmpint (sv_gsm7_septet_count (text->str), ==, n);
      packed = sv_gsm7_pack (septets, n, fill, &packed_len);
      g_assert_cmpuint (packed_len, ==, (n * 7 + fill + 7) / 8);
      unpacked = sv_gsm7_unpack (packed, packed_len, n, fill, &error);
      g_assert_no_error (error);
      g_assert_cmpmem (unpacked, n, septets, n);
      back = sv_gsm7_decode_unpacked (unpacked, n, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (back, ==, text->str);
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sv/gsm7/pack/golden", test_pack_golden);
  g_test_add_func ("/sv/gsm7/pack/length", test_packed_length);
  g_test_add_func ("/sv/gsm7/unpack/truncated", test_unpack_truncated);
  g_test_add_func ("/sv/gsm7/decode/unpacked", test_decode_unpacked);
  g_test_add_func ("/sv/gsm7/decode/extension", test_decode_extension);
  g_test_add_func ("/sv/gsm7/decode/invalid", test_decode_invalid);
  g_test_add_func ("/sv/gsm7/encode/unmappable", test_encode_unmappable);
  g_test_add_func ("/sv/gsm7/roundtrip/random", test_roundtrip_random);

  return g_test_run ();
}
