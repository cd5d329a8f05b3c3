/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-vsim"

#include "config.h"

#include <string.h>

#include "sv-hex.h"
#include "sv-vsim-image.h"

G_DEFINE_QUARK (sv-vsim-image-error-quark, sv_vsim_image_error)

static const char *secret_labels[SV_VSIM_N_SECRETS] = {
  "pin1", "puk1", "pin2", "puk2", "adm1", "upin", "upuk",
};

/* A hex field of the image file, through the codec's hex reader; an
 * error names the field. */
static GBytes *
hex_decode (const char  *hex,
            const char  *where,
            GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  GBytes *bytes = sv_hex_decode (hex, SV_HEX_STRICT, &local_error);

  if (bytes == NULL)
    g_set_error (error, SV_VSIM_IMAGE_ERROR, 0, "%s: %s", where, local_error->message);
  return bytes;
}

static void
node_free (gpointer data)
{
  SvVsimNode *node = data;

  g_free (node->path);
  g_free (node->name);
  g_clear_pointer (&node->children, g_ptr_array_unref);
  g_clear_pointer (&node->body, g_byte_array_unref);
  g_clear_pointer (&node->aid, g_bytes_unref);
  g_clear_pointer (&node->json, json_object_unref);
  g_free (node);
}

static SvVsimNode *
node_new (SvVsimNodeKind  kind,
          guint16         fid,
          const char     *path)
{
  SvVsimNode *node = g_new0 (SvVsimNode, 1);

  node->kind = kind;
  node->fid = fid;
  node->path = g_strdup (path);
  if (kind != SV_VSIM_NODE_EF)
    node->children = g_ptr_array_new_with_free_func (node_free);
  return node;
}

gboolean
sv_vsim_node_is_df (SvVsimNode *node)
{
  return node->kind != SV_VSIM_NODE_EF;
}

SvVsimNode *
sv_vsim_node_target (SvVsimNode *node)
{
  /* Alias chains are resolved at load time, one hop is enough. */
  return node->alias_of != NULL ? node->alias_of : node;
}

SvVsimNode *
sv_vsim_node_child (SvVsimNode *df,
                    guint16     fid)
{
  SvVsimNode *real = sv_vsim_node_target (df);

  if (real->children == NULL)
    return NULL;
  for (guint i = 0; i < real->children->len; i++)
    {
      SvVsimNode *child = g_ptr_array_index (real->children, i);

      if (child->fid == fid)
        return child;
    }
  return NULL;
}

SvVsimNode *
sv_vsim_node_child_by_sfi (SvVsimNode *df,
                           guint8      sfi)
{
  SvVsimNode *real = sv_vsim_node_target (df);

  if (real->children == NULL || sfi == 0)
    return NULL;
  for (guint i = 0; i < real->children->len; i++)
    {
      SvVsimNode *child = g_ptr_array_index (real->children, i);

      if (child->kind == SV_VSIM_NODE_EF && child->sfi == sfi)
        return child;
    }
  return NULL;
}

guint
sv_vsim_node_size (SvVsimNode *node)
{
  SvVsimNode *real = sv_vsim_node_target (node);

  return real->body != NULL ? real->body->len : 0;
}

static gboolean
parse_fid (const char *text,
           guint16    *fid)
{
  guint64 v;
  char *end = NULL;

  if (strlen (text) != 4)
    return FALSE;
  v = g_ascii_strtoull (text, &end, 16);
  if (end == NULL || *end != '\0')
    return FALSE;
  *fid = (guint16) v;
  return TRUE;
}

static gboolean
parse_access (JsonObject    *obj,
              const char    *member,
              SvVsimAccess  *out,
              const char    *where,
              GError       **error)
{
  static const char *names[] = { "always", "pin1", "pin2", "adm", "never" };
  const char *value;

  *out = SV_VSIM_ACCESS_ALWAYS;
  if (!json_object_has_member (obj, member))
    return TRUE;
  value = json_object_get_string_member (obj, member);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (g_strcmp0 (value, names[i]) == 0)
      {
        *out = (SvVsimAccess) i;
        return TRUE;
      }
  g_set_error (error, SV_VSIM_IMAGE_ERROR, 0,
               "%s: %s: unknown access condition \"%s\" "
               "(always, pin1, pin2, adm, never)", where, member,
               value != NULL ? value : "(not a string)");
  return FALSE;
}

static gboolean
load_ef_contents (SvVsimNode  *node,
                  JsonObject  *obj,
                  GError     **error)
{
  const char *structure = json_object_get_string_member_with_default (obj, "structure", "transparent");

  node->body = g_byte_array_new ();
  if (g_str_equal (structure, "transparent"))
    {
      const char *hex = json_object_get_string_member_with_default (obj, "data", "");
      g_autoptr(GBytes) data = hex_decode (hex, node->path, error);
      guint size;

      if (data == NULL)
        return FALSE;
      size = (guint) json_object_get_int_member_with_default (obj, "size", (gint64) g_bytes_get_size (data));
      if (g_bytes_get_size (data) > size)
        {
          g_set_error (error, SV_VSIM_IMAGE_ERROR, 0,
                       "%s: %zu bytes of data do not fit size %u",
                       node->path, g_bytes_get_size (data), size);
          return FALSE;
        }
      node->structure = SV_VSIM_EF_TRANSPARENT;
      g_byte_array_set_size (node->body, size);
      memset (node->body->data, 0xFF, size);
      memcpy (node->body->data, g_bytes_get_data (data, NULL), g_bytes_get_size (data));
      return TRUE;
    }

  if (g_str_equal (structure, "linear"))
    node->structure = SV_VSIM_EF_LINEAR;
  else if (g_str_equal (structure, "cyclic"))
    node->structure = SV_VSIM_EF_CYCLIC;
  else
    {
      g_set_error (error, SV_VSIM_IMAGE_ERROR, 0,
                   "%s: unknown structure \"%s\" (transparent, linear, cyclic)",
                   node->path, structure);
      return FALSE;
    }

  {
    JsonArray *records = json_object_has_member (obj, "records")
      ? json_object_get_array_member (obj, "records") : NULL;
    guint n_given = records != NULL ? json_array_get_length (records) : 0;

    node->record_length = (guint) json_object_get_int_member_with_default (obj, "record_length", 0);
    node->record_count = (guint) json_object_get_int_member_with_default (obj, "record_count", n_given);
    if (node->record_length == 0 || node->record_length > 255
        || node->record_count == 0 || node->record_count > 254)
      {
        g_set_error (error, SV_VSIM_IMAGE_ERROR, 0,
                     "%s: record_length must be 1..255 and record_count 1..254 (have %u and %u)",
                     node->path, node->record_length, node->record_count);
        return FALSE;
      }
    if (n_given > node->record_count)
      {
        g_set_error (error, SV_VSIM_IMAGE_ERROR, 0,
                     "%s: %u records given but record_count is %u",
                     node->path, n_given, node->record_count);
        return FALSE;
      }
    g_byte_array_set_size (node->body, node->record_length * node->record_count);
    memset (node->body->data, 0xFF, node->body->len);
    for (guint i = 0; i < n_given; i++)
      {
        JsonNode *element = json_array_get_element (records, i);
        g_autofree char *where = g_strdup_printf ("%s record %u", node->path, i + 1);
        g_autoptr(GBytes) rec = NULL;

        if (JSON_NODE_HOLDS_NULL (element))
          continue;
        rec = hex_decode (json_node_get_string (element) ? json_node_get_string (element) : "",
                          where, error);
        if (rec == NULL)
          return FALSE;
        if (g_bytes_get_size (rec) > node->record_length)
          {
            g_set_error (error, SV_VSIM_IMAGE_ERROR, 0,
                         "%s: %zu bytes are longer than the record length %u",
                         where, g_bytes_get_size (rec), node->record_length);
            return FALSE;
          }
        memcpy (node->body->data + i * node->record_length,
                g_bytes_get_data (rec, NULL), g_bytes_get_size (rec));
      }
  }
  return TRUE;
}

static gint
compare_depth (gconstpointer a,
               gconstpointer b)
{
  JsonObject *oa = *(JsonObject **) a;
  JsonObject *ob = *(JsonObject **) b;
  const char *pa = json_object_get_string_member_with_default (oa, "path", "");
  const char *pb = json_object_get_string_member_with_default (ob, "path", "");

  return (gint) strlen (pa) - (gint) strlen (pb);
}

SvVsimNode *
sv_vsim_image_lookup (SvVsimImage *image,
                      const char  *path)
{
  g_auto(GStrv) parts = g_strsplit (path, "/", -1);
  SvVsimNode *node = image->mf;

  if (parts[0] == NULL || g_ascii_strcasecmp (parts[0], "3F00") != 0)
    return NULL;
  for (guint i = 1; parts[i] != NULL && node != NULL; i++)
    {
      guint16 fid;

      if (!parse_fid (parts[i], &fid))
        return NULL;
      node = sv_vsim_node_child (node, fid);
    }
  return node;
}

static gboolean
load_secrets (SvVsimImage  *image,
              JsonObject   *root,
              GError      **error)
{
  JsonObject *secrets = json_object_has_member (root, "secrets")
    ? json_object_get_object_member (root, "secrets") : NULL;

  for (guint i = 0; i < SV_VSIM_N_SECRETS; i++)
    {
      SvVsimSecret *s = &image->secrets[i];
      JsonObject *obj;
      gsize len;

      s->label = secret_labels[i];
      if (secrets == NULL || !json_object_has_member (secrets, s->label))
        continue;
      obj = json_object_get_object_member (secrets, s->label);
      s->present = TRUE;
      s->value = g_strdup (json_object_get_string_member_with_default (obj, "value", ""));
      len = strlen (s->value);
      for (gsize k = 0; k < len; k++)
        if (!g_ascii_isdigit (s->value[k]))
          len = 0;
      if (len < 4 || len > 8)
        {
          g_set_error (error, SV_VSIM_IMAGE_ERROR, 0,
                       "secrets.%s: value must be 4 to 8 digits", s->label);
          return FALSE;
        }
      s->enabled = json_object_get_boolean_member_with_default (obj, "enabled", TRUE);
      s->max_tries = (guint) json_object_get_int_member_with_default (obj, "max_tries",
                                                                     i == SV_VSIM_SECRET_PUK1 || i == SV_VSIM_SECRET_PUK2 ||
                                                                     i == SV_VSIM_SECRET_UPUK ? 10 : 3);
      if (i == SV_VSIM_SECRET_UPIN)
        image->universal_pin = json_object_get_boolean_member_with_default (obj, "used", FALSE);
      s->tries_left = (guint) json_object_get_int_member_with_default (obj, "tries_left", s->max_tries);
      if (s->max_tries == 0 || s->max_tries > 15 || s->tries_left > s->max_tries)
        {
          g_set_error (error, SV_VSIM_IMAGE_ERROR, 0,
                       "secrets.%s: need 1 <= max_tries <= 15 and tries_left <= max_tries",
                       s->label);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
load_files (SvVsimImage  *image,
            JsonArray    *files,
            GError      **error)
{
  g_autoptr(GPtrArray) objects = g_ptr_array_new ();
  g_autoptr(GPtrArray) aliases = g_ptr_array_new ();

  for (guint i = 0; i < json_array_get_length (files); i++)
    g_ptr_array_add (objects, json_array_get_object_element (files, i));
  /* Parents before children: a stable sort on the path length. */
  g_ptr_array_sort (objects, compare_depth);

  for (guint i = 0; i < objects->len; i++)
    {
      JsonObject *obj = g_ptr_array_index (objects, i);
      const char *path = json_object_get_string_member_with_default (obj, "path", "");
      const char *type = json_object_get_string_member_with_default (obj, "type", "ef");
      g_autofree char *parent_path = NULL;
      const char *slash = strrchr (path, '/');
      SvVsimNode *parent, *node;
      SvVsimNodeKind kind;
      guint16 fid;

      if (g_ascii_strcasecmp (path, "3F00") == 0)
        {
          g_clear_pointer (&image->mf->json, json_object_unref);
          image->mf->json = json_object_ref (obj);
          g_free (image->mf->name);
          image->mf->name = g_strdup (json_object_get_string_member_with_default (obj, "name", "MF"));
          continue;
        }
      if (slash == NULL || !parse_fid (slash + 1, &fid))
        {
          g_set_error (error, SV_VSIM_IMAGE_ERROR, 0,
                       "file \"%s\": path must look like 3F00/7F10/6F3A", path);
          return FALSE;
        }
      parent_path = g_strndup (path, slash - path);
      parent = sv_vsim_image_lookup (image, parent_path);
      if (parent == NULL || !sv_vsim_node_is_df (parent) || parent->alias_of != NULL)
        {
          g_set_error (error, SV_VSIM_IMAGE_ERROR, 0,
                       "file \"%s\": parent %s is not a DF listed in the image",
                       path, parent_path);
          return FALSE;
        }
      if (sv_vsim_node_child (parent, fid) != NULL)
        {
          g_set_error (error, SV_VSIM_IMAGE_ERROR, 0,
                       "file \"%s\" is listed twice", path);
          return FALSE;
        }

      if (g_str_equal (type, "df"))
        kind = SV_VSIM_NODE_DF;
      else if (g_str_equal (type, "adf"))
        kind = SV_VSIM_NODE_ADF;
      else if (g_str_equal (type, "ef"))
        kind = SV_VSIM_NODE_EF;
      else
        {
          g_set_error (error, SV_VSIM_IMAGE_ERROR, 0,
                       "file \"%s\": unknown type \"%s\" (df, adf, ef)", path, type);
          return FALSE;
        }

      node = node_new (kind, fid, path);
      node->parent = parent;
      node->json = json_object_ref (obj);
      node->name = g_strdup (json_object_get_string_member_with_default (obj, "name", ""));
      node->uicc_only = parent->uicc_only || kind == SV_VSIM_NODE_ADF;
      g_ptr_array_add (parent->children, node);

      if (!parse_access (obj, "read", &node->read_access, path, error)
          || !parse_access (obj, "update", &node->update_access, path, error))
        return FALSE;
      node->sfi = (guint8) json_object_get_int_member_with_default (obj, "sfi", 0);
      if (node->sfi > 30)
        {
          g_set_error (error, SV_VSIM_IMAGE_ERROR, 0,
                       "file \"%s\": sfi must be 1..30", path);
          return FALSE;
        }

      if (kind == SV_VSIM_NODE_ADF)
        {
          node->aid = hex_decode (json_object_get_string_member_with_default (obj, "aid", ""),
                                  path, error);
          if (node->aid == NULL)
            return FALSE;
          if (g_bytes_get_size (node->aid) < 5 || g_bytes_get_size (node->aid) > 16)
            {
              g_set_error (error, SV_VSIM_IMAGE_ERROR, 0,
                           "file \"%s\": an AID has 5 to 16 bytes", path);
              return FALSE;
            }
          if (image->adf == NULL)
            image->adf = node;
        }

      if (json_object_has_member (obj, "alias_of"))
        g_ptr_array_add (aliases, node);
      else if (kind == SV_VSIM_NODE_EF && !load_ef_contents (node, obj, error))
        return FALSE;
    }

  for (guint i = 0; i < aliases->len; i++)
    {
      SvVsimNode *node = g_ptr_array_index (aliases, i);
      const char *target_path = json_object_get_string_member (node->json, "alias_of");
      SvVsimNode *target = target_path ? sv_vsim_image_lookup (image, target_path) : NULL;

      if (target == NULL || target->alias_of != NULL || target == node
          || sv_vsim_node_is_df (target) != sv_vsim_node_is_df (node))
        {
          g_set_error (error, SV_VSIM_IMAGE_ERROR, 0,
                       "file \"%s\": alias_of \"%s\" must name a real file of the same kind",
                       node->path, target_path ? target_path : "(null)");
          return FALSE;
        }
      node->alias_of = target;
      if (node->kind == SV_VSIM_NODE_EF)
        {
          node->structure = target->structure;
          node->record_length = target->record_length;
          node->record_count = target->record_count;
          /* An alias without its own conditions inherits the target's. */
          if (!json_object_has_member (node->json, "read"))
            node->read_access = target->read_access;
          if (!json_object_has_member (node->json, "update"))
            node->update_access = target->update_access;
        }
    }
  return TRUE;
}

SvVsimImage *
sv_vsim_image_load_from_data (const char  *json,
                              gssize       length,
                              GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(SvVsimImage) image = NULL;
  JsonObject *root;
  JsonArray *modes;
  const char *atr;

  if (!json_parser_load_from_data (parser, json, length, error))
    return NULL;
  if (!JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      g_set_error (error, SV_VSIM_IMAGE_ERROR, 0, "the image is not a JSON object");
      return NULL;
    }

  image = g_new0 (SvVsimImage, 1);
  image->root = json_node_copy (json_parser_get_root (parser));
  root = json_node_get_object (image->root);
  if (g_strcmp0 (json_object_get_string_member_with_default (root, "format", ""),
                 "simvault-card-image") != 0
      || json_object_get_int_member_with_default (root, "version", 0) != 1)
    {
      g_set_error (error, SV_VSIM_IMAGE_ERROR, 0,
                   "not a simvault-card-image version 1 (\"format\"/\"version\")");
      return NULL;
    }
  image->name = g_strdup (json_object_get_string_member_with_default (root, "name", "card"));

  atr = json_object_get_string_member_with_default (root, "atr", "");
  image->atr = hex_decode (atr, "atr", error);
  if (image->atr == NULL)
    return NULL;
  if (g_bytes_get_size (image->atr) < 2 || g_bytes_get_size (image->atr) > 33)
    {
      g_set_error (error, SV_VSIM_IMAGE_ERROR, 0, "atr: an ATR has 2 to 33 bytes");
      return NULL;
    }

  modes = json_object_has_member (root, "modes") ? json_object_get_array_member (root, "modes") : NULL;
  for (guint i = 0; modes != NULL && i < json_array_get_length (modes); i++)
    {
      const char *mode = json_array_get_string_element (modes, i);

      if (g_strcmp0 (mode, "2g") == 0)
        image->mode_2g = TRUE;
      else if (g_strcmp0 (mode, "uicc") == 0)
        image->mode_uicc = TRUE;
      else
        {
          g_set_error (error, SV_VSIM_IMAGE_ERROR, 0,
                       "modes: unknown mode \"%s\" (2g, uicc)", mode ? mode : "(null)");
          return NULL;
        }
    }
  if (!image->mode_2g && !image->mode_uicc)
    {
      g_set_error (error, SV_VSIM_IMAGE_ERROR, 0, "modes: name at least one of 2g, uicc");
      return NULL;
    }
  if (json_object_has_member (root, "quirks"))
    {
      JsonObject *quirks = json_object_get_object_member (root, "quirks");

      image->select_fcp_direct = json_object_get_boolean_member_with_default (quirks, "select_fcp_direct", FALSE);
    }

  if (!load_secrets (image, root, error))
    return NULL;

  image->mf = node_new (SV_VSIM_NODE_MF, 0x3F00, "3F00");
  image->mf->name = g_strdup ("MF");
  if (!json_object_has_member (root, "files"))
    {
      g_set_error (error, SV_VSIM_IMAGE_ERROR, 0, "files: missing");
      return NULL;
    }
  if (!load_files (image, json_object_get_array_member (root, "files"), error))
    return NULL;

  return g_steal_pointer (&image);
}

SvVsimImage *
sv_vsim_image_load (const char  *path,
                    GError     **error)
{
  g_autofree char *contents = NULL;
  gsize length;
  g_autoptr(GError) local_error = NULL;
  SvVsimImage *image;

  if (!g_file_get_contents (path, &contents, &length, error))
    return NULL;
  image = sv_vsim_image_load_from_data (contents, (gssize) length, &local_error);
  if (image == NULL)
    g_set_error (error, SV_VSIM_IMAGE_ERROR, 0, "%s: %s", path, local_error->message);
  return image;
}

static void
store_node (SvVsimNode *node)
{
  if (node->kind == SV_VSIM_NODE_EF && node->alias_of == NULL && node->json != NULL)
    {
      if (node->structure == SV_VSIM_EF_TRANSPARENT)
        {
          g_autofree char *hex = sv_bytes_to_hex (node->body->data, node->body->len);

          json_object_set_string_member (node->json, "data", hex);
        }
      else
        {
          JsonArray *records = json_array_new ();
          guint last = 0;

          /* Trailing free (all 0xFF) records are implied by record_count. */
          for (guint r = 0; r < node->record_count; r++)
            {
              const guint8 *rec = node->body->data + r * node->record_length;

              for (guint k = 0; k < node->record_length; k++)
                if (rec[k] != 0xFF)
                  {
                    last = r + 1;
                    break;
                  }
            }
          for (guint r = 0; r < last; r++)
            {
              g_autofree char *hex = sv_bytes_to_hex (node->body->data + r * node->record_length,
                                                 node->record_length);

              json_array_add_string_element (records, hex);
            }
          json_object_set_array_member (node->json, "records", records);
          json_object_set_int_member (node->json, "record_count", node->record_count);
        }
    }
  if (node->children != NULL)
    for (guint i = 0; i < node->children->len; i++)
      store_node (g_ptr_array_index (node->children, i));
}

char *
sv_vsim_image_to_data (SvVsimImage *image,
                       gsize       *length)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  JsonObject *root = json_node_get_object (image->root);
  JsonObject *secrets;

  store_node (image->mf);

  if (!json_object_has_member (root, "secrets"))
    json_object_set_object_member (root, "secrets", json_object_new ());
  secrets = json_object_get_object_member (root, "secrets");
  for (guint i = 0; i < SV_VSIM_N_SECRETS; i++)
    {
      SvVsimSecret *s = &image->secrets[i];
      JsonObject *obj;

      if (!s->present)
        continue;
      if (!json_object_has_member (secrets, s->label))
        json_object_set_object_member (secrets, s->label, json_object_new ());
      obj = json_object_get_object_member (secrets, s->label);
      json_object_set_string_member (obj, "value", s->value);
      json_object_set_boolean_member (obj, "enabled", s->enabled);
      json_object_set_int_member (obj, "tries_left", s->tries_left);
      json_object_set_int_member (obj, "max_tries", s->max_tries);
    }

  json_generator_set_root (generator, image->root);
  json_generator_set_pretty (generator, TRUE);
  json_generator_set_indent (generator, 1);
  return json_generator_to_data (generator, length);
}

/**
 * sv_vsim_image_save:
 *
 * Writes the image back atomically (g_file_set_contents renames a
 * temporary file over @path), so a reader never sees half an image.
 */
gboolean
sv_vsim_image_save (SvVsimImage  *image,
                    const char   *path,
                    GError      **error)
{
  gsize length;
  g_autofree char *data = sv_vsim_image_to_data (image, &length);

  return g_file_set_contents (path, data, (gssize) length, error);
}

void
sv_vsim_image_free (SvVsimImage *image)
{
  if (image == NULL)
    return;
  g_free (image->name);
  g_clear_pointer (&image->atr, g_bytes_unref);
  for (guint i = 0; i < SV_VSIM_N_SECRETS; i++)
    g_free (image->secrets[i].value);
  if (image->mf != NULL)
    node_free (image->mf);
  g_clear_pointer (&image->root, json_node_unref);
  g_free (image);
}
