/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Card images for the mirror tests, built from raw bytes by hand
 * (TS 51.011 §10.5.1 EF_ADN, §10.5.3 EF_SMS).
 */
#pragma once

#include <string.h>
#include <glib.h>

#include "sv-card-image.h"

#define TEST_ICCID     "8986001234567890123"
#define TEST_ALPHA_LEN 14
#define TEST_N_ADN     10

/* An ADN record: GSM 7-bit default alphabet name (ASCII letters map to
 * themselves), TON/NPI, digits in swapped BCD. */
static inline GBytes *
test_adn_record (guint        alpha_len,
                 const char  *name,
                 guint8       ton_npi,
                 const char  *digits)
{
  guint len = alpha_len + 14;
  guint8 *rec = g_malloc (len);
  guint n_digits = digits ? strlen (digits) : 0;

  memset (rec, 0xFF, len);
  memcpy (rec, name, MIN (strlen (name), alpha_len));
  if (n_digits > 0)
    {
      guint8 *bcd = rec + alpha_len + 2;

      rec[alpha_len] = 1 + (n_digits + 1) / 2;
      rec[alpha_len + 1] = ton_npi;
      for (guint i = 0; i < n_digits; i++)
        {
          guint8 d = digits[i] - '0';

          if (i % 2 == 0)
            bcd[i / 2] = 0xF0 | d;
          else
            bcd[i / 2] = (bcd[i / 2] & 0x0F) | (d << 4);
        }
    }
  return g_bytes_new_take (rec, len);
}

/* A 2G card: EF_ADN (10 x 28 bytes), EF_EXT1 (2 x 13), EF_SMS (3 x 176),
 * EF_ICCID; contacts 1 and 2 filled, record 9 holds bytes SimVault does
 * not interpret (a non-standard CCP byte). */
static inline SvCardImage *
test_card_new (const char *iccid,
               guint       alpha_len,
               guint       n_adn,
               guint       n_ext1)
{
  SvCardImage *image = sv_card_image_new (SV_CARD_TYPE_SIM);
  g_autoptr(GBytes) alice = test_adn_record (alpha_len, "Alice", 0x91, "8613800138000");
  g_autoptr(GBytes) bob = test_adn_record (alpha_len, "Bob", 0x81, "5551234");
  g_autoptr(GBytes) odd = NULL;
  guint8 *raw;
  gsize len;

  sv_card_image_set_iccid (image, iccid);
  sv_card_image_add_file (image, "adn", "3F007F106F3A", SV_FILE_STRUCTURE_LINEAR_FIXED,
                          alpha_len + 14, n_adn);
  sv_card_image_add_file (image, "ext1", "3F007F106F4A", SV_FILE_STRUCTURE_LINEAR_FIXED, 13, n_ext1);
  sv_card_image_add_file (image, "sms", "3F007F106F3C", SV_FILE_STRUCTURE_LINEAR_FIXED, 176, 3);
  sv_card_image_set_record (image, "adn", 1, alice, NULL);
  sv_card_image_set_record (image, "adn", 2, bob, NULL);
  if (n_adn >= 9)
    {
      odd = test_adn_record (alpha_len, "Odd", 0x81, "112");
      raw = g_bytes_unref_to_data (g_steal_pointer (&odd), &len);
      raw[alpha_len + 12] = 0x42;       /* CCP: not interpreted */
      odd = g_bytes_new_take (raw, len);
      sv_card_image_set_record (image, "adn", 9, odd, NULL);
    }
  /* EF_SMS: all free (status 00, rest FF) */
  for (guint i = 1; i <= 3; i++)
    {
      guint8 *sms = g_malloc (176);
      g_autoptr(GBytes) b = NULL;

      memset (sms, 0xFF, 176);
      sms[0] = 0x00;
      b = g_bytes_new_take (sms, 176);
      sv_card_image_set_record (image, "sms", i, b, NULL);
    }
  return image;
}

static inline GBytes *
test_bytes_with (GBytes *bytes,
                 gsize   offset,
                 guint8  value)
{
  gsize len;
  guint8 *data = g_memdup2 (g_bytes_get_data (bytes, &len), g_bytes_get_size (bytes));

  data[offset] = value;
  return g_bytes_new_take (data, len);
}
