/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The phonebook model, what only a USIM phonebook set has (TS 31.102
 * §4.4.2): its files from EF_PBR, the linked files of an entry (EF_ANR,
 * EF_EMAIL, EF_SNE; type 1 by record number, type 2 through EF_IAP), and
 * what a handset updates after a change (EF_UID/EF_PUID, EF_PBC, EF_CC).
 * See sv-phonebook-private.h for how the model is split.
 */
#define G_LOG_DOMAIN "sv-phonebook"

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "sv-usim-phonebook.h"

#include "sv-phonebook-private.h"

/* EF_PBR (TS 31.102 §4.4.2.1) */

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

/*
 * Fills @layout for USIM set @layout->set from its EF_PBR record (TS 31.102
 * §4.4.2.1): the keys of its files and, for each linked file, its type and
 * EF_IAP position. Files EF_PBR names but the image does not hold are left
 * out; a set without EF_ADN is corrupt.
 */
gboolean
sv_pb_usim_read_pbr (SvCardImage  *image,
                     SetLayout    *layout,
                     GError      **error)
{
  g_autoptr(GArray) entries = NULL;
  g_autoptr(GError) local_error = NULL;
  guint set = layout->set;
  guint n_type2 = 0;
  GBytes *bytes;
  const guint8 *data;
  gsize len;

  bytes = sv_card_image_get_record (image, "pbr", set);
  data = g_bytes_get_data (bytes, &len);
  entries = sv_pbr_record_decode (data, len, &local_error);
  if (entries == NULL)
    {
      g_set_error (error, SV_PHONEBOOK_ERROR, SV_PHONEBOOK_ERROR_CORRUPT,
                   _("EF_PBR record %u: %s"), set, local_error->message);
      return FALSE;
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
      return FALSE;
    }

  /* Files EF_PBR names but the reader did not store are left out. */
  {
    GPtrArray *lists[] = { layout->anr, layout->email, layout->sne };

    for (guint l = 0; l < G_N_ELEMENTS (lists); l++)
      for (guint i = lists[l]->len; i > 0; i--)
        {
          LinkedFile *linked = g_ptr_array_index (lists[l], i - 1);

          if (sv_card_image_lookup (image, linked->key) == NULL ||
              (linked->type == 2 && sv_pb_file_n_records (image, layout->iap_key) == 0))
            g_ptr_array_remove_index (lists[l], i - 1);
        }
  }
  if (layout->ext1_key && sv_card_image_lookup (image, layout->ext1_key) == NULL)
    g_clear_pointer (&layout->ext1_key, g_free);

  return TRUE;
}

/* Linked files */

/* The record of a linked file that belongs to ADN record @index: the same
 * index for type 1, the EF_IAP pointer for type 2; 0 when none. */
guint
sv_pb_linked_record (SvCardImage      *image,
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
    return index <= sv_pb_file_n_records (image, linked->key) ? index : 0;

  iap = sv_card_image_get_record (image, layout->iap_key, index);
  if (iap == NULL)
    return 0;
  data = g_bytes_get_data (iap, &len);
  pointers = sv_iap_record_decode (data, len);
  if (linked->iap_pos >= pointers->len)
    return 0;
  rec = g_array_index (pointers, guint, linked->iap_pos);
  return rec <= sv_pb_file_n_records (image, linked->key) ? rec : 0;
}

/* The value of @linked for ADN record @index ("" when none): a number
 * (with its EF_EXT1 chain, whose records go to @chain_out) for ANR, text
 * for EMAIL and SNE. */
char *
sv_pb_decode_linked (SvCardImage      *image,
                     const SetLayout  *layout,
                     const LinkedFile *linked,
                     guint             index,
                     GArray           *chain_out)
{
  guint rec = sv_pb_linked_record (image, layout, linked, index);
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
      text = sv_pb_join_number (image, layout->ext1_key, &number, chain_out);
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

guint
sv_pb_linked_field_len (SvCardImage      *image,
                        const LinkedFile *linked)
{
  guint len = sv_pb_file_record_len (image, linked->key);

  return linked->type == 2 && len >= 2 ? len - 2 : len;
}

static guint
count_free_linked (SvCardImage      *image,
                   const LinkedFile *linked)
{
  guint n = 0;

  for (guint i = 1; i <= sv_pb_file_n_records (image, linked->key); i++)
    {
      GBytes *bytes = sv_card_image_get_record (image, linked->key, i);
      gsize len;
      const guint8 *data = g_bytes_get_data (bytes, &len);

      if (sv_pb_all_ff (data, linked->type == 2 && len >= 2 ? len - 2 : len))
        n++;
    }
  return n;
}

gboolean
sv_pb_linked_has_room (SvCardImage      *image,
                       const SetLayout  *layout,
                       const LinkedFile *linked,
                       guint             index)
{
  if (linked->type == 1)
    return index <= sv_pb_file_n_records (image, linked->key);
  return sv_pb_linked_record (image, layout, linked, index) != 0 || count_free_linked (image, linked) > 0;
}

/* sv_pb_number_changed() for the additional number in @linked of entry @index */
gboolean
sv_pb_anr_number_changed (SvCardImage      *image,
                          const SetLayout  *layout,
                          const LinkedFile *linked,
                          guint             index,
                          const char       *number,
                          GArray           *pool)
{
  g_autoptr(GArray) chain = g_array_new (FALSE, FALSE, sizeof (guint8));
  g_autofree char *old_number = sv_pb_decode_linked (image, layout, linked, index, chain);

  return sv_pb_number_changed (old_number, chain, number, pool);
}

static gboolean
linked_is_free_record (SvCardImage      *image,
                       const LinkedFile *linked,
                       guint             rec)
{
  GBytes *bytes = sv_card_image_get_record (image, linked->key, rec);
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);

  return sv_pb_all_ff (data, linked->type == 2 && len >= 2 ? len - 2 : len);
}

static guint
linked_take_free (SvCardImage      *image,
                  const LinkedFile *linked)
{
  for (guint i = 1; i <= sv_pb_file_n_records (image, linked->key) && i < 0xFF; i++)
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
  g_autofree guint8 *iap = sv_pb_dup_record (image, layout->iap_key, index, &len);

  if (iap == NULL || pos >= len)
    return;
  iap[pos] = value;
  sv_pb_put_record (image, layout->iap_key, index, iap, len);
}

/*
 * Stores @value (a number for ANR, text for EMAIL/SNE) in the linked file
 * for ADN record @index, or clears it when @value is "" (a type 2 record is
 * freed and its EF_IAP byte set to 'FF').
 */
gboolean
sv_pb_store_linked (SvCardImage      *image,
                    const SetLayout  *layout,
                    const LinkedFile *linked,
                    Ext1Alloc        *alloc,
                    guint             index,
                    const char       *value,
                    int               anr_changed,
                    GError          **error)
{
  guint rec = sv_pb_linked_record (image, layout, linked, index);
  gsize len = sv_pb_file_record_len (image, linked->key);
  gsize field_len = linked->type == 2 && len >= 2 ? len - 2 : len;
  g_autofree guint8 *old = rec ? sv_pb_dup_record (image, linked->key, rec, &len) : NULL;
  g_autofree guint8 *data = g_malloc (MAX (len, 1));

  if (value[0] == '\0')
    {
      if (rec == 0)
        return TRUE;
      if (linked->kind == FIELD_ANR && anr_changed < 0)
        sv_pb_anr_number_changed (image, layout, linked, index, "", alloc->pool);
      memset (data, 0xFF, len);
      sv_pb_put_record (image, linked->key, rec, data, len);
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
          (anr_changed < 0 ? sv_pb_anr_number_changed (image, layout, linked, index, value, alloc->pool)
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
          if (!sv_pb_encode_number_footer (alloc, data + 1, value, SV_TON_NPI_DEFAULT, ccp, error))
            return FALSE;
        }
      break;
    case FIELD_EMAIL:
    case FIELD_SNE:
      {
        g_autoptr(GError) local_error = NULL;
        g_autofree char *old_value = old ? sv_pb_decode_linked (image, layout, linked, index, NULL) : NULL;
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

  sv_pb_put_record (image, linked->key, rec, data, len);
  return TRUE;
}

/* After a change: EF_UID, EF_PUID, EF_PBC, EF_CC */

/* EF_UID and EF_PUID (TS 31.102 §4.4.2.12.1, §4.4.2.12.4) share one
 * coding, sv_uid_record_*(); 0 when the record is missing or short. */
guint16
sv_pb_read_uid (SvCardImage *image,
                const char  *key,
                guint        index)
{
  gsize len;
  const guint8 *data = sv_pb_record_data (image, key, index, &len);
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
  sv_pb_put_prefix (image, key, index, out, sizeof out);
}

/*
 * What a handset does after it changed entry @index of a USIM set
 * (TS 31.102 §4.4.2.5, §4.4.2.12, Annex C "phonebook synchronisation"):
 * - EF_PBC (§4.4.2.5): byte 1 "entry control information", b1 = 1 means
 *   the entry was modified by a terminal in 2G mode, which cannot update
 *   EF_CC; a 3G terminal that finds it set synchronises the entry and
 *   resets b1 (Annex C). SimVault is a 3G terminal and records its own
 *   change in EF_CC, so an entry it stores has b1 = 0 (a flag a 2G
 *   terminal left is cleared with the entry written over it); byte 2 is
 *   the hidden information, '00' = not hidden. Deleted: '00 00'.
 * - EF_UID (§4.4.2.12.1): a new entry gets EF_PUID + 1 and EF_PUID is
 *   updated to it (§4.4.2.12.4); a changed entry keeps its UID; a deleted
 *   entry's UID is set to '00 00' (no entry).
 * - EF_CC (§4.4.2.12.3): incremented by one on every change; after 'FFFF'
 *   it continues at '0001' ('0000' is not used).
 * - EF_PSC (§4.4.2.12.2) only changes when the UIDs are regenerated,
 *   which this model never does: when EF_PUID is 'FFFF' storing a new
 *   entry fails instead.
 */
gboolean
sv_pb_usim_entry_changed (SvCardImage     *image,
                          const SetLayout *layout,
                          guint            index,
                          gboolean         deleted,
                          GError         **error)
{
  if (layout->set == 0)
    return TRUE;

  if (layout->uid_key && sv_card_image_lookup (image, layout->uid_key))
    {
      guint16 uid = sv_pb_read_uid (image, layout->uid_key, index);

      if (deleted)
        write_uid (image, layout->uid_key, index, 0x0000);
      else if (uid == 0x0000 || uid == 0xFFFF)
        {
          guint16 puid = sv_pb_read_uid (image, "puid", 1);

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
      const guint8 *data = sv_pb_record_data (image, layout->pbc_key, index, &len);
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
              /* TS 31.102 §4.4.2.5, Annex C: b1 flags a 2G terminal's
               * edit; ours is in EF_CC, so b1 is reset, never set. */
              pbc.entry_control = (pbc.entry_control == 0xFF ? 0x00 : pbc.entry_control) & ~0x01;
              if (pbc.hidden == 0xFF)
                pbc.hidden = 0x00;
            }
          sv_pbc_record_encode (&pbc, out);
          sv_pb_put_prefix (image, layout->pbc_key, index, out, sizeof out);
        }
    }

  if (sv_card_image_lookup (image, "cc") != NULL)
    {
      gsize len;
      const guint8 *data = sv_pb_record_data (image, "cc", 1, &len);
      guint16 cc = 0;
      guint8 out[2];

      if (data == NULL || !sv_cc_decode (data, len, &cc, NULL))
        cc = 0;
      sv_cc_encode (cc == 0xFFFF ? 0x0001 : cc + 1, out);
      sv_pb_put_prefix (image, "cc", 1, out, sizeof out);
    }

  return TRUE;
}
