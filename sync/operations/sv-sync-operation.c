/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What the backup, restore, register and deregister operations share:
 * reaching the server with the right session, decoding a record for a
 * conflict report, and the test hook that stops the process at a named
 * point of a sync.
 */
#define G_LOG_DOMAIN "sv-operations"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <stdio.h>
#include <unistd.h>

#include "sv-operations-private.h"
#include "sv-phonebook.h"
#include "sv-sync-operation.h"

/**
 * sv_sync_operation_connect:
 * @server: the server's URL
 * @phone: the account
 *
 * Makes a client and opens the session @credentials ask for: an owner
 * session with the account's password, or a staff session turned into a
 * delegated one by the customer's consent (restore code or password).
 *
 * Returns: (transfer full): a client with a session
 */
SvSyncClient *
sv_sync_operation_connect (const char               *server,
                           const char               *phone,
                           const SvSyncCredentials  *credentials,
                           GCancellable             *cancellable,
                           GError                  **error)
{
  g_autoptr(SvSyncClient) client = NULL;

  if (credentials->client != NULL)
    return g_object_ref (credentials->client);
  if (server == NULL || phone == NULL)
    {
      g_set_error_literal (error, SV_SYNC_ERROR, SV_SYNC_ERROR_INVALID,
                           _("The server address and the phone number are needed"));
      return NULL;
    }
  client = sv_operation_client_new (server, credentials, error);
  if (client == NULL)
    return NULL;

  if (credentials->staff_name != NULL)
    {
      if (credentials->staff_password == NULL ||
          (credentials->consent_code == NULL && credentials->password == NULL))
        {
          g_set_error_literal (error, SV_SYNC_ERROR, SV_SYNC_ERROR_NO_PASSWORD,
                               _("Staff need their own password and the customer’s restore "
                                 "code or password"));
          return NULL;
        }
      if (!sv_sync_client_staff_login (client, credentials->staff_name,
                                       credentials->staff_password, cancellable, error) ||
          !sv_sync_client_staff_consent (client, phone, credentials->consent_code ? NULL
                                                                                   : credentials->password,
                                         credentials->consent_code, cancellable, error))
        return NULL;
      return g_steal_pointer (&client);
    }

  if (credentials->password == NULL)
    {
      g_set_error (error, SV_SYNC_ERROR, SV_SYNC_ERROR_NO_PASSWORD,
                   _("No password for the account %s: give a password file"), phone);
      return NULL;
    }
  if (!sv_sync_client_login (client, phone, credentials->password, cancellable, error))
    return NULL;
  return g_steal_pointer (&client);
}

/**
 * sv_sync_operation_crash_point:
 * @name: "before-upload", "after-upload", "after-restore-fetch",
 *   "after-restore-apply"
 *
 * For the crash tests only: when the environment variable
 * SV_TEST_CRASH_AT names this point, the process ends here at once, as a
 * crash or a power cut would end it (no cleanup, no flush beyond what
 * SQLite already committed).
 */
void
sv_sync_operation_crash_point (const char *name)
{
  const char *at = g_getenv ("SV_TEST_CRASH_AT");

  if (at != NULL && g_str_equal (at, name))
    _exit (70);
}

static guint
set_of_key (const char *key,
            gboolean   *is_adn)
{
  guint set = 0;

  *is_adn = FALSE;
  if (g_str_equal (key, "adn"))
    {
      *is_adn = TRUE;
      return 0;
    }
  if (g_str_has_prefix (key, "pb") && g_str_has_suffix (key, "/adn") &&
      sscanf (key, "pb%u/adn", &set) == 1)
    *is_adn = TRUE;
  return set;
}

/**
 * sv_sync_decode_record_contact:
 * @image: the card image the record belongs to (for its layout, EF_EXT1,
 *   the USIM set's other files)
 * @bytes: the version of the record to decode
 *
 * Decodes one EF_ADN record as the contact it would make in @image.
 *
 * Returns: (transfer full) (nullable): the contact, %NULL for a record
 *   that is not an EF_ADN record, is empty or does not decode
 */
SvContact *
sv_sync_decode_record_contact (SvCardImage *image,
                               const char  *key,
                               guint        index,
                               GBytes      *bytes)
{
  g_autoptr(SvCardImage) copy = NULL;
  g_autoptr(GPtrArray) contacts = NULL;
  gboolean is_adn;
  guint set = set_of_key (key, &is_adn);

  if (!is_adn || bytes == NULL)
    return NULL;
  copy = sv_card_image_copy (image);
  if (!sv_card_image_set_record (copy, key, index, bytes, NULL))
    return NULL;
  contacts = sv_phonebook_decode (copy, NULL);
  for (guint i = 0; contacts != NULL && i < contacts->len; i++)
    {
      SvContact *c = g_ptr_array_index (contacts, i);

      if (sv_contact_get_set (c) == set && sv_contact_get_index (c) == index)
        return sv_contact_ref (c);
    }
  return NULL;
}

GError *
sv_sync_operation_not_registered (const char *iccid)
{
  return g_error_new (SV_SYNC_ERROR, SV_SYNC_ERROR_NOT_REGISTERED,
                      _("The card %s is not registered with a backup server; run “register” first"),
                      iccid);
}
