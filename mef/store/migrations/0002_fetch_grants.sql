-- MEF store, version 2: each enrolee's allow-list of {Enrolment-Target-ID, SUID} for the
-- usage-constrained key fetch (TS-0003 8.3.2.1 "Use of Remotely Provisioned Credential" and 10.3.7;
-- see FetchGrant in mef/store/enrolee_store.h). No rows means only the MAF's SUID 21 fetch of Km.
CREATE TABLE enrolee_fetch_grants (
  kpm_id text NOT NULL REFERENCES enrolees (kpm_id) ON DELETE CASCADE,
  target_id text NOT NULL CHECK (octet_length(target_id) BETWEEN 1 AND 255),
  suid bigint NOT NULL CHECK (suid BETWEEN 1 AND 4294967295),
  -- kpm_id first: the credential fetch reads an enrolee's grants by kpm_id.
  PRIMARY KEY (kpm_id, target_id, suid)
);
