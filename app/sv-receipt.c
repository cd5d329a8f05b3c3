/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The restore desk's receipt: its lines, and printing them (or saving a
 * PDF, GtkPrintOperation's export-filename) with Pango on one page.
 */
#define G_LOG_DOMAIN "sv-receipt"

#include "config.h"

#include <glib/gi18n.h>

#include "sv-receipt.h"

SvReceipt *
sv_receipt_new (void)
{
  SvReceipt *receipt = g_new0 (SvReceipt, 1);

  receipt->not_fitted = g_ptr_array_new_with_free_func (g_free);
  return receipt;
}

void
sv_receipt_free (SvReceipt *receipt)
{
  if (receipt == NULL)
    return;
  g_free (receipt->source_iccid);
  g_free (receipt->target_iccid);
  g_free (receipt->phone);
  g_free (receipt->staff);
  g_free (receipt->server);
  g_clear_pointer (&receipt->time, g_date_time_unref);
  g_ptr_array_unref (receipt->not_fitted);
  g_free (receipt);
}

/**
 * sv_receipt_get_lines:
 *
 * Returns: (transfer container) (element-type utf8): "label\tvalue" lines,
 *   as the desk shows them and the printout prints them
 */
GPtrArray *
sv_receipt_get_lines (SvReceipt *receipt)
{
  GPtrArray *lines = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *time = receipt->time ? g_date_time_format (receipt->time, "%Y-%m-%d %H:%M:%S %Z") : NULL;

  g_ptr_array_add (lines, g_strdup_printf ("%s\t%s", _("Phone number"), receipt->phone));
  g_ptr_array_add (lines, g_strdup_printf ("%s\t%s", _("Backed-up card (ICCID)"), receipt->source_iccid));
  g_ptr_array_add (lines, g_strdup_printf ("%s\t%s", _("New card (ICCID)"), receipt->target_iccid));
  g_ptr_array_add (lines, g_strdup_printf ("%s\t%u", _("Contacts written"), receipt->contacts_written));
  g_ptr_array_add (lines, g_strdup_printf ("%s\t%u", _("Of them with shortened names"), receipt->contacts_shortened));
  g_ptr_array_add (lines, g_strdup_printf ("%s\t%u", _("Contacts that did not fit"), receipt->contacts_not_fitted));
  g_ptr_array_add (lines, g_strdup_printf ("%s\t%u", _("Messages written"), receipt->messages_written));
  g_ptr_array_add (lines, g_strdup_printf ("%s\t%u", _("Messages that did not fit"), receipt->messages_not_fitted));
  g_ptr_array_add (lines, g_strdup_printf ("%s\t%u", _("Records verified on the card"), receipt->records_verified));
  g_ptr_array_add (lines, g_strdup_printf ("%s\t%s", _("Time"), time ? time : ""));
  g_ptr_array_add (lines, g_strdup_printf ("%s\t%s", _("Staff"), receipt->staff));
  for (guint i = 0; i < receipt->not_fitted->len; i++)
    g_ptr_array_add (lines, g_strdup_printf ("%s\t%s", _("Not fitted"),
                                             (const char *) g_ptr_array_index (receipt->not_fitted, i)));
  return lines;
}

static void
draw_page_cb (GtkPrintOperation *operation,
              GtkPrintContext   *context,
              int                page_nr,
              SvReceipt         *receipt)
{
  cairo_t *cr = gtk_print_context_get_cairo_context (context);
  g_autoptr(PangoLayout) layout = gtk_print_context_create_pango_layout (context);
  g_autoptr(PangoFontDescription) font = pango_font_description_from_string ("Sans 11");
  g_autoptr(GPtrArray) lines = sv_receipt_get_lines (receipt);
  g_autoptr(GString) markup = g_string_new (NULL);
  PangoTabArray *tabs = pango_tab_array_new_with_positions (1, TRUE, PANGO_TAB_LEFT, 260);

  g_string_append_printf (markup, "<big><b>%s</b></big>\n\n", _("SimVault Restore Receipt"));
  for (guint i = 0; i < lines->len; i++)
    {
      g_autofree char *escaped = g_markup_escape_text (g_ptr_array_index (lines, i), -1);

      g_string_append_printf (markup, "%s\n", escaped);
    }
  pango_layout_set_font_description (layout, font);
  pango_layout_set_tabs (layout, tabs);
  pango_tab_array_free (tabs);
  pango_layout_set_width (layout, (int) (gtk_print_context_get_width (context) * PANGO_SCALE));
  pango_layout_set_wrap (layout, PANGO_WRAP_WORD_CHAR);
  pango_layout_set_markup (layout, markup->str, -1);
  cairo_move_to (cr, 0, 0);
  pango_cairo_show_layout (cr, layout);
}

/**
 * sv_receipt_print:
 * @parent: (nullable): the window the print dialog belongs to
 * @pdf_path: (nullable): save a PDF there without a dialog; %NULL: the
 *   print dialog
 *
 * Returns: %FALSE with @error when printing failed
 */
gboolean
sv_receipt_print (SvReceipt   *receipt,
                  GtkWindow   *parent,
                  const char  *pdf_path,
                  GError     **error)
{
  g_autoptr(GtkPrintOperation) operation = gtk_print_operation_new ();
  GtkPrintOperationResult result;

  gtk_print_operation_set_n_pages (operation, 1);
  gtk_print_operation_set_job_name (operation, _("SimVault Restore Receipt"));
  gtk_print_operation_set_embed_page_setup (operation, TRUE);
  g_signal_connect (operation, "draw-page", G_CALLBACK (draw_page_cb), receipt);
  if (pdf_path != NULL)
    {
      gtk_print_operation_set_export_filename (operation, pdf_path);
      result = gtk_print_operation_run (operation, GTK_PRINT_OPERATION_ACTION_EXPORT, parent, error);
    }
  else
    result = gtk_print_operation_run (operation, GTK_PRINT_OPERATION_ACTION_PRINT_DIALOG, parent, error);
  return result != GTK_PRINT_OPERATION_RESULT_ERROR;
}
