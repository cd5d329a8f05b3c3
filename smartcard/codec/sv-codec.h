/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * libsvcodec: pure codecs over SIM data. Include this header only.
 */
#pragma once

#include "sv-codec-error.h"
#include "sv-gsm7.h"
#include "sv-hex.h"
#include "sv-alpha.h"
#include "sv-dialling-number.h"
#include "sv-sms.h"
#include "sv-usim-phonebook.h"
#include "sv-file-info.h"
#include "sv-identity.h"
