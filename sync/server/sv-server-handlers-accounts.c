/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-server"

#include "config.h"

#include <string.h>

#include "sv-card-image.h"
#include "sv-codec.h"
#include "sv-csv.h"
#include "sv-message.h"
#include "sv-phonebook.h"
#include "sv-sms-store.h"
#include "sv-vcard.h"

#include "sv-server-private.h"

/*
 * The handlers of accounts and sessions: creating an account, login and logout,
 * the password, restore codes and the account's audit log.
 */

/* ---- accounts and sessions ---------------------------------------------- */

gboolean
handle_accounts_create (SvRequest  *request,
                        GError    **error)
{
  static const SvJsonField fields[] = {
    { "phone", SV_JSON_STRING, TRUE },
    { "password", SV_JSON_STRING, TRUE },
  };
  g_autoptr(JsonNode) node = PARSE (request, fields, error);
  g_autoptr(SvStoreAccount) account = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree char *phone = NULL;
  JsonObject *o;

  if (node == NULL)
    return FALSE;
  o = json_node_get_object (node);
  if ((phone = sv_protocol_normalize_phone (sv_protocol_get_string (o, "phone"), "phone", error)) == NULL
      || !sv_handler_check_password (sv_protocol_get_string (o, "password"), "password", error))
    return FALSE;
  account = sv_store_account_create (request->store, phone, sv_protocol_get_string (o, "password"), error);
  if (account == NULL)
    return sv_request_error_from_store (error);
  json_builder_begin_object (b);
  sv_handler_add_string (b, "phone", account->phone);
  sv_handler_add_time (b, "created_at", account->created_at);
  json_builder_end_object (b);
  sv_handler_reply (request, 201, b);
  return TRUE;
}

gboolean
handle_session_create (SvRequest  *request,
                       GError    **error)
{
  static const SvJsonField fields[] = {
    { "phone", SV_JSON_STRING, TRUE },
    { "password", SV_JSON_STRING, TRUE },
  };
  g_autoptr(JsonNode) node = PARSE (request, fields, error);
  g_autoptr(SvStoreSession) session = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree char *phone = NULL;
  JsonObject *o;

  if (node == NULL)
    return FALSE;
  o = json_node_get_object (node);
  if ((phone = sv_protocol_normalize_phone (sv_protocol_get_string (o, "phone"), "phone", error)) == NULL)
    return FALSE;
  session = sv_store_login (request->store, phone, sv_protocol_get_string (o, "password"),
                            request->client_addr, &request->retry_after, error);
  if (session == NULL)
    return sv_request_error_from_store (error);
  sv_handler_set_session_cookie (request, session->token);
  json_builder_begin_object (b);
  sv_handler_add_string (b, "kind", "owner");
  sv_handler_add_string (b, "phone", session->phone);
  sv_handler_add_session (b, session);
  json_builder_end_object (b);
  sv_handler_reply (request, 200, b);
  return TRUE;
}

static const char *
session_kind_to_string (SvStoreSessionKind kind)
{
  switch (kind)
    {
    case SV_STORE_SESSION_OWNER: return "owner";
    case SV_STORE_SESSION_STAFF: return "staff";
    case SV_STORE_SESSION_DELEGATED: return "delegated";
    default: return "?";
    }
}

gboolean
handle_session_get (SvRequest  *request,
                    GError    **error)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  SvStoreSession *session = request->session;

  json_builder_begin_object (b);
  sv_handler_add_string (b, "kind", session_kind_to_string (session->kind));
  sv_handler_add_string (b, "phone", session->phone);
  sv_handler_add_string (b, "staff", session->staff_name);
  sv_handler_add_time (b, "expires", session->expires_at);
  /* The portal reloads and needs the CSRF token of its cookie again. */
  if (request->by_cookie)
    sv_handler_add_string (b, "csrf", session->csrf);
  json_builder_end_object (b);
  sv_handler_reply (request, 200, b);
  return TRUE;
}

gboolean
handle_session_delete (SvRequest  *request,
                       GError    **error)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  if (!sv_store_session_delete (request->store, request->session_token, error))
    return sv_request_error_from_store (error);
  sv_handler_set_session_cookie (request, NULL);
  json_builder_begin_object (b);
  sv_handler_add_bool (b, "done", TRUE);
  json_builder_end_object (b);
  sv_handler_reply (request, 200, b);
  return TRUE;
}

gboolean
handle_password_change (SvRequest  *request,
                        GError    **error)
{
  static const SvJsonField fields[] = {
    { "current_password", SV_JSON_STRING, TRUE },
    { "new_password", SV_JSON_STRING, TRUE },
  };
  g_autoptr(JsonNode) node = PARSE (request, fields, error);
  g_autoptr(JsonBuilder) b = json_builder_new ();
  JsonObject *o;

  if (node == NULL)
    return FALSE;
  o = json_node_get_object (node);
  if (!sv_handler_check_password (sv_protocol_get_string (o, "new_password"), "new_password", error))
    return FALSE;
  if (!sv_store_account_change_password (request->store, sv_handler_account_of (request),
                                         sv_protocol_get_string (o, "current_password"),
                                         sv_protocol_get_string (o, "new_password"),
                                         request->session_token, error))
    return sv_request_error_from_store (error);
  json_builder_begin_object (b);
  sv_handler_add_bool (b, "done", TRUE);
  json_builder_end_object (b);
  sv_handler_reply (request, 200, b);
  return TRUE;
}

gboolean
handle_restore_code_create (SvRequest  *request,
                            GError    **error)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree char *code = NULL;
  gint64 expires = 0;

  code = sv_store_restore_code_create (request->store, sv_handler_account_of (request), &expires, error);
  if (code == NULL)
    return sv_request_error_from_store (error);
  json_builder_begin_object (b);
  sv_handler_add_string (b, "code", code);
  sv_handler_add_time (b, "expires", expires);
  json_builder_end_object (b);
  sv_handler_reply (request, 201, b);
  return TRUE;
}

gboolean
handle_audit_list (SvRequest  *request,
                   GError    **error)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(GPtrArray) entries = NULL;
  const char *before_text = sv_handler_query_get (request, "before");
  guint64 before = 0;
  guint limit;

  if (before_text != NULL && !g_ascii_string_to_unsigned (before_text, 10, 1, G_MAXINT64, &before, NULL))
    {
      sv_protocol_set_error (error, SV_PROTOCOL_ERROR_INVALID, "before", "“before” is an entry id");
      return FALSE;
    }
  if (!sv_handler_query_uint (request, "limit", 100, 1, 1000, &limit, error))
    return FALSE;
  entries = sv_store_audit_list (request->store, sv_handler_account_of (request), (gint64) before, limit, error);
  if (entries == NULL)
    return sv_request_error_from_store (error);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "entries");
  json_builder_begin_array (b);
  for (guint i = 0; i < entries->len; i++)
    {
      SvStoreAuditEntry *e = g_ptr_array_index (entries, i);

      json_builder_begin_object (b);
      sv_handler_add_int (b, "id", e->id);
      sv_handler_add_time (b, "time", e->at);
      sv_handler_add_string (b, "actor", e->staff_name);
      sv_handler_add_string (b, "iccid", e->iccid);
      sv_handler_add_string (b, "action", e->action);
      sv_handler_add_string (b, "detail", e->detail);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  sv_handler_reply (request, 200, b);
  return TRUE;
}
