/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "sv-contact.h"
#include "sv-vcard.h"

G_BEGIN_DECLS

/* The columns SimVault writes, in order (UTF-8, comma-separated, RFC 4180
 * quoting, CRLF rows, a header row):
 *   set, index, name, number, additional_numbers, emails, second_name
 * additional_numbers and emails hold several values separated by " ; ".
 * On import the header names the columns, in any order; the usual headers
 * of address books (Name / First Name + Last Name / Display Name, Phone /
 * Mobile / Mobile Phone / Phone 1 - Value …, E-mail / E-mail Address /
 * E-mail 1 - Value …, Nickname) are understood too, and ";" or tab
 * separated files are detected from the header. */
extern const char * const sv_csv_columns[];

char      *sv_csv_export     (GPtrArray      *contacts);
GPtrArray *sv_csv_parse      (const char     *text,
                              gssize          len,
                              SvImportFlags   flags,
                              GPtrArray     **warnings,
                              GError        **error);

G_END_DECLS
