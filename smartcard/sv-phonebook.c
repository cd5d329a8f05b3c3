/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-phonebook"

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "sv-alpha.h"
#include "sv-codec-error.h"
#include "sv-dialling-number.h"
#include "sv-usim-phonebook.h"

#include "sv-phonebook.h"

/*
 * The phonebook model: contacts decoded from, and stored into, the raw
 * records of an #SvCardImage. Pure: no I/O.
 *
 * Which phonebook is "the" phonebook: on a USIM image that has "pbr", the
 * contacts are the USIM sets 1..n (one per EF_PBR record) and the 2G "adn"
 * file is ignored, because on a UICC with a GSM application DF_TELECOM's
 * EF_ADN/EF_EXT1 are mapped onto one DF_PHONEBOOK (TS 31.102 §4.4.2) and
 * listing both would show every contact twice. On any other image the
 * phonebook is set 0, from "adn" (and "ext1").
 *
 * Number text is the codec's (sv_dialling_number_decode()): '+' for TON
 * international (TS 24.008 §10.5.4.7), digits 0-9, '*' (BCD A), '#' (B),
 * 'p' (C, DTMF separator), 'w' (D, wild value), 'e' (E); on input ',' and
 * 'P' are accepted for 'p', '?' and 'W' for 'w', and the visual separators
 * ' ', '-', '.', '(', ')' are dropped.
 *
 * Every record format (ADN, EXT1, ANR, EMAIL/SNE, PBR, IAP, PBC, UID, CC)
 * is encoded and decoded by the codec library; this file only decides
 * which records belong to which contact and which ones to change.
 */

G_DEFINE_QUARK (sv-phonebook-error-quark, sv_phonebook_error)

/* 20 digits fit in EF_ADN (and in each EF_EXT1 record): TS 51.011 §10.5.1 */
#define DIGITS_PER_REC   (2 * SV_ADN_BCD_MAX)

typedef enum
{
  FIELD_ANR,
  FIELD_EMAIL,
  FIELD_SNE,
} FieldKind;

typedef struct
{
  char      *key;
  FieldKind  kind;
  guint      type;              /* 1 or 2 (TS 31.102 §4.4.2.1) */
  guint      iap_pos;           /* type 2: byte of EF_IAP (0-based) */
} LinkedFile;

typedef struct
{
  guint      set;
  char      *adn_key;
  char      *ext1_key;          /* NULL when the set has no EF_EXT1 */
  char      *iap_key;
  char      *pbc_key;
  char      *uid_key;
  guint8     adn_sfi;           /* 0xFF when EF_PBR gives none */
  GPtrArray *anr;               /* LinkedFile, in EF_PBR order */
  GPtrArray *email;
  GPtrArray *sne;
} SetLayout;

static void
linked_file_free (LinkedFile *file)
{
  g_free (file->key);
  g_free (file);
}

static void
set_layout_free (SetLayout *layout)
{
  g_free (layout->adn_key);
  g_free (layout->ext1_key);
  g_free (layout->iap_key);
  g_free (layout->pbc_key);
  g_free (layout->uid_key);
  g_clear_pointer (&layout->anr, g_ptr_array_unref);
  g_clear_pointer (&layout->email, g_ptr_array_unref);
  g_clear_pointer (&layout->sne, g_ptr_array_unref);
  g_free (layout);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SetLayout, set_layout_free)

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

/* Image helpers */

static guint
file_n_records (SvCardImage *image,
                const char  *key)
{
  SvCardFile *file = key ? sv_card_image_lookup (image, key) : NULL;

  return file ? file->records->len : 0;
}

static guint
file_record_len (SvCardImage *image,
                 const char  *key)
{
  SvCardFile *file = key ? sv_card_image_lookup (image, key) : NULL;

  return file ? file->record_len : 0;
}

/* A copy of record @index of @key, or NULL; *len_out gets its size. */
static guint8 *
dup_record (SvCardImage *image,
            const char  *key,
            guint        index,
            gsize       *len_out)
{
  GBytes *bytes = key ? sv_card_image_get_record (image, key, index) : NULL;
  guint8 *copy;

  *len_out = 0;
  if (bytes == NULL)
    return NULL;

  *len_out = g_bytes_get_size (bytes);
  copy = g_malloc0 (MAX (*len_out, 1));
  if (*len_out > 0)
    memcpy (copy, g_bytes_get_data (bytes, NULL), *len_out);
  return copy;
}

static void
put_record (SvCardImage  *image,
            const char   *key,
            guint         index,
            const guint8 *data,
            gsize         len)
{
  g_autoptr(GBytes) bytes = g_bytes_new (data, len);
  g_autoptr(GError) error = NULL;

  /* Callers pass records read from the same file: this cannot fail. */
  if (!sv_card_image_set_record (image, key, index, bytes, &error))
    g_critical ("%s", error->message);
}

static void
put_filled (SvCardImage *image,
            const char  *key,
            guint        index,
            guint8       first,
            guint8       rest)
{
  guint len = file_record_len (image, key);
  g_autofree guint8 *data = g_malloc (MAX (len, 1));

  memset (data, rest, len);
  if (len > 0)
    data[0] = first;
  put_record (image, key, index, data, len);
}

static gboolean
all_ff (const guint8 *data,
        gsize         len)
{
  for (gsize i = 0; i < len; i++)
    if (data[i] != 0xFF)
      return FALSE;
  return TRUE;
}

/* EF_PBR (TS 31.102 §4.4.2.1) */

static gboolean
pbr_record_has_set (const guint8 *data,
                    gsize         len)
{
  return len > 0 && (data[0] == SV_PBR_TYPE1 || data[0] == SV_PBR_TYPE2 || data[0] == SV_PBR_TYPE3);
}

static gboolean
image_uses_pbr (SvCardImage *image)
{
  return sv_card_image_lookup (image, "pbr") != NULL;
}

/**
 * sv_phonebook_get_n_sets:
 * @image: a card image
 *
 * Returns: on an image with "pbr", the number of EF_PBR records that
 *   describe a set (the sets are numbered 1..n); otherwise 1 when the image
 *   has "adn" (the only set is 0), else 0
 */
guint
sv_phonebook_get_n_sets (SvCardImage *image)
{
  g_return_val_if_fail (SV_IS_CARD_IMAGE (image), 0);

  if (image_uses_pbr (image))
    {
      guint n = 0;

      for (guint i = 1; i <= file_n_records (image, "pbr"); i++)
        {
          GBytes *bytes = sv_card_image_get_record (image, "pbr", i);
          gsize len;
          const guint8 *data = g_bytes_get_data (bytes, &len);

          if (pbr_record_has_set (data, len))
            n = i;
        }
      return n;
    }

  return sv_card_image_lookup (image, "adn") != NULL ? 1 : 0;
}

static gboolean
valid_set (SvCardImage *image,
           guint        set)
{
  guint n = sv_phonebook_get_n_sets (image);

  if (image_uses_pbr (image))
    return set >= 1 && set <= n;
  return set == 0 && n == 1;
}

/* Adds key "pbSET/NAMEk" to @list, k counting the files of that kind from 1 */
static LinkedFile *
add_linked_file (GPtrArray  *list,
                 FieldKind   kind,
                 guint       set,
                 const char *name)
{
  LinkedFile *linked = g_new0 (LinkedFile, 1);

  linked->kind = kind;
  linked->key = g_strdup_printf ("pb%u/%s%u", set, name, list->len + 1);
  g_ptr_array_add (list, linked);
  return linked;
}

static SetLayout *
load_layout (SvCardImage  *image,
             guint         set,
             GError      **error)
{
  g_autoptr(SetLayout) layout = g_new0 (SetLayout, 1);
  g_autoptr(GArray) entries = NULL;
  g_autoptr(GError) local_error = NULL;
  guint n_type2 = 0;
  GBytes *bytes;
  const guint8 *data;
  gsize len;

  layout->set = set;
  layout->adn_sfi = 0xFF;
  layout->anr = g_ptr_array_new_with_free_func ((GDestroyNotify) linked_file_free);
  layout->email = g_ptr_array_new_with_free_func ((GDestroyNotify) linked_file_free);
  layout->sne = g_ptr_array_new_with_free_func ((GDestroyNotify) linked_file_free);

  if (!valid_set (image, set))
    {
      if (sv_phonebook_get_n_sets (image) == 0)
        g_set_error_literal (error, SV_PHONEBOOK_ERROR, SV_PHONEBOOK_ERROR_NO_PHONEBOOK,
                             _("The card image has no phonebook"));
      else if (image_uses_pbr (image))
        g_set_error (error, SV_PHONEBOOK_ERROR, SV_PHONEBOOK_ERROR_NO_SUCH_SET,
                     _("Phonebook set %u does not exist: this card has sets 1 to %u"),
                     set, sv_phonebook_get_n_sets (image));
      else
        g_set_error (error, SV_PHONEBOOK_ERROR, SV_PHONEBOOK_ERROR_NO_SUCH_SET,
                     _("Phonebook set %u does not exist: this card only has set 0"), set);
      return NULL;
    }

  if (set == 0)
    {
      layout->adn_key = g_strdup ("adn");
      if (sv_card_image_lookup (image, "ext1") != NULL)
        layout->ext1_key = g_strdup ("ext1");
      return g_steal_pointer (&layout);
    }

  bytes = sv_card_image_get_record (image, "pbr", set);
  data = g_bytes_get_data (bytes, &len);
  entries = sv_pbr_record_decode (data, len, &local_error);
  if (entries == NULL)
    {
      g_set_error (error, SV_PHONEBOOK_ERROR, SV_PHONEBOOK_ERROR_CORRUPT,
                   _("EF_PBR record %u: %s"), set, local_error->message);
      return NULL;
    }

  for (guint i = 0; i < entries->len; i++)
    {
      const SvPbrEntry *entry = &g_array_index (entries, SvPbrEntry, i);
      LinkedFile *linked = NULL;
      guint type = entry->constructed_tag == SV_PBR_TYPE1 ? 1 :
                   entry->constructed_tag == SV_PBR_TYPE2 ? 2 : 3;

      switch (entry->tag)
        {
        case SV_PBR_TAG_ADN:
          layout->adn_key = g_strdup_printf ("pb%u/adn", set);
          if (entry->sfi >= 0)
            layout->adn_sfi = entry->sfi;
          break;
        case SV_PBR_TAG_IAP:
          layout->iap_key = g_strdup_printf ("pb%u/iap", set);
          break;
        case SV_PBR_TAG_EXT1:
          layout->ext1_key = g_strdup_printf ("pb%u/ext1", set);
          break;
        case SV_PBR_TAG_PBC:
          layout->pbc_key = g_strdup_printf ("pb%u/pbc", set);
          break;
        case SV_PBR_TAG_UID:
          layout->uid_key = g_strdup_printf ("pb%u/uid", set);
          break;
        case SV_PBR_TAG_ANR:
          linked = add_linked_file (layout->anr, FIELD_ANR, set, "anr");
          break;
        case SV_PBR_TAG_EMAIL:
          linked = add_linked_file (layout->email, FIELD_EMAIL, set, "email");
          break;
        case SV_PBR_TAG_SNE:
          linked = add_linked_file (layout->sne, FIELD_SNE, set, "sne");
          break;
        default:
          /* GRP, AAS, GAS, CCP1: not part of the contact model */
          break;
        }

      if (linked != NULL)
        {
          linked->type = type;
          if (type == 2)
            linked->iap_pos = n_type2;
        }
      /* TS 31.102 §4.4.2.2: IAP byte k is the k-th file of the A9 template */
      if (type == 2)
        n_type2++;
    }

  if (layout->adn_key == NULL || sv_card_image_lookup (image, layout->adn_key) == NULL)
    {
      g_set_error (error, SV_PHONEBOOK_ERROR, SV_PHONEBOOK_ERROR_CORRUPT,
                   _("Phonebook set %u has no EF_ADN in the card image"), set);
      return NULL;
    }

  /* Files EF_PBR names but the reader did not store are left out. */
  {
    GPtrArray *lists[] = { layout->anr, layout->email, layout->sne };

    for (guint l = 0; l < G_N_ELEMENTS (lists); l++)
      for (guint i = lists[l]->len; i > 0; i--)
        {
          LinkedFile *linked = g_ptr_array_index (lists[l], i - 1);

          if (sv_card_image_lookup (image, linked->key) == NULL ||
              (linked->type == 2 && file_n_records (image, layout->iap_key) == 0))
            g_ptr_array_remove_index (lists[l], i - 1);
        }
  }
  if (layout->ext1_key && sv_card_image_lookup (image, layout->ext1_key) == NULL)
    g_clear_pointer (&layout->ext1_key, g_free);

  return g_steal_pointer (&layout);
}

/* Numbers: ADN-format number parts and their EF_EXT1 chains, through the
 * codec (TS 51.011 §10.5.1, §10.5.10; TS 31.102 §4.4.2.3, §4.4.2.4) */

typedef struct
{
  SvCardImage *image;
  const char  *ext1_key;
  GArray      *chain;           /* guint8, nullable: records visited */
} Ext1Lookup;

static gboolean
ext1_lookup_cb (guint         record_number,
                SvExt1Record *out,
                gpointer      user_data)
{
  Ext1Lookup *lookup = user_data;
  GBytes *bytes = NULL;
  const guint8 *data;
  gsize len;

  if (lookup->ext1_key != NULL)
    bytes = sv_card_image_get_record (lookup->image, lookup->ext1_key, record_number);
  if (bytes == NULL)
    return FALSE;

  if (lookup->chain != NULL)
    {
      guint8 rec = record_number;

      g_array_append_val (lookup->chain, rec);
    }
  data = g_bytes_get_data (bytes, &len);
  return sv_ext1_record_decode (data, len, out, NULL);
}

/*
 * The whole number of a decoded ADN-format number (ADN, or the number part
 * of ANR): its own digits, then those of its EF_EXT1 chain. A broken chain
 * (a loop, a link to a record that is missing or unused) does not hide the
 * contact: the number is then what the record itself holds. @chain_out
 * gets the EF_EXT1 records the chain passes through, broken or not.
 */
static char *
join_number (SvCardImage       *image,
             const char        *ext1_key,
             const SvAdnRecord *rec,
             GArray            *chain_out)
{
  Ext1Lookup lookup = { image, ext1_key, chain_out };
  g_autoptr(GError) error = NULL;
  char *number;

  if (rec->ext_record == SV_EXT1_NONE)
    return g_strdup (rec->number);

  number = sv_adn_number_join_ext1 (rec, ext1_lookup_cb, &lookup, &error);
  if (number == NULL)
    {
      g_debug ("EF_EXT1 chain from record %u: %s", rec->ext_record, error->message);
      return g_strdup (rec->number);
    }
  return number;
}

/* @number as the card will hold it (the codec's decoding of its encoding)
 * and its digit count; %NULL with @error for a character no dialling
 * number can hold. */
static char *
normalize_number (const char  *number,
                  guint       *n_digits,
                  GError     **error)
{
  g_autofree guint8 *bcd = NULL;
  gsize len;
  char *text;

  bcd = sv_dialling_number_encode (number, SV_TON_NPI_DEFAULT, &len, error);
  if (bcd == NULL)
    return NULL;
  text = sv_dialling_number_decode (bcd, len, NULL, NULL);
  if (n_digits != NULL)
    {
      *n_digits = 0;
      for (const char *p = text; *p; p++)
        if (*p != '+')
          (*n_digits)++;
    }
  return text;
}

static guint
ext1_records_needed (guint n_digits)
{
  return n_digits <= DIGITS_PER_REC ? 0 : (n_digits - DIGITS_PER_REC + DIGITS_PER_REC - 1) / DIGITS_PER_REC;
}

/* EF_EXT1 record is free: TS 31.102 §4.4.2.4 "'00' indicates the type
 * unknown or free", whatever the rest holds; an erased record (all 'FF')
 * is free too. Only the type byte counts, so this does not decode. */
static gboolean
ext1_record_is_free (SvCardImage *image,
                     const char  *ext1_key,
                     guint        index)
{
  GBytes *bytes = sv_card_image_get_record (image, ext1_key, index);
  const guint8 *data;
  gsize len;

  if (bytes == NULL)
    return FALSE;
  data = g_bytes_get_data (bytes, &len);
  return len == 0 || data[0] == 0x00 || data[0] == 0xFF;
}

static guint
count_free_ext1 (SvCardImage *image,
                 const char  *ext1_key)
{
  guint n = 0;

  for (guint i = 1; i <= file_n_records (image, ext1_key); i++)
    if (ext1_record_is_free (image, ext1_key, i))
      n++;
  return n;
}

/* Decoding one contact */

/*
 * EF_ADN record @index of @key. An alpha identifier that does not decode
 * (a UCS2 field whose length byte runs past it, say) reads as no name, so
 * the number is still shown. Clear @out with sv_adn_record_clear().
 */
static gboolean
decode_adn (SvCardImage *image,
            const char  *key,
            guint        index,
            SvAdnRecord *out)
{
  GBytes *bytes = sv_card_image_get_record (image, key, index);
  g_autoptr(GError) error = NULL;
  const guint8 *data;
  gsize len;

  memset (out, 0, sizeof *out);
  if (bytes == NULL)
    return FALSE;

  data = g_bytes_get_data (bytes, &len);
  if (sv_adn_record_decode (data, len, out, &error))
    return TRUE;
  if (len < SV_ADN_FOOTER_LEN)
    return FALSE;

  g_debug ("%s record %u: the name does not decode: %s", key, index, error->message);
  /* the 14-byte number part alone is a record with an empty alpha */
  return sv_adn_record_decode (data + len - SV_ADN_FOOTER_LEN, SV_ADN_FOOTER_LEN, out, NULL);
}

/* The record of a linked file that belongs to ADN record @index: the same
 * index for type 1, the EF_IAP pointer for type 2; 0 when none. */
static guint
linked_record (SvCardImage      *image,
               const SetLayout  *layout,
               const LinkedFile *linked,
               guint             index)
{
  g_autoptr(GArray) pointers = NULL;
  GBytes *iap;
  const guint8 *data;
  gsize len;
  guint rec;

  if (linked->type == 1)
    return index <= file_n_records (image, linked->key) ? index : 0;

  iap = sv_card_image_get_record (image, layout->iap_key, index);
  if (iap == NULL)
    return 0;
  data = g_bytes_get_data (iap, &len);
  pointers = sv_iap_record_decode (data, len);
  if (linked->iap_pos >= pointers->len)
    return 0;
  rec = g_array_index (pointers, guint, linked->iap_pos);
  return rec <= file_n_records (image, linked->key) ? rec : 0;
}

/* The value of @linked for ADN record @index ("" when none): a number
 * (with its EF_EXT1 chain, whose records go to @chain_out) for ANR, text
 * for EMAIL and SNE. */
static char *
decode_linked (SvCardImage      *image,
               const SetLayout  *layout,
               const LinkedFile *linked,
               guint             index,
               GArray           *chain_out)
{
  guint rec = linked_record (image, layout, linked, index);
  g_autoptr(GError) error = NULL;
  GBytes *bytes;
  const guint8 *data;
  gsize len;

  if (rec == 0)
    return g_strdup ("");

  bytes = sv_card_image_get_record (image, linked->key, rec);
  data = g_bytes_get_data (bytes, &len);

  if (linked->kind == FIELD_ANR)
    {
      SvAnrRecord anr;
      SvAdnRecord number = { 0, };
      char *text;

      if (!sv_anr_record_decode (data, len, &anr, &error))
        {
          g_debug ("%s record %u: %s", linked->key, rec, error->message);
          return g_strdup ("");
        }
      if (anr.empty)
        {
          sv_anr_record_clear (&anr);
          return g_strdup ("");
        }
      /* TS 31.102 §4.4.2.9: the number part is that of an ADN record */
      number.number = anr.number;
      number.ext_record = anr.ext_record;
      text = join_number (image, layout->ext1_key, &number, chain_out);
      sv_anr_record_clear (&anr);
      return text;
    }
  else
    {
      SvPbTextRecord text;
      char *value;

      if (!sv_pb_text_record_decode (data, len, linked->type == 2, &text, &error))
        {
          g_debug ("%s record %u: %s", linked->key, rec, error->message);
          return g_strdup ("");
        }
      value = g_steal_pointer (&text.text);
      sv_pb_text_record_clear (&text);
      return value;
    }
}

static SvContact *
decode_contact (SvCardImage     *image,
                const SetLayout *layout,
                guint            index)
{
  g_autoptr(GPtrArray) anrs = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) emails = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *number = NULL;
  g_autofree char *second_name = NULL;
  SvAdnRecord adn;
  SvContact *contact;

  if (!decode_adn (image, layout->adn_key, index, &adn))
    return NULL;
  number = join_number (image, layout->ext1_key, &adn, NULL);

  /* An empty EF_ADN record is no contact, whatever linked files hold. */
  if (adn.alpha[0] == '\0' && number[0] == '\0')
    {
      sv_adn_record_clear (&adn);
      return NULL;
    }

  for (guint i = 0; i < layout->anr->len; i++)
    {
      char *anr = decode_linked (image, layout, g_ptr_array_index (layout->anr, i), index, NULL);

      if (anr[0] != '\0')
        g_ptr_array_add (anrs, anr);
      else
        g_free (anr);
    }
  g_ptr_array_add (anrs, NULL);

  for (guint i = 0; i < layout->email->len; i++)
    {
      char *email = decode_linked (image, layout, g_ptr_array_index (layout->email, i), index, NULL);

      if (email[0] != '\0')
        g_ptr_array_add (emails, email);
      else
        g_free (email);
    }
  g_ptr_array_add (emails, NULL);

  if (layout->sne->len > 0)
    second_name = decode_linked (image, layout, g_ptr_array_index (layout->sne, 0), index, NULL);

  contact = sv_contact_new_full (layout->set, index, adn.alpha, number,
                                 number[0] != '\0' ? adn.ton_npi : 0,
                                 (const char * const *) anrs->pdata,
                            (const char * const *) emails->pdata,
                            second_name);
  sv_adn_record_clear (&adn);
  return contact;
}

/**
 * sv_phonebook_decode:
 * @image: a card image
 * @error: return location for a #SV_PHONEBOOK_ERROR
 *
 * Every contact of the card, ordered by set and index. On a USIM image
 * with "pbr" these are the USIM sets and "adn" is ignored (see the top of
 * this file); otherwise set 0 from "adn". Empty EF_ADN records are skipped.
 *
 * Returns: (transfer container) (element-type SvContact): the contacts
 */
GPtrArray *
sv_phonebook_decode (SvCardImage  *image,
                     GError      **error)
{
  g_autoptr(GPtrArray) contacts = NULL;
  guint n_sets, first_set;

  g_return_val_if_fail (SV_IS_CARD_IMAGE (image), NULL);

  contacts = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_contact_unref);
  n_sets = sv_phonebook_get_n_sets (image);
  first_set = image_uses_pbr (image) ? 1 : 0;

  for (guint set = first_set; set < first_set + n_sets; set++)
    {
      g_autoptr(SetLayout) layout = load_layout (image, set, error);

      if (layout == NULL)
        return NULL;

      for (guint i = 1; i <= file_n_records (image, layout->adn_key); i++)
        {
          SvContact *contact = decode_contact (image, layout, i);

          if (contact)
            g_ptr_array_add (contacts, contact);
        }
    }

  return g_steal_pointer (&contacts);
}

/* Limits and validation */

static guint
linked_field_len (SvCardImage      *image,
                  const LinkedFile *linked)
{
  guint len = file_record_len (image, linked->key);

  return linked->type == 2 && len >= 2 ? len - 2 : len;
}

/**
 * sv_phonebook_get_limits:
 * @image: a card image
 * @set: a phonebook set
 * @limits: (out caller-allocates): the limits
 * @error: return location for a #SV_PHONEBOOK_ERROR
 *
 * Returns: %TRUE, or %FALSE if @set does not exist
 */
gboolean
sv_phonebook_get_limits (SvCardImage        *image,
                         guint               set,
                         SvPhonebookLimits  *limits,
                         GError            **error)
{
  g_autoptr(SetLayout) layout = NULL;

  g_return_val_if_fail (SV_IS_CARD_IMAGE (image), FALSE);
  g_return_val_if_fail (limits != NULL, FALSE);

  memset (limits, 0, sizeof *limits);
  layout = load_layout (image, set, error);
  if (layout == NULL)
    return FALSE;

  limits->set = set;
  limits->n_records = file_n_records (image, layout->adn_key);
  limits->alpha_len = file_record_len (image, layout->adn_key) >= SV_ADN_FOOTER_LEN ?
                      file_record_len (image, layout->adn_key) - SV_ADN_FOOTER_LEN : 0;
  limits->n_ext1_records = file_n_records (image, layout->ext1_key);
  limits->n_ext1_free = count_free_ext1 (image, layout->ext1_key);
  limits->n_anr = layout->anr->len;
  limits->n_email = layout->email->len;
  if (layout->email->len > 0)
    limits->email_len = linked_field_len (image, g_ptr_array_index (layout->email, 0));
  if (layout->sne->len > 0)
    limits->sne_len = linked_field_len (image, g_ptr_array_index (layout->sne, 0));

  return TRUE;
}

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

  if (decode_adn (image, layout->adn_key, index, &adn))
    g_free (join_number (image, layout->ext1_key, &adn, chain));
  sv_adn_record_clear (&adn);

  for (guint i = 0; i < layout->anr->len; i++)
    g_free (decode_linked (image, layout, g_ptr_array_index (layout->anr, i), index, chain));

  return chain;
}

static guint
count_free_linked (SvCardImage      *image,
                   const LinkedFile *linked)
{
  guint n = 0;

  for (guint i = 1; i <= file_n_records (image, linked->key); i++)
    {
      GBytes *bytes = sv_card_image_get_record (image, linked->key, i);
      gsize len;
      const guint8 *data = g_bytes_get_data (bytes, &len);

      if (all_ff (data, linked->type == 2 && len >= 2 ? len - 2 : len))
        n++;
    }
  return n;
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

  normalized = normalize_number (number, &n_digits, &error);
  if (normalized == NULL)
    {
      add_problem (problems, field, 0,
                   _("The %s cannot be stored: %s (allowed: digits, * # p w and one +)"),
                   label, error->message);
      return;
    }

  needed = ext1_records_needed (n_digits);
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

static gboolean
linked_has_room (SvCardImage      *image,
                 const SetLayout  *layout,
                 const LinkedFile *linked,
                 guint             index)
{
  if (linked->type == 1)
    return index <= file_n_records (image, linked->key);
  return linked_record (image, layout, linked, index) != 0 || count_free_linked (image, linked) > 0;
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

  layout = load_layout (image, set, &error);
  if (layout == NULL)
    {
      add_problem (problems, "index", 0, "%s", error->message);
      return g_steal_pointer (&problems);
    }

  n_records = file_n_records (image, layout->adn_key);
  if (index < 1 || index > n_records)
    {
      add_problem (problems, "index", 0,
                   _("Record %u does not exist: phonebook set %u has records 1 to %u"),
                   index, set, n_records);
      return g_steal_pointer (&problems);
    }

  alpha_len = file_record_len (image, layout->adn_key) - SV_ADN_FOOTER_LEN;
  check_alpha (problems, "name", C_("phonebook field", "name"), sv_contact_get_name (contact), alpha_len);

  owned = owned_ext1_records (image, layout, index);
  ext1_available = count_free_ext1 (image, layout->ext1_key) + owned->len;
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
      if (!linked_has_room (image, layout, g_ptr_array_index (layout->anr, i), index))
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
      if (!linked_has_room (image, layout, linked, index))
        add_problem (problems, field, 0, _("EF_EMAIL %u has no free record for the %s"), i + 1, label);
      check_alpha (problems, field, label, emails[i], linked_field_len (image, linked));
    }

  if (sv_contact_get_second_name (contact)[0] != '\0')
    {
      if (layout->sne->len == 0)
        add_problem (problems, "second_name", 0, _("This phonebook has no room for a second name"));
      else
        {
          LinkedFile *linked = g_ptr_array_index (layout->sne, 0);

          if (!linked_has_room (image, layout, linked, index))
            add_problem (problems, "second_name", 0, _("EF_SNE has no free record for the second name"));
          check_alpha (problems, "second_name", C_("phonebook field", "second name"),
                       sv_contact_get_second_name (contact), linked_field_len (image, linked));
        }
    }

  return g_steal_pointer (&problems);
}

/* Storing */

typedef struct
{
  SvCardImage *image;
  const char  *ext1_key;
  GArray      *pool;            /* guint8: chain records to reuse first */
} Ext1Alloc;

static guint8
ext1_take (Ext1Alloc *alloc)
{
  if (alloc->pool->len > 0)
    {
      guint8 rec = g_array_index (alloc->pool, guint8, 0);

      g_array_remove_index (alloc->pool, 0);
      return rec;
    }

  for (guint i = 1; i <= file_n_records (alloc->image, alloc->ext1_key) && i < SV_EXT1_NONE; i++)
    if (ext1_record_is_free (alloc->image, alloc->ext1_key, i))
      return i;

  return 0;
}

/*
 * Encodes @number into the 14-byte ADN-format number part @footer (TS
 * 51.011 §10.5.1) with sv_adn_record_encode(), keeping @ccp, and writes
 * the digits beyond 20 to EF_EXT1 records taken from @alloc
 * (sv_ext1_record_encode(), TS 51.011 §10.5.10).
 */
static gboolean
encode_number_footer (Ext1Alloc    *alloc,
                      guint8       *footer,
                      const char   *number,
                      guint8        ton_npi,
                      guint8        ccp,
                      GError      **error)
{
  SvAdnRecord rec = { 0, };
  g_autoptr(GPtrArray) chunks = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree guint8 *records = NULL;
  g_autofree guint8 *ext = NULL;
  gsize ext_len;

  rec.alpha = (char *) "";
  rec.number = (char *) number;
  rec.ton_npi = ton_npi;
  rec.ccp = ccp;
  rec.ext_record = SV_EXT1_NONE;
  if (!sv_adn_record_encode (&rec, footer, SV_ADN_FOOTER_LEN, &chunks, &local_error))
    {
      g_set_error (error, SV_PHONEBOOK_ERROR, SV_PHONEBOOK_ERROR_DOES_NOT_FIT,
                   _("The number cannot be stored: %s"), local_error->message);
      return FALSE;
    }
  if (chunks == NULL)
    return TRUE;

  records = g_new0 (guint8, chunks->len);
  for (guint r = 0; r < chunks->len; r++)
    {
      records[r] = ext1_take (alloc);
      if (records[r] == 0)
        {
          g_set_error (error, SV_PHONEBOOK_ERROR, SV_PHONEBOOK_ERROR_DOES_NOT_FIT,
                       _("No free EF_EXT1 record for digits %u and on of the number"),
                       DIGITS_PER_REC * (r + 1) + 1);
          return FALSE;
        }
      /* mark it taken before the next search */
      put_filled (alloc->image, alloc->ext1_key, records[r], SV_EXT1_TYPE_ADDITIONAL_DATA, 0xFF);
    }

  /* sv_adn_record_encode(): the caller links the first record */
  footer[SV_ADN_FOOTER_LEN - 1] = records[0];
  ext_len = file_record_len (alloc->image, alloc->ext1_key);
  ext = g_malloc (MAX (ext_len, 1));
  for (guint r = 0; r < chunks->len; r++)
    {
      if (!sv_ext1_record_encode (g_ptr_array_index (chunks, r),
                                  r + 1 < chunks->len ? records[r + 1] : SV_EXT1_NONE,
                                  ext, ext_len, &local_error))
        {
          g_set_error (error, SV_PHONEBOOK_ERROR, SV_PHONEBOOK_ERROR_CORRUPT,
                       "%s: %s", alloc->ext1_key, local_error->message);
          return FALSE;
        }
      put_record (alloc->image, alloc->ext1_key, records[r], ext, ext_len);
    }

  return TRUE;
}

/*
 * Whether @number differs from @old_number (the card's, %NULL when there
 * is none) once encoded: if it does, the footer must be rewritten and the
 * old number's EF_EXT1 chain @old_chain goes to the reuse pool. When they
 * are the same the old bytes (and chain) stay, so an edit of the name
 * alone changes only the name's record.
 */
static gboolean
number_changed (const char *old_number,
                GArray     *old_chain,
                const char *number,
                GArray     *pool)
{
  g_autofree char *normalized = normalize_number (number, NULL, NULL);

  if (old_number != NULL && normalized != NULL && g_str_equal (old_number, normalized))
    return FALSE;

  if (old_chain->len > 0)
    g_array_append_vals (pool, old_chain->data, old_chain->len);
  return TRUE;
}

/* number_changed() for the additional number in @linked of entry @index */
static gboolean
anr_number_changed (SvCardImage      *image,
                    const SetLayout  *layout,
                    const LinkedFile *linked,
                    guint             index,
                    const char       *number,
                    GArray           *pool)
{
  g_autoptr(GArray) chain = g_array_new (FALSE, FALSE, sizeof (guint8));
  g_autofree char *old_number = decode_linked (image, layout, linked, index, chain);

  return number_changed (old_number, chain, number, pool);
}

static gboolean
linked_is_free_record (SvCardImage      *image,
                       const LinkedFile *linked,
                       guint             rec)
{
  GBytes *bytes = sv_card_image_get_record (image, linked->key, rec);
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);

  return all_ff (data, linked->type == 2 && len >= 2 ? len - 2 : len);
}

static guint
linked_take_free (SvCardImage      *image,
                  const LinkedFile *linked)
{
  for (guint i = 1; i <= file_n_records (image, linked->key) && i < 0xFF; i++)
    if (linked_is_free_record (image, linked, i))
      return i;
  return 0;
}

static void
set_iap (SvCardImage     *image,
         const SetLayout *layout,
         guint            index,
         guint            pos,
         guint8           value)
{
  gsize len;
  g_autofree guint8 *iap = dup_record (image, layout->iap_key, index, &len);

  if (iap == NULL || pos >= len)
    return;
  iap[pos] = value;
  put_record (image, layout->iap_key, index, iap, len);
}

/*
 * Stores @value (a number for ANR, text for EMAIL/SNE) in the linked file
 * for ADN record @index, or clears it when @value is "" (a type 2 record is
 * freed and its EF_IAP byte set to 'FF').
 */
static gboolean
store_linked (SvCardImage      *image,
              const SetLayout  *layout,
              const LinkedFile *linked,
              Ext1Alloc        *alloc,
              guint             index,
              const char       *value,
              int               anr_changed,
              GError          **error)
{
  guint rec = linked_record (image, layout, linked, index);
  gsize len = file_record_len (image, linked->key);
  gsize field_len = linked->type == 2 && len >= 2 ? len - 2 : len;
  g_autofree guint8 *old = rec ? dup_record (image, linked->key, rec, &len) : NULL;
  g_autofree guint8 *data = g_malloc (MAX (len, 1));

  if (value[0] == '\0')
    {
      if (rec == 0)
        return TRUE;
      if (linked->kind == FIELD_ANR && anr_changed < 0)
        anr_number_changed (image, layout, linked, index, "", alloc->pool);
      memset (data, 0xFF, len);
      put_record (image, linked->key, rec, data, len);
      if (linked->type == 2)
        set_iap (image, layout, index, linked->iap_pos, 0xFF);
      return TRUE;
    }

  if (rec == 0)
    {
      g_assert (linked->type == 2);
      rec = linked_take_free (image, linked);
      if (rec == 0)
        {
          g_set_error (error, SV_PHONEBOOK_ERROR, SV_PHONEBOOK_ERROR_DOES_NOT_FIT,
                       _("“%s” has no free record"), linked->key);
          return FALSE;
        }
      set_iap (image, layout, index, linked->iap_pos, rec);
    }

  if (old)
    memcpy (data, old, len);
  else
    memset (data, 0xFF, len);

  switch (linked->kind)
    {
    case FIELD_ANR:
      if (field_len < 1 + SV_ADN_FOOTER_LEN)
        return TRUE;
      if (old == NULL ||
          (anr_changed < 0 ? anr_number_changed (image, layout, linked, index, value, alloc->pool)
                           : anr_changed))
        {
          SvAnrRecord old_anr;
          guint8 ccp = 0xFF;

          if (old != NULL && sv_anr_record_decode (old, len, &old_anr, NULL))
            {
              ccp = old_anr.ccp;
              sv_anr_record_clear (&old_anr);
            }
          /* TS 31.102 §4.4.2.9: the AAS id, then the number part of an ADN
           * record. sv_anr_record_encode() cannot overflow into EF_EXT1, so
           * the number part is encoded as for EF_ADN. Byte 1 '00' = no
           * additional number description; a set AAS id is kept. */
          if (data[0] == 0xFF)
            data[0] = 0x00;
          if (!encode_number_footer (alloc, data + 1, value, SV_TON_NPI_DEFAULT, ccp, error))
            return FALSE;
        }
      break;
    case FIELD_EMAIL:
    case FIELD_SNE:
      {
        g_autoptr(GError) local_error = NULL;
        g_autofree char *old_value = old ? decode_linked (image, layout, linked, index, NULL) : NULL;
        SvPbTextRecord text = { 0, };

        /* the same text keeps its bytes, whatever coding they use */
        if (old_value != NULL && g_str_equal (old_value, value))
          break;
        text.text = (char *) value;
        text.adn_sfi = layout->adn_sfi;
        text.adn_record = index;
        if (!sv_pb_text_record_encode (&text, linked->type == 2, data, len, &local_error))
          {
            g_set_error (error, SV_PHONEBOOK_ERROR, SV_PHONEBOOK_ERROR_DOES_NOT_FIT,
                         "%s: %s", linked->key, local_error->message);
            return FALSE;
          }
      }
      break;
    default:
      break;
    }

  /* TS 31.102 §4.4.2.9, §4.4.2.10, §4.4.2.13: a type 2 record ends with
   * the ADN's SFI and record number (also for a record whose value stayed) */
  if (linked->type == 2 && len >= 2)
    {
      data[len - 2] = layout->adn_sfi;
      data[len - 1] = index;
    }

  put_record (image, linked->key, rec, data, len);
  return TRUE;
}

static const guint8 *
record_data (SvCardImage *image,
             const char  *key,
             guint        index,
             gsize       *len)
{
  GBytes *bytes = key ? sv_card_image_get_record (image, key, index) : NULL;

  *len = 0;
  return bytes ? g_bytes_get_data (bytes, len) : NULL;
}

/* Replaces the first @n bytes of a record, keeping the rest. */
static void
put_prefix (SvCardImage  *image,
            const char   *key,
            guint         index,
            const guint8 *bytes,
            gsize         n)
{
  gsize len;
  g_autofree guint8 *data = dup_record (image, key, index, &len);

  if (data == NULL || len < n)
    return;
  memcpy (data, bytes, n);
  put_record (image, key, index, data, len);
}

/* EF_UID and EF_PUID (TS 31.102 §4.4.2.12.1, §4.4.2.12.4) share one
 * coding, sv_uid_record_*(); 0 when the record is missing or short. */
static guint16
read_uid (SvCardImage *image,
          const char  *key,
          guint        index)
{
  gsize len;
  const guint8 *data = record_data (image, key, index, &len);
  guint16 uid = 0;

  if (data == NULL || !sv_uid_record_decode (data, len, &uid, NULL))
    return 0;
  return uid;
}

static void
write_uid (SvCardImage *image,
           const char  *key,
           guint        index,
           guint16      uid)
{
  guint8 out[2];

  sv_uid_record_encode (uid, out);
  put_prefix (image, key, index, out, sizeof out);
}

/*
 * What a handset does after it changed entry @index of a USIM set
 * (TS 31.102 §4.4.2.5, §4.4.2.12, Annex C "phonebook synchronisation"):
 * - EF_PBC (§4.4.2.5): byte 1 "entry control information", b1 = 1 means
 *   the entry was modified (for synchronisation); byte 2 is the hidden
 *   information, '00' = not hidden. Stored: b1 set; deleted: '00 00'.
 * - EF_UID (§4.4.2.12.1): a new entry gets EF_PUID + 1 and EF_PUID is
 *   updated to it (§4.4.2.12.4); a changed entry keeps its UID; a deleted
 *   entry's UID is set to '00 00' (no entry).
 * - EF_CC (§4.4.2.12.3): incremented by one on every change; after 'FFFF'
 *   it continues at '0001' ('0000' is not used).
 * - EF_PSC (§4.4.2.12.2) only changes when the UIDs are regenerated,
 *   which this model never does: when EF_PUID is 'FFFF' storing a new
 *   entry fails instead.
 */
static gboolean
usim_entry_changed (SvCardImage     *image,
                    const SetLayout *layout,
                    guint            index,
                    gboolean         deleted,
                    GError         **error)
{
  if (layout->set == 0)
    return TRUE;

  if (layout->uid_key && sv_card_image_lookup (image, layout->uid_key))
    {
      guint16 uid = read_uid (image, layout->uid_key, index);

      if (deleted)
        write_uid (image, layout->uid_key, index, 0x0000);
      else if (uid == 0x0000 || uid == 0xFFFF)
        {
          guint16 puid = read_uid (image, "puid", 1);

          if (puid == 0xFFFF)
            {
              g_set_error_literal (error, SV_PHONEBOOK_ERROR, SV_PHONEBOOK_ERROR_DOES_NOT_FIT,
                                   _("EF_PUID is exhausted ('FFFF'): the card's UIDs need regenerating "
                                     "(TS 31.102 §4.4.2.12.4), which SimVault does not do"));
              return FALSE;
            }
          write_uid (image, layout->uid_key, index, puid + 1);
          write_uid (image, "puid", 1, puid + 1);
        }
    }

  if (layout->pbc_key && sv_card_image_lookup (image, layout->pbc_key))
    {
      gsize len;
      const guint8 *data = record_data (image, layout->pbc_key, index, &len);
      SvPbcRecord pbc;
      guint8 out[2];

      if (data != NULL && sv_pbc_record_decode (data, len, &pbc, NULL))
        {
          if (deleted)
            {
              pbc.entry_control = 0x00;
              pbc.hidden = 0x00;
            }
          else
            {
              pbc.entry_control = (pbc.entry_control == 0xFF ? 0x00 : pbc.entry_control) | 0x01;
              if (pbc.hidden == 0xFF)
                pbc.hidden = 0x00;
            }
          sv_pbc_record_encode (&pbc, out);
          put_prefix (image, layout->pbc_key, index, out, sizeof out);
        }
    }

  if (sv_card_image_lookup (image, "cc") != NULL)
    {
      gsize len;
      const guint8 *data = record_data (image, "cc", 1, &len);
      guint16 cc = 0;
      guint8 out[2];

      if (data == NULL || !sv_cc_decode (data, len, &cc, NULL))
        cc = 0;
      sv_cc_encode (cc == 0xFFFF ? 0x0001 : cc + 1, out);
      put_prefix (image, "cc", 1, out, sizeof out);
    }

  return TRUE;
}

static void
free_pool (Ext1Alloc *alloc)
{
  /* TS 31.102 §4.4.2.4: record type '00' = free; the rest erased */
  for (guint i = 0; i < alloc->pool->len; i++)
    put_filled (alloc->image, alloc->ext1_key, g_array_index (alloc->pool, guint8, i), 0x00, 0xFF);
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
 * handset would (see usim_entry_changed()). Fields beyond the model (CCP,
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

  layout = load_layout (image, set, error);
  if (layout == NULL)
    return FALSE;

  /* A contact that does not say which TON/NPI its number has keeps the
   * card's when the number is the one the card holds (an edit of the
   * name leaves a national number national, TS 24.008 §10.5.4.7). */
  before = decode_contact (image, layout, index);
  if (before != NULL && sv_contact_get_ton_npi (contact) == 0 &&
      sv_contact_get_ton_npi (before) != 0)
    {
      g_autofree char *normalized = normalize_number (sv_contact_get_number (contact), NULL, NULL);

      if (normalized != NULL && g_str_equal (normalized, sv_contact_get_number (before)))
        contact = resolved = sv_contact_copy_with_ton_npi (contact, sv_contact_get_ton_npi (before));
    }

  /* Nothing to do when the card already holds exactly this contact: no
   * PBC/CC change either. */
  if (before != NULL && sv_contact_equal (before, contact))
    return TRUE;

  /* the one failure usim_entry_changed() can have: check it before any
   * record is written */
  if (layout->uid_key && sv_card_image_lookup (image, layout->uid_key) &&
      (read_uid (image, layout->uid_key, index) == 0 ||
       read_uid (image, layout->uid_key, index) == 0xFFFF) &&
      read_uid (image, "puid", 1) == 0xFFFF)
    return usim_entry_changed (image, layout, index, FALSE, error);

  pool = g_array_new (FALSE, FALSE, sizeof (guint8));
  alloc.image = image;
  alloc.ext1_key = layout->ext1_key;
  alloc.pool = pool;

  old = dup_record (image, layout->adn_key, index, &len);
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
  if (decode_adn (image, layout->adn_key, index, &old_adn))
    {
      old_number = join_number (image, layout->ext1_key, &old_adn, old_chain);
      ccp = old_adn.ccp;
    }
  sv_adn_record_clear (&old_adn);
  number_differs = number_changed (old_number, old_chain, sv_contact_get_number (contact), pool);
  ton_npi = sv_contact_get_effective_ton_npi (contact);

  anrs = sv_contact_get_additional_numbers (contact);
  emails = sv_contact_get_emails (contact);
  n_anrs = g_strv_length ((char **) anrs);

  /* ...and the old chains of changed additional numbers */
  anr_changed = g_new0 (int, layout->anr->len + 1);
  for (guint i = 0; i < layout->anr->len; i++)
    {
      LinkedFile *linked = g_ptr_array_index (layout->anr, i);

      if (linked_record (image, layout, linked, index) == 0)
        anr_changed[i] = -1;
      else
        anr_changed[i] = anr_number_changed (image, layout, linked, index,
                                             i < n_anrs ? anrs[i] : "", pool);
    }

  if (number_differs &&
      !encode_number_footer (&alloc, adn + alpha_len, sv_contact_get_number (contact), ton_npi, ccp, error))
    return FALSE;
  /* the same digits with another TON/NPI: only that byte changes */
  if (!number_differs && sv_contact_get_number (contact)[0] != '\0')
    adn[alpha_len + 1] = ton_npi;
  put_record (image, layout->adn_key, index, adn, len);

  for (guint i = 0; i < layout->anr->len; i++)
    if (!store_linked (image, layout, g_ptr_array_index (layout->anr, i), &alloc, index,
                       i < n_anrs ? anrs[i] : "", anr_changed[i], error))
      return FALSE;
  {
    guint n_emails = g_strv_length ((char **) emails);

    for (guint i = 0; i < layout->email->len; i++)
      if (!store_linked (image, layout, g_ptr_array_index (layout->email, i), &alloc, index,
                         i < n_emails ? emails[i] : "", -1, error))
        return FALSE;
  }
  if (layout->sne->len > 0 &&
      !store_linked (image, layout, g_ptr_array_index (layout->sne, 0), &alloc, index,
                     sv_contact_get_second_name (contact), -1, error))
    return FALSE;

  if (layout->ext1_key)
    free_pool (&alloc);

  return usim_entry_changed (image, layout, index, FALSE, error);
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

  layout = load_layout (image, set, error);
  if (layout == NULL)
    return FALSE;

  n_records = file_n_records (image, layout->adn_key);
  if (index < 1 || index > n_records)
    {
      g_set_error (error, SV_PHONEBOOK_ERROR, SV_PHONEBOOK_ERROR_OUT_OF_RANGE,
                   _("Record %u does not exist: phonebook set %u has records 1 to %u"),
                   index, set, n_records);
      return FALSE;
    }

  before = decode_contact (image, layout, index);
  if (before == NULL)
    return TRUE;

  pool = owned_ext1_records (image, layout, index);
  alloc.image = image;
  alloc.ext1_key = layout->ext1_key;
  alloc.pool = g_array_new (FALSE, FALSE, sizeof (guint8));

  /* linked files first: they find their records through the ADN index */
  for (guint i = 0; i < layout->anr->len; i++)
    store_linked (image, layout, g_ptr_array_index (layout->anr, i), &alloc, index, "", -1, NULL);
  for (guint i = 0; i < layout->email->len; i++)
    store_linked (image, layout, g_ptr_array_index (layout->email, i), &alloc, index, "", -1, NULL);
  for (guint i = 0; i < layout->sne->len; i++)
    store_linked (image, layout, g_ptr_array_index (layout->sne, i), &alloc, index, "", -1, NULL);
  g_array_unref (alloc.pool);

  old = dup_record (image, layout->adn_key, index, &len);
  memset (old, 0xFF, len);
  put_record (image, layout->adn_key, index, old, len);

  alloc.pool = pool;
  if (layout->ext1_key)
    free_pool (&alloc);

  return usim_entry_changed (image, layout, index, TRUE, error);
}

/**
 * sv_phonebook_find_free_index:
 * @image: a card image
 * @set: a phonebook set
 *
 * Returns: the first empty EF_ADN record of @set, or 0 if it is full or
 *   does not exist
 */
guint
sv_phonebook_find_free_index (SvCardImage *image,
                              guint        set)
{
  g_autoptr(SetLayout) layout = NULL;

  g_return_val_if_fail (SV_IS_CARD_IMAGE (image), 0);

  layout = load_layout (image, set, NULL);
  if (layout == NULL)
    return 0;

  for (guint i = 1; i <= file_n_records (image, layout->adn_key); i++)
    {
      g_autoptr(SvContact) contact = decode_contact (image, layout, i);

      if (contact == NULL)
        return i;
    }

  return 0;
}
