/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "sv-contact-object.h"

G_BEGIN_DECLS

/**
 * SvContactsColumn:
 * @SV_CONTACTS_COLUMN_INDEX: the position on the card (set, record)
 * @SV_CONTACTS_COLUMN_NAME: the name
 * @SV_CONTACTS_COLUMN_NUMBER: the number
 *
 * The columns the contacts list sorts by.
 */
typedef enum {
  SV_CONTACTS_COLUMN_INDEX,
  SV_CONTACTS_COLUMN_NAME,
  SV_CONTACTS_COLUMN_NUMBER,
  SV_CONTACTS_N_COLUMNS
} SvContactsColumn;

#define SV_TYPE_CONTACT_LIST (sv_contact_list_get_type ())

G_DECLARE_FINAL_TYPE (SvContactList, sv_contact_list, SV, CONTACT_LIST, GObject)

SvContactList   *sv_contact_list_new            (void);
void             sv_contact_list_set_contacts   (SvContactList    *self,
                                                 GPtrArray        *objects);
guint            sv_contact_list_get_n_contacts (SvContactList    *self);
void             sv_contact_list_set_query      (SvContactList    *self,
                                                 const char       *text);
void             sv_contact_list_set_order      (SvContactList    *self,
                                                 SvContactsColumn  column,
                                                 GtkSortType       order);
SvContactObject *sv_contact_list_get_object     (SvContactList    *self,
                                                 guint             position);

G_END_DECLS
