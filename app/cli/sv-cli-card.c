/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * simvault-cli readers | read | write: the card over PC/SC.
 *
 * The PIN comes from --pin-file (its first line) or from the terminal
 * without echo; never from the command line. It is wiped from memory once
 * sent. A write interrupted by pulling the card leaves a journal under
 * $XDG_STATE_HOME/simvault/journal/<ICCID>.journal; the next write reports
 * it and resumes.
 */
#define G_LOG_DOMAIN "simvault-cli"

#include "config.h"

#include <fcntl.h>
#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "sv-card-error.h"
#include "sv-card-info.h"
#include "sv-card-reader.h"
#include "sv-cli.h"
#include "sv-hex.h"
#include "sv-mirror.h"
#include "sv-pcsc-reader.h"
#include "sv-operations.h"
#include "sv-pin.h"
#include "sv-sms-export.h"

#define SECRET_MAX 32

/* Reads one line without echo from the controlling terminal. */
static gboolean
read_tty_secret (const char  *prompt,
                 char        *buf,
                 gsize        size,
                 GError     **error)
{
  struct termios saved, quiet;
  int fd = open ("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
  gsize n = 0;
  gboolean have_termios;

  if (fd < 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "A PIN is needed: pass --pin-file FILE (no terminal to ask on)");
      return FALSE;
    }
  if (write (fd, prompt, strlen (prompt)) < 0)
    { /* the prompt is a courtesy */ }
  have_termios = tcgetattr (fd, &saved) == 0;
  if (have_termios)
    {
      quiet = saved;
      quiet.c_lflag &= ~(tcflag_t) (ECHO | ECHONL);
      tcsetattr (fd, TCSAFLUSH, &quiet);
    }
  for (;;)
    {
      char c;

      if (read (fd, &c, 1) != 1 || c == '\n' || c == '\r')
        break;
      if (n + 1 < size)
        buf[n++] = c;
    }
  buf[n] = '\0';
  if (have_termios)
    tcsetattr (fd, TCSAFLUSH, &saved);
  if (write (fd, "\n", 1) < 0)
    { /* ignore */ }
  close (fd);
  return TRUE;
}

static gboolean
read_file_secret (const char  *path,
                  char        *buf,
                  gsize        size,
                  GError     **error)
{
  g_autofree char *contents = NULL;
  gsize len = 0, n = 0;

  if (!g_file_get_contents (path, &contents, &len, error))
    return FALSE;
  while (n < len && n + 1 < size && contents[n] != '\n' && contents[n] != '\r')
    {
      buf[n] = contents[n];
      n++;
    }
  buf[n] = '\0';
  explicit_bzero (contents, len);
  return TRUE;
}

static gboolean
confirm_on_tty (const char *question)
{
  char answer[8] = "";

  if (!read_tty_secret (question, answer, sizeof answer, NULL))
    return FALSE;
  return g_ascii_strcasecmp (answer, "yes") == 0;
}

/* Verifies PIN1 when the card asks for it. */
static gboolean
ensure_pin (SvCardSession  *session,
            const char     *pin_file,
            gboolean        confirm_last_try,
            GError        **error)
{
  SvPinStatus status;
  char pin[SECRET_MAX];
  SvPinFlags flags = SV_PIN_FLAGS_NONE;
  gboolean ok;

  if (!sv_pin_get_status (session, SV_PIN_1, &status, error))
    return FALSE;
  if (status.verified)
    return TRUE;
  if (status.blocked)
    {
      g_set_error (error, SV_CARD_ERROR, SV_CARD_ERROR_PIN_BLOCKED,
                   "%s: the PIN is blocked; unblock it with the PUK (%u tries left) in a phone",
                   sv_card_session_get_reader_name (session), status.puk_retries);
      return FALSE;
    }

  if (status.pin_retries == 1)
    {
      if (confirm_last_try)
        flags |= SV_PIN_CONFIRM_LAST_TRY;
      else if (pin_file == NULL &&
               confirm_on_tty ("Only ONE PIN try is left: a wrong PIN blocks the card. Type yes to go on: "))
        flags |= SV_PIN_CONFIRM_LAST_TRY;
    }

  if (pin_file != NULL)
    ok = read_file_secret (pin_file, pin, sizeof pin, error);
  else
    {
      g_autofree char *prompt = NULL;

      if (status.pin_retries != G_MAXUINT)
        prompt = g_strdup_printf (status.universal ? _("Universal PIN for the card in %s (%u tries left): ")
                                                   : _("PIN for the card in %s (%u tries left): "),
                                  sv_card_session_get_reader_name (session), status.pin_retries);
      else
        prompt = g_strdup_printf (status.universal ? _("Universal PIN for the card in %s: ")
                                                   : _("PIN for the card in %s: "),
                                  sv_card_session_get_reader_name (session));
      ok = read_tty_secret (prompt, pin, sizeof pin, error);
    }
  if (ok)
    ok = sv_pin_verify (session, SV_PIN_1, pin, flags, error);
  explicit_bzero (pin, sizeof pin);
  if (!ok && error != NULL && g_error_matches (*error, SV_CARD_ERROR, SV_CARD_ERROR_PIN_REFUSED))
    g_prefix_error (error, _("Not sent: pass --confirm-last-try to spend the last try. "));
  return ok;
}

static SvCardSession *
open_session (SvReader     *reader,
              const char   *wanted,
              const char   *pin_file,
              gboolean      confirm_last_try,
              GError      **error)
{
  g_autofree char *name = sv_reader_pick_reader (reader, wanted, error);
  g_autoptr(SvCardSession) session = NULL;

  if (name == NULL)
    return NULL;
  session = sv_card_session_open (reader, name, error);
  if (session == NULL)
    return NULL;
  if (!ensure_pin (session, pin_file, confirm_last_try, error))
    return NULL;
  return g_steal_pointer (&session);
}

/* ---- readers ---------------------------------------------------------- */

int
sv_cli_readers (int    argc,
                char **argv)
{
  gboolean json = FALSE;
  g_autoptr(GError) error = NULL;
  g_autoptr(GOptionContext) context = g_option_context_new ("- list smart card readers and cards");
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON", NULL },
    { NULL }
  };
  g_autoptr(SvReader) reader = sv_pcsc_reader_new ();
  g_autoptr(GPtrArray) states = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      fprintf (stderr, "%s\n", error->message);
      return 2;
    }

  states = sv_reader_list_readers (reader, &error);
  if (states == NULL)
    return sv_cli_fail_error (error);

  json_builder_begin_array (builder);
  for (guint i = 0; i < states->len; i++)
    {
      SvReaderState *state = g_ptr_array_index (states, i);
      gboolean present = (state->flags & SV_READER_STATE_PRESENT) != 0;
      g_autofree char *atr = state->atr ? sv_gbytes_to_hex (state->atr) : g_strdup ("");
      g_autofree char *iccid = NULL;
      g_autofree char *problem = NULL;
      const char *type = NULL;

      if (present)
        {
          g_autoptr(GError) card_error = NULL;
          g_autoptr(SvCardSession) session = sv_card_session_open (reader, state->name, &card_error);

          if (session != NULL)
            {
              type = sv_card_type_to_string (sv_card_session_get_card_type (session));
              iccid = sv_card_read_iccid (session, &card_error);
            }
          if (card_error != NULL)
            problem = g_strdup (card_error->message);
        }

      if (!json)
        {
          g_print ("%s: %s%s%s%s%s\n", state->name,
                   present ? "card present" : "no card",
                   type ? ", " : "", type ? type : "",
                   iccid ? ", ICCID " : "", iccid ? iccid : "");
          if (problem)
            g_print ("  %s\n", problem);
          continue;
        }

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "name");
      json_builder_add_string_value (builder, state->name);
      json_builder_set_member_name (builder, "card_present");
      json_builder_add_boolean_value (builder, present);
      json_builder_set_member_name (builder, "in_use");
      json_builder_add_boolean_value (builder, (state->flags & SV_READER_STATE_IN_USE) != 0);
      json_builder_set_member_name (builder, "atr");
      if (present)
        json_builder_add_string_value (builder, atr);
      else
        json_builder_add_null_value (builder);
      json_builder_set_member_name (builder, "card_type");
      if (type)
        json_builder_add_string_value (builder, type);
      else
        json_builder_add_null_value (builder);
      json_builder_set_member_name (builder, "iccid");
      if (iccid)
        json_builder_add_string_value (builder, iccid);
      else
        json_builder_add_null_value (builder);
      if (problem)
        {
          json_builder_set_member_name (builder, "error");
          json_builder_add_string_value (builder, problem);
        }
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);

  if (json)
    {
      root = json_builder_get_root (builder);
      sv_cli_print_json (root);
    }
  else if (states->len == 0)
    g_print ("No smart card reader found.\n");
  return 0;
}

/* ---- read ------------------------------------------------------------- */

/* What the card can hold: per phonebook set, and EF_SMS. */
static void
add_capacities (JsonBuilder *builder,
                SvCardInfo  *info)
{
  json_builder_set_member_name (builder, "phonebook_capacity");
  json_builder_begin_array (builder);
  for (guint i = 0; i < sv_card_info_get_n_phonebook_sets (info); i++)
    {
      const SvPhonebookLimits *limits = sv_card_info_get_phonebook_limits (info, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "set");
      json_builder_add_int_value (builder, limits->set);
      json_builder_set_member_name (builder, "records");
      json_builder_add_int_value (builder, limits->n_records);
      json_builder_set_member_name (builder, "alpha_length");
      json_builder_add_int_value (builder, limits->alpha_len);
      json_builder_set_member_name (builder, "ext1_records");
      json_builder_add_int_value (builder, limits->n_ext1_records);
      json_builder_set_member_name (builder, "ext1_free");
      json_builder_add_int_value (builder, limits->n_ext1_free);
      json_builder_set_member_name (builder, "additional_numbers");
      json_builder_add_int_value (builder, limits->n_anr);
      json_builder_set_member_name (builder, "emails");
      json_builder_add_int_value (builder, limits->n_email);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "sms_capacity");
  json_builder_add_int_value (builder, sv_card_info_get_sms_capacity (info));
  json_builder_set_member_name (builder, "sms_used");
  json_builder_add_int_value (builder, sv_card_info_get_sms_used (info));
}

static JsonNode *
build_read_json (SvReadResult *result)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  SvCardImage *image = sv_read_result_get_image (result);
  GPtrArray *contacts = sv_read_result_get_contacts (result);
  GPtrArray *messages = sv_read_result_get_messages (result);
  const SvCardReadStats *stats = sv_read_result_get_stats (result);
  g_autoptr(SvCardInfo) info = sv_card_info_new_from_image (image);

  json_builder_begin_object (builder);
  sv_cli_add_string_or_null (builder, "iccid", sv_card_info_get_iccid (info));
  sv_cli_add_string_or_null (builder, "imsi", sv_card_info_get_imsi (info));
  sv_cli_add_string_or_null (builder, "msisdn", sv_card_info_get_msisdn (info));
  json_builder_set_member_name (builder, "card_type");
  json_builder_add_string_value (builder, sv_card_image_get_card_type (image) == SV_CARD_TYPE_USIM
                                          ? "usim" : "sim");
  sv_cli_add_string_or_null (builder, "spn", sv_card_info_get_spn (info));
  add_capacities (builder, info);

  json_builder_set_member_name (builder, "contacts");
  json_builder_begin_array (builder);
  for (guint i = 0; i < contacts->len; i++)
    {
      SvContact *c = g_ptr_array_index (contacts, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "set");
      json_builder_add_int_value (builder, sv_contact_get_set (c));
      json_builder_set_member_name (builder, "index");
      json_builder_add_int_value (builder, sv_contact_get_index (c));
      sv_cli_add_string_or_null (builder, "name", sv_contact_get_name (c));
      sv_cli_add_string_or_null (builder, "number", sv_contact_get_number (c));
      sv_cli_add_strv (builder, "additional_numbers", sv_contact_get_additional_numbers (c));
      sv_cli_add_strv (builder, "emails", sv_contact_get_emails (c));
      if (sv_contact_get_second_name (c))
        sv_cli_add_string_or_null (builder, "second_name", sv_contact_get_second_name (c));
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);

  json_builder_set_member_name (builder, "messages");
  json_builder_begin_array (builder);
  for (guint i = 0; i < messages->len; i++)
    {
      SvMessage *m = g_ptr_array_index (messages, i);
      GDateTime *ts = sv_message_get_timestamp (m);
      g_autofree char *ts_text = ts ? sv_date_time_format_rfc3339 (ts) : NULL;
      const guint *records = sv_message_get_record_indices (m);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "index");
      json_builder_add_int_value (builder, sv_message_get_index (m));
      sv_cli_add_string_or_null (builder, "status", sv_message_status_to_string (sv_message_get_status (m)));
      sv_cli_add_string_or_null (builder, "type", sv_message_type_to_string (sv_message_get_message_type (m)));
      sv_cli_add_string_or_null (builder, "number", sv_message_get_number (m));
      sv_cli_add_string_or_null (builder, "timestamp", ts_text);
      sv_cli_add_string_or_null (builder, "text", sv_message_get_text (m));
      json_builder_set_member_name (builder, "parts");
      json_builder_add_int_value (builder, sv_message_get_n_parts (m));
      json_builder_set_member_name (builder, "records");
      json_builder_begin_array (builder);
      for (guint p = 0; records && p < sv_message_get_n_parts (m); p++)
        json_builder_add_int_value (builder, records[p]);
      json_builder_end_array (builder);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);

  json_builder_set_member_name (builder, "apdu_count");
  json_builder_add_int_value (builder, stats->apdu_count);
  json_builder_set_member_name (builder, "records_read");
  json_builder_add_int_value (builder, stats->records_read);
  json_builder_set_member_name (builder, "records_reused");
  json_builder_add_int_value (builder, stats->records_reused);

  if (sv_read_result_get_stored (result))
    {
      GPtrArray *conflicts = sv_read_result_get_conflicts (result);

      json_builder_set_member_name (builder, "conflicts");
      json_builder_begin_array (builder);
      for (guint i = 0; i < conflicts->len; i++)
        {
          SvMirrorConflict *conflict = g_ptr_array_index (conflicts, i);
          g_autofree char *where = g_strdup_printf ("%s#%u", conflict->key, conflict->index);

          json_builder_add_string_value (builder, where);
        }
      json_builder_end_array (builder);
    }
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

int
sv_cli_read (int    argc,
             char **argv)
{
  g_autofree char *reader_name = NULL;
  g_autofree char *pin_file = NULL;
  g_autofree char *db = NULL;
  gboolean json = FALSE, confirm_last_try = FALSE, no_messages = FALSE;
  g_autoptr(GError) error = NULL;
  g_autoptr(GOptionContext) context = g_option_context_new ("- read a card");
  const GOptionEntry entries[] = {
    { "reader", 'r', 0, G_OPTION_ARG_STRING, &reader_name, "Reader (name or part of it)", "NAME" },
    { "pin-file", 0, 0, G_OPTION_ARG_FILENAME, &pin_file, "Read the PIN from FILE", "FILE" },
    { "db", 0, 0, G_OPTION_ARG_FILENAME, &db, "Store the card in this mirror", "FILE" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON", NULL },
    { "confirm-last-try", 0, 0, G_OPTION_ARG_NONE, &confirm_last_try,
      "Send the PIN even when only one try is left", NULL },
    { "no-messages", 0, 0, G_OPTION_ARG_NONE, &no_messages, "Do not read EF_SMS", NULL },
    { NULL }
  };
  g_autoptr(SvReader) reader = sv_pcsc_reader_new ();
  g_autoptr(SvCardSession) session = NULL;
  g_autoptr(SvReadResult) result = NULL;
  g_autoptr(JsonNode) root = NULL;
  SvReadOperationFlags flags = SV_READ_OPERATION_DEFAULT;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      fprintf (stderr, "%s\n", error->message);
      return 2;
    }

  session = open_session (reader, reader_name, pin_file, confirm_last_try, &error);
  if (session == NULL)
    return sv_cli_fail_error (error);

  /* Without --db the card is only read and printed. */
  if (db == NULL)
    flags |= SV_READ_OPERATION_NO_MIRROR;
  if (no_messages)
    flags |= SV_READ_OPERATION_SKIP_MESSAGES;
  result = sv_read_operation_run (session, db, flags, NULL, NULL, &error);
  if (result == NULL)
    return sv_cli_fail_error (error);
  if (sv_read_result_get_decode_problem (result) != NULL)
    g_printerr ("simvault-cli: %s\n", sv_read_result_get_decode_problem (result));

  root = build_read_json (result);
  {
    JsonObject *o = json_node_get_object (root);
    GBytes *atr_bytes = sv_card_session_get_atr (session);
    g_autofree char *atr = atr_bytes ? sv_gbytes_to_hex (atr_bytes) : g_strdup ("");

    json_object_set_string_member (o, "reader", sv_card_session_get_reader_name (session));
    json_object_set_string_member (o, "atr", atr);
    json_object_set_string_member (o, "protocol",
                                   sv_card_protocol_to_string (sv_card_session_get_protocol (session)));
  }
  if (json)
    sv_cli_print_json (root);
  else
    {
      JsonObject *o = json_node_get_object (root);

      g_print ("ICCID %s (%s), %u contacts, %u messages, %u APDUs\n",
               sv_read_result_get_iccid (result),
               json_object_get_string_member (o, "card_type"),
               json_array_get_length (json_object_get_array_member (o, "contacts")),
               json_array_get_length (json_object_get_array_member (o, "messages")),
               sv_read_result_get_stats (result)->apdu_count);
    }
  return 0;
}

/* ---- write ------------------------------------------------------------ */

int
sv_cli_write (int    argc,
              char **argv)
{
  g_autofree char *reader_name = NULL;
  g_autofree char *pin_file = NULL;
  g_autofree char *db = NULL;
  g_autofree char *journal = NULL;
  gboolean confirm_last_try = FALSE;
  g_autoptr(GError) error = NULL;
  g_autoptr(GOptionContext) context = g_option_context_new ("- write the mirror's pending changes to the card");
  const GOptionEntry entries[] = {
    { "reader", 'r', 0, G_OPTION_ARG_STRING, &reader_name, "Reader (name or part of it)", "NAME" },
    { "pin-file", 0, 0, G_OPTION_ARG_FILENAME, &pin_file, "Read the PIN from FILE", "FILE" },
    { "db", 0, 0, G_OPTION_ARG_FILENAME, &db, "The mirror (default: the user's)", "FILE" },
    { "journal", 0, 0, G_OPTION_ARG_FILENAME, &journal, "Journal file (default: per ICCID under $XDG_STATE_HOME)", "FILE" },
    { "confirm-last-try", 0, 0, G_OPTION_ARG_NONE, &confirm_last_try,
      "Send the PIN even when only one try is left", NULL },
    { NULL }
  };
  g_autoptr(SvReader) reader = sv_pcsc_reader_new ();
  g_autoptr(SvCardSession) session = NULL;
  g_autoptr(SvMirror) mirror = NULL;
  g_autoptr(SvWriteResult) result = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  const SvCardWriteStats *stats;
  GPtrArray *previous;
  gboolean ok;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      fprintf (stderr, "%s\n", error->message);
      return 2;
    }

  /* Only for its checks (a --db that does not exist); the operation
   * opens its own connection. */
  mirror = sv_cli_open_mirror (db, FALSE);
  if (mirror == NULL)
    return 1;
  g_clear_object (&mirror);
  session = open_session (reader, reader_name, pin_file, confirm_last_try, &error);
  if (session == NULL)
    return sv_cli_fail_error (error);

  /* No plan: the operation writes the pending changes of the card that is
   * in the reader. */
  ok = sv_write_operation_run (session, db, NULL, journal, NULL, &result, NULL, &error);
  if (result == NULL)
    return sv_cli_fail_error (error);
  stats = sv_write_result_get_stats (result);
  previous = stats->previous_written;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "iccid");
  json_builder_add_string_value (builder, sv_write_result_get_iccid (result));
  json_builder_set_member_name (builder, "ok");
  json_builder_add_boolean_value (builder, ok);
  if (!ok)
    sv_cli_add_string_or_null (builder, "error", error->message);
  json_builder_set_member_name (builder, "records_written");
  json_builder_add_int_value (builder, stats->records_written);
  json_builder_set_member_name (builder, "records_already_on_card");
  json_builder_add_int_value (builder, stats->records_already);
  json_builder_set_member_name (builder, "records_checked");
  json_builder_add_int_value (builder, stats->records_checked);
  json_builder_set_member_name (builder, "apdu_count");
  json_builder_add_int_value (builder, sv_write_result_get_apdu_count (result));
  json_builder_set_member_name (builder, "resumed_journal");
  if (previous != NULL)
    {
      json_builder_begin_array (builder);
      for (guint i = 0; i < previous->len; i++)
        json_builder_add_string_value (builder, g_ptr_array_index (previous, i));
      json_builder_end_array (builder);
    }
  else
    json_builder_add_null_value (builder);
  if (sv_write_result_get_journal_left (result) != NULL)
    sv_cli_add_string_or_null (builder, "journal", sv_write_result_get_journal_left (result));
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  sv_cli_print_json (root);
  return ok ? 0 : 1;
}
