-- 010_fusionpbx_schema.sql: the FusionPBX tables pbxapi's {"action": ...}
-- dialect (/app/rest_api/rest.php) reads and writes, for test and demo
-- databases.  A real FusionPBX creates them itself (Advanced > Upgrade >
-- Schema); loading this file there changes nothing (IF NOT EXISTS).
--
-- Columns and types are those of FusionPBX 5.4 (5.1-era text flags), in
-- FusionPBX's own order: "SELECT *" answers echo that order, so it must
-- not change.  Like FusionPBX's schema generator it creates primary keys
-- only (no FOREIGN KEY, NOT NULL, DEFAULT or UNIQUE); pbxapi checks for
-- duplicates itself, as the PHP app does.  The comments name columns that
-- FusionPBX 5.5 turns into boolean; docs/fusionpbx.md explains why pbxapi
-- maps column types at run time.
--
-- Load: psql -v ON_ERROR_STOP=1 -f 010_fusionpbx_schema.sql -f 011_... -f 012_...

BEGIN;

CREATE TABLE IF NOT EXISTS v_domains (
	domain_uuid                              uuid PRIMARY KEY,
	domain_parent_uuid                       uuid,
	domain_name                              text,
	domain_enabled                           boolean,
	domain_description                       text,
	insert_date                              timestamptz,
	insert_user                              uuid,
	update_date                              timestamptz,
	update_user                              uuid
);

CREATE TABLE IF NOT EXISTS v_extensions (
	extension_uuid                           uuid PRIMARY KEY,
	domain_uuid                              uuid,
	extension                                text,
	number_alias                             text,
	password                                 text,
	accountcode                              text,
	effective_caller_id_name                 text,
	effective_caller_id_number               text,
	outbound_caller_id_name                  text,
	outbound_caller_id_number                text,
	emergency_caller_id_name                 text,
	emergency_caller_id_number               text,
	directory_first_name                     text,
	directory_last_name                      text,
	directory_visible                        text,                   -- 5.5/master: boolean
	directory_exten_visible                  text,                   -- 5.5/master: boolean
	max_registrations                        text,
	limit_max                                text,
	limit_destination                        text,
	missed_call_app                          text,
	missed_call_data                         text,
	user_context                             text,
	toll_allow                               text,
	call_timeout                             numeric,
	call_group                               text,
	call_screen_enabled                      text,                   -- 5.5/master: boolean
	user_record                              text,
	hold_music                               text,
	auth_acl                                 text,
	cidr                                     text,
	sip_force_contact                        text,
	nibble_account                           text,
	sip_force_expires                        numeric,
	mwi_account                              text,
	sip_bypass_media                         text,
	unique_id                                numeric,
	dial_string                              text,
	dial_user                                text,
	dial_domain                              text,
	do_not_disturb                           text,                   -- 5.5/master: boolean
	forward_all_destination                  text,
	forward_all_enabled                      text,                   -- 5.5/master: boolean
	forward_busy_destination                 text,
	forward_busy_enabled                     text,                   -- 5.5/master: boolean
	forward_no_answer_destination            text,
	forward_no_answer_enabled                text,                   -- 5.5/master: boolean
	forward_user_not_registered_destination  text,
	forward_user_not_registered_enabled      text,                   -- 5.5/master: boolean
	follow_me_uuid                           uuid,
	follow_me_enabled                        text,                   -- 5.5/master: boolean
	follow_me_destinations                   text,
	extension_language                       text,                   -- added after 5.1
	extension_dialect                        text,                   -- added after 5.1
	extension_voice                          text,                   -- added after 5.1
	extension_type                           text,
	enabled                                  text,                   -- 5.5/master: boolean
	description                              text,
	absolute_codec_string                    text,
	force_ping                               text,                   -- 5.5/master: boolean
	insert_date                              timestamptz,
	insert_user                              uuid,
	update_date                              timestamptz,
	update_user                              uuid
);

CREATE TABLE IF NOT EXISTS v_extension_users (
	extension_user_uuid                      uuid PRIMARY KEY,
	domain_uuid                              uuid,
	extension_uuid                           uuid,
	user_uuid                                uuid,
	insert_date                              timestamptz,
	insert_user                              uuid,
	update_date                              timestamptz,
	update_user                              uuid
);

CREATE TABLE IF NOT EXISTS v_voicemails (
	domain_uuid                              uuid,
	voicemail_uuid                           uuid PRIMARY KEY,
	voicemail_id                             text,
	voicemail_password                       text,
	greeting_id                              numeric,
	voicemail_alternate_greet_id             numeric,                -- 5.5/master: text
	voicemail_recording_instructions         text,                   -- 5.5/master: boolean
	voicemail_recording_options              text,                   -- 5.5/master: boolean
	voicemail_mail_to                        text,
	voicemail_sms_to                         text,
	voicemail_transcription_enabled          text,                   -- 5.5/master: boolean
	voicemail_attach_file                    text,
	voicemail_file                           text,
	voicemail_local_after_email              text,                   -- 5.5/master: boolean
	voicemail_enabled                        text,                   -- 5.5/master: boolean
	voicemail_description                    text,
	voicemail_name_base64                    text,
	voicemail_tutorial                       text,                   -- 5.5/master: boolean
	insert_date                              timestamptz,
	insert_user                              uuid,
	update_date                              timestamptz,
	update_user                              uuid
);

CREATE TABLE IF NOT EXISTS v_dialplans (
	domain_uuid                              uuid,
	dialplan_uuid                            uuid PRIMARY KEY,
	app_uuid                                 uuid,
	hostname                                 text,
	dialplan_context                         text,
	dialplan_name                            text,
	dialplan_number                          text,
	dialplan_destination                     text,                   -- 5.5/master: boolean
	dialplan_continue                        text,                   -- 5.5/master: boolean
	dialplan_xml                             text,
	dialplan_order                           numeric,
	dialplan_enabled                         text,                   -- 5.5/master: boolean
	dialplan_description                     text,
	insert_date                              timestamptz,
	insert_user                              uuid,
	update_date                              timestamptz,
	update_user                              uuid
);

CREATE TABLE IF NOT EXISTS v_dialplan_details (
	domain_uuid                              uuid,
	dialplan_uuid                            uuid,
	dialplan_detail_uuid                     uuid PRIMARY KEY,
	dialplan_detail_tag                      text,
	dialplan_detail_type                     text,
	dialplan_detail_data                     text,
	dialplan_detail_break                    text,
	dialplan_detail_inline                   text,
	dialplan_detail_group                    numeric,
	dialplan_detail_order                    numeric,
	dialplan_detail_enabled                  boolean,
	insert_date                              timestamptz,
	insert_user                              uuid,
	update_date                              timestamptz,
	update_user                              uuid
);

CREATE TABLE IF NOT EXISTS v_destinations (
	domain_uuid                              uuid,
	destination_uuid                         uuid PRIMARY KEY,
	dialplan_uuid                            uuid,
	fax_uuid                                 uuid,
	user_uuid                                uuid,
	group_uuid                               uuid,
	destination_type                         text,
	destination_number                       text,
	destination_trunk_prefix                 text,
	destination_area_code                    text,
	destination_prefix                       text,
	destination_condition_field              text,
	destination_number_regex                 text,
	destination_caller_id_name               text,
	destination_caller_id_number             text,
	destination_cid_name_prefix              text,
	destination_context                      text,
	destination_record                       text,                   -- 5.5/master: boolean
	destination_hold_music                   text,
	destination_distinctive_ring             text,
	destination_ringback                     text,                   -- added after 5.1
	destination_accountcode                  text,
	destination_type_voice                   numeric,
	destination_type_fax                     numeric,
	destination_type_emergency               numeric,
	destination_type_text                    numeric,
	destination_conditions                   json,
	destination_actions                      json,
	destination_app                          text,
	destination_data                         text,
	destination_alternate_app                text,
	destination_alternate_data               text,
	destination_order                        numeric,
	destination_enabled                      text,                   -- 5.5/master: boolean
	destination_description                  text,
	destination_email                        text,                   -- added after 5.1; 5.5/master: boolean
	insert_date                              timestamptz,
	insert_user                              uuid,
	update_date                              timestamptz,
	update_user                              uuid
);

CREATE TABLE IF NOT EXISTS v_ring_groups (
	domain_uuid                              uuid,
	ring_group_uuid                          uuid PRIMARY KEY,
	ring_group_name                          text,
	ring_group_extension                     text,
	ring_group_greeting                      text,
	ring_group_context                       text,
	ring_group_call_timeout                  numeric,
	ring_group_forward_destination           text,
	ring_group_forward_enabled               text,                   -- 5.5/master: boolean
	ring_group_caller_id_name                text,
	ring_group_caller_id_number              text,
	ring_group_cid_name_prefix               text,
	ring_group_cid_number_prefix             text,
	ring_group_strategy                      text,
	ring_group_timeout_app                   text,
	ring_group_timeout_data                  text,
	ring_group_distinctive_ring              text,
	ring_group_ringback                      text,
	ring_group_call_screen_enabled           text,                   -- added after 5.1; 5.5/master: boolean
	ring_group_call_forward_enabled          text,                   -- 5.5/master: boolean
	ring_group_follow_me_enabled             text,                   -- 5.5/master: boolean
	ring_group_missed_call_app               text,
	ring_group_missed_call_data              text,
	ring_group_enabled                       text,                   -- 5.5/master: boolean
	ring_group_description                   text,
	dialplan_uuid                            uuid,
	ring_group_forward_toll_allow            text,
	insert_date                              timestamptz,
	insert_user                              uuid,
	update_date                              timestamptz,
	update_user                              uuid
);

CREATE TABLE IF NOT EXISTS v_ring_group_destinations (
	ring_group_destination_uuid              uuid PRIMARY KEY,
	domain_uuid                              uuid,
	ring_group_uuid                          uuid,
	destination_number                       text,
	destination_delay                        numeric,
	destination_timeout                      numeric,
	destination_enabled                      boolean,
	destination_prompt                       numeric,
	insert_date                              timestamptz,
	insert_user                              uuid,
	update_date                              timestamptz,
	update_user                              uuid,
	destination_description                  text                    -- added after 5.1
);

CREATE TABLE IF NOT EXISTS v_xml_cdr (
	xml_cdr_uuid                             uuid PRIMARY KEY,
	domain_uuid                              uuid,
	provider_uuid                            uuid,
	extension_uuid                           uuid,
	sip_call_id                              text,
	domain_name                              text,
	accountcode                              text,
	direction                                text,
	default_language                         text,
	context                                  text,
	caller_id_name                           text,
	caller_id_number                         text,
	caller_destination                       text,
	source_number                            text,
	destination_number                       text,
	start_epoch                              numeric,
	start_stamp                              timestamptz,
	answer_stamp                             timestamptz,
	answer_epoch                             numeric,
	end_epoch                                numeric,
	end_stamp                                timestamptz,
	duration                                 numeric,
	mduration                                numeric,
	billsec                                  numeric,
	billmsec                                 numeric,
	hold_accum_seconds                       numeric,                -- added after 5.1
	bridge_uuid                              text,
	read_codec                               text,
	read_rate                                text,
	write_codec                              text,
	write_rate                               text,
	remote_media_ip                          text,
	network_addr                             text,
	record_path                              text,
	record_name                              text,
	record_length                            numeric,
	record_transcription                     text,                   -- added after 5.1
	leg                                      char(1),
	originating_leg_uuid                     uuid,
	pdd_ms                                   numeric,
	rtp_audio_in_mos                         numeric,
	last_app                                 text,
	last_arg                                 text,
	voicemail_message                        boolean,
	missed_call                              boolean,
	call_center_queue_uuid                   uuid,
	cc_side                                  text,
	cc_member_uuid                           uuid,
	cc_queue_joined_epoch                    numeric,
	cc_queue                                 text,
	cc_member_session_uuid                   uuid,
	cc_agent_uuid                            uuid,
	cc_agent                                 text,
	cc_agent_type                            text,
	cc_agent_bridged                         text,
	cc_queue_answered_epoch                  numeric,
	cc_queue_terminated_epoch                numeric,
	cc_queue_canceled_epoch                  numeric,
	cc_cancel_reason                         text,
	cc_cause                                 text,
	waitsec                                  numeric,
	conference_name                          text,
	conference_uuid                          uuid,
	conference_member_id                     text,
	digits_dialed                            text,
	pin_number                               text,
	status                                   text,                   -- added after 5.1
	hangup_cause                             text,
	hangup_cause_q850                        numeric,
	sip_hangup_disposition                   text,
	ring_group_uuid                          uuid,                   -- added after 5.1
	ivr_menu_uuid                            uuid,                   -- added after 5.1
	call_flow                                jsonb,                  -- added after 5.1
	xml                                      text,
	json                                     jsonb,
	insert_date                              timestamptz,
	insert_user                              uuid,
	update_date                              timestamptz,
	update_user                              uuid
);

CREATE TABLE IF NOT EXISTS v_database_transactions (
	domain_uuid                              uuid,
	database_transaction_uuid                uuid PRIMARY KEY,
	user_uuid                                uuid,
	app_name                                 text,
	app_uuid                                 uuid,
	transaction_code                         text,
	transaction_address                      text,
	transaction_type                         text,
	transaction_date                         timestamptz,
	transaction_old                          text,
	transaction_new                          text,
	transaction_result                       text,
	insert_date                              timestamptz,
	insert_user                              uuid,
	update_date                              timestamptz,
	update_user                              uuid
);

-- The REST API app's own table: no primary key, as FusionPBX creates it.
CREATE TABLE IF NOT EXISTS rest_api_keys (
	key_uuid                                 uuid,
	name                                     text,                   -- optional human readable identifier
	key_secret                               text,                   -- bcrypt hash of the secret
	created                                  timestamptz,
	last_used                                timestamptz
);

-- FusionPBX <= 5.1 kept the event-socket settings here (first row).
CREATE TABLE IF NOT EXISTS v_settings (
	setting_uuid                             uuid PRIMARY KEY,
	numbering_plan                           text,
	event_socket_ip_address                  text,
	event_socket_port                        text,
	event_socket_password                    text,
	event_socket_acl                         text,
	xml_rpc_http_port                        text,
	xml_rpc_auth_realm                       text,
	xml_rpc_auth_user                        text,
	xml_rpc_auth_pass                        text,
	admin_pin                                numeric,
	mod_shout_decoder                        text,
	mod_shout_volume                         text,
	insert_date                              timestamptz,
	insert_user                              uuid,
	update_date                              timestamptz,
	update_user                              uuid
);

COMMIT;
