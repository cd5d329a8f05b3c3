/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * PIN flows over the scripted fake reader: counters read first, one try
 * per call, the last try refused without confirmation, blocked PINs,
 * PUK/CHANGE/ENABLE/DISABLE, 2G CHV status, PIN buffers wiped.
 */
#include "config.h"

#include <string.h>

#include "sv-card-error.h"
#include "sv-card-session.h"
#include "sv-fake-reader.h"
#include "sv-pin.h"

#define READER "Fake Reader 00 00"
#define ATR "3B9F96801FC78031A073BE21136743200718000001A5"

static void
assert_done (SvFakeReader *fake)
{
  g_assert_null (sv_fake_reader_get_mismatch (fake));
  g_assert_cmpuint (sv_fake_reader_get_n_pending (fake), ==, 0);
}

static void
assert_wiped (const char *buf,
              gsize       len)
{
  for (gsize i = 0; i < len; i++)
    g_assert_cmpint (buf[i], ==, 0);
}

/* The scripts of the counters a verification reads first, without
 * spending a try: UICC (VERIFY and UNBLOCK without data, TS 102.221
 * §11.1.9), a UICC whose MF template says it uses the universal PIN
 * (key reference 11), and 2G (the MF's status, TS 51.011 §9.2.1: @chv1 is
 * byte 19, then a protected READ BINARY says whether CHV1 is verified). */
#define UICC_COUNTERS(pin_sw) \
  "00200001", pin_sw, "002C0001", "63CA"
#define UNIVERSAL_COUNTERS(pin_sw) \
  "00200001", "9000", "00A40004023F00", "6118", "00C0000018", FCP_UNIVERSAL "9000", \
  "00200011", pin_sw, "002C0011", "63CA"
#define GSM_COUNTERS(chv1) \
  "A0A40000023F00", "9F16", \
  "A0C0000016", "00001A2C3F00010000000000090003040800" chv1 "8A838A" "9000", \
  "A0A40000027F20", "9F16", "A0A40000026F07", "9F0F", "A0B0000001", "9804"

/* Expects each (command, answer) pair of a NULL-terminated script. */
static void
expect_script (SvFakeReader      *fake,
               const char *const *script)
{
  for (guint i = 0; script[i] != NULL; i += 2)
    sv_fake_reader_expect (fake, script[i], script[i + 1]);
}

/* What opening a session sends: a UICC without EF_DIR is opened with
 * CLA 00 and no USIM; a 2G card refuses the UICC SELECT, CLA A0 answers. */
#define UICC_OPEN \
  "00A40004023F00", "9000", "00A40004022F00", "6A82", "00A4040C07A0000000871002", "6A82"
#define GSM_OPEN \
  "00A40004023F00", "6E00", "A0A40000023F00", "9F16"

/* A fake reader with a card inserted that expects @open_script first */
static SvFakeReader *
fake_with_card (const char *const *open_script)
{
  SvFakeReader *fake = sv_fake_reader_new ();

  sv_fake_reader_add_reader (fake, READER);
  sv_fake_reader_insert_card (fake, READER, ATR);
  expect_script (fake, open_script);
  return fake;
}

static SvCardSession *
open_card (SvFakeReader **fake_out,
           gboolean       gsm)
{
  g_autoptr(GError) error = NULL;
  SvCardSession *session;

  *fake_out = fake_with_card (gsm ? (const char *const[]) { GSM_OPEN, NULL }
                                  : (const char *const[]) { UICC_OPEN, NULL });
  session = sv_card_session_open (SV_READER (*fake_out), READER, &error);
  g_assert_no_error (error);
  return session;
}

static void
test_status_uicc (void)
{
  g_autoptr(SvFakeReader) fake = NULL;
  g_autoptr(SvCardSession) session = open_card (&fake, FALSE);
  g_autoptr(GError) error = NULL;
  SvPinStatus status;

  sv_fake_reader_expect (fake, "00200001", "63C3");
  sv_fake_reader_expect (fake, "002C0001", "63CA");
  g_assert_true (sv_pin_get_status (session, SV_PIN_1, &status, &error));
  g_assert_no_error (error);
  g_assert_true (status.enabled);
  g_assert_false (status.verified);
  g_assert_false (status.blocked);
  g_assert_cmpuint (status.pin_retries, ==, 3);
  g_assert_cmpuint (status.puk_retries, ==, 10);
  assert_done (fake);
}

/* FCP of the MF whose PIN status template lists PIN1 (01, disabled) and
 * the universal PIN (11, enabled, usage qualifier 08: used instead of the
 * application PIN), TS 102.221 §9.5.2 and §11.1.1.4.10. */
#define FCP_UNIVERSAL "621682027821" "83023F00" "C60C" "900140" "830101" "950108" "830111"

static void
test_universal_template (void)
{
  static const struct { const char *hex; gboolean universal; } cases[] = {
    { FCP_UNIVERSAL, TRUE },
    /* usage qualifier 00: the universal PIN is not used */
    { "621682027821" "83023F00" "C60C" "900140" "830101" "950100" "830111", FALSE },
    /* no usage qualifier: PIN1 disabled, universal PIN enabled */
    { "621382027821" "83023F00" "C609" "900140" "830101" "830111", TRUE },
    /* no usage qualifier: PIN1 enabled */
    { "621382027821" "83023F00" "C609" "9001C0" "830101" "830111", FALSE },
    /* PIN1 only; no template; truncated template */
    { "620C8202782183023F00C603900180", FALSE },
    { "62088202782183023F00", FALSE },
    { "621682027821" "83023F00" "C60C" "900140" "830101" "950108" "8301", FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GByteArray) fcp = g_byte_array_new ();

      for (const char *p = cases[i].hex; p[0] && p[1]; p += 2)
        {
          guint8 b = (guint8) ((g_ascii_xdigit_value (p[0]) << 4) | g_ascii_xdigit_value (p[1]));

          g_byte_array_append (fcp, &b, 1);
        }
      g_test_message ("case %u: %s", i, cases[i].hex);
      g_assert_cmpint (sv_pin_template_uses_universal_pin (fcp->data, fcp->len), ==, cases[i].universal);
    }
}

/* A card that uses the universal PIN: counters read from key reference
 * 11 without spending a try, one VERIFY 11 with the code, never a retry;
 * a wrong code says how many tries are left. */
static void
test_universal_verify (void)
{
  g_autoptr(SvFakeReader) fake = NULL;
  g_autoptr(SvCardSession) session = open_card (&fake, FALSE);
  g_autoptr(GError) error = NULL;
  SvPinStatus status;
  char pin[] = "4321";

  expect_script (fake, (const char *const[]) { UNIVERSAL_COUNTERS ("63C3"), NULL });
  g_assert_true (sv_pin_get_status (session, SV_PIN_1, &status, &error));
  g_assert_no_error (error);
  g_assert_true (status.universal);
  g_assert_cmphex (status.key_reference, ==, 0x11);
  g_assert_true (status.enabled);
  g_assert_false (status.verified);
  g_assert_cmpuint (status.pin_retries, ==, 3);
  g_assert_cmpuint (status.puk_retries, ==, 10);
  assert_done (fake);

  expect_script (fake, (const char *const[]) { UNIVERSAL_COUNTERS ("63C3"), NULL });
  sv_fake_reader_expect (fake, "002000110834333231FFFFFFFF", "63C2");
  g_assert_false (sv_pin_verify (session, SV_PIN_1, pin, SV_PIN_FLAGS_NONE, &error));
  g_assert_error (error, SV_CARD_ERROR, SV_CARD_ERROR_PIN_WRONG);
  g_assert_nonnull (strstr (error->message, "2 tries left"));
  assert_wiped (pin, 4);
  /* exactly one VERIFY with data: the script ends there */
  assert_done (fake);
}

typedef struct
{
  const char  *path;
  gboolean     gsm;            /* a 2G card, else a UICC */
  const char  *pin;
  SvPinFlags   flags;
  const char  *script[24];     /* (command, answer) pairs, NULL-terminated */
  gint         error_code;     /* -1: the verification succeeds */
  const char  *message_part;   /* nullable: the error message says it */
  guint        n_transmitted;  /* 0: not counted */
} VerifyCase;

static const VerifyCase verify_cases[] = {
  { "/sv/pin/verify/ok", FALSE, "1234", SV_PIN_FLAGS_NONE,
    { UICC_COUNTERS ("63C3"), "002000010831323334FFFFFFFF", "9000", NULL }, -1 },
  /* exactly one VERIFY with data: the script ends there */
  { "/sv/pin/verify/wrong-no-retry", FALSE, "0000", SV_PIN_FLAGS_NONE,
    { UICC_COUNTERS ("63C3"), "002000010830303030FFFFFFFF", "63C2", NULL },
    SV_CARD_ERROR_PIN_WRONG, "2 tries left", 3 + 3 },
  { "/sv/pin/verify/last-try-refused", FALSE, "123456", SV_PIN_FLAGS_NONE,
    { UICC_COUNTERS ("63C1"), NULL }, SV_CARD_ERROR_PIN_REFUSED },
  { "/sv/pin/verify/last-try-confirmed", FALSE, "123456", SV_PIN_CONFIRM_LAST_TRY,
    { UICC_COUNTERS ("63C1"), "0020000108313233343536FFFF", "9000", NULL }, -1 },
  { "/sv/pin/verify/blocked", FALSE, "1234", SV_PIN_CONFIRM_LAST_TRY,
    { "00200001", "6983", "002C0001", "63C5", NULL }, SV_CARD_ERROR_PIN_BLOCKED },
  /* PIN1 asks for nothing: the MF's PIN status template (TS 102.221
   * §9.5.2) says the universal PIN is not used either (PIN1 only) */
  { "/sv/pin/verify/already-verified", FALSE, "1234", SV_PIN_FLAGS_NONE,
    { "00200001", "9000",
      "00A40004023F00", "610E", "00C000000E", "620C8202782183023F00C603900100" "9000",
      "002C0001", "63CA", NULL }, -1 },
  /* with one universal PIN try left, nothing is sent without confirmation */
  { "/sv/pin/universal/last-try", FALSE, "4321", SV_PIN_FLAGS_NONE,
    { UNIVERSAL_COUNTERS ("63C1"), NULL }, SV_CARD_ERROR_PIN_REFUSED },
  { "/sv/pin/verify/bad-format", FALSE, "12a4", SV_PIN_FLAGS_NONE,
    { UICC_COUNTERS ("63C3"), NULL }, SV_CARD_ERROR_WRONG_PARAMETERS },
  /* 2G: a wrong CHV answers 98 04 without a counter; the error still says
   * how many tries are left (read from the MF status, no try spent), and
   * the code is sent once; after the failure the counters are read again
   * (CHV1 now 82: 2 tries) */
  { "/sv/pin/2g/wrong-pin-tries-left", TRUE, "0000", SV_PIN_FLAGS_NONE,
    { GSM_COUNTERS ("83"), "A020000108" "30303030FFFFFFFF", "9804", GSM_COUNTERS ("82"), NULL },
    SV_CARD_ERROR_PIN_WRONG, "2 tries left" },
};

/* One sv_pin_verify () against a script: the result, the error, the
 * buffer wiped on every path, nothing left of the script. */
static void
test_verify (gconstpointer data)
{
  const VerifyCase *c = data;
  g_autoptr(SvFakeReader) fake = NULL;
  g_autoptr(SvCardSession) session = open_card (&fake, c->gsm);
  g_autoptr(GError) error = NULL;
  g_autofree char *pin = g_strdup (c->pin);
  gsize len = strlen (pin);
  gboolean ok;

  expect_script (fake, c->script);
  ok = sv_pin_verify (session, SV_PIN_1, pin, c->flags, &error);
  if (c->error_code < 0)
    {
      g_assert_no_error (error);
      g_assert_true (ok);
    }
  else
    {
      g_assert_false (ok);
      g_assert_error (error, SV_CARD_ERROR, c->error_code);
      if (c->message_part != NULL)
        g_assert_nonnull (strstr (error->message, c->message_part));
      g_assert_null (strstr (error->message, c->pin));
    }
  assert_wiped (pin, len);
  assert_done (fake);
  if (c->n_transmitted != 0)
    g_assert_cmpuint (sv_fake_reader_get_n_transmitted (fake), ==, c->n_transmitted);
}

typedef enum { OP_UNBLOCK, OP_CHANGE, OP_ENABLE, OP_DISABLE } PinOp;

typedef struct
{
  PinOp       op;
  const char *apdu;
} PinOpCase;

static const PinOpCase op_cases[] = {
  { OP_UNBLOCK, "002C000110313233343536373839383736FFFFFFFF" },
  { OP_CHANGE,  "0024000110313233343536373839383736FFFFFFFF" },
  { OP_ENABLE,  "002800010831323334FFFFFFFF" },
  { OP_DISABLE, "002600010831323334FFFFFFFF" },
};

static void
test_operation (gconstpointer data)
{
  const PinOpCase *c = data;
  g_autoptr(SvFakeReader) fake = NULL;
  g_autoptr(SvCardSession) session = open_card (&fake, FALSE);
  g_autoptr(GError) error = NULL;
  char puk[] = "12345678";
  char old_pin[] = "1234";
  char new_pin[] = "9876";
  gboolean ok = FALSE;

  sv_fake_reader_expect (fake, "00200001", "63C3");
  sv_fake_reader_expect (fake, "002C0001", "63CA");
  sv_fake_reader_expect (fake, c->apdu, "9000");
  switch (c->op)
    {
    case OP_UNBLOCK:
      ok = sv_pin_unblock (session, SV_PIN_1, puk, new_pin, SV_PIN_FLAGS_NONE, &error);
      assert_wiped (puk, 8);
      break;
    case OP_CHANGE:
      {
        char old8[] = "12345678";

        ok = sv_pin_change (session, SV_PIN_1, old8, new_pin, SV_PIN_FLAGS_NONE, &error);
        assert_wiped (old8, 8);
      }
      break;
    case OP_ENABLE:
      ok = sv_pin_enable (session, SV_PIN_1, old_pin, SV_PIN_FLAGS_NONE, &error);
      break;
    case OP_DISABLE:
      ok = sv_pin_disable (session, SV_PIN_1, old_pin, SV_PIN_FLAGS_NONE, &error);
      break;
    default:
      g_assert_not_reached ();
    }
  g_assert_no_error (error);
  g_assert_true (ok);
  assert_done (fake);
}

static void
test_2g_status_and_verify (void)
{
  g_autoptr(SvFakeReader) fake = NULL;
  g_autoptr(SvCardSession) session = open_card (&fake, TRUE);
  g_autoptr(GError) error = NULL;
  SvPinStatus status;
  char pin[] = "1234";

  /* TS 51.011 §9.2.1: byte 14 = 00 (CHV1 enabled), byte 19 = 82 (2 tries),
   * byte 20 = 8A (10 UNBLOCK tries). Verified yet? A protected READ
   * BINARY says no (no GET RESPONSE: the header is not needed). */
  expect_script (fake, (const char *const[]) { GSM_COUNTERS ("82"), NULL });
  g_assert_true (sv_pin_get_status (session, SV_PIN_1, &status, &error));
  g_assert_no_error (error);
  g_assert_true (status.enabled);
  g_assert_false (status.verified);
  g_assert_cmpuint (status.pin_retries, ==, 2);
  g_assert_cmpuint (status.puk_retries, ==, 10);
  assert_done (fake);

  /* verify: counters again, then one VERIFY CHV with CLA A0. */
  expect_script (fake, (const char *const[]) {
    GSM_COUNTERS ("82"), "A020000108" "31323334FFFFFFFF", "9000", NULL });
  g_assert_true (sv_pin_verify (session, SV_PIN_1, pin, SV_PIN_FLAGS_NONE, &error));
  g_assert_no_error (error);
  assert_wiped (pin, 4);
  assert_done (fake);
}

static void
async_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static GAsyncResult *
wait_result (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

static void
test_async (void)
{
  g_autoptr(SvFakeReader) fake = fake_with_card ((const char *const[]) { UICC_OPEN, NULL });
  g_autoptr(SvCardSession) session = NULL;
  g_autoptr(GError) error = NULL;
  GAsyncResult *result = NULL;
  SvPinStatus status;
  char pin[] = "1234";

  sv_card_session_open_async (SV_READER (fake), READER, NULL, async_done_cb, &result);
  session = sv_card_session_open_finish (wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_nonnull (session);
  g_clear_object (&result);

  sv_fake_reader_expect (fake, "00200001", "63C3");
  sv_fake_reader_expect (fake, "002C0001", "63CA");
  sv_pin_get_status_async (session, SV_PIN_1, NULL, async_done_cb, &result);
  g_assert_true (sv_pin_get_status_finish (wait_result (&result), &status, &error));
  g_assert_cmpuint (status.pin_retries, ==, 3);
  g_clear_object (&result);

  sv_fake_reader_expect (fake, "00200001", "63C3");
  sv_fake_reader_expect (fake, "002C0001", "63CA");
  sv_fake_reader_expect (fake, "002000010831323334FFFFFFFF", "9000");
  sv_pin_verify_async (session, SV_PIN_1, pin, SV_PIN_FLAGS_NONE, NULL, async_done_cb, &result);
  assert_wiped (pin, 4);             /* at once, before the worker runs */
  g_assert_true (sv_pin_verify_finish (wait_result (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  assert_done (fake);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sv/pin/status/uicc", test_status_uicc);
  for (guint i = 0; i < G_N_ELEMENTS (verify_cases); i++)
    g_test_add_data_func (verify_cases[i].path, &verify_cases[i], test_verify);
  g_test_add_func ("/sv/pin/universal/template", test_universal_template);
  g_test_add_func ("/sv/pin/universal/verify", test_universal_verify);
  g_test_add_data_func ("/sv/pin/op/unblock", &op_cases[0], test_operation);
  g_test_add_data_func ("/sv/pin/op/change", &op_cases[1], test_operation);
  g_test_add_data_func ("/sv/pin/op/enable", &op_cases[2], test_operation);
  g_test_add_data_func ("/sv/pin/op/disable", &op_cases[3], test_operation);
  g_test_add_func ("/sv/pin/2g/status-and-verify", test_2g_status_and_verify);
  g_test_add_func ("/sv/pin/async", test_async);

  return g_test_run ();
}
