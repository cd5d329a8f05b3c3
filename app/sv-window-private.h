/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "sv-card-view.h"
#include "sv-reader-monitor.h"
#include "sv-reader.h"
#include "sv-window.h"

G_BEGIN_DECLS

struct _SvWindow
{
  AdwApplicationWindow  parent_instance;

  /* Template widgets */
  AdwToastOverlay      *toast_overlay;
  AdwLeaflet           *leaflet;
  GtkWidget            *sidebar;
  GtkWidget            *content;
  GtkListBox           *readers_list;
  GtkSearchEntry       *cards_search;
  GtkStack             *cards_stack;
  GtkListView          *cards_list;
  AdwViewSwitcherTitle *switcher_title;
  GtkWidget            *write_button;
  GtkWidget            *read_button;
  GtkRevealer          *banner_revealer;
  GtkLabel             *banner_label;
  GtkButton            *banner_button;
  GtkRevealer          *progress_revealer;
  GtkLabel             *progress_label;
  GtkProgressBar       *progress_bar;
  GtkStack             *main_stack;
  AdwStatusPage        *status_page;
  SvCardView           *card_view;

  /* State */
  char                 *db_path;
  SvReader             *reader;
  SvReaderMonitor      *monitor;
  GHashTable           *readers;            /* reader name -> ICCID, "" (card not identified) or NULL (no card) */
  gboolean              service_available;
  gboolean              card_busy;          /* a read or write is running */
  GPtrArray            *pending_reads;      /* readers whose card waits to be read */
  GListStore           *cards;
  GtkSingleSelection   *cards_selection;
  GCancellable         *cards_cancellable;
  GCancellable         *operation_cancellable;
  GCancellable         *backup_cancellable;   /* the automatic backup, until dispose */
  char                 *banner_action;
  char                 *interrupted_text;   /* what the last run left interrupted, for the banner */
};

/* sv-window.c */
void sv_window_refresh_cards   (SvWindow   *self);
void sv_window_show_card       (SvWindow   *self,
                                const char *iccid);
void sv_window_show_status     (SvWindow   *self,
                                const char *icon_name,
                                const char *title,
                                const char *description);
void sv_window_show_banner     (SvWindow   *self,
                                const char *text,
                                const char *button_label,
                                const char *action_name);
void sv_window_hide_banner     (SvWindow   *self);
void sv_window_set_progress    (SvWindow   *self,
                                const char *text,
                                double      fraction);
void sv_window_end_progress    (SvWindow   *self);
void sv_window_update_actions  (SvWindow   *self);

/* sv-window-actions.c */
void       sv_window_class_add_actions (GtkWidgetClass *widget_class);
GtkWidget *sv_window_preview_list_new  (const char     *markup);
void       sv_window_export_file       (SvWindow       *self,
                                        const char     *iccid,
                                        const char     *format,
                                        const char     *path);
void       sv_window_import_file       (SvWindow       *self,
                                        const char     *path,
                                        gboolean        partial);

/* sv-window-card.c: readers, PIN, reading and writing cards */
void        sv_window_card_init         (SvWindow       *self);
void        sv_window_card_dispose      (SvWindow       *self);
void        sv_window_class_add_card_actions (GtkWidgetClass *widget_class);
const char *sv_window_find_reader_of    (SvWindow       *self,
                                         const char     *iccid);
const char *sv_window_first_reader_with_card (SvWindow  *self);
const char *sv_window_find_restore_target (SvWindow     *self);
void        sv_window_show_idle_status  (SvWindow       *self);
void        sv_window_read_card         (SvWindow       *self,
                                         const char     *reader_name);
void        sv_window_write_card        (SvWindow       *self,
                                         const char     *iccid);

/* sv-window-backup.c: the automatic backup after a read */
void        sv_window_maybe_auto_backup (SvWindow       *self,
                                         const char     *iccid);

/* sv-window-sync.c: back up now, the restore desk */
void        sv_window_class_add_sync_actions (GtkWidgetClass *widget_class);

/* sv-window-interrupted.c: work the last run left interrupted */
void        sv_window_interrupted_init       (SvWindow       *self);
void        sv_window_class_add_interrupted_actions (GtkWidgetClass *widget_class);
void        sv_window_update_interrupted     (SvWindow       *self);
gboolean    sv_window_show_interrupted       (SvWindow       *self);

G_END_DECLS
