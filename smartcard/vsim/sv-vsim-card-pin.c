/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The virtual card's PIN (CHV) commands: VERIFY, CHANGE, DISABLE, ENABLE
 * and UNBLOCK, for both modes.
 */
#define G_LOG_DOMAIN "sv-vsim"

#include "config.h"

#include <string.h>

#include "sv-vsim-card-private.h"

/* ---- PIN (CHV) commands ---------------------------------------------- */

static void
pin_pad (const char *value,
         guint8      out[8])
{
  gsize len = strlen (value);

  memset (out, 0xFF, 8);
  memcpy (out, value, MIN (len, 8));
}

/* TS 102.221 §9.5.2: 4-8 ASCII digits padded with FF. */
static char *
pin_unpad (const guint8 *data)
{
  guint len = 0;

  while (len < 8 && data[len] != 0xFF)
    {
      if (!g_ascii_isdigit (data[len]))
        return NULL;
      len++;
    }
  for (guint i = len; i < 8; i++)
    if (data[i] != 0xFF)
      return NULL;
  if (len < 4)
    return NULL;
  return g_strndup ((const char *) data, len);
}

static SvVsimSecretId
secret_for_ref (guint8      ref,
                SvVsimMode  mode,
                SvVsimPinOp op)
{
  if (mode == MODE_2G && op == PIN_UNBLOCK && ref == 0x00)
    return SV_VSIM_SECRET_PIN1;  /* TS 51.011 §9.2.13: 00 means CHV1 */
  switch (ref)
    {
    case 0x01:
      return SV_VSIM_SECRET_PIN1;
    case 0x02:
      return mode == MODE_2G ? SV_VSIM_SECRET_PIN2 : SV_VSIM_N_SECRETS;
    case 0x81:
      return mode == MODE_UICC ? SV_VSIM_SECRET_PIN2 : SV_VSIM_N_SECRETS;
    case 0x0A:
      return op == PIN_VERIFY ? SV_VSIM_SECRET_ADM1 : SV_VSIM_N_SECRETS;
    case 0x11:
      return mode == MODE_UICC ? SV_VSIM_SECRET_UPIN : SV_VSIM_N_SECRETS;
    default:
      return SV_VSIM_N_SECRETS;
    }
}

/* Compares a presented value; a wrong one costs a try. */
static gboolean
secret_check (SvVsimCard   *card,
              SvVsimSecret *s,
              const guint8 *presented)
{
  guint8 expected[8];

  pin_pad (s->value, expected);
  card->changed = TRUE;
  if (memcmp (expected, presented, 8) == 0)
    {
      s->tries_left = s->max_tries;
      s->verified = TRUE;
      return TRUE;
    }
  if (s->tries_left > 0)
    s->tries_left--;
  s->verified = FALSE;
  return FALSE;
}

static guint16
sw_wrong_secret (SvVsimSecret *s,
                 SvVsimMode    mode)
{
  if (mode == MODE_UICC)
    return (guint16) (0x63C0 | s->tries_left);
  return s->tries_left == 0 ? SW2G_BLOCKED : SW2G_ACCESS;
}

guint16
sv_vsim_card_cmd_pin (SvVsimCard  *card,
                      SvVsimApdu  *apdu,
                      SvVsimMode   mode,
                      SvVsimPinOp  op)
{
  SvVsimSecret *secrets = card->image->secrets;
  SvVsimSecretId id = secret_for_ref (apdu->p2, mode, op);
  SvVsimSecret *s, *puk;
  gsize need = op == PIN_CHANGE || op == PIN_UNBLOCK ? 16 : 8;
  g_autofree char *new_value = NULL;

  if (apdu->p1 != 0x00)
    return SW (mode, SW_INCORRECT_P1P2, SW_WRONG_P1P2);
  if (id == SV_VSIM_N_SECRETS || !secrets[id].present)
    return SW (mode, SW_REF_NOT_FOUND, SW2G_NO_CHV);
  s = &secrets[id];
  puk = id == SV_VSIM_SECRET_PIN1 ? &secrets[SV_VSIM_SECRET_PUK1]
      : id == SV_VSIM_SECRET_PIN2 ? &secrets[SV_VSIM_SECRET_PUK2]
      : id == SV_VSIM_SECRET_UPIN ? &secrets[SV_VSIM_SECRET_UPUK] : NULL;

  /* TS 102.221 §11.1.9/§11.1.13: an empty VERIFY or UNBLOCK asks for the
   * retry counter. */
  if (mode == MODE_UICC && apdu->lc == 0 && (op == PIN_VERIFY || op == PIN_UNBLOCK))
    {
      SvVsimSecret *asked = op == PIN_VERIFY ? s : puk;

      if (asked == NULL || !asked->present)
        return SW_REF_NOT_FOUND;
      if (asked->tries_left == 0)
        return SW_PIN_BLOCKED;
      if (op == PIN_VERIFY && (s->verified || !s->enabled))
        return SW_OK;
      return (guint16) (0x63C0 | asked->tries_left);
    }
  if (apdu->lc != need)
    return SW (mode, SW_WRONG_LENGTH, 0x6700 | need);

  if (op == PIN_CHANGE || op == PIN_UNBLOCK)
    {
      new_value = pin_unpad (apdu->data + 8);
      if (new_value == NULL)
        return SW (mode, SW_WRONG_DATA, SW_WRONG_P1P2);
    }

  if (op == PIN_UNBLOCK)
    {
      if (puk == NULL || !puk->present)
        return SW (mode, SW_REF_NOT_FOUND, SW2G_NO_CHV);
      if (puk->tries_left == 0)
        return SW (mode, SW_PIN_BLOCKED, SW2G_BLOCKED);
      if (!secret_check (card, puk, apdu->data))
        return sw_wrong_secret (puk, mode);
      puk->verified = FALSE;
      g_free (s->value);
      s->value = g_steal_pointer (&new_value);
      s->tries_left = s->max_tries;
      s->enabled = TRUE;
      s->verified = TRUE;
      return SW_OK;
    }

  switch (op)
    {
    case PIN_VERIFY:
      if (mode == MODE_2G && !s->enabled)
        return SW2G_CONTRADICTION;
      break;
    case PIN_CHANGE:
      if (!s->enabled)
        return SW (mode, SW_PIN_INVALIDATED, SW2G_CONTRADICTION);
      break;
    case PIN_DISABLE:
      if (id != SV_VSIM_SECRET_PIN1)
        return SW (mode, SW_REF_NOT_FOUND, SW2G_CONTRADICTION);
      if (!s->enabled)
        return SW (mode, SW_CONDITIONS, SW2G_CONTRADICTION);
      break;
    case PIN_ENABLE:
      if (id != SV_VSIM_SECRET_PIN1)
        return SW (mode, SW_REF_NOT_FOUND, SW2G_CONTRADICTION);
      if (s->enabled)
        return SW (mode, SW_CONDITIONS, SW2G_CONTRADICTION);
      break;
    case PIN_UNBLOCK:
    default:
      break;
    }
  if (s->tries_left == 0)
    return SW (mode, SW_PIN_BLOCKED, SW2G_BLOCKED);
  if (!secret_check (card, s, apdu->data))
    return sw_wrong_secret (s, mode);

  switch (op)
    {
    case PIN_CHANGE:
      g_free (s->value);
      s->value = g_steal_pointer (&new_value);
      break;
    case PIN_DISABLE:
      s->enabled = FALSE;
      break;
    case PIN_ENABLE:
      s->enabled = TRUE;
      break;
    case PIN_VERIFY:
    case PIN_UNBLOCK:
    default:
      break;
    }
  return SW_OK;
}
