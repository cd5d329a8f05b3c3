/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "sv-card-image.h"
#include "sv-contact.h"
#include "sv-protocol.h"
#include "sv-server.h"

G_BEGIN_DECLS

/*
 * One request as the worker thread sees it: everything copied out of the
 * SoupServerMessage on the main thread, and the answer to copy back. A
 * worker never touches libsoup objects.
 */
typedef struct
{
  SvStore        *store;
  const char     *base_url;
  const char     *method;
  char           *path;
  GStrv           params;        /* the {placeholders} of the route, in order */
  GHashTable     *query;         /* nullable */
  GBytes         *body;          /* nullable */
  char           *content_type;
  char           *bearer;        /* nullable */
  char           *cookie;        /* nullable: __Host-sv-session */
  char           *csrf;          /* nullable: X-CSRF-Token */
  char           *client_addr;
  gboolean        tls;
  SvStoreSession *session;       /* set by authentication */
  char           *session_token; /* the raw token used, for logout */
  gboolean        by_cookie;

  /* the answer */
  guint           status;
  char           *response_type;
  GBytes         *response;
  GPtrArray      *headers;       /* name, value, name, value, ... */
  gint64          retry_after;
  char           *audit_iccid;   /* for the delegated audit line */
} SvRequest;

typedef gboolean (*SvHandlerFunc) (SvRequest  *request,
                                   GError    **error);

typedef struct
{
  SvServerRouteInfo info;
  SvHandlerFunc     handler;
} SvRoute;

const SvRoute *sv_server_handlers_get_routes (guint       *n_routes);

void      sv_request_set_json          (SvRequest  *request,
                                        guint       status,
                                        JsonNode   *node);
void      sv_request_add_header        (SvRequest  *request,
                                        const char *name,
                                        const char *value);
gboolean  sv_request_error_from_store  (GError    **error);

/* sv-server-request.c: the worker thread's side of a request */
void      sv_request_free                (SvRequest      *request);
void      sv_request_set_error_response  (SvRequest      *request,
                                          const GError   *error);
gboolean  sv_request_authenticate        (SvRequest      *request,
                                          const SvRoute  *route,
                                          GError        **error);
gboolean  sv_request_check_input         (SvRequest      *request,
                                          GError        **error);
gboolean  sv_route_match                 (const char          *pattern,
                                          const char          *path,
                                          GStrv               *params);
char     *sv_request_cookie_value        (const char          *header,
                                          const char          *name);
gboolean  sv_request_decode_body         (SvRequest           *request,
                                          const char          *coding,
                                          GError             **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SvRequest, sv_request_free)

/*
 * The request handlers live in sv-server-handlers-<area>.c, one per endpoint;
 * the route table and the helpers they share (replies, JSON members, the
 * card a path names) are in sv-server-handlers.c.
 */

#define MIN_PASSWORD_LEN 8
#define MAX_PASSWORD_LEN 1024

/* sv-server-handlers.c */
JsonNode *sv_handler_parse_body (SvRequest          *request,
                                 const SvJsonField  *fields,
                                 guint               n_fields,
                                 GError            **error);

/* Parses the body against a static table of fields. */
#define PARSE(request, table, error) sv_handler_parse_body ((request), (table), G_N_ELEMENTS (table), (error))

gboolean sv_handler_check_password (const char  *password,
                                    const char  *field,
                                    GError     **error);

void sv_handler_add_string (JsonBuilder *b,
                            const char  *name,
                            const char  *value);

void sv_handler_add_int (JsonBuilder *b,
                         const char  *name,
                         gint64       value);

void sv_handler_add_bool (JsonBuilder *b,
                          const char  *name,
                          gboolean     value);

void sv_handler_add_time (JsonBuilder *b,
                          const char  *name,
                          gint64       usec);

void sv_handler_add_token (JsonBuilder *b,
                           const char  *name,
                           gint64       epoch,
                           gint64       modseq);

void sv_handler_reply (SvRequest   *request,
                       guint        status,
                       JsonBuilder *b);

void sv_handler_reply_node (SvRequest *request,
                            guint      status,
                            JsonNode  *node);

const char *sv_handler_query_get (SvRequest  *request,
                                  const char *name);

gboolean sv_handler_query_uint (SvRequest   *request,
                                const char  *name,
                                guint        default_value,
                                guint        min,
                                guint        max,
                                guint       *out,
                                GError     **error);

gint64 sv_handler_account_of (SvRequest *request);

const char *sv_handler_iccid_param (SvRequest  *request,
                                    GError    **error);

SvStoreCard *sv_handler_get_card (SvRequest   *request,
                                  const char **iccid_out,
                                  GError     **error);

SvCardImage *sv_handler_card_image_new (const SvStoreCard *card);

char *sv_handler_record_key (const char *file,
                             guint       index);

SvCardImage *sv_handler_card_image_load (SvRequest          *request,
                                         const SvStoreCard  *card,
                                         GHashTable        **versions,
                                         GError            **error);

SvContact *sv_handler_adn_view (const char *file,
                                guint       index,
                                GBytes     *data);

void sv_handler_add_store_records (JsonBuilder *b,
                                   const char  *name,
                                   GPtrArray   *records);

void sv_handler_add_store_messages (JsonBuilder *b,
                                    const char  *name,
                                    GPtrArray   *messages);

void sv_handler_add_card (JsonBuilder       *b,
                          const SvStoreCard *card);

void sv_handler_set_session_cookie (SvRequest  *request,
                                    const char *token);

void sv_handler_add_session (JsonBuilder          *b,
                             const SvStoreSession *session);

/* sv-server-handlers-accounts.c */

gboolean handle_accounts_create (SvRequest  *request,
                                 GError    **error);

gboolean handle_session_create (SvRequest  *request,
                                GError    **error);

gboolean handle_session_get (SvRequest  *request,
                             GError    **error);

gboolean handle_session_delete (SvRequest  *request,
                                GError    **error);

gboolean handle_password_change (SvRequest  *request,
                                 GError    **error);

gboolean handle_restore_code_create (SvRequest  *request,
                                     GError    **error);

gboolean handle_audit_list (SvRequest  *request,
                            GError    **error);

/* sv-server-handlers-cards.c */

gboolean handle_card_register (SvRequest  *request,
                               GError    **error);

gboolean handle_cards_list (SvRequest  *request,
                            GError    **error);

gboolean handle_card_get (SvRequest  *request,
                          GError    **error);

gboolean handle_card_deregister (SvRequest  *request,
                                 GError    **error);

gboolean handle_backup (SvRequest  *request,
                        GError    **error);

gboolean handle_changes (SvRequest  *request,
                         GError    **error);

gboolean handle_records_list (SvRequest  *request,
                              GError    **error);

gboolean handle_messages_append (SvRequest  *request,
                                 GError    **error);

gboolean handle_messages_list (SvRequest  *request,
                               GError    **error);

gboolean handle_message_delete (SvRequest  *request,
                                GError    **error);

/* sv-server-handlers-contacts.c */

gboolean handle_contacts_list (SvRequest  *request,
                               GError    **error);

gboolean handle_contact_add (SvRequest  *request,
                             GError    **error);

gboolean handle_contact_put (SvRequest  *request,
                             GError    **error);

gboolean handle_contact_delete (SvRequest  *request,
                                GError    **error);

gboolean handle_export_vcf (SvRequest  *request,
                            GError    **error);

gboolean handle_export_csv (SvRequest  *request,
                            GError    **error);

/* sv-server-handlers-restores.c */

gboolean handle_restore_create (SvRequest  *request,
                                GError    **error);

gboolean handle_restore_group (SvRequest  *request,
                               GError    **error);

gboolean handle_restore_ack (SvRequest  *request,
                             GError    **error);

/* sv-server-handlers-staff.c */

gboolean handle_staff_session (SvRequest  *request,
                               GError    **error);

gboolean handle_consent_create (SvRequest  *request,
                                GError    **error);

G_END_DECLS
