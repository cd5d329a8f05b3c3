/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The account password in the desktop keyring (libsecret, the Secret
 * Service over D-Bus), keyed by server and phone number. The mirror never
 * holds a password; without a keyring the caller asks again (the CLI
 * reads --password-file or the terminal).
 */
#define G_LOG_DOMAIN "sv-sync"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <libsecret/secret.h>

#include "sv-sync-secret.h"

static const SecretSchema *
account_schema (void)
{
  static const SecretSchema schema = {
    "io.github.simvault.SimVault.Account", SECRET_SCHEMA_NONE,
    {
      { "server", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { "phone", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    },
    0, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  };

  return &schema;
}

/**
 * sv_sync_secret_is_available:
 *
 * Returns: whether a session bus is there to ask for a keyring; without
 *   one (a shop's kiosk session, a test) the keyring is not tried at all
 */
gboolean
sv_sync_secret_is_available (void)
{
  if (g_getenv ("SV_NO_KEYRING") != NULL)
    return FALSE;
  return g_getenv ("DBUS_SESSION_BUS_ADDRESS") != NULL;
}

/**
 * sv_sync_secret_store:
 *
 * Keeps @password for the account @phone on @server in the keyring.
 */
gboolean
sv_sync_secret_store (const char    *server,
                      const char    *phone,
                      const char    *password,
                      GCancellable  *cancellable,
                      GError       **error)
{
  g_autofree char *label = g_strdup_printf (_("SimVault backup account %s on %s"), phone, server);

  if (!sv_sync_secret_is_available ())
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                           _("No keyring is available in this session"));
      return FALSE;
    }
  return secret_password_store_sync (account_schema (), SECRET_COLLECTION_DEFAULT, label,
                                     password, cancellable, error,
                                     "server", server, "phone", phone, NULL);
}

/**
 * sv_sync_secret_lookup:
 *
 * Returns: (transfer full) (nullable): the password, or %NULL when the
 *   keyring has none (or there is no keyring; not an error)
 */
char *
sv_sync_secret_lookup (const char    *server,
                       const char    *phone,
                       GCancellable  *cancellable,
                       GError       **error)
{
  g_autoptr(GError) local_error = NULL;
  char *secret, *copy;

  if (!sv_sync_secret_is_available ())
    return NULL;
  secret = secret_password_lookup_nonpageable_sync (account_schema (), cancellable, &local_error,
                                                    "server", server, "phone", phone, NULL);
  if (secret == NULL)
    {
      /* No Secret Service on the bus: the same as an empty keyring. */
      if (local_error != NULL)
        g_debug ("keyring lookup failed: %s", local_error->message);
      return NULL;
    }
  copy = g_strdup (secret);
  secret_password_free (secret);
  return copy;
}

gboolean
sv_sync_secret_clear (const char    *server,
                      const char    *phone,
                      GCancellable  *cancellable,
                      GError       **error)
{
  g_autoptr(GError) local_error = NULL;

  if (!sv_sync_secret_is_available ())
    return TRUE;
  secret_password_clear_sync (account_schema (), cancellable, &local_error,
                              "server", server, "phone", phone, NULL);
  if (local_error != NULL)
    g_debug ("keyring clear failed: %s", local_error->message);
  return TRUE;
}
