-- pbxapi: the asteriskcdrdb database as the ?cmd= dialect reads it.
--
-- cdrreport runs SELECT * FROM cdr and returns every column as a JSON
-- key, in the table's column order, so the order below is part of the
-- API: it is the 23-column cdr table of Elastix and Issabel
-- (firstboot compat-dbscripts 01-asteriskcdrdb.sql).  FreePBX 13 and
-- later append linkedid, peeraccount and sequence; cdrreport then returns
-- those too, after did.
--
-- Integer columns come out as JSON numbers, datetime and varchar columns
-- as strings (elastix-api.md §1.4).
--
-- CREATE ... IF NOT EXISTS: safe to run against a live PBX, where the
-- table already exists; only the indexes of 003_pbxapi_indexes.sql are
-- pbxapi's own.

CREATE DATABASE IF NOT EXISTS `asteriskcdrdb`
  DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS `asteriskcdrdb`.`cdr` (
  `calldate`      datetime     NOT NULL DEFAULT '0000-00-00 00:00:00',
  `clid`          varchar(80)  NOT NULL DEFAULT '',
  `src`           varchar(80)  NOT NULL DEFAULT '',
  `dst`           varchar(80)  NOT NULL DEFAULT '',
  `dcontext`      varchar(80)  NOT NULL DEFAULT '',
  `channel`       varchar(80)  NOT NULL DEFAULT '',
  `dstchannel`    varchar(80)  NOT NULL DEFAULT '',
  `lastapp`       varchar(80)  NOT NULL DEFAULT '',
  `lastdata`      varchar(80)  NOT NULL DEFAULT '',
  `duration`      int(11)      NOT NULL DEFAULT 0,
  `billsec`       int(11)      NOT NULL DEFAULT 0,
  `disposition`   varchar(45)  NOT NULL DEFAULT '',
  `amaflags`      int(11)      NOT NULL DEFAULT 0,
  `accountcode`   varchar(20)  NOT NULL DEFAULT '',
  `uniqueid`      varchar(32)  NOT NULL DEFAULT '',
  `userfield`     varchar(255) NOT NULL DEFAULT '',
  `recordingfile` varchar(255) NOT NULL DEFAULT '',
  `cnum`          varchar(40)  NOT NULL DEFAULT '',
  `cnam`          varchar(40)  NOT NULL DEFAULT '',
  `outbound_cnum` varchar(40)  NOT NULL DEFAULT '',
  `outbound_cnam` varchar(40)  NOT NULL DEFAULT '',
  `dst_cnam`      varchar(40)  NOT NULL DEFAULT '',
  `did`           varchar(50)  NOT NULL DEFAULT '',
  KEY `IDX_UNIQUEID` (`uniqueid`),
  KEY `calldate` (`calldate`),
  KEY `dst` (`dst`),
  KEY `accountcode` (`accountcode`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
