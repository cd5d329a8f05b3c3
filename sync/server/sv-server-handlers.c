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
 */

#define MIN_PASSWORD_LEN 8
#define MAX_PASSWORD_LEN 1024

/* ---- helpers ------------------------------------------------------------ */

static JsonNode *
parse_body (SvRequest          *request,
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

#define PARSE(request, table, error) parse_body ((request), (table), G_N_ELEMENTS (table), (error))

static gboolean
check_password (const char  *password,
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

static void
add_string (JsonBuilder *b,
            const char  *name,
            const char  *value)
{
  json_builder_set_member_name (b, name);
  if (value != NULL)
    json_builder_add_string_value (b, value);
  else
    json_builder_add_null_value (b);
}

static void
add_int (JsonBuilder *b,
         const char  *name,
         gint64       value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, value);
}

static void
add_bool (JsonBuilder *b,
          const char  *name,
          gboolean     value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_boolean_value (b, value);
}

static void
add_time (JsonBuilder *b,
          const char  *name,
          gint64       usec)
{
  g_autofree char *text = format_time (usec);

  add_string (b, name, text);
}

static void
add_token (JsonBuilder *b,
           const char  *name,
           gint64       epoch,
           gint64       modseq)
{
  g_autofree char *token = sv_sync_token_format (epoch, modseq);

  add_string (b, name, token);
}

static void
reply (SvRequest   *request,
       guint        status,
       JsonBuilder *b)
{
  g_autoptr(JsonNode) root = json_builder_get_root (b);

  sv_request_set_json (request, status, root);
}

static void
reply_node (SvRequest *request,
            guint      status,
            JsonNode  *node)
{
  sv_request_set_json (request, status, node);
  json_node_unref (node);
}

static const char *
query_get (SvRequest  *request,
           const char *name)
{
  return request->query ? g_hash_table_lookup (request->query, name) : NULL;
}

static gboolean
query_uint (SvRequest   *request,
            const char  *name,
            guint        default_value,
            guint        min,
            guint        max,
            guint       *out,
            GError     **error)
{
  const char *text = query_get (request, name);
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
static gint64
account_of (SvRequest *request)
{
  return request->session ? request->session->account_id : 0;
}

/* The {iccid} of the path. Anything that is not an ICCID is simply not
 * found, like another account's card. */
static const char *
iccid_param (SvRequest  *request,
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

static SvStoreCard *
get_card (SvRequest   *request,
          const char **iccid_out,
          GError     **error)
{
  const char *iccid = iccid_param (request, error);
  SvStoreCard *card;

  if (iccid == NULL)
    return NULL;
  card = sv_store_card_get (request->store, account_of (request), iccid, error);
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
static SvCardImage *
card_image_new (const SvStoreCard *card)
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

static char *
record_key (const char *file,
            guint       index)
{
  return g_strdup_printf ("%s#%u", file, index);
}

/* The backed-up image of a card, and the version of every stored record
 * ("file#index" -> gint64 *). */
static SvCardImage *
card_image_load (SvRequest          *request,
                 const SvStoreCard  *card,
                 GHashTable        **versions,
                 GError            **error)
{
  g_autoptr(SvCardImage) image = card_image_new (card);
  g_autoptr(GPtrArray) records = sv_store_records_list (request->store, account_of (request), card->iccid,
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
        g_hash_table_insert (*versions, record_key (record->file, record->index),
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
static SvContact *
adn_view (const char *file,
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

static void
add_store_records (JsonBuilder *b,
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
  add_time (b, "received_at", message->received_at);
  add_int (b, "parts", message->parts->len);

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
          add_string (b, "status", sv_message_status_to_string (sv_message_get_status (sms)));
          add_string (b, "number", sv_message_get_number (sms));
          add_string (b, "text", sv_message_get_text (sms));
          if (sv_message_get_timestamp (sms) != NULL)
            {
              g_autofree char *when = sv_protocol_time_format (sv_message_get_timestamp (sms));

              add_string (b, "time", when);
            }
        }
      else
        add_string (b, "decode_error", sv_message_get_decode_error (sms));
    }
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static void
add_store_messages (JsonBuilder *b,
                    const char  *name,
                    GPtrArray   *messages)
{
  json_builder_set_member_name (b, name);
  json_builder_begin_array (b);
  for (guint i = 0; messages != NULL && i < messages->len; i++)
    json_builder_add_value (b, store_message_to_json (g_ptr_array_index (messages, i)));
  json_builder_end_array (b);
}

static void
add_card (JsonBuilder       *b,
          const SvStoreCard *card)
{
  json_builder_begin_object (b);
  add_string (b, "iccid", card->iccid);
  add_string (b, "phone", card->phone);
  add_string (b, "imsi", card->imsi);
  add_string (b, "card_type", card->card_type);
  add_string (b, "batch", card->batch);
  add_int (b, "counter_a", card->counter_a);
  add_int (b, "counter_b", card->counter_b);
  add_int (b, "sms_capacity", card->sms_capacity);
  add_token (b, "token", card->epoch, card->modseq);
  add_string (b, "replaced_by", card->replaced_by);
  add_time (b, "registered", card->registered_at);
  add_time (b, "updated", card->updated_at);
  if (card->last_backup_at > 0)
    add_time (b, "last_backup", card->last_backup_at);
  else
    add_string (b, "last_backup", NULL);
  json_builder_set_member_name (b, "files");
  json_builder_begin_array (b);
  for (guint i = 0; i < card->files->len; i++)
    {
      SvStoreCardFile *file = g_ptr_array_index (card->files, i);

      json_builder_begin_object (b);
      add_string (b, "key", file->key);
      add_string (b, "path", file->path);
      add_string (b, "structure", file->structure);
      add_int (b, "record_len", file->record_len);
      add_int (b, "n_records", file->n_records);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
}

static void
set_session_cookie (SvRequest  *request,
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

static void
add_session (JsonBuilder          *b,
             const SvStoreSession *session)
{
  add_string (b, "token", session->token);
  add_string (b, "csrf", session->csrf);
  add_time (b, "expires", session->expires_at);
}

/* ---- GET /api/v1/ ------------------------------------------------------- */

static gboolean
handle_root (SvRequest  *request,
             GError    **error)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  add_string (b, "server", "simvault-server");
  add_string (b, "version", PACKAGE_VERSION);
  add_int (b, "protocol", SV_PROTOCOL_VERSION);
  add_string (b, "engine", sv_store_get_engine (request->store));
  json_builder_set_member_name (b, "limits");
  json_builder_begin_object (b);
  add_int (b, "body_bytes", SV_PROTOCOL_MAX_BODY);
  add_int (b, "batch_records", SV_PROTOCOL_MAX_BATCH);
  add_int (b, "batch_messages", SV_PROTOCOL_MAX_MESSAGES);
  add_int (b, "group_size", SV_PROTOCOL_MAX_GROUP_SIZE);
  add_int (b, "changes_page", SV_PROTOCOL_MAX_CHANGES_PAGE);
  add_int (b, "records_per_card", SV_STORE_MAX_RECORDS_PER_CARD);
  add_int (b, "messages_per_card", SV_STORE_MAX_SMS_CAPACITY);
  json_builder_end_object (b);
  json_builder_end_object (b);
  reply (request, 200, b);
  return TRUE;
}

/* ---- accounts and sessions ---------------------------------------------- */

static gboolean
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
      || !check_password (sv_protocol_get_string (o, "password"), "password", error))
    return FALSE;
  account = sv_store_account_create (request->store, phone, sv_protocol_get_string (o, "password"), error);
  if (account == NULL)
    return sv_request_error_from_store (error);
  json_builder_begin_object (b);
  add_string (b, "phone", account->phone);
  add_time (b, "created_at", account->created_at);
  json_builder_end_object (b);
  reply (request, 201, b);
  return TRUE;
}

static gboolean
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
  set_session_cookie (request, session->token);
  json_builder_begin_object (b);
  add_string (b, "kind", "owner");
  add_string (b, "phone", session->phone);
  add_session (b, session);
  json_builder_end_object (b);
  reply (request, 200, b);
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

static gboolean
handle_session_get (SvRequest  *request,
                    GError    **error)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  SvStoreSession *session = request->session;

  json_builder_begin_object (b);
  add_string (b, "kind", session_kind_to_string (session->kind));
  add_string (b, "phone", session->phone);
  add_string (b, "staff", session->staff_name);
  add_time (b, "expires", session->expires_at);
  /* The portal reloads and needs the CSRF token of its cookie again. */
  if (request->by_cookie)
    add_string (b, "csrf", session->csrf);
  json_builder_end_object (b);
  reply (request, 200, b);
  return TRUE;
}

static gboolean
handle_session_delete (SvRequest  *request,
                       GError    **error)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  if (!sv_store_session_delete (request->store, request->session_token, error))
    return sv_request_error_from_store (error);
  set_session_cookie (request, NULL);
  json_builder_begin_object (b);
  add_bool (b, "done", TRUE);
  json_builder_end_object (b);
  reply (request, 200, b);
  return TRUE;
}

static gboolean
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
  if (!check_password (sv_protocol_get_string (o, "new_password"), "new_password", error))
    return FALSE;
  if (!sv_store_account_change_password (request->store, account_of (request),
                                         sv_protocol_get_string (o, "current_password"),
                                         sv_protocol_get_string (o, "new_password"),
                                         request->session_token, error))
    return sv_request_error_from_store (error);
  json_builder_begin_object (b);
  add_bool (b, "done", TRUE);
  json_builder_end_object (b);
  reply (request, 200, b);
  return TRUE;
}

static gboolean
handle_restore_code_create (SvRequest  *request,
                            GError    **error)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree char *code = NULL;
  gint64 expires = 0;

  code = sv_store_restore_code_create (request->store, account_of (request), &expires, error);
  if (code == NULL)
    return sv_request_error_from_store (error);
  json_builder_begin_object (b);
  add_string (b, "code", code);
  add_time (b, "expires", expires);
  json_builder_end_object (b);
  reply (request, 201, b);
  return TRUE;
}

static gboolean
handle_audit_list (SvRequest  *request,
                   GError    **error)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(GPtrArray) entries = NULL;
  const char *before_text = query_get (request, "before");
  guint64 before = 0;
  guint limit;

  if (before_text != NULL && !g_ascii_string_to_unsigned (before_text, 10, 1, G_MAXINT64, &before, NULL))
    {
      sv_protocol_set_error (error, SV_PROTOCOL_ERROR_INVALID, "before", "“before” is an entry id");
      return FALSE;
    }
  if (!query_uint (request, "limit", 100, 1, 1000, &limit, error))
    return FALSE;
  entries = sv_store_audit_list (request->store, account_of (request), (gint64) before, limit, error);
  if (entries == NULL)
    return sv_request_error_from_store (error);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "entries");
  json_builder_begin_array (b);
  for (guint i = 0; i < entries->len; i++)
    {
      SvStoreAuditEntry *e = g_ptr_array_index (entries, i);

      json_builder_begin_object (b);
      add_int (b, "id", e->id);
      add_time (b, "time", e->at);
      add_string (b, "actor", e->staff_name);
      add_string (b, "iccid", e->iccid);
      add_string (b, "action", e->action);
      add_string (b, "detail", e->detail);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  reply (request, 200, b);
  return TRUE;
}

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

static gboolean
handle_card_register (SvRequest  *request,
                      GError    **error)
{
  g_autoptr(JsonNode) node = parse_body (request, NULL, 0, error);
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

          if (known == NULL && !check_password (body->password, "password", error))
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
  add_string (b, "result", sv_store_register_outcome_to_string (outcome));
  add_string (b, "iccid", card->iccid);
  add_int (b, "counter_a", card->counter_a);
  add_int (b, "counter_b", card->counter_b);
  add_token (b, "token", card->epoch, card->modseq);
  if (new_session != NULL)
    {
      json_builder_set_member_name (b, "session");
      json_builder_begin_object (b);
      add_string (b, "token", new_session->token);
      add_time (b, "expires", new_session->expires_at);
      json_builder_end_object (b);
    }
  add_string (b, "portal", request->base_url);
  json_builder_end_object (b);
  reply (request, 200, b);
  return TRUE;
}

static gboolean
handle_cards_list (SvRequest  *request,
                   GError    **error)
{
  g_autoptr(GPtrArray) cards = sv_store_card_list (request->store, account_of (request), error);
  g_autoptr(JsonBuilder) b = json_builder_new ();

  if (cards == NULL)
    return sv_request_error_from_store (error);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "cards");
  json_builder_begin_array (b);
  for (guint i = 0; i < cards->len; i++)
    add_card (b, g_ptr_array_index (cards, i));
  json_builder_end_array (b);
  json_builder_end_object (b);
  reply (request, 200, b);
  return TRUE;
}

static gboolean
handle_card_get (SvRequest  *request,
                 GError    **error)
{
  g_autoptr(SvStoreCard) card = get_card (request, NULL, error);
  g_autoptr(JsonBuilder) b = json_builder_new ();

  if (card == NULL)
    return FALSE;
  add_card (b, card);
  reply (request, 200, b);
  return TRUE;
}

static gboolean
handle_card_deregister (SvRequest  *request,
                        GError    **error)
{
  static const SvJsonField fields[] = {
    { "confirm", SV_JSON_STRING, TRUE },
  };
  const char *iccid = iccid_param (request, error);
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(SvStoreCard) card = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();

  if (iccid == NULL || (card = get_card (request, NULL, error)) == NULL)
    return FALSE;
  if ((node = PARSE (request, fields, error)) == NULL)
    return FALSE;
  if (!g_str_equal (sv_protocol_get_string (json_node_get_object (node), "confirm"), iccid))
    {
      sv_protocol_set_error (error, SV_PROTOCOL_ERROR_INVALID, "confirm",
                             "To deregister, “confirm” repeats the card's ICCID");
      return FALSE;
    }
  if (!sv_store_card_deregister (request->store, account_of (request), iccid, error))
    return sv_request_error_from_store (error);
  json_builder_begin_object (b);
  add_string (b, "deleted", iccid);
  json_builder_end_object (b);
  reply (request, 200, b);
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

static gboolean
handle_backup (SvRequest  *request,
               GError    **error)
{
  const char *iccid = NULL;
  g_autoptr(SvStoreCard) card = get_card (request, &iccid, error);
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(SvBackupRequest) body = NULL;
  g_autoptr(SvCardImage) image = NULL;
  g_autoptr(SvStoreBackupRequest) store_request = NULL;
  g_autoptr(SvStoreBackupResult) result = NULL;
  SvBackupResponse response = { 0 };

  if (card == NULL)
    return FALSE;
  if ((node = parse_body (request, NULL, 0, error)) == NULL
      || (body = sv_backup_request_from_json (node, error)) == NULL)
    return FALSE;
  image = card_image_new (card);
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
  result = sv_store_backup_apply (request->store, account_of (request), iccid, store_request, error);
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
      pc->server_contact = adn_view (c->file, c->index, c->server_data);
      pc->client_contact = adn_view (c->file, c->index, c->client_data);
      g_ptr_array_add (response.conflicts, pc);
    }
  reply_node (request, 200, sv_backup_response_to_json (&response));
  g_free (response.token);
  g_ptr_array_unref (response.applied);
  g_ptr_array_unref (response.conflicts);
  return TRUE;
}

static gboolean
handle_changes (SvRequest  *request,
                GError    **error)
{
  const char *iccid = NULL;
  g_autoptr(SvStoreCard) card = get_card (request, &iccid, error);
  g_autoptr(SvStoreChanges) changes = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  const char *since = query_get (request, "since");
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
  if (!query_uint (request, "limit", 500, 1, SV_PROTOCOL_MAX_CHANGES_PAGE, &limit, error)
      || !sv_sync_token_parse (since, &epoch, &modseq, error))
    return FALSE;
  changes = sv_store_changes_since (request->store, account_of (request), iccid, epoch, modseq, limit, error);
  if (changes == NULL)
    return sv_request_error_from_store (error);
  json_builder_begin_object (b);
  add_store_records (b, "records", changes->records);
  add_token (b, "token", changes->epoch, changes->modseq);
  add_bool (b, "more", changes->more);
  json_builder_end_object (b);
  reply (request, 200, b);
  return TRUE;
}

static gboolean
handle_records_list (SvRequest  *request,
                     GError    **error)
{
  const char *iccid = NULL;
  g_autoptr(SvStoreCard) card = get_card (request, &iccid, error);
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  const char *file = query_get (request, "file");

  if (card == NULL)
    return FALSE;
  if (file != NULL && sv_store_card_find_file (card, file) == NULL)
    {
      sv_protocol_set_error (error, SV_PROTOCOL_ERROR_INVALID, "file", "The card has no file “%s”", file);
      return FALSE;
    }
  records = sv_store_records_list (request->store, account_of (request), iccid, file, error);
  if (records == NULL)
    return sv_request_error_from_store (error);
  json_builder_begin_object (b);
  add_store_records (b, "records", records);
  add_token (b, "token", card->epoch, card->modseq);
  json_builder_end_object (b);
  reply (request, 200, b);
  return TRUE;
}

/* ---- messages ----------------------------------------------------------- */

static gboolean
handle_messages_append (SvRequest  *request,
                        GError    **error)
{
  const char *iccid = NULL;
  g_autoptr(SvStoreCard) card = get_card (request, &iccid, error);
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(SvMessagesRequest) body = NULL;
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(SvStoreMessagesResult) result = NULL;
  SvMessagesResponse response;

  if (card == NULL)
    return FALSE;
  if ((node = parse_body (request, NULL, 0, error)) == NULL
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
  result = sv_store_messages_append (request->store, account_of (request), iccid, body->batch_id, messages, error);
  if (result == NULL)
    return sv_request_error_from_store (error);
  response.stored = result->stored;
  response.duplicates = result->duplicates;
  response.dropped = result->dropped;
  response.count = result->count;
  reply_node (request, 200, sv_messages_response_to_json (&response));
  return TRUE;
}

static gboolean
handle_messages_list (SvRequest  *request,
                      GError    **error)
{
  const char *iccid = NULL;
  g_autoptr(SvStoreCard) card = get_card (request, &iccid, error);
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();

  if (card == NULL)
    return FALSE;
  messages = sv_store_messages_list (request->store, account_of (request), iccid, error);
  if (messages == NULL)
    return sv_request_error_from_store (error);
  json_builder_begin_object (b);
  add_store_messages (b, "messages", messages);
  add_int (b, "capacity", card->sms_capacity);
  json_builder_end_object (b);
  reply (request, 200, b);
  return TRUE;
}

static gboolean
handle_message_delete (SvRequest  *request,
                       GError    **error)
{
  const char *iccid = NULL;
  g_autoptr(SvStoreCard) card = get_card (request, &iccid, error);
  g_autoptr(JsonBuilder) b = json_builder_new ();
  guint64 id;

  if (card == NULL)
    return FALSE;
  if (!g_ascii_string_to_unsigned (request->params[1], 10, 1, G_MAXINT64, &id, NULL))
    {
      sv_protocol_set_error (error, SV_PROTOCOL_ERROR_NOT_FOUND, NULL, "No such message");
      return FALSE;
    }
  if (!sv_store_message_delete (request->store, account_of (request), iccid, (gint64) id, error))
    return sv_request_error_from_store (error);
  json_builder_begin_object (b);
  add_int (b, "deleted", (gint64) id);
  json_builder_end_object (b);
  reply (request, 200, b);
  return TRUE;
}

/* ---- contacts (portal edits) -------------------------------------------- */

static void
add_contacts (JsonBuilder *b,
              SvCardImage *image)
{
  g_autoptr(GPtrArray) contacts = sv_phonebook_decode (image, NULL);
  guint n_sets = sv_phonebook_get_n_sets (image);
  guint first = sv_card_image_lookup (image, "pbr") != NULL ? 1 : 0;
  guint capacity = 0;

  json_builder_set_member_name (b, "contacts");
  json_builder_begin_array (b);
  for (guint i = 0; contacts != NULL && i < contacts->len; i++)
    json_builder_add_value (b, sv_protocol_contact_to_json (g_ptr_array_index (contacts, i)));
  json_builder_end_array (b);

  json_builder_set_member_name (b, "sets");
  json_builder_begin_array (b);
  /* Sets are 1..n on a USIM (one per EF_PBR record), else the one set 0. */
  for (guint set = first; set < first + n_sets; set++)
    {
      SvPhonebookLimits limits;

      if (!sv_phonebook_get_limits (image, set, &limits, NULL))
        continue;
      json_builder_begin_object (b);
      add_int (b, "set", limits.set);
      add_int (b, "n_records", limits.n_records);
      add_int (b, "alpha_len", limits.alpha_len);
      add_int (b, "n_ext1_free", limits.n_ext1_free);
      add_int (b, "n_anr", limits.n_anr);
      add_int (b, "n_email", limits.n_email);
      add_int (b, "email_len", limits.email_len);
      add_int (b, "sne_len", limits.sne_len);
      json_builder_end_object (b);
      capacity += limits.n_records;
    }
  json_builder_end_array (b);
  add_int (b, "capacity", capacity);
}

static gboolean
handle_contacts_list (SvRequest  *request,
                      GError    **error)
{
  g_autoptr(SvStoreCard) card = get_card (request, NULL, error);
  g_autoptr(SvCardImage) image = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();

  if (card == NULL || (image = card_image_load (request, card, NULL, error)) == NULL)
    return FALSE;
  json_builder_begin_object (b);
  add_contacts (b, image);
  add_token (b, "token", card->epoch, card->modseq);
  json_builder_end_object (b);
  reply (request, 200, b);
  return TRUE;
}

static gboolean
phonebook_error (GError **error)
{
  SvProtocolError code = SV_PROTOCOL_ERROR_INVALID;
  const char *field = NULL;
  GError *converted;

  if (error == NULL || *error == NULL || (*error)->domain != SV_PHONEBOOK_ERROR)
    return FALSE;
  switch ((SvPhonebookError) (*error)->code)
    {
    case SV_PHONEBOOK_ERROR_NO_PHONEBOOK:
    case SV_PHONEBOOK_ERROR_NO_SUCH_SET:
      code = SV_PROTOCOL_ERROR_NOT_FOUND;
      field = "set";
      break;
    case SV_PHONEBOOK_ERROR_OUT_OF_RANGE:
      code = SV_PROTOCOL_ERROR_NOT_FOUND;
      field = "index";
      break;
    case SV_PHONEBOOK_ERROR_DOES_NOT_FIT:
      code = SV_PROTOCOL_ERROR_DOES_NOT_FIT;
      break;
    case SV_PHONEBOOK_ERROR_CORRUPT:
    default:
      code = SV_PROTOCOL_ERROR_INVALID;
      break;
    }
  converted = g_error_new_literal (SV_PROTOCOL_ERROR, code, (*error)->message);
  sv_protocol_error_set_field (converted, field);
  g_clear_error (error);
  *error = converted;
  return FALSE;
}

/* A record cleared on the server (a deleted contact) is not among the
 * stored records, but its tombstone has a version that the next edit of
 * that record must name as its base. Every tombstone is newer than the
 * purge floor (older ones are gone, and base 0 is right for them), so the
 * changes since the floor hold them; fetched only when an edited record
 * has no version yet. */
static gboolean
add_cleared_versions (SvRequest          *request,
                      const SvStoreCard  *card,
                      GPtrArray          *changes,
                      GHashTable         *versions,
                      GError            **error)
{
  gboolean missing = FALSE;
  gint64 epoch = card->epoch, modseq = card->purge_floor;
  gboolean more = TRUE;

  for (guint i = 0; i < changes->len && !missing; i++)
    {
      SvRecordChange *change = g_ptr_array_index (changes, i);
      g_autofree char *key = record_key (change->key, change->index);

      missing = !g_hash_table_contains (versions, key);
    }
  while (missing && more)
    {
      g_autoptr(SvStoreChanges) page = sv_store_changes_since (request->store, account_of (request),
                                                               card->iccid, epoch, modseq,
                                                               SV_PROTOCOL_MAX_CHANGES_PAGE, error);

      if (page == NULL)
        return sv_request_error_from_store (error);
      for (guint i = 0; i < page->records->len; i++)
        {
          SvStoreRecord *record = g_ptr_array_index (page->records, i);
          char *key = record_key (record->file, record->index);

          if (!g_hash_table_contains (versions, key))
            g_hash_table_insert (versions, key, g_memdup2 (&record->version, sizeof (gint64)));
          else
            g_free (key);
        }
      more = page->more && page->modseq > modseq;
      epoch = page->epoch;
      modseq = page->modseq;
    }
  return TRUE;
}

/* Stores the records an edit changed, each against the version it was
 * read at: a backup that landed meanwhile makes it a 409, not a lost
 * update. */
static gboolean
store_edit (SvRequest          *request,
            const SvStoreCard  *card,
            SvCardImage        *base,
            SvCardImage        *edited,
            GHashTable         *versions,
            gint64             *epoch,
            gint64             *modseq,
            guint              *n_changed,
            GError            **error)
{
  g_autoptr(GPtrArray) changes = sv_card_image_diff (base, edited);
  g_autoptr(SvStoreBackupRequest) store_request = NULL;
  g_autoptr(SvStoreBackupResult) result = NULL;
  g_autofree char *uuid = g_uuid_string_random ();
  g_autofree char *batch_id = g_strconcat ("portal-", uuid, NULL);

  *n_changed = changes->len;
  *epoch = card->epoch;
  *modseq = card->modseq;
  if (changes->len == 0)
    return TRUE;
  if (!add_cleared_versions (request, card, changes, versions, error))
    return FALSE;
  store_request = sv_store_backup_request_new (batch_id, SV_STORE_BACKUP_INCREMENTAL);
  for (guint i = 0; i < changes->len; i++)
    {
      SvRecordChange *change = g_ptr_array_index (changes, i);
      g_autofree char *key = record_key (change->key, change->index);
      gint64 *version = g_hash_table_lookup (versions, key);

      if (change->new_bytes == NULL)
        continue;
      sv_store_backup_request_add_record (store_request,
                                          sv_store_record_write_new (change->key, change->index, change->new_bytes,
                                                                     version ? *version : 0));
    }
  result = sv_store_backup_apply (request->store, account_of (request), card->iccid, store_request, error);
  if (result == NULL)
    return sv_request_error_from_store (error);
  if (result->conflicts->len > 0)
    {
      /* The store applied the rest: a concurrent change won on some
       * records. Say so; the portal reloads. */
      sv_protocol_set_error (error, SV_PROTOCOL_ERROR_CONFLICT, NULL,
                             "The backup changed while you were editing; reload and try again");
      return FALSE;
    }
  *epoch = result->epoch;
  *modseq = result->modseq;
  return TRUE;
}

typedef enum
{
  EDIT_ADD,
  EDIT_PUT,
  EDIT_DELETE,
} EditKind;

static gboolean
parse_set_index (SvRequest  *request,
                 guint      *set,
                 guint      *index,
                 GError    **error)
{
  guint64 s, i;

  if (!g_ascii_string_to_unsigned (request->params[1], 10, 0, 255, &s, NULL)
      || !g_ascii_string_to_unsigned (request->params[2], 10, 1, 65535, &i, NULL))
    {
      sv_protocol_set_error (error, SV_PROTOCOL_ERROR_NOT_FOUND, NULL, "No such contact");
      return FALSE;
    }
  *set = (guint) s;
  *index = (guint) i;
  return TRUE;
}

static gboolean
edit_contact (SvRequest  *request,
              EditKind    kind,
              GError    **error)
{
  g_autoptr(SvStoreCard) card = get_card (request, NULL, error);
  g_autoptr(GHashTable) versions = NULL;
  g_autoptr(SvCardImage) base = NULL;
  g_autoptr(SvCardImage) edited = NULL;
  g_autoptr(SvContact) contact = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  guint set = 0, index = 0, n_changed = 0;
  gint64 epoch = 0, modseq = 0;

  if (card == NULL || (base = card_image_load (request, card, &versions, error)) == NULL)
    return FALSE;
  edited = sv_card_image_copy (base);

  if (kind == EDIT_ADD)
    {
      /* The set: the body's "set", or the first phonebook of the card. */
      if ((node = parse_body (request, NULL, 0, error)) == NULL)
        return FALSE;
      set = sv_card_image_lookup (base, "pbr") != NULL ? 1 : 0;
      if (json_object_has_member (json_node_get_object (node), "set"))
        set = (guint) CLAMP (sv_protocol_get_int (json_node_get_object (node), "set", set), 0, 255);
      index = sv_phonebook_find_free_index (base, set);
      if (index == 0)
        {
          sv_protocol_set_error (error, SV_PROTOCOL_ERROR_DOES_NOT_FIT, "set",
                                 "The phonebook on this card is full");
          return FALSE;
        }
    }
  else if (!parse_set_index (request, &set, &index, error))
    return FALSE;

  if (kind == EDIT_DELETE)
    {
      if (!sv_phonebook_delete_contact (edited, set, index, error))
        return phonebook_error (error);
    }
  else
    {
      g_autoptr(GPtrArray) problems = NULL;

      if (node == NULL && (node = parse_body (request, NULL, 0, error)) == NULL)
        return FALSE;
      if ((contact = sv_protocol_contact_from_json (node, set, index, error)) == NULL)
        return FALSE;
      if (sv_contact_is_empty (contact))
        {
          sv_protocol_set_error (error, SV_PROTOCOL_ERROR_INVALID, "name", "A contact has a name or a number");
          return FALSE;
        }
      problems = sv_phonebook_check_contact (edited, contact);
      if (problems != NULL && problems->len > 0)
        {
          SvFitProblem *problem = g_ptr_array_index (problems, 0);

          sv_protocol_set_error (error, g_str_equal (problem->field, "index")
                                        ? SV_PROTOCOL_ERROR_NOT_FOUND : SV_PROTOCOL_ERROR_DOES_NOT_FIT,
                                 problem->field, "%s", problem->message);
          return FALSE;
        }
      if (!sv_phonebook_store_contact (edited, contact, error))
        return phonebook_error (error);
    }

  if (!store_edit (request, card, base, edited, versions, &epoch, &modseq, &n_changed, error))
    return FALSE;

  json_builder_begin_object (b);
  if (contact != NULL)
    {
      json_builder_set_member_name (b, "contact");
      json_builder_add_value (b, sv_protocol_contact_to_json (contact));
    }
  else
    {
      add_int (b, "set", set);
      add_int (b, "index", index);
    }
  add_int (b, "changed_records", n_changed);
  add_token (b, "token", epoch, modseq);
  json_builder_end_object (b);
  reply (request, kind == EDIT_ADD ? 201 : 200, b);
  return TRUE;
}

static gboolean
handle_contact_add (SvRequest  *request,
                    GError    **error)
{
  return edit_contact (request, EDIT_ADD, error);
}

static gboolean
handle_contact_put (SvRequest  *request,
                    GError    **error)
{
  return edit_contact (request, EDIT_PUT, error);
}

static gboolean
handle_contact_delete (SvRequest  *request,
                       GError    **error)
{
  return edit_contact (request, EDIT_DELETE, error);
}

static gboolean
export_contacts (SvRequest  *request,
                 gboolean    vcard,
                 GError    **error)
{
  g_autoptr(SvStoreCard) card = get_card (request, NULL, error);
  g_autoptr(SvCardImage) image = NULL;
  g_autoptr(GPtrArray) contacts = NULL;
  g_autofree char *disposition = NULL;
  char *text;

  if (card == NULL || (image = card_image_load (request, card, NULL, error)) == NULL)
    return FALSE;
  contacts = sv_phonebook_decode (image, NULL);
  if (contacts == NULL)
    contacts = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_contact_unref);
  text = vcard ? sv_vcard_export (contacts, SV_VCARD_VERSION_3_0, card->iccid) : sv_csv_export (contacts);
  request->status = 200;
  request->response_type = g_strdup (vcard ? "text/vcard; charset=utf-8" : "text/csv; charset=utf-8");
  request->response = g_bytes_new_take (text, strlen (text));
  disposition = g_strdup_printf ("attachment; filename=\"contacts-%s.%s\"", card->iccid, vcard ? "vcf" : "csv");
  sv_request_add_header (request, "Content-Disposition", disposition);
  return TRUE;
}

static gboolean
handle_export_vcf (SvRequest  *request,
                   GError    **error)
{
  return export_contacts (request, TRUE, error);
}

static gboolean
handle_export_csv (SvRequest  *request,
                   GError    **error)
{
  return export_contacts (request, FALSE, error);
}

/* ---- restores ----------------------------------------------------------- */

static gboolean
handle_restore_create (SvRequest  *request,
                       GError    **error)
{
  const char *iccid = NULL;
  g_autoptr(SvStoreCard) card = get_card (request, &iccid, error);
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(SvRestoreRequest) body = NULL;
  g_autoptr(SvStoreRestore) restore = NULL;
  SvRestoreCreated created;
  gint64 epoch = 0, modseq = 0;

  if (card == NULL)
    return FALSE;
  if ((node = parse_body (request, NULL, 0, error)) == NULL
      || (body = sv_restore_request_from_json (node, error)) == NULL)
    return FALSE;
  if (body->kind == SV_RESTORE_KIND_INCREMENTAL && !sv_sync_token_parse (body->since, &epoch, &modseq, error))
    return FALSE;
  restore = sv_store_restore_create (request->store, account_of (request),
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
  reply_node (request, 201, sv_restore_created_to_json (&created));
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

static gboolean
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
  restore = sv_store_restore_get (request->store, account_of (request), id, error);
  if (restore == NULL)
    return sv_request_error_from_store (error);
  request->audit_iccid = g_strdup (restore->iccid);
  group = sv_store_restore_get_group (request->store, account_of (request), id, (guint) n, error);
  if (group == NULL)
    return sv_request_error_from_store (error);
  json_builder_begin_object (b);
  add_int (b, "group", group->group);
  add_int (b, "groups", restore->n_groups);
  add_store_records (b, "records", group->records);
  add_store_messages (b, "messages", group->messages);
  if (group->clear != NULL && group->clear->len > 0)
    {
      json_builder_set_member_name (b, "clear");
      json_builder_begin_array (b);
      for (guint i = 0; i < group->clear->len; i++)
        json_builder_add_string_value (b, g_ptr_array_index (group->clear, i));
      json_builder_end_array (b);
    }
  json_builder_end_object (b);
  reply (request, 200, b);
  return TRUE;
}

static gboolean
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
  restore = sv_store_restore_ack (request->store, account_of (request), id, (guint) group, error);
  if (restore == NULL)
    return sv_request_error_from_store (error);
  request->audit_iccid = g_strdup (restore->iccid);
  json_builder_begin_object (b);
  add_bool (b, "done", restore->done);
  add_int (b, "acknowledged", restore->n_acked);
  add_int (b, "groups", restore->n_groups);
  if (restore->done)
    add_token (b, "token", restore->epoch, restore->modseq);
  json_builder_end_object (b);
  reply (request, 200, b);
  return TRUE;
}

/* ---- staff -------------------------------------------------------------- */

static gboolean
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
  set_session_cookie (request, session->token);
  json_builder_begin_object (b);
  add_string (b, "kind", "staff");
  add_string (b, "name", session->staff_name);
  add_session (b, session);
  json_builder_end_object (b);
  reply (request, 200, b);
  return TRUE;
}

static gboolean
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
  add_string (b, "kind", "delegated");
  add_string (b, "phone", session->phone);
  add_string (b, "token", session->token);
  add_time (b, "expires", session->expires_at);
  json_builder_end_object (b);
  reply (request, 201, b);
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
