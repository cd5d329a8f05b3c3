/* SPDX-License-Identifier: GPL-3.0-or-later
 * Fuzz: contact import files (sync/mirror/sv-vcard.c, sv-csv.c and the
 * format detection of sv-mirror-import.c), strict and partial. The first
 * byte picks the parser; the rest is the file. Whatever a parser accepts,
 * SimVault's own export of it must be accepted again with the same number
 * of contacts (what we write, we read). */
#include "config.h"

#include "fuzz-outside.h"
#include "sv-csv.h"
#include "sv-mirror-import.h"
#include "sv-vcard.h"

static void
check_contacts (GPtrArray *contacts)
{
  for (guint i = 0; i < contacts->len; i++)
    {
      SvContact *c = g_ptr_array_index (contacts, i);
      const char *name = sv_contact_get_name (c);

      FUZZ_CHECK (name == NULL || g_utf8_validate (name, -1, NULL));
    }
}

static void
check_reimport (GPtrArray *contacts)
{
  g_autofree char *vcard = sv_vcard_export (contacts, SV_VCARD_VERSION_3_0, NULL);
  g_autofree char *vcard4 = sv_vcard_export (contacts, SV_VCARD_VERSION_4_0, NULL);
  g_autofree char *csv = sv_csv_export (contacts);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) back = NULL;

  if (contacts->len == 0)
    return;
  back = sv_vcard_parse (vcard, -1, SV_IMPORT_NONE, NULL, &error);
  if (back == NULL)
    g_printerr ("own vCard 3.0 rejected: %s\n%s\n", error->message, vcard);
  FUZZ_CHECK (back != NULL && back->len == contacts->len);
  g_clear_pointer (&back, g_ptr_array_unref);

  back = sv_vcard_parse (vcard4, -1, SV_IMPORT_NONE, NULL, &error);
  if (back == NULL)
    g_printerr ("own vCard 4.0 rejected: %s\n%s\n", error->message, vcard4);
  FUZZ_CHECK (back != NULL && back->len == contacts->len);
  g_clear_pointer (&back, g_ptr_array_unref);

  back = sv_csv_parse (csv, -1, SV_IMPORT_NONE, NULL, &error);
  if (back == NULL)
    g_printerr ("own CSV rejected: %s\n%s\n", error->message, csv);
  FUZZ_CHECK (back != NULL && back->len == contacts->len);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  const char *text;
  guint8 selector;
  SvImportFlags flags;

  if (size < 1)
    return 0;
  selector = data[0];
  text = (const char *) data + 1;
  size--;
  flags = (selector & 0x80) ? SV_IMPORT_PARTIAL : SV_IMPORT_NONE;

  {
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) warnings = NULL;
    g_autoptr(GPtrArray) contacts = NULL;

    switch (selector % 3)
      {
      case 0:
        contacts = sv_vcard_parse (text, size, flags, &warnings, &error);
        break;
      case 1:
        contacts = sv_csv_parse (text, size, flags, &warnings, &error);
        break;
      default:
        contacts = sv_contacts_parse_file (text, size, SV_CONTACT_FORMAT_AUTO, flags, &warnings, &error);
        break;
      }
    FUZZ_CHECK ((contacts == NULL) == (error != NULL));
    if (error != NULL)
      FUZZ_CHECK (g_utf8_validate (error->message, -1, NULL));
    if (contacts != NULL)
      {
        check_contacts (contacts);
        check_reimport (contacts);
      }
  }
  return 0;
}
