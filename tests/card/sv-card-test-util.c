/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What the card tests (test-card-pcsc.c, test-card-pull-every.c) share:
 * a profile's secrets, a session opened with PIN1 verified, the edits a
 * write test makes, and the check that the card holds what was written.
 */
#include "config.h"

#include <json-glib/json-glib.h>

#include "sv-card-reader.h"
#include "sv-card-writer.h"
#include "sv-phonebook.h"
#include "sv-pin.h"

#include "sv-card-test-util.h"

/* The value of the secret @name ("pin1", ...) of the profile at
 * @profile_path, and in @enabled whether the card asks for it. */
char *
sv_card_test_profile_secret (const char *profile_path,
                             const char *name,
                             gboolean   *enabled)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *secrets, *secret;

  json_parser_load_from_file (parser, profile_path, NULL);
  secrets = json_object_get_object_member (json_node_get_object (json_parser_get_root (parser)),
                                           "secrets");
  secret = secrets ? json_object_get_object_member (secrets, name) : NULL;
  if (secret == NULL)
    return NULL;
  *enabled = json_object_get_boolean_member_with_default (secret, "enabled", TRUE);
  return g_strdup (json_object_get_string_member (secret, "value"));
}

/* A session on @fixture's reader with PIN1 verified when the card asks
 * for it (with the PIN of the profile at @profile_path). */
SvCardSession *
sv_card_test_open_with_pin (SvReader      *reader,
                            SvVsimFixture *fixture,
                            const char    *profile_path,
                            GError       **error)
{
  g_autoptr(SvCardSession) session = NULL;
  g_autofree char *pin = NULL;
  gboolean enabled = FALSE;
  SvPinStatus status;

  session = sv_card_session_open (reader, sv_vsim_fixture_reader_name (fixture), error);
  if (session == NULL)
    return NULL;
  pin = sv_card_test_profile_secret (profile_path, "pin1", &enabled);
  if (!sv_pin_get_status (session, SV_PIN_1, &status, error))
    return NULL;
  if (!status.verified)
    {
      g_assert_true (enabled);
      g_assert_cmpuint (status.pin_retries, >, 1);
      if (!sv_pin_verify (session, SV_PIN_1, pin, SV_PIN_FLAGS_NONE, error))
        return NULL;
    }
  return g_steal_pointer (&session);
}

/* Adds a contact at the first free index of the first set, and deletes the
 * first contact: a change, an addition, a deletion. */
SvCardImage *
sv_card_test_make_edits (SvCardImage *base)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) contacts = sv_phonebook_decode (base, &error);
  SvCardImage *target = sv_card_image_copy (base);
  guint set = sv_card_image_lookup (base, "pbr") ? 1 : 0;
  guint index = sv_phonebook_find_free_index (base, set);
  g_autoptr(SvContact) contact = NULL;

  /* The first set with room. */
  while (index == 0 && set > 0 && set < sv_phonebook_get_n_sets (base))
    index = sv_phonebook_find_free_index (base, ++set);

  g_assert_no_error (error);
  g_assert_cmpuint (index, >, 0);
  /* A number long enough for EF_EXT1, and on a USIM an e-mail (type 1 or
   * type 2 through EF_IAP, as the set says). */
  if (set > 0)
    {
      const char *emails[] = { "written@example.org", NULL };

      contact = sv_contact_new (set, index, "Written By Test", "+861380013800012345678901",
                                NULL, emails, NULL);
    }
  else
    contact = sv_contact_new (set, index, "Written By Test", "+861380013800012345678901",
                              NULL, NULL, NULL);
  g_assert_true (sv_phonebook_store_contact (target, contact, &error));
  g_assert_no_error (error);
  if (contacts->len > 0)
    {
      SvContact *first = g_ptr_array_index (contacts, 0);

      g_assert_true (sv_phonebook_delete_contact (target, sv_contact_get_set (first),
                                                  sv_contact_get_index (first), &error));
      g_assert_no_error (error);
    }
  return target;
}

/* The card holds @expected plus what the write added (bookkeeping, the
 * other views of shared files): nothing else differs. */
void
sv_card_test_assert_card_equals (SvReader      *reader,
                                 SvVsimFixture *fixture,
                                 const char    *profile_path,
                                 SvCardImage   *expected,
                                 GPtrArray     *written)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvCardSession) session = sv_card_test_open_with_pin (reader, fixture, profile_path, &error);
  g_autoptr(SvCardImage) now = NULL;
  g_autoptr(SvCardImage) expected_full = NULL;
  g_autoptr(GPtrArray) diff = NULL;

  g_assert_no_error (error);
  now = sv_card_read_image (session, NULL, SV_CARD_READ_SKIP_MESSAGES, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  expected_full = sv_card_image_copy (expected);
  sv_card_image_sync_aliases (expected_full, written);
  diff = sv_card_image_diff (expected_full, now);
  for (guint i = 0; i < diff->len; i++)
    {
      SvRecordChange *c = g_ptr_array_index (diff, i);

      g_test_message ("after write: %s#%u differs", c->key, c->index);
    }
  g_assert_cmpuint (diff->len, ==, 0);
}
