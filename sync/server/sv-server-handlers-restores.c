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
 * The handlers of restores: a restore is created from a card's backup,
 * then fetched and acknowledged group by group.
 */

/* ---- restores ----------------------------------------------------------- */

gboolean
handle_restore_create (SvRequest  *request,
                       GError    **error)
{
  const char *iccid = NULL;
  g_autoptr(SvStoreCard) card = sv_handler_get_card (request, &iccid, error);
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(SvRestoreRequest) body = NULL;
  g_autoptr(SvStoreRestore) restore = NULL;
  SvRestoreCreated created;
  gint64 epoch = 0, modseq = 0;

  if (card == NULL)
    return FALSE;
  if ((node = sv_handler_parse_body (request, NULL, 0, error)) == NULL
      || (body = sv_restore_request_from_json (node, error)) == NULL)
    return FALSE;
  if (body->kind == SV_RESTORE_KIND_INCREMENTAL && !sv_sync_token_parse (body->since, &epoch, &modseq, error))
    return FALSE;
  restore = sv_store_restore_create (request->store, sv_handler_account_of (request),
                                     request->session->kind == SV_STORE_SESSION_DELEGATED
                                     ? request->session->staff_id : 0,
                                     iccid,
                                     body->kind == SV_RESTORE_KIND_FULL ? SV_STORE_RESTORE_FULL
                                                                        : SV_STORE_RESTORE_INCREMENTAL,
                                     epoch, modseq, body->sms, body->group_size, error);
  if (restore == NULL)
    return sv_request_error_from_store (error);
  created.id = restore->id;
  created.groups = restore->n_groups;
  created.records = restore->n_records;
  created.messages = restore->n_messages;
  sv_handler_reply_node (request, 201, sv_restore_created_to_json (&created));
  return TRUE;
}

static const char *
restore_param (SvRequest  *request,
               GError    **error)
{
  const char *id = request->params[0];

  if (strlen (id) > 128)
    {
      sv_protocol_set_error (error, SV_PROTOCOL_ERROR_NOT_FOUND, NULL, "No such restore");
      return NULL;
    }
  return id;
}

gboolean
handle_restore_group (SvRequest  *request,
                      GError    **error)
{
  const char *id = restore_param (request, error);
  g_autoptr(SvStoreRestore) restore = NULL;
  g_autoptr(SvStoreRestoreGroup) group = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  guint64 n;

  if (id == NULL)
    return FALSE;
  if (!g_ascii_string_to_unsigned (request->params[1], 10, 0, G_MAXUINT32, &n, NULL))
    {
      sv_protocol_set_error (error, SV_PROTOCOL_ERROR_NOT_FOUND, NULL, "No such group");
      return FALSE;
    }
  restore = sv_store_restore_get (request->store, sv_handler_account_of (request), id, error);
  if (restore == NULL)
    return sv_request_error_from_store (error);
  request->audit_iccid = g_strdup (restore->iccid);
  group = sv_store_restore_get_group (request->store, sv_handler_account_of (request), id, (guint) n, error);
  if (group == NULL)
    return sv_request_error_from_store (error);
  json_builder_begin_object (b);
  sv_handler_add_int (b, "group", group->group);
  sv_handler_add_int (b, "groups", restore->n_groups);
  sv_handler_add_store_records (b, "records", group->records);
  sv_handler_add_store_messages (b, "messages", group->messages);
  if (group->clear != NULL && group->clear->len > 0)
    {
      json_builder_set_member_name (b, "clear");
      json_builder_begin_array (b);
      for (guint i = 0; i < group->clear->len; i++)
        json_builder_add_string_value (b, g_ptr_array_index (group->clear, i));
      json_builder_end_array (b);
    }
  json_builder_end_object (b);
  sv_handler_reply (request, 200, b);
  return TRUE;
}

gboolean
handle_restore_ack (SvRequest  *request,
                    GError    **error)
{
  static const SvJsonField fields[] = {
    { "group", SV_JSON_INT, TRUE },
  };
  const char *id = restore_param (request, error);
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(SvStoreRestore) restore = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  gint64 group;

  if (id == NULL || (node = PARSE (request, fields, error)) == NULL)
    return FALSE;
  group = sv_protocol_get_int (json_node_get_object (node), "group", -1);
  if (group < 0 || group > G_MAXUINT32)
    {
      sv_protocol_set_error (error, SV_PROTOCOL_ERROR_INVALID, "group", "“group” is a group number");
      return FALSE;
    }
  restore = sv_store_restore_ack (request->store, sv_handler_account_of (request), id, (guint) group, error);
  if (restore == NULL)
    return sv_request_error_from_store (error);
  request->audit_iccid = g_strdup (restore->iccid);
  json_builder_begin_object (b);
  sv_handler_add_bool (b, "done", restore->done);
  sv_handler_add_int (b, "acknowledged", restore->n_acked);
  sv_handler_add_int (b, "groups", restore->n_groups);
  if (restore->done)
    sv_handler_add_token (b, "token", restore->epoch, restore->modseq);
  json_builder_end_object (b);
  sv_handler_reply (request, 200, b);
  return TRUE;
}
