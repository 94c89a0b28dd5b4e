-- The decoy write of an unknown KeID (MafStore::WriteDecoyCredential, docs/protocol.md 7,
-- "Identity privacy"): insert a credential row exactly as PutCredential does (heap, the km_id and
-- ke_id indexes, their WAL) and delete it again in the same transaction, so the write costs what a
-- known KeID's PutCredential costs and nothing is stored (the dead row is vacuumed like any other).
-- It replaces a logical-decoding message of the row's size, which wrote less WAL than an insert
-- and made an unknown KeID's refusal measurably faster. The caller passes random identifiers, so
-- two decoys never wait on each other's unique-index entries.
CREATE FUNCTION maf_decoy_credential(p_km_id text, p_ke_id text, p_km bytea, p_kek_version int,
                                     p_enrolee_id text, p_mef_fqdn text, p_expires_at timestamptz,
                                     p_created_at timestamptz)
RETURNS SETOF maf_credentials LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  inserted tid;
BEGIN
  INSERT INTO maf_credentials (km_id, ke_id, km_ciphertext, kek_version, enrolee_id, mef_fqdn,
                               expires_at, created_at)
    VALUES (p_km_id, p_ke_id, p_km, p_kek_version, p_enrolee_id, p_mef_fqdn, p_expires_at,
            p_created_at)
    ON CONFLICT DO NOTHING RETURNING ctid INTO inserted;
  -- By its tuple id: no index search, the least a delete can cost on top of the insert.
  RETURN QUERY DELETE FROM maf_credentials WHERE ctid = inserted RETURNING *;
END
$$;
