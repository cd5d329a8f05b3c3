/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-protocol"

#include "config.h"

#include <string.h>

#include "sv-protocol-error.h"
#include "sv-protocol-types.h"
#include "sv-protocol-messages.h"
#include "sv-protocol-private.h"

/*
 * The card a desktop registers (its files and their layout) and the
 * registration request.
 */

/* ---- files and cards ---------------------------------------------------- */

static void
sv_protocol_file_free (SvProtocolFile *file)
{
  g_free (file->key);
  g_free (file->path);
  g_free (file);
}

gboolean
_sv_protocol_check_file_key (const char *key)
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

  if (!_sv_protocol_check_file_key (key))
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
  if (!_sv_protocol_check_range (record_len, 1, SV_PROTOCOL_MAX_RECORD_LEN, "record_len", error)
      || !_sv_protocol_check_range (n_records, 1, structure == SV_FILE_STRUCTURE_TRANSPARENT ? 1 : 254,
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
  if (!_sv_protocol_check_range (card->counter_a, 0, G_MAXINT32, "counter_a", error))
    return NULL;
  sms_capacity = sv_protocol_get_int (o, "sms_capacity", 0);
  if (!_sv_protocol_check_range (sms_capacity, 0, 254, "sms_capacity", error))
    return NULL;
  card->sms_capacity = (guint) sms_capacity;

  files = _sv_protocol_get_array (o, "files");
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
        return (gpointer) (gsize) _sv_protocol_fail_at (error, at);
      for (guint j = 0; j < card->files->len; j++)
        if (g_str_equal (((SvProtocolFile *) g_ptr_array_index (card->files, j))->key, file->key))
          {
            sv_protocol_file_free (file);
            sv_protocol_set_error (error, SV_PROTOCOL_ERROR_INVALID, "key", "The file key is listed twice");
            return (gpointer) (gsize) _sv_protocol_fail_at (error, at);
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
  _sv_protocol_add_string (b, "iccid", card->iccid);
  if (card->imsi != NULL)
    _sv_protocol_add_string (b, "imsi", card->imsi);
  _sv_protocol_add_string (b, "card_type", card->card_type == SV_CARD_TYPE_USIM ? "usim" : "sim");
  if (card->batch != NULL)
    _sv_protocol_add_string (b, "batch", card->batch);
  _sv_protocol_add_int (b, "counter_a", card->counter_a);
  _sv_protocol_add_int (b, "sms_capacity", card->sms_capacity);
  json_builder_set_member_name (b, "files");
  json_builder_begin_array (b);
  for (guint i = 0; i < card->files->len; i++)
    {
      SvProtocolFile *file = g_ptr_array_index (card->files, i);

      json_builder_begin_object (b);
      _sv_protocol_add_string (b, "key", file->key);
      _sv_protocol_add_string (b, "path", file->path);
      _sv_protocol_add_string (b, "structure", sv_file_structure_to_string (file->structure));
      _sv_protocol_add_int (b, "record_len", file->record_len);
      _sv_protocol_add_int (b, "n_records", file->n_records);
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
    return (gpointer) (gsize) _sv_protocol_fail_at (error, "card");
  return g_steal_pointer (&request);
}

JsonNode *
sv_register_request_to_json (const SvRegisterRequest *request)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  if (request->phone != NULL)
    _sv_protocol_add_string (b, "phone", request->phone);
  if (request->password != NULL)
    _sv_protocol_add_string (b, "password", request->password);
  _sv_protocol_add_node (b, "card", sv_protocol_card_to_json (request->card));
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
