/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * simvault-cli commands over the local mirror: cards, show, edit, export,
 * import, diff, history, restore. JSON on stdout; the mirror is --db FILE,
 * else $SIMVAULT_DB, else $XDG_DATA_HOME/simvault/mirror.db.
 */
#define G_LOG_DOMAIN "simvault-cli"

#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>

#include "sv-csv.h"
#include "sv-hex.h"
#include "sv-mirror.h"
#include "sv-mirror-import.h"
#include "sv-mirror-messages.h"
#include "sv-phonebook.h"
#include "sv-operations.h"
#include "sv-restore-map.h"
#include "sv-sms-export.h"
#include "sv-vcard.h"

#include "sv-cli.h"
#include "sv-mirror-messages.h"

static char *opt_db = NULL;

#define DB_OPTION SV_CLI_DB_OPTION (opt_db)

/* The mirror of --db (or $SIMVAULT_DB, or the default). A file named by
 * --db or $SIMVAULT_DB that does not exist is an error, unless @may_create
 * (read and import fill a new mirror): anything else would quietly create
 * an empty mirror and report "no such card" for a typo in the path. */
SvMirror *
sv_cli_open_mirror (const char *db,
                    gboolean    may_create)
{
  g_autoptr(GError) error = NULL;
  const char *named = db != NULL ? db : g_getenv ("SIMVAULT_DB");
  SvMirror *mirror;

  if (!may_create && named != NULL && *named != '\0' && !g_file_test (named, G_FILE_TEST_EXISTS))
    {
      g_autofree char *message =
        g_strdup_printf (_("No mirror at %s: the file does not exist (“simvault-cli read --db %s” "
                           "creates it with the card in the reader)"), named, named);

      sv_cli_fail (message);
      return NULL;
    }
  mirror = sv_mirror_open (db, &error);

  if (mirror == NULL)
    sv_cli_fail_error (error);
  return mirror;
}

static SvMirror *
open_mirror (void)
{
  return sv_cli_open_mirror (opt_db, FALSE);
}

static void
add_card (JsonBuilder        *b,
          const SvMirrorCard *card)
{
  json_builder_begin_object (b);
  sv_cli_add_string_or_null (b, "iccid", card->iccid);
  sv_cli_add_string_or_null (b, "card_type", sv_card_type_to_string (card->card_type));
  sv_cli_add_string_or_null (b, "label", card->label);
  sv_cli_add_string_or_null (b, "note", card->note);
  sv_cli_add_string_or_null (b, "phone_number", card->phone_number);
  sv_cli_add_string_or_null (b, "imsi", card->imsi);
  json_builder_set_member_name (b, "read_at");
  json_builder_add_int_value (b, card->read_at);
  json_builder_set_member_name (b, "modseq");
  json_builder_add_int_value (b, card->modseq);
  json_builder_set_member_name (b, "contacts");
  json_builder_add_int_value (b, card->n_contacts);
  json_builder_set_member_name (b, "messages");
  json_builder_add_int_value (b, card->n_messages);
  json_builder_set_member_name (b, "pending_records");
  json_builder_add_int_value (b, card->n_pending);
  json_builder_end_object (b);
}

static void
add_contact (JsonBuilder     *b,
             const SvContact *c)
{
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "set");
  json_builder_add_int_value (b, sv_contact_get_set (c));
  json_builder_set_member_name (b, "index");
  json_builder_add_int_value (b, sv_contact_get_index (c));
  sv_cli_add_string_or_null (b, "name", sv_contact_get_name (c));
  sv_cli_add_string_or_null (b, "number", sv_contact_get_number (c));
  sv_cli_add_strv (b, "additional_numbers", sv_contact_get_additional_numbers (c));
  sv_cli_add_strv (b, "emails", sv_contact_get_emails (c));
  sv_cli_add_string_or_null (b, "second_name", sv_contact_get_second_name (c));
  json_builder_end_object (b);
}

static int
fail_with_problems (const GError *error,
                    GPtrArray    *problems)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  sv_cli_add_string_or_null (b, "error", error->message);
  json_builder_set_member_name (b, "problems");
  json_builder_begin_array (b);
  for (guint i = 0; problems != NULL && i < problems->len; i++)
    {
      const SvFitProblem *p = g_ptr_array_index (problems, i);

      json_builder_begin_object (b);
      sv_cli_add_string_or_null (b, "field", p->field);
      sv_cli_add_string_or_null (b, "message", p->message);
      json_builder_set_member_name (b, "excess");
      json_builder_add_int_value (b, p->excess);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  sv_cli_print_builder (b);
  return 1;
}

/* ------------------------------------------------------------------ */

int
sv_cli_cards (int    argc,
              char **argv)
{
  g_autofree char *search = NULL;
  g_autofree char *label = NULL;
  g_autofree char *note = NULL;
  g_autofree char *confirm = NULL;
  GOptionEntry entries[] = {
    DB_OPTION,
    { "search", 's', 0, G_OPTION_ARG_STRING, &search, N_("Only cards matching an ICCID, phone number, name, label or note"), N_("TEXT") },
    { "label", 0, 0, G_OPTION_ARG_STRING, &label, N_("With “label ICCID”: the label"), N_("TEXT") },
    { "note", 0, 0, G_OPTION_ARG_STRING, &note, N_("With “label ICCID”: the note"), N_("TEXT") },
    { "confirm", 0, 0, G_OPTION_ARG_STRING, &confirm, N_("With “delete ICCID”: the ICCID again"), N_("ICCID") },
    { NULL }
  };
  g_autoptr(SvMirror) mirror = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) cards = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  int rc;

  if ((rc = sv_cli_parse_options (entries, "[label ICCID | delete ICCID]",
                                  _("List the cards in the mirror, label or delete one"), &argc, &argv)))
    return rc;
  {
    const char *verb = argc >= 2 ? argv[1] : "";
    const char *useless = NULL;

    if ((label != NULL || note != NULL) && !g_str_equal (verb, "label"))
      useless = label != NULL ? "--label" : "--note";
    else if (confirm != NULL && !g_str_equal (verb, "delete"))
      useless = "--confirm";
    else if (search != NULL && argc != 1)
      useless = "--search";
    if (useless != NULL)
      {
        fprintf (stderr, _("simvault-cli cards: %s does nothing here\n"), useless);
        return 2;
      }
  }
  if ((mirror = open_mirror ()) == NULL)
    return 1;

  if (argc >= 3 && g_str_equal (argv[1], "label"))
    {
      if (!sv_mirror_set_label (mirror, argv[2], label, note, &error))
        return sv_cli_fail_error (error);
    }
  else if (argc >= 3 && g_str_equal (argv[1], "delete"))
    {
      if (confirm == NULL)
        return sv_cli_fail ("Deleting a card needs --confirm ICCID (the same ICCID again)");
      if (!sv_mirror_delete_card (mirror, argv[2], confirm, &error))
        return sv_cli_fail_error (error);
      json_builder_begin_object (b);
      sv_cli_add_string_or_null (b, "deleted", argv[2]);
      json_builder_end_object (b);
      return sv_cli_print_builder (b);
    }
  else if (argc != 1)
    {
      fprintf (stderr, "Usage: simvault-cli cards [--search TEXT] [label ICCID --label L] [delete ICCID --confirm ICCID]\n");
      return 2;
    }

  cards = search ? sv_mirror_search_cards (mirror, search, &error) : sv_mirror_list_cards (mirror, &error);
  if (cards == NULL)
    return sv_cli_fail_error (error);
  json_builder_begin_array (b);
  for (guint i = 0; i < cards->len; i++)
    add_card (b, g_ptr_array_index (cards, i));
  json_builder_end_array (b);
  return sv_cli_print_builder (b);
}

int
sv_cli_show (int    argc,
             char **argv)
{
  GOptionEntry entries[] = {
    DB_OPTION,
    { NULL }
  };
  g_autoptr(SvMirror) mirror = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(SvMirrorCard) card = NULL;
  g_autoptr(GPtrArray) contacts = NULL;
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(SvCardImage) working = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  SvPhonebookLimits limits;
  int rc;

  if ((rc = sv_cli_parse_options (entries, "ICCID", _("Show a card of the mirror: contacts, messages, limits"), &argc, &argv)))
    return rc;
  if (argc != 2)
    {
      fprintf (stderr, "Usage: simvault-cli show ICCID\n");
      return 2;
    }
  if ((mirror = open_mirror ()) == NULL)
    return 1;

  if ((card = sv_mirror_get_card (mirror, argv[1], &error)) == NULL ||
      (contacts = sv_mirror_list_contacts (mirror, argv[1], &error)) == NULL ||
      (messages = sv_mirror_list_messages (mirror, argv[1], &error)) == NULL ||
      (working = sv_mirror_load_image (mirror, argv[1], TRUE, &error)) == NULL)
    return sv_cli_fail_error (error);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "card");
  add_card (b, card);
  json_builder_set_member_name (b, "limits");
  json_builder_begin_array (b);
  for (guint s = 0; s <= 8; s++)
    if (sv_phonebook_get_limits (working, s, &limits, NULL))
      {
        json_builder_begin_object (b);
        json_builder_set_member_name (b, "set");
        json_builder_add_int_value (b, limits.set);
        json_builder_set_member_name (b, "records");
        json_builder_add_int_value (b, limits.n_records);
        json_builder_set_member_name (b, "alpha_bytes");
        json_builder_add_int_value (b, limits.alpha_len);
        json_builder_set_member_name (b, "ext1_records");
        json_builder_add_int_value (b, limits.n_ext1_records);
        json_builder_set_member_name (b, "ext1_free");
        json_builder_add_int_value (b, limits.n_ext1_free);
        json_builder_set_member_name (b, "additional_numbers");
        json_builder_add_int_value (b, limits.n_anr);
        json_builder_set_member_name (b, "emails");
        json_builder_add_int_value (b, limits.n_email);
        json_builder_end_object (b);
      }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "contacts");
  json_builder_begin_array (b);
  for (guint i = 0; i < contacts->len; i++)
    add_contact (b, g_ptr_array_index (contacts, i));
  json_builder_end_array (b);
  json_builder_set_member_name (b, "messages");
  json_builder_add_value (b, sv_sms_export_json_node (messages, working));
  json_builder_end_object (b);
  return sv_cli_print_builder (b);
}

/* Which phonebook set an edit of @action at record @index (0 for "add")
 * touches. @wanted is --set (-1 when not given). A set the card does not
 * have is "no such set"; without --set, the only set of the card, else
 * for "add" the first set with a free record, else the one set that has a
 * contact at @index: when several have one, the user must choose. */
static gboolean
choose_set (SvCardImage  *working,
            GPtrArray    *contacts,
            int           wanted,
            const char   *action,
            guint         index,
            guint        *set_out,
            GError      **error)
{
  gboolean usim = sv_card_image_lookup (working, "pbr") != NULL;
  guint n_sets = sv_phonebook_get_n_sets (working);
  guint first = usim ? 1 : 0, last = usim ? n_sets : 0;
  g_autoptr(GString) used = g_string_new (NULL);
  guint n_used = 0, found = 0;

  if (n_sets == 0)
    {
      g_set_error_literal (error, SV_PHONEBOOK_ERROR, SV_PHONEBOOK_ERROR_NO_PHONEBOOK,
                           _("This card has no phonebook"));
      return FALSE;
    }
  if (wanted >= 0)
    {
      if ((guint) wanted < first || (guint) wanted > last)
        {
          if (usim)
            g_set_error (error, SV_PHONEBOOK_ERROR, SV_PHONEBOOK_ERROR_NO_SUCH_SET,
                         _("No such phonebook set %d: this card has sets %u to %u"), wanted, first, last);
          else
            g_set_error (error, SV_PHONEBOOK_ERROR, SV_PHONEBOOK_ERROR_NO_SUCH_SET,
                         _("No such phonebook set %d: this card has set 0 only (its 2G phonebook)"), wanted);
          return FALSE;
        }
      *set_out = (guint) wanted;
      return TRUE;
    }
  if (first == last)
    {
      *set_out = first;
      return TRUE;
    }
  if (g_str_equal (action, "add"))
    {
      for (guint s = first; s <= last; s++)
        if (sv_phonebook_find_free_index (working, s) != 0)
          {
            *set_out = s;
            return TRUE;
          }
      g_set_error (error, SV_PHONEBOOK_ERROR, SV_PHONEBOOK_ERROR_DOES_NOT_FIT,
                   _("Every phonebook set of this card (%u to %u) is full"), first, last);
      return FALSE;
    }
  for (guint i = 0; i < contacts->len; i++)
    {
      const SvContact *c = g_ptr_array_index (contacts, i);

      if (sv_contact_get_index (c) != index)
        continue;
      if (n_used++ > 0)
        g_string_append (used, ", ");
      g_string_append_printf (used, "%u", sv_contact_get_set (c));
      found = sv_contact_get_set (c);
    }
  if (n_used == 1)
    {
      *set_out = found;
      return TRUE;
    }
  if (n_used == 0 && g_str_equal (action, "delete"))
    g_set_error (error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_NOT_FOUND,
                 _("No contact at record %u in any phonebook set (%u to %u)"), index, first, last);
  else if (n_used == 0)
    g_set_error (error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_INVALID,
                 _("Record %u is free in every phonebook set: choose one with --set %u to %u"),
                 index, first, last);
  else
    g_set_error (error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_INVALID,
                 _("Record %u is used in phonebook sets %s: choose one with --set"), index, used->str);
  return FALSE;
}

int
sv_cli_edit (int    argc,
             char **argv)
{
  g_autofree char *name = NULL;
  g_autofree char *number = NULL;
  g_autofree char *second = NULL;
  g_auto(GStrv) emails = NULL;
  g_auto(GStrv) anrs = NULL;
  g_autofree char *text = NULL;
  g_autofree char *status_name = NULL;
  int set = -1;
  GOptionEntry entries[] = {
    DB_OPTION,
    { "name", 0, 0, G_OPTION_ARG_STRING, &name, N_("Name"), N_("TEXT") },
    { "text", 0, 0, G_OPTION_ARG_STRING, &text, N_("Text of a message (add-message)"), N_("TEXT") },
    { "status", 0, 0, G_OPTION_ARG_STRING, &status_name,
      N_("Status of a message: read, unread, sent or unsent (add-message; default unsent)"), N_("STATUS") },
    { "number", 0, 0, G_OPTION_ARG_STRING, &number, N_("Phone number"), N_("NUMBER") },
    { "anr", 0, 0, G_OPTION_ARG_STRING_ARRAY, &anrs, N_("Additional number (repeatable, USIM)"), N_("NUMBER") },
    { "email", 0, 0, G_OPTION_ARG_STRING_ARRAY, &emails, N_("E-mail (repeatable, USIM)"), N_("ADDRESS") },
    { "second-name", 0, 0, G_OPTION_ARG_STRING, &second, N_("Second name (USIM)"), N_("TEXT") },
    { "set", 0, 0, G_OPTION_ARG_INT, &set, N_("Phonebook set (0 = 2G EF_ADN; USIM sets from 1)"), N_("N") },
    { NULL }
  };
  g_autoptr(SvMirror) mirror = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) problems = NULL;
  g_autoptr(SvContact) contact = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  const char *iccid, *action;
  guint index = 0;
  int rc;

  if ((rc = sv_cli_parse_options (entries, "ICCID add|set INDEX|delete INDEX|add-message|delete-message INDEX|undo|discard",
                                  _("Edit a card’s contacts in the mirror (written by “simvault-cli write”)"),
                                  &argc, &argv)))
    return rc;
  if (argc < 3)
    {
      fprintf (stderr, "Usage: simvault-cli edit ICCID add|set INDEX|delete INDEX|add-message|delete-message INDEX|undo|discard [--name N] [--number X] [--text T] …\n");
      return 2;
    }
  iccid = argv[1];
  action = argv[2];
  /* An option the action does not read would do nothing: refuse it. */
  {
    const struct { const char *option; gboolean given; const char *actions; } applies[] = {
      { "--name", name != NULL, "add set" },
      { "--number", number != NULL, "add set add-message" },
      { "--anr", anrs != NULL, "add set" },
      { "--email", emails != NULL, "add set" },
      { "--second-name", second != NULL, "add set" },
      { "--text", text != NULL, "add-message" },
      { "--status", status_name != NULL, "add-message" },
      { "--set", set >= 0, "add set delete" },
    };

    for (guint k = 0; k < G_N_ELEMENTS (applies); k++)
      {
        g_auto(GStrv) actions = g_strsplit (applies[k].actions, " ", -1);

        if (applies[k].given && !g_strv_contains ((const char * const *) actions, action))
          {
            fprintf (stderr, _("simvault-cli edit: %s does nothing for “%s” (it applies to %s)\n"),
                     applies[k].option, action, applies[k].actions);
            return 2;
          }
      }
  }
  if ((mirror = open_mirror ()) == NULL)
    return 1;

  if ((g_str_equal (action, "set") || g_str_equal (action, "delete") ||
       g_str_equal (action, "delete-message")) &&
      (argc < 4 || (index = (guint) g_ascii_strtoull (argv[3], NULL, 10)) == 0))
    {
      fprintf (stderr, "simvault-cli edit: “%s” needs a record index (1, 2, …)\n", action);
      return 2;
    }

  json_builder_begin_object (b);
  if (g_str_equal (action, "add") || g_str_equal (action, "set") || g_str_equal (action, "delete"))
    {
      g_autoptr(SvCardImage) working = sv_mirror_load_image (mirror, iccid, TRUE, &error);
      g_autoptr(GPtrArray) existing = NULL;
      g_autofree char *done = NULL;
      const SvContact *old = NULL;
      guint s;

      if (working == NULL ||
          (existing = sv_mirror_list_contacts (mirror, iccid, &error)) == NULL ||
          !choose_set (working, existing, set, action, index, &s, &error))
        return sv_cli_fail_error (error);

      if (g_str_equal (action, "delete"))
        {
          if (!sv_mirror_delete_contact (mirror, iccid, s, index, &error))
            return sv_cli_fail_error (error);
          json_builder_set_member_name (b, "deleted");
          json_builder_add_int_value (b, index);
          json_builder_set_member_name (b, "set");
          json_builder_add_int_value (b, s);
          done = g_strdup_printf (_("Deleted record %u of phonebook set %u"), index, s);
          sv_cli_add_string_or_null (b, "message", done);
          json_builder_end_object (b);
          return sv_cli_print_builder (b);
        }

      if (g_str_equal (action, "add"))
        {
          index = sv_phonebook_find_free_index (working, s);
          if (index == 0)
            {
              g_autofree char *message = g_strdup_printf (_("Phonebook set %u of this card is full"), s);

              return sv_cli_fail (message);
            }
        }
      else
        for (guint i = 0; i < existing->len; i++)
          {
            const SvContact *c = g_ptr_array_index (existing, i);
            if (sv_contact_get_set (c) == s && sv_contact_get_index (c) == index)
              old = c;
          }
      /* "set" changes the fields given and keeps the others; an unchanged
       * number keeps its TON/NPI (sv_phonebook_store_contact()). */
      contact = sv_contact_new (s, index,
                                name ? name : old ? sv_contact_get_name (old) : "",
                                number ? number : old ? sv_contact_get_number (old) : "",
                                anrs ? (const char * const *) anrs : old ? sv_contact_get_additional_numbers (old) : NULL,
                                emails ? (const char * const *) emails : old ? sv_contact_get_emails (old) : NULL,
                                second ? second : old ? sv_contact_get_second_name (old) : NULL);
      if (!sv_mirror_store_contact (mirror, iccid, contact, &problems, &error))
        {
          if (problems != NULL)
            return fail_with_problems (error, problems);
          return sv_cli_fail_error (error);
        }
      json_builder_set_member_name (b, "stored");
      add_contact (b, contact);
      json_builder_set_member_name (b, "set");
      json_builder_add_int_value (b, s);
      done = g_strdup_printf (g_str_equal (action, "add") ? _("Added record %u to phonebook set %u")
                                                          : _("Changed record %u of phonebook set %u"),
                              index, s);
      sv_cli_add_string_or_null (b, "message", done);
    }
  else if (g_str_equal (action, "add-message"))
    {
      static const struct { const char *name; SvMessageStatus status; } statuses[] = {
        { "read", SV_MESSAGE_STATUS_READ }, { "unread", SV_MESSAGE_STATUS_UNREAD },
        { "sent", SV_MESSAGE_STATUS_SENT }, { "unsent", SV_MESSAGE_STATUS_UNSENT },
      };
      SvMessageStatus status = SV_MESSAGE_STATUS_FREE;
      g_autoptr(GArray) records = NULL;

      for (guint i = 0; i < G_N_ELEMENTS (statuses); i++)
        if (g_str_equal (status_name ? status_name : "unsent", statuses[i].name))
          status = statuses[i].status;
      if (status == SV_MESSAGE_STATUS_FREE || number == NULL || text == NULL)
        {
          fprintf (stderr, "simvault-cli edit: add-message needs --number, --text and a --status of read, unread, sent or unsent\n");
          return 2;
        }
      if (!sv_mirror_add_message (mirror, iccid, status, number, text, NULL, &records, &error))
        return sv_cli_fail_error (error);
      json_builder_set_member_name (b, "records");
      json_builder_begin_array (b);
      for (guint i = 0; i < records->len; i++)
        json_builder_add_int_value (b, g_array_index (records, guint, i));
      json_builder_end_array (b);
    }
  else if (g_str_equal (action, "delete-message"))
    {
      if (!sv_mirror_delete_message (mirror, iccid, index, &error))
        return sv_cli_fail_error (error);
      json_builder_set_member_name (b, "deleted_message");
      json_builder_add_int_value (b, index);
    }
  else if (g_str_equal (action, "undo"))
    {
      g_autofree char *detail = NULL;

      if (!sv_mirror_undo (mirror, iccid, &detail, &error))
        return sv_cli_fail_error (error);
      sv_cli_add_string_or_null (b, "undone", detail);
    }
  else if (g_str_equal (action, "discard"))
    {
      if (!sv_mirror_discard_pending (mirror, iccid, &error))
        return sv_cli_fail_error (error);
      sv_cli_add_string_or_null (b, "discarded", "all pending changes");
    }
  else
    {
      fprintf (stderr, "simvault-cli edit: unknown action “%s”\n", action);
      return 2;
    }
  json_builder_end_object (b);
  return sv_cli_print_builder (b);
}

static gboolean
write_output (const char  *path,
              const char  *text,
              GError     **error)
{
  if (path == NULL || g_str_equal (path, "-"))
    {
      fputs (text, stdout);
      return TRUE;
    }
  return g_file_set_contents (path, text, -1, error);
}

int
sv_cli_export (int    argc,
               char **argv)
{
  g_autofree char *format = NULL;
  g_autofree char *output = NULL;
  GOptionEntry entries[] = {
    DB_OPTION,
    { "format", 'f', 0, G_OPTION_ARG_STRING, &format, N_("vcard (3.0), vcard4, csv, json, sms-json, sms-xml"), N_("FORMAT") },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, N_("Write to FILE instead of stdout"), N_("FILE") },
    { NULL }
  };
  g_autoptr(SvMirror) mirror = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) contacts = NULL;
  g_autofree char *text = NULL;
  const char *iccid;
  int rc;

  if ((rc = sv_cli_parse_options (entries, "ICCID", _("Export a card’s contacts or messages"), &argc, &argv)))
    return rc;
  if (argc != 2)
    {
      fprintf (stderr, "Usage: simvault-cli export ICCID --format vcard|vcard4|csv|json|sms-json|sms-xml [-o FILE]\n");
      return 2;
    }
  iccid = argv[1];
  if (format == NULL)
    format = g_strdup ("vcard");
  if ((mirror = open_mirror ()) == NULL)
    return 1;

  if (g_str_has_prefix (format, "sms"))
    {
      g_autoptr(GPtrArray) messages = sv_mirror_list_messages (mirror, iccid, &error);
      g_autoptr(SvCardImage) working = NULL;

      if (messages == NULL || (working = sv_mirror_load_image (mirror, iccid, TRUE, &error)) == NULL)
        return sv_cli_fail_error (error);
      if (g_str_equal (format, "sms-xml"))
        text = sv_sms_export_xml (messages, working);
      else if (g_str_equal (format, "sms-json"))
        text = sv_sms_export_json (messages, working);
    }
  else
    {
      contacts = sv_mirror_list_contacts (mirror, iccid, &error);
      if (contacts == NULL)
        return sv_cli_fail_error (error);
      if (g_str_equal (format, "vcard") || g_str_equal (format, "vcard3"))
        text = sv_vcard_export (contacts, SV_VCARD_VERSION_3_0, iccid);
      else if (g_str_equal (format, "vcard4"))
        text = sv_vcard_export (contacts, SV_VCARD_VERSION_4_0, iccid);
      else if (g_str_equal (format, "csv"))
        text = sv_csv_export (contacts);
      else if (g_str_equal (format, "json"))
        {
          g_autoptr(JsonBuilder) b = json_builder_new ();
          g_autoptr(JsonNode) root = NULL;
          g_autoptr(JsonGenerator) gen = json_generator_new ();

          json_builder_begin_array (b);
          for (guint i = 0; i < contacts->len; i++)
            add_contact (b, g_ptr_array_index (contacts, i));
          json_builder_end_array (b);
          root = json_builder_get_root (b);
          json_generator_set_pretty (gen, TRUE);
          json_generator_set_root (gen, root);
          text = json_generator_to_data (gen, NULL);
        }
    }
  if (text == NULL)
    {
      fprintf (stderr, "simvault-cli export: unknown format “%s”\n", format);
      return 2;
    }
  if (!write_output (output, text, &error))
    return sv_cli_fail_error (error);
  if (output != NULL && !g_str_equal (output, "-"))
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();

      json_builder_begin_object (b);
      sv_cli_add_string_or_null (b, "written", output);
      sv_cli_add_string_or_null (b, "format", format);
      json_builder_end_object (b);
      return sv_cli_print_builder (b);
    }
  return 0;
}

int
sv_cli_import (int    argc,
               char **argv)
{
  g_autofree char *format = NULL;
  gboolean partial = FALSE;
  gboolean dry_run = FALSE;
  GOptionEntry entries[] = {
    DB_OPTION,
    { "format", 'f', 0, G_OPTION_ARG_STRING, &format, N_("vcard or csv (default: from the content)"), N_("FORMAT") },
    { "partial", 0, 0, G_OPTION_ARG_NONE, &partial, N_("Import what is valid and fits; list the rest"), NULL },
    { "dry-run", 'n', 0, G_OPTION_ARG_NONE, &dry_run, N_("Parse and report only"), NULL },
    { NULL }
  };
  g_autoptr(SvMirror) mirror = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) contacts = NULL;
  g_autoptr(GPtrArray) warnings = NULL;
  g_autoptr(GPtrArray) import_warnings = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree char *text = NULL;
  SvContactFormat fmt = SV_CONTACT_FORMAT_AUTO;
  SvImportFlags flags;
  gsize len;
  guint n_stored = 0;
  int rc;

  if ((rc = sv_cli_parse_options (entries, "ICCID FILE", _("Import contacts from a vCard or CSV file into a card’s mirror"), &argc, &argv)))
    return rc;
  if (argc != 3)
    {
      fprintf (stderr, "Usage: simvault-cli import ICCID FILE [--format vcard|csv] [--partial] [--dry-run]\n");
      return 2;
    }
  if (format != NULL)
    {
      if (g_str_has_prefix (format, "vcard"))
        fmt = SV_CONTACT_FORMAT_VCARD;
      else if (g_str_equal (format, "csv"))
        fmt = SV_CONTACT_FORMAT_CSV;
      else
        {
          fprintf (stderr, "simvault-cli import: unknown format “%s”\n", format);
          return 2;
        }
    }
  if (!g_file_get_contents (argv[2], &text, &len, &error))
    return sv_cli_fail_error (error);
  flags = partial ? SV_IMPORT_PARTIAL : SV_IMPORT_NONE;
  contacts = sv_contacts_parse_file (text, len, fmt, flags, &warnings, &error);
  if (contacts == NULL)
    {
      g_autofree char *msg = NULL;

      if (!partial)
        msg = g_strdup_printf (_("%s: %s\nRun again with --partial to skip the rows that are not valid."),
                               argv[2], error->message);
      else
        msg = g_strdup_printf ("%s: %s", argv[2], error->message);
      return sv_cli_fail (msg);
    }
  if ((mirror = sv_cli_open_mirror (opt_db, TRUE)) == NULL)
    return 1;
  if (!dry_run && !sv_mirror_import_contacts (mirror, argv[1], contacts, flags, &import_warnings, &n_stored, &error))
    {
      if (!partial && g_error_matches (error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_DOES_NOT_FIT))
        {
          g_autofree char *msg = g_strdup_printf (_("%s\nRun again with --partial to import the contacts "
                                                    "that fit and skip these."), error->message);

          return sv_cli_fail (msg);
        }
      return sv_cli_fail_error (error);
    }

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "parsed");
  json_builder_add_int_value (b, contacts->len);
  json_builder_set_member_name (b, "imported");
  json_builder_add_int_value (b, n_stored);
  json_builder_set_member_name (b, "warnings");
  json_builder_begin_array (b);
  for (guint i = 0; warnings && i < warnings->len; i++)
    json_builder_add_string_value (b, g_ptr_array_index (warnings, i));
  for (guint i = 0; import_warnings && i < import_warnings->len; i++)
    json_builder_add_string_value (b, g_ptr_array_index (import_warnings, i));
  json_builder_end_array (b);
  json_builder_end_object (b);
  return sv_cli_print_builder (b);
}

int
sv_cli_diff (int    argc,
             char **argv)
{
  GOptionEntry entries[] = { DB_OPTION, { NULL } };
  g_autoptr(SvMirror) mirror = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) pending = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  int rc;

  if ((rc = sv_cli_parse_options (entries, "ICCID", _("The changes “write” would put on the card, record by record"), &argc, &argv)))
    return rc;
  if (argc != 2)
    {
      fprintf (stderr, "Usage: simvault-cli diff ICCID\n");
      return 2;
    }
  if ((mirror = open_mirror ()) == NULL)
    return 1;
  if ((pending = sv_mirror_get_pending (mirror, argv[1], &error)) == NULL)
    return sv_cli_fail_error (error);

  json_builder_begin_array (b);
  for (guint i = 0; i < pending->len; i++)
    {
      SvMirrorPendingRecord *r = g_ptr_array_index (pending, i);
      g_autofree char *old_hex = sv_gbytes_to_hex (r->base_bytes);
      g_autofree char *new_hex = sv_gbytes_to_hex (r->working_bytes);

      json_builder_begin_object (b);
      sv_cli_add_string_or_null (b, "file", r->key);
      json_builder_set_member_name (b, "record");
      json_builder_add_int_value (b, r->index);
      sv_cli_add_string_or_null (b, "state", sv_record_state_to_string (r->state));
      json_builder_set_member_name (b, "version");
      json_builder_add_int_value (b, r->version);
      sv_cli_add_string_or_null (b, "card", old_hex);
      sv_cli_add_string_or_null (b, "mirror", new_hex);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  return sv_cli_print_builder (b);
}

int
sv_cli_history (int    argc,
                char **argv)
{
  GOptionEntry entries[] = { DB_OPTION, { NULL } };
  g_autoptr(SvMirror) mirror = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) history = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  int rc;

  if ((rc = sv_cli_parse_options (entries, "ICCID", _("What was done to a card, oldest first"), &argc, &argv)))
    return rc;
  if (argc != 2)
    {
      fprintf (stderr, "Usage: simvault-cli history ICCID\n");
      return 2;
    }
  if ((mirror = open_mirror ()) == NULL)
    return 1;
  if ((history = sv_mirror_get_history (mirror, argv[1], &error)) == NULL)
    return sv_cli_fail_error (error);

  json_builder_begin_array (b);
  for (guint i = 0; i < history->len; i++)
    {
      SvMirrorHistoryEntry *e = g_ptr_array_index (history, i);
      g_autoptr(GDateTime) at = g_date_time_new_from_unix_utc (e->at);
      g_autofree char *iso = sv_date_time_format_rfc3339 (at);

      json_builder_begin_object (b);
      sv_cli_add_string_or_null (b, "at", iso);
      sv_cli_add_string_or_null (b, "operation", sv_history_op_to_string (e->op));
      sv_cli_add_string_or_null (b, "who", e->who);
      sv_cli_add_string_or_null (b, "iccid", e->iccid);
      sv_cli_add_string_or_null (b, "detail", e->detail);
      json_builder_set_member_name (b, "modseq");
      json_builder_add_int_value (b, e->modseq);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  return sv_cli_print_builder (b);
}

int
sv_cli_restore (int    argc,
                char **argv)
{
  gboolean apply = FALSE;
  gboolean accept_truncation = FALSE;
  GOptionEntry entries[] = {
    DB_OPTION,
    { "apply", 0, 0, G_OPTION_ARG_NONE, &apply, N_("Store the mapping in the target’s mirror (default: preview only)"), NULL },
    { "accept-truncation", 0, 0, G_OPTION_ARG_NONE, &accept_truncation, N_("Confirm the shortened entries of the preview"), NULL },
    { NULL }
  };
  g_autoptr(SvMirror) mirror = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) entries_out = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  guint counts[4] = { 0, 0, 0, 0 };
  gboolean ok = TRUE;
  int rc;

  if ((rc = sv_cli_parse_options (entries, "SOURCE-ICCID TARGET-ICCID",
                                  _("Map one card’s phonebook onto another card: preview, then --apply"), &argc, &argv)))
    return rc;
  if (argc != 3)
    {
      fprintf (stderr, "Usage: simvault-cli restore SOURCE-ICCID TARGET-ICCID [--apply [--accept-truncation]]\n");
      return 2;
    }
  if (accept_truncation && !apply)
    {
      fprintf (stderr, _("simvault-cli restore: --accept-truncation does nothing without --apply\n"));
      return 2;
    }
  /* Opened for its checks only (a --db that does not exist): the restore
   * operation opens its own connection, as in the window. */
  if ((mirror = open_mirror ()) == NULL)
    return 1;
  g_clear_object (&mirror);

  if (apply)
    ok = sv_restore_operation_apply (opt_db, argv[1], argv[2], accept_truncation, &entries_out, NULL, &error);
  else
    ok = (entries_out = sv_restore_operation_preview (opt_db, argv[1], argv[2], NULL, &error)) != NULL;
  if (entries_out == NULL)
    return sv_cli_fail_error (error);

  json_builder_begin_object (b);
  sv_cli_add_string_or_null (b, "mode", apply ? (ok ? "applied" : "refused") : "preview");
  if (!ok && g_error_matches (error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_DOES_NOT_FIT))
    {
      g_autofree char *lost = sv_restore_describe_losses (entries_out);
      g_autofree char *message =
        g_strdup_printf (_("Some contacts would be shortened on the target: %s would be lost. "
                           "Run again with --accept-truncation to restore them shortened."), lost);

      sv_cli_add_string_or_null (b, "error", message);
    }
  else if (!ok)
    sv_cli_add_string_or_null (b, "error", error->message);
  json_builder_set_member_name (b, "entries");
  json_builder_begin_array (b);
  for (guint i = 0; i < entries_out->len; i++)
    {
      SvRestoreEntry *e = g_ptr_array_index (entries_out, i);

      counts[e->outcome]++;
      json_builder_begin_object (b);
      sv_cli_add_string_or_null (b, "outcome", sv_restore_outcome_to_string (e->outcome));
      sv_cli_add_string_or_null (b, "message", e->message);
      json_builder_set_member_name (b, "source");
      add_contact (b, e->source);
      json_builder_set_member_name (b, "target");
      if (e->target)
        add_contact (b, e->target);
      else
        json_builder_add_null_value (b);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "summary");
  json_builder_begin_object (b);
  for (guint k = 0; k < 4; k++)
    {
      json_builder_set_member_name (b, sv_restore_outcome_to_string (k));
      json_builder_add_int_value (b, counts[k]);
    }
  json_builder_end_object (b);
  json_builder_end_object (b);
  sv_cli_print_builder (b);
  return ok ? 0 : 1;
}
