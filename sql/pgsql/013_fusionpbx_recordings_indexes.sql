-- 013_fusionpbx_recordings_indexes.sql: indexes for the recording server
-- dialect's FusionPBX store (handlers/recordings/fpx.c), which reads only
-- the v_xml_cdr rows that name a recording.  Every one of its statements
-- carries "record_name <> '' AND record_path <> ''", so these are partial
-- indexes over the recorded calls alone: small, and cheap to maintain for
-- the unrecorded majority of the inserts.
--
-- On a live system with a large v_xml_cdr, create them with
-- CREATE INDEX CONCURRENTLY (outside a transaction) instead.

-- Search, newest first by (start_stamp, xml_cdr_uuid): a page is an index
-- scan that stops after pageSize + 1 rows, a keyset cursor a range of
-- it; the first for a tenant limited to its domain (FUSIONPBX_DOMAIN),
-- the second for one that sees every domain.
CREATE INDEX IF NOT EXISTS pbxapi_xml_cdr_rec_domain_start
	ON v_xml_cdr (domain_uuid, start_stamp DESC, xml_cdr_uuid DESC)
	WHERE record_name <> '' AND record_path <> '';
CREATE INDEX IF NOT EXISTS pbxapi_xml_cdr_rec_start
	ON v_xml_cdr (start_stamp DESC, xml_cdr_uuid DESC)
	WHERE record_name <> '' AND record_path <> '';

-- The caller and callee filters: equality, or a "abc%" prefix (the
-- pattern operator class serves LIKE in any collation).
CREATE INDEX IF NOT EXISTS pbxapi_xml_cdr_rec_caller
	ON v_xml_cdr (caller_id_number text_pattern_ops)
	WHERE record_name <> '' AND record_path <> '';
CREATE INDEX IF NOT EXISTS pbxapi_xml_cdr_rec_callee
	ON v_xml_cdr (destination_number text_pattern_ops)
	WHERE record_name <> '' AND record_path <> '';

-- callid_search: the legs a call originated and the legs bridged to it
-- (the leg itself is the primary key).
CREATE INDEX IF NOT EXISTS pbxapi_xml_cdr_rec_originating
	ON v_xml_cdr (originating_leg_uuid)
	WHERE record_name <> '' AND record_path <> '';
CREATE INDEX IF NOT EXISTS pbxapi_xml_cdr_rec_bridge
	ON v_xml_cdr (bridge_uuid)
	WHERE record_name <> '' AND record_path <> '';

-- last_agent: a caller's calls that a call center agent answered.
CREATE INDEX IF NOT EXISTS pbxapi_xml_cdr_cc_caller
	ON v_xml_cdr (caller_id_number, start_stamp DESC)
	WHERE cc_agent <> '' AND cc_queue_answered_epoch IS NOT NULL;
