/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-protocol"

#include "config.h"

#include <string.h>

#include "sv-protocol-error.h"
#include "sv-protocol-types.h"
#include "sv-protocol-messages.h"
#include "sv-protocol-private.h"

/*
 * The backup protocol's messages (PROTOCOL.md), one file per family:
 * sv-protocol-cards.c (cards, registration), -backup.c, -sms.c (the
 * message ring), -restores.c (changes and restores) and -contacts.c
 * (portal contacts). This file holds what they share: the strict JSON
 * reading and writing helpers (sv-protocol-private.h) and records, which
 * backups, changes and restores all carry.
 */

gboolean
_sv_protocol_fail_at (GError     **error,
                      const char  *prefix)
{
  if (error != NULL && *error != NULL)
    sv_protocol_error_prefix_field (*error, prefix);
  return FALSE;
}

gboolean
_sv_protocol_check_range (gint64       value,
                          gint64       min,
                          gint64       max,
                          const char  *field,
                          GError     **error)
{
  if (value < min || value > max)
    {
      sv_protocol_set_error (error, SV_PROTOCOL_ERROR_INVALID, field,
                             "The field “%s” must be between %" G_GINT64_FORMAT " and %" G_GINT64_FORMAT,
                             field, min, max);
      return FALSE;
    }
  return TRUE;
}

JsonArray *
_sv_protocol_get_array (JsonObject *object,
                        const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

void
_sv_protocol_add_string (JsonBuilder *builder,
                         const char  *name,
                         const char  *value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_string_value (builder, value);
}

void
_sv_protocol_add_int (JsonBuilder *builder,
                      const char  *name,
                      gint64       value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_int_value (builder, value);
}

void
_sv_protocol_add_hex (JsonBuilder *builder,
                      const char  *name,
                      GBytes      *bytes)
{
  g_autofree char *hex = sv_protocol_hex_encode (bytes);

  _sv_protocol_add_string (builder, name, hex);
}

void
_sv_protocol_add_node (JsonBuilder *builder,
                       const char  *name,
                       JsonNode    *node)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_value (builder, node);
}

/* ---- records ------------------------------------------------------------ */

SvProtocolRecord *
sv_protocol_record_new (const char *file,
                        guint       index,
                        GBytes     *data,
                        gint64      version)
{
  SvProtocolRecord *record = g_new0 (SvProtocolRecord, 1);

  record->file = g_strdup (file);
  record->index = index;
  record->data = data ? g_bytes_ref (data) : NULL;
  record->version = version;
  return record;
}

/**
 * sv_protocol_record_from_json:
 * @with_base: %TRUE for a backup record (`base_version`), %FALSE for a
 *   record the server sends (`version`)
 *
 * Returns: (transfer full) (nullable): the record
 */
SvProtocolRecord *
sv_protocol_record_from_json (JsonNode  *node,
                              gboolean   with_base,
                              GError   **error)
{
  static const SvJsonField backup_fields[] = {
    { "file", SV_JSON_STRING, TRUE },
    { "index", SV_JSON_INT, TRUE },
    { "data", SV_JSON_STRING, TRUE },
    { "base_version", SV_JSON_INT, FALSE },
  };
  static const SvJsonField server_fields[] = {
    { "file", SV_JSON_STRING, TRUE },
    { "index", SV_JSON_INT, TRUE },
    { "data", SV_JSON_STRING, TRUE },
    { "version", SV_JSON_INT, FALSE },
  };
  g_autoptr(SvProtocolRecord) record = NULL;
  JsonObject *o;
  gint64 index;

  if (with_base ? !CHECK (node, backup_fields, error) : !CHECK (node, server_fields, error))
    return NULL;
  o = json_node_get_object (node);
  record = g_new0 (SvProtocolRecord, 1);
  record->file = g_strdup (sv_protocol_get_string (o, "file"));
  if (!_sv_protocol_check_file_key (record->file))
    {
      sv_protocol_set_error (error, SV_PROTOCOL_ERROR_INVALID, "file", "“%s” is not a file key", record->file);
      return NULL;
    }
  index = sv_protocol_get_int (o, "index", 0);
  if (!_sv_protocol_check_range (index, 1, SV_PROTOCOL_MAX_RECORDS, "index", error))
    return NULL;
  record->index = (guint) index;
  record->data = sv_protocol_hex_decode (sv_protocol_get_string (o, "data"), "data", error);
  if (record->data == NULL)
    return NULL;
  if (g_bytes_get_size (record->data) == 0)
    {
      sv_protocol_set_error (error, SV_PROTOCOL_ERROR_INVALID, "data", "A record has at least one byte");
      return NULL;
    }
  record->base_version = sv_protocol_get_int (o, "base_version", 0);
  record->version = sv_protocol_get_int (o, "version", 0);
  if (!_sv_protocol_check_range (record->base_version, 0, G_MAXINT64, "base_version", error)
      || !_sv_protocol_check_range (record->version, 0, G_MAXINT64, "version", error))
    return NULL;
  return g_steal_pointer (&record);
}

JsonNode *
sv_protocol_record_to_json (const SvProtocolRecord *record,
                            gboolean                with_base)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  _sv_protocol_add_string (b, "file", record->file);
  _sv_protocol_add_int (b, "index", record->index);
  _sv_protocol_add_hex (b, "data", record->data);
  if (with_base)
    _sv_protocol_add_int (b, "base_version", record->base_version);
  else
    _sv_protocol_add_int (b, "version", record->version);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

void
sv_protocol_record_free (SvProtocolRecord *record)
{
  if (record == NULL)
    return;
  g_free (record->file);
  g_clear_pointer (&record->data, g_bytes_unref);
  g_free (record);
}

GPtrArray *
_sv_protocol_records_from_json (JsonArray   *array,
                                const char  *name,
                                gboolean     with_base,
                                guint        max,
                                GError     **error)
{
  g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_protocol_record_free);
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  if (array == NULL)
    return g_steal_pointer (&records);
  if (json_array_get_length (array) > max)
    {
      sv_protocol_set_error (error, SV_PROTOCOL_ERROR_TOO_LARGE, name,
                             "At most %u records in one request; send the rest in another", max);
      return NULL;
    }
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      g_autofree char *at = g_strdup_printf ("%s[%u]", name, i);
      SvProtocolRecord *record = sv_protocol_record_from_json (json_array_get_element (array, i), with_base, error);
      char *key;

      if (record == NULL)
        return (gpointer) (gsize) _sv_protocol_fail_at (error, at);
      key = g_strdup_printf ("%s#%u", record->file, record->index);
      g_ptr_array_add (records, record);
      if (!g_hash_table_add (seen, key))
        {
          sv_protocol_set_error (error, SV_PROTOCOL_ERROR_INVALID, at,
                                 "Record %u of “%s” is in the batch twice", record->index, record->file);
          return NULL;
        }
    }
  return g_steal_pointer (&records);
}

void
_sv_protocol_add_records (JsonBuilder *b,
                          const char  *name,
                          GPtrArray   *records,
                          gboolean     with_base)
{
  json_builder_set_member_name (b, name);
  json_builder_begin_array (b);
  for (guint i = 0; records != NULL && i < records->len; i++)
    json_builder_add_value (b, sv_protocol_record_to_json (g_ptr_array_index (records, i), with_base));
  json_builder_end_array (b);
}
