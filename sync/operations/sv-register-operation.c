/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Register a card of the mirror with a backup server (flow 1) and
 * deregister it (flow 12). The mirror records the registration only after
 * the server answered; a failure leaves it as it was.
 */
#define G_LOG_DOMAIN "sv-operations"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "sv-operations-private.h"
#include "sv-register-operation.h"

static void
register_result_clear (SvRegisterResult *result)
{
  g_free (result->iccid);
  g_free (result->server);
  g_free (result->phone);
  g_free (result->result);
  g_free (result->portal);
}

G_DEFINE_BOXED_TYPE (SvRegisterResult, sv_register_result, sv_register_result_ref, sv_register_result_unref)

SvRegisterResult *
sv_register_result_ref (SvRegisterResult *result)
{
  return g_atomic_rc_box_acquire (result);
}

void
sv_register_result_unref (SvRegisterResult *result)
{
  g_atomic_rc_box_release_full (result, (GDestroyNotify) register_result_clear);
}

/* The registration's "card": identity, capacity and the layout of every
 * file of the image (the server's mirror space is laid out the same). */
static SvProtocolCard *
card_from_image (SvCardImage *image,
                 const char  *iccid,
                 gint64       counter_a)
{
  SvProtocolCard *card = g_new0 (SvProtocolCard, 1);
  g_autoptr(GPtrArray) keys = sv_card_image_list_keys (image);

  card->iccid = g_strdup (iccid);
  card->imsi = sv_card_image_dup_imsi (image);
  card->card_type = sv_card_image_get_card_type (image);
  card->counter_a = counter_a;
  card->sms_capacity = sv_card_image_get_sms_capacity (image);
  card->files = g_ptr_array_new_with_free_func ((GDestroyNotify) g_free);
  for (guint i = 0; i < keys->len; i++)
    {
      SvCardFile *file = sv_card_image_lookup (image, g_ptr_array_index (keys, i));
      SvProtocolFile *pf = g_new0 (SvProtocolFile, 1);

      /* Borrowed strings: the image outlives the request. */
      pf->key = file->key;
      pf->path = file->path;
      pf->structure = file->structure;
      pf->record_len = file->record_len;
      pf->n_records = file->n_records;
      g_ptr_array_add (card->files, pf);
    }
  return card;
}

static void
card_free_borrowed (SvProtocolCard *card)
{
  g_free (card->iccid);
  g_free (card->imsi);
  g_ptr_array_unref (card->files);
  g_free (card);
}

/**
 * sv_register_operation_with_client:
 * @client: a client; with a session (owner or delegated) when @password is
 *   %NULL
 * @phone: the account
 * @password: (nullable): the account's password, sent in the registration
 *   (a new account is made with it)
 *
 * Registers @iccid and records the answer in @mirror.
 *
 * Returns: (transfer full): the answer
 */
SvRegisterResult *
sv_register_operation_with_client (SvMirror      *mirror,
                                   SvSyncClient  *client,
                                   const char    *iccid,
                                   const char    *phone,
                                   const char    *password,
                                   GCancellable  *cancellable,
                                   GError       **error)
{
  g_autoptr(SvCardImage) image = NULL;
  g_autoptr(SvSyncState) state = NULL;
  g_autoptr(SvSyncRegistration) answer = NULL;
  g_autoptr(GError) state_error = NULL;
  SvRegisterRequest request = { 0 };
  SvRegisterResult *result;
  gboolean new_space;

  image = sv_mirror_load_image (mirror, iccid, FALSE, error);
  if (image == NULL)
    return NULL;
  state = sv_mirror_sync_get_state (mirror, iccid, &state_error);

  /* Without a password the session (owner or delegated) says who asks. */
  request.phone = password != NULL ? (char *) phone : NULL;
  request.password = (char *) password;
  request.card = card_from_image (image, iccid, state ? state->counter_a : 0);
  answer = sv_sync_client_register (client, &request, cancellable, error);
  card_free_borrowed (request.card);
  if (answer == NULL)
    return NULL;

  /* A new account or a card change gets a new, empty space on the server;
   * "updated" keeps the space and what it holds. */
  new_space = !g_str_equal (answer->result, "updated");
  if (!sv_mirror_sync_register (mirror, iccid, sv_sync_client_get_server_url (client), phone,
                                answer->counter_a, answer->counter_b, answer->token, new_space,
                                error))
    return NULL;

  result = g_atomic_rc_box_new0 (SvRegisterResult);
  result->iccid = g_strdup (iccid);
  result->server = g_strdup (sv_sync_client_get_server_url (client));
  result->phone = g_strdup (phone);
  result->result = g_strdup (answer->result);
  result->counter_a = answer->counter_a;
  result->counter_b = answer->counter_b;
  result->portal = g_strdup (answer->portal);
  return result;
}

/**
 * sv_register_operation_run:
 * @credentials: server, phone and password (owner), or the staff form
 *
 * Blocking. Registers the card @iccid of the mirror (read before).
 *
 * Returns: (transfer full): the answer
 */
SvRegisterResult *
sv_register_operation_run (const char               *db_path,
                           const char               *iccid,
                           const SvSyncCredentials  *credentials,
                           GCancellable             *cancellable,
                           GError                  **error)
{
  g_autoptr(SvMirror) mirror = NULL;
  g_autoptr(SvSyncClient) client = NULL;
  g_autoptr(SvSyncState) state = NULL;
  const char *server = credentials->server;
  const char *phone = credentials->phone;

  if ((mirror = sv_mirror_open (db_path, error)) == NULL)
    return NULL;
  if (!sv_mirror_has_card (mirror, iccid))
    {
      g_set_error (error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_NOT_FOUND,
                   _("The card %s is not in the mirror; read it first"), iccid);
      return NULL;
    }
  state = sv_mirror_sync_get_state (mirror, iccid, NULL);
  if (server == NULL && state != NULL)
    server = state->server;
  if (phone == NULL && state != NULL)
    phone = state->phone;
  if (server == NULL || phone == NULL)
    {
      g_set_error_literal (error, SV_SYNC_ERROR, SV_SYNC_ERROR_INVALID,
                           _("The server address and the phone number are needed"));
      return NULL;
    }

  if (credentials->staff_name != NULL)
    {
      /* A delegated session registers a replacement card for the customer. */
      client = sv_sync_operation_connect (server, phone, credentials, cancellable, error);
      if (client == NULL)
        return NULL;
      return sv_register_operation_with_client (mirror, client, iccid, phone, NULL,
                                                cancellable, error);
    }

  if (credentials->password == NULL)
    {
      g_set_error (error, SV_SYNC_ERROR, SV_SYNC_ERROR_NO_PASSWORD,
                   _("No password for the account %s: give a password file"), phone);
      return NULL;
    }
  client = sv_operation_client_new (server, credentials, error);
  if (client == NULL)
    return NULL;
  return sv_register_operation_with_client (mirror, client, iccid, phone, credentials->password,
                                            cancellable, error);
}

typedef struct
{
  char              *db_path;
  char              *iccid;
  SvSyncCredentials  credentials;
  char              *strings[SV_OPERATION_N_CREDENTIAL_STRINGS];
} RegisterJob;

static void
register_job_free (RegisterJob *job)
{
  g_free (job->db_path);
  g_free (job->iccid);
  sv_operation_strings_wipe (job->strings, G_N_ELEMENTS (job->strings));
  g_clear_object (&job->credentials.client);
  g_free (job);
}

static void
register_thread (GTask        *task,
                 gpointer      source_object,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  RegisterJob *job = task_data;
  GError *error = NULL;
  SvRegisterResult *result = sv_register_operation_run (job->db_path, job->iccid, &job->credentials,
                                                        cancellable, &error);

  sv_operation_task_return (task, result, (GDestroyNotify) sv_register_result_unref, error);
}

void
sv_register_operation_run_async (const char               *db_path,
                                 const char               *iccid,
                                 const SvSyncCredentials  *credentials,
                                 GCancellable             *cancellable,
                                 GAsyncReadyCallback       callback,
                                 gpointer                  user_data)
{
  RegisterJob *job = g_new0 (RegisterJob, 1);

  job->db_path = g_strdup (db_path);
  job->iccid = g_strdup (iccid);
  sv_operation_credentials_copy (&job->credentials, job->strings, credentials);
  sv_operation_run_in_thread (sv_register_operation_run_async, job, (GDestroyNotify) register_job_free,
                              register_thread, cancellable, callback, user_data);
}

SvRegisterResult *
sv_register_operation_run_finish (GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * sv_deregister_operation_run:
 *
 * Blocking. Flow 12: the server deletes the card's backup; then the
 * mirror forgets the registration (the card's records stay). A server that
 * says the card is not there (already deregistered) counts as done.
 */
gboolean
sv_deregister_operation_run (const char               *db_path,
                             const char               *iccid,
                             const SvSyncCredentials  *credentials,
                             GCancellable             *cancellable,
                             GError                  **error)
{
  g_autoptr(SvMirror) mirror = NULL;
  g_autoptr(SvSyncState) state = NULL;
  g_autoptr(SvSyncClient) client = NULL;
  g_autoptr(GError) local_error = NULL;

  if ((mirror = sv_mirror_open (db_path, error)) == NULL)
    return FALSE;
  state = sv_mirror_sync_get_state (mirror, iccid, &local_error);
  if (state == NULL)
    {
      g_propagate_error (error, sv_sync_operation_not_registered (iccid));
      return FALSE;
    }
  client = sv_sync_operation_connect (state->server, state->phone, credentials, cancellable, error);
  if (client == NULL)
    return FALSE;
  if (!sv_sync_client_deregister (client, iccid, cancellable, &local_error) &&
      !g_error_matches (local_error, SV_SYNC_ERROR, SV_SYNC_ERROR_NOT_FOUND))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  sv_sync_client_logout (client, cancellable, NULL);
  return sv_mirror_sync_forget (mirror, iccid, error);
}
