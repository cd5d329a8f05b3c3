/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * File information from SELECT: the UICC FCP template (TS 102.221
 * §11.1.1.3) and the 2G GET RESPONSE header (TS 51.011 §9.2.1).
 */
#define G_LOG_DOMAIN "sv-codec"

#include "config.h"

#include <string.h>

#include "sv-codec-error.h"
#include "sv-file-info.h"

/* The names of the structures, in the CLI's output and in the backup
 * protocol (sync/protocol/PROTOCOL.md). */
static const struct
{
  SvFileStructure  structure;
  const char      *name;
} structure_names[] = {
  { SV_FILE_STRUCTURE_TRANSPARENT,  "transparent" },
  { SV_FILE_STRUCTURE_LINEAR_FIXED, "linear-fixed" },
  { SV_FILE_STRUCTURE_CYCLIC,       "cyclic" },
  { SV_FILE_STRUCTURE_BER_TLV,      "ber-tlv" },
  { SV_FILE_STRUCTURE_DF,           "df" },
  { SV_FILE_STRUCTURE_UNKNOWN,      "unknown" },
};

/**
 * sv_file_structure_to_string:
 * @structure: a #SvFileStructure
 *
 * Returns: "transparent", "linear-fixed", "cyclic", "ber-tlv", "df" or
 *   "unknown"
 */
const char *
sv_file_structure_to_string (SvFileStructure structure)
{
  for (guint i = 0; i < G_N_ELEMENTS (structure_names); i++)
    if (structure_names[i].structure == structure)
      return structure_names[i].name;
  return "unknown";
}

/**
 * sv_file_structure_from_string:
 * @name: a name sv_file_structure_to_string() gives
 * @structure: (out): the structure
 *
 * Returns: %TRUE when @name is one of them
 */
gboolean
sv_file_structure_from_string (const char      *name,
                               SvFileStructure *structure)
{
  for (guint i = 0; name != NULL && i < G_N_ELEMENTS (structure_names); i++)
    if (g_str_equal (structure_names[i].name, name))
      {
        *structure = structure_names[i].structure;
        return TRUE;
      }
  return FALSE;
}

/**
 * sv_file_info_clear:
 * @info: file information
 */
void
sv_file_info_clear (SvFileInfo *info)
{
  g_return_if_fail (info != NULL);
  g_clear_pointer (&info->df_name, g_bytes_unref);
  memset (info, 0, sizeof *info);
}

/**
 * sv_file_info_copy:
 * @src: file information
 * @dest: (out caller-allocates): receives a copy; clear with
 *   sv_file_info_clear()
 */
void
sv_file_info_copy (const SvFileInfo *src,
                   SvFileInfo       *dest)
{
  g_return_if_fail (src != NULL && dest != NULL);
  *dest = *src;
  if (src->df_name)
    dest->df_name = g_bytes_ref (src->df_name);
}

/**
 * sv_ber_length_decode:
 * @data: BER-TLV data
 * @len: its length; the length field must end before it
 * @pos: (inout): where the length field starts; on success, the byte
 *   after it
 * @length: (out): the length the field gives
 * @error: return location for a #GError
 *
 * Decodes a BER-TLV length field (ISO/IEC 7816-4 §5.2.2.2, TS 102.221
 * §11.1.1.3): one byte below 0x80, or 0x81 and one byte, or 0x82 and two
 * bytes. Longer forms do not occur on a UICC and are an error.
 *
 * Returns: %TRUE on success
 */
gboolean
sv_ber_length_decode (const guint8  *data,
                      gsize          len,
                      gsize         *pos,
                      gsize         *length,
                      GError       **error)
{
  gsize at;
  gsize n_bytes;

  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (pos != NULL && length != NULL, FALSE);

  at = *pos;
  if (at >= len)
    {
      g_set_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_TRUNCATED,
                   "at byte %" G_GSIZE_FORMAT ": data ends before a BER-TLV length", at);
      return FALSE;
    }
  if (data[at] < 0x80)
    n_bytes = 0;
  else if (data[at] == 0x81 || data[at] == 0x82)
    n_bytes = data[at] - 0x80;
  else
    {
      g_set_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_INVALID,
                   "at byte %" G_GSIZE_FORMAT ": 0x%02X is not a supported BER-TLV length",
                   at, data[at]);
      return FALSE;
    }
  if (n_bytes >= len - at)
    {
      g_set_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_TRUNCATED,
                   "at byte %" G_GSIZE_FORMAT ": data ends inside a BER-TLV length", at);
      return FALSE;
    }

  if (n_bytes == 0)
    *length = data[at];
  else if (n_bytes == 1)
    *length = data[at + 1];
  else
    *length = (data[at + 1] << 8) | data[at + 2];
  *pos = at + 1 + n_bytes;
  return TRUE;
}

/**
 * sv_ber_tlv_next:
 * @data: BER-TLV data objects
 * @len: their length; the object must end before it
 * @pos: (inout): where the object starts; on success, the byte after it
 * @tag: (out): its tag (one byte, as every tag of TS 102.221 and TS 31.102)
 * @value: (out) (transfer none): its value, within @data
 * @value_len: (out): the value's length
 * @error: return location for a #GError
 *
 * Reads one BER-TLV data object (ISO/IEC 7816-4 §5.2): tag, length
 * (sv_ber_length_decode()), value.
 *
 * Returns: %TRUE on success; %FALSE with @error when the length does not
 *   decode or the value runs past @len
 */
gboolean
sv_ber_tlv_next (const guint8  *data,
                 gsize          len,
                 gsize         *pos,
                 guint8        *tag,
                 const guint8 **value,
                 gsize         *value_len,
                 GError       **error)
{
  gsize at, p, l;

  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (pos != NULL && tag != NULL && value != NULL && value_len != NULL, FALSE);

  at = *pos;
  if (at >= len)
    {
      g_set_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_TRUNCATED,
                   "at byte %" G_GSIZE_FORMAT ": data ends before a BER-TLV tag", at);
      return FALSE;
    }
  p = at + 1;
  if (!sv_ber_length_decode (data, len, &p, &l, error))
    return FALSE;
  if (l > len - p)
    {
      g_set_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_TRUNCATED,
                   "at byte %" G_GSIZE_FORMAT ": tag 0x%02X of %" G_GSIZE_FORMAT
                   " bytes runs past the data", at, data[at], l);
      return FALSE;
    }
  *tag = data[at];
  *value = data + p;
  *value_len = l;
  *pos = p + l;
  return TRUE;
}

static gsize
be_uint (const guint8 *p,
         gsize         n)
{
  gsize v = 0;

  for (gsize i = 0; i < n && i < sizeof (gsize); i++)
    v = (v << 8) | p[i];
  return v;
}

/* An EF structure code the specifications do not define, read leniently:
 * a header that gives a record length describes a record file. */
static SvFileStructure
lenient_structure (guint record_len)
{
  return record_len > 0 ? SV_FILE_STRUCTURE_LINEAR_FIXED : SV_FILE_STRUCTURE_TRANSPARENT;
}

static gboolean
fcp_decode (const guint8     *data,
            gsize             len,
            SvFileInfoFlags   flags,
            SvFileInfo       *out,
            GError          **error)
{
  gsize pos = 0, end, template_len;
  const guint8 *template;
  guint8 template_tag;
  gboolean have_sfi_tag = FALSE;

  out->sfi = -1;
  out->structure = SV_FILE_STRUCTURE_UNKNOWN;

  if (len < 2)
    {
      g_set_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_TRUNCATED,
                   "at byte %" G_GSIZE_FORMAT ": an FCP template needs a tag and a length", len);
      return FALSE;
    }
  if (data[0] != 0x62)
    {
      g_set_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_INVALID,
                   "at byte 0: tag 0x%02X is not an FCP template (0x62)", data[0]);
      return FALSE;
    }
  if (!sv_ber_tlv_next (data, len, &pos, &template_tag, &template, &template_len, error))
    return FALSE;
  end = template - data + template_len;
  pos = template - data;

  while (pos < end)
    {
      guint8 tag;
      gsize l, at;
      const guint8 *v;

      if (!sv_ber_tlv_next (data, end, &pos, &tag, &v, &l, error))
        return FALSE;
      at = v - data;

      switch (tag)
        {
        case 0x82:                               /* §11.1.1.4.3 file descriptor */
          if (l < 1)
            {
              g_set_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_INVALID,
                           "at byte %" G_GSIZE_FORMAT ": empty file descriptor", at);
              return FALSE;
            }
          out->fdb = v[0];
          out->shareable = (v[0] & 0x40) != 0;
          if (l >= 4)
            out->record_len = (v[2] << 8) | v[3];
          if (l >= 5)
            out->n_records = v[4];
          if ((v[0] & 0xBF) == 0x38)
            out->structure = SV_FILE_STRUCTURE_DF;
          else if ((v[0] & 0xBF) == 0x39)
            out->structure = SV_FILE_STRUCTURE_BER_TLV;
          else
            switch (v[0] & 0x07)
              {
              case 1:
                out->structure = SV_FILE_STRUCTURE_TRANSPARENT;
                break;
              case 2:
                out->structure = SV_FILE_STRUCTURE_LINEAR_FIXED;
                break;
              case 6:
                out->structure = SV_FILE_STRUCTURE_CYCLIC;
                break;
              default:
                out->structure = (flags & SV_FILE_INFO_LENIENT_STRUCTURE)
                                 ? lenient_structure (out->record_len)
                                 : SV_FILE_STRUCTURE_UNKNOWN;
                break;
              }
          break;
        case 0x83:                               /* §11.1.1.4.4 file identifier */
          if (l == 2)
            out->fid = (v[0] << 8) | v[1];
          break;
        case 0x84:                               /* §11.1.1.4.5 DF name (AID) */
          g_clear_pointer (&out->df_name, g_bytes_unref);
          out->df_name = g_bytes_new (v, l);
          break;
        case 0x8A:                               /* §11.1.1.4.9 LCSI */
          if (l >= 1)
            out->lcsi = v[0];
          break;
        case 0x80:                               /* §11.1.1.4.1 file size */
          out->file_size = be_uint (v, l);
          break;
        case 0x81:                               /* §11.1.1.4.2 total file size */
          out->total_size = be_uint (v, l);
          break;
        case 0x88:                               /* §11.1.1.4.8 SFI */
          have_sfi_tag = TRUE;
          out->sfi = l >= 1 ? v[0] >> 3 : -1;
          break;
        default:                                 /* A5, C6, 8B, 8C, AB, ... */
          break;
        }
    }

  if (!have_sfi_tag && out->structure != SV_FILE_STRUCTURE_DF &&
      out->structure != SV_FILE_STRUCTURE_UNKNOWN)
    out->sfi = out->fid & 0x1F;

  if ((out->structure == SV_FILE_STRUCTURE_LINEAR_FIXED ||
       out->structure == SV_FILE_STRUCTURE_CYCLIC) && out->record_len > 0)
    {
      /* Either of tag 80 and the record count in tag 82 gives the other. */
      if (out->n_records == 0)
        out->n_records = out->file_size / out->record_len;
      if (out->file_size == 0)
        out->file_size = (gsize) out->record_len * out->n_records;
    }

  return TRUE;
}

/**
 * sv_fcp_decode:
 * @data: the FCP template (response to SELECT with P2 = 0x04), tag 0x62
 * @len: its length
 * @flags: #SV_FILE_INFO_LENIENT_STRUCTURE to read an undefined EF
 *   structure code as linear fixed (with a record length) or transparent
 * @out: (out caller-allocates): clear with sv_file_info_clear()
 * @error: return location for a #GError
 *
 * Decodes an FCP template (TS 102.221 §11.1.1.3 / §11.1.1.4):
 * 82 file descriptor (FDB §11.1.1.4.3: b6-b4 111 = DF, b3-b1 001
 * transparent, 010 linear fixed, 110 cyclic; FDB 0x39 BER-TLV; then
 * data coding byte, 2-byte record length, number of records), 83 FID,
 * 84 DF name, 8A LCSI, 80 file size, 81 total file size, 88 SFI (absent:
 * the 5 low bits of the FID; empty: no SFI). Other tags are skipped. A
 * template without tag 82, or (strict) with an undefined structure code,
 * gives %SV_FILE_STRUCTURE_UNKNOWN.
 *
 * Returns: %TRUE on success
 */
gboolean
sv_fcp_decode (const guint8     *data,
               gsize             len,
               SvFileInfoFlags   flags,
               SvFileInfo       *out,
               GError          **error)
{
  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  memset (out, 0, sizeof *out);
  if (!fcp_decode (data, len, flags, out, error))
    {
      sv_file_info_clear (out);
      return FALSE;
    }
  return TRUE;
}

/**
 * sv_gsm_file_header_decode:
 * @data: the response to a 2G SELECT / GET RESPONSE
 * @len: its length
 * @flags: #SV_FILE_INFO_LENIENT_STRUCTURE to read an EF structure byte
 *   other than 00, 01 and 03 as linear fixed (with a record length) or
 *   transparent, instead of failing
 * @out: (out caller-allocates): clear with sv_file_info_clear()
 * @error: return location for a #GError
 *
 * Decodes the GSM file header (TS 51.011 §9.2.1): bytes 3-4 file size
 * (EF) or free memory (MF/DF), 5-6 file ID, 7 type (01 MF, 02 DF, 04 EF),
 * 12 file status (b1: 0 invalidated), 14 EF structure (00 transparent,
 * 01 linear fixed, 03 cyclic), 15 record length (required for a record
 * EF, 00 is an error).
 *
 * Returns: %TRUE on success
 */
gboolean
sv_gsm_file_header_decode (const guint8     *data,
                           gsize             len,
                           SvFileInfoFlags   flags,
                           SvFileInfo       *out,
                           GError          **error)
{
  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  memset (out, 0, sizeof *out);
  out->sfi = -1;
  out->structure = SV_FILE_STRUCTURE_UNKNOWN;

  if (len < 7)
    {
      g_set_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_TRUNCATED,
                   "at byte %" G_GSIZE_FORMAT ": a GSM file header has at least 14 bytes", len);
      return FALSE;
    }

  out->fid = (data[4] << 8) | data[5];
  out->fdb = data[6];

  switch (data[6])
    {
    case 0x01:                                   /* MF */
    case 0x02:                                   /* DF */
      out->structure = SV_FILE_STRUCTURE_DF;
      out->total_size = (data[2] << 8) | data[3];
      return TRUE;

    case 0x04:                                   /* EF */
      if (len < 14)
        {
          g_set_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_TRUNCATED,
                       "at byte %" G_GSIZE_FORMAT ": an EF header has at least 14 bytes", len);
          return FALSE;
        }
      out->file_size = (data[2] << 8) | data[3];
      out->lcsi = (data[11] & 0x01) ? 0x05 : 0x04;
      switch (data[13])
        {
        case 0x00:
          out->structure = SV_FILE_STRUCTURE_TRANSPARENT;
          return TRUE;
        case 0x01:
          out->structure = SV_FILE_STRUCTURE_LINEAR_FIXED;
          break;
        case 0x03:
          out->structure = SV_FILE_STRUCTURE_CYCLIC;
          break;
        default:
          if (!(flags & SV_FILE_INFO_LENIENT_STRUCTURE))
            {
              g_set_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_INVALID,
                           "at byte 13: EF structure 0x%02X is not 00, 01 or 03", data[13]);
              return FALSE;
            }
          out->structure = lenient_structure (len >= 15 ? data[14] : 0);
          if (out->structure == SV_FILE_STRUCTURE_TRANSPARENT)
            return TRUE;
          break;
        }
      if (len < 15)
        {
          g_set_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_TRUNCATED,
                       "at byte %" G_GSIZE_FORMAT ": a record EF header has 15 bytes", len);
          return FALSE;
        }
      if (data[14] == 0)
        {
          g_set_error_literal (error, SV_CODEC_ERROR, SV_CODEC_ERROR_INVALID,
                               "at byte 14: a record EF has a record length of 0");
          return FALSE;
        }
      out->record_len = data[14];
      out->n_records = out->file_size / out->record_len;
      return TRUE;

    default:
      g_set_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_INVALID,
                   "at byte 6: file type 0x%02X is not MF (01), DF (02) or EF (04)", data[6]);
      return FALSE;
    }
}

/**
 * sv_file_info_decode:
 * @data: the answer to SELECT (after any GET RESPONSE)
 * @len: its length
 * @flags: see #SvFileInfoFlags
 * @out: (out caller-allocates): clear with sv_file_info_clear()
 * @error: return location for a #GError
 *
 * Decodes what SELECT answered whatever the card: an FCP template when it
 * starts with tag 62 (a UICC), else a 2G file header, whose byte 1 is RFU
 * and 00 (a SIM, or a UICC answering in 2G form).
 *
 * Returns: %TRUE on success
 */
gboolean
sv_file_info_decode (const guint8     *data,
                     gsize             len,
                     SvFileInfoFlags   flags,
                     SvFileInfo       *out,
                     GError          **error)
{
  if (len > 0 && data[0] == 0x62)
    return sv_fcp_decode (data, len, flags, out, error);
  return sv_gsm_file_header_decode (data, len, flags, out, error);
}
