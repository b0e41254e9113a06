-- xivo_stats: the tables of XiVO CC's statistics database that the
-- recording server dialect reads and writes (docs/recordings.md).
--
-- On a XiVO CC install these exist already (xivo-full-stats and
-- xivo-db-replication fill them) and only 002_indexes.sql applies.  This
-- file builds the same tables for tests, the demo and a pbxapi that keeps
-- its own stats database.  Column names follow the XiVO CC recording
-- server specification (specs/recording-server.md §6); the replicated
-- configuration tables keep XiVO's own columns, trimmed to those read.

BEGIN;

CREATE TYPE call_exit_type AS ENUM (
    'full', 'closed', 'joinempty', 'leaveempty', 'divert_ca_ratio',
    'divert_waittime', 'answered', 'abandoned', 'timeout');
CREATE TYPE call_direction_type AS ENUM ('incoming', 'outgoing', 'internal');
CREATE TYPE trunk_protocol AS ENUM ('sip', 'iax', 'sccp', 'custom');
CREATE TYPE extenumbers_type AS ENUM (
    'extenfeatures', 'featuremap', 'generalfeatures', 'group', 'incall',
    'meetme', 'outcall', 'queue', 'user', 'voicemenu');

-- One row per call; its id is the API's call-data-id, its uniqueid the
-- call id (callid_search, attached_data_by_uniqueId).
CREATE TABLE call_data (
    id                      SERIAL PRIMARY KEY,
    uniqueid                VARCHAR(150) NOT NULL,
    src_num                 VARCHAR(80),
    dst_num                 VARCHAR(80),
    start_time              TIMESTAMP WITHOUT TIME ZONE NOT NULL,
    answer_time             TIMESTAMP WITHOUT TIME ZONE,
    end_time                TIMESTAMP WITHOUT TIME ZONE,
    status                  VARCHAR(32),
    ring_duration_on_answer INTEGER,
    transfered              BOOLEAN NOT NULL DEFAULT FALSE,
    call_direction          call_direction_type,
    transfer_direction      call_direction_type,
    src_agent               VARCHAR(128),
    dst_agent               VARCHAR(128),
    src_interface           VARCHAR(255)
);

-- Each leg that rang: which interface, answered or not.
CREATE TABLE call_element (
    id           SERIAL PRIMARY KEY,
    call_data_id INTEGER NOT NULL REFERENCES call_data (id) ON DELETE CASCADE,
    start_time   TIMESTAMP WITHOUT TIME ZONE NOT NULL,
    answer_time  TIMESTAMP WITHOUT TIME ZONE,
    end_time     TIMESTAMP WITHOUT TIME ZONE,
    interface    VARCHAR(255) NOT NULL,
    agent        VARCHAR(128)
);

-- Attached data, a multimap per call; key 'recording' names the file.
CREATE TABLE attached_data (
    id           SERIAL PRIMARY KEY,
    id_call_data INTEGER NOT NULL REFERENCES call_data (id) ON DELETE CASCADE,
    key          VARCHAR(128) NOT NULL,
    value        VARCHAR(1024)
);

-- Each passage of a call through a queue.
CREATE TABLE call_on_queue (
    id                 SERIAL PRIMARY KEY,
    callid             VARCHAR(32) NOT NULL,
    queue_time         TIMESTAMP WITHOUT TIME ZONE NOT NULL,
    total_ring_seconds INTEGER NOT NULL DEFAULT 0,
    answer_time        TIMESTAMP WITHOUT TIME ZONE,
    hangup_time        TIMESTAMP WITHOUT TIME ZONE,
    status             call_exit_type,
    queue_ref          VARCHAR(128),
    agent_num          VARCHAR(128)
);

-- Replicated from the XiVO configuration.
CREATE TABLE agentfeatures (
    id          SERIAL PRIMARY KEY,
    numgroup    INTEGER NOT NULL DEFAULT 1,
    firstname   VARCHAR(128) NOT NULL DEFAULT '',
    lastname    VARCHAR(128) NOT NULL DEFAULT '',
    number      VARCHAR(40) NOT NULL UNIQUE,
    passwd      VARCHAR(128) NOT NULL DEFAULT '',
    context     VARCHAR(39) NOT NULL DEFAULT 'default',
    language    VARCHAR(20) NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT ''
);

CREATE TABLE queuefeatures (
    id          SERIAL PRIMARY KEY,
    name        VARCHAR(128) NOT NULL UNIQUE,
    displayname VARCHAR(128) NOT NULL,
    number      VARCHAR(40) NOT NULL DEFAULT '',
    context     VARCHAR(39)
);

CREATE TABLE userfeatures (
    id        SERIAL PRIMARY KEY,
    uuid      VARCHAR(38) NOT NULL UNIQUE,
    firstname VARCHAR(128) NOT NULL DEFAULT '',
    lastname  VARCHAR(128) NOT NULL DEFAULT '',
    agentid   INTEGER,
    callerid  VARCHAR(160)
);

CREATE TABLE linefeatures (
    id             SERIAL PRIMARY KEY,
    protocol       trunk_protocol,
    protocolid     INTEGER,
    name           VARCHAR(128) UNIQUE,
    number         VARCHAR(40),
    context        VARCHAR(39) NOT NULL DEFAULT 'default',
    provisioningid INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE user_line (
    id        INTEGER NOT NULL,
    user_id   INTEGER REFERENCES userfeatures (id),
    line_id   INTEGER NOT NULL REFERENCES linefeatures (id),
    main_user BOOLEAN NOT NULL DEFAULT TRUE,
    main_line BOOLEAN NOT NULL DEFAULT TRUE,
    PRIMARY KEY (id, line_id),
    UNIQUE (user_id, line_id)
);

-- Numbers that are not users (queues, groups, incalls) and their labels.
CREATE TABLE extensions (
    id        SERIAL PRIMARY KEY,
    commented INTEGER NOT NULL DEFAULT 0,
    context   VARCHAR(39) NOT NULL DEFAULT '',
    exten     VARCHAR(40) NOT NULL DEFAULT '',
    type      extenumbers_type NOT NULL,
    typeval   VARCHAR(255) NOT NULL DEFAULT '',
    UNIQUE (exten, context)
);

COMMIT;
