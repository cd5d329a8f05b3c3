/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-server"

#include "config.h"

#include <string.h>

#include "sv-server-private.h"

/*
 * The worker-thread side of a request: the SvRequest a handler fills, the
 * error answer, and authentication (a bearer or cookie session, the CSRF
 * token of a cookie session, the credentials a route needs) with the
 * content type check, run before the route's handler; and, on the main
 * thread before that, what is read of a request: the route its path
 * matches, its session cookie, a gzip body. The HTTP side (listening,
 * TLS, routing, answering, deadlines) is sv-server.c.
 */

/* ---- requests ----------------------------------------------------------- */

void
sv_request_free (SvRequest *request)
{
  g_free (request->path);
  g_strfreev (request->params);
  g_clear_pointer (&request->query, g_hash_table_unref);
  g_clear_pointer (&request->body, g_bytes_unref);
  g_free (request->content_type);
  g_free (request->bearer);
  g_free (request->cookie);
  g_free (request->csrf);
  g_free (request->client_addr);
  g_clear_pointer (&request->session, sv_store_session_free);
  g_free (request->session_token);
  g_free (request->response_type);
  g_clear_pointer (&request->response, g_bytes_unref);
  g_clear_pointer (&request->headers, g_ptr_array_unref);
  g_free (request->audit_iccid);
  g_free (request);
}


void
sv_request_set_json (SvRequest *request,
                     guint      status,
                     JsonNode  *node)
{
  char *text = sv_protocol_node_to_data (node);

  request->status = status;
  g_free (request->response_type);
  request->response_type = g_strdup ("application/json");
  g_clear_pointer (&request->response, g_bytes_unref);
  request->response = g_bytes_new_take (text, strlen (text));
}

void
sv_request_add_header (SvRequest  *request,
                       const char *name,
                       const char *value)
{
  if (request->headers == NULL)
    request->headers = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (request->headers, g_strdup (name));
  g_ptr_array_add (request->headers, g_strdup (value));
}

/**
 * sv_request_error_from_store:
 *
 * Turns a %SV_STORE_ERROR into the %SV_PROTOCOL_ERROR of the same code
 * (the store's codes are the protocol's). Returns %FALSE, for tail calls.
 */
gboolean
sv_request_error_from_store (GError **error)
{
  SvProtocolError code;
  GError *converted;

  if (error == NULL || *error == NULL || (*error)->domain != SV_STORE_ERROR)
    return FALSE;
  if (!sv_protocol_error_from_string (sv_store_error_code_name ((*error)->code), &code))
    code = SV_PROTOCOL_ERROR_INTERNAL;
  converted = g_error_new_literal (SV_PROTOCOL_ERROR, code, (*error)->message);
  g_clear_error (error);
  *error = converted;
  return FALSE;
}

void
sv_request_set_error_response (SvRequest    *request,
                               const GError *error)
{
  g_autofree char *json = sv_protocol_error_to_json (error);
  SvProtocolError code = SV_PROTOCOL_ERROR_INTERNAL;

  if (error->domain == SV_PROTOCOL_ERROR)
    code = error->code;
  else
    g_printerr ("simvault-server: internal error: %s\n", error->message);
  request->status = sv_protocol_error_get_status (code);
  g_free (request->response_type);
  request->response_type = g_strdup ("application/json");
  g_clear_pointer (&request->response, g_bytes_unref);
  request->response = g_bytes_new (json, strlen (json));
  if (code == SV_PROTOCOL_ERROR_RATE_LIMITED)
    {
      g_autofree char *seconds = g_strdup_printf ("%" G_GINT64_FORMAT, MAX (request->retry_after, 1));

      sv_request_add_header (request, "Retry-After", seconds);
    }
  if (code == SV_PROTOCOL_ERROR_UNAUTHENTICATED || code == SV_PROTOCOL_ERROR_LOGIN_FAILED)
    sv_request_add_header (request, "WWW-Authenticate", "Bearer realm=\"simvault\"");
}

/* ---- authentication (worker thread) ------------------------------------- */

gboolean
sv_request_authenticate (SvRequest     *request,
                         const SvRoute *route,
                         GError       **error)
{
  SvServerAuth auth = route->info.auth;
  const char *token = request->bearer ? request->bearer : request->cookie;
  SvStoreSession *session;
  gboolean state_change;

  if (auth == SV_SERVER_AUTH_NONE)
    return TRUE;
  if (token == NULL)
    {
      if (auth == SV_SERVER_AUTH_OPTIONAL)
        return TRUE;
      sv_protocol_set_error (error, SV_PROTOCOL_ERROR_UNAUTHENTICATED, NULL, "Log in first");
      return FALSE;
    }
  session = sv_store_session_lookup (request->store, token, error);
  if (session == NULL)
    {
      if (error != NULL && *error != NULL && (*error)->domain == SV_STORE_ERROR
          && (*error)->code == SV_STORE_ERROR_UNAUTHENTICATED)
        {
          g_clear_error (error);
          sv_protocol_set_error (error, SV_PROTOCOL_ERROR_UNAUTHENTICATED, NULL,
                                 "The session is unknown or has expired; log in again");
          return FALSE;
        }
      return sv_request_error_from_store (error);
    }
  request->session = session;
  request->session_token = g_strdup (token);
  request->by_cookie = request->bearer == NULL;

  /* A cookie travels by itself; a state change must prove it came from a
   * page that read the session's CSRF token. */
  state_change = !g_str_equal (request->method, "GET") && !g_str_equal (request->method, "HEAD");
  if (request->by_cookie && state_change && !sv_store_session_check_csrf (session, request->csrf))
    {
      sv_protocol_set_error (error, SV_PROTOCOL_ERROR_CSRF, NULL,
                             "A change made with the session cookie needs the X-CSRF-Token header");
      return FALSE;
    }

  switch (auth)
    {
    case SV_SERVER_AUTH_OWNER:
      if (session->kind == SV_STORE_SESSION_OWNER)
        return TRUE;
      break;
    case SV_SERVER_AUTH_OWNER_DELEGATED:
    case SV_SERVER_AUTH_OPTIONAL:
      if (session->kind == SV_STORE_SESSION_OWNER || session->kind == SV_STORE_SESSION_DELEGATED)
        return TRUE;
      break;
    case SV_SERVER_AUTH_SESSION:
      return TRUE;
    case SV_SERVER_AUTH_STAFF:
      if (session->kind == SV_STORE_SESSION_STAFF)
        return TRUE;
      break;
    case SV_SERVER_AUTH_NONE:
    default:
      return TRUE;
    }
  sv_protocol_set_error (error, SV_PROTOCOL_ERROR_FORBIDDEN, NULL,
                         session->kind == SV_STORE_SESSION_STAFF
                         ? "Staff reach a customer's data only with the customer's consent"
                         : "These credentials may not do this");
  return FALSE;
}

/* What a request carries besides its path and the JSON itself: query
 * names and values are UTF-8 text (they may be quoted back in an error
 * message, and JSON holds nothing else), and a body is application/json. */
gboolean
sv_request_check_input (SvRequest  *request,
                        GError    **error)
{
  g_autofree char *type = NULL;
  char *semicolon;

  if (request->query != NULL)
    {
      GHashTableIter iter;
      const char *name, *value;

      g_hash_table_iter_init (&iter, request->query);
      while (g_hash_table_iter_next (&iter, (gpointer *) &name, (gpointer *) &value))
        if (!g_utf8_validate (name, -1, NULL) || (value != NULL && !g_utf8_validate (value, -1, NULL)))
          {
            sv_protocol_set_error (error, SV_PROTOCOL_ERROR_INVALID, NULL,
                                   "The query string is not UTF-8 text");
            return FALSE;
          }
    }
  if (request->body == NULL || g_bytes_get_size (request->body) == 0)
    return TRUE;
  type = g_ascii_strdown (request->content_type ? request->content_type : "", -1);
  if ((semicolon = strchr (type, ';')) != NULL)
    *semicolon = '\0';
  g_strstrip (type);
  if (!g_str_equal (type, "application/json"))
    {
      sv_protocol_set_error (error, SV_PROTOCOL_ERROR_UNSUPPORTED_MEDIA_TYPE, NULL,
                             "The body must be application/json");
      return FALSE;
    }
  return TRUE;
}

/* ---- reading a request (main thread) ------------------------------------ */

static const char *
segment_end (const char *segment)
{
  const char *slash = strchr (segment, '/');

  return slash != NULL ? slash : segment + strlen (segment);
}

/* Segment by segment, without splitting either string (it runs for every
 * route on every request); a {placeholder} matches one non-empty segment. */
gboolean
sv_route_match (const char  *pattern,
                const char  *path,
                GStrv       *params)
{
  g_autoptr(GStrvBuilder) found = NULL;
  const char *want = pattern;
  const char *have = path;
  char *segment = NULL;

  for (;;)
    {
      const char *want_end = segment_end (want);
      const char *have_end = segment_end (have);

      if (want[0] == '{')
        {
          if (have_end == have)
            return FALSE;
          if (found == NULL)
            found = g_strv_builder_new ();
          segment = g_strndup (have, have_end - have);
          g_strv_builder_add (found, segment);
          g_clear_pointer (&segment, g_free);
        }
      else if (want_end - want != have_end - have || strncmp (want, have, want_end - want) != 0)
        return FALSE;
      if (*want_end == '\0' || *have_end == '\0')
        {
          if (*want_end != *have_end)
            return FALSE;
          break;
        }
      want = want_end + 1;
      have = have_end + 1;
    }
  if (found == NULL)
    found = g_strv_builder_new ();
  *params = g_strv_builder_end (found);
  return TRUE;
}

/* The value of the cookie @name in @header (the request's Cookie header,
 * nullable). */
char *
sv_request_cookie_value (const char *header,
                         const char *name)
{
  g_auto(GStrv) parts = NULL;

  if (header == NULL)
    return NULL;
  parts = g_strsplit (header, ";", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      char *part = g_strstrip (parts[i]);
      gsize len = strlen (name);

      if (strncmp (part, name, len) == 0 && part[len] == '=' && part[len + 1] != '\0')
        return g_strdup (part + len + 1);
    }
  return NULL;
}

/* A body sent with `Content-Encoding: gzip` (@coding, nullable) is
 * decompressed here, up to the same limit as a plain one; any other coding
 * is refused. */
gboolean
sv_request_decode_body (SvRequest   *request,
                        const char  *coding,
                        GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  GBytes *plain;
  gsize len;
  const void *data;

  if (coding == NULL || g_ascii_strcasecmp (coding, "identity") == 0)
    return TRUE;
  if (g_ascii_strcasecmp (coding, "gzip") != 0)
    {
      sv_protocol_set_error (error, SV_PROTOCOL_ERROR_UNSUPPORTED_MEDIA_TYPE, NULL,
                             "Content-Encoding %s is not supported (gzip is)", coding);
      return FALSE;
    }
  data = g_bytes_get_data (request->body, &len);
  plain = sv_protocol_gunzip (data, len, SV_PROTOCOL_MAX_BODY, &local_error);
  if (plain == NULL)
    {
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE))
        sv_protocol_set_error (error, SV_PROTOCOL_ERROR_TOO_LARGE, NULL,
                               "The body is larger than %d bytes", SV_PROTOCOL_MAX_BODY);
      else
        sv_protocol_set_error (error, SV_PROTOCOL_ERROR_MALFORMED, NULL,
                               "The gzip body does not decompress: %s", local_error->message);
      return FALSE;
    }
  g_bytes_unref (request->body);
  request->body = plain;
  return TRUE;
}
