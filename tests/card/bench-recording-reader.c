/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "bench-recording-reader.h"
#include "sv-pcsc-reader.h"

G_DEFINE_FINAL_TYPE (BenchRecordingReader, bench_recording_reader, SV_TYPE_READER)

static GPtrArray *
rec_list_readers (SvReader *reader, GError **error)
{
  return sv_reader_list_readers (BENCH_RECORDING_READER (reader)->inner, error);
}

static SvReaderHandle *
rec_connect (SvReader *reader, const char *name, SvCardProtocol *protocol, GBytes **atr, GError **error)
{
  return sv_reader_connect (BENCH_RECORDING_READER (reader)->inner, name, protocol, atr, error);
}

static gboolean
rec_transmit (SvReader *reader, SvReaderHandle *handle, const guint8 *apdu, gsize apdu_len,
              guint8 *response, gsize *response_len, GError **error)
{
  BenchRecordingReader *self = BENCH_RECORDING_READER (reader);

  if (self->recording)
    g_ptr_array_add (self->commands, g_bytes_new (apdu, apdu_len));
  return sv_reader_transmit (self->inner, handle, apdu, apdu_len, response, response_len, error);
}

static void
rec_disconnect (SvReader *reader, SvReaderHandle *handle, gboolean reset)
{
  sv_reader_disconnect (BENCH_RECORDING_READER (reader)->inner, handle, reset);
}

static gboolean
rec_wait (SvReader *reader, GPtrArray **states, guint timeout_ms, GError **error)
{
  return sv_reader_wait_for_change (BENCH_RECORDING_READER (reader)->inner, states, timeout_ms, error);
}

static void
rec_cancel (SvReader *reader)
{
  sv_reader_cancel (BENCH_RECORDING_READER (reader)->inner);
}

static gboolean
rec_begin (SvReader *reader, SvReaderHandle *handle, gboolean *card_was_reset, GError **error)
{
  return sv_reader_begin_transaction (BENCH_RECORDING_READER (reader)->inner, handle,
                                      card_was_reset, error);
}

static void
rec_end (SvReader *reader, SvReaderHandle *handle)
{
  sv_reader_end_transaction (BENCH_RECORDING_READER (reader)->inner, handle);
}

static void
bench_recording_reader_finalize (GObject *object)
{
  BenchRecordingReader *self = BENCH_RECORDING_READER (object);

  g_clear_object (&self->inner);
  g_ptr_array_unref (self->commands);
  G_OBJECT_CLASS (bench_recording_reader_parent_class)->finalize (object);
}

static void
bench_recording_reader_class_init (BenchRecordingReaderClass *klass)
{
  SvReaderClass *reader_class = SV_READER_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = bench_recording_reader_finalize;
  reader_class->list_readers = rec_list_readers;
  reader_class->connect = rec_connect;
  reader_class->transmit = rec_transmit;
  reader_class->disconnect = rec_disconnect;
  reader_class->wait_for_change = rec_wait;
  reader_class->cancel = rec_cancel;
  reader_class->begin_transaction = rec_begin;
  reader_class->end_transaction = rec_end;
}

static void
bench_recording_reader_init (BenchRecordingReader *self)
{
  self->inner = sv_pcsc_reader_new ();
  self->commands = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
}

BenchRecordingReader *
bench_recording_reader_new (void)
{
  return g_object_new (BENCH_TYPE_RECORDING_READER, NULL);
}

void
bench_apdu_tally (GPtrArray      *commands,
                  guint           from,
                  BenchApduTally *tally)
{
  const guint8 *previous = NULL;

  memset (tally, 0, sizeof *tally);
  for (guint i = from; i < commands->len; i++)
    {
      gsize len;
      const guint8 *apdu = g_bytes_get_data (g_ptr_array_index (commands, i), &len);

      tally->total++;
      switch (len >= 4 ? apdu[1] : 0)
        {
        case 0xA4:
          tally->selects++;
          break;
        case 0xC0:
          tally->get_responses++;
          break;
        case 0xB0:
        case 0xB2:
          tally->reads++;
          /* UPDATE BINARY D6 / UPDATE RECORD DC of the same P1 P2. */
          if (previous != NULL && previous[1] == (apdu[1] == 0xB0 ? 0xD6 : 0xDC) &&
              previous[2] == apdu[2] && previous[3] == apdu[3])
            tally->verify_reads++;
          break;
        case 0xD6:
        case 0xDC:
          tally->updates++;
          break;
        case 0xA2:
          tally->searches++;
          break;
        default:
          tally->others++;
          break;
        }
      previous = len >= 4 ? apdu : NULL;
    }
}
