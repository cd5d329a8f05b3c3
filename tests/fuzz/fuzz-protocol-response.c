/* SPDX-License-Identifier: GPL-3.0-or-later
 * Fuzz: what the sync client does with a server's answer: the error body
 * of any status (sv_protocol_error_new_from_response, which the client
 * turns into its own errors), and every answer parser the client calls
 * (backup, messages, changes, restore created, restore group, records).
 * The first two bytes are the HTTP status, the rest the body. An answer
 * the client accepts must write back to a form it accepts again. */
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

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(JsonNode) node = NULL;
  guint status;

  if (size < 2)
    return 0;
  status = 100 + ((data[0] << 8 | data[1]) % 500);
  data += 2;
  size -= 2;

  {
    g_autoptr(GError) e = sv_protocol_error_new_from_response (status, (const char *) data, size);

    FUZZ_CHECK (e != NULL);
    FUZZ_CHECK (e->message != NULL && g_utf8_validate (e->message, -1, NULL));
    {
      const char *field = sv_protocol_error_get_field (e);

      FUZZ_CHECK (field == NULL || g_utf8_validate (field, -1, NULL));
    }
  }

  node = sv_protocol_parse_body ((const char *) data, size, NULL);
  if (node == NULL)
    return 0;

  ROUNDTRIP (SvBackupResponse, sv_backup_response_from_json, sv_backup_response_to_json, node);
  ROUNDTRIP (SvChangesResponse, sv_changes_response_from_json, sv_changes_response_to_json, node);
  ROUNDTRIP (SvRestoreCreated, sv_restore_created_from_json, sv_restore_created_to_json, node);
  ROUNDTRIP (SvRestoreGroup, sv_restore_group_from_json, sv_restore_group_to_json, node);
  {
    SvMessagesResponse r = { 0 };

    if (sv_messages_response_from_json (node, &r, NULL))
      {
        g_autoptr(JsonNode) again = sv_messages_response_to_json (&r);
        SvMessagesResponse back = { 0 };

        FUZZ_CHECK (sv_messages_response_from_json (again, &back, NULL));
        FUZZ_CHECK (memcmp (&r, &back, sizeof r) == 0);
      }
  }
  {
    g_autoptr(SvProtocolRecord) r = sv_protocol_record_from_json (node, FALSE, NULL);

    if (r != NULL)
      {
        g_autoptr(JsonNode) again = sv_protocol_record_to_json (r, FALSE);
        g_autoptr(SvProtocolRecord) back = sv_protocol_record_from_json (again, FALSE, NULL);

        FUZZ_CHECK (back != NULL);
      }
  }
  return 0;
}
