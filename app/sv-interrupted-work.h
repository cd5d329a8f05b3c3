/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/**
 * SvWorkKind:
 * @SV_WORK_WRITE: pending changes being written to a card
 * @SV_WORK_BACKUP: a card being backed up to its server
 * @SV_WORK_RESTORE: a card being restored from its backup
 */
typedef enum
{
  SV_WORK_WRITE,
  SV_WORK_BACKUP,
  SV_WORK_RESTORE,
} SvWorkKind;

/**
 * SvInterruptedItem:
 * @kind: what was running
 * @iccid: the card it ran for
 * @started_at: unix seconds
 *
 * Work a previous run of SimVault started and never ended: the process
 * died (killed, crashed, the session ended) while it ran.
 */
typedef struct
{
  SvWorkKind  kind;
  char       *iccid;
  gint64      started_at;
} SvInterruptedItem;

#define SV_TYPE_INTERRUPTED_WORK (sv_interrupted_work_get_type ())

G_DECLARE_FINAL_TYPE (SvInterruptedWork, sv_interrupted_work, SV, INTERRUPTED_WORK, GObject)

SvInterruptedWork *sv_interrupted_work_get_default (void);
SvInterruptedWork *sv_interrupted_work_new         (const char        *dir);
void               sv_interrupted_work_begin       (SvInterruptedWork *self,
                                                    SvWorkKind         kind,
                                                    const char        *iccid);
void               sv_interrupted_work_end         (SvInterruptedWork *self,
                                                    SvWorkKind         kind,
                                                    const char        *iccid,
                                                    gboolean           finished);
GPtrArray         *sv_interrupted_work_get_items   (SvInterruptedWork *self);

G_END_DECLS
