/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "sv-mirror.h"

G_BEGIN_DECLS

/* One entry point per command group. Each parses its own arguments
 * (argv[0] is the command name), prints JSON on stdout and returns the
 * process exit status: 0 on success, 1 for bad input or a failed
 * operation, 2 for a usage error. */
typedef int (*SvCliCommandFunc) (int argc, char **argv);

int  sv_cli_decode   (int argc, char **argv);
int  sv_cli_readers  (int argc, char **argv);
int  sv_cli_read     (int argc, char **argv);
int  sv_cli_write    (int argc, char **argv);
int  sv_cli_cards    (int argc, char **argv);
int  sv_cli_show     (int argc, char **argv);
int  sv_cli_edit     (int argc, char **argv);
int  sv_cli_export   (int argc, char **argv);
int  sv_cli_import   (int argc, char **argv);
int  sv_cli_diff     (int argc, char **argv);
int  sv_cli_history  (int argc, char **argv);
int  sv_cli_restore  (int argc, char **argv);

/* sv-cli-sync.c: the backup server. */
int  sv_cli_register    (int argc, char **argv);
int  sv_cli_backup      (int argc, char **argv);
int  sv_cli_restore_any (int argc, char **argv);
int  sv_cli_deregister  (int argc, char **argv);
int  sv_cli_sync_status (int argc, char **argv);

/* Helpers shared by the commands. */
void sv_cli_print_json  (JsonNode   *node);
/* Prints the builder's root (the caller ended it); returns 0 */
int  sv_cli_print_builder (JsonBuilder *builder);
int  sv_cli_fail        (const char *message);
int  sv_cli_fail_error  (const GError *error);

/* Parses @argc/@argv with @entries; on a bad option prints GLib's message
 * on stderr and returns 2 (a usage error), else 0. */
int  sv_cli_parse_options (GOptionEntry   *entries,
                           const char     *params,
                           const char     *summary,
                           int            *argc,
                           char         ***argv);

/* JSON members: a string (null for %NULL), an array of strings (empty for
 * %NULL), an integer. */
void sv_cli_add_string_or_null (JsonBuilder        *builder,
                                const char         *name,
                                const char         *value);
void sv_cli_add_strv           (JsonBuilder        *builder,
                                const char         *name,
                                const char * const *values);
void sv_cli_add_int            (JsonBuilder        *builder,
                                const char         *name,
                                gint64              value);

/* --db FILE, the mirror, into the char * @var */
#define SV_CLI_DB_OPTION(var) \
  { "db", 0, 0, G_OPTION_ARG_FILENAME, &(var), N_("The mirror database (default: $SIMVAULT_DB or the user data dir)"), N_("FILE") }

/* The mirror of @db (else $SIMVAULT_DB, else the default); a named file
 * that does not exist is an error printed as JSON, unless @may_create.
 * Returns %NULL after printing the error. */
SvMirror *sv_cli_open_mirror (const char *db,
                              gboolean    may_create);

G_END_DECLS
