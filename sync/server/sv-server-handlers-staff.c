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
 * The handlers of support staff: a staff session, and the consent an owner
 * gives a staff member to act on one card.
 */

/* ---- staff -------------------------------------------------------------- */

gboolean
handle_staff_session (SvRequest  *request,
                      GError    **error)
{
  static const SvJsonField fields[] = {
    { "name", SV_JSON_STRING, TRUE },
    { "password", SV_JSON_STRING, TRUE },
  };
  g_autoptr(JsonNode) node = PARSE (request, fields, error);
  g_autoptr(SvStoreSession) session = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  JsonObject *o;

  if (node == NULL)
    return FALSE;
  o = json_node_get_object (node);
  session = sv_store_staff_login (request->store, sv_protocol_get_string (o, "name"),
                                  sv_protocol_get_string (o, "password"), request->client_addr,
                                  &request->retry_after, error);
  if (session == NULL)
    return sv_request_error_from_store (error);
  sv_handler_set_session_cookie (request, session->token);
  json_builder_begin_object (b);
  sv_handler_add_string (b, "kind", "staff");
  sv_handler_add_string (b, "name", session->staff_name);
  sv_handler_add_session (b, session);
  json_builder_end_object (b);
  sv_handler_reply (request, 200, b);
  return TRUE;
}

gboolean
handle_consent_create (SvRequest  *request,
                       GError    **error)
{
  static const SvJsonField fields[] = {
    { "phone", SV_JSON_STRING, TRUE },
    { "password", SV_JSON_STRING, FALSE },
    { "restore_code", SV_JSON_STRING, FALSE },
  };
  g_autoptr(JsonNode) node = PARSE (request, fields, error);
  g_autoptr(SvStoreSession) session = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree char *phone = NULL;
  const char *password, *code;
  JsonObject *o;

  if (node == NULL)
    return FALSE;
  o = json_node_get_object (node);
  if ((phone = sv_protocol_normalize_phone (sv_protocol_get_string (o, "phone"), "phone", error)) == NULL)
    return FALSE;
  password = sv_protocol_get_string (o, "password");
  code = sv_protocol_get_string (o, "restore_code");
  if ((password == NULL) == (code == NULL))
    {
      sv_protocol_set_error (error, SV_PROTOCOL_ERROR_INVALID, "password",
                             "A consent carries the customer's password or a restore code, not both");
      return FALSE;
    }
  session = sv_store_consent_create (request->store, request->session->staff_id, phone, password, code,
                                     request->client_addr, &request->retry_after, error);
  if (session == NULL)
    return sv_request_error_from_store (error);
  json_builder_begin_object (b);
  sv_handler_add_string (b, "kind", "delegated");
  sv_handler_add_string (b, "phone", session->phone);
  sv_handler_add_string (b, "token", session->token);
  sv_handler_add_time (b, "expires", session->expires_at);
  json_builder_end_object (b);
  sv_handler_reply (request, 201, b);
  return TRUE;
}
