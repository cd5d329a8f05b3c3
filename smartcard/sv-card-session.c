/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One connection to one card: the APDU exchange with GET RESPONSE (61xx,
 * 9Fxx) and Le correction (6Cxx), transactions, and opening with 2G/UICC
 * detection. Every APDU sent is counted. File selection and the record and
 * binary commands are in sv-card-session-files.c.
 */
#define G_LOG_DOMAIN "sv-card"

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "sv-card-error.h"
#include "sv-card-session-private.h"
#include "sv-hex.h"
#include "sv-identity.h"

/* TS 101.220 Annex E: the RID and application code of a 3GPP USIM. */
static const guint8 usim_aid_prefix[] = { 0xA0, 0x00, 0x00, 0x00, 0x87, 0x10, 0x02 };

/* The data of one command, GET RESPONSEs included: on the stack for the
 * usual answer, on the heap only beyond it. */
typedef struct
{
  guint8      inline_data[SV_READER_MAX_RESPONSE];
  GByteArray *heap;
  gsize       len;
} ResponseData;

static void
response_data_append (ResponseData *r,
                      const guint8 *data,
                      gsize         len)
{
  if (r->heap == NULL && r->len + len <= sizeof r->inline_data)
    {
      memcpy (r->inline_data + r->len, data, len);
      r->len += len;
      return;
    }
  if (r->heap == NULL)
    {
      r->heap = g_byte_array_sized_new (r->len + len);
      g_byte_array_append (r->heap, r->inline_data, r->len);
    }
  g_byte_array_append (r->heap, data, len);
  r->len += len;
}

static void
response_data_truncate (ResponseData *r,
                        gsize         len)
{
  r->len = len;
  if (r->heap)
    g_byte_array_set_size (r->heap, len);
}

static GBytes *
response_data_steal (ResponseData *r)
{
  if (r->heap)
    return g_byte_array_free_to_bytes (g_steal_pointer (&r->heap));
  return g_bytes_new (r->inline_data, r->len);
}

static gboolean
exchange (SvCardSession  *self,
          const guint8   *apdu,
          gsize           apdu_len,
          ResponseData   *data,
          guint16        *sw,
          GError        **error)
{
  guint8 response[SV_READER_MAX_RESPONSE];
  gsize len = 0;

  self->apdu_count++;
  if (!sv_reader_transmit (self->reader, self->handle, apdu, apdu_len, response, &len, error))
    return FALSE;

  if (G_UNLIKELY (len < 2))
    {
      g_autofree char *hex = sv_bytes_to_hex (apdu, MIN (apdu_len, 5));

      if (len == 0)
        g_set_error (error, SV_PCSC_ERROR, SV_PCSC_ERROR_CARD_REMOVED,
                     _("%s: no answer to APDU %s (card removed?)"), self->reader_name, hex);
      else
        g_set_error (error, SV_CARD_ERROR, SV_CARD_ERROR_MALFORMED_RESPONSE,
                     _("%s: answer of 1 byte to APDU %s, at least 2 (SW1 SW2) are required"),
                     self->reader_name, hex);
      return FALSE;
    }

  if (data != NULL)
    response_data_append (data, response, len - 2);
  *sw = (guint16) (response[len - 2] << 8 | response[len - 1]);
  return TRUE;
}

static gsize
build_apdu (guint8       *apdu,
            const guint8 *header,
            const guint8 *data,
            gsize         lc,
            gint          le)
{
  gsize n = 4;

  memcpy (apdu, header, 4);
  if (lc > 0)
    {
      apdu[n++] = (guint8) lc;
      memcpy (apdu + n, data, lc);
      n += lc;
    }
  if (le >= 0)
    apdu[n++] = (guint8) (le & 0xFF);    /* 256 is coded 00 */
  return n;
}

/**
 * sv_card_session_transmit:
 * @header: CLA INS P1 P2
 * @le: expected length, -1 for none (case 1/3), 256 for "all"
 * @response: (out) (optional): the data, after any GET RESPONSE; when
 *   %NULL, a 61xx/9Fxx answer is taken as success without fetching data
 * @sw: (out): the final status word
 *
 * Sends one command and completes the transport-level dialogue:
 * 61xx/9Fxx are answered with GET RESPONSE (ISO 7816-3 §12.2, TS 51.011
 * §9.4.1) only when the caller wants data, 6Cxx is answered by sending the
 * command again with Le = xx. The status word is not checked.
 */
gboolean
sv_card_session_transmit (SvCardSession  *self,
                          const guint8   *header,
                          const guint8   *data,
                          gsize           lc,
                          gint            le,
                          GBytes        **response,
                          guint16        *sw,
                          GError        **error)
{
  ResponseData out;
  guint8 apdu[5 + 255 + 1];
  gsize apdu_len;
  gboolean retried_le = FALSE;

  g_return_val_if_fail (lc <= 255, FALSE);

  /* T=0 cannot carry Le on a case 4 command: the card answers 61xx. */
  if (lc > 0 && le >= 0 && self->protocol == SV_CARD_PROTOCOL_T0)
    le = -1;

  out.heap = NULL;
  out.len = 0;
  apdu_len = build_apdu (apdu, header, data, lc, le);
  for (;;)
    {
      response_data_truncate (&out, 0);
      if (!exchange (self, apdu, apdu_len, &out, sw, error))
        goto failed;
      if ((*sw >> 8) == 0x6C && !retried_le)
        {
          /* Wrong Le: the card tells the right one (TS 102.221 §10.2.1.6). */
          retried_le = TRUE;
          apdu_len = build_apdu (apdu, header, data, lc, (*sw & 0xFF) ? (*sw & 0xFF) : 256);
          continue;
        }
      break;
    }

  for (guint round = 0; round < 32 && ((*sw >> 8) == 0x61 || (*sw >> 8) == 0x9F); round++)
    {
      guint8 get_response[5] = { header[0], INS_GET_RESPONSE, 0x00, 0x00, (guint8) (*sw & 0xFF) };
      guint16 sw2 = 0;
      gsize before = out.len;

      if (response == NULL)
        {
          *sw = 0x9000;
          break;
        }
      /* GET RESPONSE uses the class of the command it completes. */
      if (!exchange (self, get_response, 5, &out, &sw2, error))
        goto failed;
      if ((sw2 >> 8) == 0x6C)
        {
          response_data_truncate (&out, before);
          get_response[4] = (guint8) (sw2 & 0xFF);
          if (!exchange (self, get_response, 5, &out, &sw2, error))
            goto failed;
        }
      *sw = sw2;
    }

  if (response)
    *response = response_data_steal (&out);
  else if (out.heap)
    g_byte_array_unref (out.heap);
  return TRUE;

failed:
  if (out.heap)
    g_byte_array_unref (out.heap);
  return FALSE;
}

/**
 * sv_card_session_command:
 * @operation: what this is, for error messages ("READ RECORD 3")
 *
 * Like sv_card_session_transmit() with the session's class byte, then
 * checks the status word against the table: a failure becomes an error
 * naming the reader, the operation and the status word. @sw (optional)
 * receives the word either way.
 */
gboolean
sv_card_session_command (SvCardSession  *self,
                         const char     *operation,
                         guint8          ins,
                         guint8          p1,
                         guint8          p2,
                         const guint8   *data,
                         gsize           lc,
                         gint            le,
                         GBytes        **response,
                         guint16        *sw,
                         GError        **error)
{
  const guint8 header[4] = { self->cla, ins, p1, p2 };
  g_autoptr(GBytes) bytes = NULL;
  guint16 status = 0;

  if (!sv_card_session_transmit (self, header, data, lc, le,
                                 response ? &bytes : NULL, &status, error))
    return FALSE;
  if (sw)
    *sw = status;
  if (!sv_status_word_check (status, self->reader_name, operation, error))
    return FALSE;
  if (response)
    *response = g_steal_pointer (&bytes);
  return TRUE;
}


/**
 * sv_card_session_begin:
 *
 * Holds the card for this session (a PC/SC transaction) until the
 * matching sv_card_session_end(), so that no other client can select
 * another file between our SELECT and the READ or UPDATE that follows.
 * Calls nest; only the outermost one talks to the reader. Another client
 * may have used the card since we last held it, so what we remembered of
 * the selected files is dropped. Every whole read, write or PIN command
 * runs inside one; never hold one while waiting for a person.
 */
gboolean
sv_card_session_begin (SvCardSession  *self,
                       GError        **error)
{
  gboolean card_was_reset = FALSE;

  if (self->transaction_depth++ > 0)
    return TRUE;
  if (!sv_reader_begin_transaction (self->reader, self->handle, &card_was_reset, error))
    {
      self->transaction_depth = 0;
      sv_card_session_forget_selection (self);
      return FALSE;
    }
  if (card_was_reset)
    {
      /* Reconnected: the card is back at the MF and no PIN is verified.
       * A file that needs one then fails with "security status not
       * satisfied", which names the file. */
      self->n_resets_seen++;
      g_debug ("%s: the card was reset by another application", self->reader_name);
    }
  sv_card_session_forget_selection (self);
  return TRUE;
}

/**
 * sv_card_session_end:
 *
 * Releases what the matching sv_card_session_begin() took.
 */
void
sv_card_session_end (SvCardSession *self)
{
  g_return_if_fail (self->transaction_depth > 0);
  if (--self->transaction_depth > 0)
    return;
  if (self->handle != NULL)
    sv_reader_end_transaction (self->reader, self->handle);
}

/* How often a transaction found the card reset by another client. */
guint
sv_card_session_get_n_resets_seen (SvCardSession *self)
{
  return self->n_resets_seen;
}


static GBytes *
find_usim_aid (SvCardSession *self)
{
  g_auto(SvFileInfo) info = { 0, };
  g_autoptr(GError) error = NULL;

  /* TS 102.221 §13.1: EF_DIR lists the applications. */
  if (!sv_card_session_select (self, "3F002F00", &info, &error) ||
      info.structure != SV_FILE_STRUCTURE_LINEAR_FIXED)
    {
      /* No EF_DIR: a SELECT by the right-truncated AID finds the first
       * USIM (TS 102.221 §8.5.2, ISO 7816-4 partial DF name). */
      const guint8 header[4] = { self->cla, INS_SELECT, 0x04, 0x0C };
      guint16 sw = 0;

      g_clear_error (&error);
      if (sv_card_session_transmit (self, header, usim_aid_prefix, sizeof usim_aid_prefix, -1,
                                    NULL, &sw, NULL) &&
          sv_status_word_classify (sw, NULL, NULL, NULL) != SV_STATUS_FAILURE)
        {
          g_ptr_array_set_size (self->current_df, 0);
          g_ptr_array_add (self->current_df, g_strdup ("7FFF"));
          sv_card_session_forget_selected_ef (self);
          return g_bytes_new (usim_aid_prefix, sizeof usim_aid_prefix);
        }
      return NULL;
    }

  for (guint r = 1; r <= info.n_records; r++)
    {
      g_autoptr(GBytes) record = sv_card_session_read_record (self, r, info.record_len, &error);
      g_autoptr(GBytes) aid = NULL;

      if (record == NULL)
        return NULL;
      aid = sv_dir_record_decode_aid (g_bytes_get_data (record, NULL), g_bytes_get_size (record), NULL);
      if (aid != NULL && g_bytes_get_size (aid) >= sizeof usim_aid_prefix &&
          memcmp (g_bytes_get_data (aid, NULL), usim_aid_prefix, sizeof usim_aid_prefix) == 0)
        return g_steal_pointer (&aid);
    }
  return NULL;
}

/* The identification dialogue of sv_card_session_open(), inside its
 * transaction. */
static gboolean
identify_card (SvCardSession  *self,
               GError        **error)
{
  static const guint8 mf[2] = { 0x3F, 0x00 };
  guint8 header[4] = { CLA_UICC, INS_SELECT, 0x00, 0x04 };
  guint16 sw = 0;

  if (!sv_card_session_transmit (self, header, mf, 2,
                                 self->protocol == SV_CARD_PROTOCOL_T1 ? 256 : -1,
                                 NULL, &sw, error))
    return FALSE;
  if (sw == 0x6A86 || sw == 0x6B00 || sw == 0x6A87)
    {
      /* A UICC that will not return the MF's FCP: ask for no data. */
      header[3] = 0x0C;
      if (!sv_card_session_transmit (self, header, mf, 2, -1, NULL, &sw, error))
        return FALSE;
    }

  if (sv_status_word_classify (sw, NULL, NULL, NULL) != SV_STATUS_FAILURE)
    {
      self->uicc = TRUE;
      self->cla = CLA_UICC;
      g_ptr_array_add (self->current_df, g_strdup ("3F00"));
      self->usim_aid = find_usim_aid (self);
      self->card_type = self->usim_aid ? SV_CARD_TYPE_USIM : SV_CARD_TYPE_SIM;
      return TRUE;
    }

  /* Not a UICC (6E00, 6D00, ...): a 2G SIM answers CLA A0. */
  header[0] = CLA_GSM;
  header[3] = 0x00;
  {
    g_autoptr(GError) local_error = NULL;

    if (!sv_card_session_transmit (self, header, mf, 2, -1, NULL, &sw, &local_error))
      {
        /* Some 2G cards go mute after a command of a class they do not
         * know: reset the card and speak CLA A0 only. */
        if (local_error->domain != SV_PCSC_ERROR ||
            g_error_matches (local_error, SV_PCSC_ERROR, SV_PCSC_ERROR_NO_SERVICE))
          {
            g_propagate_error (error, g_steal_pointer (&local_error));
            return FALSE;
          }
        g_debug ("%s: %s; resetting the card", self->reader_name, local_error->message);
        sv_card_session_end (self);
        sv_reader_disconnect (self->reader, g_steal_pointer (&self->handle), TRUE);
        g_clear_pointer (&self->atr, g_bytes_unref);
        self->handle = sv_reader_connect (self->reader, self->reader_name, &self->protocol,
                                          &self->atr, error);
        /* The caller ends the transaction: take it again (or pretend to,
         * when there is no card to take). */
        if (self->handle == NULL)
          {
            self->transaction_depth = 1;
            return FALSE;
          }
        if (!sv_card_session_begin (self, error))
          {
            self->transaction_depth = 1;
            sv_reader_disconnect (self->reader, g_steal_pointer (&self->handle), FALSE);
            return FALSE;
          }
        if (!sv_card_session_transmit (self, header, mf, 2, -1, NULL, &sw, error))
          return FALSE;
      }
  }
  if (!sv_status_word_check (sw, self->reader_name, "SELECT MF with CLA A0", error))
    {
      g_prefix_error (error, _("Neither a UICC nor a 2G SIM: "));
      return FALSE;
    }
  self->cla = CLA_GSM;
  self->card_type = SV_CARD_TYPE_SIM;
  g_ptr_array_add (self->current_df, g_strdup ("3F00"));
  return TRUE;
}

/**
 * sv_card_session_open:
 *
 * Connects to the card in @reader_name and finds out what it is: a UICC
 * is tried first (CLA 00, SELECT MF), then a 2G SIM (CLA A0). On a UICC
 * the USIM is found through EF_DIR; a UICC without a USIM is read through
 * its 2G file system with CLA 00.
 *
 * The whole dialogue runs in one transaction.
 *
 * Blocks: call it from a worker thread in a GUI.
 */
SvCardSession *
sv_card_session_open (SvReader    *reader,
                      const char  *reader_name,
                      GError     **error)
{
  g_autoptr(SvCardSession) self = g_new0 (SvCardSession, 1);
  gboolean ok;

  self->reader = g_object_ref (reader);
  self->reader_name = g_strdup (reader_name);
  self->current_df = g_ptr_array_new_with_free_func (g_free);
  self->handle = sv_reader_connect (reader, reader_name, &self->protocol, &self->atr, error);
  if (self->handle == NULL)
    return NULL;

  if (!sv_card_session_begin (self, error))
    return NULL;
  ok = identify_card (self, error);
  sv_card_session_end (self);
  if (!ok)
    return NULL;
  return g_steal_pointer (&self);
}

static void
open_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  const char *reader_name = task_data;
  GError *error = NULL;
  SvCardSession *session = sv_card_session_open (SV_READER (source_object), reader_name, &error);

  if (session == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, session, (GDestroyNotify) sv_card_session_close);
}

/**
 * sv_card_session_open_async:
 *
 * sv_card_session_open() in a worker thread.
 */
void
sv_card_session_open_async (SvReader            *reader,
                            const char          *reader_name,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (reader, cancellable, callback, user_data);

  g_task_set_source_tag (task, sv_card_session_open_async);
  g_task_set_task_data (task, g_strdup (reader_name), g_free);
  g_task_run_in_thread (task, open_thread);
}

/**
 * sv_card_session_open_finish:
 *
 * Returns: (transfer full): the session, or %NULL with @error set
 */
SvCardSession *
sv_card_session_open_finish (GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (G_IS_TASK (result), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == sv_card_session_open_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * sv_card_session_close:
 *
 * Disconnects (leaving the card powered) and frees the session.
 */
void
sv_card_session_close (SvCardSession *self)
{
  if (self == NULL)
    return;
  if (self->transaction_depth > 0 && self->handle)
    sv_reader_end_transaction (self->reader, self->handle);
  if (self->handle)
    sv_reader_disconnect (self->reader, self->handle, FALSE);
  g_clear_object (&self->reader);
  g_free (self->reader_name);
  g_clear_pointer (&self->atr, g_bytes_unref);
  g_clear_pointer (&self->usim_aid, g_bytes_unref);
  g_clear_pointer (&self->current_df, g_ptr_array_unref);
  sv_card_session_forget_selected_ef (self);
  g_free (self);
}

const char *
sv_card_session_get_reader_name (SvCardSession *self)
{
  return self->reader_name;
}

GBytes *
sv_card_session_get_atr (SvCardSession *self)
{
  return self->atr;
}

SvCardProtocol
sv_card_session_get_protocol (SvCardSession *self)
{
  return self->protocol;
}

SvCardType
sv_card_session_get_card_type (SvCardSession *self)
{
  return self->card_type;
}

gboolean
sv_card_session_is_uicc (SvCardSession *self)
{
  return self->uicc;
}

guint8
sv_card_session_get_cla (SvCardSession *self)
{
  return self->cla;
}

/* Every APDU sent since the session opened, GET RESPONSEs and retries
 * included. */
guint
sv_card_session_get_apdu_count (SvCardSession *self)
{
  return self->apdu_count;
}

GBytes *
sv_card_session_get_usim_aid (SvCardSession *self)
{
  return self->usim_aid;
}
