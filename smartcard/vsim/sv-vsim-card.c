/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The virtual card's engine: lifecycle, access conditions and the APDU
 * dispatch of both modes (2G, TS 51.011, CLA A0; UICC, TS 102.221). The
 * commands live by group in sv-vsim-card-select.c (response bodies,
 * SELECT, GET RESPONSE, STATUS), sv-vsim-card-records.c (BINARY, RECORD,
 * SEEK, SEARCH) and sv-vsim-card-pin.c; they share the struct and helpers
 * through sv-vsim-card-private.h.
 */
#define G_LOG_DOMAIN "sv-vsim"

#include "config.h"

#include <string.h>

#include "sv-vsim-card-private.h"

SvVsimCard *
sv_vsim_card_new (SvVsimImage *image)
{
  SvVsimCard *card = g_new0 (SvVsimCard, 1);

  card->image = image;
  card->pending = g_byte_array_new ();
  sv_vsim_card_reset (card);
  return card;
}

void
sv_vsim_card_free (SvVsimCard *card)
{
  if (card == NULL)
    return;
  sv_vsim_image_free (card->image);
  g_byte_array_unref (card->pending);
  g_free (card);
}

SvVsimImage *
sv_vsim_card_get_image (SvVsimCard *card)
{
  return card->image;
}

void
sv_vsim_card_set_refuse_writes (SvVsimCard *card,
                                gboolean    refuse)
{
  card->refuse_writes = refuse;
}

gboolean
sv_vsim_card_take_changed (SvVsimCard *card)
{
  gboolean changed = card->changed;

  card->changed = FALSE;
  return changed;
}

/* Power on and warm reset: the MF is sv_vsim_card_selected, no application is
 * active and every PIN must be presented again. */
void
sv_vsim_card_reset (SvVsimCard *card)
{
  for (guint i = 0; i < SV_VSIM_N_SECRETS; i++)
    card->image->secrets[i].verified = FALSE;
  card->current_df = card->image->mf;
  card->current_ef = NULL;
  card->active_adf = NULL;
  card->current_record = 0;
  g_byte_array_set_size (card->pending, 0);
}

void
sv_vsim_card_put16 (GByteArray *out,
                    guint       v)
{
  guint8 b[2] = { (guint8) (v >> 8), (guint8) v };

  g_byte_array_append (out, b, 2);
}

void
sv_vsim_card_put8 (GByteArray *out,
                   guint       v)
{
  guint8 b = (guint8) v;

  g_byte_array_append (out, &b, 1);
}

void
sv_vsim_card_put_tlv (GByteArray   *out,
                      guint8        tag,
                      const guint8 *value,
                      gsize         len)
{
  g_assert (len < 0x80);
  sv_vsim_card_put8 (out, tag);
  sv_vsim_card_put8 (out, (guint) len);
  g_byte_array_append (out, value, (guint) len);
}

/* ---- access conditions and secrets ---------------------------------- */

static gboolean
secret_satisfied (SvVsimSecret *s)
{
  if (!s->present)
    return TRUE;
  return !s->enabled || s->verified;
}

gboolean
sv_vsim_card_access_granted (SvVsimCard   *card,
                             SvVsimAccess  access)
{
  SvVsimSecret *secrets = card->image->secrets;

  switch (access)
    {
    case SV_VSIM_ACCESS_ALWAYS:
      return TRUE;
    case SV_VSIM_ACCESS_PIN1:
      /* TS 102.221 §9.5.1: the universal PIN, when used, replaces PIN1 */
      if (card->image->universal_pin)
        return secret_satisfied (&secrets[SV_VSIM_SECRET_UPIN]);
      return secret_satisfied (&secrets[SV_VSIM_SECRET_PIN1]);
    case SV_VSIM_ACCESS_PIN2:
      return secret_satisfied (&secrets[SV_VSIM_SECRET_PIN2]);
    case SV_VSIM_ACCESS_ADM:
      return secrets[SV_VSIM_SECRET_ADM1].present && secrets[SV_VSIM_SECRET_ADM1].verified;
    case SV_VSIM_ACCESS_NEVER:
    default:
      return FALSE;
    }
}

/* TS 51.011 §9.3 access condition nibble */
guint
sv_vsim_card_access_nibble_2g (SvVsimAccess access)
{
  switch (access)
    {
    case SV_VSIM_ACCESS_ALWAYS: return 0x0;
    case SV_VSIM_ACCESS_PIN1:   return 0x1;
    case SV_VSIM_ACCESS_PIN2:   return 0x2;
    case SV_VSIM_ACCESS_ADM:    return 0xA;
    case SV_VSIM_ACCESS_NEVER:
    default:                    return 0xF;
    }
}

/* ISO 7816-4 §5.4.3.2 compact security condition byte: 00 always, FF
 * never, otherwise b5 (user authentication) and the key as SE number. */
guint8
sv_vsim_card_access_sc_byte (SvVsimAccess access)
{
  switch (access)
    {
    case SV_VSIM_ACCESS_ALWAYS: return 0x00;
    case SV_VSIM_ACCESS_PIN1:   return 0x11;
    case SV_VSIM_ACCESS_PIN2:   return 0x12;
    case SV_VSIM_ACCESS_ADM:    return 0x1A;
    case SV_VSIM_ACCESS_NEVER:
    default:                    return 0xFF;
    }
}

/* ---- dispatch ---------------------------------------------------------- */

static gboolean
parse_apdu (const guint8 *raw,
            gsize         len,
            SvVsimApdu   *apdu)
{
  memset (apdu, 0, sizeof *apdu);
  if (len < 4)
    return FALSE;
  apdu->cla = raw[0];
  apdu->ins = raw[1];
  apdu->p1 = raw[2];
  apdu->p2 = raw[3];
  apdu->le = 256;  /* T=0: a missing or zero P3 asks for 256 bytes */
  if (len == 4)
    return TRUE;
  apdu->has_p3 = TRUE;
  apdu->p3 = raw[4];
  if (len == 5)
    {
      apdu->le = apdu->p3 != 0 ? apdu->p3 : 256;
      return TRUE;
    }
  apdu->lc = raw[4];
  if (apdu->lc == 0)
    return FALSE;  /* extended length: not with T=0 */
  apdu->data = raw + 5;
  if (len == 5 + apdu->lc)
    return TRUE;
  if (len == 6 + apdu->lc)
    {
      apdu->has_le = TRUE;
      apdu->le = raw[5 + apdu->lc] != 0 ? raw[5 + apdu->lc] : 256;
      return TRUE;
    }
  return FALSE;
}

/* Commands that send data to the card take P3 as Lc: a case 2 header
 * (5 bytes) carries P3 = 0 for "no data". */
static gboolean
incoming_ok (SvVsimApdu *apdu)
{
  if (apdu->data == NULL && apdu->has_p3 && apdu->p3 != 0)
    return FALSE;
  return TRUE;
}

/* Commands that read data must not carry a body. */
static gboolean
outgoing_ok (SvVsimApdu *apdu)
{
  return apdu->data == NULL;
}

static guint16
dispatch_2g (SvVsimCard *card,
             SvVsimApdu *apdu,
             GByteArray *pending,
             GByteArray *out)
{
  switch (apdu->ins)
    {
    case 0xA4: case 0xD6: case 0xDC: case 0xA2:
    case 0x20: case 0x24: case 0x26: case 0x28: case 0x2C:
    case 0x10:
      if (!incoming_ok (apdu))
        return 0x6700;
      break;
    case 0xB0: case 0xB2: case 0xC0: case 0xF2:
      if (!outgoing_ok (apdu))
        return 0x6700;
      break;
    default:
      break;
    }

  switch (apdu->ins)
    {
    case 0xA4: return sv_vsim_card_cmd_select_2g (card, apdu);
    case 0xC0: return sv_vsim_card_cmd_get_response (card, apdu, pending, MODE_2G, out);
    case 0xF2: return sv_vsim_card_cmd_status (card, apdu, MODE_2G, out);
    case 0xB0: return sv_vsim_card_cmd_read_binary (card, apdu, MODE_2G, out);
    case 0xD6: return sv_vsim_card_cmd_update_binary (card, apdu, MODE_2G);
    case 0xB2: return sv_vsim_card_cmd_read_record (card, apdu, MODE_2G, out);
    case 0xDC: return sv_vsim_card_cmd_update_record (card, apdu, MODE_2G);
    case 0xA2: return sv_vsim_card_cmd_seek_2g (card, apdu);
    case 0x20: return sv_vsim_card_cmd_pin (card, apdu, MODE_2G, PIN_VERIFY);
    case 0x24: return sv_vsim_card_cmd_pin (card, apdu, MODE_2G, PIN_CHANGE);
    case 0x26: return sv_vsim_card_cmd_pin (card, apdu, MODE_2G, PIN_DISABLE);
    case 0x28: return sv_vsim_card_cmd_pin (card, apdu, MODE_2G, PIN_ENABLE);
    case 0x2C: return sv_vsim_card_cmd_pin (card, apdu, MODE_2G, PIN_UNBLOCK);
    case 0x10: return SW_OK;                   /* TERMINAL PROFILE */
    case 0xFA: return SW_OK;                   /* SLEEP */
    default:   return SW_UNKNOWN_INS;
    }
}

static guint16
dispatch_uicc (SvVsimCard *card,
               SvVsimApdu *apdu,
               GByteArray *pending,
               GByteArray *out)
{
  gboolean proprietary = (apdu->cla & 0x80) != 0;
  gboolean want_proprietary;

  if ((apdu->cla & 0x40) != 0 || (apdu->cla & 0x03) != 0)
    return SW_NO_CHANNEL;
  if ((apdu->cla & 0x0C) != 0)
    return SW_NO_SM;
  if ((apdu->cla & 0x10) != 0)
    return 0x6884;  /* command chaining not supported */

  switch (apdu->ins)
    {
    case 0xA4: case 0xC0: case 0xB0: case 0xD6: case 0xB2: case 0xDC:
    case 0xA2: case 0x20: case 0x24: case 0x26: case 0x28: case 0x2C:
    case 0x70: case 0x88: case 0x84:
      want_proprietary = FALSE;
      break;
    case 0xF2: case 0x10: case 0xC2: case 0x12: case 0x14: case 0x32:
      want_proprietary = TRUE;
      break;
    default:
      return SW_UNKNOWN_INS;
    }
  if (proprietary != want_proprietary)
    return SW_WRONG_CLASS;

  switch (apdu->ins)
    {
    case 0xA4: case 0xD6: case 0xDC: case 0xA2:
    case 0x20: case 0x24: case 0x26: case 0x28: case 0x2C:
    case 0x10:
      if (!incoming_ok (apdu))
        return SW_WRONG_LENGTH;
      break;
    case 0xB0: case 0xB2: case 0xC0: case 0xF2:
      if (!outgoing_ok (apdu))
        return SW_WRONG_LENGTH;
      break;
    default:
      break;
    }

  switch (apdu->ins)
    {
    case 0xA4: return sv_vsim_card_cmd_select_uicc (card, apdu, out);
    case 0xC0: return sv_vsim_card_cmd_get_response (card, apdu, pending, MODE_UICC, out);
    case 0xF2: return sv_vsim_card_cmd_status (card, apdu, MODE_UICC, out);
    case 0xB0: return sv_vsim_card_cmd_read_binary (card, apdu, MODE_UICC, out);
    case 0xD6: return sv_vsim_card_cmd_update_binary (card, apdu, MODE_UICC);
    case 0xB2: return sv_vsim_card_cmd_read_record (card, apdu, MODE_UICC, out);
    case 0xDC: return sv_vsim_card_cmd_update_record (card, apdu, MODE_UICC);
    case 0xA2: return sv_vsim_card_cmd_search_uicc (card, apdu);
    case 0x20: return sv_vsim_card_cmd_pin (card, apdu, MODE_UICC, PIN_VERIFY);
    case 0x24: return sv_vsim_card_cmd_pin (card, apdu, MODE_UICC, PIN_CHANGE);
    case 0x26: return sv_vsim_card_cmd_pin (card, apdu, MODE_UICC, PIN_DISABLE);
    case 0x28: return sv_vsim_card_cmd_pin (card, apdu, MODE_UICC, PIN_ENABLE);
    case 0x2C: return sv_vsim_card_cmd_pin (card, apdu, MODE_UICC, PIN_UNBLOCK);
    case 0x10: return SW_OK;                   /* TERMINAL PROFILE */
    case 0x70: return SW_NO_CHANNEL;           /* MANAGE CHANNEL */
    default:   return SW_CONDITIONS;           /* AUTHENTICATE, CAT: not here */
    }
}

/**
 * sv_vsim_card_transmit:
 * @apdu: a command APDU as the reader delivers it (header, P3, data)
 *
 * Runs one command and returns the response: data followed by SW1 SW2.
 */
GBytes *
sv_vsim_card_transmit (SvVsimCard   *card,
                       const guint8 *raw,
                       gsize         length)
{
  g_autoptr(GByteArray) out = g_byte_array_new ();
  g_autoptr(GByteArray) pending = card->pending;
  SvVsimApdu apdu;
  int mode = -1;
  guint16 sw;

  /* GET RESPONSE must follow the command that produced the data; any
   * other command drops it. */
  card->pending = g_byte_array_new ();

  /* The class byte decides the command set (a USIM answers both when
   * its profile says so); only then the lengths are looked at. */
  if (length >= 1 && raw[0] == 0xA0 && card->image->mode_2g)
    mode = MODE_2G;
  else if (length >= 1 && ((raw[0] & 0xA0) == 0x00 || (raw[0] & 0xF0) == 0x80)
           && card->image->mode_uicc)
    mode = MODE_UICC;

  if (length < 4)
    sw = SW_WRONG_LENGTH;
  else if (mode < 0)
    sw = SW_WRONG_CLASS;
  else if (!parse_apdu (raw, length, &apdu))
    sw = SW_WRONG_LENGTH;
  else if (mode == MODE_2G)
    sw = dispatch_2g (card, &apdu, pending, out);
  else
    sw = dispatch_uicc (card, &apdu, pending, out);

  if ((sw & 0xFF00) != 0x9000 && (sw & 0xFF00) != 0x6100 && (sw & 0xFF00) != 0x9F00)
    g_byte_array_set_size (out, 0);
  sv_vsim_card_put16 (out, sw);
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}
