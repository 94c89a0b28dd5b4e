-- Decoy credentials (MafStore::WriteDecoyCredential, docs/protocol.md 7, "Identity privacy"): a
-- twin of maf_credentials with the same columns, constraints and indexes, so that writing a decoy
-- for an unknown KeID is the very statement that stores a known KeID's credential, aimed at
-- another table, and costs what it costs. It replaces 0005's insert-and-delete, which cost about
-- 35 us more than the insert it imitated (the delete and a PL/pgSQL call: pgbench, and
-- maf_oracle_check --layer=resolver, which told known from unknown KeIDs by that much; docs/
-- performance.md, "Decoy writes into a twin table"). Nothing reads the rows; PgMafStore deletes
-- those older than PgMafStoreOptions::decoy_retention in the background.
-- 0005's maf_decoy_credential stays for now: the previous release prepares statements that call it
-- (expand/contract, docs/operations.md "Upgrade"); a migration of the next release drops it.
CREATE TABLE maf_decoy_credentials (LIKE maf_credentials INCLUDING ALL);

-- One group-committed batch of first-contact writes (PgMafStore::WriteBatch, maf/store/
-- pg_maf_writes.cc) in one call: the credentials and decoys, their read-back, the registrations and
-- theirs. The client used to send these as BEGIN, four statements and COMMIT, six round trips per
-- batch, each of which woke the committer thread and a PostgreSQL backend; a call of this function
-- is one autocommit statement, one round trip. The steps, their order, their locks and their
-- snapshots are those of the four statements: this is a VOLATILE function, so each step sees the
-- rows of the steps before it and every row committed before it starts (READ COMMITTED), as each
-- statement of the transaction did. An error in any step aborts the whole call, as it aborted the
-- transaction, and the client then writes each row on its own.
--
-- The rows it returns: kind 'credential' with the stored credential under each real km_id (the
-- columns of CredentialColumns in pg_maf_rows.h); kind 'usable' with each registration km_id
-- whose credential was usable; kind 'client' with each active registration of those km_ids (the
-- columns of ClientColumns, key count at p_now_us). Unused columns are NULL.
CREATE FUNCTION maf_first_contact_writes(
    p_km_ids text[], p_ke_ids text[], p_km_hex text[], p_kek_versions int[], p_enrolee_ids text[],
    p_mef_fqdns text[], p_expires_us bigint[], p_created_us bigint[], p_decoys bool[],
    p_reg_km_ids text[], p_reg_ids text[], p_reg_now_us bigint[], p_reg_requested_us bigint[],
    p_now_us bigint)
RETURNS TABLE (
    o_kind text,
    -- CredentialColumns
    o_km_id text, o_ke_id text, o_km_hex text, o_kek_version int, o_enrolee_id text,
    o_mef_fqdn text, o_expires_us bigint, o_revoked bool, o_created_us bigint,
    o_last_transport text, o_last_handshake_us bigint,
    -- ClientColumns
    o_reg_id text, o_c_km_id text, o_c_ke_id text, o_c_enrolee_id text, o_c_expires_us bigint,
    o_c_created_us bigint, o_state text, o_revoked_by text, o_revoke_reason text,
    o_revoked_us bigint, o_active_keys bigint, o_c_last_transport text,
    o_c_last_handshake_us bigint, o_labels text)
LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
DECLARE
  written bigint;
BEGIN
  IF cardinality(p_km_ids) > 0 THEN
    -- Every row, real or decoy, in the same arrays and the same kind of insert: a real row into
    -- maf_credentials, a decoy into its twin maf_decoy_credentials (above), so both cost a row
    -- insert into a table of the same shape and indexes. Rows in km_id order so two replicas'
    -- batches lock index entries in one order.
    WITH input AS (
      SELECT * FROM unnest(p_km_ids, p_ke_ids, p_km_hex, p_kek_versions, p_enrolee_ids,
                           p_mef_fqdns, p_expires_us, p_created_us, p_decoys)
        AS t(km_id, ke_id, km_hex, kek_version, enrolee_id, mef_fqdn, expires_us, created_us,
             decoy)),
    ins AS (
      INSERT INTO maf_credentials (km_id, ke_id, km_ciphertext, kek_version, enrolee_id, mef_fqdn,
                                   expires_at, created_at)
      SELECT km_id, ke_id, decode(km_hex, 'hex'), kek_version, enrolee_id, mef_fqdn,
             'epoch'::timestamptz + expires_us * interval '1 microsecond',
             'epoch'::timestamptz + created_us * interval '1 microsecond'
      FROM input WHERE NOT decoy ORDER BY km_id ON CONFLICT DO NOTHING RETURNING 1),
    ins_decoy AS (
      INSERT INTO maf_decoy_credentials (km_id, ke_id, km_ciphertext, kek_version, enrolee_id,
                                         mef_fqdn, expires_at, created_at)
      SELECT km_id, ke_id, decode(km_hex, 'hex'), kek_version, enrolee_id, mef_fqdn,
             'epoch'::timestamptz + expires_us * interval '1 microsecond',
             'epoch'::timestamptz + created_us * interval '1 microsecond'
      FROM input WHERE decoy ORDER BY km_id ON CONFLICT DO NOTHING RETURNING 1)
    SELECT (SELECT count(*) FROM ins) + (SELECT count(*) FROM ins_decoy) INTO written;
    -- The rows now under the batch's km_ids: ours, or one already there (a racing replica's
    -- insert of the same km_id made ours wait for its outcome). A km_id missing here has its
    -- ke_id stored under another km_id. Decoy km_ids are looked up too (they match nothing, at
    -- the cost of a lookup).
    RETURN QUERY
      SELECT 'credential', m.km_id, m.ke_id, encode(m.km_ciphertext, 'hex'), m.kek_version,
             m.enrolee_id, m.mef_fqdn, (extract(epoch from m.expires_at) * 1000000)::bigint,
             m.revoked, (extract(epoch from m.created_at) * 1000000)::bigint,
             COALESCE(m.last_transport, ''),
             (extract(epoch from m.last_handshake_at) * 1000000)::bigint,
             NULL::text, NULL::text, NULL::text, NULL::text, NULL::bigint, NULL::bigint,
             NULL::text, NULL::text, NULL::text, NULL::bigint, NULL::bigint, NULL::text,
             NULL::bigint, NULL::text
      FROM maf_credentials m WHERE m.km_id = ANY(p_km_ids);
  END IF;
  IF cardinality(p_reg_km_ids) > 0 THEN
    -- A client per km_id against a usable credential unless the km_id has an active
    -- registration; the credentials are share-locked in km_id order (revocation locks them for
    -- update first, then the clients: the same order as everywhere).
    RETURN QUERY
      WITH input AS (
        SELECT * FROM unnest(p_reg_km_ids, p_reg_ids, p_reg_now_us, p_reg_requested_us)
          AS t(km_id, reg_id, now_us, requested_us)),
      cred AS (
        SELECT i.km_id, i.reg_id, i.now_us, i.requested_us, m.ke_id, m.enrolee_id, m.expires_at
        FROM input i JOIN maf_credentials m ON m.km_id = i.km_id
        WHERE NOT m.revoked
          AND m.expires_at > 'epoch'::timestamptz + i.now_us * interval '1 microsecond'
        ORDER BY i.km_id FOR SHARE OF m),
      ins AS (
        INSERT INTO maf_clients (maf_client_reg_id, km_id, ke_id, enrolee_id, expires_at,
                                 created_at, state)
        SELECT reg_id, km_id, ke_id, enrolee_id,
               LEAST(expires_at, 'epoch'::timestamptz + requested_us * interval '1 microsecond'),
               'epoch'::timestamptz + now_us * interval '1 microsecond', 'active'
        FROM cred ORDER BY km_id
        ON CONFLICT (km_id) WHERE state = 'active' DO NOTHING RETURNING 1)
      SELECT DISTINCT 'usable', cred.km_id, NULL::text, NULL::text, NULL::int, NULL::text,
             NULL::text, NULL::bigint, NULL::bool, NULL::bigint, NULL::text,
             NULL::bigint, NULL::text, NULL::text, NULL::text, NULL::text, NULL::bigint,
             NULL::bigint, NULL::text, NULL::text, NULL::text, NULL::bigint, NULL::bigint,
             NULL::text, NULL::bigint, NULL::text
      FROM cred;
    -- The active registrations, new (the step above) or existing.
    RETURN QUERY
      SELECT 'client', NULL::text, NULL::text, NULL::text, NULL::int, NULL::text, NULL::text,
             NULL::bigint, NULL::bool, NULL::bigint, NULL::text, NULL::bigint,
             c.maf_client_reg_id, c.km_id, c.ke_id, c.enrolee_id,
             (extract(epoch from c.expires_at) * 1000000)::bigint,
             (extract(epoch from c.created_at) * 1000000)::bigint, c.state, c.revoked_by,
             c.revoke_reason, (extract(epoch from c.revoked_at) * 1000000)::bigint,
             (SELECT count(*) FROM maf_keys k
              WHERE k.maf_client_reg_id = c.maf_client_reg_id AND k.state = 'active'
                AND k.expires_at > 'epoch'::timestamptz + p_now_us * interval '1 microsecond'),
             (SELECT COALESCE(m.last_transport, '') FROM maf_credentials m
              WHERE m.km_id = c.km_id),
             (SELECT (extract(epoch from m.last_handshake_at) * 1000000)::bigint
              FROM maf_credentials m WHERE m.km_id = c.km_id),
             array_to_string(c.labels, E'\n')
      FROM maf_clients c WHERE c.km_id = ANY(p_reg_km_ids) AND c.state = 'active';
  END IF;
END
$$;
