/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The APDU engine of simvault-vsim, fed directly: no socket, no pcscd. */
#define G_LOG_DOMAIN "test-vsim-engine"

#include "config.h"

#include <string.h>

#include <glib.h>

#include "sv-hex.h"
#include "sv-vsim-card.h"
#include "sv-vsim-image.h"

static SvVsimCard *
load_card (const char *profile)
{
  g_autofree char *name = g_strconcat (profile, ".json", NULL);
  const char *path = g_test_get_filename (G_TEST_DIST, "data", "cards", name, NULL);
  g_autoptr(GError) error = NULL;
  SvVsimImage *image = sv_vsim_image_load (path, &error);

  g_assert_no_error (error);
  g_assert_nonnull (image);
  return sv_vsim_card_new (image);
}

/* Sends an APDU written in hex, returns the whole response. */
static GBytes *
tx (SvVsimCard *card,
    const char *hex)
{
  g_autoptr(GBytes) apdu = sv_hex_to_bytes (hex);
  gsize len;
  const guint8 *data = g_bytes_get_data (apdu, &len);

  return sv_vsim_card_transmit (card, data, len);
}

static guint
sw_of (GBytes *response)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (response, &len);

  g_assert_cmpuint (len, >=, 2);
  return (guint) (data[len - 2] << 8 | data[len - 1]);
}

static guint
tx_sw (SvVsimCard *card,
       const char *hex)
{
  g_autoptr(GBytes) r = tx (card, hex);

  return sw_of (r);
}

/* Sends an APDU that must succeed with 90 00 and returns its data. */
static GBytes *
tx_ok (SvVsimCard *card,
       const char *hex)
{
  g_autoptr(GBytes) r = tx (card, hex);
  gsize len;
  const guint8 *data = g_bytes_get_data (r, &len);

  g_assert_cmphex (sw_of (r), ==, 0x9000);
  return g_bytes_new (data, len - 2);
}

static void
test_all_profiles_load (void)
{
  const char *dir = g_test_get_filename (G_TEST_DIST, "data", "cards", NULL);
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  guint n = 0;

  g_assert_nonnull (d);
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(SvVsimImage) image = NULL;
      SvVsimNode *iccid;

      if (!g_str_has_suffix (name, ".json"))
        continue;
      path = g_build_filename (dir, name, NULL);
      image = sv_vsim_image_load (path, &error);
      g_assert_no_error (error);
      iccid = sv_vsim_image_lookup (image, "3F00/2FE2");
      g_assert_nonnull (iccid);
      g_assert_cmpuint (sv_vsim_node_size (iccid), ==, 10);
      g_assert_nonnull (sv_vsim_image_lookup (image, "3F00/7F10/6F3A"));
      g_assert_nonnull (sv_vsim_image_lookup (image, "3F00/7F10/6F3C"));
      if (image->mode_uicc)
        {
          g_assert_nonnull (image->adf);
          g_assert_nonnull (sv_vsim_image_lookup (image, "3F00/7FFF/5F3A/4F30"));
        }
      n++;
    }
  g_assert_cmpuint (n, >=, 9);
}

static void
test_image_errors (void)
{
  static const struct { const char *json; const char *message; } cases[] = {
    { "[]", "not a JSON object" },
    { "{\"format\":\"x\",\"version\":1}", "simvault-card-image" },
    { "{\"format\":\"simvault-card-image\",\"version\":1,\"atr\":\"3B0\",\"modes\":[\"2g\"],\"files\":[]}", "odd number" },
    { "{\"format\":\"simvault-card-image\",\"version\":1,\"atr\":\"3B021450\",\"modes\":[\"3g\"],\"files\":[]}", "unknown mode" },
    { "{\"format\":\"simvault-card-image\",\"version\":1,\"atr\":\"3B021450\",\"modes\":[\"2g\"],"
      "\"files\":[{\"path\":\"3F00/7F10/6F3A\",\"structure\":\"linear\",\"record_length\":30,\"record_count\":2}]}",
      "parent 3F00/7F10 is not a DF" },
    { "{\"format\":\"simvault-card-image\",\"version\":1,\"atr\":\"3B021450\",\"modes\":[\"2g\"],"
      "\"files\":[{\"path\":\"3F00/6F3A\",\"alias_of\":\"3F00/6F3B\"}]}", "alias_of" },
    { "{\"format\":\"simvault-card-image\",\"version\":1,\"atr\":\"3B021450\",\"modes\":[\"2g\"],"
      "\"files\":[{\"path\":\"3F00/6F3A\",\"read\":\"maybe\"}]}", "unknown access condition" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      SvVsimImage *image = sv_vsim_image_load_from_data (cases[i].json, -1, &error);

      g_assert_null (image);
      g_assert_nonnull (error);
      if (strstr (error->message, cases[i].message) == NULL)
        g_error ("case %u: \"%s\" does not mention \"%s\"", i, error->message, cases[i].message);
    }
}

/* TS 51.011 §9.2.1: SELECT answers 9F xx; GET RESPONSE gives the header. */
static void
test_2g_select (void)
{
  g_autoptr(SvVsimCard) card = load_card ("sim-2g-plain");
  g_autoptr(GBytes) mf = NULL, adn = NULL;
  const guint8 *h;

  g_assert_cmphex (tx_sw (card, "A0A40000023F00"), ==, 0x9F16);
  mf = tx_ok (card, "A0C0000016");
  h = g_bytes_get_data (mf, NULL);
  g_assert_cmpuint (g_bytes_get_size (mf), ==, 22);
  g_assert_cmphex (h[4] << 8 | h[5], ==, 0x3F00);
  g_assert_cmphex (h[6], ==, 0x01);          /* MF */
  g_assert_cmphex (h[13] & 0x80, ==, 0x80);  /* CHV1 disabled */
  g_assert_cmphex (h[14], ==, 2);            /* DF_TELECOM, DF_GSM */
  g_assert_cmphex (h[18], ==, 0x83);         /* CHV1 initialised, 3 tries */
  g_assert_cmphex (h[19], ==, 0x8A);         /* UNBLOCK CHV1, 10 tries */

  /* GET RESPONSE must follow at once: the data is gone now. */
  g_assert_cmphex (tx_sw (card, "A0C0000016"), ==, 0x6F00);

  g_assert_cmphex (tx_sw (card, "A0A40000027F10"), ==, 0x9F16);
  g_assert_cmphex (tx_sw (card, "A0A40000026F3A"), ==, 0x9F0F);
  /* P3 larger than the data: 67 XX with the right length. */
  g_assert_cmphex (tx_sw (card, "A0C0000020"), ==, 0x670F);
  adn = tx_ok (card, "A0C000000F");
  h = g_bytes_get_data (adn, NULL);
  g_assert_cmphex (h[2] << 8 | h[3], ==, 250 * 30);
  g_assert_cmphex (h[4] << 8 | h[5], ==, 0x6F3A);
  g_assert_cmphex (h[6], ==, 0x04);
  g_assert_cmphex (h[8], ==, 0x11);          /* read CHV1, update CHV1 */
  g_assert_cmphex (h[13], ==, 0x01);         /* linear fixed */
  g_assert_cmphex (h[14], ==, 30);

  g_assert_cmphex (tx_sw (card, "A0A40000026F99"), ==, 0x9404);
  g_assert_cmphex (tx_sw (card, "A0A40000037F1000"), ==, 0x6702);
  /* The ADF of a USIM is invisible in 2G, and this card has none. */
  g_assert_cmphex (tx_sw (card, "A0A40000027FFF"), ==, 0x9404);
  /* CLA 00 on a 2G-only card, unknown INS, unknown CLA. */
  g_assert_cmphex (tx_sw (card, "00A40004023F00"), ==, 0x6E00);
  g_assert_cmphex (tx_sw (card, "A0EE000000"), ==, 0x6D00);
  g_assert_cmphex (tx_sw (card, "B0A40000023F00"), ==, 0x6E00);
}

static void
test_2g_records (void)
{
  g_autoptr(SvVsimCard) card = load_card ("sim-2g-plain");
  g_autoptr(GBytes) r1 = NULL, r2 = NULL, again = NULL, last = NULL, prev = NULL;
  const char *voicemail = "Voicemail";

  g_assert_cmphex (tx_sw (card, "A0A40000027F10"), ==, 0x9F16);
  g_assert_cmphex (tx_sw (card, "A0A40000026F3A"), ==, 0x9F0F);
  r1 = tx_ok (card, "A0B201041E");
  g_assert_cmpmem (g_bytes_get_data (r1, NULL), strlen (voicemail), voicemail, strlen (voicemail));
  g_assert_cmphex (tx_sw (card, "A0B2010420"), ==, 0x671E);
  g_assert_cmphex (tx_sw (card, "A0B2FB041E"), ==, 0x9402);
  g_assert_cmphex (tx_sw (card, "A0B2010500"), ==, 0x6B00);

  /* NEXT from no current record is record 1, then 2; PREVIOUS back to 1. */
  again = tx_ok (card, "A0B200021E");
  g_assert_true (g_bytes_equal (again, r1));
  r2 = tx_ok (card, "A0B200021E");
  g_assert_false (g_bytes_equal (r2, r1));
  prev = tx_ok (card, "A0B200031E");
  g_assert_true (g_bytes_equal (prev, r1));
  g_assert_cmphex (tx_sw (card, "A0B200031E"), ==, 0x9402);
  /* Absolute mode leaves the pointer alone; P1=0 reads the current one. */
  last = tx_ok (card, "A0B2FA041E");
  for (guint i = 0; i < 30; i++)
    g_assert_cmphex (((const guint8 *) g_bytes_get_data (last, NULL))[i], ==, 0xFF);
  {
    g_autoptr(GBytes) cur = tx_ok (card, "A0B200041E");

    g_assert_true (g_bytes_equal (cur, r1));
  }

  /* UPDATE then READ; wrong length gives 67 1E. */
  g_assert_cmphex (tx_sw (card, "A0DC05041E" "4E6577" "FFFFFFFFFFFFFFFFFFFFFFFFFF" "0381214365FFFFFFFFFFFFFFFFFF"), ==, 0x9000);
  {
    g_autoptr(GBytes) r5 = tx_ok (card, "A0B205041E");

    g_assert_cmpmem (g_bytes_get_data (r5, NULL), 3, "New", 3);
  }
  g_assert_cmphex (tx_sw (card, "A0DC0504024E65"), ==, 0x671E);
  g_assert_true (sv_vsim_card_take_changed (card));
  g_assert_false (sv_vsim_card_take_changed (card));
}

static void
test_2g_seek (void)
{
  g_autoptr(SvVsimCard) card = load_card ("sim-2g-plain");
  g_autoptr(GBytes) rec = NULL;

  g_assert_cmphex (tx_sw (card, "A0A40000027F10"), ==, 0x9F16);
  g_assert_cmphex (tx_sw (card, "A0A40000026F3A"), ==, 0x9F0F);
  /* "Voicemail" in the default alphabet (TS 51.011 §9.2.7 type 2). */
  g_assert_cmphex (tx_sw (card, "A0A2001009566F6963656D61696C"), ==, 0x9F01);
  rec = tx_ok (card, "A0C0000001");
  g_assert_cmphex (((const guint8 *) g_bytes_get_data (rec, NULL))[0], ==, 1);
  g_assert_cmphex (tx_sw (card, "A0A2001003515151"), ==, 0x9404);
  /* Type 1 sets the record pointer: READ RECORD current gives record 1. */
  g_assert_cmphex (tx_sw (card, "A0A2000009566F6963656D61696C"), ==, 0x9000);
  g_clear_pointer (&rec, g_bytes_unref);
  rec = tx_ok (card, "A0B200041E");
  g_assert_cmpmem (g_bytes_get_data (rec, NULL), 9, "Voicemail", 9);
}

/* TS 102.221 §11.1.1: 61 xx, GET RESPONSE, 6C xx for a wrong Le. */
static void
test_uicc_select (void)
{
  g_autoptr(SvVsimCard) card = load_card ("usim-2sets");
  g_autoptr(GBytes) fcp = NULL, imsi = NULL, iccid = NULL;
  const guint8 *f;
  gsize len;
  guint sw;

  sw = tx_sw (card, "00A40004023F00");
  g_assert_cmphex (sw & 0xFF00, ==, 0x6100);
  g_assert_cmphex (tx_sw (card, "00C00000FF"), ==, 0x6C00 | (sw & 0xFF));
  /* The 6C answer keeps the data for the next GET RESPONSE. */
  {
    g_autofree char *get = g_strdup_printf ("00C00000%02X", sw & 0xFF);

    fcp = tx_ok (card, get);
  }
  f = g_bytes_get_data (fcp, &len);
  g_assert_cmphex (f[0], ==, 0x62);
  g_assert_cmpuint (f[1], ==, len - 2);
  g_assert_cmphex (f[2], ==, 0x82);
  g_assert_cmphex (f[4], ==, 0x78);          /* DF */

  /* ICCID by FID, no FCP (P2=0C), READ BINARY with Le=00 -> 6C 0A. */
  g_assert_cmphex (tx_sw (card, "00A4000C022FE2"), ==, 0x9000);
  g_assert_cmphex (tx_sw (card, "00B0000000"), ==, 0x6C0A);
  iccid = tx_ok (card, "00B000000A");
  g_assert_cmphex (((const guint8 *) g_bytes_get_data (iccid, NULL))[0], ==, 0x98);
  g_assert_cmphex (tx_sw (card, "00B00010 01"), ==, 0x6B00);

  /* 7FFF needs an active application. */
  g_assert_cmphex (tx_sw (card, "00A4080C047FFF6F07"), ==, 0x6A82);
  g_assert_cmphex (tx_sw (card, "00A4040C07A0000000871002"), ==, 0x9000);
  g_assert_cmphex (tx_sw (card, "00A4080C047FFF6F07"), ==, 0x9000);
  g_assert_cmphex (tx_sw (card, "00B0000009"), ==, 0x9000);
  /* By SFI: EF_UST has SFI 4 in the ADF. */
  imsi = tx_ok (card, "00B0840006");
  g_assert_cmpuint (g_bytes_get_size (imsi), ==, 6);

  /* Path from MF to the phonebook through the ADF alias and the EF_PBR. */
  sw = tx_sw (card, "00A40804067FFF5F3A4F30");
  g_assert_cmphex (sw & 0xFF00, ==, 0x6100);
  g_assert_cmphex (tx_sw (card, "00B2010440"), ==, 0x9000);
  g_assert_cmphex (tx_sw (card, "00B2030440"), ==, 0x6A83);
  g_assert_cmphex (tx_sw (card, "00B2010400"), ==, 0x6C40);

  /* Errors: not found, wrong P2, unknown INS, channel, class mismatch. */
  g_assert_cmphex (tx_sw (card, "00A40004026F99"), ==, 0x6A82);
  g_assert_cmphex (tx_sw (card, "00A40001023F00"), ==, 0x6A86);
  g_assert_cmphex (tx_sw (card, "00EE000000"), ==, 0x6D00);
  g_assert_cmphex (tx_sw (card, "01A40004023F00"), ==, 0x6881);
  g_assert_cmphex (tx_sw (card, "00F2000000"), ==, 0x6E00);
  g_assert_cmphex (tx_sw (card, "E0A40004023F00"), ==, 0x6E00);
  g_assert_cmphex (tx_sw (card, "00B2"), ==, 0x6700);
}

static void
test_uicc_status_and_fcp (void)
{
  g_autoptr(SvVsimCard) card = load_card ("usim-2sets");
  g_autoptr(GBytes) fcp = NULL;
  const guint8 *f;
  gsize len;
  guint sw;

  g_assert_cmphex (tx_sw (card, "00A4040C07A0000000871002"), ==, 0x9000);
  sw = tx_sw (card, "80F2000000");
  g_assert_cmphex (sw & 0xFF00, ==, 0x6C00);
  {
    g_autofree char *status = g_strdup_printf ("80F20000%02X", sw & 0xFF);

    fcp = tx_ok (card, status);
  }
  f = g_bytes_get_data (fcp, &len);
  /* The ADF FCP carries the AID in tag 84. */
  g_assert_cmphex (f[0], ==, 0x62);
  g_assert_cmphex (f[6], ==, 0x84);
  g_assert_cmphex (f[7], ==, 12);
  g_assert_cmpmem (f + 8, 7, "\xA0\x00\x00\x00\x87\x10\x02", 7);

  /* An EF FCP: linear fixed 30 x 250, FID, size, SFI. */
  sw = tx_sw (card, "00A40804067F105F3A4F3A");
  g_assert_cmphex (sw, ==, 0x6100 | 0x1C);
  g_clear_pointer (&fcp, g_bytes_unref);
  fcp = tx_ok (card, "00C000001C");
  f = g_bytes_get_data (fcp, &len);
  g_assert_cmpmem (f, 13, "\x62\x1A\x82\x05\x42\x21\x00\x1E\xFA\x83\x02\x4F\x3A", 13);
  g_assert_cmpmem (f + 13, 15, "\x8A\x01\x05\x8C\x03\x03\x11\x11\x80\x02\x1D\x4C\x88\x01\x08", 15);
}

/* A USIM answers both CLA A0 and CLA 00 over one file system: the 2G
 * DF_TELECOM/EF_ADN is the first ADN of the phonebook. */
static void
test_alias (void)
{
  g_autoptr(SvVsimCard) card = load_card ("usim-2sets");
  g_autoptr(GBytes) via_uicc = NULL;
  const char *update = "A0DC01041E" "416C696173FFFFFFFFFFFFFFFFFFFFFF" "0681214365870900FFFFFFFFFFFF";

  g_assert_cmphex (tx_sw (card, "A0A40000027F10"), ==, 0x9F16);
  g_assert_cmphex (tx_sw (card, "A0A40000026F3A"), ==, 0x9F0F);
  g_assert_cmphex (tx_sw (card, update), ==, 0x9000);

  g_assert_cmphex (tx_sw (card, "00A4040C07A0000000871002"), ==, 0x9000);
  g_assert_cmphex (tx_sw (card, "00A4090C045F3A4F3A"), ==, 0x9000);
  via_uicc = tx_ok (card, "00B201041E");
  g_assert_cmpmem (g_bytes_get_data (via_uicc, NULL), 5, "Alias", 5);
  /* By SFI 1 (EF_ADN of set 1) from the phonebook DF as well. */
  g_assert_cmphex (tx_sw (card, "00A4000C025F3A"), ==, 0x9000);
  g_clear_pointer (&via_uicc, g_bytes_unref);
  via_uicc = tx_ok (card, "00B2010C1E");
  g_assert_cmpmem (g_bytes_get_data (via_uicc, NULL), 5, "Alias", 5);
}

static void
test_pin (void)
{
  g_autoptr(SvVsimCard) card = load_card ("usim-pin");
  g_autoptr(GBytes) header = NULL;

  g_assert_cmphex (tx_sw (card, "00A4080C047F106F3A"), ==, 0x9000);
  g_assert_cmphex (tx_sw (card, "00B201041E"), ==, 0x6982);
  g_assert_cmphex (tx_sw (card, "A0B201041E"), ==, 0x9804);
  /* ICCID needs no PIN. */
  g_assert_cmphex (tx_sw (card, "00A4080C022FE2"), ==, 0x9000);
  g_assert_cmphex (tx_sw (card, "00B000000A"), ==, 0x9000);

  g_assert_cmphex (tx_sw (card, "0020000100"), ==, 0x63C3);
  g_assert_cmphex (tx_sw (card, "00200001"), ==, 0x63C3);
  g_assert_cmphex (tx_sw (card, "002000010831313131FFFFFFFF"), ==, 0x63C2);
  /* The 2G view of the same counter: byte 19 of the DF header. */
  g_assert_cmphex (tx_sw (card, "A0A40000023F00"), ==, 0x9F16);
  header = tx_ok (card, "A0C0000016");
  g_assert_cmphex (((const guint8 *) g_bytes_get_data (header, NULL))[18], ==, 0x82);
  g_assert_cmphex (((const guint8 *) g_bytes_get_data (header, NULL))[13] & 0x80, ==, 0);
  /* 2G VERIFY CHV with a wrong value: 98 04, and the counter is shared. */
  g_assert_cmphex (tx_sw (card, "A02000010832323232FFFFFFFF"), ==, 0x9804);
  g_assert_cmphex (tx_sw (card, "0020000100"), ==, 0x63C1);
  g_assert_cmphex (tx_sw (card, "002000010831323334FFFFFFFF"), ==, 0x9000);
  g_assert_cmphex (tx_sw (card, "0020000100"), ==, 0x9000);
  g_assert_cmphex (tx_sw (card, "00A4080C047F106F3A"), ==, 0x9000);
  g_assert_cmphex (tx_sw (card, "00B201041E"), ==, 0x9000);

  /* A reset forgets the verification. */
  sv_vsim_card_reset (card);
  g_assert_cmphex (tx_sw (card, "00A4080C047F106F3A"), ==, 0x9000);
  g_assert_cmphex (tx_sw (card, "00B201041E"), ==, 0x6982);

  /* Three wrong: blocked. */
  g_assert_cmphex (tx_sw (card, "002000010830303030FFFFFFFF"), ==, 0x63C2);
  g_assert_cmphex (tx_sw (card, "002000010830303030FFFFFFFF"), ==, 0x63C1);
  g_assert_cmphex (tx_sw (card, "002000010830303030FFFFFFFF"), ==, 0x63C0);
  g_assert_cmphex (tx_sw (card, "002000010831323334FFFFFFFF"), ==, 0x6983);
  g_assert_cmphex (tx_sw (card, "A02000010831323334FFFFFFFF"), ==, 0x9840);
  g_assert_cmphex (tx_sw (card, "0020000100"), ==, 0x6983);
  /* PUK: counter query, a wrong PUK, then the right one with PIN 4321. */
  g_assert_cmphex (tx_sw (card, "002C000100"), ==, 0x63CA);
  g_assert_cmphex (tx_sw (card, "002C00010F303030303030303034333231FFFFFF"), ==, 0x6700);
  g_assert_cmphex (tx_sw (card, "002C0001103030303030303030" "34333231FFFFFFFF"), ==, 0x63C9);
  g_assert_cmphex (tx_sw (card, "002C0001103132333435363738" "34333231FFFFFFFF"), ==, 0x9000);
  g_assert_cmphex (tx_sw (card, "002C000100"), ==, 0x63CA);
  g_assert_cmphex (tx_sw (card, "0020000100"), ==, 0x9000);
  g_assert_cmphex (tx_sw (card, "00B201041E"), ==, 0x9000);

  /* CHANGE, DISABLE, ENABLE in both command sets. */
  g_assert_cmphex (tx_sw (card, "0024000110" "34333231FFFFFFFF" "31323334FFFFFFFF"), ==, 0x9000);
  g_assert_cmphex (tx_sw (card, "0024000110" "34333231FFFFFFFF" "31323334FFFFFFFF"), ==, 0x63C2);
  g_assert_cmphex (tx_sw (card, "0024000110" "31323334FFFFFFFF" "3132FFFFFFFFFFFF"), ==, 0x6A80);
  g_assert_cmphex (tx_sw (card, "A026000108" "31323334FFFFFFFF"), ==, 0x9000);
  g_assert_cmphex (tx_sw (card, "0026000108" "31323334FFFFFFFF"), ==, 0x6985);
  g_assert_cmphex (tx_sw (card, "A020000108" "31323334FFFFFFFF"), ==, 0x9808);
  sv_vsim_card_reset (card);
  g_assert_cmphex (tx_sw (card, "00A4080C047F106F3A"), ==, 0x9000);
  g_assert_cmphex (tx_sw (card, "00B201041E"), ==, 0x9000);     /* disabled */
  g_assert_cmphex (tx_sw (card, "0028000108" "31323334FFFFFFFF"), ==, 0x9000);
  g_assert_cmphex (tx_sw (card, "A028000108" "31323334FFFFFFFF"), ==, 0x9808);
  /* Unknown key reference. */
  g_assert_cmphex (tx_sw (card, "0020001108" "31323334FFFFFFFF"), ==, 0x6A88);
}

static void
test_refuse_writes (void)
{
  g_autoptr(SvVsimCard) card = load_card ("usim-2sets");
  const char *rec = "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF";
  g_autofree char *uicc = g_strconcat ("00DC01041E", rec, NULL);
  g_autofree char *gsm = g_strconcat ("A0DC01041E", rec, NULL);

  sv_vsim_card_set_refuse_writes (card, TRUE);
  g_assert_cmphex (tx_sw (card, "00A4080C047F106F3A"), ==, 0x9000);
  g_assert_cmphex (tx_sw (card, uicc), ==, 0x6581);
  g_assert_cmphex (tx_sw (card, gsm), ==, 0x9240);
  g_assert_false (sv_vsim_card_take_changed (card));
  sv_vsim_card_set_refuse_writes (card, FALSE);
  g_assert_cmphex (tx_sw (card, uicc), ==, 0x9000);
  g_assert_true (sv_vsim_card_take_changed (card));
}

static void
test_uicc_only_quirks (void)
{
  g_autoptr(SvVsimCard) card = load_card ("usim-uicc-only");
  g_autoptr(GBytes) fcp = NULL;

  g_assert_cmphex (tx_sw (card, "A0A40000023F00"), ==, 0x6E00);
  /* select_fcp_direct: with Le, the FCP comes at once. */
  fcp = tx_ok (card, "00A40004023F0000");
  g_assert_cmphex (((const guint8 *) g_bytes_get_data (fcp, NULL))[0], ==, 0x62);
  /* Without Le it is still 61 xx. */
  g_assert_cmphex (tx_sw (card, "00A40004023F00") & 0xFF00, ==, 0x6100);
}

static void
test_persist_round_trip (void)
{
  g_autoptr(SvVsimCard) card = load_card ("usim-empty");
  g_autoptr(SvVsimImage) reloaded = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *data = NULL;
  gsize len;
  SvVsimNode *adn;

  g_assert_cmphex (tx_sw (card, "00A4080C067F105F3A4F3B"), ==, 0x9000);
  g_assert_cmphex (tx_sw (card, "00DCFA041E" "5065727369737465FFFFFFFFFFFFFFFF" "0381214365FFFFFFFFFFFFFFFFFF"), ==, 0x9000);
  g_assert_cmphex (tx_sw (card, "002000010831313131FFFFFFFF"), ==, 0x63C2);
  data = sv_vsim_image_to_data (sv_vsim_card_get_image (card), &len);
  reloaded = sv_vsim_image_load_from_data (data, (gssize) len, &error);
  g_assert_no_error (error);
  adn = sv_vsim_image_lookup (reloaded, "3F00/7FFF/5F3A/4F3B");
  g_assert_nonnull (adn);
  adn = sv_vsim_node_target (adn);
  g_assert_cmpmem (adn->body->data + 249 * 30, 8, "Persiste", 8);
  g_assert_cmpuint (reloaded->secrets[SV_VSIM_SECRET_PIN1].tries_left, ==, 2);
}

static void
test_uicc_search (void)
{
  g_autoptr(SvVsimCard) card = load_card ("sim-2g-old-small");
  g_autoptr(SvVsimCard) usim = load_card ("usim-2sets");
  g_autoptr(GBytes) found = NULL;
  guint sw;

  /* A 2G-only card: no SEARCH RECORD. */
  g_assert_cmphex (tx_sw (card, "00A2010405566F696365"), ==, 0x6E00);
  g_assert_cmphex (tx_sw (usim, "00A4080C047F106F3A"), ==, 0x9000);
  sw = tx_sw (usim, "00A2010404416E6E61");   /* "Anna" */
  g_assert_cmphex (sw & 0xFF00, ==, 0x6100);
  {
    g_autofree char *get = g_strdup_printf ("00C00000%02X", sw & 0xFF);

    found = tx_ok (usim, get);
  }
  g_assert_cmpuint (g_bytes_get_size (found), >=, 1);
}

/* Cyclic EFs (EF_LND style): UPDATE RECORD PREVIOUS writes the oldest
 * record, which becomes record 1; NEXT/PREVIOUS wrap around. */
static void
test_cyclic (void)
{
  static const char json[] =
    "{\"format\":\"simvault-card-image\",\"version\":1,\"atr\":\"3B021450\","
    "\"modes\":[\"2g\",\"uicc\"],\"files\":[{\"path\":\"3F00/7F10\",\"type\":\"df\"},"
    "{\"path\":\"3F00/7F10/6F44\",\"structure\":\"cyclic\",\"record_length\":2,"
    "\"record_count\":3,\"records\":[\"0101\",\"0202\",\"0303\"]}]}";
  g_autoptr(GError) error = NULL;
  SvVsimImage *image = sv_vsim_image_load_from_data (json, -1, &error);
  g_autoptr(SvVsimCard) card = NULL;
  g_autoptr(GBytes) r = NULL;

  g_assert_no_error (error);
  card = sv_vsim_card_new (image);
  g_assert_cmphex (tx_sw (card, "00A4080C047F106F44"), ==, 0x9000);
  /* Absolute mode is refused for updates of a cyclic file. */
  g_assert_cmphex (tx_sw (card, "00DC0104020909"), ==, 0x6A86);
  g_assert_cmphex (tx_sw (card, "00DC0003020404"), ==, 0x9000);
  r = tx_ok (card, "00B2010402");
  g_assert_cmpmem (g_bytes_get_data (r, NULL), 2, "\x04\x04", 2);
  g_clear_pointer (&r, g_bytes_unref);
  r = tx_ok (card, "00B2030402");
  g_assert_cmpmem (g_bytes_get_data (r, NULL), 2, "\x02\x02", 2);
  /* The pointer is on record 1 after the update: PREVIOUS wraps to 3. */
  g_clear_pointer (&r, g_bytes_unref);
  r = tx_ok (card, "A0B2000302");
  g_assert_cmpmem (g_bytes_get_data (r, NULL), 2, "\x02\x02", 2);
  g_clear_pointer (&r, g_bytes_unref);
  r = tx_ok (card, "A0B2000202");
  g_assert_cmpmem (g_bytes_get_data (r, NULL), 2, "\x04\x04", 2);
  /* 2G header says cyclic (03). */
  g_assert_cmphex (tx_sw (card, "A0A40000026F44"), ==, 0x9F0F);
  g_clear_pointer (&r, g_bytes_unref);
  r = tx_ok (card, "A0C000000F");
  g_assert_cmphex (((const guint8 *) g_bytes_get_data (r, NULL))[13], ==, 0x03);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sv/vsim/engine/profiles/load", test_all_profiles_load);
  g_test_add_func ("/sv/vsim/engine/profiles/errors", test_image_errors);
  g_test_add_func ("/sv/vsim/engine/2g/select", test_2g_select);
  g_test_add_func ("/sv/vsim/engine/2g/records", test_2g_records);
  g_test_add_func ("/sv/vsim/engine/2g/seek", test_2g_seek);
  g_test_add_func ("/sv/vsim/engine/uicc/select", test_uicc_select);
  g_test_add_func ("/sv/vsim/engine/uicc/status-fcp", test_uicc_status_and_fcp);
  g_test_add_func ("/sv/vsim/engine/uicc/search", test_uicc_search);
  g_test_add_func ("/sv/vsim/engine/uicc/only-quirks", test_uicc_only_quirks);
  g_test_add_func ("/sv/vsim/engine/alias", test_alias);
  g_test_add_func ("/sv/vsim/engine/pin", test_pin);
  g_test_add_func ("/sv/vsim/engine/refuse-writes", test_refuse_writes);
  g_test_add_func ("/sv/vsim/engine/persist", test_persist_round_trip);
  g_test_add_func ("/sv/vsim/engine/cyclic", test_cyclic);

  return g_test_run ();
}
