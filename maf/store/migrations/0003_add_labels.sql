-- m2m:labels of MAF Client Registrations and Key Registrations (TS-0003 Tables 8.8.2.3-1,
-- 8.8.2.5-1, 8.8.2.7-1, 8.8.2.9-1). Labels are xs:token (TS-0004 6.3.2): never a newline, so
-- they travel newline-joined like target_ids.
ALTER TABLE maf_clients ADD COLUMN labels text[] NOT NULL DEFAULT '{}';
ALTER TABLE maf_keys ADD COLUMN labels text[] NOT NULL DEFAULT '{}';
