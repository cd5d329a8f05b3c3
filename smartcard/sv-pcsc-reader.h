/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "sv-reader.h"

G_BEGIN_DECLS

#define SV_TYPE_PCSC_READER (sv_pcsc_reader_get_type ())
G_DECLARE_FINAL_TYPE (SvPcscReader, sv_pcsc_reader, SV, PCSC_READER, SvReader)

SvReader *sv_pcsc_reader_new (void);

G_END_DECLS
