/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "sv-card-image.h"
#include "sv-contact.h"

G_BEGIN_DECLS

#define SV_TYPE_CONTACT_EDITOR (sv_contact_editor_get_type ())

G_DECLARE_FINAL_TYPE (SvContactEditor, sv_contact_editor, SV, CONTACT_EDITOR, AdwWindow)

SvContactEditor *sv_contact_editor_new          (GtkWindow       *parent,
                                                 SvCardImage     *image,
                                                 const SvContact *contact,
                                                 guint            set,
                                                 guint            index);
SvContact       *sv_contact_editor_dup_contact  (SvContactEditor *self);
GPtrArray       *sv_contact_editor_get_problems (SvContactEditor *self);
void             sv_contact_editor_set_name     (SvContactEditor *self,
                                                 const char      *name);
void             sv_contact_editor_set_number   (SvContactEditor *self,
                                                 const char      *number);
const char      *sv_contact_editor_get_encoding_text (SvContactEditor *self);

G_END_DECLS
