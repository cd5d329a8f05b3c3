/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* PROTOCOL.md: version 1 under /api/v1/, its limits. */
#define SV_PROTOCOL_VERSION          1
#define SV_PROTOCOL_PREFIX           "/api/v1/"
#define SV_PROTOCOL_MAX_BODY         (1024 * 1024)
#define SV_PROTOCOL_MAX_BATCH        1000
#define SV_PROTOCOL_MAX_MESSAGES     1000
#define SV_PROTOCOL_MAX_RECORD_LEN   1024
#define SV_PROTOCOL_MAX_RECORDS      65535
#define SV_PROTOCOL_MAX_FILES        64
#define SV_PROTOCOL_MAX_GROUP_SIZE   1000
#define SV_PROTOCOL_MAX_CHANGES_PAGE 1000
#define SV_PROTOCOL_MAX_DEPTH        16

typedef enum
{
  SV_JSON_STRING,
  SV_JSON_INT,
  SV_JSON_BOOL,
  SV_JSON_OBJECT,
  SV_JSON_ARRAY,
} SvJsonType;

/**
 * SvJsonField:
 * @name: the member name
 * @type: what its value must be
 * @required: whether it must be present
 *
 * One row of the table sv_protocol_check_object() checks an object against.
 */
typedef struct
{
  const char *name;
  SvJsonType  type;
  gboolean    required;
} SvJsonField;

JsonNode   *sv_protocol_parse_body         (const char         *body,
                                            gsize               len,
                                            GError            **error);
gboolean    sv_protocol_check_object       (JsonNode           *node,
                                            const SvJsonField  *fields,
                                            guint               n_fields,
                                            GError            **error);
char       *sv_protocol_node_to_data       (JsonNode           *node);
/* Bodies from this size on are sent gzip-compressed when that makes them,
 * with their Content-Encoding header, smaller (PROTOCOL.md). */
#define SV_PROTOCOL_GZIP_MIN 128
/* A client asks for gzipped answers (Accept-Encoding: gzip, 23 bytes)
 * on a GET, and on a request body of this size or more. */
#define SV_PROTOCOL_GZIP_ASK_MIN 256

GBytes     *sv_protocol_gzip_if_smaller    (const void         *data,
                                            gsize               len);
GBytes     *sv_protocol_gzip               (const void         *data,
                                            gsize               len);
GBytes     *sv_protocol_gunzip             (const void         *data,
                                            gsize               len,
                                            gsize               max_len,
                                            GError            **error);
gboolean    sv_protocol_accepts_gzip       (const char         *accept_encoding);
const char *sv_protocol_get_string         (JsonObject         *object,
                                            const char         *name);
gint64      sv_protocol_get_int            (JsonObject         *object,
                                            const char         *name,
                                            gint64              default_value);
gboolean    sv_protocol_get_bool           (JsonObject         *object,
                                            const char         *name,
                                            gboolean            default_value);
char      **sv_protocol_get_strv           (JsonObject         *object,
                                            const char         *name,
                                            GError            **error);

char       *sv_index_ranges_format         (const guint        *indices,
                                            guint               n_indices);
GArray     *sv_index_ranges_parse          (const char         *ranges,
                                            guint               max_index,
                                            GError            **error);

char       *sv_sync_token_format           (gint64              epoch,
                                            gint64              modseq);
gboolean    sv_sync_token_parse            (const char         *token,
                                            gint64             *epoch,
                                            gint64             *modseq,
                                            GError            **error);

char       *sv_protocol_normalize_phone    (const char         *phone,
                                            const char         *field,
                                            GError            **error);
gboolean    sv_protocol_check_iccid        (const char         *iccid,
                                            const char         *field,
                                            GError            **error);
gboolean    sv_protocol_check_batch_id     (const char         *batch_id,
                                            const char         *field,
                                            GError            **error);
GBytes     *sv_protocol_hex_decode         (const char         *hex,
                                            const char         *field,
                                            GError            **error);
char       *sv_protocol_hex_encode         (GBytes             *bytes);
GDateTime  *sv_protocol_time_parse         (const char         *text,
                                            const char         *field,
                                            GError            **error);
char       *sv_protocol_time_format        (GDateTime          *time);

G_END_DECLS
