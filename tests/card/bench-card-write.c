/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * bench-card-write write10 READER DB N
 * bench-card-write restore READER DB SOURCE_ICCID
 *
 * A card write through the product's own write path, against a minimal
 * loop of bare SCardTransmit calls through the same pcscd:
 *
 *  - write10: the card in READER is read into the mirror DB (the read
 *    operation), then N times: 10 contacts renamed in the mirror, and the
 *    write operation as the GUI runs it (sv_write_operation_prepare(),
 *    then sv_write_operation_run() with its checks, read-backs and
 *    journal; the mirror marks the records written). The figures are the
 *    first write's (the card read, edited, written); later_* are the APDUs
 *    of the last one (N >= 2), see below.
 *  - restore: the (blank) card in READER is read into DB, where the card
 *    SOURCE_ICCID already is; then, timed: the restore operation maps the
 *    source's phonebook onto it (sv_restore_operation_apply()) and the
 *    write operation puts it on the card. Once: the card is no longer
 *    blank after it.
 *
 * The minimum, per record the write changes (bookkeeping included: EF_CC,
 * EF_PUID, EF_UID on a USIM): one UPDATE RECORD (or BINARY) and the one
 * READ that verifies it (a write that verifies needs its READ), plus one
 * SELECT per EF written and the SELECTs of the DFs on the way from the MF.
 * It has no ICCID check and no test that the card still holds what was
 * read (change counters on a USIM, the records themselves on a 2G card):
 * those are ours beyond the minimum, and the tally says how many.
 *
 * Prints one line:
 *   records=.. apdus=.. selects=.. get_response=.. reads=.. verify_reads=..
 *   updates=.. searches=.. others=.. min=.. min_selects=.. ours_us=..
 *   write_us=.. loop_us=.. ratio=.. later_apdus=.. later_min=.. later_checks=..
 *   min_checked=.. loop_checked_us=.. ratio_checked=..
 * min_checked and loop_checked_us: the minimum with the checks a safe
 * write needs (checked_minimal_write()), replayed the same way.
 * ours_us is the whole operation (mirror included); write_us only the
 * card write (sv_write_operation_run()). The minimal loop runs once, after
 * our write, on the same card.
 */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>
#include <winscard.h>

#include "bench-recording-reader.h"
#include "sv-card-session.h"
#include "sv-operations.h"

static const guint8 *
find_aid_select (GPtrArray *commands,
                 gsize     *len)
{
  for (guint i = 0; i < commands->len; i++)
    {
      const guint8 *apdu = g_bytes_get_data (g_ptr_array_index (commands, i), len);

      if (*len > 5 && apdu[1] == 0xA4 && apdu[2] == 0x04)
        return apdu;
    }
  return NULL;
}

static void
add_apdu (GPtrArray    *list,
          const guint8 *apdu,
          gsize         len)
{
  g_ptr_array_add (list, g_bytes_new (apdu, len));
}

static void
add_select (GPtrArray  *list,
            guint8      cla,
            const char *fid,
            GBytes     *aid_select)
{
  guint16 value = (guint16) g_ascii_strtoull (fid, NULL, 16);
  /* UICC: no data wanted (P2 0C), so no GET RESPONSE; 2G: P2 00, the card
   * answers 9F xx and the header is not fetched. */
  guint8 apdu[7] = { cla, 0xA4, 0x00, cla == 0xA0 ? 0x00 : 0x0C, 0x02, value >> 8, value & 0xFF };

  if (g_ascii_strcasecmp (fid, "7FFF") == 0 && aid_select != NULL)
    g_ptr_array_add (list, g_bytes_ref (aid_select));
  else
    add_apdu (list, apdu, sizeof apdu);
}

/* The minimal APDU list for @changes: see the top of this file. */
static GPtrArray *
minimal_write (GPtrArray   *changes,
               SvCardImage *target,
               guint8       cla,
               GBytes      *aid_select,
               guint       *n_selects)
{
  GPtrArray *list = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GPtrArray) current_df = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *current_ef = NULL;

  *n_selects = 0;
  for (guint i = 0; i < changes->len; i++)
    {
      SvRecordChange *c = g_ptr_array_index (changes, i);
      SvCardFile *file = sv_card_image_lookup (target, c->key);
      g_autofree char *place = NULL;
      gsize len, n_fids;
      const guint8 *data;
      guint8 apdu[5 + 255];

      if (file == NULL || file->path == NULL || c->new_bytes == NULL)
        continue;
      place = g_strdup_printf ("%s#%u", file->path, c->index);
      if (g_hash_table_contains (seen, place))
        continue;              /* one file under two keys: written once */
      g_hash_table_add (seen, g_steal_pointer (&place));

      if (g_strcmp0 (current_ef, file->path) != 0)
        {
          guint common = 0;

          n_fids = strlen (file->path) / 4;
          while (common < current_df->len && common < n_fids - 1 &&
                 g_ascii_strncasecmp (g_ptr_array_index (current_df, common), file->path + 4 * common, 4) == 0)
            common++;
          if (common < current_df->len)
            {
              /* Elsewhere: from the top again (the MF, or the ADF by AID). */
              g_ptr_array_set_size (current_df, 0);
              common = 0;
            }
          for (guint k = common; k < n_fids - 1; k++)
            {
              g_autofree char *fid = g_strndup (file->path + 4 * k, 4);

              add_select (list, cla, fid, aid_select);
              (*n_selects)++;
              g_ptr_array_add (current_df, g_steal_pointer (&fid));
            }
          {
            g_autofree char *fid = g_strndup (file->path + 4 * (n_fids - 1), 4);

            add_select (list, cla, fid, aid_select);
            (*n_selects)++;
          }
          g_free (current_ef);
          current_ef = g_strdup (file->path);
        }

      data = g_bytes_get_data (c->new_bytes, &len);
      g_assert (len > 0 && len <= 255);
      if (file->structure == SV_FILE_STRUCTURE_TRANSPARENT)
        {
          apdu[0] = cla; apdu[1] = 0xD6; apdu[2] = 0; apdu[3] = 0;
        }
      else
        {
          apdu[0] = cla; apdu[1] = 0xDC; apdu[2] = (guint8) c->index; apdu[3] = 0x04;
        }
      apdu[4] = (guint8) len;
      memcpy (apdu + 5, data, len);
      add_apdu (list, apdu, 5 + len);
      apdu[1] = file->structure == SV_FILE_STRUCTURE_TRANSPARENT ? 0xB0 : 0xB2;
      add_apdu (list, apdu, 5);            /* READ with Le = the length */
    }
  return list;
}

static gboolean
is_select (GBytes *apdu)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (apdu, &len);

  return len >= 5 && data[1] == 0xA4;
}

/* Drops from @minimal its leading SELECTs that walk @path again (the
 * checks left the card there). */
static guint
skip_selects_of (GPtrArray   *minimal,
                 const char  *path,
                 guint8       cla,
                 GBytes      *aid_select)
{
  g_autoptr(GPtrArray) walk = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  guint n = 0;

  for (gsize k = 0; k + 4 <= strlen (path); k += 4)
    {
      g_autofree char *fid = g_strndup (path + k, 4);

      if (k == 0 && cla == 0x00 && g_ascii_strcasecmp (fid, "7FFF") != 0)
        continue;             /* a UICC path from the MF: never in the minimum's walk */
      add_select (walk, cla, fid, aid_select);
    }
  while (n < minimal->len && n < walk->len &&
         g_bytes_equal (g_ptr_array_index (minimal, n), g_ptr_array_index (walk, n)))
    n++;
  return n;
}

/* The minimum including the checks a safe write cannot do without (see
 * BENCHMARKS.md, "Card"): the ICCID (UICC: SELECT by path from the MF +
 * READ BINARY; 2G: SELECT MF, SELECT EF_ICCID, READ BINARY, the MF then
 * being where the minimum starts), then the change check: on a USIM with
 * change counters EF_PSC read (the CC wrapping around), one SEARCH RECORD
 * for the "modified" flag per EF_PBC of a set written (a 2G terminal's
 * edits, TS 31.102 §4.4.2.5) and EF_CC read in DF_PHONEBOOK (its SELECT then serves the
 * UPDATE); on a 2G card, which has no counter, each record to write read
 * once before the first UPDATE. Then the minimum itself. */
static GPtrArray *
checked_minimal_write (GPtrArray   *minimal,
                       GPtrArray   *changes,
                       SvCardImage *base,
                       guint8       cla,
                       GBytes      *aid_select)
{
  GPtrArray *list = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  SvCardFile *psc = sv_card_image_lookup (base, "psc");
  SvCardFile *cc = sv_card_image_lookup (base, "cc");
  guint skip = 0;

  if (cla == 0x00)
    {
      static const guint8 select_iccid[] = { 0x00, 0xA4, 0x08, 0x0C, 0x02, 0x2F, 0xE2 };
      static const guint8 read_iccid[] = { 0x00, 0xB0, 0x00, 0x00, 0x0A };

      add_apdu (list, select_iccid, sizeof select_iccid);
      add_apdu (list, read_iccid, sizeof read_iccid);
      if (psc != NULL && cc != NULL)
        {
          g_autoptr(GPtrArray) all_keys = sv_card_image_list_keys (base);
          guint8 read_binary[5] = { 0x00, 0xB0, 0x00, 0x00, 0 };
          static const guint8 search_modified[] = { 0x00, 0xA2, 0x01, 0x04, 0x01, 0x01 };
          gsize n_fids = strlen (cc->path) / 4;

          for (gsize k = 0; k + 1 < n_fids; k++)
            {
              g_autofree char *fid = g_strndup (cc->path + 4 * k, 4);

              add_select (list, cla, fid, aid_select);
            }
          add_select (list, cla, psc->path + strlen (psc->path) - 4, aid_select);
          read_binary[4] = (guint8) psc->record_len;
          add_apdu (list, read_binary, sizeof read_binary);
          for (guint i = 0; i < all_keys->len; i++)
            {
              SvCardFile *file = sv_card_image_lookup (base, g_ptr_array_index (all_keys, i));

              g_autofree char *prefix = NULL;
              gboolean written = FALSE;

              if (!g_str_has_suffix (file->key, "/pbc"))
                continue;
              /* Only the sets written: another set's edit cannot be overwritten. */
              prefix = g_strndup (file->key, strlen (file->key) - 3);
              for (guint c = 0; c < changes->len && !written; c++)
                written = g_str_has_prefix (((SvRecordChange *) g_ptr_array_index (changes, c))->key, prefix);
              if (!written)
                continue;
              add_select (list, cla, file->path + strlen (file->path) - 4, aid_select);
              add_apdu (list, search_modified, sizeof search_modified);
            }
          add_select (list, cla, cc->path + strlen (cc->path) - 4, aid_select);
          read_binary[4] = (guint8) cc->record_len;
          add_apdu (list, read_binary, sizeof read_binary);
          skip = skip_selects_of (minimal, cc->path, cla, aid_select);
        }
    }
  else
    {
      static const guint8 read_iccid[] = { 0xA0, 0xB0, 0x00, 0x00, 0x0A };
      guint n_efs = 0;

      add_select (list, cla, "3F00", NULL);
      add_select (list, cla, "2FE2", NULL);
      add_apdu (list, read_iccid, sizeof read_iccid);
      /* The compare pass: the minimum's SELECTs and READs, without its
       * UPDATEs (and without its SELECT of the MF, which is current). */
      for (guint i = 0; i < minimal->len; i++)
        {
          GBytes *apdu = g_ptr_array_index (minimal, i);
          const guint8 *data = g_bytes_get_data (apdu, NULL);

          if (i == 0 && is_select (apdu) && data[5] == 0x3F && data[6] == 0x00)
            continue;
          if (data[1] == 0xDC || data[1] == 0xD6)
            continue;
          if (is_select (apdu) && data[5] != 0x7F)
            n_efs++;
          g_ptr_array_add (list, g_bytes_ref (apdu));
        }
      /* One EF: still selected for the UPDATEs. */
      if (n_efs == 1)
        while (skip < minimal->len && is_select (g_ptr_array_index (minimal, skip)))
          skip++;
    }
  for (guint i = skip; i < minimal->len; i++)
    g_ptr_array_add (list, g_bytes_ref (g_ptr_array_index (minimal, i)));
  return list;
}

/* The bare loop: every APDU must succeed (90 00, or 9F xx after a 2G
 * SELECT), so a loop that fails fast cannot pass for a fast one. */
static gint64
replay (const char *reader_name,
        GPtrArray  *commands,
        guint       iterations)
{
  SCARDCONTEXT context;
  SCARDHANDLE card;
  DWORD protocol = 0;
  gint64 start, elapsed;

  if (SCardEstablishContext (SCARD_SCOPE_SYSTEM, NULL, NULL, &context) != SCARD_S_SUCCESS ||
      SCardConnect (context, reader_name, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1,
                    &card, &protocol) != SCARD_S_SUCCESS)
    g_error ("replay: cannot connect to %s", reader_name);

  start = g_get_monotonic_time ();
  for (guint it = 0; it < iterations; it++)
    for (guint i = 0; i < commands->len; i++)
      {
        gsize len;
        const guint8 *apdu = g_bytes_get_data (g_ptr_array_index (commands, i), &len);
        guint8 response[258];
        DWORD response_len = sizeof response;

        if (SCardTransmit (card, protocol == SCARD_PROTOCOL_T1 ? SCARD_PCI_T1 : SCARD_PCI_T0,
                           apdu, len, NULL, response, &response_len) != SCARD_S_SUCCESS ||
            response_len < 2 ||
            !(response[response_len - 2] == 0x90 || response[response_len - 2] == 0x9F ||
              response[response_len - 2] == 0x91 ||
              /* SEARCH RECORD: no record matches (TS 102.221 §10.2.1.3) */
              (apdu[1] == 0xA2 && response[response_len - 2] == 0x6A && response[response_len - 1] == 0x83)))
          g_error ("replay: APDU %u (%02X %02X %02X %02X) failed: %02X %02X", i, apdu[0], apdu[1],
                   apdu[2], apdu[3], response_len >= 2 ? response[response_len - 2] : 0,
                   response_len >= 2 ? response[response_len - 1] : 0);
      }
  elapsed = g_get_monotonic_time () - start;
  SCardDisconnect (card, SCARD_LEAVE_CARD);
  SCardReleaseContext (context);
  return elapsed / iterations;
}

/* 10 contacts renamed in the mirror: "Bench A 1" … or "Bench B 1" …, so
 * that each round changes the same 10 records again. */
static guint
rename_contacts (const char *db,
                 const char *iccid,
                 guint       round)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvMirror) mirror = sv_mirror_open (db, &error);
  g_autoptr(GPtrArray) contacts = NULL;
  guint n = 0;

  if (mirror == NULL || (contacts = sv_mirror_list_contacts (mirror, iccid, &error)) == NULL)
    g_error ("%s", error->message);
  for (guint i = 0; i < contacts->len && n < 10; i++)
    {
      SvContact *c = g_ptr_array_index (contacts, i);
      g_autofree char *name = g_strdup_printf ("Bench %c %u", round % 2 ? 'B' : 'A', n + 1);
      g_autoptr(SvContact) renamed = sv_contact_new_full (sv_contact_get_set (c), sv_contact_get_index (c),
                                                          name, sv_contact_get_number (c),
                                                          sv_contact_get_ton_npi (c),
                                                          sv_contact_get_additional_numbers (c),
                                                          sv_contact_get_emails (c),
                                                          sv_contact_get_second_name (c));

      if (!sv_mirror_store_contact (mirror, iccid, renamed, NULL, &error))
        g_error ("%s", error->message);
      n++;
    }
  return n;
}

static char *
read_into_mirror (SvCardSession *session,
                  const char    *db)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvReadResult) read = sv_read_operation_run (session, db, SV_READ_OPERATION_DEFAULT,
                                                        NULL, NULL, &error);

  if (read == NULL)
    g_error ("read: %s", error->message);
  return g_strdup (sv_read_result_get_iccid (read));
}

/* One write operation of the pending changes of @iccid, as the GUI runs
 * it. Returns the plan; *write_us is the time of the run alone. */
static SvWritePlan *
write_pending (SvCardSession *session,
               const char    *db,
               const char    *iccid,
               const char    *journal,
               gint64        *write_us)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvWritePlan) plan = sv_write_operation_prepare (db, iccid, NULL, &error);
  g_autoptr(SvWriteResult) result = NULL;
  gint64 start;

  if (plan == NULL)
    g_error ("prepare: %s", error->message);
  start = g_get_monotonic_time ();
  if (!sv_write_operation_run (session, db, plan, journal, NULL, &result, NULL, &error))
    g_error ("write: %s", error->message);
  *write_us = g_get_monotonic_time () - start;
  if (g_file_test (journal, G_FILE_TEST_EXISTS))
    g_error ("write: the journal %s is left after a complete write", journal);
  if (g_getenv ("BENCH_CARD_WRITE_DEBUG") != NULL)
    {
      GPtrArray *changes = sv_write_plan_get_changes (plan);

      for (guint i = 0; i < changes->len; i++)
        {
          SvRecordChange *c = g_ptr_array_index (changes, i);
          SvCardFile *file = sv_card_image_lookup (sv_write_plan_get_target (plan), c->key);

          g_printerr ("change %s#%u (%s)\n", c->key, c->index, file ? file->path : "?");
        }
      g_printerr ("--\n");
    }
  return g_steal_pointer (&plan);
}

int
main (int   argc,
      char *argv[])
{
  const char *mode, *reader_name, *db;
  g_autoptr(BenchRecordingReader) reader = NULL;
  g_autoptr(SvCardSession) session = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(SvWritePlan) plan = NULL;
  g_autoptr(GPtrArray) minimal = NULL;
  g_autoptr(GPtrArray) checked = NULL;
  g_autoptr(GBytes) aid_select = NULL;
  g_autofree char *iccid = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *journal = NULL;
  BenchApduTally tally, later = { 0 };
  guint n_later_min = 0;
  const guint8 *aid;
  gsize aid_len = 0;
  guint iterations = 1, first, n_min_selects = 0, records = 0;
  gint64 ours = 0, write_us = 0, loop, loop_checked;
  guint8 cla;

  if (argc < 5 || (strcmp (argv[1], "write10") != 0 && strcmp (argv[1], "restore") != 0))
    {
      g_printerr ("usage: %s write10 READER DB N | restore READER DB SOURCE_ICCID\n", argv[0]);
      return 2;
    }
  mode = argv[1];
  reader_name = argv[2];
  db = argv[3];
  dir = g_dir_make_tmp ("sv-bench-write-XXXXXX", NULL);
  journal = g_build_filename (dir, "journal", NULL);

  reader = bench_recording_reader_new ();
  session = sv_card_session_open (SV_READER (reader), reader_name, &error);
  if (session == NULL)
    g_error ("%s", error->message);
  cla = sv_card_session_get_card_type (session) == SV_CARD_TYPE_USIM ? 0x00 : 0xA0;

  /* The card as the GUI has it when the user edits: read into the mirror. */
  reader->recording = TRUE;
  iccid = read_into_mirror (session, db);
  aid = find_aid_select (reader->commands, &aid_len);
  if (aid != NULL)
    aid_select = g_bytes_new (aid, aid_len);
  g_ptr_array_set_size (reader->commands, 0);

  if (strcmp (mode, "write10") == 0)
    {
      iterations = MAX (1, (guint) atoi (argv[4]));
      for (guint round = 0; round < iterations; round++)
        {
          g_autoptr(SvWritePlan) again = NULL;
          gint64 start, one = 0;

          /* The user's edit is not part of the write. */
          if (rename_contacts (db, iccid, round) != 10)
            g_error ("the card has fewer than 10 contacts");
          first = reader->commands->len;
          reader->recording = round == 0 || round == iterations - 1;
          start = g_get_monotonic_time ();
          again = write_pending (session, db, iccid, journal, &one);
          if (round == 0)
            {
              /* The figure: the first write after the card was read. */
              ours = g_get_monotonic_time () - start;
              write_us = one;
              plan = g_steal_pointer (&again);
              bench_apdu_tally (reader->commands, first, &tally);
            }
          else if (round == iterations - 1)
            {
              /* A later write of the same card: EF_PBC now flags the
               * entries SimVault wrote (the phonebook model marks each
               * stored entry modified), which the change check cannot
               * tell from a 2G terminal's edit: it compares each record. */
              g_autoptr(GPtrArray) later_min = NULL;
              guint later_selects = 0;

              bench_apdu_tally (reader->commands, first, &later);
              later_min = minimal_write (sv_write_plan_get_changes (again), sv_write_plan_get_target (again),
                                         cla, aid_select, &later_selects);
              n_later_min = later_min->len;
            }
        }
    }
  else
    {
      const char *source = argv[4];
      gint64 start = g_get_monotonic_time ();

      if (!sv_restore_operation_apply (db, source, iccid, TRUE, NULL, NULL, &error))
        g_error ("restore: %s", error->message);
      reader->recording = TRUE;
      plan = write_pending (session, db, iccid, journal, &write_us);
      ours = g_get_monotonic_time () - start;
      bench_apdu_tally (reader->commands, 0, &tally);
    }
  reader->recording = FALSE;

  minimal = minimal_write (sv_write_plan_get_changes (plan), sv_write_plan_get_target (plan), cla,
                           aid_select, &n_min_selects);
  for (guint i = 0; i < minimal->len; i++)
    {
      const guint8 *apdu = g_bytes_get_data (g_ptr_array_index (minimal, i), NULL);

      records += apdu[1] == 0xDC || apdu[1] == 0xD6;
    }
  checked = checked_minimal_write (minimal, sv_write_plan_get_changes (plan), sv_write_plan_get_base (plan),
                                   cla, aid_select);
  sv_card_session_close (g_steal_pointer (&session));
  loop = replay (reader_name, minimal, 1);
  loop_checked = replay (reader_name, checked, 1);

  g_print ("records=%u apdus=%u selects=%u get_response=%u reads=%u verify_reads=%u updates=%u "
           "searches=%u others=%u min=%u min_selects=%u ours_us=%" G_GINT64_FORMAT
           " write_us=%" G_GINT64_FORMAT " loop_us=%" G_GINT64_FORMAT " ratio=%.2f"
           " later_apdus=%u later_min=%u later_checks=%u"
           " min_checked=%u loop_checked_us=%" G_GINT64_FORMAT " ratio_checked=%.2f\n",
           records, tally.total, tally.selects, tally.get_responses, tally.reads, tally.verify_reads,
           tally.updates, tally.searches, tally.others, minimal->len, n_min_selects, ours, write_us,
           loop, loop > 0 ? (double) ours / loop : 0.0,
           later.total, n_later_min, later.reads - later.verify_reads + later.searches,
           checked->len, loop_checked, loop_checked > 0 ? (double) ours / loop_checked : 0.0);
  g_remove (journal);
  g_rmdir (dir);
  return 0;
}
