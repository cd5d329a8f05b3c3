/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A read checked against the source of a virtual card profile: the
 * "expected" member that tests/data/cards/make-cards.py writes beside the
 * files, holding the contacts and messages it encoded (its encoders are
 * independent of smartcard/codec). Used by the real-stack read test
 * (tests/card) and the operations test over the vsim engine (tests/sync).
 */
#pragma once

#include <json-glib/json-glib.h>

#include "sv-contact.h"
#include "sv-message.h"

static inline const char *
sv_profile_member_string (JsonObject *o,
                       const char *member)
{
  JsonNode *node = json_object_get_member (o, member);

  return node != NULL && !JSON_NODE_HOLDS_NULL (node) ? json_node_get_string (node) : NULL;
}

static inline void
sv_profile_assert_strv (const char         *what,
                     const char * const *got,
                     JsonArray          *expected)
{
  guint n = got != NULL ? g_strv_length ((char **) got) : 0;

  if (n != json_array_get_length (expected))
    g_error ("%s: %u values, the profile has %u", what, n, json_array_get_length (expected));
  for (guint i = 0; i < n; i++)
    if (g_strcmp0 (got[i], json_array_get_string_element (expected, i)) != 0)
      g_error ("%s: “%s”, the profile has “%s”", what, got[i], json_array_get_string_element (expected, i));
}

/* Every contact of the card, field by field, against the profile's source. */
static inline void
sv_profile_compare_contacts (const char *name,
                  GPtrArray  *contacts,
                  JsonArray  *expected)
{
  g_autoptr(GHashTable) by_place = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < contacts->len; i++)
    {
      SvContact *c = g_ptr_array_index (contacts, i);

      g_hash_table_insert (by_place, g_strdup_printf ("%u/%u", sv_contact_get_set (c), sv_contact_get_index (c)), c);
    }

  if (contacts->len != json_array_get_length (expected))
    g_error ("%s: %u contacts read, the profile has %u", name, contacts->len, json_array_get_length (expected));
  for (guint i = 0; i < json_array_get_length (expected); i++)
    {
      JsonObject *e = json_array_get_object_element (expected, i);
      g_autofree char *place = g_strdup_printf ("%u/%u", (guint) json_object_get_int_member (e, "set"),
                                                (guint) json_object_get_int_member (e, "index"));
      g_autofree char *where = g_strdup_printf ("%s: contact %s", name, place);
      SvContact *c = g_hash_table_lookup (by_place, place);
      g_autofree char *numbers = NULL;
      g_autofree char *emails = NULL;

      if (c == NULL)
        g_error ("%s is missing", where);
      if (g_strcmp0 (sv_contact_get_name (c), json_object_get_string_member (e, "name")) != 0)
        g_error ("%s: name “%s”, the profile has “%s”", where, sv_contact_get_name (c),
                 json_object_get_string_member (e, "name"));
      if (g_strcmp0 (sv_contact_get_number (c), json_object_get_string_member (e, "number")) != 0)
        g_error ("%s: number “%s”, the profile has “%s”", where, sv_contact_get_number (c),
                 json_object_get_string_member (e, "number"));
      /* No second name: the contact says "" and the profile null. */
      if (g_strcmp0 (sv_contact_get_second_name (c) ? sv_contact_get_second_name (c) : "",
                     sv_profile_member_string (e, "second_name") ? sv_profile_member_string (e, "second_name") : "") != 0)
        g_error ("%s: second name “%s”, the profile has “%s”", where, sv_contact_get_second_name (c),
                 sv_profile_member_string (e, "second_name"));
      numbers = g_strconcat (where, ": additional numbers", NULL);
      sv_profile_assert_strv (numbers, sv_contact_get_additional_numbers (c),
                           json_object_get_array_member (e, "additional_numbers"));
      emails = g_strconcat (where, ": e-mails", NULL);
      sv_profile_assert_strv (emails, sv_contact_get_emails (c), json_object_get_array_member (e, "emails"));
    }
}

/* Every message: status, type, number, time with its offset, the whole
 * text (concatenated parts joined) and its records in part order. */
static inline void
sv_profile_compare_messages (const char *name,
                  GPtrArray  *messages,
                  JsonArray  *expected)
{
  if (messages->len != json_array_get_length (expected))
    g_error ("%s: %u messages read, the profile has %u", name, messages->len, json_array_get_length (expected));
  for (guint i = 0; i < messages->len; i++)
    {
      SvMessage *m = g_ptr_array_index (messages, i);
      JsonObject *e = json_array_get_object_element (expected, i);
      JsonArray *records = json_object_get_array_member (e, "records");
      const guint *indices = sv_message_get_record_indices (m);
      GDateTime *ts = sv_message_get_timestamp (m);
      g_autofree char *ts_text = ts != NULL ? g_date_time_format (ts, "%Y-%m-%dT%H:%M:%S%:z") : NULL;
      g_autofree char *where = g_strdup_printf ("%s: message %u", name, (guint) json_object_get_int_member (e, "index"));

      if (sv_message_get_index (m) != (guint) json_object_get_int_member (e, "index"))
        g_error ("%s: read as message %u", where, sv_message_get_index (m));
      if (g_strcmp0 (sv_message_status_to_string (sv_message_get_status (m)), json_object_get_string_member (e, "status")) != 0)
        g_error ("%s: status %s", where, sv_message_status_to_string (sv_message_get_status (m)));
      if (g_strcmp0 (sv_message_type_to_string (sv_message_get_message_type (m)), json_object_get_string_member (e, "type")) != 0)
        g_error ("%s: type %s", where, sv_message_type_to_string (sv_message_get_message_type (m)));
      if (g_strcmp0 (sv_message_get_number (m), json_object_get_string_member (e, "number")) != 0)
        g_error ("%s: number “%s”, the profile has “%s”", where, sv_message_get_number (m),
                 json_object_get_string_member (e, "number"));
      if (g_strcmp0 (ts_text, sv_profile_member_string (e, "timestamp")) != 0)
        g_error ("%s: time %s, the profile has %s", where, ts_text, sv_profile_member_string (e, "timestamp"));
      if (g_strcmp0 (sv_message_get_text (m), json_object_get_string_member (e, "text")) != 0)
        g_error ("%s: text “%s”, the profile has “%s”", where, sv_message_get_text (m),
                 json_object_get_string_member (e, "text"));
      if (sv_message_get_n_parts (m) != json_array_get_length (records))
        g_error ("%s: %u parts, the profile has %u", where, sv_message_get_n_parts (m), json_array_get_length (records));
      for (guint p = 0; p < json_array_get_length (records); p++)
        if (indices == NULL || indices[p] != (guint) json_array_get_int_element (records, p))
          g_error ("%s: part %u is not in record %u", where, p + 1, (guint) json_array_get_int_element (records, p));
    }
}

