/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-contact"

#include "config.h"

#include <string.h>

#include "sv-contact.h"

struct _SvContact
{
  gatomicrefcount   ref_count;
  guint             set;
  guint             index;
  char             *name;
  char             *number;
  guint8            ton_npi;          /* 0: not given */
  char            **additional_numbers;
  char            **emails;
  char             *second_name;
};

G_DEFINE_BOXED_TYPE (SvContact, sv_contact, sv_contact_ref, sv_contact_unref)

static char **
strv_copy_or_empty (const char * const *strv)
{
  if (strv == NULL)
    return g_new0 (char *, 1);

  return g_strdupv ((char **) strv);
}

/**
 * sv_contact_new:
 * @set: the phonebook set: 0 for the 2G EF_ADN, 1..n for a USIM set
 * @index: the 1-based EF_ADN record number in that set; 0 for "not placed
 *   yet" (sv_phonebook_store_contact() needs a real index)
 * @name: (nullable): the alpha identifier
 * @number: (nullable): the dialling number, '+' first when international
 * @additional_numbers: (nullable) (array zero-terminated=1): EF_ANR numbers
 * @emails: (nullable) (array zero-terminated=1): EF_EMAIL addresses
 * @second_name: (nullable): EF_SNE
 *
 * %NULL strings are stored as "" and %NULL arrays as empty arrays, so the
 * getters never return %NULL.
 *
 * Returns: (transfer full): a new contact
 */
SvContact *
sv_contact_new (guint               set,
                guint               index,
                const char         *name,
                const char         *number,
                const char * const *additional_numbers,
                const char * const *emails,
                const char         *second_name)
{
  return sv_contact_new_full (set, index, name, number, 0, additional_numbers, emails, second_name);
}

/**
 * sv_contact_new_full:
 * @ton_npi: the number's TON/NPI byte (TS 24.008 §10.5.4.7, TS 51.011
 *   §10.5.1), e.g. 0xA1 for a national number; 0 when not given (a new
 *   number is then stored as 0x81, or 0x91 with a '+'; an unchanged
 *   number keeps the byte the card holds)
 *
 * sv_contact_new() with the number's type of number and numbering plan,
 * as decoded from a card, so that a restore or a re-encode keeps them.
 *
 * Returns: (transfer full): a new contact
 */
SvContact *
sv_contact_new_full (guint               set,
                     guint               index,
                     const char         *name,
                     const char         *number,
                     guint8              ton_npi,
                     const char * const *additional_numbers,
                     const char * const *emails,
                     const char         *second_name)
{
  SvContact *self = g_new0 (SvContact, 1);

  g_atomic_ref_count_init (&self->ref_count);
  self->set = set;
  self->index = index;
  self->name = g_strdup (name ? name : "");
  self->number = g_strdup (number ? number : "");
  self->ton_npi = ton_npi;
  self->additional_numbers = strv_copy_or_empty (additional_numbers);
  self->emails = strv_copy_or_empty (emails);
  self->second_name = g_strdup (second_name ? second_name : "");

  return self;
}

/**
 * sv_contact_copy_at:
 * @contact: a contact
 * @set: the new set
 * @index: the new record number
 *
 * Returns: (transfer full): a copy of @contact placed at @set/@index
 */
SvContact *
sv_contact_copy_at (const SvContact *contact,
                    guint            set,
                    guint            index)
{
  g_return_val_if_fail (contact != NULL, NULL);

  return sv_contact_new_full (set, index, contact->name, contact->number, contact->ton_npi,
                              (const char * const *) contact->additional_numbers,
                              (const char * const *) contact->emails,
                              contact->second_name);
}

/**
 * sv_contact_copy_with_ton_npi:
 * @contact: a contact
 * @ton_npi: the TON/NPI byte, 0 for "not given"
 *
 * Returns: (transfer full): a copy of @contact with @ton_npi
 */
SvContact *
sv_contact_copy_with_ton_npi (const SvContact *contact,
                              guint8           ton_npi)
{
  g_return_val_if_fail (contact != NULL, NULL);

  return sv_contact_new_full (contact->set, contact->index, contact->name, contact->number, ton_npi,
                              (const char * const *) contact->additional_numbers,
                              (const char * const *) contact->emails,
                              contact->second_name);
}

SvContact *
sv_contact_ref (SvContact *contact)
{
  g_return_val_if_fail (contact != NULL, NULL);

  g_atomic_ref_count_inc (&contact->ref_count);
  return contact;
}

void
sv_contact_unref (SvContact *contact)
{
  g_return_if_fail (contact != NULL);

  if (!g_atomic_ref_count_dec (&contact->ref_count))
    return;

  g_free (contact->name);
  g_free (contact->number);
  g_strfreev (contact->additional_numbers);
  g_strfreev (contact->emails);
  g_free (contact->second_name);
  g_free (contact);
}

guint
sv_contact_get_set (const SvContact *contact)
{
  g_return_val_if_fail (contact != NULL, 0);

  return contact->set;
}

guint
sv_contact_get_index (const SvContact *contact)
{
  g_return_val_if_fail (contact != NULL, 0);

  return contact->index;
}

const char *
sv_contact_get_name (const SvContact *contact)
{
  g_return_val_if_fail (contact != NULL, NULL);

  return contact->name;
}

const char *
sv_contact_get_number (const SvContact *contact)
{
  g_return_val_if_fail (contact != NULL, NULL);

  return contact->number;
}

/**
 * sv_contact_get_ton_npi:
 * @contact: a contact
 *
 * Returns: the TON/NPI byte given at construction; 0 when none was
 */
guint8
sv_contact_get_ton_npi (const SvContact *contact)
{
  g_return_val_if_fail (contact != NULL, 0);

  return contact->ton_npi;
}

/**
 * sv_contact_get_effective_ton_npi:
 * @contact: a contact
 *
 * The TON/NPI byte the number is stored with: the one given (0x81 when
 * none), with the type of number international exactly when the number
 * has a '+', as sv_dialling_number_encode() writes it.
 *
 * Returns: the TON/NPI byte
 */
guint8
sv_contact_get_effective_ton_npi (const SvContact *contact)
{
  guint8 b;

  g_return_val_if_fail (contact != NULL, 0x81);

  b = contact->ton_npi != 0 ? contact->ton_npi : 0x81;
  if (strchr (contact->number, '+') != NULL)
    b = (b & 0x8F) | 0x10;
  else if (((b >> 4) & 0x07) == 1)
    b &= 0x8F;
  return b;
}

/**
 * sv_contact_get_additional_numbers:
 * @contact: a contact
 *
 * Returns: (transfer none) (array zero-terminated=1): the additional
 *   numbers, in EF_ANR order; never %NULL
 */
const char * const *
sv_contact_get_additional_numbers (const SvContact *contact)
{
  g_return_val_if_fail (contact != NULL, NULL);

  return (const char * const *) contact->additional_numbers;
}

/**
 * sv_contact_get_emails:
 * @contact: a contact
 *
 * Returns: (transfer none) (array zero-terminated=1): the e-mail
 *   addresses, in EF_EMAIL order; never %NULL
 */
const char * const *
sv_contact_get_emails (const SvContact *contact)
{
  g_return_val_if_fail (contact != NULL, NULL);

  return (const char * const *) contact->emails;
}

const char *
sv_contact_get_second_name (const SvContact *contact)
{
  g_return_val_if_fail (contact != NULL, NULL);

  return contact->second_name;
}

/**
 * sv_contact_is_empty:
 * @contact: a contact
 *
 * Returns: %TRUE if the contact has no name, number, additional number,
 *   e-mail or second name (storing it is the same as deleting)
 */
gboolean
sv_contact_is_empty (const SvContact *contact)
{
  g_return_val_if_fail (contact != NULL, TRUE);

  return contact->name[0] == '\0' && contact->number[0] == '\0' &&
         contact->additional_numbers[0] == NULL && contact->emails[0] == NULL &&
         contact->second_name[0] == '\0';
}

/**
 * sv_contact_equal:
 * @a: a contact
 * @b: another contact
 *
 * Returns: %TRUE if every field, set, index and the number's TON/NPI
 *   (sv_contact_get_effective_ton_npi()) included, is equal
 */
gboolean
sv_contact_equal (const SvContact *a,
                  const SvContact *b)
{
  if (a == b)
    return TRUE;
  if (a == NULL || b == NULL)
    return FALSE;

  return a->set == b->set &&
         a->index == b->index &&
         g_str_equal (a->name, b->name) &&
         g_str_equal (a->number, b->number) &&
         sv_contact_get_effective_ton_npi (a) == sv_contact_get_effective_ton_npi (b) &&
         g_strv_equal ((const char * const *) a->additional_numbers,
                       (const char * const *) b->additional_numbers) &&
         g_strv_equal ((const char * const *) a->emails,
                       (const char * const *) b->emails) &&
         g_str_equal (a->second_name, b->second_name);
}
