-- pbxapi: the tables of the FreePBX/Issabel `asterisk` database that the
-- ?cmd= dialect reads or writes (elastix-api.md §7.1).
--
-- Column order matters where a command returns SELECT * rows:
-- findmefollow (getfollowmeextension, getallfollowmeextensions) and
-- queues_config (getqueues).  Sources: FreePBX core module.xml (sip,
-- pjsip, users, devices), the `describe findmefollow` of FreePBX 2.x-13
-- (FreePBX 14 adds rvolume and calendar_*, which then appear in the
-- output too), FreePBX queues module.xml 14.0.2.3.
--
-- CREATE ... IF NOT EXISTS: safe to run against a live PBX.

CREATE DATABASE IF NOT EXISTS `asterisk`
  DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- One row per (extension, keyword).  addextension relies on the primary
-- key for INSERT IGNORE, updateextension for ON DUPLICATE KEY UPDATE.
CREATE TABLE IF NOT EXISTS `asterisk`.`sip` (
  `id`      varchar(20)   NOT NULL DEFAULT '-1',
  `keyword` varchar(30)   NOT NULL DEFAULT '',
  `data`    varchar(8100) NOT NULL,
  `flags`   int(1)        NOT NULL DEFAULT 0,
  PRIMARY KEY (`id`, `keyword`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- sipextensions with PBX_DRIVER=freepbx:
-- SELECT id, keyword, data FROM pjsip ORDER BY id, flags.  Empty or
-- missing, the command falls back to the ini file.
CREATE TABLE IF NOT EXISTS `asterisk`.`pjsip` (
  `id`      varchar(20)   NOT NULL DEFAULT '-1',
  `keyword` varchar(30)   NOT NULL DEFAULT '',
  `data`    varchar(8100) NOT NULL,
  `flags`   int(1)        NOT NULL DEFAULT 0,
  PRIMARY KEY (`id`, `keyword`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- No unique key in FreePBX: INSERT IGNORE never ignores a users row.
CREATE TABLE IF NOT EXISTS `asterisk`.`users` (
  `extension`        varchar(20)  NOT NULL DEFAULT '',
  `password`         varchar(20)  DEFAULT NULL,
  `name`             varchar(50)  DEFAULT NULL,
  `voicemail`        varchar(50)  DEFAULT NULL,
  `ringtimer`        int(3)       DEFAULT NULL,
  `noanswer`         varchar(100) DEFAULT NULL,
  `recording`        varchar(50)  DEFAULT NULL,
  `outboundcid`      varchar(50)  DEFAULT NULL,
  `sipname`          varchar(50)  DEFAULT NULL,
  `noanswer_cid`     varchar(20)  NOT NULL DEFAULT '',
  `busy_cid`         varchar(20)  NOT NULL DEFAULT '',
  `chanunavail_cid`  varchar(20)  NOT NULL DEFAULT '',
  `noanswer_dest`    varchar(255) NOT NULL DEFAULT '',
  `busy_dest`        varchar(255) NOT NULL DEFAULT '',
  `chanunavail_dest` varchar(255) NOT NULL DEFAULT '',
  `mohclass`         varchar(80)  DEFAULT 'default',
  KEY `extension` (`extension`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- No unique key either; the API stores the account in description.
CREATE TABLE IF NOT EXISTS `asterisk`.`devices` (
  `id`            varchar(20)  NOT NULL DEFAULT '',
  `tech`          varchar(10)  NOT NULL DEFAULT '',
  `dial`          varchar(255) NOT NULL DEFAULT '',
  `devicetype`    varchar(5)   NOT NULL DEFAULT '',
  `user`          varchar(50)  DEFAULT NULL,
  `description`   varchar(50)  DEFAULT NULL,
  `emergency_cid` varchar(100) DEFAULT NULL,
  `hint_override` varchar(100) DEFAULT NULL,
  KEY `id` (`id`),
  KEY `tech` (`tech`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The 13 columns are the JSON keys of the follow-me read commands.
CREATE TABLE IF NOT EXISTS `asterisk`.`findmefollow` (
  `grpnum`         varchar(20)  NOT NULL,
  `strategy`       varchar(50)  NOT NULL,
  `grptime`        smallint(6)  NOT NULL,
  `grppre`         varchar(100) DEFAULT NULL,
  `grplist`        varchar(255) NOT NULL,
  `annmsg_id`      int(11)      DEFAULT NULL,
  `postdest`       varchar(255) DEFAULT NULL,
  `dring`          varchar(255) DEFAULT NULL,
  `remotealert_id` int(11)      DEFAULT NULL,
  `needsconf`      varchar(10)  DEFAULT NULL,
  `toolate_id`     int(11)      DEFAULT NULL,
  `pre_ring`       smallint(6)  NOT NULL DEFAULT 0,
  `ringing`        varchar(80)  DEFAULT NULL,
  PRIMARY KEY (`grpnum`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- getqueues: SELECT * FROM queues_config ORDER BY extension.  There is no
-- strategy column (it lives in queues_details).
CREATE TABLE IF NOT EXISTS `asterisk`.`queues_config` (
  `extension`         varchar(20)  NOT NULL DEFAULT '',
  `descr`             varchar(35)  NOT NULL DEFAULT '',
  `grppre`            varchar(100) NOT NULL DEFAULT '',
  `alertinfo`         varchar(254) NOT NULL DEFAULT '',
  `ringing`           tinyint(1)   NOT NULL DEFAULT 0,
  `maxwait`           varchar(8)   NOT NULL DEFAULT '',
  `password`          varchar(20)  NOT NULL DEFAULT '',
  `ivr_id`            varchar(8)   NOT NULL DEFAULT '0',
  `dest`              varchar(50)  NOT NULL DEFAULT '',
  `cwignore`          tinyint(1)   NOT NULL DEFAULT 0,
  `queuewait`         tinyint(1)   DEFAULT 0,
  `use_queue_context` tinyint(1)   DEFAULT 0,
  `togglehint`        tinyint(1)   DEFAULT 0,
  `qnoanswer`         tinyint(1)   DEFAULT 0,
  `callconfirm`       tinyint(1)   DEFAULT 0,
  `callconfirm_id`    int(11)      DEFAULT NULL,
  `qregex`            varchar(255) DEFAULT NULL,
  `agentannounce_id`  int(11)      DEFAULT NULL,
  `joinannounce_id`   int(11)      DEFAULT NULL,
  `monitor_type`      varchar(5)   DEFAULT NULL,
  `monitor_heard`     int(11)      DEFAULT NULL,
  `monitor_spoken`    int(11)      DEFAULT NULL,
  `callback_id`       varchar(8)   NOT NULL DEFAULT '',
  PRIMARY KEY (`extension`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Not read by any command (the reference's unrouted getQueueMembers
-- queries a misspelled queue_details); kept so the seed loads.
CREATE TABLE IF NOT EXISTS `asterisk`.`queues_details` (
  `id`      varchar(45)  NOT NULL DEFAULT '-1',
  `keyword` varchar(30)  NOT NULL DEFAULT '',
  `data`    varchar(150) NOT NULL DEFAULT '',
  `flags`   int(1)       NOT NULL DEFAULT 0,
  PRIMARY KEY (`id`, `keyword`, `data`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- FreePBX advanced settings; not read by any command.
CREATE TABLE IF NOT EXISTS `asterisk`.`admin` (
  `variable` varchar(20) NOT NULL DEFAULT '',
  `value`    varchar(80) NOT NULL DEFAULT '',
  PRIMARY KEY (`variable`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
