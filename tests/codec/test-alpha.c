/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Alpha fields (TS 102.221 Annex A, TS 51.011 Annex B).
 */
#include "config.h"

#include <string.h>

#include "sv-codec.h"
#include "test-util.h"

typedef struct
{
  const char    *hex;
  const char    *text;
  SvAlphaScheme  scheme;
} DecodeCase;

static const DecodeCase decode_cases[] = {
  /* GSM default alphabet, unpacked, 0xFF padded */
  { "566F696365204D61696CFFFFFFFF", "Voice Mail", SV_ALPHA_SCHEME_GSM },
  { "", "", SV_ALPHA_SCHEME_GSM },
  { "FFFFFFFF", "", SV_ALPHA_SCHEME_GSM },
  /* Quirk: 0xFF inside: everything after the first 0xFF is padding */
  { "4142FF4344FF", "AB", SV_ALPHA_SCHEME_GSM },
  /* extension table in an alpha identifier */
  { "1B65311B3CFF", "€1[", SV_ALPHA_SCHEME_GSM },
  /* 0x80: UCS2 up to 0xFFFF */
  { "8000410042FFFFFFFF", "AB", SV_ALPHA_SCHEME_UCS2_80 },
  { "804F60597DFFFF", "你好", SV_ALPHA_SCHEME_UCS2_80 },
  /* 0x80 with a surrogate pair: U+1F600 as phones write emoji */
  { "80D83DDE000041FFFF", "😀A", SV_ALPHA_SCHEME_UCS2_80 },
  /* 0x80 with an odd trailing byte (a 0xFF pad byte) */
  { "8000410042FF", "AB", SV_ALPHA_SCHEME_UCS2_80 },
  { "80004100", "A", SV_ALPHA_SCHEME_UCS2_80 },
  /* unpaired surrogate */
  { "80D83D0041", "\xEF\xBF\xBD" "A", SV_ALPHA_SCHEME_UCS2_80 },
  { "80", "", SV_ALPHA_SCHEME_UCS2_80 },
  /* 0x81, worked: 6 chars, base 0x08 << 7 = 0x0400 (Cyrillic) */
  { "8106089FC0B8B2B5C2FFFF", "Привет", SV_ALPHA_SCHEME_UCS2_81 },
  /* 0x81 mixing GSM characters (bit 8 clear) and window characters */
  { "810408C120B0C0FF", "\xD1\x81 \xD0\xB0\xD1\x80", SV_ALPHA_SCHEME_UCS2_81 },
  /* 0x81 count larger than the field: clamped */
  { "81FF089FC0", "Пр", SV_ALPHA_SCHEME_UCS2_81 },
  /* TS 102.221 Annex A example for 0x82: 5 chars, base 0x0530 */
  { "820505302D82D32D31", "-Բփ-1", SV_ALPHA_SCHEME_UCS2_82 },
  /* 0x82, worked: GSM extension characters inside the string */
  { "8203 4F60 801B65", "你€", SV_ALPHA_SCHEME_UCS2_82 },
};

static void
test_decode_golden (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (decode_cases); i++)
    {
      const DecodeCase *c = &decode_cases[i];
      g_autoptr(GError) error = NULL;
      g_autofree guint8 *data = NULL;
      g_autofree char *text = NULL;
      SvAlphaScheme scheme;
      gsize len;

      g_test_message ("case %u: %s", i, c->hex);
      data = test_hex (c->hex, &len);
      text = sv_alpha_decode (data, len, &scheme, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (text, ==, c->text);
      g_assert_cmpint (scheme, ==, c->scheme);
    }
}

static void
test_decode_errors (void)
{
  static const char *const bad[] = {
    "81", "8102", "820100", "41C4",
    /* 0x82 saying 5 characters with 2 bytes after the header (TS 102.221
     * Annex A): runs past the data */
    "820505302D82",
    "82FF0530",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree guint8 *data = NULL;
      g_autofree char *text = NULL;
      gsize len;

      data = test_hex (bad[i], &len);
      text = sv_alpha_decode (data, len, NULL, &error);
      g_assert_null (text);
      g_assert_nonnull (error);
      g_assert_true (error->domain == SV_CODEC_ERROR);
      g_assert_nonnull (strstr (error->message, "at byte"));
    }
}

typedef struct
{
  const char    *text;
  gsize          field_len;
  SvAlphaScheme  scheme;
  const char    *hex;
} EncodeCase;

static const EncodeCase encode_cases[] = {
  { "Voice Mail", 14, SV_ALPHA_SCHEME_GSM, "566F696365204D61696CFFFFFFFF" },
  { "", 4, SV_ALPHA_SCHEME_GSM, "FFFFFFFF" },
  { "€", 2, SV_ALPHA_SCHEME_GSM, "1B65" },
  /* 6 Cyrillic letters: 0x81 (9 bytes) beats 0x80 (13) */
  { "Привет", 14, SV_ALPHA_SCHEME_UCS2_81, "8106089FC0B8B2B5C2FFFFFFFFFF" },
  /* CJK beyond 0x81's reach (> 0x7FFF) and further apart than 0x82's
   * 128-character window: only 0x80 */
  { "你好", 8, SV_ALPHA_SCHEME_UCS2_80, "804F60597DFFFFFF" },
  /* 4 CJK characters in one 0x81 window (base 0x9E << 7 = 0x4F00):
   * 0x81 (7) beats 0x82 (8) and 0x80 (9) */
  { "\u4F60\u4F61\u4F62\u4F63", 9, SV_ALPHA_SCHEME_UCS2_81, "8104 9E E0E1E2E3 FFFF" },
  /* straddling a 0x81 window boundary: 0x82 (8) beats 0x80 (9) */
  { "\u4F7E\u4F7F\u4F80\u4F81", 9, SV_ALPHA_SCHEME_UCS2_82, "8204 4F7E 80818283 FF" },
  /* Hangul is beyond 0x81's reach (> 0x7FFF): 0x82 */
  { "\uAC00\uAC01\uAC04\uAC07", 8, SV_ALPHA_SCHEME_UCS2_82, "8204 AC00 80818487" },
  /* emoji need surrogates: only 0x80 */
  { "😀", 6, SV_ALPHA_SCHEME_UCS2_80, "80D83DDE00FF" },
  /* Latin text with Greek letters: 0x81 window 0x0380 (6) beats 0x80 (7) */
  { "Aαβ", 6, SV_ALPHA_SCHEME_UCS2_81, "81030741B1B2" },
  /* a tie (5 bytes each) goes to the simpler 0x80 */
  { "Aα", 6, SV_ALPHA_SCHEME_UCS2_80, "80004103B1FF" },
};

static void
test_encode_golden (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (encode_cases); i++)
    {
      const EncodeCase *c = &encode_cases[i];
      g_autoptr(GError) error = NULL;
      g_autofree guint8 *field = g_malloc (c->field_len);
      g_autofree char *hex = NULL;
      g_autofree char *expected = NULL;
      g_autofree guint8 *exp_bytes = NULL;
      g_autofree char *back = NULL;
      SvAlphaScheme scheme = -1;
      gsize exp_len;

      g_test_message ("case %u: %s", i, c->text);
      g_assert_true (sv_alpha_encode (c->text, field, c->field_len, &scheme, &error));
      g_assert_no_error (error);
      g_assert_cmpint (scheme, ==, c->scheme);
      hex = test_to_hex (field, c->field_len);
      exp_bytes = test_hex (c->hex, &exp_len);
      expected = test_to_hex (exp_bytes, exp_len);
      g_assert_cmpstr (hex, ==, expected);

      back = sv_alpha_decode (field, c->field_len, &scheme, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (back, ==, c->text);
    }
}

static void
test_encode_too_long (void)
{
  g_autoptr(GError) error = NULL;
  guint8 field[4];

  g_assert_false (sv_alpha_encode ("Hello!", field, sizeof field, NULL, &error));
  g_assert_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_TOO_LONG);
  g_assert_nonnull (strstr (error->message, "2 character(s) too long"));
  g_clear_error (&error);

  g_assert_false (sv_alpha_encode_scheme ("你", SV_ALPHA_SCHEME_GSM, field, sizeof field, &error));
  g_assert_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_UNENCODABLE);
  g_clear_error (&error);

  g_assert_false (sv_alpha_encode ("\xC3", field, sizeof field, NULL, &error));
  g_assert_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_INVALID);
}

static void
test_encode_forced_scheme (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *back = NULL;
  guint8 field[12];
  SvAlphaScheme scheme;

  g_assert_true (sv_alpha_encode_scheme ("AB", SV_ALPHA_SCHEME_UCS2_80, field, sizeof field, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (field, 5, "\x80\x00\x41\x00\x42", 5);
  back = sv_alpha_decode (field, sizeof field, &scheme, &error);
  g_assert_cmpstr (back, ==, "AB");
  g_assert_cmpint (scheme, ==, SV_ALPHA_SCHEME_UCS2_80);
}

typedef struct
{
  const char    *text;
  gsize          field_len;
  SvAlphaScheme  scheme;
  guint          n_chars;
  guint          n_chars_fit;
  gsize          n_bytes;
  gboolean       fits;
} MeasureCase;

static const MeasureCase measure_cases[] = {
  { "Hello", 14, SV_ALPHA_SCHEME_GSM, 5, 5, 5, TRUE },
  { "Hello", 4, SV_ALPHA_SCHEME_GSM, 5, 4, 5, FALSE },
  /* extension characters take 2 bytes */
  { "€€€", 5, SV_ALPHA_SCHEME_GSM, 3, 2, 6, FALSE },
  { "Привет", 8, SV_ALPHA_SCHEME_UCS2_81, 6, 5, 9, FALSE },
  { "你好吗", 6, SV_ALPHA_SCHEME_UCS2_80, 3, 2, 7, FALSE },
  { "😀😀", 6, SV_ALPHA_SCHEME_UCS2_80, 2, 1, 9, FALSE },
  { "", 0, SV_ALPHA_SCHEME_GSM, 0, 0, 0, TRUE },
  { "a", 0, SV_ALPHA_SCHEME_GSM, 1, 0, 1, FALSE },
};

static void
test_measure (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (measure_cases); i++)
    {
      const MeasureCase *c = &measure_cases[i];
      SvAlphaFit fit;

      g_test_message ("case %u: %s", i, c->text);
      sv_alpha_measure (c->text, c->field_len, &fit);
      g_assert_cmpint (fit.scheme, ==, c->scheme);
      g_assert_cmpuint (fit.n_chars, ==, c->n_chars);
      g_assert_cmpuint (fit.n_chars_fit, ==, c->n_chars_fit);
      g_assert_cmpuint (fit.n_bytes, ==, c->n_bytes);
      g_assert_cmpint (fit.fits, ==, c->fits);
    }
}

static void
test_scheme_names (void)
{
  g_assert_cmpstr (sv_alpha_scheme_to_string (SV_ALPHA_SCHEME_GSM), ==, "gsm");
  g_assert_cmpstr (sv_alpha_scheme_to_string (SV_ALPHA_SCHEME_UCS2_80), ==, "0x80");
  g_assert_cmpstr (sv_alpha_scheme_to_string (SV_ALPHA_SCHEME_UCS2_81), ==, "0x81");
  g_assert_cmpstr (sv_alpha_scheme_to_string (SV_ALPHA_SCHEME_UCS2_82), ==, "0x82");
}

/* Random text from several scripts: whatever fits decodes back to itself,
 * the measured prefix fits exactly, and one more character does not. */
static void
test_roundtrip_random (void)
{
  static const gunichar pools[][8] = {
    { 'a', 'Z', '0', ' ', '@', 0xE9, 0x20AC, '[' },          /* GSM + extension */
    { 0x0410, 0x0430, 0x044F, 0x0401, 0x0451, '!', ' ', '{' }, /* Cyrillic */
    { 0x4F60, 0x597D, 0x4E16, 0x754C, 0x3002, ' ', 'a', 0xFF01 }, /* CJK */
    { 0x1F600, 0x1F44D, 0x2764, 'x', ' ', 0x00E4, 0x0627, 0x05D0 }, /* mixed */
  };

  for (guint iter = 0; iter < 3000; iter++)
    {
      g_autoptr(GString) text = g_string_new (NULL);
      g_autoptr(GError) error = NULL;
      guint pool = g_test_rand_int_range (0, G_N_ELEMENTS (pools));
      guint n = g_test_rand_int_range (0, 30);
      gsize field_len = g_test_rand_int_range (0, 40);
      g_autofree guint8 *field = g_malloc (MAX (field_len, 1));
      SvAlphaFit fit;
      SvAlphaScheme scheme, dscheme;

      for (guint i = 0; i < n; i++)
        g_string_append_unichar (text, pools[pool][g_test_rand_int_range (0, 8)]);

      sv_alpha_measure (text->str, field_len, &fit);
      g_assert_cmpuint (fit.n_chars, ==, n);

      if (sv_alpha_encode (text->str, field, field_len, &scheme, &error))
        {
          g_autofree char *back = sv_alpha_decode (field, field_len, &dscheme, &error);

          g_assert_true (fit.fits);
          g_assert_cmpint (scheme, ==, fit.scheme);
          g_assert_no_error (error);
          g_assert_cmpstr (back, ==, text->str);
          if (field_len > 0 && fit.n_bytes > 0)
            g_assert_cmpint (dscheme, ==, scheme);
        }
      else
        {
          const char *end;
          g_autofree char *prefix = NULL;
          g_autofree char *prefix_plus = NULL;
          SvAlphaFit pfit;

          g_assert_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_TOO_LONG);
          g_assert_false (fit.fits);
          g_assert_cmpuint (fit.n_chars_fit, <, n);
          end = g_utf8_offset_to_pointer (text->str, fit.n_chars_fit);
          prefix = g_strndup (text->str, end - text->str);
          sv_alpha_measure (prefix, field_len, &pfit);
          g_assert_true (pfit.fits);
          end = g_utf8_next_char (end);
          prefix_plus = g_strndup (text->str, end - text->str);
          sv_alpha_measure (prefix_plus, field_len, &pfit);
          g_assert_false (pfit.fits);
        }
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sv/alpha/decode/golden", test_decode_golden);
  g_test_add_func ("/sv/alpha/decode/errors", test_decode_errors);
  g_test_add_func ("/sv/alpha/encode/golden", test_encode_golden);
  g_test_add_func ("/sv/alpha/encode/too-long", test_encode_too_long);
  g_test_add_func ("/sv/alpha/encode/forced-scheme", test_encode_forced_scheme);
  g_test_add_func ("/sv/alpha/measure", test_measure);
  g_test_add_func ("/sv/alpha/scheme-names", test_scheme_names);
  g_test_add_func ("/sv/alpha/roundtrip/random", test_roundtrip_random);

  return g_test_run ();
}
