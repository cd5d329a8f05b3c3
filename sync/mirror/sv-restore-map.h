/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "sv-mirror.h"

G_BEGIN_DECLS

typedef enum
{
  SV_RESTORE_FITS,              /* stored as on the source card */
  SV_RESTORE_REENCODED,         /* stored, name in another alpha coding */
  SV_RESTORE_TRUNCATED,         /* stored with something cut: see message */
  SV_RESTORE_OVERFLOW,          /* not stored: no room or cannot fit */
} SvRestoreOutcome;

const char *sv_restore_outcome_to_string (SvRestoreOutcome outcome);

/**
 * SvRestoreEntry:
 * @source: the contact on the source card
 * @target: (nullable): what the target card would hold (its place and
 *   possibly shortened fields); %NULL for an overflow
 * @message: for the user: what changed and why, or why it does not fit
 * @n_numbers_lost: additional numbers no set of the target can hold
 * @n_emails_lost: e-mail addresses no set of the target can hold
 * @n_chars_cut: characters cut from the end of the name
 * @second_name_lost: the second name could not be kept
 */
typedef struct
{
  SvContact        *source;
  SvContact        *target;
  SvRestoreOutcome  outcome;
  char             *message;
  guint             n_numbers_lost;
  guint             n_emails_lost;
  guint             n_chars_cut;
  gboolean          second_name_lost;
} SvRestoreEntry;

void        sv_restore_entry_free        (SvRestoreEntry *entry);
char       *sv_restore_describe_losses   (GPtrArray      *entries);

GPtrArray  *sv_restore_map_preview       (SvCardImage    *source,
                                          SvCardImage    *target,
                                          SvCardImage   **result,
                                          GError        **error);
GPtrArray  *sv_mirror_restore_preview    (SvMirror       *self,
                                          const char     *source_iccid,
                                          const char     *target_iccid,
                                          GError        **error);
gboolean    sv_mirror_restore_apply      (SvMirror       *self,
                                          const char     *source_iccid,
                                          const char     *target_iccid,
                                          gboolean        accept_truncation,
                                          GPtrArray     **entries,
                                          GError        **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SvRestoreEntry, sv_restore_entry_free)

G_END_DECLS
