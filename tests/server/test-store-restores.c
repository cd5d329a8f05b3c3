/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * test-store: the SMS ring, restores and deregistration.
 */
#include "config.h"

#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <sqlite3.h>

#include "test-store-private.h"

/* ------------------------------------------------------------------------ */
/* The SMS ring                                                             */

static SvStoreMessage *
sms (const char *text,
     gint64      stored_at)
{
  SvStoreMessage *message = sv_store_message_new (stored_at);
  g_autoptr(GBytes) part = NULL;
  guint8 buf[176];
  gsize n = MIN (strlen (text), sizeof buf - 1);

  memset (buf, 0xff, sizeof buf);
  buf[0] = 0x01;
  memcpy (buf + 1, text, n);
  part = g_bytes_new (buf, sizeof buf);
  sv_store_message_add_part (message, part);
  return message;
}

static GPtrArray *
sms_batch (const char *first,
           ...)
{
  GPtrArray *messages = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_store_message_free);
  va_list args;

  va_start (args, first);
  for (const char *text = first; text != NULL; text = va_arg (args, const char *))
    g_ptr_array_add (messages, sms (text, T0));
  va_end (args);
  return messages;
}

static char *
sms_text (SvStoreMessage *message,
          guint           part)
{
  const guint8 *p = g_bytes_get_data (g_ptr_array_index (message->parts, part), NULL);
  const guint8 *end = memchr (p + 1, 0xff, 175);

  return g_strndup ((const char *) p + 1, end != NULL ? (gsize) (end - p - 1) : 175);
}

void
test_ring (Fixture       *f,
           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) batch = NULL;
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(SvStoreMessagesResult) result = NULL;
  gint64 account_id = setup_card (f, PHONE_A, ICCID_A);   /* capacity 5 */

  batch = sms_batch ("m1", "m2", "m3", NULL);
  result = sv_store_messages_append (f->store, account_id, ICCID_A, "s1", batch, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (result->stored, ==, 3);
  g_assert_cmpuint (result->duplicates, ==, 0);
  g_assert_cmpuint (result->dropped, ==, 0);
  g_assert_cmpuint (result->count, ==, 3);
  g_clear_pointer (&result, sv_store_messages_result_free);

  /* a retry: the same answer, nothing stored twice */
  result = sv_store_messages_append (f->store, account_id, ICCID_A, "s1", batch, &error);
  g_assert_no_error (error);
  g_assert_true (result->replayed);
  g_assert_cmpuint (result->stored, ==, 3);
  g_assert_cmpuint (result->count, ==, 3);
  g_clear_pointer (&result, sv_store_messages_result_free);
  g_clear_pointer (&batch, g_ptr_array_unref);

  /* the same id with other messages */
  batch = sms_batch ("other", NULL);
  g_assert_null (sv_store_messages_append (f->store, account_id, ICCID_A, "s1", batch, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_BATCH_ID_REUSED);
  g_clear_error (&error);
  g_clear_pointer (&batch, g_ptr_array_unref);

  /* m2 again (a duplicate) and four new: the two oldest go */
  batch = sms_batch ("m2", "m4", "m5", "m6", "m7", NULL);
  result = sv_store_messages_append (f->store, account_id, ICCID_A, "s2", batch, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (result->stored, ==, 4);
  g_assert_cmpuint (result->duplicates, ==, 1);
  g_assert_cmpuint (result->dropped, ==, 2);
  g_assert_cmpuint (result->count, ==, 5);
  g_clear_pointer (&result, sv_store_messages_result_free);
  g_clear_pointer (&batch, g_ptr_array_unref);

  list = sv_store_messages_list (f->store, account_id, ICCID_A, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 5);
  {
    const char *expected[] = { "m3", "m4", "m5", "m6", "m7" };

    for (guint i = 0; i < list->len; i++)
      {
        SvStoreMessage *message = g_ptr_array_index (list, i);
        g_autofree char *text = sms_text (message, 0);

        g_assert_cmpstr (text, ==, expected[i]);
        g_assert_cmpint (message->stored_at, ==, T0);
        g_assert_cmpint (message->received_at, ==, T0);
        g_assert_cmpuint (g_bytes_get_size (g_ptr_array_index (message->parts, 0)), ==, 176);
        if (i > 0)
          g_assert_cmpint (message->id, >, ((SvStoreMessage *) g_ptr_array_index (list, i - 1))->id);
      }
  }

  /* a message of three parts needs three places: m3, m4, m5 go */
  batch = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_store_message_free);
  {
    SvStoreMessage *long_message = sms ("part1", T0);
    g_autoptr(SvStoreMessage) p2 = sms ("part2", T0);
    g_autoptr(SvStoreMessage) p3 = sms ("part3", T0);

    sv_store_message_add_part (long_message, g_ptr_array_index (p2->parts, 0));
    sv_store_message_add_part (long_message, g_ptr_array_index (p3->parts, 0));
    g_ptr_array_add (batch, long_message);
  }
  result = sv_store_messages_append (f->store, account_id, ICCID_A, "s3", batch, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (result->stored, ==, 1);
  g_assert_cmpuint (result->dropped, ==, 3);
  g_assert_cmpuint (result->count, ==, 3);
  g_clear_pointer (&result, sv_store_messages_result_free);
  g_clear_pointer (&batch, g_ptr_array_unref);
  g_clear_pointer (&list, g_ptr_array_unref);
  list = sv_store_messages_list (f->store, account_id, ICCID_A, &error);
  g_assert_cmpuint (list->len, ==, 3);
  {
    SvStoreMessage *last = g_ptr_array_index (list, 2);
    g_autofree char *second = sms_text (last, 1);

    g_assert_cmpuint (last->parts->len, ==, 3);
    g_assert_cmpstr (second, ==, "part2");
  }

  /* delete one; then another account cannot, and an unknown id is 404 */
  g_assert_true (sv_store_message_delete (f->store, account_id, ICCID_A,
                                          ((SvStoreMessage *) g_ptr_array_index (list, 0))->id, &error));
  g_assert_no_error (error);
  g_assert_false (sv_store_message_delete (f->store, account_id, ICCID_A,
                                           ((SvStoreMessage *) g_ptr_array_index (list, 0))->id, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  {
    gint64 other = create_account (f, PHONE_B);

    g_assert_false (sv_store_message_delete (f->store, other, ICCID_A,
                                             ((SvStoreMessage *) g_ptr_array_index (list, 1))->id, &error));
    g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND);
    g_clear_error (&error);
    g_assert_null (sv_store_messages_list (f->store, other, ICCID_A, &error));
    g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND);
    g_clear_error (&error);
  }

  /* invalid: an empty message, more parts than the card holds */
  batch = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_store_message_free);
  g_ptr_array_add (batch, sv_store_message_new (0));
  g_assert_null (sv_store_messages_append (f->store, account_id, ICCID_A, "s4", batch, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID);
  g_clear_error (&error);
  g_clear_pointer (&batch, g_ptr_array_unref);
  batch = sms_batch ("x", NULL);
  for (guint i = 0; i < 5; i++)
    sv_store_message_add_part (g_ptr_array_index (batch, 0),
                         g_ptr_array_index (((SvStoreMessage *) g_ptr_array_index (batch, 0))->parts, 0));
  g_assert_null (sv_store_messages_append (f->store, account_id, ICCID_A, "s5", batch, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID);
  g_clear_error (&error);
}

/* ------------------------------------------------------------------------ */
/* Restores                                                                 */

void
test_restore_full (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvStoreRestore) restore = NULL;
  g_autoptr(SvStoreRestoreGroup) group = NULL;
  g_autoptr(GPtrArray) batch = NULL;
  g_autoptr(SvStoreMessagesResult) stored = NULL;
  g_autoptr(SvStoreStaff) staff = NULL;
  g_autoptr(GPtrArray) audit = NULL;
  g_autoptr(SvStoreCard) card = NULL;
  gint64 account_id = setup_card (f, PHONE_A, ICCID_A);
  guint total_records = 0, total_messages = 0;

  /* 7 adn records (one later cleared), 3 messages */
  fill_history (f, account_id, 7, 0);
  {
    g_autoptr(SvStoreBackupResult) cleared = backup (f, account_id, "clear7", SV_STORE_BACKUP_INCREMENTAL,
                                                "pb1/adn", 7, NULL, 7, &error);
    g_assert_no_error (error);
  }
  batch = sms_batch ("m1", "m2", "m3", NULL);
  stored = sv_store_messages_append (f->store, account_id, ICCID_A, "s1", batch, &error);
  g_assert_no_error (error);
  card = sv_store_card_get (f->store, account_id, ICCID_A, &error);

  staff = sv_store_staff_add (f->store, "shop1", "pw", &error);
  g_assert_no_error (error);
  restore = sv_store_restore_create (f->store, account_id, staff->id, ICCID_A, SV_STORE_RESTORE_FULL,
                                     0, 0, TRUE, 4, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (restore->id, ICCID_A "."));
  g_assert_cmpuint (strlen (restore->id), ==, strlen (ICCID_A) + 1 + 36);
  g_assert_cmpuint (restore->n_records, ==, 6);
  g_assert_cmpuint (restore->n_messages, ==, 3);
  g_assert_cmpuint (restore->n_groups, ==, 3);
  g_assert_cmpuint (restore->n_acked, ==, 0);
  g_assert_false (restore->done);
  g_assert_cmpint (restore->modseq, ==, card->modseq);

  /* group 0 carries the files to clear */
  group = sv_store_restore_get_group (f->store, account_id, restore->id, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (group->group, ==, 0);
  g_assert_cmpuint (group->records->len, ==, 4);
  g_assert_cmpuint (group->clear->len, ==, 3);
  g_assert_cmpstr (g_ptr_array_index (group->clear, 0), ==, "pb1/adn");
  g_assert_cmpstr (g_ptr_array_index (group->clear, 1), ==, "pb1/ext1");
  g_assert_cmpstr (g_ptr_array_index (group->clear, 2), ==, "sms");
  g_clear_pointer (&group, sv_store_restore_group_free);

  /* asking for group 2 before 0 is acknowledged answers group 0 again */
  group = sv_store_restore_get_group (f->store, account_id, restore->id, 2, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (group->group, ==, 0);
  g_clear_pointer (&group, sv_store_restore_group_free);

  /* acks in order only */
  g_assert_null (sv_store_restore_ack (f->store, account_id, "nope", 0, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (sv_store_restore_ack (f->store, account_id, restore->id, 1, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_null (sv_store_restore_ack (f->store, account_id, restore->id, 3, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  for (guint n = 0; n < restore->n_groups; n++)
    {
      g_autoptr(SvStoreRestore) acked = NULL;
      g_autoptr(SvStoreRestore) repeated = NULL;

      group = sv_store_restore_get_group (f->store, account_id, restore->id, n, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (group->group, ==, n);
      if (n > 0)
        g_assert_cmpuint (group->clear->len, ==, 0);
      for (guint i = 0; i < group->records->len; i++)
        {
          SvStoreRecord *record = g_ptr_array_index (group->records, i);

          /* the cleared record 7 and the EF_SMS are not sent */
          g_assert_cmpstr (record->file, ==, "pb1/adn");
          g_assert_cmpuint (record->index, ==, ++total_records);
          g_assert_cmpuint (g_bytes_get_size (record->data), ==, 30);
        }
      for (guint i = 0; i < group->messages->len; i++)
        {
          g_autofree char *text = sms_text (g_ptr_array_index (group->messages, i), 0);
          g_autofree char *expected = g_strdup_printf ("m%u", ++total_messages);

          g_assert_cmpstr (text, ==, expected);
        }
      g_clear_pointer (&group, sv_store_restore_group_free);

      acked = sv_store_restore_ack (f->store, account_id, restore->id, n, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (acked->n_acked, ==, n + 1);
      g_assert_cmpint (acked->done, ==, n + 1 == restore->n_groups);
      /* a repeated ack is harmless */
      repeated = sv_store_restore_ack (f->store, account_id, restore->id, n, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (repeated->n_acked, ==, n + 1);
    }
  g_assert_cmpuint (total_records, ==, 6);
  g_assert_cmpuint (total_messages, ==, 3);

  {
    g_autoptr(SvStoreRestore) done = sv_store_restore_get (f->store, account_id, restore->id, &error);

    g_assert_no_error (error);
    g_assert_true (done->done);
    g_assert_cmpint (done->epoch, ==, card->epoch);
    g_assert_cmpint (done->modseq, ==, card->modseq);
  }

  /* beyond the last group */
  g_assert_null (sv_store_restore_get_group (f->store, account_id, restore->id, 3, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* another account cannot see it */
  {
    gint64 other = create_account (f, PHONE_B);

    g_assert_null (sv_store_restore_get (f->store, other, restore->id, &error));
    g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND);
    g_clear_error (&error);
    g_assert_null (sv_store_restore_get_group (f->store, other, restore->id, 0, &error));
    g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND);
    g_clear_error (&error);
  }

  /* ids that are not ids */
  {
    const char *bad[] = { "", ".", "nodot", ICCID_B ".whatever", "123456789012345678901234.x" };

    for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
      {
        g_assert_null (sv_store_restore_get (f->store, account_id, bad[i], &error));
        g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND);
        g_clear_error (&error);
      }
  }

  /* started and finished by staff: both in the owner's audit log */
  audit = sv_store_audit_list (f->store, account_id, 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (audit->len, ==, 2);
  g_assert_cmpstr (((SvStoreAuditEntry *) g_ptr_array_index (audit, 0))->action, ==, "restore");
  g_assert_cmpstr (((SvStoreAuditEntry *) g_ptr_array_index (audit, 0))->iccid, ==, ICCID_A);
  g_assert_cmpstr (((SvStoreAuditEntry *) g_ptr_array_index (audit, 0))->staff_name, ==, "shop1");
  g_assert_cmpstr (((SvStoreAuditEntry *) g_ptr_array_index (audit, 1))->action, ==, "restore-start");
}

void
test_restore_incremental (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvStoreRestore) restore = NULL;
  g_autoptr(SvStoreRestore) empty = NULL;
  g_autoptr(SvStoreRestore) acked = NULL;
  g_autoptr(SvStoreRestoreGroup) group = NULL;
  g_autoptr(SvStoreCard) card = NULL;
  g_autoptr(GPtrArray) audit = NULL;
  gint64 account_id = setup_card (f, PHONE_A, ICCID_A);

  fill_history (f, account_id, 5, 0);
  {
    g_autoptr(SvStoreBackupResult) cleared = backup (f, account_id, "clear2", SV_STORE_BACKUP_INCREMENTAL,
                                                "pb1/adn", 2, NULL, 2, &error);
    g_assert_no_error (error);
  }
  card = sv_store_card_get (f->store, account_id, ICCID_A, &error);

  /* since 3: records 4, 5 and the cleared 2 (as FF) */
  restore = sv_store_restore_create (f->store, account_id, 0, ICCID_A, SV_STORE_RESTORE_INCREMENTAL,
                                     card->epoch, 3, TRUE, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (restore->n_records, ==, 3);
  g_assert_cmpuint (restore->n_messages, ==, 0);
  g_assert_cmpuint (restore->n_groups, ==, 1);
  group = sv_store_restore_get_group (f->store, account_id, restore->id, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (group->clear->len, ==, 0);
  g_assert_cmpuint (group->records->len, ==, 3);
  g_assert_cmpuint (((SvStoreRecord *) g_ptr_array_index (group->records, 0))->index, ==, 4);
  g_assert_cmpuint (((SvStoreRecord *) g_ptr_array_index (group->records, 2))->index, ==, 2);
  g_assert_cmpuint (((const guint8 *) g_bytes_get_data (((SvStoreRecord *) g_ptr_array_index (group->records, 2))->data, NULL))[0], ==, 0xff);
  acked = sv_store_restore_ack (f->store, account_id, restore->id, 0, &error);
  g_assert_no_error (error);
  g_assert_true (acked->done);
  g_assert_cmpint (acked->modseq, ==, card->modseq);

  /* up to date: one empty group */
  empty = sv_store_restore_create (f->store, account_id, 0, ICCID_A, SV_STORE_RESTORE_INCREMENTAL,
                                   card->epoch, card->modseq, FALSE, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (empty->n_records, ==, 0);
  g_assert_cmpuint (empty->n_groups, ==, 1);

  /* a bad token */
  g_assert_null (sv_store_restore_create (f->store, account_id, 0, ICCID_A, SV_STORE_RESTORE_INCREMENTAL,
                                          card->epoch - 1, 0, FALSE, 10, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_FULL_RESYNC_REQUIRED);
  g_clear_error (&error);
  g_assert_null (sv_store_restore_create (f->store, account_id, 0, ICCID_A, SV_STORE_RESTORE_FULL,
                                          0, 0, FALSE, SV_STORE_MAX_GROUP_SIZE + 1, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_INVALID);
  g_clear_error (&error);

  /* the owner's own restores are not audited */
  audit = sv_store_audit_list (f->store, account_id, 0, 0, &error);
  g_assert_cmpuint (audit->len, ==, 0);
}

/* ------------------------------------------------------------------------ */
/* Deregistration                                                           */

/* Rows that hold @iccid in any column of any table, counted straight from
 * the file, independently of the store's own list. */
static gint64
count_everywhere_sqlite (Fixture    *f,
                         const char *iccid)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *tables = NULL;
  gint64 total = 0;

  g_assert_cmpint (sqlite3_open_v2 (f->path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT name FROM sqlite_master WHERE type = 'table'",
                                       -1, &tables, NULL), ==, SQLITE_OK);
  while (sqlite3_step (tables) == SQLITE_ROW)
    {
      g_autofree char *table = g_strdup ((const char *) sqlite3_column_text (tables, 0));
      g_autofree char *info_sql = g_strdup_printf ("PRAGMA table_info (\"%s\")", table);
      sqlite3_stmt *columns = NULL;

      g_assert_cmpint (sqlite3_prepare_v2 (db, info_sql, -1, &columns, NULL), ==, SQLITE_OK);
      while (sqlite3_step (columns) == SQLITE_ROW)
        {
          g_autofree char *sql = g_strdup_printf ("SELECT COUNT(*) FROM \"%s\" WHERE CAST(\"%s\" AS TEXT) = ?",
                                                  table, (const char *) sqlite3_column_text (columns, 1));
          sqlite3_stmt *count = NULL;

          g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &count, NULL), ==, SQLITE_OK);
          sqlite3_bind_text (count, 1, iccid, -1, SQLITE_STATIC);
          g_assert_cmpint (sqlite3_step (count), ==, SQLITE_ROW);
          total += sqlite3_column_int64 (count, 0);
          sqlite3_finalize (count);
        }
      sqlite3_finalize (columns);
    }
  sqlite3_finalize (tables);
  sqlite3_close (db);
  return total;
}

#ifdef SV_HAVE_PGSQL
static gint64
count_everywhere_pgsql (Fixture    *f,
                        const char *iccid)
{
  PGconn *pg = pg_open (f->location);
  PGresult *columns;
  gint64 total = 0;

  columns = PQexec (pg, "SELECT table_name, column_name FROM information_schema.columns"
                        " WHERE table_schema = 'public'");
  g_assert_cmpint (PQresultStatus (columns), ==, PGRES_TUPLES_OK);
  for (int i = 0; i < PQntuples (columns); i++)
    {
      g_autofree char *sql = g_strdup_printf ("SELECT COUNT(*) FROM \"%s\" WHERE \"%s\"::text = $1",
                                              PQgetvalue (columns, i, 0), PQgetvalue (columns, i, 1));
      const char *params[] = { iccid };
      PGresult *count = PQexecParams (pg, sql, 1, NULL, params, NULL, NULL, 0);

      g_assert_cmpint (PQresultStatus (count), ==, PGRES_TUPLES_OK);
      total += g_ascii_strtoll (PQgetvalue (count, 0, 0), NULL, 10);
      PQclear (count);
    }
  PQclear (columns);
  PQfinish (pg);
  return total;
}
#endif

/* Rows that hold @iccid in any column of any table, counted straight from
 * the database, independently of the store's own list. */
static gint64
count_everywhere (Fixture    *f,
                  const char *iccid)
{
#ifdef SV_HAVE_PGSQL
  if (postgresql_location () != NULL)
    return count_everywhere_pgsql (f, iccid);
#endif
  return count_everywhere_sqlite (f, iccid);
}

/* Everything a card can have: records, cleared records, messages, batches,
 * restores and their items, audit rows, a replaced card pointing at it */
static void
populate_card (Fixture    *f,
               gint64      account_id,
               const char *iccid,
               gint64      staff_id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvStoreBackupRequest) request = sv_store_backup_request_new ("p1", SV_STORE_BACKUP_INCREMENTAL);
  g_autoptr(SvStoreBackupResult) result = NULL;
  g_autoptr(GPtrArray) batch = sms_batch ("hello", "world", NULL);
  g_autoptr(SvStoreMessagesResult) stored = NULL;
  g_autoptr(SvStoreRestore) restore = NULL;
  g_autoptr(GBytes) ann = rec (30, "Ann");
  g_autoptr(GBytes) empty = rec (30, NULL);

  sv_store_backup_request_add_record (request, sv_store_record_write_new ("pb1/adn", 1, ann, 0));
  sv_store_backup_request_add_record (request, sv_store_record_write_new ("pb1/adn", 2, ann, 0));
  result = sv_store_backup_apply (f->store, account_id, iccid, request, &error);
  g_assert_no_error (error);
  g_clear_pointer (&result, sv_store_backup_result_free);
  g_clear_pointer (&request, sv_store_backup_request_free);
  request = sv_store_backup_request_new ("p2", SV_STORE_BACKUP_INCREMENTAL);
  sv_store_backup_request_add_record (request, sv_store_record_write_new ("pb1/adn", 2, empty, 1));
  result = sv_store_backup_apply (f->store, account_id, iccid, request, &error);
  g_assert_no_error (error);
  stored = sv_store_messages_append (f->store, account_id, iccid, "p3", batch, &error);
  g_assert_no_error (error);
  restore = sv_store_restore_create (f->store, account_id, staff_id, iccid, SV_STORE_RESTORE_FULL,
                                     0, 0, TRUE, 1, &error);
  g_assert_no_error (error);
  g_assert_true (sv_store_audit_append (f->store, account_id, staff_id, iccid,
                                        "GET /api/v1/cards/x", NULL, &error));
}

void
test_deregister (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvStoreStaff) staff = NULL;
  g_autoptr(SvStoreCardInfo) info_c = make_info (ICCID_C, 5);
  g_autoptr(SvStoreCard) card_c = NULL;
  g_autoptr(GPtrArray) audit = NULL;
  g_autoptr(GPtrArray) cards = NULL;
  SvStoreRegisterOutcome outcome;
  gint64 account_id = setup_card (f, PHONE_A, ICCID_A);
  gint64 other_id = setup_card (f, PHONE_B, ICCID_B);
  gint64 before_b;

  staff = sv_store_staff_add (f->store, "shop1", "pw", &error);
  g_assert_no_error (error);
  populate_card (f, account_id, ICCID_A, staff->id);
  populate_card (f, other_id, ICCID_B, 0);
  /* a later card of the same account: ICCID_A gets replaced_by C, then C
   * is the card deregistered first (A points at it) */
  card_c = sv_store_card_register (f->store, account_id, info_c, &outcome, &error);
  g_assert_no_error (error);
  g_assert_cmpint (outcome, ==, SV_STORE_REGISTER_CARD_CHANGE);

  g_assert_cmpint (count_everywhere (f, ICCID_A), >=, 10);
  g_assert_cmpint (sv_store_card_count_rows (f->store, ICCID_A, &error), ==, count_everywhere (f, ICCID_A));
  before_b = count_everywhere (f, ICCID_B);

  /* only the owner; the card's ICCID as "confirm" is the handler's check */
  g_assert_false (sv_store_card_deregister (f->store, other_id, ICCID_A, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_assert_true (sv_store_card_deregister (f->store, account_id, ICCID_C, &error));
  g_assert_no_error (error);
  g_assert_cmpint (count_everywhere (f, ICCID_C), ==, 0);

  g_assert_true (sv_store_card_deregister (f->store, account_id, ICCID_A, &error));
  g_assert_no_error (error);
  g_assert_cmpint (count_everywhere (f, ICCID_A), ==, 0);
  g_assert_cmpint (sv_store_card_count_rows (f->store, ICCID_A, &error), ==, 0);

  /* afterwards every operation answers 404 */
  g_assert_null (sv_store_card_get (f->store, account_id, ICCID_A, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (sv_store_records_list (f->store, account_id, ICCID_A, NULL, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (sv_store_messages_list (f->store, account_id, ICCID_A, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (sv_store_changes_since (f->store, account_id, ICCID_A, 1, 0, 0, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (sv_store_card_deregister (f->store, account_id, ICCID_A, &error));
  g_assert_error (error, SV_STORE_ERROR, SV_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  cards = sv_store_card_list (f->store, account_id, &error);
  g_assert_cmpuint (cards->len, ==, 0);

  /* the audit log keeps what staff did, without the ICCID */
  audit = sv_store_audit_list (f->store, account_id, 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (audit->len, >=, 2);
  for (guint i = 0; i < audit->len; i++)
    g_assert_null (((SvStoreAuditEntry *) g_ptr_array_index (audit, i))->iccid);

  /* the other account's card is untouched */
  g_assert_cmpint (count_everywhere (f, ICCID_B), ==, before_b);

  /* the ICCID can be registered again, with a new epoch */
  f->now += 5 * G_USEC_PER_SEC;
  {
    g_autoptr(SvStoreCardInfo) info = make_info (ICCID_A, 5);
    g_autoptr(SvStoreCard) again = sv_store_card_register (f->store, other_id, info, &outcome, &error);

    g_assert_no_error (error);
    g_assert_cmpint (again->modseq, ==, 0);
    g_assert_cmpint (again->epoch, ==, T0 / G_USEC_PER_SEC + 5);
  }
}

