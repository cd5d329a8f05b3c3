/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "sv-alpha.h"

G_BEGIN_DECLS

/* EF_PBR constructed tags (TS 31.102 §4.4.2.1) */
#define SV_PBR_TYPE1      0xA8  /* one record per ADN record */
#define SV_PBR_TYPE2      0xA9  /* linked through EF_IAP */
#define SV_PBR_TYPE3      0xAA  /* linked through an EF_EXT/AAS/GAS record id */

/* EF_PBR file tags (TS 31.102 §4.4.2.1, table "tag values") */
#define SV_PBR_TAG_ADN    0xC0
#define SV_PBR_TAG_IAP    0xC1
#define SV_PBR_TAG_EXT1   0xC2
#define SV_PBR_TAG_SNE    0xC3
#define SV_PBR_TAG_ANR    0xC4
#define SV_PBR_TAG_PBC    0xC5
#define SV_PBR_TAG_GRP    0xC6
#define SV_PBR_TAG_AAS    0xC7
#define SV_PBR_TAG_GAS    0xC8
#define SV_PBR_TAG_UID    0xC9
#define SV_PBR_TAG_EMAIL  0xCA
#define SV_PBR_TAG_CCP1   0xCB

/**
 * SvPbrEntry:
 * @constructed_tag: A8, A9 or AA
 * @tag: file tag C0-CB
 * @fid: file identifier
 * @sfi: short file identifier, or -1 if the entry has none
 */
typedef struct
{
  guint8  constructed_tag;
  guint8  tag;
  guint16 fid;
  gint    sfi;
} SvPbrEntry;

/**
 * SvAnrRecord:
 *
 * EF_ANR record (TS 31.102 §4.4.2.9): AAS record id, then the number part
 * of an ADN record, and for a type 2 file the ADN SFI and record id.
 */
typedef struct
{
  guint8    aas_record;
  char     *number;
  guint8    ton_npi;
  guint8    ccp;
  guint8    ext_record;
  gboolean  has_adn_ref;
  guint8    adn_sfi;
  guint8    adn_record;
  gboolean  empty;
} SvAnrRecord;

/**
 * SvPbTextRecord:
 *
 * An EF_EMAIL (TS 31.102 §4.4.2.13) or EF_SNE (§4.4.2.12) record: text in
 * alpha coding, and for a type 2 file the ADN SFI and record id in the
 * last two bytes.
 */
typedef struct
{
  char          *text;
  SvAlphaScheme  scheme;
  gboolean       has_adn_ref;
  guint8         adn_sfi;
  guint8         adn_record;
  gboolean       empty;
} SvPbTextRecord;

/**
 * SvPbcRecord:
 * @entry_control: bit 1 set = entry modified since last sync
 * @hidden: 0 = not hidden, else the record number of the hidden key
 *   application (TS 31.102 §4.4.2.5)
 */
typedef struct
{
  guint8 entry_control;
  guint8 hidden;
} SvPbcRecord;

const char *sv_pbr_tag_to_string         (guint8               tag);
GArray     *sv_pbr_record_decode         (const guint8        *data,
                                          gsize                len,
                                          GError             **error);
gboolean    sv_pbr_record_encode         (const SvPbrEntry    *entries,
                                          guint                n_entries,
                                          guint8              *out,
                                          gsize                len,
                                          GError             **error);

GArray     *sv_iap_record_decode         (const guint8        *data,
                                          gsize                len);

gboolean    sv_anr_record_decode         (const guint8        *data,
                                          gsize                len,
                                          SvAnrRecord         *out,
                                          GError             **error);
gboolean    sv_anr_record_encode         (const SvAnrRecord   *rec,
                                          guint8              *out,
                                          gsize                len,
                                          GError             **error);
void        sv_anr_record_clear          (SvAnrRecord         *rec);

gboolean    sv_pb_text_record_decode     (const guint8        *data,
                                          gsize                len,
                                          gboolean             type2,
                                          SvPbTextRecord      *out,
                                          GError             **error);
gboolean    sv_pb_text_record_encode     (const SvPbTextRecord *rec,
                                          gboolean             type2,
                                          guint8              *out,
                                          gsize                len,
                                          GError             **error);
void        sv_pb_text_record_clear      (SvPbTextRecord      *rec);
#define     sv_email_record_decode       sv_pb_text_record_decode
#define     sv_email_record_encode       sv_pb_text_record_encode
#define     sv_sne_record_decode         sv_pb_text_record_decode
#define     sv_sne_record_encode         sv_pb_text_record_encode

gboolean    sv_pbc_record_decode         (const guint8        *data,
                                          gsize                len,
                                          SvPbcRecord         *out,
                                          GError             **error);
void        sv_pbc_record_encode         (const SvPbcRecord   *rec,
                                          guint8               out[2]);
gboolean    sv_uid_record_decode         (const guint8        *data,
                                          gsize                len,
                                          guint16             *uid,
                                          GError             **error);
void        sv_uid_record_encode         (guint16              uid,
                                          guint8               out[2]);
gboolean    sv_psc_decode                (const guint8        *data,
                                          gsize                len,
                                          guint32             *psc,
                                          GError             **error);
void        sv_psc_encode                (guint32              psc,
                                          guint8               out[4]);
gboolean    sv_cc_decode                 (const guint8        *data,
                                          gsize                len,
                                          guint16             *cc,
                                          GError             **error);
void        sv_cc_encode                 (guint16              cc,
                                          guint8               out[2]);

G_END_DECLS
