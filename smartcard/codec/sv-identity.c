/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Card and subscriber identity: EF_DIR (TS 102.221 §13.1), EF_ICCID
 * (TS 102.221 §13.2), EF_IMSI
 * (TS 31.102 §4.2.2, TS 51.011 §10.3.2), EF_SPN (TS 31.102 §4.2.12,
 * TS 51.011 §10.3.11).
 */
#define G_LOG_DOMAIN "sv-codec"

#include "config.h"

#include <string.h>

#include "sv-codec-error.h"
#include "sv-file-info.h"
#include "sv-identity.h"

/**
 * sv_dir_record_decode_aid:
 * @data: an EF_DIR record
 * @len: its length
 * @error: return location for a #GError
 *
 * The AID of the application an EF_DIR record names (TS 102.221 §13.1):
 * an application template 61 whose first object is the AID, 4F (1 to 16
 * bytes). A free record ('FF' filled) is an error like any other that is
 * not a template.
 *
 * Returns: (transfer full): the AID, or %NULL with @error set
 */
GBytes *
sv_dir_record_decode_aid (const guint8  *data,
                          gsize          len,
                          GError       **error)
{
  const guint8 *templ, *aid;
  gsize pos = 0, templ_len, aid_len, p = 0;
  guint8 tag;

  g_return_val_if_fail (data != NULL || len == 0, NULL);

  if (len < 1 || data[0] != 0x61)
    {
      g_set_error (error, SV_CODEC_ERROR, len < 1 ? SV_CODEC_ERROR_TRUNCATED : SV_CODEC_ERROR_INVALID,
                   "at byte 0: not an application template (61)");
      return NULL;
    }
  if (!sv_ber_tlv_next (data, len, &pos, &tag, &templ, &templ_len, error))
    return NULL;
  if (templ_len < 1 || templ[0] != 0x4F)
    {
      g_set_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_INVALID,
                   "at byte %" G_GSIZE_FORMAT ": the template does not start with an AID (4F)",
                   (gsize) (templ - data));
      return NULL;
    }
  if (!sv_ber_tlv_next (templ, templ_len, &p, &tag, &aid, &aid_len, error))
    {
      g_prefix_error (error, "in the template at byte %" G_GSIZE_FORMAT ": ", (gsize) (templ - data));
      return NULL;
    }
  if (aid_len < 1 || aid_len > 16)
    {
      g_set_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_INVALID,
                   "at byte %" G_GSIZE_FORMAT ": an AID of %" G_GSIZE_FORMAT " bytes (1 to 16)",
                   (gsize) (aid - data), aid_len);
      return NULL;
    }
  return g_bytes_new (aid, aid_len);
}

/**
 * sv_iccid_decode:
 * @data: EF_ICCID (10 bytes)
 * @len: its length
 * @error: return location for a #GError
 *
 * Decodes the ICCID (TS 102.221 §13.2, ITU-T E.118): swapped-nibble BCD,
 * low nibble first, 0xF filler at the end (19-digit ICCIDs).
 *
 * Returns: (transfer full): the digits, or %NULL with @error set
 */
char *
sv_iccid_decode (const guint8  *data,
                 gsize          len,
                 GError       **error)
{
  g_autoptr(GString) s = g_string_new (NULL);
  gboolean ended = FALSE;

  g_return_val_if_fail (data != NULL || len == 0, NULL);

  if (len == 0)
    {
      g_set_error_literal (error, SV_CODEC_ERROR, SV_CODEC_ERROR_TRUNCATED,
                           "at byte 0: the ICCID is empty");
      return NULL;
    }

  for (gsize i = 0; i < len; i++)
    {
      guint8 nib[2] = { data[i] & 0x0F, data[i] >> 4 };

      for (guint j = 0; j < 2; j++)
        {
          if (nib[j] == 0xF)
            {
              ended = TRUE;
              continue;
            }
          if (nib[j] > 9 || ended)
            {
              g_set_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_INVALID,
                           "at byte %" G_GSIZE_FORMAT ": ICCID digit 0x%X is not allowed%s",
                           i, nib[j], ended && nib[j] <= 9 ? " after the 0xF filler" : "");
              return NULL;
            }
          g_string_append_c (s, '0' + nib[j]);
        }
    }

  if (s->len == 0)
    {
      g_set_error_literal (error, SV_CODEC_ERROR, SV_CODEC_ERROR_INVALID,
                           "at byte 0: the ICCID holds no digits");
      return NULL;
    }

  return g_string_free (g_steal_pointer (&s), FALSE);
}

/**
 * sv_imsi_decode:
 * @data: EF_IMSI (9 bytes)
 * @len: its length
 * @error: return location for a #GError
 *
 * Decodes the IMSI (TS 31.102 §4.2.2, TS 24.008 §10.5.1.4): a length byte
 * (bytes that follow), then the parity/type nibble (b4 = odd number of
 * digits, b3-b1 = 001), then the digits in swapped-nibble BCD with an 0xF
 * filler when the count is even.
 *
 * Returns: (transfer full): the IMSI digits, or %NULL with @error set
 */
char *
sv_imsi_decode (const guint8  *data,
                gsize          len,
                GError       **error)
{
  g_autoptr(GString) s = g_string_new (NULL);
  guint8 n;

  g_return_val_if_fail (data != NULL || len == 0, NULL);

  if (len < 2)
    {
      g_set_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_TRUNCATED,
                   "at byte %" G_GSIZE_FORMAT ": EF_IMSI needs a length byte and digits", len);
      return NULL;
    }
  n = data[0];
  if (n == 0 || n == 0xFF)
    {
      g_set_error_literal (error, SV_CODEC_ERROR, SV_CODEC_ERROR_INVALID,
                           "at byte 0: EF_IMSI is not initialised");
      return NULL;
    }
  if (n > 8 || n > len - 1)
    {
      g_set_error (error, SV_CODEC_ERROR, n > 8 ? SV_CODEC_ERROR_INVALID : SV_CODEC_ERROR_TRUNCATED,
                   "at byte 0: IMSI length %u %s", n,
                   n > 8 ? "exceeds 8 bytes" : "runs past the end of the data");
      return NULL;
    }

  for (guint i = 1; i <= n; i++)
    {
      guint8 lo = data[i] & 0x0F, hi = data[i] >> 4;

      if (i > 1)
        {
          if (lo > 9)
            goto bad_digit;
          g_string_append_c (s, '0' + lo);
        }
      if (hi == 0xF && i == n)
        break;
      if (hi > 9)
        goto bad_digit;
      g_string_append_c (s, '0' + hi);
      continue;

bad_digit:
      g_set_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_INVALID,
                   "at byte %u: 0x%02X holds a non-decimal IMSI digit", i, data[i]);
      return NULL;
    }

  return g_string_free (g_steal_pointer (&s), FALSE);
}

/**
 * sv_spn_clear:
 * @spn: a decoded SPN
 */
void
sv_spn_clear (SvSpn *spn)
{
  g_return_if_fail (spn != NULL);
  g_clear_pointer (&spn->name, g_free);
  memset (spn, 0, sizeof *spn);
}

/**
 * sv_spn_decode:
 * @data: EF_SPN (17 bytes)
 * @len: its length
 * @out: (out caller-allocates): clear with sv_spn_clear()
 * @error: return location for a #GError
 *
 * Decodes the service provider name (TS 31.102 §4.2.12): display
 * condition byte, then 16 bytes coded as an alpha field
 * (TS 102.221 Annex A).
 *
 * Returns: %TRUE on success
 */
gboolean
sv_spn_decode (const guint8  *data,
               gsize          len,
               SvSpn         *out,
               GError       **error)
{
  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  memset (out, 0, sizeof *out);
  if (len < 1)
    {
      g_set_error_literal (error, SV_CODEC_ERROR, SV_CODEC_ERROR_TRUNCATED,
                           "at byte 0: EF_SPN needs a display condition byte");
      return FALSE;
    }
  out->display_condition = data[0];
  out->name = sv_alpha_decode (data + 1, len - 1, &out->scheme, error);
  return out->name != NULL;
}
