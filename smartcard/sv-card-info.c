/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-card"

#include "config.h"

#include "sv-dialling-number.h"
#include "sv-identity.h"

#include "sv-card-info.h"
#include "sv-sms-store.h"

struct _SvCardInfo
{
  gatomicrefcount    ref_count;
  SvCardType         card_type;
  char              *iccid;
  char              *imsi;
  char              *msisdn;
  char              *spn;
  GArray            *limits;        /* SvPhonebookLimits */
  guint              sms_capacity;
  guint              sms_used;
};

G_DEFINE_BOXED_TYPE (SvCardInfo, sv_card_info, sv_card_info_ref, sv_card_info_unref)

static char *
decode_imsi (SvCardImage *image)
{
  GBytes *bytes = sv_card_image_get_record (image, "imsi", 1);

  if (bytes == NULL)
    return NULL;
  /* TS 31.102 §4.2.2 */
  return sv_imsi_decode (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), NULL);
}

/* TS 31.102 §4.2.26 / TS 51.011 §10.5.5: the first used EF_MSISDN record. */
static char *
decode_msisdn (SvCardImage *image)
{
  SvCardFile *file = sv_card_image_lookup (image, "msisdn");

  for (guint i = 0; file && i < file->records->len; i++)
    {
      gsize len;
      const guint8 *d = g_bytes_get_data (g_ptr_array_index (file->records, i), &len);
      SvAdnRecord rec = { 0 };
      char *number = NULL;

      if (sv_adn_record_decode (d, len, &rec, NULL) && !rec.empty && rec.number && *rec.number)
        number = g_strdup (rec.number);
      sv_adn_record_clear (&rec);
      if (number)
        return number;
    }
  return NULL;
}

/* TS 31.102 §4.2.12 */
static char *
decode_spn (SvCardImage *image)
{
  GBytes *bytes = sv_card_image_get_record (image, "spn", 1);
  SvSpn spn = { 0 };
  char *name = NULL;

  if (bytes == NULL)
    return NULL;
  if (sv_spn_decode (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), &spn, NULL) &&
      spn.name != NULL && *spn.name)
    name = g_strdup (spn.name);
  sv_spn_clear (&spn);
  return name;
}

/**
 * sv_card_info_new_from_image:
 *
 * Decodes what is known about the card from @image. Fields the card does
 * not have are %NULL (or 0).
 *
 * Returns: (transfer full): a new #SvCardInfo
 */
SvCardInfo *
sv_card_info_new_from_image (SvCardImage *image)
{
  SvCardInfo *info = g_new0 (SvCardInfo, 1);
  gboolean usim_sets = sv_card_image_lookup (image, "pbr") != NULL;
  guint n_sets = sv_phonebook_get_n_sets (image);

  g_atomic_ref_count_init (&info->ref_count);
  info->card_type = sv_card_image_get_card_type (image);
  info->iccid = g_strdup (sv_card_image_get_iccid (image));
  info->imsi = decode_imsi (image);
  info->msisdn = decode_msisdn (image);
  info->spn = decode_spn (image);
  info->limits = g_array_new (FALSE, TRUE, sizeof (SvPhonebookLimits));
  for (guint i = 0; i < n_sets; i++)
    {
      SvPhonebookLimits limits = { 0 };

      if (sv_phonebook_get_limits (image, usim_sets ? i + 1 : 0, &limits, NULL))
        g_array_append_val (info->limits, limits);
    }
  info->sms_capacity = sv_card_image_get_sms_capacity (image);
  info->sms_used = sv_sms_store_count_used (image);
  return info;
}

SvCardInfo *
sv_card_info_ref (SvCardInfo *info)
{
  g_atomic_ref_count_inc (&info->ref_count);
  return info;
}

void
sv_card_info_unref (SvCardInfo *info)
{
  if (info == NULL || !g_atomic_ref_count_dec (&info->ref_count))
    return;
  g_free (info->iccid);
  g_free (info->imsi);
  g_free (info->msisdn);
  g_free (info->spn);
  g_array_unref (info->limits);
  g_free (info);
}

SvCardType
sv_card_info_get_card_type (const SvCardInfo *info)
{
  return info->card_type;
}

const char *
sv_card_info_get_iccid (const SvCardInfo *info)
{
  return info->iccid;
}

const char *
sv_card_info_get_imsi (const SvCardInfo *info)
{
  return info->imsi;
}

const char *
sv_card_info_get_msisdn (const SvCardInfo *info)
{
  return info->msisdn;
}

const char *
sv_card_info_get_spn (const SvCardInfo *info)
{
  return info->spn;
}

guint
sv_card_info_get_n_phonebook_sets (const SvCardInfo *info)
{
  return info->limits->len;
}

/* Limits of the @i-th phonebook set (0-based; its number is ->set). */
const SvPhonebookLimits *
sv_card_info_get_phonebook_limits (const SvCardInfo *info,
                                   guint             i)
{
  g_return_val_if_fail (i < info->limits->len, NULL);
  return &g_array_index (info->limits, SvPhonebookLimits, i);
}

guint
sv_card_info_get_sms_capacity (const SvCardInfo *info)
{
  return info->sms_capacity;
}

guint
sv_card_info_get_sms_used (const SvCardInfo *info)
{
  return info->sms_used;
}
