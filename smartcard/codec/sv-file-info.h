/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * SvFileStructure:
 *
 * The structure of a file (TS 102.221 §8.2, TS 51.011 §6.4). The card
 * image and the mirror's `files.structure` column store these values:
 * append new ones, never renumber.
 */
typedef enum
{
  SV_FILE_STRUCTURE_TRANSPARENT  = 0,
  SV_FILE_STRUCTURE_LINEAR_FIXED = 1,
  SV_FILE_STRUCTURE_CYCLIC       = 2,
  SV_FILE_STRUCTURE_BER_TLV      = 3,
  SV_FILE_STRUCTURE_DF           = 4,   /* MF, DF or ADF */
  SV_FILE_STRUCTURE_UNKNOWN      = 5,   /* no or an undefined structure code */
} SvFileStructure;

/**
 * SvFileInfoFlags:
 * @SV_FILE_INFO_STRICT: decode as the specifications say: an EF
 *   structure code they do not define is %SV_FILE_STRUCTURE_UNKNOWN (FCP)
 *   or an error (2G header)
 * @SV_FILE_INFO_LENIENT_STRUCTURE: an EF structure code the
 *   specifications do not define is read as linear fixed when the header
 *   gives a record length, else as transparent, as handsets do; the card
 *   session reads with this, so such a card can still be backed up
 */
typedef enum
{
  SV_FILE_INFO_STRICT            = 0,
  SV_FILE_INFO_LENIENT_STRUCTURE = 1 << 0,
} SvFileInfoFlags;

/**
 * SvFileInfo:
 * @fid: file identifier (0 if absent)
 * @structure: file structure
 * @fdb: raw file descriptor byte (FCP) or type/structure (2G)
 * @shareable: FCP file descriptor bit 7
 * @record_len: record length for linear fixed and cyclic files
 * @n_records: number of records for linear fixed and cyclic files
 * @file_size: EF body size (FCP tag 80, 2G bytes 3-4)
 * @total_size: FCP tag 81, or 2G free memory for a DF
 * @lcsi: life cycle status (FCP tag 8A; 2G: 0x05 valid, 0x04 invalidated)
 * @sfi: short file identifier; -1 when not supported
 * @df_name: AID / DF name (FCP tag 84), or %NULL
 *
 * What SELECT says about a file. Clear with sv_file_info_clear().
 */
typedef struct
{
  guint16          fid;
  SvFileStructure  structure;
  guint8           fdb;
  gboolean         shareable;
  guint            record_len;
  guint            n_records;
  gsize            file_size;
  gsize            total_size;
  guint8           lcsi;
  gint             sfi;
  GBytes          *df_name;
} SvFileInfo;

const char *sv_file_structure_to_string   (SvFileStructure   structure);
gboolean    sv_file_structure_from_string (const char       *name,
                                           SvFileStructure  *structure);
gboolean    sv_ber_length_decode          (const guint8     *data,
                                           gsize             len,
                                           gsize            *pos,
                                           gsize            *length,
                                           GError          **error);
gboolean    sv_ber_tlv_next               (const guint8     *data,
                                           gsize             len,
                                           gsize            *pos,
                                           guint8           *tag,
                                           const guint8    **value,
                                           gsize            *value_len,
                                           GError          **error);
gboolean    sv_file_info_decode           (const guint8     *data,
                                           gsize             len,
                                           SvFileInfoFlags   flags,
                                           SvFileInfo       *out,
                                           GError          **error);
gboolean    sv_fcp_decode                 (const guint8     *data,
                                           gsize             len,
                                           SvFileInfoFlags   flags,
                                           SvFileInfo       *out,
                                           GError          **error);
gboolean    sv_gsm_file_header_decode     (const guint8     *data,
                                           gsize             len,
                                           SvFileInfoFlags   flags,
                                           SvFileInfo       *out,
                                           GError          **error);
void        sv_file_info_copy             (const SvFileInfo *src,
                                           SvFileInfo       *dest);
void        sv_file_info_clear            (SvFileInfo       *info);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (SvFileInfo, sv_file_info_clear)

G_END_DECLS
