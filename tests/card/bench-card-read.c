/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * bench-card-read READER [N] [PIN]: a full read of the card in READER with
 * libsvsmartcard, against the same APDUs replayed by a minimal C loop of
 * SCardTransmit calls through the same pcscd. Prints one line:
 *
 *   apdus=A min=M selects=S get_response=G reads=R ours_us=T loop_us=L ratio=X
 *
 * "min" is one APDU per record (or transparent file) plus one SELECT per
 * EF read. This tool talks to PC/SC directly for the reference loop, so it
 * includes <winscard.h>; the library itself never does outside
 * sv-pcsc-reader.c.
 */
#include "config.h"

#include <string.h>
#include <winscard.h>

#include "bench-recording-reader.h"
#include "sv-card-reader.h"
#include "sv-card-session.h"
#include "sv-pcsc-reader.h"
#include "sv-pin.h"

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
                           apdu, len, NULL, response, &response_len) != SCARD_S_SUCCESS)
          g_error ("replay: SCardTransmit failed");
      }
  elapsed = g_get_monotonic_time () - start;
  SCardDisconnect (card, SCARD_LEAVE_CARD);
  SCardReleaseContext (context);
  return elapsed / iterations;
}

int
main (int   argc,
      char *argv[])
{
  const char *reader_name;
  guint iterations;
  g_autoptr(BenchRecordingReader) reader = NULL;
  g_autoptr(SvCardSession) session = NULL;
  g_autoptr(GError) error = NULL;
  SvCardReadStats stats = { 0 };
  SvCardReadStats reread = { 0 }, reread_no_sms = { 0 };
  guint selects = 0, get_responses = 0, reads = 0, n_min;
  g_autoptr(GHashTable) efs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  gint64 start, ours, loop;
  guint apdus_per_read;

  if (argc < 2)
    {
      g_printerr ("usage: %s READER [ITERATIONS] [PIN]\n", argv[0]);
      return 2;
    }
  reader_name = argv[1];
  iterations = argc > 2 ? (guint) atoi (argv[2]) : 20;

  reader = bench_recording_reader_new ();
  session = sv_card_session_open (SV_READER (reader), reader_name, &error);
  if (session == NULL)
    g_error ("%s", error->message);
  if (argc > 3)
    {
      g_autofree char *pin = g_strdup (argv[3]);
      SvPinStatus status;

      if (sv_pin_get_status (session, SV_PIN_1, &status, &error) && !status.verified)
        sv_pin_verify (session, SV_PIN_1, pin, SV_PIN_FLAGS_NONE, &error);
      if (error)
        g_error ("%s", error->message);
    }

  /* One recorded read: the APDU sequence, the counts. */
  reader->recording = TRUE;
  {
    g_autoptr(SvCardImage) image = sv_card_read_image (session, NULL, SV_CARD_READ_DEFAULT, NULL,
                                                       &stats, NULL, &error);
    g_autoptr(SvCardImage) again = NULL;
    GPtrArray *keys;

    if (image == NULL)
      g_error ("%s", error->message);
    reader->recording = FALSE;
    /* A re-read of the unchanged card, with the first image as "previous"
     * (what the mirror keeps), with and without EF_SMS. */
    again = sv_card_read_image (session, image, SV_CARD_READ_DEFAULT, NULL, &reread, NULL, &error);
    g_clear_object (&again);
    again = sv_card_read_image (session, image, SV_CARD_READ_SKIP_MESSAGES, NULL, &reread_no_sms,
                                NULL, &error);
    if (again == NULL)
      g_error ("%s", error->message);
    keys = sv_card_image_list_keys (image);
    for (guint i = 0; i < keys->len; i++)
      {
        SvCardFile *file = sv_card_image_lookup (image, g_ptr_array_index (keys, i));

        g_hash_table_add (efs, g_strdup (file->path));
      }
    g_ptr_array_unref (keys);
  }
  reader->recording = FALSE;
  for (guint i = 0; i < reader->commands->len; i++)
    {
      const guint8 *apdu = g_bytes_get_data (g_ptr_array_index (reader->commands, i), NULL);

      if (apdu[1] == 0xA4)
        selects++;
      else if (apdu[1] == 0xC0)
        get_responses++;
      else if (apdu[1] == 0xB2 || apdu[1] == 0xB0)
        reads++;
    }
  apdus_per_read = reader->commands->len;
  n_min = stats.records_read + g_hash_table_size (efs);

  /* Timed: our full read, then the bare loop of the same APDUs. */
  start = g_get_monotonic_time ();
  for (guint it = 0; it < iterations; it++)
    {
      g_autoptr(SvCardImage) image = sv_card_read_image (session, NULL, SV_CARD_READ_DEFAULT, NULL,
                                                         NULL, NULL, &error);
      if (image == NULL)
        g_error ("%s", error->message);
    }
  ours = (g_get_monotonic_time () - start) / iterations;
  sv_card_session_close (g_steal_pointer (&session));
  loop = replay (reader_name, reader->commands, iterations);

  g_print ("apdus=%u min=%u selects=%u get_response=%u reads=%u records=%u files=%u "
           "ours_us=%" G_GINT64_FORMAT " loop_us=%" G_GINT64_FORMAT " ratio=%.2f "
           "reread=%u reread_no_sms=%u\n",
           apdus_per_read, n_min, selects, get_responses, reads, stats.records_read,
           g_hash_table_size (efs), ours, loop, loop > 0 ? (double) ours / loop : 0.0,
           reread.apdu_count, reread_no_sms.apdu_count);
  return 0;
}
