/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Dialling numbers: extended BCD with TON/NPI (TS 51.011 §10.5.1,
 * TS 31.102 §4.4.2.3, TS 24.008 §10.5.4.7), ADN-format records and their
 * EF_EXT1 chains (TS 51.011 §10.5.10).
 *
 * Text representation of the extended BCD digits (TS 51.011 §10.5.1,
 * table "Extended BCD coding"):
 *
 *   0x0-0x9  '0'-'9'
 *   0xA      '*'
 *   0xB      '#'
 *   0xC      'p'  DTMF control digit separator (pause); ',' and 'P' are
 *                 accepted on encode (Android writes ',')
 *   0xD      'w'  "wild" value; 'W', '?' and 'N' are accepted on encode
 *   0xE      'e'  RFU / expansion; 'E' and ';' are accepted on encode
 *   0xF      filler: ends the number; on decode any 0xF nibble is skipped
 *
 * A leading '+' stands for TON "international number". For supplementary
 * service strings with TON international ("*21*" + number + "#") the '+'
 * goes in front of the number part, as phones show it ("*21*+4912#").
 */
#define G_LOG_DOMAIN "sv-codec"

#include "config.h"

#include <string.h>

#include "sv-codec-error.h"
#include "sv-dialling-number.h"

/**
 * sv_ton_to_string:
 * @ton: type of number, 0-7 (TS 24.008 §10.5.4.7 / TS 23.040 §9.1.2.5)
 *
 * Returns: "unknown", "international", "national", "network_specific",
 *   "subscriber", "alphanumeric", "abbreviated" or "reserved"
 */
const char *
sv_ton_to_string (guint ton)
{
  static const char *const names[8] = {
    "unknown", "international", "national", "network_specific",
    "subscriber", "alphanumeric", "abbreviated", "reserved",
  };

  return names[ton & 0x07];
}

/**
 * sv_bcd_digit_to_char:
 * @digit: a nibble, 0x0-0xF
 *
 * Returns: the character for an extended BCD digit (TS 51.011 §10.5.1),
 *   or 0 for the filler 0xF
 */
char
sv_bcd_digit_to_char (guint8 digit)
{
  static const char chars[16] = "0123456789*#pwe";

  return chars[digit & 0x0F];
}

/**
 * sv_bcd_char_to_digit:
 * @c: a character of a dialling number
 *
 * Returns: the extended BCD digit (TS 51.011 §10.5.1) or -1
 */
gint
sv_bcd_char_to_digit (char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';

  switch (c)
    {
    case '*':
      return 0xA;
    case '#':
      return 0xB;
    case 'p': case 'P': case ',':
      return 0xC;
    case 'w': case 'W': case '?': case 'N': case 'n':
      return 0xD;
    case 'e': case 'E': case ';':
      return 0xE;
    default:
      return -1;
    }
}

/**
 * sv_bcd_decode:
 * @bcd: swapped-nibble BCD bytes (low nibble first)
 * @len: number of bytes
 *
 * Decodes extended BCD digits (TS 51.011 §10.5.1). Filler nibbles 0xF are
 * skipped wherever they are: phones leave them in the middle when a length
 * byte counts padding.
 *
 * Returns: (transfer full): the digits
 */
char *
sv_bcd_decode (const guint8 *bcd,
               gsize         len)
{
  GString *s = g_string_sized_new (2 * len + 1);

  g_return_val_if_fail (bcd != NULL || len == 0, NULL);

  for (gsize i = 0; i < len; i++)
    {
      guint8 lo = bcd[i] & 0x0F, hi = bcd[i] >> 4;

      if (lo != 0xF)
        g_string_append_c (s, sv_bcd_digit_to_char (lo));
      if (hi != 0xF)
        g_string_append_c (s, sv_bcd_digit_to_char (hi));
    }

  return g_string_free (s, FALSE);
}

/**
 * sv_dialling_number_format:
 * @digits: BCD digits as text
 * @ton_npi: the TON/NPI byte
 *
 * Adds the '+' of TON international (TS 24.008 §10.5.4.7): in front, or
 * for a supplementary service string ("*21*4912#", "**61*4912*11*20#")
 * in front of the first number after the service code.
 *
 * Returns: (transfer full): the number as shown to the user
 */
char *
sv_dialling_number_format (const char *digits,
                           guint8      ton_npi)
{
  gsize i = 0;

  g_return_val_if_fail (digits != NULL, NULL);

  if (SV_TON_NPI_TON (ton_npi) != SV_TON_INTERNATIONAL || digits[0] == '\0')
    return g_strdup (digits);

  /* "*SC*", "**SC*", "#SC*", "##SC*", "*#SC*" prefix, then a digit */
  while (i < 2 && (digits[i] == '*' || digits[i] == '#'))
    i++;
  if (i > 0)
    {
      gsize start = i;

      while (g_ascii_isdigit (digits[i]))
        i++;
      if (i > start && (digits[i] == '*' || digits[i] == '#') && g_ascii_isdigit (digits[i + 1]))
        return g_strdup_printf ("%.*s+%s", (int) (i + 1), digits, digits + i + 1);
    }

  return g_strconcat ("+", digits, NULL);
}

/**
 * sv_dialling_number_decode:
 * @data: TON/NPI byte followed by BCD bytes
 * @len: number of bytes (at least 1)
 * @ton_npi_out: (out) (optional): the TON/NPI byte
 * @error: return location for a #GError
 *
 * Decodes a dialling number field as in ADN records and SMS addresses
 * (TS 51.011 §10.5.1, TS 24.008 §10.5.4.7): a leading '+' for TON
 * international; digits as described at the top of this file.
 *
 * Returns: (transfer full): the number, or %NULL with @error set
 */
char *
sv_dialling_number_decode (const guint8  *data,
                           gsize          len,
                           guint8        *ton_npi_out,
                           GError       **error)
{
  g_autofree char *digits = NULL;

  g_return_val_if_fail (data != NULL || len == 0, NULL);

  if (len < 1)
    {
      g_set_error_literal (error, SV_CODEC_ERROR, SV_CODEC_ERROR_TRUNCATED,
                           "at byte 0: a dialling number needs a TON/NPI byte");
      return NULL;
    }

  if (ton_npi_out)
    *ton_npi_out = data[0];

  digits = sv_bcd_decode (data + 1, len - 1);
  return sv_dialling_number_format (digits, data[0]);
}

/**
 * sv_dialling_number_encode:
 * @number: the number as text; one '+' anywhere makes it international
 * @ton_npi: TON/NPI to use (e.g. %SV_TON_NPI_DEFAULT); its TON is forced to
 *   international when @number has a '+', and from international to
 *   unknown when it has none
 * @len_out: (out): bytes returned
 * @error: return location for a #GError
 *
 * Encodes a dialling number as TON/NPI + extended BCD, low nibble first,
 * odd lengths padded with 0xF (TS 51.011 §10.5.1). Spaces, '-', '(' and
 * ')' are ignored.
 *
 * Returns: (transfer full): TON/NPI byte followed by the BCD bytes, or
 *   %NULL with %SV_CODEC_ERROR_UNENCODABLE naming the offending character
 */
guint8 *
sv_dialling_number_encode (const char  *number,
                           guint8       ton_npi,
                           gsize       *len_out,
                           GError     **error)
{
  g_autoptr(GByteArray) out = g_byte_array_new ();
  gboolean plus = FALSE;
  guint n_digits = 0;
  guint8 b = 0;

  g_return_val_if_fail (number != NULL, NULL);
  g_return_val_if_fail (len_out != NULL, NULL);

  g_byte_array_append (out, &ton_npi, 1);

  for (gsize i = 0; number[i]; i++)
    {
      char c = number[i];
      gint d;

      if (c == ' ' || c == '-' || c == '(' || c == ')' || c == '.')
        continue;
      if (c == '+' && !plus)
        {
          plus = TRUE;
          continue;
        }

      d = sv_bcd_char_to_digit (c);
      if (d < 0)
        {
          g_set_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_UNENCODABLE,
                       "character %" G_GSIZE_FORMAT " ('%c') is not allowed in a dialling number",
                       i + 1, g_ascii_isprint (c) ? c : '?');
          return NULL;
        }

      if (n_digits % 2 == 0)
        {
          b = d;
        }
      else
        {
          b |= d << 4;
          g_byte_array_append (out, &b, 1);
        }
      n_digits++;
    }

  if (n_digits % 2 == 1)
    {
      b |= 0xF0;
      g_byte_array_append (out, &b, 1);
    }

  if (plus)
    out->data[0] = (out->data[0] & 0x8F) | (SV_TON_INTERNATIONAL << 4);
  else if (SV_TON_NPI_TON (out->data[0]) == SV_TON_INTERNATIONAL)
    out->data[0] = out->data[0] & 0x8F;

  *len_out = out->len;
  return g_byte_array_free (g_steal_pointer (&out), FALSE);
}

/**
 * sv_adn_record_clear:
 * @rec: a record
 *
 * Frees the strings of @rec and zeroes it.
 */
void
sv_adn_record_clear (SvAdnRecord *rec)
{
  g_return_if_fail (rec != NULL);

  g_clear_pointer (&rec->alpha, g_free);
  g_clear_pointer (&rec->number, g_free);
  memset (rec, 0, sizeof *rec);
}

/**
 * sv_adn_record_decode:
 * @data: the record
 * @len: its length, X + 14 with X the alpha identifier size
 * @out: (out caller-allocates): the decoded record; clear it with
 *   sv_adn_record_clear()
 * @error: return location for a #GError
 *
 * Decodes an ADN-format record: EF_ADN, EF_FDN, EF_MSISDN, EF_SDN,
 * EF_BDN (TS 51.011 §10.5.1, TS 31.102 §4.4.2.3):
 *
 *   1..X     alpha identifier (TS 102.221 Annex A)
 *   X+1      length of BCD number/SSC contents incl. TON/NPI (0xFF: none)
 *   X+2      TON/NPI
 *   X+3..12  dialling number/SSC string, 10 bytes BCD
 *   X+13     capability/configuration identifier (EF_CCP)
 *   X+14     extension1 record identifier (EF_EXT1)
 *
 * As phones do, a BCD length over 11 (other than 0xFF) reads as "no
 * number" rather than failing the record. The EF_EXT1 chain is not
 * followed; use sv_adn_number_join_ext1().
 *
 * Returns: %TRUE on success
 */
gboolean
sv_adn_record_decode (const guint8  *data,
                      gsize          len,
                      SvAdnRecord   *out,
                      GError       **error)
{
  g_autofree char *alpha = NULL;
  const guint8 *footer;
  SvAlphaScheme scheme;
  gsize x;
  guint8 bcd_len;

  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  memset (out, 0, sizeof *out);

  if (len < SV_ADN_FOOTER_LEN)
    {
      g_set_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_TRUNCATED,
                   "at byte %" G_GSIZE_FORMAT ": an ADN record has at least 14 bytes, this one %" G_GSIZE_FORMAT,
                   len, len);
      return FALSE;
    }

  x = len - SV_ADN_FOOTER_LEN;
  footer = data + x;

  alpha = sv_alpha_decode (data, x, &scheme, error);
  if (alpha == NULL)
    return FALSE;

  bcd_len = footer[0];
  out->ton_npi = footer[1];
  out->ccp = footer[12];
  out->ext_record = footer[13];

  if (bcd_len == 0xFF || bcd_len < 1 || bcd_len > SV_ADN_BCD_MAX + 1)
    out->number = g_strdup ("");
  else
    out->number = sv_dialling_number_decode (footer + 1, bcd_len, NULL, NULL);

  out->alpha = g_steal_pointer (&alpha);
  out->alpha_scheme = scheme;
  out->empty = out->alpha[0] == '\0' && out->number[0] == '\0';
  return TRUE;
}

/**
 * sv_adn_record_is_empty:
 * @data: the record
 * @len: its length
 *
 * A record is free when it holds neither an alpha identifier nor a number
 * (TS 51.011 §10.5.1: unused bytes are 0xFF). A record that does not
 * decode is not empty.
 *
 * Returns: %TRUE if the record is free
 */
gboolean
sv_adn_record_is_empty (const guint8 *data,
                        gsize         len)
{
  SvAdnRecord rec;
  gboolean empty;

  if (!sv_adn_record_decode (data, len, &rec, NULL))
    return FALSE;
  empty = rec.empty;
  sv_adn_record_clear (&rec);
  return empty;
}

/**
 * sv_adn_record_encode:
 * @rec: what to write: @alpha, @number, @ton_npi, @ccp and @ext_record are used
 * @out: (out caller-allocates): the record
 * @len: record length (X + 14)
 * @ext_chunks: (out) (optional) (element-type GBytes): BCD bytes that did
 *   not fit in the record, one #GBytes per EF_EXT1 record (at most 10
 *   bytes each), or %NULL if the number fits
 * @error: return location for a #GError
 *
 * Encodes an ADN-format record (TS 51.011 §10.5.1). A number over 20
 * digits keeps its first 20 digits in the record with length byte 11, and
 * the rest goes to @ext_chunks; the caller allocates EF_EXT1 records,
 * writes them with sv_ext1_record_encode() and puts the first record
 * number in the last byte of @out (it is set to @rec->ext_record here).
 * Without overflow the extension byte is 0xFF.
 *
 * Returns: %TRUE on success; %SV_CODEC_ERROR_TOO_LONG if the alpha does
 *   not fit or the number needs EF_EXT1 and @ext_chunks is %NULL
 */
gboolean
sv_adn_record_encode (const SvAdnRecord  *rec,
                      guint8             *out,
                      gsize               len,
                      GPtrArray         **ext_chunks,
                      GError            **error)
{
  g_autofree guint8 *number = NULL;
  guint8 *footer;
  gsize number_len = 0;
  gsize bcd_len;

  g_return_val_if_fail (rec != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  if (ext_chunks)
    *ext_chunks = NULL;

  if (len < SV_ADN_FOOTER_LEN)
    {
      g_set_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_TOO_LONG,
                   "an ADN record has at least 14 bytes, not %" G_GSIZE_FORMAT, len);
      return FALSE;
    }

  footer = out + len - SV_ADN_FOOTER_LEN;

  if (!sv_alpha_encode (rec->alpha ? rec->alpha : "", out, len - SV_ADN_FOOTER_LEN, NULL, error))
    return FALSE;

  memset (footer, 0xFF, SV_ADN_FOOTER_LEN);
  footer[12] = rec->ccp;

  if (rec->number == NULL || rec->number[0] == '\0')
    return TRUE;

  number = sv_dialling_number_encode (rec->number, rec->ton_npi ? rec->ton_npi : SV_TON_NPI_DEFAULT,
                                      &number_len, error);
  if (number == NULL)
    return FALSE;

  bcd_len = number_len - 1;
  footer[1] = number[0];
  memcpy (footer + 2, number + 1, MIN (bcd_len, SV_ADN_BCD_MAX));
  footer[0] = 1 + MIN (bcd_len, SV_ADN_BCD_MAX);

  if (bcd_len > SV_ADN_BCD_MAX)
    {
      g_autoptr(GPtrArray) chunks = NULL;

      if (ext_chunks == NULL)
        {
          g_set_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_TOO_LONG,
                       "the number has %" G_GSIZE_FORMAT " BCD bytes, 10 fit without EF_EXT1",
                       bcd_len);
          return FALSE;
        }

      chunks = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
      for (gsize off = SV_ADN_BCD_MAX; off < bcd_len; off += SV_ADN_BCD_MAX)
        g_ptr_array_add (chunks, g_bytes_new (number + 1 + off, MIN (SV_ADN_BCD_MAX, bcd_len - off)));
      footer[13] = rec->ext_record;
      *ext_chunks = g_steal_pointer (&chunks);
    }

  return TRUE;
}

/**
 * sv_ext1_record_decode:
 * @data: the record
 * @len: its length (13)
 * @out: (out caller-allocates): the decoded record
 * @error: return location for a #GError
 *
 * Decodes an EF_EXT1 record (TS 51.011 §10.5.10): record type, data
 * length, 11 data bytes (10 used for additional data), next record id.
 *
 * Returns: %TRUE on success
 */
gboolean
sv_ext1_record_decode (const guint8  *data,
                       gsize          len,
                       SvExt1Record  *out,
                       GError       **error)
{
  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  memset (out, 0xFF, sizeof *out);

  if (len < SV_EXT1_RECORD_LEN)
    {
      g_set_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_TRUNCATED,
                   "at byte %" G_GSIZE_FORMAT ": an EXT1 record has 13 bytes, this one %" G_GSIZE_FORMAT,
                   len, len);
      return FALSE;
    }

  out->type = data[0];
  out->data_len = data[1];
  memcpy (out->data, data + 2, 11);
  out->next_record = data[12];

  if (out->type != 0xFF && out->data_len != 0xFF && out->data_len > 11)
    {
      g_set_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_INVALID,
                   "at byte 1: EXT1 data length %u exceeds 11", out->data_len);
      return FALSE;
    }

  return TRUE;
}

/**
 * sv_ext1_record_encode:
 * @chunk: BCD bytes of additional data (at most 10), as returned by
 *   sv_adn_record_encode()
 * @next_record: record number of the next chain link, or 0xFF
 * @out: (out caller-allocates): the record
 * @len: its length (at least 13; the rest is 0xFF)
 * @error: return location for a #GError
 *
 * Encodes an "additional data" EF_EXT1 record (TS 51.011 §10.5.10).
 *
 * Returns: %TRUE on success
 */
gboolean
sv_ext1_record_encode (GBytes        *chunk,
                       guint8         next_record,
                       guint8        *out,
                       gsize          len,
                       GError       **error)
{
  gsize n;
  const guint8 *bytes;

  g_return_val_if_fail (chunk != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  bytes = g_bytes_get_data (chunk, &n);
  if (len < SV_EXT1_RECORD_LEN || n > SV_ADN_BCD_MAX)
    {
      g_set_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_TOO_LONG,
                   "EXT1 record of %" G_GSIZE_FORMAT " bytes cannot hold %" G_GSIZE_FORMAT " BCD bytes",
                   len, n);
      return FALSE;
    }

  memset (out, 0xFF, len);
  out[0] = SV_EXT1_TYPE_ADDITIONAL_DATA;
  out[1] = n;
  if (n > 0)
    memcpy (out + 2, bytes, n);
  out[12] = next_record;
  return TRUE;
}

/**
 * sv_adn_number_join_ext1:
 * @rec: a decoded ADN-format record
 * @lookup: returns EF_EXT1 records by 1-based number
 * @user_data: for @lookup
 * @error: return location for a #GError
 *
 * Appends the digits of the record's EF_EXT1 chain to its number
 * (TS 51.011 §10.5.1 and §10.5.10). Subaddress records in the chain are
 * skipped. A link to record 0, to a record @lookup does not know, to an
 * unused record, or back into the chain (a loop) is an error.
 *
 * Returns: (transfer full): the whole number, or %NULL with @error set
 */
char *
sv_adn_number_join_ext1 (const SvAdnRecord  *rec,
                         SvExt1LookupFunc    lookup,
                         gpointer            user_data,
                         GError            **error)
{
  g_autoptr(GString) number = NULL;
  guint8 visited[256 / 8] = { 0 };
  guint id;

  g_return_val_if_fail (rec != NULL, NULL);
  g_return_val_if_fail (lookup != NULL, NULL);

  number = g_string_new (rec->number ? rec->number : "");

  for (id = rec->ext_record; id != SV_EXT1_NONE; )
    {
      SvExt1Record ext;
      g_autofree char *digits = NULL;

      if (id == 0)
        {
          g_set_error_literal (error, SV_CODEC_ERROR, SV_CODEC_ERROR_INVALID,
                               "EXT1 link to record 0: records are numbered from 1");
          return NULL;
        }
      if (visited[id / 8] & (1 << (id % 8)))
        {
          g_set_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_INVALID,
                       "EXT1 chain loops back to record %u", id);
          return NULL;
        }
      visited[id / 8] |= 1 << (id % 8);

      if (!lookup (id, &ext, user_data))
        {
          g_set_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_INVALID,
                       "EXT1 link to record %u, which does not exist", id);
          return NULL;
        }
      if (ext.type == 0xFF)
        {
          g_set_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_INVALID,
                       "EXT1 link to record %u, which is unused", id);
          return NULL;
        }

      if (ext.type & SV_EXT1_TYPE_ADDITIONAL_DATA)
        {
          digits = sv_bcd_decode (ext.data, MIN (ext.data_len, SV_ADN_BCD_MAX));
          g_string_append (number, digits);
        }
      id = ext.next_record;
    }

  return g_string_free (g_steal_pointer (&number), FALSE);
}

typedef struct
{
  const SvExt1Record *records;
  guint               n_records;
} Ext1Array;

static gboolean
ext1_array_lookup (guint         record_number,
                   SvExt1Record *out,
                   gpointer      user_data)
{
  const Ext1Array *array = user_data;

  if (record_number < 1 || record_number > array->n_records)
    return FALSE;
  *out = array->records[record_number - 1];
  return TRUE;
}

/**
 * sv_adn_number_join_ext1_array:
 * @rec: a decoded ADN-format record
 * @records: (array length=n_records): EF_EXT1, @records[0] being record 1
 * @n_records: number of records
 * @error: return location for a #GError
 *
 * sv_adn_number_join_ext1() over an in-memory EF_EXT1.
 *
 * Returns: (transfer full): the whole number, or %NULL with @error set
 */
char *
sv_adn_number_join_ext1_array (const SvAdnRecord   *rec,
                               const SvExt1Record  *records,
                               guint                n_records,
                               GError             **error)
{
  Ext1Array array = { records, n_records };

  g_return_val_if_fail (records != NULL || n_records == 0, NULL);

  return sv_adn_number_join_ext1 (rec, ext1_array_lookup, &array, error);
}
