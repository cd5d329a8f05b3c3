/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-monitor"

#include "config.h"

#include "sv-card-error.h"
#include "sv-card-reader.h"
#include "sv-card-session.h"
#include "sv-reader-monitor.h"

struct _SvReaderMonitor
{
  GObject       parent_instance;

  SvReader     *reader;
  gboolean      identify_cards;
  GMainContext *context;
  GThread      *thread;
  guint         timeout_ms;

  GMutex        lock;
  GCond         wake;
  gboolean      stopping;
  gboolean      finished;       /* the thread left its loop */
  GPtrArray    *snapshot;       /* SvReaderState, for dup_readers */
};

enum {
  READER_ADDED,
  READER_REMOVED,
  CARD_INSERTED,
  CARD_REMOVED,
  SERVICE_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (SvReaderMonitor, sv_reader_monitor, G_TYPE_OBJECT)

typedef struct
{
  SvReaderMonitor *monitor;
  guint            signal;
  char            *name;
  GBytes          *atr;
  char            *iccid;
  gboolean         available;
} MonitorEvent;

static void
monitor_event_free (MonitorEvent *event)
{
  g_object_unref (event->monitor);
  g_free (event->name);
  g_clear_pointer (&event->atr, g_bytes_unref);
  g_free (event->iccid);
  g_free (event);
}

static gboolean
emit_event_cb (gpointer user_data)
{
  MonitorEvent *event = user_data;

  switch (event->signal)
    {
    case CARD_INSERTED:
      g_signal_emit (event->monitor, signals[CARD_INSERTED], 0, event->name, event->atr, event->iccid);
      break;
    case SERVICE_CHANGED:
      g_signal_emit (event->monitor, signals[SERVICE_CHANGED], 0, event->available);
      break;
    case READER_ADDED:
    case READER_REMOVED:
    case CARD_REMOVED:
    default:
      g_signal_emit (event->monitor, signals[event->signal], 0, event->name);
      break;
    }
  return G_SOURCE_REMOVE;
}

static void
post (SvReaderMonitor *self,
      guint            signal,
      const char      *name,
      GBytes          *atr,
      const char      *iccid,
      gboolean         available)
{
  MonitorEvent *event = g_new0 (MonitorEvent, 1);
  g_autoptr(GSource) source = g_idle_source_new ();

  event->monitor = g_object_ref (self);
  event->signal = signal;
  event->name = g_strdup (name);
  event->atr = atr ? g_bytes_ref (atr) : NULL;
  event->iccid = g_strdup (iccid);
  event->available = available;
  /* Always a source, never g_main_context_invoke(): that runs the
   * callback right here, in the monitor thread, whenever no thread holds
   * the context at that moment (a test or a CLI between two iterations),
   * and the handlers are GTK code. */
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, emit_event_cb, event, (GDestroyNotify) monitor_event_free);
  g_source_set_static_name (source, "[simvault] reader event");
  g_source_attach (source, self->context);
}

static char *
identify (SvReaderMonitor *self,
          const char      *name)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvCardSession) session = NULL;
  char *iccid;

  if (!self->identify_cards)
    return NULL;
  session = sv_card_session_open (self->reader, name, &error);
  if (session == NULL)
    {
      g_debug ("%s: cannot identify the card: %s", name, error->message);
      return NULL;
    }
  iccid = sv_card_read_iccid (session, &error);
  if (iccid == NULL)
    g_debug ("%s: cannot read the ICCID: %s", name, error->message);
  return iccid;
}

static SvReaderState *
find_state (GPtrArray  *states,
            const char *name)
{
  for (guint i = 0; states && i < states->len; i++)
    {
      SvReaderState *state = g_ptr_array_index (states, i);

      if (g_str_equal (state->name, name))
        return state;
    }
  return NULL;
}

static gboolean
is_present (const SvReaderState *state)
{
  return state != NULL && (state->flags & SV_READER_STATE_PRESENT) != 0;
}

/* Emits what changed from @old to @now. */
static void
emit_differences (SvReaderMonitor *self,
                  GPtrArray       *old,
                  GPtrArray       *now)
{
  for (guint i = 0; old && i < old->len; i++)
    {
      SvReaderState *before = g_ptr_array_index (old, i);

      if (find_state (now, before->name) == NULL)
        {
          if (is_present (before))
            post (self, CARD_REMOVED, before->name, NULL, NULL, FALSE);
          post (self, READER_REMOVED, before->name, NULL, NULL, FALSE);
        }
    }

  for (guint i = 0; now && i < now->len; i++)
    {
      SvReaderState *after = g_ptr_array_index (now, i);
      SvReaderState *before = find_state (old, after->name);
      gboolean was = is_present (before), is = is_present (after);
      gboolean swapped = was && is && before->event_count != after->event_count &&
                         !(before->atr && after->atr && g_bytes_equal (before->atr, after->atr) &&
                           before->event_count + 1 == after->event_count);

      if (before == NULL)
        post (self, READER_ADDED, after->name, NULL, NULL, FALSE);
      /* pcsc-lite bumps the event counter by one for a reset (same ATR)
       * and by two for a removal plus an insertion: a swap. */
      if ((was && !is) || swapped)
        post (self, CARD_REMOVED, after->name, NULL, NULL, FALSE);
      if ((!was && is) || swapped)
        {
          g_autofree char *iccid = identify (self, after->name);

          post (self, CARD_INSERTED, after->name, after->atr, iccid, FALSE);
        }
    }

  g_mutex_lock (&self->lock);
  g_clear_pointer (&self->snapshot, g_ptr_array_unref);
  self->snapshot = g_ptr_array_new_full (now ? now->len : 0, (GDestroyNotify) sv_reader_state_free);
  for (guint i = 0; now && i < now->len; i++)
    g_ptr_array_add (self->snapshot, sv_reader_state_copy (g_ptr_array_index (now, i)));
  g_mutex_unlock (&self->lock);
}

static GPtrArray *
copy_states (GPtrArray *states)
{
  GPtrArray *copy = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_reader_state_free);

  for (guint i = 0; states && i < states->len; i++)
    g_ptr_array_add (copy, sv_reader_state_copy (g_ptr_array_index (states, i)));
  return copy;
}

/* Sleeps unless stopped; returns FALSE when stopping. */
static gboolean
pause_unless_stopped (SvReaderMonitor *self,
                      guint            ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) ms * 1000;
  gboolean go_on;

  g_mutex_lock (&self->lock);
  while (!self->stopping && g_cond_wait_until (&self->wake, &self->lock, end))
    ;
  go_on = !self->stopping;
  g_mutex_unlock (&self->lock);
  return go_on;
}

static gboolean
stopping (SvReaderMonitor *self)
{
  gboolean result;

  g_mutex_lock (&self->lock);
  result = self->stopping;
  g_mutex_unlock (&self->lock);
  return result;
}

static gpointer
monitor_thread (gpointer user_data)
{
  SvReaderMonitor *self = user_data;
  g_autoptr(GPtrArray) known = NULL;     /* last states emitted */
  gboolean service_up = TRUE;

  /* A restarted monitor reports what changed while it was stopped. */
  g_mutex_lock (&self->lock);
  if (self->snapshot != NULL)
    known = copy_states (self->snapshot);
  g_mutex_unlock (&self->lock);

  while (!stopping (self))
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) states = NULL;

      if (known == NULL)
        {
          states = sv_reader_list_readers (self->reader, &error);
          if (states == NULL)
            goto failed;
          emit_differences (self, NULL, states);
          known = g_steal_pointer (&states);
          if (!service_up)
            {
              service_up = TRUE;
              post (self, SERVICE_CHANGED, NULL, NULL, NULL, TRUE);
            }
          continue;
        }

      states = copy_states (known);
      if (sv_reader_wait_for_change (self->reader, &states, self->timeout_ms, &error))
        {
          emit_differences (self, known, states);
          g_clear_pointer (&known, g_ptr_array_unref);
          known = g_steal_pointer (&states);
          if (!service_up)
            {
              service_up = TRUE;
              post (self, SERVICE_CHANGED, NULL, NULL, NULL, TRUE);
            }
          continue;
        }

    failed:
      if (g_error_matches (error, SV_PCSC_ERROR, SV_PCSC_ERROR_CANCELLED) && stopping (self))
        break;
      g_debug ("reader monitor: %s", error->message);
      if (g_error_matches (error, SV_PCSC_ERROR, SV_PCSC_ERROR_NO_SERVICE) ||
          g_error_matches (error, SV_PCSC_ERROR, SV_PCSC_ERROR_COMMUNICATION))
        {
          /* pcscd stopped or restarted: every reader is gone for now. */
          if (service_up)
            {
              service_up = FALSE;
              emit_differences (self, known, NULL);
              g_clear_pointer (&known, g_ptr_array_unref);
              post (self, SERVICE_CHANGED, NULL, NULL, NULL, FALSE);
            }
        }
      else
        g_clear_pointer (&known, g_ptr_array_unref);
      if (!pause_unless_stopped (self, 500))
        break;
      /* A reader list taken from scratch is diffed against the last one
       * emitted, so nothing is reported twice. */
      if (known == NULL && service_up)
        {
          g_mutex_lock (&self->lock);
          known = self->snapshot ? copy_states (self->snapshot) : NULL;
          g_mutex_unlock (&self->lock);
        }
    }

  g_mutex_lock (&self->lock);
  self->finished = TRUE;
  g_cond_broadcast (&self->wake);
  g_mutex_unlock (&self->lock);
  return NULL;
}

static void
sv_reader_monitor_dispose (GObject *object)
{
  SvReaderMonitor *self = SV_READER_MONITOR (object);

  sv_reader_monitor_stop (self);
  g_clear_object (&self->reader);
  G_OBJECT_CLASS (sv_reader_monitor_parent_class)->dispose (object);
}

static void
sv_reader_monitor_finalize (GObject *object)
{
  SvReaderMonitor *self = SV_READER_MONITOR (object);

  g_clear_pointer (&self->snapshot, g_ptr_array_unref);
  g_main_context_unref (self->context);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->wake);
  G_OBJECT_CLASS (sv_reader_monitor_parent_class)->finalize (object);
}

static void
sv_reader_monitor_class_init (SvReaderMonitorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = sv_reader_monitor_dispose;
  object_class->finalize = sv_reader_monitor_finalize;

  signals[READER_ADDED] =
    g_signal_new ("reader-added", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[READER_REMOVED] =
    g_signal_new ("reader-removed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[CARD_INSERTED] =
    g_signal_new ("card-inserted", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_BYTES, G_TYPE_STRING);
  signals[CARD_REMOVED] =
    g_signal_new ("card-removed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SERVICE_CHANGED] =
    g_signal_new ("service-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_BOOLEAN);
}

static void
sv_reader_monitor_init (SvReaderMonitor *self)
{
  g_mutex_init (&self->lock);
  g_cond_init (&self->wake);
  self->context = g_main_context_ref_thread_default ();
  self->timeout_ms = 2000;
}

/**
 * sv_reader_monitor_new:
 * @reader: the backend; the monitor uses its wait/cancel pair (PC/SC: a
 *   context of its own)
 * @identify_cards: read the ICCID of each inserted card
 */
SvReaderMonitor *
sv_reader_monitor_new (SvReader *reader,
                       gboolean  identify_cards)
{
  SvReaderMonitor *self = g_object_new (SV_TYPE_READER_MONITOR, NULL);

  self->reader = g_object_ref (reader);
  self->identify_cards = identify_cards;
  return self;
}

void
sv_reader_monitor_set_poll_interval (SvReaderMonitor *self,
                                     guint            timeout_ms)
{
  self->timeout_ms = timeout_ms;
}

gboolean
sv_reader_monitor_start (SvReaderMonitor  *self,
                         GError          **error)
{
  g_return_val_if_fail (SV_IS_READER_MONITOR (self), FALSE);

  if (self->thread != NULL)
    return TRUE;
  self->stopping = FALSE;
  self->finished = FALSE;
  self->thread = g_thread_try_new ("sv-reader-monitor", monitor_thread, self, error);
  return self->thread != NULL;
}

/**
 * sv_reader_monitor_stop:
 *
 * Wakes the thread (SCardCancel) and joins it. Events already posted may
 * still be delivered by the main loop.
 */
void
sv_reader_monitor_stop (SvReaderMonitor *self)
{
  if (self->thread == NULL)
    return;
  g_mutex_lock (&self->lock);
  self->stopping = TRUE;
  g_cond_broadcast (&self->wake);
  /* SCardCancel only interrupts a wait that has begun: one sent between
   * the thread's last check and its SCardGetStatusChange is lost, and the
   * thread would sit out its whole timeout. So cancel again until the
   * thread says it has left its loop. */
  while (!self->finished)
    {
      gint64 until = g_get_monotonic_time () + 50 * G_TIME_SPAN_MILLISECOND;

      g_mutex_unlock (&self->lock);
      sv_reader_cancel (self->reader);
      g_mutex_lock (&self->lock);
      while (!self->finished && g_cond_wait_until (&self->wake, &self->lock, until))
        ;
    }
  g_mutex_unlock (&self->lock);
  g_thread_join (self->thread);
  self->thread = NULL;
}

/**
 * sv_reader_monitor_dup_readers:
 *
 * Returns: (transfer full) (element-type SvReaderState): the readers as
 * the monitor last saw them
 */
GPtrArray *
sv_reader_monitor_dup_readers (SvReaderMonitor *self)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);

  return copy_states (self->snapshot);
}
