/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What the parts of the virtual card share: the card struct, the parsed
 * APDU, the status words and the helpers one command group lends another.
 */
#pragma once

#include "sv-vsim-card.h"

G_BEGIN_DECLS

typedef enum
{
  MODE_2G,    /* TS 51.011, CLA A0 */
  MODE_UICC,  /* TS 102.221, CLA 0X / 8X */
} SvVsimMode;

/* Status words by mode. */
#define SW(mode, uicc, gsm) ((mode) == MODE_UICC ? (guint16) (uicc) : (guint16) (gsm))
#define SW_OK                0x9000
#define SW_WRONG_LENGTH      0x6700  /* 102.221 §10.2.1.5; 51.011 §9.4.6 67XX */
#define SW_WRONG_CLASS       0x6E00
#define SW_UNKNOWN_INS       0x6D00
#define SW_WRONG_P1P2        0x6B00
#define SW_INCORRECT_P1P2    0x6A86
#define SW_FILE_NOT_FOUND    0x6A82
#define SW_RECORD_NOT_FOUND  0x6A83
#define SW_REF_NOT_FOUND     0x6A88
#define SW_WRONG_DATA        0x6A80
#define SW_SECURITY          0x6982
#define SW_PIN_BLOCKED       0x6983
#define SW_PIN_INVALIDATED   0x6984
#define SW_CONDITIONS        0x6985
#define SW_NO_EF             0x6986
#define SW_INCOMPATIBLE      0x6981
#define SW_MEMORY_UICC       0x6581
#define SW_NO_CHANNEL        0x6881
#define SW_NO_SM             0x6882
#define SW_TECHNICAL         0x6F00
/* TS 51.011 §9.4 */
#define SW2G_NO_EF           0x9400
#define SW2G_OUT_OF_RANGE    0x9402
#define SW2G_NOT_FOUND       0x9404
#define SW2G_INCONSISTENT    0x9408
#define SW2G_NO_CHV          0x9802
#define SW2G_ACCESS          0x9804
#define SW2G_CONTRADICTION   0x9808
#define SW2G_BLOCKED         0x9840
#define SW2G_MEMORY          0x9240

struct _SvVsimCard
{
  SvVsimImage *image;
  gboolean     refuse_writes;
  gboolean     changed;
  SvVsimNode  *current_df;   /* as selected: may be an alias DF */
  SvVsimNode  *current_ef;
  SvVsimNode  *active_adf;
  guint        current_record;
  GByteArray  *pending;      /* what GET RESPONSE returns next */
};

typedef struct
{
  guint8        cla, ins, p1, p2;
  gboolean      has_p3;
  guint8        p3;
  const guint8 *data;
  gsize         lc;
  gboolean      has_le;     /* case 4: a trailing Le after the data */
  guint         le;         /* expected length for outgoing data, 1..256 */
} SvVsimApdu;

typedef enum
{
  PIN_VERIFY,
  PIN_CHANGE,
  PIN_DISABLE,
  PIN_ENABLE,
  PIN_UNBLOCK,
} SvVsimPinOp;

void
sv_vsim_card_put16 (GByteArray *out,
                    guint       v);

void
sv_vsim_card_put8 (GByteArray *out,
                   guint       v);

void
sv_vsim_card_put_tlv (GByteArray   *out,
                      guint8        tag,
                      const guint8 *value,
                      gsize         len);

gboolean
sv_vsim_card_access_granted (SvVsimCard   *card,
                             SvVsimAccess  access);

/* TS 51.011 §9.3 access condition nibble */
guint
sv_vsim_card_access_nibble_2g (SvVsimAccess access);

/* ISO 7816-4 §5.4.3.2 compact security condition byte: 00 always, FF
 * never, otherwise b5 (user authentication) and the key as SE number. */
guint8
sv_vsim_card_access_sc_byte (SvVsimAccess access);

void
sv_vsim_card_selected (SvVsimCard *card,
                       SvVsimNode *node,
                       SvVsimNode *df);

guint16
sv_vsim_card_cmd_select_2g (SvVsimCard *card,
                            SvVsimApdu *apdu);

guint16
sv_vsim_card_cmd_select_uicc (SvVsimCard *card,
                              SvVsimApdu *apdu,
                              GByteArray *out);

guint16
sv_vsim_card_cmd_get_response (SvVsimCard *card,
                               SvVsimApdu *apdu,
                               GByteArray *pending,
                               SvVsimMode  mode,
                               GByteArray *out);

guint16
sv_vsim_card_cmd_status (SvVsimCard *card,
                         SvVsimApdu *apdu,
                         SvVsimMode  mode,
                         GByteArray *out);

guint16
sv_vsim_card_cmd_read_binary (SvVsimCard *card,
                              SvVsimApdu *apdu,
                              SvVsimMode  mode,
                              GByteArray *out);

guint16
sv_vsim_card_cmd_update_binary (SvVsimCard *card,
                                SvVsimApdu *apdu,
                                SvVsimMode  mode);

guint16
sv_vsim_card_cmd_read_record (SvVsimCard *card,
                              SvVsimApdu *apdu,
                              SvVsimMode  mode,
                              GByteArray *out);

guint16
sv_vsim_card_cmd_update_record (SvVsimCard *card,
                                SvVsimApdu *apdu,
                                SvVsimMode  mode);

/* TS 51.011 §9.2.7 SEEK: the pattern is compared with the start of each
 * record; type 2 answers the record number through GET RESPONSE. */
guint16
sv_vsim_card_cmd_seek_2g (SvVsimCard *card,
                          SvVsimApdu *apdu);

/* TS 102.221 §11.1.7 SEARCH RECORD, simple search only. */
guint16
sv_vsim_card_cmd_search_uicc (SvVsimCard *card,
                              SvVsimApdu *apdu);

guint16
sv_vsim_card_cmd_pin (SvVsimCard  *card,
                      SvVsimApdu  *apdu,
                      SvVsimMode   mode,
                      SvVsimPinOp  op);

G_END_DECLS
