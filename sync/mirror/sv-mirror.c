/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The local mirror: every card SimVault has read, record by record, in one
 * SQLite file. Each record keeps the bytes last seen on the card (base) and
 * the bytes with local edits (working); the difference is what a write puts
 * on the card. Every public operation is one transaction (BEGIN IMMEDIATE
 * ... COMMIT), so a crash leaves either all of it or none of it.
 *
 * The mirror is split by what it does; this file holds the object, the SQL
 * helpers every part uses, opening and the history:
 *   sv-mirror.c           value types, SQL helpers, opening, history
 *   sv-mirror-schema.c    the migrations
 *   sv-mirror-cards.c     importing a read, listing and searching cards,
 *                         the decoded contacts and messages
 *   sv-mirror-edit.c      offline edits, undo, discarding
 *   sv-mirror-pending.c   pending records and marking a write done
 *   sv-mirror-messages.c  adding messages offline
 *   sv-mirror-import.c    importing vCard/CSV/JSON into a card
 *   sv-mirror-worker.c    running any of these off the main thread
 */
#define G_LOG_DOMAIN "sv-mirror"

#include "config.h"

#include <errno.h>
#include <string.h>
#include <glib/gstdio.h>
#include <glib/gi18n-lib.h>

#include "sv-phonebook.h"
#include "sv-sms-store.h"
#include "sv-mirror-private.h"

G_DEFINE_TYPE (SvMirror, sv_mirror, G_TYPE_OBJECT)

G_DEFINE_QUARK (sv-mirror-error-quark, sv_mirror_error)

/* ------------------------------------------------------------------ */
/* Value types                                                          */

static void
mirror_conflict_clear (SvMirrorConflict *conflict)
{
  g_free (conflict->key);
  g_clear_pointer (&conflict->base_bytes, g_bytes_unref);
  g_clear_pointer (&conflict->card_bytes, g_bytes_unref);
  g_clear_pointer (&conflict->local_bytes, g_bytes_unref);
}

G_DEFINE_BOXED_TYPE (SvMirrorConflict, sv_mirror_conflict, sv_mirror_conflict_ref, sv_mirror_conflict_unref)

/**
 * sv_mirror_conflict_new:
 * @base_bytes: (nullable): what the mirror last saw on the card
 *
 * Returns: (transfer full): a new conflict, immutable and refcounted
 */
SvMirrorConflict *
sv_mirror_conflict_new (const char *key,
                        guint       index,
                        GBytes     *base_bytes,
                        GBytes     *card_bytes,
                        GBytes     *local_bytes)
{
  SvMirrorConflict *conflict = g_atomic_rc_box_new0 (SvMirrorConflict);

  conflict->key = g_strdup (key);
  conflict->index = index;
  conflict->base_bytes = base_bytes ? g_bytes_ref (base_bytes) : NULL;
  conflict->card_bytes = g_bytes_ref (card_bytes);
  conflict->local_bytes = g_bytes_ref (local_bytes);
  return conflict;
}

SvMirrorConflict *
sv_mirror_conflict_ref (SvMirrorConflict *conflict)
{
  g_return_val_if_fail (conflict != NULL, NULL);
  return g_atomic_rc_box_acquire (conflict);
}

void
sv_mirror_conflict_unref (SvMirrorConflict *conflict)
{
  if (conflict == NULL)     /* NULL-safe like g_bytes_unref(): arrays hold stolen slots */
    return;
  g_atomic_rc_box_release_full (conflict, (GDestroyNotify) mirror_conflict_clear);
}

void
sv_mirror_card_free (SvMirrorCard *card)
{
  if (card == NULL)
    return;
  g_free (card->iccid);
  g_free (card->label);
  g_free (card->note);
  g_free (card->phone_number);
  g_free (card->imsi);
  g_free (card);
}

void
sv_mirror_history_entry_free (SvMirrorHistoryEntry *entry)
{
  if (entry == NULL)
    return;
  g_free (entry->iccid);
  g_free (entry->who);
  g_free (entry->detail);
  g_free (entry);
}

void
sv_mirror_pending_record_free (SvMirrorPendingRecord *record)
{
  if (record == NULL)
    return;
  g_free (record->key);
  g_clear_pointer (&record->base_bytes, g_bytes_unref);
  g_clear_pointer (&record->working_bytes, g_bytes_unref);
  g_free (record);
}

const char *
sv_record_state_to_string (SvRecordState state)
{
  switch (state)
    {
    case SV_RECORD_STATE_CLEAN: return "clean";
    case SV_RECORD_STATE_MODIFIED: return "modified";
    case SV_RECORD_STATE_ADDED: return "added";
    case SV_RECORD_STATE_DELETED: return "deleted";
    default: return "unknown";
    }
}

static const char * const history_op_names[] = {
  [SV_HISTORY_READ] = "read",
  [SV_HISTORY_EDIT] = "edit",
  [SV_HISTORY_WRITE] = "write",
  [SV_HISTORY_BACKUP] = "backup",
  [SV_HISTORY_RESTORE] = "restore",
  [SV_HISTORY_IMPORT] = "import",
  [SV_HISTORY_UNDO] = "undo",
  [SV_HISTORY_LABEL] = "label",
  [SV_HISTORY_DELETE] = "delete",
};

const char *
sv_history_op_to_string (SvHistoryOp op)
{
  if ((guint) op < G_N_ELEMENTS (history_op_names))
    return history_op_names[op];
  return "unknown";
}

static SvHistoryOp
history_op_from_string (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (history_op_names); i++)
    if (g_strcmp0 (history_op_names[i], name) == 0)
      return i;
  return SV_HISTORY_EDIT;
}

/* ------------------------------------------------------------------ */
/* SQL helpers                                                          */

gboolean
sv_mirror_sql_error (sqlite3     *db,
                     int          rc,
                     const char  *what,
                     GError     **error)
{
  g_set_error (error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_FAILED,
               _("Mirror database error while %s: %s (%d)"),
               _(what), db != NULL ? sqlite3_errmsg (db) : sqlite3_errstr (rc), rc);
  return FALSE;
}

gboolean
sv_mirror_sql_exec (sqlite3     *db,
                    const char  *sql,
                    GError     **error)
{
  char *message = NULL;
  int rc = sqlite3_exec (db, sql, NULL, NULL, &message);

  if (rc != SQLITE_OK)
    {
      g_set_error (error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_FAILED,
                   _("Mirror database error: %s"), message ? message : sqlite3_errstr (rc));
      sqlite3_free (message);
      return FALSE;
    }
  return TRUE;
}

gboolean
sv_mirror_sql_prepare (sqlite3       *db,
                       const char    *sql,
                       sqlite3_stmt **stmt,
                       GError       **error)
{
  int rc = sqlite3_prepare_v2 (db, sql, -1, stmt, NULL);

  if (rc != SQLITE_OK)
    {
      *stmt = NULL;
      return sv_mirror_sql_error (db, rc, N_("preparing a statement"), error);
    }
  return TRUE;
}

/* Steps a statement that returns no rows. */
gboolean
sv_mirror_step_done (sqlite3       *db,
                     sqlite3_stmt  *stmt,
                     const char    *what,
                     GError       **error)
{
  int rc = sqlite3_step (stmt);

  if (rc != SQLITE_DONE)
    return sv_mirror_sql_error (db, rc, what, error);
  return TRUE;
}

void
sv_mirror_bind_bytes (sqlite3_stmt *stmt,
                      int           column,
                      GBytes       *bytes)
{
  if (bytes == NULL)
    sqlite3_bind_null (stmt, column);
  else
    {
      gsize len;
      const guint8 *data = g_bytes_get_data (bytes, &len);

      /* A zero-length blob must not become NULL. */
      sqlite3_bind_blob (stmt, column, len ? (const void *) data : "", (int) len,
                         SQLITE_TRANSIENT);
    }
}

GBytes *
sv_mirror_column_bytes (sqlite3_stmt *stmt,
                        int           column)
{
  if (sqlite3_column_type (stmt, column) == SQLITE_NULL)
    return NULL;
  return g_bytes_new (sqlite3_column_blob (stmt, column),
                      (gsize) sqlite3_column_bytes (stmt, column));
}

char *
sv_mirror_column_dup_text (sqlite3_stmt *stmt,
                           int           column)
{
  if (sqlite3_column_type (stmt, column) == SQLITE_NULL)
    return NULL;
  return g_strdup ((const char *) sqlite3_column_text (stmt, column));
}

gboolean
sv_mirror_bytes_equal0 (GBytes *a,
                        GBytes *b)
{
  if (a == NULL || b == NULL)
    return a == b;
  return g_bytes_equal (a, b);
}

gboolean
sv_mirror_begin (sqlite3  *db,
                 GError  **error)
{
  return sv_mirror_sql_exec (db, "BEGIN IMMEDIATE", error);
}

gboolean
sv_mirror_commit (sqlite3  *db,
                  GError  **error)
{
  if (!sv_mirror_sql_exec (db, "COMMIT", error))
    {
      sv_mirror_sql_exec (db, "ROLLBACK", NULL);
      return FALSE;
    }
  return TRUE;
}

gboolean
sv_mirror_rollback (sqlite3 *db)
{
  if (!sqlite3_get_autocommit (db))
    sv_mirror_sql_exec (db, "ROLLBACK", NULL);
  return FALSE;
}

sqlite3 *
sv_mirror_get_db (SvMirror *self)
{
  return self->db;
}

/* SQL function sv_fold(text): case-folded UTF-8, for search. */
static void
sql_fold (sqlite3_context  *context,
          int               argc,
          sqlite3_value   **argv)
{
  const char *text = (const char *) sqlite3_value_text (argv[0]);
  char *folded;

  if (text == NULL || !g_utf8_validate (text, -1, NULL))
    {
      sqlite3_result_null (context);
      return;
    }
  folded = g_utf8_casefold (text, -1);
  sqlite3_result_text (context, folded, -1, g_free);
}

/* ------------------------------------------------------------------ */
/* Record state                                                         */

gboolean
sv_mirror_record_is_empty (const char *key,
                           GBytes     *bytes)
{
  gsize len;
  const guint8 *data;

  if (bytes == NULL)
    return TRUE;
  data = g_bytes_get_data (bytes, &len);
  if (len == 0)
    return TRUE;
  if (g_strcmp0 (key, "sms") == 0)
    return sv_sms_record_is_free (bytes);
  for (gsize i = 0; i < len; i++)
    if (data[i] != 0xFF)
      return FALSE;
  return TRUE;
}

SvRecordState
sv_mirror_record_state (const char *key,
                        GBytes     *base,
                        GBytes     *working)
{
  if (sv_mirror_bytes_equal0 (base, working))
    return SV_RECORD_STATE_CLEAN;
  if (sv_mirror_record_is_empty (key, base) && !sv_mirror_record_is_empty (key, working))
    return SV_RECORD_STATE_ADDED;
  if (!sv_mirror_record_is_empty (key, base) && sv_mirror_record_is_empty (key, working))
    return SV_RECORD_STATE_DELETED;
  return SV_RECORD_STATE_MODIFIED;
}

/* ------------------------------------------------------------------ */
/* GObject                                                              */

static void
sv_mirror_finalize (GObject *object)
{
  SvMirror *self = SV_MIRROR (object);

  if (self->db != NULL)
    sqlite3_close_v2 (self->db);
  g_free (self->path);
  g_free (self->who);

  G_OBJECT_CLASS (sv_mirror_parent_class)->finalize (object);
}

static void
sv_mirror_class_init (SvMirrorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = sv_mirror_finalize;
}

static void
sv_mirror_init (SvMirror *self)
{
  self->who = g_strdup (g_get_user_name ());
}

/* ------------------------------------------------------------------ */
/* Cards: internal helpers working inside a transaction                 */

gboolean
sv_mirror_lookup_card (sqlite3          *db,
                       const char       *iccid,
                       SvMirrorCardRow  *row,
                       GError          **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  int rc;

  if (iccid == NULL || *iccid == '\0')
    {
      g_set_error_literal (error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_INVALID,
                           _("No ICCID given"));
      return FALSE;
    }

  if (!sv_mirror_sql_prepare (db,
                              "SELECT id, modseq, decoded_modseq, card_type "
                              "FROM cards WHERE iccid = ?", &stmt, error))
    return FALSE;
  sqlite3_bind_text (stmt, 1, iccid, -1, SQLITE_TRANSIENT);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_DONE)
    {
      g_set_error (error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_NOT_FOUND,
                   _("No card with ICCID %s in the mirror"), iccid);
      return FALSE;
    }
  if (rc != SQLITE_ROW)
    return sv_mirror_sql_error (db, rc, N_("looking up a card"), error);

  row->id = sqlite3_column_int64 (stmt, 0);
  row->modseq = sqlite3_column_int64 (stmt, 1);
  row->decoded_modseq = sqlite3_column_int64 (stmt, 2);
  row->card_type = sqlite3_column_int (stmt, 3);
  return TRUE;
}

gboolean
sv_mirror_set_card_modseq (sqlite3  *db,
                           gint64    card_id,
                           gint64    modseq,
                           GError  **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;

  if (!sv_mirror_sql_prepare (db, "UPDATE cards SET modseq = ? WHERE id = ?", &stmt, error))
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, modseq);
  sqlite3_bind_int64 (stmt, 2, card_id);
  return sv_mirror_step_done (db, stmt, N_("updating the change counter"), error);
}

gboolean
sv_mirror_insert_history (SvMirror     *self,
                          const char   *iccid,
                          SvHistoryOp   op,
                          const char   *detail,
                          gint64        modseq,
                          GError      **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;

  if (!sv_mirror_sql_prepare (self->db,
                              "INSERT INTO history (iccid, at, op, who, detail, modseq) "
                              "VALUES (?, ?, ?, ?, ?, ?)", &stmt, error))
    return FALSE;
  sqlite3_bind_text (stmt, 1, iccid, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, g_get_real_time () / G_USEC_PER_SEC);
  sqlite3_bind_text (stmt, 3, sv_history_op_to_string (op), -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 4, self->who ? self->who : "", -1, SQLITE_TRANSIENT);
  if (detail != NULL)
    sqlite3_bind_text (stmt, 5, detail, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null (stmt, 5);
  sqlite3_bind_int64 (stmt, 6, modseq);
  return sv_mirror_step_done (self->db, stmt, N_("appending to the history"), error);
}

/* The image of a card: base bytes, or working bytes when @with_pending. */
SvCardImage *
sv_mirror_load_image_locked (sqlite3                *db,
                             const char             *iccid,
                             const SvMirrorCardRow  *card,
                             gboolean                with_pending,
                             GError                **error)
{
  g_autoptr(sqlite3_stmt) files = NULL;
  g_autoptr(sqlite3_stmt) records = NULL;
  g_autoptr(SvCardImage) image = sv_card_image_new (card->card_type);
  int rc;

  sv_card_image_set_iccid (image, iccid);

  if (!sv_mirror_sql_prepare (db,
                              "SELECT key, path, structure, record_len, n_records "
                              "FROM files WHERE card_id = ? ORDER BY key", &files, error))
    return NULL;
  sqlite3_bind_int64 (files, 1, card->id);
  while ((rc = sqlite3_step (files)) == SQLITE_ROW)
    sv_card_image_add_file (image,
                            (const char *) sqlite3_column_text (files, 0),
                            (const char *) sqlite3_column_text (files, 1),
                            sqlite3_column_int (files, 2),
                            (guint) sqlite3_column_int (files, 3),
                            (guint) sqlite3_column_int (files, 4));
  if (rc != SQLITE_DONE)
    return sv_mirror_sql_error (db, rc, N_("loading files"), error), NULL;

  if (!sv_mirror_sql_prepare (db,
                              "SELECT f.key, r.idx, r.base, r.working "
                              "FROM records r JOIN files f ON f.id = r.file_id "
                              "WHERE f.card_id = ?", &records, error))
    return NULL;
  sqlite3_bind_int64 (records, 1, card->id);
  while ((rc = sqlite3_step (records)) == SQLITE_ROW)
    {
      const char *key = (const char *) sqlite3_column_text (records, 0);
      guint idx = (guint) sqlite3_column_int (records, 1);
      g_autoptr(GBytes) bytes = sv_mirror_column_bytes (records, with_pending ? 3 : 2);
      g_autoptr(GError) local_error = NULL;

      if (bytes == NULL)
        continue;               /* not on the card: keep the erased filler */
      if (!sv_card_image_set_record (image, key, idx, bytes, &local_error))
        {
          g_set_error (error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_FAILED,
                       _("The mirror of card %s is inconsistent: %s"),
                       iccid, local_error->message);
          return NULL;
        }
    }
  if (rc != SQLITE_DONE)
    return sv_mirror_sql_error (db, rc, N_("loading records"), error), NULL;

  return g_steal_pointer (&image);
}

static char *
join_strv (const char * const *strv)
{
  return strv != NULL ? g_strjoinv ("\n", (char **) strv) : g_strdup ("");
}

/* Refreshes the decoded contacts and messages of a card from its working
 * image. Bytes that do not decode are kept in the records all the same;
 * they just do not show up in the lists. */
gboolean
sv_mirror_refresh_decoded (sqlite3                *db,
                           const SvMirrorCardRow  *card,
                           SvCardImage            *working,
                           gint64                  modseq,
                           GError                **error)
{
  g_autoptr(GPtrArray) contacts = NULL;
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(GError) decode_error = NULL;

  contacts = sv_phonebook_decode (working, &decode_error);
  if (contacts == NULL)
    g_debug ("Phonebook of %s does not decode: %s",
             sv_card_image_get_iccid (working), decode_error->message);
  g_clear_error (&decode_error);

  messages = sv_sms_store_decode (working, &decode_error);
  if (messages == NULL)
    g_debug ("Messages of %s do not decode: %s",
             sv_card_image_get_iccid (working), decode_error->message);

  return sv_mirror_store_decoded (db, card, contacts, messages, modseq, error);
}

/* Stores the decoded contacts and messages of a card (either may be %NULL:
 * did not decode), as of @modseq. */
gboolean
sv_mirror_store_decoded (sqlite3                *db,
                         const SvMirrorCardRow  *card,
                         GPtrArray              *contacts,
                         GPtrArray              *messages,
                         gint64                  modseq,
                         GError                **error)
{
  g_autoptr(sqlite3_stmt) del = NULL;
  g_autoptr(sqlite3_stmt) ins = NULL;
  g_autoptr(sqlite3_stmt) upd = NULL;

  if (!sv_mirror_sql_prepare (db, "DELETE FROM contacts WHERE card_id = ?", &del, error))
    return FALSE;
  sqlite3_bind_int64 (del, 1, card->id);
  if (!sv_mirror_step_done (db, del, N_("clearing contacts"), error))
    return FALSE;
  g_clear_pointer (&del, sqlite3_finalize);

  if (contacts != NULL && contacts->len > 0)
    {
      if (!sv_mirror_sql_prepare (db,
                                  "INSERT OR REPLACE INTO contacts (card_id, pb_set, idx, name, number, "
                                  "additional_numbers, emails, second_name) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                                  &ins, error))
        return FALSE;
      for (guint i = 0; i < contacts->len; i++)
        {
          const SvContact *c = g_ptr_array_index (contacts, i);
          g_autofree char *numbers = join_strv (sv_contact_get_additional_numbers (c));
          g_autofree char *emails = join_strv (sv_contact_get_emails (c));

          sqlite3_reset (ins);
          sqlite3_bind_int64 (ins, 1, card->id);
          sqlite3_bind_int (ins, 2, (int) sv_contact_get_set (c));
          sqlite3_bind_int (ins, 3, (int) sv_contact_get_index (c));
          sqlite3_bind_text (ins, 4, sv_contact_get_name (c) ? sv_contact_get_name (c) : "", -1, SQLITE_TRANSIENT);
          sqlite3_bind_text (ins, 5, sv_contact_get_number (c) ? sv_contact_get_number (c) : "", -1, SQLITE_TRANSIENT);
          sqlite3_bind_text (ins, 6, numbers, -1, SQLITE_TRANSIENT);
          sqlite3_bind_text (ins, 7, emails, -1, SQLITE_TRANSIENT);
          sqlite3_bind_text (ins, 8, sv_contact_get_second_name (c) ? sv_contact_get_second_name (c) : "", -1, SQLITE_TRANSIENT);
          if (!sv_mirror_step_done (db, ins, N_("storing a decoded contact"), error))
            return FALSE;
        }
      g_clear_pointer (&ins, sqlite3_finalize);
    }

  if (!sv_mirror_sql_prepare (db, "DELETE FROM messages WHERE card_id = ?", &del, error))
    return FALSE;
  sqlite3_bind_int64 (del, 1, card->id);
  if (!sv_mirror_step_done (db, del, N_("clearing messages"), error))
    return FALSE;

  if (messages != NULL && messages->len > 0)
    {
      if (!sv_mirror_sql_prepare (db,
                                  "INSERT OR REPLACE INTO messages (card_id, idx, status, type, number, at, "
                                  "text, record_indices, raw_status, decode_error, at_offset) "
                                  "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", &ins, error))
        return FALSE;
      for (guint i = 0; i < messages->len; i++)
        {
          const SvMessage *m = g_ptr_array_index (messages, i);
          const guint *indices = sv_message_get_record_indices (m);
          GDateTime *ts = sv_message_get_timestamp (m);
          g_autoptr(GString) idx_text = g_string_new (NULL);

          for (guint p = 0; p < sv_message_get_n_parts (m); p++)
            g_string_append_printf (idx_text, "%s%u", p ? "," : "", indices ? indices[p] : 0);

          sqlite3_reset (ins);
          sqlite3_bind_int64 (ins, 1, card->id);
          sqlite3_bind_int (ins, 2, (int) sv_message_get_index (m));
          sqlite3_bind_int (ins, 3, sv_message_get_status (m));
          sqlite3_bind_int (ins, 4, sv_message_get_message_type (m));
          sqlite3_bind_text (ins, 5, sv_message_get_number (m) ? sv_message_get_number (m) : "", -1, SQLITE_TRANSIENT);
          sqlite3_bind_int64 (ins, 6, ts ? g_date_time_to_unix (ts) : 0);
          sqlite3_bind_text (ins, 7, sv_message_get_text (m) ? sv_message_get_text (m) : "", -1, SQLITE_TRANSIENT);
          sqlite3_bind_text (ins, 8, idx_text->str, -1, SQLITE_TRANSIENT);
          sqlite3_bind_int (ins, 9, sv_message_get_raw_status (m));
          if (sv_message_get_decode_error (m) != NULL)
            sqlite3_bind_text (ins, 10, sv_message_get_decode_error (m), -1, SQLITE_TRANSIENT);
          else
            sqlite3_bind_null (ins, 10);
          sqlite3_bind_int64 (ins, 11, ts ? g_date_time_get_utc_offset (ts) / G_TIME_SPAN_SECOND : 0);
          if (!sv_mirror_step_done (db, ins, N_("storing a decoded message"), error))
            return FALSE;
        }
    }

  if (!sv_mirror_sql_prepare (db, "UPDATE cards SET decoded_modseq = ? WHERE id = ?", &upd, error))
    return FALSE;
  sqlite3_bind_int64 (upd, 1, modseq);
  sqlite3_bind_int64 (upd, 2, card->id);
  return sv_mirror_step_done (db, upd, N_("updating the decoded state"), error);
}

/* Brings the decoded lists of a card up to date if its records changed
 * since they were decoded (an older schema, or an interrupted refresh). */
gboolean
sv_mirror_ensure_decoded (SvMirror    *self,
                          const char  *iccid,
                          GError     **error)
{
  SvMirrorCardRow card;
  g_autoptr(SvCardImage) working = NULL;

  if (!sv_mirror_lookup_card (self->db, iccid, &card, error))
    return FALSE;
  if (card.decoded_modseq == card.modseq)
    return TRUE;

  if (!sv_mirror_begin (self->db, error))
    return FALSE;
  if (!sv_mirror_lookup_card (self->db, iccid, &card, error) ||
      (working = sv_mirror_load_image_locked (self->db, iccid, &card, TRUE, error)) == NULL ||
      !sv_mirror_refresh_decoded (self->db, &card, working, card.modseq, error))
    return sv_mirror_rollback (self->db);
  return sv_mirror_commit (self->db, error);
}

/* ------------------------------------------------------------------ */
/* Opening                                                              */

/**
 * sv_mirror_default_path:
 *
 * Returns: (transfer full): `$SIMVAULT_DB` if set, else
 *   `$XDG_DATA_HOME/simvault/mirror.db`
 */
char *
sv_mirror_default_path (void)
{
  const char *env = g_getenv ("SIMVAULT_DB");

  if (env != NULL && *env != '\0')
    return g_strdup (env);
  return g_build_filename (g_get_user_data_dir (), "simvault", "mirror.db", NULL);
}

/**
 * sv_mirror_open:
 * @path: (nullable): the database file; %NULL for sv_mirror_default_path()
 * @error: return location for a #SV_MIRROR_ERROR
 *
 * Opens (creating if needed) the mirror and migrates it to the current
 * schema. The connection belongs to the calling thread.
 *
 * Returns: (transfer full) (nullable): the mirror
 */
SvMirror *
sv_mirror_open (const char  *path,
                GError     **error)
{
  g_autoptr(SvMirror) self = g_object_new (SV_TYPE_MIRROR, NULL);
  g_autofree char *dir = NULL;
  guint from_version = 0;
  int rc;

  self->path = path != NULL ? g_strdup (path) : sv_mirror_default_path ();

  dir = g_path_get_dirname (self->path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_FAILED,
                   _("Cannot create the folder %s for the mirror: %s"),
                   dir, g_strerror (saved_errno));
      return NULL;
    }

  rc = sqlite3_open_v2 (self->path, &self->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        NULL);
  if (rc != SQLITE_OK)
    {
      g_set_error (error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_FAILED,
                   _("Cannot open the mirror %s: %s"), self->path,
                   self->db ? sqlite3_errmsg (self->db) : sqlite3_errstr (rc));
      return NULL;
    }

  sqlite3_busy_timeout (self->db, 10000);
  sqlite3_extended_result_codes (self->db, 1);
  sqlite3_create_function (self->db, "sv_fold", 1,
                           SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
                           sql_fold, NULL, NULL);

  /* WAL: readers never block the writer; synchronous=FULL: a commit that
   * returned is on disk, even if the machine loses power afterwards. */
  if (!sv_mirror_sql_exec (self->db, "PRAGMA journal_mode = WAL", error) ||
      !sv_mirror_sql_exec (self->db, "PRAGMA synchronous = FULL", error) ||
      !sv_mirror_sql_exec (self->db, "PRAGMA foreign_keys = ON", error))
    return NULL;

  if (!sv_mirror_schema_migrate (self->db, sv_mirror_schema_n_versions (),
                                 &from_version, error))
    return NULL;

  if (from_version != 0 && from_version != sv_mirror_schema_n_versions ())
    g_debug ("Migrated %s from schema %u to %u", self->path, from_version,
             sv_mirror_schema_n_versions ());

  return g_steal_pointer (&self);
}

const char *
sv_mirror_get_path (SvMirror *self)
{
  g_return_val_if_fail (SV_IS_MIRROR (self), NULL);
  return self->path;
}

/**
 * sv_mirror_set_who:
 * @who: who is at the keyboard, for the history (default: the login name)
 */
void
sv_mirror_set_who (SvMirror   *self,
                   const char *who)
{
  g_return_if_fail (SV_IS_MIRROR (self));
  g_free (self->who);
  self->who = g_strdup (who ? who : g_get_user_name ());
}

/* ------------------------------------------------------------------ */
/* History                                                              */

/**
 * sv_mirror_append_history:
 *
 * Appends a row to the card's history (the card need not be in the mirror,
 * e.g. a backup of a card read without storing it).
 */
gboolean
sv_mirror_append_history (SvMirror     *self,
                          const char   *iccid,
                          SvHistoryOp   op,
                          const char   *detail,
                          GError      **error)
{
  SvMirrorCardRow card = { 0 };

  g_return_val_if_fail (SV_IS_MIRROR (self), FALSE);
  g_return_val_if_fail (iccid != NULL, FALSE);

  if (!sv_mirror_begin (self->db, error))
    return FALSE;
  sv_mirror_lookup_card (self->db, iccid, &card, NULL);
  if (!sv_mirror_insert_history (self, iccid, op, detail, card.modseq, error))
    return sv_mirror_rollback (self->db);
  return sv_mirror_commit (self->db, error);
}

/**
 * sv_mirror_get_history:
 *
 * Returns: (transfer container) (element-type SvMirrorHistoryEntry): the
 *   card's history, oldest first
 */
GPtrArray *
sv_mirror_get_history (SvMirror    *self,
                       const char  *iccid,
                       GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_mirror_history_entry_free);
  int rc;

  g_return_val_if_fail (SV_IS_MIRROR (self), NULL);

  if (!sv_mirror_sql_prepare (self->db,
                              "SELECT id, iccid, at, op, who, detail, modseq FROM history "
                              "WHERE iccid = ? ORDER BY id", &stmt, error))
    return NULL;
  sqlite3_bind_text (stmt, 1, iccid, -1, SQLITE_TRANSIENT);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      SvMirrorHistoryEntry *entry = g_new0 (SvMirrorHistoryEntry, 1);

      entry->id = sqlite3_column_int64 (stmt, 0);
      entry->iccid = sv_mirror_column_dup_text (stmt, 1);
      entry->at = sqlite3_column_int64 (stmt, 2);
      entry->op = history_op_from_string ((const char *) sqlite3_column_text (stmt, 3));
      entry->who = sv_mirror_column_dup_text (stmt, 4);
      entry->detail = sv_mirror_column_dup_text (stmt, 5);
      entry->modseq = sqlite3_column_int64 (stmt, 6);
      g_ptr_array_add (entries, entry);
    }
  if (rc != SQLITE_DONE)
    return sv_mirror_sql_error (self->db, rc, N_("reading the history"), error), NULL;
  return g_steal_pointer (&entries);
}
