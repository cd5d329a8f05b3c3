/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-card"

#include "config.h"

#include "sv-progress.h"

struct _SvProgress
{
  GObject       parent_instance;

  GMainContext *context;

  /* Written by workers under @lock ... */
  GMutex        lock;
  guint         pending_completed;
  guint         pending_total;
  char         *pending_message;
  gboolean      idle_queued;

  /* ... and published to these on @context. */
  guint         completed;
  guint         total;
  char         *message;
};

enum {
  PROP_0,
  PROP_COMPLETED,
  PROP_TOTAL,
  PROP_FRACTION,
  PROP_MESSAGE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (SvProgress, sv_progress, G_TYPE_OBJECT)

static gboolean
publish_cb (gpointer user_data)
{
  SvProgress *self = user_data;
  guint completed, total;
  g_autofree char *message = NULL;
  gboolean changed_counts;

  g_mutex_lock (&self->lock);
  completed = self->pending_completed;
  total = self->pending_total;
  message = g_strdup (self->pending_message);
  self->idle_queued = FALSE;
  g_mutex_unlock (&self->lock);

  g_object_freeze_notify (G_OBJECT (self));
  changed_counts = completed != self->completed || total != self->total;
  if (completed != self->completed)
    {
      self->completed = completed;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COMPLETED]);
    }
  if (total != self->total)
    {
      self->total = total;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TOTAL]);
    }
  if (changed_counts)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FRACTION]);
  if (g_strcmp0 (message, self->message) != 0)
    {
      g_free (self->message);
      self->message = g_steal_pointer (&message);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MESSAGE]);
    }
  g_object_thaw_notify (G_OBJECT (self));
  return G_SOURCE_REMOVE;
}

/**
 * sv_progress_update:
 * @message: (nullable): what is being done ("Reading the phonebook")
 *
 * Thread-safe. Updates coalesce: the main context sees the latest values.
 */
void
sv_progress_update (SvProgress *self,
                    guint       completed,
                    guint       total,
                    const char *message)
{
  gboolean queue;

  if (self == NULL)
    return;

  g_mutex_lock (&self->lock);
  self->pending_completed = completed;
  self->pending_total = total;
  if (message != NULL && g_strcmp0 (message, self->pending_message) != 0)
    {
      g_free (self->pending_message);
      self->pending_message = g_strdup (message);
    }
  queue = !self->idle_queued;
  self->idle_queued = TRUE;
  g_mutex_unlock (&self->lock);

  if (queue)
    {
      GSource *source = g_idle_source_new ();

      g_source_set_priority (source, G_PRIORITY_DEFAULT);
      g_source_set_callback (source, publish_cb, g_object_ref (self), g_object_unref);
      g_source_set_static_name (source, "[simvault] progress");
      g_source_attach (source, self->context);
      g_source_unref (source);
    }
}

static void
sv_progress_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  SvProgress *self = SV_PROGRESS (object);

  switch (prop_id)
    {
    case PROP_COMPLETED:
      g_value_set_uint (value, self->completed);
      break;
    case PROP_TOTAL:
      g_value_set_uint (value, self->total);
      break;
    case PROP_FRACTION:
      g_value_set_double (value, sv_progress_get_fraction (self));
      break;
    case PROP_MESSAGE:
      g_value_set_string (value, self->message);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sv_progress_finalize (GObject *object)
{
  SvProgress *self = SV_PROGRESS (object);

  g_main_context_unref (self->context);
  g_mutex_clear (&self->lock);
  g_free (self->pending_message);
  g_free (self->message);
  G_OBJECT_CLASS (sv_progress_parent_class)->finalize (object);
}

static void
sv_progress_class_init (SvProgressClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = sv_progress_get_property;
  object_class->finalize = sv_progress_finalize;

  properties[PROP_COMPLETED] =
    g_param_spec_uint ("completed", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TOTAL] =
    g_param_spec_uint ("total", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_FRACTION] =
    g_param_spec_double ("fraction", NULL, NULL, 0.0, 1.0, 0.0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MESSAGE] =
    g_param_spec_string ("message", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
sv_progress_init (SvProgress *self)
{
  g_mutex_init (&self->lock);
  self->context = g_main_context_ref_thread_default ();
}

SvProgress *
sv_progress_new (void)
{
  return g_object_new (SV_TYPE_PROGRESS, NULL);
}

guint
sv_progress_get_completed (SvProgress *self)
{
  return self->completed;
}

guint
sv_progress_get_total (SvProgress *self)
{
  return self->total;
}

double
sv_progress_get_fraction (SvProgress *self)
{
  if (self->total == 0)
    return 0.0;
  return MIN (1.0, (double) self->completed / self->total);
}

char *
sv_progress_dup_message (SvProgress *self)
{
  return g_strdup (self->message);
}
