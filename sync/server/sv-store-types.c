/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The store's value types and its error domain.
 */
#define G_LOG_DOMAIN "sv-store"

#include "config.h"

#include <string.h>

#include "sv-store.h"

G_DEFINE_QUARK (sv-store-error-quark, sv_store_error)

/* PROTOCOL.md, "Errors": one row per code, in the order of SvStoreError. */
static const struct {
  SvStoreError code;
  guint        status;
  const char  *name;
} error_table[] = {
  { SV_STORE_ERROR_INVALID,              400, "invalid" },
  { SV_STORE_ERROR_UNAUTHENTICATED,      401, "unauthenticated" },
  { SV_STORE_ERROR_LOGIN_FAILED,         401, "login-failed" },
  { SV_STORE_ERROR_FORBIDDEN,            403, "forbidden" },
  { SV_STORE_ERROR_NOT_FOUND,            404, "not-found" },
  { SV_STORE_ERROR_CONFLICT,             409, "conflict" },
  { SV_STORE_ERROR_BATCH_IN_PROGRESS,    409, "batch-in-progress" },
  { SV_STORE_ERROR_FULL_RESYNC_REQUIRED, 410, "full-resync-required" },
  { SV_STORE_ERROR_TOO_LARGE,            413, "too-large" },
  { SV_STORE_ERROR_BATCH_ID_REUSED,      422, "batch-id-reused" },
  { SV_STORE_ERROR_RATE_LIMITED,         429, "rate-limited" },
  { SV_STORE_ERROR_INTERNAL,             500, "internal" },
  { SV_STORE_ERROR_UNAVAILABLE,          503, "unavailable" },
};

const char *
sv_store_error_code_name (SvStoreError code)
{
  for (guint i = 0; i < G_N_ELEMENTS (error_table); i++)
    if (error_table[i].code == code)
      return error_table[i].name;
  return "internal";
}

guint
sv_store_error_http_status (SvStoreError code)
{
  for (guint i = 0; i < G_N_ELEMENTS (error_table); i++)
    if (error_table[i].code == code)
      return error_table[i].status;
  return 500;
}

const char *
sv_store_register_outcome_to_string (SvStoreRegisterOutcome outcome)
{
  switch (outcome)
    {
    case SV_STORE_REGISTER_REGISTERED:
      return "registered";
    case SV_STORE_REGISTER_UPDATED:
      return "updated";
    case SV_STORE_REGISTER_CARD_CHANGE:
      return "card-change";
    default:
      g_return_val_if_reached ("registered");
    }
}

void
sv_store_account_free (SvStoreAccount *account)
{
  if (account == NULL)
    return;
  g_free (account->phone);
  g_free (account);
}

void
sv_store_staff_free (SvStoreStaff *staff)
{
  if (staff == NULL)
    return;
  g_free (staff->name);
  g_free (staff);
}

void
sv_store_session_free (SvStoreSession *session)
{
  if (session == NULL)
    return;
  if (session->token != NULL)
    memset (session->token, 0, strlen (session->token));
  g_free (session->token);
  g_free (session->csrf);
  g_free (session->phone);
  g_free (session->staff_name);
  g_free (session);
}

gboolean
sv_store_session_check_csrf (const SvStoreSession *session,
                             const char           *header)
{
  gsize len;
  guint8 diff = 0;

  g_return_val_if_fail (session != NULL, FALSE);

  if (header == NULL || session->csrf == NULL)
    return FALSE;
  len = strlen (session->csrf);
  if (strlen (header) != len || len == 0)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    diff |= (guint8) (session->csrf[i] ^ header[i]);
  return diff == 0;
}

SvStoreCardFile *
sv_store_card_file_new (const char *key,
                        const char *path,
                        const char *structure,
                        guint       record_len,
                        guint       n_records)
{
  SvStoreCardFile *file = g_new0 (SvStoreCardFile, 1);

  file->key = g_strdup (key);
  file->path = g_strdup (path);
  file->structure = g_strdup (structure);
  file->record_len = record_len;
  file->n_records = n_records;
  return file;
}

SvStoreCardFile *
sv_store_card_file_copy (const SvStoreCardFile *file)
{
  return sv_store_card_file_new (file->key, file->path, file->structure,
                           file->record_len, file->n_records);
}

void
sv_store_card_file_free (SvStoreCardFile *file)
{
  if (file == NULL)
    return;
  g_free (file->key);
  g_free (file->path);
  g_free (file->structure);
  g_free (file);
}

SvStoreCardInfo *
sv_store_card_info_new (const char *iccid)
{
  SvStoreCardInfo *info = g_new0 (SvStoreCardInfo, 1);

  info->iccid = g_strdup (iccid);
  info->files = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_store_card_file_free);
  return info;
}

void
sv_store_card_info_free (SvStoreCardInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->iccid);
  g_free (info->imsi);
  g_free (info->card_type);
  g_free (info->batch);
  g_clear_pointer (&info->files, g_ptr_array_unref);
  g_free (info);
}

void
sv_store_card_free (SvStoreCard *card)
{
  if (card == NULL)
    return;
  g_free (card->iccid);
  g_free (card->phone);
  g_free (card->imsi);
  g_free (card->card_type);
  g_free (card->batch);
  g_free (card->replaced_by);
  g_clear_pointer (&card->files, g_ptr_array_unref);
  g_free (card);
}

const SvStoreCardFile *
sv_store_card_find_file (const SvStoreCard *card,
                         const char        *key)
{
  for (guint i = 0; card->files != NULL && i < card->files->len; i++)
    {
      const SvStoreCardFile *file = g_ptr_array_index (card->files, i);

      if (g_strcmp0 (file->key, key) == 0)
        return file;
    }
  return NULL;
}

SvStoreRecord *
sv_store_record_new (const char *file,
                     guint       index,
                     GBytes     *data,
                     gint64      version)
{
  SvStoreRecord *record = g_new0 (SvStoreRecord, 1);

  record->file = g_strdup (file);
  record->index = index;
  record->data = data != NULL ? g_bytes_ref (data) : NULL;
  record->version = version;
  return record;
}

void
sv_store_record_free (SvStoreRecord *record)
{
  if (record == NULL)
    return;
  g_free (record->file);
  g_clear_pointer (&record->data, g_bytes_unref);
  g_free (record);
}

SvStoreRecordWrite *
sv_store_record_write_new (const char *file,
                           guint       index,
                           GBytes     *data,
                           gint64      base_version)
{
  SvStoreRecordWrite *write = g_new0 (SvStoreRecordWrite, 1);

  write->file = g_strdup (file);
  write->index = index;
  write->data = data != NULL ? g_bytes_ref (data) : NULL;
  write->base_version = base_version;
  return write;
}

void
sv_store_record_write_free (SvStoreRecordWrite *write)
{
  if (write == NULL)
    return;
  g_free (write->file);
  g_clear_pointer (&write->data, g_bytes_unref);
  g_free (write);
}

SvStoreBackupRequest *
sv_store_backup_request_new (const char        *batch_id,
                             SvStoreBackupMode  mode)
{
  SvStoreBackupRequest *request = g_new0 (SvStoreBackupRequest, 1);

  request->batch_id = g_strdup (batch_id);
  request->mode = mode;
  request->files = g_ptr_array_new_with_free_func (g_free);
  request->records = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_store_record_write_free);
  return request;
}

void
sv_store_backup_request_add_file (SvStoreBackupRequest *request,
                                  const char           *file)
{
  g_ptr_array_add (request->files, g_strdup (file));
}

void
sv_store_backup_request_add_record (SvStoreBackupRequest *request,
                                    SvStoreRecordWrite   *write)
{
  g_ptr_array_add (request->records, write);
}

void
sv_store_backup_request_free (SvStoreBackupRequest *request)
{
  if (request == NULL)
    return;
  g_free (request->batch_id);
  g_clear_pointer (&request->files, g_ptr_array_unref);
  g_clear_pointer (&request->records, g_ptr_array_unref);
  g_free (request);
}

void
sv_store_conflict_free (SvStoreConflict *conflict)
{
  if (conflict == NULL)
    return;
  g_free (conflict->file);
  g_clear_pointer (&conflict->server_data, g_bytes_unref);
  g_clear_pointer (&conflict->client_data, g_bytes_unref);
  g_free (conflict);
}

void
sv_store_backup_result_free (SvStoreBackupResult *result)
{
  if (result == NULL)
    return;
  g_free (result->batch_id);
  g_clear_pointer (&result->applied, g_ptr_array_unref);
  g_clear_pointer (&result->conflicts, g_ptr_array_unref);
  g_free (result);
}

void
sv_store_changes_free (SvStoreChanges *changes)
{
  if (changes == NULL)
    return;
  g_clear_pointer (&changes->records, g_ptr_array_unref);
  g_free (changes);
}

SvStoreMessage *
sv_store_message_new (gint64 stored_at)
{
  SvStoreMessage *message = g_new0 (SvStoreMessage, 1);

  message->parts = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  message->stored_at = stored_at;
  return message;
}

void
sv_store_message_add_part (SvStoreMessage *message,
                           GBytes         *part)
{
  g_ptr_array_add (message->parts, g_bytes_ref (part));
}

void
sv_store_message_free (SvStoreMessage *message)
{
  if (message == NULL)
    return;
  g_clear_pointer (&message->parts, g_ptr_array_unref);
  g_free (message);
}

void
sv_store_messages_result_free (SvStoreMessagesResult *result)
{
  g_free (result);
}

void
sv_store_restore_free (SvStoreRestore *restore)
{
  if (restore == NULL)
    return;
  g_free (restore->id);
  g_free (restore->iccid);
  g_free (restore);
}

void
sv_store_restore_group_free (SvStoreRestoreGroup *group)
{
  if (group == NULL)
    return;
  g_clear_pointer (&group->records, g_ptr_array_unref);
  g_clear_pointer (&group->messages, g_ptr_array_unref);
  g_clear_pointer (&group->clear, g_ptr_array_unref);
  g_free (group);
}

void
sv_store_audit_entry_free (SvStoreAuditEntry *entry)
{
  if (entry == NULL)
    return;
  g_free (entry->staff_name);
  g_free (entry->iccid);
  g_free (entry->action);
  g_free (entry->detail);
  g_free (entry);
}
