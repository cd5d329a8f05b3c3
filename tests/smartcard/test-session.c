/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The card session over the scripted fake reader: card type detection,
 * GET RESPONSE (61xx, 9Fxx), Le correction (6Cxx), every status word of
 * the table, short answers and removed cards.
 */
#include "config.h"

#include <string.h>

#include "sv-card-error.h"
#include "sv-card-session.h"
#include "sv-fake-reader.h"

#define READER "Fake Reader 00 00"
#define ATR "3B9F96801FC78031A073BE21136743200718000001A5"

/* EF_DIR FCP: linear fixed, 32-byte records, 1 record (TS 102.221 §11.1.1.3) */
#define EF_DIR_FCP "620F8205422100200183022F0080020020"
#define EF_DIR_REC1 "61124F10A0000000871002FFFFFFFF8907090000" \
                    "FFFFFFFFFFFFFFFFFFFFFFFF"

static SvFakeReader *
new_fake (void)
{
  SvFakeReader *fake = sv_fake_reader_new ();

  sv_fake_reader_add_reader (fake, READER);
  sv_fake_reader_insert_card (fake, READER, ATR);
  return fake;
}

/* What opening a USIM (with EF_DIR) and a 2G card sends */
#define USIM_OPEN \
  "00A40004023F00", "612C", "00A40004022F00", "6111", \
  "00C0000011", EF_DIR_FCP "9000", "00B2010420", EF_DIR_REC1 "9000"
#define GSM_OPEN \
  "00A40004023F00", "6E00", "A0A40000023F00", "9F1A"

/* Expects each (command, answer) pair of a NULL-terminated script. */
static void
expect_script (SvFakeReader      *fake,
               const char *const *script)
{
  for (guint i = 0; script[i] != NULL; i += 2)
    sv_fake_reader_expect (fake, script[i], script[i + 1]);
}

static void
script_open_usim (SvFakeReader *fake)
{
  expect_script (fake, (const char *const[]) { USIM_OPEN, NULL });
}

static void
script_open_2g (SvFakeReader *fake)
{
  expect_script (fake, (const char *const[]) { GSM_OPEN, NULL });
}

/* Opens a 2G card that then expects @script (nullable) */
static SvCardSession *
open_2g (SvFakeReader      *fake,
         const char *const *script)
{
  g_autoptr(GError) error = NULL;
  SvCardSession *session;

  script_open_2g (fake);
  if (script != NULL)
    expect_script (fake, script);
  session = sv_card_session_open (SV_READER (fake), READER, &error);
  g_assert_no_error (error);
  g_assert_nonnull (session);
  return session;
}

/* T=1: Le is sent with SELECT and the FCP comes back at once. */
static void
script_open_usim_t1 (SvFakeReader *fake)
{
  sv_fake_reader_set_protocol (fake, SV_CARD_PROTOCOL_T1);
  sv_fake_reader_expect (fake, "00A40004023F0000", "621B8202782183023F00" "9000");
  sv_fake_reader_expect (fake, "00A40004022F0000", EF_DIR_FCP "9000");
  sv_fake_reader_expect (fake, "00B2010420", EF_DIR_REC1 "9000");
}

static void
assert_script_done (SvFakeReader *fake)
{
  g_assert_null (sv_fake_reader_get_mismatch (fake));
  g_assert_cmpuint (sv_fake_reader_get_n_pending (fake), ==, 0);
}

/* Opening a session: which card it is, which class it talks, or a clear
 * error that names the reader. */
typedef struct
{
  const char  *path;
  const char  *script[16];        /* (command, answer) pairs, NULL-terminated */
  guint        pull_card_after;   /* 0: the card stays */
  GQuark     (*error_domain) (void);  /* NULL: the session opens */
  gint         error_code;
  SvCardType   card_type;
  gint         cla;               /* -1: not checked */
  guint        n_apdus;           /* 0: not checked */
  gsize        usim_aid_len;      /* 0: not checked */
  const char  *then_select;       /* nullable: a path selected afterwards */
} OpenCase;

static const OpenCase open_cases[] = {
  { "/sv/session/open/usim", { USIM_OPEN, NULL },
    .card_type = SV_CARD_TYPE_USIM, .cla = 0x00, .n_apdus = 4, .usim_aid_len = 16 },
  { "/sv/session/open/2g-fallback", { GSM_OPEN, NULL },
    .card_type = SV_CARD_TYPE_SIM, .cla = 0xA0 },
  { "/sv/session/open/uicc-without-usim",
    { "00A40004023F00", "9000", "00A40004022F00", "6A82", "00A4040C07A0000000871002", "6A82", NULL },
    .card_type = SV_CARD_TYPE_SIM, .cla = 0x00 },
  { "/sv/session/open/neither",
    { "00A40004023F00", "6E00", "A0A40000023F00", "6E00", NULL },
    .error_domain = sv_card_error_quark, .error_code = SV_CARD_ERROR_CLA_NOT_SUPPORTED },
  /* no EF_DIR, but a USIM answers its right-truncated AID; the ADF is
   * current: its EFs cost one SELECT */
  { "/sv/session/open/usim-without-ef-dir",
    { "00A40004023F00", "9000", "00A40004022F00", "6A82", "00A4040C07A0000000871002", "9000",
      "00A4000C026F07", "9000", NULL },
    .card_type = SV_CARD_TYPE_USIM, .cla = -1, .then_select = "7FFF6F07" },
  /* a UICC that refuses to return the MF's FCP (6A86) still is a UICC */
  { "/sv/session/open/uicc-mf-without-fcp",
    { "00A40004023F00", "6A86", "00A4000C023F00", "9000", "00A40004022F00", "6111",
      "00C0000011", EF_DIR_FCP "9000", "00B2010420", EF_DIR_REC1 "9000", NULL },
    .card_type = SV_CARD_TYPE_USIM, .cla = -1 },
  /* the card vanishes while its class is being probed */
  { "/sv/session/open/2g-card-removed", { GSM_OPEN, NULL }, .pull_card_after = 1,
    .error_domain = sv_pcsc_error_quark, .error_code = SV_PCSC_ERROR_NO_CARD },
};

static void
test_open (gconstpointer data)
{
  const OpenCase *c = data;
  g_autoptr(SvFakeReader) fake = new_fake ();
  g_autoptr(GError) error = NULL;
  g_autoptr(SvCardSession) session = NULL;

  expect_script (fake, c->script);
  if (c->pull_card_after != 0)
    sv_fake_reader_pull_card_after (fake, c->pull_card_after);
  session = sv_card_session_open (SV_READER (fake), READER, &error);
  if (c->error_domain != NULL)
    {
      g_assert_null (session);
      g_assert_error (error, c->error_domain (), c->error_code);
      g_assert_nonnull (strstr (error->message, READER));
      return;
    }

  g_assert_no_error (error);
  g_assert_nonnull (session);
  g_assert_cmpint (sv_card_session_get_card_type (session), ==, c->card_type);
  if (c->cla >= 0)
    {
      g_assert_cmpuint (sv_card_session_get_cla (session), ==, (guint) c->cla);
      g_assert_true (sv_card_session_is_uicc (session) == (c->cla == 0x00));
    }
  if (c->n_apdus != 0)
    g_assert_cmpuint (sv_card_session_get_apdu_count (session), ==, c->n_apdus);
  if (c->usim_aid_len != 0)
    {
      GBytes *aid = sv_card_session_get_usim_aid (session);

      g_assert_nonnull (aid);
      g_assert_cmpuint (g_bytes_get_size (aid), ==, c->usim_aid_len);
    }
  if (c->then_select != NULL)
    {
      g_assert_true (sv_card_session_select (session, c->then_select, NULL, &error));
      g_assert_no_error (error);
    }
  assert_script_done (fake);
}

static void
test_open_no_card (void)
{
  g_autoptr(SvFakeReader) fake = sv_fake_reader_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(SvCardSession) session = NULL;

  sv_fake_reader_add_reader (fake, READER);
  session = sv_card_session_open (SV_READER (fake), READER, &error);
  g_assert_null (session);
  g_assert_error (error, SV_PCSC_ERROR, SV_PCSC_ERROR_NO_CARD);
}

typedef struct
{
  const char *sw;
  gboolean    ok;
  SvCardError code;
} StatusCase;

static const StatusCase status_cases[] = {
  { "9000", TRUE, 0 },
  { "9100", TRUE, 0 },
  { "9101", TRUE, 0 },
  { "9201", TRUE, 0 },
  { "6282", TRUE, 0 },
  { "9240", FALSE, SV_CARD_ERROR_MEMORY },
  { "9300", FALSE, SV_CARD_ERROR_BUSY },
  { "9400", FALSE, SV_CARD_ERROR_NO_FILE_SELECTED },
  { "9402", FALSE, SV_CARD_ERROR_OUT_OF_RANGE },
  { "9404", FALSE, SV_CARD_ERROR_FILE_NOT_FOUND },
  { "9408", FALSE, SV_CARD_ERROR_FILE_INCONSISTENT },
  { "9802", FALSE, SV_CARD_ERROR_PIN_REFUSED },
  { "9804", FALSE, SV_CARD_ERROR_SECURITY_NOT_SATISFIED },
  { "9808", FALSE, SV_CARD_ERROR_CONDITIONS_NOT_SATISFIED },
  { "9810", FALSE, SV_CARD_ERROR_FILE_INVALIDATED },
  { "9840", FALSE, SV_CARD_ERROR_PIN_BLOCKED },
  { "9850", FALSE, SV_CARD_ERROR_MEMORY },
  { "6283", FALSE, SV_CARD_ERROR_FILE_INVALIDATED },
  { "63C2", FALSE, SV_CARD_ERROR_PIN_WRONG },
  { "6400", FALSE, SV_CARD_ERROR_TECHNICAL },
  { "6581", FALSE, SV_CARD_ERROR_MEMORY },
  { "6700", FALSE, SV_CARD_ERROR_WRONG_LENGTH },
  { "6881", FALSE, SV_CARD_ERROR_CLA_NOT_SUPPORTED },
  { "6981", FALSE, SV_CARD_ERROR_FILE_INCONSISTENT },
  { "6982", FALSE, SV_CARD_ERROR_SECURITY_NOT_SATISFIED },
  { "6983", FALSE, SV_CARD_ERROR_PIN_BLOCKED },
  { "6985", FALSE, SV_CARD_ERROR_CONDITIONS_NOT_SATISFIED },
  { "6986", FALSE, SV_CARD_ERROR_NO_FILE_SELECTED },
  { "6A80", FALSE, SV_CARD_ERROR_WRONG_PARAMETERS },
  { "6A81", FALSE, SV_CARD_ERROR_UNSUPPORTED },
  { "6A82", FALSE, SV_CARD_ERROR_FILE_NOT_FOUND },
  { "6A83", FALSE, SV_CARD_ERROR_RECORD_NOT_FOUND },
  { "6A84", FALSE, SV_CARD_ERROR_MEMORY },
  { "6A86", FALSE, SV_CARD_ERROR_WRONG_PARAMETERS },
  { "6A88", FALSE, SV_CARD_ERROR_FILE_NOT_FOUND },
  { "6B00", FALSE, SV_CARD_ERROR_WRONG_PARAMETERS },
  { "6D00", FALSE, SV_CARD_ERROR_INS_NOT_SUPPORTED },
  { "6E00", FALSE, SV_CARD_ERROR_CLA_NOT_SUPPORTED },
  { "6F00", FALSE, SV_CARD_ERROR_TECHNICAL },
  { "6FC3", FALSE, SV_CARD_ERROR_TECHNICAL },
  { "1234", FALSE, SV_CARD_ERROR_UNKNOWN_STATUS },
};

static void
test_status_word (gconstpointer data)
{
  const StatusCase *c = data;
  g_autoptr(SvFakeReader) fake = new_fake ();
  g_autoptr(GError) error = NULL;
  g_autoptr(SvCardSession) session = NULL;
  g_autoptr(GBytes) record = NULL;
  g_autofree char *response = g_strconcat ("0102030405060708090A0B0C0D0E0F10", c->sw, NULL);

  session = open_2g (fake, (const char *const[]) {
    "A0B2010410", response,
    NULL });
  g_assert_no_error (error);
  record = sv_card_session_read_record (session, 1, 16, &error);
  if (c->ok)
    {
      g_assert_no_error (error);
      g_assert_cmpuint (g_bytes_get_size (record), ==, 16);
    }
  else
    {
      g_assert_null (record);
      g_assert_error (error, SV_CARD_ERROR, (gint) c->code);
      /* Clear errors: the reader, the operation and the word. */
      g_assert_nonnull (strstr (error->message, READER));
      g_assert_nonnull (strstr (error->message, "READ RECORD 1"));
      g_assert_nonnull (strstr (error->message, c->sw));
    }
  assert_script_done (fake);
}

static void
test_get_response_61 (void)
{
  g_autoptr(SvFakeReader) fake = new_fake ();
  g_autoptr(GError) error = NULL;
  g_autoptr(SvCardSession) session = NULL;
  g_auto(SvFileInfo) info = { 0, };

  script_open_usim (fake);
  /* ADF by AID without FCP, then the EF with FCP through GET RESPONSE. */
  sv_fake_reader_expect (fake, "00A4040C10A0000000871002FFFFFFFF8907090000", "9000");
  sv_fake_reader_expect (fake, "00A40004026F3C", "6114");
  sv_fake_reader_expect (fake, "00C0000014", "62128205422100B00A83026F3C800206E08A0105" "9000");
  session = sv_card_session_open (SV_READER (fake), READER, &error);
  g_assert_no_error (error);
  sv_card_session_select (session, "7FFF6F3C", &info, &error);
  g_assert_no_error (error);
  g_assert_cmpint (info.structure, ==, SV_FILE_STRUCTURE_LINEAR_FIXED);
  g_assert_cmpuint (info.record_len, ==, 176);
  g_assert_cmpuint (info.n_records, ==, 10);
  /* Selecting it again costs nothing. */
  g_assert_true (sv_card_session_select (session, "7FFF6F3C", &info, &error));
  g_assert_cmpuint (sv_card_session_get_apdu_count (session), ==, 7);
  assert_script_done (fake);
}

static void
test_get_response_9f (void)
{
  g_autoptr(SvFakeReader) fake = new_fake ();
  g_autoptr(GError) error = NULL;
  g_autoptr(SvCardSession) session = NULL;
  g_auto(SvFileInfo) info = { 0, };

  session = open_2g (fake, (const char *const[]) {
    /* DFs: no GET RESPONSE. The EF: GET RESPONSE for its header. */
    "A0A40000027F10", "9F16",
    "A0A40000026F3A", "9F0F",
    "A0C000000F", "000000C86F3A040011F0220102011C" "9000",
    /* A sibling costs one SELECT. */
    "A0A40000026F4A", "9F0F",
    "A0C000000F", "000000416F4A040011F0220102010D" "9000",
    NULL });
  g_assert_true (sv_card_session_select (session, "3F007F106F3A", &info, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (info.record_len, ==, 28);
  g_assert_cmpuint (info.n_records, ==, 200 / 28);
  g_assert_true (sv_card_session_select (session, "3F007F106F4A", &info, &error));
  g_assert_cmpuint (info.record_len, ==, 13);
  g_assert_cmpuint (info.n_records, ==, 5);
  assert_script_done (fake);
}

/* T=1: Le is sent and the FCP comes back at once. An FCP without a file
 * descriptor (tag 82) says nothing the session can read by. */
static void
test_direct_fcp_t1 (void)
{
  static const struct
  {
    const char      *fcp;
    gboolean         ok;
    SvFileStructure  structure;
    gsize            file_size;
  } cases[] = {
    { "620E82014183022FE28002000A8A0105", TRUE, SV_FILE_STRUCTURE_TRANSPARENT, 10 },
    { "620A83022FE28002000A8A0105", FALSE, SV_FILE_STRUCTURE_UNKNOWN, 0 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(SvFakeReader) fake = new_fake ();
      g_autoptr(GError) error = NULL;
      g_autoptr(SvCardSession) session = NULL;
      g_auto(SvFileInfo) info = { 0, };
      g_autofree char *answer = g_strconcat (cases[i].fcp, "9000", NULL);

      g_test_message ("case %u: %s", i, cases[i].fcp);
      script_open_usim_t1 (fake);
      sv_fake_reader_expect (fake, "00A40004022FE200", answer);
      session = sv_card_session_open (SV_READER (fake), READER, &error);
      g_assert_no_error (error);
      if (cases[i].ok)
        {
          g_assert_true (sv_card_session_select (session, "3F002FE2", &info, &error));
          g_assert_no_error (error);
          g_assert_cmpint (info.structure, ==, cases[i].structure);
          g_assert_cmpuint (info.file_size, ==, cases[i].file_size);
        }
      else
        {
          g_assert_false (sv_card_session_select (session, "3F002FE2", &info, &error));
          g_assert_error (error, SV_CARD_ERROR, SV_CARD_ERROR_MALFORMED_RESPONSE);
          g_assert_nonnull (strstr (error->message, READER));
        }
      assert_script_done (fake);
    }
}

static void
test_wrong_le_6c (void)
{
  g_autoptr(SvFakeReader) fake = new_fake ();
  g_autoptr(GError) error = NULL;
  g_autoptr(SvCardSession) session = NULL;
  g_autoptr(GBytes) record = NULL;

  session = open_2g (fake, (const char *const[]) {
    "A0B201041C", "6C1E",
    "A0B201041E", "414243FFFFFFFFFFFFFFFFFFFFFFFFFFFF06811121436587FFFFFFFFFFFF" "9000",
    NULL });
  record = sv_card_session_read_record (session, 1, 28, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (record), ==, 30);
  g_assert_cmpuint (sv_card_session_get_apdu_count (session), ==, 4);
  assert_script_done (fake);
}

static GBytes *
one_byte_card (GBytes   *apdu,
               gpointer  user_data)
{
  return g_bytes_new ("\x90", 1);
}

static void
test_short_response (void)
{
  g_autoptr(SvFakeReader) fake = new_fake ();
  g_autoptr(GError) error = NULL;
  g_autoptr(SvCardSession) session = NULL;
  g_autoptr(GBytes) record = NULL;

  session = open_2g (fake, NULL);
  sv_fake_reader_set_card_func (fake, one_byte_card, NULL, NULL);
  record = sv_card_session_read_record (session, 1, 28, &error);
  g_assert_null (record);
  g_assert_error (error, SV_CARD_ERROR, SV_CARD_ERROR_MALFORMED_RESPONSE);
  g_assert_nonnull (strstr (error->message, READER));
}

static void
test_card_removed (void)
{
  g_autoptr(SvFakeReader) fake = new_fake ();
  g_autoptr(GError) error = NULL;
  g_autoptr(SvCardSession) session = NULL;
  g_autoptr(GBytes) record = NULL;

  session = open_2g (fake, NULL);
  sv_fake_reader_pull_card (fake, READER);
  /* pcscd's first answer after a pull: success with no bytes. */
  record = sv_card_session_read_record (session, 1, 28, &error);
  g_assert_null (record);
  g_assert_error (error, SV_PCSC_ERROR, SV_PCSC_ERROR_CARD_REMOVED);
  g_assert_nonnull (strstr (error->message, READER));
  g_clear_error (&error);
  /* Then a PC/SC error. */
  record = sv_card_session_read_record (session, 1, 28, &error);
  g_assert_null (record);
  g_assert_error (error, SV_PCSC_ERROR, SV_PCSC_ERROR_CARD_REMOVED);
  g_assert_nonnull (strstr (error->message, READER));
}

static void
test_select_not_found (void)
{
  g_autoptr(SvFakeReader) fake = new_fake ();
  g_autoptr(GError) error = NULL;
  g_autoptr(SvCardSession) session = NULL;
  g_auto(SvFileInfo) info = { 0, };

  session = open_2g (fake, (const char *const[]) {
    "A0A40000027F10", "9F16",
    "A0A40000026F3C", "9404",
    /* After a failed SELECT the DF is still 7F10: one SELECT for a sibling. */
    "A0A40000026F3A", "9F0F",
    "A0C000000F", "000000C86F3A040011F0220102011C" "9000",
    NULL });
  g_assert_false (sv_card_session_select (session, "3F007F106F3C", &info, &error));
  g_assert_error (error, SV_CARD_ERROR, SV_CARD_ERROR_FILE_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "3F007F106F3C"));
  g_clear_error (&error);
  g_assert_true (sv_card_session_select (session, "3F007F106F3A", &info, &error));
  g_assert_no_error (error);
  assert_script_done (fake);
}

/* The session decodes SELECT answers with the codec, leniently: a 2G EF
 * structure byte other than 00/01/03 with a record length is linear fixed
 * (SV_FILE_INFO_LENIENT_STRUCTURE). */
static void
test_select_lenient_structure (void)
{
  g_autoptr(SvFakeReader) fake = new_fake ();
  g_autoptr(GError) error = NULL;
  g_autoptr(SvCardSession) session = NULL;
  g_auto(SvFileInfo) info = { 0, };

  session = open_2g (fake, (const char *const[]) {
    "A0A40000027F10", "9F16",
    "A0A40000026F3A", "9F0F",
    "A0C000000F", "000000C86F3A040011F0220102071C" "9000",
    NULL });
  g_assert_true (sv_card_session_select (session, "3F007F106F3A", &info, &error));
  g_assert_no_error (error);
  g_assert_cmpint (info.structure, ==, SV_FILE_STRUCTURE_LINEAR_FIXED);
  g_assert_cmpuint (info.record_len, ==, 28);
  g_assert_cmpuint (info.n_records, ==, 200 / 28);
  assert_script_done (fake);
}

/* Sibling DFs and parents are selected directly, not from the MF. */
static void
test_select_navigation (void)
{
  g_autoptr(SvFakeReader) fake = new_fake ();
  g_autoptr(GError) error = NULL;
  g_autoptr(SvCardSession) session = NULL;

  session = open_2g (fake, (const char *const[]) {
    "A0A40000027F20", "9F16",
    "A0A40000026F07", "9F0F",
    /* no GET RESPONSE: the caller did not ask for the header */
    "A0A40000027F10", "9F16",       /* sibling */
    "A0A40000025F3A", "9F16",       /* child */
    "A0A40000024F30", "9F0F",
    "A0A40000027F10", "9F16",       /* parent */
    "A0A40000026F3A", "9F0F",
    "A0A40000023F00", "9F16",       /* parent */
    "A0A40000022FE2", "9F0F",
    NULL });
  g_assert_true (sv_card_session_select (session, "3F007F206F07", NULL, &error));
  g_assert_true (sv_card_session_select (session, "3F007F105F3A4F30", NULL, &error));
  g_assert_true (sv_card_session_select (session, "3F007F106F3A", NULL, &error));
  g_assert_true (sv_card_session_select (session, "3F002FE2", NULL, &error));
  g_assert_no_error (error);
  assert_script_done (fake);
}

static void
test_read_binary_chunks (void)
{
  g_autoptr(SvFakeReader) fake = new_fake ();
  g_autoptr(GError) error = NULL;
  g_autoptr(SvCardSession) session = NULL;
  g_autoptr(GBytes) body = NULL;
  GString *chunk = g_string_new (NULL);

  for (guint i = 0; i < 255; i++)
    g_string_append (chunk, "AA");
  g_string_append (chunk, "9000");
  session = open_2g (fake, (const char *const[]) {
    "A0B00000FF", chunk->str,
    "A0B000FF05", "BBBBBBBBBB9000",
    NULL });
  body = sv_card_session_read_binary (session, 0, 260, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (body), ==, 260);
  g_assert_cmpuint (((const guint8 *) g_bytes_get_data (body, NULL))[259], ==, 0xBB);
  assert_script_done (fake);
  g_string_free (chunk, TRUE);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (open_cases); i++)
    g_test_add_data_func (open_cases[i].path, &open_cases[i], test_open);
  g_test_add_func ("/sv/session/open/no-card", test_open_no_card);
  for (guint i = 0; i < G_N_ELEMENTS (status_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/sv/session/status-word/%s", status_cases[i].sw);

      g_test_add_data_func (path, &status_cases[i], test_status_word);
    }
  g_test_add_func ("/sv/session/get-response/61", test_get_response_61);
  g_test_add_func ("/sv/session/get-response/9f", test_get_response_9f);
  g_test_add_func ("/sv/session/get-response/direct-fcp-t1", test_direct_fcp_t1);
  g_test_add_func ("/sv/session/wrong-le/6c", test_wrong_le_6c);
  g_test_add_func ("/sv/session/broken/short-response", test_short_response);
  g_test_add_func ("/sv/session/broken/card-removed", test_card_removed);
  g_test_add_func ("/sv/session/select/not-found", test_select_not_found);
  g_test_add_func ("/sv/session/select/navigation", test_select_navigation);
  g_test_add_func ("/sv/session/select/lenient-structure", test_select_lenient_structure);
  g_test_add_func ("/sv/session/read-binary/chunks", test_read_binary_chunks);

  return g_test_run ();
}
