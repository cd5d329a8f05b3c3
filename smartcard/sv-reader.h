/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * SvReaderStateFlags:
 *
 * The state of one reader slot, independent of the backend.
 */
typedef enum
{
  SV_READER_STATE_EMPTY       = 1 << 0,
  SV_READER_STATE_PRESENT     = 1 << 1,
  SV_READER_STATE_IN_USE      = 1 << 2,
  SV_READER_STATE_EXCLUSIVE   = 1 << 3,
  SV_READER_STATE_MUTE        = 1 << 4,
  SV_READER_STATE_UNAVAILABLE = 1 << 5,
} SvReaderStateFlags;

typedef enum
{
  SV_CARD_PROTOCOL_NONE,
  SV_CARD_PROTOCOL_T0,
  SV_CARD_PROTOCOL_T1,
} SvCardProtocol;

/**
 * SvReaderState:
 * @name: the reader name as the backend spells it
 * @flags: what is in the slot
 * @atr: (nullable): the ATR of the card in the slot
 * @event_count: incremented by the backend for each card insertion or
 *   removal, so a swap between two polls is still seen
 */
typedef struct
{
  char               *name;
  SvReaderStateFlags  flags;
  GBytes             *atr;
  guint               event_count;
} SvReaderState;

SvReaderState *sv_reader_state_new        (const char         *name,
                                           SvReaderStateFlags  flags,
                                           GBytes             *atr,
                                           guint               event_count);
SvReaderState *sv_reader_state_copy       (const SvReaderState *state);
void           sv_reader_state_free       (SvReaderState      *state);
const char    *sv_card_protocol_to_string (SvCardProtocol      protocol);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SvReaderState, sv_reader_state_free)

/* Opaque per-backend connection to a card. */
typedef struct _SvReaderHandle SvReaderHandle;

/* The largest response of a short APDU: 256 data bytes + SW1 SW2. */
#define SV_READER_MAX_RESPONSE 258

#define SV_TYPE_READER (sv_reader_get_type ())
G_DECLARE_DERIVABLE_TYPE (SvReader, sv_reader, SV, READER, GObject)

/**
 * SvReaderClass:
 * @list_readers: every reader with its state, as #SvReaderState
 * @connect: connects to the card in @reader_name (shared mode, T=0 or T=1)
 * @transmit: one APDU; @response has room for %SV_READER_MAX_RESPONSE bytes
 * @disconnect: releases @handle, resetting the card when @reset
 * @wait_for_change: blocks until the state of a reader in @states changes,
 *   a reader appears or disappears, @timeout_ms passes (then returns
 *   %TRUE with no change) or sv_reader_cancel() is called (then fails with
 *   %SV_PCSC_ERROR_CANCELLED). @states is replaced by the new reader list.
 *   Called from one monitor thread only; a backend uses a separate
 *   context for it.
 * @cancel: wakes a blocked @wait_for_change; callable from any thread
 * @begin_transaction: takes exclusive use of the card behind @handle
 *   (SCardBeginTransaction) so that no other client can send an APDU until
 *   @end_transaction; blocks while another client holds the card. When the
 *   card was reset by another client, the backend reconnects and sets
 *   @card_was_reset: the card's selected files and verified PINs are gone.
 * @end_transaction: releases the card, leaving it as it is
 *
 * A reader backend: PC/SC (#SvPcscReader) or the scripted fake for unit
 * tests (#SvFakeReader). Modelled on libosmocore's `osim_reader_ops`.
 */
struct _SvReaderClass
{
  GObjectClass parent_class;

  GPtrArray      *(*list_readers)    (SvReader        *self,
                                      GError         **error);
  SvReaderHandle *(*connect)         (SvReader        *self,
                                      const char      *reader_name,
                                      SvCardProtocol  *protocol,
                                      GBytes         **atr,
                                      GError         **error);
  gboolean        (*transmit)        (SvReader        *self,
                                      SvReaderHandle  *handle,
                                      const guint8    *apdu,
                                      gsize            apdu_len,
                                      guint8          *response,
                                      gsize           *response_len,
                                      GError         **error);
  void            (*disconnect)      (SvReader        *self,
                                      SvReaderHandle  *handle,
                                      gboolean         reset);
  gboolean        (*wait_for_change) (SvReader        *self,
                                      GPtrArray      **states,
                                      guint            timeout_ms,
                                      GError         **error);
  void            (*cancel)          (SvReader        *self);
  gboolean        (*begin_transaction) (SvReader       *self,
                                        SvReaderHandle *handle,
                                        gboolean       *card_was_reset,
                                        GError        **error);
  void            (*end_transaction) (SvReader        *self,
                                      SvReaderHandle  *handle);

  gpointer padding[6];
};

GPtrArray      *sv_reader_list_readers    (SvReader        *self,
                                           GError         **error);
SvReaderHandle *sv_reader_connect         (SvReader        *self,
                                           const char      *reader_name,
                                           SvCardProtocol  *protocol,
                                           GBytes         **atr,
                                           GError         **error);
gboolean        sv_reader_transmit        (SvReader        *self,
                                           SvReaderHandle  *handle,
                                           const guint8    *apdu,
                                           gsize            apdu_len,
                                           guint8          *response,
                                           gsize           *response_len,
                                           GError         **error);
void            sv_reader_disconnect      (SvReader        *self,
                                           SvReaderHandle  *handle,
                                           gboolean         reset);
gboolean        sv_reader_wait_for_change (SvReader        *self,
                                           GPtrArray      **states,
                                           guint            timeout_ms,
                                           GError         **error);
void            sv_reader_cancel          (SvReader        *self);
gboolean        sv_reader_begin_transaction (SvReader      *self,
                                             SvReaderHandle *handle,
                                             gboolean      *card_was_reset,
                                             GError       **error);
void            sv_reader_end_transaction (SvReader        *self,
                                           SvReaderHandle  *handle);
char           *sv_reader_pick_reader     (SvReader        *self,
                                           const char      *wanted,
                                           GError         **error);

G_END_DECLS
