/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Restore a backup from the server onto a card, through the mirror (flows
 * 8-11). Nothing here touches a card: the server's records become the
 * target's pending changes, and the ordinary write (with read-back
 * verification) puts them on the card.
 *
 * Two cases:
 *  - the backup is the target's own: records go back to their indices
 *    (the record-index protocol); a record also edited locally since the
 *    last sync is a conflict, left as it is unless the caller chose;
 *  - the backup is another card's (a lost SIM, a shop's replacement): the
 *    source's phonebook is mapped onto the target's sets and limits by the
 *    restore-onto-another-card mapping (fit preview, re-encoding,
 *    shortening only with consent), and the target is registered as a
 *    card change.
 *
 * The server hands a restore out in groups and the next only after the
 * previous is acknowledged (flow 11). Every group but the last is
 * acknowledged on arrival; the last only after the mirror holds the result,
 * and only then is the card's token recorded. A preview never acknowledges
 * the last group, so the server records no completed restore for it.
 *
 * An incremental restore of the card's own records (no messages) is what
 * "changes since" (flow 8) answers in one page per 1,000 records: it takes
 * one exchange where a restore takes three (create, group, ack), and the
 * card's token is recorded the same way, only once the mirror holds the
 * records (issue 16: bytes on the wire). The restore cursor it starts
 * from is the last restore's token, or the token of the last backup that
 * left the mirror equal to the server (sv_mirror_sync_acknowledge()).
 */
#define G_LOG_DOMAIN "sv-operations"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "sv-operations-private.h"
#include "sv-phonebook.h"
#include "sv-register-operation.h"
#include "sv-server-restore-operation.h"
#include "sv-sms-store.h"

static void
server_restore_result_clear (SvServerRestoreResult *result)
{
  g_free (result->source_iccid);
  g_free (result->target_iccid);
  g_free (result->registration);
  g_clear_pointer (&result->entries, g_ptr_array_unref);
  g_clear_pointer (&result->written, g_ptr_array_unref);
  g_clear_pointer (&result->conflicts, g_ptr_array_unref);
  g_free (result->token);
  g_clear_object (&result->before);
  g_clear_object (&result->after);
}

G_DEFINE_BOXED_TYPE (SvServerRestoreResult, sv_server_restore_result,
                     sv_server_restore_result_ref, sv_server_restore_result_unref)

SvServerRestoreResult *
sv_server_restore_result_ref (SvServerRestoreResult *result)
{
  return g_atomic_rc_box_acquire (result);
}

void
sv_server_restore_result_unref (SvServerRestoreResult *result)
{
  g_atomic_rc_box_release_full (result, (GDestroyNotify) server_restore_result_clear);
}

/* Everything one restore delivered, all groups together. */
typedef struct
{
  char      *restore_id;
  guint      n_groups;
  GPtrArray *records;           /* SvProtocolRecord */
  GPtrArray *messages;          /* SvProtocolMessage */
  char     **clear;
  char      *token;             /* "changes since" only: the token it ends at */
} Delivery;

static void
delivery_free (Delivery *delivery)
{
  g_free (delivery->restore_id);
  g_clear_pointer (&delivery->records, g_ptr_array_unref);
  g_clear_pointer (&delivery->messages, g_ptr_array_unref);
  g_strfreev (delivery->clear);
  g_free (delivery->token);
  g_free (delivery);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Delivery, delivery_free)

static void
report (SvProgress *progress,
        guint       done,
        guint       total,
        const char *message)
{
  if (progress != NULL)
    sv_progress_update (progress, done, total, message);
}

/* Fetches every group of a new restore, acknowledging all but the last. */
static Delivery *
fetch_restore (SvSyncClient  *client,
               const char    *iccid,
               gboolean       full,
               const char    *since,
               gboolean       sms,
               SvProgress    *progress,
               GCancellable  *cancellable,
               GError       **error)
{
  g_autoptr(Delivery) delivery = g_new0 (Delivery, 1);
  g_autoptr(SvRestoreCreated) created = NULL;
  SvRestoreRequest request = { 0 };

  request.kind = full ? SV_RESTORE_KIND_FULL : SV_RESTORE_KIND_INCREMENTAL;
  request.since = full ? NULL : (char *) since;
  request.sms = sms;
  request.group_size = SV_PROTOCOL_DEFAULT_GROUP_SIZE;
  created = sv_sync_client_create_restore (client, iccid, &request, cancellable, error);
  if (created == NULL)
    return NULL;

  delivery->restore_id = g_strdup (created->id);
  delivery->n_groups = created->groups;
  delivery->records = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_protocol_record_free);
  delivery->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_protocol_message_free);

  for (guint n = 0; n < created->groups; n++)
    {
      g_autoptr(SvRestoreGroup) group = NULL;
      gboolean done = FALSE;

      report (progress, n, created->groups, _("Fetching the backup"));
      group = sv_sync_client_get_restore_group (client, created->id, n, cancellable, error);
      if (group == NULL)
        return NULL;
      if (group->group != n)
        {
          g_set_error (error, SV_SYNC_ERROR, SV_SYNC_ERROR_BAD_RESPONSE,
                       _("The server sent group %u of the restore when group %u was asked for"),
                       group->group, n);
          return NULL;
        }
      if (n == 0 && group->clear != NULL)
        delivery->clear = g_strdupv (group->clear);
      g_ptr_array_extend_and_steal (delivery->records, g_steal_pointer (&group->records));
      g_ptr_array_extend_and_steal (delivery->messages, g_steal_pointer (&group->messages));

      if (n + 1 < created->groups &&
          !sv_sync_client_ack_restore_group (client, created->id, n, &done, NULL, cancellable, error))
        return NULL;
    }
  sv_sync_operation_crash_point ("after-restore-fetch");
  return g_steal_pointer (&delivery);
}

/* The card's records changed since @since, page by page: an incremental
 * restore without messages, with no restore on the server. */
static Delivery *
fetch_changes (SvSyncClient  *client,
               const char    *iccid,
               const char    *since,
               SvProgress    *progress,
               GCancellable  *cancellable,
               GError       **error)
{
  g_autoptr(Delivery) delivery = g_new0 (Delivery, 1);
  g_autofree char *token = g_strdup (since);
  gboolean more = TRUE;

  delivery->records = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_protocol_record_free);
  delivery->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_protocol_message_free);
  for (guint page = 0; more; page++)
    {
      g_autoptr(SvChangesResponse) changes = NULL;

      report (progress, page, page + 1, _("Fetching the backup"));
      changes = sv_sync_client_get_changes (client, iccid, token, SV_PROTOCOL_MAX_CHANGES_PAGE,
                                            cancellable, error);
      if (changes == NULL)
        return NULL;
      /* A page that ends where it began while saying "more" would loop. */
      if (changes->token == NULL || (changes->more && g_strcmp0 (changes->token, token) == 0))
        {
          g_set_error_literal (error, SV_SYNC_ERROR, SV_SYNC_ERROR_BAD_RESPONSE,
                               _("The server’s list of changes does not move on"));
          return NULL;
        }
      g_ptr_array_extend_and_steal (delivery->records, g_steal_pointer (&changes->records));
      g_free (token);
      token = g_steal_pointer (&changes->token);
      more = changes->more;
    }
  delivery->token = g_steal_pointer (&token);
  sv_sync_operation_crash_point ("after-restore-fetch");
  return g_steal_pointer (&delivery);
}

/* Acknowledges the last group: the restore is complete on the server. */
static gboolean
finish_restore (SvSyncClient  *client,
                Delivery      *delivery,
                char         **token,
                GCancellable  *cancellable,
                GError       **error)
{
  gboolean done = FALSE;

  if (delivery->restore_id == NULL)
    {
      /* "changes since": nothing to acknowledge */
      if (token != NULL)
        *token = g_strdup (delivery->token);
      return TRUE;
    }
  if (delivery->n_groups == 0)
    return TRUE;
  return sv_sync_client_ack_restore_group (client, delivery->restore_id, delivery->n_groups - 1,
                                           &done, token, cancellable, error);
}

static GBytes *
empty_record (const char *key,
              guint       len)
{
  guint8 *data;

  if (g_str_equal (key, "sms"))
    return sv_sms_record_new_free (len);
  data = g_malloc (MAX (len, 1));
  memset (data, 0xFF, len);
  return g_bytes_new_take (data, len);
}

static gboolean
strv_has (char       **strv,
          const char  *s)
{
  return strv != NULL && g_strv_contains ((const char * const *) strv, s);
}

/*
 * Places the delivered messages into @image's EF_SMS: after clearing it
 * (a full restore, or another card), or into free records. Adds the
 * records it sets to @records when given.
 */
static void
place_messages (SvCardImage *image,
                GPtrArray   *messages,
                gboolean     clear,
                GPtrArray   *records,
                guint       *n_written,
                guint       *n_dropped)
{
  SvCardFile *sms = sv_card_image_lookup (image, "sms");
  g_autofree gboolean *used = NULL;

  *n_written = 0;
  *n_dropped = 0;
  if (messages == NULL || messages->len == 0)
    return;
  if (sms == NULL)
    {
      *n_dropped = messages->len;
      return;
    }
  used = g_new0 (gboolean, sms->n_records + 1);

  for (guint i = 1; i <= sms->n_records; i++)
    {
      GBytes *current = sv_card_image_get_record (image, "sms", i);

      if (clear)
        {
          g_autoptr(GBytes) empty = empty_record ("sms", sms->record_len);

          sv_card_image_set_record (image, "sms", i, empty, NULL);
          if (records != NULL)
            g_ptr_array_add (records, sv_sync_record_new ("sms", i, empty, 0));
        }
      else
        used[i] = !sv_sms_record_is_free (current);
    }

  for (guint m = 0; m < messages->len; m++)
    {
      SvProtocolMessage *message = g_ptr_array_index (messages, m);
      g_autoptr(GArray) slots = g_array_new (FALSE, FALSE, sizeof (guint));
      gboolean present = FALSE;

      /* Already on the card, byte for byte: nothing to write. */
      for (guint i = 1; i <= sms->n_records && !clear && message->records->len > 0; i++)
        if (used[i] && g_bytes_equal (sv_card_image_get_record (image, "sms", i),
                                      g_ptr_array_index (message->records, 0)))
          present = TRUE;
      if (present)
        continue;

      for (guint i = 1; i <= sms->n_records && slots->len < message->records->len; i++)
        if (!used[i])
          g_array_append_val (slots, i);
      if (slots->len < message->records->len)
        {
          (*n_dropped)++;
          continue;
        }
      for (guint p = 0; p < message->records->len; p++)
        {
          guint index = g_array_index (slots, guint, p);
          GBytes *bytes = g_ptr_array_index (message->records, p);

          if (g_bytes_get_size (bytes) != sms->record_len)
            continue;
          used[index] = TRUE;
          sv_card_image_set_record (image, "sms", index, bytes, NULL);
          if (records != NULL)
            {
              /* Replace the clearing record of this index, if any. */
              for (guint r = 0; r < records->len; r++)
                {
                  SvSyncRecord *rec = g_ptr_array_index (records, r);

                  if (rec->index == index && g_str_equal (rec->key, "sms"))
                    {
                      g_ptr_array_remove_index (records, r);
                      break;
                    }
                }
              g_ptr_array_add (records, sv_sync_record_new ("sms", index, bytes, 0));
            }
        }
      (*n_written)++;
    }
}

/* ------------------------------------------------------------------ */
/* The same card                                                        */

static gboolean
restore_same_card (SvMirror                     *mirror,
                   SvSyncClient                 *client,
                   SvServerRestoreResult        *result,
                   const SvServerRestoreOptions *options,
                   SvSyncState                  *state,
                   SvProgress                   *progress,
                   GCancellable                 *cancellable,
                   GError                      **error)
{
  const char *iccid = result->target_iccid;
  g_autoptr(Delivery) delivery = NULL;
  g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_sync_record_unref);
  g_autoptr(GHashTable) index = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GPtrArray) written = NULL;
  g_autoptr(GPtrArray) conflicts = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *token = NULL;

  result->full = options->full || state->token == NULL;
  if (!result->full && !options->sms)
    delivery = fetch_changes (client, iccid, state->token, progress, cancellable, &local_error);
  else
    delivery = fetch_restore (client, iccid, result->full, state->token, options->sms, progress,
                              cancellable, &local_error);
  if (delivery == NULL &&
      g_error_matches (local_error, SV_SYNC_ERROR, SV_SYNC_ERROR_FULL_RESYNC_REQUIRED) &&
      !options->incremental)
    {
      /* The token is too old or from another epoch: everything, then. */
      g_clear_error (&local_error);
      result->full = TRUE;
      delivery = fetch_restore (client, iccid, TRUE, NULL, options->sms, progress, cancellable,
                                &local_error);
    }
  if (delivery == NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  result->records = delivery->records->len;
  result->messages = delivery->messages->len;

  /* A cleared file: every record empty, unless the server sends it. */
  for (guint c = 0; delivery->clear != NULL && delivery->clear[c] != NULL; c++)
    {
      SvCardFile *file = sv_card_image_lookup (result->before, delivery->clear[c]);

      if (file == NULL || g_str_equal (file->key, "sms"))
        continue;
      for (guint i = 1; i <= file->records->len; i++)
        {
          g_autoptr(GBytes) empty = empty_record (file->key, file->record_len);
          SvSyncRecord *r = sv_sync_record_new (file->key, i, empty, 0);

          g_hash_table_insert (index, g_strdup_printf ("%s\n%u", file->key, i), r);
          g_ptr_array_add (records, r);
        }
    }
  for (guint i = 0; i < delivery->records->len; i++)
    {
      SvProtocolRecord *pr = g_ptr_array_index (delivery->records, i);
      g_autofree char *id = g_strdup_printf ("%s\n%u", pr->file, pr->index);
      SvSyncRecord *r = sv_sync_record_new (pr->file, pr->index, pr->data, pr->version);
      SvSyncRecord *cleared = g_hash_table_lookup (index, id);

      if (cleared != NULL)
        g_ptr_array_remove (records, cleared);
      g_ptr_array_add (records, r);
    }
  if (options->sms)
    {
      g_autoptr(SvCardImage) scratch = sv_card_image_copy (result->before);

      place_messages (scratch, delivery->messages, strv_has (delivery->clear, "sms"), records,
                      &result->messages_written, &result->messages_dropped);
      /* Messages already in place need no record. */
      for (guint i = 0; i < records->len; )
        {
          SvSyncRecord *r = g_ptr_array_index (records, i);
          GBytes *now = g_str_equal (r->key, "sms")
                        ? sv_card_image_get_record (result->before, "sms", r->index) : NULL;

          if (now != NULL && g_bytes_equal (now, r->data) && r->version == 0)
            g_ptr_array_remove_index (records, i);
          else
            i++;
        }
    }

  if (!sv_mirror_sync_apply_server_records (mirror, iccid, records, options->resolve,
                                            !options->apply, &written, &conflicts, error))
    return FALSE;
  result->written = g_steal_pointer (&written);
  result->conflicts = g_steal_pointer (&conflicts);

  result->after = sv_card_image_copy (result->before);
  for (guint i = 0; i < result->written->len; i++)
    {
      SvSyncRecord *r = g_ptr_array_index (result->written, i);

      sv_card_image_set_record (result->after, r->key, r->index, r->data, NULL);
    }

  if (!options->apply)
    return TRUE;

  result->applied = TRUE;
  sv_sync_operation_crash_point ("after-restore-apply");
  if (!finish_restore (client, delivery, &token, cancellable, error))
    return FALSE;
  /* Only when every record is in the mirror does the token move on; with
   * unresolved conflicts it stays, so they come again. */
  if (token != NULL && result->conflicts->len == 0)
    {
      if (!sv_mirror_sync_set_token (mirror, iccid, token, error))
        return FALSE;
      result->token = g_steal_pointer (&token);
    }
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Another card                                                         */

static SvCardImage *
image_from_card_info (JsonNode  *info,
                      GError   **error)
{
  g_autoptr(SvProtocolCard) card = g_new0 (SvProtocolCard, 1);
  JsonObject *object = json_node_get_object (info);
  JsonArray *files = NULL;
  const char *type;

  if (json_object_has_member (object, "card") &&
      JSON_NODE_HOLDS_OBJECT (json_object_get_member (object, "card")))
    object = json_object_get_object_member (object, "card");
  if (json_object_has_member (object, "files") &&
      JSON_NODE_HOLDS_ARRAY (json_object_get_member (object, "files")))
    files = json_object_get_array_member (object, "files");
  if (files == NULL)
    {
      g_set_error_literal (error, SV_SYNC_ERROR, SV_SYNC_ERROR_BAD_RESPONSE,
                           _("The server sent a card without its file layout"));
      return NULL;
    }

  card->iccid = g_strdup (sv_protocol_get_string (object, "iccid"));
  type = sv_protocol_get_string (object, "card_type");
  card->card_type = g_strcmp0 (type, "sim") == 0 ? SV_CARD_TYPE_SIM : SV_CARD_TYPE_USIM;
  card->files = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < json_array_get_length (files); i++)
    {
      JsonNode *node = json_array_get_element (files, i);
      JsonObject *f;
      SvProtocolFile *pf;
      SvFileStructure structure = SV_FILE_STRUCTURE_LINEAR_FIXED;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      f = json_node_get_object (node);
      if (sv_protocol_get_string (f, "key") == NULL)
        continue;
      sv_file_structure_from_string (sv_protocol_get_string (f, "structure"), &structure);
      pf = g_new0 (SvProtocolFile, 1);
      /* Borrowed from @info, which outlives the image's making. */
      pf->key = (char *) sv_protocol_get_string (f, "key");
      pf->path = (char *) (sv_protocol_get_string (f, "path") ? sv_protocol_get_string (f, "path") : "");
      pf->structure = structure;
      pf->record_len = (guint) sv_protocol_get_int (f, "record_len", 0);
      pf->n_records = (guint) sv_protocol_get_int (f, "n_records", 0);
      g_ptr_array_add (card->files, pf);
    }
  {
    SvCardImage *image = sv_protocol_card_new_image (card);

    g_ptr_array_unref (g_steal_pointer (&card->files));
    return image;
  }
}

/* The account's card to restore from when none is named: the target if it
 * is backed up there, else the one not replaced by another. */
static char *
choose_source (SvSyncClient  *client,
               const char    *target,
               GCancellable  *cancellable,
               GError       **error)
{
  g_autoptr(JsonNode) answer = sv_sync_client_list_cards (client, cancellable, error);
  g_autofree char *current = NULL;
  JsonArray *cards = NULL;
  JsonObject *object;

  if (answer == NULL)
    return NULL;
  object = json_node_get_object (answer);
  if (json_object_has_member (object, "cards") &&
      JSON_NODE_HOLDS_ARRAY (json_object_get_member (object, "cards")))
    cards = json_object_get_array_member (object, "cards");
  for (guint i = 0; cards != NULL && i < json_array_get_length (cards); i++)
    {
      JsonNode *node = json_array_get_element (cards, i);
      const char *iccid;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      iccid = sv_protocol_get_string (json_node_get_object (node), "iccid");
      if (g_strcmp0 (iccid, target) == 0)
        return g_strdup (target);
      if (iccid != NULL && sv_protocol_get_string (json_node_get_object (node), "replaced_by") == NULL)
        {
          g_free (current);
          current = g_strdup (iccid);
        }
    }
  if (current == NULL)
    g_set_error_literal (error, SV_SYNC_ERROR, SV_SYNC_ERROR_NOT_FOUND,
                         _("The account has no backed-up card to restore from"));
  return g_steal_pointer (&current);
}

typedef struct
{
  SvCardImage *mapped;
  const char  *source;
} MappedEdit;

static gboolean
store_mapped_cb (SvCardImage  *working,
                 gpointer      user_data,
                 char        **detail,
                 GError      **error)
{
  MappedEdit *edit = user_data;
  g_autoptr(GPtrArray) changes = sv_card_image_diff (working, edit->mapped);

  for (guint i = 0; i < changes->len; i++)
    {
      SvRecordChange *c = g_ptr_array_index (changes, i);

      if (c->new_bytes != NULL &&
          !sv_card_image_set_record (working, c->key, c->index, c->new_bytes, error))
        return FALSE;
    }
  *detail = g_strdup_printf ("restored the backup of %s from the backup server", edit->source);
  return TRUE;
}

static gboolean
restore_other_card (SvMirror                     *mirror,
                    SvSyncClient                 *client,
                    SvServerRestoreResult        *result,
                    const SvServerRestoreOptions *options,
                    const char                   *phone,
                    SvProgress                   *progress,
                    GCancellable                 *cancellable,
                    GError                      **error)
{
  g_autoptr(JsonNode) info = NULL;
  g_autoptr(SvCardImage) source = NULL;
  g_autoptr(SvCardImage) mapped = NULL;
  g_autoptr(Delivery) delivery = NULL;
  g_autoptr(GPtrArray) changes = NULL;
  guint n_truncated = 0;

  result->full = TRUE;
  info = sv_sync_client_get_card (client, result->source_iccid, cancellable, error);
  if (info == NULL || (source = image_from_card_info (info, error)) == NULL)
    return FALSE;

  delivery = fetch_restore (client, result->source_iccid, TRUE, NULL, options->sms, progress,
                            cancellable, error);
  if (delivery == NULL)
    return FALSE;
  result->records = delivery->records->len;
  result->messages = delivery->messages->len;
  for (guint i = 0; i < delivery->records->len; i++)
    {
      SvProtocolRecord *pr = g_ptr_array_index (delivery->records, i);
      g_autoptr(GError) local_error = NULL;

      if (!sv_card_image_set_record (source, pr->file, pr->index, pr->data, &local_error))
        {
          g_set_error (error, SV_SYNC_ERROR, SV_SYNC_ERROR_BAD_RESPONSE,
                       _("The server sent a record that does not fit the backed-up card: %s"),
                       local_error->message);
          return FALSE;
        }
    }

  result->entries = sv_restore_map_preview (source, result->before, &mapped, error);
  if (result->entries == NULL)
    return FALSE;
  if (options->sms)
    place_messages (mapped, delivery->messages, TRUE, NULL, &result->messages_written,
                    &result->messages_dropped);
  result->after = g_object_ref (mapped);

  changes = sv_card_image_diff (result->before, mapped);
  result->written = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_sync_record_unref);
  for (guint i = 0; i < changes->len; i++)
    {
      SvRecordChange *c = g_ptr_array_index (changes, i);

      if (c->new_bytes != NULL)
        g_ptr_array_add (result->written, sv_sync_record_new (c->key, c->index, c->new_bytes, 0));
    }
  result->conflicts = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_sync_conflict_unref);

  if (!options->apply)
    return TRUE;

  for (guint i = 0; i < result->entries->len; i++)
    n_truncated += ((SvRestoreEntry *) g_ptr_array_index (result->entries, i))->outcome == SV_RESTORE_TRUNCATED;
  if (n_truncated > 0 && !options->accept_truncation)
    {
      g_set_error (error, SV_SYNC_ERROR, SV_SYNC_ERROR_DOES_NOT_FIT,
                   _("%u contact(s) would be shortened on the target; run again with "
                     "--accept-truncation to restore them shortened"), n_truncated);
      return FALSE;
    }

  /* A different card than the backed-up one: a card change (flow 1). */
  {
    g_autoptr(SvRegisterResult) registration =
      sv_register_operation_with_client (mirror, client, result->target_iccid, phone, NULL,
                                         cancellable, error);
    MappedEdit edit = { mapped, result->source_iccid };

    if (registration == NULL)
      return FALSE;
    result->registration = g_strdup (registration->result);
    if (!sv_mirror_edit (mirror, result->target_iccid, SV_HISTORY_RESTORE, store_mapped_cb,
                         &edit, error))
      return FALSE;
  }
  result->applied = TRUE;
  sv_sync_operation_crash_point ("after-restore-apply");
  return finish_restore (client, delivery, NULL, cancellable, error);
}

/**
 * sv_server_restore_operation_run:
 * @target_iccid: the card the backup goes onto (in the mirror: read it
 *   first)
 * @credentials: server, phone and the owner's password, or the staff form
 *   (staff name and password and the customer's restore code); server and
 *   phone default to the target's registration
 *
 * Blocking; opens its own connection to the mirror.
 *
 * Returns: (transfer full): the preview, or what was applied
 */
SvServerRestoreResult *
sv_server_restore_operation_run (const char                    *db_path,
                                 const char                    *target_iccid,
                                 const SvServerRestoreOptions  *options,
                                 const SvSyncCredentials       *credentials,
                                 SvProgress                    *progress,
                                 GCancellable                  *cancellable,
                                 GError                       **error)
{
  g_autoptr(SvMirror) mirror = NULL;
  g_autoptr(SvSyncState) state = NULL;
  g_autoptr(SvSyncClient) client = NULL;
  g_autoptr(SvServerRestoreResult) result = NULL;
  const char *server = credentials->server;
  const char *phone = credentials->phone;
  gboolean registered_here;
  gboolean ok;

  if (options->full && options->incremental)
    {
      g_set_error_literal (error, SV_SYNC_ERROR, SV_SYNC_ERROR_INVALID,
                           _("A restore is either full or incremental, not both"));
      return NULL;
    }
  if ((mirror = sv_mirror_open (db_path, error)) == NULL)
    return NULL;
  if (!sv_mirror_has_card (mirror, target_iccid))
    {
      g_set_error (error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_NOT_FOUND,
                   _("The card %s is not in the mirror; read it first"), target_iccid);
      return NULL;
    }
  state = sv_mirror_sync_get_state (mirror, target_iccid, NULL);
  if (server == NULL && state != NULL)
    server = state->server;
  if (phone == NULL && state != NULL)
    phone = state->phone;

  client = sv_sync_operation_connect (server, phone, credentials, cancellable, error);
  if (client == NULL)
    return NULL;

  result = g_atomic_rc_box_new0 (SvServerRestoreResult);
  result->target_iccid = g_strdup (target_iccid);
  result->before = sv_mirror_load_image (mirror, target_iccid, TRUE, error);
  if (result->before == NULL)
    return NULL;
  /* The card in the reader, registered by this mirror with this account
   * on this server, is its own source: no need for the account's card
   * list (every card's layout, kilobytes) to find it. Should the server
   * no longer have it (deregistered from elsewhere), the list decides, as
   * it does for any other card. */
  registered_here = options->source_iccid == NULL && state != NULL &&
                    g_strcmp0 (state->phone, phone) == 0 &&
                    g_strcmp0 (state->server, sv_sync_client_get_server_url (client)) == 0;
  if (options->source_iccid != NULL)
    result->source_iccid = g_strdup (options->source_iccid);
  else if (registered_here)
    result->source_iccid = g_strdup (target_iccid);
  else
    result->source_iccid = choose_source (client, target_iccid, cancellable, error);
  if (result->source_iccid == NULL)
    return NULL;
  result->same_card = g_str_equal (result->source_iccid, target_iccid);

  if (registered_here)
    {
      g_autoptr(GError) local_error = NULL;

      ok = restore_same_card (mirror, client, result, options, state, progress, cancellable, &local_error);
      if (!ok && !result->applied && g_error_matches (local_error, SV_SYNC_ERROR, SV_SYNC_ERROR_NOT_FOUND))
        {
          g_clear_pointer (&result->source_iccid, g_free);
          result->source_iccid = choose_source (client, target_iccid, cancellable, error);
          if (result->source_iccid == NULL)
            return NULL;
          result->same_card = g_str_equal (result->source_iccid, target_iccid);
          if (result->same_card)
            ok = restore_same_card (mirror, client, result, options, state, progress, cancellable, error);
          else
            ok = restore_other_card (mirror, client, result, options, phone, progress, cancellable, error);
        }
      else if (!ok)
        g_propagate_error (error, g_steal_pointer (&local_error));
    }
  else if (result->same_card)
    {
      /* The card's backup on an account this mirror did not register it
       * with (another PC): take the registration over, space as it is. */
      if (state == NULL || g_strcmp0 (state->phone, phone) != 0 ||
          g_strcmp0 (state->server, sv_sync_client_get_server_url (client)) != 0)
        {
          g_autoptr(JsonNode) info = sv_sync_client_get_card (client, target_iccid, cancellable, error);

          if (info == NULL ||
              !sv_mirror_sync_register (mirror, target_iccid, sv_sync_client_get_server_url (client),
                                        phone, sv_protocol_get_int (json_node_get_object (info), "counter_a", 0),
                                        sv_protocol_get_int (json_node_get_object (info), "counter_b", 0),
                                        NULL, FALSE, error))
            return NULL;
          g_clear_pointer (&state, sv_sync_state_free);
          state = sv_mirror_sync_get_state (mirror, target_iccid, error);
          if (state == NULL)
            return NULL;
        }
      ok = restore_same_card (mirror, client, result, options, state, progress, cancellable, error);
    }
  else
    ok = restore_other_card (mirror, client, result, options, phone, progress, cancellable, error);
  if (!ok)
    return NULL;

  /* A client handed in keeps its session: its owner signs out. */
  if (credentials->client == NULL)
    sv_sync_client_logout (client, cancellable, NULL);
  sv_sync_client_get_stats (client, &result->stats);
  report (progress, 1, 1, options->apply ? _("Restore stored in the mirror") : _("Restore preview ready"));
  return g_steal_pointer (&result);
}

typedef struct
{
  char                   *db_path;
  char                   *target;
  SvServerRestoreOptions  options;
  SvSyncCredentials       credentials;
  char                   *strings[SV_OPERATION_N_CREDENTIAL_STRINGS + 1]; /* + source_iccid */
  SvProgress             *progress;
} RestoreJob;

static void
restore_job_free (RestoreJob *job)
{
  g_free (job->db_path);
  g_free (job->target);
  sv_operation_strings_wipe (job->strings, G_N_ELEMENTS (job->strings));
  g_clear_object (&job->progress);
  g_clear_object (&job->credentials.client);
  g_free (job);
}

static void
restore_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  RestoreJob *job = task_data;
  GError *error = NULL;
  SvServerRestoreResult *result = sv_server_restore_operation_run (job->db_path, job->target,
                                                                   &job->options, &job->credentials,
                                                                   job->progress, cancellable, &error);

  sv_operation_task_return (task, result, (GDestroyNotify) sv_server_restore_result_unref, error);
}

void
sv_server_restore_operation_run_async (const char                    *db_path,
                                       const char                    *target_iccid,
                                       const SvServerRestoreOptions  *options,
                                       const SvSyncCredentials       *credentials,
                                       SvProgress                    *progress,
                                       GCancellable                  *cancellable,
                                       GAsyncReadyCallback            callback,
                                       gpointer                       user_data)
{
  RestoreJob *job = g_new0 (RestoreJob, 1);

  job->db_path = g_strdup (db_path);
  job->target = g_strdup (target_iccid);
  job->options = *options;
  job->options.source_iccid = job->strings[SV_OPERATION_N_CREDENTIAL_STRINGS] = g_strdup (options->source_iccid);
  sv_operation_credentials_copy (&job->credentials, job->strings, credentials);
  job->progress = progress ? g_object_ref (progress) : NULL;
  sv_operation_run_in_thread (sv_server_restore_operation_run_async, job, (GDestroyNotify) restore_job_free,
                              restore_thread, cancellable, callback, user_data);
}

SvServerRestoreResult *
sv_server_restore_operation_run_finish (GAsyncResult  *result,
                                        GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
