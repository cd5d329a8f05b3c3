/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Inside the phonebook model, not part of its API. The model is three
 * files along its sections:
 *   sv-phonebook.c       sets and their files, numbers and EF_EXT1 chains,
 *                        decoding contacts, limits
 *   sv-phonebook-usim.c  what only a USIM set has: EF_PBR, linked files
 *                        (ANR, EMAIL, SNE, type 1 and 2, EF_IAP), and
 *                        EF_UID/EF_PUID, EF_PBC, EF_CC after a change
 *   sv-phonebook-edit.c  validation (what does not fit), store, delete
 */
#pragma once

#include "sv-dialling-number.h"
#include "sv-phonebook.h"

G_BEGIN_DECLS

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

/* Where new EF_EXT1 records come from while a contact is stored. */
typedef struct
{
  SvCardImage *image;
  const char  *ext1_key;
  GArray      *pool;            /* guint8: chain records to reuse first */
} Ext1Alloc;

/* sv-phonebook.c */
guint         sv_pb_file_n_records       (SvCardImage        *image,
                                          const char         *key);
guint         sv_pb_file_record_len      (SvCardImage        *image,
                                          const char         *key);
guint8       *sv_pb_dup_record           (SvCardImage        *image,
                                          const char         *key,
                                          guint               index,
                                          gsize              *len_out);
void          sv_pb_put_record           (SvCardImage        *image,
                                          const char         *key,
                                          guint               index,
                                          const guint8       *data,
                                          gsize               len);
void          sv_pb_put_filled           (SvCardImage        *image,
                                          const char         *key,
                                          guint               index,
                                          guint8              first,
                                          guint8              rest);
gboolean      sv_pb_all_ff               (const guint8       *data,
                                          gsize               len);
const guint8 *sv_pb_record_data          (SvCardImage        *image,
                                          const char         *key,
                                          guint               index,
                                          gsize              *len);
void          sv_pb_put_prefix           (SvCardImage        *image,
                                          const char         *key,
                                          guint               index,
                                          const guint8       *bytes,
                                          gsize               n);
void          sv_pb_set_layout_free      (SetLayout          *layout);
SetLayout    *sv_pb_load_layout          (SvCardImage        *image,
                                          guint               set,
                                          GError            **error);
char         *sv_pb_join_number          (SvCardImage        *image,
                                          const char         *ext1_key,
                                          const SvAdnRecord  *rec,
                                          GArray             *chain_out);
char         *sv_pb_normalize_number     (const char         *number,
                                          guint              *n_digits,
                                          GError            **error);
guint         sv_pb_ext1_records_needed  (guint               n_digits);
gboolean      sv_pb_ext1_record_is_free  (SvCardImage        *image,
                                          const char         *ext1_key,
                                          guint               index);
guint         sv_pb_count_free_ext1      (SvCardImage        *image,
                                          const char         *ext1_key);
gboolean      sv_pb_encode_number_footer (Ext1Alloc          *alloc,
                                          guint8             *footer,
                                          const char         *number,
                                          guint8              ton_npi,
                                          guint8              ccp,
                                          GError            **error);
gboolean      sv_pb_number_changed       (const char         *old_number,
                                          GArray             *old_chain,
                                          const char         *number,
                                          GArray             *pool);
gboolean      sv_pb_decode_adn           (SvCardImage        *image,
                                          const char         *key,
                                          guint               index,
                                          SvAdnRecord        *out);
SvContact    *sv_pb_decode_contact       (SvCardImage        *image,
                                          const SetLayout    *layout,
                                          guint               index);

/* sv-phonebook-usim.c */
guint     sv_pb_linked_record      (SvCardImage       *image,
                                    const SetLayout   *layout,
                                    const LinkedFile  *linked,
                                    guint              index);
char     *sv_pb_decode_linked      (SvCardImage       *image,
                                    const SetLayout   *layout,
                                    const LinkedFile  *linked,
                                    guint              index,
                                    GArray            *chain_out);
guint     sv_pb_linked_field_len   (SvCardImage       *image,
                                    const LinkedFile  *linked);
gboolean  sv_pb_linked_has_room    (SvCardImage       *image,
                                    const SetLayout   *layout,
                                    const LinkedFile  *linked,
                                    guint              index);
gboolean  sv_pb_anr_number_changed (SvCardImage       *image,
                                    const SetLayout   *layout,
                                    const LinkedFile  *linked,
                                    guint              index,
                                    const char        *number,
                                    GArray            *pool);
gboolean  sv_pb_store_linked       (SvCardImage       *image,
                                    const SetLayout   *layout,
                                    const LinkedFile  *linked,
                                    Ext1Alloc         *alloc,
                                    guint              index,
                                    const char        *value,
                                    int                anr_changed,
                                    GError           **error);
guint16   sv_pb_read_uid           (SvCardImage       *image,
                                    const char        *key,
                                    guint              index);
gboolean  sv_pb_usim_entry_changed (SvCardImage       *image,
                                    const SetLayout   *layout,
                                    guint              index,
                                    gboolean           deleted,
                                    GError           **error);
gboolean  sv_pb_usim_read_pbr      (SvCardImage       *image,
                                    SetLayout         *layout,
                                    GError           **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SetLayout, sv_pb_set_layout_free)

G_END_DECLS
