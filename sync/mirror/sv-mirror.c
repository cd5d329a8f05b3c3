/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The local mirror: every card SimVault has read, record by record, in one
 * SQLite file. Each record keeps the bytes last seen on the card (base) and
 * the bytes with local edits (working); the difference is what a write puts
 * on the card. Every public operation is one transaction (BEGIN IMMEDIATE
 * ... COMMIT), so a crash leaves either all of it or none of it.
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

#define MAX_UNDO_STEPS 100

struct _SvMirror
{
  GObject  parent_instance;

  char    *path;
  char    *who;
  sqlite3 *db;
};

G_DEFINE_TYPE (SvMirror, sv_mirror, G_TYPE_OBJECT)

G_DEFINE_QUARK (sv-mirror-error-quark, sv_mirror_error)

/* ------------------------------------------------------------------ */
/* Value types                                                          */

void
sv_mirror_conflict_free (SvMirrorConflict *conflict)
{
  if (conflict == NULL)
    return;
  g_free (conflict->key);
  g_clear_pointer (&conflict->base_bytes, g_bytes_unref);
  g_clear_pointer (&conflict->card_bytes, g_bytes_unref);
  g_clear_pointer (&conflict->local_bytes, g_bytes_unref);
  g_free (conflict);
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
static gboolean
step_done (sqlite3       *db,
           sqlite3_stmt  *stmt,
           const char    *what,
           GError       **error)
{
  int rc = sqlite3_step (stmt);

  if (rc != SQLITE_DONE)
    return sv_mirror_sql_error (db, rc, what, error);
  return TRUE;
}

static void
bind_bytes (sqlite3_stmt *stmt,
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

static GBytes *
column_bytes (sqlite3_stmt *stmt,
              int           column)
{
  if (sqlite3_column_type (stmt, column) == SQLITE_NULL)
    return NULL;
  return g_bytes_new (sqlite3_column_blob (stmt, column),
                      (gsize) sqlite3_column_bytes (stmt, column));
}

static char *
column_dup_text (sqlite3_stmt *stmt,
                 int           column)
{
  if (sqlite3_column_type (stmt, column) == SQLITE_NULL)
    return NULL;
  return g_strdup ((const char *) sqlite3_column_text (stmt, column));
}

static gboolean
bytes_equal0 (GBytes *a,
              GBytes *b)
{
  if (a == NULL || b == NULL)
    return a == b;
  return g_bytes_equal (a, b);
}

static gboolean
begin (sqlite3  *db,
       GError  **error)
{
  return sv_mirror_sql_exec (db, "BEGIN IMMEDIATE", error);
}

static gboolean
commit (sqlite3  *db,
        GError  **error)
{
  if (!sv_mirror_sql_exec (db, "COMMIT", error))
    {
      sv_mirror_sql_exec (db, "ROLLBACK", NULL);
      return FALSE;
    }
  return TRUE;
}

static gboolean
rollback (sqlite3 *db)
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
  /* TS 51.011 §10.5.3: "free" is status byte xxxxxxx0. */
  if (g_strcmp0 (key, "sms") == 0)
    return (data[0] & 0x01) == 0;
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
  if (bytes_equal0 (base, working))
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

typedef struct
{
  gint64     id;
  gint64     modseq;
  gint64     decoded_modseq;
  SvCardType card_type;
} CardRow;

static gboolean
lookup_card (sqlite3     *db,
             const char  *iccid,
             CardRow     *row,
             GError     **error)
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

static gboolean
set_card_modseq (sqlite3  *db,
                 gint64    card_id,
                 gint64    modseq,
                 GError  **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;

  if (!sv_mirror_sql_prepare (db, "UPDATE cards SET modseq = ? WHERE id = ?", &stmt, error))
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, modseq);
  sqlite3_bind_int64 (stmt, 2, card_id);
  return step_done (db, stmt, N_("updating the change counter"), error);
}

static gboolean
insert_history (SvMirror     *self,
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
  return step_done (self->db, stmt, N_("appending to the history"), error);
}

/* The image of a card: base bytes, or working bytes when @with_pending. */
static SvCardImage *
load_image (sqlite3     *db,
            const char  *iccid,
            const CardRow *card,
            gboolean     with_pending,
            GError     **error)
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
      g_autoptr(GBytes) bytes = column_bytes (records, with_pending ? 3 : 2);
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
static gboolean
refresh_decoded (sqlite3      *db,
                 const CardRow *card,
                 SvCardImage  *working,
                 gint64        modseq,
                 GError      **error)
{
  g_autoptr(sqlite3_stmt) del = NULL;
  g_autoptr(sqlite3_stmt) ins = NULL;
  g_autoptr(sqlite3_stmt) upd = NULL;
  g_autoptr(GPtrArray) contacts = NULL;
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(GError) decode_error = NULL;

  if (!sv_mirror_sql_prepare (db, "DELETE FROM contacts WHERE card_id = ?", &del, error))
    return FALSE;
  sqlite3_bind_int64 (del, 1, card->id);
  if (!step_done (db, del, N_("clearing contacts"), error))
    return FALSE;
  g_clear_pointer (&del, sqlite3_finalize);

  contacts = sv_phonebook_decode (working, &decode_error);
  if (contacts == NULL)
    g_debug ("Phonebook of %s does not decode: %s",
             sv_card_image_get_iccid (working), decode_error->message);
  g_clear_error (&decode_error);

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
          if (!step_done (db, ins, N_("storing a decoded contact"), error))
            return FALSE;
        }
      g_clear_pointer (&ins, sqlite3_finalize);
    }

  if (!sv_mirror_sql_prepare (db, "DELETE FROM messages WHERE card_id = ?", &del, error))
    return FALSE;
  sqlite3_bind_int64 (del, 1, card->id);
  if (!step_done (db, del, N_("clearing messages"), error))
    return FALSE;

  messages = sv_sms_store_decode (working, &decode_error);
  if (messages == NULL)
    g_debug ("Messages of %s do not decode: %s",
             sv_card_image_get_iccid (working), decode_error->message);

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
          if (!step_done (db, ins, N_("storing a decoded message"), error))
            return FALSE;
        }
    }

  if (!sv_mirror_sql_prepare (db, "UPDATE cards SET decoded_modseq = ? WHERE id = ?", &upd, error))
    return FALSE;
  sqlite3_bind_int64 (upd, 1, modseq);
  sqlite3_bind_int64 (upd, 2, card->id);
  return step_done (db, upd, N_("updating the decoded state"), error);
}

/* Brings the decoded lists of a card up to date if its records changed
 * since they were decoded (an older schema, or an interrupted refresh). */
static gboolean
ensure_decoded (SvMirror     *self,
                const char   *iccid,
                GError      **error)
{
  CardRow card;
  g_autoptr(SvCardImage) working = NULL;

  if (!lookup_card (self->db, iccid, &card, error))
    return FALSE;
  if (card.decoded_modseq == card.modseq)
    return TRUE;

  if (!begin (self->db, error))
    return FALSE;
  if (!lookup_card (self->db, iccid, &card, error) ||
      (working = load_image (self->db, iccid, &card, TRUE, error)) == NULL ||
      !refresh_decoded (self->db, &card, working, card.modseq, error))
    return rollback (self->db);
  return commit (self->db, error);
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
  if (!step_done (db, up, N_("storing a file"), error))
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
  return step_done (db, trim, N_("trimming records"), error);
}

static gboolean
lookup_file_id (sqlite3     *db,
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
static gboolean
get_record (sqlite3   *db,
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
    *base = column_bytes (sel, 0);
  if (working)
    *working = column_bytes (sel, 1);
  if (version)
    *version = sqlite3_column_int64 (sel, 2);
  return TRUE;
}

static gboolean
put_record (sqlite3     *db,
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
  bind_bytes (stmt, 3, base);
  bind_bytes (stmt, 4, working);
  sqlite3_bind_int (stmt, 5, sv_mirror_record_state (key, base, working));
  sqlite3_bind_int64 (stmt, 6, version);
  return step_done (db, stmt, N_("storing a record"), error);
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
  return step_done (db, stmt, N_("updating the card"), error);
}

static char *
image_iccid (SvCardImage *image)
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
  g_autofree char *iccid = NULL;
  g_autoptr(GPtrArray) found = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_mirror_conflict_free);
  g_autoptr(GPtrArray) keys = NULL;
  g_autoptr(SvCardImage) working = NULL;
  g_autofree char *detail = NULL;
  CardRow card;
  gint64 new_modseq;
  guint n_records = 0, n_changed = 0;
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (SV_IS_MIRROR (self), FALSE);
  g_return_val_if_fail (SV_IS_CARD_IMAGE (read_from_card), FALSE);

  iccid = image_iccid (read_from_card);
  if (iccid == NULL || *iccid == '\0')
    {
      g_set_error_literal (error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_INVALID,
                           _("The card image has no ICCID; the mirror keys cards by ICCID"));
      return FALSE;
    }

  if (!begin (self->db, error))
    return FALSE;

  if (!lookup_card (self->db, iccid, &card, &local_error))
    {
      g_autoptr(sqlite3_stmt) ins = NULL;

      if (!g_error_matches (local_error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_NOT_FOUND))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return rollback (self->db);
        }
      if (!sv_mirror_sql_prepare (self->db, "INSERT INTO cards (iccid, card_type) VALUES (?, ?)",
                                  &ins, error))
        return rollback (self->db);
      sqlite3_bind_text (ins, 1, iccid, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int (ins, 2, sv_card_image_get_card_type (read_from_card));
      if (!step_done (self->db, ins, N_("adding a card"), error) ||
          !lookup_card (self->db, iccid, &card, error))
        return rollback (self->db);
    }

  new_modseq = card.modseq + 1;
  keys = sv_card_image_list_keys (read_from_card);
  for (guint k = 0; k < keys->len; k++)
    {
      const char *key = g_ptr_array_index (keys, k);
      SvCardFile *file = sv_card_image_lookup (read_from_card, key);
      gint64 file_id;

      if (!upsert_file (self->db, card.id, file, &file_id, error))
        return rollback (self->db);

      for (guint i = 0; i < file->records->len; i++)
        {
          GBytes *card_bytes = g_ptr_array_index (file->records, i);
          g_autoptr(GBytes) base = NULL;
          g_autoptr(GBytes) local = NULL;
          gint64 version = 0;
          gboolean found_row = FALSE;
          guint idx = i + 1;

          n_records++;
          if (!get_record (self->db, file_id, idx, &base, &local, &version, &found_row, error))
            return rollback (self->db);

          if (!found_row)
            {
              if (!put_record (self->db, file_id, key, idx, card_bytes, card_bytes, new_modseq, error))
                return rollback (self->db);
              n_changed++;
              continue;
            }

          if (bytes_equal0 (base, card_bytes))
            continue;           /* the card did not change this record */

          n_changed++;
          if (bytes_equal0 (base, local) || g_bytes_equal (local, card_bytes))
            {
              /* No local edit (or the same one): follow the card. */
              if (!put_record (self->db, file_id, key, idx, card_bytes, card_bytes, new_modseq, error))
                return rollback (self->db);
            }
          else
            {
              SvMirrorConflict *conflict = g_new0 (SvMirrorConflict, 1);

              conflict->key = g_strdup (key);
              conflict->index = idx;
              conflict->base_bytes = base ? g_bytes_ref (base) : NULL;
              conflict->card_bytes = g_bytes_ref (card_bytes);
              conflict->local_bytes = g_bytes_ref (local);
              g_ptr_array_add (found, conflict);

              if (!put_record (self->db, file_id, key, idx, card_bytes, local, new_modseq, error))
                return rollback (self->db);
            }
        }
    }

  if (!update_identity (self->db, card.id, read_from_card, error))
    return rollback (self->db);

  if (n_changed > 0 && !set_card_modseq (self->db, card.id, new_modseq, error))
    return rollback (self->db);
  if (n_changed == 0)
    new_modseq = card.modseq;

  if (found->len > 0)
    detail = g_strdup_printf ("read %u records, %u changed on the card, %u in conflict with local edits",
                              n_records, n_changed, found->len);
  else
    detail = g_strdup_printf ("read %u records, %u changed on the card", n_records, n_changed);
  if (!insert_history (self, iccid, SV_HISTORY_READ, detail, new_modseq, error))
    return rollback (self->db);

  card.modseq = new_modseq;
  if (card.decoded_modseq != new_modseq)
    {
      working = load_image (self->db, iccid, &card, TRUE, error);
      if (working == NULL || !refresh_decoded (self->db, &card, working, new_modseq, error))
        return rollback (self->db);
    }

  if (!commit (self->db, error))
    return FALSE;

  if (conflicts != NULL)
    *conflicts = g_steal_pointer (&found);
  return TRUE;
}

gboolean
sv_mirror_has_card (SvMirror   *self,
                    const char *iccid)
{
  CardRow card;

  g_return_val_if_fail (SV_IS_MIRROR (self), FALSE);
  return lookup_card (self->db, iccid, &card, NULL);
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
  CardRow card;
  SvCardImage *image;

  g_return_val_if_fail (SV_IS_MIRROR (self), NULL);

  /* A read transaction: files and records from one snapshot. */
  if (!sv_mirror_sql_exec (self->db, "BEGIN", error))
    return NULL;
  if (!lookup_card (self->db, iccid, &card, error))
    return rollback (self->db), NULL;
  image = load_image (self->db, iccid, &card, with_pending, error);
  if (image == NULL)
    return rollback (self->db), NULL;
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

  card->iccid = column_dup_text (stmt, 0);
  card->card_type = sqlite3_column_int (stmt, 1);
  card->label = column_dup_text (stmt, 2);
  card->note = column_dup_text (stmt, 3);
  card->phone_number = column_dup_text (stmt, 4);
  card->imsi = column_dup_text (stmt, 5);
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
    g_ptr_array_add (stale, column_dup_text (stmt, 0));
  if (rc != SQLITE_DONE)
    return sv_mirror_sql_error (self->db, rc, N_("listing cards"), error);
  g_clear_pointer (&stmt, sqlite3_finalize);

  for (guint i = 0; i < stale->len; i++)
    if (!ensure_decoded (self, g_ptr_array_index (stale, i), error))
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

  if (!ensure_decoded (self, iccid, error))
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
  CardRow card;

  g_return_val_if_fail (SV_IS_MIRROR (self), FALSE);

  if (!begin (self->db, error))
    return FALSE;
  if (!lookup_card (self->db, iccid, &card, error) ||
      !sv_mirror_sql_prepare (self->db, "UPDATE cards SET label = ?, note = ? WHERE id = ?",
                              &stmt, error))
    return rollback (self->db);
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
  if (!step_done (self->db, stmt, N_("labelling a card"), error) ||
      !insert_history (self, iccid, SV_HISTORY_LABEL, detail, card.modseq, error))
    return rollback (self->db);
  return commit (self->db, error);
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
  CardRow card;

  g_return_val_if_fail (SV_IS_MIRROR (self), FALSE);

  if (g_strcmp0 (iccid, confirm_iccid) != 0)
    {
      g_set_error (error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_INVALID,
                   _("Deleting card %s needs its ICCID as confirmation"), iccid ? iccid : "");
      return FALSE;
    }

  if (!begin (self->db, error))
    return FALSE;
  if (!lookup_card (self->db, iccid, &card, error) ||
      !sv_mirror_sql_prepare (self->db, "DELETE FROM cards WHERE id = ?", &stmt, error))
    return rollback (self->db);
  sqlite3_bind_int64 (stmt, 1, card.id);
  if (!step_done (self->db, stmt, N_("deleting a card"), error) ||
      !insert_history (self, iccid, SV_HISTORY_DELETE, "deleted from the mirror", card.modseq, error))
    return rollback (self->db);
  return commit (self->db, error);
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
  CardRow card;
  int rc;

  g_return_val_if_fail (SV_IS_MIRROR (self), NULL);

  if (!ensure_decoded (self, iccid, error) ||
      !lookup_card (self->db, iccid, &card, error) ||
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
  CardRow card;
  int rc;

  g_return_val_if_fail (SV_IS_MIRROR (self), NULL);

  if (!ensure_decoded (self, iccid, error) ||
      !lookup_card (self->db, iccid, &card, error) ||
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

/* ------------------------------------------------------------------ */
/* Editing                                                              */

typedef SvMirrorEditFunc EditFunc;

/* One edit, in one transaction: load the working image, let @func change
 * it, store the records that changed, remember their previous bytes for
 * undo, bump the modseq, append to the history, refresh the lists. */
static gboolean
run_edit (SvMirror     *self,
          const char   *iccid,
          SvHistoryOp   op,
          EditFunc      func,
          gpointer      user_data,
          GError      **error)
{
  g_autoptr(SvCardImage) before = NULL;
  g_autoptr(SvCardImage) after = NULL;
  g_autoptr(GPtrArray) changes = NULL;
  g_autofree char *detail = NULL;
  g_autoptr(sqlite3_stmt) step = NULL;
  g_autoptr(sqlite3_stmt) trim = NULL;
  gint64 step_id, new_modseq;
  CardRow card;

  if (!begin (self->db, error))
    return FALSE;

  if (!lookup_card (self->db, iccid, &card, error) ||
      (before = load_image (self->db, iccid, &card, TRUE, error)) == NULL)
    return rollback (self->db);

  after = sv_card_image_copy (before);
  if (!func (after, user_data, &detail, error))
    return rollback (self->db);

  changes = sv_card_image_diff (before, after);
  if (changes->len == 0)
    {
      /* Nothing to store: not an error, and nothing to undo. */
      rollback (self->db);
      return TRUE;
    }

  new_modseq = card.modseq + 1;

  if (!sv_mirror_sql_prepare (self->db,
                              "INSERT INTO undo_steps (card_id, modseq, detail) VALUES (?, ?, ?)",
                              &step, error))
    return rollback (self->db);
  sqlite3_bind_int64 (step, 1, card.id);
  sqlite3_bind_int64 (step, 2, new_modseq);
  sqlite3_bind_text (step, 3, detail ? detail : "", -1, SQLITE_TRANSIENT);
  if (!step_done (self->db, step, N_("recording undo"), error))
    return rollback (self->db);
  step_id = sqlite3_last_insert_rowid (self->db);

  for (guint i = 0; i < changes->len; i++)
    {
      SvRecordChange *change = g_ptr_array_index (changes, i);
      g_autoptr(sqlite3_stmt) undo = NULL;
      g_autoptr(GBytes) base = NULL;
      g_autoptr(GBytes) working = NULL;
      gint64 file_id, version = 0;
      gboolean found = FALSE;

      if (change->new_bytes == NULL)
        {
          g_set_error (error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_INVALID,
                       _("An edit may not remove record %u of “%s”"), change->index, change->key);
          return rollback (self->db);
        }
      if (!lookup_file_id (self->db, card.id, change->key, &file_id, error) ||
          !get_record (self->db, file_id, change->index, &base, &working, &version, &found, error))
        return rollback (self->db);

      if (!sv_mirror_sql_prepare (self->db,
                                  "INSERT INTO undo_records (step_id, key, idx, working, version) "
                                  "VALUES (?, ?, ?, ?, ?)", &undo, error))
        return rollback (self->db);
      sqlite3_bind_int64 (undo, 1, step_id);
      sqlite3_bind_text (undo, 2, change->key, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int (undo, 3, (int) change->index);
      bind_bytes (undo, 4, found ? working : change->old_bytes);
      sqlite3_bind_int64 (undo, 5, version);
      if (!step_done (self->db, undo, N_("recording undo"), error) ||
          !put_record (self->db, file_id, change->key, change->index,
                       found ? base : NULL, change->new_bytes, new_modseq, error))
        return rollback (self->db);
    }

  /* Keep the last MAX_UNDO_STEPS steps of this card. */
  if (!sv_mirror_sql_prepare (self->db,
                              "DELETE FROM undo_steps WHERE card_id = ?1 AND id NOT IN "
                              "(SELECT id FROM undo_steps WHERE card_id = ?1 ORDER BY id DESC LIMIT ?2)",
                              &trim, error))
    return rollback (self->db);
  sqlite3_bind_int64 (trim, 1, card.id);
  sqlite3_bind_int (trim, 2, MAX_UNDO_STEPS);
  if (!step_done (self->db, trim, N_("trimming undo"), error))
    return rollback (self->db);

  card.modseq = new_modseq;
  if (!set_card_modseq (self->db, card.id, new_modseq, error) ||
      !insert_history (self, iccid, op, detail, new_modseq, error) ||
      !refresh_decoded (self->db, &card, after, new_modseq, error))
    return rollback (self->db);

  return commit (self->db, error);
}

/**
 * sv_mirror_edit:
 * @op: the history operation (edit, import, restore)
 * @func: changes the working image; returning %FALSE stores nothing
 *
 * Runs @func on the card's working image inside one transaction and stores
 * the records it changed: the building block of every edit, undoable like
 * them. A call that changes nothing stores nothing.
 */
gboolean
sv_mirror_edit (SvMirror          *self,
                const char        *iccid,
                SvHistoryOp        op,
                SvMirrorEditFunc   func,
                gpointer           user_data,
                GError           **error)
{
  g_return_val_if_fail (SV_IS_MIRROR (self), FALSE);
  g_return_val_if_fail (func != NULL, FALSE);
  return run_edit (self, iccid, op, func, user_data, error);
}

static char *
format_problems (GPtrArray *problems)
{
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; i < problems->len; i++)
    {
      const SvFitProblem *problem = g_ptr_array_index (problems, i);

      if (i > 0)
        g_string_append (text, "; ");
      g_string_append_printf (text, "%s: %s", problem->field, problem->message);
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

typedef struct
{
  const SvContact *contact;
  GPtrArray       *problems;
} StoreContact;

static gboolean
store_contact_cb (SvCardImage  *working,
                  gpointer      user_data,
                  char        **detail,
                  GError      **error)
{
  StoreContact *data = user_data;
  const SvContact *contact = data->contact;
  g_autoptr(GPtrArray) problems = sv_phonebook_check_contact (working, contact);

  if (problems != NULL && problems->len > 0)
    {
      g_autofree char *text = format_problems (problems);

      g_set_error (error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_DOES_NOT_FIT,
                   _("Contact %u does not fit this card: %s"),
                   sv_contact_get_index (contact), text);
      data->problems = g_steal_pointer (&problems);
      return FALSE;
    }

  if (!sv_phonebook_store_contact (working, contact, error))
    return FALSE;

  *detail = g_strdup_printf ("stored contact %u%s%s: “%s” %s",
                             sv_contact_get_index (contact),
                             sv_contact_get_set (contact) ? " of set " : "",
                             sv_contact_get_set (contact) ? "" : "",
                             sv_contact_get_name (contact) ? sv_contact_get_name (contact) : "",
                             sv_contact_get_number (contact) ? sv_contact_get_number (contact) : "");
  return TRUE;
}

/**
 * sv_mirror_store_contact:
 * @contact: the contact, at its set and index (use
 *   sv_mirror_find_free_index() or the model for a new one)
 * @problems: (out) (optional) (element-type SvFitProblem): when it does not
 *   fit, what does not fit and by how much
 *
 * Adds or changes a contact in the working image, after checking it
 * against the card's real limits. Fails with
 * %SV_MIRROR_ERROR_DOES_NOT_FIT and stores nothing if any field does not
 * fit.
 */
gboolean
sv_mirror_store_contact (SvMirror         *self,
                         const char       *iccid,
                         const SvContact  *contact,
                         GPtrArray       **problems,
                         GError          **error)
{
  StoreContact data = { contact, NULL };
  gboolean ok;

  g_return_val_if_fail (SV_IS_MIRROR (self), FALSE);
  g_return_val_if_fail (contact != NULL, FALSE);

  ok = run_edit (self, iccid, SV_HISTORY_EDIT, store_contact_cb, &data, error);
  if (problems != NULL)
    *problems = data.problems;
  else if (data.problems != NULL)
    g_ptr_array_unref (data.problems);
  return ok;
}

typedef struct
{
  guint set;
  guint index;
} DeleteContact;

static gboolean
delete_contact_cb (SvCardImage  *working,
                   gpointer      user_data,
                   char        **detail,
                   GError      **error)
{
  DeleteContact *data = user_data;

  if (!sv_phonebook_delete_contact (working, data->set, data->index, error))
    return FALSE;
  *detail = g_strdup_printf ("deleted contact %u of set %u", data->index, data->set);
  return TRUE;
}

gboolean
sv_mirror_delete_contact (SvMirror    *self,
                          const char  *iccid,
                          guint        set,
                          guint        index,
                          GError     **error)
{
  DeleteContact data = { set, index };

  g_return_val_if_fail (SV_IS_MIRROR (self), FALSE);
  return run_edit (self, iccid, SV_HISTORY_EDIT, delete_contact_cb, &data, error);
}

typedef struct
{
  guint    index;
  gboolean delete;
  guint8   status;
} MessageEdit;

static gboolean
message_edit_cb (SvCardImage  *working,
                 gpointer      user_data,
                 char        **detail,
                 GError      **error)
{
  MessageEdit *data = user_data;
  SvCardFile *file = sv_card_image_lookup (working, "sms");
  GBytes *old;
  g_autoptr(GBytes) bytes = NULL;
  guint8 *buf;
  gsize len;

  old = sv_card_image_get_record (working, "sms", data->index);
  if (file == NULL || old == NULL || sv_mirror_record_is_empty ("sms", old))
    {
      g_set_error (error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_NOT_FOUND,
                   _("There is no message in record %u"), data->index);
      return FALSE;
    }

  buf = g_bytes_unref_to_data (g_bytes_ref (old), &len);
  if (data->delete)
    {
      /* TS 51.011 §10.5.3: a free record is status 00 followed by FF. */
      memset (buf, 0xFF, len);
      buf[0] = 0x00;
      *detail = g_strdup_printf ("deleted message %u", data->index);
    }
  else
    {
      buf[0] = data->status;
      *detail = g_strdup_printf ("marked message %u as %s", data->index,
                                 data->status == 0x01 ? "read" : "unread");
    }
  bytes = g_bytes_new_take (buf, len);
  return sv_card_image_set_record (working, "sms", data->index, bytes, error);
}

/**
 * sv_mirror_set_message_status:
 * @status: %SV_MESSAGE_STATUS_READ or %SV_MESSAGE_STATUS_UNREAD (only a
 *   received message has these)
 */
gboolean
sv_mirror_set_message_status (SvMirror        *self,
                              const char      *iccid,
                              guint            index,
                              SvMessageStatus  status,
                              GError         **error)
{
  MessageEdit data = { index, FALSE, 0 };

  g_return_val_if_fail (SV_IS_MIRROR (self), FALSE);

  /* TS 51.011 §10.5.3: 01 read, 03 to be read. */
  if (status == SV_MESSAGE_STATUS_READ)
    data.status = 0x01;
  else if (status == SV_MESSAGE_STATUS_UNREAD)
    data.status = 0x03;
  else
    {
      g_set_error_literal (error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_INVALID,
                           _("Only a received message can be marked read or unread"));
      return FALSE;
    }
  return run_edit (self, iccid, SV_HISTORY_EDIT, message_edit_cb, &data, error);
}

/**
 * sv_mirror_delete_message:
 * @index: a record of the message; delete every part of a concatenated
 *   message with one call per record
 */
gboolean
sv_mirror_delete_message (SvMirror    *self,
                          const char  *iccid,
                          guint        index,
                          GError     **error)
{
  MessageEdit data = { index, TRUE, 0 };

  g_return_val_if_fail (SV_IS_MIRROR (self), FALSE);
  return run_edit (self, iccid, SV_HISTORY_EDIT, message_edit_cb, &data, error);
}

typedef struct
{
  SvCardImage *image;
  const char  *detail;
} ApplyImage;

static gboolean
apply_image_cb (SvCardImage  *working,
                gpointer      user_data,
                char        **detail,
                GError      **error)
{
  ApplyImage *data = user_data;
  g_autoptr(GPtrArray) keys = sv_card_image_list_keys (data->image);
  guint n = 0;

  for (guint k = 0; k < keys->len; k++)
    {
      const char *key = g_ptr_array_index (keys, k);
      SvCardFile *file = sv_card_image_lookup (data->image, key);

      if (sv_card_image_lookup (working, key) == NULL)
        {
          g_set_error (error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_INVALID,
                       _("The card has no file “%s”"), key);
          return FALSE;
        }
      for (guint i = 0; i < file->records->len; i++)
        {
          GBytes *bytes = g_ptr_array_index (file->records, i);

          if (!bytes_equal0 (bytes, sv_card_image_get_record (working, key, i + 1)))
            n++;
          if (!sv_card_image_set_record (working, key, i + 1, bytes, error))
            return FALSE;
        }
    }
  *detail = data->detail ? g_strdup (data->detail) : g_strdup_printf ("changed %u records", n);
  return TRUE;
}

/**
 * sv_mirror_apply_image:
 * @working: an image of the card with the records as they should be (for
 *   example after an import or a restore mapping); its ICCID names the card
 * @op: what this is, for the history
 * @detail: (nullable): the history text
 *
 * Makes @working the card's working records: one edit, undoable.
 */
gboolean
sv_mirror_apply_image (SvMirror     *self,
                       SvCardImage  *working,
                       SvHistoryOp   op,
                       const char   *detail,
                       GError      **error)
{
  ApplyImage data = { working, detail };
  g_autofree char *iccid = NULL;

  g_return_val_if_fail (SV_IS_MIRROR (self), FALSE);
  g_return_val_if_fail (SV_IS_CARD_IMAGE (working), FALSE);

  iccid = image_iccid (working);
  return run_edit (self, iccid, op, apply_image_cb, &data, error);
}

/**
 * sv_mirror_undo:
 * @undone_detail: (out) (optional): what was undone
 *
 * Undoes the last edit of the card (up to 100 steps back), restoring the
 * working bytes of every record it changed.
 */
gboolean
sv_mirror_undo (SvMirror     *self,
                const char   *iccid,
                char        **undone_detail,
                GError      **error)
{
  g_autoptr(sqlite3_stmt) last = NULL;
  g_autoptr(sqlite3_stmt) recs = NULL;
  g_autoptr(sqlite3_stmt) del = NULL;
  g_autoptr(SvCardImage) working = NULL;
  g_autofree char *detail = NULL;
  g_autofree char *history = NULL;
  gint64 step_id, new_modseq;
  CardRow card;
  int rc;

  g_return_val_if_fail (SV_IS_MIRROR (self), FALSE);

  if (!begin (self->db, error))
    return FALSE;
  if (!lookup_card (self->db, iccid, &card, error) ||
      !sv_mirror_sql_prepare (self->db,
                              "SELECT id, detail FROM undo_steps WHERE card_id = ? ORDER BY id DESC LIMIT 1",
                              &last, error))
    return rollback (self->db);
  sqlite3_bind_int64 (last, 1, card.id);
  rc = sqlite3_step (last);
  if (rc == SQLITE_DONE)
    {
      g_set_error (error, SV_MIRROR_ERROR, SV_MIRROR_ERROR_NOTHING_TO_UNDO,
                   _("There is no edit of card %s to undo"), iccid);
      return rollback (self->db);
    }
  if (rc != SQLITE_ROW)
    return sv_mirror_sql_error (self->db, rc, N_("reading undo"), error), rollback (self->db);
  step_id = sqlite3_column_int64 (last, 0);
  detail = column_dup_text (last, 1);

  new_modseq = card.modseq + 1;
  if (!sv_mirror_sql_prepare (self->db,
                              "SELECT key, idx, working FROM undo_records WHERE step_id = ?",
                              &recs, error))
    return rollback (self->db);
  sqlite3_bind_int64 (recs, 1, step_id);
  while ((rc = sqlite3_step (recs)) == SQLITE_ROW)
    {
      const char *key = (const char *) sqlite3_column_text (recs, 0);
      guint idx = (guint) sqlite3_column_int (recs, 1);
      g_autoptr(GBytes) previous = column_bytes (recs, 2);
      g_autoptr(GBytes) base = NULL;
      gint64 file_id;
      gboolean found = FALSE;

      if (!lookup_file_id (self->db, card.id, key, &file_id, error) ||
          !get_record (self->db, file_id, idx, &base, NULL, NULL, &found, error) ||
          !put_record (self->db, file_id, key, idx, base, previous, new_modseq, error))
        return rollback (self->db);
    }
  if (rc != SQLITE_DONE)
    return sv_mirror_sql_error (self->db, rc, N_("reading undo"), error), rollback (self->db);

  if (!sv_mirror_sql_prepare (self->db, "DELETE FROM undo_steps WHERE id = ?", &del, error))
    return rollback (self->db);
  sqlite3_bind_int64 (del, 1, step_id);
  history = g_strdup_printf ("undid: %s", detail);
  card.modseq = new_modseq;
  if (!step_done (self->db, del, N_("removing an undo step"), error) ||
      !set_card_modseq (self->db, card.id, new_modseq, error) ||
      !insert_history (self, iccid, SV_HISTORY_UNDO, history, new_modseq, error) ||
      (working = load_image (self->db, iccid, &card, TRUE, error)) == NULL ||
      !refresh_decoded (self->db, &card, working, new_modseq, error))
    return rollback (self->db);

  if (!commit (self->db, error))
    return FALSE;
  if (undone_detail != NULL)
    *undone_detail = g_steal_pointer (&detail);
  return TRUE;
}

static gboolean
discard_cb (SvCardImage  *working,
            gpointer      user_data,
            char        **detail,
            GError      **error)
{
  SvCardImage *base = user_data;
  g_autoptr(GPtrArray) changes = sv_card_image_diff (working, base);

  for (guint i = 0; i < changes->len; i++)
    {
      SvRecordChange *change = g_ptr_array_index (changes, i);

      if (change->new_bytes != NULL &&
          !sv_card_image_set_record (working, change->key, change->index, change->new_bytes, error))
        return FALSE;
    }
  *detail = g_strdup_printf ("discarded %u pending changes", changes->len);
  return TRUE;
}

/**
 * sv_mirror_discard_pending:
 *
 * Drops every local edit: working = base. Undoable.
 */
gboolean
sv_mirror_discard_pending (SvMirror    *self,
                           const char  *iccid,
                           GError     **error)
{
  g_autoptr(SvCardImage) base = NULL;

  g_return_val_if_fail (SV_IS_MIRROR (self), FALSE);

  base = sv_mirror_load_image (self, iccid, FALSE, error);
  if (base == NULL)
    return FALSE;
  return run_edit (self, iccid, SV_HISTORY_EDIT, discard_cb, base, error);
}

/* ------------------------------------------------------------------ */
/* Pending changes, conflicts, writing                                  */

static GPtrArray *
query_records (SvMirror    *self,
               const char  *iccid,
               const char  *condition,
               gint64       modseq,
               GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_mirror_pending_record_free);
  g_autofree char *sql = NULL;
  CardRow card;
  int rc;

  if (!lookup_card (self->db, iccid, &card, error))
    return NULL;
  sql = g_strdup_printf ("SELECT f.key, r.idx, r.state, r.version, r.base, r.working "
                         "FROM records r JOIN files f ON f.id = r.file_id "
                         "WHERE f.card_id = ?1 AND %s ORDER BY f.key, r.idx", condition);
  if (!sv_mirror_sql_prepare (self->db, sql, &stmt, error))
    return NULL;
  sqlite3_bind_int64 (stmt, 1, card.id);
  sqlite3_bind_int64 (stmt, 2, modseq);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      SvMirrorPendingRecord *record = g_new0 (SvMirrorPendingRecord, 1);

      record->key = column_dup_text (stmt, 0);
      record->index = (guint) sqlite3_column_int (stmt, 1);
      record->state = sqlite3_column_int (stmt, 2);
      record->version = sqlite3_column_int64 (stmt, 3);
      record->base_bytes = column_bytes (stmt, 4);
      record->working_bytes = column_bytes (stmt, 5);
      g_ptr_array_add (records, record);
    }
  if (rc != SQLITE_DONE)
    return sv_mirror_sql_error (self->db, rc, N_("listing records"), error), NULL;
  return g_steal_pointer (&records);
}

/**
 * sv_mirror_get_pending:
 *
 * Returns: (transfer container) (element-type SvMirrorPendingRecord): the
 *   records whose working bytes differ from the card's, by file and index
 */
GPtrArray *
sv_mirror_get_pending (SvMirror    *self,
                       const char  *iccid,
                       GError     **error)
{
  g_return_val_if_fail (SV_IS_MIRROR (self), NULL);
  return query_records (self, iccid, "r.state != 0 AND ?2 = ?2", 0, error);
}

/**
 * sv_mirror_get_changed_since:
 * @modseq: a modseq seen before
 *
 * Returns: (transfer container) (element-type SvMirrorPendingRecord): every
 *   record (clean or not) whose version is above @modseq: what a sync
 *   sends.
 */
GPtrArray *
sv_mirror_get_changed_since (SvMirror    *self,
                             const char  *iccid,
                             gint64       modseq,
                             GError     **error)
{
  g_return_val_if_fail (SV_IS_MIRROR (self), NULL);
  return query_records (self, iccid, "r.version > ?2", modseq, error);
}

/**
 * sv_mirror_get_pending_changes:
 *
 * The pending records as #SvRecordChange (old = base, new = working): what
 * `simvault-cli write` puts on the card.
 *
 * Returns: (transfer container) (element-type SvRecordChange):
 */
GPtrArray *
sv_mirror_get_pending_changes (SvMirror    *self,
                               const char  *iccid,
                               GError     **error)
{
  g_autoptr(GPtrArray) pending = NULL;
  GPtrArray *changes;

  g_return_val_if_fail (SV_IS_MIRROR (self), NULL);

  pending = sv_mirror_get_pending (self, iccid, error);
  if (pending == NULL)
    return NULL;
  changes = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_record_change_free);
  for (guint i = 0; i < pending->len; i++)
    {
      SvMirrorPendingRecord *record = g_ptr_array_index (pending, i);
      SvRecordChange *change = g_new0 (SvRecordChange, 1);

      change->key = g_strdup (record->key);
      change->index = record->index;
      change->old_bytes = record->base_bytes ? g_bytes_ref (record->base_bytes) : NULL;
      change->new_bytes = g_bytes_ref (record->working_bytes);
      g_ptr_array_add (changes, change);
    }
  return changes;
}

/* USIM change counters (TS 31.102 §4.4.2.5 EF_PSC, §4.4.2.6 EF_CC,
 * §4.4.2.8 EF_PUID): when they moved, the phonebook changed elsewhere. */
static const char * const change_counter_keys[] = { "cc", "psc", "puid" };

/**
 * sv_mirror_check_conflicts:
 * @card_now: the relevant records as the card holds them now (read just
 *   before writing)
 *
 * Before a write: the pending records whose bytes on the card are no longer
 * the base the edit was made on, and the USIM change counters that moved
 * (reported with their key and index 1) when there is anything pending.
 *
 * Returns: (transfer container) (element-type SvMirrorConflict): the
 *   conflicts; empty when it is safe to write
 */
GPtrArray *
sv_mirror_check_conflicts (SvMirror     *self,
                           const char   *iccid,
                           SvCardImage  *card_now,
                           GError      **error)
{
  g_autoptr(GPtrArray) pending = NULL;
  g_autoptr(SvCardImage) base = NULL;
  g_autoptr(GPtrArray) conflicts = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_mirror_conflict_free);

  g_return_val_if_fail (SV_IS_MIRROR (self), NULL);
  g_return_val_if_fail (SV_IS_CARD_IMAGE (card_now), NULL);

  pending = sv_mirror_get_pending (self, iccid, error);
  if (pending == NULL)
    return NULL;
  if (pending->len == 0)
    return g_steal_pointer (&conflicts);

  for (guint i = 0; i < pending->len; i++)
    {
      SvMirrorPendingRecord *record = g_ptr_array_index (pending, i);
      GBytes *now = sv_card_image_get_record (card_now, record->key, record->index);

      if (now != NULL && !bytes_equal0 (now, record->base_bytes))
        {
          SvMirrorConflict *conflict = g_new0 (SvMirrorConflict, 1);

          conflict->key = g_strdup (record->key);
          conflict->index = record->index;
          conflict->base_bytes = record->base_bytes ? g_bytes_ref (record->base_bytes) : NULL;
          conflict->card_bytes = g_bytes_ref (now);
          conflict->local_bytes = g_bytes_ref (record->working_bytes);
          g_ptr_array_add (conflicts, conflict);
        }
    }

  base = sv_mirror_load_image (self, iccid, FALSE, error);
  if (base == NULL)
    return NULL;
  for (guint k = 0; k < G_N_ELEMENTS (change_counter_keys); k++)
    {
      const char *key = change_counter_keys[k];
      GBytes *was = sv_card_image_get_record (base, key, 1);
      GBytes *now = sv_card_image_get_record (card_now, key, 1);
      gboolean listed = FALSE;

      if (was == NULL || now == NULL || g_bytes_equal (was, now))
        continue;
      for (guint i = 0; i < conflicts->len; i++)
        {
          SvMirrorConflict *c = g_ptr_array_index (conflicts, i);
          listed |= g_str_equal (c->key, key);
        }
      if (!listed)
        {
          SvMirrorConflict *conflict = g_new0 (SvMirrorConflict, 1);

          conflict->key = g_strdup (key);
          conflict->index = 1;
          conflict->base_bytes = g_bytes_ref (was);
          conflict->card_bytes = g_bytes_ref (now);
          conflict->local_bytes = g_bytes_ref (was);
          g_ptr_array_add (conflicts, conflict);
        }
    }

  return g_steal_pointer (&conflicts);
}

/**
 * sv_mirror_mark_written:
 * @written_changes: (element-type SvRecordChange): the records now on the
 *   card; each one's @new_bytes becomes the base
 *
 * After a write: those records are clean (unless edited again meanwhile),
 * and the history gets a "write" row. One transaction.
 */
gboolean
sv_mirror_mark_written (SvMirror    *self,
                        const char  *iccid,
                        GPtrArray   *written_changes,
                        GError     **error)
{
  g_autofree char *detail = NULL;
  gint64 new_modseq;
  CardRow card;
  g_autoptr(SvCardImage) working = NULL;

  g_return_val_if_fail (SV_IS_MIRROR (self), FALSE);
  g_return_val_if_fail (written_changes != NULL, FALSE);

  if (!begin (self->db, error))
    return FALSE;
  if (!lookup_card (self->db, iccid, &card, error))
    return rollback (self->db);

  new_modseq = card.modseq + 1;
  for (guint i = 0; i < written_changes->len; i++)
    {
      SvRecordChange *change = g_ptr_array_index (written_changes, i);
      g_autoptr(sqlite3_stmt) same_file = NULL;
      int rc;

      if (change->new_bytes == NULL)
        continue;

      /* Every key naming the same file on the card (an EF_EXT1 shared by
       * several phonebook sets) now holds the written bytes too. */
      if (!sv_mirror_sql_prepare (self->db,
                                  "SELECT f.id, f.key FROM files f JOIN files w ON w.path = f.path "
                                  "AND w.card_id = f.card_id WHERE w.card_id = ? AND w.key = ?",
                                  &same_file, error))
        return rollback (self->db);
      sqlite3_bind_int64 (same_file, 1, card.id);
      sqlite3_bind_text (same_file, 2, change->key, -1, SQLITE_TRANSIENT);
      while ((rc = sqlite3_step (same_file)) == SQLITE_ROW)
        {
          gint64 file_id = sqlite3_column_int64 (same_file, 0);
          const char *key = (const char *) sqlite3_column_text (same_file, 1);
          g_autoptr(GBytes) old_base = NULL;
          g_autoptr(GBytes) local = NULL;
          gboolean found = FALSE;
          GBytes *follow;

          if (!get_record (self->db, file_id, change->index, &old_base, &local, NULL, &found, error))
            return rollback (self->db);

          /* The record follows the card unless it holds a newer local edit
           * than what was written: bookkeeping the writer added (EF_CC,
           * EF_UID, EF_PUID) and records that were clean follow. */
          if (!found ||
              g_bytes_equal (local, change->new_bytes) ||
              (change->old_bytes != NULL && g_bytes_equal (local, change->old_bytes)) ||
              (old_base != NULL && g_bytes_equal (local, old_base)))
            follow = change->new_bytes;
          else
            follow = local;

          if (!put_record (self->db, file_id, key, change->index, change->new_bytes, follow,
                           new_modseq, error))
            return rollback (self->db);
        }
      if (rc != SQLITE_DONE)
        {
          sv_mirror_sql_error (self->db, rc, N_("marking records written"), error);
          return rollback (self->db);
        }
    }

  detail = g_strdup_printf ("wrote %u records to the card", written_changes->len);
  card.modseq = new_modseq;
  if (!set_card_modseq (self->db, card.id, new_modseq, error) ||
      !insert_history (self, iccid, SV_HISTORY_WRITE, detail, new_modseq, error) ||
      (working = load_image (self->db, iccid, &card, TRUE, error)) == NULL ||
      !refresh_decoded (self->db, &card, working, new_modseq, error))
    return rollback (self->db);
  return commit (self->db, error);
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
  CardRow card = { 0 };

  g_return_val_if_fail (SV_IS_MIRROR (self), FALSE);
  g_return_val_if_fail (iccid != NULL, FALSE);

  if (!begin (self->db, error))
    return FALSE;
  lookup_card (self->db, iccid, &card, NULL);
  if (!insert_history (self, iccid, op, detail, card.modseq, error))
    return rollback (self->db);
  return commit (self->db, error);
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
      entry->iccid = column_dup_text (stmt, 1);
      entry->at = sqlite3_column_int64 (stmt, 2);
      entry->op = history_op_from_string ((const char *) sqlite3_column_text (stmt, 3));
      entry->who = column_dup_text (stmt, 4);
      entry->detail = column_dup_text (stmt, 5);
      entry->modseq = sqlite3_column_int64 (stmt, 6);
      g_ptr_array_add (entries, entry);
    }
  if (rc != SQLITE_DONE)
    return sv_mirror_sql_error (self->db, rc, N_("reading the history"), error), NULL;
  return g_steal_pointer (&entries);
}

/* ------------------------------------------------------------------ */
/* Async: each task opens its own connection on the worker thread.      */

typedef struct
{
  char        *iccid;
  SvCardImage *image;
  GPtrArray   *changes;
  gboolean     with_pending;
  GPtrArray   *conflicts;
} TaskData;

static void
task_data_free (TaskData *data)
{
  g_free (data->iccid);
  g_clear_object (&data->image);
  g_clear_pointer (&data->changes, g_ptr_array_unref);
  g_clear_pointer (&data->conflicts, g_ptr_array_unref);
  g_free (data);
}

static GTask *
new_task (SvMirror            *self,
          gpointer             tag,
          GCancellable        *cancellable,
          GAsyncReadyCallback  callback,
          gpointer             user_data,
          TaskData           **data_out)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  TaskData *data = g_new0 (TaskData, 1);

  g_task_set_source_tag (task, tag);
  g_task_set_task_data (task, data, (GDestroyNotify) task_data_free);
  *data_out = data;
  return task;
}

static SvMirror *
open_worker (GTask *task)
{
  SvMirror *self = g_task_get_source_object (task);
  GError *error = NULL;
  SvMirror *worker = sv_mirror_open (self->path, &error);

  if (worker == NULL)
    g_task_return_error (task, error);
  else
    sv_mirror_set_who (worker, self->who);
  return worker;
}

static void
import_card_thread (GTask        *task,
                    gpointer      source,
                    gpointer      task_data,
                    GCancellable *cancellable)
{
  TaskData *data = task_data;
  g_autoptr(SvMirror) worker = open_worker (task);
  GError *error = NULL;

  if (worker == NULL || g_task_return_error_if_cancelled (task))
    return;
  if (!sv_mirror_import_card (worker, data->image, &data->conflicts, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

void
sv_mirror_import_card_async (SvMirror            *self,
                             SvCardImage         *read_from_card,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  TaskData *data;
  g_autoptr(GTask) task = new_task (self, sv_mirror_import_card_async, cancellable,
                                    callback, user_data, &data);

  /* The image is not thread-safe: the worker gets its own copy. */
  data->image = sv_card_image_copy (read_from_card);
  g_task_run_in_thread (task, import_card_thread);
}

gboolean
sv_mirror_import_card_finish (SvMirror      *self,
                              GAsyncResult  *result,
                              GPtrArray    **conflicts,
                              GError       **error)
{
  TaskData *data;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  data = g_task_get_task_data (G_TASK (result));
  if (conflicts != NULL)
    *conflicts = g_steal_pointer (&data->conflicts);
  return TRUE;
}

static void
list_cards_thread (GTask        *task,
                   gpointer      source,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  g_autoptr(SvMirror) worker = open_worker (task);
  GError *error = NULL;
  GPtrArray *cards;

  if (worker == NULL || g_task_return_error_if_cancelled (task))
    return;
  cards = sv_mirror_list_cards (worker, &error);
  if (cards == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, cards, (GDestroyNotify) g_ptr_array_unref);
}

void
sv_mirror_list_cards_async (SvMirror            *self,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  TaskData *data;
  g_autoptr(GTask) task = new_task (self, sv_mirror_list_cards_async, cancellable,
                                    callback, user_data, &data);

  g_task_run_in_thread (task, list_cards_thread);
}

GPtrArray *
sv_mirror_list_cards_finish (SvMirror      *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
load_image_thread (GTask        *task,
                   gpointer      source,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  TaskData *data = task_data;
  g_autoptr(SvMirror) worker = open_worker (task);
  GError *error = NULL;
  SvCardImage *image;

  if (worker == NULL || g_task_return_error_if_cancelled (task))
    return;
  image = sv_mirror_load_image (worker, data->iccid, data->with_pending, &error);
  if (image == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, image, g_object_unref);
}

void
sv_mirror_load_image_async (SvMirror            *self,
                            const char          *iccid,
                            gboolean             with_pending,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  TaskData *data;
  g_autoptr(GTask) task = new_task (self, sv_mirror_load_image_async, cancellable,
                                    callback, user_data, &data);

  data->iccid = g_strdup (iccid);
  data->with_pending = with_pending;
  g_task_run_in_thread (task, load_image_thread);
}

SvCardImage *
sv_mirror_load_image_finish (SvMirror      *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
mark_written_thread (GTask        *task,
                     gpointer      source,
                     gpointer      task_data,
                     GCancellable *cancellable)
{
  TaskData *data = task_data;
  g_autoptr(SvMirror) worker = open_worker (task);
  GError *error = NULL;

  if (worker == NULL)
    return;
  /* Not cancellable: the card already holds these bytes. */
  if (!sv_mirror_mark_written (worker, data->iccid, data->changes, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

void
sv_mirror_mark_written_async (SvMirror            *self,
                              const char          *iccid,
                              GPtrArray           *written_changes,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  TaskData *data;
  g_autoptr(GTask) task = new_task (self, sv_mirror_mark_written_async, cancellable,
                                    callback, user_data, &data);

  data->iccid = g_strdup (iccid);
  data->changes = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_record_change_free);
  for (guint i = 0; i < written_changes->len; i++)
    {
      SvRecordChange *src = g_ptr_array_index (written_changes, i);
      SvRecordChange *copy = g_new0 (SvRecordChange, 1);

      copy->key = g_strdup (src->key);
      copy->index = src->index;
      copy->old_bytes = src->old_bytes ? g_bytes_ref (src->old_bytes) : NULL;
      copy->new_bytes = src->new_bytes ? g_bytes_ref (src->new_bytes) : NULL;
      g_ptr_array_add (data->changes, copy);
    }
  g_task_run_in_thread (task, mark_written_thread);
}

gboolean
sv_mirror_mark_written_finish (SvMirror      *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
