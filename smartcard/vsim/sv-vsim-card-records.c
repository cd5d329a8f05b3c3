/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The virtual card's data commands: READ/UPDATE BINARY and RECORD, SEEK
 * (2G) and SEARCH RECORD (UICC).
 */
#define G_LOG_DOMAIN "sv-vsim"

#include "config.h"

#include <string.h>

#include "sv-vsim-card-private.h"

/* ---- BINARY and RECORD ------------------------------------------------ */

static guint16
current_ef_for (SvVsimCard  *card,
                guint        sfi,
                SvVsimMode   mode,
                gboolean     records,
                SvVsimNode **ef)
{
  SvVsimNode *node;

  if (sfi != 0)
    {
      node = sv_vsim_node_child_by_sfi (card->current_df, (guint8) sfi);
      if (node == NULL)
        return SW_FILE_NOT_FOUND;
      if (node != card->current_ef)
        {
          card->current_ef = node;
          card->current_record = 0;
        }
    }
  node = card->current_ef;
  if (node == NULL)
    return SW (mode, SW_NO_EF, SW2G_NO_EF);
  if ((sv_vsim_node_target (node)->structure == SV_VSIM_EF_TRANSPARENT) == records)
    return SW (mode, SW_INCOMPATIBLE, SW2G_INCONSISTENT);
  *ef = node;
  return SW_OK;
}

static guint16
write_refused (SvVsimCard *card,
               SvVsimMode  mode)
{
  return card->refuse_writes ? SW (mode, SW_MEMORY_UICC, SW2G_MEMORY) : SW_OK;
}

/* The transparent EF and the offset a READ or UPDATE BINARY addresses
 * (P1 may carry an SFI in UICC mode, TS 102.221 §11.1.3), once its
 * access condition is met and the offset lies inside the file. */
static guint16
binary_target (SvVsimCard  *card,
               SvVsimApdu  *apdu,
               SvVsimMode   mode,
               gboolean     update,
               SvVsimNode **ef,
               guint       *offset,
               guint       *size)
{
  guint sfi = 0;
  guint16 sw;

  if (mode == MODE_UICC && (apdu->p1 & 0x80))
    {
      if (apdu->p1 & 0x60)
        return SW_INCORRECT_P1P2;
      sfi = apdu->p1 & 0x1F;
      *offset = apdu->p2;
    }
  else
    *offset = (guint) (apdu->p1 << 8 | apdu->p2);
  if (update && apdu->lc == 0)
    return SW_WRONG_LENGTH;

  sw = current_ef_for (card, sfi, mode, FALSE, ef);
  if (sw != SW_OK)
    return sw;
  if (!sv_vsim_card_access_granted (card, update ? (*ef)->update_access : (*ef)->read_access))
    return SW (mode, SW_SECURITY, SW2G_ACCESS);
  *size = sv_vsim_node_size (*ef);
  if (*offset >= *size)
    return SW (mode, SW_WRONG_P1P2, SW2G_OUT_OF_RANGE);
  return SW_OK;
}

guint16
sv_vsim_card_cmd_read_binary (SvVsimCard *card,
                              SvVsimApdu *apdu,
                              SvVsimMode  mode,
                              GByteArray *out)
{
  SvVsimNode *ef = NULL;
  guint offset = 0, size = 0;
  guint16 sw;

  sw = binary_target (card, apdu, mode, FALSE, &ef, &offset, &size);
  if (sw != SW_OK)
    return sw;
  if (apdu->le > size - offset)
    return SW (mode, 0x6C00, 0x6700) | (guint16) MIN (size - offset, 0xFF);
  g_byte_array_append (out, sv_vsim_node_target (ef)->body->data + offset, apdu->le);
  return SW_OK;
}

guint16
sv_vsim_card_cmd_update_binary (SvVsimCard *card,
                                SvVsimApdu *apdu,
                                SvVsimMode  mode)
{
  SvVsimNode *ef = NULL;
  guint offset = 0, size = 0;
  guint16 sw;

  sw = binary_target (card, apdu, mode, TRUE, &ef, &offset, &size);
  if (sw != SW_OK)
    return sw;
  if (apdu->lc > size - offset)
    return SW (mode, SW_WRONG_LENGTH, 0x6700 | MIN (size - offset, 0xFF));
  sw = write_refused (card, mode);
  if (sw != SW_OK)
    return sw;
  memcpy (sv_vsim_node_target (ef)->body->data + offset, apdu->data, apdu->lc);
  card->changed = TRUE;
  return SW_OK;
}

/* Resolves the record a READ/UPDATE RECORD addresses, TS 102.221
 * §11.1.5, TS 51.011 §9.2.5.  Absolute mode leaves the record pointer
 * where it is; NEXT and PREVIOUS move it, cyclic files wrap. */
static guint16
resolve_record (SvVsimCard *card,
                SvVsimNode *ef,
                guint       p1,
                guint       record_mode,
                SvVsimMode  mode,
                guint      *record)
{
  SvVsimNode *real = sv_vsim_node_target (ef);
  guint count = real->record_count;
  gboolean cyclic = real->structure == SV_VSIM_EF_CYCLIC;
  guint16 not_found = SW (mode, SW_RECORD_NOT_FOUND, SW2G_OUT_OF_RANGE);
  guint cur = card->current_record;
  guint rec;

  switch (record_mode)
    {
    case 0x04:
      rec = p1 != 0 ? p1 : cur;
      if (rec == 0 || rec > count)
        return not_found;
      *record = rec;
      return SW_OK;
    case 0x02:
      if (p1 != 0 && mode == MODE_UICC)
        return SW_INCORRECT_P1P2;
      rec = cur + 1;
      if (rec > count)
        {
          if (!cyclic)
            return not_found;
          rec = 1;
        }
      break;
    case 0x03:
      if (p1 != 0 && mode == MODE_UICC)
        return SW_INCORRECT_P1P2;
      if (cur == 0)
        rec = count;
      else if (cur == 1)
        {
          if (!cyclic)
            return not_found;
          rec = count;
        }
      else
        rec = cur - 1;
      break;
    default:
      return SW (mode, SW_INCORRECT_P1P2, SW_WRONG_P1P2);
    }
  card->current_record = rec;
  *record = rec;
  return SW_OK;
}

/* The record EF a READ or UPDATE RECORD addresses: the current one, or
 * the one of the SFI in P2 (UICC mode, TS 102.221 §11.1.5). */
static guint16
record_file (SvVsimCard  *card,
             SvVsimApdu  *apdu,
             SvVsimMode   mode,
             SvVsimNode **ef)
{
  guint sfi = mode == MODE_UICC ? apdu->p2 >> 3 : 0;

  if (mode == MODE_2G && apdu->p2 > 0x04)
    return SW_WRONG_P1P2;
  if (sfi == 0x1F)
    return SW_INCORRECT_P1P2;
  return current_ef_for (card, sfi, mode, TRUE, ef);
}

guint16
sv_vsim_card_cmd_read_record (SvVsimCard *card,
                              SvVsimApdu *apdu,
                              SvVsimMode  mode,
                              GByteArray *out)
{
  SvVsimNode *ef = NULL, *real;
  guint record_mode = apdu->p2 & 0x07;
  guint rec;
  guint16 sw;

  sw = record_file (card, apdu, mode, &ef);
  if (sw != SW_OK)
    return sw;
  if (!sv_vsim_card_access_granted (card, ef->read_access))
    return SW (mode, SW_SECURITY, SW2G_ACCESS);
  real = sv_vsim_node_target (ef);
  if (apdu->le != real->record_length)
    return SW (mode, 0x6C00, 0x6700) | (guint16) real->record_length;
  sw = resolve_record (card, ef, apdu->p1, record_mode, mode, &rec);
  if (sw != SW_OK)
    return sw;
  g_byte_array_append (out, real->body->data + (rec - 1) * real->record_length,
                       real->record_length);
  return SW_OK;
}

guint16
sv_vsim_card_cmd_update_record (SvVsimCard *card,
                                SvVsimApdu *apdu,
                                SvVsimMode  mode)
{
  SvVsimNode *ef = NULL, *real;
  guint record_mode = apdu->p2 & 0x07;
  guint saved_record = card->current_record;
  guint rec;
  guint16 sw;

  sw = record_file (card, apdu, mode, &ef);
  if (sw != SW_OK)
    return sw;
  real = sv_vsim_node_target (ef);
  if (apdu->lc != real->record_length)
    return SW (mode, SW_WRONG_LENGTH, 0x6700 | real->record_length);
  if (!sv_vsim_card_access_granted (card, ef->update_access))
    return SW (mode, SW_SECURITY, SW2G_ACCESS);

  if (real->structure == SV_VSIM_EF_CYCLIC)
    {
      /* Only PREVIOUS: the oldest record is overwritten and becomes
       * record 1 (TS 51.011 §9.2.6, TS 102.221 §11.1.6). */
      if (record_mode != 0x03 || apdu->p1 != 0)
        return SW (mode, SW_INCORRECT_P1P2, SW_WRONG_P1P2);
      sw = write_refused (card, mode);
      if (sw != SW_OK)
        return sw;
      memmove (real->body->data + real->record_length, real->body->data,
               (real->record_count - 1) * real->record_length);
      memcpy (real->body->data, apdu->data, real->record_length);
      card->current_record = 1;
      card->changed = TRUE;
      return SW_OK;
    }

  sw = resolve_record (card, ef, apdu->p1, record_mode, mode, &rec);
  if (sw != SW_OK)
    return sw;
  sw = write_refused (card, mode);
  if (sw != SW_OK)
    {
      card->current_record = saved_record;
      return sw;
    }
  memcpy (real->body->data + (rec - 1) * real->record_length, apdu->data, real->record_length);
  card->changed = TRUE;
  return SW_OK;
}

/* TS 51.011 §9.2.7 SEEK: the pattern is compared with the start of each
 * record; type 2 answers the record number through GET RESPONSE. */
guint16
sv_vsim_card_cmd_seek_2g (SvVsimCard *card,
                          SvVsimApdu *apdu)
{
  SvVsimNode *ef = NULL, *real;
  guint type = apdu->p2 >> 4, seek_mode = apdu->p2 & 0x0F;
  guint count, rec, cur = card->current_record;
  gint step;
  guint16 sw;

  if (apdu->p1 != 0 || type > 1 || seek_mode > 3)
    return SW_WRONG_P1P2;
  sw = current_ef_for (card, 0, MODE_2G, TRUE, &ef);
  if (sw != SW_OK)
    return sw;
  real = sv_vsim_node_target (ef);
  if (real->structure != SV_VSIM_EF_LINEAR)
    return SW2G_INCONSISTENT;
  if (apdu->lc == 0 || apdu->lc > 16 || apdu->lc > real->record_length)
    return (guint16) (0x6700 | MIN (real->record_length, 16));
  if (!sv_vsim_card_access_granted (card, ef->read_access))
    return SW2G_ACCESS;
  count = real->record_count;
  switch (seek_mode)
    {
    case 0: rec = 1; step = 1; break;
    case 1: rec = count; step = -1; break;
    case 2: rec = cur + 1; step = 1; break;
    case 3:
    default: rec = cur == 0 ? count : cur - 1; step = -1; break;
    }
  for (; rec >= 1 && rec <= count; rec = (guint) ((gint) rec + step))
    if (memcmp (real->body->data + (rec - 1) * real->record_length, apdu->data, apdu->lc) == 0)
      {
        card->current_record = rec;
        if (type == 0)
          return SW_OK;
        sv_vsim_card_put8 (card->pending, rec);
        return 0x9F01;
      }
  return SW2G_NOT_FOUND;
}

static gboolean
contains (const guint8 *hay,
          gsize         hay_len,
          const guint8 *needle,
          gsize         needle_len)
{
  for (gsize i = 0; i + needle_len <= hay_len; i++)
    if (memcmp (hay + i, needle, needle_len) == 0)
      return TRUE;
  return FALSE;
}

/* TS 102.221 §11.1.7 SEARCH RECORD, simple search only. */
guint16
sv_vsim_card_cmd_search_uicc (SvVsimCard *card,
                              SvVsimApdu *apdu)
{
  SvVsimNode *ef = NULL, *real;
  guint sfi = apdu->p2 >> 3, search = apdu->p2 & 0x07;
  guint first, rec;
  guint16 sw;

  if (search != 0x04 && search != 0x05)
    return SW_INCORRECT_P1P2;
  if (apdu->lc == 0)
    return SW_WRONG_LENGTH;
  sw = current_ef_for (card, sfi == 0x1F ? 0 : sfi, MODE_UICC, TRUE, &ef);
  if (sw != SW_OK)
    return sw;
  real = sv_vsim_node_target (ef);
  if (!sv_vsim_card_access_granted (card, ef->read_access))
    return SW_SECURITY;
  first = apdu->p1 != 0 ? apdu->p1 : (card->current_record != 0 ? card->current_record : 1);
  if (first > real->record_count)
    return SW_RECORD_NOT_FOUND;
  for (rec = first; rec >= 1 && rec <= real->record_count;
       rec = search == 0x04 ? rec + 1 : rec - 1)
    {
      const guint8 *data = real->body->data + (rec - 1) * real->record_length;

      if (apdu->lc <= real->record_length
          && contains (data, real->record_length, apdu->data, apdu->lc))
        sv_vsim_card_put8 (card->pending, rec);
    }
  if (card->pending->len == 0)
    return SW_RECORD_NOT_FOUND;
  card->current_record = card->pending->data[0];
  return (guint16) (0x6100 | card->pending->len);
}
