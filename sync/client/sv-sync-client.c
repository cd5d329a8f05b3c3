/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * SvSyncClient: the backup protocol (sync/protocol/PROTOCOL.md) over one
 * libsoup 3 SoupSession. Request and answer bodies are the shared message
 * types of sync/protocol/, so a field cannot mean two things here and in
 * the server.
 *
 * Every call is blocking at heart: the operations layer runs a whole
 * backup or restore in one worker thread (its SQLite connection lives
 * there too), and libsoup 3.2 allows sending from any thread once the
 * session is configured. The _async/_finish pairs run the same call in a
 * GTask worker (D-Spy style) for callers on the main loop.
 *
 * Retries: a request is resent, byte for byte, after a timeout, a dropped
 * or refused connection, or a 500/503/batch-in-progress answer, with
 * exponential backoff (initial delay doubling up to a ceiling) and a
 * bounded number of attempts. Retrying is safe because every state
 * change the client retries carries an idempotency key (a backup's batch
 * id) or is idempotent by itself (registration of the same card, a group
 * acknowledgement, GET, DELETE).
 *
 * Secrets: passwords and session tokens are never logged, never written
 * anywhere by this file; a request body holding a password lives only in
 * memory for the time of the call.
 *
 * This file holds the object, its settings and the transport (one request
 * with retries, the answer's first checks); the protocol calls themselves
 * are in sv-sync-client-calls.c, sharing sv-sync-client-private.h.
 */
#define G_LOG_DOMAIN "sv-sync"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>
#include <libsoup/soup.h>

#include "sv-sync-client-private.h"

#define DEFAULT_TIMEOUT_SECONDS 30
#define DEFAULT_MAX_ATTEMPTS    5
#define DEFAULT_INITIAL_DELAY   250
#define DEFAULT_MAX_DELAY       4000

G_DEFINE_FINAL_TYPE (SvSyncClient, sv_sync_client, G_TYPE_OBJECT)

void
sv_sync_registration_free (SvSyncRegistration *registration)
{
  if (registration == NULL)
    return;
  g_free (registration->result);
  g_free (registration->token);
  g_free (registration->portal);
  g_free (registration);
}

static void
sv_sync_client_finalize (GObject *object)
{
  SvSyncClient *self = SV_SYNC_CLIENT (object);

  g_clear_object (&self->session);
  g_clear_pointer (&self->base_uri, g_uri_unref);
  g_free (self->server_url);
  if (self->bearer != NULL)
    memset (self->bearer, 0, strlen (self->bearer));
  g_free (self->bearer);
  g_mutex_clear (&self->mutex);

  G_OBJECT_CLASS (sv_sync_client_parent_class)->finalize (object);
}

static void
sv_sync_client_class_init (SvSyncClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = sv_sync_client_finalize;
}

static void
sv_sync_client_init (SvSyncClient *self)
{
  g_mutex_init (&self->mutex);
  self->max_attempts = DEFAULT_MAX_ATTEMPTS;
  self->initial_delay_ms = DEFAULT_INITIAL_DELAY;
  self->max_delay_ms = DEFAULT_MAX_DELAY;
}

/**
 * sv_sync_client_new:
 * @server_url: the server's base URL ("https://backup.example/"); the
 *   protocol lives under api/v1/ below it
 *
 * Configure the client (timeout, retry policy) from the thread that made
 * it, before the first call; calls may then come from any thread.
 *
 * Returns: (transfer full): a client, or %NULL if @server_url is not an
 *   http(s) URL
 */
SvSyncClient *
sv_sync_client_new (const char  *server_url,
                    GError     **error)
{
  g_autoptr(SvSyncClient) self = NULL;
  g_autoptr(GUri) uri = NULL;
  g_autofree char *with_slash = NULL;
  const char *scheme;

  g_return_val_if_fail (server_url != NULL, NULL);

  with_slash = g_str_has_suffix (server_url, "/") ? g_strdup (server_url)
                                                  : g_strconcat (server_url, "/", NULL);
  uri = g_uri_parse (with_slash, G_URI_FLAGS_NONE, NULL);
  scheme = uri ? g_uri_get_scheme (uri) : NULL;
  if (uri == NULL || g_uri_get_host (uri) == NULL ||
      (g_strcmp0 (scheme, "http") != 0 && g_strcmp0 (scheme, "https") != 0))
    {
      g_set_error (error, SV_SYNC_ERROR, SV_SYNC_ERROR_INVALID,
                   _("“%s” is not a server address (http:// or https://)"), server_url);
      return NULL;
    }

  self = g_object_new (SV_TYPE_SYNC_CLIENT, NULL);
  self->server_url = g_steal_pointer (&with_slash);
  self->base_uri = g_steal_pointer (&uri);
  /* No User-Agent: the protocol does not use it, and every request would
   * carry it (issue 16: bytes on the wire). */
  self->session = soup_session_new_with_options ("timeout", DEFAULT_TIMEOUT_SECONDS, NULL);
  return g_steal_pointer (&self);
}

const char *
sv_sync_client_get_server_url (SvSyncClient *self)
{
  g_return_val_if_fail (SV_IS_SYNC_CLIENT (self), NULL);
  return self->server_url;
}

/**
 * sv_sync_client_set_timeout:
 * @seconds: how long one request may wait for the network
 */
void
sv_sync_client_set_timeout (SvSyncClient *self,
                            guint         seconds)
{
  g_return_if_fail (SV_IS_SYNC_CLIENT (self));
  soup_session_set_timeout (self->session, seconds);
}

/**
 * sv_sync_client_set_retry_policy:
 * @max_attempts: tries per request, the first included (at least 1)
 * @initial_delay_ms: wait before the second try; doubled for each next
 * @max_delay_ms: the ceiling of the wait
 */
void
sv_sync_client_set_retry_policy (SvSyncClient *self,
                                 guint         max_attempts,
                                 guint         initial_delay_ms,
                                 guint         max_delay_ms)
{
  g_return_if_fail (SV_IS_SYNC_CLIENT (self));
  self->max_attempts = MAX (1, max_attempts);
  self->initial_delay_ms = initial_delay_ms;
  self->max_delay_ms = MAX (initial_delay_ms, max_delay_ms);
}

void
sv_sync_client_get_stats (SvSyncClient *self,
                          SvSyncStats  *stats)
{
  g_return_if_fail (SV_IS_SYNC_CLIENT (self));
  g_mutex_lock (&self->mutex);
  *stats = self->stats;
  g_mutex_unlock (&self->mutex);
}

gboolean
sv_sync_client_is_logged_in (SvSyncClient *self)
{
  gboolean result;

  g_mutex_lock (&self->mutex);
  result = self->bearer != NULL;
  g_mutex_unlock (&self->mutex);
  return result;
}

void
_sv_sync_client_set_bearer (SvSyncClient *self,
                            const char   *token)
{
  g_mutex_lock (&self->mutex);
  if (self->bearer != NULL)
    memset (self->bearer, 0, strlen (self->bearer));
  g_free (self->bearer);
  self->bearer = g_strdup (token);
  g_mutex_unlock (&self->mutex);
}

/**
 * sv_sync_new_batch_id:
 *
 * 128 random bits (as many as a random UUID's 122, from the same
 * generator) in base64url without padding: 22 characters where a UUID
 * takes 36, and the batch id travels in every backup and its answer
 * (PROTOCOL.md allows 1 to 64 of [A-Za-z0-9_-]).
 *
 * Returns: (transfer full): a fresh batch id
 */
char *
sv_sync_new_batch_id (void)
{
  guint32 words[4];
  char *id;

  for (guint i = 0; i < G_N_ELEMENTS (words); i++)
    words[i] = g_random_int ();
  id = g_base64_encode ((const guchar *) words, sizeof words);
  g_strdelimit (id, "+", '-');
  g_strdelimit (id, "/", '_');
  *strchr (id, '=') = '\0';
  return id;
}

/* ------------------------------------------------------------------ */
/* One request, with retries                                           */

static gboolean
is_transport_error (const GError *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return FALSE;
  return error->domain == G_IO_ERROR || error->domain == SOUP_SESSION_ERROR ||
         error->domain == G_RESOLVER_ERROR || error->domain == G_TLS_ERROR;
}

static gboolean
is_retryable_answer (const GError *error)
{
  return g_error_matches (error, SV_SYNC_ERROR, SV_SYNC_ERROR_INTERNAL) ||
         g_error_matches (error, SV_SYNC_ERROR, SV_SYNC_ERROR_UNAVAILABLE) ||
         g_error_matches (error, SV_SYNC_ERROR, SV_SYNC_ERROR_BATCH_IN_PROGRESS);
}

/* Sleeps @ms, waking early when @cancellable fires. */
static gboolean
backoff_sleep (guint          ms,
               GCancellable  *cancellable,
               GError       **error)
{
  gint64 until = g_get_monotonic_time () + (gint64) ms * 1000;

  while (g_get_monotonic_time () < until)
    {
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      g_usleep (MIN (20000, until - g_get_monotonic_time () + 1));
    }
  return !g_cancellable_set_error_if_cancelled (cancellable, error);
}

static void
count_exchange (SvSyncClient *self,
                gsize         sent,
                gsize         received,
                gboolean      retry)
{
  g_mutex_lock (&self->mutex);
  self->stats.bytes_sent += sent;
  self->stats.bytes_received += received;
  self->stats.round_trips++;
  if (retry)
    self->stats.retries++;
  g_mutex_unlock (&self->mutex);
}

/*
 * The request headers libsoup adds that the protocol does not need go
 * just before the message is written (issue 16: a one-record backup is a
 * few hundred bytes, the headers were most of them):
 *  - `Connection: Keep-Alive`: HTTP/1.1 keeps the connection by default;
 *  - `Accept-Encoding: gzip, deflate` (the content decoder's): the server
 *    only ever gzips, and only where that is shorter, so a request asks
 *    for it (as `gzip`) only where a long answer can come: a GET, or a
 *    body of SV_PROTOCOL_GZIP_ASK_MIN bytes or more (a batch's answer
 *    lists every record).
 * Host, Authorization, Content-Type and Content-Length stay.
 */
static void
trim_request_headers_cb (SoupMessage *msg,
                         gpointer     user_data)
{
  SoupMessageHeaders *headers = soup_message_get_request_headers (msg);
  gboolean want_gzip = GPOINTER_TO_INT (user_data);

  soup_message_headers_remove (headers, "Connection");
  if (want_gzip)
    soup_message_headers_replace (headers, "Accept-Encoding", "gzip");
  else
    soup_message_headers_remove (headers, "Accept-Encoding");
}

/*
 * send_request:
 * @path: below the server URL, e.g. "api/v1/cards/8986.../backup"
 * @body: (nullable): the JSON body, sent as is
 * @retry: whether resending @body is safe
 * @answer: (out) (optional) (transfer full): the answer's JSON, %NULL for
 *   an empty answer
 */
gboolean
_sv_sync_client_send_request (SvSyncClient  *self,
                              const char    *method,
                              const char    *path,
                              const char    *body,
                              gboolean       retry,
                              JsonNode     **answer,
                              GCancellable  *cancellable,
                              GError       **error)
{
  g_autoptr(GUri) uri = g_uri_parse_relative (self->base_uri, path, G_URI_FLAGS_ENCODED, NULL);
  g_autoptr(GError) last_error = NULL;
  guint attempts = retry ? self->max_attempts : 1;
  guint delay = self->initial_delay_ms;
  gsize body_len = body ? strlen (body) : 0;

  g_return_val_if_fail (uri != NULL, FALSE);

  for (guint attempt = 0; attempt < attempts; attempt++)
    {
      g_autoptr(SoupMessage) msg = soup_message_new_from_uri (method, uri);
      g_autoptr(GBytes) received = NULL;
      g_autoptr(GError) local_error = NULL;
      g_autofree char *bearer = NULL;
      gsize received_len = 0, sent_len = 0;
      guint status;

      if (attempt > 0)
        {
          if (!backoff_sleep (delay, cancellable, error))
            return FALSE;
          delay = MIN (delay * 2, self->max_delay_ms);
        }

      g_signal_connect (msg, "starting", G_CALLBACK (trim_request_headers_cb),
                        GINT_TO_POINTER (g_str_equal (method, "GET") || body_len >= SV_PROTOCOL_GZIP_ASK_MIN));
      /* A request that is safe to resend may also go on a kept-alive
       * connection (libsoup opens a new one for every POST otherwise). */
      if (retry)
        soup_message_add_flags (msg, SOUP_MESSAGE_IDEMPOTENT);

      g_mutex_lock (&self->mutex);
      bearer = self->bearer ? g_strdup_printf ("Bearer %s", self->bearer) : NULL;
      g_mutex_unlock (&self->mutex);
      if (bearer != NULL)
        soup_message_headers_replace (soup_message_get_request_headers (msg),
                                      "Authorization", bearer);
      if (body != NULL)
        {
          g_autoptr(GBytes) bytes = NULL;

          /* A body travels compressed when that is shorter (PROTOCOL.md,
           * Conventions); libsoup's content decoder decodes the answers. */
          bytes = sv_protocol_gzip_if_smaller (body, body_len);
          if (bytes != NULL)
            soup_message_headers_replace (soup_message_get_request_headers (msg),
                                          "Content-Encoding", "gzip");
          else
            bytes = g_bytes_new (body, body_len);
          sent_len = g_bytes_get_size (bytes);
          soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
        }

      received = soup_session_send_and_read (self->session, msg, cancellable, &local_error);
      if (received != NULL)
        received_len = g_bytes_get_size (received);
      count_exchange (self, sent_len, received_len, attempt > 0);

      if (received == NULL)
        {
          if (!is_transport_error (local_error))
            {
              g_propagate_error (error, g_steal_pointer (&local_error));
              return FALSE;
            }
          g_debug ("%s %s: attempt %u failed: %s", method, path, attempt + 1, local_error->message);
          g_clear_error (&last_error);
          last_error = g_steal_pointer (&local_error);
          continue;
        }

      status = soup_message_get_status (msg);
      if (status >= 200 && status < 300)
        {
          if (answer == NULL)
            return TRUE;
          *answer = NULL;
          if (received_len == 0)
            return TRUE;
          *answer = sv_protocol_parse_body (g_bytes_get_data (received, NULL), received_len,
                                            &local_error);
          if (*answer == NULL)
            {
              g_set_error (error, SV_SYNC_ERROR, SV_SYNC_ERROR_BAD_RESPONSE,
                           _("The server at %s answered with something that is not the backup "
                             "protocol: %s"), self->server_url, local_error->message);
              return FALSE;
            }
          return TRUE;
        }
      else
        {
          g_autoptr(GError) protocol_error =
            sv_protocol_error_new_from_response (status, g_bytes_get_data (received, NULL),
                                                 received_len);

          const char *retry_after = soup_message_headers_get_one (soup_message_get_response_headers (msg),
                                                                  "Retry-After");

          g_clear_error (&last_error);
          last_error = sv_sync_error_from_protocol (protocol_error);
          if (retry_after != NULL &&
              g_error_matches (last_error, SV_SYNC_ERROR, SV_SYNC_ERROR_RATE_LIMITED))
            {
              /* Say when to try again; waiting that long is the user's call. */
              g_autofree char *message = g_strdup_printf (_("%s (try again in %s seconds)"),
                                                          last_error->message, retry_after);

              g_free (last_error->message);
              last_error->message = g_steal_pointer (&message);
            }
          g_debug ("%s %s: HTTP %u (%s)", method, path, status,
                   sv_sync_error_to_string ((SvSyncError) last_error->code));
          if (!is_retryable_answer (last_error))
            break;
        }
    }

  g_assert (last_error != NULL);
  if (last_error->domain == SV_SYNC_ERROR)
    g_propagate_error (error, g_steal_pointer (&last_error));
  else if (g_error_matches (last_error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    g_set_error (error, SV_SYNC_ERROR, SV_SYNC_ERROR_TIMED_OUT,
                 _("The backup server at %s did not answer in time (%u attempts)"),
                 self->server_url, attempts);
  else
    g_set_error (error, SV_SYNC_ERROR, SV_SYNC_ERROR_UNREACHABLE,
                 _("Cannot reach the backup server at %s (%u attempts): %s"),
                 self->server_url, attempts, last_error->message);
  return FALSE;
}

char *
_sv_sync_client_node_to_body (JsonNode *node)
{
  return sv_protocol_node_to_data (node);
}

JsonObject *
_sv_sync_client_require_object (SvSyncClient  *self,
                                JsonNode      *node,
                                GError       **error)
{
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, SV_SYNC_ERROR, SV_SYNC_ERROR_BAD_RESPONSE,
                   _("The server at %s answered without the expected JSON object"),
                   self->server_url);
      return NULL;
    }
  return json_node_get_object (node);
}

gboolean
_sv_sync_client_take_session_token (SvSyncClient  *self,
                                    JsonNode      *answer,
                                    GError       **error)
{
  JsonObject *object = _sv_sync_client_require_object (self, answer, error);
  const char *token;

  if (object == NULL)
    return FALSE;
  token = sv_protocol_get_string (object, "token");
  if (token == NULL)
    {
      g_set_error (error, SV_SYNC_ERROR, SV_SYNC_ERROR_BAD_RESPONSE,
                   _("The server at %s answered a login without a session token"),
                   self->server_url);
      return FALSE;
    }
  _sv_sync_client_set_bearer (self, token);
  return TRUE;
}
