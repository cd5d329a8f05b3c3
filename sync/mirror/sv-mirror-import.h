/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "sv-mirror.h"
#include "sv-vcard.h"

G_BEGIN_DECLS

typedef enum
{
  SV_CONTACT_FORMAT_AUTO,       /* from the file's content */
  SV_CONTACT_FORMAT_VCARD,
  SV_CONTACT_FORMAT_CSV,
} SvContactFormat;

GPtrArray *sv_contacts_parse_file      (const char       *text,
                                        gssize            len,
                                        SvContactFormat   format,
                                        SvImportFlags     flags,
                                        GPtrArray       **warnings,
                                        GError          **error);
gboolean   sv_mirror_import_contacts   (SvMirror         *self,
                                        const char       *iccid,
                                        GPtrArray        *contacts,
                                        SvImportFlags     flags,
                                        GPtrArray       **warnings,
                                        guint            *n_stored,
                                        GError          **error);

G_END_DECLS
