-- Who revoked a credential and why, for MafAdminService's MafCredential.revocation (admin
-- revocations and MEF revocation events alike; the first revocation wins, as revoked_at does).
-- Rows revoked before this migration keep revoked_at and show no actor or reason.
ALTER TABLE maf_credentials
  ADD COLUMN revoked_by    text,
  ADD COLUMN revoke_reason text;
