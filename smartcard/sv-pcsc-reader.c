/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The PC/SC backend: the only file that includes <winscard.h>. Call
 * sequence and SCardGetStatusChange/SCardCancel usage follow the
 * pcsc-lite documentation (winscard_clnt.c).
 */
#define G_LOG_DOMAIN "sv-pcsc"

#include "config.h"

#include <string.h>
#include <winscard.h>
#include <glib/gi18n-lib.h>

#include "sv-card-error.h"
#include "sv-pcsc-reader.h"

#define PNP_NOTIFICATION "\\\\?PnP?\\Notification"

struct _SvReaderHandle
{
  SCARDHANDLE card;
  DWORD       protocol;
  char       *reader_name;
};

struct _SvPcscReader
{
  SvReader      parent_instance;

  /* The context for list/connect/transmit, guarded by @lock. */
  GMutex        lock;
  SCARDCONTEXT  context;
  gboolean      has_context;

  /* The monitor's own context: only the monitor thread touches it, except
   * SCardCancel, which pcsc-lite allows from any thread. */
  GMutex        monitor_lock;
  SCARDCONTEXT  monitor_context;
  gboolean      has_monitor_context;
  gboolean      pnp_supported;
  DWORD         pnp_state;        /* last \\?PnP?\Notification event state */
  gboolean      cancelled;
};

G_DEFINE_FINAL_TYPE (SvPcscReader, sv_pcsc_reader, SV_TYPE_READER)

static SvPcscError
pcsc_error_code (LONG rv)
{
  switch (rv)
    {
    case SCARD_E_NO_SERVICE:
    case SCARD_E_SERVICE_STOPPED:
    case SCARD_E_INVALID_HANDLE:
      return SV_PCSC_ERROR_NO_SERVICE;
    case SCARD_E_NO_READERS_AVAILABLE:
      return SV_PCSC_ERROR_NO_READERS;
    case SCARD_E_UNKNOWN_READER:
    case SCARD_E_READER_UNAVAILABLE:
      return SV_PCSC_ERROR_UNKNOWN_READER;
    case SCARD_E_NO_SMARTCARD:
      return SV_PCSC_ERROR_NO_CARD;
    case SCARD_W_REMOVED_CARD:
    case SCARD_E_NOT_TRANSACTED:
      return SV_PCSC_ERROR_CARD_REMOVED;
    case SCARD_W_RESET_CARD:
      return SV_PCSC_ERROR_CARD_RESET;
    case SCARD_E_SHARING_VIOLATION:
      return SV_PCSC_ERROR_SHARING_VIOLATION;
    case SCARD_E_CANCELLED:
      return SV_PCSC_ERROR_CANCELLED;
    case SCARD_E_TIMEOUT:
      return SV_PCSC_ERROR_TIMEOUT;
    case SCARD_W_UNRESPONSIVE_CARD:
    case SCARD_W_UNPOWERED_CARD:
    case SCARD_W_UNSUPPORTED_CARD:
      return SV_PCSC_ERROR_UNRESPONSIVE_CARD;
    case SCARD_F_COMM_ERROR:
    case SCARD_E_COMM_DATA_LOST:
      return SV_PCSC_ERROR_COMMUNICATION;
    default:
      return SV_PCSC_ERROR_FAILED;
    }
}

static gboolean
set_pcsc_error (GError     **error,
                LONG         rv,
                const char  *where,
                const char  *call)
{
  if (rv == SCARD_E_NO_SERVICE || rv == SCARD_E_SERVICE_STOPPED)
    g_set_error (error, SV_PCSC_ERROR, pcsc_error_code (rv),
                 _("%s: %s: the smart card service (pcscd) is not running (%s, 0x%08lX)"),
                 where ? where : "PC/SC", call, pcsc_stringify_error (rv), (unsigned long) rv);
  else
    g_set_error (error, SV_PCSC_ERROR, pcsc_error_code (rv), "%s: %s: %s (0x%08lX)",
                 where ? where : "PC/SC", call, pcsc_stringify_error (rv),
                 (unsigned long) rv);
  return FALSE;
}

static gboolean
rv_means_service_gone (LONG rv)
{
  return rv == SCARD_E_NO_SERVICE || rv == SCARD_E_SERVICE_STOPPED ||
         rv == SCARD_E_INVALID_HANDLE || rv == SCARD_F_COMM_ERROR;
}

/* Establishes the context if needed. pcscd may have restarted since the
 * last call: then the old context is dead and a new one is made. */
static gboolean
ensure_context (SCARDCONTEXT *context,
                gboolean     *has_context,
                GError      **error)
{
  LONG rv;

  if (*has_context && SCardIsValidContext (*context) == SCARD_S_SUCCESS)
    return TRUE;
  if (*has_context)
    {
      SCardReleaseContext (*context);
      *has_context = FALSE;
    }

  rv = SCardEstablishContext (SCARD_SCOPE_SYSTEM, NULL, NULL, context);
  if (rv != SCARD_S_SUCCESS)
    return set_pcsc_error (error, rv, NULL, "SCardEstablishContext");
  *has_context = TRUE;
  return TRUE;
}

static void
drop_context (SCARDCONTEXT *context,
              gboolean     *has_context)
{
  if (*has_context)
    SCardReleaseContext (*context);
  *has_context = FALSE;
}

static SvReaderStateFlags
flags_from_pcsc (DWORD event_state)
{
  SvReaderStateFlags flags = 0;

  if (event_state & SCARD_STATE_PRESENT)
    flags |= SV_READER_STATE_PRESENT;
  if (event_state & SCARD_STATE_EMPTY)
    flags |= SV_READER_STATE_EMPTY;
  if (event_state & SCARD_STATE_INUSE)
    flags |= SV_READER_STATE_IN_USE;
  if (event_state & SCARD_STATE_EXCLUSIVE)
    flags |= SV_READER_STATE_EXCLUSIVE;
  if (event_state & SCARD_STATE_MUTE)
    flags |= SV_READER_STATE_MUTE;
  if (event_state & (SCARD_STATE_UNAVAILABLE | SCARD_STATE_IGNORE | SCARD_STATE_UNKNOWN))
    flags |= SV_READER_STATE_UNAVAILABLE;
  return flags;
}

/* The multi-string of reader names; NULL with no error when there is no
 * reader at all. */
static char **
list_reader_names (SCARDCONTEXT   context,
                   LONG          *rv_out)
{
  g_autofree char *buffer = NULL;
  DWORD len = 0;
  LONG rv;
  GPtrArray *names;

  rv = SCardListReaders (context, NULL, NULL, &len);
  if (rv == SCARD_S_SUCCESS)
    {
      buffer = g_malloc0 (len + 1);
      rv = SCardListReaders (context, NULL, buffer, &len);
    }
  *rv_out = rv;
  if (rv != SCARD_S_SUCCESS)
    return NULL;

  names = g_ptr_array_new ();
  for (const char *p = buffer; *p != '\0'; p += strlen (p) + 1)
    g_ptr_array_add (names, g_strdup (p));
  g_ptr_array_add (names, NULL);
  return (char **) g_ptr_array_free (names, FALSE);
}

/* Fills @states for @names with one non-blocking SCardGetStatusChange. */
static GPtrArray *
query_states (SCARDCONTEXT   context,
              char         **names,
              LONG          *rv_out)
{
  guint n = g_strv_length (names);
  g_autofree SCARD_READERSTATE *rs = g_new0 (SCARD_READERSTATE, MAX (n, 1));
  GPtrArray *states = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_reader_state_free);
  LONG rv = SCARD_S_SUCCESS;

  for (guint i = 0; i < n; i++)
    {
      rs[i].szReader = names[i];
      rs[i].dwCurrentState = SCARD_STATE_UNAWARE;
    }
  if (n > 0)
    rv = SCardGetStatusChange (context, 0, rs, n);
  *rv_out = rv;
  if (rv != SCARD_S_SUCCESS && rv != SCARD_E_TIMEOUT)
    {
      g_ptr_array_unref (states);
      return NULL;
    }
  *rv_out = SCARD_S_SUCCESS;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GBytes) atr = NULL;

      if (rs[i].cbAtr > 0 && (rs[i].dwEventState & SCARD_STATE_PRESENT))
        atr = g_bytes_new (rs[i].rgbAtr, rs[i].cbAtr);
      g_ptr_array_add (states, sv_reader_state_new (names[i],
                                                    flags_from_pcsc (rs[i].dwEventState),
                                                    atr,
                                                    rs[i].dwEventState >> 16));
    }
  return states;
}

static GPtrArray *
list_states (SCARDCONTEXT   context,
             LONG          *rv_out)
{
  g_auto(GStrv) names = list_reader_names (context, rv_out);

  if (*rv_out == SCARD_E_NO_READERS_AVAILABLE)
    {
      *rv_out = SCARD_S_SUCCESS;
      return g_ptr_array_new_with_free_func ((GDestroyNotify) sv_reader_state_free);
    }
  if (names == NULL)
    return NULL;
  return query_states (context, names, rv_out);
}

static GPtrArray *
sv_pcsc_reader_list_readers (SvReader  *reader,
                             GError   **error)
{
  SvPcscReader *self = SV_PCSC_READER (reader);
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  GPtrArray *states;
  LONG rv;

  for (guint attempt = 0; attempt < 2; attempt++)
    {
      if (!ensure_context (&self->context, &self->has_context, error))
        return NULL;
      states = list_states (self->context, &rv);
      if (states != NULL)
        return states;
      if (!rv_means_service_gone (rv))
        break;
      /* pcscd restarted: the context is stale, make a new one once. */
      drop_context (&self->context, &self->has_context);
    }

  set_pcsc_error (error, rv, NULL, "SCardListReaders");
  return NULL;
}

static SvReaderHandle *
sv_pcsc_reader_connect (SvReader        *reader,
                        const char      *reader_name,
                        SvCardProtocol  *protocol,
                        GBytes         **atr,
                        GError         **error)
{
  SvPcscReader *self = SV_PCSC_READER (reader);
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  SCARDHANDLE card = 0;
  DWORD active = 0;
  LONG rv = SCARD_S_SUCCESS;
  SvReaderHandle *handle;

  for (guint attempt = 0; attempt < 2; attempt++)
    {
      if (!ensure_context (&self->context, &self->has_context, error))
        return NULL;
      rv = SCardConnect (self->context, reader_name, SCARD_SHARE_SHARED,
                         SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &card, &active);
      if (!rv_means_service_gone (rv))
        break;
      drop_context (&self->context, &self->has_context);
    }
  if (rv != SCARD_S_SUCCESS)
    {
      set_pcsc_error (error, rv, reader_name, "SCardConnect");
      return NULL;
    }

  handle = g_new0 (SvReaderHandle, 1);
  handle->card = card;
  handle->protocol = active;
  handle->reader_name = g_strdup (reader_name);

  if (protocol)
    *protocol = active == SCARD_PROTOCOL_T1 ? SV_CARD_PROTOCOL_T1 : SV_CARD_PROTOCOL_T0;

  if (atr)
    {
      guint8 atr_buf[MAX_ATR_SIZE];
      DWORD atr_len = sizeof atr_buf;
      DWORD state = 0, proto = 0, name_len = 0;

      *atr = NULL;
      rv = SCardStatus (card, NULL, &name_len, &state, &proto, atr_buf, &atr_len);
      if (rv == SCARD_S_SUCCESS)
        *atr = g_bytes_new (atr_buf, atr_len);
      else
        *atr = g_bytes_new (NULL, 0);
    }
  return handle;
}

static gboolean
sv_pcsc_reader_transmit (SvReader        *reader,
                         SvReaderHandle  *handle,
                         const guint8    *apdu,
                         gsize            apdu_len,
                         guint8          *response,
                         gsize           *response_len,
                         GError         **error)
{
  const SCARD_IO_REQUEST *pci;
  DWORD len = SV_READER_MAX_RESPONSE;
  LONG rv;

  pci = handle->protocol == SCARD_PROTOCOL_T1 ? SCARD_PCI_T1 : SCARD_PCI_T0;
  rv = SCardTransmit (handle->card, pci, apdu, apdu_len, NULL, response, &len);
  if (rv != SCARD_S_SUCCESS)
    {
      *response_len = 0;
      return set_pcsc_error (error, rv, handle->reader_name, "SCardTransmit");
    }
  *response_len = len;
  return TRUE;
}

static void
sv_pcsc_reader_disconnect (SvReader       *reader,
                           SvReaderHandle *handle,
                           gboolean        reset)
{
  SCardDisconnect (handle->card, reset ? SCARD_RESET_CARD : SCARD_LEAVE_CARD);
  g_free (handle->reader_name);
  g_free (handle);
}

/* pcsc-lite: SCardBeginTransaction answers SCARD_W_RESET_CARD once
 * another client has reset the card, and keeps doing so on this handle
 * until SCardReconnect; SCARD_W_REMOVED_CARD when the card left. Begin
 * waits while another client holds its own transaction. */
static gboolean
sv_pcsc_reader_begin_transaction (SvReader        *reader,
                                  SvReaderHandle  *handle,
                                  gboolean        *card_was_reset,
                                  GError         **error)
{
  LONG rv = SCardBeginTransaction (handle->card);

  *card_was_reset = FALSE;
  if (rv == SCARD_W_RESET_CARD)
    {
      DWORD active = 0;

      rv = SCardReconnect (handle->card, SCARD_SHARE_SHARED,
                           SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, SCARD_LEAVE_CARD, &active);
      if (rv != SCARD_S_SUCCESS)
        return set_pcsc_error (error, rv, handle->reader_name, "SCardReconnect");
      g_debug ("%s: the card was reset by another application; reconnected",
               handle->reader_name);
      handle->protocol = active;
      *card_was_reset = TRUE;
      rv = SCardBeginTransaction (handle->card);
    }
  if (rv == SCARD_W_REMOVED_CARD)
    {
      g_set_error (error, SV_PCSC_ERROR, SV_PCSC_ERROR_CARD_REMOVED,
                   _("%s: the card was removed"), handle->reader_name);
      return FALSE;
    }
  if (rv != SCARD_S_SUCCESS)
    return set_pcsc_error (error, rv, handle->reader_name, "SCardBeginTransaction");
  return TRUE;
}

static void
sv_pcsc_reader_end_transaction (SvReader       *reader,
                                SvReaderHandle *handle)
{
  LONG rv = SCardEndTransaction (handle->card, SCARD_LEAVE_CARD);

  /* Fails only when the card or pcscd went away, which the next call
   * reports; the transaction is gone either way. */
  if (rv != SCARD_S_SUCCESS)
    g_debug ("%s: SCardEndTransaction: %s (0x%08lX)", handle->reader_name,
             pcsc_stringify_error (rv), (unsigned long) rv);
}

static gboolean
sv_pcsc_reader_wait_for_change (SvReader   *reader,
                                GPtrArray **states,
                                guint       timeout_ms,
                                GError    **error)
{
  SvPcscReader *self = SV_PCSC_READER (reader);
  GPtrArray *known = *states;
  g_autofree SCARD_READERSTATE *rs = NULL;
  GPtrArray *fresh;
  guint n = known ? known->len : 0;
  guint n_rs;
  LONG rv;

  g_mutex_lock (&self->monitor_lock);
  if (self->cancelled)
    {
      self->cancelled = FALSE;
      g_mutex_unlock (&self->monitor_lock);
      g_set_error (error, SV_PCSC_ERROR, SV_PCSC_ERROR_CANCELLED, _("Reader monitor stopped"));
      return FALSE;
    }
  if (!ensure_context (&self->monitor_context, &self->has_monitor_context, error))
    {
      g_mutex_unlock (&self->monitor_lock);
      return FALSE;
    }
  g_mutex_unlock (&self->monitor_lock);

  n_rs = n + (self->pnp_supported ? 1 : 0);
  rs = g_new0 (SCARD_READERSTATE, MAX (n_rs, 1));
  for (guint i = 0; i < n; i++)
    {
      SvReaderState *state = g_ptr_array_index (known, i);
      DWORD current = 0;

      if (state->flags & SV_READER_STATE_PRESENT)
        current |= SCARD_STATE_PRESENT;
      if (state->flags & SV_READER_STATE_EMPTY)
        current |= SCARD_STATE_EMPTY;
      if (state->flags & SV_READER_STATE_IN_USE)
        current |= SCARD_STATE_INUSE;
      if (state->flags & SV_READER_STATE_EXCLUSIVE)
        current |= SCARD_STATE_EXCLUSIVE;
      if (state->flags & SV_READER_STATE_MUTE)
        current |= SCARD_STATE_MUTE;
      if (state->flags & SV_READER_STATE_UNAVAILABLE)
        current |= SCARD_STATE_UNAVAILABLE;
      rs[i].szReader = state->name;
      rs[i].dwCurrentState = current | ((DWORD) state->event_count << 16);
    }
  if (self->pnp_supported)
    {
      /* pcsc-lite: the high word of the PnP entry carries the reader count;
       * hand back what it said last time so it only wakes us on a change. */
      rs[n].szReader = PNP_NOTIFICATION;
      rs[n].dwCurrentState = self->pnp_state ? self->pnp_state : (DWORD) n << 16;
    }

  if (n_rs == 0)
    {
      /* Nothing to wait on: poll. */
      g_usleep (MIN (timeout_ms, 1000) * 1000);
      rv = SCARD_E_TIMEOUT;
    }
  else
    rv = SCardGetStatusChange (self->monitor_context, timeout_ms, rs, n_rs);

  if (rv == SCARD_E_TIMEOUT && self->pnp_supported)
    return TRUE;
  if (rv == SCARD_E_TIMEOUT)
    rv = SCARD_S_SUCCESS;    /* no hotplug notification: poll the reader list */
  if (rv == SCARD_E_CANCELLED)
    {
      g_mutex_lock (&self->monitor_lock);
      self->cancelled = FALSE;
      g_mutex_unlock (&self->monitor_lock);
      g_set_error (error, SV_PCSC_ERROR, SV_PCSC_ERROR_CANCELLED, _("Reader monitor stopped"));
      return FALSE;
    }
  if (rv == SCARD_E_UNKNOWN_READER || rv == SCARD_E_READER_UNAVAILABLE)
    rv = SCARD_S_SUCCESS;    /* a reader went away: relist below */
  if (rv != SCARD_S_SUCCESS)
    {
      if (rv_means_service_gone (rv) || rv == SCARD_E_NO_READERS_AVAILABLE)
        {
          g_mutex_lock (&self->monitor_lock);
          drop_context (&self->monitor_context, &self->has_monitor_context);
          g_mutex_unlock (&self->monitor_lock);
        }
      return set_pcsc_error (error, rv, NULL, "SCardGetStatusChange");
    }

  if (self->pnp_supported && (rs[n].dwEventState & SCARD_STATE_UNKNOWN))
    self->pnp_supported = FALSE;   /* the driver cannot notify: poll instead */
  else if (self->pnp_supported)
    self->pnp_state = rs[n].dwEventState & ~(DWORD) SCARD_STATE_CHANGED;

  fresh = list_states (self->monitor_context, &rv);
  if (fresh == NULL)
    {
      if (rv_means_service_gone (rv))
        {
          g_mutex_lock (&self->monitor_lock);
          drop_context (&self->monitor_context, &self->has_monitor_context);
          g_mutex_unlock (&self->monitor_lock);
        }
      return set_pcsc_error (error, rv, NULL, "SCardListReaders");
    }
  g_clear_pointer (states, g_ptr_array_unref);
  *states = fresh;
  return TRUE;
}

static void
sv_pcsc_reader_cancel (SvReader *reader)
{
  SvPcscReader *self = SV_PCSC_READER (reader);

  g_mutex_lock (&self->monitor_lock);
  self->cancelled = TRUE;
  if (self->has_monitor_context)
    SCardCancel (self->monitor_context);
  g_mutex_unlock (&self->monitor_lock);
}

static void
sv_pcsc_reader_finalize (GObject *object)
{
  SvPcscReader *self = SV_PCSC_READER (object);

  drop_context (&self->context, &self->has_context);
  drop_context (&self->monitor_context, &self->has_monitor_context);
  g_mutex_clear (&self->lock);
  g_mutex_clear (&self->monitor_lock);

  G_OBJECT_CLASS (sv_pcsc_reader_parent_class)->finalize (object);
}

static void
sv_pcsc_reader_class_init (SvPcscReaderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  SvReaderClass *reader_class = SV_READER_CLASS (klass);

  object_class->finalize = sv_pcsc_reader_finalize;
  reader_class->list_readers = sv_pcsc_reader_list_readers;
  reader_class->connect = sv_pcsc_reader_connect;
  reader_class->transmit = sv_pcsc_reader_transmit;
  reader_class->disconnect = sv_pcsc_reader_disconnect;
  reader_class->wait_for_change = sv_pcsc_reader_wait_for_change;
  reader_class->cancel = sv_pcsc_reader_cancel;
  reader_class->begin_transaction = sv_pcsc_reader_begin_transaction;
  reader_class->end_transaction = sv_pcsc_reader_end_transaction;
}

static void
sv_pcsc_reader_init (SvPcscReader *self)
{
  g_mutex_init (&self->lock);
  g_mutex_init (&self->monitor_lock);
  self->pnp_supported = TRUE;
}

/**
 * sv_pcsc_reader_new:
 *
 * Returns: (transfer full): the PC/SC backend. Contexts are made lazily
 * and remade when pcscd restarts.
 */
SvReader *
sv_pcsc_reader_new (void)
{
  return g_object_new (SV_TYPE_PCSC_READER, NULL);
}
