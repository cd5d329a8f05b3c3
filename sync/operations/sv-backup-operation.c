/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Back up a card of the mirror to its backup server (flows 2-6).
 *
 * The order of steps is what makes a crash at any point harmless:
 *   1. batches left in the outbox by an earlier run are sent again first,
 *      with their batch id and body unchanged (the server answers a
 *      repeat from its idempotency store, applying nothing twice);
 *   2. the records that wait for upload (working bytes differ from what
 *      the server acknowledged) go into a new batch, written to the outbox
 *      before it is sent;
 *   3. the answer is recorded, and the batch leaves the outbox, in one
 *      transaction; records the server did not list as applied or
 *      conflicting still wait, and the next round resends only them
 *      (flow 5);
 *   4. messages go the same way to the server's SMS ring (flow 6).
 * A conflict (the record changed in the portal too) stores nothing: it is
 * reported with both versions, or settled by the resolve option.
 */
#define G_LOG_DOMAIN "sv-operations"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "sv-backup-operation.h"
#include "sv-operations-private.h"

/* Rounds of "send what is still missing" before giving up. */
#define MAX_ROUNDS 4

static void
backup_result_clear (SvBackupResult *result)
{
  g_free (result->iccid);
  g_clear_pointer (&result->conflicts, g_ptr_array_unref);
  g_free (result->token);
  g_clear_object (&result->image);
}

G_DEFINE_BOXED_TYPE (SvBackupResult, sv_backup_result, sv_backup_result_ref, sv_backup_result_unref)

SvBackupResult *
sv_backup_result_ref (SvBackupResult *result)
{
  return g_atomic_rc_box_acquire (result);
}

void
sv_backup_result_unref (SvBackupResult *result)
{
  g_atomic_rc_box_release_full (result, (GDestroyNotify) backup_result_clear);
}

typedef struct
{
  SvMirror       *mirror;
  SvSyncClient   *client;
  const char     *iccid;
  SvBackupResult *result;
  SvProgress     *progress;
  GCancellable   *cancellable;
} Backup;

static void
report (Backup     *backup,
        guint       done,
        guint       total,
        const char *message)
{
  if (backup->progress != NULL)
    sv_progress_update (backup->progress, done, total, message);
}

static void
add_conflict (Backup         *backup,
              SvSyncConflict *conflict)
{
  GPtrArray *conflicts = backup->result->conflicts;

  for (guint i = 0; i < conflicts->len; i++)
    {
      SvSyncConflict *c = g_ptr_array_index (conflicts, i);

      if (g_str_equal (c->key, conflict->key) && c->index == conflict->index)
        {
          g_ptr_array_remove_index (conflicts, i);
          break;
        }
    }
  g_ptr_array_add (conflicts, sv_sync_conflict_ref (conflict));
}

static void
drop_conflict (Backup     *backup,
               const char *key,
               guint       index)
{
  GPtrArray *conflicts = backup->result->conflicts;

  for (guint i = 0; i < conflicts->len; i++)
    {
      SvSyncConflict *c = g_ptr_array_index (conflicts, i);

      if (g_str_equal (c->key, key) && c->index == index)
        {
          g_ptr_array_remove_index (conflicts, i);
          return;
        }
    }
}

/* Sends one records batch (new or from the outbox) and records the answer. */
static gboolean
send_records_batch (Backup      *backup,
                    const char  *batch_id,
                    const char  *body,
                    GPtrArray   *records,
                    gboolean     full,
                    GPtrArray   *new_conflicts,
                    GError     **error)
{
  g_autoptr(SvBackupResponse) response = NULL;
  g_autoptr(GPtrArray) applied = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_sync_record_unref);
  g_autoptr(GPtrArray) conflicts = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_sync_conflict_unref);
  g_autoptr(GHashTable) versions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GError) local_error = NULL;

  backup->result->records_sent += records->len;
  backup->result->batches++;
  response = sv_sync_client_backup (backup->client, backup->iccid, body, backup->cancellable,
                                    &local_error);
  if (response == NULL)
    {
      if (g_error_matches (local_error, SV_SYNC_ERROR, SV_SYNC_ERROR_BATCH_ID_REUSED))
        {
          /* The server holds another body under this id: this batch can
           * never be answered. Drop it; its records still wait for upload
           * and go up in a new batch. */
          sv_mirror_sync_acknowledge (backup->mirror, backup->iccid, batch_id, NULL, NULL,
                                      FALSE, NULL, NULL);
        }
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  sv_sync_operation_crash_point ("after-upload");

  for (guint i = 0; i < response->applied->len; i++)
    {
      SvProtocolRecord *r = g_ptr_array_index (response->applied, i);

      g_hash_table_insert (versions, g_strdup_printf ("%s\n%u", r->file, r->index),
                           GINT_TO_POINTER (1));
    }
  for (guint i = 0; i < records->len; i++)
    {
      SvSyncRecord *sent = g_ptr_array_index (records, i);
      g_autofree char *id = g_strdup_printf ("%s\n%u", sent->key, sent->index);

      if (g_hash_table_contains (versions, id))
        {
          gint64 version = 0;

          for (guint j = 0; j < response->applied->len; j++)
            {
              SvProtocolRecord *r = g_ptr_array_index (response->applied, j);

              if (r->index == sent->index && g_str_equal (r->file, sent->key))
                version = r->version;
            }
          g_ptr_array_add (applied, sv_sync_record_new (sent->key, sent->index, sent->data, version));
        }
    }
  for (guint i = 0; i < response->conflicts->len; i++)
    {
      SvProtocolConflict *c = g_ptr_array_index (response->conflicts, i);
      GBytes *local = c->client_data;

      for (guint j = 0; j < records->len; j++)
        {
          SvSyncRecord *sent = g_ptr_array_index (records, j);

          if (sent->index == c->index && g_str_equal (sent->key, c->file))
            local = sent->data;
        }
      g_ptr_array_add (conflicts, sv_sync_conflict_new (c->file, c->index, c->server_data,
                                                        c->server_version, local));
    }

  if (!sv_mirror_sync_acknowledge (backup->mirror, backup->iccid, batch_id, applied, conflicts,
                                   full, response->token, error))
    return FALSE;

  backup->result->records_applied += applied->len;
  for (guint i = 0; i < applied->len; i++)
    {
      SvSyncRecord *r = g_ptr_array_index (applied, i);

      drop_conflict (backup, r->key, r->index);
    }
  for (guint i = 0; i < conflicts->len; i++)
    {
      add_conflict (backup, g_ptr_array_index (conflicts, i));
      if (new_conflicts != NULL)
        g_ptr_array_add (new_conflicts, sv_sync_conflict_ref (g_ptr_array_index (conflicts, i)));
    }
  if (response->token != NULL)
    {
      g_free (backup->result->token);
      backup->result->token = g_strdup (response->token);
    }
  return TRUE;
}

/* Sends one messages batch (new or from the outbox) and records it. */
static gboolean
send_messages_batch (Backup      *backup,
                     const char  *batch_id,
                     const char  *body,
                     GPtrArray   *records,
                     guint        n_messages,
                     GError     **error)
{
  SvMessagesResponse response = { 0 };
  g_autoptr(GError) local_error = NULL;

  backup->result->messages_sent += n_messages;
  backup->result->batches++;
  if (!sv_sync_client_backup_messages (backup->client, backup->iccid, body, &response,
                                       backup->cancellable, &local_error))
    {
      if (g_error_matches (local_error, SV_SYNC_ERROR, SV_SYNC_ERROR_BATCH_ID_REUSED))
        sv_mirror_sync_acknowledge (backup->mirror, backup->iccid, batch_id, NULL, NULL,
                                    FALSE, NULL, NULL);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  sv_sync_operation_crash_point ("after-upload");
  if (!sv_mirror_sync_acknowledge (backup->mirror, backup->iccid, batch_id, records, NULL,
                                   FALSE, NULL, error))
    return FALSE;
  backup->result->messages_stored += response.stored;
  backup->result->messages_duplicates += response.duplicates;
  backup->result->messages_dropped += response.dropped;
  backup->result->messages_count = response.count;
  return TRUE;
}

static guint
count_messages_in_body (const char *body)
{
  g_autoptr(JsonNode) node = json_from_string (body, NULL);
  JsonObject *object;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return 0;
  object = json_node_get_object (node);
  if (!json_object_has_member (object, "messages"))
    return 0;
  return json_array_get_length (json_object_get_array_member (object, "messages"));
}

static gboolean
resume_outbox (Backup  *backup,
               GError **error)
{
  g_autoptr(GPtrArray) batches = sv_mirror_sync_outbox_list (backup->mirror, backup->iccid, error);

  if (batches == NULL)
    return FALSE;
  for (guint i = 0; i < batches->len; i++)
    {
      SvSyncBatch *batch = g_ptr_array_index (batches, i);
      gboolean ok;

      report (backup, i, batches->len, _("Sending a batch left from an earlier backup"));
      if (g_str_equal (batch->kind, "messages"))
        ok = send_messages_batch (backup, batch->batch_id, batch->body, batch->records,
                                  count_messages_in_body (batch->body), error);
      else
        ok = send_records_batch (backup, batch->batch_id, batch->body, batch->records,
                                 strstr (batch->body, "\"mode\":\"full\"") != NULL, NULL, error);
      if (!ok)
        return FALSE;
      backup->result->resumed++;
    }
  return TRUE;
}

static char **
record_files (SvCardImage *image)
{
  g_autoptr(GPtrArray) keys = sv_card_image_list_keys (image);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = 0; i < keys->len; i++)
    {
      const char *key = g_ptr_array_index (keys, i);

      if (!g_str_equal (key, "sms"))
        g_strv_builder_add (builder, key);
    }
  return g_strv_builder_end (builder);
}

static gboolean
backup_records (Backup                *backup,
                const SvBackupOptions *options,
                GError               **error)
{
  for (guint round = 0; round < MAX_ROUNDS; round++)
    {
      gboolean full = options->full && round == 0;
      g_autoptr(GPtrArray) set = NULL;
      g_autoptr(GPtrArray) new_conflicts = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_sync_conflict_unref);
      guint applied_before = backup->result->records_applied;

      set = sv_mirror_sync_get_upload_set (backup->mirror, backup->iccid, SV_SYNC_SCOPE_RECORDS,
                                           full, error);
      if (set == NULL)
        return FALSE;
      if (set->len == 0 && !full)
        return TRUE;

      for (guint offset = 0; offset < set->len || (full && offset == 0); offset += SV_PROTOCOL_MAX_BATCH)
        {
          g_autoptr(GPtrArray) chunk = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_sync_record_unref);
          g_autoptr(SvBackupRequest) request = g_new0 (SvBackupRequest, 1);
          g_autoptr(JsonNode) node = NULL;
          g_autofree char *body = NULL;
          gboolean full_batch = full && offset == 0;

          for (guint i = offset; i < MIN (set->len, offset + SV_PROTOCOL_MAX_BATCH); i++)
            g_ptr_array_add (chunk, sv_sync_record_ref (g_ptr_array_index (set, i)));

          request->batch_id = sv_sync_new_batch_id ();
          request->mode = full_batch ? SV_BACKUP_MODE_FULL : SV_BACKUP_MODE_INCREMENTAL;
          if (full_batch)
            request->files = record_files (backup->result->image);
          request->records = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_protocol_record_free);
          for (guint i = 0; i < chunk->len; i++)
            {
              SvSyncRecord *r = g_ptr_array_index (chunk, i);
              SvProtocolRecord *pr = sv_protocol_record_new (r->key, r->index, r->data, 0);

              pr->base_version = r->version;
              g_ptr_array_add (request->records, pr);
            }
          node = sv_backup_request_to_json (request);
          body = sv_protocol_node_to_data (node);

          report (backup, offset, set->len, _("Backing up records"));
          if (!sv_mirror_sync_outbox_put (backup->mirror, backup->iccid, request->batch_id,
                                          "records", body, chunk, error))
            return FALSE;
          sv_sync_operation_crash_point ("before-upload");
          if (!send_records_batch (backup, request->batch_id, body, chunk, full_batch,
                                   new_conflicts, error))
            return FALSE;
          if (g_cancellable_set_error_if_cancelled (backup->cancellable, error))
            return FALSE;
        }

      /* Settle this round's conflicts as asked; the local side then goes up
       * in the next round, with the server's version as its base. */
      if (options->resolve != SV_SYNC_RESOLVE_NONE)
        for (guint i = 0; i < new_conflicts->len; i++)
          {
            SvSyncConflict *c = g_ptr_array_index (new_conflicts, i);

            if (!sv_mirror_sync_resolve (backup->mirror, backup->iccid, c->key, c->index,
                                         options->resolve, error))
              return FALSE;
            drop_conflict (backup, c->key, c->index);
          }

      /* Nothing applied and nothing settled in this round: what is left
       * waits for a choice, not for another round. */
      if (backup->result->records_applied == applied_before &&
          (options->resolve == SV_SYNC_RESOLVE_NONE || new_conflicts->len == 0))
        return TRUE;
    }
  return TRUE;
}

static gboolean
index_chosen (const SvBackupOptions *options,
              guint                  index)
{
  for (guint i = 0; i < options->n_sms_indices; i++)
    if (options->sms_indices[i] == index)
      return TRUE;
  return FALSE;
}

/* Chosen messages that the card does not have: refused before anything
 * is sent. */
static gboolean
check_chosen_messages (SvMirror               *mirror,
                       const char             *iccid,
                       const SvBackupOptions  *options,
                       GError                **error)
{
  g_autoptr(GPtrArray) messages = NULL;

  if (options->sms != SV_BACKUP_SMS_CHOSEN)
    return TRUE;
  messages = sv_mirror_list_messages (mirror, iccid, error);
  if (messages == NULL)
    return FALSE;
  for (guint i = 0; i < options->n_sms_indices; i++)
    {
      gboolean found = FALSE;

      for (guint j = 0; j < messages->len && !found; j++)
        found = sv_message_get_index (g_ptr_array_index (messages, j)) == options->sms_indices[i];
      if (!found)
        {
          g_set_error (error, SV_SYNC_ERROR, SV_SYNC_ERROR_INVALID,
                       _("The card %s has no message %u"), iccid, options->sms_indices[i]);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
backup_messages (Backup                *backup,
                 const SvBackupOptions *options,
                 GError               **error)
{
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(GPtrArray) waiting = NULL;
  g_autoptr(GHashTable) waiting_index = g_hash_table_new (g_direct_hash, g_direct_equal);
  g_autoptr(GPtrArray) chosen = g_ptr_array_new ();
  SvCardImage *image = backup->result->image;

  if (options->sms == SV_BACKUP_SMS_NONE || sv_card_image_lookup (image, "sms") == NULL)
    return TRUE;

  messages = sv_mirror_list_messages (backup->mirror, backup->iccid, error);
  if (messages == NULL)
    return FALSE;
  waiting = sv_mirror_sync_get_upload_set (backup->mirror, backup->iccid, SV_SYNC_SCOPE_MESSAGES,
                                           FALSE, error);
  if (waiting == NULL)
    return FALSE;
  for (guint i = 0; i < waiting->len; i++)
    g_hash_table_add (waiting_index,
                      GUINT_TO_POINTER (((SvSyncRecord *) g_ptr_array_index (waiting, i))->index));

  for (guint i = 0; i < messages->len; i++)
    {
      SvMessage *m = g_ptr_array_index (messages, i);
      const guint *parts = sv_message_get_record_indices (m);
      guint n_parts = sv_message_get_n_parts (m);
      gboolean take = FALSE;

      if (n_parts == 0 || parts == NULL)
        continue;
      switch (options->sms)
        {
        case SV_BACKUP_SMS_ALL:
          take = TRUE;
          break;
        case SV_BACKUP_SMS_CHOSEN:
          take = index_chosen (options, sv_message_get_index (m));
          break;
        case SV_BACKUP_SMS_NEW:
          for (guint p = 0; p < n_parts; p++)
            take |= g_hash_table_contains (waiting_index, GUINT_TO_POINTER (parts[p]));
          break;
        case SV_BACKUP_SMS_NONE:
        default:
          break;
        }
      if (take)
        g_ptr_array_add (chosen, m);
    }

  for (guint offset = 0; offset < chosen->len; offset += SV_PROTOCOL_MAX_MESSAGES)
    {
      g_autoptr(SvMessagesRequest) request = g_new0 (SvMessagesRequest, 1);
      g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_sync_record_unref);
      g_autoptr(JsonNode) node = NULL;
      g_autofree char *body = NULL;
      guint n = 0;

      request->batch_id = sv_sync_new_batch_id ();
      request->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_protocol_message_free);
      for (guint i = offset; i < MIN (chosen->len, offset + SV_PROTOCOL_MAX_MESSAGES); i++)
        {
          SvMessage *m = g_ptr_array_index (chosen, i);
          const guint *parts = sv_message_get_record_indices (m);
          SvProtocolMessage *pm = g_new0 (SvProtocolMessage, 1);

          pm->records = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
          for (guint p = 0; p < sv_message_get_n_parts (m); p++)
            {
              GBytes *bytes = sv_card_image_get_record (image, "sms", parts[p]);

              if (bytes == NULL)
                continue;
              g_ptr_array_add (pm->records, g_bytes_ref (bytes));
              g_ptr_array_add (records, sv_sync_record_new ("sms", parts[p], bytes, 0));
            }
          if (pm->records->len == 0)
            {
              sv_protocol_message_free (pm);
              continue;
            }
          g_ptr_array_add (request->messages, pm);
          n++;
        }
      if (n == 0)
        continue;
      node = sv_messages_request_to_json (request);
      body = sv_protocol_node_to_data (node);

      report (backup, offset, chosen->len, _("Backing up messages"));
      if (!sv_mirror_sync_outbox_put (backup->mirror, backup->iccid, request->batch_id,
                                      "messages", body, records, error))
        return FALSE;
      sv_sync_operation_crash_point ("before-upload");
      if (!send_messages_batch (backup, request->batch_id, body, records, n, error))
        return FALSE;
    }
  return TRUE;
}

/**
 * sv_backup_operation_run:
 * @credentials: the password (the server and phone come from the card's
 *   registration)
 *
 * Blocking; opens its own connection to the mirror. Backs up the card
 * @iccid as described at the top of this file.
 *
 * Returns: (transfer full): what was sent and what the server answered
 */
SvBackupResult *
sv_backup_operation_run (const char               *db_path,
                         const char               *iccid,
                         const SvBackupOptions    *options,
                         const SvSyncCredentials  *credentials,
                         SvProgress               *progress,
                         GCancellable             *cancellable,
                         GError                  **error)
{
  g_autoptr(SvMirror) mirror = NULL;
  g_autoptr(SvSyncState) state = NULL;
  g_autoptr(SvSyncClient) client = NULL;
  g_autoptr(SvBackupResult) result = NULL;
  g_autoptr(GError) local_error = NULL;
  Backup backup = { 0 };

  if ((mirror = sv_mirror_open (db_path, error)) == NULL)
    return NULL;
  if (!sv_mirror_has_card (mirror, iccid))
    {
      g_set_error (error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_NOT_FOUND,
                   _("The card %s is not in the mirror; read it first"), iccid);
      return NULL;
    }
  state = sv_mirror_sync_get_state (mirror, iccid, &local_error);
  if (state == NULL)
    {
      g_propagate_error (error, sv_sync_operation_not_registered (iccid));
      return NULL;
    }

  if (!check_chosen_messages (mirror, iccid, options, error))
    return NULL;
  client = sv_sync_operation_connect (state->server, state->phone, credentials, cancellable, error);
  if (client == NULL)
    return NULL;

  result = g_atomic_rc_box_new0 (SvBackupResult);
  result->iccid = g_strdup (iccid);
  result->full = options->full;
  result->conflicts = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_sync_conflict_unref);

  backup.mirror = mirror;
  backup.client = client;
  backup.iccid = iccid;
  backup.result = result;
  backup.progress = progress;
  backup.cancellable = cancellable;

  /* Conflicts of an earlier run, settled as asked before anything goes up. */
  if (options->resolve != SV_SYNC_RESOLVE_NONE)
    {
      g_autoptr(GPtrArray) recorded = sv_mirror_sync_list_conflicts (mirror, iccid, error);

      if (recorded == NULL)
        return NULL;
      for (guint i = 0; i < recorded->len; i++)
        {
          SvSyncConflict *c = g_ptr_array_index (recorded, i);

          if (!sv_mirror_sync_resolve (mirror, iccid, c->key, c->index, options->resolve, error))
            return NULL;
        }
    }

  if (!resume_outbox (&backup, error))
    return NULL;

  result->image = sv_mirror_load_image (mirror, iccid, TRUE, error);
  if (result->image == NULL ||
      !backup_records (&backup, options, error) ||
      !backup_messages (&backup, options, error))
    return NULL;

  /* What is still unresolved, this run's and earlier ones'. */
  {
    g_autoptr(GPtrArray) recorded = sv_mirror_sync_list_conflicts (mirror, iccid, error);

    if (recorded == NULL)
      return NULL;
    g_ptr_array_set_size (result->conflicts, 0);
    for (guint i = 0; i < recorded->len; i++)
      g_ptr_array_add (result->conflicts, sv_sync_conflict_ref (g_ptr_array_index (recorded, i)));
  }

  sv_sync_client_logout (client, cancellable, NULL);
  sv_sync_client_get_stats (client, &result->stats);
  report (&backup, 1, 1, _("Backup finished"));
  return g_steal_pointer (&result);
}

typedef struct
{
  char              *db_path;
  char              *iccid;
  SvBackupOptions    options;
  guint             *indices;
  char              *password;
  SvSyncCredentials  credentials;
  SvProgress        *progress;
} BackupJob;

static void
backup_job_free (BackupJob *job)
{
  g_free (job->db_path);
  g_free (job->iccid);
  g_free (job->indices);
  sv_operation_strings_wipe (&job->password, 1);
  g_clear_object (&job->progress);
  g_free (job);
}

static void
backup_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  BackupJob *job = task_data;
  GError *error = NULL;
  SvBackupResult *result = sv_backup_operation_run (job->db_path, job->iccid, &job->options,
                                                    &job->credentials, job->progress,
                                                    cancellable, &error);

  sv_operation_task_return (task, result, (GDestroyNotify) sv_backup_result_unref, error);
}

/**
 * sv_backup_operation_run_async:
 *
 * sv_backup_operation_run() in a worker thread. Only the owner form of
 * @credentials is carried over (a backup is the owner's).
 */
void
sv_backup_operation_run_async (const char               *db_path,
                               const char               *iccid,
                               const SvBackupOptions    *options,
                               const SvSyncCredentials  *credentials,
                               SvProgress               *progress,
                               GCancellable             *cancellable,
                               GAsyncReadyCallback       callback,
                               gpointer                  user_data)
{
  BackupJob *job = g_new0 (BackupJob, 1);

  job->db_path = g_strdup (db_path);
  job->iccid = g_strdup (iccid);
  job->options = *options;
  job->indices = g_memdup2 (options->sms_indices, sizeof (guint) * options->n_sms_indices);
  job->options.sms_indices = job->indices;
  job->password = g_strdup (credentials->password);
  job->credentials.password = job->password;
  job->credentials.timeout_seconds = credentials->timeout_seconds;
  job->credentials.max_attempts = credentials->max_attempts;
  job->progress = progress ? g_object_ref (progress) : NULL;
  sv_operation_run_in_thread (sv_backup_operation_run_async, job, (GDestroyNotify) backup_job_free,
                              backup_thread, cancellable, callback, user_data);
}

SvBackupResult *
sv_backup_operation_run_finish (GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
