/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The mirror's cards: storing a fresh read (records the card changed follow
 * it, local edits stay and are reported as conflicts), listing and
 * searching cards, and the decoded contacts and messages of one card.
 */
#define G_LOG_DOMAIN "sv-mirror"

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "sv-phonebook.h"
#include "sv-mirror-private.h"

/* ------------------------------------------------------------------ */
/* Import of a fresh read                                               */

static gboolean
upsert_file (sqlite3           *db,
             gint64             card_id,
             const SvCardFile  *file,
             gint64            *file_id,
             GError           **error)
{
  g_autoptr(sqlite3_stmt) up = NULL;
  g_autoptr(sqlite3_stmt) sel = NULL;
  g_autoptr(sqlite3_stmt) trim = NULL;
  int rc;

  if (!sv_mirror_sql_prepare (db,
                              "INSERT INTO files (card_id, key, path, structure, record_len, n_records) "
                              "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (card_id, key) DO UPDATE SET "
                              "path = excluded.path, structure = excluded.structure, "
                              "record_len = excluded.record_len, n_records = excluded.n_records",
                              &up, error))
    return FALSE;
  sqlite3_bind_int64 (up, 1, card_id);
  sqlite3_bind_text (up, 2, file->key, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (up, 3, file->path ? file->path : "", -1, SQLITE_TRANSIENT);
  sqlite3_bind_int (up, 4, file->structure);
  sqlite3_bind_int (up, 5, (int) file->record_len);
  sqlite3_bind_int (up, 6, (int) file->records->len);
  if (!sv_mirror_step_done (db, up, N_("storing a file"), error))
    return FALSE;

  if (!sv_mirror_sql_prepare (db, "SELECT id FROM files WHERE card_id = ? AND key = ?", &sel, error))
    return FALSE;
  sqlite3_bind_int64 (sel, 1, card_id);
  sqlite3_bind_text (sel, 2, file->key, -1, SQLITE_TRANSIENT);
  rc = sqlite3_step (sel);
  if (rc != SQLITE_ROW)
    return sv_mirror_sql_error (db, rc, N_("looking up a file"), error);
  *file_id = sqlite3_column_int64 (sel, 0);

  /* A file that lost records (its size changed) loses their rows too. */
  if (!sv_mirror_sql_prepare (db, "DELETE FROM records WHERE file_id = ? AND idx > ?", &trim, error))
    return FALSE;
  sqlite3_bind_int64 (trim, 1, *file_id);
  sqlite3_bind_int (trim, 2, (int) file->records->len);
  return sv_mirror_step_done (db, trim, N_("trimming records"), error);
}

gboolean
sv_mirror_lookup_file_id (sqlite3     *db,
                          gint64       card_id,
                          const char  *key,
                          gint64      *file_id,
                          GError     **error)
{
  g_autoptr(sqlite3_stmt) sel = NULL;
  int rc;

  if (!sv_mirror_sql_prepare (db, "SELECT id FROM files WHERE card_id = ? AND key = ?", &sel, error))
    return FALSE;
  sqlite3_bind_int64 (sel, 1, card_id);
  sqlite3_bind_text (sel, 2, key, -1, SQLITE_TRANSIENT);
  rc = sqlite3_step (sel);
  if (rc == SQLITE_DONE)
    {
      g_set_error (error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_NOT_FOUND,
                   _("The mirror has no file “%s” for this card"), key);
      return FALSE;
    }
  if (rc != SQLITE_ROW)
    return sv_mirror_sql_error (db, rc, N_("looking up a file"), error);
  *file_id = sqlite3_column_int64 (sel, 0);
  return TRUE;
}

/* The stored base and working bytes of one record; %FALSE with no error if
 * the record has no row yet. */
gboolean
sv_mirror_get_record (sqlite3   *db,
                      gint64     file_id,
                      guint      idx,
                      GBytes   **base,
                      GBytes   **working,
                      gint64    *version,
                      gboolean  *found,
                      GError   **error)
{
  g_autoptr(sqlite3_stmt) sel = NULL;
  int rc;

  if (!sv_mirror_sql_prepare (db,
                              "SELECT base, working, version FROM records WHERE file_id = ? AND idx = ?",
                              &sel, error))
    return FALSE;
  sqlite3_bind_int64 (sel, 1, file_id);
  sqlite3_bind_int (sel, 2, (int) idx);
  rc = sqlite3_step (sel);
  if (rc == SQLITE_DONE)
    {
      *found = FALSE;
      return TRUE;
    }
  if (rc != SQLITE_ROW)
    return sv_mirror_sql_error (db, rc, N_("reading a record"), error);
  *found = TRUE;
  if (base)
    *base = sv_mirror_column_bytes (sel, 0);
  if (working)
    *working = sv_mirror_column_bytes (sel, 1);
  if (version)
    *version = sqlite3_column_int64 (sel, 2);
  return TRUE;
}

gboolean
sv_mirror_put_record (sqlite3     *db,
                      gint64       file_id,
                      const char  *key,
                      guint        idx,
                      GBytes      *base,
                      GBytes      *working,
                      gint64       version,
                      GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;

  if (!sv_mirror_sql_prepare (db,
                              "INSERT OR REPLACE INTO records (file_id, idx, base, working, state, version) "
                              "VALUES (?, ?, ?, ?, ?, ?)", &stmt, error))
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, file_id);
  sqlite3_bind_int (stmt, 2, (int) idx);
  sv_mirror_bind_bytes (stmt, 3, base);
  sv_mirror_bind_bytes (stmt, 4, working);
  sqlite3_bind_int (stmt, 5, sv_mirror_record_state (key, base, working));
  sqlite3_bind_int64 (stmt, 6, version);
  return sv_mirror_step_done (db, stmt, N_("storing a record"), error);
}

static gboolean
update_identity (sqlite3      *db,
                 gint64        card_id,
                 SvCardImage  *image,
                 GError      **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autofree char *imsi = sv_card_image_dup_imsi (image);
  g_autofree char *msisdn = sv_card_image_dup_msisdn (image);
  g_autofree char *spn = sv_card_image_dup_spn (image);

  if (!sv_mirror_sql_prepare (db,
                              "UPDATE cards SET card_type = ?, read_at = ?, "
                              "imsi = coalesce (?, imsi), phone_number = coalesce (?, phone_number), "
                              "spn = coalesce (?, spn) WHERE id = ?", &stmt, error))
    return FALSE;
  sqlite3_bind_int (stmt, 1, sv_card_image_get_card_type (image));
  sqlite3_bind_int64 (stmt, 2, g_get_real_time () / G_USEC_PER_SEC);
  sqlite3_bind_text (stmt, 3, imsi, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 4, msisdn, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 5, spn, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 6, card_id);
  return sv_mirror_step_done (db, stmt, N_("updating the card"), error);
}

char *
sv_mirror_image_iccid (SvCardImage *image)
{
  const char *iccid = sv_card_image_get_iccid (image);

  if (iccid != NULL && *iccid != '\0')
    return g_strdup (iccid);
  return sv_card_image_dup_iccid (image);
}

/**
 * sv_mirror_import_card:
 * @read_from_card: a complete or partial image read from a card
 * @conflicts: (out) (optional) (element-type SvMirrorConflict): records
 *   edited locally that the card changed too
 *
 * Stores a fresh read. Records without local edits follow the card; records
 * with local edits keep them, and if the card's bytes differ from what the
 * mirror last saw, they are returned in @conflicts (the edit stays pending:
 * nothing is overwritten silently). Files of the mirror that @read_from_card
 * lacks are kept as they are. One transaction.
 *
 * Returns: %TRUE on success
 */
gboolean
sv_mirror_import_card (SvMirror      *self,
                       SvCardImage   *read_from_card,
                       GPtrArray    **conflicts,
                       GError       **error)
{
  return sv_mirror_import_card_decoded (self, read_from_card, NULL, NULL, conflicts, error);
}

/**
 * sv_mirror_import_card_decoded:
 * @contacts: (element-type SvContact) (nullable): @read_from_card's
 *   phonebook, decoded by the caller
 * @messages: (element-type SvMessage) (nullable): its EF_SMS, decoded
 *
 * sv_mirror_import_card() for a caller that has decoded the read already
 * (the read operation): when the card's working image is then exactly
 * @read_from_card (no local edits, nothing the read left out), the
 * mirror's lists of contacts and messages are stored from @contacts and
 * @messages instead of being decoded a second time.
 */
gboolean
sv_mirror_import_card_decoded (SvMirror      *self,
                               SvCardImage   *read_from_card,
                               GPtrArray     *contacts,
                               GPtrArray     *messages,
                               GPtrArray    **conflicts,
                               GError       **error)
{
  g_autofree char *iccid = NULL;
  g_autoptr(GPtrArray) found = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_mirror_conflict_unref);
  g_autoptr(GPtrArray) keys = NULL;
  g_autoptr(SvCardImage) working = NULL;
  g_autofree char *detail = NULL;
  SvMirrorCardRow card;
  gint64 new_modseq;
  guint n_records = 0, n_changed = 0;
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (SV_IS_MIRROR (self), FALSE);
  g_return_val_if_fail (SV_IS_CARD_IMAGE (read_from_card), FALSE);

  iccid = sv_mirror_image_iccid (read_from_card);
  if (iccid == NULL || *iccid == '\0')
    {
      g_set_error_literal (error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_INVALID,
                           _("The card image has no ICCID; the mirror keys cards by ICCID"));
      return FALSE;
    }

  if (!sv_mirror_begin (self->db, error))
    return FALSE;

  if (!sv_mirror_lookup_card (self->db, iccid, &card, &local_error))
    {
      g_autoptr(sqlite3_stmt) ins = NULL;

      if (!g_error_matches (local_error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_NOT_FOUND))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return sv_mirror_rollback (self->db);
        }
      if (!sv_mirror_sql_prepare (self->db, "INSERT INTO cards (iccid, card_type) VALUES (?, ?)",
                                  &ins, error))
        return sv_mirror_rollback (self->db);
      sqlite3_bind_text (ins, 1, iccid, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int (ins, 2, sv_card_image_get_card_type (read_from_card));
      if (!sv_mirror_step_done (self->db, ins, N_("adding a card"), error) ||
          !sv_mirror_lookup_card (self->db, iccid, &card, error))
        return sv_mirror_rollback (self->db);
    }

  new_modseq = card.modseq + 1;
  keys = sv_card_image_list_keys (read_from_card);
  for (guint k = 0; k < keys->len; k++)
    {
      const char *key = g_ptr_array_index (keys, k);
      SvCardFile *file = sv_card_image_lookup (read_from_card, key);
      gint64 file_id = 0;

      if (!upsert_file (self->db, card.id, file, &file_id, error))
        return sv_mirror_rollback (self->db);

      for (guint i = 0; i < file->records->len; i++)
        {
          GBytes *card_bytes = g_ptr_array_index (file->records, i);
          g_autoptr(GBytes) base = NULL;
          g_autoptr(GBytes) local = NULL;
          gint64 version = 0;
          gboolean found_row = FALSE;
          guint idx = i + 1;

          n_records++;
          if (!sv_mirror_get_record (self->db, file_id, idx, &base, &local, &version, &found_row, error))
            return sv_mirror_rollback (self->db);

          if (!found_row)
            {
              if (!sv_mirror_put_record (self->db, file_id, key, idx, card_bytes, card_bytes, new_modseq, error))
                return sv_mirror_rollback (self->db);
              n_changed++;
              continue;
            }

          if (sv_mirror_bytes_equal0 (base, card_bytes))
            continue;           /* the card did not change this record */

          n_changed++;
          if (sv_mirror_bytes_equal0 (base, local) || g_bytes_equal (local, card_bytes))
            {
              /* No local edit (or the same one): follow the card. */
              if (!sv_mirror_put_record (self->db, file_id, key, idx, card_bytes, card_bytes, new_modseq, error))
                return sv_mirror_rollback (self->db);
            }
          else
            {
              g_ptr_array_add (found, sv_mirror_conflict_new (key, idx, base, card_bytes, local));

              if (!sv_mirror_put_record (self->db, file_id, key, idx, card_bytes, local, new_modseq, error))
                return sv_mirror_rollback (self->db);
            }
        }
    }

  if (!update_identity (self->db, card.id, read_from_card, error))
    return sv_mirror_rollback (self->db);

  if (n_changed > 0 && !sv_mirror_set_card_modseq (self->db, card.id, new_modseq, error))
    return sv_mirror_rollback (self->db);
  if (n_changed == 0)
    new_modseq = card.modseq;

  if (found->len > 0)
    detail = g_strdup_printf ("read %u records, %u changed on the card, %u in conflict with local edits",
                              n_records, n_changed, found->len);
  else
    detail = g_strdup_printf ("read %u records, %u changed on the card", n_records, n_changed);
  if (!sv_mirror_insert_history (self, iccid, SV_HISTORY_READ, detail, new_modseq, error))
    return sv_mirror_rollback (self->db);

  card.modseq = new_modseq;
  if (card.decoded_modseq != new_modseq)
    {
      gboolean stored;

      working = sv_mirror_load_image_locked (self->db, iccid, &card, TRUE, error);
      if (working == NULL)
        return sv_mirror_rollback (self->db);
      if (contacts != NULL && messages != NULL && sv_card_image_equal (working, read_from_card))
        stored = sv_mirror_store_decoded (self->db, &card, contacts, messages, new_modseq, error);
      else
        stored = sv_mirror_refresh_decoded (self->db, &card, working, new_modseq, error);
      if (!stored)
        return sv_mirror_rollback (self->db);
    }

  if (!sv_mirror_commit (self->db, error))
    return FALSE;

  if (conflicts != NULL)
    *conflicts = g_steal_pointer (&found);
  return TRUE;
}

gboolean
sv_mirror_has_card (SvMirror   *self,
                    const char *iccid)
{
  SvMirrorCardRow card;

  g_return_val_if_fail (SV_IS_MIRROR (self), FALSE);
  return sv_mirror_lookup_card (self->db, iccid, &card, NULL);
}

/**
 * sv_mirror_load_image:
 * @with_pending: %TRUE for the working bytes (with local edits), %FALSE for
 *   the base bytes (as last read from or written to the card)
 *
 * Returns: (transfer full) (nullable): the card's image
 */
SvCardImage *
sv_mirror_load_image (SvMirror    *self,
                      const char  *iccid,
                      gboolean     with_pending,
                      GError     **error)
{
  SvMirrorCardRow card;
  SvCardImage *image;

  g_return_val_if_fail (SV_IS_MIRROR (self), NULL);

  /* A read transaction: files and records from one snapshot. */
  if (!sv_mirror_sql_exec (self->db, "BEGIN", error))
    return NULL;
  if (!sv_mirror_lookup_card (self->db, iccid, &card, error))
    return sv_mirror_rollback (self->db), NULL;
  image = sv_mirror_load_image_locked (self->db, iccid, &card, with_pending, error);
  if (image == NULL)
    return sv_mirror_rollback (self->db), NULL;
  sv_mirror_sql_exec (self->db, "COMMIT", NULL);
  return image;
}

/* ------------------------------------------------------------------ */
/* Listing and search                                                   */

#define CARD_COLUMNS \
  "c.iccid, c.card_type, c.label, c.note, c.phone_number, c.imsi, c.read_at, c.modseq, " \
  "(SELECT count(*) FROM contacts WHERE card_id = c.id), " \
  "(SELECT count(*) FROM messages WHERE card_id = c.id), " \
  "(SELECT count(*) FROM records r JOIN files f ON f.id = r.file_id WHERE f.card_id = c.id AND r.state != 0) "

static SvMirrorCard *
card_from_row (sqlite3_stmt *stmt)
{
  SvMirrorCard *card = g_new0 (SvMirrorCard, 1);

  card->iccid = sv_mirror_column_dup_text (stmt, 0);
  card->card_type = sqlite3_column_int (stmt, 1);
  card->label = sv_mirror_column_dup_text (stmt, 2);
  card->note = sv_mirror_column_dup_text (stmt, 3);
  card->phone_number = sv_mirror_column_dup_text (stmt, 4);
  card->imsi = sv_mirror_column_dup_text (stmt, 5);
  card->read_at = sqlite3_column_int64 (stmt, 6);
  card->modseq = sqlite3_column_int64 (stmt, 7);
  card->n_contacts = (guint) sqlite3_column_int (stmt, 8);
  card->n_messages = (guint) sqlite3_column_int (stmt, 9);
  card->n_pending = (guint) sqlite3_column_int (stmt, 10);
  return card;
}

static gboolean
ensure_all_decoded (SvMirror  *self,
                    GError   **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(GPtrArray) stale = g_ptr_array_new_with_free_func (g_free);
  int rc;

  if (!sv_mirror_sql_prepare (self->db, "SELECT iccid FROM cards WHERE decoded_modseq != modseq",
                              &stmt, error))
    return FALSE;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (stale, sv_mirror_column_dup_text (stmt, 0));
  if (rc != SQLITE_DONE)
    return sv_mirror_sql_error (self->db, rc, N_("listing cards"), error);
  g_clear_pointer (&stmt, sqlite3_finalize);

  for (guint i = 0; i < stale->len; i++)
    if (!sv_mirror_ensure_decoded (self, g_ptr_array_index (stale, i), error))
      return FALSE;
  return TRUE;
}

static GPtrArray *
query_cards (SvMirror    *self,
             const char  *query,
             GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(GPtrArray) cards = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_mirror_card_free);
  const char *sql;
  int rc;

  if (!ensure_all_decoded (self, error))
    return NULL;

  if (query == NULL)
    sql = "SELECT " CARD_COLUMNS " FROM cards c ORDER BY coalesce (c.label, ''), c.iccid";
  else
    sql = "SELECT " CARD_COLUMNS " FROM cards c WHERE "
          "instr (c.iccid, ?2) OR instr (sv_fold (c.label), ?1) OR instr (sv_fold (c.note), ?1) "
          "OR instr (replace (c.phone_number, '+', ''), ?2) OR instr (c.imsi, ?2) "
          "OR EXISTS (SELECT 1 FROM contacts t WHERE t.card_id = c.id AND ("
          "  instr (sv_fold (t.name), ?1) OR instr (sv_fold (t.second_name), ?1) "
          "  OR instr (sv_fold (t.emails), ?1) "
          "  OR (length (?2) > 0 AND (instr (replace (t.number, '+', ''), ?2) "
          "      OR instr (replace (t.additional_numbers, '+', ''), ?2))))) "
          "ORDER BY coalesce (c.label, ''), c.iccid";

  if (!sv_mirror_sql_prepare (self->db, sql, &stmt, error))
    return NULL;

  if (query != NULL)
    {
      g_autofree char *folded = g_utf8_casefold (query, -1);
      g_autoptr(GString) digits = g_string_new (NULL);

      /* A phone number matches whatever its spacing and punctuation. */
      for (const char *p = query; *p; p++)
        if (g_ascii_isdigit (*p) || *p == '*' || *p == '#')
          g_string_append_c (digits, *p);
      if (digits->len == 0)
        g_string_assign (digits, "\x01");   /* matches no number */
      sqlite3_bind_text (stmt, 1, folded, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 2, digits->str, -1, SQLITE_TRANSIENT);
    }

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (cards, card_from_row (stmt));
  if (rc != SQLITE_DONE)
    return sv_mirror_sql_error (self->db, rc, N_("listing cards"), error), NULL;

  return g_steal_pointer (&cards);
}

/**
 * sv_mirror_list_cards:
 *
 * Returns: (transfer container) (element-type SvMirrorCard): every card,
 *   by label then ICCID
 */
GPtrArray *
sv_mirror_list_cards (SvMirror  *self,
                      GError   **error)
{
  g_return_val_if_fail (SV_IS_MIRROR (self), NULL);
  return query_cards (self, NULL, error);
}

/**
 * sv_mirror_search_cards:
 * @query: part of an ICCID, a phone number (punctuation ignored), a
 *   contact's name or e-mail, a label or a note (case ignored)
 *
 * Returns: (transfer container) (element-type SvMirrorCard): the matching
 *   cards
 */
GPtrArray *
sv_mirror_search_cards (SvMirror    *self,
                        const char  *query,
                        GError     **error)
{
  g_return_val_if_fail (SV_IS_MIRROR (self), NULL);
  g_return_val_if_fail (query != NULL, NULL);
  return query_cards (self, query, error);
}

SvMirrorCard *
sv_mirror_get_card (SvMirror    *self,
                    const char  *iccid,
                    GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (SV_IS_MIRROR (self), NULL);

  if (!sv_mirror_ensure_decoded (self, iccid, error))
    return NULL;
  if (!sv_mirror_sql_prepare (self->db, "SELECT " CARD_COLUMNS " FROM cards c WHERE c.iccid = ?",
                              &stmt, error))
    return NULL;
  sqlite3_bind_text (stmt, 1, iccid, -1, SQLITE_TRANSIENT);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    return sv_mirror_sql_error (self->db, rc, N_("reading a card"), error), NULL;
  return card_from_row (stmt);
}

/**
 * sv_mirror_set_label:
 * @label: (nullable): a short name for the card ("Mrs Li, spare SIM")
 * @note: (nullable): free text
 */
gboolean
sv_mirror_set_label (SvMirror    *self,
                     const char  *iccid,
                     const char  *label,
                     const char  *note,
                     GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autofree char *detail = NULL;
  SvMirrorCardRow card;

  g_return_val_if_fail (SV_IS_MIRROR (self), FALSE);

  if (!sv_mirror_begin (self->db, error))
    return FALSE;
  if (!sv_mirror_lookup_card (self->db, iccid, &card, error) ||
      !sv_mirror_sql_prepare (self->db, "UPDATE cards SET label = ?, note = ? WHERE id = ?",
                              &stmt, error))
    return sv_mirror_rollback (self->db);
  if (label != NULL && *label != '\0')
    sqlite3_bind_text (stmt, 1, label, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null (stmt, 1);
  if (note != NULL && *note != '\0')
    sqlite3_bind_text (stmt, 2, note, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null (stmt, 2);
  sqlite3_bind_int64 (stmt, 3, card.id);
  detail = g_strdup_printf ("label “%s”, note “%s”", label ? label : "", note ? note : "");
  if (!sv_mirror_step_done (self->db, stmt, N_("labelling a card"), error) ||
      !sv_mirror_insert_history (self, iccid, SV_HISTORY_LABEL, detail, card.modseq, error))
    return sv_mirror_rollback (self->db);
  return sv_mirror_commit (self->db, error);
}

/**
 * sv_mirror_delete_card:
 * @confirm_iccid: the ICCID again, as the user typed or confirmed it
 *
 * Deletes a card and all its records. The history keeps a "delete" row.
 */
gboolean
sv_mirror_delete_card (SvMirror    *self,
                       const char  *iccid,
                       const char  *confirm_iccid,
                       GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  SvMirrorCardRow card;

  g_return_val_if_fail (SV_IS_MIRROR (self), FALSE);

  if (g_strcmp0 (iccid, confirm_iccid) != 0)
    {
      g_set_error (error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_INVALID,
                   _("Deleting card %s needs its ICCID as confirmation"), iccid ? iccid : "");
      return FALSE;
    }

  if (!sv_mirror_begin (self->db, error))
    return FALSE;
  if (!sv_mirror_lookup_card (self->db, iccid, &card, error) ||
      !sv_mirror_sql_prepare (self->db, "DELETE FROM cards WHERE id = ?", &stmt, error))
    return sv_mirror_rollback (self->db);
  sqlite3_bind_int64 (stmt, 1, card.id);
  if (!sv_mirror_step_done (self->db, stmt, N_("deleting a card"), error) ||
      !sv_mirror_insert_history (self, iccid, SV_HISTORY_DELETE, "deleted from the mirror", card.modseq, error))
    return sv_mirror_rollback (self->db);
  return sv_mirror_commit (self->db, error);
}

/* ------------------------------------------------------------------ */
/* Contents                                                             */

static char **
split_lines (const char *text)
{
  if (text == NULL || *text == '\0')
    return g_new0 (char *, 1);
  return g_strsplit (text, "\n", -1);
}

/**
 * sv_mirror_list_contacts:
 *
 * Returns: (transfer container) (element-type SvContact): the contacts of
 *   the working image, by set and index
 */
GPtrArray *
sv_mirror_list_contacts (SvMirror    *self,
                         const char  *iccid,
                         GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(GPtrArray) contacts = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_contact_unref);
  SvMirrorCardRow card;
  int rc;

  g_return_val_if_fail (SV_IS_MIRROR (self), NULL);

  if (!sv_mirror_ensure_decoded (self, iccid, error) ||
      !sv_mirror_lookup_card (self->db, iccid, &card, error) ||
      !sv_mirror_sql_prepare (self->db,
                              "SELECT pb_set, idx, name, number, additional_numbers, emails, second_name "
                              "FROM contacts WHERE card_id = ? ORDER BY pb_set, idx", &stmt, error))
    return NULL;
  sqlite3_bind_int64 (stmt, 1, card.id);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      g_auto(GStrv) numbers = split_lines ((const char *) sqlite3_column_text (stmt, 4));
      g_auto(GStrv) emails = split_lines ((const char *) sqlite3_column_text (stmt, 5));
      const char *second = (const char *) sqlite3_column_text (stmt, 6);

      g_ptr_array_add (contacts,
                       sv_contact_new ((guint) sqlite3_column_int (stmt, 0),
                                       (guint) sqlite3_column_int (stmt, 1),
                                       (const char *) sqlite3_column_text (stmt, 2),
                                       (const char *) sqlite3_column_text (stmt, 3),
                                       (const char * const *) numbers,
                                       (const char * const *) emails,
                                       second && *second ? second : NULL));
    }
  if (rc != SQLITE_DONE)
    return sv_mirror_sql_error (self->db, rc, N_("listing contacts"), error), NULL;
  return g_steal_pointer (&contacts);
}

/**
 * sv_mirror_list_messages:
 *
 * Returns: (transfer container) (element-type SvMessage): the messages of
 *   the working image, by first record
 */
GPtrArray *
sv_mirror_list_messages (SvMirror    *self,
                         const char  *iccid,
                         GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(GPtrArray) messages = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_message_unref);
  SvMirrorCardRow card;
  int rc;

  g_return_val_if_fail (SV_IS_MIRROR (self), NULL);

  if (!sv_mirror_ensure_decoded (self, iccid, error) ||
      !sv_mirror_lookup_card (self->db, iccid, &card, error) ||
      !sv_mirror_sql_prepare (self->db,
                              "SELECT idx, status, type, number, at, text, record_indices, "
                              "raw_status, decode_error, at_offset FROM messages WHERE card_id = ? ORDER BY idx",
                              &stmt, error))
    return NULL;
  sqlite3_bind_int64 (stmt, 1, card.id);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *decode_error = (const char *) sqlite3_column_text (stmt, 8);
      g_auto(GStrv) parts = NULL;
      g_autofree guint *indices = NULL;
      g_autoptr(GDateTime) ts = NULL;
      gint64 at = sqlite3_column_int64 (stmt, 4);
      guint n;

      if (decode_error != NULL)
        {
          g_ptr_array_add (messages,
                           sv_message_new_undecodable ((guint) sqlite3_column_int (stmt, 0),
                                                       (guint8) sqlite3_column_int (stmt, 7),
                                                       decode_error));
          continue;
        }

      parts = g_strsplit ((const char *) sqlite3_column_text (stmt, 6), ",", -1);
      n = g_strv_length (parts);
      indices = g_new0 (guint, MAX (n, 1));
      for (guint p = 0; p < n; p++)
        indices[p] = (guint) g_ascii_strtoull (parts[p], NULL, 10);
      if (n == 0)
        {
          indices[0] = (guint) sqlite3_column_int (stmt, 0);
          n = 1;
        }
      if (at != 0)
        {
          g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (at);
          g_autoptr(GTimeZone) zone = g_time_zone_new_offset ((gint32) sqlite3_column_int (stmt, 9));

          ts = g_date_time_to_timezone (utc, zone);
        }

      g_ptr_array_add (messages,
                       sv_message_new (sqlite3_column_int (stmt, 1),
                                       sqlite3_column_int (stmt, 2),
                                       (const char *) sqlite3_column_text (stmt, 3),
                                       ts,
                                       (const char *) sqlite3_column_text (stmt, 5),
                                       indices, n));
    }
  if (rc != SQLITE_DONE)
    return sv_mirror_sql_error (self->db, rc, N_("listing messages"), error), NULL;
  return g_steal_pointer (&messages);
}
