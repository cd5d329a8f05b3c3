/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "sv-card-image.h"
#include "sv-message.h"

G_BEGIN_DECLS

char     *sv_date_time_format_rfc3339 (GDateTime *time);

JsonNode *sv_sms_export_json_node (GPtrArray   *messages,
                                   SvCardImage *image);
char     *sv_sms_export_json      (GPtrArray   *messages,
                                   SvCardImage *image);
char     *sv_sms_export_xml       (GPtrArray   *messages,
                                   SvCardImage *image);

G_END_DECLS
