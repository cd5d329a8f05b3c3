/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * PIN handling (TS 102.221 §11.1.9-13, TS 51.011 §9.2.9-13). Rules:
 *  - the retry counters are read before a code is sent;
 *  - a code is sent once per call, never again on failure;
 *  - with one try left nothing is sent unless the caller confirms;
 *  - codes are never logged and are wiped from memory after use (the
 *    caller's buffer included: every function here takes ownership of the
 *    bytes of the string it is given and overwrites them).
 */
#define G_LOG_DOMAIN "sv-card"

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "sv-card-error.h"
#include "sv-file-info.h"
#include "sv-pin.h"

#define INS_VERIFY        0x20
#define INS_CHANGE        0x24
#define INS_DISABLE       0x26
#define INS_ENABLE        0x28
#define INS_UNBLOCK       0x2C

/**
 * sv_pin_wipe:
 *
 * Overwrites a NUL-terminated secret in a way the compiler keeps.
 */
void
sv_pin_wipe (char *secret)
{
  if (secret != NULL)
    explicit_bzero (secret, strlen (secret));
}

static guint8
key_reference (SvCardSession *session,
               SvPinKind      kind)
{
  if (sv_card_session_get_cla (session) == 0xA0)
    return kind == SV_PIN_1 ? 0x01 : 0x02;       /* TS 51.011 §9.2.9 CHV1/CHV2 */
  return kind == SV_PIN_1 ? 0x01 : 0x81;         /* TS 102.221 §9.5.1 */
}

/* The key reference the PIN commands go to: the one whose counters
 * sv_pin_get_status() read (the universal PIN's when the card uses it). */
static guint8
status_key (SvCardSession     *session,
            SvPinKind          kind,
            const SvPinStatus *status)
{
  return status->key_reference != 0 ? status->key_reference : key_reference (session, kind);
}

/* TS 102.221 §9.5.1 / TS 51.011 §9.3: 4-8 digits, padded with FF to 8. */
static gboolean
encode_pin (const char  *pin,
            guint8       out[8],
            const char  *what,
            GError     **error)
{
  gsize len = pin ? strlen (pin) : 0;
  gsize min = g_str_equal (what, "PUK") ? 8 : 4;

  if (len < min || len > 8)
    {
      g_set_error (error, SV_CARD_ERROR, SV_CARD_ERROR_WRONG_PARAMETERS,
                   /* TRANSLATORS: %s is “PIN” or “PUK” */
                   min == 8 ? _("A %s has exactly %zu to 8 digits") : _("A %s has %zu to 8 digits"),
                   what, min);
      return FALSE;
    }
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isdigit (pin[i]))
      {
        g_set_error (error, SV_CARD_ERROR, SV_CARD_ERROR_WRONG_PARAMETERS,
                     _("A %s has only digits"), what);
        return FALSE;
      }
  memset (out, 0xFF, 8);
  memcpy (out, pin, len);
  return TRUE;
}

static gboolean
get_status_gsm (SvCardSession  *session,
                SvPinKind       kind,
                SvPinStatus    *status,
                GError        **error)
{
  g_autoptr(GBytes) response = NULL;
  const guint8 *d;
  gsize len;
  guint8 chv, unblock;

  /* TS 51.011 §9.2.1: the DF response carries the CHV status bytes. */
  response = sv_card_session_select_df_status (session, "3F00", error);
  if (response == NULL)
    return FALSE;
  d = g_bytes_get_data (response, &len);
  if (len < 22)
    {
      g_set_error (error, SV_CARD_ERROR, SV_CARD_ERROR_MALFORMED_RESPONSE,
                   _("%s: the MF status has %zu bytes, the CHV status needs 22"),
                   sv_card_session_get_reader_name (session), len);
      return FALSE;
    }
  chv = kind == SV_PIN_1 ? d[18] : d[20];
  unblock = kind == SV_PIN_1 ? d[19] : d[21];
  status->pin_retries = chv & 0x0F;
  status->puk_retries = unblock & 0x0F;
  /* Byte 14 b8: CHV1 disabled. CHV2 cannot be disabled. */
  status->enabled = kind == SV_PIN_1 ? (d[13] & 0x80) == 0 : TRUE;
  status->blocked = status->pin_retries == 0;
  status->verified = !status->enabled;

  /* 2G has no "is CHV1 verified" query: a READ BINARY of EF_IMSI (access
   * CHV1, TS 51.011 §10.3.2) answers 9804 until it is. */
  if (status->enabled && !status->blocked && kind == SV_PIN_1)
    {
      g_autoptr(GError) local_error = NULL;
      g_autoptr(GBytes) probe = NULL;

      if (sv_card_session_select (session, "3F007F206F07", NULL, &local_error))
        probe = sv_card_session_read_binary (session, 0, 1, &local_error);
      if (probe != NULL)
        status->verified = TRUE;
      else if (!g_error_matches (local_error, SV_CARD_ERROR, SV_CARD_ERROR_SECURITY_NOT_SATISFIED) &&
               !g_error_matches (local_error, SV_CARD_ERROR, SV_CARD_ERROR_FILE_NOT_FOUND))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
    }
  return TRUE;
}

/**
 * sv_pin_template_uses_universal_pin:
 * @fcp: a SELECT answer: the FCP template (tag 62) of an ADF or the MF
 * @len: its length
 *
 * Reads the PIN status template DO (tag C6, TS 102.221 §9.5.2 and
 * §11.1.1.4.10): a PS_DO (tag 90) whose bits, from b8 of the first byte
 * on, say which of the key references (tag 83) that follow are enabled,
 * each key reference optionally preceded by a usage qualifier (tag 95).
 * The universal PIN (key reference 11) replaces the application PIN when
 * its usage qualifier is 08 ("use the universal PIN"), or, without a
 * usage qualifier, when it is enabled and the application PIN (01) is
 * not.
 *
 * Returns: %TRUE if the universal PIN is used instead of the application
 *   PIN; %FALSE otherwise or when @fcp holds no readable template
 */
gboolean
sv_pin_template_uses_universal_pin (const guint8 *fcp,
                                    gsize         len)
{
  const guint8 *body, *c6 = NULL, *ps = NULL, *v;
  gsize body_len, c6_len = 0, ps_len = 0, pos = 0, vlen;
  guint8 tag, uq = 0xFF;
  gboolean have_uq = FALSE, universal_listed = FALSE, universal_enabled = FALSE;
  gboolean app_enabled = FALSE, universal_uq08 = FALSE, universal_has_uq = FALSE;
  guint bit = 0;

  if (fcp == NULL || !sv_ber_tlv_next (fcp, len, &pos, &tag, &body, &body_len, NULL) || tag != 0x62)
    return FALSE;
  pos = 0;
  while (pos < body_len && sv_ber_tlv_next (body, body_len, &pos, &tag, &v, &vlen, NULL))
    if (tag == 0xC6)
      {
        c6 = v;
        c6_len = vlen;
      }
  if (c6 == NULL)
    return FALSE;

  pos = 0;
  while (pos < c6_len && sv_ber_tlv_next (c6, c6_len, &pos, &tag, &v, &vlen, NULL))
    {
      switch (tag)
        {
        case 0x90:                              /* PS_DO */
          ps = v;
          ps_len = vlen;
          break;
        case 0x95:                              /* usage qualifier */
          if (vlen == 1)
            {
              uq = v[0];
              have_uq = TRUE;
            }
          break;
        case 0x83:                              /* key reference */
          if (vlen == 1)
            {
              gboolean enabled = ps != NULL && bit / 8 < ps_len && (ps[bit / 8] & (0x80 >> (bit % 8))) != 0;

              if (v[0] == 0x11)
                {
                  universal_listed = TRUE;
                  universal_enabled = enabled;
                  universal_has_uq = have_uq;
                  universal_uq08 = have_uq && uq == 0x08;
                }
              else if (v[0] == 0x01)
                app_enabled = enabled;
            }
          bit++;
          have_uq = FALSE;
          break;
        default:
          break;
        }
    }

  if (!universal_listed)
    return FALSE;
  if (universal_has_uq)
    return universal_uq08;
  return universal_enabled && !app_enabled;
}

/* TS 102.221 §11.1.9: VERIFY PIN without data answers 63Cx (tries left),
 * 6983 (blocked) or 9000 (no verification needed); UNBLOCK PIN without
 * data gives the PUK's counter the same way. */
static gboolean
read_counters_uicc (SvCardSession  *session,
                    guint8          key,
                    SvPinStatus    *status,
                    guint16        *verify_sw,
                    GError        **error)
{
  const guint8 verify[4] = { 0x00, INS_VERIFY, 0x00, key };
  guint16 sw = 0;

  if (!sv_card_session_transmit (session, verify, NULL, 0, -1, NULL, &sw, error))
    return FALSE;
  *verify_sw = sw;
  status->key_reference = key;
  status->enabled = FALSE;
  status->verified = FALSE;
  status->blocked = FALSE;
  if (sw == 0x9000)
    {
      status->enabled = FALSE;      /* or already verified */
      status->verified = TRUE;
      status->pin_retries = G_MAXUINT;
    }
  else if ((sw & 0xFFF0) == 0x63C0)
    {
      status->enabled = TRUE;
      status->pin_retries = sw & 0x0F;
      status->blocked = status->pin_retries == 0;
    }
  else if (sw == 0x6983)
    {
      status->enabled = TRUE;
      status->blocked = TRUE;
      status->pin_retries = 0;
    }
  else if (!sv_status_word_check (sw, sv_card_session_get_reader_name (session),
                                  "VERIFY PIN (retry counter)", error))
    return FALSE;
  return TRUE;
}

static gboolean
get_status_uicc (SvCardSession  *session,
                 SvPinKind       kind,
                 SvPinStatus    *status,
                 GError        **error)
{
  guint8 key = key_reference (session, kind);
  guint8 unblock[4] = { 0x00, INS_UNBLOCK, 0x00, key };
  guint16 sw = 0;

  if (!read_counters_uicc (session, key, status, &sw, error))
    return FALSE;

  /* An application PIN that asks for nothing may be replaced by the
   * universal PIN (TS 102.221 §9.5.1): the PIN status template of the
   * application (else of the MF) says so. Then the counters, and every
   * PIN command, are those of key reference 11. Only here, so a card that
   * asks for PIN1 costs no extra APDU. */
  if (sw == 0x9000 && kind == SV_PIN_1)
    {
      g_autoptr(GError) local_error = NULL;
      g_autoptr(GBytes) fcp = NULL;

      /* the ADF's FCP: the application activated by AID first (TS
       * 102.221 §8.4.1: 7FFF names the active application), else the MF's */
      if (sv_card_session_get_usim_aid (session) == NULL)
        fcp = sv_card_session_select_df_status (session, "3F00", &local_error);
      else if (sv_card_session_select (session, "7FFF", NULL, &local_error))
        fcp = sv_card_session_select_df_status (session, "7FFF", &local_error);
      if (fcp == NULL)
        g_debug ("%s: no PIN status template: %s",
                 sv_card_session_get_reader_name (session), local_error->message);
      else if (sv_pin_template_uses_universal_pin (g_bytes_get_data (fcp, NULL), g_bytes_get_size (fcp)))
        {
          status->universal = TRUE;
          key = 0x11;
          unblock[3] = key;
          if (!read_counters_uicc (session, key, status, &sw, error))
            return FALSE;
        }
    }

  if (!sv_card_session_transmit (session, unblock, NULL, 0, -1, NULL, &sw, error))
    return FALSE;
  status->puk_retries = (sw & 0xFFF0) == 0x63C0 ? (sw & 0x0Fu) : sw == 0x6983 ? 0 : G_MAXUINT;
  return TRUE;
}

/**
 * sv_pin_get_status:
 *
 * Reads the retry counters without spending a try: 2G from the MF status,
 * UICC with VERIFY/UNBLOCK without data.
 */
gboolean
sv_pin_get_status (SvCardSession  *session,
                   SvPinKind       kind,
                   SvPinStatus    *status,
                   GError        **error)
{
  gboolean ok;

  memset (status, 0, sizeof *status);
  status->pin_retries = G_MAXUINT;
  status->puk_retries = G_MAXUINT;
  /* The status comes from a SELECT: hold the card (a PC/SC transaction). */
  if (!sv_card_session_begin (session, error))
    return FALSE;
  if (sv_card_session_get_cla (session) == 0xA0)
    ok = get_status_gsm (session, kind, status, error);
  else
    ok = get_status_uicc (session, kind, status, error);
  sv_card_session_end (session);
  return ok;
}

static gboolean
check_tries (SvCardSession  *session,
             guint           tries,
             const char     *what,
             SvPinFlags      flags,
             GError        **error)
{
  if (tries == 0)
    {
      g_set_error (error, SV_CARD_ERROR, SV_CARD_ERROR_PIN_BLOCKED,
                   _("%s: the %s is blocked"), sv_card_session_get_reader_name (session), what);
      return FALSE;
    }
  if (tries == 1 && !(flags & SV_PIN_CONFIRM_LAST_TRY))
    {
      g_set_error (error, SV_CARD_ERROR, SV_CARD_ERROR_PIN_REFUSED,
                   _("%s: only one %s try is left; not sent without confirmation"),
                   sv_card_session_get_reader_name (session), what);
      return FALSE;
    }
  return TRUE;
}

/* Sends one PIN command; the buffer is wiped whatever happens. */
static gboolean
send_pin_command (SvCardSession  *session,
                  const char     *operation,
                  guint8          ins,
                  guint8          p1,
                  guint8          p2,
                  guint8         *data,
                  gsize           len,
                  GError        **error)
{
  guint16 sw = 0;
  gboolean ok;

  ok = sv_card_session_command (session, operation, ins, p1, p2, data, len, -1, NULL, &sw, error);
  explicit_bzero (data, len);
  return ok;
}

gboolean
sv_pin_verify (SvCardSession  *session,
               SvPinKind       kind,
               char           *pin,
               SvPinFlags      flags,
               GError        **error)
{
  SvPinStatus status;
  guint8 data[8];
  gboolean ok = FALSE;
  gboolean held = FALSE;

  /* Status, then the command against it: one transaction. */
  if (!sv_card_session_begin (session, error))
    goto out;
  held = TRUE;

  if (!sv_pin_get_status (session, kind, &status, error))
    goto out;
  if (status.verified)
    {
      ok = TRUE;
      goto out;
    }
  if (!check_tries (session, status.pin_retries, "PIN", flags, error))
    goto out;
  if (!encode_pin (pin, data, "PIN", error))
    goto out;
  sv_pin_wipe (pin);
  ok = send_pin_command (session, "VERIFY PIN", INS_VERIFY, 0x00,
                         status_key (session, kind, &status), data, 8, error);
  /* TS 51.011 §9.4.4: a wrong CHV answers 98 04, which carries no
   * counter (UICC's 63 Cx does); the MF status has it, without a try. */
  if (!ok && error != NULL && sv_card_session_get_cla (session) == 0xA0 &&
      g_error_matches (*error, SV_CARD_ERROR, SV_CARD_ERROR_SECURITY_NOT_SATISFIED))
    {
      SvPinStatus after;

      if (sv_pin_get_status (session, kind, &after, NULL) && after.pin_retries != G_MAXUINT)
        {
          g_clear_error (error);
          if (after.pin_retries == 0)
            g_set_error (error, SV_CARD_ERROR, SV_CARD_ERROR_PIN_BLOCKED,
                         _("%s: wrong PIN; it is now blocked: unblock it with the PUK (%u tries left)"),
                         sv_card_session_get_reader_name (session), after.puk_retries);
          else
            g_set_error (error, SV_CARD_ERROR, SV_CARD_ERROR_PIN_WRONG,
                         g_dngettext (GETTEXT_PACKAGE, "%s: wrong PIN, %u try left",
                                      "%s: wrong PIN, %u tries left", after.pin_retries),
                         sv_card_session_get_reader_name (session), after.pin_retries);
        }
    }
out:
  if (held)
    sv_card_session_end (session);
  sv_pin_wipe (pin);
  explicit_bzero (data, sizeof data);
  return ok;
}

gboolean
sv_pin_change (SvCardSession  *session,
               SvPinKind       kind,
               char           *old_pin,
               char           *new_pin,
               SvPinFlags      flags,
               GError        **error)
{
  SvPinStatus status;
  guint8 data[16];
  gboolean ok = FALSE;
  gboolean held = FALSE;

  /* Status, then the command against it: one transaction. */
  if (!sv_card_session_begin (session, error))
    goto out;
  held = TRUE;

  if (!sv_pin_get_status (session, kind, &status, error) ||
      !check_tries (session, status.pin_retries, "PIN", flags, error) ||
      !encode_pin (old_pin, data, "PIN", error) ||
      !encode_pin (new_pin, data + 8, "PIN", error))
    goto out;
  ok = send_pin_command (session, "CHANGE PIN", INS_CHANGE, 0x00,
                         status_key (session, kind, &status), data, 16, error);
out:
  if (held)
    sv_card_session_end (session);
  sv_pin_wipe (old_pin);
  sv_pin_wipe (new_pin);
  explicit_bzero (data, sizeof data);
  return ok;
}

gboolean
sv_pin_unblock (SvCardSession  *session,
                SvPinKind       kind,
                char           *puk,
                char           *new_pin,
                SvPinFlags      flags,
                GError        **error)
{
  SvPinStatus status;
  guint8 data[16];
  gboolean ok = FALSE;
  guint8 p2;
  gboolean held = FALSE;

  /* Status, then the command against it: one transaction. */
  if (!sv_card_session_begin (session, error))
    goto out;
  held = TRUE;

  if (!sv_pin_get_status (session, kind, &status, error) ||
      !check_tries (session, status.puk_retries, "PUK", flags, error) ||
      !encode_pin (puk, data, "PUK", error) ||
      !encode_pin (new_pin, data + 8, "PIN", error))
    goto out;
  p2 = status_key (session, kind, &status);
  /* TS 51.011 §9.2.13: UNBLOCK CHV uses P2 = 00 for CHV1. */
  if (sv_card_session_get_cla (session) == 0xA0 && kind == SV_PIN_1)
    p2 = 0x00;
  ok = send_pin_command (session, "UNBLOCK PIN", INS_UNBLOCK, 0x00, p2, data, 16, error);
out:
  if (held)
    sv_card_session_end (session);
  sv_pin_wipe (puk);
  sv_pin_wipe (new_pin);
  explicit_bzero (data, sizeof data);
  return ok;
}

static gboolean
enable_disable (SvCardSession  *session,
                SvPinKind       kind,
                char           *pin,
                SvPinFlags      flags,
                guint8          ins,
                const char     *operation,
                GError        **error)
{
  SvPinStatus status;
  guint8 data[8];
  gboolean ok = FALSE;
  gboolean held = FALSE;

  /* Status, then the command against it: one transaction. */
  if (!sv_card_session_begin (session, error))
    goto out;
  held = TRUE;

  if (kind != SV_PIN_1)
    {
      g_set_error (error, SV_CARD_ERROR, SV_CARD_ERROR_UNSUPPORTED,
                   _("Only PIN1 can be enabled or disabled"));
      goto out;
    }
  if (!sv_pin_get_status (session, kind, &status, error) ||
      !check_tries (session, status.pin_retries, "PIN", flags, error) ||
      !encode_pin (pin, data, "PIN", error))
    goto out;
  ok = send_pin_command (session, operation, ins, 0x00,
                         status_key (session, kind, &status), data, 8, error);
out:
  if (held)
    sv_card_session_end (session);
  sv_pin_wipe (pin);
  explicit_bzero (data, sizeof data);
  return ok;
}

gboolean
sv_pin_enable (SvCardSession  *session,
               SvPinKind       kind,
               char           *pin,
               SvPinFlags      flags,
               GError        **error)
{
  return enable_disable (session, kind, pin, flags, INS_ENABLE, "ENABLE PIN", error);
}

gboolean
sv_pin_disable (SvCardSession  *session,
                SvPinKind       kind,
                char           *pin,
                SvPinFlags      flags,
                GError        **error)
{
  return enable_disable (session, kind, pin, flags, INS_DISABLE, "DISABLE PIN", error);
}

typedef struct
{
  SvCardSession *session;
  SvPinKind      kind;
  SvPinFlags     flags;
  char          *pin;          /* a private copy, wiped when freed */
  SvPinStatus    status;
} PinTaskData;

static void
pin_task_data_free (PinTaskData *data)
{
  if (data->pin)
    {
      sv_pin_wipe (data->pin);
      g_free (data->pin);
    }
  g_free (data);
}

static void
get_status_thread (GTask        *task,
                   gpointer      source_object,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  PinTaskData *data = task_data;
  GError *error = NULL;

  if (sv_pin_get_status (data->session, data->kind, &data->status, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

/**
 * sv_pin_get_status_async:
 *
 * sv_pin_get_status() in a worker thread; @session belongs to the worker
 * until the callback runs.
 */
void
sv_pin_get_status_async (SvCardSession       *session,
                         SvPinKind            kind,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  PinTaskData *data = g_new0 (PinTaskData, 1);

  data->session = session;
  data->kind = kind;
  g_task_set_source_tag (task, sv_pin_get_status_async);
  g_task_set_task_data (task, data, (GDestroyNotify) pin_task_data_free);
  g_task_run_in_thread (task, get_status_thread);
}

gboolean
sv_pin_get_status_finish (GAsyncResult  *result,
                          SvPinStatus   *status,
                          GError       **error)
{
  PinTaskData *data = g_task_get_task_data (G_TASK (result));

  if (status)
    *status = data->status;
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
verify_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  PinTaskData *data = task_data;
  GError *error = NULL;

  if (sv_pin_verify (data->session, data->kind, data->pin, data->flags, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

/**
 * sv_pin_verify_async:
 * @pin: wiped before this returns; the worker uses a private copy that is
 *   wiped too
 *
 * sv_pin_verify() in a worker thread.
 */
void
sv_pin_verify_async (SvCardSession       *session,
                     SvPinKind            kind,
                     char                *pin,
                     SvPinFlags           flags,
                     GCancellable        *cancellable,
                     GAsyncReadyCallback  callback,
                     gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  PinTaskData *data = g_new0 (PinTaskData, 1);

  data->session = session;
  data->kind = kind;
  data->flags = flags;
  data->pin = g_strdup (pin);
  sv_pin_wipe (pin);
  g_task_set_source_tag (task, sv_pin_verify_async);
  g_task_set_task_data (task, data, (GDestroyNotify) pin_task_data_free);
  g_task_run_in_thread (task, verify_thread);
}

gboolean
sv_pin_verify_finish (GAsyncResult  *result,
                      GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}
