/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-protocol"

#include "config.h"

#include <json-glib/json-glib.h>

#include "sv-protocol-error.h"
#include "sv-protocol-types.h"

typedef struct
{
  char *field;
} SvProtocolErrorPrivate;

static void
sv_protocol_error_private_init (SvProtocolErrorPrivate *priv)
{
  priv->field = NULL;
}

static void
sv_protocol_error_private_copy (const SvProtocolErrorPrivate *src,
                                SvProtocolErrorPrivate       *dest)
{
  dest->field = g_strdup (src->field);
}

static void
sv_protocol_error_private_clear (SvProtocolErrorPrivate *priv)
{
  g_clear_pointer (&priv->field, g_free);
}

G_DEFINE_EXTENDED_ERROR (SvProtocolError, sv_protocol_error)

static const char *
string_member (JsonObject *object,
               const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

/* PROTOCOL.md "Errors": the code, its HTTP status. */
static const struct
{
  SvProtocolError  code;
  const char      *string;
  guint            status;
} error_table[] = {
  { SV_PROTOCOL_ERROR_MALFORMED,              "malformed",              400 },
  { SV_PROTOCOL_ERROR_UNKNOWN_FIELD,          "unknown-field",          400 },
  { SV_PROTOCOL_ERROR_INVALID,                "invalid",                400 },
  { SV_PROTOCOL_ERROR_UNAUTHENTICATED,        "unauthenticated",        401 },
  { SV_PROTOCOL_ERROR_LOGIN_FAILED,           "login-failed",           401 },
  { SV_PROTOCOL_ERROR_FORBIDDEN,              "forbidden",              403 },
  { SV_PROTOCOL_ERROR_CSRF,                   "csrf",                   403 },
  { SV_PROTOCOL_ERROR_NOT_FOUND,              "not-found",              404 },
  { SV_PROTOCOL_ERROR_METHOD_NOT_ALLOWED,     "method-not-allowed",     405 },
  { SV_PROTOCOL_ERROR_CONFLICT,               "conflict",               409 },
  { SV_PROTOCOL_ERROR_BATCH_IN_PROGRESS,      "batch-in-progress",      409 },
  { SV_PROTOCOL_ERROR_FULL_RESYNC_REQUIRED,   "full-resync-required",   410 },
  { SV_PROTOCOL_ERROR_TOO_LARGE,              "too-large",              413 },
  { SV_PROTOCOL_ERROR_UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type", 415 },
  { SV_PROTOCOL_ERROR_BATCH_ID_REUSED,        "batch-id-reused",        422 },
  { SV_PROTOCOL_ERROR_DOES_NOT_FIT,           "does-not-fit",           422 },
  { SV_PROTOCOL_ERROR_RATE_LIMITED,           "rate-limited",           429 },
  { SV_PROTOCOL_ERROR_INTERNAL,               "internal",               500 },
  { SV_PROTOCOL_ERROR_UNAVAILABLE,            "unavailable",            503 },
};

G_STATIC_ASSERT (G_N_ELEMENTS (error_table) == SV_PROTOCOL_N_ERRORS);

/**
 * sv_protocol_error_to_string:
 *
 * Returns: the stable machine-readable code, e.g. "does-not-fit"
 */
const char *
sv_protocol_error_to_string (SvProtocolError code)
{
  g_return_val_if_fail ((guint) code < G_N_ELEMENTS (error_table), "internal");
  return error_table[code].string;
}

/**
 * sv_protocol_error_from_string:
 *
 * Returns: %TRUE when @string is one of the protocol's codes
 */
gboolean
sv_protocol_error_from_string (const char      *string,
                               SvProtocolError *code)
{
  for (guint i = 0; string != NULL && i < G_N_ELEMENTS (error_table); i++)
    if (g_str_equal (string, error_table[i].string))
      {
        *code = error_table[i].code;
        return TRUE;
      }
  return FALSE;
}

/**
 * sv_protocol_error_get_status:
 *
 * Returns: the HTTP status that carries @code
 */
guint
sv_protocol_error_get_status (SvProtocolError code)
{
  g_return_val_if_fail ((guint) code < G_N_ELEMENTS (error_table), 500);
  return error_table[code].status;
}

/**
 * sv_protocol_set_error:
 * @field: (nullable): the request field at fault, e.g. "records[3].data"
 *
 * Sets a %SV_PROTOCOL_ERROR on @error that names @field.
 */
void
sv_protocol_set_error (GError          **error,
                       SvProtocolError   code,
                       const char       *field,
                       const char       *format,
                       ...)
{
  va_list args;
  g_autofree char *message = NULL;

  if (error == NULL)
    return;
  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error_literal (error, SV_PROTOCOL_ERROR, code, message);
  sv_protocol_error_set_field (*error, field);
}

/**
 * sv_protocol_error_get_field:
 *
 * Returns: (nullable): the field a %SV_PROTOCOL_ERROR names
 */
const char *
sv_protocol_error_get_field (const GError *error)
{
  SvProtocolErrorPrivate *priv;

  if (error == NULL || error->domain != SV_PROTOCOL_ERROR)
    return NULL;
  priv = sv_protocol_error_get_private (error);
  return priv ? priv->field : NULL;
}

void
sv_protocol_error_set_field (GError     *error,
                             const char *field)
{
  SvProtocolErrorPrivate *priv;

  if (error == NULL || error->domain != SV_PROTOCOL_ERROR)
    return;
  priv = sv_protocol_error_get_private (error);
  g_free (priv->field);
  priv->field = g_strdup (field);
}

/**
 * sv_protocol_error_prefix_field:
 * @prefix: the path of the enclosing object, e.g. "card"
 *
 * Turns the field "iccid" into "card.iccid" (or "records[3]" + "data" into
 * "records[3].data"), so an error raised deep in a request names the field
 * from the request's root.
 */
void
sv_protocol_error_prefix_field (GError     *error,
                                const char *prefix)
{
  const char *field = sv_protocol_error_get_field (error);
  g_autofree char *joined = NULL;

  if (error == NULL || error->domain != SV_PROTOCOL_ERROR || prefix == NULL || *prefix == '\0')
    return;
  if (field == NULL || *field == '\0')
    joined = g_strdup (prefix);
  else if (field[0] == '[')
    joined = g_strconcat (prefix, field, NULL);
  else
    joined = g_strconcat (prefix, ".", field, NULL);
  sv_protocol_error_set_field (error, joined);
}

/**
 * sv_protocol_error_to_json:
 *
 * Any error becomes `{"error": {"code", "message", "field"}}`; an error of
 * another domain is "internal" with a generic message, so a server never
 * leaks SQLite or file names to a client.
 *
 * Returns: (transfer full): the JSON body of an error answer
 */
char *
sv_protocol_error_to_json (const GError *error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  gboolean ours = error != NULL && error->domain == SV_PROTOCOL_ERROR
                  && (guint) error->code < SV_PROTOCOL_N_ERRORS;
  const char *field = sv_protocol_error_get_field (error);
  g_autofree char *message = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "error");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "code");
  json_builder_add_string_value (builder,
                                 sv_protocol_error_to_string (ours ? (SvProtocolError) error->code
                                                                   : SV_PROTOCOL_ERROR_INTERNAL));
  json_builder_set_member_name (builder, "message");
  /* A message may quote what a client sent; JSON carries only UTF-8. */
  message = g_utf8_make_valid (ours ? error->message : "The server failed; nothing was stored", -1);
  json_builder_add_string_value (builder, message);
  if (ours && field != NULL)
    {
      g_autofree char *valid_field = g_utf8_make_valid (field, -1);

      json_builder_set_member_name (builder, "field");
      json_builder_add_string_value (builder, valid_field);
    }
  json_builder_end_object (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  return json_generator_to_data (generator, NULL);
}

/**
 * sv_protocol_error_new_from_response:
 * @status: the HTTP status of the answer
 * @body: (nullable): its body
 *
 * For clients: turns an error answer back into a %SV_PROTOCOL_ERROR. A body
 * that is not the protocol's error object gives the code the status implies.
 *
 * Returns: (transfer full): the error
 */
GError *
sv_protocol_error_new_from_response (guint       status,
                                     const char *body,
                                     gsize       len)
{
  g_autoptr(JsonNode) root = NULL;
  SvProtocolError code = status >= 500 ? SV_PROTOCOL_ERROR_INTERNAL : SV_PROTOCOL_ERROR_MALFORMED;
  const char *message = NULL;
  const char *field = NULL;
  GError *error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (error_table); i++)
    if (error_table[i].status == status)
      {
        code = error_table[i].code;
        break;
      }

  /* The same checks as every body (size, UTF-8, depth, one object): an
   * empty body (a proxy's bare 502) parsed to no root, found by
   * tests/fuzz/fuzz-protocol-response (regress-empty-error-body), and a
   * server's answer must not make json-glib recurse without bound or
   * leak (regress-two-values). */
  if (body != NULL)
    root = sv_protocol_parse_body (body, len, NULL);
  if (root != NULL)
    {
      JsonNode *e = json_object_get_member (json_node_get_object (root), "error");

      if (e != NULL && JSON_NODE_HOLDS_OBJECT (e))
        {
          JsonObject *o = json_node_get_object (e);
          SvProtocolError parsed;

          if (sv_protocol_error_from_string (string_member (o, "code"), &parsed))
            code = parsed;
          message = string_member (o, "message");
          field = string_member (o, "field");
        }
    }

  error = g_error_new (SV_PROTOCOL_ERROR, code, "%s",
                       message ? message : sv_protocol_error_to_string (code));
  sv_protocol_error_set_field (error, field);
  return error;
}
