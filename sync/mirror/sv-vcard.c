/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * vCard export (3.0, RFC 2426; 4.0, RFC 6350) and import (2.1, 3.0, 4.0 as
 * written by GNOME Contacts/Evolution, Thunderbird and Android).
 *
 * Mapping: FN (or N when FN is missing) is the name; the first TEL with
 * TYPE=pref (else CELL, else the first) is the number and the others are
 * additional numbers; EMAIL are the e-mails; NICKNAME is the second name;
 * X-SIMVAULT-SET and X-SIMVAULT-INDEX keep the place on the SIM, so an
 * exported file imports back to the same records. Other properties are
 * ignored.
 */
#define G_LOG_DOMAIN "sv-vcard"

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "sv-mirror.h"
#include "sv-vcard.h"

/* ------------------------------------------------------------------ */
/* Export                                                               */

static void
append_escaped (GString    *out,
                const char *text)
{
  for (const char *p = text; *p; p++)
    switch (*p)
      {
      case '\\': g_string_append (out, "\\\\"); break;
      case ',': g_string_append (out, "\\,"); break;
      case ';': g_string_append (out, "\\;"); break;
      case '\n': g_string_append (out, "\\n"); break;
      case '\r': break;
      default: g_string_append_c (out, *p); break;
      }
}

/* RFC 6350 §3.2: lines longer than 75 octets are folded with CRLF + space,
 * never inside a UTF-8 sequence. */
static void
append_folded (GString    *out,
               const char *line)
{
  gsize col = 0;

  for (const char *p = line; *p; p = g_utf8_next_char (p))
    {
      gsize n = g_utf8_next_char (p) - p;

      if (col + n > 75)
        {
          g_string_append (out, "\r\n ");
          col = 1;
        }
      g_string_append_len (out, p, n);
      col += n;
    }
  g_string_append (out, "\r\n");
}

static void
add_line (GString    *out,
          const char *name,
          const char *value,
          gboolean    escape)
{
  g_autoptr(GString) line = g_string_new (name);

  g_string_append_c (line, ':');
  if (escape)
    append_escaped (line, value);
  else
    g_string_append (line, value);
  append_folded (out, line->str);
}

/* RFC 3966 global-number-digits: '+' and digits only (visual separators
 * aside). A SIM number with '*', '#' or a DTMF pause, or one without '+'
 * (a tel: URI then needs a phone-context), is written as text, the
 * default value type of TEL (RFC 6350 §6.4.1). */
static gboolean
is_global_number (const char *number)
{
  if (number[0] != '+' || number[1] == '\0')
    return FALSE;
  for (const char *p = number + 1; *p; p++)
    if (!g_ascii_isdigit (*p))
      return FALSE;
  return TRUE;
}

static void
add_tel (GString    *out,
         gboolean    v4,
         const char *type,
         const char *number)
{
  g_autofree char *name = NULL;

  if (v4 && is_global_number (number))
    {
      g_autofree char *uri = g_strconcat ("tel:", number, NULL);

      name = g_strdup_printf ("TEL;VALUE=uri;TYPE=%s", type);
      add_line (out, name, uri, FALSE);
      return;
    }
  if (v4)
    name = g_strdup_printf ("TEL;TYPE=%s", type);
  else
    {
      g_autofree char *upper = g_ascii_strup (type, -1);

      name = g_strdup_printf ("TEL;TYPE=%s", upper);
    }
  add_line (out, name, number, TRUE);
}

/**
 * sv_vcard_export:
 * @contacts: (element-type SvContact): the contacts
 * @iccid: (nullable): the card they come from, written as X-SIMVAULT-ICCID
 *
 * Returns: (transfer full): the vCards, CRLF line ends, UTF-8
 */
char *
sv_vcard_export (GPtrArray      *contacts,
                 SvVCardVersion  version,
                 const char     *iccid)
{
  GString *out = g_string_new (NULL);
  gboolean v4 = version == SV_VCARD_VERSION_4_0;

  for (guint i = 0; i < contacts->len; i++)
    {
      const SvContact *c = g_ptr_array_index (contacts, i);
      const char *name = sv_contact_get_name (c) ? sv_contact_get_name (c) : "";
      const char *number = sv_contact_get_number (c);
      const char * const *numbers = sv_contact_get_additional_numbers (c);
      const char * const *emails = sv_contact_get_emails (c);
      const char *second = sv_contact_get_second_name (c);
      g_autoptr(GString) n = g_string_new (NULL);
      g_autofree char *set = g_strdup_printf ("%u", sv_contact_get_set (c));
      g_autofree char *index = g_strdup_printf ("%u", sv_contact_get_index (c));

      g_string_append (out, "BEGIN:VCARD\r\n");
      g_string_append (out, v4 ? "VERSION:4.0\r\n" : "VERSION:3.0\r\n");
      add_line (out, "FN", name, TRUE);
      /* N is required in 3.0; a SIM has one name field, so it goes to the
       * family name, as handsets do. */
      append_escaped (n, name);
      g_string_append (n, ";;;;");
      add_line (out, "N", n->str, FALSE);
      if (number != NULL && *number != '\0')
        add_tel (out, v4, "cell", number);
      for (guint k = 0; numbers != NULL && numbers[k] != NULL; k++)
        if (*numbers[k] != '\0')
          add_tel (out, v4, "voice", numbers[k]);
      for (guint k = 0; emails != NULL && emails[k] != NULL; k++)
        if (*emails[k] != '\0')
          add_line (out, v4 ? "EMAIL" : "EMAIL;TYPE=INTERNET", emails[k], TRUE);
      if (second != NULL && *second != '\0')
        add_line (out, "NICKNAME", second, TRUE);
      if (iccid != NULL)
        add_line (out, "X-SIMVAULT-ICCID", iccid, TRUE);
      add_line (out, "X-SIMVAULT-SET", set, FALSE);
      add_line (out, "X-SIMVAULT-INDEX", index, FALSE);
      g_string_append (out, "END:VCARD\r\n");
    }

  return g_string_free (out, FALSE);
}

/* ------------------------------------------------------------------ */
/* Import                                                               */

typedef struct
{
  guint  line;                  /* physical line where it starts */
  char  *name;                  /* upper case, without group */
  GPtrArray *params;            /* "KEY=VALUE" or bare "VALUE", upper-cased keys */
  char  *value;                 /* raw, still escaped / encoded */
} ContentLine;

static void
content_line_free (ContentLine *cl)
{
  g_free (cl->name);
  g_ptr_array_unref (cl->params);
  g_free (cl->value);
  g_free (cl);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ContentLine, content_line_free)

typedef struct
{
  guint      begin_line;
  char      *fn;
  char      *n;
  char      *nickname;
  GPtrArray *tels;              /* char*, primary first after sorting */
  GArray    *tel_rank;
  GPtrArray *emails;
  gint       set;
  gint       index;
  char      *error;             /* first problem in this card */
  guint      error_line;
} Card;

static void
card_free (Card *card)
{
  g_free (card->fn);
  g_free (card->n);
  g_free (card->nickname);
  g_ptr_array_unref (card->tels);
  g_array_unref (card->tel_rank);
  g_ptr_array_unref (card->emails);
  g_free (card->error);
  g_free (card);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Card, card_free)

static Card *
card_new (guint line)
{
  Card *card = g_new0 (Card, 1);

  card->begin_line = line;
  card->tels = g_ptr_array_new_with_free_func (g_free);
  card->tel_rank = g_array_new (FALSE, FALSE, sizeof (gint));
  card->emails = g_ptr_array_new_with_free_func (g_free);
  card->set = -1;
  card->index = -1;
  return card;
}

static void G_GNUC_PRINTF (3, 4)
card_fail (Card       *card,
           guint       line,
           const char *format,
           ...)
{
  va_list args;
  g_autofree char *message = NULL;

  if (card->error != NULL)
    return;
  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  /* As line_message(): the text quoted may be anything. */
  card->error = g_utf8_make_valid (message, -1);
  card->error_line = line;
}

/* A message about a line that quotes the line's text: the file may hold
 * bytes that are not UTF-8 (a CHARSET= file lets them through to the
 * parser), and messages go to JSON and to labels, so those become U+FFFD. */
static char * G_GNUC_PRINTF (1, 2)
line_message (const char *format,
              ...)
{
  va_list args;
  g_autofree char *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  return g_utf8_make_valid (message, -1);
}

/* Splits "a;b\;c" at unescaped @sep; keeps escapes. */
static char *
first_component (const char *value)
{
  GString *out = g_string_new (NULL);

  for (const char *p = value; *p; p++)
    {
      if (*p == '\\' && p[1] != '\0')
        {
          g_string_append_c (out, *p);
          g_string_append_c (out, *++p);
          continue;
        }
      if (*p == ';')
        break;
      g_string_append_c (out, *p);
    }
  return g_string_free (out, FALSE);
}

static char *
unescape_text (const char *value)
{
  GString *out = g_string_new (NULL);

  for (const char *p = value; *p; p++)
    {
      if (*p == '\\' && p[1] != '\0')
        {
          p++;
          if (*p == 'n' || *p == 'N')
            g_string_append_c (out, '\n');
          else
            g_string_append_c (out, *p);
        }
      else
        g_string_append_c (out, *p);
    }
  return g_string_free (out, FALSE);
}

static int
hex_value (char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;
}

/* vCard 2.1 ENCODING=QUOTED-PRINTABLE (RFC 2045 §6.7). */
static char *
decode_quoted_printable (const char *value,
                         gsize      *len_out,
                         gboolean   *ok)
{
  GString *out = g_string_new (NULL);

  *ok = TRUE;
  for (const char *p = value; *p; p++)
    {
      if (*p == '=')
        {
          int hi = hex_value (p[1]);
          int lo = hi >= 0 ? hex_value (p[2]) : -1;

          if (hi < 0 || lo < 0)
            {
              *ok = FALSE;
              break;
            }
          g_string_append_c (out, (char) (hi << 4 | lo));
          p += 2;
        }
      else
        g_string_append_c (out, *p);
    }
  *len_out = out->len;
  return g_string_free (out, FALSE);
}

static const char *
param_value (const ContentLine *cl,
             const char        *key)
{
  gsize key_len = strlen (key);

  for (guint i = 0; i < cl->params->len; i++)
    {
      const char *p = g_ptr_array_index (cl->params, i);

      if (g_ascii_strncasecmp (p, key, key_len) == 0 && p[key_len] == '=')
        return p + key_len + 1;
    }
  return NULL;
}

/* TYPE=CELL,pref / TYPE=cell;TYPE=pref / 2.1 bare CELL / PREF=1 (4.0). */
static gboolean
has_type (const ContentLine *cl,
          const char        *type)
{
  for (guint i = 0; i < cl->params->len; i++)
    {
      const char *p = g_ptr_array_index (cl->params, i);
      const char *eq = strchr (p, '=');
      g_auto(GStrv) values = NULL;

      if (eq == NULL)
        {
          if (g_ascii_strcasecmp (p, type) == 0)
            return TRUE;
          continue;
        }
      if (g_ascii_strncasecmp (p, "TYPE=", 5) != 0)
        {
          if (g_ascii_strcasecmp (type, "PREF") == 0 && g_ascii_strncasecmp (p, "PREF=", 5) == 0)
            return TRUE;
          continue;
        }
      values = g_strsplit (eq + 1, ",", -1);
      for (guint k = 0; values[k]; k++)
        {
          g_autofree char *v = g_strdup (values[k]);

          g_strstrip (v);
          if (v[0] == '"')
            {
              memmove (v, v + 1, strlen (v));
              if (*v && v[strlen (v) - 1] == '"')
                v[strlen (v) - 1] = '\0';
            }
          if (g_ascii_strcasecmp (v, type) == 0)
            return TRUE;
        }
    }
  return FALSE;
}

/* The value as UTF-8 text: QUOTED-PRINTABLE and CHARSET (2.1) undone. */
static char *
value_text (const ContentLine *cl,
            Card              *card)
{
  const char *encoding = param_value (cl, "ENCODING");
  const char *charset = param_value (cl, "CHARSET");
  g_autofree char *raw = NULL;
  gsize len;

  if (encoding == NULL && has_type (cl, "QUOTED-PRINTABLE"))
    encoding = "QUOTED-PRINTABLE";

  if (encoding != NULL && g_ascii_strcasecmp (encoding, "QUOTED-PRINTABLE") == 0)
    {
      gboolean ok;

      raw = decode_quoted_printable (cl->value, &len, &ok);
      if (!ok)
        {
          card_fail (card, cl->line, _("bad quoted-printable escape in %s"), cl->name);
          return NULL;
        }
    }
  else
    {
      raw = g_strdup (cl->value);
      len = strlen (raw);
    }

  if (charset != NULL && g_ascii_strcasecmp (charset, "UTF-8") != 0 &&
      g_ascii_strcasecmp (charset, "UTF8") != 0)
    {
      g_autoptr(GError) conv_error = NULL;
      char *converted = g_convert (raw, len, "UTF-8", charset, NULL, NULL, &conv_error);

      if (converted == NULL)
        {
          card_fail (card, cl->line, _("cannot convert %s from %s: %s"), cl->name, charset,
                     conv_error->message);
          return NULL;
        }
      g_free (raw);
      raw = converted;
      len = strlen (raw);
    }

  if (!g_utf8_validate_len (raw, len, NULL) || memchr (raw, '\0', len) != NULL)
    {
      card_fail (card, cl->line, _("%s is not valid UTF-8 text"), cl->name);
      return NULL;
    }
  return g_steal_pointer (&raw);
}

/* Splits the parameters of "NAME;P1;P2=x" honouring double quotes. */
static gboolean
parse_content_line (const char   *text,
                    guint         line_no,
                    ContentLine **out,
                    char        **problem)
{
  g_autoptr(ContentLine) cl = g_new0 (ContentLine, 1);
  const char *p = text;
  const char *start = text;
  gboolean in_quotes = FALSE;
  g_autofree char *name = NULL;
  const char *dot;

  cl->line = line_no;
  cl->params = g_ptr_array_new_with_free_func (g_free);

  for (; *p; p++)
    {
      if (*p == '"')
        in_quotes = !in_quotes;
      else if (!in_quotes && (*p == ';' || *p == ':'))
        {
          char *piece = g_strndup (start, p - start);

          if (name == NULL)
            name = piece;
          else
            g_ptr_array_add (cl->params, piece);
          start = p + 1;
          if (*p == ':')
            break;
        }
    }
  if (*p != ':')
    {
      *problem = g_strdup (_("property line without “:”"));
      return FALSE;
    }
  if (name == NULL || *name == '\0')
    {
      *problem = g_strdup (_("property line without a name"));
      return FALSE;
    }

  /* "item1.TEL" (Apple, Android): drop the group. */
  dot = strrchr (name, '.');
  cl->name = g_ascii_strup (dot ? dot + 1 : name, -1);
  cl->value = g_strdup (p + 1);
  *out = g_steal_pointer (&cl);
  return TRUE;
}

static gint
tel_rank (const ContentLine *cl)
{
  if (has_type (cl, "PREF"))
    return 0;
  if (has_type (cl, "CELL"))
    return 1;
  return 2;
}

static void
card_add_property (Card              *card,
                   const ContentLine *cl)
{
  g_autofree char *text = NULL;

  if (g_str_equal (cl->name, "FN") || g_str_equal (cl->name, "N") ||
      g_str_equal (cl->name, "NICKNAME") || g_str_equal (cl->name, "TEL") ||
      g_str_equal (cl->name, "EMAIL") || g_str_has_prefix (cl->name, "X-SIMVAULT-"))
    {
      text = value_text (cl, card);
      if (text == NULL)
        return;
    }
  else
    return;                     /* PHOTO, ADR, ORG, …: not on a SIM */

  if (g_str_equal (cl->name, "FN"))
    {
      g_free (card->fn);
      card->fn = unescape_text (text);
    }
  else if (g_str_equal (cl->name, "N"))
    {
      /* Family;Given;Additional;Prefix;Suffix -> "Given Additional Family" */
      g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);
      g_autoptr(GString) field = g_string_new (NULL);
      g_autoptr(GString) full = g_string_new (NULL);
      static const int order[] = { 3, 1, 2, 0, 4 };

      for (const char *p = text;; p++)
        {
          if (*p == '\\' && p[1])
            {
              g_string_append_c (field, *p);
              g_string_append_c (field, *++p);
              continue;
            }
          if (*p == ';' || *p == '\0')
            {
              g_ptr_array_add (parts, unescape_text (field->str));
              g_string_truncate (field, 0);
              if (*p == '\0')
                break;
              continue;
            }
          g_string_append_c (field, *p);
        }
      for (guint k = 0; k < G_N_ELEMENTS (order); k++)
        if ((guint) order[k] < parts->len && *(char *) g_ptr_array_index (parts, order[k]))
          {
            if (full->len)
              g_string_append_c (full, ' ');
            g_string_append (full, g_ptr_array_index (parts, order[k]));
          }
      g_free (card->n);
      card->n = g_strdup (full->str);
    }
  else if (g_str_equal (cl->name, "NICKNAME"))
    {
      g_autofree char *first = first_component (text);
      g_free (card->nickname);
      card->nickname = unescape_text (first);
    }
  else if (g_str_equal (cl->name, "TEL"))
    {
      g_autofree char *number = unescape_text (text);
      const char *n = number;
      gint rank = tel_rank (cl);
      /* "tel:" alone is text (a number of that name), not an empty URI. */
      gboolean uri = g_ascii_strncasecmp (n, "tel:", 4) == 0 && n[4] != ';' && n[4] != '\0';

      if (uri)
        n += 4;
      if (*n == '\0')
        return;
      {
        /* tel: URIs may carry parameters (";ext=…"); keep the number. A
         * text value is the number as written, ';' included (an escaped
         * "\;" in our own export): the import's number check names what
         * no card can dial. Found by fuzz-contacts-import
         * (regress-number-with-semicolon). */
        g_autofree char *plain = g_strndup (n, uri ? strcspn (n, ";") : strlen (n));

        g_strstrip (plain);
        if (*plain == '\0')
          return;
        g_ptr_array_add (card->tels, g_steal_pointer (&plain));
        g_array_append_val (card->tel_rank, rank);
      }
    }
  else if (g_str_equal (cl->name, "EMAIL"))
    {
      g_autofree char *email = unescape_text (text);

      g_strstrip (email);
      if (*email != '\0')
        g_ptr_array_add (card->emails, g_steal_pointer (&email));
    }
  else if (g_str_equal (cl->name, "X-SIMVAULT-SET") || g_str_equal (cl->name, "X-SIMVAULT-INDEX"))
    {
      guint64 v;

      if (!g_ascii_string_to_unsigned (text, 10, 0, 255, &v, NULL))
        {
          card_fail (card, cl->line, _("%s must be a number from 0 to 255, not “%s”"), cl->name, text);
          return;
        }
      if (g_str_equal (cl->name, "X-SIMVAULT-SET"))
        card->set = (gint) v;
      else
        card->index = (gint) v;
    }
}

static SvContact *
card_to_contact (Card *card)
{
  g_autoptr(GPtrArray) numbers = g_ptr_array_new ();
  const char *number = NULL;
  const char *name;
  gint best = G_MAXINT;
  guint primary = 0;

  for (guint i = 0; i < card->tels->len; i++)
    if (g_array_index (card->tel_rank, gint, i) < best)
      {
        best = g_array_index (card->tel_rank, gint, i);
        primary = i;
      }
  if (card->tels->len > 0)
    number = g_ptr_array_index (card->tels, primary);
  for (guint i = 0; i < card->tels->len; i++)
    if (i != primary)
      g_ptr_array_add (numbers, g_ptr_array_index (card->tels, i));
  g_ptr_array_add (numbers, NULL);
  g_ptr_array_add (card->emails, NULL);

  name = card->fn && *card->fn ? card->fn : card->n ? card->n : "";
  return sv_contact_new (card->set >= 0 ? (guint) card->set : 0,
                         card->index >= 0 ? (guint) card->index : 0,
                         name, number ? number : "",
                         (const char * const *) numbers->pdata,
                         (const char * const *) card->emails->pdata,
                         card->nickname);
}

/* Logical lines: CRLF/LF/CR ends, folded lines (a leading space or tab)
 * joined, and 2.1 quoted-printable soft breaks ("=" at the end) joined. */
typedef struct
{
  char  *text;
  guint  line;
} LogicalLine;

static GArray *
unfold (const char *text,
        gsize       len)
{
  GArray *lines = g_array_new (FALSE, FALSE, sizeof (LogicalLine));
  GString *current = NULL;
  guint current_line = 0;
  gboolean qp_continues = FALSE;
  guint line_no = 0;
  const char *p = text, *end = text + len;

  while (p < end)
    {
      const char *eol = p;
      g_autofree char *physical = NULL;

      while (eol < end && *eol != '\r' && *eol != '\n')
        eol++;
      physical = g_strndup (p, eol - p);
      line_no++;
      if (eol < end && *eol == '\r' && eol + 1 < end && eol[1] == '\n')
        eol++;
      p = eol < end ? eol + 1 : end;

      if (current != NULL && (qp_continues || physical[0] == ' ' || physical[0] == '\t'))
        {
          if (qp_continues)
            g_string_append (current, physical);
          else
            g_string_append (current, physical + 1);
        }
      else
        {
          if (current != NULL)
            {
              LogicalLine l = { g_string_free (current, FALSE), current_line };
              g_array_append_val (lines, l);
            }
          current = g_string_new (physical);
          current_line = line_no;
        }

      /* Quoted-printable soft line break. */
      qp_continues = FALSE;
      if (current->len > 0 && current->str[current->len - 1] == '=' &&
          strstr (current->str, "QUOTED-PRINTABLE") != NULL)
        {
          g_string_truncate (current, current->len - 1);
          qp_continues = TRUE;
        }
    }
  if (current != NULL)
    {
      LogicalLine l = { g_string_free (current, FALSE), current_line };
      g_array_append_val (lines, l);
    }
  return lines;
}

static void
free_lines (GArray *lines)
{
  for (guint i = 0; i < lines->len; i++)
    g_free (g_array_index (lines, LogicalLine, i).text);
  g_array_unref (lines);
}

/**
 * sv_vcard_parse:
 * @text: the file's content (UTF-8, a BOM is skipped)
 * @len: its length, or -1 if nul-terminated
 * @flags: %SV_IMPORT_PARTIAL to skip bad entries instead of failing
 * @warnings: (out) (optional) (element-type utf8): line-numbered notes on
 *   what was skipped
 * @error: %SV_MIRROR_ERROR_INVALID with the line number of the first
 *   problem
 *
 * Parses every vCard in @text. Without %SV_IMPORT_PARTIAL any problem fails
 * the whole file, so an import is all or nothing. Contacts without
 * X-SIMVAULT-INDEX get index 0 (not placed yet).
 *
 * Returns: (transfer container) (element-type SvContact): the contacts
 */
GPtrArray *
sv_vcard_parse (const char     *text,
                gssize          len,
                SvImportFlags   flags,
                GPtrArray     **warnings,
                GError        **error)
{
  g_autoptr(GPtrArray) contacts = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_contact_unref);
  g_autoptr(GPtrArray) notes = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(Card) card = NULL;
  GArray *lines;
  const char *bad;
  gboolean partial = (flags & SV_IMPORT_PARTIAL) != 0;

  if (len < 0)
    len = strlen (text);
  if (len >= 3 && memcmp (text, "\xEF\xBB\xBF", 3) == 0)
    {
      text += 3;
      len -= 3;
    }

  if (!g_utf8_validate_len (text, len, &bad))
    {
      guint line = 1;
      const char *cs = NULL;

      for (const char *p = text; p < bad; p++)
        line += *p == '\n';
      /* Old 2.1 files declare CHARSET per property: let those through. */
      cs = g_strstr_len (text, len, "CHARSET=");
      if (cs == NULL)
        {
          g_set_error (error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_INVALID,
                       _("line %u: the file is not UTF-8 text (byte 0x%02X)"), line, (guint8) *bad);
          return NULL;
        }
    }

  lines = unfold (text, len);
  for (guint i = 0; i < lines->len; i++)
    {
      LogicalLine *l = &g_array_index (lines, LogicalLine, i);
      g_autoptr(ContentLine) cl = NULL;
      g_autofree char *problem = NULL;

      if (*l->text == '\0' || strspn (l->text, " \t") == strlen (l->text))
        continue;

      if (!parse_content_line (l->text, l->line, &cl, &problem))
        {
          if (card != NULL)
            card_fail (card, l->line, "%s", problem);
          else
            {
              g_autofree char *msg = line_message (_("line %u: %s outside a vCard"), l->line, problem);
              if (!partial)
                {
                  g_set_error_literal (error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_INVALID, msg);
                  free_lines (lines);
                  return NULL;
                }
              g_ptr_array_add (notes, g_steal_pointer (&msg));
            }
          continue;
        }

      if (g_str_equal (cl->name, "BEGIN") && g_ascii_strcasecmp (cl->value, "VCARD") == 0)
        {
          if (card != NULL)
            {
              g_autofree char *msg = g_strdup_printf (_("line %u: BEGIN:VCARD inside the vCard begun at line %u"),
                                                      l->line, card->begin_line);
              if (!partial)
                {
                  g_set_error_literal (error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_INVALID, msg);
                  free_lines (lines);
                  return NULL;
                }
              g_ptr_array_add (notes, g_steal_pointer (&msg));
              g_clear_pointer (&card, card_free);
            }
          card = card_new (l->line);
          continue;
        }

      if (g_str_equal (cl->name, "END") && g_ascii_strcasecmp (cl->value, "VCARD") == 0)
        {
          if (card == NULL)
            {
              g_autofree char *msg = g_strdup_printf (_("line %u: END:VCARD without BEGIN:VCARD"), l->line);
              if (!partial)
                {
                  g_set_error_literal (error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_INVALID, msg);
                  free_lines (lines);
                  return NULL;
                }
              g_ptr_array_add (notes, g_steal_pointer (&msg));
              continue;
            }
          if (card->error == NULL && (card->fn == NULL || *card->fn == '\0') &&
              (card->n == NULL || *card->n == '\0') && card->tels->len == 0)
            card_fail (card, card->begin_line, _("the vCard has neither a name nor a phone number"));
          if (card->error != NULL)
            {
              g_autofree char *msg = g_strdup_printf (_("line %u: %s (vCard begun at line %u)"),
                                                      card->error_line, card->error, card->begin_line);
              if (!partial)
                {
                  g_set_error_literal (error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_INVALID, msg);
                  free_lines (lines);
                  return NULL;
                }
              g_ptr_array_add (notes, g_steal_pointer (&msg));
            }
          else
            g_ptr_array_add (contacts, card_to_contact (card));
          g_clear_pointer (&card, card_free);
          continue;
        }

      if (card == NULL)
        {
          g_autofree char *msg = line_message (_("line %u: “%s” outside a vCard (no BEGIN:VCARD before it)"),
                                                  l->line, cl->name);
          if (!partial)
            {
              g_set_error_literal (error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_INVALID, msg);
              free_lines (lines);
              return NULL;
            }
          g_ptr_array_add (notes, g_steal_pointer (&msg));
          continue;
        }

      if (g_str_equal (cl->name, "VERSION") && !g_str_equal (cl->value, "2.1") &&
          !g_str_equal (cl->value, "3.0") && !g_str_equal (cl->value, "4.0"))
        card_fail (card, l->line, _("unknown vCard version “%s”"), cl->value);
      card_add_property (card, cl);
    }

  if (card != NULL)
    {
      g_autofree char *msg = g_strdup_printf (_("line %u: the file ends inside the vCard begun at line %u (no END:VCARD)"),
                                              lines->len ? g_array_index (lines, LogicalLine, lines->len - 1).line : 1,
                                              card->begin_line);
      if (!partial)
        {
          g_set_error_literal (error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_INVALID, msg);
          free_lines (lines);
          return NULL;
        }
      g_ptr_array_add (notes, g_steal_pointer (&msg));
    }
  free_lines (lines);

  if (contacts->len == 0 && notes->len == 0)
    {
      g_set_error_literal (error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_INVALID,
                           _("line 1: the file holds no vCard (BEGIN:VCARD … END:VCARD)"));
      return NULL;
    }

  if (warnings != NULL)
    *warnings = g_steal_pointer (&notes);
  return g_steal_pointer (&contacts);
}
