/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-server"

#include "config.h"

#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <libsoup/soup.h>

#include "sv-server-private.h"

/*
 * The HTTP side of simvault-server: listening (TLS or not), routing, the
 * portal's static files, reading deadlines, pausing a message while its
 * handler runs in a worker thread and answering it with the security
 * headers, the log line, the expiry and purge timers. What runs in the
 * worker (authentication, CSRF, the content type, the error answer) and
 * what is read of a request (its route, its cookie, a gzip body) is
 * sv-server-request.c; the handlers are sv-server-handlers*.c.
 */

#define PORTAL_RESOURCE "/io/github/simvault/SimVault/portal"
#define SESSION_COOKIE "__Host-sv-session"

struct _SvServer
{
  GObject     parent_instance;

  SvStore    *store;
  SoupServer *soup;
  char       *base_url;
  gboolean    tls;
  guint       expire_source;
  guint       purge_source;
  gint64      purge_after;      /* seconds a tombstone is kept; 0: forever */
  guint       request_timeout;  /* seconds to read a whole request; 0: none */
  guint       n_pending;        /* handlers not done (they use the store) */
  guint       n_unfinished;     /* messages whose answer is not yet written */
  gconstpointer last_client;    /* the socket of the last API request (identity only) */
  gint64      other_client_at;  /* when a request last came from another socket */
  gboolean    stopping;
  gboolean    disconnected;
  GStrv       trusted_proxies;
};

G_DEFINE_FINAL_TYPE (SvServer, sv_server, G_TYPE_OBJECT)

typedef struct
{
  SvServer          *server;
  SoupServerMessage *message;
  const SvRoute     *route;
  SvRequest         *request;
  gint64             started;
} SvPending;

/* ---- running a request (worker thread) ---------------------------------- */

static void
sv_pending_free (SvPending *pending)
{
  g_clear_object (&pending->server);
  g_clear_object (&pending->message);
  g_clear_pointer (&pending->request, sv_request_free);
  g_free (pending);
}

/* Authentication, the content type, the handler, the audit line: in a
 * worker thread, or on the main thread for the routes that run inline. */
static void
run_request (SvRequest     *request,
             const SvRoute *route)
{
  g_autoptr(GError) error = NULL;

  if (!sv_request_authenticate (request, route, &error)
      || !sv_request_check_input (request, &error)
      || !route->handler (request, &error))
    {
      sv_request_error_from_store (&error);
      sv_request_set_error_response (request, error);
    }

  /* PROTOCOL.md: every request made with a delegated token is written to
   * the account's audit log. */
  if (request->session != NULL && request->session->kind == SV_STORE_SESSION_DELEGATED)
    {
      g_autofree char *action = g_strdup_printf ("%s %s", request->method, route->info.pattern);
      g_autofree char *detail = g_strdup_printf ("%u", request->status);
      g_autoptr(GError) audit_error = NULL;

      if (!sv_store_audit_append (request->store, request->session->account_id, request->session->staff_id,
                                  request->audit_iccid, action, detail, &audit_error))
        g_printerr ("simvault-server: audit log: %s\n", audit_error->message);
    }
}

static void
handle_in_thread (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  SvPending *pending = task_data;

  run_request (pending->request, pending->route);
  g_task_return_boolean (task, TRUE);
}

/* While one client alone talks to the server, its reads (GET) are
 * answered right here on the main thread: handing a request to a worker
 * and the answer back costs two thread wake-ups, each a wait for a core on
 * a busy machine, more than a read's own work (a few tenths of a
 * millisecond); measured, one client's "changes since" ran 1.5-3x as fast.
 * As soon as requests come from more than one connection, workers take
 * them all, so the main thread goes on reading and answering and both
 * cores work (inline there was 0.6x as fast). Writes always go to a
 * worker: they wait for fsync, and inline they were slower even alone;
 * so do logins (Argon2id, tens of milliseconds). (A read may still write
 * now and then: a session's "last seen" once a minute, the audit line of
 * a delegated read.) */
#define ALONE_AFTER_USEC (200 * G_TIME_SPAN_MILLISECOND)

static gboolean
route_runs_inline (SvServer          *self,
                   SoupServerMessage *message,
                   const SvRoute     *route,
                   gint64             now)
{
  gconstpointer client = soup_server_message_get_socket (message);

  if (client != self->last_client)
    {
      self->last_client = client;
      self->other_client_at = now;
    }
  return now - self->other_client_at >= ALONE_AFTER_USEC && g_str_equal (route->info.method, "GET");
}

/* ---- answering (main thread) -------------------------------------------- */

/* The portal's pages are documents a browser renders: they carry the full
 * set. An API answer is JSON that no browser renders as a page, and every
 * backup and restore pays for its headers (issue 16): it carries what a
 * JSON API needs (OWASP REST Security Cheat Sheet, "Security headers"):
 * nosniff, no-store, and a CSP that allows nothing and no framing
 * (frame-ancestors supersedes X-Frame-Options; Referrer-Policy and
 * Cross-Origin-Opener-Policy act on documents only). HSTS under TLS on
 * both. */
#define SV_PORTAL_CSP "default-src 'none'; script-src 'self'; style-src 'self'; " \
                      "img-src 'self' data:; connect-src 'self'; font-src 'self'; " \
                      "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
#define SV_API_CSP    "default-src 'none'; frame-ancestors 'none'"

static void
add_security_headers (SvServer           *self,
                      SoupServerMessage  *message,
                      gboolean            api)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (message);

  soup_message_headers_replace (headers, "Content-Security-Policy", api ? SV_API_CSP : SV_PORTAL_CSP);
  soup_message_headers_replace (headers, "X-Content-Type-Options", "nosniff");
  if (api)
    {
      soup_message_headers_replace (headers, "Cache-Control", "no-store");
      /* GET /api/v1/ names the server and its version. */
      soup_message_headers_remove (headers, "Server");
    }
  else
    {
      soup_message_headers_replace (headers, "Referrer-Policy", "no-referrer");
      soup_message_headers_replace (headers, "X-Frame-Options", "DENY");
      soup_message_headers_replace (headers, "Cross-Origin-Opener-Policy", "same-origin");
    }
  if (self->tls)
    soup_message_headers_replace (headers, "Strict-Transport-Security", "max-age=31536000");
}

/* The client's address: the peer's, or, when the peer is a trusted proxy
 * (haproxy with `option forwardfor`), the last X-Forwarded-For entry, the
 * one that proxy appended; the earlier ones are the client's to invent. */
static char *
client_address (SvServer          *self,
                SoupServerMessage *message)
{
  const char *peer = soup_server_message_get_remote_host (message);
  const char *forwarded;
  const char *last;
  g_autofree char *candidate = NULL;
  g_autoptr(GInetAddress) inet = NULL;

  if (peer == NULL || self->trusted_proxies == NULL
      || !g_strv_contains ((const char * const *) self->trusted_proxies, peer))
    return g_strdup (peer ? peer : "-");
  forwarded = soup_message_headers_get_list (soup_server_message_get_request_headers (message),
                                             "X-Forwarded-For");
  if (forwarded == NULL)
    return g_strdup (peer);
  last = strrchr (forwarded, ',');
  candidate = g_strstrip (g_strdup (last ? last + 1 : forwarded));
  inet = g_inet_address_new_from_string (candidate);
  return inet ? g_inet_address_to_string (inet) : g_strdup (peer);
}

static void
log_request (SvServer          *self,
             SoupServerMessage *message,
             const char        *pattern,
             guint              status,
             gint64             started)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *when = g_date_time_format (now, "%Y-%m-%dT%H:%M:%SZ");
  g_autofree char *addr = client_address (self, message);

  /* The route's pattern, never the concrete path or query: they carry ids
   * and sync tokens; never a header or a body. */
  g_printerr ("%s %s %s %s %u %.1fms\n", when, addr ? addr : "-",
              soup_server_message_get_method (message), pattern, status,
              (g_get_monotonic_time () - started) / 1000.0);
}

/* libsoup writes an answer's head and its body in two writes; with
 * TCP_NODELAY (libsoup sets it) they leave as two segments, and the client
 * wakes up for each. Corked until the body is written, they leave as one:
 * on loopback one trip through the TCP stack less per request (a send was
 * ~15% of a "changes since" in perf) and one wake-up less for the client. */
static void
uncork_cb (SoupServerMessage *message,
           gpointer           user_data)
{
  GSocket *socket = soup_server_message_get_socket (message);

  if (socket != NULL)
    g_socket_set_option (socket, IPPROTO_TCP, TCP_CORK, 0, NULL);
}

static void
cork_until_written (SoupServerMessage *message)
{
  GSocket *socket = soup_server_message_get_socket (message);

  if (socket == NULL || !g_socket_set_option (socket, IPPROTO_TCP, TCP_CORK, 1, NULL))
    return;
  g_signal_connect (message, "wrote-body", G_CALLBACK (uncork_cb), NULL);
}

static void
answer (SvServer          *self,
        SoupServerMessage *message,
        SvRequest         *request,
        const char        *pattern,
        gint64             started)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (message);
  gsize len = 0;
  const char *data = request->response ? g_bytes_get_data (request->response, &len) : NULL;
  g_autoptr(GBytes) packed = NULL;

  for (guint i = 0; request->headers != NULL && i + 1 < request->headers->len; i += 2)
    soup_message_headers_append (headers, request->headers->pdata[i], request->headers->pdata[i + 1]);
  add_security_headers (self, message, TRUE);
  soup_server_message_set_status (message, request->status ? request->status : 500, NULL);
  if (data != NULL &&
      sv_protocol_accepts_gzip (soup_message_headers_get_one (soup_server_message_get_request_headers (message),
                                                              "Accept-Encoding")) &&
      (packed = sv_protocol_gzip_if_smaller (data, len)) != NULL)
    {
      /* No Vary: an answer with Cache-Control: no-store is kept by no
       * cache, so there is no stored variant to choose. */
      soup_message_headers_replace (headers, "Content-Encoding", "gzip");
      soup_server_message_set_response (message, request->response_type, SOUP_MEMORY_COPY,
                                        g_bytes_get_data (packed, NULL), g_bytes_get_size (packed));
    }
  else if (data != NULL)
    soup_server_message_set_response (message, request->response_type, SOUP_MEMORY_COPY, data, len);
  cork_until_written (message);
  log_request (self, message, pattern, request->status, started);
}

static gboolean
tick_cb (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

static void
finished_cb (SoupServerMessage *message,
             gpointer           user_data)
{
  SvServer *self = user_data;

  self->n_unfinished--;
}

static void
handled_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  SvPending *pending = g_task_get_task_data (G_TASK (result));

  answer (pending->server, pending->message, pending->request, pending->route->info.pattern, pending->started);
  /* Past the grace of a shutdown the connection is gone with its I/O. */
  if (!pending->server->disconnected)
    soup_server_message_unpause (pending->message);
  pending->server->n_pending--;
  /* The task may be finalized in its worker thread, after this callback:
   * the message and the server must not be finalized there (finalizing
   * a message runs the invalidation of its g_signal_connect_object ()
   * closures, which races with the main thread). Drop them here. */
  g_clear_object (&pending->message);
  g_clear_object (&pending->server);
}

static void
answer_error_now (SvServer          *self,
                  SoupServerMessage *message,
                  SvRequest         *request,
                  const char        *pattern,
                  GError            *error,
                  gint64             started)
{
  sv_request_set_error_response (request, error);
  answer (self, message, request, pattern, started);
}

/* ---- the portal's static files ------------------------------------------ */

static const struct
{
  const char *suffix;
  const char *type;
} content_types[] = {
  { ".html", "text/html; charset=utf-8" },
  { ".js", "text/javascript; charset=utf-8" },
  { ".mjs", "text/javascript; charset=utf-8" },
  { ".css", "text/css; charset=utf-8" },
  { ".json", "application/json" },
  { ".svg", "image/svg+xml" },
  { ".png", "image/png" },
  { ".ico", "image/vnd.microsoft.icon" },
  { ".woff2", "font/woff2" },
  { ".txt", "text/plain; charset=utf-8" },
  { ".webmanifest", "application/manifest+json" },
};

static void
serve_static (SvServer          *self,
              SoupServerMessage *message,
              const char        *path,
              gint64             started)
{
  const char *method = soup_server_message_get_method (message);
  g_autofree char *resource = NULL;
  g_autoptr(GBytes) bytes = NULL;
  const char *type = "application/octet-stream";
  gsize len = 0;
  const char *data;

  if (!g_str_equal (method, "GET") && !g_str_equal (method, "HEAD"))
    {
      soup_server_message_set_status (message, 405, NULL);
      soup_message_headers_replace (soup_server_message_get_response_headers (message), "Allow", "GET, HEAD");
      add_security_headers (self, message, FALSE);
      log_request (self, message, "/{static}", 405, started);
      return;
    }
  if (strstr (path, "..") != NULL || strstr (path, "//") != NULL)
    bytes = NULL;
  else
    {
      resource = g_strconcat (PORTAL_RESOURCE, g_str_equal (path, "/") ? "/index.html" : path, NULL);
      bytes = g_resources_lookup_data (resource, G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
    }
  add_security_headers (self, message, FALSE);
  if (bytes == NULL)
    {
      static const char not_found[] = "{\"error\":{\"code\":\"not-found\",\"message\":\"No such page\"}}";

      soup_server_message_set_status (message, 404, NULL);
      soup_server_message_set_response (message, "application/json", SOUP_MEMORY_STATIC,
                                        not_found, strlen (not_found));
      log_request (self, message, "/{static}", 404, started);
      return;
    }
  for (guint i = 0; i < G_N_ELEMENTS (content_types); i++)
    if (g_str_has_suffix (resource, content_types[i].suffix))
      type = content_types[i].type;
  data = g_bytes_get_data (bytes, &len);
  soup_message_headers_replace (soup_server_message_get_response_headers (message),
                                "Cache-Control", "no-cache");
  soup_server_message_set_status (message, 200, NULL);
  soup_server_message_set_response (message, type, SOUP_MEMORY_COPY, data, len);
  log_request (self, message, "/{static}", 200, started);
}

/* ---- routing ------------------------------------------------------------ */

static void
server_cb (SoupServer        *soup,
           SoupServerMessage *message,
           const char        *path,
           GHashTable        *query,
           gpointer           user_data)
{
  SvServer *self = SV_SERVER (user_data);
  gint64 started = g_get_monotonic_time ();
  const char *method = soup_server_message_get_method (message);
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (message);
  g_autoptr(SvRequest) request = g_new0 (SvRequest, 1);
  const SvRoute *routes, *route = NULL;
  gboolean path_known = FALSE;
  guint n_routes;
  const char *authorization;
  SoupMessageBody *body;
  g_autoptr(GError) error = NULL;
  SvPending *pending;
  GTask *task;

  if (!g_str_has_prefix (path, "/api/"))
    {
      serve_static (self, message, path, started);
      return;
    }

  request->store = self->store;
  request->base_url = self->base_url;
  request->method = g_intern_string (method);
  request->path = g_strdup (path);
  request->tls = self->tls;

  if (self->stopping)
    {
      sv_protocol_set_error (&error, SV_PROTOCOL_ERROR_UNAVAILABLE, NULL, "The server is shutting down; retry later");
      sv_request_add_header (request, "Retry-After", "5");
      answer_error_now (self, message, request, "/api/{stopping}", error, started);
      return;
    }

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
      if (path_known)
        sv_protocol_set_error (&error, SV_PROTOCOL_ERROR_METHOD_NOT_ALLOWED, NULL,
                               "%s is not allowed here", method);
      else
        sv_protocol_set_error (&error, SV_PROTOCOL_ERROR_NOT_FOUND, NULL, "No such endpoint");
      answer_error_now (self, message, request, path_known ? "/api/{method}" : "/api/{unknown}", error, started);
      return;
    }

  body = soup_server_message_get_request_body (message);
  if (body->length > SV_PROTOCOL_MAX_BODY)
    {
      sv_protocol_set_error (&error, SV_PROTOCOL_ERROR_TOO_LARGE, NULL,
                             "The body is larger than %d bytes", SV_PROTOCOL_MAX_BODY);
      answer_error_now (self, message, request, route->info.pattern, error, started);
      return;
    }
  if (body->length > 0)
    request->body = soup_message_body_flatten (body);
  if (request->body != NULL &&
      !sv_request_decode_body (request, soup_message_headers_get_one (headers, "Content-Encoding"), &error))
    {
      answer_error_now (self, message, request, route->info.pattern, error, started);
      return;
    }
  if (query != NULL)
    request->query = g_hash_table_ref (query);
  request->content_type = g_strdup (soup_message_headers_get_one (headers, "Content-Type"));
  authorization = soup_message_headers_get_one (headers, "Authorization");
  if (authorization != NULL && g_ascii_strncasecmp (authorization, "Bearer ", 7) == 0 && authorization[7] != '\0')
    request->bearer = g_strdup (authorization + 7);
  request->cookie = sv_request_cookie_value (soup_message_headers_get_list (headers, "Cookie"),
                                             SESSION_COOKIE);
  request->csrf = g_strdup (soup_message_headers_get_one (headers, "X-CSRF-Token"));
  request->client_addr = client_address (self, message);

  if (route_runs_inline (self, message, route, started))
    {
      run_request (request, route);
      answer (self, message, request, route->info.pattern, started);
      return;
    }

  pending = g_new0 (SvPending, 1);
  pending->server = g_object_ref (self);
  pending->message = g_object_ref (message);
  pending->route = route;
  pending->request = g_steal_pointer (&request);
  pending->started = started;

  /* The store may block (Argon2id, I/O): the handler runs in a worker and
   * the message waits paused, so the main loop keeps serving. */
  soup_server_message_pause (message);
  self->n_pending++;
  self->n_unfinished++;
  g_signal_connect_object (message, "finished", G_CALLBACK (finished_cb), self, 0);
  /* No source object: pending holds the server, dropped on this thread. */
  task = g_task_new (NULL, NULL, handled_cb, NULL);
  g_task_set_task_data (task, pending, (GDestroyNotify) sv_pending_free);
  g_task_run_in_thread (task, handle_in_thread);
  g_object_unref (task);
}

/* A chunked body has no length to check up front: once what arrived
 * passes the limit, the connection is closed (no answer can be sent while
 * the client is still sending). */
static void
got_chunk_cb (SoupServerMessage *message,
              GBytes            *chunk,
              gpointer           user_data)
{
  SvServer *self = user_data;
  SoupMessageBody *body = soup_server_message_get_request_body (message);
  GSocket *socket;

  if (body->length <= SV_PROTOCOL_MAX_BODY)
    return;
  g_signal_handlers_disconnect_by_func (message, got_chunk_cb, user_data);
  log_request (self, message, "/{too-large}", 413, g_get_monotonic_time ());
  socket = soup_server_message_get_socket (message);
  if (socket != NULL)
    g_socket_shutdown (socket, TRUE, TRUE, NULL);
}

/* A body over the limit is refused from its Content-Length, before it is
 * read: the server never buffers more than the limit of a declared body. */
static void
got_headers_cb (SoupServerMessage *message,
                gpointer           user_data)
{
  SvServer *self = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (message);
  goffset length = soup_message_headers_get_content_length (headers);
  static const char too_large[] =
    "{\"error\":{\"code\":\"too-large\",\"message\":\"The body is larger than 1048576 bytes\"}}";

  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CHUNKED)
    {
      g_signal_connect_object (message, "got-chunk", G_CALLBACK (got_chunk_cb), self, 0);
      return;
    }
  if (soup_message_headers_get_encoding (headers) != SOUP_ENCODING_CONTENT_LENGTH
      || length <= SV_PROTOCOL_MAX_BODY)
    return;
  add_security_headers (self, message, TRUE);
  soup_message_headers_replace (soup_server_message_get_response_headers (message), "Connection", "close");
  soup_server_message_set_status (message, 413, NULL);
  soup_server_message_set_response (message, "application/json", SOUP_MEMORY_STATIC,
                                    too_large, strlen (too_large));
  log_request (self, message, "/{too-large}", 413, g_get_monotonic_time ());
}

/* Slow or idle clients: the whole request (headers and body) must arrive
 * within the request timeout of the connection's accept, or of the end of
 * the previous answer on a kept-alive connection. libsoup 3.2's SoupServer
 * has no timeout of its own, and a per-read socket timeout would let a
 * client that sends a byte now and then hold the connection forever; so
 * each request gets a deadline, and past it the connection is shut down. */
#define READ_DEADLINE_KEY "sv-read-deadline"

typedef struct
{
  SvServer          *server;
  SoupServerMessage *message;   /* not a reference: the source dies with it */
} ReadDeadline;

static gboolean
read_deadline_cb (gpointer user_data)
{
  ReadDeadline *deadline = user_data;
  SoupServerMessage *message = deadline->message;
  GSocket *socket = soup_server_message_get_socket (message);
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *when = g_date_time_format (now, "%Y-%m-%dT%H:%M:%SZ");
  g_autofree char *addr = client_address (deadline->server, message);

  /* the source is ending: the message's data must not remove it again */
  g_object_steal_data (G_OBJECT (message), READ_DEADLINE_KEY);
  g_printerr ("%s %s - /{request-timeout} 408 %us\n", when, addr ? addr : "-",
              deadline->server->request_timeout);
  if (socket != NULL)
    g_socket_shutdown (socket, TRUE, TRUE, NULL);
  return G_SOURCE_REMOVE;
}

static void
remove_source (gpointer id)
{
  g_source_remove (GPOINTER_TO_UINT (id));
}

/* The request is all there (or the message is done): no deadline. */
static void
request_read_cb (SoupServerMessage *message,
                 gpointer           user_data)
{
  g_object_set_data (G_OBJECT (message), READ_DEADLINE_KEY, NULL);
}

static void
request_started_cb (SoupServer        *soup,
                    SoupServerMessage *message,
                    gpointer           user_data)
{
  SvServer *self = user_data;

  g_signal_connect_object (message, "got-headers", G_CALLBACK (got_headers_cb), user_data, 0);
  if (self->request_timeout > 0)
    {
      ReadDeadline *deadline = g_new0 (ReadDeadline, 1);
      guint id;

      deadline->server = self;
      deadline->message = message;
      /* not _seconds: its first tick may come up to a second early */
      id = g_timeout_add_full (G_PRIORITY_DEFAULT, self->request_timeout * 1000,
                               read_deadline_cb, deadline, g_free);
      g_object_set_data_full (G_OBJECT (message), READ_DEADLINE_KEY, GUINT_TO_POINTER (id), remove_source);
      g_signal_connect (message, "got-body", G_CALLBACK (request_read_cb), NULL);
      g_signal_connect (message, "finished", G_CALLBACK (request_read_cb), NULL);
    }
}

/* ---- object ------------------------------------------------------------- */

static gboolean
expire_cb (gpointer user_data)
{
  SvServer *self = user_data;
  g_autoptr(GError) error = NULL;

  if (!sv_store_expire (self->store, &error))
    g_printerr ("simvault-server: housekeeping: %s\n", error->message);
  return G_SOURCE_CONTINUE;
}

/* Housekeeping, at start and hourly: sessions, restore codes and batch
 * answers past their time, and the tombstones older than the retention
 * (tokens from before them then answer full-resync-required). Each card is
 * its own short transaction, so requests interleave. */
static gboolean
purge_cb (gpointer user_data)
{
  SvServer *self = user_data;
  g_autoptr(GError) error = NULL;
  guint n_cards = 0;

  expire_cb (self);
  if (self->purge_after <= 0)
    return G_SOURCE_CONTINUE;
  if (!sv_store_purge_cleared_before (self->store,
                                      sv_store_now (self->store) - self->purge_after * G_USEC_PER_SEC,
                                      100, &n_cards, &error))
    g_printerr ("simvault-server: housekeeping: purging cleared records: %s\n", error->message);
  else if (n_cards > 0)
    g_printerr ("simvault-server: housekeeping: purged cleared records of %u cards\n", n_cards);
  return G_SOURCE_CONTINUE;
}

static void
sv_server_dispose (GObject *object)
{
  SvServer *self = SV_SERVER (object);

  g_clear_handle_id (&self->expire_source, g_source_remove);
  g_clear_handle_id (&self->purge_source, g_source_remove);
  self->disconnected = TRUE;
  if (self->soup != NULL)
    soup_server_disconnect (self->soup);
  g_clear_object (&self->soup);
  G_OBJECT_CLASS (sv_server_parent_class)->dispose (object);
}

static void
sv_server_finalize (GObject *object)
{
  SvServer *self = SV_SERVER (object);

  g_free (self->base_url);
  g_strfreev (self->trusted_proxies);
  G_OBJECT_CLASS (sv_server_parent_class)->finalize (object);
}

static void
sv_server_class_init (SvServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = sv_server_dispose;
  object_class->finalize = sv_server_finalize;
}

static void
sv_server_init (SvServer *self)
{
  self->purge_after = SV_SERVER_DEFAULT_PURGE_AFTER_DAYS * 24 * 3600;
  self->request_timeout = SV_SERVER_DEFAULT_REQUEST_TIMEOUT;
}

/**
 * sv_server_new:
 * @store: (transfer none): the storage; must outlive the server
 *
 * Returns: (transfer full): a server that does not listen yet
 */
SvServer *
sv_server_new (SvStore *store)
{
  SvServer *self = g_object_new (SV_TYPE_SERVER, NULL);

  self->store = store;
  return self;
}

/**
 * sv_server_set_trusted_proxies:
 * @addresses: (nullable) (array zero-terminated=1): IP addresses of
 *   reverse proxies whose X-Forwarded-For is believed
 *
 * Behind a proxy every request comes from the proxy's address; the login
 * rate limit per client address needs the real one.
 */
void
sv_server_set_trusted_proxies (SvServer           *self,
                               const char * const *addresses)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = 0; addresses != NULL && addresses[i] != NULL; i++)
    {
      g_autoptr(GInetAddress) inet = g_inet_address_new_from_string (addresses[i]);

      /* the peer address libsoup reports is in this canonical form */
      if (inet != NULL)
        {
          g_autofree char *text = g_inet_address_to_string (inet);

          g_strv_builder_add (builder, text);
        }
    }
  g_strfreev (self->trusted_proxies);
  self->trusted_proxies = g_strv_builder_end (builder);
}

/**
 * sv_server_set_purge_after:
 * @days: how long a cleared record (tombstone) is kept for the changes
 *   since a token; 0 keeps them forever
 *
 * Takes effect at the next housekeeping (sv_server_listen () runs one).
 */
void
sv_server_set_purge_after (SvServer *self,
                           guint     days)
{
  self->purge_after = (gint64) days * 24 * 3600;
}

/**
 * sv_server_set_request_timeout:
 * @seconds: how long a client may take to send a whole request, or keep
 *   an idle connection open between requests; 0: forever
 */
void
sv_server_set_request_timeout (SvServer *self,
                               guint     seconds)
{
  self->request_timeout = seconds;
}

/**
 * sv_server_listen:
 * @address: an IP address ("127.0.0.1", "::", "0.0.0.0")
 * @port: 0 for an ephemeral port
 * @certificate: (nullable): serve HTTPS with it
 *
 * Returns: %TRUE once the server accepts connections
 */
gboolean
sv_server_listen (SvServer         *self,
                  const char       *address,
                  guint             port,
                  GTlsCertificate  *certificate,
                  GError          **error)
{
  g_autoptr(GInetAddress) inet = g_inet_address_new_from_string (address);
  g_autoptr(GSocketAddress) socket_address = NULL;
  GSList *listeners;
  g_autofree char *url = NULL;

  g_return_val_if_fail (self->soup == NULL, FALSE);

  if (inet == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "“%s” is not an IP address", address);
      return FALSE;
    }
  self->soup = soup_server_new ("server-header", "simvault-server/" PACKAGE_VERSION,
                                "tls-certificate", certificate,
                                NULL);
  self->tls = certificate != NULL;
  soup_server_add_handler (self->soup, NULL, server_cb, self, NULL);
  g_signal_connect_object (self->soup, "request-started", G_CALLBACK (request_started_cb), self, 0);
  socket_address = g_inet_socket_address_new (inet, port);
  if (!soup_server_listen (self->soup, socket_address,
                           certificate ? SOUP_SERVER_LISTEN_HTTPS : 0, error))
    return FALSE;

  /* From the listening socket, not soup_server_get_uris (): libsoup 3.2
   * caches that address in its listener and never frees it. */
  listeners = soup_server_get_listeners (self->soup);
  if (listeners != NULL)
    {
      g_autoptr(GSocketAddress) local = g_socket_get_local_address (listeners->data, NULL);

      if (G_IS_INET_SOCKET_ADDRESS (local))
        {
          GInetSocketAddress *inet_local = G_INET_SOCKET_ADDRESS (local);
          g_autofree char *host = g_inet_address_to_string (g_inet_socket_address_get_address (inet_local));

          url = g_uri_join (G_URI_FLAGS_NONE, self->tls ? "https" : "http", NULL, host,
                            g_inet_socket_address_get_port (inet_local), "/", NULL, NULL);
        }
    }
  g_slist_free (listeners);
  if (url == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "The server has no address");
      return FALSE;
    }
  self->base_url = g_str_has_suffix (url, "/") ? g_steal_pointer (&url) : g_strconcat (url, "/", NULL);
  self->expire_source = g_timeout_add_seconds (300, expire_cb, self);
  purge_cb (self);
  self->purge_source = g_timeout_add_seconds (3600, purge_cb, self);
  return TRUE;
}

/**
 * sv_server_get_base_url:
 *
 * Returns: "http://127.0.0.1:PORT/" once listening
 */
const char *
sv_server_get_base_url (SvServer *self)
{
  return self->base_url;
}

/**
 * sv_server_shutdown:
 *
 * Stops listening, then lets the requests in progress finish (their
 * workers use the store, which the caller closes next).
 */
void
sv_server_shutdown (SvServer *self)
{
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  /* New requests get 503 from now on; the ones in progress are answered
   * (a paused message cannot outlive its connection), then the
   * connections close. */
  self->stopping = TRUE;
  g_clear_handle_id (&self->expire_source, g_source_remove);
  g_clear_handle_id (&self->purge_source, g_source_remove);
  while ((self->n_pending > 0 || self->n_unfinished > 0) && g_get_monotonic_time () < deadline)
    {
      /* wake up now and then to check the deadline */
      guint tick = g_timeout_add (100, tick_cb, NULL);

      g_main_context_iteration (NULL, TRUE);
      g_source_remove (tick);
    }
  self->disconnected = TRUE;
  if (self->soup != NULL)
    soup_server_disconnect (self->soup);
  while (self->n_pending > 0)
    g_main_context_iteration (NULL, TRUE);
}

/**
 * sv_server_get_routes:
 *
 * The server's own route table, for the security test that checks every
 * endpoint has a row in its table of required credentials.
 */
const SvServerRouteInfo *
sv_server_get_routes (guint *n_routes)
{
  static SvServerRouteInfo *infos;
  static guint n;

  if (g_once_init_enter (&infos))
    {
      const SvRoute *routes = sv_server_handlers_get_routes (&n);
      SvServerRouteInfo *copy = g_new0 (SvServerRouteInfo, n);

      for (guint i = 0; i < n; i++)
        copy[i] = routes[i].info;
      g_once_init_leave (&infos, copy);
    }
  *n_routes = n;
  return infos;
}

const char *
sv_server_auth_to_string (SvServerAuth auth)
{
  switch (auth)
    {
    case SV_SERVER_AUTH_NONE: return "none";
    case SV_SERVER_AUTH_OWNER: return "owner";
    case SV_SERVER_AUTH_OWNER_DELEGATED: return "owner/delegated";
    case SV_SERVER_AUTH_SESSION: return "owner/staff";
    case SV_SERVER_AUTH_STAFF: return "staff";
    case SV_SERVER_AUTH_OPTIONAL: return "none or owner/delegated";
    default: return "?";
    }
}
