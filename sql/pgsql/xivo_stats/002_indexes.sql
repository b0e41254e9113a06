-- Indexes for every filter and lookup of the recording server dialect
-- (docs/recordings.md, "Search at scale").  Safe to apply to a live
-- XiVO CC xivo_stats: every statement is IF NOT EXISTS; run it with
-- psql outside a transaction and CONCURRENTLY on a busy server.

-- Newest first and the keyset cursor (start_time, id).
CREATE INDEX IF NOT EXISTS pbxapi_call_data_start_id
    ON call_data (start_time DESC, id DESC);
-- callid_search, attached_data_by_uniqueId, the queue join.
CREATE INDEX IF NOT EXISTS pbxapi_call_data_uniqueid
    ON call_data (uniqueid);
-- caller / callee: equality and prefix patterns ('12%').
CREATE INDEX IF NOT EXISTS pbxapi_call_data_src_num
    ON call_data (src_num varchar_pattern_ops);
CREATE INDEX IF NOT EXISTS pbxapi_call_data_dst_num
    ON call_data (dst_num varchar_pattern_ops);
-- last_agent: a caller's recent calls.
CREATE INDEX IF NOT EXISTS pbxapi_call_data_src_start
    ON call_data (src_num, start_time DESC);
-- history: calls from an interface, legs to an interface.
CREATE INDEX IF NOT EXISTS pbxapi_call_data_src_iface
    ON call_data (src_interface, start_time DESC);
CREATE INDEX IF NOT EXISTS pbxapi_call_element_iface
    ON call_element (interface, call_data_id);
CREATE INDEX IF NOT EXISTS pbxapi_call_element_call
    ON call_element (call_data_id);
-- agent (the answering agent of a call without a queue passage).
CREATE INDEX IF NOT EXISTS pbxapi_call_data_dst_agent
    ON call_data (dst_agent, start_time DESC);
-- attached data: a call's data, the recording id, key = value search.
CREATE INDEX IF NOT EXISTS pbxapi_attached_data_call
    ON attached_data (id_call_data, key);
CREATE INDEX IF NOT EXISTS pbxapi_attached_data_key_value
    ON attached_data (key, value);
-- queue passages: by call, by agent, by queue, by status.
CREATE INDEX IF NOT EXISTS pbxapi_call_on_queue_callid
    ON call_on_queue (callid);
CREATE INDEX IF NOT EXISTS pbxapi_call_on_queue_agent
    ON call_on_queue (agent_num);
CREATE INDEX IF NOT EXISTS pbxapi_call_on_queue_queue
    ON call_on_queue (queue_ref);
CREATE INDEX IF NOT EXISTS pbxapi_call_on_queue_status
    ON call_on_queue (status);
