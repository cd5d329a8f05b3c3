/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "sv-alpha.h"

G_BEGIN_DECLS

/* TON/NPI (TS 24.008 §10.5.4.7, TS 51.011 §10.5.1): bit 8 is 1,
 * bits 7-5 type of number, bits 4-1 numbering plan. */
#define SV_TON_NPI_TON(b)          (((b) >> 4) & 0x07)
#define SV_TON_NPI_NPI(b)          ((b) & 0x0F)
#define SV_TON_UNKNOWN             0
#define SV_TON_INTERNATIONAL       1
#define SV_TON_NATIONAL            2
#define SV_TON_NETWORK_SPECIFIC    3
#define SV_TON_SUBSCRIBER          4
#define SV_TON_ALPHANUMERIC        5
#define SV_TON_ABBREVIATED         6
#define SV_NPI_ISDN                1
#define SV_TON_NPI_DEFAULT         0x81  /* unknown, ISDN/E.164 */

/* A record whose number needs more BCD bytes than this overflows into
 * EF_EXT1 (TS 51.011 §10.5.1: 10 bytes = 20 digits). */
#define SV_ADN_BCD_MAX             10
#define SV_ADN_FOOTER_LEN          14
#define SV_EXT1_RECORD_LEN         13
#define SV_EXT1_NONE               0xFF

/**
 * SvAdnRecord:
 * @alpha: the alpha identifier (UTF-8, never %NULL after decode)
 * @alpha_scheme: its coding
 * @number: the number as text (see sv_dialling_number_decode()), never
 *   %NULL after decode; "" when the record has none
 * @ton_npi: TON/NPI byte
 * @ccp: capability/configuration identifier (0xFF: none)
 * @ext_record: EF_EXT1 record number of the extension (0xFF: none)
 * @empty: %TRUE if the record holds neither alpha nor number
 *
 * An EF_ADN / EF_FDN / EF_MSISDN / EF_SDN record (TS 51.011 §10.5.1,
 * TS 31.102 §4.4.2.3): X alpha bytes + 14 bytes.
 */
typedef struct
{
  char          *alpha;
  SvAlphaScheme  alpha_scheme;
  char          *number;
  guint8         ton_npi;
  guint8         ccp;
  guint8         ext_record;
  gboolean       empty;
} SvAdnRecord;

/**
 * SvExt1Record:
 * @type: record type bits (0x01 called party subaddress, 0x02 additional data)
 * @data_len: number of valid bytes in @data
 * @data: extension data (BCD digits for additional data)
 * @next_record: next EF_EXT1 record of the chain (0xFF: end)
 *
 * An EF_EXT1/EF_EXT2 record (TS 51.011 §10.5.10, TS 31.102 §4.4.2.4).
 */
typedef struct
{
  guint8 type;
  guint8 data_len;
  guint8 data[11];
  guint8 next_record;
} SvExt1Record;

#define SV_EXT1_TYPE_SUBADDRESS       0x01
#define SV_EXT1_TYPE_ADDITIONAL_DATA  0x02

/**
 * SvExt1LookupFunc:
 * @record_number: 1-based record number in EF_EXT1
 * @out: (out caller-allocates): the decoded record
 * @user_data: closure
 *
 * Returns: %TRUE if the record exists and was decoded
 */
typedef gboolean (*SvExt1LookupFunc) (guint         record_number,
                                      SvExt1Record *out,
                                      gpointer      user_data);

const char *sv_ton_to_string             (guint               ton);
gint        sv_bcd_char_to_digit         (char                c);
char        sv_bcd_digit_to_char         (guint8              digit);
char       *sv_bcd_decode                (const guint8       *bcd,
                                          gsize               len);
char       *sv_dialling_number_decode    (const guint8       *data,
                                          gsize               len,
                                          guint8             *ton_npi_out,
                                          GError            **error);
guint8     *sv_dialling_number_encode    (const char         *number,
                                          guint8              ton_npi,
                                          gsize              *len_out,
                                          GError            **error);
char       *sv_dialling_number_format    (const char         *digits,
                                          guint8              ton_npi);

gboolean    sv_adn_record_decode         (const guint8       *data,
                                          gsize               len,
                                          SvAdnRecord        *out,
                                          GError            **error);
gboolean    sv_adn_record_encode         (const SvAdnRecord  *rec,
                                          guint8             *out,
                                          gsize               len,
                                          GPtrArray         **ext_chunks,
                                          GError            **error);
void        sv_adn_record_clear          (SvAdnRecord        *rec);
gboolean    sv_adn_record_is_empty       (const guint8       *data,
                                          gsize               len);

gboolean    sv_ext1_record_decode        (const guint8       *data,
                                          gsize               len,
                                          SvExt1Record       *out,
                                          GError            **error);
gboolean    sv_ext1_record_encode        (GBytes             *chunk,
                                          guint8              next_record,
                                          guint8             *out,
                                          gsize               len,
                                          GError            **error);
char       *sv_adn_number_join_ext1      (const SvAdnRecord  *rec,
                                          SvExt1LookupFunc    lookup,
                                          gpointer            user_data,
                                          GError            **error);
char       *sv_adn_number_join_ext1_array (const SvAdnRecord *rec,
                                          const SvExt1Record *records,
                                          guint               n_records,
                                          GError            **error);

G_END_DECLS
