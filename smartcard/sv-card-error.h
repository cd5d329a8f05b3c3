/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * SV_CARD_ERROR:
 *
 * Error domain for what the card answered: every status word other than
 * success maps to one of these codes through a table with the spec
 * section beside each row (TS 102.221 §10.2, TS 51.011 §9.4, ISO 7816-4
 * §5.1.3). Messages name the reader and the operation.
 */
#define SV_CARD_ERROR (sv_card_error_quark ())

/**
 * SV_PCSC_ERROR:
 *
 * Error domain for the PC/SC stack (pcscd, the reader driver, the reader)
 * and for a card that vanished mid-exchange.
 */
#define SV_PCSC_ERROR (sv_pcsc_error_quark ())

typedef enum
{
  SV_CARD_ERROR_FILE_NOT_FOUND,
  SV_CARD_ERROR_RECORD_NOT_FOUND,
  SV_CARD_ERROR_OUT_OF_RANGE,
  SV_CARD_ERROR_NO_FILE_SELECTED,
  SV_CARD_ERROR_FILE_INCONSISTENT,
  SV_CARD_ERROR_FILE_INVALIDATED,
  SV_CARD_ERROR_SECURITY_NOT_SATISFIED,
  SV_CARD_ERROR_PIN_WRONG,
  SV_CARD_ERROR_PIN_BLOCKED,
  SV_CARD_ERROR_PIN_REFUSED,
  SV_CARD_ERROR_CONDITIONS_NOT_SATISFIED,
  SV_CARD_ERROR_MEMORY,
  SV_CARD_ERROR_WRONG_LENGTH,
  SV_CARD_ERROR_WRONG_PARAMETERS,
  SV_CARD_ERROR_INS_NOT_SUPPORTED,
  SV_CARD_ERROR_CLA_NOT_SUPPORTED,
  SV_CARD_ERROR_TECHNICAL,
  SV_CARD_ERROR_BUSY,
  SV_CARD_ERROR_MALFORMED_RESPONSE,
  SV_CARD_ERROR_UNKNOWN_STATUS,
  SV_CARD_ERROR_VERIFY_MISMATCH,
  SV_CARD_ERROR_CONFLICT,
  SV_CARD_ERROR_WRONG_CARD,
  SV_CARD_ERROR_UNSUPPORTED,
} SvCardError;

typedef enum
{
  SV_PCSC_ERROR_NO_SERVICE,         /* pcscd not running or restarting */
  SV_PCSC_ERROR_NO_READERS,
  SV_PCSC_ERROR_UNKNOWN_READER,
  SV_PCSC_ERROR_NO_CARD,
  SV_PCSC_ERROR_CARD_REMOVED,
  SV_PCSC_ERROR_CARD_RESET,
  SV_PCSC_ERROR_SHARING_VIOLATION,
  SV_PCSC_ERROR_CANCELLED,
  SV_PCSC_ERROR_TIMEOUT,
  SV_PCSC_ERROR_UNRESPONSIVE_CARD,
  SV_PCSC_ERROR_COMMUNICATION,
  SV_PCSC_ERROR_FAILED,
} SvPcscError;

/**
 * SvStatusWordClass:
 *
 * What a status word means to the exchange logic, before it becomes an
 * error: success, a warning with data, or a failure with an #SvCardError.
 */
typedef enum
{
  SV_STATUS_SUCCESS,
  SV_STATUS_WARNING,
  SV_STATUS_FAILURE,
} SvStatusWordClass;

GQuark             sv_card_error_quark          (void);
GQuark             sv_pcsc_error_quark          (void);

SvStatusWordClass  sv_status_word_classify      (guint16      sw,
                                                 SvCardError *code,
                                                 const char **description,
                                                 const char **spec);
gboolean           sv_status_word_check         (guint16      sw,
                                                 const char  *reader_name,
                                                 const char  *operation,
                                                 GError     **error);
guint              sv_status_word_pin_retries   (guint16      sw);

G_END_DECLS
