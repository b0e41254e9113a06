-- 012_fusionpbx_indexes.sql: indexes for the queries of the {"action": ...}
-- dialect.  FusionPBX creates primary keys only, so without these every
-- lookup below is a sequential scan; cdr-list on a large v_xml_cdr
-- ("WHERE domain_uuid = $1 ORDER BY end_stamp DESC LIMIT 100") needs the
-- first one to stay in the millisecond range (docs/PERFORMANCE.md).
--
-- On a live system with a large v_xml_cdr, create them with
-- CREATE INDEX CONCURRENTLY (outside a transaction) instead, so that CDR
-- inserts are not blocked meanwhile.

-- cdr-list: DESC keeps PostgreSQL's NULLS FIRST, the order of the query.
CREATE INDEX IF NOT EXISTS pbxapi_xml_cdr_domain_end
	ON v_xml_cdr (domain_uuid, end_stamp DESC);

-- authentication: rest_api_keys has no primary key.
CREATE INDEX IF NOT EXISTS pbxapi_rest_api_keys_uuid
	ON rest_api_keys (key_uuid);

-- domain-details by name.
CREATE INDEX IF NOT EXISTS pbxapi_domains_name ON v_domains (domain_name);

-- extension-list, extension-create's duplicate check.
CREATE INDEX IF NOT EXISTS pbxapi_extensions_domain_ext
	ON v_extensions (domain_uuid, extension);

-- destination-details, destination-create's duplicate check.
CREATE INDEX IF NOT EXISTS pbxapi_destinations_number
	ON v_destinations (destination_number);

-- ringgroup-create's duplicate check.
CREATE INDEX IF NOT EXISTS pbxapi_ring_groups_domain_ext
	ON v_ring_groups (domain_uuid, ring_group_extension);
