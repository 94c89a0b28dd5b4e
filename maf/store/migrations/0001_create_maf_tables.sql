-- MAF state (maf/store/maf_store.h). Times are timestamptz; key material is stored only sealed
-- (envelope ciphertext + KEK version). Applied by common/pg's runner under an advisory lock.

-- One Km learned from a MEF (docs/protocol.md 6-7).
CREATE TABLE maf_credentials (
  km_id         text PRIMARY KEY,
  ke_id         text NOT NULL UNIQUE,
  km_ciphertext bytea NOT NULL,          -- emptied when revoked
  kek_version   integer NOT NULL,
  enrolee_id    text NOT NULL,
  mef_fqdn      text NOT NULL,
  expires_at    timestamptz NOT NULL,
  revoked       boolean NOT NULL DEFAULT false,
  revoked_at    timestamptz,
  created_at    timestamptz NOT NULL
);
-- Revocation events name an enrolee.
CREATE INDEX maf_credentials_enrolee_idx ON maf_credentials (enrolee_id);
CREATE INDEX maf_credentials_kek_idx ON maf_credentials (kek_version);

-- MAF Client Registrations (TS-0003 8.8.2.3).
CREATE TABLE maf_clients (
  maf_client_reg_id text PRIMARY KEY,
  km_id             text NOT NULL REFERENCES maf_credentials (km_id),
  ke_id             text NOT NULL,
  enrolee_id        text NOT NULL,
  expires_at        timestamptz NOT NULL,
  created_at        timestamptz NOT NULL,
  state             text NOT NULL CHECK (state IN ('active', 'deregistered', 'revoked')),
  revoked_by        text,
  revoke_reason     text,
  revoked_at        timestamptz
);
-- Registration is idempotent per Km: at most one active registration per KmID, which also makes
-- concurrent registrations from two replicas converge on one row.
CREATE UNIQUE INDEX maf_clients_one_active_per_km ON maf_clients (km_id) WHERE state = 'active';
CREATE INDEX maf_clients_km_idx ON maf_clients (km_id, created_at);
CREATE INDEX maf_clients_enrolee_idx ON maf_clients (enrolee_id);

-- Registered symmetric keys (TS-0003 8.8.2.7).
CREATE TABLE maf_keys (
  key_id            text PRIMARY KEY,
  relative_id       text NOT NULL,
  key_ciphertext    bytea NOT NULL,
  kek_version       integer NOT NULL,
  suid              bigint NOT NULL CHECK (suid >= 0 AND suid <= 4294967295),
  target_ids        text[] NOT NULL CHECK (cardinality(target_ids) >= 1),
  maf_client_reg_id text NOT NULL REFERENCES maf_clients (maf_client_reg_id),
  km_id             text NOT NULL,
  client_id         text NOT NULL,
  expires_at        timestamptz NOT NULL,
  created_at        timestamptz NOT NULL,
  updated_at        timestamptz NOT NULL,
  state             text NOT NULL CHECK (state IN ('active', 'deregistered', 'revoked')),
  revoked_by        text,
  revoke_reason     text,
  revoked_at        timestamptz
);
-- Admin lookup "keys retrievable by target X" (target_ids @> ARRAY[X]).
CREATE INDEX maf_keys_targets_gin ON maf_keys USING gin (target_ids);
CREATE INDEX maf_keys_client_idx ON maf_keys (maf_client_reg_id);
CREATE INDEX maf_keys_kek_idx ON maf_keys (kek_version);
