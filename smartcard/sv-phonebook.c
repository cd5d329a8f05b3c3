/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-phonebook"

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "sv-usim-phonebook.h"

#include "sv-phonebook-private.h"

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
 * is encoded and decoded by the codec library; the model only decides
 * which records belong to which contact and which ones to change. It is
 * three files: this one (sets, numbers, decoding, limits),
 * sv-phonebook-usim.c (what only a USIM set has) and sv-phonebook-edit.c
 * (validation, store, delete); sv-phonebook-private.h joins them.
 *
 * Short messages are not the phonebook's: see sv-sms-store.c.
 */

G_DEFINE_QUARK (sv-phonebook-error-quark, sv_phonebook_error)

static void
linked_file_free (LinkedFile *file)
{
  g_free (file->key);
  g_free (file);
}

void
sv_pb_set_layout_free (SetLayout *layout)
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

/* Image helpers */

guint
sv_pb_file_n_records (SvCardImage *image,
                      const char  *key)
{
  SvCardFile *file = key ? sv_card_image_lookup (image, key) : NULL;

  return file ? file->records->len : 0;
}

guint
sv_pb_file_record_len (SvCardImage *image,
                       const char  *key)
{
  SvCardFile *file = key ? sv_card_image_lookup (image, key) : NULL;

  return file ? file->record_len : 0;
}

/* A copy of record @index of @key, or NULL; *len_out gets its size. */
guint8 *
sv_pb_dup_record (SvCardImage *image,
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

const guint8 *
sv_pb_record_data (SvCardImage *image,
                   const char  *key,
                   guint        index,
                   gsize       *len)
{
  GBytes *bytes = key ? sv_card_image_get_record (image, key, index) : NULL;

  *len = 0;
  return bytes ? g_bytes_get_data (bytes, len) : NULL;
}

void
sv_pb_put_record (SvCardImage  *image,
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

void
sv_pb_put_filled (SvCardImage *image,
                  const char  *key,
                  guint        index,
                  guint8       first,
                  guint8       rest)
{
  guint len = sv_pb_file_record_len (image, key);
  g_autofree guint8 *data = g_malloc (MAX (len, 1));

  memset (data, rest, len);
  if (len > 0)
    data[0] = first;
  sv_pb_put_record (image, key, index, data, len);
}

/* Replaces the first @n bytes of a record, keeping the rest. */
void
sv_pb_put_prefix (SvCardImage  *image,
                  const char   *key,
                  guint         index,
                  const guint8 *bytes,
                  gsize         n)
{
  gsize len;
  g_autofree guint8 *data = sv_pb_dup_record (image, key, index, &len);

  if (data == NULL || len < n)
    return;
  memcpy (data, bytes, n);
  sv_pb_put_record (image, key, index, data, len);
}

gboolean
sv_pb_all_ff (const guint8 *data,
              gsize         len)
{
  for (gsize i = 0; i < len; i++)
    if (data[i] != 0xFF)
      return FALSE;
  return TRUE;
}

/* Sets: set 0 from "adn", or the USIM sets of EF_PBR (TS 31.102 §4.4.2.1) */

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

      for (guint i = 1; i <= sv_pb_file_n_records (image, "pbr"); i++)
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

/* The files of phonebook set @set: set 0 is "adn" and "ext1"; a USIM set
 * is what its EF_PBR record says (sv_pb_usim_read_pbr()). */
SetLayout *
sv_pb_load_layout (SvCardImage  *image,
                   guint         set,
                   GError      **error)
{
  g_autoptr(SetLayout) layout = g_new0 (SetLayout, 1);

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

  if (!sv_pb_usim_read_pbr (image, layout, error))
    return NULL;

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
char *
sv_pb_join_number (SvCardImage       *image,
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
char *
sv_pb_normalize_number (const char  *number,
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

guint
sv_pb_ext1_records_needed (guint n_digits)
{
  return n_digits <= DIGITS_PER_REC ? 0 : (n_digits - DIGITS_PER_REC + DIGITS_PER_REC - 1) / DIGITS_PER_REC;
}

/* EF_EXT1 record is free: TS 31.102 §4.4.2.4 "'00' indicates the type
 * unknown or free", whatever the rest holds; an erased record (all 'FF')
 * is free too. Only the type byte counts, so this does not decode. */
gboolean
sv_pb_ext1_record_is_free (SvCardImage *image,
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

guint
sv_pb_count_free_ext1 (SvCardImage *image,
                       const char  *ext1_key)
{
  guint n = 0;

  for (guint i = 1; i <= sv_pb_file_n_records (image, ext1_key); i++)
    if (sv_pb_ext1_record_is_free (image, ext1_key, i))
      n++;
  return n;
}

static guint8
ext1_take (Ext1Alloc *alloc)
{
  if (alloc->pool->len > 0)
    {
      guint8 rec = g_array_index (alloc->pool, guint8, 0);

      g_array_remove_index (alloc->pool, 0);
      return rec;
    }

  for (guint i = 1; i <= sv_pb_file_n_records (alloc->image, alloc->ext1_key) && i < SV_EXT1_NONE; i++)
    if (sv_pb_ext1_record_is_free (alloc->image, alloc->ext1_key, i))
      return i;

  return 0;
}

/*
 * Encodes @number into the 14-byte ADN-format number part @footer (TS
 * 51.011 §10.5.1) with sv_adn_record_encode(), keeping @ccp, and writes
 * the digits beyond 20 to EF_EXT1 records taken from @alloc
 * (sv_ext1_record_encode(), TS 51.011 §10.5.10).
 */
gboolean
sv_pb_encode_number_footer (Ext1Alloc    *alloc,
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
      sv_pb_put_filled (alloc->image, alloc->ext1_key, records[r], SV_EXT1_TYPE_ADDITIONAL_DATA, 0xFF);
    }

  /* sv_adn_record_encode(): the caller links the first record */
  footer[SV_ADN_FOOTER_LEN - 1] = records[0];
  ext_len = sv_pb_file_record_len (alloc->image, alloc->ext1_key);
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
      sv_pb_put_record (alloc->image, alloc->ext1_key, records[r], ext, ext_len);
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
gboolean
sv_pb_number_changed (const char *old_number,
                      GArray     *old_chain,
                      const char *number,
                      GArray     *pool)
{
  g_autofree char *normalized = sv_pb_normalize_number (number, NULL, NULL);

  if (old_number != NULL && normalized != NULL && g_str_equal (old_number, normalized))
    return FALSE;

  if (old_chain->len > 0)
    g_array_append_vals (pool, old_chain->data, old_chain->len);
  return TRUE;
}

/* Decoding one contact */

/*
 * EF_ADN record @index of @key. An alpha identifier that does not decode
 * (a UCS2 field whose length byte runs past it, say) reads as no name, so
 * the number is still shown. Clear @out with sv_adn_record_clear().
 */
gboolean
sv_pb_decode_adn (SvCardImage *image,
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

SvContact *
sv_pb_decode_contact (SvCardImage     *image,
                      const SetLayout *layout,
                      guint            index)
{
  g_autoptr(GPtrArray) anrs = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) emails = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *number = NULL;
  g_autofree char *second_name = NULL;
  SvAdnRecord adn;
  SvContact *contact;

  if (!sv_pb_decode_adn (image, layout->adn_key, index, &adn))
    return NULL;
  number = sv_pb_join_number (image, layout->ext1_key, &adn, NULL);

  /* An empty EF_ADN record is no contact, whatever linked files hold. */
  if (adn.alpha[0] == '\0' && number[0] == '\0')
    {
      sv_adn_record_clear (&adn);
      return NULL;
    }

  for (guint i = 0; i < layout->anr->len; i++)
    {
      char *anr = sv_pb_decode_linked (image, layout, g_ptr_array_index (layout->anr, i), index, NULL);

      if (anr[0] != '\0')
        g_ptr_array_add (anrs, anr);
      else
        g_free (anr);
    }
  g_ptr_array_add (anrs, NULL);

  for (guint i = 0; i < layout->email->len; i++)
    {
      char *email = sv_pb_decode_linked (image, layout, g_ptr_array_index (layout->email, i), index, NULL);

      if (email[0] != '\0')
        g_ptr_array_add (emails, email);
      else
        g_free (email);
    }
  g_ptr_array_add (emails, NULL);

  if (layout->sne->len > 0)
    second_name = sv_pb_decode_linked (image, layout, g_ptr_array_index (layout->sne, 0), index, NULL);

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
      g_autoptr(SetLayout) layout = sv_pb_load_layout (image, set, error);

      if (layout == NULL)
        return NULL;

      for (guint i = 1; i <= sv_pb_file_n_records (image, layout->adn_key); i++)
        {
          SvContact *contact = sv_pb_decode_contact (image, layout, i);

          if (contact)
            g_ptr_array_add (contacts, contact);
        }
    }

  return g_steal_pointer (&contacts);
}

/* Limits */

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
  layout = sv_pb_load_layout (image, set, error);
  if (layout == NULL)
    return FALSE;

  limits->set = set;
  limits->n_records = sv_pb_file_n_records (image, layout->adn_key);
  limits->alpha_len = sv_pb_file_record_len (image, layout->adn_key) >= SV_ADN_FOOTER_LEN ?
                      sv_pb_file_record_len (image, layout->adn_key) - SV_ADN_FOOTER_LEN : 0;
  limits->n_ext1_records = sv_pb_file_n_records (image, layout->ext1_key);
  limits->n_ext1_free = sv_pb_count_free_ext1 (image, layout->ext1_key);
  limits->n_anr = layout->anr->len;
  limits->n_email = layout->email->len;
  if (layout->email->len > 0)
    limits->email_len = sv_pb_linked_field_len (image, g_ptr_array_index (layout->email, 0));
  if (layout->sne->len > 0)
    limits->sne_len = sv_pb_linked_field_len (image, g_ptr_array_index (layout->sne, 0));

  return TRUE;
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

  layout = sv_pb_load_layout (image, set, NULL);
  if (layout == NULL)
    return 0;

  for (guint i = 1; i <= sv_pb_file_n_records (image, layout->adn_key); i++)
    {
      g_autoptr(SvContact) contact = sv_pb_decode_contact (image, layout, i);

      if (contact == NULL)
        return i;
    }

  return 0;
}
