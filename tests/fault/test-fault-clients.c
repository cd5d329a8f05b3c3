/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <sqlite3.h>
#include <string.h>

#include "sv-test-server.h"

/*
 * Suite 'fault' (issue 17): 16 clients back up at the same time, each its
 * own account and card, phonebook batches and SMS batches, while the test
 * kills simvault-server with SIGKILL at random moments and starts it again
 * on the same data (a new port each time: the clients pick up the new
 * address). A client retries a batch with the same id and body until it is
 * answered 200, as the desktop does. Afterwards:
 *   - every record whose batch was acknowledged is there, byte-exact, at
 *     the version the acknowledgement gave;
 *   - the SMS store of each card holds exactly the newest messages sent,
 *     each once, in order (no duplicate from a retried batch);
 *   - PRAGMA integrity_check answers "ok".
 *
 * SV_FAULT_KILLS (default 5) sets the number of kills; build-aux/fault.sh
 * runs 60. SV_FAULT_SEED makes a run repeatable (the seed is printed).
 */

#define N_CLIENTS    16
#define N_ADN        60
#define PER_BATCH    4
#define SMS_CAPACITY 12

typedef struct
{
  GMutex   lock;
  char    *base_url;
  guint    generation;
  gboolean stop;
  guint    failures;
  char    *first_failure;
  guint    retries;
  guint    acked_batches;
} Shared;

typedef struct
{
  Shared  *shared;
  guint    id;
  char    *iccid;
  char    *token;
  GRand   *rand;
  /* What the server acknowledged: per ADN index, the data and version. */
  char    *acked_data[N_ADN + 1];
  gint64   acked_version[N_ADN + 1];
  guint    n_sms_sent;
  guint    batches;
} Client;

static Shared shared;

static char *
client_iccid (guint id)
{
  return g_strdup_printf ("898601234567800%05u", id);
}

static char *
client_phone (guint id)
{
  return g_strdup_printf ("+86139000%05u", id);
}

static char *
register_json (guint id)
{
  g_autofree char *iccid = client_iccid (id);
  g_autofree char *phone = client_phone (id);

  return g_strdup_printf ("{\"phone\":\"%s\",\"password\":\"" SV_TEST_PASSWORD "\",\"card\":{"
                          "\"iccid\":\"%s\",\"imsi\":\"460001234567890\",\"card_type\":\"sim\","
                          "\"counter_a\":0,\"sms_capacity\":%d,\"files\":["
                          "{\"key\":\"adn\",\"path\":\"3F007F106F3A\",\"structure\":\"linear-fixed\",\"record_len\":30,\"n_records\":%d},"
                          "{\"key\":\"sms\",\"path\":\"3F007F106F3C\",\"structure\":\"linear-fixed\",\"record_len\":176,\"n_records\":%d}]}}",
                          phone, iccid, SMS_CAPACITY, N_ADN, SMS_CAPACITY);
}

static guint
sms_number (guint client,
            guint n)
{
  return client * 100000 + n;
}

static void
fail (const char *format,
      ...) G_GNUC_PRINTF (1, 2);

static void
fail (const char *format,
      ...)
{
  va_list args;
  g_autofree char *text = NULL;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  g_mutex_lock (&shared.lock);
  shared.failures++;
  if (shared.first_failure == NULL)
    shared.first_failure = g_strdup (text);
  g_mutex_unlock (&shared.lock);
  g_printerr ("# FAIL %s\n", text);
}

/* Sends @body until the server answers something other than a lost
 * connection, a 5xx or 409 batch-in-progress; returns that answer. */
static JsonNode *
post_until_answered (Client     *client,
                     SoupSession *session,
                     const char *path,
                     const char *body,
                     guint      *status)
{
  g_autofree char *auth = g_strconcat ("Bearer ", client->token, NULL);

  for (guint attempt = 0; attempt < 2000; attempt++)
    {
      g_autofree char *url = NULL;
      g_autoptr(SoupMessage) message = NULL;
      g_autoptr(GBytes) request = g_bytes_new (body, strlen (body));
      g_autoptr(GBytes) answer = NULL;
      g_autoptr(GError) error = NULL;

      g_mutex_lock (&shared.lock);
      url = g_strconcat (shared.base_url, path, NULL);
      g_mutex_unlock (&shared.lock);

      message = soup_message_new ("POST", url);
      soup_message_headers_append (soup_message_get_request_headers (message), "Authorization", auth);
      soup_message_set_request_body_from_bytes (message, "application/json", request);
      answer = soup_session_send_and_read (session, message, NULL, &error);
      *status = answer ? soup_message_get_status (message) : 0;
      if (answer != NULL && *status != 409 && *status < 500)
        {
          g_autoptr(JsonParser) parser = json_parser_new ();

          if (g_bytes_get_size (answer) > 0 &&
              json_parser_load_from_data (parser, g_bytes_get_data (answer, NULL), g_bytes_get_size (answer), NULL) &&
              json_parser_get_root (parser) != NULL)
            return json_node_copy (json_parser_get_root (parser));
          return NULL;
        }
      g_atomic_int_inc (&shared.retries);
      g_usleep (5000 + g_rand_int_range (client->rand, 0, 20000));
    }
  fail ("client %u: %s never answered", client->id, path);
  return NULL;
}

static void
backup_adn_batch (Client      *client,
                  SoupSession *session)
{
  g_autofree char *path = g_strdup_printf ("api/v1/cards/%s/backup", client->iccid);
  GString *body = g_string_new (NULL);
  g_autofree char *datas[PER_BATCH] = { NULL };
  guint indices[PER_BATCH];
  g_autoptr(JsonNode) answer = NULL;
  guint status = 0;
  guint start = (client->batches * PER_BATCH) % N_ADN;

  g_string_append_printf (body, "{\"batch_id\":\"c%u-adn-%u\",\"mode\":\"incremental\",\"records\":[",
                          client->id, client->batches);
  for (guint k = 0; k < PER_BATCH; k++)
    {
      g_autofree char *name = g_strdup_printf ("C%uB%uK%u", client->id, client->batches, k);

      indices[k] = start + k + 1;
      datas[k] = sv_test_adn_hex (name, "13800138000");
      g_string_append_printf (body, "%s{\"file\":\"adn\",\"index\":%u,\"data\":\"%s\",\"base_version\":%" G_GINT64_FORMAT "}",
                              k ? "," : "", indices[k], datas[k], client->acked_version[indices[k]]);
    }
  g_string_append (body, "]}");

  answer = post_until_answered (client, session, path, body->str, &status);
  g_string_free (body, TRUE);
  if (status != 200 || answer == NULL)
    {
      fail ("client %u: batch %u answered %u", client->id, client->batches, status);
      return;
    }
  {
    JsonObject *o = json_node_get_object (answer);
    JsonArray *conflicts = json_object_get_array_member (o, "conflicts");
    JsonObject *versions = json_object_get_object_member (json_object_get_object_member (o, "versions"), "adn");

    if (json_array_get_length (conflicts) != 0)
      fail ("client %u: batch %u: %u conflicts", client->id, client->batches, json_array_get_length (conflicts));
    for (guint k = 0; k < PER_BATCH; k++)
      {
        g_autofree char *key = g_strdup_printf ("%u", indices[k]);

        if (versions == NULL || !json_object_has_member (versions, key))
          {
            fail ("client %u: batch %u: no version for index %u", client->id, client->batches, indices[k]);
            continue;
          }
        g_free (client->acked_data[indices[k]]);
        client->acked_data[indices[k]] = g_steal_pointer (&datas[k]);
        client->acked_version[indices[k]] = json_object_get_int_member (versions, key);
      }
  }
  g_atomic_int_inc (&shared.acked_batches);
}

static void
backup_sms_batch (Client      *client,
                  SoupSession *session)
{
  g_autofree char *path = g_strdup_printf ("api/v1/cards/%s/messages", client->iccid);
  g_autofree char *sms = sv_test_sms_hex (sms_number (client->id, client->n_sms_sent));
  g_autofree char *body = g_strdup_printf ("{\"batch_id\":\"c%u-sms-%u\",\"messages\":[{\"record\":\"%s\"}]}",
                                           client->id, client->n_sms_sent, sms);
  g_autoptr(JsonNode) answer = NULL;
  guint status = 0;

  answer = post_until_answered (client, session, path, body, &status);
  if (status != 200 || answer == NULL)
    {
      fail ("client %u: SMS batch %u answered %u", client->id, client->n_sms_sent, status);
      return;
    }
  client->n_sms_sent++;
  g_atomic_int_inc (&shared.acked_batches);
}

static gpointer
client_thread (gpointer data)
{
  Client *client = data;
  g_autoptr(SoupSession) session = soup_session_new_with_options ("timeout", 30, NULL);

  for (;;)
    {
      gboolean stop;

      g_mutex_lock (&shared.lock);
      stop = shared.stop;
      g_mutex_unlock (&shared.lock);
      if (stop && client->batches >= 3)
        break;
      backup_adn_batch (client, session);
      client->batches++;
      backup_sms_batch (client, session);
      g_usleep (g_rand_int_range (client->rand, 2000, 30000));
    }
  return NULL;
}

static void
check_client (SvTestServer *server,
              Client       *client)
{
  g_autofree char *records_path = g_strdup_printf ("/api/v1/cards/%s/records?file=adn", client->iccid);
  g_autofree char *messages_path = g_strdup_printf ("/api/v1/cards/%s/messages", client->iccid);
  g_autoptr(SvTestReply) r = sv_test_request (server, "GET", records_path, client->token, NULL);
  g_autoptr(SvTestReply) m = NULL;
  JsonArray *records, *messages;
  guint n_acked = 0, n_expected_sms;

  g_assert_cmpuint (r->status, ==, 200);
  records = json_node_get_array (sv_test_reply_get (r, "records"));
  for (guint i = 1; i <= N_ADN; i++)
    n_acked += client->acked_data[i] != NULL;
  /* Every acknowledged record, byte-exact and at its version; nothing
   * else. */
  g_assert_cmpuint (json_array_get_length (records), ==, n_acked);
  for (guint i = 0; i < json_array_get_length (records); i++)
    {
      JsonObject *o = json_array_get_object_element (records, i);
      guint index = (guint) json_object_get_int_member (o, "index");

      g_assert_cmpuint (index, >=, 1);
      g_assert_cmpuint (index, <=, N_ADN);
      g_assert_nonnull (client->acked_data[index]);
      g_assert_cmpstr (json_object_get_string_member (o, "data"), ==, client->acked_data[index]);
      g_assert_cmpint (json_object_get_int_member (o, "version"), ==, client->acked_version[index]);
    }

  /* The ring holds the newest messages sent, each once, oldest first. */
  m = sv_test_request (server, "GET", messages_path, client->token, NULL);
  g_assert_cmpuint (m->status, ==, 200);
  messages = json_node_get_array (sv_test_reply_get (m, "messages"));
  n_expected_sms = MIN (client->n_sms_sent, SMS_CAPACITY);
  g_assert_cmpuint (json_array_get_length (messages), ==, n_expected_sms);
  for (guint i = 0; i < n_expected_sms; i++)
    {
      JsonObject *o = json_array_get_object_element (messages, i);
      JsonArray *parts = json_object_get_array_member (o, "records");
      g_autofree char *expected = sv_test_sms_hex (sms_number (client->id, client->n_sms_sent - n_expected_sms + i));

      g_assert_cmpuint (json_array_get_length (parts), ==, 1);
      g_assert_cmpstr (json_array_get_string_element (parts, 0), ==, expected);
    }
}

static void
check_integrity (const char *data_dir)
{
  g_autofree char *path = g_build_filename (data_dir, "simvault-server.db", NULL);
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_test_message ("no SQLite file (another storage engine): integrity_check not run");
      return;
    }
  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA integrity_check", -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 0), ==, "ok");
  sqlite3_finalize (stmt);
  sqlite3_close (db);
}

static void
test_kill_while_16_clients_back_up (void)
{
  g_autoptr(SvTestServer) first = sv_test_server_start (NULL, NULL);
  g_autofree char *data_dir = g_strdup (first->data_dir);
  SvTestServer *server;
  Client clients[N_CLIENTS];
  GThread *threads[N_CLIENTS];
  guint kills = (guint) g_ascii_strtoull (g_getenv ("SV_FAULT_KILLS") ? g_getenv ("SV_FAULT_KILLS") : "5", NULL, 10);
  guint32 seed = g_getenv ("SV_FAULT_SEED") ? (guint32) g_ascii_strtoull (g_getenv ("SV_FAULT_SEED"), NULL, 10)
                                            : g_random_int ();
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  gint64 started = g_get_monotonic_time ();
  guint total_batches = 0;

  g_test_message ("seed %u (SV_FAULT_SEED to repeat), %u kills", seed, kills);
  g_mutex_init (&shared.lock);

  memset (clients, 0, sizeof clients);
  for (guint c = 0; c < N_CLIENTS; c++)
    {
      g_autofree char *reg = register_json (c);
      g_autoptr(SvTestReply) r = sv_test_request (first, "POST", "/api/v1/cards/register", NULL, reg);

      g_assert_cmpuint (r->status, ==, 200);
      clients[c].shared = &shared;
      clients[c].id = c;
      clients[c].iccid = client_iccid (c);
      clients[c].token = g_strdup (sv_test_reply_string (r, "session.token"));
      clients[c].rand = g_rand_new_with_seed (seed + c + 1);
    }
  sv_test_server_stop (first);

  server = sv_test_server_start (data_dir, NULL);
  shared.base_url = g_strdup (server->base_url);
  for (guint c = 0; c < N_CLIENTS; c++)
    threads[c] = g_thread_new ("client", client_thread, &clients[c]);

  for (guint k = 0; k < kills; k++)
    {
      guint delay = g_rand_int_range (rand, 20000, 400000);

      g_usleep (delay);
      sv_test_server_kill (server);
      sv_test_server_free (server);
      server = sv_test_server_start (data_dir, NULL);
      g_mutex_lock (&shared.lock);
      g_free (shared.base_url);
      shared.base_url = g_strdup (server->base_url);
      shared.generation++;
      g_mutex_unlock (&shared.lock);
      g_test_message ("kill %u after %u ms", k + 1, delay / 1000);
    }

  g_mutex_lock (&shared.lock);
  shared.stop = TRUE;
  g_mutex_unlock (&shared.lock);
  for (guint c = 0; c < N_CLIENTS; c++)
    g_thread_join (threads[c]);

  /* The kills did land while requests were in flight. */
  if (kills > 0)
    g_assert_cmpuint (shared.retries, >, 0);
  if (shared.failures > 0)
    g_error ("%u client failures, first: %s", shared.failures, shared.first_failure);

  for (guint c = 0; c < N_CLIENTS; c++)
    {
      check_client (server, &clients[c]);
      total_batches += clients[c].batches;
    }
  sv_test_server_stop (server);
  sv_test_server_free (server);
  check_integrity (data_dir);

  g_test_message ("FIGURES kills=%u clients=%u acknowledged_batches=%u adn_batches=%u retries=%u lost=0 duplicated=0 seconds=%.1f",
                  kills, N_CLIENTS, shared.acked_batches, total_batches, shared.retries,
                  (g_get_monotonic_time () - started) / 1e6);
  for (guint c = 0; c < N_CLIENTS; c++)
    {
      for (guint i = 0; i <= N_ADN; i++)
        g_free (clients[c].acked_data[i]);
      g_free (clients[c].iccid);
      g_free (clients[c].token);
      g_rand_free (clients[c].rand);
    }
  g_free (shared.base_url);
  first->own_dir = TRUE;
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sv/fault/kill-while-16-clients-back-up", test_kill_while_16_clients_back_up);

  return g_test_run ();
}
