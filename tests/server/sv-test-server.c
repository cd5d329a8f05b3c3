/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <fcntl.h>
#include <sys/prctl.h>

#include <glib/gstdio.h>

#include "sv-test-server.h"

char *
sv_test_server_binary (void)
{
  const char *root = g_getenv ("SV_BUILD_ROOT");

  g_assert_nonnull (root);
  return g_build_filename (root, "sync", "server", "simvault-server", NULL);
}

/* SV_TEST_STORAGE (tests/postgresql/pg-run.sh): a postgresql:// URI; each
 * data directory gets its own database, so a restart on the same directory
 * sees the same data and a new directory starts empty. */
char *
sv_test_storage_arg (const char *data_dir)
{
  const char *pg = g_getenv ("SV_TEST_STORAGE");
  const char *psql = g_getenv ("SV_TEST_PSQL");
  g_autofree char *base = NULL;
  g_autofree char *db = NULL;
  g_autofree char *sql = NULL;
  GString *name;

  if (pg == NULL || *pg == '\0')
    return NULL;
  base = g_path_get_basename (data_dir);
  name = g_string_new ("sv_test_");
  for (const char *p = base; *p; p++)
    g_string_append_c (name, g_ascii_isalnum (*p) ? g_ascii_tolower (*p) : '_');
  db = g_string_free (name, FALSE);
  sql = g_strdup_printf ("CREATE DATABASE %s", db);
  {
    const char *argv[] = { psql ? psql : "psql", pg, "-q", "-c", sql, NULL };
    g_autoptr(GSubprocess) p = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_SILENCE
                                                  | G_SUBPROCESS_FLAGS_STDERR_SILENCE, NULL);

    /* "already exists" on a restart is fine */
    if (p != NULL)
      g_subprocess_wait (p, NULL, NULL);
  }
  return g_strdup_printf ("--storage=%s%cdbname=%s", pg, strchr (pg, '?') ? '&' : '?', db);
}

/* A test that aborts must not leave its server running. */
static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

/**
 * sv_test_server_start:
 * @data_dir: (nullable): reuse a data directory (restart); %NULL for a
 *   fresh one that is removed with the server
 *
 * Starts the binary with test-only password hashing and a clock the test
 * can move, and waits for the base URL line on its stdout.
 */
SvTestServer *
sv_test_server_start (const char         *data_dir,
                      const char * const *extra_args)
{
  SvTestServer *server = g_new0 (SvTestServer, 1);
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;

  if (data_dir == NULL)
    {
      server->data_dir = g_dir_make_tmp ("sv-server-XXXXXX", &error);
      g_assert_no_error (error);
      server->own_dir = TRUE;
    }
  else
    server->data_dir = g_strdup (data_dir);
  server->clock_file = g_build_filename (server->data_dir, "clock-offset", NULL);
  if (!g_file_test (server->clock_file, G_FILE_TEST_EXISTS))
    sv_test_server_set_clock (server, 0);

  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  /* The request log, for the tests that read it (appended across restarts). */
  server->log_file = g_build_filename (server->data_dir, "server.log", NULL);
  {
    int fd = g_open (server->log_file, O_WRONLY | O_CREAT | O_APPEND, 0600);

    g_assert_cmpint (fd, >=, 0);
    g_subprocess_launcher_take_stderr_fd (launcher, fd);
  }
  g_subprocess_launcher_setenv (launcher, "SIMVAULT_SERVER_PASSWORD_COST", "test-only", TRUE);
  g_subprocess_launcher_setenv (launcher, "SIMVAULT_SERVER_CLOCK_OFFSET_FILE", server->clock_file, TRUE);
  /* SV_TEST_SERVER_GDB=1 runs the server under gdb, for a backtrace. */
  if (g_getenv ("SV_TEST_SERVER_GDB") != NULL)
    {
      g_ptr_array_add (argv, g_strdup ("gdb"));
      g_ptr_array_add (argv, g_strdup ("-batch"));
      g_ptr_array_add (argv, g_strdup ("-ex"));
      g_ptr_array_add (argv, g_strdup ("run"));
      g_ptr_array_add (argv, g_strdup ("-ex"));
      g_ptr_array_add (argv, g_strdup ("thread apply all bt"));
      g_ptr_array_add (argv, g_strdup ("--args"));
    }
  g_ptr_array_add (argv, sv_test_server_binary ());
  g_ptr_array_add (argv, g_strdup ("--port=0"));
  g_ptr_array_add (argv, g_strdup_printf ("--data-dir=%s", server->data_dir));
  server->storage_arg = sv_test_storage_arg (server->data_dir);
  if (server->storage_arg != NULL)
    g_ptr_array_add (argv, g_strdup (server->storage_arg));
  for (guint i = 0; extra_args != NULL && extra_args[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (extra_args[i]));
  g_ptr_array_add (argv, NULL);

  server->process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (server->process));
  do
    {
      g_free (line);
      line = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
      g_assert_no_error (error);
      g_assert_nonnull (line);
    }
  while (!g_str_has_prefix (line, "http"));
  g_assert_true (g_str_has_prefix (line, "http://") || g_str_has_prefix (line, "https://"));
  server->base_url = g_steal_pointer (&line);
  server->session = soup_session_new_with_options ("timeout", 60, NULL);
  return server;
}

void
sv_test_server_set_clock (SvTestServer *server,
                          gint64        offset_seconds)
{
  g_autofree char *text = g_strdup_printf ("%" G_GINT64_FORMAT "\n", offset_seconds);
  g_autoptr(GError) error = NULL;

  g_file_set_contents (server->clock_file, text, -1, &error);
  g_assert_no_error (error);
}

/* SIGTERM and wait: the server must exit 0 (clean shutdown). */
void
sv_test_server_stop (SvTestServer *server)
{
  g_autoptr(GError) error = NULL;

  if (server->process == NULL)
    return;
  g_subprocess_send_signal (server->process, SIGTERM);
  g_subprocess_wait (server->process, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (server->process));
  g_assert_cmpint (g_subprocess_get_exit_status (server->process), ==, 0);
  g_clear_object (&server->process);
}

void
sv_test_server_kill (SvTestServer *server)
{
  if (server->process == NULL)
    return;
  g_subprocess_force_exit (server->process);
  g_subprocess_wait (server->process, NULL, NULL);
  g_clear_object (&server->process);
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

void
sv_test_server_free (SvTestServer *server)
{
  if (server == NULL)
    return;
  if (server->process != NULL)
    sv_test_server_stop (server);
  g_clear_object (&server->session);
  if (server->own_dir)
    remove_tree (server->data_dir);
  g_free (server->data_dir);
  g_free (server->clock_file);
  g_free (server->log_file);
  g_free (server->storage_arg);
  g_free (server->base_url);
  g_free (server);
}

SvTestReply *
sv_test_request_full (SvTestServer       *server,
                      const char         *method,
                      const char         *path,
                      const char         *content_type,
                      GBytes             *body,
                      const char * const *headers)
{
  g_autofree char *url = g_strconcat (server->base_url, path[0] == '/' ? path + 1 : path, NULL);
  g_autoptr(SoupMessage) message = soup_message_new (method, url);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  SvTestReply *reply = g_new0 (SvTestReply, 1);
  const char *type;
  gsize len = 0;
  const char *data;

  g_assert_nonnull (message);
  for (guint i = 0; headers != NULL && headers[i] != NULL && headers[i + 1] != NULL; i += 2)
    soup_message_headers_append (soup_message_get_request_headers (message), headers[i], headers[i + 1]);
  if (body != NULL)
    soup_message_set_request_body_from_bytes (message, content_type, body);
  reply->body = soup_session_send_and_read (server->session, message, NULL, &error);
  g_assert_no_error (error);
  reply->status = soup_message_get_status (message);
  reply->headers = soup_message_headers_ref (soup_message_get_response_headers (message));
  type = soup_message_headers_get_content_type (reply->headers, NULL);
  data = g_bytes_get_data (reply->body, &len);
  if (g_strcmp0 (type, "application/json") == 0 && len > 0)
    {
      g_assert_true (json_parser_load_from_data (parser, data, len, &error));
      reply->json = json_node_ref (json_parser_get_root (parser));
    }
  return reply;
}

/**
 * sv_test_request:
 * @bearer: (nullable): a session token
 * @json: (nullable): the body, sent as application/json
 */
SvTestReply *
sv_test_request (SvTestServer *server,
                 const char   *method,
                 const char   *path,
                 const char   *bearer,
                 const char   *json)
{
  g_autofree char *authorization = bearer ? g_strconcat ("Bearer ", bearer, NULL) : NULL;
  const char *headers[] = { "Authorization", authorization, NULL };
  g_autoptr(GBytes) body = json ? g_bytes_new (json, strlen (json)) : NULL;

  return sv_test_request_full (server, method, path, "application/json", body,
                               bearer ? headers : NULL);
}

void
sv_test_reply_free (SvTestReply *reply)
{
  if (reply == NULL)
    return;
  g_clear_pointer (&reply->body, g_bytes_unref);
  g_clear_pointer (&reply->json, json_node_unref);
  g_clear_pointer (&reply->headers, soup_message_headers_unref);
  g_free (reply);
}

/* A path like "error.code", "records[2].data", "applied.pb1/adn" (a dot
 * separates members; brackets index arrays). */
JsonNode *
sv_test_reply_get (SvTestReply *reply,
                   const char  *path)
{
  JsonNode *node = reply->json;
  g_auto(GStrv) parts = g_strsplit (path, ".", -1);

  for (guint i = 0; node != NULL && parts[i] != NULL; i++)
    {
      char *bracket = strchr (parts[i], '[');
      guint64 index = 0;

      if (bracket != NULL)
        {
          *bracket = '\0';
          index = g_ascii_strtoull (bracket + 1, NULL, 10);
        }
      if (parts[i][0] != '\0')
        {
          if (!JSON_NODE_HOLDS_OBJECT (node))
            return NULL;
          node = json_object_get_member (json_node_get_object (node), parts[i]);
        }
      if (node != NULL && bracket != NULL)
        {
          if (!JSON_NODE_HOLDS_ARRAY (node) || index >= json_array_get_length (json_node_get_array (node)))
            return NULL;
          node = json_array_get_element (json_node_get_array (node), index);
        }
    }
  return node;
}

const char *
sv_test_reply_string (SvTestReply *reply,
                      const char  *path)
{
  JsonNode *node = sv_test_reply_get (reply, path);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

gint64
sv_test_reply_int (SvTestReply *reply,
                   const char  *path)
{
  JsonNode *node = sv_test_reply_get (reply, path);

  g_assert_nonnull (node);
  g_assert_true (JSON_NODE_HOLDS_VALUE (node));
  if (json_node_get_value_type (node) == G_TYPE_BOOLEAN)
    return json_node_get_boolean (node);
  return json_node_get_int (node);
}

const char *
sv_test_reply_error_code (SvTestReply *reply)
{
  return sv_test_reply_string (reply, "error.code");
}

const char *
sv_test_reply_error_field (SvTestReply *reply)
{
  return sv_test_reply_string (reply, "error.field");
}

void
sv_test_assert_error (SvTestReply *reply,
                      guint        status,
                      const char  *code)
{
  if (reply->status != status || g_strcmp0 (sv_test_reply_error_code (reply), code) != 0)
    g_test_message ("answer %u: %.*s", reply->status, (int) g_bytes_get_size (reply->body),
                    (const char *) g_bytes_get_data (reply->body, NULL));
  g_assert_cmpuint (reply->status, ==, status);
  g_assert_cmpstr (sv_test_reply_error_code (reply), ==, code);
  g_assert_nonnull (sv_test_reply_string (reply, "error.message"));
}

/* A 2G SIM: EF_ADN 10 x 30 bytes (16 alpha), EF_EXT1 5 x 13, EF_SMS 5 x 176. */
char *
sv_test_card_json (const char *iccid,
                   gint64      counter_a)
{
  return g_strdup_printf ("{\"iccid\":\"%s\",\"imsi\":\"460001234567890\",\"card_type\":\"sim\","
                          "\"counter_a\":%" G_GINT64_FORMAT ",\"sms_capacity\":%d,\"files\":["
                          "{\"key\":\"adn\",\"path\":\"3F007F106F3A\",\"structure\":\"linear-fixed\",\"record_len\":30,\"n_records\":%d},"
                          "{\"key\":\"ext1\",\"path\":\"3F007F106F4A\",\"structure\":\"linear-fixed\",\"record_len\":13,\"n_records\":5},"
                          "{\"key\":\"sms\",\"path\":\"3F007F106F3C\",\"structure\":\"linear-fixed\",\"record_len\":176,\"n_records\":%d}]}",
                          iccid, counter_a, SV_TEST_SMS_CAPACITY, SV_TEST_ADN_RECORDS, SV_TEST_SMS_CAPACITY);
}

char *
sv_test_register_json (const char *phone,
                       const char *password,
                       const char *iccid)
{
  g_autofree char *card = sv_test_card_json (iccid, 0);

  if (phone == NULL)
    return g_strdup_printf ("{\"card\":%s}", card);
  return g_strdup_printf ("{\"phone\":\"%s\",\"password\":\"%s\",\"card\":%s}", phone, password, card);
}

/* TS 51.011 §10.5.1: 16 bytes of GSM 7-bit alpha (ASCII letters here), then
 * length, TON/NPI, 10 bytes of BCD, CCP, EXT. */
char *
sv_test_adn_hex (const char *name,
                 const char *digits)
{
  GString *s = g_string_new (NULL);
  gsize n = strlen (digits);
  guint8 bcd[10];

  memset (bcd, 0xFF, sizeof bcd);
  for (gsize i = 0; i < 16; i++)
    g_string_append_printf (s, "%02X", i < strlen (name) ? (guint8) name[i] : 0xFF);
  for (gsize i = 0; i < n && i < 20; i++)
    {
      guint8 d = (guint8) (digits[i] - '0');

      if (i % 2 == 0)
        bcd[i / 2] = 0xF0 | d;
      else
        bcd[i / 2] = (bcd[i / 2] & 0x0F) | (guint8) (d << 4);
    }
  g_string_append_printf (s, "%02X81", (guint) ((n + 1) / 2 + 1));
  for (guint i = 0; i < 10; i++)
    g_string_append_printf (s, "%02X", bcd[i]);
  g_string_append (s, "FFFF");
  return g_string_free (s, FALSE);
}

/* One EF_SMS record, distinct per @n: status "read", then bytes that need
 * not decode (the ring keeps records byte for byte). */
char *
sv_test_sms_hex (guint n)
{
  GString *s = g_string_new ("01");

  g_string_append_printf (s, "%08X", n);
  while (s->len < 352)
    g_string_append (s, "FF");
  return g_string_free (s, FALSE);
}

/* Registers a card with phone + password; returns the session token. */
char *
sv_test_register (SvTestServer *server,
                  const char   *phone,
                  const char   *password,
                  const char   *iccid)
{
  g_autofree char *json = sv_test_register_json (phone, password, iccid);
  g_autoptr(SvTestReply) reply = sv_test_request (server, "POST", "/api/v1/cards/register", NULL, json);

  if (reply->status != 200)
    g_test_message ("register: %u %.*s", reply->status, (int) g_bytes_get_size (reply->body),
                    (const char *) g_bytes_get_data (reply->body, NULL));
  g_assert_cmpuint (reply->status, ==, 200);
  return g_strdup (sv_test_reply_string (reply, "session.token"));
}

char *
sv_test_login (SvTestServer *server,
               const char   *phone,
               const char   *password)
{
  g_autofree char *json = g_strdup_printf ("{\"phone\":\"%s\",\"password\":\"%s\"}", phone, password);
  g_autoptr(SvTestReply) reply = sv_test_request (server, "POST", "/api/v1/session", NULL, json);

  g_assert_cmpuint (reply->status, ==, 200);
  return g_strdup (sv_test_reply_string (reply, "token"));
}

/* simvault-server staff add NAME --password-file F on the server's data. */
void
sv_test_server_add_staff (SvTestServer *server,
                          const char   *name,
                          const char   *password)
{
  g_autofree char *binary = sv_test_server_binary ();
  g_autofree char *file = g_build_filename (server->data_dir, "staff-password", NULL);
  g_autofree char *dir_arg = g_strdup_printf ("--data-dir=%s", server->data_dir);
  g_autofree char *file_arg = g_strdup_printf ("--password-file=%s", file);
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  const char *argv[] = { binary, dir_arg, file_arg, "staff", "add", name,
                         server->storage_arg, NULL };

  g_file_set_contents (file, password, -1, &error);
  g_assert_no_error (error);
  g_subprocess_launcher_setenv (launcher, "SIMVAULT_SERVER_PASSWORD_COST", "test-only", TRUE);
  process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  g_subprocess_wait_check (process, NULL, &error);
  g_assert_no_error (error);
  g_unlink (file);
}

char *
sv_test_server_read_log (SvTestServer *server)
{
  char *text = NULL;

  g_file_get_contents (server->log_file, &text, NULL, NULL);
  return text ? text : g_strdup ("");
}
