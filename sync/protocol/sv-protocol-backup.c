/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-protocol"

#include "config.h"

#include <string.h>

#include "sv-protocol-error.h"
#include "sv-protocol-types.h"
#include "sv-protocol-messages.h"
#include "sv-protocol-private.h"

/*
 * A backup: the request (the changed records against their base versions)
 * and the response (stored, conflicts with the decoded contact view).
 */

/* ---- backup ------------------------------------------------------------- */

/**
 * sv_backup_request_from_json:
 *
 * Checks the batch id, the mode, `files` (required with "full", every
 * record's file among them), at most %SV_PROTOCOL_MAX_BATCH records
 * (%SV_PROTOCOL_ERROR_TOO_LARGE), no record twice. Sizes and indices
 * against the card's layout are the server's to check.
 *
 * Returns: (transfer full) (nullable): the request
 */
SvBackupRequest *
sv_backup_request_from_json (JsonNode  *node,
                             GError   **error)
{
  static const SvJsonField fields[] = {
    { "batch_id", SV_JSON_STRING, TRUE },
    { "mode", SV_JSON_STRING, TRUE },
    { "files", SV_JSON_ARRAY, FALSE },
    { "records", SV_JSON_ARRAY, TRUE },
  };
  g_autoptr(SvBackupRequest) request = NULL;
  JsonObject *o;
  const char *mode;

  if (!CHECK (node, fields, error))
    return NULL;
  o = json_node_get_object (node);
  request = g_new0 (SvBackupRequest, 1);
  request->batch_id = g_strdup (sv_protocol_get_string (o, "batch_id"));
  if (!sv_protocol_check_batch_id (request->batch_id, "batch_id", error))
    return NULL;
  mode = sv_protocol_get_string (o, "mode");
  if (g_str_equal (mode, "incremental"))
    request->mode = SV_BACKUP_MODE_INCREMENTAL;
  else if (g_str_equal (mode, "full"))
    request->mode = SV_BACKUP_MODE_FULL;
  else
    {
      sv_protocol_set_error (error, SV_PROTOCOL_ERROR_INVALID, "mode", "The mode is “incremental” or “full”");
      return NULL;
    }
  request->files = sv_protocol_get_strv (o, "files", error);
  if (request->files == NULL)
    return NULL;
  for (guint i = 0; request->files[i] != NULL; i++)
    if (!_sv_protocol_check_file_key (request->files[i]) || g_strv_contains ((const char * const *) request->files + i + 1, request->files[i]))
      {
        g_autofree char *at = g_strdup_printf ("files[%u]", i);

        sv_protocol_set_error (error, SV_PROTOCOL_ERROR_INVALID, at, "“%s” is not a file key or is listed twice",
                               request->files[i]);
        return NULL;
      }
  if (request->mode == SV_BACKUP_MODE_FULL && request->files[0] == NULL)
    {
      sv_protocol_set_error (error, SV_PROTOCOL_ERROR_INVALID, "files",
                             "A full backup names the files it replaces");
      return NULL;
    }
  if (request->mode == SV_BACKUP_MODE_INCREMENTAL && request->files[0] != NULL)
    {
      sv_protocol_set_error (error, SV_PROTOCOL_ERROR_INVALID, "files",
                             "Only a full backup names files to replace");
      return NULL;
    }
  request->records = _sv_protocol_records_from_json (_sv_protocol_get_array (o, "records"), "records", TRUE, SV_PROTOCOL_MAX_BATCH, error);
  if (request->records == NULL)
    return NULL;
  for (guint i = 0; request->mode == SV_BACKUP_MODE_FULL && i < request->records->len; i++)
    {
      SvProtocolRecord *record = g_ptr_array_index (request->records, i);

      if (!g_strv_contains ((const char * const *) request->files, record->file))
        {
          g_autofree char *at = g_strdup_printf ("records[%u].file", i);

          sv_protocol_set_error (error, SV_PROTOCOL_ERROR_INVALID, at,
                                 "“%s” is not among the files this full backup replaces", record->file);
          return NULL;
        }
    }
  return g_steal_pointer (&request);
}

JsonNode *
sv_backup_request_to_json (const SvBackupRequest *request)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  _sv_protocol_add_string (b, "batch_id", request->batch_id);
  _sv_protocol_add_string (b, "mode", request->mode == SV_BACKUP_MODE_FULL ? "full" : "incremental");
  if (request->mode == SV_BACKUP_MODE_FULL)
    {
      json_builder_set_member_name (b, "files");
      json_builder_begin_array (b);
      for (guint i = 0; request->files != NULL && request->files[i] != NULL; i++)
        json_builder_add_string_value (b, request->files[i]);
      json_builder_end_array (b);
    }
  _sv_protocol_add_records (b, "records", request->records, TRUE);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

void
sv_backup_request_free (SvBackupRequest *request)
{
  if (request == NULL)
    return;
  g_free (request->batch_id);
  g_strfreev (request->files);
  g_clear_pointer (&request->records, g_ptr_array_unref);
  g_free (request);
}

void
sv_protocol_conflict_free (SvProtocolConflict *conflict)
{
  if (conflict == NULL)
    return;
  g_free (conflict->file);
  g_clear_pointer (&conflict->server_data, g_bytes_unref);
  g_clear_pointer (&conflict->client_data, g_bytes_unref);
  g_clear_pointer (&conflict->server_contact, sv_contact_unref);
  g_clear_pointer (&conflict->client_contact, sv_contact_unref);
  g_free (conflict);
}

static void
add_contact_view (JsonBuilder     *b,
                  const SvContact *contact)
{
  if (contact == NULL)
    return;
  _sv_protocol_add_node (b, "contact", sv_protocol_contact_to_json (contact));
}

/**
 * sv_backup_response_to_json:
 *
 * `applied` as index ranges per file, `versions` per file and index,
 * `conflicts` with both sides.
 */
JsonNode *
sv_backup_response_to_json (const SvBackupResponse *response)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(GPtrArray) order = g_ptr_array_new ();
  g_autoptr(GHashTable) by_file = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                                         (GDestroyNotify) g_array_unref);

  for (guint i = 0; i < response->applied->len; i++)
    {
      SvProtocolRecord *record = g_ptr_array_index (response->applied, i);
      GArray *indices = g_hash_table_lookup (by_file, record->file);

      if (indices == NULL)
        {
          indices = g_array_new (FALSE, FALSE, sizeof (guint));
          g_hash_table_insert (by_file, record->file, indices);
          g_ptr_array_add (order, record->file);
        }
      g_array_append_val (indices, record->index);
    }

  json_builder_begin_object (b);
  _sv_protocol_add_string (b, "batch_id", response->batch_id);
  json_builder_set_member_name (b, "applied");
  json_builder_begin_object (b);
  for (guint i = 0; i < order->len; i++)
    {
      GArray *indices = g_hash_table_lookup (by_file, order->pdata[i]);
      g_autofree char *ranges = sv_index_ranges_format ((const guint *) (gpointer) indices->data, indices->len);

      _sv_protocol_add_string (b, order->pdata[i], ranges);
    }
  json_builder_end_object (b);

  json_builder_set_member_name (b, "conflicts");
  json_builder_begin_array (b);
  for (guint i = 0; i < response->conflicts->len; i++)
    {
      SvProtocolConflict *c = g_ptr_array_index (response->conflicts, i);

      json_builder_begin_object (b);
      _sv_protocol_add_string (b, "file", c->file);
      _sv_protocol_add_int (b, "index", c->index);
      json_builder_set_member_name (b, "server");
      json_builder_begin_object (b);
      _sv_protocol_add_hex (b, "data", c->server_data);
      _sv_protocol_add_int (b, "version", c->server_version);
      add_contact_view (b, c->server_contact);
      json_builder_end_object (b);
      json_builder_set_member_name (b, "client");
      json_builder_begin_object (b);
      _sv_protocol_add_hex (b, "data", c->client_data);
      add_contact_view (b, c->client_contact);
      json_builder_end_object (b);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);

  json_builder_set_member_name (b, "versions");
  json_builder_begin_object (b);
  for (guint i = 0; i < order->len; i++)
    {
      json_builder_set_member_name (b, order->pdata[i]);
      json_builder_begin_object (b);
      for (guint j = 0; j < response->applied->len; j++)
        {
          SvProtocolRecord *record = g_ptr_array_index (response->applied, j);
          char index[16];

          if (!g_str_equal (record->file, order->pdata[i]))
            continue;
          g_snprintf (index, sizeof index, "%u", record->index);
          _sv_protocol_add_int (b, index, record->version);
        }
      json_builder_end_object (b);
    }
  json_builder_end_object (b);
  _sv_protocol_add_string (b, "token", response->token);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static SvProtocolConflict *
conflict_from_json (JsonNode  *node,
                    GError   **error)
{
  static const SvJsonField fields[] = {
    { "file", SV_JSON_STRING, TRUE },
    { "index", SV_JSON_INT, TRUE },
    { "server", SV_JSON_OBJECT, TRUE },
    { "client", SV_JSON_OBJECT, TRUE },
  };
  static const SvJsonField side_fields[] = {
    { "data", SV_JSON_STRING, TRUE },
    { "version", SV_JSON_INT, FALSE },
    { "contact", SV_JSON_OBJECT, FALSE },
  };
  g_autoptr(SvProtocolConflict) c = NULL;
  JsonObject *o, *server, *client;

  if (!CHECK (node, fields, error))
    return NULL;
  o = json_node_get_object (node);
  if (!CHECK (json_object_get_member (o, "server"), side_fields, error))
    return (gpointer) (gsize) _sv_protocol_fail_at (error, "server");
  if (!CHECK (json_object_get_member (o, "client"), side_fields, error))
    return (gpointer) (gsize) _sv_protocol_fail_at (error, "client");
  server = json_object_get_object_member (o, "server");
  client = json_object_get_object_member (o, "client");
  c = g_new0 (SvProtocolConflict, 1);
  c->file = g_strdup (sv_protocol_get_string (o, "file"));
  c->index = (guint) sv_protocol_get_int (o, "index", 0);
  c->server_version = sv_protocol_get_int (server, "version", 0);
  if ((c->server_data = sv_protocol_hex_decode (sv_protocol_get_string (server, "data"), "server.data", error)) == NULL
      || (c->client_data = sv_protocol_hex_decode (sv_protocol_get_string (client, "data"), "client.data", error)) == NULL)
    return NULL;
  if (json_object_has_member (server, "contact")
      && (c->server_contact = sv_protocol_contact_from_json (json_object_get_member (server, "contact"), 0, c->index, error)) == NULL)
    return (gpointer) (gsize) _sv_protocol_fail_at (error, "server.contact");
  if (json_object_has_member (client, "contact")
      && (c->client_contact = sv_protocol_contact_from_json (json_object_get_member (client, "contact"), 0, c->index, error)) == NULL)
    return (gpointer) (gsize) _sv_protocol_fail_at (error, "client.contact");
  return g_steal_pointer (&c);
}

/**
 * sv_backup_response_from_json:
 *
 * For clients: `applied` and `versions` become one record per applied
 * index (without data, with its new version).
 *
 * Returns: (transfer full) (nullable): the response
 */
SvBackupResponse *
sv_backup_response_from_json (JsonNode  *node,
                              GError   **error)
{
  static const SvJsonField fields[] = {
    { "batch_id", SV_JSON_STRING, TRUE },
    { "applied", SV_JSON_OBJECT, TRUE },
    { "conflicts", SV_JSON_ARRAY, TRUE },
    { "versions", SV_JSON_OBJECT, TRUE },
    { "token", SV_JSON_STRING, TRUE },
  };
  g_autoptr(SvBackupResponse) response = NULL;
  JsonObject *o, *applied, *versions;
  g_autoptr(GList) members = NULL;
  JsonArray *conflicts;

  if (!CHECK (node, fields, error))
    return NULL;
  o = json_node_get_object (node);
  response = g_new0 (SvBackupResponse, 1);
  response->applied = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_protocol_record_free);
  response->conflicts = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_protocol_conflict_free);
  response->batch_id = g_strdup (sv_protocol_get_string (o, "batch_id"));
  response->token = g_strdup (sv_protocol_get_string (o, "token"));
  applied = json_object_get_object_member (o, "applied");
  versions = json_object_get_object_member (o, "versions");

  members = json_object_get_members (applied);
  for (GList *l = members; l != NULL; l = l->next)
    {
      const char *file = l->data;
      JsonNode *member = json_object_get_member (applied, file);
      g_autofree char *at = g_strdup_printf ("applied.%s", file);
      g_autoptr(GArray) indices = NULL;
      JsonNode *file_versions = json_object_get_member (versions, file);

      if (!JSON_NODE_HOLDS_VALUE (member) || json_node_get_value_type (member) != G_TYPE_STRING)
        {
          sv_protocol_set_error (error, SV_PROTOCOL_ERROR_MALFORMED, at, "Applied indices are a string of ranges");
          return NULL;
        }
      indices = sv_index_ranges_parse (json_node_get_string (member), 0, error);
      if (indices == NULL)
        return (gpointer) (gsize) _sv_protocol_fail_at (error, at);
      for (guint i = 0; i < indices->len; i++)
        {
          guint index = g_array_index (indices, guint, i);
          char key[16];
          gint64 version = 0;

          g_snprintf (key, sizeof key, "%u", index);
          if (file_versions != NULL && JSON_NODE_HOLDS_OBJECT (file_versions))
            version = sv_protocol_get_int (json_node_get_object (file_versions), key, 0);
          g_ptr_array_add (response->applied, sv_protocol_record_new (file, index, NULL, version));
        }
    }

  conflicts = _sv_protocol_get_array (o, "conflicts");
  for (guint i = 0; i < json_array_get_length (conflicts); i++)
    {
      g_autofree char *at = g_strdup_printf ("conflicts[%u]", i);
      SvProtocolConflict *c = conflict_from_json (json_array_get_element (conflicts, i), error);

      if (c == NULL)
        return (gpointer) (gsize) _sv_protocol_fail_at (error, at);
      g_ptr_array_add (response->conflicts, c);
    }
  return g_steal_pointer (&response);
}

void
sv_backup_response_free (SvBackupResponse *response)
{
  if (response == NULL)
    return;
  g_free (response->batch_id);
  g_free (response->token);
  g_clear_pointer (&response->applied, g_ptr_array_unref);
  g_clear_pointer (&response->conflicts, g_ptr_array_unref);
  g_free (response);
}
