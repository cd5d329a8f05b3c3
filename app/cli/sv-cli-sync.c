/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * simvault-cli commands for the backup server: register, backup, restore
 * (from the server), deregister, sync-status. Each is a thin shell over
 * an operation of sync/operations/; JSON on stdout, {"error": ..., "code":
 * ...} and a non-zero exit status on failure.
 *
 * Passwords come from --password-file FILE, the keyring (libsecret, when
 * the session has one) or the terminal, and go nowhere else: not into the
 * mirror, not into the output, not into logs.
 */
#define G_LOG_DOMAIN "simvault-cli"

#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "sv-backup-operation.h"
#include "sv-hex.h"
#include "sv-register-operation.h"
#include "sv-server-restore-operation.h"
#include "sv-sync-secret.h"

#include "sv-cli.h"

static char *opt_db = NULL;
static char *opt_server = NULL;
static char *opt_phone = NULL;
static char *opt_password_file = NULL;
static char *opt_staff = NULL;
static char *opt_staff_password_file = NULL;
static char *opt_consent_code = NULL;
static int opt_timeout = 0;
static int opt_attempts = 0;

#define DB_OPTION SV_CLI_DB_OPTION (opt_db)
#define PASSWORD_FILE_OPTION \
  { "password-file", 0, 0, G_OPTION_ARG_FILENAME, &opt_password_file, N_("Read the account’s password from FILE (default: the keyring, else the terminal)"), N_("FILE") }
#define NETWORK_OPTIONS \
  { "timeout", 0, 0, G_OPTION_ARG_INT, &opt_timeout, N_("Seconds one request may wait for the server (default: 30)"), N_("SECONDS") }, \
  { "attempts", 0, 0, G_OPTION_ARG_INT, &opt_attempts, N_("Tries per request before giving up (default: 5)"), N_("N") }

/* --staff (@staff_description says what the staff does), its password and
 * the customer's consent: register and restore from a server. */
#define STAFF_OPTIONS(staff_description) \
  { "staff", 0, 0, G_OPTION_ARG_STRING, &opt_staff, staff_description, N_("NAME") }, \
  { "staff-password-file", 0, 0, G_OPTION_ARG_FILENAME, &opt_staff_password_file, N_("Read the staff password from FILE"), N_("FILE") }, \
  { "consent-code", 0, 0, G_OPTION_ARG_STRING, &opt_consent_code, N_("The customer’s one-time restore code"), N_("CODE") }

/* ------------------------------------------------------------------ */
/* Helpers                                                              */

/* {"error": message, "code": "login-failed"}: the code for scripts, from
 * the sync error domain when the failure is the server's or the network's. */
static int
fail_sync (const GError *error)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "error");
  json_builder_add_string_value (b, error->message);
  if (error->domain == SV_SYNC_ERROR)
    {
      json_builder_set_member_name (b, "code");
      json_builder_add_string_value (b, sv_sync_error_to_string ((SvSyncError) error->code));
    }
  json_builder_end_object (b);
  sv_cli_print_builder (b);
  return 1;
}

static void
add_time_or_null (JsonBuilder *b,
                  const char  *name,
                  gint64       unix_seconds)
{
  g_autoptr(GDateTime) time = NULL;
  g_autofree char *text = NULL;

  if (unix_seconds > 0)
    {
      time = g_date_time_new_from_unix_utc (unix_seconds);
      text = sv_protocol_time_format (time);
    }
  sv_cli_add_string_or_null (b, name, text);
}

static void
add_hex (JsonBuilder *b,
         const char  *name,
         GBytes      *bytes)
{
  g_autofree char *hex = bytes ? sv_protocol_hex_encode (bytes) : NULL;

  sv_cli_add_string_or_null (b, name, hex);
}

static void
add_contact_or_null (JsonBuilder *b,
                     const char  *name,
                     SvContact   *contact)
{
  json_builder_set_member_name (b, name);
  if (contact != NULL)
    json_builder_add_value (b, sv_protocol_contact_to_json (contact));
  else
    json_builder_add_null_value (b);
}

static void
add_stats (JsonBuilder       *b,
           const SvSyncStats *stats)
{
  sv_cli_add_int (b, "bytes_sent", (gint64) stats->bytes_sent);
  sv_cli_add_int (b, "bytes_received", (gint64) stats->bytes_received);
  sv_cli_add_int (b, "round_trips", stats->round_trips);
  sv_cli_add_int (b, "retries", stats->retries);
}

/* One conflict with both versions, raw and decoded against @image. */
static void
add_conflict (JsonBuilder    *b,
              SvCardImage    *image,
              SvSyncConflict *c)
{
  g_autoptr(SvContact) server = image ? sv_sync_decode_record_contact (image, c->key, c->index, c->server_data) : NULL;
  g_autoptr(SvContact) local = image ? sv_sync_decode_record_contact (image, c->key, c->index, c->local_data) : NULL;

  json_builder_begin_object (b);
  sv_cli_add_string_or_null (b, "file", c->key);
  sv_cli_add_int (b, "index", c->index);
  json_builder_set_member_name (b, "server");
  json_builder_begin_object (b);
  add_hex (b, "data", c->server_data);
  sv_cli_add_int (b, "version", c->server_version);
  add_contact_or_null (b, "contact", server);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "local");
  json_builder_begin_object (b);
  add_hex (b, "data", c->local_data);
  add_contact_or_null (b, "contact", local);
  json_builder_end_object (b);
  json_builder_end_object (b);
}

static void
add_conflicts (JsonBuilder *b,
               SvCardImage *image,
               GPtrArray   *conflicts)
{
  json_builder_set_member_name (b, "conflicts");
  json_builder_begin_array (b);
  for (guint i = 0; conflicts != NULL && i < conflicts->len; i++)
    add_conflict (b, image, g_ptr_array_index (conflicts, i));
  json_builder_end_array (b);
}

/* A password from FILE: its first line (a trailing newline is not part of
 * it). */
static char *
read_password_file (const char  *path,
                    GError     **error)
{
  g_autofree char *contents = NULL;
  gsize len = 0;
  char *end;

  if (!g_file_get_contents (path, &contents, &len, error))
    return NULL;
  end = strpbrk (contents, "\r\n");
  if (end != NULL)
    *end = '\0';
  if (*contents == '\0')
    {
      g_set_error (error, SV_SYNC_ERROR, SV_SYNC_ERROR_NO_PASSWORD,
                   _("The password file %s is empty"), path);
      memset (contents, 0, len);
      return NULL;
    }
  {
    char *password = g_strdup (contents);

    memset (contents, 0, len);
    return password;
  }
}

/* A password typed on the terminal, without echo; %NULL without one. */
static char *
read_password_terminal (const char *prompt)
{
  struct termios old, quiet;
  char buffer[512];
  gboolean ok;
  char *end;

  if (!isatty (STDIN_FILENO))
    return NULL;
  fprintf (stderr, "%s", prompt);
  fflush (stderr);
  if (tcgetattr (STDIN_FILENO, &old) != 0)
    return NULL;
  quiet = old;
  quiet.c_lflag &= ~(tcflag_t) ECHO;
  tcsetattr (STDIN_FILENO, TCSAFLUSH, &quiet);
  ok = fgets (buffer, sizeof buffer, stdin) != NULL;
  tcsetattr (STDIN_FILENO, TCSAFLUSH, &old);
  fprintf (stderr, "\n");
  if (!ok)
    return NULL;
  end = strpbrk (buffer, "\r\n");
  if (end != NULL)
    *end = '\0';
  {
    char *password = buffer[0] ? g_strdup (buffer) : NULL;

    memset (buffer, 0, sizeof buffer);
    return password;
  }
}

/*
 * The account's password: --password-file, else the keyring (when
 * @use_keyring), else the terminal. %NULL with an error when none of them
 * has one.
 */
static char *
get_password (const char  *file,
              const char  *server,
              const char  *phone,
              gboolean     use_keyring,
              GError     **error)
{
  char *password = NULL;

  if (file != NULL)
    return read_password_file (file, error);
  if (use_keyring && server != NULL && phone != NULL)
    password = sv_sync_secret_lookup (server, phone, NULL, NULL);
  if (password == NULL)
    {
      g_autofree char *prompt = g_strdup_printf (_("Password for %s: "), phone ? phone : "");

      password = read_password_terminal (prompt);
    }
  if (password == NULL)
    g_set_error (error, SV_SYNC_ERROR, SV_SYNC_ERROR_NO_PASSWORD,
                 _("No password: give --password-file FILE, or run on a terminal"));
  return password;
}

static void
password_free (char *password)
{
  if (password != NULL)
    memset (password, 0, strlen (password));
  g_free (password);
}

typedef char SvPassword;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SvPassword, password_free)

static void
set_network (SvSyncCredentials *credentials)
{
  credentials->timeout_seconds = opt_timeout > 0 ? (guint) opt_timeout : 0;
  credentials->max_attempts = opt_attempts > 0 ? (guint) opt_attempts : 0;
}

/* The registration the mirror holds for @iccid, or %NULL. */
static SvSyncState *
lookup_state (const char  *iccid,
              GError     **error)
{
  g_autoptr(SvMirror) mirror = sv_mirror_open (opt_db, error);

  if (mirror == NULL)
    return NULL;
  return sv_mirror_sync_get_state (mirror, iccid, NULL);
}

/* The server and phone of --server and --phone, else of the card's
 * registration, and the network options; FALSE after printing @missing
 * (a usage error) when either is unknown. */
static gboolean
server_from_options (SvSyncCredentials *credentials,
                     const SvSyncState *state,
                     const char        *missing)
{
  credentials->server = opt_server ? opt_server : (state ? state->server : NULL);
  credentials->phone = opt_phone ? opt_phone : (state ? state->phone : NULL);
  if (credentials->server == NULL || credentials->phone == NULL)
    {
      fprintf (stderr, "%s\n", missing);
      return FALSE;
    }
  set_network (credentials);
  return TRUE;
}

/* The options of a command that takes one ICCID, and @usage on stderr
 * when it was not given exactly one.
 *
 * Returns: 0, or the exit code */
static int
parse_iccid_command (GOptionEntry   *entries,
                     const char     *summary,
                     const char     *usage,
                     int            *argc,
                     char         ***argv)
{
  int rc;

  if ((rc = sv_cli_parse_options (entries, "ICCID", summary, argc, argv)))
    return rc;
  if (*argc != 2)
    {
      fprintf (stderr, "%s\n", usage);
      return 2;
    }
  return 0;
}

/* --staff NAME with --staff-password-file FILE (@needs_file when it is
 * missing) and --consent-code into @credentials. */
static gboolean
staff_from_options (SvSyncCredentials  *credentials,
                    SvPassword        **staff_password,
                    const char         *needs_file,
                    GError            **error)
{
  if (opt_staff_password_file == NULL ||
      (*staff_password = read_password_file (opt_staff_password_file, error)) == NULL)
    {
      if (*error == NULL)
        g_set_error_literal (error, SV_SYNC_ERROR, SV_SYNC_ERROR_NO_PASSWORD, needs_file);
      return FALSE;
    }
  credentials->staff_name = opt_staff;
  credentials->staff_password = *staff_password;
  credentials->consent_code = opt_consent_code;
  return TRUE;
}

static gboolean
db_must_exist (GError **error)
{
  const char *path = opt_db ? opt_db : g_getenv ("SIMVAULT_DB");

  if (path != NULL && !g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
                   _("The mirror %s does not exist; read a card first"), path);
      return FALSE;
    }
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* register                                                             */

int
sv_cli_register (int    argc,
                 char **argv)
{
  GOptionEntry entries[] = {
    DB_OPTION,
    { "server", 0, 0, G_OPTION_ARG_STRING, &opt_server, N_("The backup server’s address"), N_("URL") },
    { "phone", 0, 0, G_OPTION_ARG_STRING, &opt_phone, N_("The account’s phone number"), N_("NUMBER") },
    PASSWORD_FILE_OPTION,
    STAFF_OPTIONS (N_("Register as shop staff for the customer (with the customer’s consent)")),
    NETWORK_OPTIONS,
    { NULL }
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(SvPassword) password = NULL;
  g_autoptr(SvPassword) staff_password = NULL;
  g_autoptr(SvRegisterResult) result = NULL;
  g_autoptr(SvSyncState) state = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  SvSyncCredentials credentials = { 0 };
  gboolean in_keyring = FALSE;
  int rc;

  if ((rc = parse_iccid_command (entries, _("Register a card of the mirror with a backup server"),
                                 _("Usage: simvault-cli register ICCID --server URL --phone NUMBER --password-file FILE"),
                                 &argc, &argv)))
    return rc;
  if (!db_must_exist (&error))
    return fail_sync (error);
  state = lookup_state (argv[1], NULL);
  if (!server_from_options (&credentials, state, _("register needs --server URL and --phone NUMBER")))
    return 2;

  if (opt_staff != NULL)
    {
      if (!staff_from_options (&credentials, &staff_password,
                               _("Staff registration needs --staff-password-file FILE"), &error))
        return fail_sync (error);
      if (opt_password_file != NULL &&
          (password = read_password_file (opt_password_file, &error)) == NULL)
        return fail_sync (error);
      credentials.password = password;
    }
  else
    {
      password = get_password (opt_password_file, credentials.server, credentials.phone, FALSE, &error);
      if (password == NULL)
        return fail_sync (error);
      credentials.password = password;
    }

  result = sv_register_operation_run (opt_db, argv[1], &credentials, NULL, &error);
  if (result == NULL)
    return fail_sync (error);

  /* The owner's password goes to the keyring, when there is one, so that
   * a later backup need not ask. */
  if (opt_staff == NULL && sv_sync_secret_is_available ())
    in_keyring = sv_sync_secret_store (result->server, result->phone, password, NULL, NULL);

  json_builder_begin_object (b);
  sv_cli_add_string_or_null (b, "result", result->result);
  sv_cli_add_int (b, "counter_a", result->counter_a);
  sv_cli_add_int (b, "counter_b", result->counter_b);
  sv_cli_add_string_or_null (b, "portal", result->portal);
  sv_cli_add_string_or_null (b, "iccid", result->iccid);
  sv_cli_add_string_or_null (b, "server", result->server);
  sv_cli_add_string_or_null (b, "phone", result->phone);
  json_builder_set_member_name (b, "password_in_keyring");
  json_builder_add_boolean_value (b, in_keyring);
  json_builder_end_object (b);
  return sv_cli_print_builder (b);
}

/* ------------------------------------------------------------------ */
/* backup                                                               */

static gboolean
parse_sms_option (const char       *text,
                  SvBackupOptions  *options,
                  GArray           *indices,
                  GError          **error)
{
  g_auto(GStrv) parts = NULL;

  if (text == NULL || g_str_equal (text, "new"))
    options->sms = SV_BACKUP_SMS_NEW;
  else if (g_str_equal (text, "all"))
    options->sms = SV_BACKUP_SMS_ALL;
  else if (g_str_equal (text, "none"))
    options->sms = SV_BACKUP_SMS_NONE;
  else
    {
      options->sms = SV_BACKUP_SMS_CHOSEN;
      parts = g_strsplit (text, ",", -1);
      for (guint i = 0; parts[i] != NULL; i++)
        {
          guint64 value = 0;

          if (!g_ascii_string_to_unsigned (g_strstrip (parts[i]), 10, 1, G_MAXUINT16, &value, NULL))
            {
              g_set_error (error, SV_SYNC_ERROR, SV_SYNC_ERROR_INVALID,
                           _("--sms takes all, new, none or message indices (1,3,7), not “%s”"),
                           text);
              return FALSE;
            }
          {
            guint index = (guint) value;

            g_array_append_val (indices, index);
          }
        }
    }
  return TRUE;
}

/* --resolve-record FILE:INDEX=local|server, settled before the backup. */
static gboolean
resolve_records (const char   *iccid,
                 char        **specs,
                 GError      **error)
{
  g_autoptr(SvMirror) mirror = NULL;

  if (specs == NULL || specs[0] == NULL)
    return TRUE;
  if ((mirror = sv_mirror_open (opt_db, error)) == NULL)
    return FALSE;
  for (guint i = 0; specs[i] != NULL; i++)
    {
      g_autofree char *file = NULL;
      const char *colon = strrchr (specs[i], ':');
      const char *equals = strrchr (specs[i], '=');
      g_autofree char *index_text = NULL;
      guint64 index = 0;
      SvSyncResolve resolve = SV_SYNC_RESOLVE_NONE;

      if (colon == NULL || equals == NULL || equals < colon ||
          !sv_sync_resolve_from_string (equals + 1, &resolve) || resolve == SV_SYNC_RESOLVE_NONE ||
          (index_text = g_strndup (colon + 1, equals - colon - 1)) == NULL ||
          !g_ascii_string_to_unsigned (index_text, 10, 1, G_MAXUINT16, &index, NULL))
        {
          g_set_error (error, SV_SYNC_ERROR, SV_SYNC_ERROR_INVALID,
                       _("--resolve-record takes FILE:INDEX=local or FILE:INDEX=server, not “%s”"),
                       specs[i]);
          return FALSE;
        }
      file = g_strndup (specs[i], colon - specs[i]);
      if (!sv_mirror_sync_resolve (mirror, iccid, file, (guint) index, resolve, error))
        return FALSE;
    }
  return TRUE;
}

int
sv_cli_backup (int    argc,
               char **argv)
{
  gboolean full = FALSE;
  g_autofree char *sms = NULL;
  g_autofree char *resolve_text = NULL;
  g_auto(GStrv) resolve_records_specs = NULL;
  GOptionEntry entries[] = {
    DB_OPTION,
    { "full", 0, 0, G_OPTION_ARG_NONE, &full, N_("A full backup: the server’s copy is replaced (default: only what changed)"), NULL },
    { "sms", 0, 0, G_OPTION_ARG_STRING, &sms, N_("Messages to back up: new (default), all, none, or indices such as 1,3,7"), N_("WHICH") },
    PASSWORD_FILE_OPTION,
    { "resolve", 0, 0, G_OPTION_ARG_STRING, &resolve_text, N_("Settle every conflict: local (this copy wins) or server (the server’s wins)"), N_("SIDE") },
    { "resolve-record", 0, 0, G_OPTION_ARG_STRING_ARRAY, &resolve_records_specs, N_("Settle one conflict, e.g. adn:7=local (repeatable)"), N_("FILE:INDEX=SIDE") },
    NETWORK_OPTIONS,
    { NULL }
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(SvPassword) password = NULL;
  g_autoptr(SvSyncState) state = NULL;
  g_autoptr(SvBackupResult) result = NULL;
  g_autoptr(GArray) indices = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr(JsonBuilder) b = json_builder_new ();
  SvBackupOptions options = { 0 };
  SvSyncCredentials credentials = { 0 };
  int rc;

  if ((rc = parse_iccid_command (entries, _("Back up a card of the mirror to its backup server"),
                                 _("Usage: simvault-cli backup ICCID [--full] [--sms all|new|none|INDEX,…] [--password-file FILE] [--resolve local|server]"),
                                 &argc, &argv)))
    return rc;
  options.full = full;
  if (!parse_sms_option (sms, &options, indices, &error))
    return fail_sync (error);
  options.sms_indices = (const guint *) (gpointer) indices->data;
  options.n_sms_indices = indices->len;
  if (resolve_text != NULL &&
      (!sv_sync_resolve_from_string (resolve_text, &options.resolve)))
    {
      g_set_error (&error, SV_SYNC_ERROR, SV_SYNC_ERROR_INVALID,
                   _("--resolve takes local or server, not “%s”"), resolve_text);
      return fail_sync (error);
    }
  if (!db_must_exist (&error))
    return fail_sync (error);

  state = lookup_state (argv[1], &error);
  if (state == NULL)
    {
      g_clear_error (&error);
      error = g_error_new (SV_SYNC_ERROR, SV_SYNC_ERROR_NOT_REGISTERED,
                           _("The card %s is not registered with a backup server; run “register” first"),
                           argv[1]);
      return fail_sync (error);
    }
  if (!resolve_records (argv[1], resolve_records_specs, &error))
    return fail_sync (error);
  password = get_password (opt_password_file, state->server, state->phone, TRUE, &error);
  if (password == NULL)
    return fail_sync (error);
  credentials.password = password;
  set_network (&credentials);

  result = sv_backup_operation_run (opt_db, argv[1], &options, &credentials, NULL, NULL, &error);
  if (result == NULL)
    return fail_sync (error);

  json_builder_begin_object (b);
  sv_cli_add_string_or_null (b, "iccid", result->iccid);
  sv_cli_add_string_or_null (b, "mode", result->full ? "full" : "incremental");
  json_builder_set_member_name (b, "records");
  json_builder_begin_object (b);
  sv_cli_add_int (b, "sent", result->records_sent);
  sv_cli_add_int (b, "applied", result->records_applied);
  json_builder_end_object (b);
  sv_cli_add_int (b, "batches", result->batches);
  sv_cli_add_int (b, "resumed_batches", result->resumed);
  add_conflicts (b, result->image, result->conflicts);
  json_builder_set_member_name (b, "messages");
  json_builder_begin_object (b);
  sv_cli_add_int (b, "sent", result->messages_sent);
  sv_cli_add_int (b, "stored", result->messages_stored);
  sv_cli_add_int (b, "duplicates", result->messages_duplicates);
  sv_cli_add_int (b, "dropped", result->messages_dropped);
  sv_cli_add_int (b, "count", result->messages_count);
  json_builder_end_object (b);
  add_stats (b, &result->stats);
  sv_cli_add_string_or_null (b, "token", result->token);
  json_builder_end_object (b);
  return sv_cli_print_builder (b);
}

/* ------------------------------------------------------------------ */
/* restore (from the server)                                            */

static void
add_entries (JsonBuilder *b,
             GPtrArray   *entries)
{
  guint counts[4] = { 0, 0, 0, 0 };

  json_builder_set_member_name (b, "entries");
  json_builder_begin_array (b);
  for (guint i = 0; entries != NULL && i < entries->len; i++)
    {
      SvRestoreEntry *e = g_ptr_array_index (entries, i);

      counts[e->outcome]++;
      json_builder_begin_object (b);
      sv_cli_add_string_or_null (b, "outcome", sv_restore_outcome_to_string (e->outcome));
      sv_cli_add_string_or_null (b, "message", e->message);
      add_contact_or_null (b, "source", e->source);
      add_contact_or_null (b, "target", e->target);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "summary");
  json_builder_begin_object (b);
  for (guint k = 0; k < 4; k++)
    sv_cli_add_int (b, sv_restore_outcome_to_string (k), counts[k]);
  json_builder_end_object (b);
}

static void
add_changes (JsonBuilder           *b,
             SvServerRestoreResult *result)
{
  json_builder_set_member_name (b, "changes");
  json_builder_begin_array (b);
  for (guint i = 0; result->written != NULL && i < result->written->len; i++)
    {
      SvSyncRecord *r = g_ptr_array_index (result->written, i);
      GBytes *old = sv_card_image_get_record (result->before, r->key, r->index);
      g_autoptr(SvContact) before = sv_sync_decode_record_contact (result->before, r->key, r->index, old);
      g_autoptr(SvContact) after = sv_sync_decode_record_contact (result->after, r->key, r->index, r->data);

      json_builder_begin_object (b);
      sv_cli_add_string_or_null (b, "file", r->key);
      sv_cli_add_int (b, "index", r->index);
      add_hex (b, "data", r->data);
      add_contact_or_null (b, "before", before);
      add_contact_or_null (b, "after", after);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
}

static int
sync_restore (int    argc,
              char **argv)
{
  gboolean full = FALSE, incremental = FALSE, sms = FALSE, apply = FALSE, accept_truncation = FALSE;
  g_autofree char *from = NULL;
  g_autofree char *resolve_text = NULL;
  GOptionEntry entries[] = {
    DB_OPTION,
    { "server", 0, 0, G_OPTION_ARG_STRING, &opt_server, N_("The backup server’s address (default: the card’s registration)"), N_("URL") },
    { "phone", 0, 0, G_OPTION_ARG_STRING, &opt_phone, N_("The account’s phone number (default: the card’s registration)"), N_("NUMBER") },
    PASSWORD_FILE_OPTION,
    { "full", 0, 0, G_OPTION_ARG_NONE, &full, N_("Everything backed up (default: the changes since the last sync, when there was one)"), NULL },
    { "incremental", 0, 0, G_OPTION_ARG_NONE, &incremental, N_("Only the changes since the last sync"), NULL },
    { "sms", 0, 0, G_OPTION_ARG_NONE, &sms, N_("Restore the backed-up messages too"), NULL },
    { "apply", 0, 0, G_OPTION_ARG_NONE, &apply, N_("Store the restore as the target’s pending changes (default: preview only); then run “write”"), NULL },
    { "accept-truncation", 0, 0, G_OPTION_ARG_NONE, &accept_truncation, N_("Confirm the shortened entries of the preview"), NULL },
    { "from", 0, 0, G_OPTION_ARG_STRING, &from, N_("The backed-up card to restore from (default: the target’s own backup, else the account’s current card)"), N_("ICCID") },
    { "resolve", 0, 0, G_OPTION_ARG_STRING, &resolve_text, N_("Records changed on both sides: local (keep this copy) or server (take the server’s)"), N_("SIDE") },
    STAFF_OPTIONS (N_("Restore as shop staff for the customer (with the customer’s consent)")),
    NETWORK_OPTIONS,
    { NULL }
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(SvPassword) password = NULL;
  g_autoptr(SvPassword) staff_password = NULL;
  g_autoptr(SvSyncState) state = NULL;
  g_autoptr(SvServerRestoreResult) result = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  SvServerRestoreOptions options = { 0 };
  SvSyncCredentials credentials = { 0 };
  int rc;

  /* `restore --help` lands here for both forms: the card-to-card form's
   * options (--db, --apply, --accept-truncation) are a subset of these. */
  if ((rc = sv_cli_parse_options (entries, "TARGET-ICCID --server URL --phone NUMBER | SOURCE-ICCID TARGET-ICCID",
                                  _("Two forms. “restore TARGET-ICCID --server URL --phone NUMBER”: restore a backup from the server onto a card of the mirror. “restore SOURCE-ICCID TARGET-ICCID”: map one card’s phonebook onto another card of the mirror (only --db, --apply and --accept-truncation apply). Both preview first, then --apply."),
                                  &argc, &argv)))
    return rc;
  if (argc != 2)
    {
      fprintf (stderr, "%s\n", _("Usage: simvault-cli restore TARGET-ICCID --server URL --phone NUMBER --password-file FILE [--full|--incremental] [--sms] [--apply] [--accept-truncation]"));
      return 2;
    }
  options.full = full;
  options.incremental = incremental;
  options.sms = sms;
  options.apply = apply;
  options.accept_truncation = accept_truncation;
  options.source_iccid = from;
  if (resolve_text != NULL && !sv_sync_resolve_from_string (resolve_text, &options.resolve))
    {
      g_set_error (&error, SV_SYNC_ERROR, SV_SYNC_ERROR_INVALID,
                   _("--resolve takes local or server, not “%s”"), resolve_text);
      return fail_sync (error);
    }
  if (!db_must_exist (&error))
    return fail_sync (error);

  state = lookup_state (argv[1], NULL);
  if (!server_from_options (&credentials, state,
                            _("restore from a server needs --server URL and --phone NUMBER")))
    return 2;
  if (opt_staff != NULL)
    {
      if (!staff_from_options (&credentials, &staff_password,
                               _("Staff restore needs --staff-password-file FILE"), &error))
        return fail_sync (error);
      if (opt_consent_code == NULL)
        {
          password = get_password (opt_password_file, NULL, credentials.phone, FALSE, &error);
          if (password == NULL)
            return fail_sync (error);
        }
      credentials.password = password;
    }
  else
    {
      password = get_password (opt_password_file, credentials.server, credentials.phone, TRUE, &error);
      if (password == NULL)
        return fail_sync (error);
      credentials.password = password;
    }

  result = sv_server_restore_operation_run (opt_db, argv[1], &options, &credentials, NULL, NULL, &error);
  if (result == NULL)
    return fail_sync (error);

  json_builder_begin_object (b);
  sv_cli_add_string_or_null (b, "mode", result->applied ? "applied" : "preview");
  sv_cli_add_string_or_null (b, "kind", result->full ? "full" : "incremental");
  sv_cli_add_string_or_null (b, "source", result->source_iccid);
  sv_cli_add_string_or_null (b, "target", result->target_iccid);
  json_builder_set_member_name (b, "same_card");
  json_builder_add_boolean_value (b, result->same_card);
  sv_cli_add_string_or_null (b, "registration", result->registration);
  if (!result->same_card)
    add_entries (b, result->entries);
  json_builder_set_member_name (b, "records");
  json_builder_begin_object (b);
  sv_cli_add_int (b, "received", result->records);
  sv_cli_add_int (b, "changed", result->written ? result->written->len : 0);
  json_builder_end_object (b);
  add_changes (b, result);
  add_conflicts (b, result->before, result->conflicts);
  json_builder_set_member_name (b, "messages");
  json_builder_begin_object (b);
  sv_cli_add_int (b, "received", result->messages);
  sv_cli_add_int (b, "written", result->messages_written);
  sv_cli_add_int (b, "dropped", result->messages_dropped);
  json_builder_end_object (b);
  sv_cli_add_string_or_null (b, "token", result->token);
  add_stats (b, &result->stats);
  json_builder_end_object (b);
  return sv_cli_print_builder (b);
}

/* `restore SOURCE TARGET` maps one card of the mirror onto another;
 * `restore TARGET --server …` restores from the backup server. */
int
sv_cli_restore_any (int    argc,
                    char **argv)
{
  guint positional = 0;

  for (int i = 1; i < argc; i++)
    {
      if (g_str_equal (argv[i], "--help") || g_str_equal (argv[i], "-h") ||
          g_str_equal (argv[i], "-?") || g_str_equal (argv[i], "--help-all"))
        return sync_restore (argc, argv);
      if (g_str_has_prefix (argv[i], "--server") || g_str_has_prefix (argv[i], "--phone") ||
          g_str_has_prefix (argv[i], "--staff") || g_str_has_prefix (argv[i], "--password-file") ||
          g_str_has_prefix (argv[i], "--from") || g_str_equal (argv[i], "--sms") ||
          g_str_equal (argv[i], "--full") || g_str_equal (argv[i], "--incremental"))
        return sync_restore (argc, argv);
      if (g_str_equal (argv[i], "--db"))
        i++;
      else if (argv[i][0] != '-')
        positional++;
    }
  if (positional == 1)
    return sync_restore (argc, argv);
  return sv_cli_restore (argc, argv);
}

/* ------------------------------------------------------------------ */
/* deregister, sync-status                                              */

int
sv_cli_deregister (int    argc,
                   char **argv)
{
  GOptionEntry entries[] = {
    DB_OPTION,
    PASSWORD_FILE_OPTION,
    NETWORK_OPTIONS,
    { NULL }
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(SvPassword) password = NULL;
  g_autoptr(SvSyncState) state = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  SvSyncCredentials credentials = { 0 };
  int rc;

  if ((rc = parse_iccid_command (entries, _("Delete a card’s backup from its server and forget the registration"),
                                 _("Usage: simvault-cli deregister ICCID [--password-file FILE]"),
                                 &argc, &argv)))
    return rc;
  if (!db_must_exist (&error))
    return fail_sync (error);
  state = lookup_state (argv[1], NULL);
  if (state == NULL)
    {
      error = g_error_new (SV_SYNC_ERROR, SV_SYNC_ERROR_NOT_REGISTERED,
                           _("The card %s is not registered with a backup server; run “register” first"),
                           argv[1]);
      return fail_sync (error);
    }
  password = get_password (opt_password_file, state->server, state->phone, TRUE, &error);
  if (password == NULL)
    return fail_sync (error);
  credentials.password = password;
  set_network (&credentials);
  if (!sv_deregister_operation_run (opt_db, argv[1], &credentials, NULL, &error))
    return fail_sync (error);
  /* The registration is gone: so is the password that register put into
   * the keyring (a failure to clear it does not undo the deregistration). */
  if (sv_sync_secret_is_available ())
    {
      g_autoptr(GError) secret_error = NULL;

      if (!sv_sync_secret_clear (state->server, state->phone, NULL, &secret_error))
        g_warning ("The keyring kept the password: %s", secret_error->message);
    }

  json_builder_begin_object (b);
  sv_cli_add_string_or_null (b, "result", "deregistered");
  sv_cli_add_string_or_null (b, "iccid", argv[1]);
  sv_cli_add_string_or_null (b, "server", state->server);
  sv_cli_add_string_or_null (b, "phone", state->phone);
  json_builder_end_object (b);
  return sv_cli_print_builder (b);
}

int
sv_cli_sync_status (int    argc,
                    char **argv)
{
  GOptionEntry entries[] = {
    DB_OPTION,
    { NULL }
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(SvMirror) mirror = NULL;
  g_autoptr(SvSyncState) state = NULL;
  g_autoptr(GPtrArray) conflicts = NULL;
  g_autoptr(SvCardImage) image = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  int rc;

  if ((rc = parse_iccid_command (entries, _("Show a card’s backup state: server, last backup, what waits for upload"),
                                 _("Usage: simvault-cli sync-status ICCID"),
                                 &argc, &argv)))
    return rc;
  if (!db_must_exist (&error) || (mirror = sv_mirror_open (opt_db, &error)) == NULL)
    return fail_sync (error);
  if (!sv_mirror_has_card (mirror, argv[1]))
    {
      g_set_error (&error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_NOT_FOUND,
                   _("The card %s is not in the mirror; read it first"), argv[1]);
      return fail_sync (error);
    }
  state = sv_mirror_sync_get_state (mirror, argv[1], NULL);

  json_builder_begin_object (b);
  sv_cli_add_string_or_null (b, "iccid", argv[1]);
  json_builder_set_member_name (b, "registered");
  json_builder_add_boolean_value (b, state != NULL);
  if (state != NULL)
    {
      image = sv_mirror_load_image (mirror, argv[1], TRUE, NULL);
      conflicts = sv_mirror_sync_list_conflicts (mirror, argv[1], NULL);
      sv_cli_add_string_or_null (b, "server", state->server);
      sv_cli_add_string_or_null (b, "phone", state->phone);
      add_time_or_null (b, "registered_at", state->registered_at);
      add_time_or_null (b, "last_backup", state->last_backup_at);
      add_time_or_null (b, "last_restore", state->last_restore_at);
      sv_cli_add_int (b, "records_pending_upload", state->n_pending_records);
      sv_cli_add_int (b, "messages_pending_upload", state->n_pending_messages);
      sv_cli_add_int (b, "unacknowledged_batches", state->n_outbox);
      add_conflicts (b, image, conflicts);
      sv_cli_add_string_or_null (b, "token", state->token);
      sv_cli_add_string_or_null (b, "backup_token", state->backup_token);
      sv_cli_add_int (b, "counter_a", state->counter_a);
      sv_cli_add_int (b, "counter_b", state->counter_b);
    }
  json_builder_end_object (b);
  return sv_cli_print_builder (b);
}
