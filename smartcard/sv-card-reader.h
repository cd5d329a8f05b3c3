/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "sv-card-image.h"
#include "sv-card-session.h"
#include "sv-progress.h"

G_BEGIN_DECLS

typedef enum
{
  SV_CARD_READ_DEFAULT        = 0,
  SV_CARD_READ_SKIP_MESSAGES  = 1 << 0,
  SV_CARD_READ_SKIP_PHONEBOOK = 1 << 1,
} SvCardReadFlags;

/**
 * SvCardReadStats:
 * @apdu_count: APDUs sent by this read
 * @records_read: READ RECORD/READ BINARY results stored
 * @records_reused: records taken from the previous image because the
 *   USIM change counters (PSC, CC, PUID) said nothing changed
 */
typedef struct
{
  guint apdu_count;
  guint records_read;
  guint records_reused;
  guint files_selected;
} SvCardReadStats;

/**
 * SvCardPreviousFunc:
 * @iccid: the ICCID just read from the card
 * @error: set when the lookup itself failed (a card never seen is not an
 *   error: return %NULL without setting it)
 *
 * Returns: (transfer full) (nullable): the image last read from that card
 */
typedef SvCardImage *(*SvCardPreviousFunc) (const char  *iccid,
                                            gpointer     user_data,
                                            GError     **error);

char        *sv_card_read_iccid             (SvCardSession        *session,
                                             GError              **error);
SvCardImage *sv_card_read_image             (SvCardSession        *session,
                                             SvCardImage          *previous,
                                             SvCardReadFlags       flags,
                                             SvProgress           *progress,
                                             SvCardReadStats      *stats,
                                             GCancellable         *cancellable,
                                             GError              **error);
SvCardImage *sv_card_read_image_with_lookup (SvCardSession        *session,
                                             SvCardPreviousFunc    lookup,
                                             gpointer              lookup_data,
                                             SvCardReadFlags       flags,
                                             SvProgress           *progress,
                                             SvCardReadStats      *stats,
                                             GCancellable         *cancellable,
                                             GError              **error);

G_END_DECLS
