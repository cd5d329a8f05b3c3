/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-server"

#include "config.h"

#include <string.h>

#include "sv-card-image.h"
#include "sv-codec.h"
#include "sv-csv.h"
#include "sv-message.h"
#include "sv-phonebook.h"
#include "sv-sms-store.h"
#include "sv-vcard.h"

#include "sv-server-private.h"

/*
 * The handlers of the portal's contact edits (add, change, delete against
 * the stored version of each record, checked with the card model) and of
 * the vCard and CSV exports.
 */

/* ---- contacts (portal edits) -------------------------------------------- */

static void
add_contacts (JsonBuilder *b,
              SvCardImage *image)
{
  g_autoptr(GPtrArray) contacts = sv_phonebook_decode (image, NULL);
  guint n_sets = sv_phonebook_get_n_sets (image);
  guint first = sv_card_image_lookup (image, "pbr") != NULL ? 1 : 0;
  guint capacity = 0;

  json_builder_set_member_name (b, "contacts");
  json_builder_begin_array (b);
  for (guint i = 0; contacts != NULL && i < contacts->len; i++)
    json_builder_add_value (b, sv_protocol_contact_to_json (g_ptr_array_index (contacts, i)));
  json_builder_end_array (b);

  json_builder_set_member_name (b, "sets");
  json_builder_begin_array (b);
  /* Sets are 1..n on a USIM (one per EF_PBR record), else the one set 0. */
  for (guint set = first; set < first + n_sets; set++)
    {
      SvPhonebookLimits limits;

      if (!sv_phonebook_get_limits (image, set, &limits, NULL))
        continue;
      json_builder_begin_object (b);
      sv_handler_add_int (b, "set", limits.set);
      sv_handler_add_int (b, "n_records", limits.n_records);
      sv_handler_add_int (b, "alpha_len", limits.alpha_len);
      sv_handler_add_int (b, "n_ext1_free", limits.n_ext1_free);
      sv_handler_add_int (b, "n_anr", limits.n_anr);
      sv_handler_add_int (b, "n_email", limits.n_email);
      sv_handler_add_int (b, "email_len", limits.email_len);
      sv_handler_add_int (b, "sne_len", limits.sne_len);
      json_builder_end_object (b);
      capacity += limits.n_records;
    }
  json_builder_end_array (b);
  sv_handler_add_int (b, "capacity", capacity);
}

gboolean
handle_contacts_list (SvRequest  *request,
                      GError    **error)
{
  g_autoptr(SvStoreCard) card = sv_handler_get_card (request, NULL, error);
  g_autoptr(SvCardImage) image = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();

  if (card == NULL || (image = sv_handler_card_image_load (request, card, NULL, error)) == NULL)
    return FALSE;
  json_builder_begin_object (b);
  add_contacts (b, image);
  sv_handler_add_token (b, "token", card->epoch, card->modseq);
  json_builder_end_object (b);
  sv_handler_reply (request, 200, b);
  return TRUE;
}

static gboolean
phonebook_error (GError **error)
{
  SvProtocolError code = SV_PROTOCOL_ERROR_INVALID;
  const char *field = NULL;
  GError *converted;

  if (error == NULL || *error == NULL || (*error)->domain != SV_PHONEBOOK_ERROR)
    return FALSE;
  switch ((SvPhonebookError) (*error)->code)
    {
    case SV_PHONEBOOK_ERROR_NO_PHONEBOOK:
    case SV_PHONEBOOK_ERROR_NO_SUCH_SET:
      code = SV_PROTOCOL_ERROR_NOT_FOUND;
      field = "set";
      break;
    case SV_PHONEBOOK_ERROR_OUT_OF_RANGE:
      code = SV_PROTOCOL_ERROR_NOT_FOUND;
      field = "index";
      break;
    case SV_PHONEBOOK_ERROR_DOES_NOT_FIT:
      code = SV_PROTOCOL_ERROR_DOES_NOT_FIT;
      break;
    case SV_PHONEBOOK_ERROR_CORRUPT:
    default:
      code = SV_PROTOCOL_ERROR_INVALID;
      break;
    }
  converted = g_error_new_literal (SV_PROTOCOL_ERROR, code, (*error)->message);
  sv_protocol_error_set_field (converted, field);
  g_clear_error (error);
  *error = converted;
  return FALSE;
}

/* A record cleared on the server (a deleted contact) is not among the
 * stored records, but its tombstone has a version that the next edit of
 * that record must name as its base. Every tombstone is newer than the
 * purge floor (older ones are gone, and base 0 is right for them), so the
 * changes since the floor hold them; fetched only when an edited record
 * has no version yet. */
static gboolean
add_cleared_versions (SvRequest          *request,
                      const SvStoreCard  *card,
                      GPtrArray          *changes,
                      GHashTable         *versions,
                      GError            **error)
{
  gboolean missing = FALSE;
  gint64 epoch = card->epoch, modseq = card->purge_floor;
  gboolean more = TRUE;

  for (guint i = 0; i < changes->len && !missing; i++)
    {
      SvRecordChange *change = g_ptr_array_index (changes, i);
      g_autofree char *key = sv_handler_record_key (change->key, change->index);

      missing = !g_hash_table_contains (versions, key);
    }
  while (missing && more)
    {
      g_autoptr(SvStoreChanges) page = sv_store_changes_since (request->store, sv_handler_account_of (request),
                                                               card->iccid, epoch, modseq,
                                                               SV_PROTOCOL_MAX_CHANGES_PAGE, error);

      if (page == NULL)
        return sv_request_error_from_store (error);
      for (guint i = 0; i < page->records->len; i++)
        {
          SvStoreRecord *record = g_ptr_array_index (page->records, i);
          char *key = sv_handler_record_key (record->file, record->index);

          if (!g_hash_table_contains (versions, key))
            g_hash_table_insert (versions, key, g_memdup2 (&record->version, sizeof (gint64)));
          else
            g_free (key);
        }
      more = page->more && page->modseq > modseq;
      epoch = page->epoch;
      modseq = page->modseq;
    }
  return TRUE;
}

/* Stores the records an edit changed, each against the version it was
 * read at: a backup that landed meanwhile makes it a 409, not a lost
 * update. */
static gboolean
store_edit (SvRequest          *request,
            const SvStoreCard  *card,
            SvCardImage        *base,
            SvCardImage        *edited,
            GHashTable         *versions,
            gint64             *epoch,
            gint64             *modseq,
            guint              *n_changed,
            GError            **error)
{
  g_autoptr(GPtrArray) changes = sv_card_image_diff (base, edited);
  g_autoptr(SvStoreBackupRequest) store_request = NULL;
  g_autoptr(SvStoreBackupResult) result = NULL;
  g_autofree char *uuid = g_uuid_string_random ();
  g_autofree char *batch_id = g_strconcat ("portal-", uuid, NULL);

  *n_changed = changes->len;
  *epoch = card->epoch;
  *modseq = card->modseq;
  if (changes->len == 0)
    return TRUE;
  if (!add_cleared_versions (request, card, changes, versions, error))
    return FALSE;
  store_request = sv_store_backup_request_new (batch_id, SV_STORE_BACKUP_INCREMENTAL);
  for (guint i = 0; i < changes->len; i++)
    {
      SvRecordChange *change = g_ptr_array_index (changes, i);
      g_autofree char *key = sv_handler_record_key (change->key, change->index);
      gint64 *version = g_hash_table_lookup (versions, key);

      if (change->new_bytes == NULL)
        continue;
      sv_store_backup_request_add_record (store_request,
                                          sv_store_record_write_new (change->key, change->index, change->new_bytes,
                                                                     version ? *version : 0));
    }
  result = sv_store_backup_apply (request->store, sv_handler_account_of (request), card->iccid, store_request, error);
  if (result == NULL)
    return sv_request_error_from_store (error);
  if (result->conflicts->len > 0)
    {
      /* The store applied the rest: a concurrent change won on some
       * records. Say so; the portal reloads. */
      sv_protocol_set_error (error, SV_PROTOCOL_ERROR_CONFLICT, NULL,
                             "The backup changed while you were editing; reload and try again");
      return FALSE;
    }
  *epoch = result->epoch;
  *modseq = result->modseq;
  return TRUE;
}

typedef enum
{
  EDIT_ADD,
  EDIT_PUT,
  EDIT_DELETE,
} EditKind;

static gboolean
parse_set_index (SvRequest  *request,
                 guint      *set,
                 guint      *index,
                 GError    **error)
{
  guint64 s, i;

  if (!g_ascii_string_to_unsigned (request->params[1], 10, 0, 255, &s, NULL)
      || !g_ascii_string_to_unsigned (request->params[2], 10, 1, 65535, &i, NULL))
    {
      sv_protocol_set_error (error, SV_PROTOCOL_ERROR_NOT_FOUND, NULL, "No such contact");
      return FALSE;
    }
  *set = (guint) s;
  *index = (guint) i;
  return TRUE;
}

static gboolean
edit_contact (SvRequest  *request,
              EditKind    kind,
              GError    **error)
{
  g_autoptr(SvStoreCard) card = sv_handler_get_card (request, NULL, error);
  g_autoptr(GHashTable) versions = NULL;
  g_autoptr(SvCardImage) base = NULL;
  g_autoptr(SvCardImage) edited = NULL;
  g_autoptr(SvContact) contact = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  guint set = 0, index = 0, n_changed = 0;
  gint64 epoch = 0, modseq = 0;

  if (card == NULL || (base = sv_handler_card_image_load (request, card, &versions, error)) == NULL)
    return FALSE;
  edited = sv_card_image_copy (base);

  if (kind == EDIT_ADD)
    {
      /* The set: the body's "set", or the first phonebook of the card. */
      if ((node = sv_handler_parse_body (request, NULL, 0, error)) == NULL)
        return FALSE;
      set = sv_card_image_lookup (base, "pbr") != NULL ? 1 : 0;
      if (json_object_has_member (json_node_get_object (node), "set"))
        set = (guint) CLAMP (sv_protocol_get_int (json_node_get_object (node), "set", set), 0, 255);
      index = sv_phonebook_find_free_index (base, set);
      if (index == 0)
        {
          sv_protocol_set_error (error, SV_PROTOCOL_ERROR_DOES_NOT_FIT, "set",
                                 "The phonebook on this card is full");
          return FALSE;
        }
    }
  else if (!parse_set_index (request, &set, &index, error))
    return FALSE;

  if (kind == EDIT_DELETE)
    {
      if (!sv_phonebook_delete_contact (edited, set, index, error))
        return phonebook_error (error);
    }
  else
    {
      g_autoptr(GPtrArray) problems = NULL;

      if (node == NULL && (node = sv_handler_parse_body (request, NULL, 0, error)) == NULL)
        return FALSE;
      if ((contact = sv_protocol_contact_from_json (node, set, index, error)) == NULL)
        return FALSE;
      if (sv_contact_is_empty (contact))
        {
          sv_protocol_set_error (error, SV_PROTOCOL_ERROR_INVALID, "name", "A contact has a name or a number");
          return FALSE;
        }
      problems = sv_phonebook_check_contact (edited, contact);
      if (problems != NULL && problems->len > 0)
        {
          SvFitProblem *problem = g_ptr_array_index (problems, 0);

          sv_protocol_set_error (error, g_str_equal (problem->field, "index")
                                        ? SV_PROTOCOL_ERROR_NOT_FOUND : SV_PROTOCOL_ERROR_DOES_NOT_FIT,
                                 problem->field, "%s", problem->message);
          return FALSE;
        }
      if (!sv_phonebook_store_contact (edited, contact, error))
        return phonebook_error (error);
    }

  if (!store_edit (request, card, base, edited, versions, &epoch, &modseq, &n_changed, error))
    return FALSE;

  json_builder_begin_object (b);
  if (contact != NULL)
    {
      json_builder_set_member_name (b, "contact");
      json_builder_add_value (b, sv_protocol_contact_to_json (contact));
    }
  else
    {
      sv_handler_add_int (b, "set", set);
      sv_handler_add_int (b, "index", index);
    }
  sv_handler_add_int (b, "changed_records", n_changed);
  sv_handler_add_token (b, "token", epoch, modseq);
  json_builder_end_object (b);
  sv_handler_reply (request, kind == EDIT_ADD ? 201 : 200, b);
  return TRUE;
}

gboolean
handle_contact_add (SvRequest  *request,
                    GError    **error)
{
  return edit_contact (request, EDIT_ADD, error);
}

gboolean
handle_contact_put (SvRequest  *request,
                    GError    **error)
{
  return edit_contact (request, EDIT_PUT, error);
}

gboolean
handle_contact_delete (SvRequest  *request,
                       GError    **error)
{
  return edit_contact (request, EDIT_DELETE, error);
}

static gboolean
export_contacts (SvRequest  *request,
                 gboolean    vcard,
                 GError    **error)
{
  g_autoptr(SvStoreCard) card = sv_handler_get_card (request, NULL, error);
  g_autoptr(SvCardImage) image = NULL;
  g_autoptr(GPtrArray) contacts = NULL;
  g_autofree char *disposition = NULL;
  char *text;

  if (card == NULL || (image = sv_handler_card_image_load (request, card, NULL, error)) == NULL)
    return FALSE;
  contacts = sv_phonebook_decode (image, NULL);
  if (contacts == NULL)
    contacts = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_contact_unref);
  text = vcard ? sv_vcard_export (contacts, SV_VCARD_VERSION_3_0, card->iccid) : sv_csv_export (contacts);
  request->status = 200;
  request->response_type = g_strdup (vcard ? "text/vcard; charset=utf-8" : "text/csv; charset=utf-8");
  request->response = g_bytes_new_take (text, strlen (text));
  disposition = g_strdup_printf ("attachment; filename=\"contacts-%s.%s\"", card->iccid, vcard ? "vcf" : "csv");
  sv_request_add_header (request, "Content-Disposition", disposition);
  return TRUE;
}

gboolean
handle_export_vcf (SvRequest  *request,
                   GError    **error)
{
  return export_contacts (request, TRUE, error);
}

gboolean
handle_export_csv (SvRequest  *request,
                   GError    **error)
{
  return export_contacts (request, FALSE, error);
}
