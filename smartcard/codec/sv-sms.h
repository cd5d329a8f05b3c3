/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * SvSmsType:
 *
 * TPDU types (TS 23.040 §9.2.2); the TP-MTI bits mean different types in
 * each direction (TS 23.040 §9.2.3.1).
 */
typedef enum
{
  SV_SMS_TYPE_DELIVER,          /* MTI 00, SC -> MS */
  SV_SMS_TYPE_DELIVER_REPORT,   /* MTI 00, MS -> SC */
  SV_SMS_TYPE_SUBMIT,           /* MTI 01, MS -> SC */
  SV_SMS_TYPE_SUBMIT_REPORT,    /* MTI 01, SC -> MS */
  SV_SMS_TYPE_STATUS_REPORT,    /* MTI 10, SC -> MS */
  SV_SMS_TYPE_COMMAND,          /* MTI 10, MS -> SC */
} SvSmsType;

/**
 * SvSmsDirection:
 * @SV_SMS_DIRECTION_AUTO: guess from TP-MTI: 00 DELIVER, 01 SUBMIT,
 *   10 STATUS-REPORT (what EF_SMS and AT+CMGR hold)
 * @SV_SMS_DIRECTION_MT: received by the phone (SC -> MS)
 * @SV_SMS_DIRECTION_MO: sent by the phone (MS -> SC)
 */
typedef enum
{
  SV_SMS_DIRECTION_AUTO,
  SV_SMS_DIRECTION_MT,
  SV_SMS_DIRECTION_MO,
} SvSmsDirection;

typedef enum
{
  SV_SMS_ALPHABET_GSM7,
  SV_SMS_ALPHABET_8BIT,
  SV_SMS_ALPHABET_UCS2,
} SvSmsAlphabet;

/**
 * SvSmsDcsInfo:
 * @alphabet: character set
 * @message_class: 0-3, or -1 when the DCS gives none
 * @compressed: TS 23.042 compression flagged
 * @auto_delete: "marked for automatic deletion" group (01xx)
 * @mwi_group: message waiting indication group (1100, 1101, 1110)
 * @mwi_active: indication set active
 * @mwi_type: 0 voicemail, 1 fax, 2 e-mail, 3 other
 * @mwi_discard: group 1100 (discard message)
 *
 * The meaning of a TP-DCS octet (TS 23.038 §4).
 */
typedef struct
{
  SvSmsAlphabet alphabet;
  gint          message_class;
  gboolean      compressed;
  gboolean      auto_delete;
  gboolean      mwi_group;
  gboolean      mwi_active;
  guint         mwi_type;
  gboolean      mwi_discard;
} SvSmsDcsInfo;

typedef enum
{
  SV_SMS_VP_NONE,        /* TP-VPF 00 */
  SV_SMS_VP_ENHANCED,    /* TP-VPF 01, 7 octets */
  SV_SMS_VP_RELATIVE,    /* TP-VPF 10, 1 octet */
  SV_SMS_VP_ABSOLUTE,    /* TP-VPF 11, 7 octets, a time stamp */
} SvSmsVpFormat;

/**
 * SvSmsTpdu:
 *
 * One decoded TPDU (TS 23.040 §9.2.2). Fields not present in the type are
 * zero/%NULL. Free with sv_sms_tpdu_free().
 *
 * On encode the fields used are: @type, @rp, @udhi (computed), @srr, @rd,
 * @mms, @lp, @mr, @smsc/@smsc_ton_npi, @number/@number_ton_npi, @pid,
 * @dcs, @timestamp (DELIVER/STATUS-REPORT), @vp_format/@vp_raw (SUBMIT),
 * @discharge_time/@status (STATUS-REPORT), @udh (raw IEs; when %NULL,
 * built from @concat_* and @port_*), @text (or @user_data when @text is
 * %NULL). Time stamps are written as received (@scts_raw, @dt_raw) while
 * they still match @timestamp / @discharge_time, so a decoded TPDU
 * encodes to the same bytes (e.g. a "-0" time zone, or an invalid date).
 */
typedef struct
{
  SvSmsType      type;
  guint8         first_octet;
  gboolean       rp;            /* TP-RP reply path */
  gboolean       udhi;          /* TP-UDHI */
  gboolean       srr;           /* TP-SRR / TP-SRI / TP-SRQ (bit 6) */
  gboolean       rd;            /* TP-RD reject duplicates (SUBMIT) */
  gboolean       mms;           /* TP-MMS: TRUE = more messages are waiting */
  gboolean       lp;            /* TP-LP loop prevention */
  guint8         mr;            /* TP-MR */

  char          *smsc;          /* SC address, NULL when absent */
  guint8         smsc_ton_npi;
  char          *number;        /* TP-OA / TP-DA / TP-RA */
  guint8         number_ton_npi;

  guint8         pid;           /* TP-PID */
  guint8         dcs;           /* TP-DCS */
  SvSmsDcsInfo   dcs_info;
  GDateTime     *timestamp;     /* TP-SCTS, NULL if absent or invalid */
  gboolean       has_scts_raw;  /* @scts_raw holds the octets as received */
  guint8         scts_raw[7];

  SvSmsVpFormat  vp_format;     /* TP-VPF (SUBMIT) */
  guint8         vp_raw[7];     /* TP-VP octets as received */
  guint          vp_seconds;    /* relative periods, in seconds */
  GDateTime     *vp_absolute;   /* absolute period */

  GDateTime     *discharge_time; /* TP-DT (STATUS-REPORT) */
  gboolean       has_dt_raw;
  guint8         dt_raw[7];
  guint8         status;        /* TP-ST (STATUS-REPORT) */
  gboolean       has_pi;        /* TP-PI present (STATUS-REPORT) */
  guint8         pi;

  GBytes        *udh;           /* UDH information elements, without UDHL */
  gboolean       concat;        /* IEI 00 or 08 (TS 23.040 §9.2.3.24.1, .8) */
  gboolean       concat_16bit;
  guint16        concat_ref;
  guint8         concat_total;
  guint8         concat_seq;
  gboolean       ports;         /* IEI 04 or 05 (TS 23.040 §9.2.3.24.3, .4) */
  gboolean       ports_16bit;
  guint16        port_dst;
  guint16        port_src;

  guint8         udl;           /* TP-UDL as received */
  GBytes        *user_data;     /* after the UDH: unpacked septets (GSM 7 bit) or octets */
  char          *text;          /* NULL when the alphabet is unsupported */
  char          *text_error;    /* why @text is NULL */
} SvSmsTpdu;

/**
 * SvEfSmsStatus:
 *
 * Status byte of an EF_SMS record (TS 51.011 §10.5.3, TS 31.102 §4.2.25),
 * bits 3-1.
 */
typedef enum
{
  SV_EF_SMS_FREE        = 0x00,
  SV_EF_SMS_READ        = 0x01,
  SV_EF_SMS_TO_BE_READ  = 0x03,
  SV_EF_SMS_SENT        = 0x05,
  SV_EF_SMS_TO_BE_SENT  = 0x07,
} SvEfSmsStatus;

#define SV_EF_SMS_RECORD_LEN 176

/**
 * SvEfSmsRecord:
 * @status_byte: the raw status byte
 * @status: its bits 3-1
 * @status_report: for sent messages, bits 5-4: 0 not requested,
 *   1 requested not received, 2 received not stored, 3 received and
 *   stored in EF_SMSR
 * @tpdu: the message (SMSC included), %NULL for a free record
 */
typedef struct
{
  guint8         status_byte;
  SvEfSmsStatus  status;
  guint          status_report;
  SvSmsTpdu     *tpdu;
} SvEfSmsRecord;

/**
 * SvSmsConcat:
 * @number: the sender/recipient the parts share
 * @ref: concatenation reference (0 for a single message)
 * @total: number of parts announced
 * @parts: (element-type SvSmsTpdu): @total slots indexed by seq - 1;
 *   %NULL for missing parts (borrowed from the caller)
 * @missing: (element-type guint): missing sequence numbers, ascending
 * @text: the joined text of the parts present
 * @complete: no part missing
 */
typedef struct
{
  char       *number;
  guint16     ref;
  guint       total;
  GPtrArray  *parts;
  GArray     *missing;
  char       *text;
  gboolean    complete;
} SvSmsConcat;

const char    *sv_sms_type_to_string       (SvSmsType            type);
const char    *sv_sms_alphabet_to_string   (SvSmsAlphabet        alphabet);
const char    *sv_ef_sms_status_to_string  (SvEfSmsStatus        status);
void           sv_sms_dcs_decode           (guint8               dcs,
                                            SvSmsDcsInfo        *info);
GDateTime     *sv_sms_timestamp_decode     (const guint8        *data);
gboolean       sv_sms_timestamp_encode     (GDateTime           *dt,
                                            guint8               out[7],
                                            GError             **error);
guint          sv_sms_vp_relative_seconds  (guint8               vp);
guint8         sv_sms_vp_relative_encode   (guint                seconds);

SvSmsTpdu     *sv_sms_tpdu_new             (void);
void           sv_sms_tpdu_free            (SvSmsTpdu           *tpdu);
SvSmsTpdu     *sv_sms_tpdu_decode          (const guint8        *data,
                                            gsize                len,
                                            gboolean             has_smsc,
                                            SvSmsDirection       direction,
                                            GError             **error);
guint8        *sv_sms_tpdu_encode          (const SvSmsTpdu     *tpdu,
                                            gboolean             with_smsc,
                                            gsize               *len_out,
                                            GError             **error);

gboolean       sv_ef_sms_record_decode     (const guint8        *data,
                                            gsize                len,
                                            SvEfSmsRecord       *out,
                                            GError             **error);
gboolean       sv_ef_sms_record_encode     (SvEfSmsStatus        status,
                                            const SvSmsTpdu     *tpdu,
                                            guint8              *out,
                                            gsize                len,
                                            GError             **error);
void           sv_ef_sms_record_clear      (SvEfSmsRecord       *rec);

GPtrArray     *sv_sms_reassemble           (SvSmsTpdu * const   *tpdus,
                                            guint                n_tpdus);
void           sv_sms_concat_free          (SvSmsConcat         *concat);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SvSmsTpdu, sv_sms_tpdu_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SvSmsConcat, sv_sms_concat_free)

G_END_DECLS
