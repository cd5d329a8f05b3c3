/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Suite 'fault' (issue 17): wrong PIN sequences never spend a try the user
 * did not ask to spend. Random sequences of what a user does (a right PIN,
 * a wrong one, a badly formed one, with or without confirming the last
 * try, on a fresh card or after a reset) run against a model card over
 * the scripted fake reader. The script holds exactly the APDUs the model
 * says may be sent: a VERIFY with data only when the user typed a well
 * formed PIN, the card has more than one try left or the user confirmed
 * the last one, and the PIN is not blocked. Any other APDU (a retry, a
 * second VERIFY, a VERIFY on the last try unconfirmed) is a mismatch and
 * fails the test; the tries left the error reports must be the model's.
 *
 * SV_FAULT_PIN_SEQUENCES (default 300) sequences of up to 12 steps;
 * SV_FAULT_SEED repeats a run.
 */
#include "config.h"

#include <string.h>

#include "sv-card-error.h"
#include "sv-card-session.h"
#include "sv-fake-reader.h"
#include "sv-pin.h"

#define READER "Fake Reader 00 00"
#define ATR "3B9F96801FC78031A073BE21136743200718000001A5"
#define MAX_TRIES 3
#define RIGHT_PIN "2468"

static SvCardSession *
open_uicc (SvFakeReader **fake_out)
{
  SvFakeReader *fake = sv_fake_reader_new ();
  g_autoptr(GError) error = NULL;
  SvCardSession *session;

  sv_fake_reader_add_reader (fake, READER);
  sv_fake_reader_insert_card (fake, READER, ATR);
  sv_fake_reader_expect (fake, "00A40004023F00", "9000");
  sv_fake_reader_expect (fake, "00A40004022F00", "6A82");
  sv_fake_reader_expect (fake, "00A4040C07A0000000871002", "6A82");
  session = sv_card_session_open (SV_READER (fake), READER, &error);
  g_assert_no_error (error);
  *fake_out = fake;
  return session;
}

static char *
verify_apdu (const char *pin)
{
  GString *s = g_string_new ("0020000108");

  for (guint i = 0; i < 8; i++)
    g_string_append_printf (s, "%02X", i < strlen (pin) ? (guint8) pin[i] : 0xFF);
  return g_string_free (s, FALSE);
}

static char *
tries_sw (guint tries)
{
  return tries == 0 ? g_strdup ("6983") : g_strdup_printf ("63C%X", tries);
}

typedef struct
{
  guint sent_verifies;        /* VERIFY with data the card received */
  guint user_attempts;        /* well-formed PINs the user submitted */
  guint refused_last_try;
  guint refused_format;
  guint refused_blocked;
  guint wrong;
  guint right;
} Tally;

static void
run_sequence (GRand *rand,
              Tally *tally)
{
  g_autoptr(SvFakeReader) fake = NULL;
  g_autoptr(SvCardSession) session = open_uicc (&fake);
  guint tries = (guint) g_rand_int_range (rand, 0, MAX_TRIES + 1);
  guint steps = (guint) g_rand_int_range (rand, 1, 13);

  for (guint s = 0; s < steps; s++)
    {
      static const char *wrongs[] = { "0000", "1111", "2469", "12345678" };
      static const char *malformed[] = { "12a4", "123", "123456789", "", "12 4" };
      guint kind = (guint) g_rand_int_range (rand, 0, 10);
      gboolean confirm = g_rand_boolean (rand);
      const char *typed = kind < 3 ? RIGHT_PIN : kind < 8 ? wrongs[g_rand_int_range (rand, 0, 4)]
                                                           : malformed[g_rand_int_range (rand, 0, 5)];
      gboolean well_formed = kind < 8;
      g_autofree char *pin = g_strdup (typed);
      g_autofree char *sw = tries_sw (tries);
      g_autoptr(GError) error = NULL;
      gboolean sends, ok;
      guint before = sv_fake_reader_get_n_transmitted (fake);

      /* What SimVault asks first: the tries left (VERIFY without data)
       * and the PUK's (UNBLOCK without data). */
      sv_fake_reader_expect (fake, "00200001", sw);
      sv_fake_reader_expect (fake, "002C0001", "63CA");
      sends = well_formed && tries > 0 && (tries > 1 || confirm);
      if (sends)
        {
          g_autofree char *apdu = verify_apdu (typed);
          g_autofree char *answer = NULL;

          if (g_str_equal (typed, RIGHT_PIN))
            answer = g_strdup ("9000");
          else
            answer = tries_sw (tries - 1);
          sv_fake_reader_expect (fake, apdu, answer);
        }

      ok = sv_pin_verify (session, SV_PIN_1, pin, confirm ? SV_PIN_CONFIRM_LAST_TRY : SV_PIN_FLAGS_NONE, &error);
      g_assert_null (sv_fake_reader_get_mismatch (fake));
      g_assert_cmpuint (sv_fake_reader_get_n_pending (fake), ==, 0);
      /* The PIN buffer is wiped whatever happened. */
      for (gsize i = 0; i < strlen (typed); i++)
        g_assert_cmpint (pin[i], ==, 0);

      if (well_formed)
        tally->user_attempts++;
      if (sends)
        {
          tally->sent_verifies++;
          g_assert_cmpuint (sv_fake_reader_get_n_transmitted (fake) - before, ==, 3);
        }
      else
        g_assert_cmpuint (sv_fake_reader_get_n_transmitted (fake) - before, ==, 2);

      if (!well_formed)
        {
          g_assert_false (ok);
          tally->refused_format++;
        }
      else if (tries == 0)
        {
          g_assert_error (error, SV_CARD_ERROR, SV_CARD_ERROR_PIN_BLOCKED);
          tally->refused_blocked++;
        }
      else if (tries == 1 && !confirm)
        {
          g_assert_error (error, SV_CARD_ERROR, SV_CARD_ERROR_PIN_REFUSED);
          tally->refused_last_try++;
        }
      else if (g_str_equal (typed, RIGHT_PIN))
        {
          g_assert_true (ok);
          g_assert_no_error (error);
          tally->right++;
          /* A right PIN resets the counter; the card is then reset (a
           * new session) so the next step asks again. */
          tries = MAX_TRIES;
          sv_card_session_close (g_steal_pointer (&session));
          g_clear_object (&fake);
          session = open_uicc (&fake);
        }
      else
        {
          g_autofree char *left = g_strdup_printf ("%u tr", tries - 1);

          g_assert_false (ok);
          if (tries - 1 == 0)
            g_assert_true (g_error_matches (error, SV_CARD_ERROR, SV_CARD_ERROR_PIN_BLOCKED) ||
                           g_error_matches (error, SV_CARD_ERROR, SV_CARD_ERROR_PIN_WRONG));
          else
            {
              g_assert_error (error, SV_CARD_ERROR, SV_CARD_ERROR_PIN_WRONG);
              g_assert_nonnull (strstr (error->message, left));
            }
          g_assert_null (strstr (error->message, typed));
          tally->wrong++;
          tries--;
        }
    }
}

static void
test_pin_sequences (void)
{
  guint n = (guint) g_ascii_strtoull (g_getenv ("SV_FAULT_PIN_SEQUENCES") ? g_getenv ("SV_FAULT_PIN_SEQUENCES") : "300",
                                      NULL, 10);
  guint32 seed = g_getenv ("SV_FAULT_SEED") ? (guint32) g_ascii_strtoull (g_getenv ("SV_FAULT_SEED"), NULL, 10)
                                            : g_random_int ();
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  Tally tally = { 0 };

  g_test_message ("seed %u (SV_FAULT_SEED to repeat), %u sequences", seed, n);
  for (guint i = 0; i < n; i++)
    run_sequence (rand, &tally);
  /* Every try the card counted is one the user asked for. */
  g_assert_cmpuint (tally.sent_verifies, ==, tally.wrong + tally.right);
  g_assert_cmpuint (tally.sent_verifies, <=, tally.user_attempts);
  g_assert_cmpuint (tally.refused_last_try, >, 0);
  g_assert_cmpuint (tally.refused_format, >, 0);
  g_test_message ("FIGURES pin sequences=%u well_formed_attempts=%u verifies_sent=%u right=%u wrong=%u "
                  "refused_last_try_unconfirmed=%u refused_blocked=%u refused_format=%u tries_spent_unasked=0",
                  n, tally.user_attempts, tally.sent_verifies, tally.right, tally.wrong,
                  tally.refused_last_try, tally.refused_blocked, tally.refused_format);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sv/fault/pin-sequences", test_pin_sequences);

  return g_test_run ();
}
