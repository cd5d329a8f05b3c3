/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "simvault-server"

#include "config.h"

#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <glib-unix.h>
#include <gio/gio.h>

#include "sv-server.h"
#include "sv-store.h"

#ifdef __SANITIZE_ADDRESS__
/* ASan builds (build-aux/test.sh): libsoup 3.2 keeps one reference too
 * many on every socket its listener accepts (listen_watch () never drops
 * the one from g_socket_accept ()), so LeakSanitizer reports a GSocket per
 * connection at exit, whoever starts the server. That leak is the
 * library's, not ours: the server carries its suppression (the same entry
 * as in build-aux/lsan.supp), and full malloc stacks so that it matches
 * (the fast unwinder stops inside GLib); only a few frames, to keep the
 * slow unwinder cheap. ASAN_OPTIONS / LSAN_OPTIONS still override these. */
const char *__asan_default_options (void);
const char *__lsan_default_suppressions (void);

const char *
__asan_default_options (void)
{
  return "fast_unwind_on_malloc=0:malloc_context_size=12";
}

const char *
__lsan_default_suppressions (void)
{
  return "leak:g_socket_accept\n";
}
#endif

/*
 * simvault-server: the backup server (PROTOCOL.md). A thin main() over the
 * storage interface and the request handlers:
 *
 *   simvault-server [--listen ADDR] [--port N] [--data-dir DIR]
 *                   [--storage LOCATION] [--tls-cert FILE --tls-key FILE]
 *                   [--trusted-proxy ADDR]... [--purge-after DAYS]
 *                   [--request-timeout SECONDS] [--config FILE]
 *   simvault-server staff add|list|remove NAME [--password-file FILE]
 *   simvault-server routes
 *
 * The config file is a GKeyFile with the same settings in [server]
 * (listen, port, data-dir, storage, tls-cert, tls-key, password-cost,
 * trusted-proxies as a ;-separated list, purge-after, request-timeout); the command
 * line wins. Once listening it prints its base URL as one line on stdout.
 */

typedef struct
{
  char    *listen;
  gint     port;
  char    *data_dir;
  char    *tls_cert;
  char    *tls_key;
  char    *config;
  char    *password_file;
  char    *password_cost;
  char    *storage;
  GStrv    trusted_proxies;
  gint     purge_after;    /* days; -1: not given */
  gint     request_timeout; /* seconds; -1: not given */
} Settings;

static void
settings_clear (Settings *s)
{
  g_free (s->listen);
  g_free (s->data_dir);
  g_free (s->tls_cert);
  g_free (s->tls_key);
  g_free (s->config);
  g_free (s->password_file);
  g_free (s->password_cost);
  g_free (s->storage);
  g_strfreev (s->trusted_proxies);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Settings, settings_clear)

static void
take_key (GKeyFile    *keys,
          const char  *name,
          char       **target)
{
  g_autofree char *value = g_key_file_get_string (keys, "server", name, NULL);

  if (*target == NULL && value != NULL)
    *target = g_steal_pointer (&value);
}

static gboolean
load_config (Settings  *s,
             GError   **error)
{
  g_autoptr(GKeyFile) keys = g_key_file_new ();
  g_autoptr(GError) local_error = NULL;
  gint port;

  if (s->config == NULL)
    return TRUE;
  if (!g_key_file_load_from_file (keys, s->config, G_KEY_FILE_NONE, &local_error))
    {
      /* Name the file: "No such file or directory" alone says nothing
       * (INPUTS.md, configuration rows). */
      g_propagate_prefixed_error (error, g_steal_pointer (&local_error), "%s: ", s->config);
      return FALSE;
    }
  take_key (keys, "listen", &s->listen);
  take_key (keys, "data-dir", &s->data_dir);
  take_key (keys, "tls-cert", &s->tls_cert);
  take_key (keys, "tls-key", &s->tls_key);
  take_key (keys, "password-cost", &s->password_cost);
  take_key (keys, "storage", &s->storage);
  if (s->trusted_proxies == NULL)
    s->trusted_proxies = g_key_file_get_string_list (keys, "server", "trusted-proxies", NULL, NULL);
  if (s->purge_after < 0 && g_key_file_has_key (keys, "server", "purge-after", NULL))
    {
      gint days = g_key_file_get_integer (keys, "server", "purge-after", &local_error);

      if (local_error != NULL || days < 0)
        {
          g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                       "%s: purge-after: a number of days (0: keep forever)", s->config);
          return FALSE;
        }
      s->purge_after = days;
    }
  if (s->request_timeout < 0 && g_key_file_has_key (keys, "server", "request-timeout", NULL))
    {
      gint seconds = g_key_file_get_integer (keys, "server", "request-timeout", &local_error);

      if (local_error != NULL || seconds < 0)
        {
          g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                       "%s: request-timeout: a number of seconds (0: none)", s->config);
          return FALSE;
        }
      s->request_timeout = seconds;
    }
  port = g_key_file_get_integer (keys, "server", "port", &local_error);
  if (local_error == NULL && s->port < 0)
    s->port = port;
  else if (local_error != NULL && !g_error_matches (local_error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_KEY_NOT_FOUND)
           && !g_error_matches (local_error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_GROUP_NOT_FOUND))
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&local_error), "%s: port: ", s->config);
      return FALSE;
    }
  return TRUE;
}

/* Tests move the clock: SIMVAULT_SERVER_CLOCK_OFFSET_FILE names a file
 * holding seconds to add to the real time (read on every call). */
static gint64
offset_clock (gpointer user_data)
{
  const char *path = user_data;
  g_autofree char *text = NULL;
  gint64 offset = 0;

  if (g_file_get_contents (path, &text, NULL, NULL))
    offset = g_ascii_strtoll (text, NULL, 10);
  return g_get_real_time () + offset * G_USEC_PER_SEC;
}

static SvStore *
open_store (Settings  *s,
            GError   **error)
{
  SvStoreOptions options = { 0 };
  g_autofree char *location = NULL;
  const char *cost = g_getenv ("SIMVAULT_SERVER_PASSWORD_COST");
  const char *clock_file = g_getenv ("SIMVAULT_SERVER_CLOCK_OFFSET_FILE");

  if (s->data_dir == NULL)
    s->data_dir = g_build_filename (g_get_user_data_dir (), "simvault", "server", NULL);
  if (g_mkdir_with_parents (s->data_dir, 0700) != 0)
    {
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
                   "Cannot create the data directory %s: %s", s->data_dir, g_strerror (errno));
      return NULL;
    }
  if (cost == NULL)
    cost = s->password_cost;
  options.password_cost = SV_PASSWORD_COST_INTERACTIVE;
  if (g_strcmp0 (cost, "moderate") == 0)
    options.password_cost = SV_PASSWORD_COST_MODERATE;
  else if (g_strcmp0 (cost, "test-only") == 0)
    {
      g_printerr ("simvault-server: password-cost test-only: for tests, never for real accounts\n");
      options.password_cost = SV_PASSWORD_COST_TEST_ONLY;
    }
  if (clock_file != NULL)
    {
      options.now = offset_clock;
      options.now_data = (gpointer) clock_file;
    }
  /* --storage: "sqlite:PATH", a path, or "postgresql://..." (libpq); it
   * may hold a password, so it is never printed. */
  if (s->storage != NULL)
    location = g_strdup (s->storage);
  else
    location = g_build_filename (s->data_dir, "simvault-server.db", NULL);
  return sv_store_open (location, &options, error);
}

static char *
read_password (const char  *path,
               GError     **error)
{
  g_autofree char *text = NULL;
  char line[1100];
  char *newline;

  if (path != NULL)
    {
      if (!g_file_get_contents (path, &text, NULL, error))
        return NULL;
    }
  else
    {
      if (fgets (line, sizeof line, stdin) == NULL)
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "No password on standard input");
          return NULL;
        }
      text = g_strdup (line);
      memset (line, 0, sizeof line);
    }
  if ((newline = strpbrk (text, "\r\n")) != NULL)
    *newline = '\0';
  if (g_utf8_strlen (text, -1) < 8)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "A password has at least 8 characters");
      return NULL;
    }
  return g_steal_pointer (&text);
}

static int
run_staff (Settings  *s,
           char     **args)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvStore) store = NULL;
  const char *command = args[0];

  if (command == NULL || (!g_str_equal (command, "list") && args[1] == NULL))
    {
      g_printerr ("Usage: simvault-server staff add|list|remove NAME [--password-file FILE]\n");
      return 2;
    }
  store = open_store (s, &error);
  if (store == NULL)
    goto fail;

  if (g_str_equal (command, "add"))
    {
      g_autofree char *password = read_password (s->password_file, &error);
      g_autoptr(SvStoreStaff) staff = NULL;

      if (password == NULL || (staff = sv_store_staff_add (store, args[1], password, &error)) == NULL)
        goto fail;
      memset (password, 0, strlen (password));
      g_print ("Added staff member %s\n", staff->name);
    }
  else if (g_str_equal (command, "remove"))
    {
      if (!sv_store_staff_remove (store, args[1], &error))
        goto fail;
      g_print ("Removed staff member %s\n", args[1]);
    }
  else if (g_str_equal (command, "list"))
    {
      g_autoptr(GPtrArray) staff = sv_store_staff_list (store, &error);

      if (staff == NULL)
        goto fail;
      for (guint i = 0; i < staff->len; i++)
        g_print ("%s\n", ((SvStoreStaff *) g_ptr_array_index (staff, i))->name);
    }
  else
    {
      g_printerr ("Unknown staff command “%s”; use add, list or remove\n", command);
      return 2;
    }
  return 0;

fail:
  g_printerr ("simvault-server: %s\n", error->message);
  return 1;
}

static int
run_routes (void)
{
  guint n;
  const SvServerRouteInfo *routes = sv_server_get_routes (&n);

  for (guint i = 0; i < n; i++)
    g_print ("%s %s %s\n", routes[i].method, routes[i].pattern, sv_server_auth_to_string (routes[i].auth));
  return 0;
}

static gboolean
quit_cb (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_CONTINUE;
}

static int
run_server (Settings *s)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvStore) store = NULL;
  g_autoptr(SvServer) server = NULL;
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  guint term = 0, intr = 0;

  /* A setting the server would otherwise ignore is refused, so a typo
   * does not silently weaken it (INPUTS.md, configuration rows). */
  if (s->password_cost != NULL && g_getenv ("SIMVAULT_SERVER_PASSWORD_COST") == NULL &&
      !g_str_equal (s->password_cost, "interactive") && !g_str_equal (s->password_cost, "moderate") &&
      !g_str_equal (s->password_cost, "test-only"))
    {
      g_printerr ("simvault-server: password-cost is “interactive”, “moderate” or “test-only”, not “%s”\n",
                  s->password_cost);
      return 2;
    }
  for (guint i = 0; s->trusted_proxies != NULL && s->trusted_proxies[i] != NULL; i++)
    if (!g_hostname_is_ip_address (s->trusted_proxies[i]))
      {
        g_printerr ("simvault-server: trusted proxy “%s” is not an IP address\n", s->trusted_proxies[i]);
        return 2;
      }
  if ((s->tls_cert == NULL) != (s->tls_key == NULL))
    {
      g_printerr ("simvault-server: --tls-cert and --tls-key go together\n");
      return 2;
    }
  if (s->tls_cert != NULL
      && (certificate = g_tls_certificate_new_from_files (s->tls_cert, s->tls_key, &error)) == NULL)
    goto fail;
  if ((store = open_store (s, &error)) == NULL)
    goto fail;
  /* Before the URL goes out: a SIGTERM right after it must be ours. */
  term = g_unix_signal_add (SIGTERM, quit_cb, loop);
  intr = g_unix_signal_add (SIGINT, quit_cb, loop);

  server = sv_server_new (store);
  sv_server_set_trusted_proxies (server, (const char * const *) s->trusted_proxies);
  if (s->purge_after >= 0)
    sv_server_set_purge_after (server, (guint) s->purge_after);
  if (s->request_timeout >= 0)
    sv_server_set_request_timeout (server, (guint) s->request_timeout);
  if (!sv_server_listen (server, s->listen ? s->listen : "127.0.0.1", (guint) MAX (s->port, 0),
                         certificate, &error))
    goto fail;

  if (certificate == NULL)
    {
      g_autoptr(GInetAddress) inet = g_inet_address_new_from_string (s->listen ? s->listen : "127.0.0.1");

      /* Passwords and tokens would cross the network in clear, and
       * browsers refuse the portal's Secure cookie off loopback. */
      if (inet != NULL && !g_inet_address_get_is_loopback (inet))
        g_printerr ("simvault-server: warning: listening on %s without TLS; use --tls-cert/--tls-key "
                    "(or a TLS proxy in front)\n", s->listen);
    }
  g_print ("%s\n", sv_server_get_base_url (server));
  fflush (stdout);
  g_printerr ("simvault-server %s: listening on %s, data in %s (%s)\n", PACKAGE_VERSION,
              sv_server_get_base_url (server), s->data_dir, sv_store_get_engine (store));

  g_main_loop_run (loop);
  g_source_remove (term);
  g_source_remove (intr);

  g_printerr ("simvault-server: shutting down\n");
  sv_server_shutdown (server);
  g_clear_object (&server);
  return 0;

fail:
  g_printerr ("simvault-server: %s\n", error->message);
  if (term != 0)
    g_source_remove (term);
  if (intr != 0)
    g_source_remove (intr);
  return 1;
}

int
main (int   argc,
      char *argv[])
{
  g_auto(Settings) s = { NULL, -1, .purge_after = -1, .request_timeout = -1 };
  g_auto(GStrv) rest = NULL;
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  const GOptionEntry entries[] = {
    { "listen", 0, 0, G_OPTION_ARG_STRING, &s.listen, "Address to listen on (default 127.0.0.1)", "ADDR" },
    { "port", 0, 0, G_OPTION_ARG_INT, &s.port, "Port (0: any free port)", "N" },
    { "data-dir", 0, 0, G_OPTION_ARG_FILENAME, &s.data_dir, "Where the database lives", "DIR" },
    { "tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &s.tls_cert, "PEM certificate: serve HTTPS", "FILE" },
    { "tls-key", 0, 0, G_OPTION_ARG_FILENAME, &s.tls_key, "PEM private key of the certificate", "FILE" },
    { "storage", 0, 0, G_OPTION_ARG_STRING, &s.storage,
      "sqlite:PATH (default: under --data-dir) or postgresql://... (libpq)", "LOCATION" },
    { "trusted-proxy", 0, 0, G_OPTION_ARG_STRING_ARRAY, &s.trusted_proxies,
      "A reverse proxy whose X-Forwarded-For is believed (repeatable)", "ADDR" },
    { "purge-after", 0, 0, G_OPTION_ARG_INT, &s.purge_after,
      "Keep cleared records this many days for the changes since a token (default 30; 0: forever)", "DAYS" },
    { "request-timeout", 0, 0, G_OPTION_ARG_INT, &s.request_timeout,
      "Seconds a client has to send a whole request; an idle connection closes after it (default 30)", "SECONDS" },
    { "config", 0, 0, G_OPTION_ARG_FILENAME, &s.config, "Key file with the same settings in [server]", "FILE" },
    { "password-file", 0, 0, G_OPTION_ARG_FILENAME, &s.password_file, "staff add: read the password from FILE", "FILE" },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &rest, NULL, "[staff add|list|remove NAME | routes]" },
    { NULL }
  };

  setlocale (LC_ALL, "");
  /* A client that goes away mid-answer must not kill the server. */
  signal (SIGPIPE, SIG_IGN);

  context = g_option_context_new ("— the SimVault backup server");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("simvault-server: %s\n", error->message);
      return 2;
    }
  if (!load_config (&s, &error))
    {
      g_printerr ("simvault-server: %s\n", error->message);
      return 2;
    }
  if (s.port > 65535)
    {
      g_printerr ("simvault-server: --port is 0 to 65535\n");
      return 2;
    }

  if (rest != NULL && g_str_equal (rest[0], "staff"))
    return run_staff (&s, rest + 1);
  if (rest != NULL && g_str_equal (rest[0], "routes"))
    return run_routes ();
  if (rest != NULL)
    {
      g_printerr ("simvault-server: unknown command “%s”\n", rest[0]);
      return 2;
    }
  return run_server (&s);
}
