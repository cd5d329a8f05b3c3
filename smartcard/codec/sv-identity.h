/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "sv-alpha.h"

G_BEGIN_DECLS

/**
 * SvSpn:
 * @display_condition: byte 1 (b1: show the registered PLMN too; b2: hide
 *   the SPN when roaming, TS 31.102 §4.2.12)
 * @name: the service provider name
 * @scheme: its alpha coding
 */
typedef struct
{
  guint8         display_condition;
  char          *name;
  SvAlphaScheme  scheme;
} SvSpn;

GBytes   *sv_dir_record_decode_aid (const guint8  *data,
                                    gsize          len,
                                    GError       **error);
char     *sv_iccid_decode          (const guint8  *data,
                                    gsize          len,
                                    GError       **error);
char     *sv_imsi_decode           (const guint8  *data,
                                    gsize          len,
                                    GError       **error);
gboolean  sv_spn_decode            (const guint8  *data,
                                    gsize          len,
                                    SvSpn         *out,
                                    GError       **error);
void      sv_spn_clear             (SvSpn         *spn);

G_END_DECLS
