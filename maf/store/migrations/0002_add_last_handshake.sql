-- Last successful MAF handshake per Km, for MafAdminService's MafClient.last_transport and
-- last_handshake_time. Written at most once a minute per Km (MafStore::RecordHandshake).
ALTER TABLE maf_credentials
  ADD COLUMN last_transport    text CHECK (last_transport IN ('tls', 'dtls')),
  ADD COLUMN last_handshake_at timestamptz;
