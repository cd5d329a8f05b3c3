/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-protocol"

#include "config.h"

#include <string.h>

#include "sv-protocol-error.h"
#include "sv-protocol-types.h"
#include "sv-protocol-messages.h"
#include "sv-protocol-private.h"

/*
 * A contact as the portal edits it.
 */

/* ---- contacts (portal) -------------------------------------------------- */

/**
 * sv_protocol_contact_from_json:
 * @set: the phonebook set the contact goes to
 * @index: its record index (0: not placed yet)
 *
 * A portal contact: `name`, `number`, `additional_numbers`, `emails`,
 * `second_name`; `set` and `index` are accepted (as sent back by a server)
 * but the path decides where the contact goes. Whether it fits the card is
 * the phonebook model's question (sv_phonebook_check_contact()).
 *
 * Returns: (transfer full) (nullable): the contact
 */
SvContact *
sv_protocol_contact_from_json (JsonNode  *node,
                               guint      set,
                               guint      index,
                               GError   **error)
{
  static const SvJsonField fields[] = {
    { "set", SV_JSON_INT, FALSE },
    { "index", SV_JSON_INT, FALSE },
    { "name", SV_JSON_STRING, FALSE },
    { "number", SV_JSON_STRING, FALSE },
    { "additional_numbers", SV_JSON_ARRAY, FALSE },
    { "emails", SV_JSON_ARRAY, FALSE },
    { "second_name", SV_JSON_STRING, FALSE },
  };
  g_auto(GStrv) anr = NULL;
  g_auto(GStrv) emails = NULL;
  JsonObject *o;
  const char *strings[] = { "name", "number", "second_name" };

  if (!CHECK (node, fields, error))
    return NULL;
  o = json_node_get_object (node);
  if ((anr = sv_protocol_get_strv (o, "additional_numbers", error)) == NULL
      || (emails = sv_protocol_get_strv (o, "emails", error)) == NULL)
    return NULL;
  for (guint i = 0; i < G_N_ELEMENTS (strings); i++)
    {
      const char *value = sv_protocol_get_string (o, strings[i]);

      if (value != NULL && strlen (value) > 1024)
        {
          sv_protocol_set_error (error, SV_PROTOCOL_ERROR_DOES_NOT_FIT, strings[i], "The %s is far too long for a card",
                                 strings[i]);
          return NULL;
        }
    }
  return sv_contact_new (set, index,
                         sv_protocol_get_string (o, "name"),
                         sv_protocol_get_string (o, "number"),
                         (const char * const *) anr,
                         (const char * const *) emails,
                         sv_protocol_get_string (o, "second_name"));
}

JsonNode *
sv_protocol_contact_to_json (const SvContact *contact)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  const char * const *anr = sv_contact_get_additional_numbers (contact);
  const char * const *emails = sv_contact_get_emails (contact);

  json_builder_begin_object (b);
  _sv_protocol_add_int (b, "set", sv_contact_get_set (contact));
  _sv_protocol_add_int (b, "index", sv_contact_get_index (contact));
  _sv_protocol_add_string (b, "name", sv_contact_get_name (contact));
  _sv_protocol_add_string (b, "number", sv_contact_get_number (contact));
  json_builder_set_member_name (b, "additional_numbers");
  json_builder_begin_array (b);
  for (guint i = 0; anr[i] != NULL; i++)
    json_builder_add_string_value (b, anr[i]);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "emails");
  json_builder_begin_array (b);
  for (guint i = 0; emails[i] != NULL; i++)
    json_builder_add_string_value (b, emails[i]);
  json_builder_end_array (b);
  _sv_protocol_add_string (b, "second_name", sv_contact_get_second_name (contact));
  json_builder_end_object (b);
  return json_builder_get_root (b);
}
