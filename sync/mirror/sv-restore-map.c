/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Restoring one card's phonebook onto another card with other capacities:
 * a preview first, computed on a copy of the target image with the
 * phonebook model's own checks, then (after confirmation) the same mapping
 * applied to the target's mirror as one undoable edit.
 *
 * Every phonebook set of the target is used. A contact stays in its own
 * set and record when the target has them free; otherwise it takes the
 * first place where it fits whole: its own set first, then set 1, set 2,
 * … (so the target fills set by set). Only when no set can hold all of it
 * does it go where the least is lost: the additional numbers and e-mails
 * the set has no room for are dropped one by one (the others stay), a
 * second name it cannot hold is dropped, a name too long is shortened
 * character by character (TRUNCATED, with what was cut named). A contact
 * no set has a free record or room for its number is an OVERFLOW. A name
 * stored in another alpha coding than on the source (e.g. UCS2 0x80 ->
 * 0x81), or a number whose TON/NPI byte the target would store
 * differently, is REENCODED; the number's TON/NPI is otherwise kept (a
 * national number stays national).
 *
 * Restoring a card onto itself is refused.
 */
#define G_LOG_DOMAIN "sv-restore-map"

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "sv-alpha.h"
#include "sv-dialling-number.h"
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

/**
 * sv_restore_describe_losses:
 * @entries: (element-type SvRestoreEntry): a mapping
 *
 * What the shortened entries of @entries lose, for the user: "2
 * additional numbers, 1 e-mail address, 14 characters of names".
 *
 * Returns: (transfer full): the text; "nothing" when nothing is lost
 */
char *
sv_restore_describe_losses (GPtrArray *entries)
{
  g_autoptr(GString) out = g_string_new (NULL);
  guint numbers = 0, emails = 0, chars = 0, names = 0, second = 0;

  for (guint i = 0; i < entries->len; i++)
    {
      const SvRestoreEntry *e = g_ptr_array_index (entries, i);

      numbers += e->n_numbers_lost;
      emails += e->n_emails_lost;
      chars += e->n_chars_cut;
      names += e->n_chars_cut > 0;
      second += e->second_name_lost;
    }
  if (numbers > 0)
    g_string_append_printf (out, g_dngettext (GETTEXT_PACKAGE, "%u additional number",
                                              "%u additional numbers", numbers), numbers);
  if (emails > 0)
    {
      if (out->len)
        g_string_append (out, ", ");
      g_string_append_printf (out, g_dngettext (GETTEXT_PACKAGE, "%u e-mail address",
                                                "%u e-mail addresses", emails), emails);
    }
  if (second > 0)
    {
      if (out->len)
        g_string_append (out, ", ");
      g_string_append_printf (out, g_dngettext (GETTEXT_PACKAGE, "%u second name",
                                                "%u second names", second), second);
    }
  if (chars > 0)
    {
      if (out->len)
        g_string_append (out, ", ");
      g_string_append_printf (out, g_dngettext (GETTEXT_PACKAGE, "%u character of names",
                                                "%u characters of names", chars), chars);
      g_string_append_printf (out, g_dngettext (GETTEXT_PACKAGE, " (%u name shortened)",
                                                " (%u names shortened)", names), names);
    }
  if (out->len == 0)
    g_string_append (out, _("nothing"));
  return g_string_free (g_steal_pointer (&out), FALSE);
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

/* The TON/NPI byte of the number in EF_ADN record @index of @set;
 * @fallback when it cannot be read. */
static guint8
number_ton_npi (SvCardImage *image,
                guint        set,
                guint        index,
                guint8       fallback)
{
  g_autofree char *key = adn_key (set);
  GBytes *rec = sv_card_image_get_record (image, key, index);
  SvAdnRecord adn;
  guint8 b;

  if (rec == NULL || !sv_adn_record_decode (g_bytes_get_data (rec, NULL), g_bytes_get_size (rec), &adn, NULL))
    return fallback;
  b = adn.ton_npi;
  sv_adn_record_clear (&adn);
  return b;
}

/* The index in "additional_numbers[3]" / "emails[0]" of a problem of
 * @prefix, or -1 when there is none. */
static gint
problem_position (GPtrArray  *problems,
                  const char *prefix)
{
  gsize n = strlen (prefix);

  for (guint i = 0; i < problems->len; i++)
    {
      const SvFitProblem *p = g_ptr_array_index (problems, i);

      if (strncmp (p->field, prefix, n) == 0 && p->field[n] == '[')
        return (gint) g_ascii_strtoll (p->field + n + 1, NULL, 10);
    }
  return -1;
}

static gboolean
has_field (GPtrArray  *problems,
           const char *field)
{
  for (guint i = 0; i < problems->len; i++)
    if (g_str_equal (((SvFitProblem *) g_ptr_array_index (problems, i))->field, field))
      return TRUE;
  return FALSE;
}

/* @values without element @drop */
static GStrv
strv_without (const char * const *values,
              guint               drop)
{
  g_autoptr(GStrvBuilder) b = g_strv_builder_new ();

  for (guint i = 0; values[i] != NULL; i++)
    if (i != drop)
      g_strv_builder_add (b, values[i]);
  return g_strv_builder_end (b);
}

/* What fitting a contact into one place costs. */
typedef struct
{
  SvContact *contact;           /* what the place would hold; NULL: it cannot */
  GString   *notes;
  guint      n_numbers_lost;
  guint      n_emails_lost;
  guint      n_chars_cut;
  gboolean   second_name_lost;
  GPtrArray *problems;          /* why it cannot, when contact is NULL */
} Fit;

static void
fit_clear (Fit *fit)
{
  g_clear_pointer (&fit->contact, sv_contact_unref);
  if (fit->notes != NULL)
    g_string_free (fit->notes, TRUE);
  g_clear_pointer (&fit->problems, g_ptr_array_unref);
  memset (fit, 0, sizeof *fit);
}

static guint
fit_losses (const Fit *fit)
{
  return fit->n_numbers_lost + fit->n_emails_lost + fit->n_chars_cut + fit->second_name_lost;
}

/*
 * Fits @contact at @set/@index of @work: additional numbers and e-mails
 * that this set cannot hold are dropped one by one (the others stay), a
 * second name it cannot hold is dropped, a name too long is shortened
 * character by character. A number or place that does not fit leaves
 * @fit->contact %NULL, with the reasons in @fit->problems.
 */
static void
fit_at (SvCardImage     *work,
        const SvContact *contact,
        guint            set,
        guint            index,
        Fit             *fit)
{
  g_autoptr(SvContact) candidate = sv_contact_copy_at (contact, set, index);
  g_autoptr(GPtrArray) problems = sv_phonebook_check_contact (work, candidate);

  memset (fit, 0, sizeof *fit);
  fit->notes = g_string_new (NULL);

  for (;;)
    {
      gint anr = problem_position (problems, "additional_numbers");
      gint email = problem_position (problems, "emails");
      g_auto(GStrv) anrs = NULL;
      g_auto(GStrv) emails = NULL;
      gboolean drop_sne = has_field (problems, "second_name");
      const char * const *old_anrs = sv_contact_get_additional_numbers (candidate);
      const char * const *old_emails = sv_contact_get_emails (candidate);
      SvContact *next;

      if (anr < 0 && email < 0 && !drop_sne)
        break;
      if (anr >= 0)
        {
          g_string_append_printf (fit->notes, _("additional number “%s” dropped (no phonebook set of the target has room for it)"),
                                  old_anrs[anr]);
          g_string_append (fit->notes, "; ");
          fit->n_numbers_lost++;
          anrs = strv_without (old_anrs, (guint) anr);
        }
      if (email >= 0)
        {
          g_string_append_printf (fit->notes, _("e-mail “%s” dropped (no phonebook set of the target has room for it)"),
                                  old_emails[email]);
          g_string_append (fit->notes, "; ");
          fit->n_emails_lost++;
          emails = strv_without (old_emails, (guint) email);
        }
      if (drop_sne)
        {
          g_string_append_printf (fit->notes, _("second name “%s” dropped (no phonebook set of the target has room for it)"),
                                  sv_contact_get_second_name (candidate));
          g_string_append (fit->notes, "; ");
          fit->second_name_lost = TRUE;
        }
      next = sv_contact_new_full (set, index, sv_contact_get_name (candidate),
                                  sv_contact_get_number (candidate),
                                  sv_contact_get_ton_npi (candidate),
                                  anrs ? (const char * const *) anrs : old_anrs,
                                  emails ? (const char * const *) emails : old_emails,
                                  drop_sne ? NULL : sv_contact_get_second_name (candidate));
      g_clear_pointer (&candidate, sv_contact_unref);
      candidate = next;
      g_ptr_array_unref (problems);
      problems = sv_phonebook_check_contact (work, candidate);
    }

  /* Shorten the name, character by character. */
  if (has_field (problems, "name") && problems->len == 1)
    {
      const char *name = sv_contact_get_name (candidate);
      glong n_chars = g_utf8_strlen (name, -1);

      for (glong keep = n_chars - 1; keep >= 1; keep--)
        {
          g_autofree char *shorter = g_utf8_substring (name, 0, keep);
          g_autoptr(SvContact) next = sv_contact_new_full (set, index, shorter,
                                                           sv_contact_get_number (candidate),
                                                           sv_contact_get_ton_npi (candidate),
                                                           sv_contact_get_additional_numbers (candidate),
                                                           sv_contact_get_emails (candidate),
                                                           sv_contact_get_second_name (candidate));
          g_autoptr(GPtrArray) again = sv_phonebook_check_contact (work, next);

          if (again->len == 0)
            {
              g_string_append_printf (fit->notes, _("name “%s” shortened to “%s” (%ld character(s) cut)"),
                                      name, shorter, n_chars - keep);
              g_string_append (fit->notes, "; ");
              fit->n_chars_cut = (guint) (n_chars - keep);
              g_clear_pointer (&candidate, sv_contact_unref);
              candidate = g_steal_pointer (&next);
              g_ptr_array_set_size (problems, 0);
              break;
            }
        }
    }

  if (problems->len > 0)
    {
      fit->problems = g_steal_pointer (&problems);
      return;
    }
  fit->contact = g_steal_pointer (&candidate);
}

/* The phonebook sets of @image: 1..n on a USIM with EF_PBR, else 0. */
static GArray *
target_sets (SvCardImage *image)
{
  GArray *sets = g_array_new (FALSE, FALSE, sizeof (guint));
  guint n = sv_phonebook_get_n_sets (image);

  if (sv_card_image_lookup (image, "pbr") == NULL)
    {
      guint zero = 0;

      if (n > 0)
        g_array_append_val (sets, zero);
      return sets;
    }
  for (guint s = 1; s <= n; s++)
    {
      SvPhonebookLimits limits;

      if (sv_phonebook_get_limits (image, s, &limits, NULL))
        g_array_append_val (sets, s);
    }
  return sets;
}

typedef struct
{
  guint       set;
  guint       n_records;
  GHashTable *taken;            /* indices stored by this mapping */
} TargetSet;

static void
target_set_clear (TargetSet *t)
{
  g_clear_pointer (&t->taken, g_hash_table_unref);
}

static guint
target_set_free_index (TargetSet *t,
                       guint      wanted)
{
  if (wanted >= 1 && wanted <= t->n_records &&
      !g_hash_table_contains (t->taken, GUINT_TO_POINTER (wanted)))
    return wanted;
  for (guint i = 1; i <= t->n_records; i++)
    if (!g_hash_table_contains (t->taken, GUINT_TO_POINTER (i)))
      return i;
  return 0;
}

static SvRestoreEntry *
map_one (SvCardImage     *work,
         SvCardImage     *source,
         const SvContact *contact,
         GArray          *targets)
{
  SvRestoreEntry *entry = g_new0 (SvRestoreEntry, 1);
  g_autoptr(GString) notes = g_string_new (NULL);
  g_autoptr(GString) why = g_string_new (NULL);
  guint src_set = sv_contact_get_set (contact);
  guint src_index = sv_contact_get_index (contact);
  gint first = 0;
  Fit best = { 0, };
  TargetSet *best_target = NULL;
  guint best_index = 0;
  guint n_free_sets = 0;
  SvAlphaScheme before, after;

  entry->source = sv_contact_ref ((SvContact *) contact);

  /* The source's own set first (set 0 of a 2G card goes to the first
   * set), then every other set in order: a contact stays where it was
   * when it can, and fills set 1, then set 2, … otherwise. It goes to the
   * first place where it fits whole; when none, to the place that loses
   * the least of it. */
  for (guint k = 0; k < targets->len; k++)
    if (g_array_index (targets, TargetSet, k).set == src_set)
      first = (gint) k;

  for (guint step = 0; step < targets->len; step++)
    {
      /* step 0: the own set; then the others in ascending order */
      guint k = step == 0 ? (guint) first : step - 1 + (step - 1 >= (guint) first);
      TargetSet *t = &g_array_index (targets, TargetSet, k);
      guint index = target_set_free_index (t, step == 0 ? src_index : 0);
      Fit fit;

      if (index == 0)
        continue;
      n_free_sets++;
      fit_at (work, contact, t->set, index, &fit);
      if (fit.contact == NULL)
        {
          for (guint i = 0; i < fit.problems->len; i++)
            {
              const SvFitProblem *p = g_ptr_array_index (fit.problems, i);

              g_string_append_printf (why, "%s: %s; ", p->field, p->message);
            }
          fit_clear (&fit);
          continue;
        }
      if (best.contact == NULL || fit_losses (&fit) < fit_losses (&best))
        {
          fit_clear (&best);
          best = fit;
          best_target = t;
          best_index = index;
          if (fit_losses (&best) == 0)
            break;
        }
      else
        fit_clear (&fit);
    }

  if (best.contact == NULL)
    {
      entry->outcome = SV_RESTORE_OVERFLOW;
      if (n_free_sets == 0)
        {
          guint total = 0;

          for (guint k = 0; k < targets->len; k++)
            total += g_array_index (targets, TargetSet, k).n_records;
          entry->message = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                         "no free record: the target phonebook has %u record in %u set(s), all taken",
                                                         "no free record: the target phonebook has %u records in %u set(s), all taken",
                                                         total),
                                            total, targets->len);
        }
      else
        {
          g_string_truncate (why, why->len >= 2 ? why->len - 2 : 0);
          entry->message = g_string_free (g_steal_pointer (&why), FALSE);
        }
      return entry;
    }

  {
    g_autoptr(GError) error = NULL;

    if (!sv_phonebook_store_contact (work, best.contact, &error))
      {
        entry->outcome = SV_RESTORE_OVERFLOW;
        entry->message = g_strdup (error->message);
        fit_clear (&best);
        return entry;
      }
  }
  g_hash_table_add (best_target->taken, GUINT_TO_POINTER (best_index));

  if (best_target->set != src_set && src_set != 0 && best_target->set != 0)
    {
      g_string_append_printf (notes, _("moved from set %u record %u to set %u record %u"),
                              src_set, src_index, best_target->set, best_index);
      g_string_append (notes, "; ");
    }
  else if (best_index != src_index)
    {
      g_string_append_printf (notes, _("moved from record %u to %u"), src_index, best_index);
      g_string_append (notes, "; ");
    }
  g_string_append (notes, best.notes->str);

  entry->n_numbers_lost = best.n_numbers_lost;
  entry->n_emails_lost = best.n_emails_lost;
  entry->n_chars_cut = best.n_chars_cut;
  entry->second_name_lost = best.second_name_lost;
  entry->outcome = fit_losses (&best) > 0 ? SV_RESTORE_TRUNCATED : SV_RESTORE_FITS;

  if (name_scheme (source, src_set, src_index, &before) &&
      name_scheme (work, best_target->set, best_index, &after) && before != after)
    {
      g_string_append_printf (notes, _("name re-encoded from %s to %s"),
                              sv_alpha_scheme_to_string (before), sv_alpha_scheme_to_string (after));
      g_string_append (notes, "; ");
      if (entry->outcome == SV_RESTORE_FITS)
        entry->outcome = SV_RESTORE_REENCODED;
    }

  /* TS 24.008 §10.5.4.7: the number keeps its type of number and
   * numbering plan; name it when the stored byte differs all the same. */
  {
    guint8 was = sv_contact_get_effective_ton_npi (contact);
    guint8 now = number_ton_npi (work, best_target->set, best_index, was);

    if (sv_contact_get_number (contact)[0] != '\0' && was != now)
      {
        g_string_append_printf (notes, _("type of number changed from %s (%02X) to %s (%02X)"),
                                sv_ton_to_string (SV_TON_NPI_TON (was)), was,
                                sv_ton_to_string (SV_TON_NPI_TON (now)), now);
        g_string_append (notes, "; ");
        if (entry->outcome == SV_RESTORE_FITS)
          entry->outcome = SV_RESTORE_REENCODED;
      }
  }

  entry->target = g_steal_pointer (&best.contact);
  fit_clear (&best);
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
  g_autoptr(GArray) sets = NULL;
  g_autoptr(GArray) targets = g_array_new (FALSE, TRUE, sizeof (TargetSet));

  g_array_set_clear_func (targets, (GDestroyNotify) target_set_clear);
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

  existing = sv_phonebook_decode (work, error);
  if (existing == NULL)
    return NULL;
  for (guint i = 0; i < existing->len; i++)
    {
      const SvContact *c = g_ptr_array_index (existing, i);

      if (!sv_phonebook_delete_contact (work, sv_contact_get_set (c), sv_contact_get_index (c), error))
        return NULL;
    }

  sets = target_sets (work);
  for (guint k = 0; k < sets->len; k++)
    {
      TargetSet t = { g_array_index (sets, guint, k), 0, g_hash_table_new (NULL, NULL) };
      SvPhonebookLimits limits;

      if (sv_phonebook_get_limits (work, t.set, &limits, NULL))
        t.n_records = limits.n_records;
      g_array_append_val (targets, t);
    }

  for (guint i = 0; i < contacts->len; i++)
    g_ptr_array_add (entries, map_one (work, source, g_ptr_array_index (contacts, i), targets));

  if (result != NULL)
    *result = g_steal_pointer (&work);
  return g_steal_pointer (&entries);
}

/* A restore of a card onto itself would clear the phonebook it reads
 * from and store the same contacts again as a new edit: refused. */
static gboolean
check_not_same_card (const char  *source_iccid,
                     const char  *target_iccid,
                     GError     **error)
{
  if (g_strcmp0 (source_iccid, target_iccid) != 0)
    return TRUE;
  g_set_error (error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_INVALID,
               _("Card %s cannot be restored onto itself: choose another card as the target"),
               source_iccid);
  return FALSE;
}

GPtrArray *
sv_mirror_restore_preview (SvMirror    *self,
                           const char  *source_iccid,
                           const char  *target_iccid,
                           GError     **error)
{
  g_autoptr(SvCardImage) source = NULL;
  g_autoptr(SvCardImage) target = NULL;

  if (!check_not_same_card (source_iccid, target_iccid, error))
    return NULL;
  source = sv_mirror_load_image (self, source_iccid, TRUE, error);
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
      g_autofree char *lost = sv_restore_describe_losses (data->entries);

      g_set_error (error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_DOES_NOT_FIT,
                   _("%u contact(s) would be shortened on the target, losing %s; "
                     "confirm the truncation to restore"),
                   n_truncated, lost);
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

  if (!check_not_same_card (source_iccid, target_iccid, error))
    return FALSE;

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
