/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A small simulated SIM/USIM file system behind the fake reader, for unit
 * tests of reading and writing whole cards. It answers like a card does
 * (TS 102.221 / TS 51.011): SELECT by FID relative to the current DF or
 * by AID, 61xx/9Fxx + GET RESPONSE, 6Cxx for a wrong Le, and it can be
 * given the quirks real cards have.
 */
#pragma once

#include <string.h>

#include "sv-card-image.h"
#include "sv-fake-reader.h"
#include "sv-hex.h"

typedef struct
{
  char            *path;
  gboolean         is_df;
  SvFileStructure  structure;
  guint            record_len;
  GPtrArray       *records;     /* GByteArray */
  guint           *reads;       /* READs per record */
} SimFile;

typedef struct
{
  GHashTable   *files;          /* path -> SimFile */
  gboolean      uicc;
  gboolean      usim;
  gboolean      direct_fcp;     /* FCP in the SELECT answer when Le is sent */
  guint         fcp_record_len_lie; /* FCP claims records this much shorter */
  gboolean      support_search; /* SEARCH RECORD (else 6D00, like many cards) */
  char         *cur_df;
  char         *cur_ef;
  guint8        pending[258];
  gsize         pending_len;
  guint         n_selects;
  guint         n_reads;
  guint         n_updates;
  GCancellable *cancel_at;      /* cancelled when n_reads reaches cancel_after */
  guint         cancel_after;
} SimCard;

static inline void
sim_file_free (SimFile *f)
{
  g_free (f->path);
  if (f->records)
    g_ptr_array_unref (f->records);
  g_free (f->reads);
  g_free (f);
}

static inline SimCard *
sim_card_new (gboolean uicc,
              gboolean usim)
{
  SimCard *sim = g_new0 (SimCard, 1);

  sim->files = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) sim_file_free);
  sim->uicc = uicc;
  sim->usim = usim;
  sim->cur_df = g_strdup ("3F00");
  return sim;
}

static inline void
sim_card_free (SimCard *sim)
{
  g_hash_table_unref (sim->files);
  g_free (sim->cur_df);
  g_free (sim->cur_ef);
  g_free (sim);
}

static inline void
sim_add_df (SimCard    *sim,
            const char *path)
{
  SimFile *f = g_new0 (SimFile, 1);

  f->path = g_strdup (path);
  f->is_df = TRUE;
  g_hash_table_replace (sim->files, f->path, f);
}

static inline SimFile *
sim_add_ef (SimCard         *sim,
            const char      *path,
            SvFileStructure  structure,
            guint            record_len,
            guint            n_records)
{
  SimFile *f = g_new0 (SimFile, 1);

  f->path = g_strdup (path);
  f->structure = structure;
  f->record_len = record_len;
  f->records = g_ptr_array_new_with_free_func ((GDestroyNotify) g_byte_array_unref);
  for (guint i = 0; i < n_records; i++)
    {
      GByteArray *r = g_byte_array_sized_new (record_len);

      g_byte_array_set_size (r, record_len);
      memset (r->data, 0xFF, record_len);
      g_ptr_array_add (f->records, r);
    }
  f->reads = g_new0 (guint, n_records + 1);
  g_hash_table_replace (sim->files, f->path, f);
  return f;
}

static inline void
sim_set (SimCard    *sim,
         const char *path,
         guint       record,
         const char *hex)
{
  SimFile *f = g_hash_table_lookup (sim->files, path);
  g_autoptr(GBytes) bytes = sv_hex_to_bytes (hex);
  GByteArray *r;

  g_assert_nonnull (f);
  r = g_ptr_array_index (f->records, record - 1);
  memset (r->data, 0xFF, r->len);
  memcpy (r->data, g_bytes_get_data (bytes, NULL), MIN (r->len, g_bytes_get_size (bytes)));
}

static inline GBytes *
sim_get (SimCard    *sim,
         const char *path,
         guint       record)
{
  SimFile *f = g_hash_table_lookup (sim->files, path);
  GByteArray *r = g_ptr_array_index (f->records, record - 1);

  return g_bytes_new (r->data, r->len);
}

static inline GBytes *
sw_only (guint16 sw)
{
  guint8 b[2] = { sw >> 8, sw & 0xFF };

  return g_bytes_new (b, 2);
}

static inline GBytes *
data_sw (const guint8 *data,
         gsize         len,
         guint16       sw)
{
  GByteArray *out = g_byte_array_new ();
  guint8 b[2] = { sw >> 8, sw & 0xFF };

  g_byte_array_append (out, data, len);
  g_byte_array_append (out, b, 2);
  return g_byte_array_free_to_bytes (out);
}

static inline char *
parent_of (const char *path)
{
  gsize len = strlen (path);

  return len > 4 ? g_strndup (path, len - 4) : NULL;
}

/* Resolves a FID from the current DF like a card (TS 102.221 §8.4.1). */
static inline SimFile *
sim_resolve (SimCard    *sim,
             const char *fid)
{
  g_autofree char *child = g_strconcat (sim->cur_df, fid, NULL);
  g_autofree char *parent = parent_of (sim->cur_df);
  SimFile *f;

  if (g_str_equal (fid, "3F00"))
    return g_hash_table_lookup (sim->files, "3F00");
  if (g_str_equal (fid, "7FFF") && sim->usim)
    return g_hash_table_lookup (sim->files, "7FFF");
  if ((f = g_hash_table_lookup (sim->files, child)) != NULL)
    return f;
  if (parent != NULL)
    {
      g_autofree char *sibling = g_strconcat (parent, fid, NULL);
      g_autofree char *grandparent = parent_of (parent);

      if (g_str_has_suffix (parent, fid))
        return g_hash_table_lookup (sim->files, parent);
      if ((f = g_hash_table_lookup (sim->files, sibling)) != NULL && f->is_df)
        return f;
      (void) grandparent;
    }
  return NULL;
}

static inline gsize
sim_build_info (SimCard *sim,
                SimFile *f,
                guint8  *out)
{
  guint size = f->is_df ? 0 : (f->structure == SV_FILE_STRUCTURE_TRANSPARENT
                               ? f->record_len : f->record_len * f->records->len);
  guint fid = (guint) g_ascii_strtoull (f->path + strlen (f->path) - 4, NULL, 16);

  if (sim->uicc)
    {
      gsize n = 2;

      if (f->is_df)
        {
          out[n++] = 0x82; out[n++] = 0x02; out[n++] = 0x78; out[n++] = 0x21;
        }
      else if (f->structure == SV_FILE_STRUCTURE_TRANSPARENT)
        {
          out[n++] = 0x82; out[n++] = 0x02; out[n++] = 0x41; out[n++] = 0x21;
        }
      else
        {
          guint rl = f->record_len > 4 ? f->record_len - sim->fcp_record_len_lie : f->record_len;

          out[n++] = 0x82; out[n++] = 0x05; out[n++] = 0x42; out[n++] = 0x21;
          out[n++] = 0x00; out[n++] = rl; out[n++] = f->records->len;
        }
      out[n++] = 0x83; out[n++] = 0x02; out[n++] = fid >> 8; out[n++] = fid & 0xFF;
      if (!f->is_df)
        {
          out[n++] = 0x80; out[n++] = 0x02; out[n++] = size >> 8; out[n++] = size & 0xFF;
        }
      out[0] = 0x62;
      out[1] = n - 2;
      return n;
    }

  /* TS 51.011 §9.2.1 */
  memset (out, 0, 22);
  out[2] = size >> 8;
  out[3] = size & 0xFF;
  out[4] = fid >> 8;
  out[5] = fid & 0xFF;
  if (f->is_df)
    {
      out[6] = g_str_equal (f->path, "3F00") ? 0x01 : 0x02;
      out[12] = 9;
      out[13] = 0x80;           /* CHV1 disabled */
      out[18] = 0x83;           /* CHV1: initialised, 3 tries */
      out[19] = 0x8A;
      out[20] = 0x83;
      out[21] = 0x8A;
      return 22;
    }
  out[6] = 0x04;
  out[12] = 2;
  out[13] = f->structure == SV_FILE_STRUCTURE_TRANSPARENT ? 0x00
            : f->structure == SV_FILE_STRUCTURE_CYCLIC ? 0x03 : 0x01;
  out[14] = f->structure == SV_FILE_STRUCTURE_TRANSPARENT ? 0 : f->record_len;
  return 15;
}

static inline GBytes *
sim_card_func (GBytes   *apdu_bytes,
               gpointer  user_data)
{
  SimCard *sim = user_data;
  gsize len;
  const guint8 *apdu = g_bytes_get_data (apdu_bytes, &len);
  guint8 cla = apdu[0], ins = apdu[1], p1 = apdu[2], p2 = apdu[3];
  guint8 expected_cla = sim->uicc ? 0x00 : 0xA0;
  gsize lc = len > 5 ? apdu[4] : 0;
  gboolean has_le = len == 5 || len == 5 + lc + 1;
  guint le = len == 5 ? (apdu[4] ? apdu[4] : 256) : (has_le ? (apdu[len - 1] ? apdu[len - 1] : 256) : 0);
  SimFile *ef = sim->cur_ef ? g_hash_table_lookup (sim->files, sim->cur_ef) : NULL;

  if (cla != expected_cla)
    return sw_only (sim->uicc ? 0x6E00 : 0x6E00);

  switch (ins)
    {
    case 0xA4:
      {
        SimFile *f = NULL;
        guint8 info[64];
        gsize n;

        sim->n_selects++;
        if (p1 == 0x04 && sim->usim)
          f = g_hash_table_lookup (sim->files, "7FFF");
        else if (p1 == 0x00 && lc == 2)
          {
            g_autofree char *fid = g_strdup_printf ("%02X%02X", apdu[5], apdu[6]);

            f = sim_resolve (sim, fid);
          }
        else
          return sw_only (sim->uicc ? 0x6A86 : 0x6B00);
        if (f == NULL)
          return sw_only (sim->uicc ? 0x6A82 : 0x9404);
        if (f->is_df)
          {
            g_free (sim->cur_df);
            sim->cur_df = g_strdup (f->path);
            g_clear_pointer (&sim->cur_ef, g_free);
          }
        else
          {
            g_free (sim->cur_ef);
            sim->cur_ef = g_strdup (f->path);
          }
        n = sim_build_info (sim, f, info);
        if (sim->uicc && p2 == 0x0C)
          return sw_only (0x9000);
        if (sim->uicc && has_le && sim->direct_fcp)
          return data_sw (info, n, 0x9000);
        memcpy (sim->pending, info, n);
        sim->pending_len = n;
        return sw_only ((sim->uicc ? 0x6100 : 0x9F00) | n);
      }
    case 0xC0:
      if (sim->pending_len == 0)
        return sw_only (sim->uicc ? 0x6985 : 0x9400);
      if (le != sim->pending_len)
        return sw_only (0x6C00 | sim->pending_len);
      {
        GBytes *r = data_sw (sim->pending, sim->pending_len, 0x9000);

        sim->pending_len = 0;
        return r;
      }
    case 0xB2:
    case 0xDC:
      {
        GByteArray *r;

        if (ef == NULL || ef->structure == SV_FILE_STRUCTURE_TRANSPARENT)
          return sw_only (sim->uicc ? 0x6981 : 0x9408);
        if (p2 != 0x04 || p1 == 0 || p1 > ef->records->len)
          return sw_only (sim->uicc ? 0x6A83 : 0x9402);
        r = g_ptr_array_index (ef->records, p1 - 1);
        if (ins == 0xDC)
          {
            if (lc != ef->record_len)
              return sw_only (sim->uicc ? 0x6700 : 0x6700);
            memcpy (r->data, apdu + 5, lc);
            sim->n_updates++;
            return sw_only (0x9000);
          }
        if (le != ef->record_len)
          return sw_only (0x6C00 | ef->record_len);
        ef->reads[p1]++;
        sim->n_reads++;
        if (sim->cancel_at && sim->n_reads == sim->cancel_after)
          g_cancellable_cancel (sim->cancel_at);
        return data_sw (r->data, r->len, 0x9000);
      }
    case 0xB0:
    case 0xD6:
      {
        guint offset = (guint) (p1 << 8 | p2);
        GByteArray *r;

        if (ef == NULL || ef->structure != SV_FILE_STRUCTURE_TRANSPARENT)
          return sw_only (sim->uicc ? 0x6981 : 0x9408);
        r = g_ptr_array_index (ef->records, 0);
        if (ins == 0xD6)
          {
            if (offset + lc > r->len)
              return sw_only (0x6B00);
            memcpy (r->data + offset, apdu + 5, lc);
            sim->n_updates++;
            return sw_only (0x9000);
          }
        if (offset >= r->len)
          return sw_only (0x6B00);
        ef->reads[1]++;
        sim->n_reads++;
        return data_sw (r->data + offset, MIN (le, r->len - offset), 0x9000);
      }
    case 0xA2:
      {
        guint8 found[255];
        gsize n_found = 0;

        if (!sim->support_search)
          return sw_only (0x6D00);
        if (ef == NULL || ef->structure == SV_FILE_STRUCTURE_TRANSPARENT || lc == 0)
          return sw_only (0x6981);
        for (guint r = 1; r <= ef->records->len; r++)
          {
            GByteArray *rec = g_ptr_array_index (ef->records, r - 1);

            for (guint off = 0; off + lc <= rec->len; off++)
              if (memcmp (rec->data + off, apdu + 5, lc) == 0)
                {
                  found[n_found++] = r;
                  break;
                }
          }
        if (n_found == 0)
          return sw_only (0x6A83);
        if (!has_le)
          {
            memcpy (sim->pending, found, n_found);
            sim->pending_len = n_found;
            return sw_only (0x6100 | n_found);
          }
        return data_sw (found, n_found, 0x9000);
      }
    case 0x20:
    case 0x2C:
      return sw_only (0x9000);
    default:
      return sw_only (0x6D00);
    }
}

/* ---- profiles ---------------------------------------------------------- */

#define ICCID_HEX "98101430121181157002"   /* ICCID 89014103211118510720 */

static inline void
sim_fill_adn (SimCard    *sim,
              const char *path,
              guint       alpha_len,
              guint       record,
              const char *name,
              const char *bcd)
{
  g_autofree char *name_hex = sv_bytes_to_hex ((const guint8 *) name, strlen (name));
  GString *hex = g_string_new (name_hex);
  gsize bcd_bytes = strlen (bcd) / 2;

  for (gsize i = strlen (name); i < alpha_len; i++)
    g_string_append (hex, "FF");
  g_string_append_printf (hex, "%02X81%s", (guint) bcd_bytes + 1, bcd);
  for (gsize i = bcd_bytes; i < 10; i++)
    g_string_append (hex, "FF");
  g_string_append (hex, "FFFF");
  sim_set (sim, path, record, hex->str);
  g_string_free (hex, TRUE);
}

static inline SimCard *
sim_card_new_2g (void)
{
  SimCard *sim = sim_card_new (FALSE, FALSE);

  sim_add_df (sim, "3F00");
  sim_add_ef (sim, "3F002FE2", SV_FILE_STRUCTURE_TRANSPARENT, 10, 1);
  sim_set (sim, "3F002FE2", 1, ICCID_HEX);
  sim_add_df (sim, "3F007F20");
  sim_add_ef (sim, "3F007F206F07", SV_FILE_STRUCTURE_TRANSPARENT, 9, 1);
  sim_set (sim, "3F007F206F07", 1, "082926051234567890");
  sim_add_ef (sim, "3F007F206F46", SV_FILE_STRUCTURE_TRANSPARENT, 17, 1);
  sim_set (sim, "3F007F206F46", 1, "00536F6D65");
  sim_add_df (sim, "3F007F10");
  sim_add_ef (sim, "3F007F106F40", SV_FILE_STRUCTURE_LINEAR_FIXED, 28, 2);
  sim_add_ef (sim, "3F007F106F3A", SV_FILE_STRUCTURE_LINEAR_FIXED, 28, 10);
  sim_fill_adn (sim, "3F007F106F3A", 14, 1, "Alice", "2143658709");
  sim_fill_adn (sim, "3F007F106F3A", 14, 2, "Bob", "1032547698");
  sim_add_ef (sim, "3F007F106F4A", SV_FILE_STRUCTURE_LINEAR_FIXED, 13, 5);
  sim_add_ef (sim, "3F007F106F3C", SV_FILE_STRUCTURE_LINEAR_FIXED, 176, 5);
  /* Free EF_SMS records: status '00' (TS 51.011 §10.5.3) */
  for (guint r = 1; r <= 5; r++)
    sim_set (sim, "3F007F106F3C", r, "00");
  sim_add_ef (sim, "3F007F106F42", SV_FILE_STRUCTURE_LINEAR_FIXED, 40, 1);
  return sim;
}

/* Two phonebook sets: set 1 with type 1 ANR and EMAIL, set 2 with a type 2
 * EMAIL through EF_IAP; one EF_EXT1 (type 3) shared by both. */
static inline SimCard *
sim_card_new_usim (gboolean global_phonebook)
{
  SimCard *sim = sim_card_new (TRUE, TRUE);
  const char *pb = global_phonebook ? "3F007F105F3A" : "7FFF5F3A";
  g_autofree char *p = NULL;

#define PB(fid) (g_free (p), p = g_strconcat (pb, fid, NULL))
  sim_add_df (sim, "3F00");
  sim_add_ef (sim, "3F002F00", SV_FILE_STRUCTURE_LINEAR_FIXED, 32, 1);
  sim_set (sim, "3F002F00", 1, "61124F10A0000000871002FFFFFFFF8907090000");
  sim_add_ef (sim, "3F002FE2", SV_FILE_STRUCTURE_TRANSPARENT, 10, 1);
  sim_set (sim, "3F002FE2", 1, ICCID_HEX);
  sim_add_df (sim, "7FFF");
  sim_add_ef (sim, "7FFF6F07", SV_FILE_STRUCTURE_TRANSPARENT, 9, 1);
  sim_set (sim, "7FFF6F07", 1, "082926051234567890");
  sim_add_ef (sim, "7FFF6F40", SV_FILE_STRUCTURE_LINEAR_FIXED, 30, 1);
  sim_add_ef (sim, "7FFF6F3C", SV_FILE_STRUCTURE_LINEAR_FIXED, 176, 4);
  for (guint r = 1; r <= 4; r++)
    sim_set (sim, "7FFF6F3C", r, "00");
  sim_add_df (sim, "3F007F10");
  sim_add_df (sim, pb);
  sim_add_ef (sim, PB ("4F30"), SV_FILE_STRUCTURE_LINEAR_FIXED, 40, 2);
  sim_set (sim, p, 1, "A814C0024F3AC5024F09C4024F11CA024F50C9024F21AA04C2024F4A");
  sim_set (sim, p, 2, "A810C0024F3BC5024F0AC1024F25C9024F2AA904CA024F51AA04C2024F4A");
  sim_add_ef (sim, PB ("4F22"), SV_FILE_STRUCTURE_TRANSPARENT, 4, 1);
  sim_set (sim, p, 1, "00000001");
  sim_add_ef (sim, PB ("4F23"), SV_FILE_STRUCTURE_TRANSPARENT, 2, 1);
  sim_set (sim, p, 1, "0005");
  sim_add_ef (sim, PB ("4F24"), SV_FILE_STRUCTURE_TRANSPARENT, 2, 1);
  sim_set (sim, p, 1, "0002");
  sim_add_ef (sim, PB ("4F3A"), SV_FILE_STRUCTURE_LINEAR_FIXED, 30, 6);
  sim_fill_adn (sim, p, 16, 1, "Alice", "2143658709");
  sim_add_ef (sim, PB ("4F09"), SV_FILE_STRUCTURE_LINEAR_FIXED, 2, 6);
  sim_add_ef (sim, PB ("4F11"), SV_FILE_STRUCTURE_LINEAR_FIXED, 17, 6);
  sim_add_ef (sim, PB ("4F50"), SV_FILE_STRUCTURE_LINEAR_FIXED, 20, 6);
  sim_add_ef (sim, PB ("4F21"), SV_FILE_STRUCTURE_LINEAR_FIXED, 2, 6);
  sim_set (sim, p, 1, "0001");
  sim_add_ef (sim, PB ("4F4A"), SV_FILE_STRUCTURE_LINEAR_FIXED, 13, 4);
  sim_add_ef (sim, PB ("4F3B"), SV_FILE_STRUCTURE_LINEAR_FIXED, 30, 6);
  sim_fill_adn (sim, p, 16, 2, "Carol", "1032547698");
  sim_add_ef (sim, PB ("4F0A"), SV_FILE_STRUCTURE_LINEAR_FIXED, 2, 6);
  sim_add_ef (sim, PB ("4F25"), SV_FILE_STRUCTURE_LINEAR_FIXED, 1, 6);
  sim_add_ef (sim, PB ("4F2A"), SV_FILE_STRUCTURE_LINEAR_FIXED, 2, 6);
  sim_set (sim, p, 2, "0002");
  sim_add_ef (sim, PB ("4F51"), SV_FILE_STRUCTURE_LINEAR_FIXED, 22, 6);
#undef PB
  return sim;
}

/* Every record of every EF read exactly once? */
static inline guint
sim_count_rereads (SimCard *sim)
{
  GHashTableIter iter;
  SimFile *f;
  guint rereads = 0;

  g_hash_table_iter_init (&iter, sim->files);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &f))
    for (guint r = 1; !f->is_df && r <= f->records->len; r++)
      if (f->reads[r] > 1)
        rereads += f->reads[r] - 1;
  return rereads;
}

static inline void
sim_reset_counters (SimCard *sim)
{
  GHashTableIter iter;
  SimFile *f;

  g_hash_table_iter_init (&iter, sim->files);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &f))
    if (!f->is_df)
      memset (f->reads, 0, sizeof (guint) * (f->records->len + 1));
  sim->n_selects = sim->n_reads = sim->n_updates = 0;
}
