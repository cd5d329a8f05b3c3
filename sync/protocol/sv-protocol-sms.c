/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-protocol"

#include "config.h"

#include <string.h>

#include "sv-protocol-error.h"
#include "sv-protocol-types.h"
#include "sv-protocol-messages.h"
#include "sv-protocol-private.h"

/*
 * The card's ring of SMS messages: one message, the append request and
 * the list response.
 */

/* ---- messages ----------------------------------------------------------- */

/**
 * sv_protocol_message_from_json:
 *
 * `{"record": HEX}` or `{"records": [HEX, ...]}` (parts in order, 1 to 255
 * of them), optional `stored_at`, `id` only from a server.
 *
 * Returns: (transfer full) (nullable): the message
 */
SvProtocolMessage *
sv_protocol_message_from_json (JsonNode  *node,
                               GError   **error)
{
  static const SvJsonField fields[] = {
    { "id", SV_JSON_INT, FALSE },
    { "record", SV_JSON_STRING, FALSE },
    { "records", SV_JSON_ARRAY, FALSE },
    { "stored_at", SV_JSON_STRING, FALSE },
  };
  g_autoptr(SvProtocolMessage) message = NULL;
  g_auto(GStrv) parts = NULL;
  JsonObject *o;
  const char *stored_at;

  if (!CHECK (node, fields, error))
    return NULL;
  o = json_node_get_object (node);
  message = g_new0 (SvProtocolMessage, 1);
  message->records = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  message->id = sv_protocol_get_int (o, "id", 0);

  if (json_object_has_member (o, "record") == json_object_has_member (o, "records"))
    {
      sv_protocol_set_error (error, SV_PROTOCOL_ERROR_INVALID, "record",
                             "A message has either “record” or “records”");
      return NULL;
    }
  if (json_object_has_member (o, "record"))
    {
      GBytes *bytes = sv_protocol_hex_decode (sv_protocol_get_string (o, "record"), "record", error);

      if (bytes == NULL)
        return NULL;
      g_ptr_array_add (message->records, bytes);
    }
  else
    {
      parts = sv_protocol_get_strv (o, "records", error);
      if (parts == NULL)
        return NULL;
      if (g_strv_length (parts) < 1 || g_strv_length (parts) > 255)
        {
          sv_protocol_set_error (error, SV_PROTOCOL_ERROR_INVALID, "records", "A message has 1 to 255 parts");
          return NULL;
        }
      for (guint i = 0; parts[i] != NULL; i++)
        {
          g_autofree char *at = g_strdup_printf ("records[%u]", i);
          GBytes *bytes = sv_protocol_hex_decode (parts[i], at, error);

          if (bytes == NULL)
            return NULL;
          g_ptr_array_add (message->records, bytes);
        }
    }
  for (guint i = 0; i < message->records->len; i++)
    if (g_bytes_get_size (g_ptr_array_index (message->records, i)) != 176)
      {
        g_autofree char *at = message->records->len == 1 && json_object_has_member (o, "record")
                              ? g_strdup ("record") : g_strdup_printf ("records[%u]", i);

        sv_protocol_set_error (error, SV_PROTOCOL_ERROR_INVALID, at,
                               "An EF_SMS record is 176 bytes, not %" G_GSIZE_FORMAT,
                               g_bytes_get_size (g_ptr_array_index (message->records, i)));
        return NULL;
      }

  stored_at = sv_protocol_get_string (o, "stored_at");
  if (stored_at != NULL && (message->stored_at = sv_protocol_time_parse (stored_at, "stored_at", error)) == NULL)
    return NULL;
  return g_steal_pointer (&message);
}

JsonNode *
sv_protocol_message_to_json (const SvProtocolMessage *message)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  if (message->id > 0)
    _sv_protocol_add_int (b, "id", message->id);
  json_builder_set_member_name (b, "records");
  json_builder_begin_array (b);
  for (guint i = 0; i < message->records->len; i++)
    {
      g_autofree char *hex = sv_protocol_hex_encode (g_ptr_array_index (message->records, i));

      json_builder_add_string_value (b, hex);
    }
  json_builder_end_array (b);
  if (message->stored_at != NULL)
    {
      g_autofree char *time = sv_protocol_time_format (message->stored_at);

      _sv_protocol_add_string (b, "stored_at", time);
    }
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

void
sv_protocol_message_free (SvProtocolMessage *message)
{
  if (message == NULL)
    return;
  g_clear_pointer (&message->records, g_ptr_array_unref);
  g_clear_pointer (&message->stored_at, g_date_time_unref);
  g_free (message);
}

GPtrArray *
_sv_protocol_messages_from_json (JsonArray   *array,
                                 const char  *name,
                                 GError     **error)
{
  g_autoptr(GPtrArray) messages = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_protocol_message_free);

  if (array == NULL)
    return g_steal_pointer (&messages);
  if (json_array_get_length (array) > SV_PROTOCOL_MAX_MESSAGES)
    {
      sv_protocol_set_error (error, SV_PROTOCOL_ERROR_TOO_LARGE, name,
                             "At most %d messages in one request", SV_PROTOCOL_MAX_MESSAGES);
      return NULL;
    }
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      g_autofree char *at = g_strdup_printf ("%s[%u]", name, i);
      SvProtocolMessage *message = sv_protocol_message_from_json (json_array_get_element (array, i), error);

      if (message == NULL)
        return (gpointer) (gsize) _sv_protocol_fail_at (error, at);
      g_ptr_array_add (messages, message);
    }
  return g_steal_pointer (&messages);
}

void
_sv_protocol_add_messages (JsonBuilder *b,
                           const char  *name,
                           GPtrArray   *messages)
{
  json_builder_set_member_name (b, name);
  json_builder_begin_array (b);
  for (guint i = 0; messages != NULL && i < messages->len; i++)
    json_builder_add_value (b, sv_protocol_message_to_json (g_ptr_array_index (messages, i)));
  json_builder_end_array (b);
}

SvMessagesRequest *
sv_messages_request_from_json (JsonNode  *node,
                               GError   **error)
{
  static const SvJsonField fields[] = {
    { "batch_id", SV_JSON_STRING, TRUE },
    { "messages", SV_JSON_ARRAY, TRUE },
  };
  g_autoptr(SvMessagesRequest) request = NULL;
  JsonObject *o;

  if (!CHECK (node, fields, error))
    return NULL;
  o = json_node_get_object (node);
  request = g_new0 (SvMessagesRequest, 1);
  request->batch_id = g_strdup (sv_protocol_get_string (o, "batch_id"));
  if (!sv_protocol_check_batch_id (request->batch_id, "batch_id", error))
    return NULL;
  request->messages = _sv_protocol_messages_from_json (_sv_protocol_get_array (o, "messages"), "messages", error);
  if (request->messages == NULL)
    return NULL;
  for (guint i = 0; i < request->messages->len; i++)
    if (((SvProtocolMessage *) g_ptr_array_index (request->messages, i))->id != 0)
      {
        g_autofree char *at = g_strdup_printf ("messages[%u].id", i);

        sv_protocol_set_error (error, SV_PROTOCOL_ERROR_UNKNOWN_FIELD, at, "The server chooses message ids");
        return NULL;
      }
  return g_steal_pointer (&request);
}

JsonNode *
sv_messages_request_to_json (const SvMessagesRequest *request)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  _sv_protocol_add_string (b, "batch_id", request->batch_id);
  _sv_protocol_add_messages (b, "messages", request->messages);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

void
sv_messages_request_free (SvMessagesRequest *request)
{
  if (request == NULL)
    return;
  g_free (request->batch_id);
  g_clear_pointer (&request->messages, g_ptr_array_unref);
  g_free (request);
}

gboolean
sv_messages_response_from_json (JsonNode            *node,
                                SvMessagesResponse  *response,
                                GError             **error)
{
  static const SvJsonField fields[] = {
    { "stored", SV_JSON_INT, TRUE },
    { "duplicates", SV_JSON_INT, TRUE },
    { "dropped", SV_JSON_INT, TRUE },
    { "count", SV_JSON_INT, TRUE },
  };
  JsonObject *o;

  if (!CHECK (node, fields, error))
    return FALSE;
  o = json_node_get_object (node);
  response->stored = (guint) sv_protocol_get_int (o, "stored", 0);
  response->duplicates = (guint) sv_protocol_get_int (o, "duplicates", 0);
  response->dropped = (guint) sv_protocol_get_int (o, "dropped", 0);
  response->count = (guint) sv_protocol_get_int (o, "count", 0);
  return TRUE;
}

JsonNode *
sv_messages_response_to_json (const SvMessagesResponse *response)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  _sv_protocol_add_int (b, "stored", response->stored);
  _sv_protocol_add_int (b, "duplicates", response->duplicates);
  _sv_protocol_add_int (b, "dropped", response->dropped);
  _sv_protocol_add_int (b, "count", response->count);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}
