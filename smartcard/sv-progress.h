/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/**
 * SvProgress:
 *
 * Progress of one long card operation ("120 of 250 records"). Workers
 * call sv_progress_update() from any thread; the properties change, and
 * notify, on the main context that was the thread default when the
 * object was made, so a progress bar can bind to them.
 */
#define SV_TYPE_PROGRESS (sv_progress_get_type ())
G_DECLARE_FINAL_TYPE (SvProgress, sv_progress, SV, PROGRESS, GObject)

SvProgress *sv_progress_new           (void);
void        sv_progress_update        (SvProgress *self,
                                       guint       completed,
                                       guint       total,
                                       const char *message);
guint       sv_progress_get_completed (SvProgress *self);
guint       sv_progress_get_total     (SvProgress *self);
double      sv_progress_get_fraction  (SvProgress *self);
char       *sv_progress_dup_message   (SvProgress *self);

G_END_DECLS
