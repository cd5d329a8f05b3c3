/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Contacts from a file into a card's mirror, in one transaction: every
 * contact is placed (its X-SIMVAULT-INDEX / CSV index if the file has one,
 * else the next free record), checked against the card's real limits, and
 * either all are stored or none is (unless the caller asked for a partial
 * import, which skips what does not fit and says so).
 */
#define G_LOG_DOMAIN "sv-mirror"

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "sv-phonebook.h"
#include "sv-csv.h"
#include "sv-mirror-import.h"

/**
 * sv_contacts_parse_file:
 * @format: %SV_CONTACT_FORMAT_AUTO looks for BEGIN:VCARD
 *
 * Returns: (transfer container) (element-type SvContact):
 */
GPtrArray *
sv_contacts_parse_file (const char       *text,
                        gssize            len,
                        SvContactFormat   format,
                        SvImportFlags     flags,
                        GPtrArray       **warnings,
                        GError          **error)
{
  if (len < 0)
    len = strlen (text);
  if (format == SV_CONTACT_FORMAT_AUTO)
    format = g_strstr_len (text, MIN (len, 4096), "BEGIN:VCARD") != NULL ||
             g_strstr_len (text, MIN (len, 4096), "begin:vcard") != NULL
             ? SV_CONTACT_FORMAT_VCARD : SV_CONTACT_FORMAT_CSV;
  if (format == SV_CONTACT_FORMAT_VCARD)
    return sv_vcard_parse (text, len, flags, warnings, error);
  return sv_csv_parse (text, len, flags, warnings, error);
}

typedef struct
{
  GPtrArray     *contacts;
  SvImportFlags  flags;
  GPtrArray     *warnings;
  guint          n_stored;
} ImportData;

static char *
describe (const SvContact *contact,
          guint            ordinal)
{
  return g_strdup_printf (_("contact %u (“%s”)"), ordinal,
                          sv_contact_get_name (contact) ? sv_contact_get_name (contact) : "");
}

static gboolean
import_cb (SvCardImage  *working,
           gpointer      user_data,
           char        **detail,
           GError      **error)
{
  ImportData *data = user_data;
  g_autoptr(GString) failures = g_string_new (NULL);
  guint n_sets = sv_phonebook_get_n_sets (working);
  guint default_set = sv_card_image_lookup (working, "pbr") != NULL ? 1 : 0;
  guint n_failed = 0;

  if (n_sets == 0)
    {
      g_set_error_literal (error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_DOES_NOT_FIT,
                           _("This card has no phonebook"));
      return FALSE;
    }

  for (guint i = 0; i < data->contacts->len; i++)
    {
      const SvContact *source = g_ptr_array_index (data->contacts, i);
      g_autoptr(SvContact) placed = NULL;
      g_autoptr(GPtrArray) problems = NULL;
      g_autofree char *who = describe (source, i + 1);
      guint set = sv_contact_get_set (source);
      guint index = sv_contact_get_index (source);

      if (index == 0 || (default_set == 1 && set == 0) || (default_set == 0 && set != 0) ||
          (default_set == 1 && set > n_sets))
        {
          /* Not placed by the file (or in a set this card lacks): the
           * first set where it fits whole, else the first with a free
           * record (whose check below names what does not fit). Every set
           * is used, not only the first. */
          guint last = default_set == 1 ? n_sets : 0;

          index = 0;
          for (guint s = default_set; s <= last; s++)
            {
              guint free_index = sv_phonebook_find_free_index (working, s);
              g_autoptr(SvContact) candidate = NULL;
              g_autoptr(GPtrArray) fit = NULL;

              if (free_index == 0)
                continue;
              if (index == 0)
                {
                  set = s;
                  index = free_index;
                }
              candidate = sv_contact_copy_at (source, s, free_index);
              fit = sv_phonebook_check_contact (working, candidate);
              if (fit->len == 0)
                {
                  set = s;
                  index = free_index;
                  break;
                }
            }
          if (index == 0)
            {
              g_string_append_c (failures, '\n');
              g_string_append_printf (failures, _("%s: the phonebook is full"), who);
              n_failed++;
              continue;
            }
        }
      placed = sv_contact_copy_at (source, set, index);
      problems = sv_phonebook_check_contact (working, placed);
      if (problems != NULL && problems->len > 0)
        {
          g_string_append_printf (failures, "\n%s:", who);
          for (guint k = 0; k < problems->len; k++)
            {
              const SvFitProblem *p = g_ptr_array_index (problems, k);
              g_string_append_printf (failures, " %s: %s;", p->field, p->message);
            }
          n_failed++;
          continue;
        }
      {
        g_autoptr(GError) store_error = NULL;

        if (!sv_phonebook_store_contact (working, placed, &store_error))
          {
            g_string_append_printf (failures, "\n%s: %s", who, store_error->message);
            n_failed++;
            continue;
          }
      }
      data->n_stored++;
    }

  if (n_failed > 0)
    {
      if ((data->flags & SV_IMPORT_PARTIAL) == 0)
        {
          g_set_error (error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_DOES_NOT_FIT,
                       _("%u of %u contacts do not fit this card; nothing was imported:%s"),
                       n_failed, data->contacts->len, failures->str);
          return FALSE;
        }
      {
        g_auto(GStrv) lines = g_strsplit (failures->str + 1, "\n", -1);
        for (guint k = 0; lines[k]; k++)
          g_ptr_array_add (data->warnings, g_strdup_printf (_("skipped %s"), lines[k]));
      }
    }

  *detail = g_strdup_printf ("imported %u contacts%s", data->n_stored,
                             n_failed ? " (some skipped)" : "");
  return TRUE;
}

/**
 * sv_mirror_import_contacts:
 * @contacts: (element-type SvContact): parsed contacts (index 0 = place in
 *   the next free record)
 * @warnings: (out) (optional) (element-type utf8): what a partial import
 *   skipped
 * @n_stored: (out) (optional): how many contacts were stored
 *
 * One transaction, one undo step, one history row.
 */
gboolean
sv_mirror_import_contacts (SvMirror       *self,
                           const char     *iccid,
                           GPtrArray      *contacts,
                           SvImportFlags   flags,
                           GPtrArray     **warnings,
                           guint          *n_stored,
                           GError        **error)
{
  ImportData data = { contacts, flags, g_ptr_array_new_with_free_func (g_free), 0 };
  gboolean ok;

  ok = sv_mirror_edit (self, iccid, SV_HISTORY_IMPORT, import_cb, &data, error);
  if (n_stored != NULL)
    *n_stored = ok ? data.n_stored : 0;
  if (ok && warnings != NULL)
    *warnings = g_ptr_array_ref (data.warnings);
  g_ptr_array_unref (data.warnings);
  return ok;
}
