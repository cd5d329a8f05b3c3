-- SPDX-License-Identifier: GPL-3.0-or-later
--
-- simvault-server on PostgreSQL: the per-card tables as HASH partitions on
-- the ICCID (BENCHMARKS.md, "Partitioning by card").
--
--   psql -v ON_ERROR_STOP=1 -v partitions=32 -d simvault -f pgsql-partition-by-card.sql
--
-- Run it once, with every node stopped, on a database that a node has
-- created (schema migrations applied, with or without data): it converts
-- cards, card_files, records, messages, batches, restores and
-- restore_items into `PARTITION BY HASH (iccid)` tables with the same
-- columns, keys, indexes and foreign keys, and moves the rows over, in one
-- transaction. Every primary key of those tables starts with iccid and
-- every query of the store on them says `iccid = ?`, so each statement
-- touches one partition. The account-keyed tables stay as they are.
-- tests/postgresql/test-cluster.py (scenario "partitioned") runs the
-- server on the result.

\if :{?partitions}
\else
  \set partitions 32
\endif

BEGIN;

-- nobody else writes while the tables move
LOCK TABLE cards, card_files, records, messages, batches, restores, restore_items
  IN ACCESS EXCLUSIVE MODE;

ALTER TABLE restore_items RENAME TO restore_items_unpartitioned;
ALTER TABLE restores RENAME TO restores_unpartitioned;
ALTER TABLE batches RENAME TO batches_unpartitioned;
ALTER TABLE messages RENAME TO messages_unpartitioned;
ALTER TABLE records RENAME TO records_unpartitioned;
ALTER TABLE card_files RENAME TO card_files_unpartitioned;
ALTER TABLE cards RENAME TO cards_unpartitioned;

-- LIKE ... INCLUDING ALL: columns, defaults, NOT NULL and CHECK
-- constraints, primary keys, unique constraints and indexes (all contain
-- iccid, as a partitioned table requires); foreign keys are added below.
CREATE TABLE cards (LIKE cards_unpartitioned INCLUDING ALL) PARTITION BY HASH (iccid);
CREATE TABLE card_files (LIKE card_files_unpartitioned INCLUDING ALL) PARTITION BY HASH (iccid);
CREATE TABLE records (LIKE records_unpartitioned INCLUDING ALL) PARTITION BY HASH (iccid);
CREATE TABLE messages (LIKE messages_unpartitioned INCLUDING ALL) PARTITION BY HASH (iccid);
CREATE TABLE batches (LIKE batches_unpartitioned INCLUDING ALL) PARTITION BY HASH (iccid);
CREATE TABLE restores (LIKE restores_unpartitioned INCLUDING ALL) PARTITION BY HASH (iccid);
CREATE TABLE restore_items (LIKE restore_items_unpartitioned INCLUDING ALL) PARTITION BY HASH (iccid);

SELECT set_config('simvault.partitions', :'partitions', true);
DO $$
DECLARE
  n integer := current_setting('simvault.partitions')::integer;
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['cards', 'card_files', 'records', 'messages', 'batches',
                           'restores', 'restore_items'] LOOP
    FOR i IN 0 .. n - 1 LOOP
      EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES WITH (MODULUS %s, REMAINDER %s)',
                     t || '_p' || i, t, n, i);
    END LOOP;
  END LOOP;
END $$;

INSERT INTO cards SELECT * FROM cards_unpartitioned;
INSERT INTO card_files SELECT * FROM card_files_unpartitioned;
INSERT INTO records SELECT * FROM records_unpartitioned;
INSERT INTO messages SELECT * FROM messages_unpartitioned;
INSERT INTO batches SELECT * FROM batches_unpartitioned;
INSERT INTO restores SELECT * FROM restores_unpartitioned;
INSERT INTO restore_items SELECT * FROM restore_items_unpartitioned;

DROP TABLE restore_items_unpartitioned, restores_unpartitioned, batches_unpartitioned,
  messages_unpartitioned, records_unpartitioned, card_files_unpartitioned,
  cards_unpartitioned;

-- the foreign keys of migration 1, now between partitioned tables
ALTER TABLE cards ADD FOREIGN KEY (account_id) REFERENCES accounts (id);
ALTER TABLE card_files ADD FOREIGN KEY (iccid) REFERENCES cards (iccid) ON DELETE CASCADE;
ALTER TABLE records ADD FOREIGN KEY (iccid, file_key)
  REFERENCES card_files (iccid, key) ON DELETE CASCADE;
ALTER TABLE messages ADD FOREIGN KEY (iccid) REFERENCES cards (iccid) ON DELETE CASCADE;
ALTER TABLE batches ADD FOREIGN KEY (iccid) REFERENCES cards (iccid) ON DELETE CASCADE;
ALTER TABLE restores ADD FOREIGN KEY (iccid) REFERENCES cards (iccid) ON DELETE CASCADE;
ALTER TABLE restore_items ADD FOREIGN KEY (iccid, restore_id)
  REFERENCES restores (iccid, id) ON DELETE CASCADE;

COMMIT;

ANALYZE;
