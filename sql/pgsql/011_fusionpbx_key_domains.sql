-- 011_fusionpbx_key_domains.sql: optional per-key limits for the
-- {"action": ...} dialect.  FusionPBX's REST app has none: every key may
-- read and write every domain.  A key with a row here is limited to that
-- one domain (any other domain's data is 403) and, with read_only, to the
-- actions that only read (creates and originate are 403).  Keys without
-- a row keep the reference behaviour.  Safe to load into a live FusionPBX
-- database; pbxapi works with or without this table.
--
--   INSERT INTO rest_api_key_domains (key_uuid, domain_uuid)
--   VALUES ('<key uuid>', '<domain uuid>');

CREATE TABLE IF NOT EXISTS rest_api_key_domains (
	key_uuid    uuid PRIMARY KEY,      -- rest_api_keys.key_uuid
	domain_uuid uuid NOT NULL,         -- v_domains.domain_uuid
	read_only   boolean NOT NULL DEFAULT false,
	created     timestamptz NOT NULL DEFAULT now()
);
