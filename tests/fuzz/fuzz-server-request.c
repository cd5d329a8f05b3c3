/* SPDX-License-Identifier: GPL-3.0-or-later
 * Fuzz: simvault-server's request handling in-process, without sockets:
 * the route match, authentication (bearer or cookie, CSRF), the content
 * type check and every endpoint's handler, over a real store (SQLite in a
 * scratch directory) holding one account with a card, exactly as
 * server_cb() and handle_in_thread() run them. The input is an HTTP
 * request as text:
 *
 *   METHOD /path?query
 *   Header: value
 *   …
 *   (blank line)
 *   body
 *
 * "$OWNER" / "$STAFF" in a header stand for a valid owner / staff session
 * token and "$ICCID" in the path for the account's card, so the fuzzer
 * reaches past authentication. Every answer must have a status from the
 * protocol's table and, when it is JSON, parse. sv-server.c is included
 * (its statics are what is fuzzed); sv-server-request.c (authentication)
 * and the sv-server-handlers*.c are linked.
 */
#include "../../sync/server/sv-server.c"

#include <glib/gstdio.h>
#include <sqlite3.h>
#include <stdint.h>

#include "sv-store.h"

int LLVMFuzzerInitialize   (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#define FUZZ_ICCID "89860123456789019876"

static SvStore *store;
static char *owner_token;
static char *staff_token;
static char *owner_hash;

#define CHECK(cond) \
  G_STMT_START { if (!(cond)) { g_printerr ("check failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); abort (); } } G_STMT_END

static void
set_str (char       **slot,
         const char  *value)
{
  char *copy = g_strdup (value);

  g_free (*slot);
  *slot = copy;
}

static void
log_abort_cb (const char     *domain,
              GLogLevelFlags  level,
              const char     *message,
              gpointer        user_data)
{
  g_printerr ("%s: %s\n", domain ? domain : "(none)", message);
  abort ();
}

/* Runs one request as the server would; returns it answered. */
static SvRequest *
fuzz_run_request (const char *method,
                  const char *path,
                  GHashTable *query,
                  GStrv       header_lines,
                  GBytes     *body)
{
  SvRequest *request = g_new0 (SvRequest, 1);
  const SvRoute *routes, *route = NULL;
  gboolean path_known = FALSE;
  guint n_routes;
  g_autoptr(GError) error = NULL;

  request->store = store;
  request->base_url = "http://127.0.0.1:1/";
  request->method = g_intern_string (method);
  request->path = g_strdup (path);
  request->client_addr = g_strdup ("127.0.0.1");

  routes = sv_server_handlers_get_routes (&n_routes);
  for (guint i = 0; i < n_routes && route == NULL; i++)
    {
      g_auto(GStrv) params = NULL;

      if (!sv_route_match (routes[i].info.pattern, path, &params))
        continue;
      path_known = TRUE;
      if (g_str_equal (routes[i].info.method, method))
        {
          route = &routes[i];
          request->params = g_steal_pointer (&params);
        }
    }
  if (route == NULL)
    {
      sv_protocol_set_error (&error, path_known ? SV_PROTOCOL_ERROR_METHOD_NOT_ALLOWED : SV_PROTOCOL_ERROR_NOT_FOUND,
                             NULL, "no route");
      sv_request_set_error_response (request, error);
      return request;
    }

  if (body != NULL && g_bytes_get_size (body) > 0)
    request->body = g_bytes_ref (body);
  if (query != NULL)
    request->query = g_hash_table_ref (query);
  for (guint i = 0; header_lines != NULL && header_lines[i] != NULL; i++)
    {
      char *colon = strchr (header_lines[i], ':');
      g_autofree char *name = NULL;
      g_autofree char *value = NULL;

      if (colon == NULL)
        continue;
      name = g_strstrip (g_strndup (header_lines[i], colon - header_lines[i]));
      value = g_strstrip (g_strdup (colon + 1));
      if (g_str_equal (value, "$OWNER"))
        set_str (&value, owner_token);
      else if (g_str_equal (value, "$STAFF"))
        set_str (&value, staff_token);
      if (g_ascii_strcasecmp (name, "Content-Type") == 0)
        set_str (&request->content_type, value);
      else if (g_ascii_strcasecmp (name, "Authorization") == 0 && value[0] != '\0')
        {
          if (g_ascii_strncasecmp (value, "Bearer ", 7) == 0 && value[7] != '\0')
            set_str (&request->bearer, value + 7);
          else
            set_str (&request->bearer, value);
        }
      else if (g_ascii_strcasecmp (name, "Cookie") == 0)
        set_str (&request->cookie, value);
      else if (g_ascii_strcasecmp (name, "X-CSRF-Token") == 0)
        set_str (&request->csrf, value);
    }

  if (!sv_request_authenticate (request, route, &error)
      || !sv_request_check_input (request, &error)
      || !route->handler (request, &error))
    {
      sv_request_error_from_store (&error);
      sv_request_set_error_response (request, error);
    }
  return request;
}

static void
check_answer (SvRequest *request)
{
  CHECK (request->status >= 200 && request->status < 600);
  if (request->status >= 400)
    CHECK (request->response != NULL);
  if (request->response != NULL && request->response_type != NULL &&
      g_str_has_prefix (request->response_type, "application/json"))
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      gsize len = 0;
      const char *text = g_bytes_get_data (request->response, &len);

      CHECK (json_parser_load_from_data (parser, text, len, NULL));
    }
  /* No answer leaks the password hash or a token that was not asked for. */
  if (request->response != NULL)
    {
      g_autofree char *text = g_strndup (g_bytes_get_data (request->response, NULL),
                                         g_bytes_get_size (request->response));

      CHECK (owner_hash == NULL || strstr (text, owner_hash) == NULL);
    }
}

static void
free_request (SvRequest *request)
{
  sv_request_free (request);
}

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  SvStoreOptions options = { .password_cost = SV_PASSWORD_COST_TEST_ONLY };
  g_autofree char *dir = g_dir_make_tmp ("sv-fuzz-server-XXXXXX", NULL);
  g_autofree char *db = g_build_filename (dir, "fuzz.db", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) no_query = NULL;
  SvRequest *r;
  g_autofree char *reg = NULL;
  g_autoptr(GBytes) body = NULL;
  const char *json_type[] = { "Content-Type: application/json", NULL };

  g_log_set_always_fatal (0);
  g_log_set_handler (NULL, G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING, log_abort_cb, NULL);
  g_log_set_handler ("GLib", G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING, log_abort_cb, NULL);
  g_log_set_handler ("Json", G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING, log_abort_cb, NULL);

  store = sv_store_open (db, &options, &error);
  if (store == NULL)
    g_error ("store: %s", error->message);

  reg = g_strdup_printf ("{\"phone\":\"+8613800138987\",\"password\":\"fuzz owner pw\",\"card\":{"
                         "\"iccid\":\"" FUZZ_ICCID "\",\"imsi\":\"460001234567890\",\"card_type\":\"sim\","
                         "\"counter_a\":0,\"sms_capacity\":5,\"files\":["
                         "{\"key\":\"adn\",\"path\":\"3F007F106F3A\",\"structure\":\"linear-fixed\",\"record_len\":30,\"n_records\":10},"
                         "{\"key\":\"ext1\",\"path\":\"3F007F106F4A\",\"structure\":\"linear-fixed\",\"record_len\":13,\"n_records\":2},"
                         "{\"key\":\"sms\",\"path\":\"3F007F106F3C\",\"structure\":\"linear-fixed\",\"record_len\":176,\"n_records\":5}]}}");
  body = g_bytes_new (reg, strlen (reg));
  r = fuzz_run_request ("POST", "/api/v1/cards/register", NULL, (GStrv) json_type, body);
  if (r->status != 200)
    g_error ("register: %u %.*s", r->status, (int) g_bytes_get_size (r->response),
             (const char *) g_bytes_get_data (r->response, NULL));
  {
    g_autoptr(JsonParser) p = json_parser_new ();
    JsonObject *o;

    json_parser_load_from_data (p, g_bytes_get_data (r->response, NULL), g_bytes_get_size (r->response), NULL);
    o = json_node_get_object (json_parser_get_root (p));
    owner_token = g_strdup (json_object_get_string_member (json_object_get_object_member (o, "session"), "token"));
  }
  free_request (r);

  /* The stored hash, which no answer may ever carry. */
  {
    sqlite3 *handle = NULL;
    sqlite3_stmt *stmt = NULL;

    if (sqlite3_open_v2 (db, &handle, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2 (handle, "SELECT password_hash FROM accounts", -1, &stmt, NULL) == SQLITE_OK &&
        sqlite3_step (stmt) == SQLITE_ROW)
      owner_hash = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
    sqlite3_finalize (stmt);
    sqlite3_close (handle);
    if (owner_hash == NULL)
      g_error ("no password hash in the store");
  }

  {
    g_autoptr(SvStoreStaff) staff = sv_store_staff_add (store, "fuzz-shop", "fuzz staff pw", &error);
    g_autoptr(GBytes) login = NULL;
    const char *text = "{\"name\":\"fuzz-shop\",\"password\":\"fuzz staff pw\"}";

    if (staff == NULL)
      g_error ("staff: %s", error->message);
    login = g_bytes_new_static (text, strlen (text));
    r = fuzz_run_request ("POST", "/api/v1/staff/session", NULL, (GStrv) json_type, login);
    if (r->status == 200 || r->status == 201)
      {
        g_autoptr(JsonParser) p = json_parser_new ();

        json_parser_load_from_data (p, g_bytes_get_data (r->response, NULL), g_bytes_get_size (r->response), NULL);
        staff_token = g_strdup (json_object_get_string_member (json_node_get_object (json_parser_get_root (p)), "token"));
      }
    else
      staff_token = g_strdup ("no-staff-session");
    free_request (r);
  }
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *text = g_strndup ((const char *) data, size);
  const char *blank = strstr (text, "\n\n");
  g_autofree char *head = blank ? g_strndup (text, blank - text) : g_strdup (text);
  g_autoptr(GBytes) body = blank ? g_bytes_new (blank + 2, size - (blank + 2 - text)) : NULL;
  g_auto(GStrv) lines = g_strsplit (head, "\n", -1);
  g_auto(GStrv) request_line = NULL;
  g_autofree char *target = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GHashTable) query = NULL;
  char *mark;
  SvRequest *r;

  /* Whatever follows the blank line is the body, byte for byte (size
   * counts it even past a NUL). */
  if (lines[0] == NULL)
    return 0;
  request_line = g_strsplit (lines[0], " ", 2);
  if (request_line[0] == NULL || request_line[1] == NULL || request_line[1][0] != '/')
    return 0;
  target = g_strdup (request_line[1]);
  if ((mark = strchr (target, '?')) != NULL)
    {
      *mark = '\0';
      /* libsoup hands the handler a table decoded this way. */
      query = soup_form_decode (mark + 1);
    }
  /* libsoup decodes the path before server_cb sees it. */
  path = g_uri_unescape_string (target, NULL);
  if (path == NULL)
    return 0;
  {
    g_autoptr(GString) p = g_string_new (path);

    g_string_replace (p, "$ICCID", FUZZ_ICCID, 0);
    g_free (path);
    path = g_string_free (g_steal_pointer (&p), FALSE);
  }
  if (!g_str_has_prefix (path, "/api/"))
    return 0;

  r = fuzz_run_request (request_line[0], path, query, lines + 1, body);
  check_answer (r);
  free_request (r);
  return 0;
}
