/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "sv-protocol-types.h"
#include "sv-protocol-messages.h"

G_BEGIN_DECLS

/*
 * What the message files of libsvprotocol (sv-protocol-messages.c and the
 * sv-protocol-<family>.c beside it) share: strict JSON reading and writing
 * helpers, the file key check, lists of records and of messages. Internal
 * to the library; callers include sv-protocol.h.
 */

#define CHECK(node, table, error) \
  sv_protocol_check_object ((node), (table), G_N_ELEMENTS (table), (error))

gboolean _sv_protocol_fail_at (GError     **error,
                               const char  *prefix);

gboolean _sv_protocol_check_range (gint64       value,
                                   gint64       min,
                                   gint64       max,
                                   const char  *field,
                                   GError     **error);

JsonArray *_sv_protocol_get_array (JsonObject *object,
                                   const char *name);

void _sv_protocol_add_string (JsonBuilder *builder,
                              const char  *name,
                              const char  *value);

void _sv_protocol_add_int (JsonBuilder *builder,
                           const char  *name,
                           gint64       value);

void _sv_protocol_add_hex (JsonBuilder *builder,
                           const char  *name,
                           GBytes      *bytes);

void _sv_protocol_add_node (JsonBuilder *builder,
                            const char  *name,
                            JsonNode    *node);

GPtrArray *_sv_protocol_records_from_json (JsonArray   *array,
                                           const char  *name,
                                           gboolean     with_base,
                                           guint        max,
                                           GError     **error);

void _sv_protocol_add_records (JsonBuilder *b,
                               const char  *name,
                               GPtrArray   *records,
                               gboolean     with_base);

gboolean _sv_protocol_check_file_key (const char *key);

GPtrArray *_sv_protocol_messages_from_json (JsonArray   *array,
                                            const char  *name,
                                            GError     **error);

void _sv_protocol_add_messages (JsonBuilder *b,
                                const char  *name,
                                GPtrArray   *messages);

G_END_DECLS
