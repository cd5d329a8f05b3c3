/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>

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

/* A request that arrives after SIGTERM, while another is still being
 * handled, is answered 503 unavailable (Retry-After); the one in progress
 * completes and is answered; the server then exits 0. The request in
 * progress is a registration hashing its password at the "moderate" cost
 * (Argon2id, 256 MiB): the test sends SIGTERM once the server's resident
 * memory shows the hash under way, so the order is certain. */
typedef struct
{
  char          *url;
  char          *body;
  guint          status;
  GBytes        *answer;
  gint           done;   /* atomic */
} Register;

static gpointer
register_thread (gpointer data)
{
  Register *reg = data;
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autoptr(SoupMessage) message = soup_message_new ("POST", reg->url);
  g_autoptr(GBytes) body = g_bytes_new (reg->body, strlen (reg->body));

  soup_message_set_request_body_from_bytes (message, "application/json", body);
  reg->answer = soup_session_send_and_read (session, message, NULL, NULL);
  reg->status = reg->answer ? soup_message_get_status (message) : 0;
  g_atomic_int_set (&reg->done, 1);
  return NULL;
}

static gint64
resident_kib (const char *pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/status", pid);
  g_autofree char *text = NULL;
  const char *line;

  if (!g_file_get_contents (path, &text, NULL, NULL) || (line = strstr (text, "VmRSS:")) == NULL)
    return -1;
  return g_ascii_strtoll (line + 6, NULL, 10);
}

static void
remove_dir (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      g_unlink (child);
    }
  g_rmdir (path);
}

static void
test_503_during_shutdown (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("sv-shutdown-XXXXXX", &error);
  g_autofree char *config = NULL;
  g_autofree char *config_arg = NULL;
  g_autofree char *data_arg = NULL;
  g_autofree char *binary = sv_test_server_binary ();
  g_autofree char *storage = NULL;
  g_autofree char *line = NULL;
  g_autofree char *root_url = NULL;
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                        G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_autoptr(GSubprocess) server = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(SoupSession) session = soup_session_new ();
  Register reg = { 0 };
  GThread *thread;
  const char *pid;
  gint64 baseline, deadline;
  gboolean hashing = FALSE, refused = FALSE;

  g_assert_no_error (error);
  config = g_build_filename (dir, "server.conf", NULL);
  g_file_set_contents (config, "[server]\npassword-cost=moderate\n", -1, &error);
  g_assert_no_error (error);
  config_arg = g_strconcat ("--config=", config, NULL);
  data_arg = g_strconcat ("--data-dir=", dir, NULL);
  storage = sv_test_storage_arg (dir);
  g_subprocess_launcher_unsetenv (launcher, "SIMVAULT_SERVER_PASSWORD_COST");
  server = g_subprocess_launcher_spawn (launcher, &error, binary, "--port=0", data_arg, config_arg, storage, NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (server));
  line = g_data_input_stream_read_line (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (line, "http://127.0.0.1:"));
  root_url = g_strconcat (line, g_str_has_suffix (line, "/") ? "" : "/", "api/v1/", NULL);
  pid = g_subprocess_get_identifier (server);
  baseline = resident_kib (pid);
  g_assert_cmpint (baseline, >, 0);

  reg.url = g_strconcat (root_url, "cards/register", NULL);
  reg.body = sv_test_register_json (PHONE, SV_TEST_PASSWORD, ICCID);
  thread = g_thread_new ("register", register_thread, &reg);

  /* The hash is under way once 64 MiB more are resident. */
  deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  while (!hashing && !g_atomic_int_get (&reg.done) && g_get_monotonic_time () < deadline)
    {
      hashing = resident_kib (pid) > baseline + 64 * 1024;
      if (!hashing)
        g_usleep (2000);
    }
  g_assert_true (hashing);
  g_subprocess_send_signal (server, SIGTERM);

  /* New requests are refused with 503 while the registration runs. */
  deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  while (!refused && g_get_monotonic_time () < deadline)
    {
      g_autoptr(SoupMessage) message = soup_message_new ("GET", root_url);
      g_autoptr(GBytes) answer = soup_session_send_and_read (session, message, NULL, NULL);
      gboolean still_running = !g_atomic_int_get (&reg.done);

      if (answer != NULL && soup_message_get_status (message) == 503)
        {
          g_autoptr(JsonParser) parser = json_parser_new ();
          JsonObject *root;

          g_assert_true (still_running);
          g_assert_true (json_parser_load_from_data (parser, g_bytes_get_data (answer, NULL),
                                                     g_bytes_get_size (answer), NULL));
          root = json_node_get_object (json_parser_get_root (parser));
          g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (root, "error"), "code"),
                           ==, "unavailable");
          g_assert_cmpstr (soup_message_headers_get_one (soup_message_get_response_headers (message),
                                                         "Retry-After"), ==, "5");
          refused = TRUE;
        }
      else
        {
          /* before the signal was handled: answered normally */
          g_assert_true (answer != NULL && soup_message_get_status (message) == 200);
          g_assert_true (still_running);
          g_usleep (5000);
        }
    }
  g_assert_true (refused);

  /* The one in progress completes and is answered. */
  g_thread_join (thread);
  g_assert_cmpuint (reg.status, ==, 200);
  g_assert_nonnull (g_strstr_len (g_bytes_get_data (reg.answer, NULL), g_bytes_get_size (reg.answer),
                                  "\"registered\""));
  g_subprocess_wait (server, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (server));
  g_assert_cmpint (g_subprocess_get_exit_status (server), ==, 0);

  g_bytes_unref (reg.answer);
  g_free (reg.url);
  g_free (reg.body);
  remove_dir (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sv/fault/kill-during-batch", test_kill_during_batch);
  g_test_add_func ("/sv/fault/term-during-batch", test_term_during_batch);
  g_test_add_func ("/sv/fault/503-during-shutdown", test_503_during_shutdown);

  return g_test_run ();
}
