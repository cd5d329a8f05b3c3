/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * SvSyncClient against a scripted SoupServer on 127.0.0.1 port 0 (in its
 * own thread, libsoup's tests/test-utils.c style): the bearer session,
 * retries of the identical body after 503 and after a stalled answer,
 * errors mapped one to one from the protocol's codes and not retried
 * when retrying cannot help, an unreachable server, an answer that is not
 * the protocol, the async pair.
 */
#include "config.h"

#include <libsoup/soup.h>

#include "sv-sync-client.h"

typedef struct
{
  GThread      *thread;
  GMainContext *context;
  GMainLoop    *loop;
  SoupServer   *server;
  char         *url;
  GMutex        mutex;
  GCond         cond;

  /* The script, guarded by mutex. */
  guint         fail_with_503;     /* answer 503 to this many backups first */
  guint         stall;             /* never answer this many backups first */
  GPtrArray    *bodies;            /* every backup body received */
  GPtrArray    *stalled;           /* paused messages, released at the end */
  char         *last_authorization;
  GPtrArray    *header_lists;      /* "Name: value\n..." of every request */
} Fixture;

static void
reply_json (SoupServerMessage *msg,
            guint              status,
            const char        *json)
{
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, json, strlen (json));
}

static void
handler_cb (SoupServer        *server,
            SoupServerMessage *msg,
            const char        *path,
            GHashTable        *query,
            gpointer           user_data)
{
  Fixture *f = user_data;
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  const char *authorization = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                            "Authorization");
  g_autoptr(GBytes) bytes = soup_message_body_flatten (body);
  g_autofree char *text = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));

  g_mutex_lock (&f->mutex);
  g_free (f->last_authorization);
  f->last_authorization = g_strdup (authorization);
  {
    SoupMessageHeadersIter iter;
    const char *name, *value;
    GString *list = g_string_new (NULL);

    soup_message_headers_iter_init (&iter, soup_server_message_get_request_headers (msg));
    while (soup_message_headers_iter_next (&iter, &name, &value))
      g_string_append_printf (list, "%s: %s\n", name, value);
    g_ptr_array_add (f->header_lists, g_string_free (list, FALSE));
  }

  if (g_str_equal (path, "/api/v1/session"))
    {
      if (strstr (text, "\"right\"") != NULL)
        reply_json (msg, 200, "{\"token\":\"tok-123\",\"csrf\":\"c\",\"expires\":\"2026-12-07T10:00:00Z\"}");
      else
        reply_json (msg, 401, "{\"error\":{\"code\":\"login-failed\",\"message\":\"Login failed\"}}");
    }
  else if (g_str_has_suffix (path, "/backup"))
    {
      g_ptr_array_add (f->bodies, g_strdup (text));
      if (f->stall > 0)
        {
          f->stall--;
          soup_server_message_pause (msg);
          g_ptr_array_add (f->stalled, g_object_ref (msg));
        }
      else if (f->fail_with_503 > 0)
        {
          f->fail_with_503--;
          reply_json (msg, 503, "{\"error\":{\"code\":\"unavailable\",\"message\":\"Storage unreachable\"}}");
        }
      else if (strstr (text, "reused") != NULL)
        reply_json (msg, 422, "{\"error\":{\"code\":\"batch-id-reused\",\"message\":\"Another body\",\"field\":\"batch_id\"}}");
      else
        reply_json (msg, 200, "{\"batch_id\":\"b1\",\"applied\":{\"adn\":\"1-2\"},\"conflicts\":[],"
                              "\"versions\":{\"adn\":{\"1\":5,\"2\":5}},\"token\":\"1-5\"}");
    }
  else if (g_str_has_suffix (path, "/changes"))
    reply_json (msg, 200, "this is not JSON");
  else
    reply_json (msg, 404, "{\"error\":{\"code\":\"not-found\",\"message\":\"No such thing\"}}");
  g_mutex_unlock (&f->mutex);
}

/* Connections are accepted here and handed to libsoup, not by
 * soup_server_listen (): libsoup 3.2's listener keeps one reference too
 * many on every socket it accepts (and on its own address), which
 * LeakSanitizer reports at exit. */
static gboolean
incoming_cb (GSocketService    *service,
             GSocketConnection *connection,
             GObject           *source,
             gpointer           data)
{
  Fixture *f = data;
  g_autoptr(GSocketAddress) local = g_socket_connection_get_local_address (connection, NULL);
  g_autoptr(GSocketAddress) remote = g_socket_connection_get_remote_address (connection, NULL);
  g_autoptr(GError) error = NULL;

  soup_server_accept_iostream (f->server, G_IO_STREAM (connection), local, remote, &error);
  g_assert_no_error (error);
  return TRUE;
}

static gpointer
server_thread (gpointer data)
{
  Fixture *f = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any_port = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) local = NULL;
  g_autoptr(GSocketService) service = NULL;

  g_main_context_push_thread_default (f->context);
  f->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (f->server, NULL, handler_cb, f, NULL);
  service = g_socket_service_new ();
  g_socket_listener_add_address (G_SOCKET_LISTENER (service), any_port, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_TCP, NULL, &local, &error);
  g_assert_no_error (error);
  g_signal_connect (service, "incoming", G_CALLBACK (incoming_cb), f);
  g_socket_service_start (service);
  g_mutex_lock (&f->mutex);
  f->url = g_strdup_printf ("http://127.0.0.1:%u/",
                            g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local)));
  g_cond_signal (&f->cond);
  g_mutex_unlock (&f->mutex);

  g_main_loop_run (f->loop);

  g_socket_service_stop (service);
  g_socket_listener_close (G_SOCKET_LISTENER (service));
  g_ptr_array_set_size (f->stalled, 0);
  soup_server_disconnect (f->server);
  g_clear_object (&f->server);
  g_main_context_pop_thread_default (f->context);
  return NULL;
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_mutex_init (&f->mutex);
  g_cond_init (&f->cond);
  f->bodies = g_ptr_array_new_with_free_func (g_free);
  f->header_lists = g_ptr_array_new_with_free_func (g_free);
  f->stalled = g_ptr_array_new_with_free_func (g_object_unref);
  f->context = g_main_context_new ();
  f->loop = g_main_loop_new (f->context, FALSE);
  g_mutex_lock (&f->mutex);
  f->thread = g_thread_new ("test-server", server_thread, f);
  while (f->url == NULL)
    g_cond_wait (&f->cond, &f->mutex);
  g_mutex_unlock (&f->mutex);
}

static gboolean
quit_cb (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_main_context_invoke (f->context, quit_cb, f->loop);
  g_thread_join (f->thread);
  g_main_loop_unref (f->loop);
  g_main_context_unref (f->context);
  g_ptr_array_unref (f->bodies);
  g_ptr_array_unref (f->header_lists);
  g_ptr_array_unref (f->stalled);
  g_free (f->last_authorization);
  g_free (f->url);
  g_mutex_clear (&f->mutex);
  g_cond_clear (&f->cond);
}

static SvSyncClient *
new_client (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  SvSyncClient *client = sv_sync_client_new (f->url, &error);

  g_assert_no_error (error);
  sv_sync_client_set_retry_policy (client, 4, 10, 40);
  return client;
}

static void
test_login (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(SvSyncClient) client = new_client (f);
  g_autoptr(GError) error = NULL;
  g_autoptr(SvBackupResponse) response = NULL;
  SvSyncStats stats;

  g_assert_false (sv_sync_client_login (client, "+8613800138000", "wrong", NULL, &error));
  g_assert_error (error, SV_SYNC_ERROR, SV_SYNC_ERROR_LOGIN_FAILED);
  g_assert_cmpstr (sv_sync_error_to_string (error->code), ==, "login-failed");
  g_assert_false (sv_sync_client_is_logged_in (client));
  sv_sync_client_get_stats (client, &stats);
  /* A wrong password is not retried. */
  g_assert_cmpuint (stats.round_trips, ==, 1);
  g_clear_error (&error);

  g_assert_true (sv_sync_client_login (client, "+8613800138000", "right", NULL, &error));
  g_assert_no_error (error);
  g_assert_true (sv_sync_client_is_logged_in (client));
  response = sv_sync_client_backup (client, "8986001234567890123", "{\"batch_id\":\"b1\"}", NULL, &error);
  g_assert_no_error (error);
  g_mutex_lock (&f->mutex);
  g_assert_cmpstr (f->last_authorization, ==, "Bearer tok-123");
  g_mutex_unlock (&f->mutex);
}

/* Only the headers the protocol needs go out (issue 16): no User-Agent,
 * no Connection (HTTP/1.1 keeps it alive anyway), no Accept-Language;
 * gzip is asked for by a GET and a large body only, and only as gzip. */
static void
test_request_headers (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(SvSyncClient) client = new_client (f);
  g_autoptr(GError) error = NULL;
  g_autoptr(SvBackupResponse) small = NULL;
  g_autoptr(SvBackupResponse) large = NULL;
  g_autoptr(SvChangesResponse) changes = NULL;
  g_autoptr(GString) big = g_string_new ("{\"batch_id\":\"b2\",\"pad\":\"");
  const char *expected[] = {
    /* login */
    "Content-Type: application/json\nContent-Length: *\nHost: @HOST@\n",
    /* small backup */
    "Authorization: Bearer tok-123\nContent-Type: application/json\nContent-Length: *\nHost: @HOST@\n",
    /* large backup: gzipped, and asks for a gzipped answer */
    "Authorization: Bearer tok-123\nContent-Encoding: gzip\nContent-Type: application/json\n"
    "Content-Length: *\nAccept-Encoding: gzip\nHost: @HOST@\n",
    /* a GET */
    "Authorization: Bearer tok-123\nAccept-Encoding: gzip\nHost: @HOST@\n",
  };
  g_autofree char *host = g_strndup (f->url + strlen ("http://"), strlen (f->url) - strlen ("http://") - 1);

  g_assert_true (sv_sync_client_login (client, "+8613800138000", "right", NULL, &error));
  g_assert_no_error (error);
  small = sv_sync_client_backup (client, "8986001234567890123", "{\"batch_id\":\"b1\"}", NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < 2048; i++)
    g_string_append_c (big, "0123456789ABCDEF"[g_random_int_range (0, 16)]);
  g_string_append (big, "\"}");
  large = sv_sync_client_backup (client, "8986001234567890123", big->str, NULL, &error);
  g_assert_no_error (error);
  changes = sv_sync_client_get_changes (client, "8986001234567890123", "1-1", 10, NULL, &error);
  g_assert_null (changes);  /* this server's changes are not JSON */
  g_clear_error (&error);

  g_mutex_lock (&f->mutex);
  g_assert_cmpuint (f->header_lists->len, ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      g_auto(GStrv) parts = g_strsplit (expected[i], "@HOST@", -1);
      g_autofree char *want = g_strjoinv (host, parts);
      g_auto(GStrv) want_lines = g_strsplit (want, "\n", -1);
      g_auto(GStrv) have_lines = g_strsplit (g_ptr_array_index (f->header_lists, i), "\n", -1);

      g_test_message ("request %u:\n%s", i, (char *) g_ptr_array_index (f->header_lists, i));
      g_assert_cmpuint (g_strv_length (have_lines), ==, g_strv_length (want_lines));
      for (guint l = 0; want_lines[l] != NULL; l++)
        if (g_str_has_suffix (want_lines[l], ": *"))
          g_assert_true (g_str_has_prefix (have_lines[l], "Content-Length: "));
        else
          g_assert_true (g_strv_contains ((const char * const *) have_lines, want_lines[l]));
    }
  g_mutex_unlock (&f->mutex);
}

static void
test_retry_503 (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(SvSyncClient) client = new_client (f);
  g_autoptr(GError) error = NULL;
  g_autoptr(SvBackupResponse) response = NULL;
  const char *body = "{\"batch_id\":\"0f9c\",\"mode\":\"incremental\",\"records\":[]}";
  SvSyncStats stats;

  f->fail_with_503 = 2;
  response = sv_sync_client_backup (client, "8986001234567890123", body, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (response);
  g_assert_cmpstr (response->token, ==, "1-5");
  g_assert_cmpuint (response->applied->len, ==, 2);
  sv_sync_client_get_stats (client, &stats);
  g_assert_cmpuint (stats.round_trips, ==, 3);
  g_assert_cmpuint (stats.retries, ==, 2);
  /* The same body every time: the same batch id. */
  g_assert_cmpuint (f->bodies->len, ==, 3);
  for (guint i = 0; i < f->bodies->len; i++)
    g_assert_cmpstr (g_ptr_array_index (f->bodies, i), ==, body);
}

static void
test_retry_gives_up (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(SvSyncClient) client = new_client (f);
  g_autoptr(GError) error = NULL;
  g_autoptr(SvBackupResponse) response = NULL;

  f->fail_with_503 = 10;
  response = sv_sync_client_backup (client, "8986001234567890123", "{}", NULL, &error);
  g_assert_error (error, SV_SYNC_ERROR, SV_SYNC_ERROR_UNAVAILABLE);
  g_assert_null (response);
  g_assert_cmpuint (f->bodies->len, ==, 4);
}

static void
test_stall_timeout (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(SvSyncClient) client = new_client (f);
  g_autoptr(GError) error = NULL;
  g_autoptr(SvBackupResponse) response = NULL;
  SvSyncStats stats;

  sv_sync_client_set_timeout (client, 1);
  f->stall = 1;
  response = sv_sync_client_backup (client, "8986001234567890123", "{\"batch_id\":\"s\"}", NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (response);
  sv_sync_client_get_stats (client, &stats);
  g_assert_cmpuint (stats.retries, ==, 1);
  g_assert_cmpuint (f->bodies->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (f->bodies, 0), ==, g_ptr_array_index (f->bodies, 1));
}

static void
test_not_retried (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(SvSyncClient) client = new_client (f);
  g_autoptr(GError) error = NULL;
  g_autoptr(SvBackupResponse) response = NULL;
  g_autoptr(SvChangesResponse) changes = NULL;
  g_autoptr(JsonNode) card = NULL;

  response = sv_sync_client_backup (client, "8986001234567890123", "{\"reused\":1}", NULL, &error);
  g_assert_error (error, SV_SYNC_ERROR, SV_SYNC_ERROR_BATCH_ID_REUSED);
  g_assert_nonnull (strstr (error->message, "batch_id"));
  g_assert_cmpuint (f->bodies->len, ==, 1);
  g_clear_error (&error);

  card = sv_sync_client_get_card (client, "8986009999999999999", NULL, &error);
  g_assert_error (error, SV_SYNC_ERROR, SV_SYNC_ERROR_NOT_FOUND);
  g_clear_error (&error);

  changes = sv_sync_client_get_changes (client, "8986001234567890123", "1-0", 10, NULL, &error);
  g_assert_error (error, SV_SYNC_ERROR, SV_SYNC_ERROR_BAD_RESPONSE);
}

static void
test_unreachable (void)
{
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(SvSyncClient) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;
  SvSyncStats stats;

  /* A port that was free a moment ago and has no listener now. */
  g_assert_true (g_socket_bind (socket, any, TRUE, NULL));
  bound = g_socket_get_local_address (socket, NULL);
  url = g_strdup_printf ("http://127.0.0.1:%u/",
                         g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  g_socket_close (socket, NULL);

  client = sv_sync_client_new (url, &error);
  g_assert_no_error (error);
  sv_sync_client_set_retry_policy (client, 3, 10, 20);
  g_assert_false (sv_sync_client_login (client, "+8613800138000", "right", NULL, &error));
  g_assert_error (error, SV_SYNC_ERROR, SV_SYNC_ERROR_UNREACHABLE);
  g_assert_cmpstr (sv_sync_error_to_string (error->code), ==, "unreachable");
  sv_sync_client_get_stats (client, &stats);
  g_assert_cmpuint (stats.round_trips, ==, 3);
}

static void
test_bad_url (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvSyncClient) client = sv_sync_client_new ("ftp://example.org/", &error);

  g_assert_error (error, SV_SYNC_ERROR, SV_SYNC_ERROR_INVALID);
  g_assert_null (client);
}

static void
login_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  GError **error = user_data;

  sv_sync_client_login_finish (SV_SYNC_CLIENT (source), result, error);
  if (*error == NULL)
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_EXISTS, "done");
}

static void
test_async (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(SvSyncClient) client = new_client (f);
  GError *error = NULL;

  sv_sync_client_login_async (client, "+8613800138000", "right", NULL, login_done_cb, &error);
  while (error == NULL)
    g_main_context_iteration (NULL, TRUE);
  /* "done" marks success; a failure would carry the client's error. */
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS);
  g_clear_error (&error);
  g_assert_true (sv_sync_client_is_logged_in (client));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/sv/sync-client/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("login", test_login);
  ADD ("request-headers", test_request_headers);
  ADD ("retry/503", test_retry_503);
  ADD ("retry/gives-up", test_retry_gives_up);
  ADD ("retry/stalled-answer", test_stall_timeout);
  ADD ("errors/not-retried", test_not_retried);
  ADD ("async/login", test_async);
#undef ADD
  g_test_add_func ("/sv/sync-client/unreachable", test_unreachable);
  g_test_add_func ("/sv/sync-client/bad-url", test_bad_url);

  return g_test_run ();
}
