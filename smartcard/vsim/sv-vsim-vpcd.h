/* SPDX-License-Identifier: GPL-3.0-or-later */
/* sv-vsim-vpcd.h: the card side of vsmartcard's vpcd socket protocol. */
#pragma once

#include <stdio.h>

#include <glib.h>

#include "sv-vsim-card.h"

G_BEGIN_DECLS

typedef struct
{
  const char *host;
  guint       port;
  guint       connect_timeout_ms; /* how long to wait for vpcd to listen */
  guint       drop_after;         /* 0: never pull the card */
  guint       delay_ms;           /* per APDU, before the answer */
  gboolean    once;               /* exit when vpcd hangs up */
  gboolean    no_quickack;        /* only to measure the delayed-ACK pitfall */
  FILE       *apdu_log;
  const char *persist_path;       /* save the image here after changes */
} SvVsimVpcdOptions;

#define SV_VSIM_VPCD_ERROR (sv_vsim_vpcd_error_quark ())
GQuark   sv_vsim_vpcd_error_quark (void);

gboolean sv_vsim_vpcd_run (SvVsimCard              *card,
                           const SvVsimVpcdOptions *options,
                           GError                 **error);

G_END_DECLS
