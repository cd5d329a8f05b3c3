/* SPDX-License-Identifier: GPL-3.0-or-later
 * Fuzz: FCP templates (TS 102.221 §11.1.1.3), 2G headers (TS 51.011 §9.2.1)
 * and identity files (EF_DIR, ICCID, IMSI, SPN). */
#include "config.h"

#include "fuzz-common.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  SvFileInfo info;
  SvSpn spn;
  g_autofree char *iccid = NULL;
  g_autoptr(GBytes) aid = NULL;
  g_autofree char *imsi = NULL;

  for (SvFileInfoFlags flags = SV_FILE_INFO_STRICT; flags <= SV_FILE_INFO_LENIENT_STRUCTURE; flags++)
    {
      if (sv_fcp_decode (data, size, flags, &info, NULL))
        sv_file_info_clear (&info);
      if (sv_gsm_file_header_decode (data, size, flags, &info, NULL))
        sv_file_info_clear (&info);
    }

  aid = sv_dir_record_decode_aid (data, size, NULL);
  iccid = sv_iccid_decode (data, size, NULL);
  imsi = sv_imsi_decode (data, size, NULL);
  if (sv_spn_decode (data, size, &spn, NULL))
    sv_spn_clear (&spn);
  return 0;
}
