-- MEF store, version 1. See mef/store/enrolee_store.h for the meaning of each field.

-- One row holding the change-feed counter. Every transaction that changes an enrolee (or revokes an
-- enrolment) locks this row first with SELECT ... FOR UPDATE and takes its numbers from it, so those
-- transactions commit in seq order and a watcher polling "seq > last_seen" never misses an entry (a
-- plain sequence hands out numbers before commit, so a later number can become visible first).
-- Always locking it first also gives those transactions one lock order, so they cannot deadlock.
-- RecordEnrolment, the hot path, never touches it.
CREATE TABLE change_counter (
  id boolean PRIMARY KEY DEFAULT true CHECK (id),
  seq bigint NOT NULL
);
INSERT INTO change_counter (id, seq) VALUES (true, 0);

CREATE TABLE enrolees (
  kpm_id text PRIMARY KEY CHECK (octet_length(kpm_id) BETWEEN 1 AND 128),
  kpm_sealed bytea NOT NULL CHECK (octet_length(kpm_sealed) > 0),
  kpm_kek_version integer NOT NULL,
  enrolee_id text NOT NULL,
  maf_id text NOT NULL,
  maf_uri text,
  enrolment_lifetime_us bigint CHECK (enrolment_lifetime_us > 0),
  not_after timestamptz,
  state text NOT NULL CHECK (state IN ('active', 'disabled', 'revoked')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  revision bigint NOT NULL
);
-- ListEnrolees with a state filter walks this index in kpm_id order.
CREATE INDEX enrolees_state_kpm_id ON enrolees (state, kpm_id);

CREATE TABLE enrolments (
  ke_id text PRIMARY KEY CHECK (octet_length(ke_id) BETWEEN 1 AND 255),
  kpm_id text NOT NULL REFERENCES enrolees (kpm_id) ON DELETE CASCADE,
  ke_sealed bytea NOT NULL CHECK (octet_length(ke_sealed) > 0),
  ke_kek_version integer NOT NULL,
  enrolee_id text NOT NULL,
  maf_id text NOT NULL,
  expires_at timestamptz NOT NULL,
  transport text NOT NULL CHECK (transport IN ('tls', 'dtls')),
  peer_address text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now(),
  revoked boolean NOT NULL DEFAULT false
);
-- ListEnrolments by kpm_id, revocation of an enrolee's enrolments, and the FK's ON DELETE CASCADE.
CREATE INDEX enrolments_kpm_id_ke_id ON enrolments (kpm_id, ke_id);

CREATE TABLE state_changes (
  seq bigint PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('enrolee_state', 'enrolee_deleted', 'enrolment_revoked')),
  kpm_id text NOT NULL,
  ke_id text,
  state text,
  changed_at timestamptz NOT NULL DEFAULT now()
);
