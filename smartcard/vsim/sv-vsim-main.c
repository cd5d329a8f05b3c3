/* SPDX-License-Identifier: GPL-3.0-or-later */
/* simvault-vsim: a virtual SIM / USIM for vsmartcard's vpcd reader. */
#define G_LOG_DOMAIN "sv-vsim"

#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include <glib.h>

#include "sv-vsim-card.h"
#include "sv-vsim-image.h"
#include "sv-vsim-vpcd.h"

int
main (int   argc,
      char *argv[])
{
  g_autofree char *image_path = NULL;
  g_autofree char *host = NULL;
  g_autofree char *apdu_log_path = NULL;
  int port = 35963;
  int drop_after = 0;
  int delay_ms = 0;
  int connect_timeout_ms = 30000;
  gboolean persist = FALSE;
  gboolean refuse_writes = FALSE;
  gboolean once = FALSE;
  gboolean no_quickack = FALSE;
  GOptionEntry entries[] = {
    { "image", 'i', 0, G_OPTION_ARG_FILENAME, &image_path, "Card image (JSON, see tests/data/cards/README.md)", "FILE" },
    { "host", 0, 0, G_OPTION_ARG_STRING, &host, "vpcd host (default 127.0.0.1)", "HOST" },
    { "port", 'p', 0, G_OPTION_ARG_INT, &port, "vpcd TCP port (default 35963; slot 1 is +1)", "N" },
    { "persist", 0, 0, G_OPTION_ARG_NONE, &persist, "Write changes back to the image after each update", NULL },
    { "drop-after", 0, 0, G_OPTION_ARG_INT, &drop_after, "Pull the card (close the socket and exit) after N APDUs", "N" },
    { "delay-ms", 0, 0, G_OPTION_ARG_INT, &delay_ms, "Delay every APDU answer by N ms (a slow real card)", "N" },
    { "refuse-writes", 0, 0, G_OPTION_ARG_NONE, &refuse_writes, "Answer updates with a memory problem (65 81 / 92 40)", NULL },
    { "apdu-log", 0, 0, G_OPTION_ARG_FILENAME, &apdu_log_path, "Append '> CMD' and '< RESP' lines in hex to FILE", "FILE" },
    { "once", 0, 0, G_OPTION_ARG_NONE, &once, "Exit when vpcd disconnects instead of reconnecting", NULL },
    { "connect-timeout-ms", 0, 0, G_OPTION_ARG_INT, &connect_timeout_ms, "How long to retry while vpcd does not listen (default 30000)", "MS" },
    { "no-quickack", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_NONE, &no_quickack, "Benchmarks only: leave delayed ACK on", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- virtual SIM/USIM card for vpcd");
  g_autoptr(GError) error = NULL;
  g_autoptr(SvVsimCard) card = NULL;
  SvVsimImage *image;
  SvVsimVpcdOptions options = { 0 };
  FILE *apdu_log = NULL;
  gboolean ok;

  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_summary (context,
    "Connects to vsmartcard's vpcd driver inside pcscd and answers as a SIM\n"
    "(TS 51.011, CLA A0) and/or USIM (TS 102.221/31.102, CLA 00) would.");
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("simvault-vsim: %s\n", error->message);
      return 2;
    }
  if (image_path == NULL)
    {
      g_printerr ("simvault-vsim: --image FILE is required\n");
      return 2;
    }
  if (port <= 0 || port > 65535 || drop_after < 0 || delay_ms < 0 || connect_timeout_ms < 0)
    {
      g_printerr ("simvault-vsim: --port, --drop-after, --delay-ms and --connect-timeout-ms take non-negative numbers\n");
      return 2;
    }

  image = sv_vsim_image_load (image_path, &error);
  if (image == NULL)
    {
      g_printerr ("simvault-vsim: %s\n", error->message);
      return 1;
    }
  card = sv_vsim_card_new (image);
  sv_vsim_card_set_refuse_writes (card, refuse_writes);

  if (apdu_log_path != NULL)
    {
      apdu_log = fopen (apdu_log_path, "a");
      if (apdu_log == NULL)
        {
          g_printerr ("simvault-vsim: cannot open %s: %s\n", apdu_log_path, g_strerror (errno));
          return 1;
        }
    }

  options.host = host != NULL ? host : "127.0.0.1";
  options.port = (guint) port;
  options.connect_timeout_ms = (guint) connect_timeout_ms;
  options.drop_after = (guint) drop_after;
  options.delay_ms = (guint) delay_ms;
  options.once = once;
  options.no_quickack = no_quickack;
  options.apdu_log = apdu_log;
  options.persist_path = persist ? image_path : NULL;

  ok = sv_vsim_vpcd_run (card, &options, &error);
  if (apdu_log != NULL)
    fclose (apdu_log);
  if (!ok)
    {
      g_printerr ("simvault-vsim: %s\n", error->message);
      return 1;
    }
  return 0;
}
