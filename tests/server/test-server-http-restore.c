/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * test-server-http: restores (flows 8-11), the portal's edits (flow 7)
 * and deregistration (flow 12).
 */
#include "config.h"

#include <string.h>

#include "test-server-http-private.h"

/* ---- restore (flows 8-11) ----------------------------------------------- */

void
test_restore (Fixture       *f,
              gconstpointer  data)
{
  GString *recs = g_string_new (NULL);
  g_autofree char *batch = NULL;
  g_autofree char *sms = messages_json ("rs-m", 1, 3);
  g_autofree char *id = NULL;
  g_autofree char *path = NULL;
  g_autofree char *ack = NULL;
  g_autofree char *token = NULL;
  guint n_groups, records = 0, messages = 0;
  SvTestReply *r;

  for (guint i = 1; i <= 5; i++)
    {
      g_autofree char *hex = sv_test_adn_hex ("R", "9");
      g_autofree char *rec = record_json (i, hex, 0);

      g_string_append_printf (recs, "%s%s", i > 1 ? "," : "", rec);
    }
  batch = backup_json ("rs-1", "incremental", recs->str);
  g_string_free (recs, TRUE);
  r = post (f, "/api/v1/cards/" ICCID "/backup", batch);
  token = g_strdup (sv_test_reply_string (r, "token"));
  sv_test_reply_free (r);
  r = post (f, "/api/v1/cards/" ICCID "/messages", sms);
  g_assert_cmpuint (r->status, ==, 200);
  sv_test_reply_free (r);

  /* Full restore of 5 records and 3 messages in groups of 2. */
  r = post (f, "/api/v1/cards/" ICCID "/restores", "{\"kind\":\"full\",\"sms\":true,\"group_size\":2}");
  g_assert_cmpuint (r->status, ==, 201);
  id = g_strdup (sv_test_reply_string (r, "id"));
  n_groups = sv_test_reply_int (r, "groups");
  g_assert_cmpint (sv_test_reply_int (r, "records"), ==, 5);
  g_assert_cmpint (sv_test_reply_int (r, "messages"), ==, 3);
  g_assert_cmpuint (n_groups, ==, 4);
  sv_test_reply_free (r);

  for (guint n = 0; n < n_groups; n++)
    {
      g_free (path);
      path = g_strdup_printf ("/api/v1/restores/%s/groups/%u", id, n);
      r = get (f, path);
      g_assert_cmpuint (r->status, ==, 200);
      g_assert_cmpint (sv_test_reply_int (r, "group"), ==, n);
      if (n == 0)
        g_assert_nonnull (sv_test_reply_get (r, "clear"));
      records += json_array_get_length (json_node_get_array (sv_test_reply_get (r, "records")));
      messages += json_array_get_length (json_node_get_array (sv_test_reply_get (r, "messages")));
      sv_test_reply_free (r);

      /* Flow 11: a later group before this one is acknowledged answers
       * this one again. */
      if (n + 1 < n_groups)
        {
          g_autofree char *later = g_strdup_printf ("/api/v1/restores/%s/groups/%u", id, n + 1);

          r = get (f, later);
          g_assert_cmpuint (r->status, ==, 200);
          g_assert_cmpint (sv_test_reply_int (r, "group"), ==, n);
          sv_test_reply_free (r);
        }

      g_free (ack);
      ack = g_strdup_printf ("{\"group\":%u}", n);
      g_free (path);
      path = g_strdup_printf ("/api/v1/restores/%s/ack", id);
      r = post (f, path, ack);
      g_assert_cmpuint (r->status, ==, 200);
      g_assert_cmpint (sv_test_reply_int (r, "done"), ==, n + 1 == n_groups);
      if (n + 1 == n_groups)
        g_assert_nonnull (sv_test_reply_string (r, "token"));
      sv_test_reply_free (r);
    }
  g_assert_cmpuint (records, ==, 5);
  g_assert_cmpuint (messages, ==, 3);

  /* Incremental: only what changed since the token. */
  {
    g_autofree char *hex = sv_test_adn_hex ("Z", "7");
    g_autofree char *rec = record_json (9, hex, 0);
    g_autofree char *b = backup_json ("rs-2", "incremental", rec);
    g_autofree char *req = g_strdup_printf ("{\"kind\":\"incremental\",\"since\":\"%s\"}", token);
    g_autofree char *id2 = NULL;
    g_autofree char *g0 = NULL;

    r = post (f, "/api/v1/cards/" ICCID "/backup", b);
    sv_test_reply_free (r);
    r = post (f, "/api/v1/cards/" ICCID "/restores", req);
    g_assert_cmpuint (r->status, ==, 201);
    g_assert_cmpint (sv_test_reply_int (r, "records"), ==, 1);
    id2 = g_strdup (sv_test_reply_string (r, "id"));
    sv_test_reply_free (r);
    g0 = g_strdup_printf ("/api/v1/restores/%s/groups/0", id2);
    r = get (f, g0);
    g_assert_cmpint (sv_test_reply_int (r, "records[0].index"), ==, 9);
    g_assert_cmpstr (sv_test_reply_string (r, "records[0].data"), ==, hex);
    g_assert_null (sv_test_reply_get (r, "clear"));
    sv_test_reply_free (r);

    r = post (f, "/api/v1/cards/" ICCID "/restores", "{\"kind\":\"incremental\",\"since\":\"77-1\"}");
    sv_test_assert_error (r, 410, "full-resync-required");
    sv_test_reply_free (r);
  }
}

/* ---- portal edits (flow 7) ---------------------------------------------- */

void
test_contacts (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *ann = sv_test_adn_hex ("Ann", "1234");
  g_autofree char *rec = record_json (1, ann, 0);
  g_autofree char *batch = backup_json ("p-1", "incremental", rec);
  g_autofree char *before = NULL;
  g_autofree char *token = NULL;
  g_autofree char *changes = NULL;
  SvTestReply *r;

  r = post (f, "/api/v1/cards/" ICCID "/backup", batch);
  token = g_strdup (sv_test_reply_string (r, "token"));
  sv_test_reply_free (r);

  r = get (f, "/api/v1/cards/" ICCID "/contacts");
  g_assert_cmpuint (r->status, ==, 200);
  g_assert_cmpstr (sv_test_reply_string (r, "contacts[0].name"), ==, "Ann");
  g_assert_cmpint (sv_test_reply_int (r, "contacts[0].index"), ==, 1);
  g_assert_cmpint (sv_test_reply_int (r, "sets[0].alpha_len"), ==, 16);
  before = g_strndup (g_bytes_get_data (r->body, NULL), g_bytes_get_size (r->body));
  sv_test_reply_free (r);

  /* A name too long for 16 bytes of alpha: 422 with field and a message
   * that says by how much; nothing stored. */
  r = sv_test_request (f->server, "PUT", "/api/v1/cards/" ICCID "/contacts/0/1", f->token,
                       "{\"name\":\"Annabelle Smith-Jones of Somewhere\",\"number\":\"1234\"}");
  sv_test_assert_error (r, 422, "does-not-fit");
  g_assert_cmpstr (sv_test_reply_error_field (r), ==, "name");
  g_test_message ("does-not-fit: %s", sv_test_reply_string (r, "error.message"));
  g_assert_nonnull (strstr (sv_test_reply_string (r, "error.message"), "too long"));
  sv_test_reply_free (r);
  r = get (f, "/api/v1/cards/" ICCID "/contacts");
  g_assert_cmpmem (g_bytes_get_data (r->body, NULL), g_bytes_get_size (r->body), before, strlen (before));
  sv_test_reply_free (r);

  /* An edit that fits: stored, and the next changes deliver it. */
  r = sv_test_request (f->server, "PUT", "/api/v1/cards/" ICCID "/contacts/0/1", f->token,
                       "{\"name\":\"Anne\",\"number\":\"+8613800138000\"}");
  g_assert_cmpuint (r->status, ==, 200);
  g_assert_cmpstr (sv_test_reply_string (r, "contact.name"), ==, "Anne");
  g_assert_cmpint (sv_test_reply_int (r, "changed_records"), >=, 1);
  sv_test_reply_free (r);
  changes = g_strdup_printf ("/api/v1/cards/" ICCID "/changes?since=%s", token);
  r = get (f, changes);
  g_assert_cmpint (sv_test_reply_int (r, "records[0].index"), ==, 1);
  g_assert_cmpstr (sv_test_reply_string (r, "records[0].file"), ==, "adn");
  sv_test_reply_free (r);

  /* Add: the first free index. Undecodable edit: 400 naming the field. */
  r = post (f, "/api/v1/cards/" ICCID "/contacts", "{\"name\":\"Bob\",\"number\":\"5678\"}");
  g_assert_cmpuint (r->status, ==, 201);
  g_assert_cmpint (sv_test_reply_int (r, "contact.index"), ==, 2);
  sv_test_reply_free (r);
  r = post (f, "/api/v1/cards/" ICCID "/contacts", "{\"name\":\"Bob\",\"emails\":[7]}");
  sv_test_assert_error (r, 400, "malformed");
  g_assert_cmpstr (sv_test_reply_error_field (r), ==, "emails[0]");
  sv_test_reply_free (r);
  r = sv_test_request (f->server, "PUT", "/api/v1/cards/" ICCID "/contacts/0/99", f->token, "{\"name\":\"X\"}");
  g_assert_cmpuint (r->status, ==, 404);
  sv_test_reply_free (r);

  /* Delete, then the freed record is edited and added into again (the
   * cleared record's version is the base of the next edit). */
  r = sv_test_request (f->server, "DELETE", "/api/v1/cards/" ICCID "/contacts/0/2", f->token, NULL);
  g_assert_cmpuint (r->status, ==, 200);
  sv_test_reply_free (r);
  r = sv_test_request (f->server, "PUT", "/api/v1/cards/" ICCID "/contacts/0/2", f->token,
                       "{\"name\":\"Carol\",\"number\":\"123\"}");
  g_assert_cmpuint (r->status, ==, 200);
  sv_test_reply_free (r);
  r = sv_test_request (f->server, "DELETE", "/api/v1/cards/" ICCID "/contacts/0/2", f->token, NULL);
  g_assert_cmpuint (r->status, ==, 200);
  sv_test_reply_free (r);
  r = post (f, "/api/v1/cards/" ICCID "/contacts", "{\"name\":\"Dave\",\"number\":\"456\"}");
  g_assert_cmpuint (r->status, ==, 201);
  g_assert_cmpint (sv_test_reply_int (r, "contact.index"), ==, 2);
  sv_test_reply_free (r);
  r = sv_test_request (f->server, "DELETE", "/api/v1/cards/" ICCID "/contacts/0/2", f->token, NULL);
  g_assert_cmpuint (r->status, ==, 200);
  sv_test_reply_free (r);
  r = get (f, "/api/v1/cards/" ICCID "/contacts.vcf");
  g_assert_cmpuint (r->status, ==, 200);
  g_assert_cmpstr (soup_message_headers_get_content_type (r->headers, NULL), ==, "text/vcard");
  g_assert_nonnull (g_strstr_len (g_bytes_get_data (r->body, NULL), g_bytes_get_size (r->body), "FN:Anne"));
  g_assert_null (g_strstr_len (g_bytes_get_data (r->body, NULL), g_bytes_get_size (r->body), "Bob"));
  sv_test_reply_free (r);
  r = get (f, "/api/v1/cards/" ICCID "/contacts.csv");
  g_assert_cmpuint (r->status, ==, 200);
  g_assert_cmpstr (soup_message_headers_get_content_type (r->headers, NULL), ==, "text/csv");
  sv_test_reply_free (r);
}

/* ---- deregistration (flow 12) ------------------------------------------- */

void
test_deregister (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *ann = sv_test_adn_hex ("Ann", "1234");
  g_autofree char *rec = record_json (1, ann, 0);
  g_autofree char *batch = backup_json ("d-1", "incremental", rec);
  g_autofree char *sms = messages_json ("d-m", 1, 2);
  g_autofree char *restore_id = NULL;
  g_autofree char *group_path = NULL;
  SvTestReply *r;
  const char *gone[] = {
    "/api/v1/cards/" ICCID,
    "/api/v1/cards/" ICCID "/changes?since=0-0",
    "/api/v1/cards/" ICCID "/records",
    "/api/v1/cards/" ICCID "/messages",
    "/api/v1/cards/" ICCID "/contacts",
    "/api/v1/cards/" ICCID "/contacts.vcf",
    "/api/v1/cards/" ICCID "/contacts.csv",
  };

  r = post (f, "/api/v1/cards/" ICCID "/backup", batch);
  sv_test_reply_free (r);
  r = post (f, "/api/v1/cards/" ICCID "/messages", sms);
  sv_test_reply_free (r);
  r = post (f, "/api/v1/cards/" ICCID "/restores", "{\"kind\":\"full\",\"sms\":true}");
  restore_id = g_strdup (sv_test_reply_string (r, "id"));
  sv_test_reply_free (r);

  r = sv_test_request (f->server, "DELETE", "/api/v1/cards/" ICCID, f->token, "{\"confirm\":\"wrong\"}");
  sv_test_assert_error (r, 400, "invalid");
  g_assert_cmpstr (sv_test_reply_error_field (r), ==, "confirm");
  sv_test_reply_free (r);
  r = sv_test_request (f->server, "DELETE", "/api/v1/cards/" ICCID, f->token, "{\"confirm\":\"" ICCID "\"}");
  g_assert_cmpuint (r->status, ==, 200);
  sv_test_reply_free (r);

  /* Afterwards no endpoint answers anything of that card. */
  for (guint i = 0; i < G_N_ELEMENTS (gone); i++)
    {
      r = get (f, gone[i]);
      sv_test_assert_error (r, 404, "not-found");
      g_assert_null (g_strstr_len (g_bytes_get_data (r->body, NULL), g_bytes_get_size (r->body), ann));
      sv_test_reply_free (r);
    }
  group_path = g_strdup_printf ("/api/v1/restores/%s/groups/0", restore_id);
  r = get (f, group_path);
  sv_test_assert_error (r, 404, "not-found");
  sv_test_reply_free (r);
  r = post (f, "/api/v1/cards/" ICCID "/backup", batch);
  sv_test_assert_error (r, 404, "not-found");
  sv_test_reply_free (r);
  r = get (f, "/api/v1/cards");
  g_assert_cmpuint (json_array_get_length (json_node_get_array (sv_test_reply_get (r, "cards"))), ==, 0);
  sv_test_reply_free (r);
}

