/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "sv-protocol.h"

static JsonNode *
parse (const char *json)
{
  g_autoptr(GError) error = NULL;
  JsonNode *node = sv_protocol_parse_body (json, strlen (json), &error);

  g_assert_no_error (error);
  return node;
}

static void
test_ranges_format (void)
{
  static const struct { guint indices[8]; guint n; const char *expected; } cases[] = {
    { { 0 }, 0, "" },
    { { 5 }, 1, "5" },
    { { 1, 2, 3 }, 3, "1-3" },
    { { 19, 1, 2, 3, 21, 22, 3 }, 7, "1-3,19,21-22" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *s = sv_index_ranges_format (cases[i].indices, cases[i].n);

      g_assert_cmpstr (s, ==, cases[i].expected);
    }
}

static void
test_ranges_parse (void)
{
  static const char *bad[] = { "0", "3-1", "1,1", "2,1", "1-3,3", " 1", "1,", ",1", "01", "1--2", "a", "1-", "4294967296" };
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) all = sv_index_ranges_parse ("1-17,19,21-250", 250, &error);
  g_autoptr(GArray) empty = sv_index_ranges_parse ("", 0, &error);
  g_autofree char *back = NULL;

  g_assert_no_error (error);
  g_assert_cmpuint (all->len, ==, 17 + 1 + 230);
  g_assert_cmpuint (g_array_index (all, guint, 17), ==, 19);
  back = sv_index_ranges_format ((const guint *) (gpointer) all->data, all->len);
  g_assert_cmpstr (back, ==, "1-17,19,21-250");
  g_assert_cmpuint (empty->len, ==, 0);

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) e = NULL;
      g_autoptr(GArray) none = sv_index_ranges_parse (bad[i], 0, &e);

      g_assert_null (none);
      g_assert_error (e, SV_PROTOCOL_ERROR, SV_PROTOCOL_ERROR_INVALID);
    }
  {
    g_autoptr(GError) e = NULL;
    g_autoptr(GArray) none = sv_index_ranges_parse ("1-251", 250, &e);

    g_assert_null (none);
    g_assert_error (e, SV_PROTOCOL_ERROR, SV_PROTOCOL_ERROR_INVALID);
  }
}

static void
test_token (void)
{
  static const char *bad[] = { "", "1", "1-", "-1", "1-2-3", "a-1", "1-0x2", "1 -2", "-1-2" };
  g_autofree char *token = sv_sync_token_format (3, 1234);
  gint64 epoch = 0, modseq = 0;

  g_assert_cmpstr (token, ==, "3-1234");
  g_assert_true (sv_sync_token_parse (token, &epoch, &modseq, NULL));
  g_assert_cmpint (epoch, ==, 3);
  g_assert_cmpint (modseq, ==, 1234);
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_false (sv_sync_token_parse (bad[i], &epoch, &modseq, &error));
      g_assert_error (error, SV_PROTOCOL_ERROR, SV_PROTOCOL_ERROR_FULL_RESYNC_REQUIRED);
    }
}

static void
test_errors (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) back = NULL;
  g_autoptr(GError) other = g_error_new_literal (G_FILE_ERROR, G_FILE_ERROR_NOENT, "/secret/path.db");
  g_autofree char *json = NULL;
  g_autofree char *other_json = NULL;

  for (guint i = 0; i < SV_PROTOCOL_N_ERRORS; i++)
    {
      SvProtocolError code;

      g_assert_true (sv_protocol_error_from_string (sv_protocol_error_to_string (i), &code));
      g_assert_cmpuint (code, ==, i);
      g_assert_cmpuint (sv_protocol_error_get_status (i), >=, 400);
    }
  g_assert_cmpuint (sv_protocol_error_get_status (SV_PROTOCOL_ERROR_FULL_RESYNC_REQUIRED), ==, 410);
  g_assert_cmpuint (sv_protocol_error_get_status (SV_PROTOCOL_ERROR_DOES_NOT_FIT), ==, 422);

  sv_protocol_set_error (&error, SV_PROTOCOL_ERROR_DOES_NOT_FIT, "name", "The name is %d characters too long", 2);
  json = sv_protocol_error_to_json (error);
  g_assert_cmpstr (json, ==, "{\"error\":{\"code\":\"does-not-fit\",\"message\":\"The name is 2 characters too long\",\"field\":\"name\"}}");
  back = sv_protocol_error_new_from_response (422, json, strlen (json));
  g_assert_error (back, SV_PROTOCOL_ERROR, SV_PROTOCOL_ERROR_DOES_NOT_FIT);
  g_assert_cmpstr (sv_protocol_error_get_field (back), ==, "name");

  /* Another domain never leaks its message. */
  other_json = sv_protocol_error_to_json (other);
  g_assert_null (strstr (other_json, "secret"));
  g_assert_nonnull (strstr (other_json, "\"internal\""));
}

static const char *valid_backup =
  "{\"batch_id\":\"b-1\",\"mode\":\"incremental\",\"records\":["
  "{\"file\":\"pb1/adn\",\"index\":3,\"data\":\"4a6fFF\",\"base_version\":12},"
  "{\"file\":\"pb1/adn\",\"index\":4,\"data\":\"FFFF\"}]}";

static void
test_backup_request (void)
{
  static const struct { const char *json; SvProtocolError code; const char *field; } bad[] = {
    { "{\"batch_id\":\"b\",\"mode\":\"incremental\",\"records\":[],\"extra\":1}", SV_PROTOCOL_ERROR_UNKNOWN_FIELD, "extra" },
    { "{\"batch_id\":7,\"mode\":\"incremental\",\"records\":[]}", SV_PROTOCOL_ERROR_MALFORMED, "batch_id" },
    { "{\"batch_id\":\"b\",\"mode\":\"sideways\",\"records\":[]}", SV_PROTOCOL_ERROR_INVALID, "mode" },
    { "{\"batch_id\":\"b\",\"mode\":\"full\",\"records\":[]}", SV_PROTOCOL_ERROR_INVALID, "files" },
    { "{\"batch_id\":\"b c\",\"mode\":\"incremental\",\"records\":[]}", SV_PROTOCOL_ERROR_INVALID, "batch_id" },
    { "{\"mode\":\"incremental\",\"records\":[]}", SV_PROTOCOL_ERROR_INVALID, "batch_id" },
    { "{\"batch_id\":\"b\",\"mode\":\"incremental\",\"records\":[{\"file\":\"adn\",\"index\":1,\"data\":\"GG\"}]}",
      SV_PROTOCOL_ERROR_INVALID, "records[0].data" },
    { "{\"batch_id\":\"b\",\"mode\":\"incremental\",\"records\":[{\"file\":\"adn\",\"index\":1,\"data\":\"FFF\"}]}",
      SV_PROTOCOL_ERROR_INVALID, "records[0].data" },
    { "{\"batch_id\":\"b\",\"mode\":\"incremental\",\"records\":[{\"file\":\"adn\",\"index\":0,\"data\":\"FF\"}]}",
      SV_PROTOCOL_ERROR_INVALID, "records[0].index" },
    { "{\"batch_id\":\"b\",\"mode\":\"incremental\",\"records\":[{\"file\":\"adn\",\"index\":1.5,\"data\":\"FF\"}]}",
      SV_PROTOCOL_ERROR_MALFORMED, "records[0].index" },
    { "{\"batch_id\":\"b\",\"mode\":\"incremental\",\"records\":[{\"file\":\"adn\",\"index\":1,\"data\":\"FF\",\"x\":1}]}",
      SV_PROTOCOL_ERROR_UNKNOWN_FIELD, "records[0].x" },
    { "{\"batch_id\":\"b\",\"mode\":\"incremental\",\"records\":[{\"file\":\"adn\",\"index\":1,\"data\":\"FF\"},"
      "{\"file\":\"adn\",\"index\":1,\"data\":\"FF\"}]}", SV_PROTOCOL_ERROR_INVALID, "records[1]" },
    { "{\"batch_id\":\"b\",\"mode\":\"full\",\"files\":[\"adn\"],\"records\":[{\"file\":\"sms\",\"index\":1,\"data\":\"FF\"}]}",
      SV_PROTOCOL_ERROR_INVALID, "records[0].file" },
  };
  g_autoptr(JsonNode) node = parse (valid_backup);
  g_autoptr(GError) error = NULL;
  g_autoptr(SvBackupRequest) request = sv_backup_request_from_json (node, &error);
  g_autoptr(JsonNode) again = NULL;
  g_autofree char *canonical = NULL;
  SvProtocolRecord *r;

  g_assert_no_error (error);
  g_assert_cmpuint (request->records->len, ==, 2);
  r = g_ptr_array_index (request->records, 0);
  g_assert_cmpstr (r->file, ==, "pb1/adn");
  g_assert_cmpuint (r->index, ==, 3);
  g_assert_cmpint (r->base_version, ==, 12);
  g_assert_cmpuint (g_bytes_get_size (r->data), ==, 3);
  g_assert_cmpuint (((const guint8 *) g_bytes_get_data (r->data, NULL))[1], ==, 0x6F);

  again = sv_backup_request_to_json (request);
  canonical = sv_protocol_node_to_data (again);
  g_assert_cmpstr (canonical, ==,
                   "{\"batch_id\":\"b-1\",\"mode\":\"incremental\",\"records\":["
                   "{\"file\":\"pb1/adn\",\"index\":3,\"data\":\"4A6FFF\",\"base_version\":12},"
                   "{\"file\":\"pb1/adn\",\"index\":4,\"data\":\"FFFF\",\"base_version\":0}]}");

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) e = NULL;
      g_autoptr(JsonNode) n = parse (bad[i].json);
      g_autoptr(SvBackupRequest) none = sv_backup_request_from_json (n, &e);

      g_test_message ("case %u: %s", i, bad[i].json);
      g_assert_null (none);
      g_assert_error (e, SV_PROTOCOL_ERROR, (gint) bad[i].code);
      g_assert_cmpstr (sv_protocol_error_get_field (e), ==, bad[i].field);
    }
}

static void
test_backup_too_large (void)
{
  GString *json = g_string_new ("{\"batch_id\":\"big\",\"mode\":\"incremental\",\"records\":[");
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(SvBackupRequest) request = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  for (guint i = 1; i <= SV_PROTOCOL_MAX_BATCH + 1; i++)
    g_string_append_printf (json, "%s{\"file\":\"adn\",\"index\":%u,\"data\":\"FF\"}", i > 1 ? "," : "", i);
  g_string_append (json, "]}");
  text = g_string_free (json, FALSE);
  node = parse (text);
  request = sv_backup_request_from_json (node, &error);
  g_assert_null (request);
  g_assert_error (error, SV_PROTOCOL_ERROR, SV_PROTOCOL_ERROR_TOO_LARGE);
}

static void
test_body (void)
{
  static const char *bad[] = { "", "[1]", "{", "\"x\"", "{\"a\":1}x" };
  g_autofree char *big = g_malloc0 (SV_PROTOCOL_MAX_BODY + 2);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) none = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) e = NULL;
      g_autoptr(JsonNode) n = sv_protocol_parse_body (bad[i], strlen (bad[i]), &e);

      g_assert_null (n);
      g_assert_error (e, SV_PROTOCOL_ERROR, SV_PROTOCOL_ERROR_MALFORMED);
    }
  /* Nesting that would make the parser recurse a million times. */
  {
    g_autofree char *deep = g_strnfill (100000, '[');
    g_autofree char *fine = g_strdup ("{\"a\":[[{\"b\":\"[[[[[[[[[[[[[[[[[[[[[[\"}]]}");
    g_autoptr(GError) e = NULL;
    g_autoptr(JsonNode) n = sv_protocol_parse_body (deep, strlen (deep), &e);
    g_autoptr(JsonNode) ok = sv_protocol_parse_body (fine, strlen (fine), NULL);

    g_assert_null (n);
    g_assert_error (e, SV_PROTOCOL_ERROR, SV_PROTOCOL_ERROR_MALFORMED);
    g_assert_nonnull (ok);
  }
  memset (big, ' ', SV_PROTOCOL_MAX_BODY + 1);
  none = sv_protocol_parse_body (big, SV_PROTOCOL_MAX_BODY + 1, &error);
  g_assert_null (none);
  g_assert_error (error, SV_PROTOCOL_ERROR, SV_PROTOCOL_ERROR_TOO_LARGE);
}

static void
test_backup_response (void)
{
  g_autoptr(SvBackupResponse) response = g_new0 (SvBackupResponse, 1);
  g_autoptr(SvBackupResponse) back = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *json = NULL;
  SvProtocolConflict *c = g_new0 (SvProtocolConflict, 1);
  guint8 server_bytes[] = { 0x41, 0xFF }, client_bytes[] = { 0x42, 0xFF };

  response->batch_id = g_strdup ("b-1");
  response->token = g_strdup ("1-16");
  response->applied = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_protocol_record_free);
  response->conflicts = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_protocol_conflict_free);
  g_ptr_array_add (response->applied, sv_protocol_record_new ("pb1/adn", 4, NULL, 16));
  g_ptr_array_add (response->applied, sv_protocol_record_new ("pb1/adn", 3, NULL, 16));
  g_ptr_array_add (response->applied, sv_protocol_record_new ("sms", 1, NULL, 17));
  c->file = g_strdup ("pb1/adn");
  c->index = 7;
  c->server_data = g_bytes_new (server_bytes, sizeof server_bytes);
  c->server_version = 15;
  c->client_data = g_bytes_new (client_bytes, sizeof client_bytes);
  c->server_contact = sv_contact_new (1, 7, "Ann", "+86", NULL, NULL, NULL);
  g_ptr_array_add (response->conflicts, c);

  node = sv_backup_response_to_json (response);
  json = sv_protocol_node_to_data (node);
  g_assert_nonnull (strstr (json, "\"applied\":{\"pb1/adn\":\"3-4\",\"sms\":\"1\"}"));
  g_assert_nonnull (strstr (json, "\"versions\":{\"pb1/adn\":{\"4\":16,\"3\":16},\"sms\":{\"1\":17}}"));

  back = sv_backup_response_from_json (node, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (back->applied->len, ==, 3);
  g_assert_cmpint (((SvProtocolRecord *) back->applied->pdata[2])->version, ==, 17);
  g_assert_cmpuint (back->conflicts->len, ==, 1);
  c = back->conflicts->pdata[0];
  g_assert_cmpint (c->server_version, ==, 15);
  g_assert_cmpstr (sv_contact_get_name (c->server_contact), ==, "Ann");
  g_assert_null (c->client_contact);
  g_assert_true (g_bytes_equal (c->client_data, ((SvProtocolConflict *) response->conflicts->pdata[0])->client_data));
}

static void
test_card (void)
{
  g_autoptr(JsonNode) node = parse ("{\"phone\":\"+86 138-0013-8000\",\"password\":\"pw\",\"card\":{"
                                    "\"iccid\":\"89860123456789012345\",\"imsi\":\"460001234567890\","
                                    "\"card_type\":\"usim\",\"counter_a\":7,\"sms_capacity\":30,\"files\":["
                                    "{\"key\":\"pb1/adn\",\"path\":\"3F007F105F3A4F3A\",\"structure\":\"linear-fixed\",\"record_len\":30,\"n_records\":250},"
                                    "{\"key\":\"sms\",\"path\":\"3F007F106F3C\",\"structure\":\"linear-fixed\",\"record_len\":176,\"n_records\":30}]}}");
  g_autoptr(GError) error = NULL;
  g_autoptr(SvRegisterRequest) request = sv_register_request_from_json (node, &error);
  g_autoptr(SvCardImage) image = NULL;
  g_autoptr(JsonNode) again = NULL;
  g_autoptr(SvRegisterRequest) round = NULL;
  static const struct { const char *card; const char *field; } bad[] = {
    { "{\"iccid\":\"123\",\"card_type\":\"sim\",\"files\":[]}", "card.iccid" },
    { "{\"iccid\":\"8986012345678901234\",\"card_type\":\"ruim\",\"files\":[]}", "card.card_type" },
    { "{\"iccid\":\"8986012345678901234\",\"card_type\":\"sim\",\"files\":[]}", "card.files" },
    { "{\"iccid\":\"8986012345678901234\",\"card_type\":\"sim\",\"files\":[{\"key\":\"adn\",\"path\":\"3F007F106F3A\","
      "\"structure\":\"linear-fixed\",\"record_len\":0,\"n_records\":10}]}", "card.files[0].record_len" },
    { "{\"iccid\":\"8986012345678901234\",\"card_type\":\"sim\",\"files\":[{\"key\":\"adn\",\"path\":\"3F007F106F3A\","
      "\"structure\":\"linear-fixed\",\"record_len\":30,\"n_records\":10,\"colour\":1}]}", "card.files[0].colour" },
    { "{\"iccid\":\"8986012345678901234\",\"card_type\":\"sim\",\"sms_capacity\":40,\"files\":[{\"key\":\"sms\","
      "\"path\":\"3F007F106F3C\",\"structure\":\"linear-fixed\",\"record_len\":176,\"n_records\":10}]}", "card.sms_capacity" },
  };

  g_assert_no_error (error);
  g_assert_cmpstr (request->phone, ==, "+8613800138000");
  g_assert_cmpuint (request->card->card_type, ==, SV_CARD_TYPE_USIM);
  g_assert_cmpuint (request->card->files->len, ==, 2);
  image = sv_protocol_card_new_image (request->card);
  g_assert_cmpuint (sv_card_image_lookup (image, "pb1/adn")->n_records, ==, 250);
  g_assert_cmpuint (g_bytes_get_size (sv_card_image_get_record (image, "sms", 30)), ==, 176);

  again = sv_register_request_to_json (request);
  round = sv_register_request_from_json (again, &error);
  g_assert_no_error (error);
  g_assert_cmpint (round->card->counter_a, ==, 7);

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *json = g_strdup_printf ("{\"card\":%s}", bad[i].card);
      g_autoptr(JsonNode) n = parse (json);
      g_autoptr(GError) e = NULL;
      g_autoptr(SvRegisterRequest) none = sv_register_request_from_json (n, &e);

      g_assert_null (none);
      g_assert_cmpstr (sv_protocol_error_get_field (e), ==, bad[i].field);
    }
}

static void
test_messages (void)
{
  g_autofree char *record = g_strnfill (352, 'F');
  g_autofree char *ok = g_strdup_printf ("{\"batch_id\":\"m1\",\"messages\":[{\"record\":\"%s\",\"stored_at\":\"2026-12-07T03:10:00Z\"},"
                                         "{\"records\":[\"%s\",\"%s\"]}]}", record, record, record);
  g_autoptr(JsonNode) node = parse (ok);
  g_autoptr(GError) error = NULL;
  g_autoptr(SvMessagesRequest) request = sv_messages_request_from_json (node, &error);
  g_autoptr(JsonNode) short_node = parse ("{\"batch_id\":\"m1\",\"messages\":[{\"record\":\"01FF\"}]}");
  g_autoptr(SvMessagesRequest) none = NULL;
  g_autoptr(JsonNode) again = NULL;
  g_autofree char *json = NULL;

  g_assert_no_error (error);
  g_assert_cmpuint (request->messages->len, ==, 2);
  g_assert_cmpuint (((SvProtocolMessage *) request->messages->pdata[1])->records->len, ==, 2);
  again = sv_messages_request_to_json (request);
  json = sv_protocol_node_to_data (again);
  g_assert_nonnull (strstr (json, "\"stored_at\":\"2026-12-07T03:10:00Z\""));

  none = sv_messages_request_from_json (short_node, &error);
  g_assert_null (none);
  g_assert_error (error, SV_PROTOCOL_ERROR, SV_PROTOCOL_ERROR_INVALID);
  g_assert_cmpstr (sv_protocol_error_get_field (error), ==, "messages[0].record");
}

static void
test_restore (void)
{
  g_autoptr(JsonNode) ok = parse ("{\"kind\":\"incremental\",\"since\":\"1-12\",\"sms\":true,\"group_size\":10}");
  g_autoptr(JsonNode) bad = parse ("{\"kind\":\"full\",\"group_size\":0}");
  g_autoptr(GError) error = NULL;
  g_autoptr(SvRestoreRequest) request = sv_restore_request_from_json (ok, &error);
  g_autoptr(SvRestoreRequest) none = NULL;
  g_autoptr(SvRestoreGroup) group = g_new0 (SvRestoreGroup, 1);
  g_autoptr(SvRestoreGroup) back = NULL;
  g_autoptr(JsonNode) node = NULL;
  guint8 bytes[] = { 0x41, 0x42 };
  g_autoptr(GBytes) data = g_bytes_new (bytes, sizeof bytes);
  const char *clear[] = { "pb1/adn", "sms", NULL };

  g_assert_no_error (error);
  g_assert_cmpuint (request->kind, ==, SV_RESTORE_KIND_INCREMENTAL);
  g_assert_cmpuint (request->group_size, ==, 10);
  g_assert_true (request->sms);
  none = sv_restore_request_from_json (bad, &error);
  g_assert_null (none);
  g_assert_cmpstr (sv_protocol_error_get_field (error), ==, "group_size");

  group->group = 2;
  group->records = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_protocol_record_free);
  group->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_protocol_message_free);
  group->clear = g_strdupv ((char **) clear);
  g_ptr_array_add (group->records, sv_protocol_record_new ("pb1/adn", 9, data, 4));
  node = sv_restore_group_to_json (group);
  g_clear_error (&error);
  back = sv_restore_group_from_json (node, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (back->group, ==, 2);
  g_assert_cmpstrv (back->clear, clear);
  g_assert_true (g_bytes_equal (((SvProtocolRecord *) back->records->pdata[0])->data, data));
}

static void
test_contact (void)
{
  g_autoptr(JsonNode) node = parse ("{\"name\":\"Ann\",\"number\":\"+8613800138000\",\"emails\":[\"ann@example.com\"]}");
  g_autoptr(JsonNode) bad = parse ("{\"name\":\"Ann\",\"emails\":[1]}");
  g_autoptr(GError) error = NULL;
  g_autoptr(SvContact) contact = sv_protocol_contact_from_json (node, 1, 5, &error);
  g_autoptr(SvContact) none = NULL;
  g_autoptr(JsonNode) out = NULL;
  g_autoptr(SvContact) back = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (sv_contact_get_emails (contact)[0], ==, "ann@example.com");
  g_assert_cmpuint (sv_contact_get_index (contact), ==, 5);
  out = sv_protocol_contact_to_json (contact);
  back = sv_protocol_contact_from_json (out, 1, 5, &error);
  g_assert_no_error (error);
  g_assert_true (sv_contact_equal (contact, back));
  none = sv_protocol_contact_from_json (bad, 1, 5, &error);
  g_assert_null (none);
  g_assert_cmpstr (sv_protocol_error_get_field (error), ==, "emails[0]");
}

static void
test_phone_iccid (void)
{
  g_autofree char *phone = sv_protocol_normalize_phone ("+86 138-0013 8000", NULL, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *none = sv_protocol_normalize_phone ("+86 abc", "phone", &error);

  g_assert_cmpstr (phone, ==, "+8613800138000");
  g_assert_null (none);
  g_assert_cmpstr (sv_protocol_error_get_field (error), ==, "phone");
  g_assert_true (sv_protocol_check_iccid ("8986012345678901234", NULL, NULL));
  g_assert_false (sv_protocol_check_iccid ("898601234567890123F", NULL, NULL));
  g_assert_false (sv_protocol_check_iccid ("898601234567890123456", NULL, NULL));
}

/* Bodies travel gzip-compressed from SV_PROTOCOL_GZIP_MIN bytes on, when
 * that (with the Content-Encoding header line) is shorter. */
static void
test_gzip (void)
{
  static const struct { const char *header; gboolean gzip; } accepts[] = {
    { NULL, FALSE }, { "", FALSE }, { "identity", FALSE }, { "gzip", TRUE },
    { "gzip, deflate, br", TRUE }, { "deflate, GZIP;q=0.5", TRUE }, { "gzip;q=0", FALSE },
    { "gzip;q=0.0", FALSE }, { "x-gzip", FALSE }, { "br, gzip ; q=1", TRUE },
  };
  g_autoptr(GString) json = g_string_new ("{\"records\":[");
  g_autoptr(GBytes) packed = NULL, plain = NULL, bomb = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *spaces = g_malloc (2 * SV_PROTOCOL_MAX_BODY);

  for (guint i = 0; i < G_N_ELEMENTS (accepts); i++)
    g_assert_cmpint (sv_protocol_accepts_gzip (accepts[i].header), ==, accepts[i].gzip);

  for (guint i = 1; i <= 100; i++)
    g_string_append_printf (json, "%s{\"file\":\"adn\",\"index\":%u,\"data\":\"4A6F686E%02X%s\"}",
                            i > 1 ? "," : "", i, i, "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF");
  g_string_append (json, "]}");
  packed = sv_protocol_gzip (json->str, json->len);
  g_assert_cmpuint (g_bytes_get_size (packed), <, json->len / 2);

  /* Worth it or not: too short; a short but repetitive body (three
   * records); random bytes, which gzip only makes longer. */
  {
    g_autoptr(GBytes) tiny = sv_protocol_gzip_if_smaller (json->str, SV_PROTOCOL_GZIP_MIN - 1);
    g_autoptr(GBytes) three = sv_protocol_gzip_if_smaller (json->str, 300);
    g_autoptr(GBytes) noise = NULL;
    g_autoptr(GRand) rand = g_rand_new_with_seed (7);
    guint8 random_bytes[400];

    /* Every byte value, from a fixed seed: printable text alone gzips to
     * 373-383 bytes and would pass the check now and then. */
    for (guint i = 0; i < sizeof random_bytes; i++)
      random_bytes[i] = (guint8) g_rand_int_range (rand, 0, 256);
    noise = sv_protocol_gzip_if_smaller (random_bytes, sizeof random_bytes);
    g_assert_null (tiny);
    g_assert_nonnull (three);
    g_assert_cmpuint (g_bytes_get_size (three) + strlen ("Content-Encoding: gzip\r\n"), <, 300);
    g_assert_null (noise);
  }
  plain = sv_protocol_gunzip (g_bytes_get_data (packed, NULL), g_bytes_get_size (packed),
                              SV_PROTOCOL_MAX_BODY, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (plain, NULL), g_bytes_get_size (plain), json->str, json->len);

  /* Cut short, not gzip at all, or past the limit once decompressed. */
  g_assert_null (sv_protocol_gunzip (g_bytes_get_data (packed, NULL), g_bytes_get_size (packed) / 2,
                                     SV_PROTOCOL_MAX_BODY, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_assert_null (sv_protocol_gunzip (json->str, json->len, SV_PROTOCOL_MAX_BODY, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  memset (spaces, ' ', 2 * SV_PROTOCOL_MAX_BODY);
  bomb = sv_protocol_gzip (spaces, 2 * SV_PROTOCOL_MAX_BODY);
  g_assert_cmpuint (g_bytes_get_size (bomb), <, 16384);
  g_assert_null (sv_protocol_gunzip (g_bytes_get_data (bomb, NULL), g_bytes_get_size (bomb),
                                     SV_PROTOCOL_MAX_BODY, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sv/protocol/ranges/format", test_ranges_format);
  g_test_add_func ("/sv/protocol/ranges/parse", test_ranges_parse);
  g_test_add_func ("/sv/protocol/token", test_token);
  g_test_add_func ("/sv/protocol/errors", test_errors);
  g_test_add_func ("/sv/protocol/body", test_body);
  g_test_add_func ("/sv/protocol/backup/request", test_backup_request);
  g_test_add_func ("/sv/protocol/backup/too-large", test_backup_too_large);
  g_test_add_func ("/sv/protocol/backup/response", test_backup_response);
  g_test_add_func ("/sv/protocol/register", test_card);
  g_test_add_func ("/sv/protocol/messages", test_messages);
  g_test_add_func ("/sv/protocol/restore", test_restore);
  g_test_add_func ("/sv/protocol/contact", test_contact);
  g_test_add_func ("/sv/protocol/phone-iccid", test_phone_iccid);
  g_test_add_func ("/sv/protocol/gzip", test_gzip);

  return g_test_run ();
}
