/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * libsvsmartcard umbrella header: readers (PC/SC and fake), card sessions,
 * PIN, whole-card read and write, progress, and the value types and models
 * that cross layers, plus the codec library.
 */
#pragma once

#include "sv-codec.h"

#include "sv-card-error.h"
#include "sv-card-image.h"
#include "sv-card-info.h"
#include "sv-card-reader.h"
#include "sv-card-session.h"
#include "sv-card-writer.h"
#include "sv-contact.h"
#include "sv-fake-reader.h"
#include "sv-message.h"
#include "sv-pcsc-reader.h"
#include "sv-phonebook.h"
#include "sv-pin.h"
#include "sv-progress.h"
#include "sv-reader.h"
#include "sv-reader-monitor.h"
#include "sv-sms-store.h"
