/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * PIN handling against the virtual card engine (no pcscd): a card that
 * uses the universal PIN (usim-upin) and one that uses PIN1 (usim-pin).
 * The engine's PIN status template and counters are written from TS
 * 102.221 independently of sv-pin.c.
 */
#include "config.h"

#include <string.h>

#include "sv-card-error.h"
#include "sv-phonebook.h"
#include "sv-pin.h"
#include "sv-profile-card.h"

static SvCardSession *
open_profile (const char    *name,
              SvFakeReader **fake)
{
  g_autofree char *file = g_strconcat (name, ".json", NULL);
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "data", "cards", file, NULL);
  g_autoptr(GError) error = NULL;
  SvCardSession *session = sv_profile_card_open (path, fake, &error);

  g_assert_no_error (error);
  return session;
}

static void
test_universal (void)
{
  g_autoptr(SvFakeReader) fake = NULL;
  g_autoptr(SvCardSession) session = open_profile ("usim-upin", &fake);
  g_autoptr(GError) error = NULL;
  g_autoptr(SvCardImage) image = NULL;
  g_autoptr(GPtrArray) contacts = NULL;
  SvPinStatus status;
  char wrong[] = "0000";
  char right[] = "4321";

  g_assert_true (sv_pin_get_status (session, SV_PIN_1, &status, &error));
  g_assert_no_error (error);
  g_assert_true (status.universal);
  g_assert_cmphex (status.key_reference, ==, 0x11);
  g_assert_true (status.enabled);
  g_assert_false (status.verified);
  g_assert_cmpuint (status.pin_retries, ==, 3);
  g_assert_cmpuint (status.puk_retries, ==, 10);

  /* the phonebook is closed until the universal PIN is verified */
  image = sv_card_read_image (session, NULL, SV_CARD_READ_SKIP_MESSAGES, NULL, NULL, NULL, &error);
  g_assert_null (image);
  g_clear_error (&error);

  g_assert_false (sv_pin_verify (session, SV_PIN_1, wrong, SV_PIN_FLAGS_NONE, &error));
  g_assert_error (error, SV_CARD_ERROR, SV_CARD_ERROR_PIN_WRONG);
  g_assert_nonnull (strstr (error->message, "2 tries left"));
  g_clear_error (&error);

  g_assert_true (sv_pin_verify (session, SV_PIN_1, right, SV_PIN_FLAGS_NONE, &error));
  g_assert_no_error (error);
  g_assert_true (sv_pin_get_status (session, SV_PIN_1, &status, &error));
  g_assert_true (status.verified);
  g_assert_cmpuint (status.pin_retries, ==, G_MAXUINT);

  image = sv_card_read_image (session, NULL, SV_CARD_READ_SKIP_MESSAGES, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  contacts = sv_phonebook_decode (image, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (contacts->len, ==, 6);
}

/* A card that asks for PIN1 costs no look at the template, and is not
 * taken for a universal PIN card. */
static void
test_pin1 (void)
{
  g_autoptr(SvFakeReader) fake = NULL;
  g_autoptr(SvCardSession) session = open_profile ("usim-pin", &fake);
  g_autoptr(GError) error = NULL;
  SvPinStatus status;
  guint before = sv_card_session_get_apdu_count (session);

  g_assert_true (sv_pin_get_status (session, SV_PIN_1, &status, &error));
  g_assert_no_error (error);
  g_assert_false (status.universal);
  g_assert_cmphex (status.key_reference, ==, 0x01);
  g_assert_cmpuint (status.pin_retries, ==, 3);
  g_assert_cmpuint (sv_card_session_get_apdu_count (session) - before, ==, 2);
}

/* PIN1 disabled and no universal PIN in use: open, one look at the
 * template. */
static void
test_open_card (void)
{
  g_autoptr(SvFakeReader) fake = NULL;
  g_autoptr(SvCardSession) session = open_profile ("usim-2sets", &fake);
  g_autoptr(GError) error = NULL;
  SvPinStatus status;

  g_assert_true (sv_pin_get_status (session, SV_PIN_1, &status, &error));
  g_assert_no_error (error);
  g_assert_false (status.universal);
  g_assert_true (status.verified);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sv/pin/profile/universal", test_universal);
  g_test_add_func ("/sv/pin/profile/pin1", test_pin1);
  g_test_add_func ("/sv/pin/profile/open", test_open_card);
  return g_test_run ();
}
