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
 */
#define G_LOG_DOMAIN "sv-sync"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <libsoup/soup.h>

#include "sv-sync-client.h"

#define DEFAULT_TIMEOUT_SECONDS 30
#define DEFAULT_MAX_ATTEMPTS    5
#define DEFAULT_INITIAL_DELAY   250
#define DEFAULT_MAX_DELAY       4000

struct _SvSyncClient
{
  GObject      parent_instance;

  char        *server_url;
  GUri        *base_uri;
  SoupSession *session;

  guint        max_attempts;
  guint        initial_delay_ms;
  guint        max_delay_ms;

  GMutex       mutex;           /* guards what follows */
  char        *bearer;          /* session token; never logged */
  SvSyncStats  stats;
};

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
  self->session = soup_session_new_with_options ("timeout", DEFAULT_TIMEOUT_SECONDS,
                                                 "user-agent", "simvault/" PACKAGE_VERSION,
                                                 NULL);
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

static void
set_bearer (SvSyncClient *self,
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
 * Returns: (transfer full): a fresh batch id (a random UUID)
 */
char *
sv_sync_new_batch_id (void)
{
  return g_uuid_string_random ();
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
 * send_request:
 * @path: below the server URL, e.g. "api/v1/cards/8986.../backup"
 * @body: (nullable): the JSON body, sent as is
 * @retry: whether resending @body is safe
 * @answer: (out) (optional) (transfer full): the answer's JSON, %NULL for
 *   an empty answer
 */
static gboolean
send_request (SvSyncClient  *self,
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

      g_mutex_lock (&self->mutex);
      bearer = self->bearer ? g_strdup_printf ("Bearer %s", self->bearer) : NULL;
      g_mutex_unlock (&self->mutex);
      if (bearer != NULL)
        soup_message_headers_replace (soup_message_get_request_headers (msg),
                                      "Authorization", bearer);
      if (body != NULL)
        {
          g_autoptr(GBytes) bytes = NULL;

          /* A large batch travels compressed (PROTOCOL.md, Conventions);
           * libsoup asks for compressed answers and decodes them. */
          if (body_len >= SV_PROTOCOL_GZIP_MIN)
            {
              bytes = sv_protocol_gzip (body, body_len);
              soup_message_headers_replace (soup_message_get_request_headers (msg),
                                            "Content-Encoding", "gzip");
            }
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

static char *
node_to_body (JsonNode *node)
{
  return sv_protocol_node_to_data (node);
}

static JsonObject *
require_object (SvSyncClient  *self,
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

static gboolean
take_session_token (SvSyncClient  *self,
                    JsonNode      *answer,
                    GError       **error)
{
  JsonObject *object = require_object (self, answer, error);
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
  set_bearer (self, token);
  return TRUE;
}

/* What the client reads of each answer. */
static const char * const backup_answer_members[] = { "batch_id", "applied", "conflicts", "versions", "token", NULL };
static const char * const messages_answer_members[] = { "stored", "duplicates", "dropped", "count", NULL };
static const char * const changes_answer_members[] = { "records", "token", "more", NULL };
static const char * const restore_created_answer_members[] = { "id", "groups", "records", "messages", NULL };
static const char * const restore_group_answer_members[] = { "group", "records", "messages", "clear", NULL };
static const char * const record_members[] = { "file", "index", "data", "version", NULL };
static const char * const message_members[] = { "id", "record", "records", "stored_at", NULL };

/*
 * A copy of the answer @node with only the members the client knows. The
 * protocol may add optional fields to an answer without a new version
 * (PROTOCOL.md), while the shared parsers are strict, as a server must be
 * with requests: the client drops what it does not know before parsing.
 */
static JsonNode *
known_members (JsonNode           *node,
               const char * const *names)
{
  JsonObject *object, *copy;
  JsonNode *result;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return node ? json_node_copy (node) : NULL;
  object = json_node_get_object (node);
  copy = json_object_new ();
  for (guint i = 0; names[i] != NULL; i++)
    if (json_object_has_member (object, names[i]))
      json_object_set_member (copy, names[i], json_node_copy (json_object_get_member (object, names[i])));
  result = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (result, copy);
  return result;
}

/* The same for every object of the array member @name of @node. */
static void
known_members_of_array (JsonNode           *node,
                        const char         *name,
                        const char * const *names)
{
  JsonObject *object;
  JsonArray *array, *copy;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return;
  object = json_node_get_object (node);
  if (!json_object_has_member (object, name) ||
      !JSON_NODE_HOLDS_ARRAY (json_object_get_member (object, name)))
    return;
  array = json_object_get_array_member (object, name);
  copy = json_array_new ();
  for (guint i = 0; i < json_array_get_length (array); i++)
    json_array_add_element (copy, known_members (json_array_get_element (array, i), names));
  json_object_set_array_member (object, name, copy);
}

static char *
card_path (const char *iccid,
           const char *rest)
{
  g_autofree char *escaped = g_uri_escape_string (iccid, NULL, FALSE);

  return g_strconcat ("api/v1/cards/", escaped, rest, NULL);
}

/* ------------------------------------------------------------------ */
/* Sessions                                                             */

/**
 * sv_sync_client_login:
 *
 * Opens an owner session (bearer token) for the account @phone; the
 * following calls use it.
 */
gboolean
sv_sync_client_login (SvSyncClient  *self,
                      const char    *phone,
                      const char    *password,
                      GCancellable  *cancellable,
                      GError       **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) request = NULL;
  g_autoptr(JsonNode) answer = NULL;
  g_autofree char *body = NULL;
  gboolean ok;

  g_return_val_if_fail (SV_IS_SYNC_CLIENT (self), FALSE);
  g_return_val_if_fail (phone != NULL && password != NULL, FALSE);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "phone");
  json_builder_add_string_value (builder, phone);
  json_builder_set_member_name (builder, "password");
  json_builder_add_string_value (builder, password);
  json_builder_end_object (builder);
  request = json_builder_get_root (builder);
  body = node_to_body (request);

  ok = send_request (self, "POST", "api/v1/session", body, TRUE, &answer, cancellable, error);
  memset (body, 0, strlen (body));
  return ok && take_session_token (self, answer, error);
}

gboolean
sv_sync_client_logout (SvSyncClient  *self,
                       GCancellable  *cancellable,
                       GError       **error)
{
  g_return_val_if_fail (SV_IS_SYNC_CLIENT (self), FALSE);

  if (!sv_sync_client_is_logged_in (self))
    return TRUE;
  if (!send_request (self, "DELETE", "api/v1/session", NULL, TRUE, NULL, cancellable, error))
    return FALSE;
  set_bearer (self, NULL);
  return TRUE;
}

/**
 * sv_sync_client_staff_login:
 *
 * Opens a staff session; sv_sync_client_staff_consent() then turns it into
 * a delegated session for one customer.
 */
gboolean
sv_sync_client_staff_login (SvSyncClient  *self,
                            const char    *name,
                            const char    *password,
                            GCancellable  *cancellable,
                            GError       **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) request = NULL;
  g_autoptr(JsonNode) answer = NULL;
  g_autofree char *body = NULL;
  gboolean ok;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, name);
  json_builder_set_member_name (builder, "password");
  json_builder_add_string_value (builder, password);
  json_builder_end_object (builder);
  request = json_builder_get_root (builder);
  body = node_to_body (request);

  ok = send_request (self, "POST", "api/v1/staff/session", body, TRUE, &answer, cancellable, error);
  memset (body, 0, strlen (body));
  return ok && take_session_token (self, answer, error);
}

/**
 * sv_sync_client_staff_consent:
 * @password: (nullable): the customer's password, or
 * @code: (nullable): a one-time restore code the customer made
 *
 * With a staff session: asks for the customer's consent and continues with
 * the delegated token (30 minutes, audited).
 */
gboolean
sv_sync_client_staff_consent (SvSyncClient  *self,
                              const char    *phone,
                              const char    *password,
                              const char    *code,
                              GCancellable  *cancellable,
                              GError       **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) request = NULL;
  g_autoptr(JsonNode) answer = NULL;
  g_autofree char *body = NULL;
  gboolean ok;

  g_return_val_if_fail (password != NULL || code != NULL, FALSE);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "phone");
  json_builder_add_string_value (builder, phone);
  json_builder_set_member_name (builder, password != NULL ? "password" : "restore_code");
  json_builder_add_string_value (builder, password != NULL ? password : code);
  json_builder_end_object (builder);
  request = json_builder_get_root (builder);
  body = node_to_body (request);

  /* A one-time code is spent by the first answer: never resend it. */
  ok = send_request (self, "POST", "api/v1/staff/consents", body, password != NULL, &answer,
                     cancellable, error);
  memset (body, 0, strlen (body));
  return ok && take_session_token (self, answer, error);
}

/* ------------------------------------------------------------------ */
/* Cards                                                                */

/**
 * sv_sync_client_register:
 * @request: the registration; without phone and password it uses the
 *   current session
 *
 * Flow 1. A session the answer carries becomes the client's session.
 *
 * Returns: (transfer full): the answer
 */
SvSyncRegistration *
sv_sync_client_register (SvSyncClient             *self,
                         const SvRegisterRequest  *request,
                         GCancellable             *cancellable,
                         GError                  **error)
{
  g_autoptr(JsonNode) node = sv_register_request_to_json (request);
  g_autoptr(JsonNode) answer = NULL;
  g_autoptr(SvSyncRegistration) registration = NULL;
  g_autofree char *body = node_to_body (node);
  JsonObject *object, *session;
  const char *result;
  gboolean ok;

  ok = send_request (self, "POST", "api/v1/cards/register", body, TRUE, &answer,
                     cancellable, error);
  memset (body, 0, strlen (body));
  if (!ok || (object = require_object (self, answer, error)) == NULL)
    return NULL;

  result = sv_protocol_get_string (object, "result");
  if (g_strcmp0 (result, "registered") != 0 && g_strcmp0 (result, "updated") != 0 &&
      g_strcmp0 (result, "card-change") != 0)
    {
      g_set_error (error, SV_SYNC_ERROR, SV_SYNC_ERROR_BAD_RESPONSE,
                   _("The server at %s answered a registration with “%s”"),
                   self->server_url, result ? result : "");
      return NULL;
    }
  registration = g_new0 (SvSyncRegistration, 1);
  registration->result = g_strdup (result);
  registration->counter_a = sv_protocol_get_int (object, "counter_a", 0);
  registration->counter_b = sv_protocol_get_int (object, "counter_b", 0);
  registration->token = g_strdup (sv_protocol_get_string (object, "token"));
  registration->portal = g_strdup (sv_protocol_get_string (object, "portal"));

  session = json_object_has_member (object, "session") &&
            JSON_NODE_HOLDS_OBJECT (json_object_get_member (object, "session"))
            ? json_object_get_object_member (object, "session") : NULL;
  if (session != NULL && sv_protocol_get_string (session, "token") != NULL)
    set_bearer (self, sv_protocol_get_string (session, "token"));

  return g_steal_pointer (&registration);
}

/**
 * sv_sync_client_list_cards:
 *
 * Returns: (transfer full): the answer of GET /api/v1/cards
 */
JsonNode *
sv_sync_client_list_cards (SvSyncClient  *self,
                           GCancellable  *cancellable,
                           GError       **error)
{
  JsonNode *answer = NULL;

  if (!send_request (self, "GET", "api/v1/cards", NULL, TRUE, &answer, cancellable, error))
    return NULL;
  if (require_object (self, answer, error) == NULL)
    {
      g_clear_pointer (&answer, json_node_unref);
      return NULL;
    }
  return answer;
}

/**
 * sv_sync_client_get_card:
 *
 * Returns: (transfer full): the card's info, layout, counters and token
 */
JsonNode *
sv_sync_client_get_card (SvSyncClient  *self,
                         const char    *iccid,
                         GCancellable  *cancellable,
                         GError       **error)
{
  g_autofree char *path = card_path (iccid, "");
  JsonNode *answer = NULL;

  if (!send_request (self, "GET", path, NULL, TRUE, &answer, cancellable, error))
    return NULL;
  if (require_object (self, answer, error) == NULL)
    {
      g_clear_pointer (&answer, json_node_unref);
      return NULL;
    }
  return answer;
}

/**
 * sv_sync_client_deregister:
 *
 * Flow 12: the server deletes the card's backup.
 */
gboolean
sv_sync_client_deregister (SvSyncClient  *self,
                           const char    *iccid,
                           GCancellable  *cancellable,
                           GError       **error)
{
  g_autofree char *path = card_path (iccid, "");
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) request = NULL;
  g_autofree char *body = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "confirm");
  json_builder_add_string_value (builder, iccid);
  json_builder_end_object (builder);
  request = json_builder_get_root (builder);
  body = node_to_body (request);
  return send_request (self, "DELETE", path, body, TRUE, NULL, cancellable, error);
}

/* ------------------------------------------------------------------ */
/* Backup                                                               */

/**
 * sv_sync_client_backup:
 * @body: the batch exactly as the outbox keeps it (sv_backup_request_to_json)
 *
 * Flows 2-5. Retried with the same body (the same batch id) until the
 * server answers or the attempts run out.
 *
 * Returns: (transfer full): the server's answer
 */
SvBackupResponse *
sv_sync_client_backup (SvSyncClient  *self,
                       const char    *iccid,
                       const char    *body,
                       GCancellable  *cancellable,
                       GError       **error)
{
  g_autofree char *path = card_path (iccid, "/backup");
  g_autoptr(JsonNode) answer = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(JsonNode) known_answer = NULL;
  SvBackupResponse *response;

  if (!send_request (self, "POST", path, body, TRUE, &answer, cancellable, error))
    return NULL;
  if (answer != NULL)
    known_answer = known_members (answer, backup_answer_members);
  response = known_answer ? sv_backup_response_from_json (known_answer, &local_error) : NULL;
  if (response == NULL)
    g_set_error (error, SV_SYNC_ERROR, SV_SYNC_ERROR_BAD_RESPONSE,
                 _("The server at %s answered a backup with something unexpected: %s"),
                 self->server_url, local_error ? local_error->message : _("no body"));
  return response;
}

/**
 * sv_sync_client_backup_messages:
 * @body: the batch of messages, as the outbox keeps it
 *
 * Flow 6 (the server's SMS ring).
 */
gboolean
sv_sync_client_backup_messages (SvSyncClient        *self,
                                const char          *iccid,
                                const char          *body,
                                SvMessagesResponse  *response,
                                GCancellable        *cancellable,
                                GError             **error)
{
  g_autofree char *path = card_path (iccid, "/messages");
  g_autoptr(JsonNode) answer = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(JsonNode) known_answer = NULL;

  if (!send_request (self, "POST", path, body, TRUE, &answer, cancellable, error))
    return FALSE;
  if (answer != NULL)
    known_answer = known_members (answer, messages_answer_members);
  if (known_answer == NULL || !sv_messages_response_from_json (known_answer, response, &local_error))
    {
      g_set_error (error, SV_SYNC_ERROR, SV_SYNC_ERROR_BAD_RESPONSE,
                   _("The server at %s answered an SMS backup with something unexpected: %s"),
                   self->server_url, local_error ? local_error->message : _("no body"));
      return FALSE;
    }
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Changes and restore                                                  */

/**
 * sv_sync_client_get_changes:
 * @since: (nullable): the token of the last sync; %NULL for everything
 * @limit: page size; 0 for the server's default
 *
 * Flow 8, one page.
 *
 * Returns: (transfer full): the page
 */
SvChangesResponse *
sv_sync_client_get_changes (SvSyncClient  *self,
                            const char    *iccid,
                            const char    *since,
                            guint          limit,
                            GCancellable  *cancellable,
                            GError       **error)
{
  g_autoptr(GString) rest = g_string_new ("/changes");
  g_autofree char *path = NULL;
  g_autoptr(JsonNode) answer = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(JsonNode) known_answer = NULL;
  SvChangesResponse *response;
  char sep = '?';

  if (since != NULL)
    {
      g_autofree char *escaped = g_uri_escape_string (since, NULL, FALSE);

      g_string_append_printf (rest, "%csince=%s", sep, escaped);
      sep = '&';
    }
  if (limit > 0)
    g_string_append_printf (rest, "%climit=%u", sep, limit);
  path = card_path (iccid, rest->str);

  if (!send_request (self, "GET", path, NULL, TRUE, &answer, cancellable, error))
    return NULL;
  if (answer != NULL)
    {
      known_answer = known_members (answer, changes_answer_members);
      known_members_of_array (known_answer, "records", record_members);
    }
  response = known_answer ? sv_changes_response_from_json (known_answer, &local_error) : NULL;
  if (response == NULL)
    g_set_error (error, SV_SYNC_ERROR, SV_SYNC_ERROR_BAD_RESPONSE,
                 _("The server at %s answered a change request with something unexpected: %s"),
                 self->server_url, local_error ? local_error->message : _("no body"));
  return response;
}

/**
 * sv_sync_client_get_records:
 * @file: the file key
 *
 * Returns: (transfer container) (element-type SvProtocolRecord): the raw
 *   records of one backed-up file
 */
GPtrArray *
sv_sync_client_get_records (SvSyncClient  *self,
                            const char    *iccid,
                            const char    *file,
                            GCancellable  *cancellable,
                            GError       **error)
{
  g_autofree char *escaped = g_uri_escape_string (file, NULL, FALSE);
  g_autofree char *rest = g_strconcat ("/records?file=", escaped, NULL);
  g_autofree char *path = card_path (iccid, rest);
  g_autoptr(JsonNode) answer = NULL;
  g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_protocol_record_free);
  JsonObject *object;
  JsonArray *array;

  if (!send_request (self, "GET", path, NULL, TRUE, &answer, cancellable, error) ||
      (object = require_object (self, answer, error)) == NULL)
    return NULL;
  if (!json_object_has_member (object, "records") ||
      !JSON_NODE_HOLDS_ARRAY (json_object_get_member (object, "records")))
    {
      g_set_error (error, SV_SYNC_ERROR, SV_SYNC_ERROR_BAD_RESPONSE,
                   _("The server at %s answered without the expected JSON object"),
                   self->server_url);
      return NULL;
    }
  array = json_object_get_array_member (object, "records");
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      g_autoptr(GError) local_error = NULL;
      SvProtocolRecord *record = sv_protocol_record_from_json (json_array_get_element (array, i),
                                                               FALSE, &local_error);

      if (record == NULL)
        {
          g_set_error (error, SV_SYNC_ERROR, SV_SYNC_ERROR_BAD_RESPONSE,
                       _("The server at %s sent a record that does not parse: %s"),
                       self->server_url, local_error->message);
          return NULL;
        }
      g_ptr_array_add (records, record);
    }
  return g_steal_pointer (&records);
}

/**
 * sv_sync_client_create_restore:
 *
 * Flows 8-10: the server prepares a restore in groups.
 *
 * Returns: (transfer full): its id and size
 */
SvRestoreCreated *
sv_sync_client_create_restore (SvSyncClient            *self,
                               const char              *iccid,
                               const SvRestoreRequest  *request,
                               GCancellable            *cancellable,
                               GError                 **error)
{
  g_autofree char *path = card_path (iccid, "/restores");
  g_autoptr(JsonNode) node = sv_restore_request_to_json (request);
  g_autofree char *body = node_to_body (node);
  g_autoptr(JsonNode) answer = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(JsonNode) known_answer = NULL;
  SvRestoreCreated *created;

  /* A retried creation at worst leaves an unused restore on the server. */
  if (!send_request (self, "POST", path, body, TRUE, &answer, cancellable, error))
    return NULL;
  if (answer != NULL)
    known_answer = known_members (answer, restore_created_answer_members);
  created = known_answer ? sv_restore_created_from_json (known_answer, &local_error) : NULL;
  if (created == NULL)
    g_set_error (error, SV_SYNC_ERROR, SV_SYNC_ERROR_BAD_RESPONSE,
                 _("The server at %s answered a restore request with something unexpected: %s"),
                 self->server_url, local_error ? local_error->message : _("no body"));
  return created;
}

/**
 * sv_sync_client_get_restore_group:
 *
 * Flow 11: group @group of a restore. The server answers the first
 * unacknowledged group when asked for a later one; the caller checks
 * the group number it got.
 *
 * Returns: (transfer full): the group
 */
SvRestoreGroup *
sv_sync_client_get_restore_group (SvSyncClient  *self,
                                  const char    *restore_id,
                                  guint          group,
                                  GCancellable  *cancellable,
                                  GError       **error)
{
  g_autofree char *escaped = g_uri_escape_string (restore_id, NULL, FALSE);
  g_autofree char *path = g_strdup_printf ("api/v1/restores/%s/groups/%u", escaped, group);
  g_autoptr(JsonNode) answer = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(JsonNode) known_answer = NULL;
  SvRestoreGroup *result;

  if (!send_request (self, "GET", path, NULL, TRUE, &answer, cancellable, error))
    return NULL;
  if (answer != NULL)
    {
      known_answer = known_members (answer, restore_group_answer_members);
      known_members_of_array (known_answer, "records", record_members);
      known_members_of_array (known_answer, "messages", message_members);
    }
  result = known_answer ? sv_restore_group_from_json (known_answer, &local_error) : NULL;
  if (result == NULL)
    g_set_error (error, SV_SYNC_ERROR, SV_SYNC_ERROR_BAD_RESPONSE,
                 _("The server at %s sent a restore group that does not parse: %s"),
                 self->server_url, local_error ? local_error->message : _("no body"));
  return result;
}

/**
 * sv_sync_client_ack_restore_group:
 * @done: (out): whether this was the last group
 * @token: (out) (optional) (transfer full): with @done, the card's token
 *
 * Flow 11: acknowledges a group, after it is stored.
 */
gboolean
sv_sync_client_ack_restore_group (SvSyncClient  *self,
                                  const char    *restore_id,
                                  guint          group,
                                  gboolean      *done,
                                  char         **token,
                                  GCancellable  *cancellable,
                                  GError       **error)
{
  g_autofree char *escaped = g_uri_escape_string (restore_id, NULL, FALSE);
  g_autofree char *path = g_strdup_printf ("api/v1/restores/%s/ack", escaped);
  g_autofree char *body = g_strdup_printf ("{\"group\":%u}", group);
  g_autoptr(JsonNode) answer = NULL;
  JsonObject *object;

  if (!send_request (self, "POST", path, body, TRUE, &answer, cancellable, error))
    return FALSE;
  *done = FALSE;
  if (answer != NULL && JSON_NODE_HOLDS_OBJECT (answer))
    {
      object = json_node_get_object (answer);
      *done = sv_protocol_get_bool (object, "done", FALSE);
      if (token != NULL)
        *token = g_strdup (sv_protocol_get_string (object, "token"));
    }
  return TRUE;
}
