/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A scripted reader backend for unit tests, in the spirit of pcsc-lite's
 * libfake.c: expected APDUs with canned responses, asserted in order, then
 * an optional card function; readers and cards appear and vanish on
 * command so the monitor and card removal can be tested without pcscd.
 */
#define G_LOG_DOMAIN "sv-fake-reader"

#include "config.h"

#include <string.h>

#include "sv-card-error.h"
#include "sv-fake-reader.h"

struct _SvReaderHandle
{
  char  *reader_name;
  guint  generation;
};

typedef struct
{
  char   *apdu_hex;
  GBytes *response;
} Expectation;

typedef struct
{
  char    *name;
  GBytes  *atr;
  guint    event_count;
} FakeSlot;

struct _SvFakeReader
{
  SvReader        parent_instance;

  GMutex          lock;
  GCond           changed;
  guint           generation;     /* bumped by every reader or card change */
  gboolean        cancelled;
  gboolean        service_down;

  GPtrArray      *slots;          /* FakeSlot */
  GQueue          expectations;   /* Expectation */
  SvFakeCardFunc  card_func;
  gpointer        card_data;
  GDestroyNotify  card_destroy;
  SvCardProtocol  protocol;

  guint           n_transmitted;
  guint           pull_after;     /* 0: never */
  gboolean        pulled_answered_empty;
  char           *mismatch;
  GPtrArray      *log;           /* "APDU -> RESPONSE" hex lines */

  /* Transactions, like SCardBeginTransaction/SCardEndTransaction. */
  guint           transaction_depth;
  guint           n_begins;
  guint           n_ends;
  guint           n_outside;      /* APDUs sent outside any transaction */
  gboolean        reset_pending;  /* next begin reports a reset card */
};

G_DEFINE_FINAL_TYPE (SvFakeReader, sv_fake_reader, SV_TYPE_READER)

static void
fake_slot_free (FakeSlot *slot)
{
  g_free (slot->name);
  g_clear_pointer (&slot->atr, g_bytes_unref);
  g_free (slot);
}

static void
expectation_free (Expectation *e)
{
  g_free (e->apdu_hex);
  g_bytes_unref (e->response);
  g_free (e);
}

static FakeSlot *
find_slot (SvFakeReader *self,
           const char   *name)
{
  for (guint i = 0; i < self->slots->len; i++)
    {
      FakeSlot *slot = g_ptr_array_index (self->slots, i);

      if (g_str_equal (slot->name, name))
        return slot;
    }
  return NULL;
}

static GPtrArray *
snapshot_states (SvFakeReader *self)
{
  GPtrArray *states = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_reader_state_free);

  for (guint i = 0; i < self->slots->len; i++)
    {
      FakeSlot *slot = g_ptr_array_index (self->slots, i);

      g_ptr_array_add (states,
                       sv_reader_state_new (slot->name,
                                            slot->atr ? SV_READER_STATE_PRESENT : SV_READER_STATE_EMPTY,
                                            slot->atr, slot->event_count));
    }
  return states;
}

static GPtrArray *
sv_fake_reader_list_readers (SvReader  *reader,
                             GError   **error)
{
  SvFakeReader *self = SV_FAKE_READER (reader);
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);

  if (self->service_down)
    {
      g_set_error (error, SV_PCSC_ERROR, SV_PCSC_ERROR_NO_SERVICE,
                   "SCardEstablishContext: Service not available.");
      return NULL;
    }
  return snapshot_states (self);
}

static SvReaderHandle *
sv_fake_reader_connect (SvReader        *reader,
                        const char      *reader_name,
                        SvCardProtocol  *protocol,
                        GBytes         **atr,
                        GError         **error)
{
  SvFakeReader *self = SV_FAKE_READER (reader);
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  FakeSlot *slot = find_slot (self, reader_name);
  SvReaderHandle *handle;

  if (slot == NULL)
    {
      g_set_error (error, SV_PCSC_ERROR, SV_PCSC_ERROR_UNKNOWN_READER,
                   "%s: SCardConnect: Unknown reader specified", reader_name);
      return NULL;
    }
  if (slot->atr == NULL)
    {
      g_set_error (error, SV_PCSC_ERROR, SV_PCSC_ERROR_NO_CARD,
                   "%s: SCardConnect: No smart card inserted", reader_name);
      return NULL;
    }

  handle = g_new0 (SvReaderHandle, 1);
  handle->reader_name = g_strdup (reader_name);
  handle->generation = slot->event_count;
  if (protocol)
    *protocol = self->protocol;
  if (atr)
    *atr = g_bytes_ref (slot->atr);
  return handle;
}

static gboolean
sv_fake_reader_transmit (SvReader        *reader,
                         SvReaderHandle  *handle,
                         const guint8    *apdu,
                         gsize            apdu_len,
                         guint8          *response,
                         gsize           *response_len,
                         GError         **error)
{
  SvFakeReader *self = SV_FAKE_READER (reader);
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  FakeSlot *slot = find_slot (self, handle->reader_name);
  g_autofree char *hex = sv_bytes_to_hex (apdu, apdu_len);
  g_autoptr(GBytes) answer = NULL;
  Expectation *e;
  gsize len;

  *response_len = 0;

  if (self->pull_after > 0 && self->n_transmitted >= self->pull_after && slot && slot->atr)
    {
      g_clear_pointer (&slot->atr, g_bytes_unref);
      slot->event_count++;
      self->generation++;
      g_cond_broadcast (&self->changed);
      self->pulled_answered_empty = FALSE;
    }

  if (slot == NULL || slot->atr == NULL || slot->event_count != handle->generation)
    {
      /* Like pcscd: the first exchange after a pull "succeeds" with no
       * bytes, later ones fail. */
      if (!self->pulled_answered_empty)
        {
          self->pulled_answered_empty = TRUE;
          g_ptr_array_add (self->log, g_strdup_printf ("%s -> (nothing)", hex));
          return TRUE;
        }
      g_set_error (error, SV_PCSC_ERROR, SV_PCSC_ERROR_CARD_REMOVED,
                   "%s: SCardTransmit: Card was removed", handle->reader_name);
      return FALSE;
    }

  self->n_transmitted++;
  if (self->transaction_depth == 0)
    self->n_outside++;
  e = g_queue_peek_head (&self->expectations);
  if (e != NULL)
    {
      if (!g_str_equal (e->apdu_hex, hex))
        {
          if (self->mismatch == NULL)
            self->mismatch = g_strdup_printf ("APDU %u: sent %s, expected %s",
                                              self->n_transmitted, hex, e->apdu_hex);
          g_set_error (error, SV_PCSC_ERROR, SV_PCSC_ERROR_FAILED,
                       "%s: fake reader: unexpected APDU %s (expected %s)",
                       handle->reader_name, hex, e->apdu_hex);
          return FALSE;
        }
      answer = g_bytes_ref (e->response);
      g_queue_pop_head (&self->expectations);
      expectation_free (e);
    }
  else if (self->card_func != NULL)
    {
      g_autoptr(GBytes) command = g_bytes_new (apdu, apdu_len);

      answer = self->card_func (command, self->card_data);
    }
  else
    {
      if (self->mismatch == NULL)
        self->mismatch = g_strdup_printf ("APDU %u: sent %s after the script ended",
                                          self->n_transmitted, hex);
      answer = g_bytes_new_static ("\x6F\x00", 2);
    }

  len = MIN (g_bytes_get_size (answer), SV_READER_MAX_RESPONSE);
  memcpy (response, g_bytes_get_data (answer, NULL), len);
  *response_len = len;
  {
    g_autofree char *rhex = sv_bytes_to_hex (response, len);
    g_ptr_array_add (self->log, g_strdup_printf ("%s -> %s", hex, rhex));
  }
  return TRUE;
}

static void
sv_fake_reader_disconnect (SvReader       *reader,
                           SvReaderHandle *handle,
                           gboolean        reset)
{
  g_free (handle->reader_name);
  g_free (handle);
}

static gboolean
sv_fake_reader_begin_transaction (SvReader        *reader,
                                  SvReaderHandle  *handle,
                                  gboolean        *card_was_reset,
                                  GError         **error)
{
  SvFakeReader *self = SV_FAKE_READER (reader);
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  FakeSlot *slot = find_slot (self, handle->reader_name);

  *card_was_reset = FALSE;
  if (slot == NULL || slot->atr == NULL || slot->event_count != handle->generation)
    {
      g_set_error (error, SV_PCSC_ERROR, SV_PCSC_ERROR_CARD_REMOVED,
                   "%s: the card was removed", handle->reader_name);
      return FALSE;
    }
  *card_was_reset = self->reset_pending;
  self->reset_pending = FALSE;
  self->transaction_depth++;
  self->n_begins++;
  return TRUE;
}

static void
sv_fake_reader_end_transaction (SvReader       *reader,
                                SvReaderHandle *handle)
{
  SvFakeReader *self = SV_FAKE_READER (reader);
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);

  g_assert (self->transaction_depth > 0);
  self->transaction_depth--;
  self->n_ends++;
}

static gboolean
same_states (GPtrArray *a,
             GPtrArray *b)
{
  if (a == NULL || a->len != b->len)
    return FALSE;
  for (guint i = 0; i < a->len; i++)
    {
      SvReaderState *x = g_ptr_array_index (a, i);
      SvReaderState *y = g_ptr_array_index (b, i);

      if (!g_str_equal (x->name, y->name) || x->flags != y->flags ||
          x->event_count != y->event_count)
        return FALSE;
    }
  return TRUE;
}

static gboolean
sv_fake_reader_wait_for_change (SvReader   *reader,
                                GPtrArray **states,
                                guint       timeout_ms,
                                GError    **error)
{
  SvFakeReader *self = SV_FAKE_READER (reader);
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);

  for (;;)
    {
      g_autoptr(GPtrArray) now = NULL;

      if (self->cancelled)
        {
          self->cancelled = FALSE;
          g_set_error (error, SV_PCSC_ERROR, SV_PCSC_ERROR_CANCELLED, "Reader monitor stopped");
          return FALSE;
        }
      if (self->service_down)
        {
          g_set_error (error, SV_PCSC_ERROR, SV_PCSC_ERROR_NO_SERVICE,
                       "SCardGetStatusChange: The Smart card resource manager has shut down.");
          return FALSE;
        }
      now = snapshot_states (self);
      if (!same_states (*states, now))
        {
          g_clear_pointer (states, g_ptr_array_unref);
          *states = g_steal_pointer (&now);
          return TRUE;
        }
      if (!g_cond_wait_until (&self->changed, &self->lock, end))
        return TRUE;
    }
}

static void
sv_fake_reader_cancel (SvReader *reader)
{
  SvFakeReader *self = SV_FAKE_READER (reader);

  g_mutex_lock (&self->lock);
  self->cancelled = TRUE;
  g_cond_broadcast (&self->changed);
  g_mutex_unlock (&self->lock);
}

static void
sv_fake_reader_finalize (GObject *object)
{
  SvFakeReader *self = SV_FAKE_READER (object);

  g_queue_clear_full (&self->expectations, (GDestroyNotify) expectation_free);
  if (self->card_destroy)
    self->card_destroy (self->card_data);
  g_ptr_array_unref (self->slots);
  g_ptr_array_unref (self->log);
  g_free (self->mismatch);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->changed);

  G_OBJECT_CLASS (sv_fake_reader_parent_class)->finalize (object);
}

static void
sv_fake_reader_class_init (SvFakeReaderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  SvReaderClass *reader_class = SV_READER_CLASS (klass);

  object_class->finalize = sv_fake_reader_finalize;
  reader_class->list_readers = sv_fake_reader_list_readers;
  reader_class->connect = sv_fake_reader_connect;
  reader_class->transmit = sv_fake_reader_transmit;
  reader_class->disconnect = sv_fake_reader_disconnect;
  reader_class->wait_for_change = sv_fake_reader_wait_for_change;
  reader_class->cancel = sv_fake_reader_cancel;
  reader_class->begin_transaction = sv_fake_reader_begin_transaction;
  reader_class->end_transaction = sv_fake_reader_end_transaction;
}

static void
sv_fake_reader_init (SvFakeReader *self)
{
  g_mutex_init (&self->lock);
  g_cond_init (&self->changed);
  g_queue_init (&self->expectations);
  self->slots = g_ptr_array_new_with_free_func ((GDestroyNotify) fake_slot_free);
  self->log = g_ptr_array_new_with_free_func (g_free);
  self->protocol = SV_CARD_PROTOCOL_T0;
}

SvFakeReader *
sv_fake_reader_new (void)
{
  return g_object_new (SV_TYPE_FAKE_READER, NULL);
}

/* Reader hotplug, as \\?PnP?\Notification would report it. */
void
sv_fake_reader_add_reader (SvFakeReader *self,
                           const char   *name)
{
  FakeSlot *slot = g_new0 (FakeSlot, 1);

  slot->name = g_strdup (name);
  g_mutex_lock (&self->lock);
  g_ptr_array_add (self->slots, slot);
  self->generation++;
  g_cond_broadcast (&self->changed);
  g_mutex_unlock (&self->lock);
}

void
sv_fake_reader_remove_reader (SvFakeReader *self,
                              const char   *name)
{
  g_mutex_lock (&self->lock);
  for (guint i = 0; i < self->slots->len; i++)
    if (g_str_equal (((FakeSlot *) g_ptr_array_index (self->slots, i))->name, name))
      {
        g_ptr_array_remove_index (self->slots, i);
        break;
      }
  self->generation++;
  g_cond_broadcast (&self->changed);
  g_mutex_unlock (&self->lock);
}

void
sv_fake_reader_insert_card (SvFakeReader *self,
                            const char   *name,
                            const char   *atr_hex)
{
  FakeSlot *slot;

  g_mutex_lock (&self->lock);
  slot = find_slot (self, name);
  g_assert (slot != NULL);
  g_clear_pointer (&slot->atr, g_bytes_unref);
  slot->atr = sv_hex_to_bytes (atr_hex);
  slot->event_count++;
  self->pulled_answered_empty = FALSE;
  self->pull_after = 0;
  self->generation++;
  g_cond_broadcast (&self->changed);
  g_mutex_unlock (&self->lock);
}

void
sv_fake_reader_pull_card (SvFakeReader *self,
                          const char   *name)
{
  FakeSlot *slot;

  g_mutex_lock (&self->lock);
  slot = find_slot (self, name);
  g_assert (slot != NULL);
  g_clear_pointer (&slot->atr, g_bytes_unref);
  slot->event_count++;
  self->generation++;
  g_cond_broadcast (&self->changed);
  g_mutex_unlock (&self->lock);
}

/* pcscd stopping (SCARD_E_SERVICE_STOPPED) and coming back. */
void
sv_fake_reader_set_service_running (SvFakeReader *self,
                                    gboolean      running)
{
  g_mutex_lock (&self->lock);
  self->service_down = !running;
  self->generation++;
  g_cond_broadcast (&self->changed);
  g_mutex_unlock (&self->lock);
}

/* The card leaves its reader once @n_apdus commands have been answered. */
void
sv_fake_reader_pull_card_after (SvFakeReader *self,
                                guint         n_apdus)
{
  g_mutex_lock (&self->lock);
  self->pull_after = self->n_transmitted + n_apdus;
  g_mutex_unlock (&self->lock);
}

void
sv_fake_reader_expect (SvFakeReader *self,
                       const char   *apdu_hex,
                       const char   *response_hex)
{
  Expectation *e = g_new0 (Expectation, 1);
  g_autoptr(GBytes) apdu = sv_hex_to_bytes (apdu_hex);

  e->apdu_hex = sv_bytes_to_hex (g_bytes_get_data (apdu, NULL), g_bytes_get_size (apdu));
  e->response = sv_hex_to_bytes (response_hex);
  g_mutex_lock (&self->lock);
  g_queue_push_tail (&self->expectations, e);
  g_mutex_unlock (&self->lock);
}

void
sv_fake_reader_set_card_func (SvFakeReader   *self,
                              SvFakeCardFunc  func,
                              gpointer        user_data,
                              GDestroyNotify  destroy)
{
  g_mutex_lock (&self->lock);
  if (self->card_destroy)
    self->card_destroy (self->card_data);
  self->card_func = func;
  self->card_data = user_data;
  self->card_destroy = destroy;
  g_mutex_unlock (&self->lock);
}

void
sv_fake_reader_set_protocol (SvFakeReader   *self,
                             SvCardProtocol  protocol)
{
  self->protocol = protocol;
}

guint
sv_fake_reader_get_n_pending (SvFakeReader *self)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);

  return g_queue_get_length (&self->expectations);
}

guint
sv_fake_reader_get_n_transmitted (SvFakeReader *self)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);

  return self->n_transmitted;
}

/* The first deviation from the script, or %NULL. */
const char *
sv_fake_reader_get_mismatch (SvFakeReader *self)
{
  return self->mismatch;
}

GPtrArray *
sv_fake_reader_get_log (SvFakeReader *self)
{
  return self->log;
}

/**
 * sv_fake_reader_get_transactions:
 * @n_begins: (out) (optional): transactions begun
 * @n_ends: (out) (optional): transactions ended
 * @n_outside: (out) (optional): APDUs sent while no transaction was held
 *
 * Returns: the transactions held now
 */
guint
sv_fake_reader_get_transactions (SvFakeReader *self,
                                 guint        *n_begins,
                                 guint        *n_ends,
                                 guint        *n_outside)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);

  if (n_begins)
    *n_begins = self->n_begins;
  if (n_ends)
    *n_ends = self->n_ends;
  if (n_outside)
    *n_outside = self->n_outside;
  return self->transaction_depth;
}

/* The next begin reports that another client reset the card. */
void
sv_fake_reader_reset_card_by_other (SvFakeReader *self)
{
  g_mutex_lock (&self->lock);
  self->reset_pending = TRUE;
  g_mutex_unlock (&self->lock);
}
