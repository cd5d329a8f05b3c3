/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Alpha identifiers and other alpha fields: the coding of
 * TS 102.221 Annex A (= TS 51.011 Annex B / TS 31.102 §4.4.2.3): GSM
 * default alphabet unpacked, or UCS2 in one of three forms tagged by the
 * first byte (0x80, 0x81, 0x82).
 */
#define G_LOG_DOMAIN "sv-codec"

#include "config.h"

#include <string.h>

#include "sv-codec-error.h"
#include "sv-gsm7.h"
#include "sv-alpha.h"

#define COST_INFEASIBLE G_MAXSIZE

/**
 * sv_alpha_scheme_to_string:
 * @scheme: a #SvAlphaScheme
 *
 * Returns: "gsm", "0x80", "0x81" or "0x82"
 */
const char *
sv_alpha_scheme_to_string (SvAlphaScheme scheme)
{
  switch (scheme)
    {
    case SV_ALPHA_SCHEME_GSM:
      return "gsm";
    case SV_ALPHA_SCHEME_UCS2_80:
      return "0x80";
    case SV_ALPHA_SCHEME_UCS2_81:
      return "0x81";
    case SV_ALPHA_SCHEME_UCS2_82:
      return "0x82";
    default:
      return "unknown";
    }
}

static void
append_code_point (GString *text,
                   gunichar c)
{
  if (c == 0)
    return;  /* a C string cannot carry NUL: dropped */
  if (c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
    c = 0xFFFD;
  g_string_append_unichar (text, c);
}

/* UTF-16BE with surrogate pairs (ISO/IEC 10646 UCS2 as phones write it);
 * an unpaired surrogate becomes U+FFFD, an odd trailing byte is ignored,
 * and with @stop_at_ffff the unit 0xFFFF ends the text (padding). */
static char *
utf16be_decode (const guint8 *data,
                gsize         len,
                gboolean      stop_at_ffff)
{
  GString *text = g_string_sized_new (len + 1);

  for (gsize i = 0; i + 1 < len; i += 2)
    {
      guint u = (data[i] << 8) | data[i + 1];

      if (u == 0xFFFF && stop_at_ffff)
        break;

      if (u >= 0xD800 && u <= 0xDBFF && i + 3 < len)
        {
          guint lo = (data[i + 2] << 8) | data[i + 3];

          if (lo >= 0xDC00 && lo <= 0xDFFF)
            {
              append_code_point (text, 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00));
              i += 2;
              continue;
            }
        }

      append_code_point (text, u);
    }

  return g_string_free (text, FALSE);
}

/**
 * sv_utf16be_decode:
 * @data: UTF-16BE bytes
 * @len: number of bytes
 *
 * Decodes UCS2 / UTF-16BE text as used in SMS user data (TS 23.038 §6.2.3)
 * and UCS2 alpha fields. Surrogate pairs are joined; unpaired surrogates
 * become U+FFFD; U+0000 is dropped; an odd trailing byte is ignored.
 *
 * Returns: (transfer full): UTF-8 text
 */
char *
sv_utf16be_decode (const guint8 *data,
                   gsize         len)
{
  g_return_val_if_fail (data != NULL || len == 0, NULL);

  return utf16be_decode (data, len, FALSE);
}

/* 0x81/0x82 character bytes: bit 8 clear is a GSM default alphabet
 * character (with 0x1B escapes), bit 8 set is base + bits 7-1.
 * TS 102.221 Annex A. */
static char *
decode_windowed (const guint8 *chars,
                 gsize         n,
                 guint         base)
{
  GString *text = g_string_sized_new (n + 1);

  for (gsize i = 0; i < n; i++)
    {
      guint8 b = chars[i];

      if (b & 0x80)
        {
          gunichar c = base + (b & 0x7F);

          append_code_point (text, c > 0xFFFF ? 0xFFFD : c);
        }
      else if (b == SV_GSM7_ESCAPE && i + 1 < n && !(chars[i + 1] & 0x80))
        {
          g_string_append_unichar (text, sv_gsm7_septet_to_char (chars[++i], TRUE));
        }
      else
        {
          g_string_append_unichar (text, sv_gsm7_septet_to_char (b, FALSE));
        }
    }

  return g_string_free (text, FALSE);
}

/**
 * sv_alpha_decode:
 * @data: the alpha field
 * @len: its length in bytes
 * @scheme_out: (out) (optional): the coding found
 * @error: return location for a #GError
 *
 * Decodes an alpha field (alpha identifier of ADN/FDN/MSISDN, SNE, email,
 * SPN name, ...) per TS 102.221 Annex A:
 *  - first byte 0x80: UCS2 big-endian from byte 2, up to the first 0xFFFF
 *    (surrogate pairs are joined; an odd trailing byte is ignored);
 *  - 0x81: byte 2 = number of characters, byte 3 = bits 15-8 of the base
 *    pointer (base = byte 3 << 7), then one byte per character;
 *  - 0x82: byte 2 = number of characters, bytes 3-4 = 16 bit base pointer,
 *    then one byte per character;
 *  - otherwise GSM default alphabet, unpacked, up to the first 0xFF.
 * A 0x81 character count larger than the field is clamped to the field,
 * as phones do; a 0x82 field whose count runs past the data fails with
 * %SV_CODEC_ERROR_TRUNCATED.
 *
 * Returns: (transfer full): UTF-8 text (possibly empty), or %NULL with
 *   @error set
 */
char *
sv_alpha_decode (const guint8   *data,
                 gsize           len,
                 SvAlphaScheme  *scheme_out,
                 GError        **error)
{
  gsize n;

  g_return_val_if_fail (data != NULL || len == 0, NULL);

  if (scheme_out)
    *scheme_out = SV_ALPHA_SCHEME_GSM;

  if (len == 0)
    return g_strdup ("");

  switch (data[0])
    {
    case 0x80:
      if (scheme_out)
        *scheme_out = SV_ALPHA_SCHEME_UCS2_80;
      return utf16be_decode (data + 1, len - 1, TRUE);

    case 0x81:
      if (scheme_out)
        *scheme_out = SV_ALPHA_SCHEME_UCS2_81;
      if (len < 3)
        {
          g_set_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_TRUNCATED,
                       "at byte %" G_GSIZE_FORMAT ": UCS2 0x81 alpha field needs a length and a base pointer",
                       len);
          return NULL;
        }
      n = MIN (data[1], len - 3);
      return decode_windowed (data + 3, n, (guint) data[2] << 7);

    case 0x82:
      if (scheme_out)
        *scheme_out = SV_ALPHA_SCHEME_UCS2_82;
      if (len < 4)
        {
          g_set_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_TRUNCATED,
                       "at byte %" G_GSIZE_FORMAT ": UCS2 0x82 alpha field needs a length and a 16 bit base pointer",
                       len);
          return NULL;
        }
      /* A character count past the field is a malformed field, not a
       * short name: failing keeps a damaged record from being rewritten
       * as a shortened one. */
      if (data[1] > len - 4)
        {
          g_set_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_TRUNCATED,
                       "at byte 1: UCS2 0x82 alpha field of %u character(s) runs past the data "
                       "(%" G_GSIZE_FORMAT " byte(s) follow the header)",
                       data[1], len - 4);
          return NULL;
        }
      n = data[1];
      return decode_windowed (data + 4, n, ((guint) data[2] << 8) | data[3]);

    default:
      for (n = 0; n < len && data[n] != 0xFF; n++)
        ;
      return sv_gsm7_decode_unpacked (data, n, error);
    }
}

/* Encoding plans: the bytes a text needs in each scheme. */

typedef struct
{
  gsize bytes;
  guint base;
} Plan;

static gsize
gsm_cost (const gunichar *chars,
          guint           n)
{
  gsize cost = 0;

  for (guint i = 0; i < n; i++)
    {
      guint8 s[2];
      guint k = sv_gsm7_char_septets (chars[i], s);

      if (k == 0)
        return COST_INFEASIBLE;
      cost += k;
    }

  return cost;
}

static gsize
ucs2_80_cost (const gunichar *chars,
              guint           n)
{
  gsize cost = 1;

  for (guint i = 0; i < n; i++)
    {
      if (chars[i] == 0xFFFF || chars[i] > 0x10FFFF || chars[i] == 0)
        return COST_INFEASIBLE;
      cost += chars[i] > 0xFFFF ? 4 : 2;
    }

  return cost;
}

/* 0x81 (header 3 bytes, window base = b << 7, b in 0..255) and 0x82
 * (header 4 bytes, any 16 bit base). Characters outside the window go as
 * GSM default alphabet, if they can. */
static Plan
windowed_plan (const gunichar *chars,
               guint           n,
               SvAlphaScheme   scheme)
{
  Plan plan = { COST_INFEASIBLE, 0 };
  gunichar lo = G_MAXUINT32, hi = 0;
  gsize cost = scheme == SV_ALPHA_SCHEME_UCS2_81 ? 3 : 4;
  guint base;

  for (guint i = 0; i < n; i++)
    {
      guint8 s[2];

      if (sv_gsm7_char_septets (chars[i], s) == 0)
        {
          lo = MIN (lo, chars[i]);
          hi = MAX (hi, chars[i]);
        }
    }

  if (lo == G_MAXUINT32)
    base = 0;
  else if (scheme == SV_ALPHA_SCHEME_UCS2_81)
    base = lo & ~0x7Fu;
  else
    base = lo;

  if (hi > 0xFFFF || (scheme == SV_ALPHA_SCHEME_UCS2_81 && base > 0x7F80) ||
      (lo != G_MAXUINT32 && hi - base > 0x7F))
    return plan;

  for (guint i = 0; i < n; i++)
    {
      guint8 s[2];

      if (chars[i] >= base && chars[i] <= base + 0x7F && chars[i] != 0)
        cost += 1;
      else
        cost += sv_gsm7_char_septets (chars[i], s);
    }

  /* The character count is one byte */
  if (cost - (scheme == SV_ALPHA_SCHEME_UCS2_81 ? 3 : 4) > 0xFF)
    return plan;

  plan.bytes = cost;
  plan.base = base;
  return plan;
}

static Plan
scheme_plan (const gunichar *chars,
             guint           n,
             SvAlphaScheme   scheme)
{
  Plan plan = { COST_INFEASIBLE, 0 };

  switch (scheme)
    {
    case SV_ALPHA_SCHEME_GSM:
      plan.bytes = gsm_cost (chars, n);
      break;
    case SV_ALPHA_SCHEME_UCS2_80:
      plan.bytes = ucs2_80_cost (chars, n);
      break;
    case SV_ALPHA_SCHEME_UCS2_81:
    case SV_ALPHA_SCHEME_UCS2_82:
      plan = windowed_plan (chars, n, scheme);
      break;
    default:
      break;
    }

  return plan;
}

/* The most compact scheme; on a tie the simpler one (GSM, 0x80, 0x81,
 * 0x82), which every phone reads. */
static SvAlphaScheme
best_scheme (const gunichar *chars,
             guint           n,
             gsize          *bytes_out)
{
  SvAlphaScheme best = SV_ALPHA_SCHEME_GSM;
  gsize best_bytes = COST_INFEASIBLE;

  for (int s = SV_ALPHA_SCHEME_GSM; s <= SV_ALPHA_SCHEME_UCS2_82; s++)
    {
      Plan plan = scheme_plan (chars, n, s);

      if (plan.bytes < best_bytes)
        {
          best = s;
          best_bytes = plan.bytes;
        }
    }

  *bytes_out = best_bytes;
  return best;
}

/**
 * sv_alpha_measure:
 * @text: UTF-8 text
 * @field_len: size of the alpha field in bytes
 * @fit: (out caller-allocates): the result
 *
 * Finds how @text would be stored in an alpha field of @field_len bytes
 * (TS 102.221 Annex A): the most compact scheme, its size, and how many
 * leading characters (Unicode code points) fit. For the editor's
 * "12 of 14 characters" counter.
 *
 * When the text does not fit, @fit->scheme and @fit->n_bytes describe the
 * whole text, and @fit->n_chars_fit is the longest prefix that fits in any
 * scheme. Invalid UTF-8 gives n_chars 0 and fits %FALSE.
 */
void
sv_alpha_measure (const char *text,
                  gsize       field_len,
                  SvAlphaFit *fit)
{
  g_autofree gunichar *chars = NULL;
  glong n = 0;
  gsize bytes;
  guint lo, hi;

  g_return_if_fail (text != NULL);
  g_return_if_fail (fit != NULL);

  memset (fit, 0, sizeof *fit);

  chars = g_utf8_to_ucs4 (text, -1, NULL, &n, NULL);
  if (chars == NULL)
    return;

  fit->n_chars = n;
  fit->scheme = best_scheme (chars, n, &bytes);
  fit->n_bytes = bytes == COST_INFEASIBLE ? 0 : bytes;
  fit->fits = bytes != COST_INFEASIBLE && bytes <= field_len;

  if (fit->fits)
    {
      fit->n_chars_fit = n;
      return;
    }

  /* The cheapest cost of a prefix never falls as the prefix grows, so a
   * binary search finds the longest prefix that fits. */
  lo = 0;
  hi = n;
  while (lo < hi)
    {
      guint mid = lo + (hi - lo + 1) / 2;

      best_scheme (chars, mid, &bytes);
      if (bytes != COST_INFEASIBLE && bytes <= field_len)
        lo = mid;
      else
        hi = mid - 1;
    }
  fit->n_chars_fit = lo;
}

static void
write_scheme (const gunichar *chars,
              guint           n,
              SvAlphaScheme   scheme,
              guint           base,
              guint8         *field,
              gsize           field_len)
{
  gsize pos = 0;

  memset (field, 0xFF, field_len);

  switch (scheme)
    {
    case SV_ALPHA_SCHEME_GSM:
      for (guint i = 0; i < n; i++)
        {
          guint8 s[2];
          guint k = sv_gsm7_char_septets (chars[i], s);

          for (guint j = 0; j < k; j++)
            field[pos++] = s[j];
        }
      break;

    case SV_ALPHA_SCHEME_UCS2_80:
      field[pos++] = 0x80;
      for (guint i = 0; i < n; i++)
        {
          gunichar c = chars[i];

          if (c > 0xFFFF)
            {
              guint hs = 0xD800 + ((c - 0x10000) >> 10);
              guint ls = 0xDC00 + ((c - 0x10000) & 0x3FF);

              field[pos++] = hs >> 8;
              field[pos++] = hs & 0xFF;
              field[pos++] = ls >> 8;
              field[pos++] = ls & 0xFF;
            }
          else
            {
              field[pos++] = c >> 8;
              field[pos++] = c & 0xFF;
            }
        }
      break;

    case SV_ALPHA_SCHEME_UCS2_81:
    case SV_ALPHA_SCHEME_UCS2_82:
      {
        gsize count_pos;

        field[pos++] = scheme == SV_ALPHA_SCHEME_UCS2_81 ? 0x81 : 0x82;
        count_pos = pos++;
        if (scheme == SV_ALPHA_SCHEME_UCS2_81)
          {
            field[pos++] = base >> 7;
          }
        else
          {
            field[pos++] = base >> 8;
            field[pos++] = base & 0xFF;
          }
        for (guint i = 0; i < n; i++)
          {
            if (chars[i] >= base && chars[i] <= base + 0x7F && chars[i] != 0)
              {
                field[pos++] = 0x80 | (chars[i] - base);
              }
            else
              {
                guint8 s[2];
                guint k = sv_gsm7_char_septets (chars[i], s);

                for (guint j = 0; j < k; j++)
                  field[pos++] = s[j];
              }
          }
        field[count_pos] = pos - (scheme == SV_ALPHA_SCHEME_UCS2_81 ? 3 : 4);
      }
      break;

    default:
      g_assert_not_reached ();
    }

  g_assert (pos <= field_len);
}

static gboolean
encode_common (const char     *text,
               gboolean        choose,
               SvAlphaScheme   scheme,
               guint8         *field,
               gsize           field_len,
               SvAlphaScheme  *scheme_out,
               GError        **error)
{
  g_autofree gunichar *chars = NULL;
  glong n = 0;
  Plan plan;

  chars = g_utf8_to_ucs4 (text, -1, NULL, &n, NULL);
  if (chars == NULL)
    {
      g_set_error_literal (error, SV_CODEC_ERROR, SV_CODEC_ERROR_INVALID,
                           "text is not valid UTF-8");
      return FALSE;
    }

  if (choose)
    {
      SvAlphaFit fit;

      sv_alpha_measure (text, field_len, &fit);
      if (!fit.fits)
        {
          if (fit.n_bytes == 0 && fit.n_chars > 0)
            g_set_error_literal (error, SV_CODEC_ERROR, SV_CODEC_ERROR_UNENCODABLE,
                                 "text contains a character no alpha coding can hold (U+FFFF)");
          else
            g_set_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_TOO_LONG,
                         "text is %u character(s) too long for a %" G_GSIZE_FORMAT
                         "-byte field (%u of %u fit, coding %s needs %" G_GSIZE_FORMAT " bytes)",
                         fit.n_chars - fit.n_chars_fit, field_len, fit.n_chars_fit,
                         fit.n_chars, sv_alpha_scheme_to_string (fit.scheme), fit.n_bytes);
          return FALSE;
        }
      scheme = fit.scheme;
    }

  plan = scheme_plan (chars, n, scheme);
  if (plan.bytes == COST_INFEASIBLE)
    {
      g_set_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_UNENCODABLE,
                   "text cannot be coded as alpha scheme %s",
                   sv_alpha_scheme_to_string (scheme));
      return FALSE;
    }
  if (plan.bytes > field_len)
    {
      g_set_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_TOO_LONG,
                   "text needs %" G_GSIZE_FORMAT " bytes as %s, the field has %" G_GSIZE_FORMAT,
                   plan.bytes, sv_alpha_scheme_to_string (scheme), field_len);
      return FALSE;
    }

  write_scheme (chars, n, scheme, plan.base, field, field_len);
  if (scheme_out)
    *scheme_out = scheme;
  return TRUE;
}

/**
 * sv_alpha_encode:
 * @text: UTF-8 text
 * @field: (out caller-allocates): the alpha field
 * @field_len: its size; all of it is written, padded with 0xFF
 * @scheme_out: (out) (optional): the scheme used
 * @error: return location for a #GError
 *
 * Encodes @text into an alpha field in the most compact coding of
 * TS 102.221 Annex A that holds it (on a tie: GSM, then 0x80, 0x81, 0x82).
 *
 * Returns: %TRUE on success; %FALSE with %SV_CODEC_ERROR_TOO_LONG (the
 *   message says by how many characters) or %SV_CODEC_ERROR_INVALID
 */
gboolean
sv_alpha_encode (const char     *text,
                 guint8         *field,
                 gsize           field_len,
                 SvAlphaScheme  *scheme_out,
                 GError        **error)
{
  g_return_val_if_fail (text != NULL, FALSE);
  g_return_val_if_fail (field != NULL || field_len == 0, FALSE);

  return encode_common (text, TRUE, SV_ALPHA_SCHEME_GSM, field, field_len,
                        scheme_out, error);
}

/**
 * sv_alpha_encode_scheme:
 * @text: UTF-8 text
 * @scheme: the coding to use
 * @field: (out caller-allocates): the alpha field
 * @field_len: its size; all of it is written, padded with 0xFF
 * @error: return location for a #GError
 *
 * Like sv_alpha_encode() with a fixed coding (TS 102.221 Annex A).
 *
 * Returns: %TRUE on success; %FALSE with %SV_CODEC_ERROR_UNENCODABLE if
 *   @scheme cannot hold the text, %SV_CODEC_ERROR_TOO_LONG if it is too long
 */
gboolean
sv_alpha_encode_scheme (const char     *text,
                        SvAlphaScheme   scheme,
                        guint8         *field,
                        gsize           field_len,
                        GError        **error)
{
  g_return_val_if_fail (text != NULL, FALSE);
  g_return_val_if_fail (field != NULL || field_len == 0, FALSE);

  return encode_common (text, FALSE, scheme, field, field_len, NULL, error);
}
