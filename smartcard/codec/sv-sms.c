/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Short messages: the TPDUs of TS 23.040 §9.2 (SMS-DELIVER, SMS-SUBMIT,
 * SMS-STATUS-REPORT), data coding schemes of TS 23.038 §4; decoding, and
 * what decoding and encoding share. The codec of sv-sms.h is three files:
 * this one, sv-sms-encode.c (TPDU encoding) and sv-sms-ef.c (EF_SMS
 * records and the reassembly of concatenated messages).
 */
#define G_LOG_DOMAIN "sv-codec"

#include "config.h"

#include <string.h>

#include "sv-alpha.h"
#include "sv-codec-error.h"
#include "sv-dialling-number.h"
#include "sv-gsm7.h"
#include "sv-sms.h"
#include "sv-sms-private.h"

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

  return sv_sms_tpdu_decode_at (data, len, 0, has_smsc, direction, error);
}

SvSmsTpdu *
sv_sms_tpdu_decode_at (const guint8    *data,
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
