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
 * The handlers of cards and what a desktop backs up: registration,
 * listing and deregistration of cards, backups, changes, records, and the
 * card's ring of messages.
 */

/* ---- cards -------------------------------------------------------------- */

static SvStoreCardInfo *
card_info_from_protocol (const SvProtocolCard *card)
{
  SvStoreCardInfo *info = sv_store_card_info_new (card->iccid);

  info->imsi = g_strdup (card->imsi);
  info->card_type = g_strdup (card->card_type == SV_CARD_TYPE_USIM ? "usim" : "sim");
  info->batch = g_strdup (card->batch);
  info->counter_a = card->counter_a;
  info->sms_capacity = card->sms_capacity;
  for (guint i = 0; i < card->files->len; i++)
    {
      SvProtocolFile *file = g_ptr_array_index (card->files, i);

      g_ptr_array_add (info->files, sv_store_card_file_new (file->key, file->path,
                                                            sv_file_structure_to_string (file->structure),
                                                            file->record_len, file->n_records));
    }
  return info;
}

gboolean
handle_card_register (SvRequest  *request,
                      GError    **error)
{
  g_autoptr(JsonNode) node = sv_handler_parse_body (request, NULL, 0, error);
  g_autoptr(SvRegisterRequest) body = NULL;
  g_autoptr(SvStoreCardInfo) info = NULL;
  g_autoptr(SvStoreCard) card = NULL;
  g_autoptr(SvStoreSession) new_session = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  SvStoreRegisterOutcome outcome = SV_STORE_REGISTER_REGISTERED;
  guint64 total = 0;

  if (node == NULL || (body = sv_register_request_from_json (node, error)) == NULL)
    return FALSE;
  for (guint i = 0; i < body->card->files->len; i++)
    total += ((SvProtocolFile *) g_ptr_array_index (body->card->files, i))->n_records;
  if (total > SV_STORE_MAX_RECORDS_PER_CARD)
    {
      sv_protocol_set_error (error, SV_PROTOCOL_ERROR_INVALID, "card.files",
                             "A card has at most %d records in all", SV_STORE_MAX_RECORDS_PER_CARD);
      return FALSE;
    }
  info = card_info_from_protocol (body->card);

  if (request->session != NULL)
    {
      request->audit_iccid = g_strdup (body->card->iccid);
      card = sv_store_card_register (request->store, request->session->account_id, info, &outcome, error);
    }
  else
    {
      gint64 account_id = 0;

      if (body->phone == NULL)
        {
          sv_protocol_set_error (error, SV_PROTOCOL_ERROR_INVALID, "phone",
                                 "Without a session, a registration carries phone and password");
          return FALSE;
        }
      if (body->password == NULL)
        {
          sv_protocol_set_error (error, SV_PROTOCOL_ERROR_INVALID, "password",
                                 "Without a session, a registration carries phone and password");
          return FALSE;
        }
      /* Only a new account's password is held to the length rule; a known
       * account's is simply checked. */
      if (g_utf8_strlen (body->password, -1) < MIN_PASSWORD_LEN)
        {
          g_autoptr(SvStoreAccount) known = sv_store_account_lookup (request->store, body->phone, NULL);

          if (known == NULL && !sv_handler_check_password (body->password, "password", error))
            return FALSE;
        }
      card = sv_store_card_register_with_password (request->store, body->phone, body->password,
                                                   request->client_addr, info, &outcome, &account_id,
                                                   &request->retry_after, error);
      if (card != NULL)
        new_session = sv_store_session_create (request->store, SV_STORE_SESSION_OWNER, account_id, 0, error);
      if (card != NULL && new_session == NULL)
        return sv_request_error_from_store (error);
    }
  if (card == NULL)
    return sv_request_error_from_store (error);

  json_builder_begin_object (b);
  sv_handler_add_string (b, "result", sv_store_register_outcome_to_string (outcome));
  sv_handler_add_string (b, "iccid", card->iccid);
  sv_handler_add_int (b, "counter_a", card->counter_a);
  sv_handler_add_int (b, "counter_b", card->counter_b);
  sv_handler_add_token (b, "token", card->epoch, card->modseq);
  if (new_session != NULL)
    {
      json_builder_set_member_name (b, "session");
      json_builder_begin_object (b);
      sv_handler_add_string (b, "token", new_session->token);
      sv_handler_add_time (b, "expires", new_session->expires_at);
      json_builder_end_object (b);
    }
  sv_handler_add_string (b, "portal", request->base_url);
  json_builder_end_object (b);
  sv_handler_reply (request, 200, b);
  return TRUE;
}

gboolean
handle_cards_list (SvRequest  *request,
                   GError    **error)
{
  g_autoptr(GPtrArray) cards = sv_store_card_list (request->store, sv_handler_account_of (request), error);
  g_autoptr(JsonBuilder) b = json_builder_new ();

  if (cards == NULL)
    return sv_request_error_from_store (error);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "cards");
  json_builder_begin_array (b);
  for (guint i = 0; i < cards->len; i++)
    sv_handler_add_card (b, g_ptr_array_index (cards, i));
  json_builder_end_array (b);
  json_builder_end_object (b);
  sv_handler_reply (request, 200, b);
  return TRUE;
}

gboolean
handle_card_get (SvRequest  *request,
                 GError    **error)
{
  g_autoptr(SvStoreCard) card = sv_handler_get_card (request, NULL, error);
  g_autoptr(JsonBuilder) b = json_builder_new ();

  if (card == NULL)
    return FALSE;
  sv_handler_add_card (b, card);
  sv_handler_reply (request, 200, b);
  return TRUE;
}

gboolean
handle_card_deregister (SvRequest  *request,
                        GError    **error)
{
  static const SvJsonField fields[] = {
    { "confirm", SV_JSON_STRING, TRUE },
  };
  const char *iccid = NULL;
  g_autoptr(SvStoreCard) card = sv_handler_get_card (request, &iccid, error);
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();

  if (card == NULL)
    return FALSE;
  if ((node = PARSE (request, fields, error)) == NULL)
    return FALSE;
  if (!g_str_equal (sv_protocol_get_string (json_node_get_object (node), "confirm"), iccid))
    {
      sv_protocol_set_error (error, SV_PROTOCOL_ERROR_INVALID, "confirm",
                             "To deregister, “confirm” repeats the card's ICCID");
      return FALSE;
    }
  if (!sv_store_card_deregister (request->store, sv_handler_account_of (request), iccid, error))
    return sv_request_error_from_store (error);
  json_builder_begin_object (b);
  sv_handler_add_string (b, "deleted", iccid);
  json_builder_end_object (b);
  sv_handler_reply (request, 200, b);
  return TRUE;
}

/* ---- records ------------------------------------------------------------ */

/* Each record against the registered layout, with the card model: a file
 * the card does not have, an index beyond its capacity or a record of the
 * wrong size is a 400 naming the record; nothing is stored. */
static gboolean
check_records (SvCardImage  *image,
               GPtrArray    *records,
               char        **files,
               GError      **error)
{
  for (guint i = 0; files != NULL && files[i] != NULL; i++)
    if (sv_card_image_lookup (image, files[i]) == NULL)
      {
        g_autofree char *at = g_strdup_printf ("files[%u]", i);

        sv_protocol_set_error (error, SV_PROTOCOL_ERROR_INVALID, at,
                               "The card has no file “%s”", files[i]);
        return FALSE;
      }
  for (guint i = 0; i < records->len; i++)
    {
      SvProtocolRecord *record = g_ptr_array_index (records, i);
      g_autoptr(GError) local_error = NULL;
      g_autofree char *at = NULL;
      const char *member = "data";

      if (sv_card_image_set_record (image, record->file, record->index, record->data, &local_error))
        continue;
      if (g_error_matches (local_error, SV_CARD_IMAGE_ERROR, SV_CARD_IMAGE_ERROR_NO_SUCH_FILE))
        member = "file";
      else if (g_error_matches (local_error, SV_CARD_IMAGE_ERROR, SV_CARD_IMAGE_ERROR_OUT_OF_RANGE))
        member = "index";
      at = g_strdup_printf ("records[%u].%s", i, member);
      sv_protocol_set_error (error, SV_PROTOCOL_ERROR_INVALID, at, "%s", local_error->message);
      return FALSE;
    }
  return TRUE;
}

gboolean
handle_backup (SvRequest  *request,
               GError    **error)
{
  const char *iccid = NULL;
  g_autoptr(SvStoreCard) card = sv_handler_get_card (request, &iccid, error);
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(SvBackupRequest) body = NULL;
  g_autoptr(SvCardImage) image = NULL;
  g_autoptr(SvStoreBackupRequest) store_request = NULL;
  g_autoptr(SvStoreBackupResult) result = NULL;
  SvBackupResponse response = { 0 };

  if (card == NULL)
    return FALSE;
  if ((node = sv_handler_parse_body (request, NULL, 0, error)) == NULL
      || (body = sv_backup_request_from_json (node, error)) == NULL)
    return FALSE;
  image = sv_handler_card_image_new (card);
  if (!check_records (image, body->records, body->files, error))
    return FALSE;

  store_request = sv_store_backup_request_new (body->batch_id, body->mode == SV_BACKUP_MODE_FULL
                                                               ? SV_STORE_BACKUP_FULL : SV_STORE_BACKUP_INCREMENTAL);
  for (guint i = 0; body->files != NULL && body->files[i] != NULL; i++)
    sv_store_backup_request_add_file (store_request, body->files[i]);
  for (guint i = 0; i < body->records->len; i++)
    {
      SvProtocolRecord *r = g_ptr_array_index (body->records, i);

      sv_store_backup_request_add_record (store_request,
                                          sv_store_record_write_new (r->file, r->index, r->data, r->base_version));
    }
  result = sv_store_backup_apply (request->store, sv_handler_account_of (request), iccid, store_request, error);
  if (result == NULL)
    return sv_request_error_from_store (error);

  response.batch_id = result->batch_id;
  response.token = sv_sync_token_format (result->epoch, result->modseq);
  response.applied = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_protocol_record_free);
  response.conflicts = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_protocol_conflict_free);
  for (guint i = 0; i < result->applied->len; i++)
    {
      SvStoreRecord *r = g_ptr_array_index (result->applied, i);

      g_ptr_array_add (response.applied, sv_protocol_record_new (r->file, r->index, NULL, r->version));
    }
  for (guint i = 0; i < result->conflicts->len; i++)
    {
      SvStoreConflict *c = g_ptr_array_index (result->conflicts, i);
      SvProtocolConflict *pc = g_new0 (SvProtocolConflict, 1);

      pc->file = g_strdup (c->file);
      pc->index = c->index;
      pc->server_data = g_bytes_ref (c->server_data);
      pc->server_version = c->server_version;
      pc->client_data = g_bytes_ref (c->client_data);
      pc->server_contact = sv_handler_adn_view (c->file, c->index, c->server_data);
      pc->client_contact = sv_handler_adn_view (c->file, c->index, c->client_data);
      g_ptr_array_add (response.conflicts, pc);
    }
  sv_handler_reply_node (request, 200, sv_backup_response_to_json (&response));
  g_free (response.token);
  g_ptr_array_unref (response.applied);
  g_ptr_array_unref (response.conflicts);
  return TRUE;
}

gboolean
handle_changes (SvRequest  *request,
                GError    **error)
{
  const char *iccid = NULL;
  g_autoptr(SvStoreCard) card = sv_handler_get_card (request, &iccid, error);
  g_autoptr(SvStoreChanges) changes = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  const char *since = sv_handler_query_get (request, "since");
  gint64 epoch, modseq;
  guint limit;

  if (card == NULL)
    return FALSE;
  if (since == NULL)
    {
      sv_protocol_set_error (error, SV_PROTOCOL_ERROR_INVALID, "since",
                             "“since” is the token of the last sync (the card's token after registration)");
      return FALSE;
    }
  if (!sv_handler_query_uint (request, "limit", 500, 1, SV_PROTOCOL_MAX_CHANGES_PAGE, &limit, error)
      || !sv_sync_token_parse (since, &epoch, &modseq, error))
    return FALSE;
  changes = sv_store_changes_since (request->store, sv_handler_account_of (request), iccid, epoch, modseq, limit, error);
  if (changes == NULL)
    return sv_request_error_from_store (error);
  json_builder_begin_object (b);
  sv_handler_add_store_records (b, "records", changes->records);
  sv_handler_add_token (b, "token", changes->epoch, changes->modseq);
  sv_handler_add_bool (b, "more", changes->more);
  json_builder_end_object (b);
  sv_handler_reply (request, 200, b);
  return TRUE;
}

gboolean
handle_records_list (SvRequest  *request,
                     GError    **error)
{
  const char *iccid = NULL;
  g_autoptr(SvStoreCard) card = sv_handler_get_card (request, &iccid, error);
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  const char *file = sv_handler_query_get (request, "file");

  if (card == NULL)
    return FALSE;
  if (file != NULL && sv_store_card_find_file (card, file) == NULL)
    {
      sv_protocol_set_error (error, SV_PROTOCOL_ERROR_INVALID, "file", "The card has no file “%s”", file);
      return FALSE;
    }
  records = sv_store_records_list (request->store, sv_handler_account_of (request), iccid, file, error);
  if (records == NULL)
    return sv_request_error_from_store (error);
  json_builder_begin_object (b);
  sv_handler_add_store_records (b, "records", records);
  sv_handler_add_token (b, "token", card->epoch, card->modseq);
  json_builder_end_object (b);
  sv_handler_reply (request, 200, b);
  return TRUE;
}

/* ---- messages ----------------------------------------------------------- */

gboolean
handle_messages_append (SvRequest  *request,
                        GError    **error)
{
  const char *iccid = NULL;
  g_autoptr(SvStoreCard) card = sv_handler_get_card (request, &iccid, error);
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(SvMessagesRequest) body = NULL;
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(SvStoreMessagesResult) result = NULL;
  SvMessagesResponse response;

  if (card == NULL)
    return FALSE;
  if ((node = sv_handler_parse_body (request, NULL, 0, error)) == NULL
      || (body = sv_messages_request_from_json (node, error)) == NULL)
    return FALSE;
  if (card->sms_capacity == 0)
    {
      sv_protocol_set_error (error, SV_PROTOCOL_ERROR_INVALID, "messages",
                             "The card was registered without SMS capacity");
      return FALSE;
    }
  messages = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_store_message_free);
  for (guint i = 0; i < body->messages->len; i++)
    {
      SvProtocolMessage *m = g_ptr_array_index (body->messages, i);
      SvStoreMessage *sm;

      if (m->records->len > card->sms_capacity)
        {
          g_autofree char *at = g_strdup_printf ("messages[%u].records", i);

          sv_protocol_set_error (error, SV_PROTOCOL_ERROR_INVALID, at,
                                 "The message has more parts than the card holds messages (%u)", card->sms_capacity);
          return FALSE;
        }
      sm = sv_store_message_new (m->stored_at ? g_date_time_to_unix (m->stored_at) * G_USEC_PER_SEC : 0);
      for (guint j = 0; j < m->records->len; j++)
        sv_store_message_add_part (sm, g_ptr_array_index (m->records, j));
      g_ptr_array_add (messages, sm);
    }
  result = sv_store_messages_append (request->store, sv_handler_account_of (request), iccid, body->batch_id, messages, error);
  if (result == NULL)
    return sv_request_error_from_store (error);
  response.stored = result->stored;
  response.duplicates = result->duplicates;
  response.dropped = result->dropped;
  response.count = result->count;
  sv_handler_reply_node (request, 200, sv_messages_response_to_json (&response));
  return TRUE;
}

gboolean
handle_messages_list (SvRequest  *request,
                      GError    **error)
{
  const char *iccid = NULL;
  g_autoptr(SvStoreCard) card = sv_handler_get_card (request, &iccid, error);
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();

  if (card == NULL)
    return FALSE;
  messages = sv_store_messages_list (request->store, sv_handler_account_of (request), iccid, error);
  if (messages == NULL)
    return sv_request_error_from_store (error);
  json_builder_begin_object (b);
  sv_handler_add_store_messages (b, "messages", messages);
  sv_handler_add_int (b, "capacity", card->sms_capacity);
  json_builder_end_object (b);
  sv_handler_reply (request, 200, b);
  return TRUE;
}

gboolean
handle_message_delete (SvRequest  *request,
                       GError    **error)
{
  const char *iccid = NULL;
  g_autoptr(SvStoreCard) card = sv_handler_get_card (request, &iccid, error);
  g_autoptr(JsonBuilder) b = json_builder_new ();
  guint64 id;

  if (card == NULL)
    return FALSE;
  if (!g_ascii_string_to_unsigned (request->params[1], 10, 1, G_MAXINT64, &id, NULL))
    {
      sv_protocol_set_error (error, SV_PROTOCOL_ERROR_NOT_FOUND, NULL, "No such message");
      return FALSE;
    }
  if (!sv_store_message_delete (request->store, sv_handler_account_of (request), iccid, (gint64) id, error))
    return sv_request_error_from_store (error);
  json_builder_begin_object (b);
  sv_handler_add_int (b, "deleted", (gint64) id);
  json_builder_end_object (b);
  sv_handler_reply (request, 200, b);
  return TRUE;
}
