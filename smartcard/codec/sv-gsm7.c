/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The GSM 7 bit default alphabet and its extension table
 * (3GPP TS 23.038 §6.2.1 and §6.2.1.1), and the packing of septets into
 * octets (TS 23.038 §6.1.2.1, with fill bits after a user data header,
 * TS 23.040 §9.2.3.24).
 */
#define G_LOG_DOMAIN "sv-codec"

#include "config.h"

#include "sv-codec-error.h"
#include "sv-gsm7.h"

/* TS 23.038 §6.2.1, "GSM 7 bit default alphabet", indexed by septet. */
static const gunichar gsm7_default[128] = {
  /* 0x00 */ 0x0040 /* @ */, 0x00A3 /* £ */, 0x0024 /* $ */, 0x00A5 /* ¥ */,
  /* 0x04 */ 0x00E8 /* è */, 0x00E9 /* é */, 0x00F9 /* ù */, 0x00EC /* ì */,
  /* 0x08 */ 0x00F2 /* ò */, 0x00C7 /* Ç */, 0x000A /* LF */, 0x00D8 /* Ø */,
  /* 0x0C */ 0x00F8 /* ø */, 0x000D /* CR */, 0x00C5 /* Å */, 0x00E5 /* å */,
  /* 0x10 */ 0x0394 /* Δ */, 0x005F /* _ */, 0x03A6 /* Φ */, 0x0393 /* Γ */,
  /* 0x14 */ 0x039B /* Λ */, 0x03A9 /* Ω */, 0x03A0 /* Π */, 0x03A8 /* Ψ */,
  /* 0x18 */ 0x03A3 /* Σ */, 0x0398 /* Θ */, 0x039E /* Ξ */, 0x00A0 /* ESC */,
  /* 0x1C */ 0x00C6 /* Æ */, 0x00E6 /* æ */, 0x00DF /* ß */, 0x00C9 /* É */,
  /* 0x20 */ ' ', '!', '"', '#', 0x00A4 /* ¤ */, '%', '&', '\'',
  /* 0x28 */ '(', ')', '*', '+', ',', '-', '.', '/',
  /* 0x30 */ '0', '1', '2', '3', '4', '5', '6', '7',
  /* 0x38 */ '8', '9', ':', ';', '<', '=', '>', '?',
  /* 0x40 */ 0x00A1 /* ¡ */, 'A', 'B', 'C', 'D', 'E', 'F', 'G',
  /* 0x48 */ 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O',
  /* 0x50 */ 'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W',
  /* 0x58 */ 'X', 'Y', 'Z', 0x00C4 /* Ä */, 0x00D6 /* Ö */, 0x00D1 /* Ñ */,
             0x00DC /* Ü */, 0x00A7 /* § */,
  /* 0x60 */ 0x00BF /* ¿ */, 'a', 'b', 'c', 'd', 'e', 'f', 'g',
  /* 0x68 */ 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o',
  /* 0x70 */ 'p', 'q', 'r', 's', 't', 'u', 'v', 'w',
  /* 0x78 */ 'x', 'y', 'z', 0x00E4 /* ä */, 0x00F6 /* ö */, 0x00F1 /* ñ */,
             0x00FC /* ü */, 0x00E0 /* à */,
};

/* TS 23.038 §6.2.1.1, "GSM 7 bit default alphabet extension table":
 * the septet that follows 0x1B. Codes not listed fall back to the default
 * table (§6.2.1.1 note 3); 0x1B 0x1B shows a space (note 1). */
static const struct
{
  guint8   septet;
  gunichar c;
} gsm7_extension[] = {
  { 0x0A, 0x000C }, /* FORM FEED (page break) */
  { 0x14, '^' },
  { 0x28, '{' },
  { 0x29, '}' },
  { 0x2F, '\\' },
  { 0x3C, '[' },
  { 0x3D, '~' },
  { 0x3E, ']' },
  { 0x40, '|' },
  { 0x65, 0x20AC }, /* EURO SIGN */
};

/**
 * sv_gsm7_septet_to_char:
 * @septet: a septet, 0x00-0x7F
 * @extension: %TRUE if it followed the escape 0x1B
 *
 * Maps one septet to its character (TS 23.038 §6.2.1, §6.2.1.1).
 * An extension code the table does not define yields the default-table
 * character, and 0x1B after 0x1B yields a space, as the spec asks of a
 * receiving entity.
 *
 * Returns: the Unicode character
 */
gunichar
sv_gsm7_septet_to_char (guint8   septet,
                        gboolean extension)
{
  septet &= 0x7F;

  if (extension)
    {
      if (septet == SV_GSM7_ESCAPE)
        return ' ';
      for (guint i = 0; i < G_N_ELEMENTS (gsm7_extension); i++)
        if (gsm7_extension[i].septet == septet)
          return gsm7_extension[i].c;
    }
  else if (septet == SV_GSM7_ESCAPE)
    {
      return ' ';
    }

  return gsm7_default[septet];
}

/**
 * sv_gsm7_char_septets:
 * @c: a Unicode character
 * @septets: (out caller-allocates): room for two septets
 *
 * Looks @c up in the default alphabet and the extension table
 * (TS 23.038 §6.2.1, §6.2.1.1).
 *
 * Returns: the number of septets written (1, or 2 for an escape
 *   sequence), or 0 if @c has no GSM 7 bit representation
 */
guint
sv_gsm7_char_septets (gunichar c,
                      guint8   septets[2])
{
  for (guint i = 0; i < G_N_ELEMENTS (gsm7_default); i++)
    {
      if (i == SV_GSM7_ESCAPE)
        continue;
      if (gsm7_default[i] == c)
        {
          septets[0] = i;
          return 1;
        }
    }

  for (guint i = 0; i < G_N_ELEMENTS (gsm7_extension); i++)
    {
      if (gsm7_extension[i].c == c)
        {
          septets[0] = SV_GSM7_ESCAPE;
          septets[1] = gsm7_extension[i].septet;
          return 2;
        }
    }

  return 0;
}

/**
 * sv_gsm7_decode_unpacked:
 * @septets: one septet per byte (bit 8 must be zero)
 * @len: number of bytes
 * @error: return location for a #GError
 *
 * Decodes GSM 7 bit default alphabet text in unpacked form, one character
 * per octet with bit 8 zero, as used by alpha identifiers
 * (TS 23.038 §6.2.1, TS 102.221 Annex A). 0x1B selects the extension
 * table for the next septet; a trailing lone 0x1B decodes as a space.
 *
 * Returns: (transfer full): UTF-8 text, or %NULL with @error set when a
 *   byte has bit 8 set
 */
char *
sv_gsm7_decode_unpacked (const guint8  *septets,
                         gsize          len,
                         GError       **error)
{
  g_autoptr(GString) text = g_string_sized_new (len + 1);

  g_return_val_if_fail (septets != NULL || len == 0, NULL);

  for (gsize i = 0; i < len; i++)
    {
      if (septets[i] & 0x80)
        {
          g_set_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_INVALID,
                       "at byte %" G_GSIZE_FORMAT ": 0x%02X is not a GSM 7 bit septet (bit 8 set)",
                       i, septets[i]);
          return NULL;
        }

      if (septets[i] == SV_GSM7_ESCAPE && i + 1 < len && !(septets[i + 1] & 0x80))
        {
          g_string_append_unichar (text, sv_gsm7_septet_to_char (septets[i + 1], TRUE));
          i++;
        }
      else
        {
          g_string_append_unichar (text, sv_gsm7_septet_to_char (septets[i], FALSE));
        }
    }

  return g_string_free (g_steal_pointer (&text), FALSE);
}

/**
 * sv_gsm7_encode_unpacked:
 * @utf8: UTF-8 text
 * @len_out: (out): number of septets written
 * @error: return location for a #GError
 *
 * Encodes text to unpacked GSM 7 bit septets, using escape sequences
 * for the extension table (TS 23.038 §6.2.1, §6.2.1.1). Inverse of
 * sv_gsm7_decode_unpacked().
 *
 * Returns: (transfer full): the septets (never %NULL-terminated; may be an
 *   empty allocation), or %NULL with %SV_CODEC_ERROR_UNENCODABLE naming the
 *   first character that has no GSM 7 bit code
 */
guint8 *
sv_gsm7_encode_unpacked (const char  *utf8,
                         gsize       *len_out,
                         GError     **error)
{
  g_autoptr(GByteArray) out = g_byte_array_new ();
  const char *p;
  guint n_chars = 0;

  g_return_val_if_fail (utf8 != NULL, NULL);
  g_return_val_if_fail (len_out != NULL, NULL);

  if (!g_utf8_validate (utf8, -1, NULL))
    {
      g_set_error_literal (error, SV_CODEC_ERROR, SV_CODEC_ERROR_INVALID,
                           "text is not valid UTF-8");
      return NULL;
    }

  for (p = utf8; *p; p = g_utf8_next_char (p), n_chars++)
    {
      gunichar c = g_utf8_get_char (p);
      guint8 septets[2];
      guint n = sv_gsm7_char_septets (c, septets);

      if (n == 0)
        {
          g_set_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_UNENCODABLE,
                       "character %u (U+%04X) has no GSM 7 bit code", n_chars + 1, c);
          return NULL;
        }
      g_byte_array_append (out, septets, n);
    }

  *len_out = out->len;
  if (out->len == 0)
    return g_malloc0 (1);  /* an empty GByteArray frees to NULL */
  return g_byte_array_free (g_steal_pointer (&out), FALSE);
}

/**
 * sv_gsm7_packed_length:
 * @n_septets: number of septets
 * @fill_bits: fill bits before the first septet (0-7)
 *
 * Returns: the number of octets @n_septets occupy when packed after
 *   @fill_bits fill bits (TS 23.038 §6.1.2.1.1)
 */
gsize
sv_gsm7_packed_length (gsize n_septets,
                       guint fill_bits)
{
  return (n_septets * 7 + fill_bits + 7) / 8;
}

/**
 * sv_gsm7_pack:
 * @septets: septets, one per byte (bit 8 is ignored)
 * @n_septets: how many
 * @fill_bits: zero bits to put before the first septet (0-7); after a user
 *   data header this is the padding to the next septet boundary
 *   (TS 23.040 §9.2.3.24)
 * @len_out: (out): number of octets returned
 *
 * Packs septets into octets, least significant bit first
 * (TS 23.038 §6.1.2.1.1). Unused high bits of the last octet are zero.
 *
 * Returns: (transfer full): the packed octets
 */
guint8 *
sv_gsm7_pack (const guint8 *septets,
              gsize         n_septets,
              guint         fill_bits,
              gsize        *len_out)
{
  gsize len;
  guint8 *out;

  g_return_val_if_fail (septets != NULL || n_septets == 0, NULL);
  g_return_val_if_fail (fill_bits < 8, NULL);
  g_return_val_if_fail (len_out != NULL, NULL);

  len = sv_gsm7_packed_length (n_septets, fill_bits);
  out = g_malloc0 (MAX (len, 1));

  for (gsize i = 0; i < n_septets; i++)
    {
      gsize bit = fill_bits + i * 7;
      guint v = (septets[i] & 0x7F) << (bit % 8);

      out[bit / 8] |= v & 0xFF;
      if ((v >> 8) != 0)
        out[bit / 8 + 1] |= v >> 8;
    }

  *len_out = len;
  return out;
}

/**
 * sv_gsm7_unpack:
 * @data: packed octets
 * @len: number of octets
 * @n_septets: how many septets to extract
 * @fill_bits: fill bits to skip before the first septet (0-7)
 * @error: return location for a #GError
 *
 * Unpacks septets from octets (TS 23.038 §6.1.2.1.1), the inverse of
 * sv_gsm7_pack().
 *
 * Returns: (transfer full): @n_septets bytes (0x00-0x7F), or %NULL with
 *   %SV_CODEC_ERROR_TRUNCATED if @data is too short
 */
guint8 *
sv_gsm7_unpack (const guint8  *data,
                gsize          len,
                gsize          n_septets,
                guint          fill_bits,
                GError       **error)
{
  guint8 *out;
  gsize need;

  g_return_val_if_fail (data != NULL || len == 0, NULL);

  if (fill_bits > 7)
    {
      g_set_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_INVALID,
                   "%u fill bits: at most 7 are possible", fill_bits);
      return NULL;
    }

  /* Zero septets need no octets, whatever the fill */
  need = n_septets == 0 ? 0 : sv_gsm7_packed_length (n_septets, fill_bits);
  if (n_septets > G_MAXSIZE / 8 || need > len)
    {
      g_set_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_TRUNCATED,
                   "at byte %" G_GSIZE_FORMAT ": %" G_GSIZE_FORMAT " septets need %"
                   G_GSIZE_FORMAT " octets, only %" G_GSIZE_FORMAT " present",
                   len, n_septets, need, len);
      return NULL;
    }

  out = g_malloc (MAX (n_septets, 1));
  for (gsize i = 0; i < n_septets; i++)
    {
      gsize bit = fill_bits + i * 7;
      guint v = data[bit / 8];

      if (bit / 8 + 1 < len)
        v |= (guint) data[bit / 8 + 1] << 8;
      out[i] = (v >> (bit % 8)) & 0x7F;
    }

  return out;
}

/**
 * sv_gsm7_septet_count:
 * @utf8: UTF-8 text
 *
 * Counts the septets @utf8 needs in the GSM 7 bit default alphabet,
 * two for each extension-table character (TS 23.038 §6.2.1.1).
 *
 * Returns: the septet count, or -1 if some character has no GSM 7 bit
 *   code or @utf8 is not valid UTF-8
 */
gssize
sv_gsm7_septet_count (const char *utf8)
{
  gssize n = 0;

  g_return_val_if_fail (utf8 != NULL, -1);

  if (!g_utf8_validate (utf8, -1, NULL))
    return -1;

  for (const char *p = utf8; *p; p = g_utf8_next_char (p))
    {
      guint8 septets[2];
      guint k = sv_gsm7_char_septets (g_utf8_get_char (p), septets);

      if (k == 0)
        return -1;
      n += k;
    }

  return n;
}

/**
 * sv_gsm7_can_encode:
 * @utf8: UTF-8 text
 *
 * Returns: %TRUE if every character of @utf8 is in the GSM 7 bit default
 *   alphabet or its extension table (TS 23.038 §6.2.1)
 */
gboolean
sv_gsm7_can_encode (const char *utf8)
{
  return sv_gsm7_septet_count (utf8) >= 0;
}
