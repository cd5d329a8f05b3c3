/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  SV_FCP_STRUCTURE_UNKNOWN,
  SV_FCP_STRUCTURE_TRANSPARENT,
  SV_FCP_STRUCTURE_LINEAR_FIXED,
  SV_FCP_STRUCTURE_CYCLIC,
  SV_FCP_STRUCTURE_BER_TLV,
  SV_FCP_STRUCTURE_DF,          /* MF, DF or ADF */
} SvFcpStructure;

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
  SvFcpStructure  structure;
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

const char *sv_file_structure_to_string (SvFcpStructure   structure);
gboolean    sv_fcp_decode               (const guint8     *data,
                                         gsize             len,
                                         SvFileInfo       *out,
                                         GError          **error);
gboolean    sv_gsm_file_header_decode   (const guint8     *data,
                                         gsize             len,
                                         SvFileInfo       *out,
                                         GError          **error);
void        sv_file_info_clear          (SvFileInfo       *info);

G_END_DECLS
