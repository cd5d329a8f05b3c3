/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The virtual card through the real PC/SC stack: libpcsclite -> pcscd ->
 * vpcd -> simvault-vsim.  Talks to libpcsclite directly (not through the
 * project's smartcard layer) and checks the card against the images. */
#define G_LOG_DOMAIN "test-vsim-pcsc"

#include "config.h"

#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <winscard.h>

#include "sv-hex.h"
#include "sv-vsim-fixture.h"

typedef struct
{
  SCARDCONTEXT ctx;
  SCARDHANDLE  card;
  gboolean     connected;
} Conn;

static void
conn_open (Conn          *c,
           SvVsimFixture *fixture)
{
  DWORD protocol = 0;
  LONG rv;

  rv = SCardEstablishContext (SCARD_SCOPE_SYSTEM, NULL, NULL, &c->ctx);
  g_assert_cmphex (rv, ==, SCARD_S_SUCCESS);
  rv = SCardConnect (c->ctx, sv_vsim_fixture_reader_name (fixture), SCARD_SHARE_SHARED,
                     SCARD_PROTOCOL_T0, &c->card, &protocol);
  g_assert_cmphex (rv, ==, SCARD_S_SUCCESS);
  g_assert_cmpuint (protocol, ==, SCARD_PROTOCOL_T0);
  c->connected = TRUE;
}

static void
conn_close (Conn *c)
{
  if (c->connected)
    SCardDisconnect (c->card, SCARD_LEAVE_CARD);
  SCardReleaseContext (c->ctx);
  c->connected = FALSE;
}

/* Sends hex; returns the response data and sets *sw.  Asserts that the
 * stack delivered a response. */
static GBytes *
xfer (Conn       *c,
      const char *hex,
      guint      *sw)
{
  g_autoptr(GBytes) apdu = sv_hex_to_bytes (hex);
  guint8 rbuf[258];
  DWORD rlen = sizeof rbuf;
  LONG rv;

  rv = SCardTransmit (c->card, SCARD_PCI_T0, g_bytes_get_data (apdu, NULL),
                      (DWORD) g_bytes_get_size (apdu), NULL, rbuf, &rlen);
  g_assert_cmphex (rv, ==, SCARD_S_SUCCESS);
  g_assert_cmpuint (rlen, >=, 2);
  *sw = (guint) (rbuf[rlen - 2] << 8 | rbuf[rlen - 1]);
  return g_bytes_new (rbuf, rlen - 2);
}

static guint
xfer_sw (Conn       *c,
         const char *hex)
{
  guint sw;
  g_autoptr(GBytes) data = xfer (c, hex, &sw);

  return sw;
}

static char *
xfer_ok_hex (Conn       *c,
             const char *hex)
{
  guint sw;
  g_autoptr(GBytes) data = xfer (c, hex, &sw);

  if (sw != 0x9000)
    g_error ("%s answered %04X", hex, sw);
  return sv_bytes_to_hex (g_bytes_get_data (data, NULL), g_bytes_get_size (data));
}

/* ---- the image as the test reads it (plain JSON, not the card code) -- */

typedef struct
{
  JsonParser *parser;
  JsonObject *root;
} Profile;

static void
profile_load (Profile    *p,
              const char *path)
{
  g_autoptr(GError) error = NULL;

  p->parser = json_parser_new ();
  json_parser_load_from_file (p->parser, path, &error);
  g_assert_no_error (error);
  p->root = json_node_get_object (json_parser_get_root (p->parser));
}

static JsonObject *
profile_file (Profile    *p,
              const char *path)
{
  JsonArray *files = json_object_get_array_member (p->root, "files");

  for (guint i = 0; i < json_array_get_length (files); i++)
    {
      JsonObject *f = json_array_get_object_element (files, i);

      if (g_str_equal (json_object_get_string_member (f, "path"), path))
        return f;
    }
  return NULL;
}

static gboolean
profile_has_mode (Profile    *p,
                  const char *mode)
{
  JsonArray *modes = json_object_get_array_member (p->root, "modes");

  for (guint i = 0; i < json_array_get_length (modes); i++)
    if (g_str_equal (json_array_get_string_element (modes, i), mode))
      return TRUE;
  return FALSE;
}

static const char *
profile_pin1 (Profile *p)
{
  JsonObject *pin1 = json_object_get_object_member (json_object_get_object_member (p->root, "secrets"), "pin1");

  return json_object_get_boolean_member (pin1, "enabled")
    ? json_object_get_string_member (pin1, "value") : NULL;
}

static char *
padded_pin (const char *pin)
{
  guint8 padded[8];

  /* TS 102.221 §9.5.1: the PIN in ASCII, padded to 8 bytes with 'FF' */
  memset (padded, 0xFF, sizeof padded);
  memcpy (padded, pin, MIN (strlen (pin), sizeof padded));
  return sv_bytes_to_hex (padded, sizeof padded);
}

static char *
record_hex (JsonObject *file,
            guint       n)
{
  JsonArray *recs = json_object_get_array_member (file, "records");
  guint len = (guint) json_object_get_int_member (file, "record_length");

  if (n <= json_array_get_length (recs))
    return g_strdup (json_array_get_string_element (recs, n - 1));
  return g_strnfill (len * 2, 'F');
}

/* ---- tests ---------------------------------------------------------------- */

static const char *profiles[] = {
  "sim-2g-plain", "sim-2g-old-small", "usim-2sets", "usim-pin", "usim-ucs2",
  "usim-long-numbers", "usim-sms", "usim-empty", "usim-uicc-only",
};

static void
check_profile_2g (Conn    *c,
                  Profile *p)
{
  JsonObject *iccid = profile_file (p, "3F00/2FE2");
  JsonObject *adn = profile_file (p, "3F00/7F10/6F3A");
  JsonObject *sms = profile_file (p, "3F00/7F10/6F3C");
  const char *pin = profile_pin1 (p);
  g_autofree char *hex = NULL, *cmd = NULL, *expected = NULL;
  g_autoptr(GBytes) header = NULL;
  JsonObject *adn_real = adn;
  guint reclen, sw;

  if (json_object_has_member (adn, "alias_of"))
    adn_real = profile_file (p, json_object_get_string_member (adn, "alias_of"));
  reclen = (guint) json_object_get_int_member (adn_real, "record_length");

  g_assert_cmphex (xfer_sw (c, "A0A40000023F00"), ==, 0x9F16);
  header = xfer (c, "A0C0000016", &sw);
  g_assert_cmphex (sw, ==, 0x9000);
  /* TS 51.011 §9.2.1 byte 19: CHV1 initialised, 3 tries. */
  g_assert_cmphex (((const guint8 *) g_bytes_get_data (header, NULL))[18], ==, 0x83);

  g_assert_cmphex (xfer_sw (c, "A0A40000022FE2"), ==, 0x9F0F);
  hex = xfer_ok_hex (c, "A0B000000A");
  g_assert_cmpstr (hex, ==, json_object_get_string_member (iccid, "data"));

  g_assert_cmphex (xfer_sw (c, "A0A40000027F10"), ==, 0x9F16);
  g_assert_cmphex (xfer_sw (c, "A0A40000026F3A"), ==, 0x9F0F);
  g_clear_pointer (&header, g_bytes_unref);
  header = xfer (c, "A0C000000F", &sw);
  g_assert_cmphex (sw, ==, 0x9000);
  g_assert_cmpuint (((const guint8 *) g_bytes_get_data (header, NULL))[14], ==, reclen);

  if (pin != NULL)
    {
      g_autofree char *padded = padded_pin (pin);
      g_autofree char *verify = g_strconcat ("A020000108", padded, NULL);

      cmd = g_strdup_printf ("A0B20104%02X", reclen);
      g_assert_cmphex (xfer_sw (c, cmd), ==, 0x9804);
      g_assert_cmphex (xfer_sw (c, verify), ==, 0x9000);
      g_clear_pointer (&cmd, g_free);
    }
  g_clear_pointer (&hex, g_free);
  cmd = g_strdup_printf ("A0B20104%02X", reclen);
  hex = xfer_ok_hex (c, cmd);
  expected = record_hex (adn_real, 1);
  g_assert_cmpstr (hex, ==, expected);
  /* Wrong P3: 67 XX with the record length (TS 51.011 §9.4.6). */
  g_assert_cmphex (xfer_sw (c, "A0B2010401"), ==, 0x6700 | reclen);

  g_assert_cmphex (xfer_sw (c, "A0A40000026F3C"), ==, 0x9F0F);
  g_clear_pointer (&hex, g_free);
  g_clear_pointer (&expected, g_free);
  hex = xfer_ok_hex (c, "A0B20104B0");
  expected = record_hex (sms, 1);
  g_assert_cmpstr (hex, ==, expected);
}

static void
check_profile_uicc (Conn    *c,
                    Profile *p)
{
  JsonObject *iccid = profile_file (p, "3F00/2FE2");
  JsonObject *pbr = profile_file (p, "3F00/7F10/5F3A/4F30");
  const char *pin = profile_pin1 (p);
  g_autofree char *hex = NULL, *expected = NULL;
  guint sw;

  sw = xfer_sw (c, "00A40004023F00");
  if (sw != 0x9000)  /* the select_fcp_direct quirk answers with the FCP */
    {
      g_autofree char *get = NULL;
      g_autofree char *fcp = NULL;

      g_assert_cmphex (sw & 0xFF00, ==, 0x6100);
      get = g_strdup_printf ("00C00000%02X", sw & 0xFF);
      fcp = xfer_ok_hex (c, get);
      g_assert_true (g_str_has_prefix (fcp, "62"));
    }
  g_assert_cmphex (xfer_sw (c, "00A4000C022FE2"), ==, 0x9000);
  g_assert_cmphex (xfer_sw (c, "00B0000000"), ==, 0x6C0A);
  hex = xfer_ok_hex (c, "00B000000A");
  g_assert_cmpstr (hex, ==, json_object_get_string_member (iccid, "data"));

  g_assert_cmphex (xfer_sw (c, "00A4040C07A0000000871002"), ==, 0x9000);
  g_assert_cmphex (xfer_sw (c, "00A4080C067FFF5F3A4F30"), ==, 0x9000);
  if (pin != NULL)
    {
      g_autofree char *padded = padded_pin (pin);
      g_autofree char *verify = g_strconcat ("0020000108", padded, NULL);

      g_assert_cmphex (xfer_sw (c, "00B2010440"), ==, 0x6982);
      g_assert_cmphex (xfer_sw (c, "0020000100"), ==, 0x63C3);
      g_assert_cmphex (xfer_sw (c, verify), ==, 0x9000);
    }
  g_assert_cmphex (xfer_sw (c, "00B2010400"), ==, 0x6C40);
  g_clear_pointer (&hex, g_free);
  hex = xfer_ok_hex (c, "00B2010440");
  expected = record_hex (pbr, 1);
  g_assert_cmpstr (hex, ==, expected);
  g_assert_cmphex (xfer_sw (c, "00B2090440"), ==, 0x6A83);
}

static void
test_profiles (void)
{
  if (sv_vsim_fixture_skip_unless_available ())
    return;

  for (guint i = 0; i < G_N_ELEMENTS (profiles); i++)
    {
      g_autofree char *path = sv_vsim_fixture_profile (profiles[i]);
      g_autoptr(GError) error = NULL;
      g_autoptr(SvVsimFixture) fixture = NULL;
      g_autofree char *atr_hex = NULL;
      Profile p;
      Conn c = { 0 };
      guint8 atr[33];
      DWORD atr_len = sizeof atr, state, protocol, name_len = 0;

      g_test_message ("profile %s", profiles[i]);
      profile_load (&p, path);
      fixture = sv_vsim_fixture_start (path, 0, NULL, &error);
      g_assert_no_error (error);
      conn_open (&c, fixture);

      g_assert_cmphex (SCardStatus (c.card, NULL, &name_len, &state, &protocol, atr, &atr_len),
                       ==, SCARD_S_SUCCESS);
      atr_hex = sv_bytes_to_hex (atr, atr_len);
      g_assert_cmpstr (atr_hex, ==, json_object_get_string_member (p.root, "atr"));

      if (profile_has_mode (&p, "2g"))
        check_profile_2g (&c, &p);
      else
        g_assert_cmphex (xfer_sw (&c, "A0A40000023F00"), ==, 0x6E00);
      /* Reset between the two command sets: PIN state is per session. */
      g_assert_cmphex (SCardReconnect (c.card, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0,
                                       SCARD_RESET_CARD, &protocol), ==, SCARD_S_SUCCESS);
      if (profile_has_mode (&p, "uicc"))
        check_profile_uicc (&c, &p);
      else
        g_assert_cmphex (xfer_sw (&c, "00A40004023F00"), ==, 0x6E00);
      g_assert_cmphex (xfer_sw (&c, "A0EE000000") & 0xFF00, ==,
                       profile_has_mode (&p, "2g") ? 0x6D00 : 0x6E00);

      conn_close (&c);
      g_object_unref (p.parser);
    }
}

/* A write through one path is read through the other, survives the
 * process (--persist), and is served again by a new card process. */
static void
test_update_persist (void)
{
  g_autofree char *path = NULL, *hex = NULL, *saved = NULL;
  g_autoptr(GError) error = NULL;
  const char *args[] = { "--persist", NULL };
  const char *record = "5065727369737465FFFFFFFFFFFFFFFF" "0791214365870921F3FFFFFFFFFF";
  g_autofree char *update = g_strconcat ("00DC01041E", record, NULL);
  g_autofree char *update2 = g_strconcat ("A0DC02041E", record, NULL);
  SvVsimFixture *fixture;
  Profile p;
  Conn c = { 0 };

  if (sv_vsim_fixture_skip_unless_available ())
    return;

  path = sv_vsim_fixture_profile ("usim-empty");
  fixture = sv_vsim_fixture_start (path, 0, args, &error);
  g_assert_no_error (error);
  conn_open (&c, fixture);
  g_assert_cmphex (xfer_sw (&c, "00A4040C07A0000000871002"), ==, 0x9000);
  g_assert_cmphex (xfer_sw (&c, "00A4080C067FFF5F3A4F3A"), ==, 0x9000);
  g_assert_cmphex (xfer_sw (&c, update), ==, 0x9000);
  /* 2G: DF_TELECOM/EF_ADN is the same file. */
  g_assert_cmphex (xfer_sw (&c, "A0A40000027F10"), ==, 0x9F16);
  g_assert_cmphex (xfer_sw (&c, "A0A40000026F3A"), ==, 0x9F0F);
  hex = xfer_ok_hex (&c, "A0B201041E");
  g_assert_cmpstr (hex, ==, record);
  g_assert_cmphex (xfer_sw (&c, update2), ==, 0x9000);
  conn_close (&c);

  saved = g_strdup (sv_vsim_fixture_image_path (fixture));
  {
    g_autofree char *copy = g_build_filename (g_get_tmp_dir (), "sv-vsim-persisted.json", NULL);
    g_autofree char *contents = NULL;
    gsize len;

    g_assert_true (g_file_get_contents (saved, &contents, &len, NULL));
    sv_vsim_fixture_stop (fixture);
    g_assert_true (g_file_set_contents (copy, contents, (gssize) len, NULL));

    profile_load (&p, copy);
    {
      JsonObject *adn = profile_file (&p, "3F00/7F10/5F3A/4F3A");
      g_autofree char *r1 = record_hex (adn, 1);
      g_autofree char *r2 = record_hex (adn, 2);

      g_assert_cmpstr (r1, ==, record);
      g_assert_cmpstr (r2, ==, record);
    }
    g_object_unref (p.parser);

    /* A new card process from the persisted image. */
    fixture = sv_vsim_fixture_start (copy, 0, NULL, &error);
    g_assert_no_error (error);
    conn_open (&c, fixture);
    g_assert_cmphex (xfer_sw (&c, "00A4080C047F106F3A"), ==, 0x9000);
    g_clear_pointer (&hex, g_free);
    hex = xfer_ok_hex (&c, "00B202041E");
    g_assert_cmpstr (hex, ==, record);
    conn_close (&c);
    sv_vsim_fixture_stop (fixture);
    g_unlink (copy);
  }
}

static void
test_pin_flows (void)
{
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(SvVsimFixture) fixture = NULL;
  g_autoptr(GBytes) header = NULL;
  DWORD protocol;
  Conn c = { 0 };
  guint sw;

  if (sv_vsim_fixture_skip_unless_available ())
    return;
  path = sv_vsim_fixture_profile ("usim-pin");
  fixture = sv_vsim_fixture_start (path, 0, NULL, &error);
  g_assert_no_error (error);
  conn_open (&c, fixture);

  g_assert_cmphex (xfer_sw (&c, "00A4080C047F106F3C"), ==, 0x9000);
  g_assert_cmphex (xfer_sw (&c, "00B20104B0"), ==, 0x6982);
  g_assert_cmphex (xfer_sw (&c, "0020000100"), ==, 0x63C3);
  g_assert_cmphex (xfer_sw (&c, "002000010839393939FFFFFFFF"), ==, 0x63C2);
  /* The same counter seen by the 2G command set. */
  g_assert_cmphex (xfer_sw (&c, "A0A40000023F00"), ==, 0x9F16);
  header = xfer (&c, "A0C0000016", &sw);
  g_assert_cmphex (((const guint8 *) g_bytes_get_data (header, NULL))[18], ==, 0x82);
  g_assert_cmphex (xfer_sw (&c, "A02000010839393939FFFFFFFF"), ==, 0x9804);
  g_assert_cmphex (xfer_sw (&c, "002000010839393939FFFFFFFF"), ==, 0x63C0);
  g_assert_cmphex (xfer_sw (&c, "002000010831323334FFFFFFFF"), ==, 0x6983);
  g_assert_cmphex (xfer_sw (&c, "0020000100"), ==, 0x6983);

  /* The block survives a reset (it is card state, not session state). */
  g_assert_cmphex (SCardReconnect (c.card, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0,
                                   SCARD_RESET_CARD, &protocol), ==, SCARD_S_SUCCESS);
  g_assert_cmphex (xfer_sw (&c, "0020000100"), ==, 0x6983);
  g_assert_cmphex (xfer_sw (&c, "002C000100"), ==, 0x63CA);
  g_assert_cmphex (xfer_sw (&c, "002C000110" "3030303030303030" "3131313131FFFFFF"), ==, 0x63C9);
  g_assert_cmphex (xfer_sw (&c, "002C000110" "3132333435363738" "3131313131FFFFFF"), ==, 0x9000);
  g_assert_cmphex (xfer_sw (&c, "00A4080C047F106F3C"), ==, 0x9000);
  g_assert_cmphex (xfer_sw (&c, "00B20104B0"), ==, 0x9000);

  /* A reset forgets the verification; the new PIN 11111 works in 2G. */
  g_assert_cmphex (SCardReconnect (c.card, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0,
                                   SCARD_RESET_CARD, &protocol), ==, SCARD_S_SUCCESS);
  g_assert_cmphex (xfer_sw (&c, "00A4080C047F106F3C"), ==, 0x9000);
  g_assert_cmphex (xfer_sw (&c, "00B20104B0"), ==, 0x6982);
  g_assert_cmphex (xfer_sw (&c, "A020000108" "3131313131FFFFFF"), ==, 0x9000);
  g_assert_cmphex (xfer_sw (&c, "00B20104B0"), ==, 0x9000);
  conn_close (&c);
}

static void
test_wrong_le_and_errors (void)
{
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(SvVsimFixture) fixture = NULL;
  Conn c = { 0 };

  if (sv_vsim_fixture_skip_unless_available ())
    return;
  path = sv_vsim_fixture_profile ("usim-2sets");
  fixture = sv_vsim_fixture_start (path, 0, NULL, &error);
  g_assert_no_error (error);
  conn_open (&c, fixture);
  g_assert_cmphex (xfer_sw (&c, "00A4080C067F105F3A4F3B"), ==, 0x9000);
  g_assert_cmphex (xfer_sw (&c, "00B2010410"), ==, 0x6C1E);
  g_assert_cmphex (xfer_sw (&c, "00B2FB041E"), ==, 0x6A83);
  g_assert_cmphex (xfer_sw (&c, "A0B2FB041E"), ==, 0x9402);
  g_assert_cmphex (xfer_sw (&c, "00A4000C026FFF"), ==, 0x6A82);
  g_assert_cmphex (xfer_sw (&c, "A0A40000026FFF"), ==, 0x9404);
  g_assert_cmphex (xfer_sw (&c, "C0A40000023F00"), ==, 0x6E00);
  g_assert_cmphex (xfer_sw (&c, "00FE000000"), ==, 0x6D00);
  conn_close (&c);
}

/* --drop-after N: N answers, then the card is pulled. */
static void
test_drop_after (void)
{
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(SvVsimFixture) fixture = NULL;
  g_autoptr(GBytes) apdu = sv_hex_to_bytes ("00A40004023F00");
  guint8 rbuf[258];
  DWORD rlen;
  LONG rv;
  Conn c = { 0 };
  gboolean failed = FALSE;

  if (sv_vsim_fixture_skip_unless_available ())
    return;
  path = sv_vsim_fixture_profile ("usim-2sets");
  fixture = sv_vsim_fixture_start (path, 0, (const char *[]) { "--drop-after", "5", NULL }, &error);
  g_assert_no_error (error);
  conn_open (&c, fixture);
  for (guint i = 0; i < 5; i++)
    g_assert_cmphex (xfer_sw (&c, "00A4000C023F00"), ==, 0x9000);
  g_assert_true (sv_vsim_fixture_wait_exit (fixture, 3000));
  /* The first failing transmit may "succeed" with no bytes (see
   * TESTING-NOTES): a response shorter than 2 bytes is a failure too. */
  for (guint i = 0; i < 3 && !failed; i++)
    {
      rlen = sizeof rbuf;
      rv = SCardTransmit (c.card, SCARD_PCI_T0, g_bytes_get_data (apdu, NULL),
                          (DWORD) g_bytes_get_size (apdu), NULL, rbuf, &rlen);
      failed = rv != SCARD_S_SUCCESS || rlen < 2;
    }
  g_assert_true (failed);
  g_assert_true (sv_vsim_fixture_wait_card (fixture, FALSE, 3000));
  g_assert_cmpuint (sv_vsim_fixture_apdu_count (fixture), ==, 5);
  conn_close (&c);
}

static void
test_refuse_writes (void)
{
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(SvVsimFixture) fixture = NULL;
  Conn c = { 0 };
  const char *rec = "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF";
  g_autofree char *u1 = g_strconcat ("00DC01041E", rec, NULL);
  g_autofree char *u2 = g_strconcat ("A0DC01041E", rec, NULL);

  if (sv_vsim_fixture_skip_unless_available ())
    return;
  path = sv_vsim_fixture_profile ("usim-2sets");
  fixture = sv_vsim_fixture_start (path, 0, (const char *[]) { "--refuse-writes", "--persist", NULL }, &error);
  g_assert_no_error (error);
  conn_open (&c, fixture);
  g_assert_cmphex (xfer_sw (&c, "00A4080C047F106F3A"), ==, 0x9000);
  g_assert_cmphex (xfer_sw (&c, u1), ==, 0x6581);
  g_assert_cmphex (xfer_sw (&c, u2), ==, 0x9240);
  /* Reads still work and the record is unchanged. */
  g_assert_cmphex (xfer_sw (&c, "00B201041E"), ==, 0x9000);
  conn_close (&c);
}

static gint64
time_apdus (Conn  *c,
            guint  n)
{
  gint64 start = g_get_monotonic_time ();

  for (guint i = 0; i < n; i++)
    g_assert_cmphex (xfer_sw (c, "00B000000A"), ==, 0x9000);
  return g_get_monotonic_time () - start;
}

static void
test_delay_and_log (void)
{
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;
  SvVsimFixture *fixture;
  Conn c = { 0 };
  gint64 fast, slow;
  guint before;

  if (sv_vsim_fixture_skip_unless_available ())
    return;
  path = sv_vsim_fixture_profile ("usim-2sets");

  fixture = sv_vsim_fixture_start (path, 0, NULL, &error);
  g_assert_no_error (error);
  conn_open (&c, fixture);
  g_assert_cmphex (xfer_sw (&c, "00A4000C022FE2"), ==, 0x9000);
  before = sv_vsim_fixture_apdu_count (fixture);
  fast = time_apdus (&c, 50);
  /* The APDU log has exactly one '>' line per command. */
  g_assert_cmpuint (sv_vsim_fixture_apdu_count (fixture), ==, before + 50);
  conn_close (&c);
  sv_vsim_fixture_stop (fixture);

  fixture = sv_vsim_fixture_start (path, 0, (const char *[]) { "--delay-ms", "20", NULL }, &error);
  g_assert_no_error (error);
  conn_open (&c, fixture);
  g_assert_cmphex (xfer_sw (&c, "00A4000C022FE2"), ==, 0x9000);
  slow = time_apdus (&c, 10);
  conn_close (&c);
  sv_vsim_fixture_stop (fixture);

  g_test_message ("50 APDUs: %" G_GINT64_FORMAT " us; 10 APDUs at 20 ms: %" G_GINT64_FORMAT " us",
                  fast, slow);
  /* Through pcscd an APDU costs well under a millisecond... */
  g_assert_cmpint (fast / 50, <, 1000);
  /* ...and --delay-ms 20 makes each one take at least 20 ms. */
  g_assert_cmpint (slow, >=, 10 * 20000);
}

static void
test_two_slots (void)
{
  g_autofree char *p0 = NULL, *p1 = NULL, *h0 = NULL, *h1 = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(SvVsimFixture) f0 = NULL;
  g_autoptr(SvVsimFixture) f1 = NULL;
  Conn c0 = { 0 }, c1 = { 0 };

  if (sv_vsim_fixture_skip_unless_available ())
    return;
  p0 = sv_vsim_fixture_profile ("usim-2sets");
  p1 = sv_vsim_fixture_profile ("usim-ucs2");
  f0 = sv_vsim_fixture_start (p0, 0, NULL, &error);
  g_assert_no_error (error);
  f1 = sv_vsim_fixture_start (p1, 1, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (sv_vsim_fixture_reader_name (f0), !=, sv_vsim_fixture_reader_name (f1));
  conn_open (&c0, f0);
  conn_open (&c1, f1);
  g_assert_cmphex (xfer_sw (&c0, "00A4000C022FE2"), ==, 0x9000);
  g_assert_cmphex (xfer_sw (&c1, "00A4000C022FE2"), ==, 0x9000);
  h0 = xfer_ok_hex (&c0, "00B000000A");
  h1 = xfer_ok_hex (&c1, "00B000000A");
  g_assert_cmpstr (h0, !=, h1);
  conn_close (&c0);
  conn_close (&c1);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sv/vsim/pcsc/profiles", test_profiles);
  g_test_add_func ("/sv/vsim/pcsc/update-persist", test_update_persist);
  g_test_add_func ("/sv/vsim/pcsc/pin", test_pin_flows);
  g_test_add_func ("/sv/vsim/pcsc/errors", test_wrong_le_and_errors);
  g_test_add_func ("/sv/vsim/pcsc/drop-after", test_drop_after);
  g_test_add_func ("/sv/vsim/pcsc/refuse-writes", test_refuse_writes);
  g_test_add_func ("/sv/vsim/pcsc/delay-and-log", test_delay_and_log);
  g_test_add_func ("/sv/vsim/pcsc/two-slots", test_two_slots);

  return g_test_run ();
}
