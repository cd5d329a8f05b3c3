/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "sv-contact.h"

G_BEGIN_DECLS

typedef enum
{
  SV_VCARD_VERSION_3_0,         /* RFC 2426 (the default) */
  SV_VCARD_VERSION_4_0,         /* RFC 6350 */
} SvVCardVersion;

/**
 * SvImportFlags:
 * @SV_IMPORT_PARTIAL: skip malformed entries (with a warning each) instead
 *   of failing the whole file
 */
typedef enum
{
  SV_IMPORT_NONE    = 0,
  SV_IMPORT_PARTIAL = 1 << 0,
} SvImportFlags;

char      *sv_vcard_export   (GPtrArray       *contacts,
                              SvVCardVersion   version,
                              const char      *iccid);
GPtrArray *sv_vcard_parse    (const char      *text,
                              gssize           len,
                              SvImportFlags    flags,
                              GPtrArray      **warnings,
                              GError         **error);

G_END_DECLS
