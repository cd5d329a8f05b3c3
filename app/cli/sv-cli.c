/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * simvault-cli: the operations of the GUI, headless, with JSON output for
 * automation. This file only dispatches; each command group lives in its
 * own sv-cli-*.c file.
 */
#define G_LOG_DOMAIN "simvault-cli"

#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>
#include <stdio.h>

#include "sv-cli.h"

typedef struct
{
  const char       *name;
  SvCliCommandFunc  func;
  const char       *summary;
} SvCliCommand;

static const SvCliCommand commands[] = {
  { "decode", sv_cli_decode, N_("Decode raw SIM data (hex) into JSON") },
  { "readers", sv_cli_readers, N_("List smart card readers and the cards in them") },
  { "read", sv_cli_read, N_("Read a card (phonebook, messages, identity)") },
  { "write", sv_cli_write, N_("Write the mirror’s pending changes to a card") },
  { "cards", sv_cli_cards, N_("List, search, label or delete the cards in the mirror") },
  { "show", sv_cli_show, N_("Show a card of the mirror (contacts, messages, limits)") },
  { "edit", sv_cli_edit, N_("Add, change or delete a contact in the mirror; undo") },
  { "export", sv_cli_export, N_("Export contacts (vCard, CSV, JSON) or messages (JSON, XML)") },
  { "import", sv_cli_import, N_("Import contacts from a vCard or CSV file") },
  { "diff", sv_cli_diff, N_("Show the pending changes of a card, record by record") },
  { "history", sv_cli_history, N_("Show what was done to a card") },
  { "restore", sv_cli_restore_any, N_("Map one card’s phonebook onto another (preview first)") },
  { "register", sv_cli_register, N_("Register a card with a backup server") },
  { "backup", sv_cli_backup, N_("Back up a card to its backup server (only what changed, or --full)") },
  { "deregister", sv_cli_deregister, N_("Delete a card’s backup from its server") },
  { "sync-status", sv_cli_sync_status, N_("Show a card’s backup state and what waits for upload") },
};

void
sv_cli_print_json (JsonNode *node)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autofree char *text = NULL;

  json_generator_set_pretty (generator, TRUE);
  json_generator_set_root (generator, node);
  text = json_generator_to_data (generator, NULL);
  g_print ("%s\n", text);
}

int
sv_cli_print_builder (JsonBuilder *builder)
{
  g_autoptr(JsonNode) root = json_builder_get_root (builder);

  sv_cli_print_json (root);
  return 0;
}

int
sv_cli_fail (const char *message)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  sv_cli_add_string_or_null (builder, "error", message);
  json_builder_end_object (builder);
  sv_cli_print_builder (builder);
  return 1;
}

int
sv_cli_fail_error (const GError *error)
{
  return sv_cli_fail (error->message);
}

int
sv_cli_parse_options (GOptionEntry   *entries,
                      const char     *params,
                      const char     *summary,
                      int            *argc,
                      char         ***argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new (params);
  g_autoptr(GError) error = NULL;

  g_option_context_set_summary (context, summary);
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, argc, argv, &error))
    {
      fprintf (stderr, "%s\n", error->message);
      return 2;
    }
  return 0;
}

void
sv_cli_add_string_or_null (JsonBuilder *builder,
                           const char  *name,
                           const char  *value)
{
  json_builder_set_member_name (builder, name);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

void
sv_cli_add_strv (JsonBuilder        *builder,
                 const char         *name,
                 const char * const *values)
{
  json_builder_set_member_name (builder, name);
  json_builder_begin_array (builder);
  for (guint i = 0; values != NULL && values[i] != NULL; i++)
    json_builder_add_string_value (builder, values[i]);
  json_builder_end_array (builder);
}

void
sv_cli_add_int (JsonBuilder *builder,
                const char  *name,
                gint64       value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_int_value (builder, value);
}

static void
print_usage (FILE *stream)
{
  fprintf (stream, "%s\n", _("Usage: simvault-cli COMMAND [OPTION…]"));
  fprintf (stream, "\n%s\n", _("Commands:"));
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (stream, "  %-10s %s\n", commands[i].name, _(commands[i].summary));
  fprintf (stream, "\n%s\n", _("Run “simvault-cli COMMAND --help” for the options of a command."));
}

int
main (int    argc,
      char **argv)
{
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  if (argc < 2)
    {
      print_usage (stderr);
      return 2;
    }

  if (g_str_equal (argv[1], "--help") || g_str_equal (argv[1], "-h") ||
      g_str_equal (argv[1], "help"))
    {
      print_usage (stdout);
      return 0;
    }

  if (g_str_equal (argv[1], "--version"))
    {
      g_print ("simvault-cli %s\n", PACKAGE_VERSION);
      return 0;
    }

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if (g_str_equal (argv[1], commands[i].name))
      return commands[i].func (argc - 1, argv + 1);

  fprintf (stderr, _("simvault-cli: unknown command “%s”\n"), argv[1]);
  print_usage (stderr);
  return 2;
}
