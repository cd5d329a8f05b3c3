/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bench-vsim-rtt READER N [2g|uicc]: N READ RECORD round trips through
 * pcscd to the card in READER; prints microseconds per APDU. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include <glib.h>
#include <winscard.h>

static gint
compare_gint64 (gconstpointer a,
                gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

static guint
transmit (SCARDHANDLE   card,
          const guint8 *apdu,
          gsize         len)
{
  guint8 r[258];
  DWORD rlen = sizeof r;

  if (SCardTransmit (card, SCARD_PCI_T0, apdu, (DWORD) len, NULL, r, &rlen) != SCARD_S_SUCCESS
      || rlen < 2)
    return 0;
  return (guint) (r[rlen - 2] << 8 | r[rlen - 1]);
}

int
main (int   argc,
      char *argv[])
{
  static const guint8 select_2g[][7] = {
    { 0xA0, 0xA4, 0x00, 0x00, 0x02, 0x7F, 0x10 },
    { 0xA0, 0xA4, 0x00, 0x00, 0x02, 0x6F, 0x3A },
  };
  static const guint8 select_uicc[] = { 0x00, 0xA4, 0x08, 0x0C, 0x04, 0x7F, 0x10, 0x6F, 0x3A };
  guint8 read[5] = { 0x00, 0xB2, 0x01, 0x04, 0x1E };
  gboolean gsm;
  SCARDCONTEXT ctx;
  SCARDHANDLE card;
  DWORD protocol;
  gint64 *samples, total = 0;
  guint n;

  if (argc < 3)
    {
      fprintf (stderr, "usage: %s READER N [2g|uicc]\n", argv[0]);
      return 2;
    }
  n = (guint) atoi (argv[2]);
  gsm = argc > 3 && g_str_equal (argv[3], "2g");
  if (n == 0
      || SCardEstablishContext (SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx) != SCARD_S_SUCCESS
      || SCardConnect (ctx, argv[1], SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0, &card, &protocol) != SCARD_S_SUCCESS)
    {
      fprintf (stderr, "bench-vsim-rtt: cannot connect to \"%s\"\n", argv[1]);
      return 1;
    }
  if (gsm)
    {
      read[0] = 0xA0;
      for (guint i = 0; i < G_N_ELEMENTS (select_2g); i++)
        if ((transmit (card, select_2g[i], sizeof select_2g[i]) & 0xFF00) != 0x9F00)
          return 1;
    }
  else if (transmit (card, select_uicc, sizeof select_uicc) != 0x9000)
    return 1;

  samples = g_new (gint64, n);
  for (guint i = 0; i < n; i++)
    {
      gint64 t0 = g_get_monotonic_time ();

      read[2] = (guint8) (1 + i % 250);
      if (transmit (card, read, sizeof read) != 0x9000)
        {
          fprintf (stderr, "bench-vsim-rtt: READ RECORD %u failed\n", read[2]);
          return 1;
        }
      samples[i] = g_get_monotonic_time () - t0;
      total += samples[i];
    }
  qsort (samples, n, sizeof *samples, compare_gint64);
  printf ("%u READ RECORD (%s) through pcscd: mean %.1f us, median %" G_GINT64_FORMAT
          " us, p99 %" G_GINT64_FORMAT " us, min %" G_GINT64_FORMAT " us, max %" G_GINT64_FORMAT " us, total %.1f ms\n",
          n, gsm ? "CLA A0" : "CLA 00", (double) total / n, samples[n / 2],
          samples[(n * 99) / 100], samples[0], samples[n - 1], total / 1000.0);
  g_free (samples);
  SCardDisconnect (card, SCARD_LEAVE_CARD);
  SCardReleaseContext (ctx);
  return 0;
}
