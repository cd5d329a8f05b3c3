/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * test-server-http: backups (flows 2-5), the SMS ring (flow 6), changes
 * since a token (flow 8), the purge of tombstones, the last backup and a
 * batch sent twice at once.
 */
#include "config.h"

#include <string.h>

#include "test-server-http-private.h"

/* ---- backup (flows 2-5) ------------------------------------------------- */

void
test_backup_incremental (Fixture       *f,
                         gconstpointer  data)
{
  g_autofree char *ann = sv_test_adn_hex ("Ann", "13800138000");
  g_autofree char *bob = sv_test_adn_hex ("Bob", "1234");
  g_autofree char *r1 = record_json (3, ann, 0);
  g_autofree char *r2 = record_json (4, bob, 0);
  g_autofree char *records = g_strconcat (r1, ",", r2, NULL);
  g_autofree char *batch = backup_json ("b-1", "incremental", records);
  g_autofree char *other_body = backup_json ("b-1", "incremental", r1);
  g_autofree char *first_body = NULL;
  g_autofree char *start = card_token (f);
  g_autofree char *changes = g_strdup_printf ("/api/v1/cards/" ICCID "/changes?since=%s", start);
  SvTestReply *r;

  r = post (f, "/api/v1/cards/" ICCID "/backup", batch);
  g_assert_cmpuint (r->status, ==, 200);
  g_assert_cmpstr (sv_test_reply_string (r, "batch_id"), ==, "b-1");
  g_assert_cmpstr (sv_test_reply_string (r, "applied.adn"), ==, "3-4");
  g_assert_cmpint (sv_test_reply_int (r, "versions.adn.3"), >, 0);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (sv_test_reply_get (r, "conflicts"))), ==, 0);
  first_body = g_strndup (g_bytes_get_data (body_of (r), NULL), g_bytes_get_size (body_of (r)));
  sv_test_reply_free (r);

  /* The retry with the same id and body: the same answer, nothing twice. */
  r = post (f, "/api/v1/cards/" ICCID "/backup", batch);
  g_assert_cmpuint (r->status, ==, 200);
  g_assert_cmpmem (g_bytes_get_data (r->body, NULL), g_bytes_get_size (r->body), first_body, strlen (first_body));
  sv_test_reply_free (r);
  r = get (f, changes);
  g_assert_cmpuint (r->status, ==, 200);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (sv_test_reply_get (r, "records"))), ==, 2);
  g_assert_cmpstr (sv_test_reply_string (r, "records[0].data"), ==, ann);
  sv_test_reply_free (r);

  /* The same id with another body: 422. */
  r = post (f, "/api/v1/cards/" ICCID "/backup", other_body);
  sv_test_assert_error (r, 422, "batch-id-reused");
  sv_test_reply_free (r);

  /* The raw records of the file, byte-exact. */
  r = get (f, "/api/v1/cards/" ICCID "/records?file=adn");
  g_assert_cmpuint (r->status, ==, 200);
  g_assert_cmpstr (sv_test_reply_string (r, "records[1].data"), ==, bob);
  g_assert_cmpint (sv_test_reply_int (r, "records[1].index"), ==, 4);
  sv_test_reply_free (r);
}

void
test_backup_invalid (Fixture       *f,
                     gconstpointer  data)
{
  g_autofree char *ann = sv_test_adn_hex ("Ann", "1");
  g_autofree char *beyond = record_json (SV_TEST_ADN_RECORDS + 1, ann, 0);
  g_autofree char *good = record_json (1, ann, 0);
  g_autofree char *short_rec = record_json (2, "FFFF", 0);
  g_autofree char *beyond_batch = NULL;
  g_autofree char *short_batch = NULL;
  g_autofree char *unknown_file = backup_json ("b-3", "incremental",
                                               "{\"file\":\"pb9/adn\",\"index\":1,\"data\":\"FF\"}");
  g_autofree char *bad_hex = backup_json ("b-4", "incremental", "{\"file\":\"adn\",\"index\":1,\"data\":\"XYZ1\"}");
  GString *big = g_string_new (NULL);
  g_autofree char *big_batch = NULL;
  g_autofree char *recs = NULL;
  g_autoptr(GBytes) huge = NULL;
  SvTestReply *r;
  struct { const char *body; guint status; const char *code; const char *field; } cases[] = {
    { "{\"batch_id\":\"x\"", 400, "malformed", NULL },
    { "[]", 400, "malformed", NULL },
    { "{\"batch_id\":\"x\",\"mode\":\"incremental\",\"records\":[],\"colour\":1}", 400, "unknown-field", "colour" },
    { "{\"batch_id\":\"x\",\"mode\":\"incremental\",\"records\":{}}", 400, "malformed", "records" },
    { "{\"batch_id\":\"x\",\"mode\":\"sideways\",\"records\":[]}", 400, "invalid", "mode" },
  };

  /* Beyond capacity and a wrong record size: 400 naming the record, and
   * nothing of the batch is stored (the good record neither). */
  recs = g_strconcat (good, ",", beyond, NULL);
  beyond_batch = backup_json ("b-1", "incremental", recs);
  r = post (f, "/api/v1/cards/" ICCID "/backup", beyond_batch);
  sv_test_assert_error (r, 400, "invalid");
  g_assert_cmpstr (sv_test_reply_error_field (r), ==, "records[1].index");
  sv_test_reply_free (r);
  g_free (recs);
  recs = g_strconcat (good, ",", short_rec, NULL);
  short_batch = backup_json ("b-2", "incremental", recs);
  r = post (f, "/api/v1/cards/" ICCID "/backup", short_batch);
  sv_test_assert_error (r, 400, "invalid");
  g_assert_cmpstr (sv_test_reply_error_field (r), ==, "records[1].data");
  sv_test_reply_free (r);
  r = post (f, "/api/v1/cards/" ICCID "/backup", unknown_file);
  sv_test_assert_error (r, 400, "invalid");
  g_assert_cmpstr (sv_test_reply_error_field (r), ==, "records[0].file");
  sv_test_reply_free (r);
  r = post (f, "/api/v1/cards/" ICCID "/backup", bad_hex);
  sv_test_assert_error (r, 400, "invalid");
  g_assert_cmpstr (sv_test_reply_error_field (r), ==, "records[0].data");
  sv_test_reply_free (r);
  r = get (f, "/api/v1/cards/" ICCID "/records");
  g_assert_cmpuint (json_array_get_length (json_node_get_array (sv_test_reply_get (r, "records"))), ==, 0);
  sv_test_reply_free (r);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      r = post (f, "/api/v1/cards/" ICCID "/backup", cases[i].body);
      sv_test_assert_error (r, cases[i].status, cases[i].code);
      g_assert_cmpstr (sv_test_reply_error_field (r), ==, cases[i].field);
      sv_test_reply_free (r);
    }

  /* A batch over 1,000 records, a body over 1 MiB: 413. */
  for (guint i = 0; i < 1001; i++)
    g_string_append_printf (big, "%s{\"file\":\"adn\",\"index\":%u,\"data\":\"FF\"}", i ? "," : "", i + 1);
  big_batch = backup_json ("big", "incremental", big->str);
  g_string_free (big, TRUE);
  r = post (f, "/api/v1/cards/" ICCID "/backup", big_batch);
  sv_test_assert_error (r, 413, "too-large");
  sv_test_reply_free (r);
  {
    char *filler = g_malloc (1024 * 1024 + 16);
    g_autofree char *auth = g_strconcat ("Bearer ", f->token, NULL);
    const char *headers[] = { "Authorization", auth, NULL };

    memset (filler, ' ', 1024 * 1024 + 16);
    huge = g_bytes_new_take (filler, 1024 * 1024 + 16);
    r = sv_test_request_full (f->server, "POST", "/api/v1/cards/" ICCID "/backup", "application/json", huge, headers);
    sv_test_assert_error (r, 413, "too-large");
    sv_test_reply_free (r);
  }

  /* A chunked body (no length up front) over 1 MiB: the server cuts the
   * connection once it passes the limit, and keeps serving. */
  {
    g_autofree char *url = g_strconcat (f->server->base_url, "api/v1/cards/" ICCID "/backup", NULL);
    g_autoptr(SoupMessage) m = soup_message_new ("POST", url);
    char *filler = g_malloc (3 * 1024 * 1024);
    g_autoptr(GInputStream) stream = NULL;
    g_autoptr(GBytes) answer = NULL;
    g_autoptr(GError) send_error = NULL;

    memset (filler, ' ', 3 * 1024 * 1024);
    stream = g_memory_input_stream_new_from_data (filler, 3 * 1024 * 1024, g_free);
    soup_message_set_request_body (m, "application/json", stream, -1);
    answer = soup_session_send_and_read (f->server->session, m, NULL, &send_error);
    g_assert_true (send_error != NULL || soup_message_get_status (m) == 413);
    r = get (f, "/api/v1/");
    g_assert_cmpuint (r->status, ==, 200);
    sv_test_reply_free (r);
  }

  /* Not JSON: 415. */
  {
    g_autoptr(GBytes) text = g_bytes_new_static ("hello", 5);
    g_autofree char *auth = g_strconcat ("Bearer ", f->token, NULL);
    const char *headers[] = { "Authorization", auth, NULL };

    r = sv_test_request_full (f->server, "POST", "/api/v1/cards/" ICCID "/backup", "text/plain", text, headers);
    sv_test_assert_error (r, 415, "unsupported-media-type");
    sv_test_reply_free (r);
  }
}

void
test_backup_conflict (Fixture       *f,
                      gconstpointer  data)
{
  g_autofree char *ann = sv_test_adn_hex ("Ann", "1111");
  g_autofree char *anne = sv_test_adn_hex ("Anne", "2222");
  g_autofree char *annie = sv_test_adn_hex ("Annie", "3333");
  g_autofree char *rec = record_json (7, ann, 0);
  g_autofree char *b1 = backup_json ("c-1", "incremental", rec);
  g_autofree char *rec2 = NULL;
  g_autofree char *b2 = NULL;
  g_autofree char *rec3 = NULL;
  g_autofree char *b3 = NULL;
  g_autofree char *rec4 = NULL;
  g_autofree char *b4 = NULL;
  gint64 v1, v2;
  SvTestReply *r;

  r = post (f, "/api/v1/cards/" ICCID "/backup", b1);
  g_assert_cmpuint (r->status, ==, 200);
  v1 = sv_test_reply_int (r, "versions.adn.7");
  sv_test_reply_free (r);

  /* Another client, based on v1: applied, v2. */
  rec2 = record_json (7, anne, v1);
  b2 = backup_json ("c-2", "incremental", rec2);
  r = post (f, "/api/v1/cards/" ICCID "/backup", b2);
  g_assert_cmpstr (sv_test_reply_string (r, "applied.adn"), ==, "7");
  v2 = sv_test_reply_int (r, "versions.adn.7");
  g_assert_cmpint (v2, >, v1);
  sv_test_reply_free (r);

  /* A client still on v1 with other bytes: a conflict, both sides shown,
   * nothing overwritten. */
  rec3 = record_json (7, annie, v1);
  b3 = backup_json ("c-3", "incremental", rec3);
  r = post (f, "/api/v1/cards/" ICCID "/backup", b3);
  g_assert_cmpuint (r->status, ==, 200);
  g_assert_null (sv_test_reply_string (r, "applied.adn"));
  g_assert_cmpint (sv_test_reply_int (r, "conflicts[0].index"), ==, 7);
  g_assert_cmpstr (sv_test_reply_string (r, "conflicts[0].server.data"), ==, anne);
  g_assert_cmpint (sv_test_reply_int (r, "conflicts[0].server.version"), ==, v2);
  g_assert_cmpstr (sv_test_reply_string (r, "conflicts[0].server.contact.name"), ==, "Anne");
  g_assert_cmpstr (sv_test_reply_string (r, "conflicts[0].client.data"), ==, annie);
  g_assert_cmpstr (sv_test_reply_string (r, "conflicts[0].client.contact.name"), ==, "Annie");
  sv_test_reply_free (r);
  r = get (f, "/api/v1/cards/" ICCID "/records?file=adn");
  g_assert_cmpstr (sv_test_reply_string (r, "records[0].data"), ==, anne);
  sv_test_reply_free (r);

  /* Stale base but the same bytes as the server: already applied. */
  rec4 = record_json (7, anne, v1);
  b4 = backup_json ("c-4", "incremental", rec4);
  r = post (f, "/api/v1/cards/" ICCID "/backup", b4);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (sv_test_reply_get (r, "conflicts"))), ==, 0);
  sv_test_reply_free (r);
}

void
test_backup_full (Fixture       *f,
                  gconstpointer  data)
{
  g_autofree char *a = sv_test_adn_hex ("A", "1");
  g_autofree char *b = sv_test_adn_hex ("B", "2");
  g_autofree char *c = sv_test_adn_hex ("C", "3");
  g_autofree char *ra = record_json (1, a, 0);
  g_autofree char *rb = record_json (2, b, 0);
  g_autofree char *rc = record_json (5, c, 0);
  g_autofree char *recs = g_strconcat (ra, ",", rb, NULL);
  g_autofree char *inc = backup_json ("f-1", "incremental", recs);
  g_autofree char *full = backup_json ("f-2", "full", rc);
  g_autofree char *token = NULL;
  g_autofree char *path = NULL;
  SvTestReply *r;

  r = post (f, "/api/v1/cards/" ICCID "/backup", inc);
  g_assert_cmpuint (r->status, ==, 200);
  token = g_strdup (sv_test_reply_string (r, "token"));
  sv_test_reply_free (r);

  /* Full: the file is cleared, then only record 5 stored. */
  r = post (f, "/api/v1/cards/" ICCID "/backup", full);
  g_assert_cmpuint (r->status, ==, 200);
  g_assert_nonnull (strstr (sv_test_reply_string (r, "applied.adn"), "5"));
  sv_test_reply_free (r);
  r = get (f, "/api/v1/cards/" ICCID "/records?file=adn");
  g_assert_cmpuint (json_array_get_length (json_node_get_array (sv_test_reply_get (r, "records"))), ==, 1);
  g_assert_cmpint (sv_test_reply_int (r, "records[0].index"), ==, 5);
  g_assert_cmpstr (sv_test_reply_string (r, "records[0].data"), ==, c);
  sv_test_reply_free (r);

  /* The changes since the incremental show records 1 and 2 cleared (FF). */
  path = g_strdup_printf ("/api/v1/cards/" ICCID "/changes?since=%s", token);
  r = get (f, path);
  g_assert_cmpuint (r->status, ==, 200);
  {
    JsonArray *records = json_node_get_array (sv_test_reply_get (r, "records"));
    guint cleared = 0;

    for (guint i = 0; i < json_array_get_length (records); i++)
      {
        JsonObject *o = json_array_get_object_element (records, i);
        const char *hex = json_object_get_string_member (o, "data");

        if (strspn (hex, "F") == strlen (hex))
          cleared++;
      }
    g_assert_cmpuint (cleared, ==, 2);
  }
  sv_test_reply_free (r);
}

/* ---- SMS ring (flow 6) -------------------------------------------------- */

char *
messages_json (const char *batch_id,
               guint       first,
               guint       n)
{
  GString *s = g_string_new (NULL);

  g_string_append_printf (s, "{\"batch_id\":\"%s\",\"messages\":[", batch_id);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *hex = sv_test_sms_hex (first + i);

      g_string_append_printf (s, "%s{\"record\":\"%s\",\"stored_at\":\"2026-12-07T03:1%u:00Z\"}",
                              i ? "," : "", hex, i % 10);
    }
  g_string_append (s, "]}");
  return g_string_free (s, FALSE);
}

void
test_sms_ring (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *seven = messages_json ("m-1", 1, 7);
  g_autofree char *dup = messages_json ("m-2", 7, 1);
  g_autofree char *oldest = sv_test_sms_hex (3);
  g_autofree char *del = NULL;
  gint64 id;
  SvTestReply *r;

  r = post (f, "/api/v1/cards/" ICCID "/messages", seven);
  g_assert_cmpuint (r->status, ==, 200);
  g_assert_cmpint (sv_test_reply_int (r, "stored"), ==, 7);
  g_assert_cmpint (sv_test_reply_int (r, "dropped"), ==, 2);
  g_assert_cmpint (sv_test_reply_int (r, "count"), ==, SV_TEST_SMS_CAPACITY);
  sv_test_reply_free (r);

  /* The retry applies nothing twice. */
  r = post (f, "/api/v1/cards/" ICCID "/messages", seven);
  g_assert_cmpuint (r->status, ==, 200);
  g_assert_cmpint (sv_test_reply_int (r, "count"), ==, SV_TEST_SMS_CAPACITY);
  sv_test_reply_free (r);

  /* A message already in the ring is not stored twice. */
  r = post (f, "/api/v1/cards/" ICCID "/messages", dup);
  g_assert_cmpint (sv_test_reply_int (r, "duplicates"), ==, 1);
  g_assert_cmpint (sv_test_reply_int (r, "stored"), ==, 0);
  sv_test_reply_free (r);

  /* The oldest two were dropped: the ring starts at message 3. */
  r = get (f, "/api/v1/cards/" ICCID "/messages");
  g_assert_cmpuint (r->status, ==, 200);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (sv_test_reply_get (r, "messages"))), ==,
                    SV_TEST_SMS_CAPACITY);
  g_assert_cmpstr (sv_test_reply_string (r, "messages[0].records[0]"), ==, oldest);
  id = sv_test_reply_int (r, "messages[0].id");
  sv_test_reply_free (r);

  del = g_strdup_printf ("/api/v1/cards/" ICCID "/messages/%" G_GINT64_FORMAT, id);
  r = sv_test_request (f->server, "DELETE", del, f->token, NULL);
  g_assert_cmpuint (r->status, ==, 200);
  sv_test_reply_free (r);
  r = sv_test_request (f->server, "DELETE", del, f->token, NULL);
  sv_test_assert_error (r, 404, "not-found");
  sv_test_reply_free (r);

  /* A record that is not 176 bytes. */
  r = post (f, "/api/v1/cards/" ICCID "/messages", "{\"batch_id\":\"m-3\",\"messages\":[{\"record\":\"01FF\"}]}");
  sv_test_assert_error (r, 400, "invalid");
  g_assert_cmpstr (sv_test_reply_error_field (r), ==, "messages[0].record");
  sv_test_reply_free (r);
}

/* ---- changes since a token (flow 8) ------------------------------------- */

void
test_changes (Fixture       *f,
              gconstpointer  data)
{
  g_autofree char *start = card_token (f);
  g_autofree char *token = g_strdup (start);
  GString *recs = g_string_new (NULL);
  g_autofree char *batch = NULL;
  guint seen = 0, pages = 0;
  gboolean more = TRUE;
  SvTestReply *r;

  for (guint i = 1; i <= 3; i++)
    {
      g_autofree char *hex = sv_test_adn_hex ("N", "1");
      g_autofree char *rec = record_json (i, hex, 0);

      g_string_append_printf (recs, "%s%s", i > 1 ? "," : "", rec);
    }
  batch = backup_json ("ch-1", "incremental", recs->str);
  g_string_free (recs, TRUE);
  r = post (f, "/api/v1/cards/" ICCID "/backup", batch);
  g_assert_cmpuint (r->status, ==, 200);
  sv_test_reply_free (r);
  for (guint i = 4; i <= 5; i++)
    {
      g_autofree char *hex = sv_test_adn_hex ("M", "2");
      g_autofree char *rec = record_json (i, hex, 0);
      g_autofree char *id = g_strdup_printf ("ch-%u", i);
      g_autofree char *b = backup_json (id, "incremental", rec);

      r = post (f, "/api/v1/cards/" ICCID "/backup", b);
      g_assert_cmpuint (r->status, ==, 200);
      sv_test_reply_free (r);
    }

  /* Paged with limit=1: every record exactly once, then more=false. */
  while (more)
    {
      g_autofree char *path = g_strdup_printf ("/api/v1/cards/" ICCID "/changes?since=%s&limit=1", token);

      r = get (f, path);
      g_assert_cmpuint (r->status, ==, 200);
      seen += json_array_get_length (json_node_get_array (sv_test_reply_get (r, "records")));
      more = sv_test_reply_int (r, "more");
      g_free (token);
      token = g_strdup (sv_test_reply_string (r, "token"));
      sv_test_reply_free (r);
      g_assert_cmpuint (++pages, <, 10);
    }
  g_assert_cmpuint (seen, ==, 5);
  g_assert_cmpuint (pages, >=, 3);

  /* Nothing after the newest token. */
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/cards/" ICCID "/changes?since=%s", token);

    r = get (f, path);
    g_assert_cmpuint (json_array_get_length (json_node_get_array (sv_test_reply_get (r, "records"))), ==, 0);
    sv_test_reply_free (r);
  }

  /* Unknown epoch, garbage, a modseq from the future: 410. Missing: 400. */
  r = get (f, "/api/v1/cards/" ICCID "/changes?since=999-0");
  sv_test_assert_error (r, 410, "full-resync-required");
  sv_test_reply_free (r);
  r = get (f, "/api/v1/cards/" ICCID "/changes?since=banana");
  sv_test_assert_error (r, 410, "full-resync-required");
  sv_test_reply_free (r);
  r = get (f, "/api/v1/cards/" ICCID "/changes?since=1-999999");
  sv_test_assert_error (r, 410, "full-resync-required");
  sv_test_reply_free (r);
  r = get (f, "/api/v1/cards/" ICCID "/changes");
  sv_test_assert_error (r, 400, "invalid");
  sv_test_reply_free (r);
  r = get (f, "/api/v1/cards/" ICCID "/changes?since=0-0&limit=0");
  sv_test_assert_error (r, 400, "invalid");
  sv_test_reply_free (r);
}

/* Housekeeping purges tombstones older than the retention (30 days by
 * default) at start and hourly: a token from before the purge floor then
 * answers 410, a token after it still works, and a full restore still
 * delivers everything that is there. */
void
test_purge_tombstones (Fixture       *f,
                       gconstpointer  data)
{
  g_autofree char *before = card_token (f);
  g_autofree char *after = NULL;
  g_autofree char *dir = g_strdup (f->server->data_dir);
  g_autofree char *empty = NULL;
  g_autofree char *path = NULL;
  GString *recs = g_string_new (NULL);
  g_autofree char *batch = NULL;
  gint64 version2 = 0;
  guint records = 0;
  SvTestReply *r;

  for (guint i = 1; i <= 3; i++)
    {
      g_autofree char *hex = sv_test_adn_hex ("P", "3");
      g_autofree char *rec = record_json (i, hex, 0);

      if (empty == NULL)
        empty = g_strnfill (strlen (hex), 'F');
      g_string_append_printf (recs, "%s%s", i > 1 ? "," : "", rec);
    }
  batch = backup_json ("pg-1", "incremental", recs->str);
  g_string_free (recs, TRUE);
  r = post (f, "/api/v1/cards/" ICCID "/backup", batch);
  g_assert_cmpuint (r->status, ==, 200);
  sv_test_reply_free (r);
  g_free (before);
  before = card_token (f);

  /* Record 2 cleared: a tombstone. */
  {
    g_autofree char *rec = NULL;
    g_autofree char *b = NULL;
    g_autofree char *list = NULL;

    r = get (f, "/api/v1/cards/" ICCID "/records?file=adn");
    g_assert_cmpuint (r->status, ==, 200);
    {
      JsonArray *a = json_node_get_array (sv_test_reply_get (r, "records"));

      for (guint i = 0; i < json_array_get_length (a); i++)
        {
          JsonObject *o = json_array_get_object_element (a, i);

          if (json_object_get_int_member (o, "index") == 2)
            version2 = json_object_get_int_member (o, "version");
        }
    }
    sv_test_reply_free (r);
    rec = record_json (2, empty, version2);
    b = backup_json ("pg-2", "incremental", rec);
    r = post (f, "/api/v1/cards/" ICCID "/backup", b);
    g_assert_cmpuint (r->status, ==, 200);
    sv_test_reply_free (r);
  }
  after = card_token (f);
  path = g_strdup_printf ("/api/v1/cards/" ICCID "/changes?since=%s", before);
  r = get (f, path);
  g_assert_cmpuint (r->status, ==, 200);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (sv_test_reply_get (r, "records"))), ==, 1);
  sv_test_reply_free (r);

  /* 29 days later: within the retention, nothing purged at start. */
  f->server->own_dir = FALSE;
  sv_test_server_set_clock (f->server, 29 * 24 * 3600);
  sv_test_server_free (f->server);
  f->server = sv_test_server_start (dir, NULL);
  g_free (f->token);
  f->token = sv_test_login (f->server, PHONE, SV_TEST_PASSWORD);
  r = get (f, path);
  g_assert_cmpuint (r->status, ==, 200);
  sv_test_reply_free (r);

  /* 31 days later: the start's housekeeping purged the tombstone. */
  f->server->own_dir = FALSE;
  sv_test_server_set_clock (f->server, 31 * 24 * 3600);
  sv_test_server_free (f->server);
  f->server = sv_test_server_start (dir, NULL);
  f->server->own_dir = TRUE;
  g_free (f->token);
  f->token = sv_test_login (f->server, PHONE, SV_TEST_PASSWORD);
  r = get (f, path);
  sv_test_assert_error (r, 410, "full-resync-required");
  sv_test_reply_free (r);
  {
    g_autofree char *later = g_strdup_printf ("/api/v1/cards/" ICCID "/changes?since=%s", after);

    r = get (f, later);
    g_assert_cmpuint (r->status, ==, 200);
    g_assert_cmpuint (json_array_get_length (json_node_get_array (sv_test_reply_get (r, "records"))), ==, 0);
    sv_test_reply_free (r);
  }

  /* A fresh full restore: records 1 and 3. */
  {
    g_autofree char *id = NULL;
    gint64 n_groups;

    r = post (f, "/api/v1/cards/" ICCID "/restores", "{\"kind\":\"full\",\"group_size\":10}");
    g_assert_cmpuint (r->status, ==, 201);
    id = g_strdup (sv_test_reply_string (r, "id"));
    n_groups = sv_test_reply_int (r, "groups");
    g_assert_cmpint (sv_test_reply_int (r, "records"), ==, 2);
    sv_test_reply_free (r);
    for (gint64 n = 0; n < n_groups; n++)
      {
        g_autofree char *group = g_strdup_printf ("/api/v1/restores/%s/groups/%" G_GINT64_FORMAT, id, n);
        g_autofree char *ack = g_strdup_printf ("/api/v1/restores/%s/ack", id);
        g_autofree char *body = g_strdup_printf ("{\"group\":%" G_GINT64_FORMAT "}", n);

        r = get (f, group);
        g_assert_cmpuint (r->status, ==, 200);
        records += json_array_get_length (json_node_get_array (sv_test_reply_get (r, "records")));
        sv_test_reply_free (r);
        r = post (f, ack, body);
        g_assert_cmpuint (r->status, ==, 200);
        sv_test_reply_free (r);
      }
    g_assert_cmpuint (records, ==, 2);
  }
}

/* last_backup: null until a batch is applied, then the server's time of
 * the last applied batch (records or messages) as RFC 3339, in the card
 * and in the list; a retried batch (a replay) does not move it. */
static gint64
last_backup_of (Fixture *f,
                gboolean from_list)
{
  g_autoptr(SvTestReply) r = get (f, from_list ? "/api/v1/cards" : "/api/v1/cards/" ICCID);
  JsonObject *card;
  const char *text;
  g_autoptr(GDateTime) time = NULL;

  g_assert_cmpuint (r->status, ==, 200);
  if (from_list)
    card = json_array_get_object_element (json_node_get_array (sv_test_reply_get (r, "cards")), 0);
  else
    card = json_node_get_object (r->json);
  g_assert_true (json_object_has_member (card, "last_backup"));
  if (json_object_get_null_member (card, "last_backup"))
    return 0;
  text = json_object_get_string_member (card, "last_backup");
  g_assert_true (g_str_has_suffix (text, "Z"));
  time = g_date_time_new_from_iso8601 (text, NULL);
  g_assert_nonnull (time);
  return g_date_time_to_unix (time);
}

void
test_last_backup (Fixture       *f,
                  gconstpointer  data)
{
  g_autofree char *hex = sv_test_adn_hex ("L", "5");
  g_autofree char *rec = record_json (1, hex, 0);
  g_autofree char *batch = backup_json ("lb-1", "incremental", rec);
  g_autofree char *sms = messages_json ("lb-2", 1, 1);
  gint64 start = g_get_real_time () / G_USEC_PER_SEC;
  gint64 first;
  SvTestReply *r;

  g_assert_cmpint (last_backup_of (f, FALSE), ==, 0);
  g_assert_cmpint (last_backup_of (f, TRUE), ==, 0);

  sv_test_server_set_clock (f->server, 1000);
  r = post (f, "/api/v1/cards/" ICCID "/backup", batch);
  g_assert_cmpuint (r->status, ==, 200);
  sv_test_reply_free (r);
  first = last_backup_of (f, FALSE);
  g_assert_cmpint (first, >=, start + 1000);
  g_assert_cmpint (first, <=, g_get_real_time () / G_USEC_PER_SEC + 1000);
  g_assert_cmpint (last_backup_of (f, TRUE), ==, first);

  /* The same batch again, later: a replay, last_backup stays. */
  sv_test_server_set_clock (f->server, 2000);
  r = post (f, "/api/v1/cards/" ICCID "/backup", batch);
  g_assert_cmpuint (r->status, ==, 200);
  sv_test_reply_free (r);
  g_assert_cmpint (last_backup_of (f, FALSE), ==, first);

  /* An SMS backup batch is a backup too. */
  r = post (f, "/api/v1/cards/" ICCID "/messages", sms);
  g_assert_cmpuint (r->status, ==, 200);
  sv_test_reply_free (r);
  g_assert_cmpint (last_backup_of (f, FALSE), >=, start + 2000);
}

/* Two requests with the same batch id at the same moment (a client that
 * retried while its first attempt was still running): the store
 * serialises them, the second sees the first's stored answer. Both are
 * answered 200 with the same bytes, and the batch is applied once (the
 * card's modseq moves by one). PROTOCOL.md, "Backup". */
typedef struct
{
  guint   status;
  GBytes *body;
} ConcurrentReply;

static void
concurrent_sent_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  ConcurrentReply *reply = user_data;
  SoupMessage *message = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  g_autoptr(GError) error = NULL;

  reply->body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  g_assert_no_error (error);
  reply->status = soup_message_get_status (message);
}

static gint64
token_modseq (const char *token)
{
  const char *dash = strchr (token, '-');

  g_assert_nonnull (dash);
  return g_ascii_strtoll (dash + 1, NULL, 10);
}

void
test_concurrent_batch (Fixture       *f,
                       gconstpointer  data)
{
  g_autofree char *url = g_strconcat (f->server->base_url, "api/v1/cards/" ICCID "/backup", NULL);
  g_autofree char *authorization = g_strconcat ("Bearer ", f->token, NULL);
  /* one connection each: the two requests are in flight together */
  g_autoptr(SoupSession) one = soup_session_new ();
  g_autoptr(SoupSession) two = soup_session_new ();
  gint64 versions[SV_TEST_ADN_RECORDS + 1] = { 0 };

  for (guint round = 0; round < 6; round++)
    {
      g_autofree char *before = card_token (f);
      g_autofree char *after = NULL;
      g_autofree char *id = g_strdup_printf ("cc-%u", round);
      g_autofree char *batch = NULL;
      g_autoptr(GBytes) body = NULL;
      GString *recs = g_string_new (NULL);
      ConcurrentReply replies[2] = { { 0 } };
      SoupSession *sessions[2] = { one, two };
      SvTestReply *r;

      for (guint i = 1; i <= SV_TEST_ADN_RECORDS; i++)
        {
          g_autofree char *name = g_strdup_printf ("C%u-%u", round, i);
          g_autofree char *hex = sv_test_adn_hex (name, "5");
          g_autofree char *rec = record_json (i, hex, versions[i]);

          g_string_append_printf (recs, "%s%s", i > 1 ? "," : "", rec);
        }
      batch = backup_json (id, "incremental", recs->str);
      g_string_free (recs, TRUE);
      body = g_bytes_new (batch, strlen (batch));

      for (guint k = 0; k < 2; k++)
        {
          g_autoptr(SoupMessage) message = soup_message_new ("POST", url);

          soup_message_headers_append (soup_message_get_request_headers (message), "Authorization", authorization);
          soup_message_set_request_body_from_bytes (message, "application/json", body);
          soup_session_send_and_read_async (sessions[k], message, G_PRIORITY_DEFAULT, NULL,
                                            concurrent_sent_cb, &replies[k]);
        }
      while (replies[0].body == NULL || replies[1].body == NULL)
        g_main_context_iteration (NULL, TRUE);

      g_assert_cmpuint (replies[0].status, ==, 200);
      g_assert_cmpuint (replies[1].status, ==, 200);
      g_assert_true (g_bytes_equal (replies[0].body, replies[1].body));
      g_bytes_unref (replies[0].body);
      g_bytes_unref (replies[1].body);

      after = card_token (f);
      g_assert_cmpint (token_modseq (after), ==, token_modseq (before) + 1);
      r = get (f, "/api/v1/cards/" ICCID "/records?file=adn");
      g_assert_cmpuint (r->status, ==, 200);
      {
        JsonArray *a = json_node_get_array (sv_test_reply_get (r, "records"));

        g_assert_cmpuint (json_array_get_length (a), ==, SV_TEST_ADN_RECORDS);
        for (guint i = 0; i < json_array_get_length (a); i++)
          {
            JsonObject *o = json_array_get_object_element (a, i);
            gint64 index = json_object_get_int_member (o, "index");

            g_assert_cmpint (json_object_get_int_member (o, "version"), ==, token_modseq (after));
            versions[index] = json_object_get_int_member (o, "version");
          }
      }
      sv_test_reply_free (r);
    }
}

