/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-card"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "sv-card-error.h"

G_DEFINE_QUARK (sv-card-error-quark, sv_card_error)
G_DEFINE_QUARK (sv-pcsc-error-quark, sv_pcsc_error)

typedef struct
{
  guint16            sw;
  guint16            mask;
  SvStatusWordClass  klass;
  SvCardError        code;
  const char        *description;
  const char        *spec;
} SvStatusWordRow;

/* First match wins, so specific rows come before masked ones. 61xx, 9Fxx
 * and 6Cxx never reach this table: the session answers them with GET
 * RESPONSE or a repeated command with the right Le. */
static const SvStatusWordRow status_words[] = {
  { 0x9000, 0xFFFF, SV_STATUS_SUCCESS, 0, N_("normal ending"), "TS 102.221 §10.2.1.1" },
  { 0x9100, 0xFF00, SV_STATUS_SUCCESS, 0, N_("normal ending, proactive command pending"), "TS 102.221 §10.2.1.1" },
  { 0x9200, 0xFFF0, SV_STATUS_SUCCESS, 0, N_("command successful after internal retries"), "TS 51.011 §9.4.2" },
  { 0x9240, 0xFFFF, SV_STATUS_FAILURE, SV_CARD_ERROR_MEMORY, N_("memory problem"), "TS 51.011 §9.4.2" },
  { 0x9300, 0xFFFF, SV_STATUS_FAILURE, SV_CARD_ERROR_BUSY, N_("SIM Application Toolkit is busy"), "TS 102.221 §10.2.1.2" },
  { 0x9400, 0xFFFF, SV_STATUS_FAILURE, SV_CARD_ERROR_NO_FILE_SELECTED, N_("no EF selected"), "TS 51.011 §9.4.3" },
  { 0x9402, 0xFFFF, SV_STATUS_FAILURE, SV_CARD_ERROR_OUT_OF_RANGE, N_("out of range (invalid address)"), "TS 51.011 §9.4.3" },
  { 0x9404, 0xFFFF, SV_STATUS_FAILURE, SV_CARD_ERROR_FILE_NOT_FOUND, N_("file ID or pattern not found"), "TS 51.011 §9.4.3" },
  { 0x9408, 0xFFFF, SV_STATUS_FAILURE, SV_CARD_ERROR_FILE_INCONSISTENT, N_("file is inconsistent with the command"), "TS 51.011 §9.4.3" },
  { 0x9802, 0xFFFF, SV_STATUS_FAILURE, SV_CARD_ERROR_PIN_REFUSED, N_("no CHV initialised"), "TS 51.011 §9.4.4" },
  { 0x9804, 0xFFFF, SV_STATUS_FAILURE, SV_CARD_ERROR_SECURITY_NOT_SATISFIED, N_("access condition not fulfilled, or wrong CHV"), "TS 51.011 §9.4.4" },
  { 0x9808, 0xFFFF, SV_STATUS_FAILURE, SV_CARD_ERROR_CONDITIONS_NOT_SATISFIED, N_("in contradiction with CHV status"), "TS 51.011 §9.4.4" },
  { 0x9810, 0xFFFF, SV_STATUS_FAILURE, SV_CARD_ERROR_FILE_INVALIDATED, N_("in contradiction with invalidation status"), "TS 51.011 §9.4.4" },
  { 0x9840, 0xFFFF, SV_STATUS_FAILURE, SV_CARD_ERROR_PIN_BLOCKED, N_("CHV blocked or UNBLOCK CHV blocked"), "TS 51.011 §9.4.4" },
  { 0x9850, 0xFFFF, SV_STATUS_FAILURE, SV_CARD_ERROR_MEMORY, N_("increase cannot be performed, maximum value reached"), "TS 51.011 §9.4.4" },
  { 0x6200, 0xFFFF, SV_STATUS_WARNING, 0, N_("no information given, state of non-volatile memory unchanged"), "TS 102.221 §10.2.1.3" },
  { 0x6281, 0xFFFF, SV_STATUS_WARNING, 0, N_("part of returned data may be corrupted"), "TS 102.221 §10.2.1.3" },
  { 0x6282, 0xFFFF, SV_STATUS_WARNING, 0, N_("end of file or record reached before reading Le bytes"), "TS 102.221 §10.2.1.3" },
  { 0x6283, 0xFFFF, SV_STATUS_FAILURE, SV_CARD_ERROR_FILE_INVALIDATED, N_("selected file invalidated"), "TS 102.221 §10.2.1.3" },
  { 0x6285, 0xFFFF, SV_STATUS_FAILURE, SV_CARD_ERROR_FILE_INVALIDATED, N_("selected file in termination state"), "TS 102.221 §10.2.1.3" },
  { 0x62F1, 0xFFFF, SV_STATUS_WARNING, 0, N_("more data available"), "TS 102.221 §10.2.1.3" },
  { 0x63C0, 0xFFF0, SV_STATUS_FAILURE, SV_CARD_ERROR_PIN_WRONG, N_("verification failed"), "TS 102.221 §10.2.1.3" },
  { 0x6400, 0xFFFF, SV_STATUS_FAILURE, SV_CARD_ERROR_TECHNICAL, N_("execution error, state of non-volatile memory unchanged"), "TS 102.221 §10.2.1.4" },
  { 0x6500, 0xFFFF, SV_STATUS_FAILURE, SV_CARD_ERROR_MEMORY, N_("execution error, state of non-volatile memory changed"), "TS 102.221 §10.2.1.4" },
  { 0x6581, 0xFFFF, SV_STATUS_FAILURE, SV_CARD_ERROR_MEMORY, N_("memory problem"), "TS 102.221 §10.2.1.4" },
  { 0x6700, 0xFF00, SV_STATUS_FAILURE, SV_CARD_ERROR_WRONG_LENGTH, N_("wrong length"), "TS 102.221 §10.2.1.5 / TS 51.011 §9.4.6" },
  { 0x6881, 0xFFFF, SV_STATUS_FAILURE, SV_CARD_ERROR_CLA_NOT_SUPPORTED, N_("logical channel not supported"), "TS 102.221 §10.2.1.5" },
  { 0x6882, 0xFFFF, SV_STATUS_FAILURE, SV_CARD_ERROR_CLA_NOT_SUPPORTED, N_("secure messaging not supported"), "TS 102.221 §10.2.1.5" },
  { 0x6800, 0xFF00, SV_STATUS_FAILURE, SV_CARD_ERROR_CLA_NOT_SUPPORTED, N_("function in CLA not supported"), "TS 102.221 §10.2.1.5" },
  { 0x6981, 0xFFFF, SV_STATUS_FAILURE, SV_CARD_ERROR_FILE_INCONSISTENT, N_("command incompatible with file structure"), "TS 102.221 §10.2.1.5" },
  { 0x6982, 0xFFFF, SV_STATUS_FAILURE, SV_CARD_ERROR_SECURITY_NOT_SATISFIED, N_("security status not satisfied (PIN needed)"), "TS 102.221 §10.2.1.5" },
  { 0x6983, 0xFFFF, SV_STATUS_FAILURE, SV_CARD_ERROR_PIN_BLOCKED, N_("authentication/PIN method blocked"), "TS 102.221 §10.2.1.5" },
  { 0x6984, 0xFFFF, SV_STATUS_FAILURE, SV_CARD_ERROR_FILE_INVALIDATED, N_("referenced data invalidated"), "TS 102.221 §10.2.1.5" },
  { 0x6985, 0xFFFF, SV_STATUS_FAILURE, SV_CARD_ERROR_CONDITIONS_NOT_SATISFIED, N_("conditions of use not satisfied"), "TS 102.221 §10.2.1.5" },
  { 0x6986, 0xFFFF, SV_STATUS_FAILURE, SV_CARD_ERROR_NO_FILE_SELECTED, N_("command not allowed (no EF selected)"), "TS 102.221 §10.2.1.5" },
  { 0x6900, 0xFF00, SV_STATUS_FAILURE, SV_CARD_ERROR_CONDITIONS_NOT_SATISFIED, N_("command not allowed"), "ISO 7816-4 §5.1.3" },
  { 0x6A80, 0xFFFF, SV_STATUS_FAILURE, SV_CARD_ERROR_WRONG_PARAMETERS, N_("incorrect parameters in the data field"), "TS 102.221 §10.2.1.5" },
  { 0x6A81, 0xFFFF, SV_STATUS_FAILURE, SV_CARD_ERROR_UNSUPPORTED, N_("function not supported"), "TS 102.221 §10.2.1.5" },
  { 0x6A82, 0xFFFF, SV_STATUS_FAILURE, SV_CARD_ERROR_FILE_NOT_FOUND, N_("file or application not found"), "TS 102.221 §10.2.1.5" },
  { 0x6A83, 0xFFFF, SV_STATUS_FAILURE, SV_CARD_ERROR_RECORD_NOT_FOUND, N_("record not found"), "TS 102.221 §10.2.1.5" },
  { 0x6A84, 0xFFFF, SV_STATUS_FAILURE, SV_CARD_ERROR_MEMORY, N_("not enough memory space"), "TS 102.221 §10.2.1.5" },
  { 0x6A86, 0xFFFF, SV_STATUS_FAILURE, SV_CARD_ERROR_WRONG_PARAMETERS, N_("incorrect parameters P1 to P2"), "TS 102.221 §10.2.1.5" },
  { 0x6A87, 0xFFFF, SV_STATUS_FAILURE, SV_CARD_ERROR_WRONG_LENGTH, N_("Lc inconsistent with P1 to P2"), "TS 102.221 §10.2.1.5" },
  { 0x6A88, 0xFFFF, SV_STATUS_FAILURE, SV_CARD_ERROR_FILE_NOT_FOUND, N_("referenced data not found"), "TS 102.221 §10.2.1.5" },
  { 0x6A00, 0xFF00, SV_STATUS_FAILURE, SV_CARD_ERROR_WRONG_PARAMETERS, N_("wrong parameters"), "ISO 7816-4 §5.1.3" },
  { 0x6B00, 0xFF00, SV_STATUS_FAILURE, SV_CARD_ERROR_WRONG_PARAMETERS, N_("incorrect parameter P1 or P2 (offset or record outside the file)"), "TS 102.221 §10.2.1.5 / TS 51.011 §9.4.6" },
  { 0x6D00, 0xFF00, SV_STATUS_FAILURE, SV_CARD_ERROR_INS_NOT_SUPPORTED, N_("instruction code not supported"), "TS 102.221 §10.2.1.5 / TS 51.011 §9.4.6" },
  { 0x6E00, 0xFF00, SV_STATUS_FAILURE, SV_CARD_ERROR_CLA_NOT_SUPPORTED, N_("class not supported"), "TS 102.221 §10.2.1.5 / TS 51.011 §9.4.6" },
  { 0x6F00, 0xFF00, SV_STATUS_FAILURE, SV_CARD_ERROR_TECHNICAL, N_("technical problem, no precise diagnosis"), "TS 102.221 §10.2.1.5 / TS 51.011 §9.4.6" },
};

/**
 * sv_status_word_classify:
 * @sw: SW1 << 8 | SW2
 * @code: (out) (optional): the error code of a failure
 * @description: (out) (optional): what the spec says the word means
 * @spec: (out) (optional): the spec section
 *
 * Looks @sw up in the status-word table. Unknown words are failures with
 * %SV_CARD_ERROR_UNKNOWN_STATUS.
 */
SvStatusWordClass
sv_status_word_classify (guint16      sw,
                         SvCardError *code,
                         const char **description,
                         const char **spec)
{
  for (guint i = 0; i < G_N_ELEMENTS (status_words); i++)
    {
      const SvStatusWordRow *row = &status_words[i];

      if ((sw & row->mask) == row->sw)
        {
          if (code)
            *code = row->code;
          if (description)
            *description = row->description;
          if (spec)
            *spec = row->spec;
          return row->klass;
        }
    }

  if (code)
    *code = SV_CARD_ERROR_UNKNOWN_STATUS;
  if (description)
    *description = N_("status word not defined by the specifications");
  if (spec)
    *spec = "ISO 7816-4 §5.1.3";
  return SV_STATUS_FAILURE;
}

/**
 * sv_status_word_check:
 * @sw: the status word
 * @reader_name: the reader, for the message
 * @operation: what was attempted ("READ RECORD 3 of 3F007F106F3A")
 * @error: return location
 *
 * Returns: %TRUE for success and warnings, %FALSE with @error set for a
 * failure; the message names the reader, the operation and the word.
 */
gboolean
sv_status_word_check (guint16      sw,
                      const char  *reader_name,
                      const char  *operation,
                      GError     **error)
{
  SvCardError code = 0;
  const char *description = NULL;
  const char *spec = NULL;

  if (sv_status_word_classify (sw, &code, &description, &spec) != SV_STATUS_FAILURE)
    return TRUE;

  if (code == SV_CARD_ERROR_PIN_WRONG)
    g_set_error (error, SV_CARD_ERROR, code,
                 g_dngettext (GETTEXT_PACKAGE,
                              "%s: %s: wrong PIN, %u try left (SW %04X, %s)",
                              "%s: %s: wrong PIN, %u tries left (SW %04X, %s)",
                              sw & 0x0F),
                 reader_name, operation, sw & 0x0F, sw, spec);
  else
    g_set_error (error, SV_CARD_ERROR, code, _("%s: %s: %s (SW %04X, %s)"),
                 reader_name, operation, _(description), sw, spec);
  return FALSE;
}

/**
 * sv_status_word_pin_retries:
 *
 * Returns: the tries left carried by a 63Cx word, or G_MAXUINT when @sw
 * does not carry a counter.
 */
guint
sv_status_word_pin_retries (guint16 sw)
{
  if ((sw & 0xFFF0) == 0x63C0)
    return sw & 0x0F;
  return G_MAXUINT;
}
