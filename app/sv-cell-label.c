/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One line of text in a table cell, ellipsized at the end; a GtkLabel that
 * is cheap to change.
 *
 * The contacts list keeps 200 rows of four cells bound (GTK 4.8), and a
 * search or a sort changes the text of all of them. A GtkLabel lays its
 * text out again and asks for a new size on every change, and the column
 * view then measures all 800 cells again: 30-40 ms. This cell's size does
 * not depend on its text (one line high; as wide as width-chars average
 * characters, so columns do not jump while typing), so a change only
 * redraws, and text is laid out only for the cells drawn on screen.
 */
#define G_LOG_DOMAIN "sv-cell-label"

#include "config.h"

#include <pango/pangocairo.h>

#include "sv-cell-label.h"

struct _SvCellLabel
{
  GtkWidget    parent_instance;

  char        *text;
  guint        width_chars;
  PangoLayout *layout;       /* for text at the allocated width; on first draw */

  /* Font metrics, per font: the size never depends on the text. */
  int          line_height;
  int          char_width;   /* Pango units */
};

G_DEFINE_FINAL_TYPE (SvCellLabel, sv_cell_label, GTK_TYPE_WIDGET)

typedef struct
{
  int line_height;
  int char_width;
} CellMetrics;

/* pango_context_get_metrics() shapes a sample text on every call: a row
 * GTK builds (when the number of matches crosses the rows it keeps bound)
 * asked it four times. Metrics per font, resolution and language, made
 * once; main thread only. */
static GHashTable *metrics_cache;

static void
ensure_metrics (SvCellLabel *self)
{
  PangoContext *context;
  const PangoFontDescription *font;
  PangoLanguage *language;
  PangoFontMetrics *metrics;
  CellMetrics *cached;
  g_autofree char *font_name = NULL;
  g_autofree char *key = NULL;

  if (self->line_height > 0)
    return;

  context = gtk_widget_get_pango_context (GTK_WIDGET (self));
  font = pango_context_get_font_description (context);
  font_name = pango_font_description_to_string (font);
  language = pango_context_get_language (context);
  key = g_strdup_printf ("%s|%g|%s", font_name, pango_cairo_context_get_resolution (context),
                         language != NULL ? pango_language_to_string (language) : "");
  if (metrics_cache == NULL)
    metrics_cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  cached = g_hash_table_lookup (metrics_cache, key);
  if (cached == NULL)
    {
      cached = g_new (CellMetrics, 1);
      metrics = pango_context_get_metrics (context, font, NULL);
      cached->line_height = PANGO_PIXELS_CEIL (pango_font_metrics_get_height (metrics));
      if (cached->line_height <= 0)
        cached->line_height = PANGO_PIXELS_CEIL (pango_font_metrics_get_ascent (metrics) +
                                                 pango_font_metrics_get_descent (metrics));
      cached->char_width = MAX (pango_font_metrics_get_approximate_char_width (metrics),
                                pango_font_metrics_get_approximate_digit_width (metrics));
      pango_font_metrics_unref (metrics);
      g_hash_table_insert (metrics_cache, g_steal_pointer (&key), cached);
    }
  self->line_height = MAX (cached->line_height, 1);
  self->char_width = cached->char_width;
}

static void
sv_cell_label_measure (GtkWidget      *widget,
                       GtkOrientation  orientation,
                       int             for_size,
                       int            *minimum,
                       int            *natural,
                       int            *minimum_baseline,
                       int            *natural_baseline)
{
  SvCellLabel *self = SV_CELL_LABEL (widget);

  ensure_metrics (self);
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      /* room for the ellipsis at least */
      *minimum = PANGO_PIXELS_CEIL (self->char_width);
      *natural = MAX (*minimum, PANGO_PIXELS_CEIL ((gint64) self->char_width * self->width_chars));
    }
  else
    {
      *minimum = *natural = self->line_height;
    }
}

static void
sv_cell_label_size_allocate (GtkWidget *widget,
                             int        width,
                             int        height,
                             int        baseline)
{
  SvCellLabel *self = SV_CELL_LABEL (widget);

  if (self->layout != NULL)
    pango_layout_set_width (self->layout, width * PANGO_SCALE);
}

static void
sv_cell_label_snapshot (GtkWidget   *widget,
                        GtkSnapshot *snapshot)
{
  SvCellLabel *self = SV_CELL_LABEL (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  GdkRGBA color;
  int text_height;

  if (self->text == NULL || *self->text == '\0' || width <= 0)
    return;

  if (self->layout == NULL)
    {
      self->layout = gtk_widget_create_pango_layout (widget, self->text);
      pango_layout_set_ellipsize (self->layout, PANGO_ELLIPSIZE_END);
      pango_layout_set_single_paragraph_mode (self->layout, TRUE);
      pango_layout_set_width (self->layout, width * PANGO_SCALE);
    }

  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &color);
  G_GNUC_END_IGNORE_DEPRECATIONS
  pango_layout_get_pixel_size (self->layout, NULL, &text_height);

  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (0, (height - text_height) / 2.f));
  gtk_snapshot_append_layout (snapshot, self->layout, &color);
  gtk_snapshot_restore (snapshot);
}

static void
sv_cell_label_css_changed (GtkWidget         *widget,
                           GtkCssStyleChange *change)
{
  SvCellLabel *self = SV_CELL_LABEL (widget);
  int line_height = self->line_height, char_width = self->char_width;

  GTK_WIDGET_CLASS (sv_cell_label_parent_class)->css_changed (widget, change);

  /* Most style changes are states (hover, selected): same font. */
  g_clear_object (&self->layout);
  self->line_height = 0;
  ensure_metrics (self);
  if (self->line_height != line_height || self->char_width != char_width)
    gtk_widget_queue_resize (widget);
}

static void
sv_cell_label_finalize (GObject *object)
{
  SvCellLabel *self = SV_CELL_LABEL (object);

  g_clear_object (&self->layout);
  g_clear_pointer (&self->text, g_free);

  G_OBJECT_CLASS (sv_cell_label_parent_class)->finalize (object);
}

static void
sv_cell_label_class_init (SvCellLabelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = sv_cell_label_finalize;
  widget_class->measure = sv_cell_label_measure;
  widget_class->size_allocate = sv_cell_label_size_allocate;
  widget_class->snapshot = sv_cell_label_snapshot;
  widget_class->css_changed = sv_cell_label_css_changed;

  gtk_widget_class_set_css_name (widget_class, "label");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_LABEL);
}

static void
sv_cell_label_init (SvCellLabel *self)
{
}

GtkWidget *
sv_cell_label_new (void)
{
  return g_object_new (SV_TYPE_CELL_LABEL, NULL);
}

/**
 * sv_cell_label_set_text:
 * @text: (nullable): the text
 *
 * Shows @text; only redraws, the size stays.
 */
void
sv_cell_label_set_text (SvCellLabel *self,
                        const char  *text)
{
  g_return_if_fail (SV_IS_CELL_LABEL (self));

  if (g_strcmp0 (self->text, text) == 0)
    return;

  g_free (self->text);
  self->text = g_strdup (text);
  if (self->layout != NULL)
    pango_layout_set_text (self->layout, text != NULL ? text : "", -1);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  text != NULL ? text : "", -1);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

const char *
sv_cell_label_get_text (SvCellLabel *self)
{
  g_return_val_if_fail (SV_IS_CELL_LABEL (self), NULL);

  return self->text;
}

/**
 * sv_cell_label_set_width_chars:
 * @width_chars: the natural width, in average characters
 */
void
sv_cell_label_set_width_chars (SvCellLabel *self,
                               guint        width_chars)
{
  g_return_if_fail (SV_IS_CELL_LABEL (self));

  if (self->width_chars == width_chars)
    return;

  self->width_chars = width_chars;
  gtk_widget_queue_resize (GTK_WIDGET (self));
}
