/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Reading a whole card into an SvCardImage: the files are listed in const
 * tables with their spec sections, read in an order that keeps SELECTs to
 * one per file, and each record is read exactly once. On a USIM the
 * phonebook's change counters let a re-read of an unchanged card reuse
 * the previous image.
 */
#define G_LOG_DOMAIN "sv-card"

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "sv-card-error.h"
#include "sv-card-reader.h"
#include "sv-identity.h"
#include "sv-usim-phonebook.h"

typedef struct
{
  const char *key;
  const char *path;
  const char *fallback_path;    /* tried when @path does not exist */
  gboolean    is_message_file;
  const char *spec;
} SvFileSpec;

/* 2G SIM, TS 51.011 §10. Grouped by DF so each DF is selected once. */
static const SvFileSpec sim_files[] = {
  { "iccid",  "3F002FE2",     NULL, FALSE, "TS 51.011 §10.1.1 EF_ICCID" },
  { "imsi",   "3F007F206F07", NULL, FALSE, "TS 51.011 §10.3.2 EF_IMSI" },
  { "spn",    "3F007F206F46", NULL, FALSE, "TS 51.011 §10.3.11 EF_SPN" },
  { "msisdn", "3F007F106F40", NULL, FALSE, "TS 51.011 §10.5.5 EF_MSISDN" },
  { "adn",    "3F007F106F3A", NULL, FALSE, "TS 51.011 §10.5.1 EF_ADN" },
  { "ext1",   "3F007F106F4A", NULL, FALSE, "TS 51.011 §10.5.10 EF_EXT1" },
  { "sms",    "3F007F106F3C", NULL, TRUE,  "TS 51.011 §10.5.3 EF_SMS" },
  { "smsp",   "3F007F106F42", NULL, TRUE,  "TS 51.011 §10.5.6 EF_SMSP" },
};

/* USIM, TS 31.102 §4.2; the phonebook comes from EF_PBR below. */
static const SvFileSpec usim_files[] = {
  { "iccid",  "3F002FE2", NULL,           FALSE, "TS 102.221 §13.2 EF_ICCID" },
  { "imsi",   "7FFF6F07", NULL,           FALSE, "TS 31.102 §4.2.2 EF_IMSI" },
  { "spn",    "7FFF6F46", NULL,           FALSE, "TS 31.102 §4.2.12 EF_SPN" },
  { "msisdn", "7FFF6F40", "3F007F106F40", FALSE, "TS 31.102 §4.2.26 EF_MSISDN" },
  { "sms",    "7FFF6F3C", "3F007F106F3C", TRUE,  "TS 31.102 §4.2.25 EF_SMS" },
  { "smsp",   "7FFF6F42", "3F007F106F42", TRUE,  "TS 31.102 §4.2.27 EF_SMSP" },
};

/* TS 31.102 §4.4.2: DF_PHONEBOOK under ADF.USIM, else the global one
 * under DF_TELECOM. EF_PSC/CC/PUID have fixed FIDs there (§4.4.2.12). */
static const char *phonebook_dfs[] = { "7FFF5F3A", "3F007F105F3A" };

/* TS 31.102 §4.4.2.1 Table 4.1: file tags in EF_PBR. */
typedef struct
{
  guint8      tag;
  const char *kind;
  gboolean    numbered;    /* several per set: anr1, anr2 ... */
} SvPbrTag;

static const SvPbrTag pbr_tags[] = {
  { SV_PBR_TAG_ADN,   "adn",   FALSE },
  { SV_PBR_TAG_IAP,   "iap",   FALSE },
  { SV_PBR_TAG_EXT1,  "ext1",  FALSE },
  { SV_PBR_TAG_SNE,   "sne",   TRUE },
  { SV_PBR_TAG_ANR,   "anr",   TRUE },
  { SV_PBR_TAG_PBC,   "pbc",   FALSE },
  { SV_PBR_TAG_GRP,   "grp",   FALSE },
  { SV_PBR_TAG_UID,   "uid",   FALSE },
  { SV_PBR_TAG_EMAIL, "email", TRUE },
  /* C7 AAS, C8 GAS, CB CCP1: not part of a contact; not read */
};

typedef struct
{
  SvCardSession   *session;
  SvCardImage     *image;
  SvProgress      *progress;
  GCancellable    *cancellable;
  SvCardReadStats *stats;
  guint            done;
  guint            total;
  guint            apdus_at_start;
  SvCardImage     *known;       /* previous image of this very card, or NULL */
  gint64           last_report; /* monotonic µs of the last progress update */
} ReadContext;

/* Progress at most this often (and at the end): a record takes well under
 * a millisecond on a fast reader, and nobody reads a counter that fast. */
#define REPORT_INTERVAL_US (50 * 1000)

/* EF_ICCID through the codec (TS 102.221 §13.2); a body that does not
 * decode names the reader. */
static char *
decode_iccid (SvCardSession  *session,
              GBytes         *body,
              GError        **error)
{
  g_autoptr(GError) local_error = NULL;
  char *iccid = sv_iccid_decode (g_bytes_get_data (body, NULL), g_bytes_get_size (body),
                                 &local_error);

  if (iccid == NULL)
    g_set_error (error, SV_CARD_ERROR, SV_CARD_ERROR_MALFORMED_RESPONSE,
                 _("%s: EF_ICCID does not hold an ICCID: %s"),
                 sv_card_session_get_reader_name (session), local_error->message);
  return iccid;
}

static gboolean
check_cancelled (ReadContext  *ctx,
                 GError      **error)
{
  return !g_cancellable_set_error_if_cancelled (ctx->cancellable, error);
}

static void
report (ReadContext *ctx,
        const char  *what)
{
  g_autofree char *message = NULL;
  gint64 now;

  if (ctx->progress == NULL)
    return;
  now = g_get_monotonic_time ();
  if (ctx->done < ctx->total && now - ctx->last_report < REPORT_INTERVAL_US)
    return;
  ctx->last_report = now;
  message = g_strdup_printf ("%s: %u of %u records", what, ctx->done, ctx->total);
  sv_progress_update (ctx->progress, ctx->done, ctx->total, message);
}

/* Reads one EF into the image. Returns FALSE with no error when the file
 * does not exist; *file_out is the new file. */
static gboolean
read_file (ReadContext  *ctx,
           const char   *key,
           const char   *path,
           const char   *what,
           SvCardFile  **file_out,
           GError      **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_auto(SvFileInfo) info = { 0, };
  SvCardFile *file;
  SvCardFile *known;
  guint record_len;

  if (file_out)
    *file_out = NULL;
  if (!check_cancelled (ctx, error))
    return FALSE;

  /* A file of the previous image of this card: its structure and size are
   * known (they are fixed when the card is personalised), so no FCP and no
   * GET RESPONSE. */
  known = ctx->known ? sv_card_image_lookup (ctx->known, key) : NULL;
  if (known != NULL && g_strcmp0 (known->path, path) != 0)
    known = NULL;
  if (!sv_card_session_select (ctx->session, path, known ? NULL : &info, &local_error))
    {
      if (g_error_matches (local_error, SV_CARD_ERROR, SV_CARD_ERROR_FILE_NOT_FOUND))
        return FALSE;
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (known != NULL)
    {
      info.structure = known->structure;
      info.record_len = known->record_len;
      info.n_records = known->structure == SV_FILE_STRUCTURE_TRANSPARENT ? 0 : known->n_records;
      info.file_size = known->structure == SV_FILE_STRUCTURE_TRANSPARENT
                       ? known->record_len : known->record_len * known->n_records;
    }
  if (ctx->stats)
    ctx->stats->files_selected++;

  if (info.structure != SV_FILE_STRUCTURE_TRANSPARENT &&
      info.structure != SV_FILE_STRUCTURE_LINEAR_FIXED &&
      info.structure != SV_FILE_STRUCTURE_CYCLIC)
    {
      g_set_error (error, SV_CARD_ERROR, SV_CARD_ERROR_FILE_INCONSISTENT,
                   _("%s: %s is a %s file, a transparent or record EF was expected"),
                   sv_card_session_get_reader_name (ctx->session), path,
                   sv_file_structure_to_string (info.structure));
      return FALSE;
    }

  if (info.structure == SV_FILE_STRUCTURE_TRANSPARENT)
    {
      GBytes *body;

      ctx->total += 1;
      body = sv_card_session_read_binary (ctx->session, 0, info.file_size, error);
      if (body == NULL)
        return FALSE;
      g_ptr_array_add (records, body);
      record_len = g_bytes_get_size (body);
      ctx->done++;
      report (ctx, what);
    }
  else
    {
      ctx->total += info.n_records;
      report (ctx, what);
      for (guint r = 1; r <= info.n_records; r++)
        {
          GBytes *record;

          if (!check_cancelled (ctx, error))
            return FALSE;
          record = sv_card_session_read_record (ctx->session, r, info.record_len, error);
          if (record == NULL)
            return FALSE;
          g_ptr_array_add (records, record);
          ctx->done++;
          report (ctx, what);
        }
      /* A card whose FCP lies about the record length answers 6Cxx with the
       * real one: the records as read are the truth. */
      record_len = records->len > 0 ? g_bytes_get_size (g_ptr_array_index (records, 0))
                                    : info.record_len;
      if (record_len != info.record_len)
        g_debug ("%s: records of %s are %u bytes, the FCP said %u",
                 sv_card_session_get_reader_name (ctx->session), path, record_len, info.record_len);
    }
  if (ctx->stats)
    ctx->stats->records_read += records->len;

  file = sv_card_image_add_file (ctx->image, key, path, info.structure, record_len, records->len);
  for (guint i = 0; i < records->len; i++)
    {
      GBytes *record = g_ptr_array_index (records, i);
      g_autoptr(GBytes) fitted = NULL;

      if (g_bytes_get_size (record) != record_len)
        {
          /* A record of unexpected length: keep what fits, pad with FF. */
          g_autofree guint8 *buf = g_malloc (record_len);

          memset (buf, 0xFF, record_len);
          memcpy (buf, g_bytes_get_data (record, NULL), MIN (record_len, g_bytes_get_size (record)));
          fitted = g_bytes_new (buf, record_len);
          g_debug ("%s: record %u of %s is %zu bytes, expected %u",
                   sv_card_session_get_reader_name (ctx->session), i + 1, path,
                   g_bytes_get_size (record), record_len);
        }
      else
        fitted = g_bytes_ref (record);
      if (!sv_card_image_set_record (ctx->image, key, i + 1, fitted, error))
        return FALSE;
    }
  if (file_out)
    *file_out = file;
  return TRUE;
}

static gboolean
read_spec (ReadContext       *ctx,
           const SvFileSpec  *spec,
           GError           **error)
{
  g_autoptr(GError) local_error = NULL;

  if (read_file (ctx, spec->key, spec->path, spec->key, NULL, &local_error))
    return TRUE;
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (spec->fallback_path &&
      read_file (ctx, spec->key, spec->fallback_path, spec->key, NULL, &local_error))
    return TRUE;
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  g_debug ("%s: %s (%s) is absent", sv_card_session_get_reader_name (ctx->session),
           spec->key, spec->spec);
  return TRUE;
}

static void
copy_file (SvCardImage *to,
           SvCardFile  *file)
{
  sv_card_image_add_file (to, file->key, file->path, file->structure, file->record_len,
                          file->n_records);
  for (guint i = 0; i < file->records->len; i++)
    sv_card_image_set_record (to, file->key, i + 1, g_ptr_array_index (file->records, i), NULL);
}

static gboolean
same_record (SvCardImage *a,
             SvCardImage *b,
             const char  *key)
{
  GBytes *x = sv_card_image_get_record (a, key, 1);
  GBytes *y = sv_card_image_get_record (b, key, 1);

  return x != NULL && y != NULL && g_bytes_equal (x, y);
}

/* Every file the EF_PBR records name (sv_pbr_record_decode()), as (key,
 * path) pairs in PBR order. A record that does not decode names no file:
 * the phonebook model cannot use that set either. */
static GPtrArray *
pbr_file_list (SvCardImage *image,
               const char  *df_path)
{
  SvCardFile *pbr = sv_card_image_lookup (image, "pbr");
  GPtrArray *list = g_ptr_array_new_with_free_func (g_free);

  for (guint set = 1; pbr && set <= pbr->records->len; set++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GArray) entries = NULL;
      gsize len;
      const guint8 *d = g_bytes_get_data (g_ptr_array_index (pbr->records, set - 1), &len);
      guint counts[G_N_ELEMENTS (pbr_tags)] = { 0 };

      entries = sv_pbr_record_decode (d, len, &error);
      if (entries == NULL)
        {
          g_debug ("EF_PBR record %u: %s", set, error->message);
          continue;
        }
      for (guint e = 0; e < entries->len; e++)
        {
          const SvPbrEntry *entry = &g_array_index (entries, SvPbrEntry, e);

          for (guint t = 0; t < G_N_ELEMENTS (pbr_tags); t++)
            if (pbr_tags[t].tag == entry->tag)
              {
                counts[t]++;
                if (pbr_tags[t].numbered)
                  g_ptr_array_add (list, g_strdup_printf ("pb%u/%s%u", set, pbr_tags[t].kind,
                                                          counts[t]));
                else
                  g_ptr_array_add (list, g_strdup_printf ("pb%u/%s", set, pbr_tags[t].kind));
                g_ptr_array_add (list, g_strdup_printf ("%s%04X", df_path, entry->fid));
              }
        }
    }
  return list;
}

/* TS 31.102 §4.4.2.13: a 2G terminal changing an entry makes the card set
 * b1 of its EF_PBC record, and leaves EF_CC alone. One SEARCH RECORD per
 * set finds such records (TS 102.221 §11.1.5, simple search); a card that
 * cannot search is trusted on its counters. Any hit re-reads the phonebook. */
static gboolean
entries_flagged_by_2g_terminal (ReadContext  *ctx,
                                GPtrArray    *files,
                                gboolean     *unchanged,
                                GError      **error)
{
  static const guint8 modified[] = { 0x01 };

  for (guint i = 0; i < files->len; i += 2)
    {
      const char *key = g_ptr_array_index (files, i);
      const char *path = g_ptr_array_index (files, i + 1);
      g_autoptr(GError) local_error = NULL;
      g_autoptr(GArray) hits = NULL;

      if (!g_str_has_suffix (key, "/pbc"))
        continue;
      if (!sv_card_session_select (ctx->session, path, NULL, error))
        return FALSE;
      hits = sv_card_session_search_record (ctx->session, modified, sizeof modified, &local_error);
      if (hits == NULL)
        {
          if (g_error_matches (local_error, SV_CARD_ERROR, SV_CARD_ERROR_RECORD_NOT_FOUND) ||
              g_error_matches (local_error, SV_CARD_ERROR, SV_CARD_ERROR_INS_NOT_SUPPORTED) ||
              g_error_matches (local_error, SV_CARD_ERROR, SV_CARD_ERROR_CLA_NOT_SUPPORTED) ||
              g_error_matches (local_error, SV_CARD_ERROR, SV_CARD_ERROR_UNSUPPORTED) ||
              g_error_matches (local_error, SV_CARD_ERROR, SV_CARD_ERROR_WRONG_PARAMETERS))
            continue;
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      if (hits->len > 0)
        {
          g_debug ("%s: %s: %u entries changed by a 2G terminal",
                   sv_card_session_get_reader_name (ctx->session), key, hits->len);
          *unchanged = FALSE;
          return TRUE;
        }
    }
  return TRUE;
}

static gboolean
read_usim_phonebook (ReadContext  *ctx,
                     SvCardImage  *previous,
                     GError      **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GHashTable) read_paths = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GPtrArray) files = NULL;
  const char *df = NULL;
  gboolean unchanged = FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (phonebook_dfs) && df == NULL; i++)
    {
      g_autofree char *path = g_strconcat (phonebook_dfs[i], "4F30", NULL);

      if (read_file (ctx, "pbr", path, "Phonebook", NULL, &local_error))
        df = phonebook_dfs[i];
      else if (local_error)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
    }
  if (df == NULL)
    {
      /* No USIM phonebook at all: the 2G one under DF_TELECOM, if any. */
      for (guint i = 0; i < G_N_ELEMENTS (sim_files); i++)
        if (g_str_equal (sim_files[i].key, "adn") || g_str_equal (sim_files[i].key, "ext1"))
          if (!read_spec (ctx, &sim_files[i], error))
            return FALSE;
      return TRUE;
    }

  {
    const char *counters[][2] = { { "psc", "4F22" }, { "cc", "4F23" }, { "puid", "4F24" } };

    for (guint i = 0; i < G_N_ELEMENTS (counters); i++)
      {
        g_autofree char *path = g_strconcat (df, counters[i][1], NULL);

        if (!read_file (ctx, counters[i][0], path, "Phonebook", NULL, &local_error) && local_error)
          {
            g_propagate_error (error, g_steal_pointer (&local_error));
            return FALSE;
          }
      }
  }

  /* TS 31.102 §5.1.1.2: unchanged PSC, CC and PUID mean no entry was
   * changed by a 3G terminal; the previous image is still the card. */
  if (previous != NULL &&
      g_strcmp0 (sv_card_image_get_iccid (previous), sv_card_image_get_iccid (ctx->image)) == 0 &&
      sv_card_image_lookup (ctx->image, "cc") != NULL &&
      same_record (previous, ctx->image, "psc") &&
      same_record (previous, ctx->image, "cc") &&
      same_record (previous, ctx->image, "puid"))
    {
      SvCardFile *old_pbr = sv_card_image_lookup (previous, "pbr");
      SvCardFile *new_pbr = sv_card_image_lookup (ctx->image, "pbr");

      unchanged = old_pbr && old_pbr->records->len == new_pbr->records->len;
      for (guint i = 0; unchanged && i < new_pbr->records->len; i++)
        unchanged = g_bytes_equal (g_ptr_array_index (old_pbr->records, i),
                                   g_ptr_array_index (new_pbr->records, i));
    }

  files = pbr_file_list (ctx->image, df);
  if (unchanged && !entries_flagged_by_2g_terminal (ctx, files, &unchanged, error))
    return FALSE;
  for (guint i = 0; i < files->len; i += 2)
    {
      const char *key = g_ptr_array_index (files, i);
      const char *path = g_ptr_array_index (files, i + 1);
      SvCardFile *old = previous && unchanged ? sv_card_image_lookup (previous, key) : NULL;
      SvCardFile *same_path;

      if (old != NULL && g_strcmp0 (old->path, path) == 0)
        {
          copy_file (ctx->image, old);
          if (ctx->stats)
            ctx->stats->records_reused += old->records->len;
          continue;
        }
      /* Type 3 files (EXT1) shared by several sets: read once. */
      same_path = g_hash_table_lookup (read_paths, path);
      if (same_path != NULL)
        {
          SvCardFile *copy = sv_card_image_lookup (ctx->image, same_path->key);

          if (copy)
            {
              sv_card_image_add_file (ctx->image, key, path, copy->structure,
                                      copy->record_len, copy->n_records);
              for (guint r = 0; r < copy->records->len; r++)
                sv_card_image_set_record (ctx->image, key, r + 1,
                                          g_ptr_array_index (copy->records, r), NULL);
            }
          continue;
        }
      {
        SvCardFile *file = NULL;

        if (read_file (ctx, key, path, "Phonebook", &file, &local_error))
          g_hash_table_insert (read_paths, g_strdup (path), file);
        else if (local_error)
          {
            g_propagate_error (error, g_steal_pointer (&local_error));
            return FALSE;
          }
      }
    }
  return TRUE;
}

static SvCardImage *
given_previous (const char  *iccid,
                gpointer     user_data,
                GError     **error)
{
  return user_data != NULL ? g_object_ref (user_data) : NULL;
}

/**
 * sv_card_read_iccid:
 *
 * Returns: (transfer full): the ICCID digits of the card in @session
 */
char *
sv_card_read_iccid (SvCardSession  *session,
                    GError        **error)
{
  g_autoptr(GBytes) body = NULL;

  if (!sv_card_session_begin (session, error))
    return NULL;
  /* TS 102.221 §13.2: EF_ICCID is 10 bytes; no FCP needed. */
  if (sv_card_session_select (session, "3F002FE2", NULL, error))
    body = sv_card_session_read_binary (session, 0, 10, error);
  sv_card_session_end (session);
  if (body == NULL)
    return NULL;
  return decode_iccid (session, body, error);
}

/**
 * sv_card_read_image:
 * @previous: (nullable): the image last read from this card (e.g. from the
 *   mirror); on a USIM with unchanged change counters its phonebook is
 *   reused instead of read again
 * @progress: (nullable): receives "N of M records"
 * @stats: (out) (optional): APDU and record counts
 *
 * Reads every file SimVault keeps from the card: identity, phonebook
 * (2G EF_ADN/EXT1 or every USIM phonebook set through EF_PBR) and short
 * messages. Files the card does not have are left out of the image.
 * Blocking: run it in a worker thread (the read operation,
 * sync/operations/sv-read-operation.c, does).
 *
 * Returns: (transfer full): the image
 */
SvCardImage *
sv_card_read_image (SvCardSession    *session,
                    SvCardImage      *previous,
                    SvCardReadFlags   flags,
                    SvProgress       *progress,
                    SvCardReadStats  *stats,
                    GCancellable     *cancellable,
                    GError          **error)
{
  return sv_card_read_image_with_lookup (session, given_previous, previous, flags, progress,
                                         stats, cancellable, error);
}

static SvCardImage *
read_image_in_transaction (SvCardSession       *session,
                           SvCardPreviousFunc   lookup,
                           gpointer             lookup_data,
                           SvCardReadFlags      flags,
                           SvProgress          *progress,
                           SvCardReadStats     *stats,
                           GCancellable        *cancellable,
                           GError             **error)
{
  g_autoptr(SvCardImage) previous = NULL;
  g_autoptr(SvCardImage) image = sv_card_image_new (sv_card_session_get_card_type (session));
  ReadContext ctx = { session, image, progress, cancellable, stats, 0, 0,
                      sv_card_session_get_apdu_count (session) };
  gboolean usim = sv_card_session_get_card_type (session) == SV_CARD_TYPE_USIM;
  const SvFileSpec *specs = usim ? usim_files : sim_files;
  guint n_specs = usim ? G_N_ELEMENTS (usim_files) : G_N_ELEMENTS (sim_files);
  SvCardReadStats local_stats = { 0 };

  if (stats == NULL)
    ctx.stats = &local_stats;
  memset (ctx.stats, 0, sizeof *ctx.stats);

  for (guint i = 0; i < n_specs; i++)
    {
      const SvFileSpec *spec = &specs[i];

      if ((flags & SV_CARD_READ_SKIP_MESSAGES) && spec->is_message_file)
        continue;
      if ((flags & SV_CARD_READ_SKIP_PHONEBOOK) &&
          (g_str_equal (spec->key, "adn") || g_str_equal (spec->key, "ext1")))
        continue;
      if (!read_spec (&ctx, spec, error))
        return NULL;

      if (g_str_equal (spec->key, "iccid"))
        {
          GBytes *body = sv_card_image_get_record (image, "iccid", 1);
          g_autofree char *iccid = NULL;

          if (body == NULL)
            {
              g_set_error (error, SV_CARD_ERROR, SV_CARD_ERROR_FILE_NOT_FOUND,
                           _("%s: the card has no EF_ICCID (3F002FE2)"),
                           sv_card_session_get_reader_name (session));
              return NULL;
            }
          iccid = decode_iccid (session, body, error);
          if (iccid == NULL)
            return NULL;
          sv_card_image_set_iccid (image, iccid);
          if (lookup != NULL)
            {
              g_autoptr(GError) lookup_error = NULL;

              previous = lookup (iccid, lookup_data, &lookup_error);
              if (lookup_error != NULL)
                {
                  g_propagate_error (error, g_steal_pointer (&lookup_error));
                  return NULL;
                }
            }
          if (previous != NULL && g_strcmp0 (sv_card_image_get_iccid (previous), iccid) == 0)
            ctx.known = previous;
        }
    }

  if (usim && !(flags & SV_CARD_READ_SKIP_PHONEBOOK) &&
      !read_usim_phonebook (&ctx, previous, error))
    return NULL;

  ctx.stats->apdu_count = sv_card_session_get_apdu_count (session) - ctx.apdus_at_start;
  if (progress)
    sv_progress_update (progress, ctx.done, ctx.total, "Card read");
  return g_steal_pointer (&image);
}

/**
 * sv_card_read_image_with_lookup:
 * @lookup: (scope call): called once, right after EF_ICCID was read, with
 *   the card's ICCID; returns the image last read from that card, or %NULL
 *   for a card seen for the first time
 *
 * Like sv_card_read_image(), for a caller that does not know yet which card
 * is in the reader: the ICCID is read once, as part of the image, and the
 * previous image is looked up by it (the mirror, in the read operation).
 *
 * The whole read holds the card (one PC/SC transaction), released on
 * success, error and cancellation alike.
 */
SvCardImage *
sv_card_read_image_with_lookup (SvCardSession       *session,
                                SvCardPreviousFunc   lookup,
                                gpointer             lookup_data,
                                SvCardReadFlags      flags,
                                SvProgress          *progress,
                                SvCardReadStats     *stats,
                                GCancellable        *cancellable,
                                GError             **error)
{
  SvCardImage *image;

  if (!sv_card_session_begin (session, error))
    return NULL;
  image = read_image_in_transaction (session, lookup, lookup_data, flags, progress, stats,
                                     cancellable, error);
  sv_card_session_end (session);
  return image;
}
