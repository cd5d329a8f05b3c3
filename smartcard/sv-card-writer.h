/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "sv-card-image.h"
#include "sv-card-session.h"
#include "sv-progress.h"

G_BEGIN_DECLS

/**
 * SvCardWriteStats:
 * @apdu_count: APDUs sent by this write
 * @records_written: records updated (and read back equal)
 * @records_already: records that already held the target bytes (the rest
 *   of an interrupted write, or an identical edit made elsewhere)
 * @records_checked: records read to compare with the base image
 * @previous_written: (element-type utf8) (nullable): "key#index" of each
 *   record an earlier, interrupted write had written, from its journal
 */
typedef struct
{
  guint      apdu_count;
  guint      records_written;
  guint      records_already;
  guint      records_checked;
  GPtrArray *previous_written;
} SvCardWriteStats;

void       sv_card_write_stats_clear      (SvCardWriteStats    *stats);

char      *sv_card_journal_path           (const char          *iccid);
GPtrArray *sv_card_journal_load_written   (const char          *journal_path,
                                           guint               *n_total,
                                           GError             **error);

GPtrArray *sv_card_write_prepare          (SvCardImage         *base,
                                           SvCardImage         *target,
                                           GError             **error);
guint      sv_card_image_sync_aliases     (SvCardImage         *image,
                                           GPtrArray           *written);
gboolean   sv_card_write_image            (SvCardSession       *session,
                                           SvCardImage         *base,
                                           SvCardImage         *target,
                                           const char          *journal_path,
                                           SvProgress          *progress,
                                           SvCardWriteStats    *stats,
                                           GPtrArray          **written,
                                           GCancellable        *cancellable,
                                           GError             **error);
gboolean   sv_card_write_image_to_card    (SvCardSession       *session,
                                           const char          *card_iccid,
                                           SvCardImage         *base,
                                           SvCardImage         *target,
                                           const char          *journal_path,
                                           SvProgress          *progress,
                                           SvCardWriteStats    *stats,
                                           GPtrArray          **written,
                                           GCancellable        *cancellable,
                                           GError             **error);

G_END_DECLS
