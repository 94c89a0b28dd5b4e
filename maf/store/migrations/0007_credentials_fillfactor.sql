-- Room on each page of maf_credentials for the handshake notes (MafStore::RecordHandshakes): a
-- note updates last_transport and last_handshake_at, which no index covers, so PostgreSQL can
-- write it as a heap-only tuple (HOT) on the same page, one WAL record, instead of a new row
-- version plus an entry in each of the table's four indexes. A page packed full by the inserts
-- leaves no room: with the default fillfactor of 100, three of four first-contact notes were
-- written the long way (maf_load, pg_stat_user_tables: 1,528 HOT of 6,466 updates). At 80, a page
-- keeps about four rows' worth of space for the new versions until pruning frees the old ones.
-- It costs a quarter more heap pages for this table and applies to pages written from now on.
-- The decoy twin (0006) gets the same setting so that a decoy insert still costs what a real one
-- does (docs/protocol.md 7, "Identity privacy").
-- SET (fillfactor) takes a SHARE UPDATE EXCLUSIVE lock: reads and writes go on meanwhile.
ALTER TABLE maf_credentials SET (fillfactor = 80);
ALTER TABLE maf_decoy_credentials SET (fillfactor = 80);
