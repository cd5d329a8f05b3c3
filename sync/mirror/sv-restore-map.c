/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Restoring one card's phonebook onto another card with other capacities:
 * a preview first, computed on a copy of the target image with the
 * phonebook model's own checks, then (after confirmation) the same mapping
 * applied to the target's mirror as one undoable edit.
 *
 * Each source contact keeps its record index when the target has it, else
 * takes the next free record. A name too long for the target's alpha field
 * is shortened character by character until it fits (TRUNCATED, with the
 * cut named); additional numbers, e-mails and second names the target
 * cannot hold are dropped (TRUNCATED); a contact with no free record or a
 * number that cannot fit is an OVERFLOW. A name stored in another alpha
 * coding than on the source (e.g. UCS2 0x80 -> 0x81) is REENCODED.
 */
#define G_LOG_DOMAIN "sv-restore-map"

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "sv-alpha.h"
#include "sv-phonebook.h"
#include "sv-restore-map.h"

const char *
sv_restore_outcome_to_string (SvRestoreOutcome outcome)
{
  switch (outcome)
    {
    case SV_RESTORE_FITS: return "fits";
    case SV_RESTORE_REENCODED: return "re-encoded";
    case SV_RESTORE_TRUNCATED: return "truncated";
    case SV_RESTORE_OVERFLOW: return "overflow";
    default: return "unknown";
    }
}

void
sv_restore_entry_free (SvRestoreEntry *entry)
{
  if (entry == NULL)
    return;
  g_clear_pointer (&entry->source, sv_contact_unref);
  g_clear_pointer (&entry->target, sv_contact_unref);
  g_free (entry->message);
  g_free (entry);
}

static char *
adn_key (guint set)
{
  return set == 0 ? g_strdup ("adn") : g_strdup_printf ("pb%u/adn", set);
}

/* The alpha coding a stored name uses (TS 51.011 Annex B). */
static gboolean
name_scheme (SvCardImage   *image,
             guint          set,
             guint          index,
             SvAlphaScheme *scheme)
{
  g_autofree char *key = adn_key (set);
  GBytes *rec = sv_card_image_get_record (image, key, index);
  g_autofree char *text = NULL;
  gsize len;
  const guint8 *data;

  if (rec == NULL)
    return FALSE;
  data = g_bytes_get_data (rec, &len);
  if (len <= 14)
    return FALSE;
  text = sv_alpha_decode (data, len - 14, scheme, NULL);
  return text != NULL && *text != '\0';
}

static gboolean
only_fields (GPtrArray  *problems,
             const char *prefix)
{
  for (guint i = 0; i < problems->len; i++)
    {
      const SvFitProblem *p = g_ptr_array_index (problems, i);
      if (!g_str_has_prefix (p->field, prefix))
        return FALSE;
    }
  return TRUE;
}

static gboolean
has_field (GPtrArray  *problems,
           const char *prefix)
{
  for (guint i = 0; i < problems->len; i++)
    if (g_str_has_prefix (((SvFitProblem *) g_ptr_array_index (problems, i))->field, prefix))
      return TRUE;
  return FALSE;
}

static SvRestoreEntry *
map_one (SvCardImage     *work,
         SvCardImage     *source,
         const SvContact *contact,
         guint            set)
{
  SvRestoreEntry *entry = g_new0 (SvRestoreEntry, 1);
  g_autoptr(SvContact) candidate = NULL;
  g_autoptr(GPtrArray) problems = NULL;
  g_autoptr(GString) notes = g_string_new (NULL);
  g_autofree char *key = adn_key (set);
  SvCardFile *adn = sv_card_image_lookup (work, key);
  guint index = sv_contact_get_index (contact);
  g_autoptr(SvContact) at_index = NULL;
  gboolean truncated = FALSE;
  SvAlphaScheme before, after;

  entry->source = sv_contact_ref ((SvContact *) contact);

  /* Same record index when the target has it free, else the next free. */
  if (adn == NULL || index > adn->n_records)
    index = 0;
  if (index != 0)
    {
      GBytes *rec = sv_card_image_get_record (work, key, index);
      gsize len;
      const guint8 *d = g_bytes_get_data (rec, &len);

      for (gsize i = 0; i < len; i++)
        if (d[i] != 0xFF)
          {
            index = 0;
            break;
          }
    }
  if (index == 0)
    index = sv_phonebook_find_free_index (work, set);
  if (index == 0)
    {
      entry->outcome = SV_RESTORE_OVERFLOW;
      entry->message = g_strdup_printf (_("no free record: the target phonebook has %u records"),
                                        adn ? adn->n_records : 0);
      return entry;
    }
  if (index != sv_contact_get_index (contact))
    {
      g_string_append_printf (notes, _("moved from record %u to %u"), sv_contact_get_index (contact), index);
      g_string_append (notes, "; ");
    }

  candidate = sv_contact_copy_at (contact, set, index);
  problems = sv_phonebook_check_contact (work, candidate);

  /* Drop what the target has no room for. */
  if (problems->len > 0 && (has_field (problems, "additional_numbers") ||
                            has_field (problems, "emails") || has_field (problems, "second_name")))
    {
      const char *name = sv_contact_get_name (candidate);
      const char *number = sv_contact_get_number (candidate);
      g_autoptr(SvContact) slim = sv_contact_new (set, index, name, number, NULL, NULL, NULL);

      g_string_append (notes, _("additional numbers, e-mails and second name dropped (no room on the target)"));
      g_string_append (notes, "; ");
      g_clear_pointer (&candidate, sv_contact_unref);
      candidate = g_steal_pointer (&slim);
      g_ptr_array_unref (problems);
      problems = sv_phonebook_check_contact (work, candidate);
      truncated = TRUE;
    }

  /* Shorten the name, character by character. */
  if (problems->len > 0 && only_fields (problems, "name"))
    {
      const char *name = sv_contact_get_name (candidate);
      glong n_chars = g_utf8_strlen (name, -1);

      for (glong keep = n_chars - 1; keep >= 1 && problems->len > 0; keep--)
        {
          g_autofree char *shorter = g_utf8_substring (name, 0, keep);
          g_autoptr(SvContact) next = sv_contact_new (set, index, shorter, sv_contact_get_number (candidate),
                                                      sv_contact_get_additional_numbers (candidate),
                                                      sv_contact_get_emails (candidate),
                                                      sv_contact_get_second_name (candidate));
          g_autoptr(GPtrArray) again = sv_phonebook_check_contact (work, next);

          if (again->len == 0)
            {
              g_string_append_printf (notes, _("name “%s” shortened to “%s” (%ld character(s) cut)"),
                                      name, shorter, n_chars - keep);
              g_string_append (notes, "; ");
              g_clear_pointer (&candidate, sv_contact_unref);
              candidate = g_steal_pointer (&next);
              g_ptr_array_set_size (problems, 0);
              truncated = TRUE;
            }
        }
    }

  if (problems->len > 0)
    {
      entry->outcome = SV_RESTORE_OVERFLOW;
      for (guint i = 0; i < problems->len; i++)
        {
          const SvFitProblem *p = g_ptr_array_index (problems, i);
          g_string_append_printf (notes, "%s: %s; ", p->field, p->message);
        }
      g_string_truncate (notes, notes->len >= 2 ? notes->len - 2 : 0);
      entry->message = g_string_free (g_steal_pointer (&notes), FALSE);
      return entry;
    }

  {
    g_autoptr(GError) error = NULL;

    if (!sv_phonebook_store_contact (work, candidate, &error))
      {
        entry->outcome = SV_RESTORE_OVERFLOW;
        entry->message = g_strdup (error->message);
        return entry;
      }
  }

  entry->target = g_steal_pointer (&candidate);
  entry->outcome = truncated ? SV_RESTORE_TRUNCATED : SV_RESTORE_FITS;
  if (name_scheme (source, sv_contact_get_set (contact), sv_contact_get_index (contact), &before) &&
      name_scheme (work, set, index, &after) && before != after)
    {
      g_string_append_printf (notes, _("name re-encoded from %s to %s"),
                              sv_alpha_scheme_to_string (before), sv_alpha_scheme_to_string (after));
      g_string_append (notes, "; ");
      if (!truncated)
        entry->outcome = SV_RESTORE_REENCODED;
    }
  at_index = NULL;
  g_string_truncate (notes, notes->len >= 2 ? notes->len - 2 : 0);
  entry->message = notes->len ? g_string_free (g_steal_pointer (&notes), FALSE) : g_strdup (_("fits as is"));
  return entry;
}

/**
 * sv_restore_map_preview:
 * @source: the image whose phonebook is restored
 * @target: the card it goes onto (not changed)
 * @result: (out) (optional): the target image with the mapping applied
 *
 * Maps every contact of @source onto @target's phonebook, which it
 * replaces (a full restore clears the target's phonebook first).
 *
 * Returns: (transfer container) (element-type SvRestoreEntry): one entry
 *   per source contact, in source order
 */
GPtrArray *
sv_restore_map_preview (SvCardImage  *source,
                        SvCardImage  *target,
                        SvCardImage **result,
                        GError      **error)
{
  g_autoptr(GPtrArray) contacts = NULL;
  g_autoptr(GPtrArray) existing = NULL;
  g_autoptr(SvCardImage) work = NULL;
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_restore_entry_free);
  guint set;

  contacts = sv_phonebook_decode (source, error);
  if (contacts == NULL)
    return NULL;
  work = sv_card_image_copy (target);
  if (sv_phonebook_get_n_sets (work) == 0)
    {
      g_set_error_literal (error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_DOES_NOT_FIT,
                           _("The target card has no phonebook"));
      return NULL;
    }
  set = sv_card_image_lookup (work, "pbr") != NULL ? 1 : 0;

  existing = sv_phonebook_decode (work, error);
  if (existing == NULL)
    return NULL;
  for (guint i = 0; i < existing->len; i++)
    {
      const SvContact *c = g_ptr_array_index (existing, i);

      if (!sv_phonebook_delete_contact (work, sv_contact_get_set (c), sv_contact_get_index (c), error))
        return NULL;
    }

  for (guint i = 0; i < contacts->len; i++)
    g_ptr_array_add (entries, map_one (work, source, g_ptr_array_index (contacts, i), set));

  if (result != NULL)
    *result = g_steal_pointer (&work);
  return g_steal_pointer (&entries);
}

GPtrArray *
sv_mirror_restore_preview (SvMirror    *self,
                           const char  *source_iccid,
                           const char  *target_iccid,
                           GError     **error)
{
  g_autoptr(SvCardImage) source = sv_mirror_load_image (self, source_iccid, TRUE, error);
  g_autoptr(SvCardImage) target = NULL;

  if (source == NULL)
    return NULL;
  target = sv_mirror_load_image (self, target_iccid, TRUE, error);
  if (target == NULL)
    return NULL;
  return sv_restore_map_preview (source, target, NULL, error);
}

typedef struct
{
  SvCardImage *source;
  gboolean     accept_truncation;
  GPtrArray   *entries;
  const char  *source_iccid;
} RestoreData;

static gboolean
restore_cb (SvCardImage  *working,
            gpointer      user_data,
            char        **detail,
            GError      **error)
{
  RestoreData *data = user_data;
  g_autoptr(SvCardImage) mapped = NULL;
  g_autoptr(GPtrArray) changes = NULL;
  guint n_stored = 0, n_truncated = 0, n_overflow = 0;

  data->entries = sv_restore_map_preview (data->source, working, &mapped, error);
  if (data->entries == NULL)
    return FALSE;
  for (guint i = 0; i < data->entries->len; i++)
    {
      SvRestoreEntry *e = g_ptr_array_index (data->entries, i);

      n_stored += e->target != NULL;
      n_truncated += e->outcome == SV_RESTORE_TRUNCATED;
      n_overflow += e->outcome == SV_RESTORE_OVERFLOW;
    }
  if (n_truncated > 0 && !data->accept_truncation)
    {
      g_set_error (error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_DOES_NOT_FIT,
                   _("%u contact(s) would be shortened on the target; confirm the truncation to restore"),
                   n_truncated);
      return FALSE;
    }

  changes = sv_card_image_diff (working, mapped);
  for (guint i = 0; i < changes->len; i++)
    {
      SvRecordChange *c = g_ptr_array_index (changes, i);

      if (c->new_bytes != NULL &&
          !sv_card_image_set_record (working, c->key, c->index, c->new_bytes, error))
        return FALSE;
    }
  *detail = g_strdup_printf ("restored %u contacts from %s (%u shortened, %u did not fit)",
                             n_stored, data->source_iccid, n_truncated, n_overflow);
  return TRUE;
}

/**
 * sv_mirror_restore_apply:
 * @accept_truncation: the user confirmed the shortened entries of the
 *   preview; without it a mapping that truncates fails and stores nothing
 * @entries: (out) (optional) (element-type SvRestoreEntry): the mapping
 *
 * Replaces the target card's phonebook in its mirror with the source's,
 * mapped (see sv_restore_map_preview()): one undoable edit, written to the
 * card by the next `write`.
 */
gboolean
sv_mirror_restore_apply (SvMirror    *self,
                         const char  *source_iccid,
                         const char  *target_iccid,
                         gboolean     accept_truncation,
                         GPtrArray  **entries,
                         GError     **error)
{
  RestoreData data = { NULL, accept_truncation, NULL, source_iccid };
  gboolean ok;

  data.source = sv_mirror_load_image (self, source_iccid, TRUE, error);
  if (data.source == NULL)
    return FALSE;
  ok = sv_mirror_edit (self, target_iccid, SV_HISTORY_RESTORE, restore_cb, &data, error);
  g_object_unref (data.source);
  if (entries != NULL && data.entries != NULL)
    *entries = g_ptr_array_ref (data.entries);
  g_clear_pointer (&data.entries, g_ptr_array_unref);
  return ok;
}
