/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-codec"

#include "config.h"

#include "sv-codec-error.h"

G_DEFINE_QUARK (sv-codec-error-quark, sv_codec_error)
