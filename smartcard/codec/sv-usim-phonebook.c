/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * USIM phonebook files under DF_PHONEBOOK (TS 31.102 §4.4.2).
 */
#define G_LOG_DOMAIN "sv-codec"

#include "config.h"

#include <string.h>

#include "sv-codec-error.h"
#include "sv-dialling-number.h"
#include "sv-file-info.h"
#include "sv-usim-phonebook.h"

/**
 * sv_pbr_tag_to_string:
 * @tag: an EF_PBR file tag
 *
 * Returns: the file name for tags C0-CB (TS 31.102 §4.4.2.1), else "unknown"
 */
const char *
sv_pbr_tag_to_string (guint8 tag)
{
  static const char *const names[] = {
    "ADN", "IAP", "EXT1", "SNE", "ANR", "PBC", "GRP", "AAS", "GAS", "UID", "EMAIL", "CCP1",
  };

  if (tag >= SV_PBR_TAG_ADN && tag <= SV_PBR_TAG_CCP1)
    return names[tag - SV_PBR_TAG_ADN];
  return "unknown";
}

/**
 * sv_pbr_record_decode:
 * @data: an EF_PBR record
 * @len: its length
 * @error: return location for a #GError
 *
 * Decodes an EF_PBR record (TS 31.102 §4.4.2.1): constructed TLVs A8
 * (type 1), A9 (type 2), AA (type 3), each holding file TLVs C0-CB with a
 * 2-byte FID and an optional SFI byte. Trailing 0xFF (or 0x00) is padding.
 * Unknown tags are skipped.
 *
 * Returns: (transfer full) (element-type SvPbrEntry): the entries in
 *   record order, or %NULL with @error set
 */
GArray *
sv_pbr_record_decode (const guint8  *data,
                      gsize          len,
                      GError       **error)
{
  g_autoptr(GArray) entries = g_array_new (FALSE, TRUE, sizeof (SvPbrEntry));
  gsize pos = 0;

  g_return_val_if_fail (data != NULL || len == 0, NULL);

  while (pos < len && data[pos] != 0xFF && data[pos] != 0x00)
    {
      const guint8 *templ;
      gsize templ_len, p = 0;
      guint8 ctag;

      if (!sv_ber_tlv_next (data, len, &pos, &ctag, &templ, &templ_len, error))
        return NULL;
      if (ctag != SV_PBR_TYPE1 && ctag != SV_PBR_TYPE2 && ctag != SV_PBR_TYPE3)
        continue;

      while (p < templ_len)
        {
          const guint8 *v;
          gsize flen, at = templ - data + p;
          guint8 tag;
          SvPbrEntry e = { ctag, 0, 0, -1 };

          if (!sv_ber_tlv_next (templ, templ_len, &p, &tag, &v, &flen, error))
            {
              g_prefix_error (error, "in the template at byte %" G_GSIZE_FORMAT ": ",
                              (gsize) (templ - data));
              return NULL;
            }
          if (tag < SV_PBR_TAG_ADN || tag > SV_PBR_TAG_CCP1)
            continue;
          if (flen < 2)
            {
              g_set_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_INVALID,
                           "at byte %" G_GSIZE_FORMAT ": file TLV 0x%02X needs a 2-byte file identifier",
                           at, tag);
              return NULL;
            }
          e.tag = tag;
          e.fid = (v[0] << 8) | v[1];
          if (flen >= 3)
            e.sfi = v[2];
          g_array_append_val (entries, e);
        }
    }

  return g_steal_pointer (&entries);
}

/**
 * sv_pbr_record_encode:
 * @entries: (array length=n_entries): entries, grouped by constructed tag
 *   in the order given
 * @n_entries: how many
 * @out: (out caller-allocates): the record
 * @len: its length; the rest is 0xFF
 * @error: return location for a #GError
 *
 * Encodes an EF_PBR record (TS 31.102 §4.4.2.1). Consecutive entries with
 * the same constructed tag share one template.
 *
 * Returns: %TRUE on success, %SV_CODEC_ERROR_TOO_LONG if it does not fit
 */
gboolean
sv_pbr_record_encode (const SvPbrEntry  *entries,
                      guint              n_entries,
                      guint8            *out,
                      gsize              len,
                      GError           **error)
{
  g_autoptr(GByteArray) rec = g_byte_array_new ();

  g_return_val_if_fail (entries != NULL || n_entries == 0, FALSE);
  g_return_val_if_fail (out != NULL || len == 0, FALSE);

  for (guint i = 0; i < n_entries; )
    {
      gsize len_at;
      guint8 hdr[2] = { entries[i].constructed_tag, 0 };
      guint8 ctag = entries[i].constructed_tag;

      g_byte_array_append (rec, hdr, 2);
      len_at = rec->len - 1;
      for (; i < n_entries && entries[i].constructed_tag == ctag; i++)
        {
          guint8 f[5] = { entries[i].tag, entries[i].sfi >= 0 ? 3 : 2,
                          entries[i].fid >> 8, entries[i].fid & 0xFF, entries[i].sfi & 0xFF };

          g_byte_array_append (rec, f, entries[i].sfi >= 0 ? 5 : 4);
        }
      if (rec->len - len_at - 1 > 0x7F)
        {
          g_set_error_literal (error, SV_CODEC_ERROR, SV_CODEC_ERROR_TOO_LONG,
                               "PBR template longer than 127 bytes");
          return FALSE;
        }
      rec->data[len_at] = rec->len - len_at - 1;
    }

  if (rec->len > len)
    {
      g_set_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_TOO_LONG,
                   "PBR record needs %u bytes, the record has %" G_GSIZE_FORMAT, rec->len, len);
      return FALSE;
    }

  memset (out, 0xFF, len);
  if (rec->len > 0)
    memcpy (out, rec->data, rec->len);
  return TRUE;
}

/**
 * sv_iap_record_decode:
 * @data: an EF_IAP record
 * @len: its length (one byte per type 2 file in EF_PBR order)
 *
 * Decodes an EF_IAP record (TS 31.102 §4.4.2.2): the record number of
 * each type 2 file's entry, 0 when there is none (0x00 and 0xFF).
 *
 * Returns: (transfer full) (element-type guint): record numbers
 */
GArray *
sv_iap_record_decode (const guint8 *data,
                      gsize         len)
{
  GArray *out = g_array_sized_new (FALSE, TRUE, sizeof (guint), len);

  g_return_val_if_fail (data != NULL || len == 0, out);

  for (gsize i = 0; i < len; i++)
    {
      guint v = data[i] == 0xFF ? 0 : data[i];

      g_array_append_val (out, v);
    }
  return out;
}

/**
 * sv_anr_record_clear:
 * @rec: a record
 */
void
sv_anr_record_clear (SvAnrRecord *rec)
{
  g_return_if_fail (rec != NULL);
  g_clear_pointer (&rec->number, g_free);
  memset (rec, 0, sizeof *rec);
}

/**
 * sv_anr_record_decode:
 * @data: an EF_ANR record
 * @len: 15, or 17 for a type 2 file
 * @out: (out caller-allocates): clear with sv_anr_record_clear()
 * @error: return location for a #GError
 *
 * Decodes an EF_ANR record (TS 31.102 §4.4.2.9): AAS record id, BCD
 * length, TON/NPI, 10 bytes BCD, CCP id, EXT1 id, [ADN SFI, ADN record id].
 *
 * Returns: %TRUE on success
 */
gboolean
sv_anr_record_decode (const guint8  *data,
                      gsize          len,
                      SvAnrRecord   *out,
                      GError       **error)
{
  guint8 bcd_len;

  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  memset (out, 0, sizeof *out);
  if (len < 15)
    {
      g_set_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_TRUNCATED,
                   "at byte %" G_GSIZE_FORMAT ": an ANR record has at least 15 bytes", len);
      return FALSE;
    }

  out->aas_record = data[0];
  bcd_len = data[1];
  out->ton_npi = data[2];
  out->ccp = data[13];
  out->ext_record = data[14];
  if (bcd_len == 0xFF || bcd_len < 1 || bcd_len > 11)
    out->number = g_strdup ("");
  else
    out->number = sv_dialling_number_decode (data + 2, bcd_len, NULL, NULL);
  if (len >= 17)
    {
      out->has_adn_ref = TRUE;
      out->adn_sfi = data[15];
      out->adn_record = data[16];
    }
  out->empty = out->number[0] == '\0';
  return TRUE;
}

/**
 * sv_anr_record_encode:
 * @rec: the record; @has_adn_ref decides the type 2 trailer
 * @out: (out caller-allocates): the record
 * @len: its length (15 or 17)
 * @error: return location for a #GError
 *
 * Encodes an EF_ANR record (TS 31.102 §4.4.2.9). The number must fit in
 * 20 digits.
 *
 * Returns: %TRUE on success
 */
gboolean
sv_anr_record_encode (const SvAnrRecord  *rec,
                      guint8             *out,
                      gsize               len,
                      GError            **error)
{
  g_autofree guint8 *number = NULL;
  gsize n = 0;

  g_return_val_if_fail (rec != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  if (len < 15 || (rec->has_adn_ref && len < 17))
    {
      g_set_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_TOO_LONG,
                   "an ANR record of %" G_GSIZE_FORMAT " bytes is too short", len);
      return FALSE;
    }

  memset (out, 0xFF, len);
  if (rec->number && rec->number[0])
    {
      number = sv_dialling_number_encode (rec->number, rec->ton_npi ? rec->ton_npi : SV_TON_NPI_DEFAULT,
                                          &n, error);
      if (number == NULL)
        return FALSE;
      if (n > 11)
        {
          g_set_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_TOO_LONG,
                       "the number needs %" G_GSIZE_FORMAT " BCD bytes, an ANR record holds 10",
                       n - 1);
          return FALSE;
        }
      out[0] = rec->aas_record;
      out[1] = n;
      memcpy (out + 2, number, n);
      out[14] = rec->ext_record;
    }
  out[13] = rec->ccp;
  if (rec->has_adn_ref)
    {
      out[15] = rec->adn_sfi;
      out[16] = rec->adn_record;
    }
  return TRUE;
}

/**
 * sv_pb_text_record_clear:
 * @rec: a record
 */
void
sv_pb_text_record_clear (SvPbTextRecord *rec)
{
  g_return_if_fail (rec != NULL);
  g_clear_pointer (&rec->text, g_free);
  memset (rec, 0, sizeof *rec);
}

/**
 * sv_pb_text_record_decode:
 * @data: an EF_EMAIL or EF_SNE record
 * @len: its length
 * @type2: the file is type 2 in EF_PBR: the last two bytes are the ADN
 *   SFI and record id
 * @out: (out caller-allocates): clear with sv_pb_text_record_clear()
 * @error: return location for a #GError
 *
 * Decodes EF_EMAIL (TS 31.102 §4.4.2.13) and EF_SNE (§4.4.2.12) records:
 * text coded as an alpha field (TS 102.221 Annex A).
 *
 * Returns: %TRUE on success
 */
gboolean
sv_pb_text_record_decode (const guint8    *data,
                          gsize            len,
                          gboolean         type2,
                          SvPbTextRecord  *out,
                          GError         **error)
{
  gsize text_len = len;

  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  memset (out, 0, sizeof *out);
  if (type2)
    {
      if (len < 2)
        {
          g_set_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_TRUNCATED,
                       "at byte %" G_GSIZE_FORMAT ": a type 2 record ends with ADN SFI and record id", len);
          return FALSE;
        }
      text_len = len - 2;
      out->has_adn_ref = TRUE;
      out->adn_sfi = data[len - 2];
      out->adn_record = data[len - 1];
    }

  out->text = sv_alpha_decode (data, text_len, &out->scheme, error);
  if (out->text == NULL)
    return FALSE;
  out->empty = out->text[0] == '\0';
  return TRUE;
}

/**
 * sv_pb_text_record_encode:
 * @rec: the record
 * @type2: write the ADN SFI and record id in the last two bytes
 * @out: (out caller-allocates): the record
 * @len: its length
 * @error: return location for a #GError
 *
 * Encodes EF_EMAIL / EF_SNE records (TS 31.102 §4.4.2.12-13).
 *
 * Returns: %TRUE on success
 */
gboolean
sv_pb_text_record_encode (const SvPbTextRecord  *rec,
                          gboolean               type2,
                          guint8                *out,
                          gsize                  len,
                          GError               **error)
{
  g_return_val_if_fail (rec != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  if (type2 && len < 2)
    {
      g_set_error_literal (error, SV_CODEC_ERROR, SV_CODEC_ERROR_TOO_LONG,
                           "a type 2 record needs two bytes for the ADN reference");
      return FALSE;
    }
  if (!sv_alpha_encode (rec->text ? rec->text : "", out, type2 ? len - 2 : len, NULL, error))
    return FALSE;
  if (type2)
    {
      out[len - 2] = rec->adn_sfi;
      out[len - 1] = rec->adn_record;
    }
  return TRUE;
}

static gboolean
need_bytes (gsize        len,
            gsize        n,
            const char  *what,
            GError     **error)
{
  if (len < n)
    {
      g_set_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_TRUNCATED,
                   "at byte %" G_GSIZE_FORMAT ": %s has %" G_GSIZE_FORMAT " bytes", len, what, n);
      return FALSE;
    }
  return TRUE;
}

/**
 * sv_pbc_record_decode:
 * @data: an EF_PBC record (TS 31.102 §4.4.2.5)
 * @len: its length (2)
 * @out: (out caller-allocates): entry control and hidden information
 * @error: return location for a #GError
 *
 * Returns: %TRUE on success
 */
gboolean
sv_pbc_record_decode (const guint8  *data,
                      gsize          len,
                      SvPbcRecord   *out,
                      GError       **error)
{
  g_return_val_if_fail (out != NULL, FALSE);
  if (!need_bytes (len, 2, "an EF_PBC record", error))
    return FALSE;
  out->entry_control = data[0];
  out->hidden = data[1];
  return TRUE;
}

/**
 * sv_pbc_record_encode:
 * @rec: the record
 * @out: (out caller-allocates): 2 bytes (TS 31.102 §4.4.2.5)
 */
void
sv_pbc_record_encode (const SvPbcRecord *rec,
                      guint8             out[2])
{
  out[0] = rec->entry_control;
  out[1] = rec->hidden;
}

/**
 * sv_uid_record_decode:
 * @data: an EF_UID record (TS 31.102 §4.4.2.8)
 * @len: its length (2)
 * @uid: (out): the unique identifier, big endian; 0 and 0xFFFF mean unused
 * @error: return location for a #GError
 *
 * Returns: %TRUE on success
 */
gboolean
sv_uid_record_decode (const guint8  *data,
                      gsize          len,
                      guint16       *uid,
                      GError       **error)
{
  if (!need_bytes (len, 2, "an EF_UID record", error))
    return FALSE;
  *uid = (data[0] << 8) | data[1];
  return TRUE;
}

/**
 * sv_uid_record_encode:
 * @uid: the identifier
 * @out: (out caller-allocates): 2 bytes, big endian (TS 31.102 §4.4.2.8)
 */
void
sv_uid_record_encode (guint16 uid,
                      guint8  out[2])
{
  out[0] = uid >> 8;
  out[1] = uid & 0xFF;
}

/**
 * sv_psc_decode:
 * @data: EF_PSC, the phonebook synchronisation counter (TS 31.102 §4.4.2.10)
 * @len: its length (4)
 * @psc: (out): the counter, big endian
 * @error: return location for a #GError
 *
 * Returns: %TRUE on success
 */
gboolean
sv_psc_decode (const guint8  *data,
               gsize          len,
               guint32       *psc,
               GError       **error)
{
  if (!need_bytes (len, 4, "EF_PSC", error))
    return FALSE;
  *psc = ((guint32) data[0] << 24) | (data[1] << 16) | (data[2] << 8) | data[3];
  return TRUE;
}

/**
 * sv_psc_encode:
 * @psc: the counter
 * @out: (out caller-allocates): 4 bytes, big endian (TS 31.102 §4.4.2.10)
 */
void
sv_psc_encode (guint32 psc,
               guint8  out[4])
{
  out[0] = psc >> 24;
  out[1] = (psc >> 16) & 0xFF;
  out[2] = (psc >> 8) & 0xFF;
  out[3] = psc & 0xFF;
}

/**
 * sv_cc_decode:
 * @data: EF_CC, the change counter (TS 31.102 §4.4.2.11)
 * @len: its length (2)
 * @cc: (out): the counter, big endian
 * @error: return location for a #GError
 *
 * Returns: %TRUE on success
 */
gboolean
sv_cc_decode (const guint8  *data,
              gsize          len,
              guint16       *cc,
              GError       **error)
{
  if (!need_bytes (len, 2, "EF_CC", error))
    return FALSE;
  *cc = (data[0] << 8) | data[1];
  return TRUE;
}

/**
 * sv_cc_encode:
 * @cc: the counter
 * @out: (out caller-allocates): 2 bytes, big endian (TS 31.102 §4.4.2.11)
 */
void
sv_cc_encode (guint16 cc,
              guint8  out[2])
{
  out[0] = cc >> 8;
  out[1] = cc & 0xFF;
}
