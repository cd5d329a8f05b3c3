/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Contacts as CSV (RFC 4180): export with SimVault's documented columns,
 * import from SimVault's own files and from the CSV exports of common
 * address books (Google Contacts, Thunderbird, Outlook).
 *
 * The columns additional_numbers and emails hold several values in one
 * field, separated by " ; ". A ';' or '\\' inside a value is escaped with
 * a backslash ("\\;", "\\\\"), as in a vCard TEXT list (RFC 6350 §3.4),
 * so an address such as "a;b@example.org" survives export and import. On
 * import a backslash before any other character stays as it is.
 */
#define G_LOG_DOMAIN "sv-csv"

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "sv-mirror.h"
#include "sv-csv.h"

const char * const sv_csv_columns[] = {
  "set", "index", "name", "number", "additional_numbers", "emails", "second_name", NULL,
};

#define MULTI_SEP " ; "

/* The values of @values escaped and joined with MULTI_SEP; %NULL when
 * there are none. ':' is escaped too, so that no value holds the ":::"
 * that Google's export puts between values (add_values()). */
static char *
join_values (const char * const *values)
{
  GString *out;

  if (values == NULL || values[0] == NULL)
    return NULL;
  out = g_string_new (NULL);
  for (guint i = 0; values[i] != NULL; i++)
    {
      if (i > 0)
        g_string_append (out, MULTI_SEP);
      for (const char *p = values[i]; *p; p++)
        {
          if (*p == ';' || *p == '\\' || *p == ':')
            g_string_append_c (out, '\\');
          g_string_append_c (out, *p);
        }
    }
  return g_string_free (out, FALSE);
}

static void
append_field (GString    *out,
              const char *value)
{
  if (value == NULL)
    value = "";
  if (strpbrk (value, ",\";\r\n") != NULL || *value == ' ' ||
      (*value && value[strlen (value) - 1] == ' '))
    {
      g_string_append_c (out, '"');
      for (const char *p = value; *p; p++)
        {
          if (*p == '"')
            g_string_append_c (out, '"');
          g_string_append_c (out, *p);
        }
      g_string_append_c (out, '"');
    }
  else
    g_string_append (out, value);
}

/**
 * sv_csv_export:
 * @contacts: (element-type SvContact):
 *
 * Returns: (transfer full): the CSV text, with a header row
 */
char *
sv_csv_export (GPtrArray *contacts)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; sv_csv_columns[i] != NULL; i++)
    {
      if (i > 0)
        g_string_append_c (out, ',');
      g_string_append (out, sv_csv_columns[i]);
    }
  g_string_append (out, "\r\n");

  for (guint i = 0; i < contacts->len; i++)
    {
      const SvContact *c = g_ptr_array_index (contacts, i);
      g_autofree char *set = g_strdup_printf ("%u", sv_contact_get_set (c));
      g_autofree char *index = g_strdup_printf ("%u", sv_contact_get_index (c));
      /* The number column takes several values on import, as the others. */
      const char *primary[] = { sv_contact_get_number (c), NULL };
      g_autofree char *number = primary[0] && *primary[0] ? join_values (primary) : NULL;
      g_autofree char *numbers = join_values (sv_contact_get_additional_numbers (c));
      g_autofree char *emails = join_values (sv_contact_get_emails (c));

      append_field (out, set);
      g_string_append_c (out, ',');
      append_field (out, index);
      g_string_append_c (out, ',');
      append_field (out, sv_contact_get_name (c));
      g_string_append_c (out, ',');
      append_field (out, number);
      g_string_append_c (out, ',');
      append_field (out, numbers);
      g_string_append_c (out, ',');
      append_field (out, emails);
      g_string_append_c (out, ',');
      append_field (out, sv_contact_get_second_name (c));
      g_string_append (out, "\r\n");
    }
  return g_string_free (out, FALSE);
}

/* ------------------------------------------------------------------ */

typedef struct
{
  GPtrArray *fields;            /* char* */
  guint      line;              /* physical line where the row starts */
} Row;

static void
row_free (Row *row)
{
  g_ptr_array_unref (row->fields);
  g_free (row);
}

static char
detect_delimiter (const char *text,
                  gsize       len)
{
  guint counts[3] = { 0, 0, 0 };
  static const char delims[3] = { ',', ';', '\t' };
  gboolean in_quotes = FALSE;
  guint best = 0;

  for (gsize i = 0; i < len; i++)
    {
      char c = text[i];

      if (c == '"')
        in_quotes = !in_quotes;
      else if (!in_quotes && (c == '\n' || c == '\r'))
        break;
      else if (!in_quotes)
        for (guint k = 0; k < 3; k++)
          counts[k] += c == delims[k];
    }
  for (guint k = 1; k < 3; k++)
    if (counts[k] > counts[best])
      best = k;
  return delims[best];
}

/* RFC 4180 with leniencies: LF or CRLF, quoted fields across lines. */
static GPtrArray *
split_rows (const char  *text,
            gsize        len,
            char         delim,
            GError     **error)
{
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) row_free);
  Row *row = NULL;
  GString *field = g_string_new (NULL);
  guint line = 1, quote_line = 0;
  gboolean in_quotes = FALSE, was_quoted = FALSE;
  gsize i = 0;

  while (i <= len)
    {
      char c = i < len ? text[i] : '\0';
      gboolean at_end = i == len;

      if (row == NULL && !at_end)
        {
          row = g_new0 (Row, 1);
          row->fields = g_ptr_array_new_with_free_func (g_free);
          row->line = line;
        }

      if (in_quotes)
        {
          if (at_end)
            {
              g_set_error (error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_INVALID,
                           _("line %u: the quoted field begun on line %u is never closed"),
                           line, quote_line);
              g_string_free (field, TRUE);
              if (row)
                row_free (row);
              return NULL;
            }
          if (c == '"')
            {
              if (i + 1 < len && text[i + 1] == '"')
                {
                  g_string_append_c (field, '"');
                  i += 2;
                  continue;
                }
              in_quotes = FALSE;
              i++;
              continue;
            }
          if (c == '\n')
            line++;
          if (c != '\r' || (i + 1 < len && text[i + 1] != '\n'))
            g_string_append_c (field, c);
          i++;
          continue;
        }

      if (at_end || c == delim || c == '\n' || c == '\r')
        {
          if (row != NULL)
            g_ptr_array_add (row->fields, g_strdup (field->str));
          g_string_truncate (field, 0);
          was_quoted = FALSE;
          if (at_end || c == '\n' || c == '\r')
            {
              if (row != NULL)
                {
                  /* A blank line is no row. */
                  if (row->fields->len == 1 && *(char *) g_ptr_array_index (row->fields, 0) == '\0')
                    row_free (row);
                  else
                    g_ptr_array_add (rows, row);
                  row = NULL;
                }
              if (c == '\r' && i + 1 < len && text[i + 1] == '\n')
                i++;
              line++;
            }
          i++;
          continue;
        }

      if (c == '"' && field->len == 0 && !was_quoted)
        {
          in_quotes = TRUE;
          was_quoted = TRUE;
          quote_line = line;
          i++;
          continue;
        }
      if (was_quoted)
        {
          g_set_error (error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_INVALID,
                       _("line %u: text after the closing quote of a field"), line);
          g_string_free (field, TRUE);
          row_free (row);
          return NULL;
        }
      g_string_append_c (field, c);
      i++;
    }

  g_string_free (field, TRUE);
  if (row != NULL)
    row_free (row);
  return g_steal_pointer (&rows);
}

typedef enum
{
  COL_IGNORE,
  COL_SET,
  COL_INDEX,
  COL_NAME,
  COL_FIRST_NAME,
  COL_MIDDLE_NAME,
  COL_LAST_NAME,
  COL_NUMBER,
  COL_OTHER_NUMBER,
  COL_EMAIL,
  COL_SECOND_NAME,
} ColumnKind;

static gboolean
header_is (const char *header,
           const char * const *names)
{
  for (guint i = 0; names[i]; i++)
    if (g_ascii_strcasecmp (header, names[i]) == 0)
      return TRUE;
  return FALSE;
}

static ColumnKind
classify_header (const char *raw)
{
  g_autofree char *h = g_strstrip (g_strdup (raw));
  static const char * const set[] = { "set", NULL };
  static const char * const index[] = { "index", "sim index", "record", NULL };
  static const char * const name[] = { "name", "full name", "display name", "fn", "contact name", NULL };
  static const char * const first[] = { "first name", "given name", NULL };
  static const char * const middle[] = { "middle name", "additional name", NULL };
  static const char * const last[] = { "last name", "family name", "surname", NULL };
  static const char * const number[] = { "number", "phone", "phone number", "mobile", "mobile phone",
                                         "mobile number", "cell", "cell phone", "telephone", "tel",
                                         "primary phone", "phone 1 - value", NULL };
  static const char * const other[] = { "additional_numbers", "additional numbers", "home phone",
                                        "work phone", "business phone", "other phone", "fax",
                                        "pager", "home fax", "work fax", NULL };
  static const char * const email[] = { "emails", "email", "e-mail", "e-mail address", "email address",
                                        "primary email", "secondary email", "e-mail 2 address",
                                        "e-mail 3 address", NULL };
  static const char * const second[] = { "second_name", "second name", "nickname", NULL };

  if (header_is (h, set)) return COL_SET;
  if (header_is (h, index)) return COL_INDEX;
  if (header_is (h, name)) return COL_NAME;
  if (header_is (h, first)) return COL_FIRST_NAME;
  if (header_is (h, middle)) return COL_MIDDLE_NAME;
  if (header_is (h, last)) return COL_LAST_NAME;
  if (header_is (h, number)) return COL_NUMBER;
  if (header_is (h, other)) return COL_OTHER_NUMBER;
  if (header_is (h, email)) return COL_EMAIL;
  if (header_is (h, second)) return COL_SECOND_NAME;
  /* Google: "Phone 2 - Value", "E-mail 1 - Value" */
  if (g_str_has_suffix (h, " - Value") || g_str_has_suffix (h, " - value"))
    {
      if (g_ascii_strncasecmp (h, "Phone ", 6) == 0)
        return COL_OTHER_NUMBER;
      if (g_ascii_strncasecmp (h, "E-mail ", 7) == 0)
        return COL_EMAIL;
    }
  return COL_IGNORE;
}

static void
add_value (GPtrArray *values,
           GString   *value)
{
  g_autofree char *v = g_strstrip (g_strdup (value->str));

  if (*v != '\0')
    g_ptr_array_add (values, g_steal_pointer (&v));
  g_string_truncate (value, 0);
}

/* Splits a cell that may hold several values: " ; " from SimVault (with
 * "\\;" and "\\\\" inside a value, see the top of this file), " ::: " from
 * Google. */
static void
add_values (GPtrArray  *values,
            const char *cell)
{
  g_autoptr(GString) value = g_string_new (NULL);

  if (strstr (cell, ":::") != NULL && strchr (cell, '\\') == NULL)
    {
      g_auto(GStrv) parts = g_strsplit (cell, ":::", -1);

      for (guint i = 0; parts[i]; i++)
        {
          g_string_assign (value, parts[i]);
          add_value (values, value);
        }
      return;
    }
  for (const char *p = cell; *p; p++)
    {
      if (*p == '\\' && (p[1] == ';' || p[1] == '\\' || p[1] == ':'))
        g_string_append_c (value, *++p);
      else if (*p == ';')
        add_value (values, value);
      else
        g_string_append_c (value, *p);
    }
  add_value (values, value);
}

/**
 * sv_csv_parse:
 * @flags: %SV_IMPORT_PARTIAL to skip bad rows instead of failing
 * @warnings: (out) (optional) (element-type utf8): skipped rows, with
 *   line numbers
 *
 * Returns: (transfer container) (element-type SvContact): one contact per
 *   row; index 0 when the file does not place it
 */
GPtrArray *
sv_csv_parse (const char     *text,
              gssize          len,
              SvImportFlags   flags,
              GPtrArray     **warnings,
              GError        **error)
{
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GPtrArray) contacts = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_contact_unref);
  g_autoptr(GPtrArray) notes = g_ptr_array_new_with_free_func (g_free);
  g_autofree ColumnKind *kinds = NULL;
  gboolean partial = (flags & SV_IMPORT_PARTIAL) != 0;
  gboolean has_name = FALSE, has_number = FALSE;
  Row *header;
  const char *bad;

  if (len < 0)
    len = strlen (text);
  if (len >= 3 && memcmp (text, "\xEF\xBB\xBF", 3) == 0)
    {
      text += 3;
      len -= 3;
    }
  if (!g_utf8_validate_len (text, len, &bad) || memchr (text, '\0', len) != NULL)
    {
      guint line = 1;

      for (const char *p = text; p < bad && p < text + len; p++)
        line += *p == '\n';
      g_set_error (error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_INVALID,
                   _("line %u: the file is not UTF-8 text; save it as “CSV UTF-8”"), line);
      return NULL;
    }

  rows = split_rows (text, len, detect_delimiter (text, len), error);
  if (rows == NULL)
    return NULL;
  if (rows->len == 0)
    {
      g_set_error_literal (error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_INVALID,
                           _("line 1: the file is empty (a header row is needed)"));
      return NULL;
    }

  header = g_ptr_array_index (rows, 0);
  kinds = g_new0 (ColumnKind, header->fields->len);
  for (guint c = 0; c < header->fields->len; c++)
    {
      kinds[c] = classify_header (g_ptr_array_index (header->fields, c));
      has_name |= kinds[c] == COL_NAME || kinds[c] == COL_FIRST_NAME || kinds[c] == COL_LAST_NAME;
      has_number |= kinds[c] == COL_NUMBER || kinds[c] == COL_OTHER_NUMBER;
    }
  if (!has_name && !has_number)
    {
      g_set_error (error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_INVALID,
                   _("line %u: the header row names no name or phone column "
                     "(expected e.g. “name,number”)"), header->line);
      return NULL;
    }

  for (guint r = 1; r < rows->len; r++)
    {
      Row *row = g_ptr_array_index (rows, r);
      g_autoptr(GPtrArray) numbers = g_ptr_array_new_with_free_func (g_free);
      g_autoptr(GPtrArray) others = g_ptr_array_new_with_free_func (g_free);
      g_autoptr(GPtrArray) emails = g_ptr_array_new_with_free_func (g_free);
      g_autofree char *name = NULL;
      g_autofree char *second = NULL;
      g_autoptr(GString) parts_name = g_string_new (NULL);
      const char *first = NULL, *middle = NULL, *last = NULL;
      guint64 set = 0, index = 0;
      g_autofree char *problem = NULL;

      if (row->fields->len > header->fields->len)
        {
          /* Trailing empty fields are harmless. */
          gboolean extra_empty = TRUE;

          for (guint c = header->fields->len; c < row->fields->len; c++)
            extra_empty &= *(char *) g_ptr_array_index (row->fields, c) == '\0';
          if (!extra_empty)
            problem = g_strdup_printf (_("line %u: %u fields, but the header has %u"),
                                       row->line, row->fields->len, header->fields->len);
        }
      else if (row->fields->len < header->fields->len && row->fields->len != 1)
        problem = g_strdup_printf (_("line %u: %u fields, but the header has %u"),
                                   row->line, row->fields->len, header->fields->len);

      for (guint c = 0; problem == NULL && c < MIN (row->fields->len, header->fields->len); c++)
        {
          const char *cell = g_ptr_array_index (row->fields, c);

          switch (kinds[c])
            {
            case COL_SET:
            case COL_INDEX:
              if (*cell != '\0' &&
                  !g_ascii_string_to_unsigned (cell, 10, 0, 255, kinds[c] == COL_SET ? &set : &index, NULL))
                problem = g_strdup_printf (_("line %u: column “%s” must be a number from 0 to 255, not “%s”"),
                                           row->line, (char *) g_ptr_array_index (header->fields, c), cell);
              break;
            case COL_NAME:
              if (name == NULL && *cell)
                name = g_strstrip (g_strdup (cell));
              break;
            case COL_FIRST_NAME: first = cell; break;
            case COL_MIDDLE_NAME: middle = cell; break;
            case COL_LAST_NAME: last = cell; break;
            case COL_NUMBER: add_values (numbers, cell); break;
            case COL_OTHER_NUMBER: add_values (others, cell); break;
            case COL_EMAIL: add_values (emails, cell); break;
            case COL_SECOND_NAME:
              if (*cell)
                second = g_strstrip (g_strdup (cell));
              break;
            case COL_IGNORE:
            default:
              break;
            }
        }

      if (problem == NULL && name == NULL)
        {
          const char *pieces[] = { first, middle, last };

          for (guint k = 0; k < G_N_ELEMENTS (pieces); k++)
            if (pieces[k] && *pieces[k])
              {
                if (parts_name->len)
                  g_string_append_c (parts_name, ' ');
                g_string_append (parts_name, pieces[k]);
              }
          if (parts_name->len)
            name = g_strstrip (g_strdup (parts_name->str));
        }
      /* A name of blanks is no name (the vCard reader says so too): found
       * by tests/fuzz/fuzz-contacts-import (regress-blank-name). */
      if (name != NULL && *name == '\0')
        g_clear_pointer (&name, g_free);

      /* A one-field row under a wider header is a blank-ish line. */
      if (problem == NULL && row->fields->len == 1 && header->fields->len > 1 &&
          name == NULL && numbers->len == 0)
        continue;

      if (problem == NULL && name == NULL && numbers->len == 0 && others->len == 0)
        problem = g_strdup_printf (_("line %u: neither a name nor a phone number"), row->line);

      if (problem != NULL)
        {
          if (!partial)
            {
              g_set_error_literal (error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_INVALID, problem);
              return NULL;
            }
          g_ptr_array_add (notes, g_steal_pointer (&problem));
          continue;
        }

      /* The first number is the main one; the rest are additional. */
      for (guint k = 0; k < others->len; k++)
        g_ptr_array_add (numbers, g_strdup (g_ptr_array_index (others, k)));
      {
        const char *main_number = numbers->len ? g_ptr_array_index (numbers, 0) : "";

        g_ptr_array_add (numbers, NULL);
        g_ptr_array_add (emails, NULL);
        g_ptr_array_add (contacts,
                         sv_contact_new ((guint) set, (guint) index, name ? name : "", main_number,
                                         numbers->len > 1 ? (const char * const *) numbers->pdata + 1 : NULL,
                                         (const char * const *) emails->pdata,
                                         second));
      }
    }

  if (warnings != NULL)
    *warnings = g_steal_pointer (&notes);
  return g_steal_pointer (&contacts);
}
