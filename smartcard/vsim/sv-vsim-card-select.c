/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The virtual card's file system side: response bodies (2G headers, FCP
 * templates), SELECT, GET RESPONSE and STATUS.
 */
#define G_LOG_DOMAIN "sv-vsim"

#include "config.h"

#include <string.h>

#include "sv-vsim-card-private.h"

/* ---- response bodies -------------------------------------------------- */

static guint
count_children (SvVsimNode *df,
                gboolean    want_df,
                SvVsimMode  mode)
{
  SvVsimNode *real = sv_vsim_node_target (df);
  guint n = 0;

  for (guint i = 0; real->children != NULL && i < real->children->len; i++)
    {
      SvVsimNode *child = g_ptr_array_index (real->children, i);

      if (mode == MODE_2G && child->uicc_only)
        continue;
      if (sv_vsim_node_is_df (child) == want_df)
        n++;
    }
  return n;
}

static guint8
secret_status_2g (SvVsimSecret *s)
{
  /* TS 51.011 §9.2.1: b8 = secret code initialised, b4-b1 = remaining
   * false presentations. */
  if (!s->present)
    return 0x00;
  return (guint8) (0x80 | (s->tries_left & 0x0F));
}

/* TS 51.011 §9.2.1, response to SELECT of the MF or a DF. */
static void
build_df_header_2g (SvVsimCard *card,
                    SvVsimNode *df,
                    GByteArray *out)
{
  SvVsimSecret *secrets = card->image->secrets;
  SvVsimSecret *pin1 = &secrets[SV_VSIM_SECRET_PIN1];
  guint8 characteristics = 0x13;

  if (pin1->present && !pin1->enabled)
    characteristics |= 0x80;  /* b8: CHV1 disabled */

  sv_vsim_card_put16 (out, 0x0000);        /* RFU */
  sv_vsim_card_put16 (out, 0x1000);        /* memory not allocated under this DF */
  sv_vsim_card_put16 (out, df->fid);
  sv_vsim_card_put8 (out, df->kind == SV_VSIM_NODE_MF ? 0x01 : 0x02);
  for (guint i = 0; i < 5; i++)
    sv_vsim_card_put8 (out, 0x00);         /* RFU */
  sv_vsim_card_put8 (out, 9);              /* length of the GSM specific data */
  sv_vsim_card_put8 (out, characteristics);
  sv_vsim_card_put8 (out, count_children (df, TRUE, MODE_2G));
  sv_vsim_card_put8 (out, count_children (df, FALSE, MODE_2G));
  sv_vsim_card_put8 (out, 4);              /* CHVs, UNBLOCK CHVs and ADM codes */
  sv_vsim_card_put8 (out, 0x00);
  sv_vsim_card_put8 (out, secret_status_2g (pin1));
  sv_vsim_card_put8 (out, secret_status_2g (&secrets[SV_VSIM_SECRET_PUK1]));
  sv_vsim_card_put8 (out, secret_status_2g (&secrets[SV_VSIM_SECRET_PIN2]));
  sv_vsim_card_put8 (out, secret_status_2g (&secrets[SV_VSIM_SECRET_PUK2]));
}

/* TS 51.011 §9.2.1, response to SELECT of an EF. */
static void
build_ef_header_2g (SvVsimNode *ef,
                    GByteArray *out)
{
  SvVsimNode *real = sv_vsim_node_target (ef);

  sv_vsim_card_put16 (out, 0x0000);
  sv_vsim_card_put16 (out, sv_vsim_node_size (ef));
  sv_vsim_card_put16 (out, ef->fid);
  sv_vsim_card_put8 (out, 0x04);
  sv_vsim_card_put8 (out, 0x00);
  sv_vsim_card_put8 (out, sv_vsim_card_access_nibble_2g (ef->read_access) << 4 | sv_vsim_card_access_nibble_2g (ef->update_access));
  sv_vsim_card_put8 (out, 0xF0);           /* INCREASE never */
  sv_vsim_card_put8 (out, 0xAA);           /* REHABILITATE / INVALIDATE: ADM */
  sv_vsim_card_put8 (out, 0x01);           /* not invalidated */
  sv_vsim_card_put8 (out, 2);
  switch (real->structure)
    {
    case SV_VSIM_EF_LINEAR:      sv_vsim_card_put8 (out, 0x01); break;
    case SV_VSIM_EF_CYCLIC:      sv_vsim_card_put8 (out, 0x03); break;
    case SV_VSIM_EF_TRANSPARENT:
    default:                     sv_vsim_card_put8 (out, 0x00); break;
    }
  sv_vsim_card_put8 (out, real->record_length);
}

static guint
df_total_size (SvVsimNode *df)
{
  SvVsimNode *real = sv_vsim_node_target (df);
  guint total = 0;

  for (guint i = 0; real->children != NULL && i < real->children->len; i++)
    {
      SvVsimNode *child = g_ptr_array_index (real->children, i);

      if (child->alias_of != NULL)
        continue;
      total += sv_vsim_node_is_df (child) ? df_total_size (child) : sv_vsim_node_size (child);
    }
  return total;
}

/* TS 102.221 §11.1.1.3: FCP template of a file. */
static void
build_fcp (SvVsimCard *card,
           SvVsimNode *node,
           GByteArray *out)
{
  g_autoptr(GByteArray) body = g_byte_array_new ();
  SvVsimNode *real = sv_vsim_node_target (node);
  guint8 v[8];

  if (sv_vsim_node_is_df (node))
    {
      SvVsimSecret *secrets = card->image->secrets;
      g_autoptr(GByteArray) pins = g_byte_array_new ();
      static const struct { SvVsimSecretId id; guint8 ref; } keys[] = {
        { SV_VSIM_SECRET_PIN1, 0x01 }, /* §9.5.1 key references */
        { SV_VSIM_SECRET_PIN2, 0x81 },
        { SV_VSIM_SECRET_ADM1, 0x0A },
        { SV_VSIM_SECRET_UPIN, 0x11 }, /* after a usage qualifier, §9.5.2 */
      };
      guint8 ps = 0;
      guint bit = 0;
      guint total = df_total_size (node);

      v[0] = 0x78; v[1] = 0x21;             /* DF, §11.1.1.4.3 */
      sv_vsim_card_put_tlv (body, 0x82, v, 2);
      if (node->kind == SV_VSIM_NODE_ADF)
        sv_vsim_card_put_tlv (body, 0x84, g_bytes_get_data (node->aid, NULL), g_bytes_get_size (node->aid));
      else
        {
          v[0] = (guint8) (node->fid >> 8); v[1] = (guint8) node->fid;
          sv_vsim_card_put_tlv (body, 0x83, v, 2);
        }
      if (node->kind != SV_VSIM_NODE_DF)
        {
          v[0] = 0x80; v[1] = 0x01; v[2] = 0x71; /* UICC characteristics */
          sv_vsim_card_put_tlv (body, 0xA5, v, 3);
        }
      v[0] = 0x05;                             /* operational, activated */
      sv_vsim_card_put_tlv (body, 0x8A, v, 1);
      v[0] = 0x00;
      sv_vsim_card_put_tlv (body, 0x8C, v, 1);
      /* §11.1.1.4.10 PIN status template DO */
      for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
        {
          SvVsimSecret *s = &secrets[keys[i].id];

          if (!s->present)
            continue;
          if (s->enabled)
            ps |= (guint8) (0x80 >> bit);
          bit++;
          if (keys[i].id == SV_VSIM_SECRET_UPIN)
            {
              /* usage qualifier 08: the universal PIN is used (instead
               * of the application PIN), 00: it is not */
              v[0] = 0x95; v[1] = 0x01; v[2] = card->image->universal_pin ? 0x08 : 0x00;
              g_byte_array_append (pins, v, 3);
            }
          v[0] = 0x83; v[1] = 0x01; v[2] = keys[i].ref;
          g_byte_array_append (pins, v, 3);
        }
      if (pins->len > 0)
        {
          g_autoptr(GByteArray) c6 = g_byte_array_new ();

          sv_vsim_card_put_tlv (c6, 0x90, &ps, 1);
          g_byte_array_append (c6, pins->data, pins->len);
          sv_vsim_card_put_tlv (body, 0xC6, c6->data, c6->len);
        }
      v[0] = (guint8) (total >> 8); v[1] = (guint8) total;
      sv_vsim_card_put_tlv (body, 0x81, v, 2);
    }
  else
    {
      guint size = sv_vsim_node_size (node);

      switch (real->structure)
        {
        case SV_VSIM_EF_LINEAR:
        case SV_VSIM_EF_CYCLIC:
          v[0] = real->structure == SV_VSIM_EF_LINEAR ? 0x42 : 0x46;
          v[1] = 0x21;
          v[2] = 0x00;
          v[3] = (guint8) real->record_length;
          v[4] = (guint8) real->record_count;
          sv_vsim_card_put_tlv (body, 0x82, v, 5);
          break;
        case SV_VSIM_EF_TRANSPARENT:
        default:
          v[0] = 0x41; v[1] = 0x21;
          sv_vsim_card_put_tlv (body, 0x82, v, 2);
          break;
        }
      v[0] = (guint8) (node->fid >> 8); v[1] = (guint8) node->fid;
      sv_vsim_card_put_tlv (body, 0x83, v, 2);
      v[0] = 0x05;
      sv_vsim_card_put_tlv (body, 0x8A, v, 1);
      v[0] = 0x03;                             /* AM: update (b2), read (b1) */
      v[1] = sv_vsim_card_access_sc_byte (node->update_access);
      v[2] = sv_vsim_card_access_sc_byte (node->read_access);
      sv_vsim_card_put_tlv (body, 0x8C, v, 3);
      v[0] = (guint8) (size >> 8); v[1] = (guint8) size;
      sv_vsim_card_put_tlv (body, 0x80, v, 2);
      if (node->sfi != 0)
        {
          v[0] = (guint8) (node->sfi << 3);
          sv_vsim_card_put_tlv (body, 0x88, v, 1);
        }
      else
        sv_vsim_card_put_tlv (body, 0x88, v, 0);            /* SFI not supported */
    }
  sv_vsim_card_put_tlv (out, 0x62, body->data, body->len);
}

/* ---- SELECT ----------------------------------------------------------- */

static gboolean
visible (SvVsimNode *node,
         SvVsimMode  mode)
{
  return node != NULL && (mode == MODE_UICC || !node->uicc_only);
}

/* Selection by FID from the current DF: TS 51.011 §6.5,
 * TS 102.221 §8.4.1. */
static SvVsimNode *
find_by_fid (SvVsimCard  *card,
             guint16      fid,
             SvVsimMode   mode,
             SvVsimNode **new_df)
{
  SvVsimNode *df = card->current_df;
  SvVsimNode *node;

  *new_df = NULL;
  if (fid == 0x3F00)
    return *new_df = card->image->mf;
  if (fid == 0x7FFF)
    return mode == MODE_UICC && card->active_adf != NULL
      ? (*new_df = card->active_adf) : NULL;
  if (fid == df->fid && df->kind != SV_VSIM_NODE_MF)
    return *new_df = df;
  node = sv_vsim_node_child (df, fid);
  if (visible (node, mode) && node->kind != SV_VSIM_NODE_ADF)
    {
      *new_df = sv_vsim_node_is_df (node) ? node : df;
      return node;
    }
  if (df->parent != NULL)
    {
      if (df->parent->fid == fid)
        return *new_df = df->parent;
      node = sv_vsim_node_child (df->parent, fid);
      if (visible (node, mode) && node->kind == SV_VSIM_NODE_DF)
        return *new_df = node;
    }
  /* Lenient like most real cards: the first-level DFs (DF_TELECOM,
   * DF_GSM) are reachable from anywhere, which also lets a 2G command
   * find its way out of a DF that only the UICC command set can see. */
  node = sv_vsim_node_child (card->image->mf, fid);
  if (visible (node, mode) && node->kind == SV_VSIM_NODE_DF)
    return *new_df = node;
  return NULL;
}

/* A path of FIDs (TS 102.221 §8.4.2), from the MF or the current DF. */
static SvVsimNode *
find_by_path (SvVsimCard    *card,
              SvVsimNode    *start,
              const guint8  *path,
              gsize          len,
              SvVsimNode   **new_df)
{
  SvVsimNode *node = start;
  SvVsimNode *df = start;

  for (gsize i = 0; i + 1 < len; i += 2)
    {
      guint16 fid = (guint16) (path[i] << 8 | path[i + 1]);

      if (!sv_vsim_node_is_df (node))
        return NULL;
      if (i == 0 && fid == 0x3F00 && start->kind == SV_VSIM_NODE_MF)
        continue;  /* tolerated: a path that repeats the MF */
      if (fid == 0x7FFF)
        node = card->active_adf;
      else
        {
          node = sv_vsim_node_child (node, fid);
          if (node != NULL && node->kind == SV_VSIM_NODE_ADF)
            node = NULL;
        }
      if (node == NULL)
        return NULL;
      if (sv_vsim_node_is_df (node))
        df = node;
    }
  *new_df = df;
  return node;
}

static SvVsimNode *
find_adf (SvVsimCard   *card,
          const guint8 *aid,
          gsize         len)
{
  SvVsimNode *mf = card->image->mf;

  for (guint i = 0; i < mf->children->len; i++)
    {
      SvVsimNode *child = g_ptr_array_index (mf->children, i);
      gsize n;

      if (child->kind != SV_VSIM_NODE_ADF)
        continue;
      n = g_bytes_get_size (child->aid);
      /* A right-truncated AID selects too (ISO 7816-4 §7.1.1). */
      if (len >= 5 && len <= n && memcmp (g_bytes_get_data (child->aid, NULL), aid, len) == 0)
        return child;
    }
  return NULL;
}

void
sv_vsim_card_selected (SvVsimCard *card,
                       SvVsimNode *node,
                       SvVsimNode *df)
{
  card->current_record = 0;
  if (sv_vsim_node_is_df (node))
    {
      card->current_df = node;
      card->current_ef = NULL;
      if (node->kind == SV_VSIM_NODE_ADF)
        card->active_adf = node;
    }
  else
    {
      card->current_df = df;
      card->current_ef = node;
    }
}

guint16
sv_vsim_card_cmd_select_2g (SvVsimCard *card,
                            SvVsimApdu *apdu)
{
  SvVsimNode *node, *df;

  if (apdu->p1 != 0 || apdu->p2 != 0)
    return SW_WRONG_P1P2;
  if (apdu->lc != 2)
    return 0x6702;
  node = find_by_fid (card, (guint16) (apdu->data[0] << 8 | apdu->data[1]), MODE_2G, &df);
  if (node == NULL)
    return SW2G_NOT_FOUND;
  sv_vsim_card_selected (card, node, df);
  if (sv_vsim_node_is_df (node))
    build_df_header_2g (card, node, card->pending);
  else
    build_ef_header_2g (node, card->pending);
  return (guint16) (0x9F00 | card->pending->len);
}

guint16
sv_vsim_card_cmd_select_uicc (SvVsimCard *card,
                              SvVsimApdu *apdu,
                              GByteArray *out)
{
  SvVsimNode *node = NULL, *df = NULL;
  guint8 p2 = apdu->p2;

  if ((p2 & 0x0C) == 0x0C)
    {
      if ((p2 & ~0x4F) != 0)
        return SW_INCORRECT_P1P2;
    }
  else if ((p2 & 0x0C) != 0x04 || (p2 & ~0x4F) != 0)
    return SW_INCORRECT_P1P2;

  switch (apdu->p1)
    {
    case 0x00:
      if (apdu->lc == 0)
        node = df = card->image->mf;
      else if (apdu->lc != 2)
        return SW_WRONG_LENGTH;
      else
        node = find_by_fid (card, (guint16) (apdu->data[0] << 8 | apdu->data[1]), MODE_UICC, &df);
      break;
    case 0x01: /* child DF */
      if (apdu->lc != 2)
        return SW_WRONG_LENGTH;
      node = sv_vsim_node_child (card->current_df, (guint16) (apdu->data[0] << 8 | apdu->data[1]));
      if (node != NULL && node->kind != SV_VSIM_NODE_DF)
        node = NULL;
      df = node;
      break;
    case 0x03: /* parent DF */
      if (apdu->lc != 0)
        return SW_WRONG_LENGTH;
      node = df = card->current_df->parent;
      break;
    case 0x04: /* DF name (AID) */
      if (apdu->lc == 0)
        return SW_WRONG_LENGTH;
      if (p2 & 0x40)
        {
          /* Application session termination. */
          card->active_adf = NULL;
          return SW_OK;
        }
      node = df = find_adf (card, apdu->data, apdu->lc);
      break;
    case 0x08: /* path from the MF */
    case 0x09: /* path from the current DF */
      if (apdu->lc == 0 || apdu->lc % 2 != 0)
        return SW_WRONG_LENGTH;
      node = find_by_path (card, apdu->p1 == 0x08 ? card->image->mf : card->current_df,
                           apdu->data, apdu->lc, &df);
      break;
    default:
      return SW_INCORRECT_P1P2;
    }

  if (node == NULL)
    return SW_FILE_NOT_FOUND;
  sv_vsim_card_selected (card, node, df);
  if ((p2 & 0x0C) == 0x0C)
    return SW_OK;

  if (card->image->select_fcp_direct && apdu->has_le)
    {
      build_fcp (card, node, out);
      return SW_OK;
    }
  build_fcp (card, node, card->pending);
  return (guint16) (0x6100 | (card->pending->len & 0xFF));
}

/* ---- GET RESPONSE, STATUS ---------------------------------------------- */

guint16
sv_vsim_card_cmd_get_response (SvVsimCard *card,
                               SvVsimApdu *apdu,
                               GByteArray *pending,
                               SvVsimMode  mode,
                               GByteArray *out)
{
  guint avail = pending->len;

  if (apdu->p1 != 0 || apdu->p2 != 0)
    return SW_WRONG_P1P2;
  if (avail == 0)
    return SW (mode, SW_CONDITIONS, SW_TECHNICAL);
  if (apdu->le > avail)
    {
      /* Keep the data: the client asks again with the right length. */
      g_byte_array_append (card->pending, pending->data, avail);
      return SW (mode, 0x6C00, 0x6700) | (guint16) avail;
    }
  g_byte_array_append (out, pending->data, apdu->le);
  if (apdu->le < avail && mode == MODE_UICC)
    {
      g_byte_array_append (card->pending, pending->data + apdu->le, avail - apdu->le);
      return (guint16) (0x6100 | (avail - apdu->le));
    }
  return SW_OK;
}

guint16
sv_vsim_card_cmd_status (SvVsimCard *card,
                         SvVsimApdu *apdu,
                         SvVsimMode  mode,
                         GByteArray *out)
{
  g_autoptr(GByteArray) body = g_byte_array_new ();

  if (mode == MODE_2G)
    {
      if (apdu->p1 != 0 || apdu->p2 != 0)
        return SW_WRONG_P1P2;
      build_df_header_2g (card, card->current_df, body);
      if (apdu->le > body->len)
        return (guint16) (0x6700 | body->len);
      g_byte_array_append (out, body->data, apdu->le);
      return SW_OK;
    }

  if (apdu->p1 > 0x02)
    return SW_INCORRECT_P1P2;
  switch (apdu->p2)
    {
    case 0x00:
      build_fcp (card, card->current_df, body);
      break;
    case 0x01:
      if (card->active_adf != NULL)
        sv_vsim_card_put_tlv (body, 0x84, g_bytes_get_data (card->active_adf->aid, NULL),
                              g_bytes_get_size (card->active_adf->aid));
      break;
    case 0x0C:
      return SW_OK;
    default:
      return SW_INCORRECT_P1P2;
    }
  if (body->len == 0)
    return SW_OK;
  if (apdu->le != body->len)
    return (guint16) (0x6C00 | body->len);
  g_byte_array_append (out, body->data, body->len);
  return SW_OK;
}
