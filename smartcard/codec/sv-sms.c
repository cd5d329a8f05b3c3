/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Short messages: the TPDUs of TS 23.040 §9.2 (SMS-DELIVER, SMS-SUBMIT,
 * SMS-STATUS-REPORT), data coding schemes of TS 23.038 §4, EF_SMS
 * records (TS 51.011 §10.5.3, TS 31.102 §4.2.25) and the reassembly of
 * concatenated messages (TS 23.040 §9.2.3.24.1).
 */
#define G_LOG_DOMAIN "sv-codec"

#include "config.h"

#include <string.h>

#include "sv-alpha.h"
#include "sv-codec-error.h"
#include "sv-dialling-number.h"
#include "sv-gsm7.h"
#include "sv-sms.h"

/* A bounds-checked reader; every failure names the byte offset. */
typedef struct
{
  const guint8 *data;
  gsize         len;
  gsize         pos;
  gsize         base;   /* offset of data[0] in what the user passed */
} Reader;

static gboolean
reader_need (Reader      *r,
             gsize        n,
             const char  *what,
             GError     **error)
{
  if (r->len - r->pos < n)
    {
      g_set_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_TRUNCATED,
                   "at byte %" G_GSIZE_FORMAT ": data ends before %s (%" G_GSIZE_FORMAT
                   " byte(s) needed, %" G_GSIZE_FORMAT " left)",
                   r->base + r->pos, what, n, r->len - r->pos);
      return FALSE;
    }
  return TRUE;
}

static gboolean
reader_byte (Reader      *r,
             guint8      *out,
             const char  *what,
             GError     **error)
{
  if (!reader_need (r, 1, what, error))
    return FALSE;
  *out = r->data[r->pos++];
  return TRUE;
}

const char *
sv_sms_type_to_string (SvSmsType type)
{
  switch (type)
    {
    case SV_SMS_TYPE_DELIVER:
      return "SMS-DELIVER";
    case SV_SMS_TYPE_DELIVER_REPORT:
      return "SMS-DELIVER-REPORT";
    case SV_SMS_TYPE_SUBMIT:
      return "SMS-SUBMIT";
    case SV_SMS_TYPE_SUBMIT_REPORT:
      return "SMS-SUBMIT-REPORT";
    case SV_SMS_TYPE_STATUS_REPORT:
      return "SMS-STATUS-REPORT";
    case SV_SMS_TYPE_COMMAND:
      return "SMS-COMMAND";
    default:
      return "unknown";
    }
}

const char *
sv_sms_alphabet_to_string (SvSmsAlphabet alphabet)
{
  switch (alphabet)
    {
    case SV_SMS_ALPHABET_GSM7:
      return "gsm7";
    case SV_SMS_ALPHABET_8BIT:
      return "8bit";
    case SV_SMS_ALPHABET_UCS2:
      return "ucs2";
    default:
      return "unknown";
    }
}

/**
 * sv_ef_sms_status_to_string:
 * @status: bits 3-1 of an EF_SMS status byte
 *
 * Returns: "free", "read", "to_be_read", "sent" or "to_be_sent"
 */
const char *
sv_ef_sms_status_to_string (SvEfSmsStatus status)
{
  switch (status)
    {
    case SV_EF_SMS_FREE:
      return "free";
    case SV_EF_SMS_READ:
      return "read";
    case SV_EF_SMS_TO_BE_READ:
      return "to_be_read";
    case SV_EF_SMS_SENT:
      return "sent";
    case SV_EF_SMS_TO_BE_SENT:
      return "to_be_sent";
    default:
      return "free";
    }
}

/**
 * sv_sms_dcs_decode:
 * @dcs: a TP-DCS octet
 * @info: (out caller-allocates): its meaning
 *
 * Decodes the SMS data coding scheme (TS 23.038 §4). Reserved codings are
 * read as the GSM 7 bit default alphabet, as §4 asks of a receiver.
 */
void
sv_sms_dcs_decode (guint8        dcs,
                   SvSmsDcsInfo *info)
{
  g_return_if_fail (info != NULL);

  memset (info, 0, sizeof *info);
  info->alphabet = SV_SMS_ALPHABET_GSM7;
  info->message_class = -1;

  switch (dcs >> 4)
    {
    case 0x0: case 0x1: case 0x2: case 0x3:   /* 00xx general data coding */
    case 0x4: case 0x5: case 0x6: case 0x7:   /* 01xx automatic deletion */
      info->auto_delete = (dcs & 0x40) != 0;
      info->compressed = (dcs & 0x20) != 0;
      if (dcs & 0x10)
        info->message_class = dcs & 0x03;
      switch ((dcs >> 2) & 0x03)
        {
        case 1:
          info->alphabet = SV_SMS_ALPHABET_8BIT;
          break;
        case 2:
          info->alphabet = SV_SMS_ALPHABET_UCS2;
          break;
        default:                             /* 0 GSM 7 bit, 3 reserved */
          info->alphabet = SV_SMS_ALPHABET_GSM7;
          break;
        }
      break;

    case 0xC:                                 /* 1100 MWI, discard message */
    case 0xD:                                 /* 1101 MWI, store message */
    case 0xE:                                 /* 1110 MWI, store, UCS2 */
      info->mwi_group = TRUE;
      info->mwi_discard = (dcs >> 4) == 0xC;
      info->mwi_active = (dcs & 0x08) != 0;
      info->mwi_type = dcs & 0x03;
      info->alphabet = (dcs >> 4) == 0xE ? SV_SMS_ALPHABET_UCS2 : SV_SMS_ALPHABET_GSM7;
      break;

    case 0xF:                                 /* 1111 data coding/message class */
      info->alphabet = (dcs & 0x04) ? SV_SMS_ALPHABET_8BIT : SV_SMS_ALPHABET_GSM7;
      info->message_class = dcs & 0x03;
      break;

    default:                                  /* 1000-1011 reserved */
      break;
    }
}

static gint
bcd_byte_swapped (guint8 b)
{
  guint lo = b & 0x0F, hi = b >> 4;

  if (lo > 9 || hi > 9)
    return -1;
  return lo * 10 + hi;
}

/**
 * sv_sms_timestamp_decode:
 * @data: 7 octets of a TP-SCTS / TP-DT / absolute TP-VP
 *
 * Decodes a service centre time stamp (TS 23.040 §9.2.3.11): year, month,
 * day, hour, minute, second as swapped-nibble BCD, then the time zone in
 * quarters of an hour with the sign in bit 3. Two-digit years 90-99 are
 * 1990-1999, others 2000-2089.
 *
 * Returns: (transfer full) (nullable): the time with its offset, or %NULL
 *   if a field is not a valid date
 */
GDateTime *
sv_sms_timestamp_decode (const guint8 *data)
{
  g_autoptr(GTimeZone) tz = NULL;
  gint v[6];
  gint quarters;
  guint8 tzb;

  g_return_val_if_fail (data != NULL, NULL);

  for (guint i = 0; i < 6; i++)
    if ((v[i] = bcd_byte_swapped (data[i])) < 0)
      return NULL;

  tzb = data[6];
  if ((tzb >> 4) > 9)
    return NULL;
  quarters = (tzb & 0x07) * 10 + (tzb >> 4);
  if (tzb & 0x08)
    quarters = -quarters;

  tz = g_time_zone_new_offset (quarters * 15 * 60);
  if (tz == NULL)
    return NULL;

  return g_date_time_new (tz, v[0] >= 90 ? 1900 + v[0] : 2000 + v[0],
                          v[1], v[2], v[3], v[4], v[5]);
}

/**
 * sv_sms_timestamp_encode:
 * @dt: a time; its UTC offset must be a whole number of quarter hours
 * @out: (out caller-allocates): 7 octets
 * @error: return location for a #GError
 *
 * Encodes a time stamp (TS 23.040 §9.2.3.11), the inverse of
 * sv_sms_timestamp_decode().
 *
 * Returns: %TRUE on success
 */
gboolean
sv_sms_timestamp_encode (GDateTime  *dt,
                         guint8      out[7],
                         GError    **error)
{
  gint64 offset = g_date_time_get_utc_offset (dt) / G_TIME_SPAN_SECOND;
  gint year = g_date_time_get_year (dt);
  gint v[6];
  gint quarters;

  if (year < 1990 || year > 2089)
    {
      g_set_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_UNENCODABLE,
                   "year %d is outside 1990-2089", year);
      return FALSE;
    }
  if (offset % (15 * 60) != 0 || ABS (offset) / (15 * 60) > 79)
    {
      g_set_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_UNENCODABLE,
                   "UTC offset of %" G_GINT64_FORMAT " s is not a quarter-hour multiple within ±19:45",
                   offset);
      return FALSE;
    }

  v[0] = year % 100;
  v[1] = g_date_time_get_month (dt);
  v[2] = g_date_time_get_day_of_month (dt);
  v[3] = g_date_time_get_hour (dt);
  v[4] = g_date_time_get_minute (dt);
  v[5] = g_date_time_get_second (dt);
  for (guint i = 0; i < 6; i++)
    out[i] = (v[i] / 10) | ((v[i] % 10) << 4);

  quarters = ABS (offset) / (15 * 60);
  out[6] = (quarters / 10) | ((quarters % 10) << 4) | (offset < 0 ? 0x08 : 0);
  return TRUE;
}

/**
 * sv_sms_vp_relative_seconds:
 * @vp: a relative TP-VP octet
 *
 * TS 23.040 §9.2.3.12.1: 0-143 (VP+1)*5 min; 144-167 12 h + (VP-143)*30 min;
 * 168-196 (VP-166) days; 197-255 (VP-192) weeks.
 *
 * Returns: the validity period in seconds
 */
guint
sv_sms_vp_relative_seconds (guint8 vp)
{
  if (vp <= 143)
    return (vp + 1) * 5 * 60;
  if (vp <= 167)
    return 12 * 3600 + (vp - 143) * 30 * 60;
  if (vp <= 196)
    return (vp - 166) * 86400;
  return (vp - 192) * 7 * 86400;
}

/**
 * sv_sms_vp_relative_encode:
 * @seconds: a validity period
 *
 * Returns: the smallest relative TP-VP octet (TS 23.040 §9.2.3.12.1)
 *   whose period is at least @seconds (255, 63 weeks, at most)
 */
guint8
sv_sms_vp_relative_encode (guint seconds)
{
  for (guint vp = 0; vp < 255; vp++)
    if (sv_sms_vp_relative_seconds (vp) >= seconds)
      return vp;
  return 255;
}

SvSmsTpdu *
sv_sms_tpdu_new (void)
{
  SvSmsTpdu *tpdu = g_new0 (SvSmsTpdu, 1);

  tpdu->smsc_ton_npi = SV_TON_NPI_DEFAULT;
  tpdu->number_ton_npi = SV_TON_NPI_DEFAULT;
  tpdu->dcs_info.message_class = -1;
  return tpdu;
}

void
sv_sms_tpdu_free (SvSmsTpdu *tpdu)
{
  if (tpdu == NULL)
    return;

  g_free (tpdu->smsc);
  g_free (tpdu->number);
  g_clear_pointer (&tpdu->timestamp, g_date_time_unref);
  g_clear_pointer (&tpdu->vp_absolute, g_date_time_unref);
  g_clear_pointer (&tpdu->discharge_time, g_date_time_unref);
  g_clear_pointer (&tpdu->udh, g_bytes_unref);
  g_clear_pointer (&tpdu->user_data, g_bytes_unref);
  g_free (tpdu->text);
  g_free (tpdu->text_error);
  g_free (tpdu);
}

/* RP/SC address (TS 24.011 §8.2.5.2 as used by TS 27.005 and EF_SMS):
 * length in octets including TON/NPI, 0 (or 0xFF, as some phones write
 * in EF_SMS) for none. */
static gboolean
read_smsc (Reader     *r,
           SvSmsTpdu  *tpdu,
           GError    **error)
{
  guint8 n;
  gsize at = r->base + r->pos;

  if (!reader_byte (r, &n, "the SMSC address length", error))
    return FALSE;
  if (n == 0 || n == 0xFF)
    return TRUE;
  if (n > 12)
    {
      g_set_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_INVALID,
                   "at byte %" G_GSIZE_FORMAT ": SMSC address length %u exceeds 12 octets",
                   at, n);
      return FALSE;
    }
  if (!reader_need (r, n, "the end of the SMSC address", error))
    return FALSE;

  tpdu->smsc_ton_npi = r->data[r->pos];
  tpdu->smsc = sv_dialling_number_decode (r->data + r->pos, n, NULL, NULL);
  r->pos += n;
  return TRUE;
}

/* TP-OA/TP-DA/TP-RA (TS 23.040 §9.1.2.5): number of useful semi-octets,
 * TON/NPI, then BCD, or GSM 7 bit packed characters for TON alphanumeric
 * (TS 23.038 §6.2.1). */
static gboolean
read_address (Reader      *r,
              char       **number_out,
              guint8      *ton_npi_out,
              GError     **error)
{
  guint8 n_semi, ton_npi;
  gsize n_bytes;
  const guint8 *bcd;

  if (!reader_byte (r, &n_semi, "the address length", error) ||
      !reader_byte (r, &ton_npi, "the address type", error))
    return FALSE;

  n_bytes = (n_semi + 1) / 2;
  if (!reader_need (r, n_bytes, "the end of the address", error))
    return FALSE;
  bcd = r->data + r->pos;
  r->pos += n_bytes;
  *ton_npi_out = ton_npi;

  if (SV_TON_NPI_TON (ton_npi) == SV_TON_ALPHANUMERIC)
    {
      g_autofree guint8 *septets = NULL;
      gsize n_septets = (gsize) n_semi * 4 / 7;

      septets = sv_gsm7_unpack (bcd, n_bytes, n_septets, 0, error);
      if (septets == NULL)
        return FALSE;
      *number_out = sv_gsm7_decode_unpacked (septets, n_septets, error);
      return *number_out != NULL;
    }
  else
    {
      g_autoptr(GString) digits = g_string_sized_new (n_semi + 1);

      for (guint i = 0; i < n_semi; i++)
        {
          guint8 d = (i % 2 == 0) ? (bcd[i / 2] & 0x0F) : (bcd[i / 2] >> 4);

          if (d != 0xF)
            g_string_append_c (digits, sv_bcd_digit_to_char (d));
        }
      *number_out = sv_dialling_number_format (digits->str, ton_npi);
    }

  return TRUE;
}

static gboolean
read_timestamp (Reader      *r,
                GDateTime  **out,
                guint8       raw[7],
                gboolean    *has_raw,
                const char  *what,
                GError     **error)
{
  if (!reader_need (r, 7, what, error))
    return FALSE;
  memcpy (raw, r->data + r->pos, 7);
  *has_raw = TRUE;
  *out = sv_sms_timestamp_decode (r->data + r->pos);
  r->pos += 7;
  return TRUE;
}

/* TS 23.040 §9.2.3.12 */
static gboolean
read_validity (Reader     *r,
               SvSmsTpdu  *tpdu,
               GError    **error)
{
  switch (tpdu->vp_format)
    {
    case SV_SMS_VP_NONE:
      return TRUE;

    case SV_SMS_VP_RELATIVE:                 /* §9.2.3.12.1 */
      if (!reader_byte (r, &tpdu->vp_raw[0], "the validity period", error))
        return FALSE;
      tpdu->vp_seconds = sv_sms_vp_relative_seconds (tpdu->vp_raw[0]);
      return TRUE;

    case SV_SMS_VP_ABSOLUTE:                 /* §9.2.3.12.2 */
      if (!reader_need (r, 7, "the validity period", error))
        return FALSE;
      memcpy (tpdu->vp_raw, r->data + r->pos, 7);
      tpdu->vp_absolute = sv_sms_timestamp_decode (r->data + r->pos);
      r->pos += 7;
      return TRUE;

    case SV_SMS_VP_ENHANCED:                 /* §9.2.3.12.3 */
      if (!reader_need (r, 7, "the enhanced validity period", error))
        return FALSE;
      memcpy (tpdu->vp_raw, r->data + r->pos, 7);
      r->pos += 7;
      switch (tpdu->vp_raw[0] & 0x07)
        {
        case 1:                               /* relative, as §9.2.3.12.1 */
          tpdu->vp_seconds = sv_sms_vp_relative_seconds (tpdu->vp_raw[1]);
          break;
        case 2:                               /* relative, 0-255 seconds */
          tpdu->vp_seconds = tpdu->vp_raw[1];
          break;
        case 3:                               /* relative, hh:mm:ss BCD */
          {
            gint h = bcd_byte_swapped (tpdu->vp_raw[1]);
            gint m = bcd_byte_swapped (tpdu->vp_raw[2]);
            gint s = bcd_byte_swapped (tpdu->vp_raw[3]);

            if (h >= 0 && m >= 0 && s >= 0)
              tpdu->vp_seconds = h * 3600 + m * 60 + s;
          }
          break;
        default:                              /* 0 none, 4-7 reserved */
          break;
        }
      return TRUE;

    default:
      return TRUE;
    }
}

/* User data header information elements (TS 23.040 §9.2.3.24). */
static gboolean
parse_udh (const guint8  *h,
           gsize          len,
           gsize          at,
           SvSmsTpdu     *tpdu,
           GError       **error)
{
  gsize i = 0;

  while (i < len)
    {
      guint8 iei, iel;
      const guint8 *d;

      if (len - i < 2)
        {
          g_set_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_INVALID,
                       "at byte %" G_GSIZE_FORMAT ": user data header ends inside an information element",
                       at + i);
          return FALSE;
        }
      iei = h[i];
      iel = h[i + 1];
      if (len - i - 2 < iel)
        {
          g_set_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_INVALID,
                       "at byte %" G_GSIZE_FORMAT ": UDH element 0x%02X of %u bytes overruns the header",
                       at + i, iei, iel);
          return FALSE;
        }
      d = h + i + 2;

      /* §9.2.3.24.1, .3, .4, .8: these elements have a fixed length */
      {
        gint fixed = iei == 0x00 ? 3 : iei == 0x08 ? 4 : iei == 0x04 ? 2 : iei == 0x05 ? 4 : -1;

        if (fixed >= 0 && iel != fixed)
          {
            g_set_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_INVALID,
                         "at byte %" G_GSIZE_FORMAT ": UDH element 0x%02X has %u bytes, it must have %d",
                         at + i, iei, iel, fixed);
            return FALSE;
          }
      }

      switch (iei)
        {
        case 0x00:                            /* §9.2.3.24.1 concat, 8 bit ref */
          /* An element with total or seq 0, or seq > total, is ignored */
          if (iel == 3 && d[1] != 0 && d[2] != 0 && d[2] <= d[1])
            {
              tpdu->concat = TRUE;
              tpdu->concat_16bit = FALSE;
              tpdu->concat_ref = d[0];
              tpdu->concat_total = d[1];
              tpdu->concat_seq = d[2];
            }
          break;
        case 0x08:                            /* §9.2.3.24.8 concat, 16 bit ref */
          if (iel == 4 && d[2] != 0 && d[3] != 0 && d[3] <= d[2])
            {
              tpdu->concat = TRUE;
              tpdu->concat_16bit = TRUE;
              tpdu->concat_ref = (d[0] << 8) | d[1];
              tpdu->concat_total = d[2];
              tpdu->concat_seq = d[3];
            }
          break;
        case 0x04:                            /* §9.2.3.24.3 ports, 8 bit */
          if (iel == 2)
            {
              tpdu->ports = TRUE;
              tpdu->ports_16bit = FALSE;
              tpdu->port_dst = d[0];
              tpdu->port_src = d[1];
            }
          break;
        case 0x05:                            /* §9.2.3.24.4 ports, 16 bit */
          if (iel == 4)
            {
              tpdu->ports = TRUE;
              tpdu->ports_16bit = TRUE;
              tpdu->port_dst = (d[0] << 8) | d[1];
              tpdu->port_src = (d[2] << 8) | d[3];
            }
          break;
        default:                              /* kept raw in tpdu->udh */
          break;
        }

      i += 2 + iel;
    }

  return TRUE;
}

/* TP-UDL and TP-UD (TS 23.040 §9.2.3.16, §9.2.3.24): with TP-UDHI the
 * header comes first; in GSM 7 bit the text starts at the next septet
 * boundary after the header (fill bits). */
static gboolean
read_user_data (Reader     *r,
                SvSmsTpdu  *tpdu,
                GError    **error)
{
  const guint8 *ud;
  gsize ud_at, ud_bytes, hdr_bytes = 0;
  gboolean septets;

  if (!reader_byte (r, &tpdu->udl, "TP-UDL", error))
    return FALSE;

  sv_sms_dcs_decode (tpdu->dcs, &tpdu->dcs_info);
  septets = tpdu->dcs_info.alphabet == SV_SMS_ALPHABET_GSM7 && !tpdu->dcs_info.compressed;

  /* §9.2.3.16: at most 160 septets, or 140 octets for 8 bit, UCS2 and
   * compressed data; a longer TP-UDL is no SMS, whatever follows. */
  if (tpdu->udl > (septets ? 160 : 140))
    {
      g_set_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_INVALID,
                   "at byte %" G_GSIZE_FORMAT ": TP-UDL %u is over the maximum of %s",
                   r->base + r->pos - 1, tpdu->udl, septets ? "160 septets" : "140 octets");
      return FALSE;
    }
  ud_bytes = septets ? sv_gsm7_packed_length (tpdu->udl, 0) : tpdu->udl;
  ud_at = r->base + r->pos;
  if (!reader_need (r, ud_bytes, "the end of the user data (TP-UDL)", error))
    return FALSE;
  ud = r->data + r->pos;
  r->pos += ud_bytes;

  if (tpdu->udhi && tpdu->udl > 0)
    {
      guint8 udhl = ud[0];

      hdr_bytes = 1 + (gsize) udhl;
      if (hdr_bytes > ud_bytes || (septets && hdr_bytes * 8 > (gsize) tpdu->udl * 7))
        {
          g_set_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_INVALID,
                       "at byte %" G_GSIZE_FORMAT ": user data header length %u exceeds the user data",
                       ud_at, udhl);
          return FALSE;
        }
      tpdu->udh = g_bytes_new (ud + 1, udhl);
      if (!parse_udh (ud + 1, udhl, ud_at + 1, tpdu, error))
        return FALSE;
    }

  if (tpdu->dcs_info.compressed)
    {
      tpdu->user_data = g_bytes_new (ud + hdr_bytes, ud_bytes - hdr_bytes);
      tpdu->text_error = g_strdup ("compressed user data (TS 23.042) is not supported");
      return TRUE;
    }

  switch (tpdu->dcs_info.alphabet)
    {
    case SV_SMS_ALPHABET_GSM7:
      {
        g_autofree guint8 *all = NULL;
        gsize hdr_septets = (hdr_bytes * 8 + 6) / 7;
        gsize n = tpdu->udl - hdr_septets;

        all = sv_gsm7_unpack (ud, ud_bytes, tpdu->udl, 0, error);
        if (all == NULL)
          return FALSE;
        tpdu->user_data = g_bytes_new (all + hdr_septets, n);
        tpdu->text = sv_gsm7_decode_unpacked (all + hdr_septets, n, error);
        return tpdu->text != NULL;
      }

    case SV_SMS_ALPHABET_UCS2:
      /* UCS2 text is whole 16-bit characters (TS 23.038 §6.2.3) */
      if ((ud_bytes - hdr_bytes) % 2 != 0)
        {
          g_set_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_INVALID,
                       "at byte %" G_GSIZE_FORMAT ": UCS2 user data of %" G_GSIZE_FORMAT
                       " octets ends inside a character", ud_at + hdr_bytes, ud_bytes - hdr_bytes);
          return FALSE;
        }
      tpdu->user_data = g_bytes_new (ud + hdr_bytes, ud_bytes - hdr_bytes);
      tpdu->text = sv_utf16be_decode (ud + hdr_bytes, ud_bytes - hdr_bytes);
      return TRUE;

    case SV_SMS_ALPHABET_8BIT:
      tpdu->user_data = g_bytes_new (ud + hdr_bytes, ud_bytes - hdr_bytes);
      /* 8 bit data has no character set; shown as ISO 8859-1 */
      tpdu->text = g_convert ((const char *) ud + hdr_bytes, ud_bytes - hdr_bytes,
                              "UTF-8", "ISO-8859-1", NULL, NULL, NULL);
      if (tpdu->text == NULL)
        tpdu->text = g_strdup ("");
      return TRUE;

    default:
      g_assert_not_reached ();
    }

  return TRUE;
}

static SvSmsTpdu *tpdu_decode_at (const guint8    *data,
                                  gsize            len,
                                  gsize            base,
                                  gboolean         has_smsc,
                                  SvSmsDirection   direction,
                                  GError         **error);

/**
 * sv_sms_tpdu_decode:
 * @data: the TPDU, optionally preceded by the SMSC address
 * @len: number of bytes
 * @has_smsc: %TRUE if @data starts with the SMSC address (TS 27.005
 *   PDU mode, as from AT+CMGR, and EF_SMS)
 * @direction: which way the message travelled; the TP-MTI bits mean
 *   different types each way (TS 23.040 §9.2.3.1)
 * @error: return location for a #GError
 *
 * Decodes SMS-DELIVER (§9.2.2.1), SMS-SUBMIT (§9.2.2.2) and
 * SMS-STATUS-REPORT (§9.2.2.3). A reserved MTI 11 received by the phone is
 * read as SMS-DELIVER (§9.2.3.1). Compressed user data leaves @text %NULL
 * with @text_error set, but the header is still decoded. Bytes after the
 * user data are ignored (EF_SMS pads with 0xFF).
 *
 * Returns: (transfer full): the TPDU, or %NULL with @error set (the
 *   message gives the byte offset)
 */
SvSmsTpdu *
sv_sms_tpdu_decode (const guint8    *data,
                    gsize            len,
                    gboolean         has_smsc,
                    SvSmsDirection   direction,
                    GError         **error)
{
  g_return_val_if_fail (data != NULL || len == 0, NULL);

  return tpdu_decode_at (data, len, 0, has_smsc, direction, error);
}

static SvSmsTpdu *
tpdu_decode_at (const guint8    *data,
                gsize            len,
                gsize            base,
                gboolean         has_smsc,
                SvSmsDirection   direction,
                GError         **error)
{
  g_autoptr(SvSmsTpdu) tpdu = sv_sms_tpdu_new ();
  Reader r = { data, len, 0, base };
  gsize fo_at;
  guint8 fo, mti;

  if (has_smsc && !read_smsc (&r, tpdu, error))
    return NULL;

  fo_at = r.base + r.pos;

  if (!reader_byte (&r, &fo, "the first octet of the TPDU", error))
    return NULL;

  tpdu->first_octet = fo;
  mti = fo & 0x03;
  tpdu->udhi = (fo & 0x40) != 0;
  tpdu->rp = (fo & 0x80) != 0;
  tpdu->srr = (fo & 0x20) != 0;

  switch (direction)
    {
    case SV_SMS_DIRECTION_MO:
      tpdu->type = mti == 0 ? SV_SMS_TYPE_DELIVER_REPORT :
                   mti == 1 ? SV_SMS_TYPE_SUBMIT : SV_SMS_TYPE_COMMAND;
      if (mti == 3)
        {
          g_set_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_INVALID,
                       "at byte %" G_GSIZE_FORMAT ": TP-MTI 11 is reserved", fo_at);
          return NULL;
        }
      break;
    case SV_SMS_DIRECTION_MT:
      tpdu->type = mti == 1 ? SV_SMS_TYPE_SUBMIT_REPORT :
                   mti == 2 ? SV_SMS_TYPE_STATUS_REPORT : SV_SMS_TYPE_DELIVER;
      break;
    case SV_SMS_DIRECTION_AUTO:
    default:
      tpdu->type = mti == 1 ? SV_SMS_TYPE_SUBMIT :
                   mti == 2 ? SV_SMS_TYPE_STATUS_REPORT : SV_SMS_TYPE_DELIVER;
      break;
    }

  switch (tpdu->type)
    {
    case SV_SMS_TYPE_DELIVER:                 /* §9.2.2.1 */
      tpdu->mms = (fo & 0x04) == 0;
      tpdu->lp = (fo & 0x08) != 0;
      if (!read_address (&r, &tpdu->number, &tpdu->number_ton_npi, error) ||
          !reader_byte (&r, &tpdu->pid, "TP-PID", error) ||
          !reader_byte (&r, &tpdu->dcs, "TP-DCS", error) ||
          !read_timestamp (&r, &tpdu->timestamp, tpdu->scts_raw, &tpdu->has_scts_raw, "TP-SCTS", error) ||
          !read_user_data (&r, tpdu, error))
        return NULL;
      break;

    case SV_SMS_TYPE_SUBMIT:                  /* §9.2.2.2 */
      tpdu->rd = (fo & 0x04) != 0;
      tpdu->vp_format = (fo >> 3) & 0x03;
      if (!reader_byte (&r, &tpdu->mr, "TP-MR", error) ||
          !read_address (&r, &tpdu->number, &tpdu->number_ton_npi, error) ||
          !reader_byte (&r, &tpdu->pid, "TP-PID", error) ||
          !reader_byte (&r, &tpdu->dcs, "TP-DCS", error) ||
          !read_validity (&r, tpdu, error) ||
          !read_user_data (&r, tpdu, error))
        return NULL;
      break;

    case SV_SMS_TYPE_STATUS_REPORT:           /* §9.2.2.3 */
      tpdu->mms = (fo & 0x04) == 0;
      tpdu->lp = (fo & 0x08) != 0;
      if (!reader_byte (&r, &tpdu->mr, "TP-MR", error) ||
          !read_address (&r, &tpdu->number, &tpdu->number_ton_npi, error) ||
          !read_timestamp (&r, &tpdu->timestamp, tpdu->scts_raw, &tpdu->has_scts_raw, "TP-SCTS", error) ||
          !read_timestamp (&r, &tpdu->discharge_time, tpdu->dt_raw, &tpdu->has_dt_raw, "TP-DT", error) ||
          !reader_byte (&r, &tpdu->status, "TP-ST", error))
        return NULL;
      sv_sms_dcs_decode (tpdu->dcs, &tpdu->dcs_info);
      /* TP-PI and what it announces are optional (§9.2.3.27). Like
       * Android, a PI with reserved bits 7-4 set is taken as padding. */
      if (r.pos < r.len && (r.data[r.pos] & 0x78) == 0)
        {
          tpdu->has_pi = TRUE;
          tpdu->pi = r.data[r.pos++];
          while ((r.data[r.pos - 1] & 0x80) && r.pos < r.len)
            r.pos++;                          /* extension octets */
          if ((tpdu->pi & 0x01) && !reader_byte (&r, &tpdu->pid, "TP-PID", error))
            return NULL;
          if ((tpdu->pi & 0x02) && !reader_byte (&r, &tpdu->dcs, "TP-DCS", error))
            return NULL;
          if ((tpdu->pi & 0x04) && !read_user_data (&r, tpdu, error))
            return NULL;
          sv_sms_dcs_decode (tpdu->dcs, &tpdu->dcs_info);
        }
      break;

    case SV_SMS_TYPE_DELIVER_REPORT:
    case SV_SMS_TYPE_SUBMIT_REPORT:
    case SV_SMS_TYPE_COMMAND:
    default:
      g_set_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_UNSUPPORTED,
                   "at byte %" G_GSIZE_FORMAT ": %s TPDUs are not supported",
                   fo_at, sv_sms_type_to_string (tpdu->type));
      return NULL;
    }

  return g_steal_pointer (&tpdu);
}

/* Encoding */

static gboolean
write_address (GByteArray  *out,
               const char  *number,
               guint8       ton_npi,
               GError     **error)
{
  guint8 hdr[2];

  if (number == NULL)
    number = "";

  if (SV_TON_NPI_TON (ton_npi) == SV_TON_ALPHANUMERIC)
    {
      g_autofree guint8 *septets = NULL;
      g_autofree guint8 *packed = NULL;
      gsize n = 0, packed_len = 0;

      septets = sv_gsm7_encode_unpacked (number, &n, error);
      if (septets == NULL)
        return FALSE;
      if (n > 11)
        {
          g_set_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_TOO_LONG,
                       "alphanumeric address of %" G_GSIZE_FORMAT " septets exceeds 11", n);
          return FALSE;
        }
      packed = sv_gsm7_pack (septets, n, 0, &packed_len);
      hdr[0] = (n * 7 + 3) / 4;
      hdr[1] = ton_npi;
      g_byte_array_append (out, hdr, 2);
      g_byte_array_append (out, packed, packed_len);
      return TRUE;
    }
  else
    {
      g_autofree guint8 *bcd = NULL;
      gsize bcd_len = 0;
      guint n_semi;

      bcd = sv_dialling_number_encode (number, ton_npi, &bcd_len, error);
      if (bcd == NULL)
        return FALSE;
      n_semi = (bcd_len - 1) * 2;
      if (bcd_len > 1 && (bcd[bcd_len - 1] >> 4) == 0xF)
        n_semi--;
      if (n_semi > 20)
        {
          g_set_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_TOO_LONG,
                       "address of %u digits exceeds 20", n_semi);
          return FALSE;
        }
      hdr[0] = n_semi;
      hdr[1] = bcd[0];
      g_byte_array_append (out, hdr, 2);
      g_byte_array_append (out, bcd + 1, bcd_len - 1);
      return TRUE;
    }
}

static GBytes *
build_udh (const SvSmsTpdu *tpdu)
{
  GByteArray *h;

  if (tpdu->udh)
    return g_bytes_ref (tpdu->udh);

  h = g_byte_array_new ();
  if (tpdu->concat)
    {
      if (tpdu->concat_16bit)
        {
          guint8 ie[6] = { 0x08, 4, tpdu->concat_ref >> 8, tpdu->concat_ref & 0xFF,
                           tpdu->concat_total, tpdu->concat_seq };
          g_byte_array_append (h, ie, sizeof ie);
        }
      else
        {
          guint8 ie[5] = { 0x00, 3, tpdu->concat_ref & 0xFF, tpdu->concat_total, tpdu->concat_seq };
          g_byte_array_append (h, ie, sizeof ie);
        }
    }
  if (tpdu->ports)
    {
      if (tpdu->ports_16bit)
        {
          guint8 ie[6] = { 0x05, 4, tpdu->port_dst >> 8, tpdu->port_dst & 0xFF,
                           tpdu->port_src >> 8, tpdu->port_src & 0xFF };
          g_byte_array_append (h, ie, sizeof ie);
        }
      else
        {
          guint8 ie[4] = { 0x04, 2, tpdu->port_dst & 0xFF, tpdu->port_src & 0xFF };
          g_byte_array_append (h, ie, sizeof ie);
        }
    }

  return g_byte_array_free_to_bytes (h);
}

/* TS 23.040 §9.2.3.16 and §9.2.3.24 */
static gboolean
write_user_data (GByteArray       *out,
                 gsize             fo_index,
                 const SvSmsTpdu  *tpdu,
                 GError          **error)
{
  g_autoptr(GBytes) udh = build_udh (tpdu);
  g_autoptr(GByteArray) ud = g_byte_array_new ();
  SvSmsDcsInfo info;
  gsize udh_len = g_bytes_get_size (udh);
  gsize hdr_bytes = udh_len > 0 ? udh_len + 1 : 0;
  gsize udl;

  sv_sms_dcs_decode (tpdu->dcs, &info);

  if (udh_len > 139)
    {
      g_set_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_TOO_LONG,
                   "user data header of %" G_GSIZE_FORMAT " bytes is too long", udh_len);
      return FALSE;
    }
  if (hdr_bytes > 0)
    {
      guint8 udhl = udh_len;

      out->data[fo_index] |= 0x40;
      g_byte_array_append (ud, &udhl, 1);
      g_byte_array_append (ud, g_bytes_get_data (udh, NULL), udh_len);
    }
  else
    {
      out->data[fo_index] &= ~0x40;
    }

  if (info.alphabet == SV_SMS_ALPHABET_GSM7 && !info.compressed)
    {
      g_autofree guint8 *septets = NULL;
      g_autofree guint8 *packed = NULL;
      gsize n = 0, packed_len = 0;
      gsize hdr_septets = (hdr_bytes * 8 + 6) / 7;
      guint fill = hdr_septets * 7 - hdr_bytes * 8;

      if (tpdu->text)
        {
          septets = sv_gsm7_encode_unpacked (tpdu->text, &n, error);
          if (septets == NULL)
            return FALSE;
        }
      else if (tpdu->user_data)
        {
          septets = g_bytes_unref_to_data (g_bytes_ref (tpdu->user_data), &n);
        }

      udl = hdr_septets + n;
      if (udl > 160)
        {
          g_set_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_TOO_LONG,
                       "text needs %" G_GSIZE_FORMAT " septets, a message holds %" G_GSIZE_FORMAT,
                       n, 160 - hdr_septets);
          return FALSE;
        }
      /* Fill bits put the first septet on the septet boundary after the
       * header; the packed text starts in the octet after the header. */
      packed = sv_gsm7_pack (septets, n, fill, &packed_len);
      if (packed_len > 0)
        g_byte_array_append (ud, packed, packed_len);
    }
  else
    {
      g_autofree guint8 *octets = NULL;
      gsize n = 0;

      if (info.alphabet == SV_SMS_ALPHABET_UCS2 && tpdu->text && !info.compressed)
        {
          glong n_units = 0;
          g_autofree gunichar2 *units = g_utf8_to_utf16 (tpdu->text, -1, NULL, &n_units, NULL);

          if (units == NULL)
            {
              g_set_error_literal (error, SV_CODEC_ERROR, SV_CODEC_ERROR_INVALID,
                                   "text is not valid UTF-8");
              return FALSE;
            }
          n = n_units * 2;
          octets = g_malloc (MAX (n, 1));
          for (glong i = 0; i < n_units; i++)
            {
              octets[2 * i] = units[i] >> 8;
              octets[2 * i + 1] = units[i] & 0xFF;
            }
        }
      else if (tpdu->user_data)
        {
          octets = g_bytes_unref_to_data (g_bytes_ref (tpdu->user_data), &n);
        }
      else if (tpdu->text)
        {
          /* 8 bit data given as text: ISO 8859-1, as decoded */
          octets = (guint8 *) g_convert (tpdu->text, -1, "ISO-8859-1", "UTF-8", NULL, &n, NULL);
          if (octets == NULL)
            {
              g_set_error_literal (error, SV_CODEC_ERROR, SV_CODEC_ERROR_UNENCODABLE,
                                   "text cannot be sent as 8 bit data (ISO 8859-1)");
              return FALSE;
            }
        }

      udl = hdr_bytes + n;
      if (udl > 140)
        {
          g_set_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_TOO_LONG,
                       "user data needs %" G_GSIZE_FORMAT " octets, a message holds 140", udl);
          return FALSE;
        }
      if (n > 0)
        g_byte_array_append (ud, octets, n);
    }

  {
    guint8 b = udl;

    g_byte_array_append (out, &b, 1);
    g_byte_array_append (out, ud->data, ud->len);
  }
  return TRUE;
}

static gboolean
write_timestamp (GByteArray    *out,
                 GDateTime     *dt,
                 const guint8  *raw,
                 gboolean       has_raw,
                 const char    *what,
                 GError       **error)
{
  guint8 ts[7];

  if (has_raw)
    {
      g_autoptr(GDateTime) from_raw = sv_sms_timestamp_decode (raw);

      if (dt == NULL ||
          (from_raw && g_date_time_equal (from_raw, dt) &&
           g_date_time_get_utc_offset (from_raw) == g_date_time_get_utc_offset (dt)))
        {
          g_byte_array_append (out, raw, 7);
          return TRUE;
        }
    }

  if (dt == NULL)
    {
      g_set_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_INVALID, "%s is missing", what);
      return FALSE;
    }
  if (!sv_sms_timestamp_encode (dt, ts, error))
    return FALSE;
  g_byte_array_append (out, ts, 7);
  return TRUE;
}

/**
 * sv_sms_tpdu_encode:
 * @tpdu: the message (see #SvSmsTpdu for the fields used)
 * @with_smsc: put the SMSC address first (TS 27.005 PDU mode, EF_SMS);
 *   %NULL @smsc gives a zero length byte
 * @len_out: (out): bytes returned
 * @error: return location for a #GError
 *
 * Encodes SMS-DELIVER, SMS-SUBMIT or SMS-STATUS-REPORT (TS 23.040 §9.2.2).
 * TP-UDHI is set from the user data header; GSM 7 bit text after a header
 * starts at a septet boundary (§9.2.3.24).
 *
 * Returns: (transfer full): the TPDU, or %NULL with @error set
 */
guint8 *
sv_sms_tpdu_encode (const SvSmsTpdu  *tpdu,
                    gboolean          with_smsc,
                    gsize            *len_out,
                    GError          **error)
{
  g_autoptr(GByteArray) out = g_byte_array_new ();
  gsize fo_index;
  guint8 fo = 0, b;

  g_return_val_if_fail (tpdu != NULL, NULL);
  g_return_val_if_fail (len_out != NULL, NULL);

  if (with_smsc)
    {
      if (tpdu->smsc == NULL || tpdu->smsc[0] == '\0')
        {
          b = 0;
          g_byte_array_append (out, &b, 1);
        }
      else
        {
          g_autofree guint8 *bcd = NULL;
          gsize n = 0;

          bcd = sv_dialling_number_encode (tpdu->smsc, tpdu->smsc_ton_npi, &n, error);
          if (bcd == NULL)
            return NULL;
          if (n > 12)
            {
              g_set_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_TOO_LONG,
                           "SMSC address of %" G_GSIZE_FORMAT " octets exceeds 12", n);
              return NULL;
            }
          b = n;
          g_byte_array_append (out, &b, 1);
          g_byte_array_append (out, bcd, n);
        }
    }

  fo_index = out->len;
  if (tpdu->rp)
    fo |= 0x80;
  if (tpdu->srr)
    fo |= 0x20;

  switch (tpdu->type)
    {
    case SV_SMS_TYPE_DELIVER:                 /* §9.2.2.1 */
      fo |= 0x00;
      if (!tpdu->mms)
        fo |= 0x04;
      if (tpdu->lp)
        fo |= 0x08;
      g_byte_array_append (out, &fo, 1);
      if (!write_address (out, tpdu->number, tpdu->number_ton_npi, error))
        return NULL;
      g_byte_array_append (out, &tpdu->pid, 1);
      g_byte_array_append (out, &tpdu->dcs, 1);
      if (!write_timestamp (out, tpdu->timestamp, tpdu->scts_raw, tpdu->has_scts_raw, "TP-SCTS", error) ||
          !write_user_data (out, fo_index, tpdu, error))
        return NULL;
      break;

    case SV_SMS_TYPE_SUBMIT:                  /* §9.2.2.2 */
      fo |= 0x01 | ((tpdu->vp_format & 0x03) << 3);
      if (tpdu->rd)
        fo |= 0x04;
      g_byte_array_append (out, &fo, 1);
      g_byte_array_append (out, &tpdu->mr, 1);
      if (!write_address (out, tpdu->number, tpdu->number_ton_npi, error))
        return NULL;
      g_byte_array_append (out, &tpdu->pid, 1);
      g_byte_array_append (out, &tpdu->dcs, 1);
      switch (tpdu->vp_format)
        {
        case SV_SMS_VP_RELATIVE:
          g_byte_array_append (out, tpdu->vp_raw, 1);
          break;
        case SV_SMS_VP_ABSOLUTE:
          if (tpdu->vp_absolute)
            {
              if (!write_timestamp (out, tpdu->vp_absolute, tpdu->vp_raw, TRUE, "TP-VP", error))
                return NULL;
            }
          else
            g_byte_array_append (out, tpdu->vp_raw, 7);
          break;
        case SV_SMS_VP_ENHANCED:
          g_byte_array_append (out, tpdu->vp_raw, 7);
          break;
        case SV_SMS_VP_NONE:
        default:
          break;
        }
      if (!write_user_data (out, fo_index, tpdu, error))
        return NULL;
      break;

    case SV_SMS_TYPE_STATUS_REPORT:           /* §9.2.2.3 */
      fo |= 0x02;
      if (!tpdu->mms)
        fo |= 0x04;
      if (tpdu->lp)
        fo |= 0x08;
      g_byte_array_append (out, &fo, 1);
      g_byte_array_append (out, &tpdu->mr, 1);
      if (!write_address (out, tpdu->number, tpdu->number_ton_npi, error) ||
          !write_timestamp (out, tpdu->timestamp, tpdu->scts_raw, tpdu->has_scts_raw, "TP-SCTS", error) ||
          !write_timestamp (out, tpdu->discharge_time, tpdu->dt_raw, tpdu->has_dt_raw, "TP-DT", error))
        return NULL;
      g_byte_array_append (out, &tpdu->status, 1);
      if (tpdu->has_pi)
        {
          guint8 pi = tpdu->pi & 0x07;

          g_byte_array_append (out, &pi, 1);
          if (pi & 0x01)
            g_byte_array_append (out, &tpdu->pid, 1);
          if (pi & 0x02)
            g_byte_array_append (out, &tpdu->dcs, 1);
          if ((pi & 0x04) && !write_user_data (out, fo_index, tpdu, error))
            return NULL;
        }
      break;

    case SV_SMS_TYPE_DELIVER_REPORT:
    case SV_SMS_TYPE_SUBMIT_REPORT:
    case SV_SMS_TYPE_COMMAND:
    default:
      g_set_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_UNSUPPORTED,
                   "encoding %s TPDUs is not supported", sv_sms_type_to_string (tpdu->type));
      return NULL;
    }

  *len_out = out->len;
  return g_byte_array_free (g_steal_pointer (&out), FALSE);
}

/**
 * sv_ef_sms_record_clear:
 * @rec: a record
 *
 * Frees the TPDU of @rec.
 */
void
sv_ef_sms_record_clear (SvEfSmsRecord *rec)
{
  g_return_if_fail (rec != NULL);

  g_clear_pointer (&rec->tpdu, sv_sms_tpdu_free);
}

/**
 * sv_ef_sms_record_decode:
 * @data: the record (176 bytes on real cards)
 * @len: its length
 * @out: (out caller-allocates): the record; clear with sv_ef_sms_record_clear()
 * @error: return location for a #GError
 *
 * Decodes an EF_SMS record (TS 51.011 §10.5.3, TS 31.102 §4.2.25): the
 * status byte, then the SMSC address (TS 24.011 RP address) and the TPDU,
 * then 0xFF padding. A free record (bit 1 of the status clear) has no
 * TPDU. Received messages are SMS-DELIVER, sent ones SMS-SUBMIT, as the
 * TP-MTI says. Errors give offsets within the record.
 *
 * Returns: %TRUE on success
 */
gboolean
sv_ef_sms_record_decode (const guint8   *data,
                         gsize           len,
                         SvEfSmsRecord  *out,
                         GError        **error)
{
  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  memset (out, 0, sizeof *out);

  if (len < 1)
    {
      g_set_error_literal (error, SV_CODEC_ERROR, SV_CODEC_ERROR_TRUNCATED,
                           "at byte 0: an EF_SMS record needs a status byte");
      return FALSE;
    }

  out->status_byte = data[0];
  out->status = (data[0] & 0x01) ? (data[0] & 0x07) : SV_EF_SMS_FREE;
  out->status_report = out->status == SV_EF_SMS_SENT ? (data[0] >> 3) & 0x03 : 0;

  if (out->status == SV_EF_SMS_FREE)
    return TRUE;

  out->tpdu = tpdu_decode_at (data + 1, len - 1, 1, TRUE, SV_SMS_DIRECTION_AUTO, error);
  if (out->tpdu == NULL)
    return FALSE;

  return TRUE;
}

/**
 * sv_ef_sms_record_encode:
 * @status: the record status
 * @tpdu: (nullable): the message, with its SMSC; %NULL for a free record
 * @out: (out caller-allocates): the record
 * @len: its length (176)
 * @error: return location for a #GError
 *
 * Encodes an EF_SMS record (TS 51.011 §10.5.3): status, SMSC address,
 * TPDU, 0xFF padding. A sent message's status report bits are zero.
 *
 * Returns: %TRUE on success; %SV_CODEC_ERROR_TOO_LONG if it does not fit
 */
gboolean
sv_ef_sms_record_encode (SvEfSmsStatus     status,
                         const SvSmsTpdu  *tpdu,
                         guint8           *out,
                         gsize             len,
                         GError          **error)
{
  g_autofree guint8 *pdu = NULL;
  gsize pdu_len = 0;

  g_return_val_if_fail (out != NULL, FALSE);

  if (len < 1)
    {
      g_set_error_literal (error, SV_CODEC_ERROR, SV_CODEC_ERROR_TOO_LONG,
                           "an EF_SMS record needs at least a status byte");
      return FALSE;
    }

  memset (out, 0xFF, len);
  if (status == SV_EF_SMS_FREE || tpdu == NULL)
    {
      out[0] = 0x00;
      return TRUE;
    }

  pdu = sv_sms_tpdu_encode (tpdu, TRUE, &pdu_len, error);
  if (pdu == NULL)
    return FALSE;
  if (pdu_len > len - 1)
    {
      g_set_error (error, SV_CODEC_ERROR, SV_CODEC_ERROR_TOO_LONG,
                   "message of %" G_GSIZE_FORMAT " bytes does not fit a %" G_GSIZE_FORMAT "-byte record",
                   pdu_len, len);
      return FALSE;
    }

  out[0] = status;
  memcpy (out + 1, pdu, pdu_len);
  return TRUE;
}

/**
 * sv_sms_concat_free:
 * @concat: a reassembled message
 */
void
sv_sms_concat_free (SvSmsConcat *concat)
{
  if (concat == NULL)
    return;
  g_free (concat->number);
  g_clear_pointer (&concat->parts, g_ptr_array_unref);
  g_clear_pointer (&concat->missing, g_array_unref);
  g_free (concat->text);
  g_free (concat);
}

/* The key of a concatenated message (TS 23.040 §9.2.3.24.1, .8): address,
 * type, reference size, reference and part count; then the sequence. */
static gint
concat_cmp (gconstpointer a,
            gconstpointer b)
{
  const SvSmsTpdu *x = *(SvSmsTpdu * const *) a;
  const SvSmsTpdu *y = *(SvSmsTpdu * const *) b;
  gint c;

  c = g_strcmp0 (x->number, y->number);
  if (c != 0)
    return c;
  if (x->concat != y->concat)
    return x->concat ? 1 : -1;
  if (!x->concat)
    return 0;
  if (x->type != y->type)
    return x->type < y->type ? -1 : 1;
  if (x->concat_16bit != y->concat_16bit)
    return x->concat_16bit ? 1 : -1;
  if (x->concat_ref != y->concat_ref)
    return x->concat_ref < y->concat_ref ? -1 : 1;
  if (x->concat_total != y->concat_total)
    return x->concat_total < y->concat_total ? -1 : 1;
  return (gint) x->concat_seq - (gint) y->concat_seq;
}

static gboolean
same_concat_key (const SvSmsTpdu *x,
                 const SvSmsTpdu *y)
{
  return g_strcmp0 (x->number, y->number) == 0 && x->type == y->type &&
         x->concat_16bit == y->concat_16bit && x->concat_ref == y->concat_ref &&
         x->concat_total == y->concat_total;
}

static SvSmsConcat *
concat_new (const SvSmsTpdu *first,
            gboolean         part)
{
  SvSmsConcat *c = g_new0 (SvSmsConcat, 1);

  c->number = g_strdup (first->number);
  c->ref = part ? first->concat_ref : 0;
  c->total = part ? first->concat_total : 1;
  c->parts = g_ptr_array_new ();
  g_ptr_array_set_size (c->parts, c->total);
  c->missing = g_array_new (FALSE, FALSE, sizeof (guint));
  return c;
}

static void
concat_finish (SvSmsConcat *c)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < c->total; i++)
    {
      const SvSmsTpdu *part = g_ptr_array_index (c->parts, i);

      if (part == NULL)
        {
          guint seq = i + 1;

          g_array_append_val (c->missing, seq);
        }
      else if (part->text)
        g_string_append (text, part->text);
    }
  c->complete = c->missing->len == 0;
  c->text = g_string_free (text, FALSE);
}

/**
 * sv_sms_reassemble:
 * @tpdus: (array length=n_tpdus): decoded messages, in any order
 * @n_tpdus: how many
 *
 * Groups the parts of concatenated messages (TS 23.040 §9.2.3.24.1 and
 * §9.2.3.24.8) by sender/recipient, TPDU type, reference (8 or 16 bits)
 * and part count, puts them in sequence order, reports missing sequence
 * numbers and joins the text. Messages without a concatenation element
 * come out as single-part groups. A part whose place is taken already (the
 * same part stored twice) goes to the next group of the same key with that
 * place free, or starts one: no part is dropped, and of two copies the one
 * given first is in the first group.
 *
 * Returns: (transfer full) (element-type SvSmsConcat): one entry per
 *   message, parts borrowed from @tpdus
 */
GPtrArray *
sv_sms_reassemble (SvSmsTpdu * const *tpdus,
                   guint              n_tpdus)
{
  g_autoptr(GPtrArray) sorted = g_ptr_array_new ();
  GPtrArray *result = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_sms_concat_free);
  const SvSmsTpdu *prev = NULL;
  gboolean prev_part = FALSE;
  guint key_start = 0;          /* the first group of the current key */

  g_return_val_if_fail (tpdus != NULL || n_tpdus == 0, result);

  for (guint i = 0; i < n_tpdus; i++)
    if (tpdus[i] != NULL)
      g_ptr_array_add (sorted, tpdus[i]);
  /* g_ptr_array_sort is a stable merge sort: duplicates keep their order */
  g_ptr_array_sort (sorted, concat_cmp);

  for (guint i = 0; i < sorted->len; i++)
    {
      SvSmsTpdu *t = g_ptr_array_index (sorted, i);
      /* The decoder never sets a sequence outside 1..total, but a TPDU
       * built by hand might: such a part is a message of its own. */
      gboolean part = t->concat && t->concat_seq >= 1 && t->concat_seq <= t->concat_total;
      SvSmsConcat *group = NULL;

      if (!(prev != NULL && prev_part && part && same_concat_key (prev, t)))
        key_start = result->len;
      else
        for (guint g = key_start; g < result->len && group == NULL; g++)
          {
            SvSmsConcat *c = g_ptr_array_index (result, g);

            if (g_ptr_array_index (c->parts, t->concat_seq - 1) == NULL)
              group = c;
          }

      if (group == NULL)
        {
          group = concat_new (t, part);
          g_ptr_array_add (result, group);
        }
      g_ptr_array_index (group->parts, part ? t->concat_seq - 1 : 0) = t;

      prev = t;
      prev_part = part;
    }
  for (guint g = 0; g < result->len; g++)
    concat_finish (g_ptr_array_index (result, g));

  return result;
}
