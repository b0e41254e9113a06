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
