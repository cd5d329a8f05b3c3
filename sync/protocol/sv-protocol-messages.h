/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "sv-card-image.h"
#include "sv-contact.h"

G_BEGIN_DECLS

/*
 * The request and response bodies of PROTOCOL.md as C structures. Every
 * *_from_json() is strict (unknown fields, wrong types, sizes, ranges) and
 * names the field at fault from the body's root; every *_to_json() writes
 * the canonical form, so a client builds and a server checks exactly one
 * shape. A server compares retried batches by their canonical form.
 */

/* One file of a card's layout ("files" of a registration). */
typedef struct
{
  char            *key;
  char            *path;
  SvFileStructure  structure;
  guint            record_len;
  guint            n_records;
} SvProtocolFile;

/* "card" of a registration. */
typedef struct
{
  char       *iccid;
  char       *imsi;
  SvCardType  card_type;
  char       *batch;
  gint64      counter_a;
  guint       sms_capacity;
  GPtrArray  *files;            /* SvProtocolFile */
} SvProtocolCard;

typedef struct
{
  char           *phone;        /* normalised; NULL when absent */
  char           *password;     /* NULL when absent */
  SvProtocolCard *card;
} SvRegisterRequest;

/* One record: in a backup (@base_version), a change list or a restore
 * (@version). @data is NULL in a backup answer's applied list. */
typedef struct
{
  char   *file;
  guint   index;
  GBytes *data;
  gint64  version;
  gint64  base_version;
} SvProtocolRecord;

typedef enum
{
  SV_BACKUP_MODE_INCREMENTAL,
  SV_BACKUP_MODE_FULL,
} SvBackupMode;

typedef struct
{
  char         *batch_id;
  SvBackupMode  mode;
  char        **files;          /* full mode: the files cleared first */
  GPtrArray    *records;        /* SvProtocolRecord */
} SvBackupRequest;

typedef struct
{
  char      *file;
  guint      index;
  GBytes    *server_data;
  gint64     server_version;
  SvContact *server_contact;    /* nullable: set when the record decodes */
  GBytes    *client_data;
  SvContact *client_contact;    /* nullable */
} SvProtocolConflict;

typedef struct
{
  char      *batch_id;
  GPtrArray *applied;           /* SvProtocolRecord without data, with version */
  GPtrArray *conflicts;         /* SvProtocolConflict */
  char      *token;
} SvBackupResponse;

typedef struct
{
  GPtrArray *records;           /* SvProtocolRecord with data and version */
  char      *token;
  gboolean   more;
} SvChangesResponse;

/* One SMS: the EF_SMS records of its parts, in part order. */
typedef struct
{
  gint64     id;                /* 0 in a request */
  GPtrArray *records;           /* GBytes */
  GDateTime *stored_at;         /* nullable */
} SvProtocolMessage;

typedef struct
{
  char      *batch_id;
  GPtrArray *messages;          /* SvProtocolMessage */
} SvMessagesRequest;

typedef struct
{
  guint stored;
  guint duplicates;
  guint dropped;
  guint count;
} SvMessagesResponse;

typedef enum
{
  SV_RESTORE_KIND_FULL,
  SV_RESTORE_KIND_INCREMENTAL,
} SvRestoreKind;

typedef struct
{
  SvRestoreKind  kind;
  char          *since;         /* incremental only */
  gboolean       sms;
  guint          group_size;
} SvRestoreRequest;

typedef struct
{
  char  *id;
  guint  groups;
  guint  records;
  guint  messages;
} SvRestoreCreated;

typedef struct
{
  guint       group;
  GPtrArray  *records;          /* SvProtocolRecord */
  GPtrArray  *messages;         /* SvProtocolMessage */
  char      **clear;            /* nullable */
} SvRestoreGroup;

#define SV_PROTOCOL_DEFAULT_GROUP_SIZE 50

SvProtocolCard      *sv_protocol_card_from_json     (JsonNode                 *node,
                                                     GError                  **error);
JsonNode            *sv_protocol_card_to_json       (const SvProtocolCard     *card);
SvCardImage         *sv_protocol_card_new_image     (const SvProtocolCard     *card);
void                 sv_protocol_card_free          (SvProtocolCard           *card);

SvRegisterRequest   *sv_register_request_from_json  (JsonNode                 *node,
                                                     GError                  **error);
JsonNode            *sv_register_request_to_json    (const SvRegisterRequest  *request);
void                 sv_register_request_free       (SvRegisterRequest        *request);

SvProtocolRecord    *sv_protocol_record_new         (const char               *file,
                                                     guint                     index,
                                                     GBytes                   *data,
                                                     gint64                    version);
SvProtocolRecord    *sv_protocol_record_from_json   (JsonNode                 *node,
                                                     gboolean                  with_base,
                                                     GError                  **error);
JsonNode            *sv_protocol_record_to_json     (const SvProtocolRecord   *record,
                                                     gboolean                  with_base);
void                 sv_protocol_record_free        (SvProtocolRecord         *record);

SvBackupRequest     *sv_backup_request_from_json    (JsonNode                 *node,
                                                     GError                  **error);
JsonNode            *sv_backup_request_to_json      (const SvBackupRequest    *request);
void                 sv_backup_request_free         (SvBackupRequest          *request);

void                 sv_protocol_conflict_free      (SvProtocolConflict       *conflict);
SvBackupResponse    *sv_backup_response_from_json   (JsonNode                 *node,
                                                     GError                  **error);
JsonNode            *sv_backup_response_to_json     (const SvBackupResponse   *response);
void                 sv_backup_response_free        (SvBackupResponse         *response);

SvChangesResponse   *sv_changes_response_from_json  (JsonNode                 *node,
                                                     GError                  **error);
JsonNode            *sv_changes_response_to_json    (const SvChangesResponse  *response);
void                 sv_changes_response_free       (SvChangesResponse        *response);

SvProtocolMessage   *sv_protocol_message_from_json  (JsonNode                 *node,
                                                     GError                  **error);
JsonNode            *sv_protocol_message_to_json    (const SvProtocolMessage  *message);
void                 sv_protocol_message_free       (SvProtocolMessage        *message);

SvMessagesRequest   *sv_messages_request_from_json  (JsonNode                 *node,
                                                     GError                  **error);
JsonNode            *sv_messages_request_to_json    (const SvMessagesRequest  *request);
void                 sv_messages_request_free       (SvMessagesRequest        *request);
gboolean             sv_messages_response_from_json (JsonNode                 *node,
                                                     SvMessagesResponse       *response,
                                                     GError                  **error);
JsonNode            *sv_messages_response_to_json   (const SvMessagesResponse *response);

SvRestoreRequest    *sv_restore_request_from_json   (JsonNode                 *node,
                                                     GError                  **error);
JsonNode            *sv_restore_request_to_json     (const SvRestoreRequest   *request);
void                 sv_restore_request_free        (SvRestoreRequest         *request);
SvRestoreCreated    *sv_restore_created_from_json   (JsonNode                 *node,
                                                     GError                  **error);
JsonNode            *sv_restore_created_to_json     (const SvRestoreCreated   *created);
void                 sv_restore_created_free        (SvRestoreCreated         *created);
SvRestoreGroup      *sv_restore_group_from_json     (JsonNode                 *node,
                                                     GError                  **error);
JsonNode            *sv_restore_group_to_json       (const SvRestoreGroup     *group);
void                 sv_restore_group_free          (SvRestoreGroup           *group);

SvContact           *sv_protocol_contact_from_json  (JsonNode                 *node,
                                                     guint                     set,
                                                     guint                     index,
                                                     GError                  **error);
JsonNode            *sv_protocol_contact_to_json    (const SvContact          *contact);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SvProtocolCard, sv_protocol_card_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SvRegisterRequest, sv_register_request_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SvProtocolRecord, sv_protocol_record_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SvBackupRequest, sv_backup_request_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SvProtocolConflict, sv_protocol_conflict_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SvBackupResponse, sv_backup_response_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SvChangesResponse, sv_changes_response_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SvProtocolMessage, sv_protocol_message_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SvMessagesRequest, sv_messages_request_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SvRestoreRequest, sv_restore_request_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SvRestoreCreated, sv_restore_created_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SvRestoreGroup, sv_restore_group_free)

G_END_DECLS
