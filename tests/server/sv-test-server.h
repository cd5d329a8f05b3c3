/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

/*
 * The real simvault-server as a subprocess on 127.0.0.1, port 0, with its
 * own data directory, driven through a real SoupSession. Shared by the
 * server, security and fault suites.
 */
typedef struct
{
  GSubprocess *process;
  char        *base_url;
  char        *data_dir;
  char        *clock_file;
  char        *log_file;
  char        *storage_arg;      /* --storage=... under SV_TEST_STORAGE */
  gboolean     own_dir;
  SoupSession *session;
} SvTestServer;

typedef struct
{
  guint               status;
  GBytes             *body;
  JsonNode           *json;        /* nullable */
  SoupMessageHeaders *headers;
} SvTestReply;

SvTestServer *sv_test_server_start       (const char          *data_dir,
                                          const char * const  *extra_args);
void          sv_test_server_stop        (SvTestServer        *server);
void          sv_test_server_kill        (SvTestServer        *server);
void          sv_test_server_free        (SvTestServer        *server);
void          sv_test_server_set_clock   (SvTestServer        *server,
                                          gint64               offset_seconds);
char         *sv_test_server_binary      (void);
void          sv_test_server_add_staff   (SvTestServer        *server,
                                          const char          *name,
                                          const char          *password);
char         *sv_test_server_read_log    (SvTestServer        *server);
char         *sv_test_storage_arg        (const char          *data_dir);

SvTestReply  *sv_test_request            (SvTestServer        *server,
                                          const char          *method,
                                          const char          *path,
                                          const char          *bearer,
                                          const char          *json);
SvTestReply  *sv_test_request_full       (SvTestServer        *server,
                                          const char          *method,
                                          const char          *path,
                                          const char          *content_type,
                                          GBytes              *body,
                                          const char * const  *headers);
void          sv_test_reply_free         (SvTestReply         *reply);

const char   *sv_test_reply_string       (SvTestReply         *reply,
                                          const char          *path);
gint64        sv_test_reply_int          (SvTestReply         *reply,
                                          const char          *path);
JsonNode     *sv_test_reply_get          (SvTestReply         *reply,
                                          const char          *path);
const char   *sv_test_reply_error_code   (SvTestReply         *reply);
const char   *sv_test_reply_error_field  (SvTestReply         *reply);
void          sv_test_assert_error       (SvTestReply         *reply,
                                          guint                status,
                                          const char          *code);

/* Fixtures: a 2G SIM layout and records */
char         *sv_test_card_json          (const char          *iccid,
                                          gint64               counter_a);
char         *sv_test_register_json      (const char          *phone,
                                          const char          *password,
                                          const char          *iccid);
char         *sv_test_adn_hex            (const char          *name,
                                          const char          *digits);
char         *sv_test_sms_hex            (guint                n);
char         *sv_test_register          (SvTestServer        *server,
                                          const char          *phone,
                                          const char          *password,
                                          const char          *iccid);
char         *sv_test_login             (SvTestServer        *server,
                                          const char          *phone,
                                          const char          *password);

#define SV_TEST_ADN_RECORDS  10
#define SV_TEST_SMS_CAPACITY 5
#define SV_TEST_PASSWORD     "correct horse"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SvTestServer, sv_test_server_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SvTestReply, sv_test_reply_free)

G_END_DECLS
