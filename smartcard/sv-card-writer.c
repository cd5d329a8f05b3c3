/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Writing an edited image back to its card, record by record:
 *
 *  1. The change list is the per-record difference between the image last
 *     read (base) and the edited one (target), plus the USIM phonebook
 *     bookkeeping the ME owes the card (TS 31.102 §4.4.2.12: EF_CC
 *     incremented, a UID from EF_PUID for each new entry).
 *  2. The card must still hold the base bytes of every record to change.
 *     On a USIM whose EF_PSC and EF_CC still equal the base, the counters
 *     vouch for that; otherwise each record is read first. A record that
 *     already holds its target bytes is done (an interrupted write being
 *     resumed); any other difference is a conflict and nothing is written.
 *  3. Each record is written with UPDATE RECORD/BINARY and read back. The
 *     change counter goes first, so a terminal that looks at the card
 *     mid-write knows it changed.
 *  4. A journal (a GKeyFile, one group per change) lists every change
 *     with its state. It is saved whole once, before the first UPDATE;
 *     then each record's progress is appended to it as a small group
 *     ("uncertain" before its UPDATE goes out, "written" once read back),
 *     so its cost does not grow with the write (a rewrite of the whole file
 *     per record, fsynced, cost ~20 ms a record: more than the card's own
 *     time); on an error it is saved whole again with the exact state; it
 *     is removed when the write completes. When the card is pulled (or the
 *     program killed), the journal says which records were written, and the
 *     next write resumes through step 2 (which never trusts the journal:
 *     it compares the card).
 */
#define G_LOG_DOMAIN "sv-card"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>
#include <glib/gi18n-lib.h>

#include "sv-card-error.h"
#include "sv-card-reader.h"
#include "sv-card-writer.h"
#include "sv-hex.h"

typedef struct
{
  SvRecordChange *change;
  const char     *path;
  SvFileStructure structure;
  gboolean        done;         /* card holds new_bytes, verified */
  gboolean        in_flight;    /* UPDATE sent, not verified: maybe written */
} PlannedWrite;

void
sv_card_write_stats_clear (SvCardWriteStats *stats)
{
  g_clear_pointer (&stats->previous_written, g_ptr_array_unref);
  memset (stats, 0, sizeof *stats);
}

/**
 * sv_card_journal_path:
 *
 * Returns: (transfer full): `$XDG_STATE_HOME/simvault/journal/<iccid>.journal`
 */
char *
sv_card_journal_path (const char *iccid)
{
  g_autofree char *name = g_strconcat (iccid, ".journal", NULL);

  return g_build_filename (g_get_user_state_dir (), "simvault", "journal", name, NULL);
}

static char *
hex_of (GBytes *bytes)
{
  if (bytes == NULL)
    return NULL;
  return sv_bytes_to_hex (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
}

static gboolean
journal_save (const char    *journal_path,
              const char    *iccid,
              const char    *reader_name,
              GPtrArray     *plan,
              GError       **error)
{
  g_autoptr(GKeyFile) journal = g_key_file_new ();
  g_autofree char *dir = g_path_get_dirname (journal_path);

  g_key_file_set_string (journal, "write", "iccid", iccid);
  g_key_file_set_string (journal, "write", "reader", reader_name);
  g_key_file_set_integer (journal, "write", "changes", (gint) plan->len);
  for (guint i = 0; i < plan->len; i++)
    {
      PlannedWrite *w = g_ptr_array_index (plan, i);
      g_autofree char *group = g_strdup_printf ("change %u", i + 1);
      g_autofree char *old_hex = hex_of (w->change->old_bytes);
      g_autofree char *new_hex = hex_of (w->change->new_bytes);

      g_key_file_set_string (journal, group, "key", w->change->key);
      g_key_file_set_integer (journal, group, "index", (gint) w->change->index);
      g_key_file_set_string (journal, group, "path", w->path);
      g_key_file_set_string (journal, group, "old", old_hex ? old_hex : "");
      g_key_file_set_string (journal, group, "new", new_hex);
      g_key_file_set_string (journal, group, "state",
                             w->done ? "written" : w->in_flight ? "uncertain" : "pending");
    }

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   _("Cannot create the journal folder %s: %s"), dir, g_strerror (saved_errno));
      return FALSE;
    }
  /* Writes a temporary file, fsyncs and renames: the journal on disk is
   * always one whole state. */
  return g_key_file_save_to_file (journal, journal_path, error);
}

/* Appends one record's new state to the saved journal, as a group of its
 * own ("progress N": change, state) that sv_card_journal_load_written()
 * applies in file order: one small write, whatever the size of the write.
 * Not fsynced, like the rewrite it replaces was not for a new file: it
 * outlives the program (killed, or the card pulled), not a power cut, and
 * the next write compares the card anyway. */
static gboolean
journal_append_progress (int          fd,
                         const char  *journal_path,
                         guint       *n_progress,
                         guint        change,
                         const char  *state,
                         GError     **error)
{
  char line[96];
  int len = g_snprintf (line, sizeof line, "[progress %u]\nchange=%u\nstate=%s\n",
                        ++*n_progress, change, state);
  gssize done;

  do
    done = write (fd, line, (gsize) len);
  while (done < 0 && errno == EINTR);
  if (done != len)
    {
      int saved_errno = done < 0 ? errno : ENOSPC;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   _("Cannot write the journal %s: %s"), journal_path, g_strerror (saved_errno));
      return FALSE;
    }
  return TRUE;
}

/**
 * sv_card_journal_load_written:
 * @n_total: (out) (optional): the number of changes the journal lists
 *
 * Returns: (transfer full) (nullable): "key#index" of each record the
 * journal marks written; %NULL with no error when there is no journal
 */
GPtrArray *
sv_card_journal_load_written (const char  *journal_path,
                              guint       *n_total,
                              GError     **error)
{
  g_autoptr(GKeyFile) journal = g_key_file_new ();
  g_auto(GStrv) groups = NULL;
  char **states;
  GPtrArray *written;
  gint n;

  if (n_total)
    *n_total = 0;
  if (!g_file_test (journal_path, G_FILE_TEST_EXISTS))
    return NULL;
  if (!g_key_file_load_from_file (journal, journal_path, G_KEY_FILE_NONE, error))
    return NULL;
  n = g_key_file_get_integer (journal, "write", "changes", NULL);
  n = CLAMP (n, 0, 1 << 20);
  /* Each change's saved state, then the progress appended since, in file
   * order (journal_append_progress()). */
  states = g_new0 (char *, n + 1);
  for (gint i = 1; i <= n; i++)
    {
      g_autofree char *group = g_strdup_printf ("change %d", i);

      states[i] = g_key_file_get_string (journal, group, "state", NULL);
    }
  groups = g_key_file_get_groups (journal, NULL);
  for (guint g = 0; groups[g] != NULL; g++)
    {
      gint change;

      if (!g_str_has_prefix (groups[g], "progress "))
        continue;
      change = g_key_file_get_integer (journal, groups[g], "change", NULL);
      if (change >= 1 && change <= n)
        {
          g_free (states[change]);
          states[change] = g_key_file_get_string (journal, groups[g], "state", NULL);
        }
    }
  written = g_ptr_array_new_with_free_func (g_free);
  for (gint i = 1; i <= n; i++)
    {
      g_autofree char *group = g_strdup_printf ("change %d", i);
      const char *state = states[i];
      g_autofree char *key = g_key_file_get_string (journal, group, "key", NULL);

      if (g_strcmp0 (state, "written") == 0 && key != NULL)
        g_ptr_array_add (written, g_strdup_printf ("%s#%d", key,
                                                   g_key_file_get_integer (journal, group,
                                                                           "index", NULL)));
    }
  for (gint i = 0; i <= n; i++)
    g_free (states[i]);
  g_free (states);
  if (n_total)
    *n_total = (guint) MAX (n, 0);
  return written;
}

static guint
be16 (GBytes *bytes)
{
  gsize len;
  const guint8 *d = bytes ? g_bytes_get_data (bytes, &len) : NULL;

  if (d == NULL || len < 2)
    return 0;
  return (guint) (d[0] << 8 | d[1]);
}

static gboolean
record_is_empty (GBytes *bytes)
{
  gsize len;
  const guint8 *d;

  if (bytes == NULL)
    return TRUE;
  d = g_bytes_get_data (bytes, &len);
  for (gsize i = 0; i < len; i++)
    if (d[i] != 0xFF)
      return FALSE;
  return TRUE;
}

static void
set_be16 (SvCardImage *image,
          const char  *key,
          guint        index,
          guint        value)
{
  SvCardFile *file = sv_card_image_lookup (image, key);
  g_autofree guint8 *buf = NULL;
  g_autoptr(GBytes) bytes = NULL;

  if (file == NULL || file->record_len < 2)
    return;
  buf = g_malloc0 (file->record_len);
  memcpy (buf, g_bytes_get_data (sv_card_image_get_record (image, key, index), NULL),
          file->record_len);
  buf[0] = (value >> 8) & 0xFF;
  buf[1] = value & 0xFF;
  bytes = g_bytes_new (buf, file->record_len);
  sv_card_image_set_record (image, key, index, bytes, NULL);
}

/**
 * sv_card_write_prepare:
 *
 * The changes to write to take the card from @base to @target, with the
 * USIM phonebook bookkeeping added: EF_CC + 1 when any phonebook record
 * changes, and for each entry that becomes used with no UID, the next UID
 * from EF_PUID (TS 31.102 §4.4.2.12.1-3). Change counters first.
 *
 * Keys that name the same file (a shared EF_EXT1) get the same record.
 *
 * Returns: (transfer full) (element-type SvRecordChange): the changes, or
 * %NULL when two keys of one file were changed differently
 */
GPtrArray *
sv_card_write_prepare (SvCardImage  *base,
                       SvCardImage  *target,
                       GError      **error)
{
  g_autoptr(SvCardImage) full = sv_card_image_copy (target);
  g_autoptr(GPtrArray) changes = sv_card_image_diff (base, target);
  GPtrArray *ordered;
  gboolean phonebook_changed = FALSE;

  /* One file under several keys (a type 3 EF_EXT1 that every EF_PBR record
   * names): the key the edit changed carries the record to the others; two
   * keys changed differently is a contradiction, not a guess. */
  for (guint i = 0; i < changes->len; i++)
    {
      SvRecordChange *c = g_ptr_array_index (changes, i);
      SvCardFile *file = sv_card_image_lookup (full, c->key);
      g_autoptr(GPtrArray) aliases = NULL;

      if (file == NULL || file->path == NULL || c->new_bytes == NULL)
        continue;
      aliases = sv_card_image_list_keys (full);
      for (guint k = 0; k < aliases->len; k++)
        {
          const char *other = g_ptr_array_index (aliases, k);
          SvCardFile *other_file = sv_card_image_lookup (full, other);
          GBytes *mine, *theirs;

          if (g_str_equal (other, c->key) || g_strcmp0 (other_file->path, file->path) != 0)
            continue;
          mine = sv_card_image_get_record (target, other, c->index);
          theirs = sv_card_image_get_record (base, other, c->index);
          if (mine != NULL && theirs != NULL && !g_bytes_equal (mine, theirs) &&
              !g_bytes_equal (mine, c->new_bytes))
            {
              g_set_error (error, SV_CARD_ERROR, SV_CARD_ERROR_CONFLICT,
                           _("%s and %s are the same file (%s) but record %u was changed "
                             "differently in each"), c->key, other, file->path, c->index);
              return NULL;
            }
          sv_card_image_set_record (full, other, c->index, c->new_bytes, NULL);
        }
    }
  g_clear_pointer (&changes, g_ptr_array_unref);
  changes = sv_card_image_diff (base, full);

  for (guint i = 0; i < changes->len; i++)
    {
      SvRecordChange *c = g_ptr_array_index (changes, i);
      g_autofree char *uid_key = NULL;
      const char *slash = strchr (c->key, '/');

      if (!g_str_has_prefix (c->key, "pb") || slash == NULL)
        continue;
      phonebook_changed = TRUE;
      if (!g_str_equal (slash, "/adn") || !record_is_empty (c->old_bytes) ||
          record_is_empty (c->new_bytes))
        continue;
      uid_key = g_strndup (c->key, slash - c->key);
      {
        g_autofree char *k = g_strconcat (uid_key, "/uid", NULL);
        GBytes *uid = sv_card_image_get_record (full, k, c->index);

        if (uid != NULL && sv_card_image_lookup (full, "puid") != NULL &&
            (be16 (uid) == 0 || be16 (uid) == 0xFFFF))
          {
            guint next = be16 (sv_card_image_get_record (full, "puid", 1)) + 1;

            set_be16 (full, k, c->index, next);
            set_be16 (full, "puid", 1, next);
          }
      }
    }

  if (phonebook_changed && sv_card_image_lookup (full, "cc") != NULL &&
      be16 (sv_card_image_get_record (full, "cc", 1)) ==
      be16 (sv_card_image_get_record (base, "cc", 1)))
    {
      guint cc = be16 (sv_card_image_get_record (full, "cc", 1));

      set_be16 (full, "cc", 1, cc >= 0xFFFF ? 1 : cc + 1);
    }

  g_clear_pointer (&changes, g_ptr_array_unref);
  changes = sv_card_image_diff (base, full);
  ordered = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_record_change_unref);
  for (guint pass = 0; pass < 2; pass++)
    for (guint i = 0; i < changes->len; i++)
      {
        SvRecordChange *c = g_ptr_array_index (changes, i);
        gboolean counter;

        if (c == NULL)
          continue;
        counter = g_str_equal (c->key, "cc") || g_str_equal (c->key, "puid");
        if ((pass == 0) == counter && c->new_bytes != NULL)
          g_ptr_array_add (ordered, g_steal_pointer (&g_ptr_array_index (changes, i)));
      }
  return ordered;
}

/* The card's EF_PSC or EF_CC against @file's bytes in the base image. */
static gboolean
counter_unchanged (SvCardSession  *session,
                   SvCardFile     *file,
                   gboolean       *unchanged,
                   GError        **error)
{
  g_autoptr(GBytes) now = NULL;

  if (!sv_card_session_select (session, file->path, NULL, error))
    return FALSE;
  now = sv_card_session_read_binary (session, 0, file->record_len, error);
  if (now == NULL)
    return FALSE;
  *unchanged = g_bytes_equal (now, g_ptr_array_index (file->records, 0));
  return TRUE;
}

/* Whether @plan writes a file of phonebook set @prefix ("pb2/"): under
 * one of the set's keys, or a file the set shares (an EF_EXT1 two sets
 * name under one path). */
static gboolean
plan_writes_set (GPtrArray   *plan,
                 SvCardImage *base,
                 GPtrArray   *all_keys,
                 const char  *prefix)
{
  for (guint i = 0; i < plan->len; i++)
    {
      PlannedWrite *w = g_ptr_array_index (plan, i);

      if (g_str_has_prefix (w->change->key, prefix))
        return TRUE;
      for (guint k = 0; k < all_keys->len; k++)
        {
          const char *key = g_ptr_array_index (all_keys, k);
          SvCardFile *file = sv_card_image_lookup (base, key);

          if (g_str_has_prefix (key, prefix) && file->path != NULL && g_str_equal (file->path, w->path))
            return TRUE;
        }
    }
  return FALSE;
}

/* EF_CC is read last: a phonebook write updates it first, so it is still
 * selected then (one SELECT fewer per write). */
static gboolean
counters_vouch (SvCardSession  *session,
                SvCardImage    *base,
                GPtrArray      *plan,
                gboolean       *vouch,
                GError        **error)
{
  SvCardFile *psc = sv_card_image_lookup (base, "psc");
  SvCardFile *cc = sv_card_image_lookup (base, "cc");
  gboolean unchanged = FALSE;

  *vouch = FALSE;
  if (sv_card_session_get_card_type (session) != SV_CARD_TYPE_USIM || psc == NULL || cc == NULL)
    return TRUE;
  if (!counter_unchanged (session, psc, &unchanged, error))
    return FALSE;
  if (!unchanged)
    return TRUE;

  /* A 2G terminal's edits leave EF_CC alone but flag EF_PBC (TS 31.102
   * §4.4.2.5, §4.4.2.13): one SEARCH RECORD per set the plan writes (an
   * edit in a set we do not write cannot be overwritten; the next read
   * finds it by the same flag). A card without SEARCH RECORD is trusted
   * on its counters, as when reading. */
  {
    g_autoptr(GPtrArray) all_keys = sv_card_image_list_keys (base);
    static const guint8 modified[] = { 0x01 };

    for (guint i = 0; i < all_keys->len; i++)
      {
        SvCardFile *file = sv_card_image_lookup (base, g_ptr_array_index (all_keys, i));
        g_autoptr(GArray) hits = NULL;
        g_autoptr(GError) local_error = NULL;
        g_autofree char *prefix = NULL;

        if (!g_str_has_suffix (file->key, "/pbc"))
          continue;
        prefix = g_strndup (file->key, strlen (file->key) - strlen ("pbc"));
        if (!plan_writes_set (plan, base, all_keys, prefix))
          continue;
        if (!sv_card_session_select (session, file->path, NULL, error))
          return FALSE;
        hits = sv_card_session_search_record (session, modified, sizeof modified, &local_error);
        if (hits != NULL && hits->len > 0)
          return TRUE;
        if (hits == NULL &&
            local_error->domain != SV_CARD_ERROR)
          {
            g_propagate_error (error, g_steal_pointer (&local_error));
            return FALSE;
          }
      }
  }

  if (!counter_unchanged (session, cc, &unchanged, error))
    return FALSE;
  *vouch = unchanged;
  return TRUE;
}

static GBytes *
read_back (SvCardSession  *session,
           PlannedWrite   *w,
           GError        **error)
{
  gsize len = g_bytes_get_size (w->change->new_bytes);

  if (w->structure == SV_FILE_STRUCTURE_TRANSPARENT)
    return sv_card_session_read_binary (session, 0, len, error);
  return sv_card_session_read_record (session, w->change->index, len, error);
}

static char *
describe_records (GPtrArray *plan,
                  gboolean   done)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < plan->len; i++)
    {
      PlannedWrite *w = g_ptr_array_index (plan, i);

      if (w->done != done)
        continue;
      if (s->len > 0)
        g_string_append (s, ", ");
      g_string_append_printf (s, "%s#%u", w->change->key, w->change->index);
    }
  return g_string_free (s, FALSE);
}

/**
 * sv_card_write_image:
 * @base: the image as last read from this card (or written to it)
 * @target: @base with the user's edits
 * @journal_path: (nullable): where to keep the journal; %NULL for
 *   sv_card_journal_path() of the card's ICCID
 * @stats: (out caller-allocates) (optional): counts; clear with
 *   sv_card_write_stats_clear()
 * @written: (out) (optional) (transfer full): the changes now on the
 *   card, for sv_mirror_mark_written()
 *
 * Writes the records that differ, verifies each, and keeps a journal so a
 * pulled card can be resumed. See the top of this file.
 */
gboolean
sv_card_write_image (SvCardSession     *session,
                     SvCardImage       *base,
                     SvCardImage       *target,
                     const char        *journal_path,
                     SvProgress        *progress,
                     SvCardWriteStats  *stats,
                     GPtrArray        **written,
                     GCancellable      *cancellable,
                     GError           **error)
{
  return sv_card_write_image_to_card (session, NULL, base, target, journal_path, progress,
                                      stats, written, cancellable, error);
}

static gboolean
write_image_in_transaction (SvCardSession     *session,
                            const char        *card_iccid_read,
                            SvCardImage       *base,
                            SvCardImage       *target,
                            const char        *journal_path,
                            SvProgress        *progress,
                            SvCardWriteStats  *stats,
                            GPtrArray        **written,
                            GCancellable      *cancellable,
                            GError           **error)
{
  const char *reader_name = sv_card_session_get_reader_name (session);
  const char *iccid = sv_card_image_get_iccid (base);
  g_autoptr(GPtrArray) changes = NULL;
  g_autoptr(GPtrArray) plan = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) conflicts = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *default_journal = NULL;
  g_autofree char *card_iccid = NULL;
  SvCardWriteStats local_stats = { 0 };
  guint apdus_at_start = sv_card_session_get_apdu_count (session);
  gboolean vouch = FALSE;
  guint n_done = 0;
  int journal_fd = -1;
  guint n_progress = 0;

  if (stats == NULL)
    stats = &local_stats;
  memset (stats, 0, sizeof *stats);
  if (written)
    *written = NULL;

  if (iccid == NULL)
    {
      g_set_error (error, SV_CARD_ERROR, SV_CARD_ERROR_WRONG_CARD, _("The base image has no ICCID"));
      return FALSE;
    }
  if (journal_path == NULL)
    journal_path = default_journal = sv_card_journal_path (iccid);

  /* Never write one card's records onto another. */
  card_iccid = card_iccid_read != NULL ? g_strdup (card_iccid_read) : sv_card_read_iccid (session, error);
  if (card_iccid == NULL)
    return FALSE;
  if (!g_str_equal (card_iccid, iccid))
    {
      g_set_error (error, SV_CARD_ERROR, SV_CARD_ERROR_WRONG_CARD,
                   _("%s: the card is %s, the changes are for %s"), reader_name, card_iccid, iccid);
      return FALSE;
    }

  if (stats != &local_stats)
    stats->previous_written = sv_card_journal_load_written (journal_path, NULL, NULL);

  changes = sv_card_write_prepare (base, target, error);
  if (changes == NULL)
    return FALSE;
  for (guint i = 0; i < changes->len; i++)
    {
      SvRecordChange *c = g_ptr_array_index (changes, i);
      SvCardFile *file = sv_card_image_lookup (target, c->key);
      PlannedWrite *w;
      gboolean duplicate = FALSE;

      if (file == NULL)
        file = sv_card_image_lookup (base, c->key);
      if (file == NULL || file->path == NULL)
        {
          g_set_error (error, SV_CARD_ERROR, SV_CARD_ERROR_FILE_NOT_FOUND,
                       _("%s: no path for file “%s”"), reader_name, c->key);
          return FALSE;
        }
      /* The same record of the same file under another key: written once. */
      for (guint j = 0; j < plan->len && !duplicate; j++)
        {
          PlannedWrite *other = g_ptr_array_index (plan, j);

          duplicate = other->change->index == c->index && g_str_equal (other->path, file->path);
        }
      if (duplicate)
        continue;
      w = g_new0 (PlannedWrite, 1);
      w->change = c;
      w->path = file->path;
      w->structure = file->structure;
      g_ptr_array_add (plan, w);
    }
  if (plan->len == 0)
    {
      if (written)
        *written = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_record_change_unref);
      g_remove (journal_path);
      return TRUE;
    }

  if (!counters_vouch (session, base, plan, &vouch, error))
    return FALSE;

  /* Pass 1: unless the counters vouch for the base, compare the card. */
  if (!vouch)
    for (guint i = 0; i < plan->len; i++)
      {
        PlannedWrite *w = g_ptr_array_index (plan, i);
        g_autoptr(GBytes) now = NULL;

        if (g_cancellable_set_error_if_cancelled (cancellable, error))
          return FALSE;
        if (!sv_card_session_select (session, w->path, NULL, error) ||
            (now = read_back (session, w, error)) == NULL)
          return FALSE;
        stats->records_checked++;
        if (g_bytes_equal (now, w->change->new_bytes))
          {
            w->done = TRUE;
            stats->records_already++;
          }
        else if (w->change->old_bytes == NULL || !g_bytes_equal (now, w->change->old_bytes))
          g_ptr_array_add (conflicts, g_strdup_printf ("%s#%u", w->change->key, w->change->index));
      }
  if (conflicts->len > 0)
    {
      g_autofree char *list = NULL;

      g_ptr_array_add (conflicts, NULL);
      list = g_strjoinv (", ", (char **) conflicts->pdata);
      g_set_error (error, SV_CARD_ERROR, SV_CARD_ERROR_CONFLICT,
                   _("%s: %u records changed on the card since it was read, nothing written: %s"),
                   reader_name, conflicts->len - 1, list);
      return FALSE;
    }

  if (!journal_save (journal_path, iccid, reader_name, plan, error))
    return FALSE;
  journal_fd = g_open (journal_path, O_WRONLY | O_APPEND | O_CLOEXEC, 0);
  if (journal_fd < 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   _("Cannot write the journal %s: %s"), journal_path, g_strerror (saved_errno));
      return FALSE;
    }

  /* Pass 2: write and read back. */
  for (guint i = 0; i < plan->len; i++)
    {
      PlannedWrite *w = g_ptr_array_index (plan, i);
      g_autoptr(GBytes) now = NULL;
      g_autoptr(GError) local_error = NULL;
      gboolean ok;

      if (w->done)
        {
          n_done++;
          continue;
        }
      /* The journal names the record before the UPDATE goes out, so an
       * interruption at any point leaves it "uncertain", never unknown;
       * the next write resolves it by reading the card. */
      ok = !g_cancellable_set_error_if_cancelled (cancellable, &local_error) &&
           sv_card_session_select (session, w->path, NULL, &local_error);
      if (ok)
        {
          w->in_flight = TRUE;
          if (!journal_append_progress (journal_fd, journal_path, &n_progress, i + 1, "uncertain", error))
            {
              g_close (journal_fd, NULL);
              return FALSE;
            }
          ok = (w->structure == SV_FILE_STRUCTURE_TRANSPARENT
                ? sv_card_session_update_binary (session, 0, w->change->new_bytes, &local_error)
                : sv_card_session_update_record (session, w->change->index, w->change->new_bytes,
                                                 &local_error)) &&
               (now = read_back (session, w, &local_error)) != NULL;
        }
      if (ok && !g_bytes_equal (now, w->change->new_bytes))
        {
          g_set_error (&local_error, SV_CARD_ERROR, SV_CARD_ERROR_VERIFY_MISMATCH,
                       _("%s: %s record %u reads back different from what was written"),
                       reader_name, w->change->key, w->change->index);
          ok = FALSE;
        }
      if (!ok)
        {
          g_autofree char *done_list = describe_records (plan, TRUE);
          g_autofree char *uncertain = w->in_flight
            ? g_strdup_printf ("; uncertain: %s#%u", w->change->key, w->change->index)
            : g_strdup ("");

          /* The local disk still works when the card is gone: leave the
           * exact state behind, whole. */
          g_close (journal_fd, NULL);
          journal_save (journal_path, iccid, reader_name, plan, NULL);
          stats->apdu_count = sv_card_session_get_apdu_count (session) - apdus_at_start;
          g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                      _("Write interrupted after %u of %u records (written: %s%s); "
                                        "journal %s; write again to resume: "),
                                      n_done, plan->len, *done_list ? done_list : _("none"),
                                      uncertain, journal_path);
          return FALSE;
        }
      w->done = TRUE;
      w->in_flight = FALSE;
      if (!journal_append_progress (journal_fd, journal_path, &n_progress, i + 1, "written", error))
        {
          g_close (journal_fd, NULL);
          return FALSE;
        }
      stats->records_written++;
      n_done++;
      if (progress)
        {
          g_autofree char *message = g_strdup_printf ("Writing: %u of %u records", n_done, plan->len);

          sv_progress_update (progress, n_done, plan->len, message);
        }
    }

  g_close (journal_fd, NULL);
  g_remove (journal_path);
  stats->apdu_count = sv_card_session_get_apdu_count (session) - apdus_at_start;
  if (written)
    *written = g_steal_pointer (&changes);
  return TRUE;
}

/**
 * sv_card_write_image_to_card:
 * @card_iccid_read: (nullable): the ICCID the caller has just read from the card
 *   in @session, in this same operation; %NULL to read it here
 *
 * sv_card_write_image() for an operation that already read the card's
 * ICCID (to find its pending changes): the ICCID is read once per
 * operation, and the changes are still never written onto another card.
 *
 * The whole write, its ICCID check and its read-backs hold the card (one
 * PC/SC transaction), released on success, error and cancellation alike.
 */
gboolean
sv_card_write_image_to_card (SvCardSession     *session,
                             const char        *card_iccid_read,
                             SvCardImage       *base,
                             SvCardImage       *target,
                             const char        *journal_path,
                             SvProgress        *progress,
                             SvCardWriteStats  *stats,
                             GPtrArray        **written,
                             GCancellable      *cancellable,
                             GError           **error)
{
  gboolean ok;

  if (!sv_card_session_begin (session, error))
    return FALSE;
  ok = write_image_in_transaction (session, card_iccid_read, base, target, journal_path,
                                   progress, stats, written, cancellable, error);
  sv_card_session_end (session);
  return ok;
}

/**
 * sv_card_image_sync_aliases:
 * @image: an image to fix in place (e.g. the mirror's working image after
 *   sv_mirror_mark_written())
 * @written: (element-type SvRecordChange): what went onto the card
 *
 * Gives every key that names the same file as a written record that
 * record's new bytes, so no view of a shared file (EF_EXT1 named by
 * several EF_PBR records) is left stale.
 *
 * Returns: the number of records changed in @image
 */
guint
sv_card_image_sync_aliases (SvCardImage *image,
                            GPtrArray   *written)
{
  g_autoptr(GPtrArray) keys = sv_card_image_list_keys (image);
  guint n_changed = 0;

  for (guint i = 0; i < written->len; i++)
    {
      SvRecordChange *c = g_ptr_array_index (written, i);
      SvCardFile *file = sv_card_image_lookup (image, c->key);

      if (file == NULL || c->new_bytes == NULL)
        continue;
      for (guint k = 0; k < keys->len; k++)
        {
          SvCardFile *other = sv_card_image_lookup (image, g_ptr_array_index (keys, k));
          GBytes *now;

          if (g_strcmp0 (other->path, file->path) != 0)
            continue;
          now = sv_card_image_get_record (image, other->key, c->index);
          if (now != NULL && !g_bytes_equal (now, c->new_bytes) &&
              sv_card_image_set_record (image, other->key, c->index, c->new_bytes, NULL))
            n_changed++;
        }
    }
  return n_changed;
}
