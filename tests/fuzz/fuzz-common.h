/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * libFuzzer entry points over libsvcodec. Every decoder must return
 * cleanly (value or GError) on any input; when it succeeds, encoding the
 * result must not crash and, where the codec is lossless, must decode to
 * the same value.
 */
#pragma once

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sv-codec.h"

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

#define FUZZ_CHECK(cond) \
  G_STMT_START { if (!(cond)) { g_printerr ("check failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); abort (); } } G_STMT_END
