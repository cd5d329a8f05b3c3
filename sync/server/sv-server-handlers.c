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
 * The request handlers, one per endpoint of PROTOCOL.md. Each runs in a
 * worker thread: it parses and checks the request with the protocol's
 * message types, validates records and edits with the card model (the
 * desktop's own rules), then calls the storage interface once.
 *
 * This file holds the route table and the helpers every handler shares;
 * the handlers themselves are split by what they serve:
 * sv-server-handlers-accounts.c (accounts and sessions), -cards.c (cards,
 * backups, records, messages), -contacts.c (portal edits and exports),
 * -restores.c and -staff.c (staff sessions and consents).
 */

/* ---- helpers ------------------------------------------------------------ */

JsonNode *
sv_handler_parse_body (SvRequest          *request,
                       const SvJsonField  *fields,
                       guint               n_fields,
                       GError            **error)
{
  gsize len = 0;
  const char *data = request->body ? g_bytes_get_data (request->body, &len) : NULL;
  g_autoptr(JsonNode) node = sv_protocol_parse_body (data, len, error);

  if (node == NULL)
    return NULL;
  if (fields != NULL && !sv_protocol_check_object (node, fields, n_fields, error))
    return NULL;
  return g_steal_pointer (&node);
}

gboolean
sv_handler_check_password (const char  *password,
                           const char  *field,
                           GError     **error)
{
  glong len = password ? g_utf8_strlen (password, -1) : 0;

  if (len < MIN_PASSWORD_LEN || strlen (password) > MAX_PASSWORD_LEN)
    {
      sv_protocol_set_error (error, SV_PROTOCOL_ERROR_INVALID, field,
                             "A password has at least %d characters", MIN_PASSWORD_LEN);
      return FALSE;
    }
  return TRUE;
}

static char *
format_time (gint64 usec)
{
  g_autoptr(GDateTime) time = g_date_time_new_from_unix_utc (usec / G_USEC_PER_SEC);

  return time ? sv_protocol_time_format (time) : g_strdup ("1970-01-01T00:00:00Z");
}

void
sv_handler_add_string (JsonBuilder *b,
                       const char  *name,
                       const char  *value)
{
  json_builder_set_member_name (b, name);
  if (value != NULL)
    json_builder_add_string_value (b, value);
  else
    json_builder_add_null_value (b);
}

void
sv_handler_add_int (JsonBuilder *b,
                    const char  *name,
                    gint64       value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, value);
}

void
sv_handler_add_bool (JsonBuilder *b,
                     const char  *name,
                     gboolean     value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_boolean_value (b, value);
}

void
sv_handler_add_time (JsonBuilder *b,
                     const char  *name,
                     gint64       usec)
{
  g_autofree char *text = format_time (usec);

  sv_handler_add_string (b, name, text);
}

void
sv_handler_add_token (JsonBuilder *b,
                      const char  *name,
                      gint64       epoch,
                      gint64       modseq)
{
  g_autofree char *token = sv_sync_token_format (epoch, modseq);

  sv_handler_add_string (b, name, token);
}

void
sv_handler_reply (SvRequest   *request,
                  guint        status,
                  JsonBuilder *b)
{
  g_autoptr(JsonNode) root = json_builder_get_root (b);

  sv_request_set_json (request, status, root);
}

void
sv_handler_reply_node (SvRequest *request,
                       guint      status,
                       JsonNode  *node)
{
  sv_request_set_json (request, status, node);
  json_node_unref (node);
}

const char *
sv_handler_query_get (SvRequest  *request,
                      const char *name)
{
  return request->query ? g_hash_table_lookup (request->query, name) : NULL;
}

gboolean
sv_handler_query_uint (SvRequest   *request,
                       const char  *name,
                       guint        default_value,
                       guint        min,
                       guint        max,
                       guint       *out,
                       GError     **error)
{
  const char *text = sv_handler_query_get (request, name);
  guint64 value = default_value;

  if (text != NULL && !g_ascii_string_to_unsigned (text, 10, min, max, &value, NULL))
    {
      sv_protocol_set_error (error, SV_PROTOCOL_ERROR_INVALID, name,
                             "“%s” must be a number from %u to %u", name, min, max);
      return FALSE;
    }
  *out = (guint) value;
  return TRUE;
}

/* The account a card request acts for: the owner's or, with a consent, the
 * customer's. */
gint64
sv_handler_account_of (SvRequest *request)
{
  return request->session ? request->session->account_id : 0;
}

/* The {iccid} of the path. Anything that is not an ICCID is simply not
 * found, like another account's card. */
const char *
sv_handler_iccid_param (SvRequest  *request,
                        GError    **error)
{
  const char *iccid = request->params ? request->params[0] : NULL;

  if (iccid == NULL || !sv_protocol_check_iccid (iccid, NULL, NULL))
    {
      sv_protocol_set_error (error, SV_PROTOCOL_ERROR_NOT_FOUND, NULL, "No such card");
      return NULL;
    }
  g_free (request->audit_iccid);
  request->audit_iccid = g_strdup (iccid);
  return iccid;
}

SvStoreCard *
sv_handler_get_card (SvRequest   *request,
                     const char **iccid_out,
                     GError     **error)
{
  const char *iccid = sv_handler_iccid_param (request, error);
  SvStoreCard *card;

  if (iccid == NULL)
    return NULL;
  card = sv_store_card_get (request->store, sv_handler_account_of (request), iccid, error);
  if (card == NULL)
    {
      sv_request_error_from_store (error);
      return NULL;
    }
  if (iccid_out != NULL)
    *iccid_out = iccid;
  return card;
}

static SvFileStructure
structure_of (const char *structure)
{
  SvFileStructure value = SV_FILE_STRUCTURE_LINEAR_FIXED;

  sv_file_structure_from_string (structure, &value);
  return value;
}

/* The card's layout as an image with every record empty. */
SvCardImage *
sv_handler_card_image_new (const SvStoreCard *card)
{
  SvCardImage *image = sv_card_image_new (g_strcmp0 (card->card_type, "usim") == 0
                                          ? SV_CARD_TYPE_USIM : SV_CARD_TYPE_SIM);

  sv_card_image_set_iccid (image, card->iccid);
  for (guint i = 0; i < card->files->len; i++)
    {
      SvStoreCardFile *file = g_ptr_array_index (card->files, i);

      sv_card_image_add_file (image, file->key, file->path, structure_of (file->structure),
                              file->record_len, file->n_records);
    }
  return image;
}

char *
sv_handler_record_key (const char *file,
                       guint       index)
{
  return g_strdup_printf ("%s#%u", file, index);
}

/* The backed-up image of a card, and the version of every stored record
 * ("file#index" -> gint64 *). */
SvCardImage *
sv_handler_card_image_load (SvRequest          *request,
                            const SvStoreCard  *card,
                            GHashTable        **versions,
                            GError            **error)
{
  g_autoptr(SvCardImage) image = sv_handler_card_image_new (card);
  g_autoptr(GPtrArray) records = sv_store_records_list (request->store, sv_handler_account_of (request), card->iccid,
                                                        NULL, error);

  if (records == NULL)
    {
      sv_request_error_from_store (error);
      return NULL;
    }
  if (versions != NULL)
    *versions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  for (guint i = 0; i < records->len; i++)
    {
      SvStoreRecord *record = g_ptr_array_index (records, i);

      /* A stored record always fits its layout; if it no longer does, the
       * image keeps the empty record and the next edit overwrites it. */
      sv_card_image_set_record (image, record->file, record->index, record->data, NULL);
      if (versions != NULL)
        g_hash_table_insert (*versions, sv_handler_record_key (record->file, record->index),
                             g_memdup2 (&record->version, sizeof (gint64)));
    }
  return g_steal_pointer (&image);
}

static gboolean
is_adn_file (const char *file)
{
  return g_str_equal (file, "adn") || (g_str_has_prefix (file, "pb") && g_str_has_suffix (file, "/adn"));
}

/* The decoded view of one EF_ADN record for a conflict; NULL for other
 * files or an empty record. */
SvContact *
sv_handler_adn_view (const char *file,
                     guint       index,
                     GBytes     *data)
{
  SvAdnRecord adn = { 0 };
  SvContact *contact = NULL;
  gsize len = 0;
  const guint8 *bytes;

  if (data == NULL || !is_adn_file (file))
    return NULL;
  bytes = g_bytes_get_data (data, &len);
  if (sv_adn_record_decode (bytes, len, &adn, NULL) && !adn.empty)
    contact = sv_contact_new (0, index, adn.alpha, adn.number, NULL, NULL, NULL);
  sv_adn_record_clear (&adn);
  return contact;
}

static JsonNode *
store_record_to_json (const SvStoreRecord *record)
{
  SvProtocolRecord r = { record->file, record->index, record->data, record->version, 0 };

  return sv_protocol_record_to_json (&r, FALSE);
}

void
sv_handler_add_store_records (JsonBuilder *b,
                              const char  *name,
                              GPtrArray   *records)
{
  json_builder_set_member_name (b, name);
  json_builder_begin_array (b);
  for (guint i = 0; records != NULL && i < records->len; i++)
    json_builder_add_value (b, store_record_to_json (g_ptr_array_index (records, i)));
  json_builder_end_array (b);
}

static GDateTime *
datetime_of (gint64 usec)
{
  return usec > 0 ? g_date_time_new_from_unix_utc (usec / G_USEC_PER_SEC) : NULL;
}

/* A ring message as JSON, with the decoded view the portal shows. */
static JsonNode *
store_message_to_json (const SvStoreMessage *message)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(SvCardImage) image = sv_card_image_new (SV_CARD_TYPE_SIM);
  g_autoptr(GPtrArray) decoded = NULL;
  SvProtocolMessage m = { message->id, message->parts, datetime_of (message->stored_at) };
  g_autoptr(JsonNode) raw = sv_protocol_message_to_json (&m);
  JsonObject *o = json_node_get_object (raw);
  JsonObjectIter iter;
  const char *name;
  JsonNode *member;

  g_clear_pointer (&m.stored_at, g_date_time_unref);
  json_builder_begin_object (b);
  json_object_iter_init (&iter, o);
  while (json_object_iter_next (&iter, &name, &member))
    {
      json_builder_set_member_name (b, name);
      json_builder_add_value (b, json_node_copy (member));
    }
  sv_handler_add_time (b, "received_at", message->received_at);
  sv_handler_add_int (b, "parts", message->parts->len);

  /* TS 51.011 §10.5.3: decode the parts as the card would hold them. */
  sv_card_image_add_file (image, "sms", "3F007F106F3C", SV_FILE_STRUCTURE_LINEAR_FIXED, 176,
                          message->parts->len);
  for (guint i = 0; i < message->parts->len; i++)
    sv_card_image_set_record (image, "sms", i + 1, g_ptr_array_index (message->parts, i), NULL);
  decoded = sv_sms_store_decode (image, NULL);
  if (decoded != NULL && decoded->len > 0)
    {
      SvMessage *sms = g_ptr_array_index (decoded, 0);

      if (sv_message_get_decode_error (sms) == NULL)
        {
          sv_handler_add_string (b, "status", sv_message_status_to_string (sv_message_get_status (sms)));
          sv_handler_add_string (b, "number", sv_message_get_number (sms));
          sv_handler_add_string (b, "text", sv_message_get_text (sms));
          if (sv_message_get_timestamp (sms) != NULL)
            {
              g_autofree char *when = sv_protocol_time_format (sv_message_get_timestamp (sms));

              sv_handler_add_string (b, "time", when);
            }
        }
      else
        sv_handler_add_string (b, "decode_error", sv_message_get_decode_error (sms));
    }
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

void
sv_handler_add_store_messages (JsonBuilder *b,
                               const char  *name,
                               GPtrArray   *messages)
{
  json_builder_set_member_name (b, name);
  json_builder_begin_array (b);
  for (guint i = 0; messages != NULL && i < messages->len; i++)
    json_builder_add_value (b, store_message_to_json (g_ptr_array_index (messages, i)));
  json_builder_end_array (b);
}

void
sv_handler_add_card (JsonBuilder       *b,
                     const SvStoreCard *card)
{
  json_builder_begin_object (b);
  sv_handler_add_string (b, "iccid", card->iccid);
  sv_handler_add_string (b, "phone", card->phone);
  sv_handler_add_string (b, "imsi", card->imsi);
  sv_handler_add_string (b, "card_type", card->card_type);
  sv_handler_add_string (b, "batch", card->batch);
  sv_handler_add_int (b, "counter_a", card->counter_a);
  sv_handler_add_int (b, "counter_b", card->counter_b);
  sv_handler_add_int (b, "sms_capacity", card->sms_capacity);
  sv_handler_add_token (b, "token", card->epoch, card->modseq);
  sv_handler_add_string (b, "replaced_by", card->replaced_by);
  sv_handler_add_time (b, "registered", card->registered_at);
  sv_handler_add_time (b, "updated", card->updated_at);
  if (card->last_backup_at > 0)
    sv_handler_add_time (b, "last_backup", card->last_backup_at);
  else
    sv_handler_add_string (b, "last_backup", NULL);
  json_builder_set_member_name (b, "files");
  json_builder_begin_array (b);
  for (guint i = 0; i < card->files->len; i++)
    {
      SvStoreCardFile *file = g_ptr_array_index (card->files, i);

      json_builder_begin_object (b);
      sv_handler_add_string (b, "key", file->key);
      sv_handler_add_string (b, "path", file->path);
      sv_handler_add_string (b, "structure", file->structure);
      sv_handler_add_int (b, "record_len", file->record_len);
      sv_handler_add_int (b, "n_records", file->n_records);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
}

void
sv_handler_set_session_cookie (SvRequest  *request,
                               const char *token)
{
  g_autofree char *cookie = NULL;

  /* soup_cookie_new() always writes a domain, which a __Host- cookie must
   * not have: formatted by hand. Secure always: browsers reject a __Host-
   * cookie without it (and treat loopback as a secure context). */
  if (token != NULL)
    cookie = g_strdup_printf ("__Host-sv-session=%s; Path=/; Secure; HttpOnly; SameSite=Strict", token);
  else
    cookie = g_strdup ("__Host-sv-session=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0");
  sv_request_add_header (request, "Set-Cookie", cookie);
}

void
sv_handler_add_session (JsonBuilder          *b,
                        const SvStoreSession *session)
{
  sv_handler_add_string (b, "token", session->token);
  sv_handler_add_string (b, "csrf", session->csrf);
  sv_handler_add_time (b, "expires", session->expires_at);
}

/* ---- GET /api/v1/ ------------------------------------------------------- */

static gboolean
handle_root (SvRequest  *request,
             GError    **error)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  sv_handler_add_string (b, "server", "simvault-server");
  sv_handler_add_string (b, "version", PACKAGE_VERSION);
  sv_handler_add_int (b, "protocol", SV_PROTOCOL_VERSION);
  sv_handler_add_string (b, "engine", sv_store_get_engine (request->store));
  json_builder_set_member_name (b, "limits");
  json_builder_begin_object (b);
  sv_handler_add_int (b, "body_bytes", SV_PROTOCOL_MAX_BODY);
  sv_handler_add_int (b, "batch_records", SV_PROTOCOL_MAX_BATCH);
  sv_handler_add_int (b, "batch_messages", SV_PROTOCOL_MAX_MESSAGES);
  sv_handler_add_int (b, "group_size", SV_PROTOCOL_MAX_GROUP_SIZE);
  sv_handler_add_int (b, "changes_page", SV_PROTOCOL_MAX_CHANGES_PAGE);
  sv_handler_add_int (b, "records_per_card", SV_STORE_MAX_RECORDS_PER_CARD);
  sv_handler_add_int (b, "messages_per_card", SV_STORE_MAX_SMS_CAPACITY);
  json_builder_end_object (b);
  json_builder_end_object (b);
  sv_handler_reply (request, 200, b);
  return TRUE;
}

/* ---- the route table ---------------------------------------------------- */

#define A(x) SV_SERVER_AUTH_##x

static const SvRoute routes[] = {
  { { "GET",    "/api/v1/",                                     A (NONE) },            handle_root },
  { { "POST",   "/api/v1/accounts",                             A (NONE) },            handle_accounts_create },
  { { "POST",   "/api/v1/session",                              A (NONE) },            handle_session_create },
  { { "GET",    "/api/v1/session",                              A (SESSION) },         handle_session_get },
  { { "DELETE", "/api/v1/session",                              A (SESSION) },         handle_session_delete },
  { { "POST",   "/api/v1/account/password",                     A (OWNER) },           handle_password_change },
  { { "POST",   "/api/v1/account/restore-codes",                A (OWNER) },           handle_restore_code_create },
  { { "GET",    "/api/v1/account/audit",                        A (OWNER) },           handle_audit_list },
  { { "POST",   "/api/v1/cards/register",                       A (OPTIONAL) },        handle_card_register },
  { { "GET",    "/api/v1/cards",                                A (OWNER_DELEGATED) }, handle_cards_list },
  { { "GET",    "/api/v1/cards/{iccid}",                        A (OWNER_DELEGATED) }, handle_card_get },
  { { "DELETE", "/api/v1/cards/{iccid}",                        A (OWNER) },           handle_card_deregister },
  { { "POST",   "/api/v1/cards/{iccid}/backup",                 A (OWNER) },           handle_backup },
  { { "GET",    "/api/v1/cards/{iccid}/changes",                A (OWNER_DELEGATED) }, handle_changes },
  { { "GET",    "/api/v1/cards/{iccid}/records",                A (OWNER_DELEGATED) }, handle_records_list },
  { { "POST",   "/api/v1/cards/{iccid}/messages",               A (OWNER) },           handle_messages_append },
  { { "GET",    "/api/v1/cards/{iccid}/messages",               A (OWNER_DELEGATED) }, handle_messages_list },
  { { "DELETE", "/api/v1/cards/{iccid}/messages/{id}",          A (OWNER) },           handle_message_delete },
  { { "GET",    "/api/v1/cards/{iccid}/contacts",               A (OWNER_DELEGATED) }, handle_contacts_list },
  { { "POST",   "/api/v1/cards/{iccid}/contacts",               A (OWNER) },           handle_contact_add },
  { { "PUT",    "/api/v1/cards/{iccid}/contacts/{set}/{index}", A (OWNER) },           handle_contact_put },
  { { "DELETE", "/api/v1/cards/{iccid}/contacts/{set}/{index}", A (OWNER) },           handle_contact_delete },
  { { "GET",    "/api/v1/cards/{iccid}/contacts.vcf",           A (OWNER) },           handle_export_vcf },
  { { "GET",    "/api/v1/cards/{iccid}/contacts.csv",           A (OWNER) },           handle_export_csv },
  { { "POST",   "/api/v1/cards/{iccid}/restores",               A (OWNER_DELEGATED) }, handle_restore_create },
  { { "GET",    "/api/v1/restores/{id}/groups/{n}",             A (OWNER_DELEGATED) }, handle_restore_group },
  { { "POST",   "/api/v1/restores/{id}/ack",                    A (OWNER_DELEGATED) }, handle_restore_ack },
  { { "POST",   "/api/v1/staff/session",                        A (NONE) },            handle_staff_session },
  { { "POST",   "/api/v1/staff/consents",                       A (STAFF) },           handle_consent_create },
};

#undef A

const SvRoute *
sv_server_handlers_get_routes (guint *n_routes)
{
  *n_routes = G_N_ELEMENTS (routes);
  return routes;
}
