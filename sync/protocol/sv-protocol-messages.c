/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-protocol"

#include "config.h"

#include <string.h>

#include "sv-protocol-error.h"
#include "sv-protocol-types.h"
#include "sv-protocol-messages.h"

#define CHECK(node, table, error) \
  sv_protocol_check_object ((node), (table), G_N_ELEMENTS (table), (error))

static gboolean
fail_at (GError     **error,
         const char  *prefix)
{
  if (error != NULL && *error != NULL)
    sv_protocol_error_prefix_field (*error, prefix);
  return FALSE;
}

static gboolean
check_range (gint64       value,
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

static JsonArray *
get_array (JsonObject *object,
           const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

static void
add_string (JsonBuilder *builder,
            const char  *name,
            const char  *value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_string_value (builder, value);
}

static void
add_int (JsonBuilder *builder,
         const char  *name,
         gint64       value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_int_value (builder, value);
}

static void
add_hex (JsonBuilder *builder,
         const char  *name,
         GBytes      *bytes)
{
  g_autofree char *hex = sv_protocol_hex_encode (bytes);

  add_string (builder, name, hex);
}

static void
add_node (JsonBuilder *builder,
          const char  *name,
          JsonNode    *node)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_value (builder, node);
}

/* ---- files and cards ---------------------------------------------------- */

static void
sv_protocol_file_free (SvProtocolFile *file)
{
  g_free (file->key);
  g_free (file->path);
  g_free (file);
}

static gboolean
check_file_key (const char *key)
{
  /* SvCardFile.key: "adn", "sms", "pb1/adn", "pb2/email1" ... */
  gsize len = strlen (key);

  if (len < 1 || len > 32)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_islower (key[i]) && !g_ascii_isdigit (key[i]) && key[i] != '/')
      return FALSE;
  return key[0] != '/' && key[len - 1] != '/';
}

static SvProtocolFile *
file_from_json (JsonNode  *node,
                GError   **error)
{
  static const SvJsonField fields[] = {
    { "key", SV_JSON_STRING, TRUE },
    { "path", SV_JSON_STRING, TRUE },
    { "structure", SV_JSON_STRING, TRUE },
    { "record_len", SV_JSON_INT, TRUE },
    { "n_records", SV_JSON_INT, TRUE },
  };
  g_autoptr(GError) local_error = NULL;
  JsonObject *o;
  SvProtocolFile *file;
  const char *key, *path;
  SvFileStructure structure;
  gint64 record_len, n_records;
  gsize path_len;

  if (!CHECK (node, fields, error))
    return NULL;
  o = json_node_get_object (node);
  key = sv_protocol_get_string (o, "key");
  path = sv_protocol_get_string (o, "path");
  path_len = strlen (path);
  record_len = sv_protocol_get_int (o, "record_len", 0);
  n_records = sv_protocol_get_int (o, "n_records", 0);

  if (!check_file_key (key))
    {
      sv_protocol_set_error (error, SV_PROTOCOL_ERROR_INVALID, "key",
                             "A file key is lower-case letters, digits and '/', e.g. “pb1/adn”");
      return NULL;
    }
  if (path_len < 4 || path_len > 32 || path_len % 4 != 0)
    path_len = 0;
  for (gsize i = 0; i < path_len; i++)
    if (!g_ascii_isxdigit (path[i]))
      path_len = 0;
  if (path_len == 0)
    {
      sv_protocol_set_error (error, SV_PROTOCOL_ERROR_INVALID, "path",
                             "A file path is 1 to 8 file ids in hex, e.g. “3F007F106F3A”");
      return NULL;
    }
  if (!sv_file_structure_from_string (sv_protocol_get_string (o, "structure"), &structure)
      || (structure != SV_FILE_STRUCTURE_TRANSPARENT
          && structure != SV_FILE_STRUCTURE_LINEAR_FIXED
          && structure != SV_FILE_STRUCTURE_CYCLIC))
    {
      sv_protocol_set_error (error, SV_PROTOCOL_ERROR_INVALID, "structure",
                             "The structure is “transparent”, “linear-fixed” or “cyclic”");
      return NULL;
    }
  if (!check_range (record_len, 1, SV_PROTOCOL_MAX_RECORD_LEN, "record_len", error)
      || !check_range (n_records, 1, structure == SV_FILE_STRUCTURE_TRANSPARENT ? 1 : 254,
                       "n_records", error))
    return NULL;

  file = g_new0 (SvProtocolFile, 1);
  file->key = g_strdup (key);
  file->path = g_ascii_strup (path, -1);
  file->structure = structure;
  file->record_len = (guint) record_len;
  file->n_records = (guint) n_records;
  return file;
}

/**
 * sv_protocol_card_from_json:
 *
 * The "card" object of a registration: ICCID, IMSI, type, counters and the
 * file layout. Errors name fields relative to the card ("files[2].key").
 *
 * Returns: (transfer full) (nullable): the card
 */
SvProtocolCard *
sv_protocol_card_from_json (JsonNode  *node,
                            GError   **error)
{
  static const SvJsonField fields[] = {
    { "iccid", SV_JSON_STRING, TRUE },
    { "imsi", SV_JSON_STRING, FALSE },
    { "card_type", SV_JSON_STRING, TRUE },
    { "batch", SV_JSON_STRING, FALSE },
    { "counter_a", SV_JSON_INT, FALSE },
    { "sms_capacity", SV_JSON_INT, FALSE },
    { "files", SV_JSON_ARRAY, TRUE },
  };
  g_autoptr(SvProtocolCard) card = NULL;
  JsonObject *o;
  JsonArray *files;
  const char *type, *imsi, *batch;
  gint64 sms_capacity;

  if (!CHECK (node, fields, error))
    return NULL;
  o = json_node_get_object (node);

  card = g_new0 (SvProtocolCard, 1);
  card->files = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_protocol_file_free);
  card->iccid = g_strdup (sv_protocol_get_string (o, "iccid"));
  if (!sv_protocol_check_iccid (card->iccid, "iccid", error))
    return NULL;

  imsi = sv_protocol_get_string (o, "imsi");
  if (imsi != NULL && *imsi != '\0')
    {
      gsize len = strlen (imsi);

      for (gsize i = 0; i < len; i++)
        if (!g_ascii_isdigit (imsi[i]))
          len = 0;
      if (len < 6 || len > 15)
        {
          sv_protocol_set_error (error, SV_PROTOCOL_ERROR_INVALID, "imsi", "An IMSI is 6 to 15 decimal digits");
          return NULL;
        }
      card->imsi = g_strdup (imsi);
    }

  type = sv_protocol_get_string (o, "card_type");
  if (g_str_equal (type, "sim"))
    card->card_type = SV_CARD_TYPE_SIM;
  else if (g_str_equal (type, "usim"))
    card->card_type = SV_CARD_TYPE_USIM;
  else
    {
      sv_protocol_set_error (error, SV_PROTOCOL_ERROR_INVALID, "card_type", "The card type is “sim” or “usim”");
      return NULL;
    }

  batch = sv_protocol_get_string (o, "batch");
  if (batch != NULL && strlen (batch) > 64)
    {
      sv_protocol_set_error (error, SV_PROTOCOL_ERROR_INVALID, "batch", "The card issue batch is at most 64 bytes");
      return NULL;
    }
  card->batch = g_strdup (batch);

  card->counter_a = sv_protocol_get_int (o, "counter_a", 0);
  if (!check_range (card->counter_a, 0, G_MAXINT32, "counter_a", error))
    return NULL;
  sms_capacity = sv_protocol_get_int (o, "sms_capacity", 0);
  if (!check_range (sms_capacity, 0, 254, "sms_capacity", error))
    return NULL;
  card->sms_capacity = (guint) sms_capacity;

  files = get_array (o, "files");
  if (json_array_get_length (files) < 1 || json_array_get_length (files) > SV_PROTOCOL_MAX_FILES)
    {
      sv_protocol_set_error (error, SV_PROTOCOL_ERROR_INVALID, "files",
                             "A card has 1 to %d files", SV_PROTOCOL_MAX_FILES);
      return NULL;
    }
  for (guint i = 0; i < json_array_get_length (files); i++)
    {
      g_autofree char *at = g_strdup_printf ("files[%u]", i);
      SvProtocolFile *file = file_from_json (json_array_get_element (files, i), error);

      if (file == NULL)
        return (gpointer) (gsize) fail_at (error, at);
      for (guint j = 0; j < card->files->len; j++)
        if (g_str_equal (((SvProtocolFile *) g_ptr_array_index (card->files, j))->key, file->key))
          {
            sv_protocol_file_free (file);
            sv_protocol_set_error (error, SV_PROTOCOL_ERROR_INVALID, "key", "The file key is listed twice");
            return (gpointer) (gsize) fail_at (error, at);
          }
      g_ptr_array_add (card->files, file);
    }

  for (guint j = 0; j < card->files->len; j++)
    {
      SvProtocolFile *file = g_ptr_array_index (card->files, j);

      if (g_str_equal (file->key, "sms") && card->sms_capacity > file->n_records)
        {
          sv_protocol_set_error (error, SV_PROTOCOL_ERROR_INVALID, "sms_capacity",
                                 "The SMS capacity is larger than EF_SMS (%u records)", file->n_records);
          return NULL;
        }
    }
  return g_steal_pointer (&card);
}

JsonNode *
sv_protocol_card_to_json (const SvProtocolCard *card)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  add_string (b, "iccid", card->iccid);
  if (card->imsi != NULL)
    add_string (b, "imsi", card->imsi);
  add_string (b, "card_type", card->card_type == SV_CARD_TYPE_USIM ? "usim" : "sim");
  if (card->batch != NULL)
    add_string (b, "batch", card->batch);
  add_int (b, "counter_a", card->counter_a);
  add_int (b, "sms_capacity", card->sms_capacity);
  json_builder_set_member_name (b, "files");
  json_builder_begin_array (b);
  for (guint i = 0; i < card->files->len; i++)
    {
      SvProtocolFile *file = g_ptr_array_index (card->files, i);

      json_builder_begin_object (b);
      add_string (b, "key", file->key);
      add_string (b, "path", file->path);
      add_string (b, "structure", sv_file_structure_to_string (file->structure));
      add_int (b, "record_len", file->record_len);
      add_int (b, "n_records", file->n_records);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

/**
 * sv_protocol_card_new_image:
 *
 * An image with @card's layout and every record empty (all 0xFF), the
 * shape of a fresh mirror space, for validating records against the
 * card's capacities with the card model.
 *
 * Returns: (transfer full): the image
 */
SvCardImage *
sv_protocol_card_new_image (const SvProtocolCard *card)
{
  SvCardImage *image = sv_card_image_new (card->card_type);

  sv_card_image_set_iccid (image, card->iccid);
  for (guint i = 0; i < card->files->len; i++)
    {
      SvProtocolFile *file = g_ptr_array_index (card->files, i);

      sv_card_image_add_file (image, file->key, file->path, file->structure,
                              file->record_len, file->n_records);
    }
  return image;
}

void
sv_protocol_card_free (SvProtocolCard *card)
{
  if (card == NULL)
    return;
  g_free (card->iccid);
  g_free (card->imsi);
  g_free (card->batch);
  g_clear_pointer (&card->files, g_ptr_array_unref);
  g_free (card);
}

/* ---- registration ------------------------------------------------------- */

SvRegisterRequest *
sv_register_request_from_json (JsonNode  *node,
                               GError   **error)
{
  static const SvJsonField fields[] = {
    { "phone", SV_JSON_STRING, FALSE },
    { "password", SV_JSON_STRING, FALSE },
    { "card", SV_JSON_OBJECT, TRUE },
  };
  g_autoptr(SvRegisterRequest) request = NULL;
  JsonObject *o;
  const char *phone;

  if (!CHECK (node, fields, error))
    return NULL;
  o = json_node_get_object (node);
  request = g_new0 (SvRegisterRequest, 1);
  phone = sv_protocol_get_string (o, "phone");
  if (phone != NULL && (request->phone = sv_protocol_normalize_phone (phone, "phone", error)) == NULL)
    return NULL;
  request->password = g_strdup (sv_protocol_get_string (o, "password"));
  request->card = sv_protocol_card_from_json (json_object_get_member (o, "card"), error);
  if (request->card == NULL)
    return (gpointer) (gsize) fail_at (error, "card");
  return g_steal_pointer (&request);
}

JsonNode *
sv_register_request_to_json (const SvRegisterRequest *request)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  if (request->phone != NULL)
    add_string (b, "phone", request->phone);
  if (request->password != NULL)
    add_string (b, "password", request->password);
  add_node (b, "card", sv_protocol_card_to_json (request->card));
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

void
sv_register_request_free (SvRegisterRequest *request)
{
  if (request == NULL)
    return;
  g_free (request->phone);
  if (request->password != NULL)
    memset (request->password, 0, strlen (request->password));
  g_free (request->password);
  sv_protocol_card_free (request->card);
  g_free (request);
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
  if (!check_file_key (record->file))
    {
      sv_protocol_set_error (error, SV_PROTOCOL_ERROR_INVALID, "file", "“%s” is not a file key", record->file);
      return NULL;
    }
  index = sv_protocol_get_int (o, "index", 0);
  if (!check_range (index, 1, SV_PROTOCOL_MAX_RECORDS, "index", error))
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
  if (!check_range (record->base_version, 0, G_MAXINT64, "base_version", error)
      || !check_range (record->version, 0, G_MAXINT64, "version", error))
    return NULL;
  return g_steal_pointer (&record);
}

JsonNode *
sv_protocol_record_to_json (const SvProtocolRecord *record,
                            gboolean                with_base)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  add_string (b, "file", record->file);
  add_int (b, "index", record->index);
  add_hex (b, "data", record->data);
  if (with_base)
    add_int (b, "base_version", record->base_version);
  else
    add_int (b, "version", record->version);
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

static GPtrArray *
records_from_json (JsonArray   *array,
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
        return (gpointer) (gsize) fail_at (error, at);
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

static void
add_records (JsonBuilder *b,
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
    if (!check_file_key (request->files[i]) || g_strv_contains ((const char * const *) request->files + i + 1, request->files[i]))
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
  request->records = records_from_json (get_array (o, "records"), "records", TRUE, SV_PROTOCOL_MAX_BATCH, error);
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
  add_string (b, "batch_id", request->batch_id);
  add_string (b, "mode", request->mode == SV_BACKUP_MODE_FULL ? "full" : "incremental");
  if (request->mode == SV_BACKUP_MODE_FULL)
    {
      json_builder_set_member_name (b, "files");
      json_builder_begin_array (b);
      for (guint i = 0; request->files != NULL && request->files[i] != NULL; i++)
        json_builder_add_string_value (b, request->files[i]);
      json_builder_end_array (b);
    }
  add_records (b, "records", request->records, TRUE);
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
  add_node (b, "contact", sv_protocol_contact_to_json (contact));
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
  add_string (b, "batch_id", response->batch_id);
  json_builder_set_member_name (b, "applied");
  json_builder_begin_object (b);
  for (guint i = 0; i < order->len; i++)
    {
      GArray *indices = g_hash_table_lookup (by_file, order->pdata[i]);
      g_autofree char *ranges = sv_index_ranges_format ((const guint *) (gpointer) indices->data, indices->len);

      add_string (b, order->pdata[i], ranges);
    }
  json_builder_end_object (b);

  json_builder_set_member_name (b, "conflicts");
  json_builder_begin_array (b);
  for (guint i = 0; i < response->conflicts->len; i++)
    {
      SvProtocolConflict *c = g_ptr_array_index (response->conflicts, i);

      json_builder_begin_object (b);
      add_string (b, "file", c->file);
      add_int (b, "index", c->index);
      json_builder_set_member_name (b, "server");
      json_builder_begin_object (b);
      add_hex (b, "data", c->server_data);
      add_int (b, "version", c->server_version);
      add_contact_view (b, c->server_contact);
      json_builder_end_object (b);
      json_builder_set_member_name (b, "client");
      json_builder_begin_object (b);
      add_hex (b, "data", c->client_data);
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
          add_int (b, index, record->version);
        }
      json_builder_end_object (b);
    }
  json_builder_end_object (b);
  add_string (b, "token", response->token);
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
    return (gpointer) (gsize) fail_at (error, "server");
  if (!CHECK (json_object_get_member (o, "client"), side_fields, error))
    return (gpointer) (gsize) fail_at (error, "client");
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
    return (gpointer) (gsize) fail_at (error, "server.contact");
  if (json_object_has_member (client, "contact")
      && (c->client_contact = sv_protocol_contact_from_json (json_object_get_member (client, "contact"), 0, c->index, error)) == NULL)
    return (gpointer) (gsize) fail_at (error, "client.contact");
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
        return (gpointer) (gsize) fail_at (error, at);
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

  conflicts = get_array (o, "conflicts");
  for (guint i = 0; i < json_array_get_length (conflicts); i++)
    {
      g_autofree char *at = g_strdup_printf ("conflicts[%u]", i);
      SvProtocolConflict *c = conflict_from_json (json_array_get_element (conflicts, i), error);

      if (c == NULL)
        return (gpointer) (gsize) fail_at (error, at);
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
  response->records = records_from_json (get_array (o, "records"), "records", FALSE, SV_PROTOCOL_MAX_RECORDS, error);
  if (response->records == NULL)
    return NULL;
  return g_steal_pointer (&response);
}

JsonNode *
sv_changes_response_to_json (const SvChangesResponse *response)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  add_records (b, "records", response->records, FALSE);
  add_string (b, "token", response->token);
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
    add_int (b, "id", message->id);
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

      add_string (b, "stored_at", time);
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

static GPtrArray *
messages_from_json (JsonArray   *array,
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
        return (gpointer) (gsize) fail_at (error, at);
      g_ptr_array_add (messages, message);
    }
  return g_steal_pointer (&messages);
}

static void
add_messages (JsonBuilder *b,
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
  request->messages = messages_from_json (get_array (o, "messages"), "messages", error);
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
  add_string (b, "batch_id", request->batch_id);
  add_messages (b, "messages", request->messages);
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
  add_int (b, "stored", response->stored);
  add_int (b, "duplicates", response->duplicates);
  add_int (b, "dropped", response->dropped);
  add_int (b, "count", response->count);
  json_builder_end_object (b);
  return json_builder_get_root (b);
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
  if (!check_range (group_size, 1, SV_PROTOCOL_MAX_GROUP_SIZE, "group_size", error))
    return NULL;
  request->group_size = (guint) group_size;
  return g_steal_pointer (&request);
}

JsonNode *
sv_restore_request_to_json (const SvRestoreRequest *request)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  add_string (b, "kind", request->kind == SV_RESTORE_KIND_FULL ? "full" : "incremental");
  if (request->since != NULL)
    add_string (b, "since", request->since);
  json_builder_set_member_name (b, "sms");
  json_builder_add_boolean_value (b, request->sms);
  add_int (b, "group_size", request->group_size ? request->group_size : SV_PROTOCOL_DEFAULT_GROUP_SIZE);
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
  add_string (b, "id", created->id);
  add_int (b, "groups", created->groups);
  add_int (b, "records", created->records);
  add_int (b, "messages", created->messages);
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
  group->records = records_from_json (get_array (o, "records"), "records", FALSE, SV_PROTOCOL_MAX_RECORDS, error);
  if (group->records == NULL)
    return NULL;
  group->messages = messages_from_json (get_array (o, "messages"), "messages", error);
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
  add_int (b, "group", group->group);
  add_records (b, "records", group->records, FALSE);
  add_messages (b, "messages", group->messages);
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

/* ---- contacts (portal) -------------------------------------------------- */

/**
 * sv_protocol_contact_from_json:
 * @set: the phonebook set the contact goes to
 * @index: its record index (0: not placed yet)
 *
 * A portal contact: `name`, `number`, `additional_numbers`, `emails`,
 * `second_name`; `set` and `index` are accepted (as sent back by a server)
 * but the path decides where the contact goes. Whether it fits the card is
 * the phonebook model's question (sv_phonebook_check_contact()).
 *
 * Returns: (transfer full) (nullable): the contact
 */
SvContact *
sv_protocol_contact_from_json (JsonNode  *node,
                               guint      set,
                               guint      index,
                               GError   **error)
{
  static const SvJsonField fields[] = {
    { "set", SV_JSON_INT, FALSE },
    { "index", SV_JSON_INT, FALSE },
    { "name", SV_JSON_STRING, FALSE },
    { "number", SV_JSON_STRING, FALSE },
    { "additional_numbers", SV_JSON_ARRAY, FALSE },
    { "emails", SV_JSON_ARRAY, FALSE },
    { "second_name", SV_JSON_STRING, FALSE },
  };
  g_auto(GStrv) anr = NULL;
  g_auto(GStrv) emails = NULL;
  JsonObject *o;
  const char *strings[] = { "name", "number", "second_name" };

  if (!CHECK (node, fields, error))
    return NULL;
  o = json_node_get_object (node);
  if ((anr = sv_protocol_get_strv (o, "additional_numbers", error)) == NULL
      || (emails = sv_protocol_get_strv (o, "emails", error)) == NULL)
    return NULL;
  for (guint i = 0; i < G_N_ELEMENTS (strings); i++)
    {
      const char *value = sv_protocol_get_string (o, strings[i]);

      if (value != NULL && strlen (value) > 1024)
        {
          sv_protocol_set_error (error, SV_PROTOCOL_ERROR_DOES_NOT_FIT, strings[i], "The %s is far too long for a card",
                                 strings[i]);
          return NULL;
        }
    }
  return sv_contact_new (set, index,
                         sv_protocol_get_string (o, "name"),
                         sv_protocol_get_string (o, "number"),
                         (const char * const *) anr,
                         (const char * const *) emails,
                         sv_protocol_get_string (o, "second_name"));
}

JsonNode *
sv_protocol_contact_to_json (const SvContact *contact)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  const char * const *anr = sv_contact_get_additional_numbers (contact);
  const char * const *emails = sv_contact_get_emails (contact);

  json_builder_begin_object (b);
  add_int (b, "set", sv_contact_get_set (contact));
  add_int (b, "index", sv_contact_get_index (contact));
  add_string (b, "name", sv_contact_get_name (contact));
  add_string (b, "number", sv_contact_get_number (contact));
  json_builder_set_member_name (b, "additional_numbers");
  json_builder_begin_array (b);
  for (guint i = 0; anr[i] != NULL; i++)
    json_builder_add_string_value (b, anr[i]);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "emails");
  json_builder_begin_array (b);
  for (guint i = 0; emails[i] != NULL; i++)
    json_builder_add_string_value (b, emails[i]);
  json_builder_end_array (b);
  add_string (b, "second_name", sv_contact_get_second_name (contact));
  json_builder_end_object (b);
  return json_builder_get_root (b);
}
