/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Read a card into the mirror: the whole card through the session (the
 * previous image of the same card, looked up in the mirror by the ICCID the
 * read itself finds, lets a USIM whose change counters did not move skip
 * its phonebook), then one import transaction, then the contacts and
 * messages decoded once for the caller.
 *
 * The session must be open and past the PIN (the PIN dialog is the
 * caller's: a window asks differently from a terminal). Everything else
 * runs in one worker thread, which opens its own connection to the mirror.
 */
#define G_LOG_DOMAIN "sv-operations"

#include "config.h"

#include "sv-phonebook.h"
#include "sv-sms-store.h"
#include "sv-operations-private.h"
#include "sv-read-operation.h"

struct _SvReadResult
{
  char            *iccid;
  SvCardImage     *image;
  GPtrArray       *contacts;
  GPtrArray       *messages;
  char            *decode_problem;
  GPtrArray       *conflicts;
  gboolean         stored;
  SvCardReadStats  stats;
};

static void
read_result_clear (SvReadResult *result)
{
  g_free (result->iccid);
  g_clear_object (&result->image);
  g_clear_pointer (&result->contacts, g_ptr_array_unref);
  g_clear_pointer (&result->messages, g_ptr_array_unref);
  g_free (result->decode_problem);
  g_clear_pointer (&result->conflicts, g_ptr_array_unref);
}

G_DEFINE_BOXED_TYPE (SvReadResult, sv_read_result, sv_read_result_ref, sv_read_result_unref)

SvReadResult *
sv_read_result_ref (SvReadResult *result)
{
  return g_atomic_rc_box_acquire (result);
}

void
sv_read_result_unref (SvReadResult *result)
{
  if (result == NULL)
    return;
  g_atomic_rc_box_release_full (result, (GDestroyNotify) read_result_clear);
}

/** sv_read_result_get_iccid: Returns: the ICCID read from the card */
const char *
sv_read_result_get_iccid (SvReadResult *result)
{
  return result->iccid;
}

/** sv_read_result_get_image: Returns: (transfer none): the image as read; do not change it */
SvCardImage *
sv_read_result_get_image (SvReadResult *result)
{
  return result->image;
}

/**
 * sv_read_result_get_contacts:
 *
 * Returns: (transfer none) (element-type SvContact): the contacts of the
 *   card as read (without local edits), empty when the card has no
 *   phonebook or it did not decode (see sv_read_result_get_decode_problem())
 */
GPtrArray *
sv_read_result_get_contacts (SvReadResult *result)
{
  return result->contacts;
}

/** sv_read_result_get_messages: Returns: (transfer none) (element-type SvMessage): the messages as read */
GPtrArray *
sv_read_result_get_messages (SvReadResult *result)
{
  return result->messages;
}

/**
 * sv_read_result_get_decode_problem:
 *
 * Returns: (nullable): why the phonebook or EF_SMS did not decode; the
 *   bytes are in the image and the mirror all the same
 */
const char *
sv_read_result_get_decode_problem (SvReadResult *result)
{
  return result->decode_problem;
}

/**
 * sv_read_result_get_conflicts:
 *
 * Returns: (transfer none) (element-type SvMirrorConflict): records edited
 *   in the mirror that the card changed too (the edit is kept); empty
 *   without a mirror
 */
GPtrArray *
sv_read_result_get_conflicts (SvReadResult *result)
{
  return result->conflicts;
}

/** sv_read_result_get_stored: Returns: whether the image went into the mirror */
gboolean
sv_read_result_get_stored (SvReadResult *result)
{
  return result->stored;
}

/**
 * sv_read_result_get_stats:
 *
 * Returns: the counts of the read; @apdu_count covers every APDU the
 *   session sent, PIN and connection included
 */
const SvCardReadStats *
sv_read_result_get_stats (SvReadResult *result)
{
  return &result->stats;
}

static SvCardImage *
previous_from_mirror (const char  *iccid,
                      gpointer     user_data,
                      GError     **error)
{
  SvMirror *mirror = user_data;

  if (!sv_mirror_has_card (mirror, iccid))
    return NULL;
  return sv_mirror_load_image (mirror, iccid, FALSE, error);
}

static void
decode_contents (SvReadResult *result)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) problems = g_string_new (NULL);

  if (sv_phonebook_get_n_sets (result->image) > 0)
    result->contacts = sv_phonebook_decode (result->image, &error);
  if (error != NULL)
    g_string_append_printf (problems, "phonebook: %s", error->message);
  g_clear_error (&error);

  if (sv_card_image_lookup (result->image, "sms") != NULL)
    result->messages = sv_sms_store_decode (result->image, &error);
  if (error != NULL)
    g_string_append_printf (problems, "%smessages: %s", problems->len ? "; " : "", error->message);

  if (result->contacts == NULL)
    result->contacts = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_contact_unref);
  if (result->messages == NULL)
    result->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_message_unref);
  if (problems->len > 0)
    result->decode_problem = g_string_free (g_steal_pointer (&problems), FALSE);
}

/**
 * sv_read_operation_run:
 * @session: an open session, past the PIN; used by this call only
 * @db_path: (nullable): the mirror file; %NULL for the user's
 * @progress: (nullable): "N of M records"
 *
 * Reads the card in @session and, unless %SV_READ_OPERATION_NO_MIRROR,
 * stores it in the mirror (sv_mirror_import_card(): records the card
 * changed follow it, local edits stay and come back as conflicts). The
 * ICCID is read once, as part of the image. Blocking: the CLI calls this,
 * the window sv_read_operation_run_async().
 *
 * Returns: (transfer full): the result, or %NULL with @error set
 */
SvReadResult *
sv_read_operation_run (SvCardSession         *session,
                       const char            *db_path,
                       SvReadOperationFlags   flags,
                       SvProgress            *progress,
                       GCancellable          *cancellable,
                       GError               **error)
{
  g_autoptr(SvMirror) mirror = NULL;
  g_autoptr(SvReadResult) result = NULL;
  SvCardReadFlags read_flags = SV_CARD_READ_DEFAULT;

  g_return_val_if_fail (session != NULL, NULL);

  if (!(flags & SV_READ_OPERATION_NO_MIRROR) &&
      (mirror = sv_mirror_open (db_path, error)) == NULL)
    return NULL;
  if (flags & SV_READ_OPERATION_SKIP_MESSAGES)
    read_flags |= SV_CARD_READ_SKIP_MESSAGES;

  result = g_atomic_rc_box_new0 (SvReadResult);
  result->image = sv_card_read_image_with_lookup (session,
                                                  mirror != NULL ? previous_from_mirror : NULL,
                                                  mirror, read_flags, progress, &result->stats,
                                                  cancellable, error);
  if (result->image == NULL)
    return NULL;
  /* Count the whole operation: connection and PIN included. */
  result->stats.apdu_count = sv_card_session_get_apdu_count (session);
  result->iccid = g_strdup (sv_card_image_get_iccid (result->image));

  /* Decoded once: for the caller, and for the mirror's lists when the
   * card has no local edits. */
  decode_contents (result);

  if (mirror != NULL)
    {
      if (g_cancellable_set_error_if_cancelled (cancellable, error) ||
          !sv_mirror_import_card_decoded (mirror, result->image,
                                          result->decode_problem == NULL ? result->contacts : NULL,
                                          result->decode_problem == NULL ? result->messages : NULL,
                                          &result->conflicts, error))
        return NULL;
      result->stored = TRUE;
    }
  if (result->conflicts == NULL)
    result->conflicts = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_mirror_conflict_unref);

  return g_steal_pointer (&result);
}

typedef struct
{
  SvCardSession        *session;
  char                 *db_path;
  SvReadOperationFlags  flags;
  SvProgress           *progress;
} ReadJob;

static void
read_job_free (ReadJob *job)
{
  g_free (job->db_path);
  g_clear_object (&job->progress);
  g_free (job);
}

static void
read_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  ReadJob *job = task_data;
  GError *error = NULL;
  SvReadResult *result;

  result = sv_read_operation_run (job->session, job->db_path, job->flags, job->progress,
                                  cancellable, &error);
  if (result == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, result, (GDestroyNotify) sv_read_result_unref);
}

/**
 * sv_read_operation_run_async:
 *
 * sv_read_operation_run() in a worker thread. @session belongs to the
 * worker until @callback runs: do not use it meanwhile. @progress notifies
 * on the main context it was made on.
 */
void
sv_read_operation_run_async (SvCardSession         *session,
                             const char            *db_path,
                             SvReadOperationFlags   flags,
                             SvProgress            *progress,
                             GCancellable          *cancellable,
                             GAsyncReadyCallback    callback,
                             gpointer               user_data)
{
  ReadJob *job = g_new0 (ReadJob, 1);

  job->session = session;
  job->db_path = g_strdup (db_path);
  job->flags = flags;
  job->progress = progress != NULL ? g_object_ref (progress) : NULL;
  sv_operation_run_in_thread (sv_read_operation_run_async, job, (GDestroyNotify) read_job_free,
                              read_thread, cancellable, callback, user_data);
}

/**
 * sv_read_operation_run_finish:
 *
 * Returns: (transfer full): the result, or %NULL with @error set
 */
SvReadResult *
sv_read_operation_run_finish (GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_async_result_is_tagged (result, sv_read_operation_run_async), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
