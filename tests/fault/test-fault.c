/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "sv-test-server.h"

/*
 * Suite 'fault': SIGKILL simvault-server while a batch of 1,000 records is
 * on its way or being applied. After a restart on the same data the batch
 * is wholly applied or wholly absent, never half; a retry with the same
 * batch id then completes it, and a second retry applies nothing twice.
 */

#define PHONE "+8613800138000"
#define ICCID "89860123456789012345"
#define N_FILES 4
#define N_PER_FILE 250

static char *
register_json (void)
{
  GString *s = g_string_new ("{\"phone\":\"" PHONE "\",\"password\":\"" SV_TEST_PASSWORD "\",\"card\":{"
                             "\"iccid\":\"" ICCID "\",\"card_type\":\"usim\",\"files\":[");

  for (guint i = 1; i <= N_FILES; i++)
    g_string_append_printf (s, "%s{\"key\":\"pb%u/adn\",\"path\":\"3F007F105F3A4F%02X\",\"structure\":\"linear-fixed\","
                            "\"record_len\":30,\"n_records\":%u}", i > 1 ? "," : "", i, 0x30 + i, N_PER_FILE);
  g_string_append (s, "]}}");
  return g_string_free (s, FALSE);
}

static char *
record_hex (guint round,
            guint file,
            guint index)
{
  g_autofree char *name = g_strdup_printf ("R%uF%uI%u", round, file, index);

  return sv_test_adn_hex (name, "13800138000");
}

static char *
batch_json (guint round)
{
  GString *s = g_string_new (NULL);

  /* Full mode: each round replaces the previous round's records whatever
   * their versions. */
  g_string_append_printf (s, "{\"batch_id\":\"fault-%u\",\"mode\":\"full\","
                          "\"files\":[\"pb1/adn\",\"pb2/adn\",\"pb3/adn\",\"pb4/adn\"],\"records\":[", round);
  for (guint f = 1; f <= N_FILES; f++)
    for (guint i = 1; i <= N_PER_FILE; i++)
      {
        g_autofree char *hex = record_hex (round, f, i);

        g_string_append_printf (s, "%s{\"file\":\"pb%u/adn\",\"index\":%u,\"data\":\"%s\"}",
                                f == 1 && i == 1 ? "" : ",", f, i, hex);
      }
  g_string_append (s, "]}");
  return g_string_free (s, FALSE);
}

typedef struct
{
  char       *url;
  char       *token;
  char       *body;
  guint       status;
} Send;

static gpointer
send_thread (gpointer data)
{
  Send *send = data;
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autoptr(SoupMessage) message = soup_message_new ("POST", send->url);
  g_autofree char *auth = g_strconcat ("Bearer ", send->token, NULL);
  g_autoptr(GBytes) body = g_bytes_new (send->body, strlen (send->body));
  g_autoptr(GBytes) answer = NULL;

  soup_message_headers_append (soup_message_get_request_headers (message), "Authorization", auth);
  soup_message_set_request_body_from_bytes (message, "application/json", body);
  answer = soup_session_send_and_read (session, message, NULL, NULL);
  send->status = answer ? soup_message_get_status (message) : 0;
  return NULL;
}

/* How many records of @round the server holds, each byte-exact or not at
 * all. */
static guint
count_round (SvTestServer *server,
             const char   *token,
             guint         round)
{
  g_autoptr(SvTestReply) r = sv_test_request (server, "GET", "/api/v1/cards/" ICCID "/records", token, NULL);
  JsonArray *records;
  guint n = 0;

  g_assert_cmpuint (r->status, ==, 200);
  records = json_node_get_array (sv_test_reply_get (r, "records"));
  for (guint i = 0; i < json_array_get_length (records); i++)
    {
      JsonObject *o = json_array_get_object_element (records, i);
      const char *file = json_object_get_string_member (o, "file");
      guint index = (guint) json_object_get_int_member (o, "index");
      guint f = (guint) g_ascii_strtoull (file + 2, NULL, 10);
      g_autofree char *expected = record_hex (round, f, index);

      if (g_str_equal (json_object_get_string_member (o, "data"), expected))
        n++;
    }
  return n;
}

static void
test_kill_during_batch (void)
{
  g_autoptr(SvTestServer) first = sv_test_server_start (NULL, NULL);
  g_autofree char *data_dir = g_strdup (first->data_dir);
  g_autofree char *reg = register_json ();
  g_autofree char *token = NULL;
  SvTestReply *r;
  /* Microseconds between sending and the kill: from before the request
   * arrives to after the batch committed. */
  static const guint delays[] = { 0, 500, 2000, 5000, 8000, 10000, 11000, 12000, 13000, 14000,
                                  15000, 16000, 17000, 18000, 20000, 40000, 80000, 160000, 320000 };
  guint applied_before = 0, absent_before = 0;

  r = sv_test_request (first, "POST", "/api/v1/cards/register", NULL, reg);
  g_assert_cmpuint (r->status, ==, 200);
  token = g_strdup (sv_test_reply_string (r, "session.token"));
  sv_test_reply_free (r);

  /* The data directory outlives each server: the first owns it. */
  sv_test_server_stop (first);

  for (guint round = 0; round < G_N_ELEMENTS (delays); round++)
    {
      g_autoptr(SvTestServer) server = sv_test_server_start (data_dir, NULL);
      g_autofree char *body = batch_json (round);
      g_autofree char *first_answer = NULL;
      Send send = { NULL, token, body, 0 };
      GThread *thread;
      guint n;

      send.url = g_strconcat (server->base_url, "api/v1/cards/" ICCID "/backup", NULL);
      thread = g_thread_new ("send", send_thread, &send);
      g_usleep (delays[round]);
      sv_test_server_kill (server);
      g_thread_join (thread);
      g_free (send.url);
      sv_test_server_free (server);

      /* Restart on the same data: all or nothing. */
      server = sv_test_server_start (data_dir, NULL);
      n = count_round (server, token, round);
      g_test_message ("round %u: killed after %u us, answer %u, %u of %u records present",
                      round, delays[round], send.status, n, N_FILES * N_PER_FILE);
      g_assert_true (n == 0 || n == N_FILES * N_PER_FILE);
      if (n == 0)
        absent_before++;
      else
        applied_before++;
      if (send.status == 200)
        g_assert_cmpuint (n, ==, N_FILES * N_PER_FILE);

      /* The retry with the same id completes it; another retry changes
       * nothing and answers the same. */
      r = sv_test_request (server, "POST", "/api/v1/cards/" ICCID "/backup", token, body);
      g_assert_cmpuint (r->status, ==, 200);
      g_assert_cmpuint (json_array_get_length (json_node_get_array (sv_test_reply_get (r, "conflicts"))), ==, 0);
      g_assert_cmpstr (sv_test_reply_string (r, "applied.pb1/adn"), ==, "1-250");
      g_assert_cmpstr (sv_test_reply_string (r, "applied.pb4/adn"), ==, "1-250");
      first_answer = g_strndup (g_bytes_get_data (r->body, NULL), g_bytes_get_size (r->body));
      sv_test_reply_free (r);
      g_assert_cmpuint (count_round (server, token, round), ==, N_FILES * N_PER_FILE);
      r = sv_test_request (server, "POST", "/api/v1/cards/" ICCID "/backup", token, body);
      g_assert_cmpmem (g_bytes_get_data (r->body, NULL), g_bytes_get_size (r->body),
                       first_answer, strlen (first_answer));
      sv_test_reply_free (r);
      sv_test_server_stop (server);
    }
  g_test_message ("batches found applied after the kill: %u, absent: %u", applied_before, absent_before);
  first->own_dir = TRUE;
}

/* SIGTERM during a batch: a clean exit (status 0, checked by the helper)
 * after the requests in progress finished; an answered batch is stored. */
static void
test_term_during_batch (void)
{
  g_autoptr(SvTestServer) first = sv_test_server_start (NULL, NULL);
  g_autofree char *data_dir = g_strdup (first->data_dir);
  g_autofree char *reg = register_json ();
  g_autofree char *token = NULL;
  static const guint delays[] = { 1000, 5000, 10000, 20000, 40000 };
  SvTestReply *r;

  r = sv_test_request (first, "POST", "/api/v1/cards/register", NULL, reg);
  g_assert_cmpuint (r->status, ==, 200);
  token = g_strdup (sv_test_reply_string (r, "session.token"));
  sv_test_reply_free (r);
  sv_test_server_stop (first);

  for (guint round = 0; round < G_N_ELEMENTS (delays); round++)
    {
      g_autoptr(SvTestServer) server = sv_test_server_start (data_dir, NULL);
      g_autofree char *body = batch_json (100 + round);
      Send send = { NULL, token, body, 0 };
      GThread *thread;
      guint n;

      send.url = g_strconcat (server->base_url, "api/v1/cards/" ICCID "/backup", NULL);
      thread = g_thread_new ("send", send_thread, &send);
      g_usleep (delays[round]);
      sv_test_server_stop (server);
      g_thread_join (thread);
      g_free (send.url);
      sv_test_server_free (server);

      server = sv_test_server_start (data_dir, NULL);
      n = count_round (server, token, 100 + round);
      g_test_message ("SIGTERM after %u us: answer %u, %u records present", delays[round], send.status, n);
      g_assert_true (n == 0 || n == N_FILES * N_PER_FILE);
      /* A batch the server took on is answered before it exits. */
      g_assert_true ((send.status == 200) == (n == N_FILES * N_PER_FILE));
      sv_test_server_stop (server);
    }
  first->own_dir = TRUE;
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sv/fault/kill-during-batch", test_kill_during_batch);
  g_test_add_func ("/sv/fault/term-during-batch", test_term_during_batch);

  return g_test_run ();
}
