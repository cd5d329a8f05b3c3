/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

#include "sv-contact.h"

G_BEGIN_DECLS

#define SV_TYPE_CONTACT_OBJECT (sv_contact_object_get_type ())

G_DECLARE_FINAL_TYPE (SvContactObject, sv_contact_object, SV, CONTACT_OBJECT, GObject)

SvContactObject *sv_contact_object_new          (SvContact       *contact);
SvContact       *sv_contact_object_get_contact  (SvContactObject *self);
const char      *sv_contact_object_get_details  (SvContactObject *self);
gboolean         sv_contact_object_matches      (SvContactObject *self,
                                                 const char      *folded_query);
const char      *sv_contact_object_get_name_key (SvContactObject *self);
const char      *sv_contact_object_peek_name_key (SvContactObject *self);
void             sv_contact_object_set_name_key (SvContactObject *self,
                                                 const char      *name_key);
char            *sv_contact_object_fold         (const char      *text);

G_END_DECLS
