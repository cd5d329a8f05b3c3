/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A card image read from one of the virtual card profiles
 * (tests/data/cards, one JSON file each) without PC/SC: the fake reader hands every
 * APDU to the virtual card's engine (smartcard/vsim), and the card is read
 * by the product's own reader code (sv_card_read_image()), so the image is
 * the one a real read of that card gives.
 */
#pragma once

#include <glib.h>

#include "sv-card-reader.h"
#include "sv-fake-reader.h"
#include "sv-hex.h"
#include "sv-vsim-card.h"
#include "sv-vsim-image.h"

#define SV_PROFILE_READER "Profile Reader 00 00"

static inline GBytes *
sv_profile_card_answer (GBytes   *apdu,
                        gpointer  user_data)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (apdu, &len);

  return sv_vsim_card_transmit (user_data, data, len);
}

/* A session on the card of profile @path, behind @fake (a new fake
 * reader the caller frees after the session). */
static inline SvCardSession *
sv_profile_card_open (const char    *path,
                      SvFakeReader **fake_out,
                      GError       **error)
{
  SvFakeReader *fake;
  SvVsimImage *image;
  SvVsimCard *card;
  const guint8 *atr_data;
  gsize atr_len;
  GString *hex;
  g_autofree char *atr = NULL;
  SvCardSession *session;

  image = sv_vsim_image_load (path, error);
  if (image == NULL)
    return NULL;
  card = sv_vsim_card_new (image);
  atr_data = g_bytes_get_data (image->atr, &atr_len);
  hex = g_string_new (NULL);
  for (gsize i = 0; i < atr_len; i++)
    g_string_append_printf (hex, "%02X", atr_data[i]);
  atr = g_string_free (hex, FALSE);
  fake = sv_fake_reader_new ();
  sv_fake_reader_add_reader (fake, SV_PROFILE_READER);
  sv_fake_reader_insert_card (fake, SV_PROFILE_READER, atr);
  sv_fake_reader_set_card_func (fake, sv_profile_card_answer, card,
                                (GDestroyNotify) sv_vsim_card_free);
  session = sv_card_session_open (SV_READER (fake), SV_PROFILE_READER, error);
  if (session == NULL)
    {
      g_object_unref (fake);
      return NULL;
    }
  *fake_out = fake;
  return session;
}

/* @path: a profile file. Returns the image, or %NULL with @error. */
static inline SvCardImage *
sv_profile_card_read (const char  *path,
                      GError     **error)
{
  g_autoptr(SvFakeReader) fake = NULL;
  g_autoptr(SvCardSession) session = NULL;
  g_autofree char *atr = NULL;
  SvVsimImage *image;
  SvVsimCard *card;
  SvCardImage *result;

  image = sv_vsim_image_load (path, error);
  if (image == NULL)
    return NULL;
  card = sv_vsim_card_new (image);
  atr = sv_gbytes_to_hex (image->atr);

  fake = sv_fake_reader_new ();
  sv_fake_reader_add_reader (fake, SV_PROFILE_READER);
  sv_fake_reader_insert_card (fake, SV_PROFILE_READER, atr);
  sv_fake_reader_set_card_func (fake, sv_profile_card_answer, card,
                                (GDestroyNotify) sv_vsim_card_free);
  session = sv_card_session_open (SV_READER (fake), SV_PROFILE_READER, error);
  if (session == NULL)
    return NULL;
  result = sv_card_read_image (session, NULL, SV_CARD_READ_DEFAULT, NULL, NULL, NULL, error);
  g_clear_pointer (&session, sv_card_session_close);
  return result;
}
