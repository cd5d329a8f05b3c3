/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "sv-contact.h"
#include "sv-contact-list.h"

G_BEGIN_DECLS

#define SV_TYPE_CONTACTS_PAGE (sv_contacts_page_get_type ())

G_DECLARE_FINAL_TYPE (SvContactsPage, sv_contacts_page, SV, CONTACTS_PAGE, AdwBin)


GtkWidget  *sv_contacts_page_new            (void);
void        sv_contacts_page_set_contacts   (SvContactsPage *self,
                                             GPtrArray      *contacts);
GListModel *sv_contacts_page_get_model      (SvContactsPage *self);
SvContact  *sv_contacts_page_get_contact    (SvContactsPage *self,
                                             guint           position);
GPtrArray  *sv_contacts_page_get_selected   (SvContactsPage *self);
void        sv_contacts_page_set_query      (SvContactsPage *self,
                                             const char     *query);
void        sv_contacts_page_focus_search   (SvContactsPage *self);
void        sv_contacts_page_sort_by_name   (SvContactsPage *self);
void        sv_contacts_page_sort           (SvContactsPage  *self,
                                             SvContactsColumn column,
                                             GtkSortType      order);

G_END_DECLS
