/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Short messages: encoding a TPDU (TS 23.040 §9.2) with its addresses
 * (§9.1.2.5), user data header (§9.2.3.24) and user data in the coding its
 * DCS says (TS 23.038 §4). See sv-sms.c for the rest of sv-sms.h.
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
