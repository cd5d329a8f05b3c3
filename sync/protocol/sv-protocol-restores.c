/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-protocol"

#include "config.h"

#include <string.h>

#include "sv-protocol-error.h"
#include "sv-protocol-types.h"
#include "sv-protocol-messages.h"
#include "sv-protocol-private.h"

/*
 * What a desktop reads back: the changes since a sync token, and a
 * restore (the request, the created restore, one group of it).
 */

/* ---- changes ------------------------------------------------------------ */

SvChangesResponse *
sv_changes_response_from_json (JsonNode  *node,
                               GError   **error)
{
  static const SvJsonField fields[] = {
    { "records", SV_JSON_ARRAY, TRUE },
    { "token", SV_JSON_STRING, TRUE },
    { "more", SV_JSON_BOOL, TRUE },
  };
  g_autoptr(SvChangesResponse) response = NULL;
  JsonObject *o;

  if (!CHECK (node, fields, error))
    return NULL;
  o = json_node_get_object (node);
  response = g_new0 (SvChangesResponse, 1);
  response->token = g_strdup (sv_protocol_get_string (o, "token"));
  response->more = sv_protocol_get_bool (o, "more", FALSE);
  response->records = _sv_protocol_records_from_json (_sv_protocol_get_array (o, "records"), "records", FALSE, SV_PROTOCOL_MAX_RECORDS, error);
  if (response->records == NULL)
    return NULL;
  return g_steal_pointer (&response);
}

JsonNode *
sv_changes_response_to_json (const SvChangesResponse *response)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  _sv_protocol_add_records (b, "records", response->records, FALSE);
  _sv_protocol_add_string (b, "token", response->token);
  json_builder_set_member_name (b, "more");
  json_builder_add_boolean_value (b, response->more);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

void
sv_changes_response_free (SvChangesResponse *response)
{
  if (response == NULL)
    return;
  g_clear_pointer (&response->records, g_ptr_array_unref);
  g_free (response->token);
  g_free (response);
}

/* ---- restores ----------------------------------------------------------- */

SvRestoreRequest *
sv_restore_request_from_json (JsonNode  *node,
                              GError   **error)
{
  static const SvJsonField fields[] = {
    { "kind", SV_JSON_STRING, TRUE },
    { "since", SV_JSON_STRING, FALSE },
    { "sms", SV_JSON_BOOL, FALSE },
    { "group_size", SV_JSON_INT, FALSE },
  };
  g_autoptr(SvRestoreRequest) request = NULL;
  JsonObject *o;
  const char *kind;
  gint64 group_size;

  if (!CHECK (node, fields, error))
    return NULL;
  o = json_node_get_object (node);
  request = g_new0 (SvRestoreRequest, 1);
  kind = sv_protocol_get_string (o, "kind");
  if (g_str_equal (kind, "full"))
    request->kind = SV_RESTORE_KIND_FULL;
  else if (g_str_equal (kind, "incremental"))
    request->kind = SV_RESTORE_KIND_INCREMENTAL;
  else
    {
      sv_protocol_set_error (error, SV_PROTOCOL_ERROR_INVALID, "kind", "The kind is “full” or “incremental”");
      return NULL;
    }
  request->since = g_strdup (sv_protocol_get_string (o, "since"));
  if (request->kind == SV_RESTORE_KIND_INCREMENTAL && request->since == NULL)
    {
      sv_protocol_set_error (error, SV_PROTOCOL_ERROR_INVALID, "since", "An incremental restore needs “since”");
      return NULL;
    }
  if (request->kind == SV_RESTORE_KIND_FULL && request->since != NULL)
    {
      sv_protocol_set_error (error, SV_PROTOCOL_ERROR_INVALID, "since", "A full restore takes no “since”");
      return NULL;
    }
  request->sms = sv_protocol_get_bool (o, "sms", FALSE);
  group_size = sv_protocol_get_int (o, "group_size", SV_PROTOCOL_DEFAULT_GROUP_SIZE);
  if (!_sv_protocol_check_range (group_size, 1, SV_PROTOCOL_MAX_GROUP_SIZE, "group_size", error))
    return NULL;
  request->group_size = (guint) group_size;
  return g_steal_pointer (&request);
}

JsonNode *
sv_restore_request_to_json (const SvRestoreRequest *request)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  _sv_protocol_add_string (b, "kind", request->kind == SV_RESTORE_KIND_FULL ? "full" : "incremental");
  if (request->since != NULL)
    _sv_protocol_add_string (b, "since", request->since);
  json_builder_set_member_name (b, "sms");
  json_builder_add_boolean_value (b, request->sms);
  _sv_protocol_add_int (b, "group_size", request->group_size ? request->group_size : SV_PROTOCOL_DEFAULT_GROUP_SIZE);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

void
sv_restore_request_free (SvRestoreRequest *request)
{
  if (request == NULL)
    return;
  g_free (request->since);
  g_free (request);
}

SvRestoreCreated *
sv_restore_created_from_json (JsonNode  *node,
                              GError   **error)
{
  static const SvJsonField fields[] = {
    { "id", SV_JSON_STRING, TRUE },
    { "groups", SV_JSON_INT, TRUE },
    { "records", SV_JSON_INT, TRUE },
    { "messages", SV_JSON_INT, TRUE },
  };
  SvRestoreCreated *created;
  JsonObject *o;

  if (!CHECK (node, fields, error))
    return NULL;
  o = json_node_get_object (node);
  created = g_new0 (SvRestoreCreated, 1);
  created->id = g_strdup (sv_protocol_get_string (o, "id"));
  created->groups = (guint) sv_protocol_get_int (o, "groups", 0);
  created->records = (guint) sv_protocol_get_int (o, "records", 0);
  created->messages = (guint) sv_protocol_get_int (o, "messages", 0);
  return created;
}

JsonNode *
sv_restore_created_to_json (const SvRestoreCreated *created)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  _sv_protocol_add_string (b, "id", created->id);
  _sv_protocol_add_int (b, "groups", created->groups);
  _sv_protocol_add_int (b, "records", created->records);
  _sv_protocol_add_int (b, "messages", created->messages);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

void
sv_restore_created_free (SvRestoreCreated *created)
{
  if (created == NULL)
    return;
  g_free (created->id);
  g_free (created);
}

SvRestoreGroup *
sv_restore_group_from_json (JsonNode  *node,
                            GError   **error)
{
  static const SvJsonField fields[] = {
    { "group", SV_JSON_INT, TRUE },
    { "records", SV_JSON_ARRAY, TRUE },
    { "messages", SV_JSON_ARRAY, TRUE },
    { "clear", SV_JSON_ARRAY, FALSE },
  };
  g_autoptr(SvRestoreGroup) group = NULL;
  JsonObject *o;

  if (!CHECK (node, fields, error))
    return NULL;
  o = json_node_get_object (node);
  group = g_new0 (SvRestoreGroup, 1);
  group->group = (guint) sv_protocol_get_int (o, "group", 0);
  group->records = _sv_protocol_records_from_json (_sv_protocol_get_array (o, "records"), "records", FALSE, SV_PROTOCOL_MAX_RECORDS, error);
  if (group->records == NULL)
    return NULL;
  group->messages = _sv_protocol_messages_from_json (_sv_protocol_get_array (o, "messages"), "messages", error);
  if (group->messages == NULL)
    return NULL;
  if (json_object_has_member (o, "clear") && (group->clear = sv_protocol_get_strv (o, "clear", error)) == NULL)
    return NULL;
  return g_steal_pointer (&group);
}

JsonNode *
sv_restore_group_to_json (const SvRestoreGroup *group)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  _sv_protocol_add_int (b, "group", group->group);
  _sv_protocol_add_records (b, "records", group->records, FALSE);
  _sv_protocol_add_messages (b, "messages", group->messages);
  if (group->clear != NULL)
    {
      json_builder_set_member_name (b, "clear");
      json_builder_begin_array (b);
      for (guint i = 0; group->clear[i] != NULL; i++)
        json_builder_add_string_value (b, group->clear[i]);
      json_builder_end_array (b);
    }
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

void
sv_restore_group_free (SvRestoreGroup *group)
{
  if (group == NULL)
    return;
  g_clear_pointer (&group->records, g_ptr_array_unref);
  g_clear_pointer (&group->messages, g_ptr_array_unref);
  g_strfreev (group->clear);
  g_free (group);
}
