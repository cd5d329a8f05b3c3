/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The phonebook model, editing: what of a contact does not fit a card
 * (sv_phonebook_check_contact()), storing and deleting with the fewest
 * record changes. See sv-phonebook-private.h for how the model is split.
 */
#define G_LOG_DOMAIN "sv-phonebook"

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "sv-alpha.h"

#include "sv-phonebook-private.h"

void
sv_fit_problem_free (SvFitProblem *problem)
{
  if (problem == NULL)
    return;

  g_free (problem->field);
  g_free (problem->message);
  g_free (problem);
}

static void
add_problem (GPtrArray  *problems,
             const char *field,
             gint        excess,
             const char *format,
             ...) G_GNUC_PRINTF (4, 5);

static void
add_problem (GPtrArray  *problems,
             const char *field,
             gint        excess,
             const char *format,
             ...)
{
  SvFitProblem *problem = g_new0 (SvFitProblem, 1);
  va_list args;

  va_start (args, format);
  problem->message = g_strdup_vprintf (format, args);
  va_end (args);
  problem->field = g_strdup (field);
  problem->excess = excess;
  g_ptr_array_add (problems, problem);
}

/* Validation */

/* The EF_EXT1 records the entry at @index owns now (ADN and ANR chains). */
static GArray *
owned_ext1_records (SvCardImage     *image,
                    const SetLayout *layout,
                    guint            index)
{
  GArray *chain = g_array_new (FALSE, FALSE, sizeof (guint8));
  SvAdnRecord adn;

  if (layout->ext1_key == NULL)
    return chain;

  if (sv_pb_decode_adn (image, layout->adn_key, index, &adn))
    g_free (sv_pb_join_number (image, layout->ext1_key, &adn, chain));
  sv_adn_record_clear (&adn);

  for (guint i = 0; i < layout->anr->len; i++)
    g_free (sv_pb_decode_linked (image, layout, g_ptr_array_index (layout->anr, i), index, chain));

  return chain;
}

static void
check_alpha (GPtrArray  *problems,
             const char *field,
             const char *label,
             const char *text,
             gsize       field_len)
{
  SvAlphaFit fit;

  if (!g_utf8_validate (text, -1, NULL))
    {
      add_problem (problems, field, 0, _("The %s is not valid UTF-8 text"), label);
      return;
    }

  sv_alpha_measure (text, field_len, &fit);
  if (fit.fits)
    return;

  if (fit.n_bytes == 0 && fit.n_chars > 0)
    add_problem (problems, field, 0,
                 _("The %s contains a character no SIM text coding can hold"), label);
  else
    add_problem (problems, field, fit.n_chars - fit.n_chars_fit,
                 _("The %s is %u character(s) too long for this card: %u of %u fit in %zu "
                   "bytes (coding %s needs %zu bytes)"),
                 label, fit.n_chars - fit.n_chars_fit, fit.n_chars_fit, fit.n_chars,
                 field_len, sv_alpha_scheme_to_string (fit.scheme), fit.n_bytes);
}

/* Checks a number's characters and its length against @ext1_available,
 * which it decreases by what the number uses. */
static void
check_number (GPtrArray  *problems,
              const char *field,
              const char *label,
              const char *number,
              gboolean    has_ext1,
              guint      *ext1_available)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *normalized = NULL;
  guint n_digits = 0;
  guint needed;

  normalized = sv_pb_normalize_number (number, &n_digits, &error);
  if (normalized == NULL)
    {
      add_problem (problems, field, 0,
                   _("The %s cannot be stored: %s (allowed: digits, * # p w and one +)"),
                   label, error->message);
      return;
    }

  needed = sv_pb_ext1_records_needed (n_digits);
  if (needed <= *ext1_available)
    {
      *ext1_available -= needed;
      return;
    }

  {
    guint max_digits = DIGITS_PER_REC * (1 + *ext1_available);

    if (!has_ext1)
      add_problem (problems, field, n_digits - max_digits,
                   _("The %s has %u digits; this card holds at most %u (it has no EF_EXT1): %u too many"),
                   label, n_digits, max_digits, n_digits - max_digits);
    else
      add_problem (problems, field, n_digits - max_digits,
                   _("The %s has %u digits; with %u free extension record(s) this card holds at most %u: %u too many"),
                   label, n_digits, *ext1_available, max_digits, n_digits - max_digits);
    *ext1_available = 0;
  }
}

/**
 * sv_phonebook_check_contact:
 * @image: a card image
 * @contact: a contact placed at a set and index
 *
 * Everything of @contact that does not fit at its set and index: the name
 * (measured in the most compact alpha coding, so a name that only fits as
 * UCS2 0x81 is fine), the number (20 digits in EF_ADN plus 20 per EF_EXT1
 * record that is free or already owned by this entry), invalid number
 * characters, more additional numbers or e-mails than the set has files,
 * e-mail or second name too long, no free record in a type 2 file, set or
 * index out of range.
 *
 * Returns: (transfer container) (element-type SvFitProblem): the problems;
 *   empty when the contact fits
 */
GPtrArray *
sv_phonebook_check_contact (SvCardImage     *image,
                            const SvContact *contact)
{
  g_autoptr(GPtrArray) problems = NULL;
  g_autoptr(SetLayout) layout = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) owned = NULL;
  const char * const *anrs, * const *emails;
  guint set, index, n_records, alpha_len, ext1_available;

  g_return_val_if_fail (SV_IS_CARD_IMAGE (image), NULL);
  g_return_val_if_fail (contact != NULL, NULL);

  problems = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_fit_problem_free);
  set = sv_contact_get_set (contact);
  index = sv_contact_get_index (contact);

  layout = sv_pb_load_layout (image, set, &error);
  if (layout == NULL)
    {
      add_problem (problems, "index", 0, "%s", error->message);
      return g_steal_pointer (&problems);
    }

  n_records = sv_pb_file_n_records (image, layout->adn_key);
  if (index < 1 || index > n_records)
    {
      add_problem (problems, "index", 0,
                   _("Record %u does not exist: phonebook set %u has records 1 to %u"),
                   index, set, n_records);
      return g_steal_pointer (&problems);
    }

  alpha_len = sv_pb_file_record_len (image, layout->adn_key) - SV_ADN_FOOTER_LEN;
  check_alpha (problems, "name", C_("phonebook field", "name"), sv_contact_get_name (contact), alpha_len);

  owned = owned_ext1_records (image, layout, index);
  ext1_available = sv_pb_count_free_ext1 (image, layout->ext1_key) + owned->len;
  check_number (problems, "number", C_("phonebook field", "number"), sv_contact_get_number (contact),
                layout->ext1_key != NULL, &ext1_available);

  anrs = sv_contact_get_additional_numbers (contact);
  for (guint i = 0; anrs[i] != NULL; i++)
    {
      g_autofree char *field = g_strdup_printf ("additional_numbers[%u]", i);
      g_autofree char *label = g_strdup_printf (C_("phonebook field", "additional number %u"), i + 1);

      if (i >= layout->anr->len)
        {
          guint n = g_strv_length ((char **) anrs);

          add_problem (problems, field, n - layout->anr->len,
                       _("This phonebook holds %u additional number(s) per contact; %u too many"),
                       layout->anr->len, n - layout->anr->len);
          break;
        }
      if (!sv_pb_linked_has_room (image, layout, g_ptr_array_index (layout->anr, i), index))
        add_problem (problems, field, 0, _("EF_ANR %u has no free record for the %s"), i + 1, label);
      check_number (problems, field, label, anrs[i], layout->ext1_key != NULL, &ext1_available);
    }

  emails = sv_contact_get_emails (contact);
  for (guint i = 0; emails[i] != NULL; i++)
    {
      g_autofree char *field = g_strdup_printf ("emails[%u]", i);
      g_autofree char *label = g_strdup_printf (C_("phonebook field", "e-mail address %u"), i + 1);
      LinkedFile *linked;

      if (i >= layout->email->len)
        {
          guint n = g_strv_length ((char **) emails);

          add_problem (problems, field, n - layout->email->len,
                       _("This phonebook holds %u e-mail address(es) per contact; %u too many"),
                       layout->email->len, n - layout->email->len);
          break;
        }
      linked = g_ptr_array_index (layout->email, i);
      if (!sv_pb_linked_has_room (image, layout, linked, index))
        add_problem (problems, field, 0, _("EF_EMAIL %u has no free record for the %s"), i + 1, label);
      check_alpha (problems, field, label, emails[i], sv_pb_linked_field_len (image, linked));
    }

  if (sv_contact_get_second_name (contact)[0] != '\0')
    {
      if (layout->sne->len == 0)
        add_problem (problems, "second_name", 0, _("This phonebook has no room for a second name"));
      else
        {
          LinkedFile *linked = g_ptr_array_index (layout->sne, 0);

          if (!sv_pb_linked_has_room (image, layout, linked, index))
            add_problem (problems, "second_name", 0, _("EF_SNE has no free record for the second name"));
          check_alpha (problems, "second_name", C_("phonebook field", "second name"),
                       sv_contact_get_second_name (contact), sv_pb_linked_field_len (image, linked));
        }
    }

  return g_steal_pointer (&problems);
}

/* Storing */

static void
free_pool (Ext1Alloc *alloc)
{
  /* TS 31.102 §4.4.2.4: record type '00' = free; the rest erased */
  for (guint i = 0; i < alloc->pool->len; i++)
    sv_pb_put_filled (alloc->image, alloc->ext1_key, g_array_index (alloc->pool, guint8, i), 0x00, 0xFF);
  g_array_set_size (alloc->pool, 0);
}

static gboolean
problems_to_error (GPtrArray  *problems,
                   GError    **error)
{
  g_autoptr(GString) text = NULL;

  if (problems->len == 0)
    return TRUE;

  text = g_string_new (NULL);
  for (guint i = 0; i < problems->len; i++)
    {
      SvFitProblem *problem = g_ptr_array_index (problems, i);

      if (i > 0)
        g_string_append (text, "; ");
      g_string_append (text, problem->message);
    }
  g_set_error_literal (error, SV_PHONEBOOK_ERROR,
                       g_str_equal (((SvFitProblem *) g_ptr_array_index (problems, 0))->field, "index") ?
                       SV_PHONEBOOK_ERROR_OUT_OF_RANGE : SV_PHONEBOOK_ERROR_DOES_NOT_FIT,
                       text->str);
  return FALSE;
}

/**
 * sv_phonebook_store_contact:
 * @image: the image to change
 * @contact: the contact, placed at its set and index
 * @error: return location for a #SV_PHONEBOOK_ERROR
 *
 * Writes @contact into @image, changing the fewest records: the EF_ADN
 * record; EF_EXT1 records only when the number changes (the entry's old
 * chain records are reused first, then free ones in ascending order, and
 * the ones left over are freed); linked files (ANR, EMAIL, SNE) only when
 * their value changes, allocating or freeing type 2 records and their
 * EF_IAP byte; on a USIM set also EF_PBC, EF_UID/EF_PUID and EF_CC as a
 * handset would (see sv_pb_usim_entry_changed()). Fields beyond the model (CCP,
 * AAS id, hidden flag) keep their bytes. Storing an empty contact deletes.
 * Nothing is written when the contact does not fit
 * (sv_phonebook_check_contact() says why).
 *
 * Returns: %TRUE on success
 */
gboolean
sv_phonebook_store_contact (SvCardImage      *image,
                            const SvContact  *contact,
                            GError          **error)
{
  g_autoptr(GPtrArray) problems = NULL;
  g_autoptr(SetLayout) layout = NULL;
  g_autoptr(GArray) pool = NULL;
  g_autofree guint8 *old = NULL;
  g_autofree guint8 *adn = NULL;
  Ext1Alloc alloc;
  gsize len, alpha_len;
  guint index, set;
  gboolean number_differs;
  const char * const *anrs, * const *emails;
  g_autoptr(GError) alpha_error = NULL;
  g_autoptr(SvContact) before = NULL;
  g_autoptr(SvContact) resolved = NULL;
  g_autofree int *anr_changed = NULL;
  g_autoptr(GArray) old_chain = NULL;
  g_autofree char *old_number = NULL;
  SvAdnRecord old_adn;
  guint8 ccp = 0xFF;
  guint8 ton_npi;
  guint n_anrs;

  g_return_val_if_fail (SV_IS_CARD_IMAGE (image), FALSE);
  g_return_val_if_fail (contact != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  set = sv_contact_get_set (contact);
  index = sv_contact_get_index (contact);

  if (sv_contact_is_empty (contact))
    return sv_phonebook_delete_contact (image, set, index, error);

  problems = sv_phonebook_check_contact (image, contact);
  if (!problems_to_error (problems, error))
    return FALSE;

  layout = sv_pb_load_layout (image, set, error);
  if (layout == NULL)
    return FALSE;

  /* A contact that does not say which TON/NPI its number has keeps the
   * card's when the number is the one the card holds (an edit of the
   * name leaves a national number national, TS 24.008 §10.5.4.7). */
  before = sv_pb_decode_contact (image, layout, index);
  if (before != NULL && sv_contact_get_ton_npi (contact) == 0 &&
      sv_contact_get_ton_npi (before) != 0)
    {
      g_autofree char *normalized = sv_pb_normalize_number (sv_contact_get_number (contact), NULL, NULL);

      if (normalized != NULL && g_str_equal (normalized, sv_contact_get_number (before)))
        contact = resolved = sv_contact_copy_with_ton_npi (contact, sv_contact_get_ton_npi (before));
    }

  /* Nothing to do when the card already holds exactly this contact: no
   * PBC/CC change either. */
  if (before != NULL && sv_contact_equal (before, contact))
    return TRUE;

  /* the one failure sv_pb_usim_entry_changed() can have: check it before any
   * record is written */
  if (layout->uid_key && sv_card_image_lookup (image, layout->uid_key) &&
      (sv_pb_read_uid (image, layout->uid_key, index) == 0 ||
       sv_pb_read_uid (image, layout->uid_key, index) == 0xFFFF) &&
      sv_pb_read_uid (image, "puid", 1) == 0xFFFF)
    return sv_pb_usim_entry_changed (image, layout, index, FALSE, error);

  pool = g_array_new (FALSE, FALSE, sizeof (guint8));
  alloc.image = image;
  alloc.ext1_key = layout->ext1_key;
  alloc.pool = pool;

  old = sv_pb_dup_record (image, layout->adn_key, index, &len);
  alpha_len = len - SV_ADN_FOOTER_LEN;
  adn = g_memdup2 (old, len);

  /* TS 51.011 §10.5.1: alpha in the most compact coding that fits; an
   * unchanged name keeps its bytes */
  if ((before == NULL || !g_str_equal (sv_contact_get_name (before), sv_contact_get_name (contact))) &&
      !sv_alpha_encode (sv_contact_get_name (contact), adn, alpha_len, NULL, &alpha_error))
    {
      g_set_error (error, SV_PHONEBOOK_ERROR, SV_PHONEBOOK_ERROR_DOES_NOT_FIT,
                   _("The name does not fit: %s"), alpha_error->message);
      return FALSE;
    }

  /* First give every changed number's old chain to the pool, then encode,
   * so records move between the ADN and ANR chains of one entry. */
  old_chain = g_array_new (FALSE, FALSE, sizeof (guint8));
  if (sv_pb_decode_adn (image, layout->adn_key, index, &old_adn))
    {
      old_number = sv_pb_join_number (image, layout->ext1_key, &old_adn, old_chain);
      ccp = old_adn.ccp;
    }
  sv_adn_record_clear (&old_adn);
  number_differs = sv_pb_number_changed (old_number, old_chain, sv_contact_get_number (contact), pool);
  ton_npi = sv_contact_get_effective_ton_npi (contact);

  anrs = sv_contact_get_additional_numbers (contact);
  emails = sv_contact_get_emails (contact);
  n_anrs = g_strv_length ((char **) anrs);

  /* ...and the old chains of changed additional numbers */
  anr_changed = g_new0 (int, layout->anr->len + 1);
  for (guint i = 0; i < layout->anr->len; i++)
    {
      LinkedFile *linked = g_ptr_array_index (layout->anr, i);

      if (sv_pb_linked_record (image, layout, linked, index) == 0)
        anr_changed[i] = -1;
      else
        anr_changed[i] = sv_pb_anr_number_changed (image, layout, linked, index,
                                             i < n_anrs ? anrs[i] : "", pool);
    }

  if (number_differs &&
      !sv_pb_encode_number_footer (&alloc, adn + alpha_len, sv_contact_get_number (contact), ton_npi, ccp, error))
    return FALSE;
  /* the same digits with another TON/NPI: only that byte changes */
  if (!number_differs && sv_contact_get_number (contact)[0] != '\0')
    adn[alpha_len + 1] = ton_npi;
  sv_pb_put_record (image, layout->adn_key, index, adn, len);

  for (guint i = 0; i < layout->anr->len; i++)
    if (!sv_pb_store_linked (image, layout, g_ptr_array_index (layout->anr, i), &alloc, index,
                       i < n_anrs ? anrs[i] : "", anr_changed[i], error))
      return FALSE;
  {
    guint n_emails = g_strv_length ((char **) emails);

    for (guint i = 0; i < layout->email->len; i++)
      if (!sv_pb_store_linked (image, layout, g_ptr_array_index (layout->email, i), &alloc, index,
                         i < n_emails ? emails[i] : "", -1, error))
        return FALSE;
  }
  if (layout->sne->len > 0 &&
      !sv_pb_store_linked (image, layout, g_ptr_array_index (layout->sne, 0), &alloc, index,
                     sv_contact_get_second_name (contact), -1, error))
    return FALSE;

  if (layout->ext1_key)
    free_pool (&alloc);

  return sv_pb_usim_entry_changed (image, layout, index, FALSE, error);
}

/**
 * sv_phonebook_delete_contact:
 * @image: the image to change
 * @set: the phonebook set
 * @index: the EF_ADN record number
 * @error: return location for a #SV_PHONEBOOK_ERROR
 *
 * Erases the entry: the EF_ADN record becomes all 'FF', its EF_EXT1 chain
 * records are freed, its type 1 linked records erased, its type 2 linked
 * records erased with their EF_IAP bytes set to 'FF'; on a USIM set
 * EF_PBC, EF_UID and EF_CC change as on a handset. Deleting an empty
 * record changes nothing.
 *
 * Returns: %TRUE on success, %FALSE if @set or @index does not exist
 */
gboolean
sv_phonebook_delete_contact (SvCardImage  *image,
                             guint         set,
                             guint         index,
                             GError      **error)
{
  g_autoptr(SetLayout) layout = NULL;
  g_autoptr(SvContact) before = NULL;
  g_autoptr(GArray) pool = NULL;
  Ext1Alloc alloc;
  g_autofree guint8 *old = NULL;
  gsize len;
  guint n_records;

  g_return_val_if_fail (SV_IS_CARD_IMAGE (image), FALSE);

  layout = sv_pb_load_layout (image, set, error);
  if (layout == NULL)
    return FALSE;

  n_records = sv_pb_file_n_records (image, layout->adn_key);
  if (index < 1 || index > n_records)
    {
      g_set_error (error, SV_PHONEBOOK_ERROR, SV_PHONEBOOK_ERROR_OUT_OF_RANGE,
                   _("Record %u does not exist: phonebook set %u has records 1 to %u"),
                   index, set, n_records);
      return FALSE;
    }

  before = sv_pb_decode_contact (image, layout, index);
  if (before == NULL)
    return TRUE;

  pool = owned_ext1_records (image, layout, index);
  alloc.image = image;
  alloc.ext1_key = layout->ext1_key;
  alloc.pool = g_array_new (FALSE, FALSE, sizeof (guint8));

  /* linked files first: they find their records through the ADN index */
  for (guint i = 0; i < layout->anr->len; i++)
    sv_pb_store_linked (image, layout, g_ptr_array_index (layout->anr, i), &alloc, index, "", -1, NULL);
  for (guint i = 0; i < layout->email->len; i++)
    sv_pb_store_linked (image, layout, g_ptr_array_index (layout->email, i), &alloc, index, "", -1, NULL);
  for (guint i = 0; i < layout->sne->len; i++)
    sv_pb_store_linked (image, layout, g_ptr_array_index (layout->sne, i), &alloc, index, "", -1, NULL);
  g_array_unref (alloc.pool);

  old = sv_pb_dup_record (image, layout->adn_key, index, &len);
  memset (old, 0xFF, len);
  sv_pb_put_record (image, layout->adn_key, index, old, len);

  alloc.pool = pool;
  if (layout->ext1_key)
    free_pool (&alloc);

  return sv_pb_usim_entry_changed (image, layout, index, TRUE, error);
}
