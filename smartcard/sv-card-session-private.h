/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What the parts of SvCardSession share: the struct, the instruction
 * bytes, and the selection bookkeeping. sv-card-session.c holds the APDU
 * transport, transactions and opening; sv-card-session-files.c the file
 * selection and the record and binary commands.
 */
#pragma once

#include "sv-card-session.h"

G_BEGIN_DECLS

#define CLA_UICC 0x00
#define CLA_GSM  0xA0

#define INS_SELECT        0xA4
#define INS_GET_RESPONSE  0xC0
#define INS_READ_BINARY   0xB0
#define INS_READ_RECORD   0xB2
#define INS_UPDATE_BINARY 0xD6
#define INS_UPDATE_RECORD 0xDC
#define INS_SEARCH_RECORD 0xA2

struct _SvCardSession
{
  SvReader       *reader;
  SvReaderHandle *handle;
  char           *reader_name;
  GBytes         *atr;
  SvCardProtocol  protocol;
  gboolean        uicc;
  SvCardType      card_type;
  guint8          cla;
  guint           apdu_count;
  GBytes         *usim_aid;

  /* The DF the card has selected, as FIDs from the MF ("3F00", "7F10")
   * or from the USIM ADF ("7FFF", "5F3A"); empty when unknown. */
  GPtrArray      *current_df;
  char           *selected_ef;
  SvFileInfo      selected_info;   /* of selected_ef, when valid */
  gboolean        selected_info_valid;

  /* Nesting depth of sv_card_session_begin(); the reader's transaction
   * is held while it is above zero. */
  guint           transaction_depth;
  guint           n_resets_seen;
};

void sv_card_session_forget_selected_ef (SvCardSession *self);
void sv_card_session_forget_selection   (SvCardSession *self);

G_END_DECLS
