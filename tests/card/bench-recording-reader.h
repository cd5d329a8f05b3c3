/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * For the card benchmarks (bench-card-read.c, bench-card-write.c): an
 * SvReader that forwards to PC/SC and, while recording, keeps every
 * command APDU it sends; and the tally of recorded APDUs by kind.
 */
#pragma once

#include "sv-reader.h"

G_BEGIN_DECLS

#define BENCH_TYPE_RECORDING_READER (bench_recording_reader_get_type ())
G_DECLARE_FINAL_TYPE (BenchRecordingReader, bench_recording_reader, BENCH, RECORDING_READER, SvReader)

struct _BenchRecordingReader
{
  SvReader   parent_instance;
  SvReader  *inner;
  GPtrArray *commands;   /* GBytes, the command APDUs sent while recording */
  gboolean   recording;
};

BenchRecordingReader *bench_recording_reader_new (void);

/* Recorded APDUs by instruction. A READ right after an UPDATE of the same
 * record or offset is the write's verification; any other READ is a check
 * (ICCID, change counters, records compared before writing). */
typedef struct
{
  guint total;
  guint selects;
  guint get_responses;
  guint reads;
  guint verify_reads;
  guint updates;
  guint searches;
  guint others;
} BenchApduTally;

void bench_apdu_tally (GPtrArray *commands, guint from, BenchApduTally *tally);

G_END_DECLS
