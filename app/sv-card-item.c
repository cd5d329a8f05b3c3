/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One card of the mirror as the sidebar lists it: a title people
 * recognise (label, else phone number, else ICCID), a subtitle with the
 * rest, and whether the card is in a reader right now.
 */
#define G_LOG_DOMAIN "sv-card-item"

#include "config.h"

#include <glib/gi18n.h>

#include "sv-card-item.h"

struct _SvCardItem
{
  GObject   parent_instance;
  char     *iccid;
  char     *title;
  char     *subtitle;
  guint     n_pending;
  gboolean  inserted;
};

G_DEFINE_FINAL_TYPE (SvCardItem, sv_card_item, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_TITLE,
  PROP_SUBTITLE,
  PROP_INSERTED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
sv_card_item_finalize (GObject *object)
{
  SvCardItem *self = SV_CARD_ITEM (object);

  g_clear_pointer (&self->iccid, g_free);
  g_clear_pointer (&self->title, g_free);
  g_clear_pointer (&self->subtitle, g_free);

  G_OBJECT_CLASS (sv_card_item_parent_class)->finalize (object);
}

static void
sv_card_item_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  SvCardItem *self = SV_CARD_ITEM (object);

  switch (prop_id)
    {
    case PROP_TITLE:
      g_value_set_string (value, self->title);
      break;

    case PROP_SUBTITLE:
      g_value_set_string (value, self->subtitle);
      break;

    case PROP_INSERTED:
      g_value_set_boolean (value, self->inserted);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sv_card_item_class_init (SvCardItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = sv_card_item_finalize;
  object_class->get_property = sv_card_item_get_property;

  properties[PROP_TITLE] =
    g_param_spec_string ("title", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_SUBTITLE] =
    g_param_spec_string ("subtitle", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_INSERTED] =
    g_param_spec_boolean ("inserted", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
sv_card_item_init (SvCardItem *self)
{
}

static gboolean
has_text (const char *text)
{
  return text != NULL && *text != '\0';
}

SvCardItem *
sv_card_item_new (const SvMirrorCard *card)
{
  SvCardItem *self;
  g_autoptr(GString) subtitle = g_string_new (NULL);

  g_return_val_if_fail (card != NULL, NULL);

  self = g_object_new (SV_TYPE_CARD_ITEM, NULL);
  self->iccid = g_strdup (card->iccid);
  self->n_pending = card->n_pending;

  if (has_text (card->label))
    self->title = g_strdup (card->label);
  else if (has_text (card->phone_number))
    self->title = g_strdup (card->phone_number);
  else
    self->title = g_strdup (card->iccid);

  if (has_text (card->label) && has_text (card->phone_number))
    g_string_append_printf (subtitle, "%s · ", card->phone_number);
  if (!g_str_equal (self->title, card->iccid))
    g_string_append_printf (subtitle, "%s · ", card->iccid);
  g_string_append_printf (subtitle,
                          g_dngettext (GETTEXT_PACKAGE, "%u contact", "%u contacts", card->n_contacts),
                          card->n_contacts);
  if (card->n_pending > 0)
    {
      g_string_append (subtitle, " · ");
      g_string_append_printf (subtitle,
                              g_dngettext (GETTEXT_PACKAGE, "%u change to write", "%u changes to write",
                                           card->n_pending),
                              card->n_pending);
    }
  self->subtitle = g_string_free (g_steal_pointer (&subtitle), FALSE);

  return self;
}

const char *
sv_card_item_get_iccid (SvCardItem *self)
{
  g_return_val_if_fail (SV_IS_CARD_ITEM (self), NULL);

  return self->iccid;
}

const char *
sv_card_item_get_title (SvCardItem *self)
{
  g_return_val_if_fail (SV_IS_CARD_ITEM (self), NULL);

  return self->title;
}

const char *
sv_card_item_get_subtitle (SvCardItem *self)
{
  g_return_val_if_fail (SV_IS_CARD_ITEM (self), NULL);

  return self->subtitle;
}

guint
sv_card_item_get_n_pending (SvCardItem *self)
{
  g_return_val_if_fail (SV_IS_CARD_ITEM (self), 0);

  return self->n_pending;
}

gboolean
sv_card_item_get_inserted (SvCardItem *self)
{
  g_return_val_if_fail (SV_IS_CARD_ITEM (self), FALSE);

  return self->inserted;
}

void
sv_card_item_set_inserted (SvCardItem *self,
                           gboolean    inserted)
{
  g_return_if_fail (SV_IS_CARD_ITEM (self));

  if (self->inserted == !!inserted)
    return;

  self->inserted = !!inserted;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_INSERTED]);
}
