/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The operations layer: what the window and the CLI do with cards, written
 * once. GLib/GIO only (no GTK); links the smartcard library (PC/SC) and
 * the mirror.
 *
 * Shape: one file pair per operation, named sv-<what>-operation.{c,h}.
 * Each operation is
 *   - a blocking function, sv_<what>_operation_<step> (...,
 *     GCancellable *, GError **), which the CLI calls and which is the
 *     whole behaviour;
 *   - an _async/_finish pair that runs exactly that function in a GTask
 *     worker thread (D-Spy style), for the window;
 *   - a result that is an immutable refcounted boxed type
 *     (Sv<What>Result, _ref/_unref), safe to pass between threads.
 * Long card work reports through an SvProgress (notifies on the main
 * context it was made on; Nautilus style) and stops at the GCancellable.
 *
 * Operations today:
 *   sv-read-operation      read a card into the mirror
 *   sv-write-operation     prepare (preview) and write the pending changes,
 *                          verified and journalled, then mark them written
 *   sv-restore-operation   preview and apply one card's phonebook onto
 *                          another, in the mirror (then: a write)
 * To come beside them: backup to and restore from the server
 * (sv-backup-operation, sv-server-restore-operation over sync/client/).
 *
 * What an operation does not do: open the card session or ask for the PIN.
 * The caller does, because a window asks with a dialog and the CLI on a
 * terminal; it then hands the open session to the operation, which owns it
 * (uses it from its worker thread) until it finishes.
 *
 * Threads and SQLite connections: a connection belongs to the thread that
 * opened it. Every operation opens its own connection (sv_mirror_open() on
 * the db_path it was given) in the thread it runs in, uses it for that run
 * only and closes it. The window keeps no connection on the main thread;
 * its plain mirror queries go through sv_mirror_worker_run()
 * (sync/mirror/sv-mirror-worker.h), which opens one per worker the same
 * way. WAL lets these connections read side by side while one writes.
 */
#pragma once

#include "sv-read-operation.h"
#include "sv-restore-operation.h"
#include "sv-write-operation.h"
