/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* What the status byte of an EF_SMS record says (TS 51.011 §10.5.3); the
 * byte itself is sv-sms-store.c's business. */
typedef enum
{
  SV_MESSAGE_STATUS_FREE,
  SV_MESSAGE_STATUS_READ,
  SV_MESSAGE_STATUS_UNREAD,     /* "to be read" */
  SV_MESSAGE_STATUS_SENT,
  SV_MESSAGE_STATUS_UNSENT,     /* "to be sent" */
} SvMessageStatus;

typedef enum
{
  SV_MESSAGE_TYPE_DELIVER,
  SV_MESSAGE_TYPE_SUBMIT,
  SV_MESSAGE_TYPE_STATUS_REPORT,
} SvMessageType;

/**
 * SvMessage:
 *
 * One short message as the user sees it: a single EF_SMS record, or every
 * record of a concatenated message joined in order. Immutable and reference
 * counted. `index` is the first record holding it; `record_indices` lists
 * every record in part order (0 where a part is missing). A missing part
 * adds nothing to the text; sv_message_get_n_missing() says how many.
 *
 * A record whose TPDU does not decode is not dropped: it becomes a message
 * made with sv_message_new_undecodable(), whose text is empty and whose
 * sv_message_get_decode_error() says why, so the user still sees (and can
 * back up or delete) the record.
 */
typedef struct _SvMessage SvMessage;

#define SV_TYPE_MESSAGE (sv_message_get_type ())

GType            sv_message_get_type           (void) G_GNUC_CONST;
SvMessage       *sv_message_new                (SvMessageStatus  status,
                                                SvMessageType    type,
                                                const char      *number,
                                                GDateTime       *timestamp,
                                                const char      *text,
                                                const guint     *record_indices,
                                                guint            n_parts);
SvMessage       *sv_message_ref                (SvMessage       *message);
void             sv_message_unref              (SvMessage       *message);
guint            sv_message_get_index          (const SvMessage *message);
SvMessageStatus  sv_message_get_status         (const SvMessage *message);
SvMessageType    sv_message_get_message_type   (const SvMessage *message);
const char      *sv_message_get_number         (const SvMessage *message);
GDateTime       *sv_message_get_timestamp      (const SvMessage *message);
const char      *sv_message_get_text           (const SvMessage *message);
guint            sv_message_get_n_parts        (const SvMessage *message);
const guint     *sv_message_get_record_indices (const SvMessage *message);
guint            sv_message_get_n_missing      (const SvMessage *message);
const char      *sv_message_get_decode_error   (const SvMessage *message);
guint8           sv_message_get_raw_status     (const SvMessage *message);
SvMessage       *sv_message_new_undecodable    (guint            index,
                                                guint8           raw_status,
                                                const char      *decode_error);
gboolean         sv_message_equal              (const SvMessage *a,
                                                const SvMessage *b);
const char      *sv_message_status_to_string   (SvMessageStatus  status);
const char      *sv_message_type_to_string     (SvMessageType    type);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SvMessage, sv_message_unref)

G_END_DECLS
