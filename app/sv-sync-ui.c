/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Helpers the window's backup pieces share (account group, dialogs,
 * restore desk): error words a person can act on, the session's
 * passwords, a record decoded for display.
 */
#define G_LOG_DOMAIN "sv-sync-ui"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "sv-sms-store.h"
#include "sv-sync-error.h"
#include "sv-sync-secret.h"

#include "sv-sync-ui.h"

/**
 * sv_sync_ui_describe_error:
 * @server: (nullable): the address tried, to name it
 *
 * Returns: (transfer full): a sentence saying what went wrong and what to
 *   do, for a toast or a dialog
 */
char *
sv_sync_ui_describe_error (const GError *error,
                           const char   *server)
{
  if (g_error_matches (error, SV_SYNC_ERROR, SV_SYNC_ERROR_UNREACHABLE) ||
      g_error_matches (error, SV_SYNC_ERROR, SV_SYNC_ERROR_TIMED_OUT))
    {
      if (server != NULL)
        return g_strdup_printf (_("The backup server at %s cannot be reached. Check the address "
                                  "and the network; nothing was changed."), server);
      return g_strdup (_("The backup server cannot be reached. Check the address and the "
                         "network; nothing was changed."));
    }
  if (g_error_matches (error, SV_SYNC_ERROR, SV_SYNC_ERROR_LOGIN_FAILED) ||
      g_error_matches (error, SV_SYNC_ERROR, SV_SYNC_ERROR_UNAUTHENTICATED))
    return g_strdup (_("The phone number or the password is wrong. Nothing was changed."));
  if (g_error_matches (error, SV_SYNC_ERROR, SV_SYNC_ERROR_FORBIDDEN))
    return g_strdup (_("The server refused: this account may not do that, or the restore "
                       "code is wrong or used up."));
  if (g_error_matches (error, SV_SYNC_ERROR, SV_SYNC_ERROR_RATE_LIMITED))
    return g_strdup (_("Too many attempts. Wait a minute, then try again."));
  if (g_error_matches (error, SV_SYNC_ERROR, SV_SYNC_ERROR_NO_PASSWORD))
    return g_strdup (_("Sign in again: the password is not stored on this computer."));
  if (g_error_matches (error, SV_SYNC_ERROR, SV_SYNC_ERROR_NOT_REGISTERED))
    return g_strdup (_("This card is not connected to a backup server."));
  if (g_error_matches (error, SV_SYNC_ERROR, SV_SYNC_ERROR_BAD_RESPONSE))
    return g_strdup (_("The address does not answer as a SimVault backup server."));
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return g_strdup (_("Stopped. What the server already acknowledged stays backed up."));

  return g_strdup (error->message);
}

/* The session's passwords: "server\nphone" -> password. */
static GHashTable *passwords;

static char *
password_key (const char *server,
              const char *phone)
{
  return g_strconcat (server ? server : "", "\n", phone ? phone : "", NULL);
}

void
sv_sync_ui_password_free (char *password)
{
  if (password != NULL)
    memset (password, 0, strlen (password));
  g_free (password);
}

static GHashTable *
get_passwords (void)
{
  if (passwords == NULL)
    passwords = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                       (GDestroyNotify) sv_sync_ui_password_free);
  return passwords;
}

static void
store_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  char **fields = task_data;

  sv_sync_secret_store (fields[0], fields[1], fields[2], cancellable, NULL);
  g_task_return_boolean (task, TRUE);
}

static void
strv_free_secret (char **fields)
{
  if (fields[2] != NULL)
    memset (fields[2], 0, strlen (fields[2]));
  g_strfreev (fields);
}

/**
 * sv_sync_ui_password_remember:
 *
 * Keeps @password for this session and, when the session has a keyring,
 * in the keyring (in a worker: libsecret may wait on D-Bus).
 */
void
sv_sync_ui_password_remember (const char *server,
                              const char *phone,
                              const char *password)
{
  g_hash_table_replace (get_passwords (), password_key (server, phone), g_strdup (password));
  if (sv_sync_secret_is_available ())
    {
      g_autoptr(GTask) task = g_task_new (NULL, NULL, NULL, NULL);
      char **fields = g_new0 (char *, 4);

      fields[0] = g_strdup (server);
      fields[1] = g_strdup (phone);
      fields[2] = g_strdup (password);
      g_task_set_task_data (task, fields, (GDestroyNotify) strv_free_secret);
      g_task_run_in_thread (task, store_thread);
    }
}

static void
lookup_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  char **fields = task_data;
  char *password = sv_sync_secret_lookup (fields[0], fields[1], cancellable, NULL);

  g_task_return_pointer (task, password, (GDestroyNotify) sv_sync_ui_password_free);
}

void
sv_sync_ui_password_lookup_async (const char          *server,
                                  const char          *phone,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  g_autofree char *key = password_key (server, phone);
  const char *known = g_hash_table_lookup (get_passwords (), key);

  if (known != NULL || !sv_sync_secret_is_available ())
    {
      g_task_return_pointer (task, g_strdup (known), (GDestroyNotify) sv_sync_ui_password_free);
      return;
    }
  {
    char **fields = g_new0 (char *, 3);

    fields[0] = g_strdup (server);
    fields[1] = g_strdup (phone);
    g_task_set_task_data (task, fields, (GDestroyNotify) g_strfreev);
    g_task_run_in_thread (task, lookup_thread);
  }
}

/* Returns: (transfer full) (nullable): the password, %NULL when neither
 * this session nor the keyring has one */
char *
sv_sync_ui_password_lookup_finish (GAsyncResult *result)
{
  return g_task_propagate_pointer (G_TASK (result), NULL);
}

static void
clear_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  char **fields = task_data;

  sv_sync_secret_clear (fields[0], fields[1], cancellable, NULL);
  g_task_return_boolean (task, TRUE);
}

/* Signs out: the password leaves memory and the keyring. */
void
sv_sync_ui_password_forget (const char *server,
                            const char *phone)
{
  g_autofree char *key = password_key (server, phone);

  g_hash_table_remove (get_passwords (), key);
  if (sv_sync_secret_is_available ())
    {
      g_autoptr(GTask) task = g_task_new (NULL, NULL, NULL, NULL);
      char **fields = g_new0 (char *, 3);

      fields[0] = g_strdup (server);
      fields[1] = g_strdup (phone);
      g_task_set_task_data (task, fields, (GDestroyNotify) g_strfreev);
      g_task_run_in_thread (task, clear_thread);
    }
}

static void
append_field (GString    *text,
              const char *value)
{
  if (value == NULL || *value == '\0')
    return;
  if (text->len > 0)
    g_string_append_c (text, '\n');
  g_string_append (text, value);
}

/**
 * sv_sync_ui_describe_record:
 * @image: the card the record belongs to
 * @bytes: (nullable): one version of the record
 *
 * Returns: (transfer full): the record decoded for a person: a contact's
 *   name, numbers and e-mails, a message's number and text, or "Empty"
 */
char *
sv_sync_ui_describe_record (SvCardImage *image,
                            const char  *key,
                            guint        index,
                            GBytes      *bytes)
{
  g_autoptr(SvContact) contact = NULL;
  GString *text = g_string_new (NULL);

  if (bytes == NULL || g_bytes_get_size (bytes) == 0)
    {
      g_string_free (text, TRUE);
      return g_strdup (_("Empty"));
    }
  if (image != NULL && (contact = sv_sync_decode_record_contact (image, key, index, bytes)) != NULL)
    {
      const char * const *numbers = sv_contact_get_additional_numbers (contact);
      const char * const *emails = sv_contact_get_emails (contact);

      append_field (text, sv_contact_get_name (contact));
      append_field (text, sv_contact_get_number (contact));
      for (guint i = 0; numbers != NULL && numbers[i] != NULL; i++)
        append_field (text, numbers[i]);
      for (guint i = 0; emails != NULL && emails[i] != NULL; i++)
        append_field (text, emails[i]);
      if (text->len == 0)
        g_string_append (text, _("Empty"));
      return g_string_free (text, FALSE);
    }
  if (g_strcmp0 (key, "sms") == 0 && image != NULL)
    {
      g_autoptr(SvCardImage) copy = sv_card_image_copy (image);
      g_autoptr(GPtrArray) messages = NULL;

      if (sv_sms_record_is_free (bytes))
        {
          g_string_free (text, TRUE);
          return g_strdup (_("Empty"));
        }
      if (sv_card_image_set_record (copy, key, index, bytes, NULL) &&
          (messages = sv_sms_store_decode (copy, NULL)) != NULL)
        for (guint i = 0; i < messages->len; i++)
          {
            SvMessage *m = g_ptr_array_index (messages, i);
            const guint *records = sv_message_get_record_indices (m);

            for (guint r = 0; r < sv_message_get_n_parts (m); r++)
              if (records[r] == index)
                {
                  append_field (text, sv_message_get_number (m));
                  append_field (text, sv_message_get_text (m));
                  return g_string_free (text, FALSE);
                }
          }
    }
  {
    /* Not a contact nor a message: the bytes, so nothing is hidden. */
    gsize len = 0;
    const guint8 *data = g_bytes_get_data (bytes, &len);

    for (gsize i = 0; i < len && i < 48; i++)
      g_string_append_printf (text, "%02X", data[i]);
    if (len > 48)
      g_string_append (text, "…");
  }
  return g_string_free (text, FALSE);
}

/* "Today 14:05" style is GLib's job; this is the locale's date and time. */
char *
sv_sync_ui_format_time (gint64 unix_seconds)
{
  g_autoptr(GDateTime) utc = NULL;
  g_autoptr(GDateTime) local = NULL;

  if (unix_seconds <= 0)
    return g_strdup (_("Never"));
  utc = g_date_time_new_from_unix_utc (unix_seconds);
  local = g_date_time_to_local (utc);
  return g_date_time_format (local, "%x %X");
}

/* A toast in the nearest toast overlay above @widget, or the active
 * window's. */
void
sv_sync_ui_toast (GtkWidget  *widget,
                  const char *text)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (widget, ADW_TYPE_TOAST_OVERLAY);

  if (overlay != NULL)
    adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), adw_toast_new (text));
}
