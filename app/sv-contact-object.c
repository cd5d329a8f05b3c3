/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A GObject around an immutable SvContact, so list widgets can hold it and
 * bind to its fields as properties.
 */
#define G_LOG_DOMAIN "sv-contact-object"

#include "config.h"

#include <string.h>

#include "sv-contact-object.h"

struct _SvContactObject
{
  GObject    parent_instance;
  SvContact *contact;
  char      *details;
  char      *search_text;   /* folded: sv_contact_object_fold() */
  char      *name_key;      /* collation key of the folded name, on first use */
};

G_DEFINE_FINAL_TYPE (SvContactObject, sv_contact_object, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_NAME,
  PROP_NUMBER,
  PROP_INDEX,
  PROP_SET,
  PROP_DETAILS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
sv_contact_object_finalize (GObject *object)
{
  SvContactObject *self = SV_CONTACT_OBJECT (object);

  g_clear_pointer (&self->contact, sv_contact_unref);
  g_clear_pointer (&self->details, g_free);
  g_clear_pointer (&self->search_text, g_free);
  g_clear_pointer (&self->name_key, g_free);

  G_OBJECT_CLASS (sv_contact_object_parent_class)->finalize (object);
}

static void
sv_contact_object_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  SvContactObject *self = SV_CONTACT_OBJECT (object);

  switch (prop_id)
    {
    case PROP_NAME:
      g_value_set_string (value, sv_contact_get_name (self->contact));
      break;

    case PROP_NUMBER:
      g_value_set_string (value, sv_contact_get_number (self->contact));
      break;

    case PROP_INDEX:
      g_value_set_uint (value, sv_contact_get_index (self->contact));
      break;

    case PROP_SET:
      g_value_set_uint (value, sv_contact_get_set (self->contact));
      break;

    case PROP_DETAILS:
      g_value_set_string (value, self->details);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sv_contact_object_class_init (SvContactObjectClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = sv_contact_object_finalize;
  object_class->get_property = sv_contact_object_get_property;

  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_NUMBER] =
    g_param_spec_string ("number", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_INDEX] =
    g_param_spec_uint ("index", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_SET] =
    g_param_spec_uint ("set", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_DETAILS] =
    g_param_spec_string ("details", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
sv_contact_object_init (SvContactObject *self)
{
}

static void
append_line (GString    *string,
             const char *value)
{
  if (value == NULL || *value == '\0')
    return;
  if (string->len > 0)
    g_string_append_c (string, '\n');
  g_string_append (string, value);
}

static void
append_all (GString            *string,
            const char * const *values)
{
  for (guint i = 0; values[i] != NULL; i++)
    {
      if (string->len > 0)
        g_string_append (string, ", ");
      g_string_append (string, values[i]);
    }
}

SvContactObject *
sv_contact_object_new (SvContact *contact)
{
  SvContactObject *self;
  g_autoptr(GString) details = g_string_new (NULL);
  g_autoptr(GString) search = g_string_sized_new (64);

  g_return_val_if_fail (contact != NULL, NULL);

  self = g_object_new (SV_TYPE_CONTACT_OBJECT, NULL);
  self->contact = sv_contact_ref (contact);

  append_all (details, sv_contact_get_additional_numbers (contact));
  append_all (details, sv_contact_get_emails (contact));
  self->details = g_string_free (g_steal_pointer (&details), FALSE);

  /* Everything a search may match, folded once; one line each (the
   * search entry holds one line, so a query never spans two fields). */
  append_line (search, sv_contact_get_name (contact));
  append_line (search, sv_contact_get_second_name (contact));
  append_line (search, sv_contact_get_number (contact));
  append_line (search, self->details);
  self->search_text = sv_contact_object_fold (search->str);

  return self;
}

SvContact *
sv_contact_object_get_contact (SvContactObject *self)
{
  g_return_val_if_fail (SV_IS_CONTACT_OBJECT (self), NULL);

  return self->contact;
}

const char *
sv_contact_object_get_details (SvContactObject *self)
{
  g_return_val_if_fail (SV_IS_CONTACT_OBJECT (self), NULL);

  return self->details;
}

/**
 * sv_contact_object_fold:
 * @text: UTF-8 text
 *
 * Folds @text for searching: case-folded, then normalized (NFKC), so
 * "MÜLLER" typed with a combining diaeresis finds "Müller".
 *
 * Returns: (transfer full): the folded text
 */
char *
sv_contact_object_fold (const char *text)
{
  g_autofree char *folded = NULL;
  const guchar *p;

  g_return_val_if_fail (text != NULL, NULL);

  /* Most names and all numbers are ASCII: there folding is lowering and
   * normalization changes nothing (a third of the time of a load). */
  for (p = (const guchar *) text; *p != '\0' && *p < 0x80; p++)
    ;
  if (*p == '\0')
    return g_ascii_strdown (text, -1);

  folded = g_utf8_casefold (text, -1);
  return g_utf8_normalize (folded, -1, G_NORMALIZE_ALL_COMPOSE);
}

/**
 * sv_contact_object_get_name_key:
 *
 * The key the list sorts names by: compare two with strcmp(). Computed on
 * the first call (a collation key costs microseconds; most lists are never
 * sorted by name).
 *
 * Returns: (transfer none): the collation key of the case-folded name
 */
const char *
sv_contact_object_get_name_key (SvContactObject *self)
{
  g_return_val_if_fail (SV_IS_CONTACT_OBJECT (self), NULL);

  if (self->name_key == NULL)
    {
      const char *name = sv_contact_get_name (self->contact);
      g_autofree char *folded = g_utf8_casefold (name != NULL ? name : "", -1);

      self->name_key = g_utf8_collate_key (folded, -1);
    }
  return self->name_key;
}

/**
 * sv_contact_object_peek_name_key:
 *
 * Returns: (transfer none) (nullable): the name key if it was computed
 *   already, else %NULL
 */
const char *
sv_contact_object_peek_name_key (SvContactObject *self)
{
  g_return_val_if_fail (SV_IS_CONTACT_OBJECT (self), NULL);

  return self->name_key;
}

/**
 * sv_contact_object_set_name_key:
 * @name_key: the key sv_contact_object_get_name_key() would compute for
 *   this contact's name (from an object with the same name)
 *
 * Saves computing the key again when the same contacts come back as new
 * objects (the window reloads every contact after an edit).
 */
void
sv_contact_object_set_name_key (SvContactObject *self,
                                const char      *name_key)
{
  g_return_if_fail (SV_IS_CONTACT_OBJECT (self));
  g_return_if_fail (name_key != NULL);

  if (self->name_key == NULL)
    self->name_key = g_strdup (name_key);
}

/**
 * sv_contact_object_matches:
 * @folded_query: a query already passed through sv_contact_object_fold()
 *
 * Returns: whether the name, second name, any number or e-mail contains
 *   @folded_query; digits also match a number written with '+'.
 */
gboolean
sv_contact_object_matches (SvContactObject *self,
                           const char      *folded_query)
{
  g_return_val_if_fail (SV_IS_CONTACT_OBJECT (self), FALSE);

  if (folded_query == NULL || *folded_query == '\0')
    return TRUE;

  return strstr (self->search_text, folded_query) != NULL;
}
