/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-protocol"

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "sv-hex.h"
#include "sv-protocol-error.h"
#include "sv-protocol-types.h"

static const char *
json_type_name (SvJsonType type)
{
  switch (type)
    {
    case SV_JSON_STRING: return "a string";
    case SV_JSON_INT: return "an integer";
    case SV_JSON_BOOL: return "true or false";
    case SV_JSON_OBJECT: return "an object";
    case SV_JSON_ARRAY: return "an array";
    default: return "?";
    }
}

static gboolean
node_has_type (JsonNode   *node,
               SvJsonType  type)
{
  switch (type)
    {
    case SV_JSON_STRING:
      return JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING;
    case SV_JSON_INT:
      return JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_INT64;
    case SV_JSON_BOOL:
      return JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_BOOLEAN;
    case SV_JSON_OBJECT:
      return JSON_NODE_HOLDS_OBJECT (node);
    case SV_JSON_ARRAY:
      return JSON_NODE_HOLDS_ARRAY (node);
    default:
      return FALSE;
    }
}

/* The deepest nesting of arrays and objects in @body, strings skipped: the
 * parser recurses per level, so a body of a million '[' must be refused
 * before it is parsed. */
static guint
json_depth (const char *body,
            gsize       len)
{
  guint depth = 0, max = 0;
  gboolean in_string = FALSE;

  for (gsize i = 0; i < len; i++)
    {
      char c = body[i];

      if (in_string)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = FALSE;
        }
      else if (c == '"')
        in_string = TRUE;
      else if (c == '[' || c == '{')
        {
          depth++;
          max = MAX (max, depth);
        }
      else if ((c == ']' || c == '}') && depth > 0)
        depth--;
    }
  return max;
}

/* Whether @body is one JSON object and nothing after it but white space.
 * json-glib 1.6 accepts several top-level values ("{…} {…}", "1 {…}") and
 * leaks the nodes it built for all but the last: found by
 * tests/fuzz/fuzz-protocol-request (corpus regress-two-values), a few
 * hundred bytes lost per such request. Such a body is refused before
 * json-glib sees it. Unbalanced text is left to json-glib's errors. */
static gboolean
is_one_object (const char *body,
               gsize       len)
{
  guint depth = 0;
  gboolean in_string = FALSE;
  gsize i = 0;

  while (i < len && g_ascii_isspace (body[i]))
    i++;
  if (i == len || body[i] != '{')
    return FALSE;
  for (; i < len; i++)
    {
      char c = body[i];

      if (in_string)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = FALSE;
        }
      else if (c == '"')
        in_string = TRUE;
      else if (c == '[' || c == '{')
        depth++;
      else if ((c == ']' || c == '}') && depth > 0 && --depth == 0)
        {
          for (i++; i < len; i++)
            if (!g_ascii_isspace (body[i]))
              return FALSE;
          return TRUE;
        }
    }
  return TRUE;
}

/**
 * sv_protocol_parse_body:
 *
 * Parses a request or response body that must be one JSON object.
 *
 * Returns: (transfer full) (nullable): the root node; %NULL with
 *   %SV_PROTOCOL_ERROR_MALFORMED (or TOO_LARGE) otherwise
 */
JsonNode *
sv_protocol_parse_body (const char  *body,
                        gsize        len,
                        GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(GError) local_error = NULL;
  JsonNode *root;

  if (len > SV_PROTOCOL_MAX_BODY)
    {
      sv_protocol_set_error (error, SV_PROTOCOL_ERROR_TOO_LARGE, NULL,
                             "The body is larger than %d bytes", SV_PROTOCOL_MAX_BODY);
      return NULL;
    }
  if (body == NULL || len == 0)
    {
      sv_protocol_set_error (error, SV_PROTOCOL_ERROR_MALFORMED, NULL, "The body is empty; a JSON object is expected");
      return NULL;
    }
  if (!g_utf8_validate (body, len, NULL))
    {
      sv_protocol_set_error (error, SV_PROTOCOL_ERROR_MALFORMED, NULL, "The body is not UTF-8");
      return NULL;
    }
  if (json_depth (body, len) > SV_PROTOCOL_MAX_DEPTH)
    {
      sv_protocol_set_error (error, SV_PROTOCOL_ERROR_MALFORMED, NULL,
                             "The body nests deeper than %d levels", SV_PROTOCOL_MAX_DEPTH);
      return NULL;
    }
  if (!is_one_object (body, len))
    {
      sv_protocol_set_error (error, SV_PROTOCOL_ERROR_MALFORMED, NULL,
                             "The body is not a JSON object (or holds more than one value)");
      return NULL;
    }
  if (!json_parser_load_from_data (parser, body, len, &local_error))
    {
      sv_protocol_set_error (error, SV_PROTOCOL_ERROR_MALFORMED, NULL, "The body is not JSON: %s",
                             local_error->message);
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      sv_protocol_set_error (error, SV_PROTOCOL_ERROR_MALFORMED, NULL, "The body is not a JSON object");
      return NULL;
    }
  return json_node_ref (root);
}

/**
 * sv_protocol_check_object:
 * @fields: (array length=n_fields): what the object may hold
 *
 * Checks that @node is an object whose members are all in @fields, of the
 * right types, with every required one present. The error names the field
 * relative to @node; the caller prefixes the path with
 * sv_protocol_error_prefix_field().
 *
 * Returns: %TRUE when the object passes
 */
gboolean
sv_protocol_check_object (JsonNode           *node,
                          const SvJsonField  *fields,
                          guint               n_fields,
                          GError            **error)
{
  JsonObject *object;
  JsonObjectIter iter;
  const char *name;
  JsonNode *member;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      sv_protocol_set_error (error, SV_PROTOCOL_ERROR_MALFORMED, NULL, "An object is expected");
      return FALSE;
    }
  object = json_node_get_object (node);

  json_object_iter_init (&iter, object);
  while (json_object_iter_next (&iter, &name, &member))
    {
      const SvJsonField *field = NULL;

      for (guint i = 0; i < n_fields; i++)
        if (g_str_equal (fields[i].name, name))
          field = &fields[i];
      if (field == NULL)
        {
          sv_protocol_set_error (error, SV_PROTOCOL_ERROR_UNKNOWN_FIELD, name,
                                 "Unknown field “%s”", name);
          return FALSE;
        }
      if (!node_has_type (member, field->type))
        {
          sv_protocol_set_error (error, SV_PROTOCOL_ERROR_MALFORMED, name,
                                 "The field “%s” must be %s", name, json_type_name (field->type));
          return FALSE;
        }
    }

  for (guint i = 0; i < n_fields; i++)
    if (fields[i].required && !json_object_has_member (object, fields[i].name))
      {
        sv_protocol_set_error (error, SV_PROTOCOL_ERROR_INVALID, fields[i].name,
                               "The field “%s” is missing", fields[i].name);
        return FALSE;
      }
  return TRUE;
}

/**
 * sv_protocol_node_to_data:
 *
 * Returns: (transfer full): compact JSON text of @node
 */
char *
sv_protocol_node_to_data (JsonNode *node)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();

  json_generator_set_root (generator, node);
  return json_generator_to_data (generator, NULL);
}

/* Bodies travel gzip-compressed (`Content-Encoding: gzip`) both ways when
 * that is shorter: hex records and JSON field names repeat, so a batch of
 * 100 records shrinks to about a quarter, and even three records gain. */
static GBytes *
convert_all (GConverter  *converter,
             const void  *data,
             gsize        len,
             gsize        max_len,
             GError     **error)
{
  g_autoptr(GByteArray) out = g_byte_array_sized_new (MIN (len + 64, max_len));
  const guint8 *in = data;
  gsize in_left = len;
  guint8 buffer[16384];

  for (;;)
    {
      gsize read = 0, written = 0;
      GConverterResult result;

      result = g_converter_convert (converter, in, in_left, buffer, sizeof buffer,
                                    G_CONVERTER_INPUT_AT_END, &read, &written, error);
      if (result == G_CONVERTER_ERROR)
        return NULL;
      in += read;
      in_left -= read;
      if (out->len + written > max_len)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                       "The body is larger than %" G_GSIZE_FORMAT " bytes once decompressed", max_len);
          return NULL;
        }
      g_byte_array_append (out, buffer, written);
      if (result == G_CONVERTER_FINISHED)
        break;
      if (read == 0 && written == 0 && in_left == 0)
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT,
                               "The compressed body ends early");
          return NULL;
        }
    }
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

/**
 * sv_protocol_gzip:
 *
 * Returns: (transfer full): @data gzip-compressed
 */
GBytes *
sv_protocol_gzip (const void *data,
                  gsize       len)
{
  g_autoptr(GZlibCompressor) compressor = g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP, 6);

  return convert_all (G_CONVERTER (compressor), data, len, G_MAXSIZE, NULL);
}

/**
 * sv_protocol_gzip_if_smaller:
 *
 * What a sender of the protocol puts on the wire for a body: from
 * %SV_PROTOCOL_GZIP_MIN bytes on, the gzipped body when it and the
 * `Content-Encoding: gzip` header line it needs are shorter than @data.
 *
 * Returns: (transfer full) (nullable): the gzipped body, or %NULL to send
 *   @data as it is
 */
GBytes *
sv_protocol_gzip_if_smaller (const void *data,
                             gsize       len)
{
  static const gsize header = sizeof "Content-Encoding: gzip\r\n" - 1;
  g_autoptr(GBytes) packed = NULL;

  if (len < SV_PROTOCOL_GZIP_MIN)
    return NULL;
  packed = sv_protocol_gzip (data, len);
  if (packed == NULL || g_bytes_get_size (packed) + header >= len)
    return NULL;
  return g_steal_pointer (&packed);
}

/**
 * sv_protocol_gunzip:
 * @max_len: the most bytes the decompressed body may have
 *
 * Returns: (transfer full) (nullable): @data decompressed, %NULL (with
 *   %G_IO_ERROR_MESSAGE_TOO_LARGE past @max_len) when it is not gzip
 */
GBytes *
sv_protocol_gunzip (const void  *data,
                    gsize        len,
                    gsize        max_len,
                    GError     **error)
{
  g_autoptr(GZlibDecompressor) decompressor = g_zlib_decompressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP);

  return convert_all (G_CONVERTER (decompressor), data, len, max_len, error);
}

/**
 * sv_protocol_accepts_gzip:
 * @accept_encoding: (nullable): an Accept-Encoding header
 *
 * Returns: whether it lists gzip without `q=0`
 */
gboolean
sv_protocol_accepts_gzip (const char *accept_encoding)
{
  g_auto(GStrv) codings = NULL;

  if (accept_encoding == NULL)
    return FALSE;
  codings = g_strsplit (accept_encoding, ",", -1);
  for (guint i = 0; codings[i] != NULL; i++)
    {
      g_auto(GStrv) parts = g_strsplit (codings[i], ";", 2);
      g_autofree char *name = g_strstrip (g_strdup (parts[0]));

      if (g_ascii_strcasecmp (name, "gzip") != 0)
        continue;
      if (parts[1] != NULL)
        {
          g_autofree char *q = g_strstrip (g_strdup (parts[1]));

          if (g_ascii_strncasecmp (q, "q=0", 3) == 0 && strspn (q + 3, ".0") == strlen (q + 3))
            return FALSE;
        }
      return TRUE;
    }
  return FALSE;
}

/* Getters for objects that sv_protocol_check_object() passed: a missing
 * member gives the default, never a critical. */
const char *
sv_protocol_get_string (JsonObject *object,
                        const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !node_has_type (node, SV_JSON_STRING))
    return NULL;
  return json_node_get_string (node);
}

gint64
sv_protocol_get_int (JsonObject *object,
                     const char *name,
                     gint64      default_value)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !node_has_type (node, SV_JSON_INT))
    return default_value;
  return json_node_get_int (node);
}

gboolean
sv_protocol_get_bool (JsonObject *object,
                      const char *name,
                      gboolean    default_value)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !node_has_type (node, SV_JSON_BOOL))
    return default_value;
  return json_node_get_boolean (node);
}

/**
 * sv_protocol_get_strv:
 *
 * Returns: (transfer full) (nullable): the array of strings @name (an empty
 *   vector when absent); %NULL with an error naming "name[i]" when an
 *   element is not a string
 */
char **
sv_protocol_get_strv (JsonObject  *object,
                      const char  *name,
                      GError     **error)
{
  JsonNode *node = json_object_get_member (object, name);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  JsonArray *array;

  if (node == NULL)
    return g_strv_builder_end (builder);
  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      sv_protocol_set_error (error, SV_PROTOCOL_ERROR_MALFORMED, name, "The field “%s” must be an array", name);
      return NULL;
    }
  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);

      if (!node_has_type (element, SV_JSON_STRING))
        {
          g_autofree char *field = g_strdup_printf ("%s[%u]", name, i);

          sv_protocol_set_error (error, SV_PROTOCOL_ERROR_MALFORMED, field, "The field “%s” must be a string", field);
          return NULL;
        }
      g_strv_builder_add (builder, json_node_get_string (element));
    }
  return g_strv_builder_end (builder);
}

static int
compare_uint (gconstpointer a,
              gconstpointer b)
{
  guint x = *(const guint *) a;
  guint y = *(const guint *) b;

  return x < y ? -1 : x > y;
}

/**
 * sv_index_ranges_format:
 * @indices: (array length=n_indices): record indices, in any order, repeats
 *   allowed
 *
 * PROTOCOL.md "Index ranges": `1-17,19,21-250`; no indices give "".
 *
 * Returns: (transfer full): the compact ranges
 */
char *
sv_index_ranges_format (const guint *indices,
                        guint        n_indices)
{
  g_autofree guint *sorted = g_memdup2 (indices, sizeof (guint) * n_indices);
  GString *out = g_string_new (NULL);
  guint i = 0;

  if (n_indices > 0)
    qsort (sorted, n_indices, sizeof (guint), compare_uint);
  while (i < n_indices)
    {
      guint first = sorted[i];
      guint last = first;

      while (i < n_indices && (sorted[i] == last || sorted[i] == last + 1))
        last = sorted[i++];
      if (out->len > 0)
        g_string_append_c (out, ',');
      if (first == last)
        g_string_append_printf (out, "%u", first);
      else
        g_string_append_printf (out, "%u-%u", first, last);
    }
  return g_string_free (out, FALSE);
}

static gboolean
parse_index (const char **p,
             guint       *value)
{
  guint64 v = 0;
  const char *s = *p;

  if (!g_ascii_isdigit (*s) || *s == '0')
    return FALSE;
  while (g_ascii_isdigit (*s))
    {
      v = v * 10 + (guint64) (*s - '0');
      if (v > G_MAXUINT32)
        return FALSE;
      s++;
    }
  *value = (guint) v;
  *p = s;
  return TRUE;
}

/**
 * sv_index_ranges_parse:
 * @ranges: e.g. "1-17,19,21-250"; "" is the empty set
 * @max_index: the largest index allowed, 0 for no limit
 *
 * Strict: each range starts after the previous one ended (ascending, no
 * overlap), no spaces, no zero, no leading zeros, no empty item.
 *
 * Returns: (transfer full) (element-type guint) (nullable): every index in
 *   ascending order; %NULL with %SV_PROTOCOL_ERROR_INVALID
 */
GArray *
sv_index_ranges_parse (const char  *ranges,
                       guint        max_index,
                       GError     **error)
{
  g_autoptr(GArray) out = g_array_new (FALSE, FALSE, sizeof (guint));
  const char *p = ranges;
  guint previous = 0;

  if (ranges == NULL)
    {
      sv_protocol_set_error (error, SV_PROTOCOL_ERROR_INVALID, NULL, "No index ranges");
      return NULL;
    }
  while (*p != '\0')
    {
      guint first, last;

      if (!parse_index (&p, &first))
        goto bad;
      last = first;
      if (*p == '-')
        {
          p++;
          if (!parse_index (&p, &last) || last <= first)
            goto bad;
        }
      if (first <= previous || (max_index > 0 && last > max_index))
        goto bad;
      if ((gsize) out->len + (last - first) >= SV_PROTOCOL_MAX_RECORDS)
        goto bad;
      for (guint i = first; i <= last; i++)
        g_array_append_val (out, i);
      previous = last;
      if (*p == ',')
        {
          p++;
          if (*p == '\0')
            goto bad;
        }
      else if (*p != '\0')
        goto bad;
    }
  return g_steal_pointer (&out);

bad:
  sv_protocol_set_error (error, SV_PROTOCOL_ERROR_INVALID, NULL,
                         "“%s” is not a list of ascending index ranges%s", ranges,
                         max_index > 0 ? " within the file" : "");
  return NULL;
}

/**
 * sv_sync_token_format:
 *
 * Returns: (transfer full): "EPOCH-MODSEQ"
 */
char *
sv_sync_token_format (gint64 epoch,
                      gint64 modseq)
{
  return g_strdup_printf ("%" G_GINT64_FORMAT "-%" G_GINT64_FORMAT, epoch, modseq);
}

/**
 * sv_sync_token_parse:
 *
 * Returns: %TRUE when @token is "EPOCH-MODSEQ", both non-negative decimal
 *   numbers; otherwise %SV_PROTOCOL_ERROR_FULL_RESYNC_REQUIRED: a token the
 *   server cannot read is a token it cannot answer from
 */
gboolean
sv_sync_token_parse (const char  *token,
                     gint64      *epoch,
                     gint64      *modseq,
                     GError     **error)
{
  g_auto(GStrv) parts = NULL;
  guint64 e, m;

  if (token == NULL)
    goto bad;
  parts = g_strsplit (token, "-", 3);
  if (g_strv_length (parts) != 2
      || !g_ascii_string_to_unsigned (parts[0], 10, 0, G_MAXINT64, &e, NULL)
      || !g_ascii_string_to_unsigned (parts[1], 10, 0, G_MAXINT64, &m, NULL))
    goto bad;
  *epoch = (gint64) e;
  *modseq = (gint64) m;
  return TRUE;

bad:
  sv_protocol_set_error (error, SV_PROTOCOL_ERROR_FULL_RESYNC_REQUIRED, "since",
                         "The sync token is not one this server issued; a full resync is required");
  return FALSE;
}

/**
 * sv_protocol_normalize_phone:
 *
 * PROTOCOL.md "Phone numbers": spaces and dashes removed, an optional
 * leading '+', then 3 to 20 digits.
 *
 * Returns: (transfer full) (nullable): the normalised number
 */
char *
sv_protocol_normalize_phone (const char  *phone,
                             const char  *field,
                             GError     **error)
{
  GString *out = g_string_new (NULL);
  guint digits = 0;

  for (const char *p = phone ? phone : ""; *p; p++)
    {
      if (*p == ' ' || *p == '-')
        continue;
      if (*p == '+' && out->len == 0)
        g_string_append_c (out, '+');
      else if (g_ascii_isdigit (*p))
        {
          g_string_append_c (out, *p);
          digits++;
        }
      else
        {
          digits = 0;
          break;
        }
    }
  if (digits < 3 || digits > 20)
    {
      g_string_free (out, TRUE);
      sv_protocol_set_error (error, SV_PROTOCOL_ERROR_INVALID, field,
                             "A phone number is 3 to 20 digits with an optional leading +");
      return NULL;
    }
  return g_string_free (out, FALSE);
}

/**
 * sv_protocol_check_iccid:
 *
 * Returns: %TRUE for 19 or 20 decimal digits
 */
gboolean
sv_protocol_check_iccid (const char  *iccid,
                         const char  *field,
                         GError     **error)
{
  gsize len = iccid ? strlen (iccid) : 0;

  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isdigit (iccid[i]))
      len = 0;
  if (len != 19 && len != 20)
    {
      sv_protocol_set_error (error, SV_PROTOCOL_ERROR_INVALID, field,
                             "An ICCID is 19 or 20 decimal digits");
      return FALSE;
    }
  return TRUE;
}

/**
 * sv_protocol_check_batch_id:
 *
 * Returns: %TRUE for 1 to 64 characters of [A-Za-z0-9_-]
 */
gboolean
sv_protocol_check_batch_id (const char  *batch_id,
                            const char  *field,
                            GError     **error)
{
  gsize len = batch_id ? strlen (batch_id) : 0;

  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalnum (batch_id[i]) && batch_id[i] != '-' && batch_id[i] != '_')
      len = 0;
  if (len < 1 || len > 64)
    {
      sv_protocol_set_error (error, SV_PROTOCOL_ERROR_INVALID, field,
                             "A batch id is 1 to 64 letters, digits, '-' or '_'");
      return FALSE;
    }
  return TRUE;
}

/**
 * sv_protocol_hex_decode:
 *
 * Strict: an even number of hex digits (either case), nothing else, at
 * most %SV_PROTOCOL_MAX_RECORD_LEN bytes.
 *
 * Returns: (transfer full) (nullable): the bytes
 */
GBytes *
sv_protocol_hex_decode (const char  *hex,
                        const char  *field,
                        GError     **error)
{
  g_autoptr(GBytes) bytes = hex ? sv_hex_decode (hex, SV_HEX_STRICT, NULL) : NULL;

  if (bytes != NULL && g_bytes_get_size (bytes) <= SV_PROTOCOL_MAX_RECORD_LEN)
    return g_steal_pointer (&bytes);

  sv_protocol_set_error (error, SV_PROTOCOL_ERROR_INVALID, field,
                         "Record data must be an even number of hex digits, at most %d bytes",
                         SV_PROTOCOL_MAX_RECORD_LEN);
  return NULL;
}

/**
 * sv_protocol_hex_encode:
 *
 * Returns: (transfer full): upper-case hex of @bytes
 */
char *
sv_protocol_hex_encode (GBytes *bytes)
{
  gsize len = 0;
  const guint8 *data = bytes ? g_bytes_get_data (bytes, &len) : NULL;

  return sv_bytes_to_hex (data, len);
}

/**
 * sv_protocol_time_parse:
 *
 * Returns: (transfer full) (nullable): an RFC 3339 time with an offset or Z
 */
GDateTime *
sv_protocol_time_parse (const char  *text,
                        const char  *field,
                        GError     **error)
{
  GDateTime *time = text ? g_date_time_new_from_iso8601 (text, NULL) : NULL;

  /* Years before 1000 format without four digits (g_date_time_format's
   * %Y), so the canonical form would not parse back: found by
   * tests/fuzz/fuzz-protocol-request (corpus/protocol-request/regress-year-226).
   * No card or server time lies outside 1970-9999. */
  if (time != NULL && (g_date_time_get_year (time) < 1970 || g_date_time_get_year (time) > 9999))
    g_clear_pointer (&time, g_date_time_unref);
  if (time == NULL)
    sv_protocol_set_error (error, SV_PROTOCOL_ERROR_INVALID, field,
                           "A time is RFC 3339 with an offset, e.g. 2026-12-07T03:10:00Z");
  return time;
}

/**
 * sv_protocol_time_format:
 *
 * Returns: (transfer full): @time in UTC as "2026-12-07T03:10:00Z"
 */
char *
sv_protocol_time_format (GDateTime *time)
{
  g_autoptr(GDateTime) utc = g_date_time_to_utc (time);

  return g_date_time_format (utc, "%Y-%m-%dT%H:%M:%SZ");
}
