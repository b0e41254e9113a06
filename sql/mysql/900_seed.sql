-- Demo and test rows (not for production): the rows behind the verified
-- examples of elastix-api.md (cdrreport, getqueues).  Load after the
-- 0NN schema files.

INSERT INTO `asteriskcdrdb`.`cdr`
  (calldate, clid, src, dst, dcontext, channel, dstchannel, lastapp,
   lastdata, duration, billsec, disposition, amaflags, accountcode,
   uniqueid, userfield, recordingfile, cnum, cnam, outbound_cnum,
   outbound_cnam, dst_cnam, did)
VALUES
  ('2024-01-05 10:07:05', '"Alice" <100>', '100', '200', 'from-internal',
   'PJSIP/100-00000001', 'PJSIP/200-00000002', 'Dial', 'PJSIP/200,,tr',
   65, 60, 'ANSWERED', 3, '', '1704449225.1', '',
   'exten-200-100-20240105-100705-1704449225.1.wav', '100', 'Alice',
   '', '', '', ''),
  ('2024-01-06 11:00:00', '"0212" <02125550000>', '02125550000', 's',
   'ivr-4', 'SIP/trunk-00000003', '', 'WaitExten', '10,', 41, 41,
   'ANSWERED', 3, '', '1704538800.3', '', '', '', '', '', '', '',
   '902422277777'),
  ('2024-01-07 12:00:00', '"Bob" <101>', '101', '102', 'from-internal',
   'SIP/101-00000004', 'SIP/102-00000005', 'Dial', 'SIP/102,,tr', 10, 0,
   'NO ANSWER', 3, 'acc1', '1704628800.4', '', '', '101', 'Bob',
   '', '', '', ''),
  ('2024-02-01 09:30:00', '"Çağrı Ünal" <103>', '103', '104',
   'from-internal', 'SIP/103-00000006', 'SIP/104-00000007', 'Dial',
   'SIP/104,,tr', 5, 0, 'BUSY', 3, '', '1706779800.6', '', '', '103',
   'Çağrı Ünal', '', '', '', ''),
  ('2024-02-02 09:30:00', '"X" <105>', '105', '106', 'from-internal',
   'SIP/105-00000008', '', 'Dial', 'SIP/106,,tr', 0, 0, 'FAILED', 3, '',
   '1706866200.8', '', '', '105', 'X', '', '', '', ''),
  ('2024-02-03 09:30:00', '"Y" <107>', '107', '108', 'from-internal',
   'SIP/107-00000009', '', 'Dial', 'SIP/108,,tr', 0, 0, 'CONGESTION', 3,
   '', '1706952600.9', '', '', '107', 'Y', '', '', '', '');

INSERT INTO `asterisk`.`queues_config` (extension, descr)
VALUES ('sales', 'Sales Queue'), ('support', 'Support Queue');

INSERT INTO `asterisk`.`queues_details` (id, keyword, data, flags)
VALUES ('sales', 'strategy', 'ringall', 0),
       ('sales', 'member', 'Local/200@from-queue/n,0', 0);

INSERT INTO `asterisk`.`admin` (variable, value)
VALUES ('need_reload', 'false');
