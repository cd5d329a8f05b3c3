/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * SvSyncClient's protocol calls, one per endpoint the desktop uses
 * (sessions, cards, backup, changes and restores): each builds its request
 * body from the shared message types, sends it through
 * _sv_sync_client_send_request() (sv-sync-client.c: the session, retries,
 * backoff and error mapping) and parses the answer, keeping only the
 * members it knows.
 */
#define G_LOG_DOMAIN "sv-sync"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <libsoup/soup.h>

#include "sv-sync-client-private.h"

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

/* The answers parse_answer() reads: one row each in answer_shapes[]. */
typedef enum
{
  BACKUP_ANSWER,
  MESSAGES_ANSWER,
  CHANGES_ANSWER,
  RESTORE_CREATED_ANSWER,
  RESTORE_GROUP_ANSWER,
} AnswerKind;

typedef gpointer (*AnswerParser) (JsonNode  *node,
                                  GError   **error);

static gpointer
messages_response_from_json (JsonNode  *node,
                             GError   **error)
{
  g_autofree SvMessagesResponse *response = g_new0 (SvMessagesResponse, 1);

  if (!sv_messages_response_from_json (node, response, error))
    return NULL;
  return g_steal_pointer (&response);
}

static const struct
{
  const char * const *members;
  gboolean            records;   /* trim the objects of "records" to record_members */
  gboolean            messages;  /* and of "messages" to message_members */
  AnswerParser        parse;
} answer_shapes[] = {
  [BACKUP_ANSWER] = { backup_answer_members, FALSE, FALSE, (AnswerParser) sv_backup_response_from_json },
  [MESSAGES_ANSWER] = { messages_answer_members, FALSE, FALSE, messages_response_from_json },
  [CHANGES_ANSWER] = { changes_answer_members, TRUE, FALSE, (AnswerParser) sv_changes_response_from_json },
  [RESTORE_CREATED_ANSWER] = { restore_created_answer_members, FALSE, FALSE,
                               (AnswerParser) sv_restore_created_from_json },
  [RESTORE_GROUP_ANSWER] = { restore_group_answer_members, TRUE, TRUE, (AnswerParser) sv_restore_group_from_json },
};

/*
 * The server's @answer of kind @kind, with only the members the client
 * knows, parsed; %NULL with SV_SYNC_ERROR_BAD_RESPONSE when there is no
 * answer or it does not parse. Each kind keeps its own message (a literal
 * format each, for the translators and for -Wformat-nonliteral).
 */
static gpointer
parse_answer (SvSyncClient  *self,
              JsonNode      *answer,
              AnswerKind     kind,
              GError       **error)
{
  g_autoptr(JsonNode) known_answer = NULL;
  g_autoptr(GError) local_error = NULL;
  gpointer result = NULL;
  const char *detail;

  if (answer != NULL)
    {
      known_answer = known_members (answer, answer_shapes[kind].members);
      if (answer_shapes[kind].records)
        known_members_of_array (known_answer, "records", record_members);
      if (answer_shapes[kind].messages)
        known_members_of_array (known_answer, "messages", message_members);
      result = answer_shapes[kind].parse (known_answer, &local_error);
    }
  if (result != NULL)
    return result;

  detail = local_error ? local_error->message : _("no body");
  switch (kind)
    {
    case BACKUP_ANSWER:
      g_set_error (error, SV_SYNC_ERROR, SV_SYNC_ERROR_BAD_RESPONSE,
                   _("The server at %s answered a backup with something unexpected: %s"),
                   self->server_url, detail);
      break;
    case MESSAGES_ANSWER:
      g_set_error (error, SV_SYNC_ERROR, SV_SYNC_ERROR_BAD_RESPONSE,
                   _("The server at %s answered an SMS backup with something unexpected: %s"),
                   self->server_url, detail);
      break;
    case CHANGES_ANSWER:
      g_set_error (error, SV_SYNC_ERROR, SV_SYNC_ERROR_BAD_RESPONSE,
                   _("The server at %s answered a change request with something unexpected: %s"),
                   self->server_url, detail);
      break;
    case RESTORE_CREATED_ANSWER:
      g_set_error (error, SV_SYNC_ERROR, SV_SYNC_ERROR_BAD_RESPONSE,
                   _("The server at %s answered a restore request with something unexpected: %s"),
                   self->server_url, detail);
      break;
    case RESTORE_GROUP_ANSWER:
    default:
      g_set_error (error, SV_SYNC_ERROR, SV_SYNC_ERROR_BAD_RESPONSE,
                   _("The server at %s sent a restore group that does not parse: %s"),
                   self->server_url, detail);
      break;
    }
  return NULL;
}

/* ------------------------------------------------------------------ */
/* Sessions                                                             */

/* POSTs {@who_member: @who, @secret_member: @secret} to @path and keeps
 * the session token of the answer; the body, which holds the secret, is
 * wiped. @retry: whether the request may be sent again. */
static gboolean
open_session (SvSyncClient  *self,
              const char    *path,
              const char    *who_member,
              const char    *who,
              const char    *secret_member,
              const char    *secret,
              gboolean       retry,
              GCancellable  *cancellable,
              GError       **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) request = NULL;
  g_autoptr(JsonNode) answer = NULL;
  g_autofree char *body = NULL;
  gboolean ok;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, who_member);
  json_builder_add_string_value (builder, who);
  json_builder_set_member_name (builder, secret_member);
  json_builder_add_string_value (builder, secret);
  json_builder_end_object (builder);
  request = json_builder_get_root (builder);
  body = _sv_sync_client_node_to_body (request);

  ok = _sv_sync_client_send_request (self, "POST", path, body, retry, &answer, cancellable, error);
  memset (body, 0, strlen (body));
  return ok && _sv_sync_client_take_session_token (self, answer, error);
}

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
  g_return_val_if_fail (SV_IS_SYNC_CLIENT (self), FALSE);
  g_return_val_if_fail (phone != NULL && password != NULL, FALSE);

  return open_session (self, "api/v1/session", "phone", phone, "password", password, TRUE,
                       cancellable, error);
}

gboolean
sv_sync_client_logout (SvSyncClient  *self,
                       GCancellable  *cancellable,
                       GError       **error)
{
  g_return_val_if_fail (SV_IS_SYNC_CLIENT (self), FALSE);

  if (!sv_sync_client_is_logged_in (self))
    return TRUE;
  if (!_sv_sync_client_send_request (self, "DELETE", "api/v1/session", NULL, TRUE, NULL, cancellable, error))
    return FALSE;
  _sv_sync_client_set_bearer (self, NULL);
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
  return open_session (self, "api/v1/staff/session", "name", name, "password", password, TRUE,
                       cancellable, error);
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
  g_return_val_if_fail (password != NULL || code != NULL, FALSE);

  /* A one-time code is spent by the first answer: never resend it. */
  return open_session (self, "api/v1/staff/consents", "phone", phone,
                       password != NULL ? "password" : "restore_code", password != NULL ? password : code,
                       password != NULL, cancellable, error);
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
  g_autofree char *body = _sv_sync_client_node_to_body (node);
  JsonObject *object, *session;
  const char *result;
  gboolean ok;

  ok = _sv_sync_client_send_request (self, "POST", "api/v1/cards/register", body, TRUE, &answer,
                                     cancellable, error);
  memset (body, 0, strlen (body));
  if (!ok || (object = _sv_sync_client_require_object (self, answer, error)) == NULL)
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
    _sv_sync_client_set_bearer (self, sv_protocol_get_string (session, "token"));

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

  if (!_sv_sync_client_send_request (self, "GET", "api/v1/cards", NULL, TRUE, &answer, cancellable, error))
    return NULL;
  if (_sv_sync_client_require_object (self, answer, error) == NULL)
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

  if (!_sv_sync_client_send_request (self, "GET", path, NULL, TRUE, &answer, cancellable, error))
    return NULL;
  if (_sv_sync_client_require_object (self, answer, error) == NULL)
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
  body = _sv_sync_client_node_to_body (request);
  return _sv_sync_client_send_request (self, "DELETE", path, body, TRUE, NULL, cancellable, error);
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

  if (!_sv_sync_client_send_request (self, "POST", path, body, TRUE, &answer, cancellable, error))
    return NULL;
  return parse_answer (self, answer, BACKUP_ANSWER, error);
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
  g_autofree SvMessagesResponse *parsed = NULL;

  if (!_sv_sync_client_send_request (self, "POST", path, body, TRUE, &answer, cancellable, error) ||
      (parsed = parse_answer (self, answer, MESSAGES_ANSWER, error)) == NULL)
    return FALSE;
  *response = *parsed;
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

  if (!_sv_sync_client_send_request (self, "GET", path, NULL, TRUE, &answer, cancellable, error))
    return NULL;
  return parse_answer (self, answer, CHANGES_ANSWER, error);
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

  if (!_sv_sync_client_send_request (self, "GET", path, NULL, TRUE, &answer, cancellable, error) ||
      (object = _sv_sync_client_require_object (self, answer, error)) == NULL)
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
  g_autofree char *body = _sv_sync_client_node_to_body (node);
  g_autoptr(JsonNode) answer = NULL;

  /* A retried creation at worst leaves an unused restore on the server. */
  if (!_sv_sync_client_send_request (self, "POST", path, body, TRUE, &answer, cancellable, error))
    return NULL;
  return parse_answer (self, answer, RESTORE_CREATED_ANSWER, error);
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

  if (!_sv_sync_client_send_request (self, "GET", path, NULL, TRUE, &answer, cancellable, error))
    return NULL;
  return parse_answer (self, answer, RESTORE_GROUP_ANSWER, error);
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

  if (!_sv_sync_client_send_request (self, "POST", path, body, TRUE, &answer, cancellable, error))
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
