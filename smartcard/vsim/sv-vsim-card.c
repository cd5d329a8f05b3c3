/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sv-vsim"

#include "config.h"

#include <string.h>

#include "sv-vsim-card.h"

typedef enum
{
  MODE_2G,    /* TS 51.011, CLA A0 */
  MODE_UICC,  /* TS 102.221, CLA 0X / 8X */
} Mode;

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
} Apdu;

SvVsimCard *
sv_vsim_card_new (SvVsimImage *image)
{
  SvVsimCard *card = g_new0 (SvVsimCard, 1);

  card->image = image;
  card->pending = g_byte_array_new ();
  sv_vsim_card_reset (card);
  return card;
}

void
sv_vsim_card_free (SvVsimCard *card)
{
  if (card == NULL)
    return;
  sv_vsim_image_free (card->image);
  g_byte_array_unref (card->pending);
  g_free (card);
}

SvVsimImage *
sv_vsim_card_get_image (SvVsimCard *card)
{
  return card->image;
}

void
sv_vsim_card_set_refuse_writes (SvVsimCard *card,
                                gboolean    refuse)
{
  card->refuse_writes = refuse;
}

gboolean
sv_vsim_card_take_changed (SvVsimCard *card)
{
  gboolean changed = card->changed;

  card->changed = FALSE;
  return changed;
}

/* Power on and warm reset: the MF is selected, no application is
 * active and every PIN must be presented again. */
void
sv_vsim_card_reset (SvVsimCard *card)
{
  for (guint i = 0; i < SV_VSIM_N_SECRETS; i++)
    card->image->secrets[i].verified = FALSE;
  card->current_df = card->image->mf;
  card->current_ef = NULL;
  card->active_adf = NULL;
  card->current_record = 0;
  g_byte_array_set_size (card->pending, 0);
}

static void
put16 (GByteArray *out,
       guint       v)
{
  guint8 b[2] = { (guint8) (v >> 8), (guint8) v };

  g_byte_array_append (out, b, 2);
}

static void
put8 (GByteArray *out,
      guint       v)
{
  guint8 b = (guint8) v;

  g_byte_array_append (out, &b, 1);
}

static void
put_tlv (GByteArray   *out,
         guint8        tag,
         const guint8 *value,
         gsize         len)
{
  g_assert (len < 0x80);
  put8 (out, tag);
  put8 (out, (guint) len);
  g_byte_array_append (out, value, (guint) len);
}

/* ---- access conditions and secrets ---------------------------------- */

static gboolean
secret_satisfied (SvVsimSecret *s)
{
  if (!s->present)
    return TRUE;
  return !s->enabled || s->verified;
}

static gboolean
access_granted (SvVsimCard   *card,
                SvVsimAccess  access)
{
  SvVsimSecret *secrets = card->image->secrets;

  switch (access)
    {
    case SV_VSIM_ACCESS_ALWAYS:
      return TRUE;
    case SV_VSIM_ACCESS_PIN1:
      /* TS 102.221 §9.5.1: the universal PIN, when used, replaces PIN1 */
      if (card->image->universal_pin)
        return secret_satisfied (&secrets[SV_VSIM_SECRET_UPIN]);
      return secret_satisfied (&secrets[SV_VSIM_SECRET_PIN1]);
    case SV_VSIM_ACCESS_PIN2:
      return secret_satisfied (&secrets[SV_VSIM_SECRET_PIN2]);
    case SV_VSIM_ACCESS_ADM:
      return secrets[SV_VSIM_SECRET_ADM1].present && secrets[SV_VSIM_SECRET_ADM1].verified;
    case SV_VSIM_ACCESS_NEVER:
    default:
      return FALSE;
    }
}

/* TS 51.011 §9.3 access condition nibble */
static guint
access_nibble_2g (SvVsimAccess access)
{
  switch (access)
    {
    case SV_VSIM_ACCESS_ALWAYS: return 0x0;
    case SV_VSIM_ACCESS_PIN1:   return 0x1;
    case SV_VSIM_ACCESS_PIN2:   return 0x2;
    case SV_VSIM_ACCESS_ADM:    return 0xA;
    case SV_VSIM_ACCESS_NEVER:
    default:                    return 0xF;
    }
}

/* ISO 7816-4 §5.4.3.2 compact security condition byte: 00 always, FF
 * never, otherwise b5 (user authentication) and the key as SE number. */
static guint8
access_sc_byte (SvVsimAccess access)
{
  switch (access)
    {
    case SV_VSIM_ACCESS_ALWAYS: return 0x00;
    case SV_VSIM_ACCESS_PIN1:   return 0x11;
    case SV_VSIM_ACCESS_PIN2:   return 0x12;
    case SV_VSIM_ACCESS_ADM:    return 0x1A;
    case SV_VSIM_ACCESS_NEVER:
    default:                    return 0xFF;
    }
}

/* ---- response bodies -------------------------------------------------- */

static guint
count_children (SvVsimNode *df,
                gboolean    want_df,
                Mode        mode)
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

  put16 (out, 0x0000);        /* RFU */
  put16 (out, 0x1000);        /* memory not allocated under this DF */
  put16 (out, df->fid);
  put8 (out, df->kind == SV_VSIM_NODE_MF ? 0x01 : 0x02);
  for (guint i = 0; i < 5; i++)
    put8 (out, 0x00);         /* RFU */
  put8 (out, 9);              /* length of the GSM specific data */
  put8 (out, characteristics);
  put8 (out, count_children (df, TRUE, MODE_2G));
  put8 (out, count_children (df, FALSE, MODE_2G));
  put8 (out, 4);              /* CHVs, UNBLOCK CHVs and ADM codes */
  put8 (out, 0x00);
  put8 (out, secret_status_2g (pin1));
  put8 (out, secret_status_2g (&secrets[SV_VSIM_SECRET_PUK1]));
  put8 (out, secret_status_2g (&secrets[SV_VSIM_SECRET_PIN2]));
  put8 (out, secret_status_2g (&secrets[SV_VSIM_SECRET_PUK2]));
}

/* TS 51.011 §9.2.1, response to SELECT of an EF. */
static void
build_ef_header_2g (SvVsimNode *ef,
                    GByteArray *out)
{
  SvVsimNode *real = sv_vsim_node_target (ef);

  put16 (out, 0x0000);
  put16 (out, sv_vsim_node_size (ef));
  put16 (out, ef->fid);
  put8 (out, 0x04);
  put8 (out, 0x00);
  put8 (out, access_nibble_2g (ef->read_access) << 4 | access_nibble_2g (ef->update_access));
  put8 (out, 0xF0);           /* INCREASE never */
  put8 (out, 0xAA);           /* REHABILITATE / INVALIDATE: ADM */
  put8 (out, 0x01);           /* not invalidated */
  put8 (out, 2);
  switch (real->structure)
    {
    case SV_VSIM_EF_LINEAR:      put8 (out, 0x01); break;
    case SV_VSIM_EF_CYCLIC:      put8 (out, 0x03); break;
    case SV_VSIM_EF_TRANSPARENT:
    default:                     put8 (out, 0x00); break;
    }
  put8 (out, real->record_length);
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
      put_tlv (body, 0x82, v, 2);
      if (node->kind == SV_VSIM_NODE_ADF)
        put_tlv (body, 0x84, g_bytes_get_data (node->aid, NULL), g_bytes_get_size (node->aid));
      else
        {
          v[0] = (guint8) (node->fid >> 8); v[1] = (guint8) node->fid;
          put_tlv (body, 0x83, v, 2);
        }
      if (node->kind != SV_VSIM_NODE_DF)
        {
          v[0] = 0x80; v[1] = 0x01; v[2] = 0x71; /* UICC characteristics */
          put_tlv (body, 0xA5, v, 3);
        }
      v[0] = 0x05;                             /* operational, activated */
      put_tlv (body, 0x8A, v, 1);
      v[0] = 0x00;
      put_tlv (body, 0x8C, v, 1);
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

          put_tlv (c6, 0x90, &ps, 1);
          g_byte_array_append (c6, pins->data, pins->len);
          put_tlv (body, 0xC6, c6->data, c6->len);
        }
      v[0] = (guint8) (total >> 8); v[1] = (guint8) total;
      put_tlv (body, 0x81, v, 2);
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
          put_tlv (body, 0x82, v, 5);
          break;
        case SV_VSIM_EF_TRANSPARENT:
        default:
          v[0] = 0x41; v[1] = 0x21;
          put_tlv (body, 0x82, v, 2);
          break;
        }
      v[0] = (guint8) (node->fid >> 8); v[1] = (guint8) node->fid;
      put_tlv (body, 0x83, v, 2);
      v[0] = 0x05;
      put_tlv (body, 0x8A, v, 1);
      v[0] = 0x03;                             /* AM: update (b2), read (b1) */
      v[1] = access_sc_byte (node->update_access);
      v[2] = access_sc_byte (node->read_access);
      put_tlv (body, 0x8C, v, 3);
      v[0] = (guint8) (size >> 8); v[1] = (guint8) size;
      put_tlv (body, 0x80, v, 2);
      if (node->sfi != 0)
        {
          v[0] = (guint8) (node->sfi << 3);
          put_tlv (body, 0x88, v, 1);
        }
      else
        put_tlv (body, 0x88, v, 0);            /* SFI not supported */
    }
  put_tlv (out, 0x62, body->data, body->len);
}

/* ---- SELECT ----------------------------------------------------------- */

static gboolean
visible (SvVsimNode *node,
         Mode        mode)
{
  return node != NULL && (mode == MODE_UICC || !node->uicc_only);
}

/* Selection by FID from the current DF: TS 51.011 §6.5,
 * TS 102.221 §8.4.1. */
static SvVsimNode *
find_by_fid (SvVsimCard  *card,
             guint16      fid,
             Mode         mode,
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

static void
selected (SvVsimCard *card,
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

static guint16
cmd_select_2g (SvVsimCard *card,
               Apdu       *apdu)
{
  SvVsimNode *node, *df;

  if (apdu->p1 != 0 || apdu->p2 != 0)
    return SW_WRONG_P1P2;
  if (apdu->lc != 2)
    return 0x6702;
  node = find_by_fid (card, (guint16) (apdu->data[0] << 8 | apdu->data[1]), MODE_2G, &df);
  if (node == NULL)
    return SW2G_NOT_FOUND;
  selected (card, node, df);
  if (sv_vsim_node_is_df (node))
    build_df_header_2g (card, node, card->pending);
  else
    build_ef_header_2g (node, card->pending);
  return (guint16) (0x9F00 | card->pending->len);
}

static guint16
cmd_select_uicc (SvVsimCard *card,
                 Apdu       *apdu,
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
  selected (card, node, df);
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

static guint16
cmd_get_response (SvVsimCard *card,
                  Apdu       *apdu,
                  GByteArray *pending,
                  Mode        mode,
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

static guint16
cmd_status (SvVsimCard *card,
            Apdu       *apdu,
            Mode        mode,
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
        put_tlv (body, 0x84, g_bytes_get_data (card->active_adf->aid, NULL),
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

/* ---- BINARY and RECORD ------------------------------------------------ */

static guint16
current_ef_for (SvVsimCard  *card,
                guint        sfi,
                Mode         mode,
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
               Mode        mode)
{
  return card->refuse_writes ? SW (mode, SW_MEMORY_UICC, SW2G_MEMORY) : SW_OK;
}

static guint16
cmd_read_binary (SvVsimCard *card,
                 Apdu       *apdu,
                 Mode        mode,
                 GByteArray *out)
{
  SvVsimNode *ef = NULL;
  guint offset, size, sfi = 0;
  guint16 sw;

  if (mode == MODE_UICC && (apdu->p1 & 0x80))
    {
      if (apdu->p1 & 0x60)
        return SW_INCORRECT_P1P2;
      sfi = apdu->p1 & 0x1F;
      offset = apdu->p2;
    }
  else
    offset = (guint) (apdu->p1 << 8 | apdu->p2);

  sw = current_ef_for (card, sfi, mode, FALSE, &ef);
  if (sw != SW_OK)
    return sw;
  if (!access_granted (card, ef->read_access))
    return SW (mode, SW_SECURITY, SW2G_ACCESS);
  size = sv_vsim_node_size (ef);
  if (offset >= size)
    return SW (mode, SW_WRONG_P1P2, SW2G_OUT_OF_RANGE);
  if (apdu->le > size - offset)
    return SW (mode, 0x6C00, 0x6700) | (guint16) MIN (size - offset, 0xFF);
  g_byte_array_append (out, sv_vsim_node_target (ef)->body->data + offset, apdu->le);
  return SW_OK;
}

static guint16
cmd_update_binary (SvVsimCard *card,
                   Apdu       *apdu,
                   Mode        mode)
{
  SvVsimNode *ef = NULL;
  guint offset, size, sfi = 0;
  guint16 sw;

  if (mode == MODE_UICC && (apdu->p1 & 0x80))
    {
      if (apdu->p1 & 0x60)
        return SW_INCORRECT_P1P2;
      sfi = apdu->p1 & 0x1F;
      offset = apdu->p2;
    }
  else
    offset = (guint) (apdu->p1 << 8 | apdu->p2);
  if (apdu->lc == 0)
    return SW_WRONG_LENGTH;

  sw = current_ef_for (card, sfi, mode, FALSE, &ef);
  if (sw != SW_OK)
    return sw;
  if (!access_granted (card, ef->update_access))
    return SW (mode, SW_SECURITY, SW2G_ACCESS);
  size = sv_vsim_node_size (ef);
  if (offset >= size)
    return SW (mode, SW_WRONG_P1P2, SW2G_OUT_OF_RANGE);
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
                Mode        mode,
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

static guint16
cmd_read_record (SvVsimCard *card,
                 Apdu       *apdu,
                 Mode        mode,
                 GByteArray *out)
{
  SvVsimNode *ef = NULL, *real;
  guint sfi = mode == MODE_UICC ? apdu->p2 >> 3 : 0;
  guint record_mode = apdu->p2 & 0x07;
  guint rec;
  guint16 sw;

  if (mode == MODE_2G && apdu->p2 > 0x04)
    return SW_WRONG_P1P2;
  if (sfi == 0x1F)
    return SW_INCORRECT_P1P2;
  sw = current_ef_for (card, sfi, mode, TRUE, &ef);
  if (sw != SW_OK)
    return sw;
  if (!access_granted (card, ef->read_access))
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

static guint16
cmd_update_record (SvVsimCard *card,
                   Apdu       *apdu,
                   Mode        mode)
{
  SvVsimNode *ef = NULL, *real;
  guint sfi = mode == MODE_UICC ? apdu->p2 >> 3 : 0;
  guint record_mode = apdu->p2 & 0x07;
  guint saved_record = card->current_record;
  guint rec;
  guint16 sw;

  if (mode == MODE_2G && apdu->p2 > 0x04)
    return SW_WRONG_P1P2;
  if (sfi == 0x1F)
    return SW_INCORRECT_P1P2;
  sw = current_ef_for (card, sfi, mode, TRUE, &ef);
  if (sw != SW_OK)
    return sw;
  real = sv_vsim_node_target (ef);
  if (apdu->lc != real->record_length)
    return SW (mode, SW_WRONG_LENGTH, 0x6700 | real->record_length);
  if (!access_granted (card, ef->update_access))
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
static guint16
cmd_seek_2g (SvVsimCard *card,
             Apdu       *apdu)
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
  if (!access_granted (card, ef->read_access))
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
        put8 (card->pending, rec);
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
static guint16
cmd_search_uicc (SvVsimCard *card,
                 Apdu       *apdu)
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
  if (!access_granted (card, ef->read_access))
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
        put8 (card->pending, rec);
    }
  if (card->pending->len == 0)
    return SW_RECORD_NOT_FOUND;
  card->current_record = card->pending->data[0];
  return (guint16) (0x6100 | card->pending->len);
}

/* ---- PIN (CHV) commands ---------------------------------------------- */

typedef enum
{
  PIN_VERIFY,
  PIN_CHANGE,
  PIN_DISABLE,
  PIN_ENABLE,
  PIN_UNBLOCK,
} PinOp;

static void
pin_pad (const char *value,
         guint8      out[8])
{
  gsize len = strlen (value);

  memset (out, 0xFF, 8);
  memcpy (out, value, MIN (len, 8));
}

/* TS 102.221 §9.5.2: 4-8 ASCII digits padded with FF. */
static char *
pin_unpad (const guint8 *data)
{
  guint len = 0;

  while (len < 8 && data[len] != 0xFF)
    {
      if (!g_ascii_isdigit (data[len]))
        return NULL;
      len++;
    }
  for (guint i = len; i < 8; i++)
    if (data[i] != 0xFF)
      return NULL;
  if (len < 4)
    return NULL;
  return g_strndup ((const char *) data, len);
}

static SvVsimSecretId
secret_for_ref (guint8  ref,
                Mode    mode,
                PinOp   op)
{
  if (mode == MODE_2G && op == PIN_UNBLOCK && ref == 0x00)
    return SV_VSIM_SECRET_PIN1;  /* TS 51.011 §9.2.13: 00 means CHV1 */
  switch (ref)
    {
    case 0x01:
      return SV_VSIM_SECRET_PIN1;
    case 0x02:
      return mode == MODE_2G ? SV_VSIM_SECRET_PIN2 : SV_VSIM_N_SECRETS;
    case 0x81:
      return mode == MODE_UICC ? SV_VSIM_SECRET_PIN2 : SV_VSIM_N_SECRETS;
    case 0x0A:
      return op == PIN_VERIFY ? SV_VSIM_SECRET_ADM1 : SV_VSIM_N_SECRETS;
    case 0x11:
      return mode == MODE_UICC ? SV_VSIM_SECRET_UPIN : SV_VSIM_N_SECRETS;
    default:
      return SV_VSIM_N_SECRETS;
    }
}

/* Compares a presented value; a wrong one costs a try. */
static gboolean
secret_check (SvVsimCard   *card,
              SvVsimSecret *s,
              const guint8 *presented)
{
  guint8 expected[8];

  pin_pad (s->value, expected);
  card->changed = TRUE;
  if (memcmp (expected, presented, 8) == 0)
    {
      s->tries_left = s->max_tries;
      s->verified = TRUE;
      return TRUE;
    }
  if (s->tries_left > 0)
    s->tries_left--;
  s->verified = FALSE;
  return FALSE;
}

static guint16
sw_wrong_secret (SvVsimSecret *s,
                 Mode          mode)
{
  if (mode == MODE_UICC)
    return (guint16) (0x63C0 | s->tries_left);
  return s->tries_left == 0 ? SW2G_BLOCKED : SW2G_ACCESS;
}

static guint16
cmd_pin (SvVsimCard *card,
         Apdu       *apdu,
         Mode        mode,
         PinOp       op)
{
  SvVsimSecret *secrets = card->image->secrets;
  SvVsimSecretId id = secret_for_ref (apdu->p2, mode, op);
  SvVsimSecret *s, *puk;
  gsize need = op == PIN_CHANGE || op == PIN_UNBLOCK ? 16 : 8;
  g_autofree char *new_value = NULL;

  if (apdu->p1 != 0x00)
    return SW (mode, SW_INCORRECT_P1P2, SW_WRONG_P1P2);
  if (id == SV_VSIM_N_SECRETS || !secrets[id].present)
    return SW (mode, SW_REF_NOT_FOUND, SW2G_NO_CHV);
  s = &secrets[id];
  puk = id == SV_VSIM_SECRET_PIN1 ? &secrets[SV_VSIM_SECRET_PUK1]
      : id == SV_VSIM_SECRET_PIN2 ? &secrets[SV_VSIM_SECRET_PUK2]
      : id == SV_VSIM_SECRET_UPIN ? &secrets[SV_VSIM_SECRET_UPUK] : NULL;

  /* TS 102.221 §11.1.9/§11.1.13: an empty VERIFY or UNBLOCK asks for the
   * retry counter. */
  if (mode == MODE_UICC && apdu->lc == 0 && (op == PIN_VERIFY || op == PIN_UNBLOCK))
    {
      SvVsimSecret *asked = op == PIN_VERIFY ? s : puk;

      if (asked == NULL || !asked->present)
        return SW_REF_NOT_FOUND;
      if (asked->tries_left == 0)
        return SW_PIN_BLOCKED;
      if (op == PIN_VERIFY && (s->verified || !s->enabled))
        return SW_OK;
      return (guint16) (0x63C0 | asked->tries_left);
    }
  if (apdu->lc != need)
    return SW (mode, SW_WRONG_LENGTH, 0x6700 | need);

  if (op == PIN_CHANGE || op == PIN_UNBLOCK)
    {
      new_value = pin_unpad (apdu->data + 8);
      if (new_value == NULL)
        return SW (mode, SW_WRONG_DATA, SW_WRONG_P1P2);
    }

  if (op == PIN_UNBLOCK)
    {
      if (puk == NULL || !puk->present)
        return SW (mode, SW_REF_NOT_FOUND, SW2G_NO_CHV);
      if (puk->tries_left == 0)
        return SW (mode, SW_PIN_BLOCKED, SW2G_BLOCKED);
      if (!secret_check (card, puk, apdu->data))
        return sw_wrong_secret (puk, mode);
      puk->verified = FALSE;
      g_free (s->value);
      s->value = g_steal_pointer (&new_value);
      s->tries_left = s->max_tries;
      s->enabled = TRUE;
      s->verified = TRUE;
      return SW_OK;
    }

  switch (op)
    {
    case PIN_VERIFY:
      if (mode == MODE_2G && !s->enabled)
        return SW2G_CONTRADICTION;
      break;
    case PIN_CHANGE:
      if (!s->enabled)
        return SW (mode, SW_PIN_INVALIDATED, SW2G_CONTRADICTION);
      break;
    case PIN_DISABLE:
      if (id != SV_VSIM_SECRET_PIN1)
        return SW (mode, SW_REF_NOT_FOUND, SW2G_CONTRADICTION);
      if (!s->enabled)
        return SW (mode, SW_CONDITIONS, SW2G_CONTRADICTION);
      break;
    case PIN_ENABLE:
      if (id != SV_VSIM_SECRET_PIN1)
        return SW (mode, SW_REF_NOT_FOUND, SW2G_CONTRADICTION);
      if (s->enabled)
        return SW (mode, SW_CONDITIONS, SW2G_CONTRADICTION);
      break;
    case PIN_UNBLOCK:
    default:
      break;
    }
  if (s->tries_left == 0)
    return SW (mode, SW_PIN_BLOCKED, SW2G_BLOCKED);
  if (!secret_check (card, s, apdu->data))
    return sw_wrong_secret (s, mode);

  switch (op)
    {
    case PIN_CHANGE:
      g_free (s->value);
      s->value = g_steal_pointer (&new_value);
      break;
    case PIN_DISABLE:
      s->enabled = FALSE;
      break;
    case PIN_ENABLE:
      s->enabled = TRUE;
      break;
    case PIN_VERIFY:
    case PIN_UNBLOCK:
    default:
      break;
    }
  return SW_OK;
}

/* ---- dispatch ---------------------------------------------------------- */

static gboolean
parse_apdu (const guint8 *raw,
            gsize         len,
            Apdu         *apdu)
{
  memset (apdu, 0, sizeof *apdu);
  if (len < 4)
    return FALSE;
  apdu->cla = raw[0];
  apdu->ins = raw[1];
  apdu->p1 = raw[2];
  apdu->p2 = raw[3];
  apdu->le = 256;  /* T=0: a missing or zero P3 asks for 256 bytes */
  if (len == 4)
    return TRUE;
  apdu->has_p3 = TRUE;
  apdu->p3 = raw[4];
  if (len == 5)
    {
      apdu->le = apdu->p3 != 0 ? apdu->p3 : 256;
      return TRUE;
    }
  apdu->lc = raw[4];
  if (apdu->lc == 0)
    return FALSE;  /* extended length: not with T=0 */
  apdu->data = raw + 5;
  if (len == 5 + apdu->lc)
    return TRUE;
  if (len == 6 + apdu->lc)
    {
      apdu->has_le = TRUE;
      apdu->le = raw[5 + apdu->lc] != 0 ? raw[5 + apdu->lc] : 256;
      return TRUE;
    }
  return FALSE;
}

/* Commands that send data to the card take P3 as Lc: a case 2 header
 * (5 bytes) carries P3 = 0 for "no data". */
static gboolean
incoming_ok (Apdu *apdu)
{
  if (apdu->data == NULL && apdu->has_p3 && apdu->p3 != 0)
    return FALSE;
  return TRUE;
}

/* Commands that read data must not carry a body. */
static gboolean
outgoing_ok (Apdu *apdu)
{
  return apdu->data == NULL;
}

static guint16
dispatch_2g (SvVsimCard *card,
             Apdu       *apdu,
             GByteArray *pending,
             GByteArray *out)
{
  switch (apdu->ins)
    {
    case 0xA4: case 0xD6: case 0xDC: case 0xA2:
    case 0x20: case 0x24: case 0x26: case 0x28: case 0x2C:
    case 0x10:
      if (!incoming_ok (apdu))
        return 0x6700;
      break;
    case 0xB0: case 0xB2: case 0xC0: case 0xF2:
      if (!outgoing_ok (apdu))
        return 0x6700;
      break;
    default:
      break;
    }

  switch (apdu->ins)
    {
    case 0xA4: return cmd_select_2g (card, apdu);
    case 0xC0: return cmd_get_response (card, apdu, pending, MODE_2G, out);
    case 0xF2: return cmd_status (card, apdu, MODE_2G, out);
    case 0xB0: return cmd_read_binary (card, apdu, MODE_2G, out);
    case 0xD6: return cmd_update_binary (card, apdu, MODE_2G);
    case 0xB2: return cmd_read_record (card, apdu, MODE_2G, out);
    case 0xDC: return cmd_update_record (card, apdu, MODE_2G);
    case 0xA2: return cmd_seek_2g (card, apdu);
    case 0x20: return cmd_pin (card, apdu, MODE_2G, PIN_VERIFY);
    case 0x24: return cmd_pin (card, apdu, MODE_2G, PIN_CHANGE);
    case 0x26: return cmd_pin (card, apdu, MODE_2G, PIN_DISABLE);
    case 0x28: return cmd_pin (card, apdu, MODE_2G, PIN_ENABLE);
    case 0x2C: return cmd_pin (card, apdu, MODE_2G, PIN_UNBLOCK);
    case 0x10: return SW_OK;                   /* TERMINAL PROFILE */
    case 0xFA: return SW_OK;                   /* SLEEP */
    default:   return SW_UNKNOWN_INS;
    }
}

static guint16
dispatch_uicc (SvVsimCard *card,
               Apdu       *apdu,
               GByteArray *pending,
               GByteArray *out)
{
  gboolean proprietary = (apdu->cla & 0x80) != 0;
  gboolean want_proprietary;

  if ((apdu->cla & 0x40) != 0 || (apdu->cla & 0x03) != 0)
    return SW_NO_CHANNEL;
  if ((apdu->cla & 0x0C) != 0)
    return SW_NO_SM;
  if ((apdu->cla & 0x10) != 0)
    return 0x6884;  /* command chaining not supported */

  switch (apdu->ins)
    {
    case 0xA4: case 0xC0: case 0xB0: case 0xD6: case 0xB2: case 0xDC:
    case 0xA2: case 0x20: case 0x24: case 0x26: case 0x28: case 0x2C:
    case 0x70: case 0x88: case 0x84:
      want_proprietary = FALSE;
      break;
    case 0xF2: case 0x10: case 0xC2: case 0x12: case 0x14: case 0x32:
      want_proprietary = TRUE;
      break;
    default:
      return SW_UNKNOWN_INS;
    }
  if (proprietary != want_proprietary)
    return SW_WRONG_CLASS;

  switch (apdu->ins)
    {
    case 0xA4: case 0xD6: case 0xDC: case 0xA2:
    case 0x20: case 0x24: case 0x26: case 0x28: case 0x2C:
    case 0x10:
      if (!incoming_ok (apdu))
        return SW_WRONG_LENGTH;
      break;
    case 0xB0: case 0xB2: case 0xC0: case 0xF2:
      if (!outgoing_ok (apdu))
        return SW_WRONG_LENGTH;
      break;
    default:
      break;
    }

  switch (apdu->ins)
    {
    case 0xA4: return cmd_select_uicc (card, apdu, out);
    case 0xC0: return cmd_get_response (card, apdu, pending, MODE_UICC, out);
    case 0xF2: return cmd_status (card, apdu, MODE_UICC, out);
    case 0xB0: return cmd_read_binary (card, apdu, MODE_UICC, out);
    case 0xD6: return cmd_update_binary (card, apdu, MODE_UICC);
    case 0xB2: return cmd_read_record (card, apdu, MODE_UICC, out);
    case 0xDC: return cmd_update_record (card, apdu, MODE_UICC);
    case 0xA2: return cmd_search_uicc (card, apdu);
    case 0x20: return cmd_pin (card, apdu, MODE_UICC, PIN_VERIFY);
    case 0x24: return cmd_pin (card, apdu, MODE_UICC, PIN_CHANGE);
    case 0x26: return cmd_pin (card, apdu, MODE_UICC, PIN_DISABLE);
    case 0x28: return cmd_pin (card, apdu, MODE_UICC, PIN_ENABLE);
    case 0x2C: return cmd_pin (card, apdu, MODE_UICC, PIN_UNBLOCK);
    case 0x10: return SW_OK;                   /* TERMINAL PROFILE */
    case 0x70: return SW_NO_CHANNEL;           /* MANAGE CHANNEL */
    default:   return SW_CONDITIONS;           /* AUTHENTICATE, CAT: not here */
    }
}

/**
 * sv_vsim_card_transmit:
 * @apdu: a command APDU as the reader delivers it (header, P3, data)
 *
 * Runs one command and returns the response: data followed by SW1 SW2.
 */
GBytes *
sv_vsim_card_transmit (SvVsimCard   *card,
                       const guint8 *raw,
                       gsize         length)
{
  g_autoptr(GByteArray) out = g_byte_array_new ();
  g_autoptr(GByteArray) pending = card->pending;
  Apdu apdu;
  int mode = -1;
  guint16 sw;

  /* GET RESPONSE must follow the command that produced the data; any
   * other command drops it. */
  card->pending = g_byte_array_new ();

  /* The class byte decides the command set (a USIM answers both when
   * its profile says so); only then the lengths are looked at. */
  if (length >= 1 && raw[0] == 0xA0 && card->image->mode_2g)
    mode = MODE_2G;
  else if (length >= 1 && ((raw[0] & 0xA0) == 0x00 || (raw[0] & 0xF0) == 0x80)
           && card->image->mode_uicc)
    mode = MODE_UICC;

  if (length < 4)
    sw = SW_WRONG_LENGTH;
  else if (mode < 0)
    sw = SW_WRONG_CLASS;
  else if (!parse_apdu (raw, length, &apdu))
    sw = SW_WRONG_LENGTH;
  else if (mode == MODE_2G)
    sw = dispatch_2g (card, &apdu, pending, out);
  else
    sw = dispatch_uicc (card, &apdu, pending, out);

  if ((sw & 0xFF00) != 0x9000 && (sw & 0xFF00) != 0x6100 && (sw & 0xFF00) != 0x9F00)
    g_byte_array_set_size (out, 0);
  put16 (out, sw);
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}
