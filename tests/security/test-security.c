/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "sv-test-server.h"

/*
 * Suite 'security': the server under attack. Every endpoint with the
 * credentials it needs (checked against the server's own route table, so
 * a new endpoint cannot be added without a row here); one account against
 * another's data by every id; staff without consent, with a wrong, reused
 * or expired restore code; CSRF; login rate limits; session expiry and
 * logout; security headers and the request log; TLS.
 */

#define PHONE_A "+8613800138000"
#define PHONE_B "+8613900139000"
#define ICCID_A "89860123456789012345"
#define ICCID_B "89860198765432109876"
#define STAFF   "shop-nanjing-road"
#define STAFF_PW "staff password 1"

/* PROTOCOL.md "Endpoints": method, path, credentials. */
static const struct
{
  const char *method;
  const char *pattern;
  const char *auth;
} endpoints[] = {
  { "GET",    "/api/v1/",                                     "none" },
  { "POST",   "/api/v1/accounts",                             "none" },
  { "POST",   "/api/v1/session",                              "none" },
  { "GET",    "/api/v1/session",                              "owner/staff" },
  { "DELETE", "/api/v1/session",                              "owner/staff" },
  { "POST",   "/api/v1/account/password",                     "owner" },
  { "POST",   "/api/v1/account/restore-codes",                "owner" },
  { "GET",    "/api/v1/account/audit",                        "owner" },
  { "POST",   "/api/v1/cards/register",                       "none or owner/delegated" },
  { "GET",    "/api/v1/cards",                                "owner/delegated" },
  { "GET",    "/api/v1/cards/{iccid}",                        "owner/delegated" },
  { "DELETE", "/api/v1/cards/{iccid}",                        "owner" },
  { "POST",   "/api/v1/cards/{iccid}/backup",                 "owner" },
  { "GET",    "/api/v1/cards/{iccid}/changes",                "owner/delegated" },
  { "GET",    "/api/v1/cards/{iccid}/records",                "owner/delegated" },
  { "POST",   "/api/v1/cards/{iccid}/messages",               "owner" },
  { "GET",    "/api/v1/cards/{iccid}/messages",               "owner/delegated" },
  { "DELETE", "/api/v1/cards/{iccid}/messages/{id}",          "owner" },
  { "GET",    "/api/v1/cards/{iccid}/contacts",               "owner/delegated" },
  { "POST",   "/api/v1/cards/{iccid}/contacts",               "owner" },
  { "PUT",    "/api/v1/cards/{iccid}/contacts/{set}/{index}", "owner" },
  { "DELETE", "/api/v1/cards/{iccid}/contacts/{set}/{index}", "owner" },
  { "GET",    "/api/v1/cards/{iccid}/contacts.vcf",           "owner" },
  { "GET",    "/api/v1/cards/{iccid}/contacts.csv",           "owner" },
  { "POST",   "/api/v1/cards/{iccid}/restores",               "owner/delegated" },
  { "GET",    "/api/v1/restores/{id}/groups/{n}",             "owner/delegated" },
  { "POST",   "/api/v1/restores/{id}/ack",                    "owner/delegated" },
  { "POST",   "/api/v1/staff/session",                        "none" },
  { "POST",   "/api/v1/staff/consents",                       "staff" },
};

/* Fills the placeholders of a pattern. */
static char *
fill (const char *pattern,
      const char *iccid,
      const char *restore_id,
      gint64      message_id)
{
  g_autofree char *msg = g_strdup_printf ("%" G_GINT64_FORMAT, message_id);
  GString *s = g_string_new (pattern);

  g_string_replace (s, "{iccid}", iccid, 0);
  if (g_str_has_prefix (pattern, "/api/v1/restores/"))
    g_string_replace (s, "{id}", restore_id ? restore_id : "none", 0);
  g_string_replace (s, "{id}", msg, 0);
  g_string_replace (s, "{set}", "0", 0);
  g_string_replace (s, "{index}", "1", 0);
  g_string_replace (s, "{n}", "0", 0);
  if (g_str_has_suffix (s->str, "/changes"))
    g_string_append (s, "?since=0-0");
  return g_string_free (s, FALSE);
}

/* A plausible body per endpoint, so a request is refused for who sent it,
 * not for what it carries. */
static const char *
body_for (const char *method,
          const char *pattern,
          const char *iccid)
{
  static char deregister[64];

  if (g_str_equal (method, "GET"))
    return NULL;
  if (g_str_has_suffix (pattern, "/backup"))
    return "{\"batch_id\":\"sec-1\",\"mode\":\"incremental\",\"records\":[]}";
  if (g_str_has_suffix (pattern, "/messages") )
    return "{\"batch_id\":\"sec-m\",\"messages\":[]}";
  if (g_str_has_suffix (pattern, "/restores"))
    return "{\"kind\":\"full\"}";
  if (g_str_has_suffix (pattern, "/ack"))
    return "{\"group\":0}";
  if (g_str_has_suffix (pattern, "/contacts") || g_str_has_suffix (pattern, "{index}"))
    return g_str_equal (method, "DELETE") ? NULL : "{\"name\":\"Eve\",\"number\":\"666\"}";
  if (g_str_has_suffix (pattern, "/password"))
    return "{\"current_password\":\"x\",\"new_password\":\"y y y y y y\"}";
  if (g_str_equal (pattern, "/api/v1/cards/{iccid}"))
    {
      g_snprintf (deregister, sizeof deregister, "{\"confirm\":\"%s\"}", iccid);
      return deregister;
    }
  if (g_str_has_suffix (pattern, "/consents"))
    return "{\"phone\":\"" PHONE_B "\",\"password\":\"" SV_TEST_PASSWORD "\"}";
  return NULL;
}

static void
test_route_table (void)
{
  g_autofree char *binary = sv_test_server_binary ();
  g_autofree char *out = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) lines = NULL;
  const char *argv[] = { binary, "routes", NULL };
  g_autoptr(GSubprocess) process = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
  guint n = 0;

  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &out, NULL, &error);
  g_assert_no_error (error);
  lines = g_strsplit (g_strstrip (out), "\n", -1);

  /* Every route of the server has exactly our row, and every row a route. */
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) parts = g_strsplit (lines[i], " ", 3);
      gboolean found = FALSE;

      g_assert_cmpuint (g_strv_length (parts), ==, 3);
      for (guint j = 0; j < G_N_ELEMENTS (endpoints); j++)
        if (g_str_equal (endpoints[j].method, parts[0]) && g_str_equal (endpoints[j].pattern, parts[1]))
          {
            g_assert_cmpstr (endpoints[j].auth, ==, parts[2]);
            found = TRUE;
          }
      if (!found)
        g_error ("The server has a route with no row in the security table: %s", lines[i]);
      n++;
    }
  g_assert_cmpuint (n, ==, G_N_ELEMENTS (endpoints));
}

typedef struct
{
  SvTestServer *server;
  char         *token_a;
  char         *token_b;
  char         *restore_b;
  gint64        message_b;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *ann = sv_test_adn_hex ("Secret Ann", "13800138000");
  g_autofree char *backup = g_strdup_printf ("{\"batch_id\":\"b\",\"mode\":\"incremental\",\"records\":"
                                             "[{\"file\":\"adn\",\"index\":1,\"data\":\"%s\"}]}", ann);
  g_autofree char *sms = sv_test_sms_hex (42);
  g_autofree char *messages = g_strdup_printf ("{\"batch_id\":\"m\",\"messages\":[{\"record\":\"%s\"}]}", sms);
  SvTestReply *r;

  f->server = sv_test_server_start (NULL, NULL);
  sv_test_server_add_staff (f->server, STAFF, STAFF_PW);
  f->token_a = sv_test_register (f->server, PHONE_A, SV_TEST_PASSWORD, ICCID_A);
  f->token_b = sv_test_register (f->server, PHONE_B, SV_TEST_PASSWORD, ICCID_B);

  r = sv_test_request (f->server, "POST", "/api/v1/cards/" ICCID_B "/backup", f->token_b, backup);
  g_assert_cmpuint (r->status, ==, 200);
  sv_test_reply_free (r);
  r = sv_test_request (f->server, "POST", "/api/v1/cards/" ICCID_B "/messages", f->token_b, messages);
  g_assert_cmpuint (r->status, ==, 200);
  sv_test_reply_free (r);
  r = sv_test_request (f->server, "GET", "/api/v1/cards/" ICCID_B "/messages", f->token_b, NULL);
  f->message_b = sv_test_reply_int (r, "messages[0].id");
  sv_test_reply_free (r);
  r = sv_test_request (f->server, "POST", "/api/v1/cards/" ICCID_B "/restores", f->token_b, "{\"kind\":\"full\",\"sms\":true}");
  g_assert_cmpuint (r->status, ==, 201);
  f->restore_b = g_strdup (sv_test_reply_string (r, "id"));
  sv_test_reply_free (r);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_free (f->token_a);
  g_free (f->token_b);
  g_free (f->restore_b);
  sv_test_server_free (f->server);
}

static char *
staff_login (Fixture *f)
{
  SvTestReply *r = sv_test_request (f->server, "POST", "/api/v1/staff/session", NULL,
                                    "{\"name\":\"" STAFF "\",\"password\":\"" STAFF_PW "\"}");
  char *token;

  g_assert_cmpuint (r->status, ==, 200);
  token = g_strdup (sv_test_reply_string (r, "token"));
  sv_test_reply_free (r);
  return token;
}

static char *
consent (Fixture    *f,
         const char *staff,
         const char *body,
         guint       expect)
{
  SvTestReply *r = sv_test_request (f->server, "POST", "/api/v1/staff/consents", staff, body);
  char *token = NULL;

  if (r->status != expect)
    g_test_message ("consent: %u %.*s", r->status, (int) g_bytes_get_size (r->body),
                    (const char *) g_bytes_get_data (r->body, NULL));
  g_assert_cmpuint (r->status, ==, expect);
  if (expect == 201)
    token = g_strdup (sv_test_reply_string (r, "token"));
  sv_test_reply_free (r);
  return token;
}

/* Without credentials every protected endpoint says 401; a staff session
 * (no consent) reaches no customer endpoint; a consent token reaches only
 * the owner/delegated ones; an owner is not staff. */
static void
test_credentials (Fixture       *f,
                  gconstpointer  data)
{
  g_autofree char *staff = staff_login (f);
  g_autofree char *delegated = consent (f, staff, "{\"phone\":\"" PHONE_B "\",\"password\":\"" SV_TEST_PASSWORD "\"}", 201);

  for (guint i = 0; i < G_N_ELEMENTS (endpoints); i++)
    {
      const char *auth = endpoints[i].auth;
      const char *method = endpoints[i].method;
      g_autofree char *path = fill (endpoints[i].pattern, ICCID_B, f->restore_b, f->message_b);
      const char *body = body_for (method, endpoints[i].pattern, ICCID_B);
      SvTestReply *r;

      g_test_message ("%s %s (%s)", method, endpoints[i].pattern, auth);
      if (g_str_equal (auth, "none") || g_str_equal (auth, "none or owner/delegated"))
        continue;

      r = sv_test_request (f->server, method, path, NULL, body);
      sv_test_assert_error (r, 401, "unauthenticated");
      sv_test_reply_free (r);
      r = sv_test_request (f->server, method, path, "forged-token-0000000000000000000000000000000", body);
      sv_test_assert_error (r, 401, "unauthenticated");
      sv_test_reply_free (r);

      if (g_str_equal (auth, "owner") || g_str_equal (auth, "owner/delegated"))
        {
          r = sv_test_request (f->server, method, path, staff, body);
          sv_test_assert_error (r, 403, "forbidden");
          sv_test_reply_free (r);
        }
      if (g_str_equal (auth, "owner") || g_str_equal (auth, "staff"))
        {
          r = sv_test_request (f->server, method, path, delegated, body);
          sv_test_assert_error (r, 403, "forbidden");
          sv_test_reply_free (r);
        }
      if (g_str_equal (auth, "staff"))
        {
          r = sv_test_request (f->server, method, path, f->token_a, body);
          sv_test_assert_error (r, 403, "forbidden");
          sv_test_reply_free (r);
        }
    }
}

/* Account A against account B's card, records, messages and restores by
 * every id: 404, never 403, never a byte of B's data. */
static void
test_isolation (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *b_data = sv_test_adn_hex ("Secret Ann", "13800138000");
  g_autofree char *a_msg = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (endpoints); i++)
    {
      const char *method = endpoints[i].method;
      g_autofree char *path = NULL;
      SvTestReply *r;

      if (strstr (endpoints[i].pattern, "{") == NULL)
        continue;
      path = fill (endpoints[i].pattern, ICCID_B, f->restore_b, f->message_b);
      r = sv_test_request (f->server, method, path, f->token_a, body_for (method, endpoints[i].pattern, ICCID_B));
      g_test_message ("A: %s %s", method, path);
      sv_test_assert_error (r, 404, "not-found");
      g_assert_null (g_strstr_len (g_bytes_get_data (r->body, NULL), g_bytes_get_size (r->body), "Secret"));
      g_assert_null (g_strstr_len (g_bytes_get_data (r->body, NULL), g_bytes_get_size (r->body), b_data));
      sv_test_reply_free (r);
    }

  /* B's message id through A's own card. */
  a_msg = g_strdup_printf ("/api/v1/cards/" ICCID_A "/messages/%" G_GINT64_FORMAT, f->message_b);
  {
    SvTestReply *r = sv_test_request (f->server, "DELETE", a_msg, f->token_a, NULL);

    sv_test_assert_error (r, 404, "not-found");
    sv_test_reply_free (r);
  }

  /* Registering B's card with A's session: another account's ICCID. */
  {
    g_autofree char *json = sv_test_register_json (NULL, NULL, ICCID_B);
    SvTestReply *r = sv_test_request (f->server, "POST", "/api/v1/cards/register", f->token_a, json);

    sv_test_assert_error (r, 409, "conflict");
    sv_test_reply_free (r);
  }

  /* B's data is all still there. */
  {
    SvTestReply *r = sv_test_request (f->server, "GET", "/api/v1/cards/" ICCID_B "/records", f->token_b, NULL);

    g_assert_cmpstr (sv_test_reply_string (r, "records[0].data"), ==, b_data);
    sv_test_reply_free (r);
  }
}

static void
test_consent (Fixture       *f,
              gconstpointer  data)
{
  g_autofree char *staff = staff_login (f);
  g_autofree char *delegated = NULL;
  g_autofree char *by_code = NULL;
  g_autofree char *code = NULL;
  g_autofree char *code_body = NULL;
  g_autofree char *old_code = NULL;
  g_autofree char *old_body = NULL;
  g_autofree char *replacement = sv_test_register_json (NULL, NULL, "8986019876543210987");
  SvTestReply *r;
  gboolean staff_in_audit = FALSE;

  /* No consent: nothing of the customer's. */
  r = sv_test_request (f->server, "GET", "/api/v1/cards", staff, NULL);
  sv_test_assert_error (r, 403, "forbidden");
  sv_test_reply_free (r);

  /* The customer's wrong password; an unknown code. */
  g_free (consent (f, staff, "{\"phone\":\"" PHONE_B "\",\"password\":\"guess guess\"}", 401));
  g_free (consent (f, staff, "{\"phone\":\"" PHONE_B "\",\"restore_code\":\"AAAA-AAAA\"}", 401));
  g_free (consent (f, staff, "{\"phone\":\"" PHONE_B "\"}", 400));

  /* A one-time code from the customer: works once. */
  r = sv_test_request (f->server, "POST", "/api/v1/account/restore-codes", f->token_b, NULL);
  g_assert_cmpuint (r->status, ==, 201);
  code = g_strdup (sv_test_reply_string (r, "code"));
  sv_test_reply_free (r);
  code_body = g_strdup_printf ("{\"phone\":\"" PHONE_B "\",\"restore_code\":\"%s\"}", code);
  by_code = consent (f, staff, code_body, 201);
  g_free (consent (f, staff, code_body, 401));

  /* The delegated token reads, restores and registers a replacement card,
   * but does not back up or deregister. */
  r = sv_test_request (f->server, "GET", "/api/v1/cards/" ICCID_B "/records", by_code, NULL);
  g_assert_cmpuint (r->status, ==, 200);
  sv_test_reply_free (r);
  r = sv_test_request (f->server, "POST", "/api/v1/cards/" ICCID_B "/restores", by_code, "{\"kind\":\"full\"}");
  g_assert_cmpuint (r->status, ==, 201);
  sv_test_reply_free (r);
  r = sv_test_request (f->server, "POST", "/api/v1/cards/register", by_code, replacement);
  g_assert_cmpuint (r->status, ==, 200);
  g_assert_cmpstr (sv_test_reply_string (r, "result"), ==, "card-change");
  sv_test_reply_free (r);
  r = sv_test_request (f->server, "POST", "/api/v1/cards/" ICCID_B "/backup", by_code,
                       "{\"batch_id\":\"x\",\"mode\":\"incremental\",\"records\":[]}");
  sv_test_assert_error (r, 403, "forbidden");
  sv_test_reply_free (r);
  /* ... and only that customer's. */
  r = sv_test_request (f->server, "GET", "/api/v1/cards/" ICCID_A, by_code, NULL);
  sv_test_assert_error (r, 404, "not-found");
  sv_test_reply_free (r);

  /* Every request made with it is in the customer's audit log. */
  r = sv_test_request (f->server, "GET", "/api/v1/account/audit", f->token_b, NULL);
  g_assert_cmpuint (r->status, ==, 200);
  {
    JsonArray *entries = json_node_get_array (sv_test_reply_get (r, "entries"));

    g_assert_cmpuint (json_array_get_length (entries), >=, 4);
    for (guint i = 0; i < json_array_get_length (entries); i++)
      {
        JsonObject *e = json_array_get_object_element (entries, i);
        JsonNode *actor = json_object_get_member (e, "actor");

        if (actor != NULL && JSON_NODE_HOLDS_VALUE (actor) && g_strcmp0 (json_node_get_string (actor), STAFF) == 0)
          staff_in_audit = TRUE;
      }
  }
  g_assert_true (staff_in_audit);
  sv_test_reply_free (r);

  /* A code older than 15 minutes is refused. */
  r = sv_test_request (f->server, "POST", "/api/v1/account/restore-codes", f->token_a, NULL);
  old_code = g_strdup (sv_test_reply_string (r, "code"));
  sv_test_reply_free (r);
  sv_test_server_set_clock (f->server, 16 * 60);
  staff_in_audit = FALSE;
  g_free (staff);
  staff = staff_login (f);
  old_body = g_strdup_printf ("{\"phone\":\"" PHONE_A "\",\"restore_code\":\"%s\"}", old_code);
  g_free (consent (f, staff, old_body, 401));

  /* The delegated token ends 30 minutes after the consent. */
  sv_test_server_set_clock (f->server, 31 * 60);
  r = sv_test_request (f->server, "GET", "/api/v1/cards", by_code, NULL);
  sv_test_assert_error (r, 401, "unauthenticated");
  sv_test_reply_free (r);
  (void) delegated;
}

/* The cookie alone may read, never change: a state change needs the CSRF
 * token of the session. */
static void
test_csrf (Fixture       *f,
           gconstpointer  data)
{
  SvTestReply *r = sv_test_request (f->server, "POST", "/api/v1/session", NULL,
                                    "{\"phone\":\"" PHONE_A "\",\"password\":\"" SV_TEST_PASSWORD "\"}");
  const char *set_cookie = soup_message_headers_get_one (r->headers, "Set-Cookie");
  g_autofree char *token = g_strdup (sv_test_reply_string (r, "token"));
  g_autofree char *csrf = g_strdup (sv_test_reply_string (r, "csrf"));
  g_autofree char *cookie = g_strconcat ("__Host-sv-session=", token, NULL);
  const char *body = "{\"batch_id\":\"csrf-1\",\"mode\":\"incremental\",\"records\":[]}";
  g_autoptr(GBytes) bytes = g_bytes_new_static (body, strlen (body));
  const char *only_cookie[] = { "Cookie", cookie, NULL };
  const char *wrong[] = { "Cookie", cookie, "X-CSRF-Token", "not-the-token", NULL };
  const char *right[] = { "Cookie", cookie, "X-CSRF-Token", csrf, NULL };

  g_assert_cmpuint (r->status, ==, 200);
  g_assert_nonnull (set_cookie);
  g_assert_true (g_str_has_prefix (set_cookie, cookie));
  g_assert_nonnull (strstr (set_cookie, "HttpOnly"));
  g_assert_nonnull (strstr (set_cookie, "SameSite=Strict"));
  g_assert_nonnull (strstr (set_cookie, "Path=/"));
  g_assert_nonnull (strstr (set_cookie, "Secure"));
  g_assert_null (strstr (set_cookie, "Domain"));
  sv_test_reply_free (r);

  r = sv_test_request_full (f->server, "GET", "/api/v1/cards", NULL, NULL, only_cookie);
  g_assert_cmpuint (r->status, ==, 200);
  sv_test_reply_free (r);
  r = sv_test_request_full (f->server, "GET", "/api/v1/session", NULL, NULL, only_cookie);
  g_assert_cmpstr (sv_test_reply_string (r, "csrf"), ==, csrf);
  sv_test_reply_free (r);
  r = sv_test_request_full (f->server, "POST", "/api/v1/cards/" ICCID_A "/backup", "application/json", bytes, only_cookie);
  sv_test_assert_error (r, 403, "csrf");
  sv_test_reply_free (r);
  r = sv_test_request_full (f->server, "POST", "/api/v1/cards/" ICCID_A "/backup", "application/json", bytes, wrong);
  sv_test_assert_error (r, 403, "csrf");
  sv_test_reply_free (r);
  r = sv_test_request_full (f->server, "DELETE", "/api/v1/session", NULL, NULL, only_cookie);
  sv_test_assert_error (r, 403, "csrf");
  sv_test_reply_free (r);
  r = sv_test_request_full (f->server, "POST", "/api/v1/cards/" ICCID_A "/backup", "application/json", bytes, right);
  g_assert_cmpuint (r->status, ==, 200);
  sv_test_reply_free (r);
  r = sv_test_request_full (f->server, "DELETE", "/api/v1/session", NULL, NULL, right);
  g_assert_cmpuint (r->status, ==, 200);
  g_assert_nonnull (strstr (soup_message_headers_get_one (r->headers, "Set-Cookie"), "Max-Age=0"));
  sv_test_reply_free (r);
  r = sv_test_request_full (f->server, "GET", "/api/v1/cards", NULL, NULL, only_cookie);
  sv_test_assert_error (r, 401, "unauthenticated");
  sv_test_reply_free (r);
}

static void
test_rate_limit (Fixture       *f,
                 gconstpointer  data)
{
  SvTestReply *r;
  const char *retry;

  for (guint i = 0; i < 5; i++)
    {
      r = sv_test_request (f->server, "POST", "/api/v1/session", NULL,
                           "{\"phone\":\"" PHONE_A "\",\"password\":\"wrong wrong\"}");
      sv_test_assert_error (r, 401, "login-failed");
      sv_test_reply_free (r);
    }
  /* Over the limit, even the right password waits. */
  r = sv_test_request (f->server, "POST", "/api/v1/session", NULL,
                       "{\"phone\":\"" PHONE_A "\",\"password\":\"" SV_TEST_PASSWORD "\"}");
  sv_test_assert_error (r, 429, "rate-limited");
  retry = soup_message_headers_get_one (r->headers, "Retry-After");
  g_assert_nonnull (retry);
  g_assert_cmpint (g_ascii_strtoll (retry, NULL, 10), >, 0);
  g_assert_cmpint (g_ascii_strtoll (retry, NULL, 10), <=, 15 * 60);
  sv_test_reply_free (r);
  /* The same through registration with the password. */
  {
    g_autofree char *json = sv_test_register_json (PHONE_A, SV_TEST_PASSWORD, ICCID_A);

    r = sv_test_request (f->server, "POST", "/api/v1/cards/register", NULL, json);
    sv_test_assert_error (r, 429, "rate-limited");
    sv_test_reply_free (r);
  }
  /* Per client address too: the same address cannot turn to staff names. */
  r = sv_test_request (f->server, "POST", "/api/v1/staff/session", NULL,
                       "{\"name\":\"" STAFF "\",\"password\":\"" STAFF_PW "\"}");
  sv_test_assert_error (r, 429, "rate-limited");
  sv_test_reply_free (r);

  /* Staff logins, once the window has passed. */
  sv_test_server_set_clock (f->server, 16 * 60);
  for (guint i = 0; i < 5; i++)
    {
      r = sv_test_request (f->server, "POST", "/api/v1/staff/session", NULL,
                           "{\"name\":\"" STAFF "\",\"password\":\"nope nope\"}");
      sv_test_assert_error (r, 401, "login-failed");
      sv_test_reply_free (r);
    }
  r = sv_test_request (f->server, "POST", "/api/v1/staff/session", NULL,
                       "{\"name\":\"" STAFF "\",\"password\":\"" STAFF_PW "\"}");
  sv_test_assert_error (r, 429, "rate-limited");
  sv_test_reply_free (r);

  /* The window passes. */
  sv_test_server_set_clock (f->server, 32 * 60);
  g_free (sv_test_login (f->server, PHONE_A, SV_TEST_PASSWORD));
}

static void
test_session_expiry (Fixture       *f,
                     gconstpointer  data)
{
  g_autofree char *token = sv_test_login (f->server, PHONE_A, SV_TEST_PASSWORD);
  g_autofree char *staff = staff_login (f);
  SvTestReply *r;

  /* Still valid after 11 hours idle... */
  sv_test_server_set_clock (f->server, 11 * 3600);
  r = sv_test_request (f->server, "GET", "/api/v1/session", token, NULL);
  g_assert_cmpuint (r->status, ==, 200);
  sv_test_reply_free (r);
  /* ... the staff session not after 8 hours... */
  r = sv_test_request (f->server, "GET", "/api/v1/session", staff, NULL);
  sv_test_assert_error (r, 401, "unauthenticated");
  sv_test_reply_free (r);
  /* ... and the owner's not after 12 more hours of inactivity. */
  sv_test_server_set_clock (f->server, 11 * 3600 + 12 * 3600 + 60);
  r = sv_test_request (f->server, "GET", "/api/v1/session", token, NULL);
  sv_test_assert_error (r, 401, "unauthenticated");
  sv_test_reply_free (r);
}

/* The portal's pages (documents a browser renders) carry the full set;
 * API answers (JSON) the set a JSON API needs, and nothing a page needs
 * (PROTOCOL.md "Every answer"). */
static void
assert_security_headers (SvTestReply *r,
                         gboolean     api,
                         gboolean     tls)
{
  const char *csp = soup_message_headers_get_one (r->headers, "Content-Security-Policy");

  g_assert_nonnull (csp);
  g_assert_nonnull (strstr (csp, "frame-ancestors 'none'"));
  g_assert_true (g_str_has_prefix (csp, "default-src 'none'"));
  g_assert_null (strstr (csp, "unsafe-inline"));
  g_assert_null (strstr (csp, "unsafe-eval"));
  g_assert_cmpstr (soup_message_headers_get_one (r->headers, "X-Content-Type-Options"), ==, "nosniff");
  if (api)
    {
      g_assert_cmpstr (csp, ==, "default-src 'none'; frame-ancestors 'none'");
      g_assert_cmpstr (soup_message_headers_get_one (r->headers, "Cache-Control"), ==, "no-store");
      g_assert_null (soup_message_headers_get_one (r->headers, "Referrer-Policy"));
      g_assert_null (soup_message_headers_get_one (r->headers, "X-Frame-Options"));
      g_assert_null (soup_message_headers_get_one (r->headers, "Cross-Origin-Opener-Policy"));
      g_assert_null (soup_message_headers_get_one (r->headers, "Server"));
      g_assert_null (soup_message_headers_get_one (r->headers, "Vary"));
    }
  else
    {
      g_assert_nonnull (strstr (csp, "script-src 'self'"));
      g_assert_nonnull (strstr (csp, "base-uri 'none'"));
      g_assert_nonnull (strstr (csp, "form-action 'self'"));
      g_assert_cmpstr (soup_message_headers_get_one (r->headers, "Referrer-Policy"), ==, "no-referrer");
      g_assert_cmpstr (soup_message_headers_get_one (r->headers, "X-Frame-Options"), ==, "DENY");
      g_assert_cmpstr (soup_message_headers_get_one (r->headers, "Cross-Origin-Opener-Policy"), ==, "same-origin");
      g_assert_cmpstr (soup_message_headers_get_one (r->headers, "Cache-Control"), ==, "no-cache");
    }
  if (tls)
    g_assert_nonnull (soup_message_headers_get_one (r->headers, "Strict-Transport-Security"));
  else
    g_assert_null (soup_message_headers_get_one (r->headers, "Strict-Transport-Security"));
}

/* Headers on API answers (success, 401, unknown endpoint) and
 * on the portal's pages, script and a missing page; the log has one line
 * per request and never a password, token or record. */
static void
test_headers_and_log (Fixture       *f,
                      gconstpointer  data)
{
  static const struct
  {
    const char *path;
    gboolean    token;
    gboolean    api;
    guint       status;
  } cases[] = {
    { "/api/v1/", FALSE, TRUE, 200 },
    { "/api/v1/cards", FALSE, TRUE, 401 },
    { "/api/v1/cards", TRUE, TRUE, 200 },
    { "/api/v1/cards/" ICCID_A "/records", TRUE, TRUE, 200 },
    { "/api/v1/nope", FALSE, TRUE, 404 },
    { "/", FALSE, FALSE, 200 },
    { "/index.html", FALSE, FALSE, 200 },
    { "/js/main.js", FALSE, FALSE, 200 },
  };
  g_autofree char *log = NULL;
  g_autofree char *record = sv_test_adn_hex ("Secret Ann", "13800138000");
  g_auto(GStrv) lines = NULL;
  guint requests = 0;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      SvTestReply *r = sv_test_request (f->server, "GET", cases[i].path,
                                        cases[i].token ? f->token_a : NULL, NULL);

      g_test_message ("GET %s", cases[i].path);
      g_assert_cmpuint (r->status, ==, cases[i].status);
      assert_security_headers (r, cases[i].api, FALSE);
      sv_test_reply_free (r);
    }
  /* A missing portal file is a page, not an API answer. */
  {
    SvTestReply *r = sv_test_request (f->server, "GET", "/no-such-page.html", NULL, NULL);

    g_assert_cmpuint (r->status, ==, 404);
    g_assert_nonnull (strstr (soup_message_headers_get_one (r->headers, "Content-Security-Policy"),
                              "script-src 'self'"));
    g_assert_cmpstr (soup_message_headers_get_one (r->headers, "X-Frame-Options"), ==, "DENY");
    sv_test_reply_free (r);
  }
  sv_test_server_stop (f->server);

  log = sv_test_server_read_log (f->server);
  g_assert_null (strstr (log, SV_TEST_PASSWORD));
  g_assert_null (strstr (log, f->token_a));
  g_assert_null (strstr (log, f->token_b));
  g_assert_null (strstr (log, record));
  g_assert_null (strstr (log, ICCID_B "/"));
  lines = g_strsplit (log, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (strstr (lines[i], " /api/") != NULL || strstr (lines[i], " /{static}") != NULL)
      requests++;
  /* setup: 2 registrations, backup, messages, messages list, restore;
   * here: the cases and the missing page */
  g_assert_cmpuint (requests, ==, 6 + G_N_ELEMENTS (cases) + 1);
}

static SvTestReply *
login_from (SvTestServer *server,
            const char   *phone,
            const char   *password,
            const char   *forwarded_for)
{
  g_autofree char *json = g_strdup_printf ("{\"phone\":\"%s\",\"password\":\"%s\"}", phone, password);
  g_autoptr(GBytes) body = g_bytes_new (json, strlen (json));
  const char *headers[] = { "X-Forwarded-For", forwarded_for, NULL };

  return sv_test_request_full (server, "POST", "/api/v1/session", "application/json", body,
                               forwarded_for ? headers : NULL);
}

/* Behind a trusted proxy the per-address limit counts the address the
 * proxy appended to X-Forwarded-For, not the proxy's; from anyone else the
 * header is ignored. */
static void
test_trusted_proxy (void)
{
  const char *args[] = { "--trusted-proxy=127.0.0.1", NULL };
  g_autoptr(SvTestServer) proxied = sv_test_server_start (NULL, args);
  g_autoptr(SvTestServer) direct = sv_test_server_start (NULL, NULL);
  SvTestServer *servers[] = { proxied, direct };
  SvTestReply *r;

  for (guint s = 0; s < G_N_ELEMENTS (servers); s++)
    {
      g_free (sv_test_register (servers[s], PHONE_A, SV_TEST_PASSWORD, ICCID_A));
      /* Five failures for five phone numbers from "client 10.0.0.1" (the
       * client put a fake first entry in front). */
      for (guint i = 0; i < 5; i++)
        {
          g_autofree char *phone = g_strdup_printf ("+86139000000%02u", i);

          r = login_from (servers[s], phone, "wrong wrong", "192.0.2.99, 10.0.0.1");
          sv_test_assert_error (r, 401, "login-failed");
          sv_test_reply_free (r);
        }
      /* Client 10.0.0.2 logs in through the proxy; directly, the header
       * counts for nothing and the one address is locked. */
      r = login_from (servers[s], PHONE_A, SV_TEST_PASSWORD, "10.0.0.2");
      if (servers[s] == proxied)
        g_assert_cmpuint (r->status, ==, 200);
      else
        sv_test_assert_error (r, 429, "rate-limited");
      sv_test_reply_free (r);
      /* 10.0.0.1 itself is locked either way. */
      r = login_from (servers[s], PHONE_A, SV_TEST_PASSWORD, "10.0.0.1");
      sv_test_assert_error (r, 429, "rate-limited");
      sv_test_reply_free (r);
    }
}

static gboolean
have_openssl (void)
{
  g_autofree char *path = g_find_program_in_path ("openssl");

  return path != NULL;
}

static void
test_tls (void)
{
  g_autofree char *dir = NULL;
  g_autofree char *cert = NULL;
  g_autofree char *key = NULL;
  g_autofree char *cert_arg = NULL;
  g_autofree char *key_arg = NULL;
  g_autoptr(SvTestServer) server = NULL;
  g_autoptr(GTlsDatabase) database = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;
  SvTestReply *r;

  if (!have_openssl ())
    {
      g_test_skip ("openssl is not installed");
      return;
    }
  dir = g_dir_make_tmp ("sv-tls-XXXXXX", &error);
  g_assert_no_error (error);
  cert = g_build_filename (dir, "cert.pem", NULL);
  key = g_build_filename (dir, "key.pem", NULL);
  {
    const char *argv[] = { "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                           "-out", cert, "-days", "2", "-subj", "/CN=localhost",
                           "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", NULL };
    g_autoptr(GSubprocess) p = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_SILENCE
                                                  | G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error);

    g_assert_no_error (error);
    g_subprocess_wait_check (p, NULL, &error);
    g_assert_no_error (error);
  }
  cert_arg = g_strdup_printf ("--tls-cert=%s", cert);
  key_arg = g_strdup_printf ("--tls-key=%s", key);
  {
    const char *args[] = { cert_arg, key_arg, NULL };

    server = sv_test_server_start (NULL, args);
  }
  g_assert_true (g_str_has_prefix (server->base_url, "https://"));
  database = g_tls_file_database_new (cert, &error);
  g_assert_no_error (error);
  soup_session_set_tls_database (server->session, database);

  r = sv_test_request (server, "GET", "/api/v1/", NULL, NULL);
  g_assert_cmpuint (r->status, ==, 200);
  assert_security_headers (r, TRUE, TRUE);
  sv_test_reply_free (r);
  token = sv_test_register (server, PHONE_A, SV_TEST_PASSWORD, ICCID_A);
  r = sv_test_request (server, "GET", "/api/v1/cards", token, NULL);
  g_assert_cmpuint (r->status, ==, 200);
  sv_test_reply_free (r);

  /* Plain HTTP to the TLS port gets no answer. */
  {
    g_autofree char *plain = g_strconcat ("http://", server->base_url + strlen ("https://"), "api/v1/", NULL);
    g_autoptr(SoupMessage) m = soup_message_new ("GET", plain);
    g_autoptr(GBytes) body = soup_session_send_and_read (server->session, m, NULL, &error);

    g_assert_true (error != NULL || soup_message_get_status (m) >= 400);
    g_clear_error (&error);
  }
  sv_test_server_stop (server);
  g_unlink (cert);
  g_unlink (key);
  g_rmdir (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/sv/security/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  g_test_add_func ("/sv/security/route-table", test_route_table);
  ADD ("credentials", test_credentials);
  ADD ("isolation", test_isolation);
  ADD ("consent", test_consent);
  ADD ("csrf", test_csrf);
  ADD ("rate-limit", test_rate_limit);
  ADD ("session-expiry", test_session_expiry);
  ADD ("headers-and-log", test_headers_and_log);
  g_test_add_func ("/sv/security/tls", test_tls);
  g_test_add_func ("/sv/security/trusted-proxy", test_trusted_proxy);

  return g_test_run ();
}
