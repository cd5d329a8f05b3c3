/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "sv-reader.h"

G_BEGIN_DECLS

/**
 * SvReaderMonitor:
 *
 * Watches readers and cards from one thread that owns its backend's
 * monitor context and loops on SCardGetStatusChange (with
 * `\\?PnP?\Notification` for reader hotplug). Survives pcscd restarts by
 * making a new context. Events are emitted on the main context that was
 * the thread default when the monitor was made:
 *
 * - #SvReaderMonitor::reader-added / ::reader-removed (name)
 * - #SvReaderMonitor::card-inserted (name, ATR as #GBytes, ICCID or %NULL)
 * - #SvReaderMonitor::card-removed (name)
 * - #SvReaderMonitor::service-changed (available): pcscd went away or
 *   came back
 *
 * A card swapped between two polls is reported as removed then inserted,
 * and the new card is identified by its ICCID.
 */
#define SV_TYPE_READER_MONITOR (sv_reader_monitor_get_type ())
G_DECLARE_FINAL_TYPE (SvReaderMonitor, sv_reader_monitor, SV, READER_MONITOR, GObject)

SvReaderMonitor *sv_reader_monitor_new            (SvReader        *reader,
                                                   gboolean         identify_cards);
gboolean         sv_reader_monitor_start          (SvReaderMonitor *self,
                                                   GError         **error);
void             sv_reader_monitor_stop           (SvReaderMonitor *self);
GPtrArray       *sv_reader_monitor_dup_readers    (SvReaderMonitor *self);
void             sv_reader_monitor_set_poll_interval (SvReaderMonitor *self,
                                                      guint            timeout_ms);

G_END_DECLS
