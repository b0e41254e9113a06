-- pbxapi's own indexes for the queries it runs (the tables themselves are
-- the PBX's).  MariaDB syntax (CREATE INDEX IF NOT EXISTS); re-running is
-- harmless.
--
-- cdrreport: ... WHERE <filters> AND dst != 's' ORDER BY calldate DESC
-- LIMIT n.
--   * calldate: the reverse index scan that serves the unfiltered report
--     and date ranges (present in the stock Elastix/Issabel/FreePBX
--     schema; created here in case an installation lacks it).
--   * (disposition, calldate): status=ANSWERED|BUSY|FAILED|NO ANSWER reads
--     only the rows of that disposition, already in calldate order, and a
--     date range narrows it further.  Without it a rare disposition walks
--     the whole calldate index (BUSY on 1,000,000 rows: 5.8 s -> 0.5 s).
-- A field_pattern is a LIKE '%...%' (leading wildcard): no index helps,
-- the scan stops once n rows matched.
CREATE INDEX IF NOT EXISTS `calldate`
  ON `asteriskcdrdb`.`cdr` (`calldate`);
CREATE INDEX IF NOT EXISTS `pbxapi_disposition_calldate`
  ON `asteriskcdrdb`.`cdr` (`disposition`, `calldate`);

-- The other tables are served by their primary keys (sip, findmefollow,
-- queues_config) or the stock indexes users.extension and devices.id.

-- The recording server dialect's Asterisk store (handlers/recordings/
-- cdr.c) reads the rows that name a recordingfile, one per uniqueid,
-- newest first by (calldate, uniqueid):
--   * (calldate, uniqueid): a search page is a reverse scan of it that
--     stops after pageSize + 1 records, and a keyset cursor (calldate,
--     uniqueid) is a range of it.  The ranking of a uniqueid's rows and
--     by_id / callid_search use the stock uniqueid index.
--   * src: the caller filter (and its "abc%" prefix) and last_agent.
--     The callee filter uses the stock dst index.
--   * channel, dstchannel: /history, the calls whose channel (emitted)
--     or destination channel (answered, missed) is "<interface>-...".
--   * linkedid (FreePBX 13 and later only): callid_search matches the
--     call's legs by uniqueid or linkedid.
CREATE INDEX IF NOT EXISTS `pbxapi_calldate_uniqueid`
  ON `asteriskcdrdb`.`cdr` (`calldate`, `uniqueid`);
CREATE INDEX IF NOT EXISTS `pbxapi_src`
  ON `asteriskcdrdb`.`cdr` (`src`);
CREATE INDEX IF NOT EXISTS `pbxapi_channel`
  ON `asteriskcdrdb`.`cdr` (`channel`);
CREATE INDEX IF NOT EXISTS `pbxapi_dstchannel`
  ON `asteriskcdrdb`.`cdr` (`dstchannel`);
SET @pbxapi_linkedid = IF((SELECT COUNT(*) FROM information_schema.COLUMNS
    WHERE TABLE_SCHEMA = 'asteriskcdrdb' AND TABLE_NAME = 'cdr'
    AND COLUMN_NAME = 'linkedid') > 0,
  'CREATE INDEX IF NOT EXISTS `pbxapi_linkedid`
     ON `asteriskcdrdb`.`cdr` (`linkedid`)', 'DO 0');
PREPARE pbxapi_linkedid FROM @pbxapi_linkedid;
EXECUTE pbxapi_linkedid;
DEALLOCATE PREPARE pbxapi_linkedid;
