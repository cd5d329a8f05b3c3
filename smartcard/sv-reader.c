/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-card"

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "sv-card-error.h"
#include "sv-reader.h"

G_DEFINE_ABSTRACT_TYPE (SvReader, sv_reader, G_TYPE_OBJECT)

SvReaderState *
sv_reader_state_new (const char         *name,
                     SvReaderStateFlags  flags,
                     GBytes             *atr,
                     guint               event_count)
{
  SvReaderState *state = g_new0 (SvReaderState, 1);

  state->name = g_strdup (name);
  state->flags = flags;
  state->atr = atr ? g_bytes_ref (atr) : NULL;
  state->event_count = event_count;
  return state;
}

SvReaderState *
sv_reader_state_copy (const SvReaderState *state)
{
  return sv_reader_state_new (state->name, state->flags, state->atr, state->event_count);
}

void
sv_reader_state_free (SvReaderState *state)
{
  if (state == NULL)
    return;
  g_free (state->name);
  g_clear_pointer (&state->atr, g_bytes_unref);
  g_free (state);
}

const char *
sv_card_protocol_to_string (SvCardProtocol protocol)
{
  switch (protocol)
    {
    case SV_CARD_PROTOCOL_T0:
      return "T=0";
    case SV_CARD_PROTOCOL_T1:
      return "T=1";
    case SV_CARD_PROTOCOL_NONE:
    default:
      return "none";
    }
}

/* A backend without transactions (one client only) holds nothing. */
static gboolean
sv_reader_real_begin_transaction (SvReader        *self,
                                  SvReaderHandle  *handle,
                                  gboolean        *card_was_reset,
                                  GError         **error)
{
  *card_was_reset = FALSE;
  return TRUE;
}

static void
sv_reader_real_end_transaction (SvReader       *self,
                                SvReaderHandle *handle)
{
}

static void
sv_reader_class_init (SvReaderClass *klass)
{
  klass->begin_transaction = sv_reader_real_begin_transaction;
  klass->end_transaction = sv_reader_real_end_transaction;
}

static void
sv_reader_init (SvReader *self)
{
}

/**
 * sv_reader_list_readers:
 *
 * Returns: (transfer full) (element-type SvReaderState): every reader
 * known to the backend; an empty array when there is none.
 */
GPtrArray *
sv_reader_list_readers (SvReader  *self,
                        GError   **error)
{
  g_return_val_if_fail (SV_IS_READER (self), NULL);
  return SV_READER_GET_CLASS (self)->list_readers (self, error);
}

SvReaderHandle *
sv_reader_connect (SvReader        *self,
                   const char      *reader_name,
                   SvCardProtocol  *protocol,
                   GBytes         **atr,
                   GError         **error)
{
  g_return_val_if_fail (SV_IS_READER (self), NULL);
  g_return_val_if_fail (reader_name != NULL, NULL);
  return SV_READER_GET_CLASS (self)->connect (self, reader_name, protocol, atr, error);
}

gboolean
sv_reader_transmit (SvReader        *self,
                    SvReaderHandle  *handle,
                    const guint8    *apdu,
                    gsize            apdu_len,
                    guint8          *response,
                    gsize           *response_len,
                    GError         **error)
{
  g_return_val_if_fail (SV_IS_READER (self), FALSE);
  return SV_READER_GET_CLASS (self)->transmit (self, handle, apdu, apdu_len,
                                               response, response_len, error);
}

void
sv_reader_disconnect (SvReader       *self,
                      SvReaderHandle *handle,
                      gboolean        reset)
{
  g_return_if_fail (SV_IS_READER (self));
  if (handle != NULL)
    SV_READER_GET_CLASS (self)->disconnect (self, handle, reset);
}

gboolean
sv_reader_wait_for_change (SvReader   *self,
                           GPtrArray **states,
                           guint       timeout_ms,
                           GError    **error)
{
  g_return_val_if_fail (SV_IS_READER (self), FALSE);
  return SV_READER_GET_CLASS (self)->wait_for_change (self, states, timeout_ms, error);
}

void
sv_reader_cancel (SvReader *self)
{
  g_return_if_fail (SV_IS_READER (self));
  SV_READER_GET_CLASS (self)->cancel (self);
}

/**
 * sv_reader_begin_transaction:
 * @card_was_reset: (out) (optional): %TRUE when another client had reset
 *   the card and the backend reconnected
 *
 * Takes exclusive use of the card until sv_reader_end_transaction(): every
 * sequence that depends on card state (a SELECT, then READ or UPDATE) must
 * run inside one, or another PC/SC client may select another file in
 * between. Never hold a transaction while waiting for a person.
 */
gboolean
sv_reader_begin_transaction (SvReader        *self,
                             SvReaderHandle  *handle,
                             gboolean        *card_was_reset,
                             GError         **error)
{
  gboolean reset = FALSE;

  g_return_val_if_fail (SV_IS_READER (self), FALSE);
  g_return_val_if_fail (handle != NULL, FALSE);
  if (!SV_READER_GET_CLASS (self)->begin_transaction (self, handle, &reset, error))
    return FALSE;
  if (card_was_reset)
    *card_was_reset = reset;
  return TRUE;
}

void
sv_reader_end_transaction (SvReader       *self,
                           SvReaderHandle *handle)
{
  g_return_if_fail (SV_IS_READER (self));
  g_return_if_fail (handle != NULL);
  SV_READER_GET_CLASS (self)->end_transaction (self, handle);
}

/**
 * sv_reader_pick_reader:
 * @wanted: (nullable): a reader name, or a unique substring of one
 *
 * Chooses the reader to use: @wanted when given (exact name first, then a
 * unique substring; of several readers it names, the only one holding a
 * card), else the first reader with a card in it. When @wanted names
 * several readers and not exactly one holds a card, the error lists them.
 *
 * Returns: (transfer full): the full reader name
 */
char *
sv_reader_pick_reader (SvReader    *self,
                       const char  *wanted,
                       GError     **error)
{
  g_autoptr(GPtrArray) states = sv_reader_list_readers (self, error);
  SvReaderState *match = NULL;
  guint n_matches = 0;

  if (states == NULL)
    return NULL;
  if (states->len == 0)
    {
      g_set_error (error, SV_PCSC_ERROR, SV_PCSC_ERROR_NO_READERS,
                   _("No smart card reader is connected"));
      return NULL;
    }

  for (guint i = 0; i < states->len; i++)
    {
      SvReaderState *state = g_ptr_array_index (states, i);

      if (wanted == NULL)
        {
          if (state->flags & SV_READER_STATE_PRESENT)
            return g_strdup (state->name);
        }
      else if (g_str_equal (state->name, wanted))
        return g_strdup (state->name);
      else if (strstr (state->name, wanted) != NULL)
        {
          match = state;
          n_matches++;
        }
    }

  if (wanted == NULL)
    {
      g_set_error (error, SV_PCSC_ERROR, SV_PCSC_ERROR_NO_CARD,
                   _("No card in any of the %u readers"), states->len);
      return NULL;
    }
  if (n_matches == 1)
    return g_strdup (match->name);
  if (n_matches == 0)
    {
      g_set_error (error, SV_PCSC_ERROR, SV_PCSC_ERROR_UNKNOWN_READER,
                   _("No reader named “%s”"), wanted);
      return NULL;
    }

  /* Several match: the one holding a card, when only one does; else
   * name them all, so the user can give more of the name. */
  {
    g_autoptr(GString) names = g_string_new (NULL);
    SvReaderState *with_card = NULL;
    guint n_with_card = 0;

    for (guint i = 0; i < states->len; i++)
      {
        SvReaderState *state = g_ptr_array_index (states, i);

        if (strstr (state->name, wanted) == NULL)
          continue;
        if (names->len > 0)
          g_string_append (names, ", ");
        g_string_append_printf (names, "“%s”", state->name);
        if (state->flags & SV_READER_STATE_PRESENT)
          {
            with_card = state;
            n_with_card++;
            g_string_append (names, _(" (card present)"));
          }
      }
    if (n_with_card == 1)
      return g_strdup (with_card->name);
    g_set_error (error, SV_PCSC_ERROR, SV_PCSC_ERROR_UNKNOWN_READER,
                 _("“%s” matches %u readers: %s; give more of the name"),
                 wanted, n_matches, names->str);
  }
  return NULL;
}
