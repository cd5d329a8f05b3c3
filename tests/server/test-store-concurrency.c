/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * test-store: concurrent writers, a lost PostgreSQL connection and a crash
 * in the middle of a batch.
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
/* Concurrency: the pool and the retry on SQLITE_BUSY                       */

typedef struct
{
  Fixture *f;
  gint64   account_id;
  guint    thread;
  guint    applied;
} WriterData;

static gpointer
writer_thread (gpointer user_data)
{
  WriterData *w = user_data;

  for (guint i = 0; i < 20; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *id = g_strdup_printf ("t%u-%u", w->thread, i);
      g_autofree char *name = g_strdup_printf ("T%u %u", w->thread, i);
      g_autoptr(SvStoreBackupRequest) request = sv_store_backup_request_new (id, SV_STORE_BACKUP_INCREMENTAL);
      g_autoptr(GBytes) bytes = rec (30, name);
      g_autoptr(SvStoreBackupResult) result = NULL;

      /* each thread owns one index, with the version it last got */
      sv_store_backup_request_add_record (request, sv_store_record_write_new ("pb1/adn", w->thread + 1, bytes,
                                                                  w->applied));
      result = sv_store_backup_apply (w->f->store, w->account_id, ICCID_A, request, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (result->conflicts->len, ==, 0);
      w->applied = ((SvStoreRecord *) g_ptr_array_index (result->applied, 0))->version;
    }
  return NULL;
}

void
test_concurrent_writers (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvStoreCard) card = NULL;
  WriterData w[4];
  GThread *threads[4];
  gint64 account_id = setup_card (f, PHONE_A, ICCID_A);

  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    {
      w[i] = (WriterData) { f, account_id, i, 0 };
      threads[i] = g_thread_new ("writer", writer_thread, &w[i]);
    }
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    g_thread_join (threads[i]);

  /* 80 batches, each its own modseq */
  card = sv_store_card_get (f->store, account_id, ICCID_A, &error);
  g_assert_no_error (error);
  g_assert_cmpint (card->modseq, ==, 80);
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    g_assert_cmpint (record_version (f, account_id, "pb1/adn", i + 1, NULL), ==, w[i].applied);
}

/* PostgreSQL only: every connection of the pool is dropped by the server
 * (a restart, a failover); the next operations reconnect and succeed. */
void
test_reconnect (Fixture       *f,
                gconstpointer  data)
{
#ifdef SV_HAVE_PGSQL
  g_autoptr(GError) error = NULL;
  g_autoptr(SvStoreBackupResult) result = NULL;
  g_autoptr(SvStoreCard) card = NULL;
  PGconn *pg;
  PGresult *killed;
  gint64 account_id;

  if (postgresql_location () == NULL)
    {
      g_test_skip ("PostgreSQL only (SV_TEST_STORAGE)");
      return;
    }

  account_id = setup_card (f, PHONE_A, ICCID_A);
  /* fill the pool with open connections */
  fill_history (f, account_id, 2, 0);

  pg = pg_open (f->location);
  killed = PQexec (pg, "SELECT pg_terminate_backend (pid) FROM pg_stat_activity"
                       " WHERE pid <> pg_backend_pid () AND datname = current_database ()"
                       " AND backend_type = 'client backend'");
  g_assert_cmpint (PQresultStatus (killed), ==, PGRES_TUPLES_OK);
  g_test_message ("terminated %d connections", PQntuples (killed));
  g_assert_cmpint (PQntuples (killed), >=, 1);
  PQclear (killed);
  PQfinish (pg);

  result = backup (f, account_id, "after-restart", SV_STORE_BACKUP_INCREMENTAL, "pb1/adn", 3, "Carl", 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (result->modseq, ==, 3);
  card = sv_store_card_get (f->store, account_id, ICCID_A, &error);
  g_assert_no_error (error);
  g_assert_cmpint (card->modseq, ==, 3);
#else
  g_test_skip ("built without libpq");
#endif
}

/* ------------------------------------------------------------------------ */
/* A crash in the middle of a batch                                         */

static gint64
crash_now (gpointer user_data)
{
  /* the first look at the clock inside the batch's transaction comes after
   * the records are written and before the commit */
  raise (SIGKILL);
  return T0;
}

void
test_crash_during_batch (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvStoreBackupResult) first = NULL;
  g_autoptr(SvStoreBackupResult) retried = NULL;
  g_autoptr(SvStoreBackupResult) again = NULL;
  g_autoptr(SvStoreCard) card = NULL;
  g_autoptr(GPtrArray) records = NULL;
  gint64 account_id = setup_card (f, PHONE_A, ICCID_A);
  int status = 0;
  pid_t pid;

  first = backup (f, account_id, "before", SV_STORE_BACKUP_INCREMENTAL, "pb1/adn", 1, "Ann", 0, &error);
  g_assert_no_error (error);

  pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      /* the child: its own store on the same database, killed inside the
       * transaction of a batch of three records */
      SvStoreOptions options = { 0, };
      SvStore *store;
      g_autoptr(SvStoreBackupRequest) request = sv_store_backup_request_new ("crashing", SV_STORE_BACKUP_INCREMENTAL);

      options.password_cost = SV_PASSWORD_COST_TEST_ONLY;
      options.now = crash_now;
      store = sv_store_open (f->location, &options, NULL);
      if (store == NULL)
        _exit (3);
      for (guint i = 2; i <= 4; i++)
        {
          g_autoptr(GBytes) bytes = rec (30, "Lost");

          sv_store_backup_request_add_record (request, sv_store_record_write_new ("pb1/adn", i, bytes, 0));
        }
      sv_store_backup_apply (store, account_id, ICCID_A, request, NULL);
      _exit (4);   /* not reached */
    }

  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_true (WIFSIGNALED (status));
  g_assert_cmpint (WTERMSIG (status), ==, SIGKILL);

  /* nothing of the batch is there, neither records nor its answer */
  card = sv_store_card_get (f->store, account_id, ICCID_A, &error);
  g_assert_no_error (error);
  g_assert_cmpint (card->modseq, ==, 1);
  records = sv_store_records_list (f->store, account_id, ICCID_A, "pb1/adn", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (records->len, ==, 1);

  /* the client's retry with the same id applies it, once */
  {
    g_autoptr(SvStoreBackupRequest) request = sv_store_backup_request_new ("crashing", SV_STORE_BACKUP_INCREMENTAL);

    for (guint i = 2; i <= 4; i++)
      {
        g_autoptr(GBytes) bytes = rec (30, "Lost");

        sv_store_backup_request_add_record (request, sv_store_record_write_new ("pb1/adn", i, bytes, 0));
      }
    retried = sv_store_backup_apply (f->store, account_id, ICCID_A, request, &error);
    g_assert_no_error (error);
    g_assert_false (retried->replayed);
    g_assert_cmpuint (retried->applied->len, ==, 3);
    g_assert_cmpint (retried->modseq, ==, 2);
    again = sv_store_backup_apply (f->store, account_id, ICCID_A, request, &error);
    g_assert_no_error (error);
    g_assert_true (again->replayed);
    g_assert_cmpint (again->modseq, ==, 2);
  }
}

