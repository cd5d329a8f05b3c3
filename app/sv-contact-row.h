/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

#include "sv-contact-object.h"

G_BEGIN_DECLS

#define SV_TYPE_CONTACT_ROW (sv_contact_row_get_type ())

G_DECLARE_FINAL_TYPE (SvContactRow, sv_contact_row, SV, CONTACT_ROW, GObject)

SvContactRow    *sv_contact_row_new        (SvContactObject *object);
SvContactObject *sv_contact_row_get_object (SvContactRow    *self);
void             sv_contact_row_set_object (SvContactRow    *self,
                                            SvContactObject *object);

G_END_DECLS
