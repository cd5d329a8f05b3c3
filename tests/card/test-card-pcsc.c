/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Reading and writing every card profile through the real PC/SC stack:
 * pcscd + vpcd + simvault-vsim (the profiles in tests/data/cards). Each file the
 * reader puts in the image is compared byte for byte with the profile, every
 * contact and message the read operation decodes with the profile's source
 * data (its "expected" member, written by make-cards.py from the values it
 * encoded, not decoded by SimVault), the APDU count with the card's own count; cards are pulled mid-read and
 * mid-write, and an interrupted write is resumed from its journal.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "sv-card-error.h"
#include "sv-card-reader.h"
#include "sv-card-session.h"
#include "sv-card-writer.h"
#include "sv-fake-reader.h"
#include "sv-operations.h"
#include "sv-pcsc-reader.h"
#include "sv-phonebook.h"
#include "sv-pin.h"
#include "sv-profile-expected.h"
#include "sv-reader-monitor.h"
#include "sv-vsim-fixture.h"

#include "sv-card-test-util.h"

static const char *profiles[] = {
  "sim-2g-plain",
  "sim-2g-old-small",
  "usim-2sets",
  "usim-empty",
  "usim-long-numbers",
  "usim-pin",
  "usim-restore-source",
  "usim-restore-uneven",
  "usim-sms",
  "usim-ucs2",
  "usim-uicc-only",
};

typedef struct
{
  JsonParser *parser;
  GHashTable *files;     /* "3F007F106F3A" -> JsonObject */
  JsonObject *expected;  /* { "contacts": [...], "messages": [...] } */
} Profile;

static void
profile_free (Profile *p)
{
  g_hash_table_unref (p->files);
  g_object_unref (p->parser);
  g_free (p);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Profile, profile_free)

static char *
compact_path (const char *path)
{
  g_auto(GStrv) parts = g_strsplit (path, "/", -1);
  g_autofree char *joined = g_strjoinv ("", parts);

  return g_ascii_strup (joined, -1);
}

static Profile *
profile_load (const char *path)
{
  Profile *p = g_new0 (Profile, 1);
  g_autoptr(GError) error = NULL;
  JsonArray *files;

  p->parser = json_parser_new ();
  p->files = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  json_parser_load_from_file (p->parser, path, &error);
  g_assert_no_error (error);
  files = json_object_get_array_member (json_node_get_object (json_parser_get_root (p->parser)),
                                        "files");
  p->expected = json_object_get_object_member (json_node_get_object (json_parser_get_root (p->parser)),
                                               "expected");
  g_assert_nonnull (p->expected);
  for (guint i = 0; i < json_array_get_length (files); i++)
    {
      JsonObject *f = json_array_get_object_element (files, i);
      g_autofree char *full = compact_path (json_object_get_string_member (f, "path"));

      /* Our paths for ADF files start at 7FFF. */
      if (g_str_has_prefix (full, "3F007FFF"))
        g_hash_table_insert (p->files, g_strdup (full + 4), f);
      else
        g_hash_table_insert (p->files, g_strdup (full), f);
    }
  return p;
}

static JsonObject *
profile_file (Profile    *p,
              const char *path)
{
  JsonObject *f = g_hash_table_lookup (p->files, path);

  /* A DF that is an alias (ADF.USIM/DF_PHONEBOOK of DF_TELECOM's). */
  for (gsize cut = 4; f == NULL && cut < strlen (path); cut += 4)
    {
      g_autofree char *prefix = g_strndup (path, cut);
      JsonObject *df = g_hash_table_lookup (p->files, prefix);

      if (df != NULL && json_object_has_member (df, "alias_of"))
        {
          g_autofree char *target = compact_path (json_object_get_string_member (df, "alias_of"));
          g_autofree char *full = g_strconcat (target, path + cut, NULL);

          f = g_hash_table_lookup (p->files, g_str_has_prefix (full, "3F007FFF") ? full + 4 : full);
        }
    }

  for (guint hops = 0; f && json_object_has_member (f, "alias_of") && hops < 4; hops++)
    {
      g_autofree char *target = compact_path (json_object_get_string_member (f, "alias_of"));

      f = g_hash_table_lookup (p->files, g_str_has_prefix (target, "3F007FFF") ? target + 4 : target);
    }
  return f;
}

/* The bytes the profile says record @index (1-based) holds. */
static GBytes *
profile_record (JsonObject *f,
                guint       index,
                guint       len)
{
  g_autofree guint8 *buf = g_malloc (len);
  const char *hex = NULL;

  memset (buf, 0xFF, len);
  if (json_object_has_member (f, "data"))
    hex = json_object_get_string_member (f, "data");
  else if (json_object_has_member (f, "records"))
    {
      JsonArray *records = json_object_get_array_member (f, "records");

      if (index <= json_array_get_length (records))
        {
          JsonNode *node = json_array_get_element (records, index - 1);

          if (JSON_NODE_HOLDS_VALUE (node))
            hex = json_node_get_string (node);
        }
    }
  if (hex != NULL)
    {
      g_autoptr(GBytes) bytes = sv_hex_to_bytes (hex);

      memcpy (buf, g_bytes_get_data (bytes, NULL), MIN (len, g_bytes_get_size (bytes)));
    }
  return g_bytes_new (buf, len);
}

/* Another PC/SC client on our reader (tests/card/pcsc-hammer.py): SELECT
 * 3F00 / SELECT 2F00 in a loop, without transactions, as a browser's
 * smart-card middleware or pcsc_scan would send them. */
typedef struct
{
  GSubprocess      *process;
  GDataInputStream *out;
} Hammer;

static Hammer *
hammer_start (SvVsimFixture *fixture)
{
  g_autofree char *script = g_test_build_filename (G_TEST_DIST, "card", "pcsc-hammer.py", NULL);
  g_autofree char *line = NULL;
  g_autoptr(GError) error = NULL;
  Hammer *hammer = g_new0 (Hammer, 1);

  /* pyscard is Debian's: only /usr/bin/python3 has it. */
  hammer->process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                                      "/usr/bin/python3", script,
                                      sv_vsim_fixture_reader_name (fixture), NULL);
  g_assert_no_error (error);
  hammer->out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (hammer->process));
  line = g_data_input_stream_read_line (hammer->out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (line, ==, "ready");
  return hammer;
}

/* Stops the other client; returns how many of its SELECTs the card
 * answered. */
static guint
hammer_stop (Hammer *hammer)
{
  g_autofree char *line = NULL;
  g_autoptr(GError) error = NULL;
  guint selects = 0, refused = 0;

  g_subprocess_send_signal (hammer->process, SIGTERM);
  line = g_data_input_stream_read_line (hammer->out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  g_assert_cmpint (sscanf (line, "selects %u refused %u", &selects, &refused), ==, 2);
  g_assert_true (g_subprocess_wait_check (hammer->process, NULL, &error));
  g_assert_no_error (error);
  g_test_message ("the other client: %u SELECTs answered, %u refused while we held the card",
                  selects, refused);
  g_clear_object (&hammer->out);
  g_clear_object (&hammer->process);
  g_free (hammer);
  return selects;
}

static void
check_read_profile (const char         *name,
                    const char * const *vsim_args,
                    gboolean            contended)
{
  Hammer *hammer = NULL;
  g_autofree char *profile_path = NULL;
  g_autoptr(Profile) profile = NULL;
  g_autoptr(SvVsimFixture) fixture = NULL;
  g_autoptr(SvReader) reader = NULL;
  g_autoptr(SvCardSession) session = NULL;
  g_autoptr(SvReadResult) result = NULL;
  g_autoptr(GPtrArray) keys = NULL;
  g_autoptr(GError) error = NULL;
  const SvCardReadStats *stats;
  SvCardImage *image;
  guint card_count;

  if (sv_vsim_fixture_skip_unless_available ())
    return;
  profile_path = sv_vsim_fixture_profile (name);
  profile = profile_load (profile_path);
  fixture = sv_vsim_fixture_start (profile_path, 0, vsim_args, &error);
  g_assert_no_error (error);
  if (contended)
    hammer = hammer_start (fixture);

  reader = sv_pcsc_reader_new ();
  session = sv_card_test_open_with_pin (reader, fixture, profile_path, &error);
  g_assert_no_error (error);
  /* The product's read: the operation the window and the CLI run. */
  result = sv_read_operation_run (session, NULL, SV_READ_OPERATION_NO_MIRROR, NULL, NULL, &error);
  g_assert_no_error (error);
  image = sv_read_result_get_image (result);
  stats = sv_read_result_get_stats (result);
  g_assert_nonnull (sv_card_image_get_iccid (image));

  /* Every file in the image holds exactly what the profile says. */
  keys = sv_card_image_list_keys (image);
  g_assert_cmpuint (keys->len, >=, 2);
  for (guint k = 0; k < keys->len; k++)
    {
      SvCardFile *file = sv_card_image_lookup (image, g_ptr_array_index (keys, k));
      JsonObject *f = profile_file (profile, file->path);

      if (f == NULL)
        g_error ("%s: %s (%s) is not in the profile", name, file->key, file->path);
      for (guint r = 1; r <= file->records->len; r++)
        {
          g_autoptr(GBytes) expected = profile_record (f, r, file->record_len);

          if (!g_bytes_equal (expected, g_ptr_array_index (file->records, r - 1)))
            g_error ("%s: %s (%s) record %u differs from the profile", name, file->key, file->path, r);
        }
    }

  /* Our count matches the card's own. */
  sv_card_session_close (g_steal_pointer (&session));
  if (hammer)
    g_assert_cmpuint (hammer_stop (hammer), >, 0);
  card_count = sv_vsim_fixture_apdu_count (fixture);
  g_test_message ("%s: %u files, %u records, %u APDUs for the read; card saw %u in all",
                  name, keys->len, stats->records_read, stats->apdu_count, card_count);
  g_assert_cmpuint (card_count, >=, stats->apdu_count);

  /* Every contact and message is the one the profile was made from. */
  g_assert_null (sv_read_result_get_decode_problem (result));
  sv_profile_compare_contacts (name, sv_read_result_get_contacts (result),
                    json_object_get_array_member (profile->expected, "contacts"));
  sv_profile_compare_messages (name, sv_read_result_get_messages (result),
                    json_object_get_array_member (profile->expected, "messages"));
  g_test_message ("%s: %u contacts and %u messages as in the profile", name,
                  sv_read_result_get_contacts (result)->len, sv_read_result_get_messages (result)->len);
}

static void
test_read_profile (gconstpointer data)
{
  check_read_profile (data, NULL, FALSE);
}

/* A slow card (2 ms per APDU) and another client selecting files all the
 * while: the read still equals the profile, because it holds the card. */
static void
test_read_contended (gconstpointer data)
{
  const char *args[] = { "--delay-ms", "2", NULL };

  check_read_profile (data, args, TRUE);
}

static void
test_pull_mid_read (gconstpointer data)
{
  const char *name = data;
  g_autofree char *profile_path = NULL;
  g_autoptr(SvVsimFixture) fixture = NULL;
  g_autoptr(SvReader) reader = NULL;
  g_autoptr(SvCardSession) session = NULL;
  g_autoptr(SvCardImage) image = NULL;
  g_autoptr(GError) error = NULL;
  const char *args[] = { "--drop-after", "40", NULL };

  if (sv_vsim_fixture_skip_unless_available ())
    return;
  profile_path = sv_vsim_fixture_profile (name);
  fixture = sv_vsim_fixture_start (profile_path, 0, args, &error);
  g_assert_no_error (error);
  reader = sv_pcsc_reader_new ();
  session = sv_card_session_open (reader, sv_vsim_fixture_reader_name (fixture), &error);
  g_assert_no_error (error);
  image = sv_card_read_image (session, NULL, SV_CARD_READ_DEFAULT, NULL, NULL, NULL, &error);
  g_assert_null (image);
  g_assert_nonnull (error);
  g_test_message ("%s", error->message);
  g_assert_true (error->domain == SV_PCSC_ERROR || error->domain == SV_CARD_ERROR);
  g_assert_nonnull (strstr (error->message, sv_vsim_fixture_reader_name (fixture)));
}

/* The product's write: the card read into a mirror by the read operation,
 * edited in the mirror, written by the write operation (checked, written,
 * read back, journalled, marked written), then read back through PC/SC. */
static void
check_write (const char *name,
             gboolean    contended)
{
  Hammer *hammer = NULL;
  g_autofree char *profile_path = NULL;
  g_autofree char *journal = NULL;
  g_autofree char *db = NULL;
  g_autofree char *dir = g_dir_make_tmp ("sv-card-write-XXXXXX", NULL);
  g_autoptr(SvVsimFixture) fixture = NULL;
  g_autoptr(SvReader) reader = sv_pcsc_reader_new ();
  g_autoptr(SvCardSession) session = NULL;
  g_autoptr(SvReadResult) read = NULL;
  g_autoptr(SvMirror) mirror = NULL;
  g_autoptr(SvWritePlan) plan = NULL;
  g_autoptr(SvWriteResult) written = NULL;
  g_autoptr(SvCardImage) target = NULL;
  g_autoptr(GPtrArray) pending = NULL;
  g_autoptr(GError) error = NULL;
  const char *args[] = { "--persist", NULL };
  const char *slow_args[] = { "--persist", "--delay-ms", "2", NULL };
  const char *db_suffixes[] = { "", "-wal", "-shm" };
  const SvCardWriteStats *stats;

  if (sv_vsim_fixture_skip_unless_available ())
    return;
  journal = g_build_filename (dir, "journal", NULL);
  db = g_build_filename (dir, "mirror.db", NULL);
  profile_path = sv_vsim_fixture_profile (name);
  fixture = sv_vsim_fixture_start (profile_path, 0, contended ? slow_args : args, &error);
  g_assert_no_error (error);
  if (contended)
    hammer = hammer_start (fixture);
  session = sv_card_test_open_with_pin (reader, fixture, profile_path, &error);
  g_assert_no_error (error);
  read = sv_read_operation_run (session, db, SV_READ_OPERATION_SKIP_MESSAGES, NULL, NULL, &error);
  g_assert_no_error (error);

  target = sv_card_test_make_edits (sv_read_result_get_image (read));
  mirror = sv_mirror_open (db, &error);
  g_assert_no_error (error);
  g_assert_true (sv_mirror_apply_image (mirror, target, SV_HISTORY_EDIT, "test edits", &error));
  g_assert_no_error (error);

  plan = sv_write_operation_prepare (db, sv_read_result_get_iccid (read), NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (sv_write_plan_get_added_contacts (plan)->len, ==, 1);
  g_assert_true (sv_write_operation_run (session, db, plan, journal, NULL, &written, NULL, &error));
  g_assert_no_error (error);
  stats = sv_write_result_get_stats (written);
  g_test_message ("%s: %u records written, %u APDUs", name, stats->records_written, stats->apdu_count);
  g_assert_cmpuint (stats->records_written, >=, 1);
  g_assert_false (g_file_test (journal, G_FILE_TEST_EXISTS));
  pending = sv_mirror_get_pending (mirror, sv_read_result_get_iccid (read), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (pending->len, ==, 0);
  sv_card_session_close (g_steal_pointer (&session));

  if (hammer)
    g_assert_cmpuint (hammer_stop (hammer), >, 0);
  sv_card_test_assert_card_equals (reader, fixture, profile_path, target, sv_write_result_get_written (written));
  g_clear_object (&mirror);
  for (guint i = 0; i < G_N_ELEMENTS (db_suffixes); i++)
    {
      g_autofree char *file = g_strconcat (db, db_suffixes[i], NULL);

      g_remove (file);
    }
  g_rmdir (dir);
}

static void
test_write (gconstpointer data)
{
  check_write (data, FALSE);
}

/* The write (its read-backs included) while another client selects files,
 * on a slow card: it verifies, and the card holds what was written. */
static void
test_write_contended (gconstpointer data)
{
  check_write (data, TRUE);
}

static void
test_pull_mid_write (gconstpointer data)
{
  const char *name = data;
  g_autofree char *profile_path = NULL;
  g_autofree char *dir = g_dir_make_tmp ("sv-card-pull-XXXXXX", NULL);
  g_autofree char *journal = NULL;
  g_autofree char *saved_image = NULL;
  g_autofree char *contents = NULL;
  g_autoptr(SvVsimFixture) fixture = NULL;
  g_autoptr(SvReader) reader = sv_pcsc_reader_new ();
  g_autoptr(SvCardSession) session = NULL;
  g_autoptr(SvCardImage) base = NULL;
  g_autoptr(SvCardImage) target = NULL;
  g_autoptr(GPtrArray) on_journal = NULL;
  g_autoptr(GPtrArray) written = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *drop = NULL;
  const char *args[] = { "--persist", "--drop-after", NULL, NULL };
  const char *persist[] = { "--persist", NULL };
  SvCardWriteStats stats = { 0 };
  gsize len = 0;
  guint before, write_apdus;

  if (sv_vsim_fixture_skip_unless_available ())
    return;
  journal = g_build_filename (dir, "journal", NULL);
  saved_image = g_build_filename (dir, "card.json", NULL);
  profile_path = sv_vsim_fixture_profile (name);

  /* Dry run to learn how many APDUs the read takes. */
  fixture = sv_vsim_fixture_start (profile_path, 0, persist, &error);
  g_assert_no_error (error);
  session = sv_card_test_open_with_pin (reader, fixture, profile_path, &error);
  g_assert_no_error (error);
  base = sv_card_read_image (session, NULL, SV_CARD_READ_SKIP_MESSAGES, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  before = sv_card_session_get_apdu_count (session);
  target = sv_card_test_make_edits (base);
  g_assert_true (sv_card_write_image (session, base, target, journal, NULL, &stats, NULL, NULL, &error));
  g_assert_no_error (error);
  write_apdus = stats.apdu_count;
  sv_card_write_stats_clear (&stats);
  sv_card_session_close (g_steal_pointer (&session));
  g_clear_pointer (&fixture, sv_vsim_fixture_stop);

  /* The same write on a fresh card, pulled in its last records (each is
   * UPDATE + READ back). */
  drop = g_strdup_printf ("%u", before + write_apdus - 3);
  args[2] = drop;
  fixture = sv_vsim_fixture_start (profile_path, 0, args, &error);
  g_assert_no_error (error);
  session = sv_card_test_open_with_pin (reader, fixture, profile_path, &error);
  g_assert_no_error (error);
  g_clear_object (&base);
  base = sv_card_read_image (session, NULL, SV_CARD_READ_SKIP_MESSAGES, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (sv_card_write_image (session, base, target, journal, NULL, &stats, NULL, NULL, &error));
  g_assert_nonnull (error);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, journal));
  g_clear_error (&error);
  sv_card_write_stats_clear (&stats);
  sv_card_session_close (g_steal_pointer (&session));
  g_assert_true (g_file_test (journal, G_FILE_TEST_EXISTS));
  on_journal = sv_card_journal_load_written (journal, NULL, &error);
  g_assert_no_error (error);

  /* The card as it was when pulled goes back in. */
  sv_vsim_fixture_wait_exit (fixture, 5000);
  g_assert_true (g_file_get_contents (sv_vsim_fixture_image_path (fixture), &contents, &len, NULL));
  g_assert_true (g_file_set_contents (saved_image, contents, len, NULL));
  g_clear_pointer (&fixture, sv_vsim_fixture_stop);
  fixture = sv_vsim_fixture_start (saved_image, 0, persist, &error);
  g_assert_no_error (error);
  session = sv_card_test_open_with_pin (reader, fixture, profile_path, &error);
  g_assert_no_error (error);
  g_assert_true (sv_card_write_image (session, base, target, journal, NULL, &stats, &written,
                                      NULL, &error));
  g_assert_no_error (error);
  g_test_message ("resumed: %u already on the card, %u written now; journal had %u written",
                  stats.records_already, stats.records_written, on_journal ? on_journal->len : 0);
  g_assert_cmpuint (stats.records_already, >=, on_journal ? on_journal->len : 0);
  g_assert_false (g_file_test (journal, G_FILE_TEST_EXISTS));
  sv_card_write_stats_clear (&stats);
  sv_card_session_close (g_steal_pointer (&session));
  sv_card_test_assert_card_equals (reader, fixture, profile_path, target, written);
  g_remove (saved_image);
  g_rmdir (dir);
}

static void
monitor_inserted_cb (SvReaderMonitor *monitor,
                     const char      *name,
                     GBytes          *atr,
                     const char      *iccid,
                     gpointer         user_data)
{
  GPtrArray *events = user_data;

  g_ptr_array_add (events, g_strdup_printf ("card-inserted %s %s", name, iccid ? iccid : "-"));
}

static void
monitor_removed_cb (SvReaderMonitor *monitor,
                    const char      *name,
                    gpointer         user_data)
{
  GPtrArray *events = user_data;

  g_ptr_array_add (events, g_strdup_printf ("card-removed %s", name));
}

static gboolean
wait_for_event (GPtrArray  *events,
                const char *prefix)
{
  gint64 end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (g_get_monotonic_time () < end)
    {
      for (guint i = 0; i < events->len; i++)
        if (g_str_has_prefix (g_ptr_array_index (events, i), prefix))
          return TRUE;
      g_main_context_iteration (NULL, FALSE);
      g_usleep (5000);
    }
  return FALSE;
}

/* Card insertion and removal through SCardGetStatusChange, the new card
 * identified by ICCID; the monitor thread stops at once (SCardCancel). */
static void
test_monitor (void)
{
  g_autofree char *profile_path = NULL;
  g_autoptr(SvVsimFixture) fixture = NULL;
  g_autoptr(SvReader) reader = NULL;
  g_autoptr(SvReaderMonitor) monitor = NULL;
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autofree char *inserted = NULL;
  g_autofree char *removed = NULL;
  gint64 start;

  if (sv_vsim_fixture_skip_unless_available ())
    return;
  reader = sv_pcsc_reader_new ();
  monitor = sv_reader_monitor_new (reader, TRUE);
  g_signal_connect (monitor, "card-inserted", G_CALLBACK (monitor_inserted_cb), events);
  g_signal_connect (monitor, "card-removed", G_CALLBACK (monitor_removed_cb), events);
  g_assert_true (sv_reader_monitor_start (monitor, &error));
  g_assert_no_error (error);
  g_usleep (200000);

  profile_path = sv_vsim_fixture_profile ("usim-2sets");
  fixture = sv_vsim_fixture_start (profile_path, 0, NULL, &error);
  g_assert_no_error (error);
  inserted = g_strdup_printf ("card-inserted %s 8986", sv_vsim_fixture_reader_name (fixture));
  g_assert_true (wait_for_event (events, inserted));

  removed = g_strdup_printf ("card-removed %s", sv_vsim_fixture_reader_name (fixture));
  g_clear_pointer (&fixture, sv_vsim_fixture_stop);
  g_assert_true (wait_for_event (events, removed));
  for (guint i = 0; i < events->len; i++)
    g_test_message ("monitor: %s", (char *) g_ptr_array_index (events, i));

  start = g_get_monotonic_time ();
  sv_reader_monitor_stop (monitor);
  g_assert_cmpint (g_get_monotonic_time () - start, <, G_USEC_PER_SEC);
}

static JsonObject *
run_cli_json (JsonParser  *parser,
              const char  *first_arg,
              ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *cli = g_build_filename (g_getenv ("SV_BUILD_ROOT"), "app", "cli", "simvault-cli", NULL);
  int status = 0;
  va_list args;

  g_ptr_array_add (argv, cli);
  va_start (args, first_arg);
  for (const char *a = first_arg; a != NULL; a = va_arg (args, const char *))
    g_ptr_array_add (argv, (gpointer) a);
  va_end (args);
  g_ptr_array_add (argv, NULL);
  g_assert_true (g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                               &out, &err, &status, &error));
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("simvault-cli %s failed: %s %s", first_arg, out, err);
  json_parser_load_from_data (parser, out, -1, &error);
  g_assert_no_error (error);
  return json_node_get_object (json_parser_get_root (parser));
}

/* simvault-cli read --json / edit / write against a real card. */
static void
test_cli (void)
{
  g_autofree char *profile_path = NULL;
  g_autofree char *dir = g_dir_make_tmp ("sv-card-cli-XXXXXX", NULL);
  g_autofree char *db = NULL;
  g_autoptr(SvVsimFixture) fixture = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) p1 = json_parser_new ();
  g_autoptr(JsonParser) p2 = json_parser_new ();
  g_autoptr(JsonParser) p3 = json_parser_new ();
  g_autoptr(JsonParser) p4 = json_parser_new ();
  const char *persist[] = { "--persist", NULL };
  JsonObject *read1, *read2, *written, *read3;
  JsonArray *messages, *contacts;
  const char *reader_name;
  gboolean merged = FALSE, found = FALSE;

  if (sv_vsim_fixture_skip_unless_available ())
    return;
  if (g_getenv ("SV_BUILD_ROOT") == NULL)
    {
      g_test_skip ("SV_BUILD_ROOT unset");
      return;
    }
  db = g_build_filename (dir, "mirror.db", NULL);
  profile_path = sv_vsim_fixture_profile ("usim-sms");
  fixture = sv_vsim_fixture_start (profile_path, 0, persist, &error);
  g_assert_no_error (error);
  reader_name = sv_vsim_fixture_reader_name (fixture);

  read1 = run_cli_json (p1, "read", "--reader", reader_name, "--db", db, "--json", NULL);
  g_assert_cmpstr (json_object_get_string_member (read1, "card_type"), ==, "usim");
  g_assert_true (g_str_has_prefix (json_object_get_string_member (read1, "iccid"), "89"));
  g_assert_nonnull (json_object_get_string_member (read1, "imsi"));
  g_assert_cmpint (json_object_get_int_member (read1, "apdu_count"), >, 0);
  messages = json_object_get_array_member (read1, "messages");
  g_assert_cmpuint (json_array_get_length (messages), >, 0);
  for (guint i = 0; i < json_array_get_length (messages); i++)
    if (json_object_get_int_member (json_array_get_object_element (messages, i), "parts") > 1)
      merged = TRUE;
  g_assert_true (merged);

  /* A second read of the unchanged card reuses the phonebook. */
  read2 = run_cli_json (p2, "read", "--reader", reader_name, "--db", db, "--json", NULL);
  g_assert_cmpint (json_object_get_int_member (read2, "records_reused"), >, 0);
  g_assert_cmpint (json_object_get_int_member (read2, "apdu_count"), <,
                   json_object_get_int_member (read1, "apdu_count"));

  run_cli_json (p3, "edit", "--db", db, json_object_get_string_member (read1, "iccid"), "add",
                "--name", "From The CLI", "--number", "+8613900000000", NULL);
  written = run_cli_json (p4, "write", "--reader", reader_name, "--db", db, NULL);
  g_assert_true (json_object_get_boolean_member (written, "ok"));
  g_assert_cmpint (json_object_get_int_member (written, "records_written"), >=, 1);

  /* Nothing is left pending: a second write writes nothing (EF_CC and the
   * other bookkeeping are in the mirror as on the card). */
  {
    g_autoptr(JsonParser) p5 = json_parser_new ();
    JsonObject *again = run_cli_json (p5, "write", "--reader", reader_name, "--db", db, NULL);

    g_assert_true (json_object_get_boolean_member (again, "ok"));
    g_assert_cmpint (json_object_get_int_member (again, "records_written"), ==, 0);
  }

  g_clear_object (&p1);
  p1 = json_parser_new ();
  read3 = run_cli_json (p1, "read", "--reader", reader_name, "--json", "--no-messages", NULL);
  contacts = json_object_get_array_member (read3, "contacts");
  for (guint i = 0; i < json_array_get_length (contacts); i++)
    if (g_strcmp0 (json_object_get_string_member (json_array_get_object_element (contacts, i), "name"),
                   "From The CLI") == 0)
      found = TRUE;
  g_assert_true (found);

  g_remove (db);
  {
    g_autofree char *wal = g_strconcat (db, "-wal", NULL);
    g_autofree char *shm = g_strconcat (db, "-shm", NULL);

    g_remove (wal);
    g_remove (shm);
  }
  g_rmdir (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_setenv ("XDG_STATE_HOME", g_get_tmp_dir (), FALSE);

  for (guint i = 0; i < G_N_ELEMENTS (profiles); i++)
    {
      g_autofree char *path = g_strdup_printf ("/sv/card-pcsc/read/%s", profiles[i]);

      g_test_add_data_func (path, profiles[i], test_read_profile);
    }
  g_test_add_func ("/sv/card-pcsc/monitor", test_monitor);
  g_test_add_func ("/sv/card-pcsc/cli", test_cli);
  g_test_add_data_func ("/sv/card-pcsc/pull-mid-read/sim-2g-plain", "sim-2g-plain", test_pull_mid_read);
  g_test_add_data_func ("/sv/card-pcsc/pull-mid-read/usim-2sets", "usim-2sets", test_pull_mid_read);
  g_test_add_data_func ("/sv/card-pcsc/write/sim-2g-plain", "sim-2g-plain", test_write);
  g_test_add_data_func ("/sv/card-pcsc/write/usim-2sets", "usim-2sets", test_write);
  g_test_add_data_func ("/sv/card-pcsc/write/usim-uicc-only", "usim-uicc-only", test_write);
  g_test_add_data_func ("/sv/card-pcsc/pull-mid-write/sim-2g-plain", "sim-2g-plain", test_pull_mid_write);
  g_test_add_data_func ("/sv/card-pcsc/pull-mid-write/usim-2sets", "usim-2sets", test_pull_mid_write);
  g_test_add_data_func ("/sv/card-pcsc/contended/read/usim-2sets", "usim-2sets", test_read_contended);
  g_test_add_data_func ("/sv/card-pcsc/contended/write/usim-2sets", "usim-2sets", test_write_contended);

  return g_test_run ();
}
