/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-vsim"

#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include "sv-hex.h"
#include "sv-vsim-vpcd.h"

G_DEFINE_QUARK (sv-vsim-vpcd-error-quark, sv_vsim_vpcd_error)

/* vpcd control codes (vsmartcard vpcd.h) */
enum
{
  VPCD_CTRL_OFF = 0x00,
  VPCD_CTRL_ON = 0x01,
  VPCD_CTRL_RESET = 0x02,
  VPCD_CTRL_ATR = 0x04,
};

static void
quickack (int                      fd,
          const SvVsimVpcdOptions *options)
{
  int one = 1;

  /* vpcd sends the length and the payload in two writes; without an
   * immediate ACK Linux delays every APDU by ~40 ms.  TCP_QUICKACK is
   * not sticky, so it is set again before every recv(). */
  if (!options->no_quickack)
    setsockopt (fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
}

/* Returns 1 when @len bytes were read, 0 on orderly close, -1 on error. */
static int
recv_all (int                      fd,
          guint8                  *buf,
          gsize                    len,
          const SvVsimVpcdOptions *options)
{
  gsize done = 0;

  while (done < len)
    {
      ssize_t n;

      quickack (fd, options);
      n = recv (fd, buf + done, len - done, 0);
      if (n == 0)
        return 0;
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          return -1;
        }
      done += (gsize) n;
    }
  return 1;
}

static gboolean
send_frame (int           fd,
            const guint8 *payload,
            gsize         len)
{
  g_autofree guint8 *frame = g_malloc (len + 2);
  gsize done = 0;

  frame[0] = (guint8) (len >> 8);
  frame[1] = (guint8) len;
  memcpy (frame + 2, payload, len);
  while (done < len + 2)
    {
      ssize_t n = send (fd, frame + done, len + 2 - done, MSG_NOSIGNAL);

      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          return FALSE;
        }
      done += (gsize) n;
    }
  return TRUE;
}

static int
connect_once (const SvVsimVpcdOptions *options)
{
  struct addrinfo hints = { 0 }, *res = NULL;
  g_autofree char *port = g_strdup_printf ("%u", options->port);
  int fd = -1;

  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  if (getaddrinfo (options->host, port, &hints, &res) != 0)
    return -1;
  for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next)
    {
      fd = socket (ai->ai_family, ai->ai_socktype, ai->ai_protocol);
      if (fd < 0)
        continue;
      if (connect (fd, ai->ai_addr, ai->ai_addrlen) == 0)
        break;
      close (fd);
      fd = -1;
    }
  freeaddrinfo (res);
  if (fd >= 0)
    {
      int one = 1;

      setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
  return fd;
}

static void
log_line (FILE         *log,
          char          direction,
          const guint8 *data,
          gsize         len)
{
  g_autofree char *hex = NULL;

  if (log == NULL)
    return;
  hex = sv_bytes_to_hex (data, len);
  fprintf (log, "%c %s\n", direction, hex);
  fflush (log);
}

static void
log_event (FILE       *log,
           const char *event)
{
  if (log == NULL)
    return;
  fprintf (log, "# %s\n", event);
  fflush (log);
}

/* One insertion: serves vpcd until it hangs up or the card is pulled.
 * Returns FALSE with @error on an I/O error; *pulled is set after
 * --drop-after. */
static gboolean
serve (int                      fd,
       SvVsimCard              *card,
       const SvVsimVpcdOptions *options,
       guint                   *n_apdus,
       gboolean                *pulled,
       GError                 **error)
{
  guint8 buf[0x10000];

  for (;;)
    {
      guint8 header[2];
      gsize len;
      int r;

      r = recv_all (fd, header, 2, options);
      if (r == 0)
        return TRUE;
      if (r < 0)
        {
          g_set_error (error, SV_VSIM_VPCD_ERROR, 0, "reading from vpcd: %s", g_strerror (errno));
          return FALSE;
        }
      len = (gsize) (header[0] << 8 | header[1]);
      if (len == 0)
        continue;
      r = recv_all (fd, buf, len, options);
      if (r <= 0)
        {
          g_set_error (error, SV_VSIM_VPCD_ERROR, 0, "vpcd closed in the middle of a frame");
          return FALSE;
        }

      if (len == 1)
        {
          switch (buf[0])
            {
            case VPCD_CTRL_OFF:
              log_event (options->apdu_log, "power off");
              sv_vsim_card_reset (card);
              break;
            case VPCD_CTRL_ON:
              log_event (options->apdu_log, "power on");
              sv_vsim_card_reset (card);
              break;
            case VPCD_CTRL_RESET:
              log_event (options->apdu_log, "reset");
              sv_vsim_card_reset (card);
              break;
            case VPCD_CTRL_ATR:
              {
                GBytes *atr = sv_vsim_card_get_image (card)->atr;

                if (!send_frame (fd, g_bytes_get_data (atr, NULL), g_bytes_get_size (atr)))
                  {
                    g_set_error (error, SV_VSIM_VPCD_ERROR, 0, "writing to vpcd: %s", g_strerror (errno));
                    return FALSE;
                  }
              }
              break;
            default:
              g_debug ("ignoring vpcd control code 0x%02X", buf[0]);
              break;
            }
          continue;
        }

      {
        g_autoptr(GBytes) response = NULL;
        gsize rlen;
        const guint8 *rdata;

        log_line (options->apdu_log, '>', buf, len);
        response = sv_vsim_card_transmit (card, buf, len);
        rdata = g_bytes_get_data (response, &rlen);
        if (options->persist_path != NULL && sv_vsim_card_take_changed (card))
          {
            g_autoptr(GError) save_error = NULL;

            if (!sv_vsim_image_save (sv_vsim_card_get_image (card), options->persist_path, &save_error))
              g_printerr ("simvault-vsim: cannot persist: %s\n", save_error->message);
          }
        if (options->delay_ms > 0)
          g_usleep ((gulong) options->delay_ms * 1000);
        log_line (options->apdu_log, '<', rdata, rlen);
        if (!send_frame (fd, rdata, rlen))
          {
            g_set_error (error, SV_VSIM_VPCD_ERROR, 0, "writing to vpcd: %s", g_strerror (errno));
            return FALSE;
          }
        (*n_apdus)++;
        if (options->drop_after > 0 && *n_apdus >= options->drop_after)
          {
            log_event (options->apdu_log, "card pulled (--drop-after)");
            *pulled = TRUE;
            return TRUE;
          }
      }
    }
}

/**
 * sv_vsim_vpcd_run:
 *
 * Connects to vpcd (retrying while it does not listen yet), and serves
 * it.  When vpcd hangs up the card reconnects, unless options->once;
 * after --drop-after it closes the socket (the card is removed) and
 * returns.
 */
gboolean
sv_vsim_vpcd_run (SvVsimCard              *card,
                  const SvVsimVpcdOptions *options,
                  GError                 **error)
{
  guint n_apdus = 0;

  for (;;)
    {
      gint64 deadline = g_get_monotonic_time () + (gint64) options->connect_timeout_ms * 1000;
      gboolean pulled = FALSE;
      gboolean ok;
      int fd;

      while ((fd = connect_once (options)) < 0)
        {
          if (g_get_monotonic_time () > deadline)
            {
              g_set_error (error, SV_VSIM_VPCD_ERROR, 0,
                           "cannot connect to vpcd at %s:%u: %s (is pcscd running with a vpcd reader on this port?)",
                           options->host, options->port, g_strerror (errno));
              return FALSE;
            }
          g_usleep (50 * 1000);
        }
      g_debug ("connected to vpcd at %s:%u", options->host, options->port);
      sv_vsim_card_reset (card);
      ok = serve (fd, card, options, &n_apdus, &pulled, error);
      close (fd);
      if (!ok)
        return FALSE;
      if (pulled || options->once)
        return TRUE;
      log_event (options->apdu_log, "vpcd hung up, reconnecting");
    }
}
