/* SPDX-License-Identifier: GPL-3.0-or-later
 * Fuzz: what simvault-server does with a request body and the strings a
 * request carries (PROTOCOL.md): the JSON parse, every strict request
 * parser, and the field checks (ranges, sync tokens, phone numbers, ICCID,
 * batch ids, hex, times). A body a parser accepts must write back to a
 * canonical form that the same parser accepts again. */
#include "config.h"

#include "fuzz-outside.h"
#include "sv-protocol.h"

#define ROUNDTRIP(type, from, to, node)                                 \
  G_STMT_START {                                                        \
    g_autoptr(GError) e_ = NULL;                                        \
    g_autoptr(type) v_ = from (node, &e_);                              \
    FUZZ_CHECK ((v_ == NULL) == (e_ != NULL));                          \
    if (v_ != NULL)                                                     \
      {                                                                 \
        g_autoptr(JsonNode) again_ = to (v_);                           \
        g_autoptr(GError) e2_ = NULL;                                   \
        g_autoptr(type) back_ = from (again_, &e2_);                    \
        if (back_ == NULL)                                              \
          g_printerr ("re-parse failed: %s\n", e2_->message);           \
        FUZZ_CHECK (back_ != NULL);                                     \
      }                                                                 \
  } G_STMT_END

static void
check_strings (const char *text)
{
  g_autoptr(GError) error = NULL;
  gint64 epoch = 0, modseq = 0;

  {
    g_autoptr(GArray) ranges = sv_index_ranges_parse (text, 65535, NULL);

    if (ranges != NULL)
      {
        g_autofree char *again = sv_index_ranges_format (ranges->len ? &g_array_index (ranges, guint, 0) : NULL, ranges->len);
        g_autoptr(GArray) back = sv_index_ranges_parse (again, 65535, &error);

        FUZZ_CHECK (back != NULL);
        FUZZ_CHECK (back->len == ranges->len);
        for (guint i = 0; i < ranges->len; i++)
          FUZZ_CHECK (g_array_index (ranges, guint, i) <= 65535);
      }
  }
  if (sv_sync_token_parse (text, &epoch, &modseq, NULL))
    {
      g_autofree char *again = sv_sync_token_format (epoch, modseq);
      gint64 e2 = 0, m2 = 0;

      FUZZ_CHECK (sv_sync_token_parse (again, &e2, &m2, NULL));
      FUZZ_CHECK (e2 == epoch && m2 == modseq);
    }
  {
    g_autofree char *phone = sv_protocol_normalize_phone (text, "phone", NULL);

    if (phone != NULL)
      {
        g_autofree char *twice = sv_protocol_normalize_phone (phone, "phone", NULL);

        FUZZ_CHECK (g_strcmp0 (phone, twice) == 0);
      }
  }
  (void) sv_protocol_check_iccid (text, "iccid", NULL);
  (void) sv_protocol_check_batch_id (text, "batch_id", NULL);
  {
    g_autoptr(GBytes) bytes = sv_protocol_hex_decode (text, "data", NULL);

    if (bytes != NULL)
      {
        g_autofree char *hex = sv_protocol_hex_encode (bytes);

        FUZZ_CHECK (g_ascii_strcasecmp (hex, text) == 0);
      }
  }
  {
    g_autoptr(GDateTime) t = sv_protocol_time_parse (text, "time", NULL);

    if (t != NULL)
      {
        g_autofree char *again = sv_protocol_time_format (t);
        g_autoptr(GDateTime) back = sv_protocol_time_parse (again, "time", NULL);

        FUZZ_CHECK (back != NULL);
      }
  }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *text = g_strndup ((const char *) data, size);

  check_strings (text);

  node = sv_protocol_parse_body ((const char *) data, size, &error);
  FUZZ_CHECK ((node == NULL) == (error != NULL));
  if (node == NULL)
    return 0;

  ROUNDTRIP (SvRegisterRequest, sv_register_request_from_json, sv_register_request_to_json, node);
  ROUNDTRIP (SvProtocolCard, sv_protocol_card_from_json, sv_protocol_card_to_json, node);
  ROUNDTRIP (SvBackupRequest, sv_backup_request_from_json, sv_backup_request_to_json, node);
  ROUNDTRIP (SvMessagesRequest, sv_messages_request_from_json, sv_messages_request_to_json, node);
  ROUNDTRIP (SvRestoreRequest, sv_restore_request_from_json, sv_restore_request_to_json, node);
  ROUNDTRIP (SvProtocolMessage, sv_protocol_message_from_json, sv_protocol_message_to_json, node);

  {
    g_autoptr(SvProtocolRecord) r = sv_protocol_record_from_json (node, TRUE, NULL);

    if (r != NULL)
      {
        g_autoptr(JsonNode) again = sv_protocol_record_to_json (r, TRUE);
        g_autoptr(SvProtocolRecord) back = sv_protocol_record_from_json (again, TRUE, NULL);

        FUZZ_CHECK (back != NULL);
        FUZZ_CHECK (back->index == r->index);
      }
  }
  {
    g_autoptr(SvProtocolCard) card = sv_protocol_card_from_json (node, NULL);

    if (card != NULL)
      {
        g_autoptr(SvCardImage) image = sv_protocol_card_new_image (card);
        (void) image;
      }
  }
  {
    g_autoptr(SvContact) c = sv_protocol_contact_from_json (node, 1, 1, NULL);

    if (c != NULL)
      {
        g_autoptr(JsonNode) again = sv_protocol_contact_to_json (c);

        FUZZ_CHECK (again != NULL);
      }
  }
  return 0;
}
