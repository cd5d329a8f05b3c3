/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "sv-card-image.h"
#include "sv-file-info.h"
#include "sv-reader.h"

G_BEGIN_DECLS

typedef struct _SvCardSession SvCardSession;

SvCardSession  *sv_card_session_open            (SvReader        *reader,
                                                 const char      *reader_name,
                                                 GError         **error);
void            sv_card_session_open_async      (SvReader            *reader,
                                                 const char          *reader_name,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
SvCardSession  *sv_card_session_open_finish     (GAsyncResult        *result,
                                                 GError             **error);
void            sv_card_session_close           (SvCardSession   *self);
const char     *sv_card_session_get_reader_name (SvCardSession   *self);
GBytes         *sv_card_session_get_atr         (SvCardSession   *self);
SvCardProtocol  sv_card_session_get_protocol    (SvCardSession   *self);
SvCardType      sv_card_session_get_card_type   (SvCardSession   *self);
gboolean        sv_card_session_is_uicc         (SvCardSession   *self);
guint8          sv_card_session_get_cla         (SvCardSession   *self);
guint           sv_card_session_get_apdu_count  (SvCardSession   *self);
GBytes         *sv_card_session_get_usim_aid    (SvCardSession   *self);

gboolean        sv_card_session_transmit        (SvCardSession   *self,
                                                 const guint8    *header,
                                                 const guint8    *data,
                                                 gsize            lc,
                                                 gint             le,
                                                 GBytes         **response,
                                                 guint16         *sw,
                                                 GError         **error);
gboolean        sv_card_session_command         (SvCardSession   *self,
                                                 const char      *operation,
                                                 guint8           ins,
                                                 guint8           p1,
                                                 guint8           p2,
                                                 const guint8    *data,
                                                 gsize            lc,
                                                 gint             le,
                                                 GBytes         **response,
                                                 guint16         *sw,
                                                 GError         **error);
gboolean        sv_card_session_select          (SvCardSession   *self,
                                                 const char      *path,
                                                 SvFileInfo      *info,
                                                 GError         **error);
GBytes         *sv_card_session_select_df_status (SvCardSession  *self,
                                                  const char     *fid_hex,
                                                  GError        **error);
GBytes         *sv_card_session_read_record     (SvCardSession   *self,
                                                 guint            record,
                                                 guint            length,
                                                 GError         **error);
GBytes         *sv_card_session_read_binary     (SvCardSession   *self,
                                                 guint            offset,
                                                 guint            length,
                                                 GError         **error);
gboolean        sv_card_session_update_record   (SvCardSession   *self,
                                                 guint            record,
                                                 GBytes          *bytes,
                                                 GError         **error);
gboolean        sv_card_session_update_binary   (SvCardSession   *self,
                                                 guint            offset,
                                                 GBytes          *bytes,
                                                 GError         **error);
GArray         *sv_card_session_search_record   (SvCardSession   *self,
                                                 const guint8    *pattern,
                                                 gsize            pattern_len,
                                                 GError         **error);
const char     *sv_card_session_get_selected_path (SvCardSession *self);
gboolean        sv_card_session_begin           (SvCardSession   *self,
                                                 GError         **error);
void            sv_card_session_end             (SvCardSession   *self);
guint           sv_card_session_get_n_resets_seen (SvCardSession *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SvCardSession, sv_card_session_close)

G_END_DECLS
