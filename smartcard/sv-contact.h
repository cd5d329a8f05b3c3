/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/**
 * SvContact:
 *
 * One phonebook entry as the user sees it, at its place on the card: the
 * phonebook set (0 for the 2G EF_ADN under DF_TELECOM, 1..n for the record
 * of EF_PBR that describes a USIM phonebook set) and the 1-based record
 * index in that set's EF_ADN. Immutable and reference counted, so it can
 * cross threads and layers. The raw bytes behind it live in #SvCardImage.
 */
typedef struct _SvContact SvContact;

#define SV_TYPE_CONTACT (sv_contact_get_type ())

GType        sv_contact_get_type               (void) G_GNUC_CONST;
SvContact   *sv_contact_new                    (guint               set,
                                                guint               index,
                                                const char         *name,
                                                const char         *number,
                                                const char * const *additional_numbers,
                                                const char * const *emails,
                                                const char         *second_name);
SvContact   *sv_contact_new_full               (guint               set,
                                                guint               index,
                                                const char         *name,
                                                const char         *number,
                                                guint8              ton_npi,
                                                const char * const *additional_numbers,
                                                const char * const *emails,
                                                const char         *second_name);
SvContact   *sv_contact_copy_at                (const SvContact    *contact,
                                                guint               set,
                                                guint               index);
SvContact   *sv_contact_copy_with_ton_npi      (const SvContact    *contact,
                                                guint8              ton_npi);
SvContact   *sv_contact_ref                    (SvContact          *contact);
void         sv_contact_unref                  (SvContact          *contact);
guint        sv_contact_get_set                (const SvContact    *contact);
guint        sv_contact_get_index              (const SvContact    *contact);
const char  *sv_contact_get_name               (const SvContact    *contact);
const char  *sv_contact_get_number             (const SvContact    *contact);
guint8       sv_contact_get_ton_npi            (const SvContact    *contact);
guint8       sv_contact_get_effective_ton_npi  (const SvContact    *contact);
const char * const *sv_contact_get_additional_numbers (const SvContact *contact);
const char * const *sv_contact_get_emails      (const SvContact    *contact);
const char  *sv_contact_get_second_name        (const SvContact    *contact);
gboolean     sv_contact_equal                  (const SvContact    *a,
                                                const SvContact    *b);
gboolean     sv_contact_is_empty               (const SvContact    *contact);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SvContact, sv_contact_unref)

G_END_DECLS
