/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Short messages out of the mirror: as JSON, and as the XML of the Android
 * app "SMS Backup & Restore" (<smses count><sms address date type body
 * read …/></smses>, date in milliseconds since 1970, type 1 received,
 * 2 sent, 4 outbox). Both keep each EF_SMS record's raw bytes as hex (the
 * XML in an extra attribute, which that app ignores), so nothing the
 * decoder does not understand is lost.
 *
 * Both are checked by standard parsers in the tests (python's json and
 * xml.etree, tests/mirror/test-exports.py), not by string comparison.
 */
#define G_LOG_DOMAIN "sv-sms-export"

#include "config.h"

#include "sv-hex.h"
#include "sv-sms-export.h"

/* Hex of every record of the message, in part order, comma-separated. */
static char *
raw_records (const SvMessage *message,
             SvCardImage     *image)
{
  const guint *indices = sv_message_get_record_indices (message);
  GString *out = g_string_new (NULL);

  for (guint p = 0; p < sv_message_get_n_parts (message); p++)
    {
      GBytes *rec = indices && indices[p] ? sv_card_image_get_record (image, "sms", indices[p]) : NULL;
      g_autofree char *hex = rec ? sv_gbytes_to_hex (rec) : g_strdup ("");

      if (p > 0)
        g_string_append_c (out, ',');
      g_string_append (out, hex);
    }
  return g_string_free (out, FALSE);
}

/**
 * sv_date_time_format_rfc3339:
 * @time: a time
 *
 * RFC 3339 §5.6 `date-time`: "2024-05-01T10:00:00+02:00", with the offset
 * as hours *and* minutes. g_date_time_format_iso8601() writes a whole-hour
 * offset as "+02", which RFC 3339, JavaScript's Date and most JSON
 * consumers reject.
 *
 * Returns: (transfer full): the text
 */
char *
sv_date_time_format_rfc3339 (GDateTime *time)
{
  g_return_val_if_fail (time != NULL, NULL);

  if (g_date_time_get_utc_offset (time) == 0)
    return g_date_time_format (time, "%Y-%m-%dT%H:%M:%SZ");
  return g_date_time_format (time, "%Y-%m-%dT%H:%M:%S%:z");
}

JsonNode *
sv_sms_export_json_node (GPtrArray   *messages,
                         SvCardImage *image)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_array (b);
  for (guint i = 0; i < messages->len; i++)
    {
      const SvMessage *m = g_ptr_array_index (messages, i);
      GDateTime *ts = sv_message_get_timestamp (m);
      const guint *indices = sv_message_get_record_indices (m);
      g_autofree char *raw = raw_records (m, image);
      g_auto(GStrv) parts = g_strsplit (raw, ",", -1);

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "index");
      json_builder_add_int_value (b, sv_message_get_index (m));
      json_builder_set_member_name (b, "status");
      json_builder_add_string_value (b, sv_message_status_to_string (sv_message_get_status (m)));
      json_builder_set_member_name (b, "type");
      json_builder_add_string_value (b, sv_message_type_to_string (sv_message_get_message_type (m)));
      json_builder_set_member_name (b, "number");
      json_builder_add_string_value (b, sv_message_get_number (m) ? sv_message_get_number (m) : "");
      json_builder_set_member_name (b, "timestamp");
      if (ts != NULL)
        {
          g_autofree char *iso = sv_date_time_format_rfc3339 (ts);
          json_builder_add_string_value (b, iso);
        }
      else
        json_builder_add_null_value (b);
      json_builder_set_member_name (b, "text");
      json_builder_add_string_value (b, sv_message_get_text (m) ? sv_message_get_text (m) : "");
      if (sv_message_get_decode_error (m) != NULL)
        {
          json_builder_set_member_name (b, "decode_error");
          json_builder_add_string_value (b, sv_message_get_decode_error (m));
        }
      json_builder_set_member_name (b, "missing_parts");
      json_builder_add_int_value (b, sv_message_get_n_missing (m));
      json_builder_set_member_name (b, "records");
      json_builder_begin_array (b);
      for (guint p = 0; p < sv_message_get_n_parts (m); p++)
        {
          json_builder_begin_object (b);
          json_builder_set_member_name (b, "index");
          json_builder_add_int_value (b, indices ? indices[p] : 0);
          json_builder_set_member_name (b, "raw");
          json_builder_add_string_value (b, parts[p] ? parts[p] : "");
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  return json_builder_get_root (b);
}

char *
sv_sms_export_json (GPtrArray   *messages,
                    SvCardImage *image)
{
  g_autoptr(JsonNode) root = sv_sms_export_json_node (messages, image);
  g_autoptr(JsonGenerator) gen = json_generator_new ();

  json_generator_set_pretty (gen, TRUE);
  json_generator_set_root (gen, root);
  return json_generator_to_data (gen, NULL);
}

static int
android_type (const SvMessage *m)
{
  switch (sv_message_get_status (m))
    {
    case SV_MESSAGE_STATUS_SENT: return 2;
    case SV_MESSAGE_STATUS_UNSENT: return 4;
    case SV_MESSAGE_STATUS_READ:
    case SV_MESSAGE_STATUS_UNREAD:
    case SV_MESSAGE_STATUS_FREE:
    default:
      return sv_message_get_message_type (m) == SV_MESSAGE_TYPE_SUBMIT ? 2 : 1;
    }
}

/*
 * An attribute value that every XML parser gives back as it was. XML 1.0
 * §3.3.3 normalises a literal line break or tab in an attribute value to a
 * space, so they are written as character references; characters XML 1.0
 * §2.2 does not allow at all (C0 controls but tab, CR and LF; U+FFFE,
 * U+FFFF), which g_markup_escape_text() would write as references a
 * parser rejects, become U+FFFD: the record's raw bytes (simvault_pdu)
 * keep the original.
 */
static void
append_attr (GString    *out,
             const char *name,
             const char *value)
{
  g_autofree char *valid = g_utf8_make_valid (value ? value : "", -1);

  g_string_append_printf (out, " %s=\"", name);
  for (const char *p = valid; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      switch (c)
        {
        case '&': g_string_append (out, "&amp;"); break;
        case '<': g_string_append (out, "&lt;"); break;
        case '>': g_string_append (out, "&gt;"); break;
        case '"': g_string_append (out, "&quot;"); break;
        case '\'': g_string_append (out, "&apos;"); break;
        case '\n': g_string_append (out, "&#10;"); break;
        case '\r': g_string_append (out, "&#13;"); break;
        case '\t': g_string_append (out, "&#9;"); break;
        default:
          g_string_append_unichar (out, c < 0x20 || c == 0xFFFE || c == 0xFFFF ? 0xFFFD : c);
          break;
        }
    }
  g_string_append_c (out, '"');
}

char *
sv_sms_export_xml (GPtrArray   *messages,
                   SvCardImage *image)
{
  GString *out = g_string_new ("<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n");

  g_string_append_printf (out, "<smses count=\"%u\">\n", messages->len);
  for (guint i = 0; i < messages->len; i++)
    {
      const SvMessage *m = g_ptr_array_index (messages, i);
      GDateTime *ts = sv_message_get_timestamp (m);
      g_autofree char *date = g_strdup_printf ("%" G_GINT64_FORMAT,
                                               ts ? g_date_time_to_unix (ts) * 1000 : 0);
      g_autofree char *type = g_strdup_printf ("%d", android_type (m));
      g_autofree char *readable = ts ? g_date_time_format (ts, "%d %b %Y %H:%M:%S") : g_strdup ("");
      g_autofree char *raw = raw_records (m, image);

      g_string_append (out, "  <sms protocol=\"0\"");
      append_attr (out, "address", sv_message_get_number (m));
      append_attr (out, "date", date);
      append_attr (out, "type", type);
      append_attr (out, "subject", "null");
      append_attr (out, "body", sv_message_get_text (m));
      append_attr (out, "toa", "null");
      append_attr (out, "sc_toa", "null");
      append_attr (out, "service_center", "null");
      append_attr (out, "read", sv_message_get_status (m) == SV_MESSAGE_STATUS_UNREAD ? "0" : "1");
      append_attr (out, "status", "-1");
      append_attr (out, "locked", "0");
      append_attr (out, "date_sent", "0");
      append_attr (out, "readable_date", readable);
      append_attr (out, "contact_name", "(Unknown)");
      append_attr (out, "simvault_pdu", raw);
      g_string_append (out, " />\n");
    }
  g_string_append (out, "</smses>\n");
  return g_string_free (out, FALSE);
}
