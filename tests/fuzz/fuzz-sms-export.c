/* SPDX-License-Identifier: GPL-3.0-or-later
 * Fuzz: the SMS files the mirror writes (sync/mirror/sv-sms-export.c).
 * SimVault has no SMS XML *import* (issue 17 asks for one to be fuzzed;
 * none exists): what it does read is EF_SMS, and what it writes from it is
 * the XML of "SMS Backup & Restore" and JSON. The input, cut into 176-byte
 * EF_SMS records, fills a card image; the messages decoded from it are
 * exported, and both files must parse with a standard parser (GMarkup,
 * json-glib) whatever the card held. */
#include "config.h"

#include <json-glib/json-glib.h>

#include "fuzz-outside.h"
#include "sv-sms-export.h"
#include "sv-sms-store.h"

static void
count_sms_cb (GMarkupParseContext  *context,
              const char           *element,
              const char          **names,
              const char          **values,
              gpointer              user_data,
              GError              **error)
{
  if (g_str_equal (element, "sms"))
    (*(guint *) user_data)++;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(SvCardImage) image = sv_card_image_new (SV_CARD_TYPE_SIM);
  g_autoptr(GPtrArray) messages = NULL;
  guint n_records = MAX (1, (size + 175) / 176);

  if (size > 176 * 16)
    return 0;
  sv_card_image_add_file (image, "sms", "3F007F106F3C", SV_FILE_STRUCTURE_LINEAR_FIXED, 176, n_records);
  for (guint i = 0; i < n_records; i++)
    {
      guint8 rec[176];
      gsize at = (gsize) i * 176;
      gsize n = at < size ? MIN (176, size - at) : 0;
      g_autoptr(GBytes) bytes = NULL;

      memset (rec, 0xff, sizeof rec);
      if (n > 0)
        memcpy (rec, data + at, n);
      bytes = g_bytes_new (rec, sizeof rec);
      FUZZ_CHECK (sv_card_image_set_record (image, "sms", i + 1, bytes, NULL));
    }

  messages = sv_sms_store_decode (image, NULL);
  if (messages == NULL)
    return 0;

  {
    g_autofree char *xml = sv_sms_export_xml (messages, image);
    GMarkupParser parser = { .start_element = count_sms_cb };
    guint n_sms = 0;
    g_autoptr(GMarkupParseContext) ctx = g_markup_parse_context_new (&parser, 0, &n_sms, NULL);
    g_autoptr(GError) error = NULL;

    if (!g_markup_parse_context_parse (ctx, xml, -1, &error) ||
        !g_markup_parse_context_end_parse (ctx, &error))
      {
        g_printerr ("exported XML does not parse: %s\n%s\n", error->message, xml);
        FUZZ_CHECK (FALSE);
      }
    FUZZ_CHECK (n_sms == messages->len);
  }
  {
    g_autofree char *json = sv_sms_export_json (messages, image);
    g_autoptr(JsonParser) parser = json_parser_new ();
    g_autoptr(GError) error = NULL;

    if (!json_parser_load_from_data (parser, json, -1, &error))
      {
        g_printerr ("exported JSON does not parse: %s\n", error->message);
        FUZZ_CHECK (FALSE);
      }
    FUZZ_CHECK (JSON_NODE_HOLDS_ARRAY (json_parser_get_root (parser)));
    FUZZ_CHECK (json_array_get_length (json_node_get_array (json_parser_get_root (parser))) == messages->len);
  }
  return 0;
}
