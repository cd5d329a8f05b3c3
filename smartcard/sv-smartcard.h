/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * libsvsmartcard umbrella header: readers (PC/SC and fake), card sessions,
 * PIN, whole-card read and write, progress, and the value types and models
 * that cross layers, plus the codec library.
 */
#pragma once

/* The codec headers one by one: sv-codec.h would bring sv-file-info.h,
 * whose SvFileStructure clashes with the one in sv-card-image.h. */
#include "sv-alpha.h"
#include "sv-codec-error.h"
#include "sv-dialling-number.h"
#include "sv-gsm7.h"
#include "sv-identity.h"
#include "sv-sms.h"
#include "sv-usim-phonebook.h"

#include "sv-card-error.h"
#include "sv-card-image.h"
#include "sv-card-info.h"
#include "sv-card-reader.h"
#include "sv-card-session.h"
#include "sv-card-writer.h"
#include "sv-contact.h"
#include "sv-fake-reader.h"
#include "sv-hex.h"
#include "sv-message.h"
#include "sv-pcsc-reader.h"
#include "sv-phonebook.h"
#include "sv-pin.h"
#include "sv-progress.h"
#include "sv-reader.h"
#include "sv-reader-monitor.h"
