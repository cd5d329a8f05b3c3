/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * simvault-cli decode KIND HEX: raw SIM data to one JSON object, for
 * technicians holding a dump and for tests. Everything goes through
 * libsvcodec; this file only parses arguments and builds JSON.
 */
#define G_LOG_DOMAIN "simvault-cli"

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "sv-codec.h"
#include "sv-cli.h"

typedef struct
{
  const char *kind;
  GBytes     *data;
  GPtrArray  *ext;          /* GBytes: EF_EXT1 records, record 1 first */
  guint       fill_bits;
  gint        septets;      /* -1: from the data length */
  gboolean    has_smsc;
  gboolean    type2;
  SvSmsDirection direction;
} DecodeArgs;

static const char *const kinds_help =
  "Usage: simvault-cli decode KIND HEX [OPTION…]\n"
  "\n"
  "Kinds:\n"
  "  gsm7      packed GSM 7 bit septets (--fill-bits N, --septets N)\n"
  "  alpha     alpha identifier (TS 102.221 Annex A)\n"
  "  number    TON/NPI byte + BCD digits\n"
  "  adn       ADN/FDN/MSISDN record (--ext HEX… for EF_EXT1 records 1, 2, …)\n"
  "  ext1      EF_EXT1 record\n"
  "  sms-pdu   SMS TPDU (--smsc if it starts with the SMSC address;\n"
  "            --direction mt|mo, default: from TP-MTI)\n"
  "  ef-sms    EF_SMS record\n"
  "  pbr       EF_PBR record\n"
  "  fcp       FCP template (tag 62) or 2G GET RESPONSE header\n"
  "  anr       EF_ANR record\n"
  "  email     EF_EMAIL record (--type2)\n"
  "  sne       EF_SNE record (--type2)\n"
  "  iccid     EF_ICCID\n"
  "  imsi      EF_IMSI\n"
  "  spn       EF_SPN\n"
  "\n"
  "Digits: 0-9 * #, p = pause (0xC), w = wild (0xD), e = expansion (0xE).\n";

static void
add_bool (JsonBuilder *b,
          const char  *name,
          gboolean     value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_boolean_value (b, value);
}

static void
add_hex (JsonBuilder  *b,
         const char   *name,
         const guint8 *data,
         gsize         len)
{
  g_autofree char *hex = sv_bytes_to_hex (data, len);

  sv_cli_add_string_or_null (b, name, hex);
}

static void
add_time (JsonBuilder *b,
          const char  *name,
          GDateTime   *dt)
{
  g_autofree char *iso = dt ? g_date_time_format (dt, "%Y-%m-%dT%H:%M:%S%:z") : NULL;

  sv_cli_add_string_or_null (b, name, iso);
}

static void
add_number_fields (JsonBuilder *b,
                   guint8       ton_npi)
{
  sv_cli_add_int (b, "ton", SV_TON_NPI_TON (ton_npi));
  sv_cli_add_int (b, "npi", SV_TON_NPI_NPI (ton_npi));
  sv_cli_add_string_or_null (b, "number_type", sv_ton_to_string (SV_TON_NPI_TON (ton_npi)));
}

static int
print_builder (JsonBuilder *b)
{
  json_builder_end_object (b);
  return sv_cli_print_builder (b);
}

static int
decode_gsm7 (const DecodeArgs *args,
             JsonBuilder      *b,
             GError          **error)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (args->data, &len);
  g_autofree guint8 *septets = NULL;
  g_autofree char *text = NULL;
  gsize n;

  if (args->septets >= 0)
    n = args->septets;
  else
    n = len * 8 >= args->fill_bits ? (len * 8 - args->fill_bits) / 7 : 0;

  septets = sv_gsm7_unpack (data, len, n, args->fill_bits, error);
  if (septets == NULL)
    return 1;

  /* Without a septet count, 7 spare bits at the end read as a trailing
   * '@' (0x00): that is padding (TS 23.038 §6.1.2.3.1), so drop it. */
  if (args->septets < 0 && n > 0 && septets[n - 1] == 0x00 &&
      sv_gsm7_packed_length (n - 1, args->fill_bits) == len)
    n--;

  text = sv_gsm7_decode_unpacked (septets, n, error);
  if (text == NULL)
    return 1;

  sv_cli_add_string_or_null (b, "text", text);
  sv_cli_add_int (b, "septets", n);
  sv_cli_add_int (b, "fill_bits", args->fill_bits);
  return 0;
}

static int
decode_alpha (const DecodeArgs *args,
              JsonBuilder      *b,
              GError          **error)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (args->data, &len);
  SvAlphaScheme scheme;
  g_autofree char *text = sv_alpha_decode (data, len, &scheme, error);

  if (text == NULL)
    return 1;
  sv_cli_add_string_or_null (b, "alpha", text);
  sv_cli_add_string_or_null (b, "scheme", sv_alpha_scheme_to_string (scheme));
  return 0;
}

static int
decode_number (const DecodeArgs *args,
               JsonBuilder      *b,
               GError          **error)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (args->data, &len);
  guint8 ton_npi = 0;
  g_autofree char *number = sv_dialling_number_decode (data, len, &ton_npi, error);

  if (number == NULL)
    return 1;
  sv_cli_add_string_or_null (b, "number", number);
  add_number_fields (b, ton_npi);
  return 0;
}

/* EF_EXT1 records from --ext: record N is the Nth argument. If the ADN
 * points outside that range, the records are taken as its chain in the
 * order given (a technician pasting just the chain). */
static gboolean
ext_lookup_cb (guint         record_number,
               SvExt1Record *out,
               gpointer      user_data)
{
  GPtrArray *records = user_data;
  GBytes *rec;
  gsize len;
  const guint8 *data;

  if (record_number < 1 || record_number > records->len)
    return FALSE;
  rec = g_ptr_array_index (records, record_number - 1);
  data = g_bytes_get_data (rec, &len);
  return sv_ext1_record_decode (data, len, out, NULL);
}

static int
decode_adn (const DecodeArgs *args,
            JsonBuilder      *b,
            GError          **error)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (args->data, &len);
  SvAdnRecord rec;
  g_autofree char *number = NULL;

  if (!sv_adn_record_decode (data, len, &rec, error))
    return 1;

  if (args->ext->len > 0 && rec.ext_record != SV_EXT1_NONE)
    {
      for (guint i = 0; i < args->ext->len; i++)
        {
          SvExt1Record ext;
          gsize elen;
          const guint8 *edata = g_bytes_get_data (g_ptr_array_index (args->ext, i), &elen);

          if (!sv_ext1_record_decode (edata, elen, &ext, error))
            {
              g_prefix_error (error, "EXT1 record %u: ", i + 1);
              sv_adn_record_clear (&rec);
              return 1;
            }
        }

      if (rec.ext_record >= 1 && rec.ext_record <= args->ext->len)
        {
          number = sv_adn_number_join_ext1 (&rec, ext_lookup_cb, args->ext, error);
        }
      else
        {
          /* the chain in the order given */
          g_autoptr(GString) s = g_string_new (rec.number);

          for (guint i = 0; i < args->ext->len; i++)
            {
              SvExt1Record ext;
              gsize elen;
              const guint8 *edata = g_bytes_get_data (g_ptr_array_index (args->ext, i), &elen);

              sv_ext1_record_decode (edata, elen, &ext, NULL);
              if (ext.type != 0xFF && (ext.type & SV_EXT1_TYPE_ADDITIONAL_DATA))
                {
                  g_autofree char *digits = sv_bcd_decode (ext.data, MIN (ext.data_len, 10));

                  g_string_append (s, digits);
                }
              if (ext.next_record == SV_EXT1_NONE)
                break;
            }
          number = g_string_free (g_steal_pointer (&s), FALSE);
        }

      if (number == NULL)
        {
          sv_adn_record_clear (&rec);
          return 1;
        }
    }

  sv_cli_add_string_or_null (b, "alpha", rec.alpha);
  sv_cli_add_string_or_null (b, "scheme", sv_alpha_scheme_to_string (rec.alpha_scheme));
  sv_cli_add_string_or_null (b, "number", number ? number : rec.number);
  add_number_fields (b, rec.ton_npi);
  json_builder_set_member_name (b, "ccp");
  if (rec.ccp == 0xFF)
    json_builder_add_null_value (b);
  else
    json_builder_add_int_value (b, rec.ccp);
  json_builder_set_member_name (b, "ext");
  if (rec.ext_record == SV_EXT1_NONE)
    json_builder_add_null_value (b);
  else
    json_builder_add_int_value (b, rec.ext_record);
  add_bool (b, "empty", rec.empty);
  sv_adn_record_clear (&rec);
  return 0;
}

static int
decode_ext1 (const DecodeArgs *args,
             JsonBuilder      *b,
             GError          **error)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (args->data, &len);
  SvExt1Record ext;

  if (!sv_ext1_record_decode (data, len, &ext, error))
    return 1;

  sv_cli_add_int (b, "type", ext.type);
  add_bool (b, "empty", ext.type == 0xFF);
  if (ext.type != 0xFF && (ext.type & SV_EXT1_TYPE_ADDITIONAL_DATA))
    {
      g_autofree char *digits = sv_bcd_decode (ext.data, MIN (ext.data_len, 10));

      sv_cli_add_string_or_null (b, "digits", digits);
    }
  else if (ext.type != 0xFF)
    add_hex (b, "subaddress", ext.data, MIN (ext.data_len, 11));
  json_builder_set_member_name (b, "next");
  if (ext.next_record == SV_EXT1_NONE)
    json_builder_add_null_value (b);
  else
    json_builder_add_int_value (b, ext.next_record);
  return 0;
}

static void
add_sms_fields (JsonBuilder     *b,
                const SvSmsTpdu *t,
                gboolean         in_ef_sms)
{
  sv_cli_add_string_or_null (b, "type", sv_sms_type_to_string (t->type));
  sv_cli_add_string_or_null (b, "smsc", t->smsc);
  sv_cli_add_string_or_null (b, "number", t->number);
  sv_cli_add_string_or_null (b, "number_type", sv_ton_to_string (SV_TON_NPI_TON (t->number_ton_npi)));
  sv_cli_add_int (b, "number_ton_npi", t->number_ton_npi);

  if (t->type == SV_SMS_TYPE_SUBMIT || t->type == SV_SMS_TYPE_STATUS_REPORT)
    sv_cli_add_int (b, "mr", t->mr);

  if (t->type == SV_SMS_TYPE_DELIVER || t->type == SV_SMS_TYPE_STATUS_REPORT)
    add_time (b, "timestamp", t->timestamp);

  if (t->type == SV_SMS_TYPE_STATUS_REPORT)
    {
      add_time (b, "discharge_time", t->discharge_time);
      sv_cli_add_int (b, in_ef_sms ? "report_status" : "status", t->status);
    }

  if (t->type == SV_SMS_TYPE_SUBMIT)
    {
      static const char *const vpf[] = { "none", "enhanced", "relative", "absolute" };

      json_builder_set_member_name (b, "validity");
      json_builder_begin_object (b);
      sv_cli_add_string_or_null (b, "format", vpf[t->vp_format & 3]);
      if (t->vp_format == SV_SMS_VP_RELATIVE || t->vp_format == SV_SMS_VP_ENHANCED)
        sv_cli_add_int (b, "seconds", t->vp_seconds);
      if (t->vp_format == SV_SMS_VP_ABSOLUTE)
        add_time (b, "until", t->vp_absolute);
      if (t->vp_format != SV_SMS_VP_NONE)
        add_hex (b, "raw", t->vp_raw, t->vp_format == SV_SMS_VP_RELATIVE ? 1 : 7);
      json_builder_end_object (b);
      add_bool (b, "reject_duplicates", t->rd);
    }

  if (t->type != SV_SMS_TYPE_STATUS_REPORT || t->has_pi)
    {
      sv_cli_add_int (b, "pid", t->pid);
      sv_cli_add_int (b, "dcs", t->dcs);
      sv_cli_add_string_or_null (b, "alphabet", sv_sms_alphabet_to_string (t->dcs_info.alphabet));
      json_builder_set_member_name (b, "class");
      if (t->dcs_info.message_class < 0)
        json_builder_add_null_value (b);
      else
        json_builder_add_int_value (b, t->dcs_info.message_class);
      add_bool (b, "compressed", t->dcs_info.compressed);
      if (t->dcs_info.mwi_group)
        {
          json_builder_set_member_name (b, "mwi");
          json_builder_begin_object (b);
          add_bool (b, "active", t->dcs_info.mwi_active);
          sv_cli_add_int (b, "type", t->dcs_info.mwi_type);
          add_bool (b, "discard", t->dcs_info.mwi_discard);
          json_builder_end_object (b);
        }
    }

  add_bool (b, "reply_path", t->rp);
  add_bool (b, "status_report", t->srr);

  if (t->type != SV_SMS_TYPE_STATUS_REPORT || (t->has_pi && (t->pi & 0x04)))
    {
      sv_cli_add_int (b, "udl", t->udl);
      sv_cli_add_string_or_null (b, "text", t->text);
      if (t->text_error)
        sv_cli_add_string_or_null (b, "text_error", t->text_error);
      if (t->user_data && t->dcs_info.alphabet != SV_SMS_ALPHABET_GSM7)
        {
          gsize n;
          const guint8 *d = g_bytes_get_data (t->user_data, &n);

          add_hex (b, "data", d, n);
        }
      if (t->udh)
        {
          gsize n;
          const guint8 *d = g_bytes_get_data (t->udh, &n);

          json_builder_set_member_name (b, "udh");
          if (t->concat)
            {
              json_builder_begin_object (b);
              sv_cli_add_int (b, "ref", t->concat_ref);
              sv_cli_add_int (b, "total", t->concat_total);
              sv_cli_add_int (b, "seq", t->concat_seq);
              json_builder_end_object (b);
            }
          else
            json_builder_add_null_value (b);
          if (t->ports)
            {
              json_builder_set_member_name (b, "ports");
              json_builder_begin_object (b);
              sv_cli_add_int (b, "dst", t->port_dst);
              sv_cli_add_int (b, "src", t->port_src);
              json_builder_end_object (b);
            }
          add_hex (b, "udh_hex", d, n);
        }
    }
}

static int
decode_sms_pdu (const DecodeArgs *args,
                JsonBuilder      *b,
                GError          **error)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (args->data, &len);
  g_autoptr(SvSmsTpdu) t = sv_sms_tpdu_decode (data, len, args->has_smsc, args->direction, error);

  if (t == NULL)
    return 1;
  add_sms_fields (b, t, FALSE);
  return 0;
}

static int
decode_ef_sms (const DecodeArgs *args,
               JsonBuilder      *b,
               GError          **error)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (args->data, &len);
  SvEfSmsRecord rec;

  if (!sv_ef_sms_record_decode (data, len, &rec, error))
    return 1;

  sv_cli_add_string_or_null (b, "status", sv_ef_sms_status_to_string (rec.status));
  if (rec.status == SV_EF_SMS_SENT)
    {
      static const char *const sr[] = {
        "not_requested", "requested", "received_not_stored", "received_stored",
      };

      sv_cli_add_string_or_null (b, "status_report_state", sr[rec.status_report & 3]);
    }
  if (rec.tpdu)
    add_sms_fields (b, rec.tpdu, TRUE);
  sv_ef_sms_record_clear (&rec);
  return 0;
}

static int
decode_pbr (const DecodeArgs *args,
            JsonBuilder      *b,
            GError          **error)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (args->data, &len);
  g_autoptr(GArray) entries = sv_pbr_record_decode (data, len, error);

  if (entries == NULL)
    return 1;

  json_builder_set_member_name (b, "entries");
  json_builder_begin_array (b);
  for (guint i = 0; i < entries->len; i++)
    {
      const SvPbrEntry *e = &g_array_index (entries, SvPbrEntry, i);
      g_autofree char *ctag = g_strdup_printf ("%02X", e->constructed_tag);
      g_autofree char *tag = g_strdup_printf ("%02X", e->tag);
      g_autofree char *fid = g_strdup_printf ("%04X", e->fid);

      json_builder_begin_object (b);
      sv_cli_add_string_or_null (b, "template", ctag);
      sv_cli_add_int (b, "type", e->constructed_tag - SV_PBR_TYPE1 + 1);
      sv_cli_add_string_or_null (b, "tag", tag);
      sv_cli_add_string_or_null (b, "file", sv_pbr_tag_to_string (e->tag));
      sv_cli_add_string_or_null (b, "fid", fid);
      json_builder_set_member_name (b, "sfi");
      if (e->sfi < 0)
        json_builder_add_null_value (b);
      else
        json_builder_add_int_value (b, e->sfi);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  return 0;
}

static int
decode_fcp (const DecodeArgs *args,
            JsonBuilder      *b,
            GError          **error)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (args->data, &len);
  SvFileInfo info;
  gboolean fcp = len > 0 && data[0] == 0x62;
  g_autofree char *fid = NULL;

  if (!sv_file_info_decode (data, len, SV_FILE_INFO_STRICT, &info, error))
    return 1;

  fid = g_strdup_printf ("%04X", info.fid);
  sv_cli_add_string_or_null (b, "format", fcp ? "fcp" : "gsm");
  sv_cli_add_string_or_null (b, "fid", fid);
  sv_cli_add_string_or_null (b, "structure", sv_file_structure_to_string (info.structure));
  sv_cli_add_int (b, "file_descriptor", info.fdb);
  sv_cli_add_int (b, "record_len", info.record_len);
  sv_cli_add_int (b, "n_records", info.n_records);
  sv_cli_add_int (b, "file_size", info.file_size);
  sv_cli_add_int (b, "total_size", info.total_size);
  sv_cli_add_int (b, "lcsi", info.lcsi);
  json_builder_set_member_name (b, "sfi");
  if (info.sfi < 0)
    json_builder_add_null_value (b);
  else
    json_builder_add_int_value (b, info.sfi);
  if (info.df_name)
    {
      gsize n;
      const guint8 *d = g_bytes_get_data (info.df_name, &n);

      add_hex (b, "df_name", d, n);
    }
  sv_file_info_clear (&info);
  return 0;
}

static int
decode_anr (const DecodeArgs *args,
            JsonBuilder      *b,
            GError          **error)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (args->data, &len);
  SvAnrRecord rec;

  if (!sv_anr_record_decode (data, len, &rec, error))
    return 1;
  sv_cli_add_int (b, "aas", rec.aas_record);
  sv_cli_add_string_or_null (b, "number", rec.number);
  add_number_fields (b, rec.ton_npi);
  json_builder_set_member_name (b, "ext");
  if (rec.ext_record == SV_EXT1_NONE)
    json_builder_add_null_value (b);
  else
    json_builder_add_int_value (b, rec.ext_record);
  if (rec.has_adn_ref)
    {
      sv_cli_add_int (b, "adn_sfi", rec.adn_sfi);
      sv_cli_add_int (b, "adn_record", rec.adn_record);
    }
  add_bool (b, "empty", rec.empty);
  sv_anr_record_clear (&rec);
  return 0;
}

static int
decode_pb_text (const DecodeArgs *args,
                JsonBuilder      *b,
                GError          **error)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (args->data, &len);
  SvPbTextRecord rec;

  if (!sv_pb_text_record_decode (data, len, args->type2, &rec, error))
    return 1;
  sv_cli_add_string_or_null (b, "text", rec.text);
  sv_cli_add_string_or_null (b, "scheme", sv_alpha_scheme_to_string (rec.scheme));
  if (rec.has_adn_ref)
    {
      sv_cli_add_int (b, "adn_sfi", rec.adn_sfi);
      sv_cli_add_int (b, "adn_record", rec.adn_record);
    }
  add_bool (b, "empty", rec.empty);
  sv_pb_text_record_clear (&rec);
  return 0;
}

static int
decode_iccid (const DecodeArgs *args,
              JsonBuilder      *b,
              GError          **error)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (args->data, &len);
  g_autofree char *iccid = sv_iccid_decode (data, len, error);

  if (iccid == NULL)
    return 1;
  sv_cli_add_string_or_null (b, "iccid", iccid);
  return 0;
}

static int
decode_imsi (const DecodeArgs *args,
             JsonBuilder      *b,
             GError          **error)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (args->data, &len);
  g_autofree char *imsi = sv_imsi_decode (data, len, error);

  if (imsi == NULL)
    return 1;
  sv_cli_add_string_or_null (b, "imsi", imsi);
  return 0;
}

static int
decode_spn (const DecodeArgs *args,
            JsonBuilder      *b,
            GError          **error)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (args->data, &len);
  SvSpn spn;

  if (!sv_spn_decode (data, len, &spn, error))
    return 1;
  sv_cli_add_string_or_null (b, "spn", spn.name);
  sv_cli_add_string_or_null (b, "scheme", sv_alpha_scheme_to_string (spn.scheme));
  sv_cli_add_int (b, "display_condition", spn.display_condition);
  sv_spn_clear (&spn);
  return 0;
}

typedef int (*DecodeFunc) (const DecodeArgs *args,
                           JsonBuilder      *b,
                           GError          **error);

static const struct
{
  const char *kind;
  DecodeFunc  func;
} decoders[] = {
  { "gsm7", decode_gsm7 },
  { "alpha", decode_alpha },
  { "number", decode_number },
  { "adn", decode_adn },
  { "ext1", decode_ext1 },
  { "sms-pdu", decode_sms_pdu },
  { "ef-sms", decode_ef_sms },
  { "pbr", decode_pbr },
  { "fcp", decode_fcp },
  { "anr", decode_anr },
  { "email", decode_pb_text },
  { "sne", decode_pb_text },
  { "iccid", decode_iccid },
  { "imsi", decode_imsi },
  { "spn", decode_spn },
};

static gboolean
parse_uint_arg (const char *text,
                guint       max,
                guint      *out)
{
  guint64 v;

  if (!g_ascii_string_to_unsigned (text, 10, 0, max, &v, NULL))
    return FALSE;
  *out = v;
  return TRUE;
}

static int
usage_error (const char *message)
{
  fprintf (stderr, "simvault-cli decode: %s\n\n%s", message, kinds_help);
  return 2;
}

/**
 * sv_cli_decode:
 * @argc: argument count, argv[0] being "decode"
 * @argv: arguments
 *
 * `simvault-cli decode KIND HEX [--fill-bits N] [--septets N] [--smsc]
 * [--direction mt|mo] [--ext HEX…] [--type2]`: prints one JSON object.
 *
 * Returns: 0, 1 for undecodable input (with {"error": ...}), 2 for usage
 */
int
sv_cli_decode (int    argc,
               char **argv)
{
  g_autoptr(GPtrArray) ext = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autoptr(GBytes) data = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonBuilder) b = NULL;
  DecodeArgs args = { NULL, NULL, ext, 0, -1, FALSE, FALSE, SV_SMS_DIRECTION_AUTO };
  const char *hex = NULL;
  DecodeFunc func = NULL;

  for (int i = 1; i < argc; i++)
    {
      const char *a = argv[i];

      if (g_str_equal (a, "--help") || g_str_equal (a, "-h"))
        {
          fputs (kinds_help, stdout);
          return 0;
        }
      else if (g_str_equal (a, "--smsc"))
        args.has_smsc = TRUE;
      else if (g_str_equal (a, "--type2"))
        args.type2 = TRUE;
      else if (g_str_equal (a, "--fill-bits") || g_str_has_prefix (a, "--fill-bits="))
        {
          const char *v = strchr (a, '=') ? strchr (a, '=') + 1 : (i + 1 < argc ? argv[++i] : "");

          if (!parse_uint_arg (v, 7, &args.fill_bits))
            return usage_error ("--fill-bits takes 0 to 7");
        }
      else if (g_str_equal (a, "--septets") || g_str_has_prefix (a, "--septets="))
        {
          const char *v = strchr (a, '=') ? strchr (a, '=') + 1 : (i + 1 < argc ? argv[++i] : "");
          guint n;

          if (!parse_uint_arg (v, 100000, &n))
            return usage_error ("--septets takes a count");
          args.septets = n;
        }
      else if (g_str_equal (a, "--direction") || g_str_has_prefix (a, "--direction="))
        {
          const char *v = strchr (a, '=') ? strchr (a, '=') + 1 : (i + 1 < argc ? argv[++i] : "");

          if (g_str_equal (v, "mt"))
            args.direction = SV_SMS_DIRECTION_MT;
          else if (g_str_equal (v, "mo"))
            args.direction = SV_SMS_DIRECTION_MO;
          else
            return usage_error ("--direction takes mt or mo");
        }
      else if (g_str_equal (a, "--ext") || g_str_has_prefix (a, "--ext="))
        {
          gboolean any = FALSE;

          if (strchr (a, '='))
            {
              GBytes *rec = sv_hex_decode (strchr (a, '=') + 1, SV_HEX_SEPARATORS, &error);

              if (rec == NULL)
                return sv_cli_fail_error (error);
              g_ptr_array_add (ext, rec);
              any = TRUE;
            }
          while (i + 1 < argc && !g_str_has_prefix (argv[i + 1], "--"))
            {
              GBytes *rec;

              /* Before KIND and HEX are seen, --ext takes one record;
               * after them, every bare word that follows */
              if ((args.kind == NULL || hex == NULL) && any)
                break;
              rec = sv_hex_decode (argv[++i], SV_HEX_SEPARATORS, &error);
              if (rec == NULL)
                return sv_cli_fail_error (error);
              g_ptr_array_add (ext, rec);
              any = TRUE;
            }
          if (!any)
            return usage_error ("--ext takes one or more EF_EXT1 records in hex");
        }
      else if (g_str_has_prefix (a, "--"))
        {
          g_autofree char *msg = g_strdup_printf ("unknown option %s", a);

          return usage_error (msg);
        }
      else if (args.kind == NULL)
        args.kind = a;
      else if (hex == NULL)
        hex = a;
      else
        {
          g_autofree char *msg = g_strdup_printf ("unexpected argument %s", a);

          return usage_error (msg);
        }
    }

  if (args.kind == NULL || hex == NULL)
    return usage_error ("KIND and HEX are required");

  /* An option the kind does not read would do nothing: refuse it, so
   * "decode ef-sms … --smsc" does not look as if it meant something. */
  {
    static const struct { const char *option; const char *kinds; } applies[] = {
      { "--fill-bits", "gsm7" },
      { "--septets", "gsm7" },
      { "--smsc", "sms-pdu" },
      { "--direction", "sms-pdu" },
      { "--ext", "adn" },
      { "--type2", "email sne" },
    };

    for (int i = 1; i < argc; i++)
      for (guint k = 0; k < G_N_ELEMENTS (applies); k++)
        {
          gsize n = strlen (applies[k].option);
          g_auto(GStrv) kinds = NULL;

          if (strncmp (argv[i], applies[k].option, n) != 0 || (argv[i][n] != '\0' && argv[i][n] != '='))
            continue;
          kinds = g_strsplit (applies[k].kinds, " ", -1);
          if (!g_strv_contains ((const char * const *) kinds, args.kind))
            {
              g_autofree char *msg = g_strdup_printf ("%s does nothing for kind %s (it applies to %s)",
                                                      applies[k].option, args.kind, applies[k].kinds);

              return usage_error (msg);
            }
        }
  }

  for (guint i = 0; i < G_N_ELEMENTS (decoders); i++)
    if (g_str_equal (args.kind, decoders[i].kind))
      func = decoders[i].func;
  if (func == NULL)
    {
      g_autofree char *msg = g_strdup_printf ("unknown kind %s", args.kind);

      return usage_error (msg);
    }

  data = sv_hex_decode (hex, SV_HEX_SEPARATORS, &error);
  if (data == NULL)
    return sv_cli_fail_error (error);
  args.data = data;

  b = json_builder_new ();
  json_builder_begin_object (b);
  if (func (&args, b, &error) != 0)
    {
      if (error == NULL)
        g_set_error_literal (&error, SV_CODEC_ERROR, SV_CODEC_ERROR_INVALID, "cannot decode");
      return sv_cli_fail_error (error);
    }
  return print_builder (b);
}
