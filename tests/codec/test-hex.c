/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The one hex helper (sv-hex.h): strict and with separators, both cases of
 * digits, errors that name the character, and a round trip.
 */
#include "config.h"

#include <string.h>

#include "sv-codec.h"

typedef struct
{
  const char *text;
  SvHexFlags  flags;
  const char *expected;         /* upper-case hex of the bytes; NULL: error */
} HexCase;

static const HexCase cases[] = {
  { "", SV_HEX_STRICT, "" },
  { "3F00", SV_HEX_STRICT, "3F00" },
  { "a0a4000002", SV_HEX_STRICT, "A0A4000002" },
  { "3F 00", SV_HEX_STRICT, NULL },              /* no separators when strict */
  { "0x3F00", SV_HEX_STRICT, NULL },
  { "3F0", SV_HEX_STRICT, NULL },                /* odd count */
  { "3G00", SV_HEX_STRICT, NULL },
  { "3F 00", SV_HEX_SEPARATORS, "3F00" },
  { "3f:00:2f:e2", SV_HEX_SEPARATORS, "3F002FE2" },
  { "0x62 1A\n82 05\t42\r\n", SV_HEX_SEPARATORS, "621A820542" },
  { "3 F00", SV_HEX_SEPARATORS, NULL },          /* a separator inside a byte */
  { "3F 0", SV_HEX_SEPARATORS, NULL },
  { "3F-00", SV_HEX_SEPARATORS, NULL },
};

static void
test_decode (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const HexCase *c = &cases[i];
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) bytes = NULL;

      g_test_message ("case %u: “%s”", i, c->text);
      bytes = sv_hex_decode (c->text, c->flags, &error);
      if (c->expected == NULL)
        {
          g_assert_null (bytes);
          g_assert_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_INVALID);
          g_assert_nonnull (strstr (error->message, "at character"));
        }
      else
        {
          g_autofree char *hex = NULL;

          g_assert_no_error (error);
          hex = sv_gbytes_to_hex (bytes);
          g_assert_cmpstr (hex, ==, c->expected);
        }
    }
}

static void
test_error_position (void)
{
  g_autoptr(GError) error = NULL;

  g_assert_null (sv_hex_decode ("3F00 2FZ2", SV_HEX_SEPARATORS, &error));
  g_assert_nonnull (strstr (error->message, "at character 7"));
  g_assert_nonnull (strstr (error->message, "'Z'"));
}

static void
test_round_trip (void)
{
  guint8 all[256];
  g_autofree char *hex = NULL;
  g_autoptr(GBytes) back = NULL;
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < sizeof all; i++)
    all[i] = (guint8) i;
  hex = sv_bytes_to_hex (all, sizeof all);
  g_assert_cmpuint (strlen (hex), ==, 512);
  g_assert_true (g_str_has_prefix (hex, "000102"));
  g_assert_true (g_str_has_suffix (hex, "FDFEFF"));
  back = sv_hex_decode (hex, SV_HEX_STRICT, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (back, NULL), g_bytes_get_size (back), all, sizeof all);

  g_assert_null (sv_gbytes_to_hex (NULL));
}

static void
test_literal_critical (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(GBytes) bytes = sv_hex_to_bytes ("not hex");

      g_assert_null (bytes);
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*is not hex*");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sv/hex/decode", test_decode);
  g_test_add_func ("/sv/hex/decode/error-position", test_error_position);
  g_test_add_func ("/sv/hex/round-trip", test_round_trip);
  g_test_add_func ("/sv/hex/literal-critical", test_literal_critical);

  return g_test_run ();
}
