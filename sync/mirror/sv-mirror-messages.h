/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "sv-mirror.h"

G_BEGIN_DECLS

gboolean sv_mirror_add_message (SvMirror         *self,
                                const char       *iccid,
                                SvMessageStatus   status,
                                const char       *number,
                                const char       *text,
                                GDateTime        *timestamp,
                                GArray          **records,
                                GError          **error);

gboolean sv_mirror_update_messages (SvMirror        *self,
                                    const char      *iccid,
                                    GArray          *indices,
                                    SvMessageStatus  status,
                                    GError         **error);

G_END_DECLS
