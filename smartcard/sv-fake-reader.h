/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "sv-hex.h"
#include "sv-reader.h"

G_BEGIN_DECLS

/**
 * SvFakeCardFunc:
 * @apdu: the command
 * @user_data: closure
 *
 * Answers an APDU that no scripted expectation covers, like a card would.
 *
 * Returns: (transfer full): the response (data + SW1 SW2); may be shorter
 * than 2 bytes to simulate a broken card.
 */
typedef GBytes *(*SvFakeCardFunc) (GBytes   *apdu,
                                   gpointer  user_data);

#define SV_TYPE_FAKE_READER (sv_fake_reader_get_type ())
G_DECLARE_FINAL_TYPE (SvFakeReader, sv_fake_reader, SV, FAKE_READER, SvReader)

SvFakeReader *sv_fake_reader_new                (void);
void          sv_fake_reader_add_reader         (SvFakeReader   *self,
                                                 const char     *name);
void          sv_fake_reader_remove_reader      (SvFakeReader   *self,
                                                 const char     *name);
void          sv_fake_reader_insert_card        (SvFakeReader   *self,
                                                 const char     *name,
                                                 const char     *atr_hex);
void          sv_fake_reader_pull_card          (SvFakeReader   *self,
                                                 const char     *name);
void          sv_fake_reader_set_service_running (SvFakeReader *self,
                                                 gboolean        running);
void          sv_fake_reader_pull_card_after    (SvFakeReader   *self,
                                                 guint           n_apdus);
void          sv_fake_reader_expect             (SvFakeReader   *self,
                                                 const char     *apdu_hex,
                                                 const char     *response_hex);
void          sv_fake_reader_set_card_func      (SvFakeReader   *self,
                                                 SvFakeCardFunc  func,
                                                 gpointer        user_data,
                                                 GDestroyNotify  destroy);
void          sv_fake_reader_set_protocol       (SvFakeReader   *self,
                                                 SvCardProtocol  protocol);
guint         sv_fake_reader_get_n_pending      (SvFakeReader   *self);
guint         sv_fake_reader_get_n_transmitted  (SvFakeReader   *self);
const char   *sv_fake_reader_get_mismatch       (SvFakeReader   *self);
GPtrArray    *sv_fake_reader_get_log            (SvFakeReader   *self);
guint         sv_fake_reader_get_transactions   (SvFakeReader   *self,
                                                 guint          *n_begins,
                                                 guint          *n_ends,
                                                 guint          *n_outside);
void          sv_fake_reader_reset_card_by_other (SvFakeReader  *self);

G_END_DECLS
