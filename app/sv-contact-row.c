/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One row of the contacts list: a slot that shows whichever contact is at
 * its position now. GTK 4.8's list views destroy and create row widgets
 * whenever the items at their positions change, and keep 200 rows bound;
 * a row whose contact changes in place keeps its widgets, so a search or a
 * sort updates labels instead of building 1,800 widgets (see
 * sv-contact-list.c).
 */
#define G_LOG_DOMAIN "sv-contact-row"

#include "config.h"

#include "sv-contact-row.h"

struct _SvContactRow
{
  GObject          parent_instance;
  SvContactObject *object;
};

G_DEFINE_FINAL_TYPE (SvContactRow, sv_contact_row, G_TYPE_OBJECT)

enum {
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
sv_contact_row_finalize (GObject *object)
{
  SvContactRow *self = SV_CONTACT_ROW (object);

  g_clear_object (&self->object);

  G_OBJECT_CLASS (sv_contact_row_parent_class)->finalize (object);
}

static void
sv_contact_row_class_init (SvContactRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = sv_contact_row_finalize;

  /**
   * SvContactRow::changed:
   *
   * The row shows another contact now.
   */
  signals[CHANGED] =
    g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
sv_contact_row_init (SvContactRow *self)
{
}

SvContactRow *
sv_contact_row_new (SvContactObject *object)
{
  SvContactRow *self;

  g_return_val_if_fail (SV_IS_CONTACT_OBJECT (object), NULL);

  self = g_object_new (SV_TYPE_CONTACT_ROW, NULL);
  self->object = g_object_ref (object);
  return self;
}

/**
 * sv_contact_row_get_object:
 *
 * Returns: (transfer none): the contact the row shows now
 */
SvContactObject *
sv_contact_row_get_object (SvContactRow *self)
{
  g_return_val_if_fail (SV_IS_CONTACT_ROW (self), NULL);

  return self->object;
}

/**
 * sv_contact_row_set_object:
 *
 * Shows @object in the row; emits #SvContactRow::changed if it is another
 * contact.
 */
void
sv_contact_row_set_object (SvContactRow    *self,
                           SvContactObject *object)
{
  g_return_if_fail (SV_IS_CONTACT_ROW (self));
  g_return_if_fail (SV_IS_CONTACT_OBJECT (object));

  if (self->object == object)
    return;
  g_set_object (&self->object, object);
  g_signal_emit (self, signals[CHANGED], 0);
}
