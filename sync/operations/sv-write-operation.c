/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Write a card's pending changes: prepare (the mirror's base and working
 * images, the records to update, the contacts that change: a preview that
 * touches no card), then run (the writer checks the card still holds the
 * base, writes each record, reads it back and keeps a journal; then the
 * mirror marks the records written, in one transaction).
 *
 * The conflict rule is the writer's (smartcard/sv-card-writer.c): a record
 * whose bytes on the card are neither the base nor the target stops the
 * write before anything is written. The ICCID is read once: by the run
 * when it has no plan (the CLI: "whatever card is in the reader"), else by
 * the writer, which compares it with the plan's.
 */
#define G_LOG_DOMAIN "sv-operations"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "sv-card-reader.h"
#include "sv-phonebook.h"
#include "sv-operations-private.h"
#include "sv-write-operation.h"

struct _SvWritePlan
{
  char        *iccid;
  SvCardImage *base;
  SvCardImage *target;
  GPtrArray   *changes;
  GPtrArray   *added;
  GPtrArray   *changed;
  GPtrArray   *deleted;
};

struct _SvWriteResult
{
  char             *iccid;
  SvCardWriteStats  stats;
  guint             apdu_count;
  GPtrArray        *written;
  char             *journal_left;
};

static void
write_plan_clear (SvWritePlan *plan)
{
  g_free (plan->iccid);
  g_clear_object (&plan->base);
  g_clear_object (&plan->target);
  g_clear_pointer (&plan->changes, g_ptr_array_unref);
  g_clear_pointer (&plan->added, g_ptr_array_unref);
  g_clear_pointer (&plan->changed, g_ptr_array_unref);
  g_clear_pointer (&plan->deleted, g_ptr_array_unref);
}

G_DEFINE_BOXED_TYPE (SvWritePlan, sv_write_plan, sv_write_plan_ref, sv_write_plan_unref)

SvWritePlan *
sv_write_plan_ref (SvWritePlan *plan)
{
  return g_atomic_rc_box_acquire (plan);
}

void
sv_write_plan_unref (SvWritePlan *plan)
{
  if (plan == NULL)
    return;
  g_atomic_rc_box_release_full (plan, (GDestroyNotify) write_plan_clear);
}

const char *
sv_write_plan_get_iccid (SvWritePlan *plan)
{
  return plan->iccid;
}

/** sv_write_plan_get_base: Returns: (transfer none): the card as last read */
SvCardImage *
sv_write_plan_get_base (SvWritePlan *plan)
{
  return plan->base;
}

/** sv_write_plan_get_target: Returns: (transfer none): the card with the pending edits */
SvCardImage *
sv_write_plan_get_target (SvWritePlan *plan)
{
  return plan->target;
}

/**
 * sv_write_plan_get_changes:
 *
 * Returns: (transfer none) (element-type SvRecordChange): the records the
 *   write updates, the USIM bookkeeping (EF_CC, EF_PUID, EF_UID) included;
 *   empty when the card already holds every change
 */
GPtrArray *
sv_write_plan_get_changes (SvWritePlan *plan)
{
  return plan->changes;
}

/** sv_write_plan_get_added_contacts: Returns: (transfer none) (element-type SvContact) */
GPtrArray *
sv_write_plan_get_added_contacts (SvWritePlan *plan)
{
  return plan->added;
}

/** sv_write_plan_get_changed_contacts: Returns: (transfer none) (element-type SvContact): the new versions */
GPtrArray *
sv_write_plan_get_changed_contacts (SvWritePlan *plan)
{
  return plan->changed;
}

/** sv_write_plan_get_deleted_contacts: Returns: (transfer none) (element-type SvContact): as on the card */
GPtrArray *
sv_write_plan_get_deleted_contacts (SvWritePlan *plan)
{
  return plan->deleted;
}

static void
write_result_clear (SvWriteResult *result)
{
  g_free (result->iccid);
  sv_card_write_stats_clear (&result->stats);
  g_clear_pointer (&result->written, g_ptr_array_unref);
  g_free (result->journal_left);
}

G_DEFINE_BOXED_TYPE (SvWriteResult, sv_write_result, sv_write_result_ref, sv_write_result_unref)

SvWriteResult *
sv_write_result_ref (SvWriteResult *result)
{
  return g_atomic_rc_box_acquire (result);
}

void
sv_write_result_unref (SvWriteResult *result)
{
  if (result == NULL)
    return;
  g_atomic_rc_box_release_full (result, (GDestroyNotify) write_result_clear);
}

/** sv_write_result_get_iccid: Returns: (nullable): the card written to, once known */
const char *
sv_write_result_get_iccid (SvWriteResult *result)
{
  return result->iccid;
}

/** sv_write_result_get_stats: Returns: the writer's counts and the resumed journal's records */
const SvCardWriteStats *
sv_write_result_get_stats (SvWriteResult *result)
{
  return &result->stats;
}

/** sv_write_result_get_apdu_count: Returns: every APDU the session sent, PIN included */
guint
sv_write_result_get_apdu_count (SvWriteResult *result)
{
  return result->apdu_count;
}

/**
 * sv_write_result_get_written:
 *
 * Returns: (transfer none) (element-type SvRecordChange): the records now
 *   on the card (empty after a failure)
 */
GPtrArray *
sv_write_result_get_written (SvWriteResult *result)
{
  return result->written;
}

/**
 * sv_write_result_get_journal_left:
 *
 * Returns: (nullable): the journal an interrupted write left behind (the
 *   next write resumes from it); %NULL after a complete write
 */
const char *
sv_write_result_get_journal_left (SvWriteResult *result)
{
  return result->journal_left;
}

/* The preview: contacts by place ("set/index"), before and after. */
static GHashTable *
contacts_by_place (SvCardImage *image)
{
  GHashTable *table = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                             (GDestroyNotify) sv_contact_unref);
  g_autoptr(GPtrArray) contacts = NULL;

  if (sv_phonebook_get_n_sets (image) > 0)
    contacts = sv_phonebook_decode (image, NULL);
  for (guint i = 0; contacts != NULL && i < contacts->len; i++)
    {
      SvContact *contact = g_ptr_array_index (contacts, i);

      g_hash_table_insert (table,
                           g_strdup_printf ("%u/%u", sv_contact_get_set (contact), sv_contact_get_index (contact)),
                           sv_contact_ref (contact));
    }
  return table;
}

static int
compare_contact_place (gconstpointer a,
                       gconstpointer b)
{
  SvContact *x = *(SvContact **) a;
  SvContact *y = *(SvContact **) b;

  if (sv_contact_get_set (x) != sv_contact_get_set (y))
    return sv_contact_get_set (x) < sv_contact_get_set (y) ? -1 : 1;
  if (sv_contact_get_index (x) != sv_contact_get_index (y))
    return sv_contact_get_index (x) < sv_contact_get_index (y) ? -1 : 1;
  return 0;
}

static void
plan_contacts (SvWritePlan *plan)
{
  g_autoptr(GHashTable) before = contacts_by_place (plan->base);
  g_autoptr(GHashTable) after = contacts_by_place (plan->target);
  GHashTableIter iter;
  gpointer key, value;

  plan->added = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_contact_unref);
  plan->changed = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_contact_unref);
  plan->deleted = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_contact_unref);

  g_hash_table_iter_init (&iter, after);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      SvContact *old = g_hash_table_lookup (before, key);

      if (old == NULL)
        g_ptr_array_add (plan->added, sv_contact_ref (value));
      else if (!sv_contact_equal (old, value))
        g_ptr_array_add (plan->changed, sv_contact_ref (value));
    }
  g_hash_table_iter_init (&iter, before);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (!g_hash_table_contains (after, key))
      g_ptr_array_add (plan->deleted, sv_contact_ref (value));

  g_ptr_array_sort (plan->added, compare_contact_place);
  g_ptr_array_sort (plan->changed, compare_contact_place);
  g_ptr_array_sort (plan->deleted, compare_contact_place);
}

/* A write with a card in the reader that has nothing pending, while other
 * cards of the mirror have pending changes, is a mistake the user must
 * hear about: nothing would be written, and the right card is named. */
static gboolean
check_pending_card (SvMirror    *mirror,
                    const char  *iccid,
                    const char  *reader_name,
                    GError     **error)
{
  g_autoptr(GPtrArray) cards = sv_mirror_list_cards (mirror, error);
  g_autoptr(GString) others = g_string_new (NULL);
  gboolean has_pending = FALSE;

  if (cards == NULL)
    return FALSE;
  for (guint i = 0; i < cards->len; i++)
    {
      const SvMirrorCard *card = g_ptr_array_index (cards, i);

      if (card->n_pending == 0)
        continue;
      if (g_strcmp0 (card->iccid, iccid) == 0)
        has_pending = TRUE;
      else
        g_string_append_printf (others, "%s%s", others->len ? ", " : "", card->iccid);
    }
  if (has_pending || others->len == 0)
    return TRUE;
  g_set_error (error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_INVALID,
               _("The card in %s is %s, which has no pending changes; the pending changes are for "
                 "card %s: insert that card and write again"),
               reader_name, iccid, others->str);
  return FALSE;
}

static SvWritePlan *
prepare_with_mirror (SvMirror      *mirror,
                     const char    *iccid,
                     GError       **error)
{
  g_autoptr(SvWritePlan) plan = NULL;

  if (!sv_mirror_has_card (mirror, iccid))
    {
      g_set_error (error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_NOT_FOUND,
                   _("Card %s is not in the mirror: read it first"), iccid);
      return NULL;
    }

  plan = g_atomic_rc_box_new0 (SvWritePlan);
  plan->iccid = g_strdup (iccid);
  if ((plan->base = sv_mirror_load_image (mirror, iccid, FALSE, error)) == NULL ||
      (plan->target = sv_mirror_load_image (mirror, iccid, TRUE, error)) == NULL ||
      (plan->changes = sv_card_write_prepare (plan->base, plan->target, error)) == NULL)
    return NULL;
  plan_contacts (plan);
  return g_steal_pointer (&plan);
}

/**
 * sv_write_operation_prepare:
 * @db_path: (nullable): the mirror file; %NULL for the user's
 * @iccid: the card whose pending changes to write
 *
 * What a write would do, from the mirror alone (no card). Blocking.
 *
 * Returns: (transfer full): the plan, or %NULL with @error set
 *   (%SV_MIRROR_ERROR_NOT_FOUND for a card the mirror does not have)
 */
SvWritePlan *
sv_write_operation_prepare (const char    *db_path,
                            const char    *iccid,
                            GCancellable  *cancellable,
                            GError       **error)
{
  g_autoptr(SvMirror) mirror = NULL;

  g_return_val_if_fail (iccid != NULL, NULL);

  if (g_cancellable_set_error_if_cancelled (cancellable, error) ||
      (mirror = sv_mirror_open (db_path, error)) == NULL)
    return NULL;
  return prepare_with_mirror (mirror, iccid, error);
}

typedef struct
{
  SvCardSession *session;
  char          *db_path;
  char          *iccid;
  SvWritePlan   *plan;
  char          *journal_path;
  SvProgress    *progress;
  SvWriteResult *result;
} WriteJob;

static void
write_job_free (WriteJob *job)
{
  g_free (job->db_path);
  g_free (job->iccid);
  g_clear_pointer (&job->plan, sv_write_plan_unref);
  g_free (job->journal_path);
  g_clear_object (&job->progress);
  g_clear_pointer (&job->result, sv_write_result_unref);
  g_free (job);
}

static void
prepare_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  WriteJob *job = task_data;
  GError *error = NULL;
  SvWritePlan *plan = sv_write_operation_prepare (job->db_path, job->iccid, cancellable, &error);

  if (plan == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, plan, (GDestroyNotify) sv_write_plan_unref);
}

/**
 * sv_write_operation_prepare_async:
 *
 * sv_write_operation_prepare() in a worker thread with its own connection.
 */
void
sv_write_operation_prepare_async (const char          *db_path,
                                  const char          *iccid,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  WriteJob *job = g_new0 (WriteJob, 1);

  job->db_path = g_strdup (db_path);
  job->iccid = g_strdup (iccid);
  sv_operation_run_in_thread (sv_write_operation_prepare_async, job, (GDestroyNotify) write_job_free,
                              prepare_thread, cancellable, callback, user_data);
}

/**
 * sv_write_operation_prepare_finish:
 *
 * Returns: (transfer full): the plan, or %NULL with @error set
 */
SvWritePlan *
sv_write_operation_prepare_finish (GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_async_result_is_tagged (result, sv_write_operation_prepare_async), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * sv_write_operation_run:
 * @session: an open session, past the PIN; used by this call only
 * @db_path: (nullable): the mirror file; %NULL for the user's
 * @plan: (nullable): from sv_write_operation_prepare(), as previewed; %NULL
 *   to write the pending changes of whichever card is in the reader
 * @journal_path: (nullable): %NULL for the card's journal under
 *   $XDG_STATE_HOME (sv_card_journal_path())
 * @progress: (nullable): "N of M records"
 * @result: (out) (optional) (transfer full): what was done; set whenever
 *   the writer ran, also when it failed (counts, journal left behind);
 *   %NULL when the operation stopped before (no such card in the mirror)
 *
 * Writes the plan's changes to the card (checked, written, read back,
 * journalled: sv_card_write_image()), then marks them written in the
 * mirror. A card other than the plan's is refused (%SV_CARD_ERROR_WRONG_CARD);
 * without a plan, a card with nothing pending while another card has
 * pending changes is refused naming that card (%SV_MIRROR_ERROR_INVALID).
 * and a record changed on the card since it was read stops the write
 * before anything is written (%SV_CARD_ERROR_CONFLICT). Blocking.
 *
 * Returns: %TRUE when every change is on the card and in the mirror
 */
gboolean
sv_write_operation_run (SvCardSession  *session,
                        const char     *db_path,
                        SvWritePlan    *plan,
                        const char     *journal_path,
                        SvProgress     *progress,
                        SvWriteResult **result,
                        GCancellable   *cancellable,
                        GError        **error)
{
  g_autoptr(SvMirror) mirror = NULL;
  g_autoptr(SvWritePlan) own_plan = NULL;
  g_autoptr(SvWriteResult) done = g_atomic_rc_box_new0 (SvWriteResult);
  g_autofree char *card_iccid = NULL;
  g_autofree char *default_journal = NULL;
  gboolean attempted = FALSE;
  gboolean ok = FALSE;

  g_return_val_if_fail (session != NULL, FALSE);

  if (result != NULL)
    *result = NULL;

  if ((mirror = sv_mirror_open (db_path, error)) == NULL)
    return FALSE;

  if (plan == NULL)
    {
      /* The card decides which pending changes: read its ICCID once and
       * hand it to the writer, which then does not read it again. */
      card_iccid = sv_card_read_iccid (session, error);
      if (card_iccid == NULL)
        goto out;
      done->iccid = g_strdup (card_iccid);
      if (!check_pending_card (mirror, card_iccid, sv_card_session_get_reader_name (session), error))
        goto out;
      own_plan = prepare_with_mirror (mirror, card_iccid, error);
      if (own_plan == NULL)
        goto out;
      plan = own_plan;
    }
  else
    done->iccid = g_strdup (plan->iccid);

  if (journal_path == NULL)
    journal_path = default_journal = sv_card_journal_path (plan->iccid);

  attempted = TRUE;
  ok = sv_card_write_image_to_card (session, card_iccid, plan->base, plan->target, journal_path,
                                    progress, &done->stats, &done->written, cancellable, error);
  if (!ok)
    {
      if (g_file_test (journal_path, G_FILE_TEST_EXISTS))
        done->journal_left = g_strdup (journal_path);
      goto out;
    }

  /* On the card and verified: now the mirror, whatever @cancellable says
   * (the card already holds the records). */
  ok = sv_mirror_mark_written (mirror, plan->iccid, done->written, error);

out:
  done->apdu_count = sv_card_session_get_apdu_count (session);
  if (done->written == NULL)
    done->written = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_record_change_unref);
  if (result != NULL && attempted)
    *result = g_steal_pointer (&done);
  return ok;
}

static void
run_thread (GTask        *task,
            gpointer      source_object,
            gpointer      task_data,
            GCancellable *cancellable)
{
  WriteJob *job = task_data;
  GError *error = NULL;

  if (sv_write_operation_run (job->session, job->db_path, job->plan, job->journal_path,
                              job->progress, &job->result, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

/**
 * sv_write_operation_run_async:
 *
 * sv_write_operation_run() in a worker thread with its own connection to
 * the mirror. @session belongs to the worker until @callback runs.
 */
void
sv_write_operation_run_async (SvCardSession       *session,
                              const char          *db_path,
                              SvWritePlan         *plan,
                              const char          *journal_path,
                              SvProgress          *progress,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  WriteJob *job = g_new0 (WriteJob, 1);

  job->session = session;
  job->db_path = g_strdup (db_path);
  job->plan = plan != NULL ? sv_write_plan_ref (plan) : NULL;
  job->journal_path = g_strdup (journal_path);
  job->progress = progress != NULL ? g_object_ref (progress) : NULL;
  sv_operation_run_in_thread (sv_write_operation_run_async, job, (GDestroyNotify) write_job_free,
                              run_thread, cancellable, callback, user_data);
}

/**
 * sv_write_operation_run_finish:
 * @result: (out) (optional) (transfer full): as for sv_write_operation_run()
 */
gboolean
sv_write_operation_run_finish (GAsyncResult   *async_result,
                               SvWriteResult **result,
                               GError        **error)
{
  WriteJob *job;

  g_return_val_if_fail (g_task_is_valid (async_result, NULL), FALSE);
  g_return_val_if_fail (g_async_result_is_tagged (async_result, sv_write_operation_run_async), FALSE);

  job = g_task_get_task_data (G_TASK (async_result));
  if (result != NULL)
    *result = g_steal_pointer (&job->result);
  return g_task_propagate_boolean (G_TASK (async_result), error);
}
