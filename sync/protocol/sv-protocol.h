/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The backup protocol's message types (PROTOCOL.md), shared by the sync
 * client and simvault-server. GLib + json-glib + the card model only. */
#include "sv-protocol-error.h"
#include "sv-protocol-types.h"
#include "sv-protocol-messages.h"
