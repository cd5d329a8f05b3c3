/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

#include "sv-file-info.h"

G_BEGIN_DECLS

/**
 * SV_CARD_IMAGE_ERROR:
 *
 * Error domain for operations on a #SvCardImage: a file that is not in the
 * image, a record number out of range, a record of the wrong length.
 */
#define SV_CARD_IMAGE_ERROR (sv_card_image_error_quark ())

typedef enum
{
  SV_CARD_IMAGE_ERROR_NO_SUCH_FILE,
  SV_CARD_IMAGE_ERROR_OUT_OF_RANGE,
  SV_CARD_IMAGE_ERROR_BAD_LENGTH,
} SvCardImageError;

GQuark sv_card_image_error_quark (void);

typedef enum
{
  SV_CARD_TYPE_SIM,             /* 2G, TS 51.011, CLA A0 */
  SV_CARD_TYPE_USIM,            /* UICC with ADF.USIM, TS 31.102 */
} SvCardType;

/**
 * SvCardFile:
 * @key: stable name of the file within a card, used by the mirror:
 *   "iccid", "imsi", "spn", "msisdn", "adn", "ext1", "sms", "smsp" for the
 *   2G/DF_TELECOM files; for a USIM phonebook "pbr", "psc", "cc", "puid"
 *   and per set N (the EF_PBR record) "pbN/adn", "pbN/iap", "pbN/ext1",
 *   "pbN/pbc", "pbN/uid", "pbN/grp", "pbN/anrK", "pbN/emailK", "pbN/sneK"
 *   (K counts the files of that kind in the set from 1, in the order the
 *   EF_PBR record lists them across its A8, A9 and AA templates).
 * @path: the path from the MF as upper-case hex, e.g. "3F007F106F3A";
 *   files of ADF.USIM start with "7FFF".
 * @records: the raw records as #GBytes (index 0 is record 1); a
 *   transparent file has exactly one element, its whole body.
 *
 * One elementary file of a card, as read, byte for byte.
 */
typedef struct
{
  char            *key;
  char            *path;
  SvFileStructure  structure;
  guint            record_len;
  guint            n_records;
  GPtrArray       *records;
} SvCardFile;

/**
 * SvRecordChange:
 * @key: the #SvCardFile.key of the file
 * @index: the 1-based record number (1 for a transparent file)
 * @old_bytes: (nullable): the record in the base image
 * @new_bytes: (nullable): the record in the changed image
 *
 * One record that differs between two images: @old_bytes is %NULL for a
 * record the base image did not have, @new_bytes is %NULL for a record the
 * changed image does not have (a file missing from one image counts as
 * all its records added or removed).
 *
 * Refcounted and immutable once made: share it with
 * sv_record_change_ref(), never copy it field by field.
 */
typedef struct
{
  char   *key;
  guint   index;
  GBytes *old_bytes;
  GBytes *new_bytes;
} SvRecordChange;

/**
 * SvCardImage:
 *
 * The raw content of a card: its type and every file SimVault read, keyed
 * by #SvCardFile.key. Reading a card produces one; the mirror stores one
 * per ICCID; the phonebook and message models are decoded from one; an
 * edit produces a changed copy, and the per-record difference between two
 * images is exactly what gets written to a card or backed up.
 *
 * Record numbers in this API are 1-based, as on the card (a transparent
 * file is record 1). sv_card_image_get_record() returns a borrowed
 * #GBytes (transfer none).
 *
 * Not thread-safe: hand it over between threads, do not share it.
 */
#define SV_TYPE_CARD_IMAGE (sv_card_image_get_type ())
G_DECLARE_FINAL_TYPE (SvCardImage, sv_card_image, SV, CARD_IMAGE, GObject)

SvCardImage      *sv_card_image_new            (SvCardType          card_type);
SvCardImage      *sv_card_image_copy           (SvCardImage        *self);
SvCardType        sv_card_image_get_card_type  (SvCardImage        *self);
const char       *sv_card_image_get_iccid      (SvCardImage        *self);
void              sv_card_image_set_iccid      (SvCardImage        *self,
                                                const char         *iccid);
SvCardFile       *sv_card_image_add_file       (SvCardImage        *self,
                                                const char         *key,
                                                const char         *path,
                                                SvFileStructure     structure,
                                                guint               record_len,
                                                guint               n_records);
SvCardFile       *sv_card_image_lookup         (SvCardImage        *self,
                                                const char         *key);
GPtrArray        *sv_card_image_list_keys      (SvCardImage        *self);
GBytes           *sv_card_image_get_record     (SvCardImage        *self,
                                                const char         *key,
                                                guint               index);
gboolean          sv_card_image_set_record     (SvCardImage        *self,
                                                const char         *key,
                                                guint               index,
                                                GBytes             *bytes,
                                                GError            **error);
GPtrArray        *sv_card_image_diff           (SvCardImage        *base,
                                                SvCardImage        *changed);
gboolean          sv_card_image_equal          (SvCardImage        *a,
                                                SvCardImage        *b);

/* Decoded identity and capacity, for the GUI and the CLI; %NULL when the
 * file is absent or does not decode. */
char             *sv_card_image_dup_iccid      (SvCardImage        *self);
char             *sv_card_image_dup_imsi       (SvCardImage        *self);
char             *sv_card_image_dup_msisdn     (SvCardImage        *self);
char             *sv_card_image_dup_spn        (SvCardImage        *self);
guint             sv_card_image_get_sms_capacity (SvCardImage      *self);

#define SV_TYPE_RECORD_CHANGE (sv_record_change_get_type ())
GType             sv_record_change_get_type    (void) G_GNUC_CONST;
SvRecordChange   *sv_record_change_new         (const char         *key,
                                                guint               index,
                                                GBytes             *old_bytes,
                                                GBytes             *new_bytes);
SvRecordChange   *sv_record_change_ref         (SvRecordChange     *change);
void              sv_record_change_unref       (SvRecordChange     *change);
const char       *sv_card_type_to_string       (SvCardType          card_type);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SvRecordChange, sv_record_change_unref)

G_END_DECLS
