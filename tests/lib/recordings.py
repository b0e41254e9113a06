"""The recording server dialect's test fixtures: a throwaway xivo_stats
database loaded from the product's sql/pgsql/xivo_stats/ files, with the
rows behind the seed's documented examples and generated calls, and an
audio directory of small WAV files made here (never downloaded).
"""
import os
import struct

import pbxtest as T

ROOT = T.ROOT
TOKEN = "u@pf#41[gYHJm<]9N[a0iWDQQ7`e9k"  # the seed's example token
H = {"X-Auth-Token": TOKEN}
JH = {"X-Auth-Token": TOKEN, "Content-Type": "application/json"}

# The seed's callid_search example (spec §3.2), verbatim.
CALLID_EXAMPLE = {
    "hasNext": False,
    "records": [{
        "agent": "Dino Falconetti (1564)",
        "attached_data": {"recording": "xivocc_gateway-1459435465.15089"},
        "dst_num": "73556",
        "duration": "",
        "id": "xivocc_gateway-1459435465.15089",
        "queue": "hotline (3556)",
        "src_num": "loadtester",
        "start": "2016-03-31 16:44:26",
        "status": "answered"}]}

# The seed's history example (spec §3.6), verbatim.
HISTORY_EXAMPLE = [{
    "start": "2017-01-27 15:37:54", "duration": "00:00:18",
    "src_num": "1001", "dst_num": "3000", "status": "emitted",
    "src_firstname": "Poste", "src_lastname": "Poste 1001",
    "dst_firstname": None, "dst_lastname": "Cars"}]

# The configuration the examples need, and the calls behind them.
EXAMPLES_SQL = r"""
INSERT INTO agentfeatures (firstname, lastname, number)
VALUES ('Dino', 'Falconetti', '1564'), ('Alice', 'Agent', '2000'),
       ('Bob', 'Busy', '2001');
INSERT INTO queuefeatures (id, name, displayname, number)
VALUES (1, 'hotline', 'Hotline', '3556'), (2, 'cars', 'Cars', '3000'),
       (3, 'sales', 'Sales', '3100');
INSERT INTO userfeatures (id, uuid, firstname, lastname)
VALUES (1, 'u-1', 'Poste', 'Poste 1001'), (2, 'u-2', 'Jane', 'Doe');
INSERT INTO linefeatures (id, protocol, protocolid, name, number)
VALUES (1, 'sip', 1, 'az9kf7', '1001'), (2, 'sip', 2, 'jd42xx', '1002');
INSERT INTO user_line (id, user_id, line_id) VALUES (1, 1, 1), (2, 2, 2);
INSERT INTO extensions (context, exten, type, typeval)
VALUES ('default', '1001', 'user', '1'), ('default', '1002', 'user', '2'),
       ('default', '3000', 'queue', '2'), ('default', '3556', 'queue', '1');

-- callid_search's example: an answered queue call, no end time yet.
INSERT INTO call_data (id, uniqueid, src_num, dst_num, start_time,
    answer_time, call_direction, dst_agent)
VALUES (761054, '1459435466.286075', 'loadtester', '73556',
        '2016-03-31 16:44:26', '2016-03-31 16:44:31', 'incoming', '1564');
INSERT INTO attached_data (id_call_data, key, value)
VALUES (761054, 'recording', 'xivocc_gateway-1459435465.15089');
INSERT INTO call_on_queue (callid, queue_time, answer_time, status,
    queue_ref, agent_num)
VALUES ('1459435466.286075', '2016-03-31 16:44:26', '2016-03-31 16:44:31',
        'answered', 'hotline', '1564');

-- history's example: SIP/az9kf7 (Poste) called the Cars queue.
INSERT INTO call_data (id, uniqueid, src_num, dst_num, start_time,
    answer_time, end_time, call_direction, src_interface)
VALUES (761100, '1485527874.42', '1001', '3000', '2017-01-27 15:37:54',
        '2017-01-27 15:38:00', '2017-01-27 15:38:18', 'internal',
        'SIP/az9kf7');

-- attached_data_by_uniqueId's example.
INSERT INTO call_data (id, uniqueid, src_num, dst_num, start_time,
    call_direction)
VALUES (761200, '1471858488.233', '0600000000', '3100',
        '2016-08-22 11:34:48', 'incoming');
"""

# Generated calls: 240 recorded calls, one every 37 minutes back from
# 2026-01-10 12:00, deterministic in every column a filter reads.
GENERATED_SQL = r"""
INSERT INTO call_data (id, uniqueid, src_num, dst_num, start_time,
    answer_time, end_time, call_direction, dst_agent, src_interface)
SELECT 1000 + g, '1768000000.' || g,
       '06' || lpad((g % 7)::text, 8, '0'),
       CASE WHEN g % 3 = 0 THEN '3100' ELSE '3000' END,
       t, CASE WHEN g % 5 <> 0 THEN t + interval '4 seconds' END,
       CASE WHEN g % 11 <> 0 THEN t + interval '4 seconds' +
            (g % 50) * interval '1 second' END,
       (ARRAY['incoming', 'outgoing', 'internal'])[1 + g % 3]
           ::call_direction_type,
       CASE WHEN g % 5 <> 0 THEN (ARRAY['2000', '2001'])[1 + g % 2] END,
       CASE WHEN g % 4 = 0 THEN 'SIP/jd42xx' END
FROM generate_series(1, 240) g,
     LATERAL (SELECT timestamp '2026-01-10 12:00:00' -
              g * interval '37 minutes' AS t) x;
INSERT INTO attached_data (id_call_data, key, value)
SELECT 1000 + g, 'recording', 'gw-1768000000.' || g
FROM generate_series(1, 240) g;
INSERT INTO attached_data (id_call_data, key, value)
SELECT 1000 + g, 'color', (ARRAY['green', 'red', 'blue'])[1 + g % 3]
FROM generate_series(1, 240) g WHERE g % 2 = 0;
INSERT INTO call_on_queue (callid, queue_time, answer_time, status,
    queue_ref, agent_num)
SELECT '1768000000.' || g, cd.start_time, cd.answer_time,
       CASE WHEN cd.answer_time IS NULL THEN 'abandoned'
            ELSE 'answered' END::call_exit_type,
       CASE WHEN g % 3 = 0 THEN 'sales' ELSE 'cars' END, cd.dst_agent
FROM generate_series(1, 240) g JOIN call_data cd ON cd.id = 1000 + g
WHERE g % 2 = 1;
INSERT INTO call_element (call_data_id, start_time, answer_time, end_time,
    interface)
SELECT cd.id, cd.start_time, cd.answer_time, cd.end_time, 'SIP/az9kf7'
FROM call_data cd WHERE cd.id BETWEEN 1001 AND 1240
  AND (cd.id % 6 = 1 OR cd.id % 10 = 0);
-- A call from 1002 answered by agent 2000 yesterday (last_agent).
INSERT INTO call_data (id, uniqueid, src_num, dst_num, start_time,
    answer_time, end_time, call_direction, dst_agent)
VALUES (2000, '1768100000.1', '1002', '3000',
        localtimestamp - interval '1 day',
        localtimestamp - interval '1 day' + interval '3 seconds',
        localtimestamp - interval '1 day' + interval '60 seconds',
        'incoming', '2000');
SELECT setval('call_data_id_seq', 10000);
"""


def product_sql():
    d = os.path.join(ROOT, "sql", "pgsql", "xivo_stats")
    return [os.path.join(d, f) for f in sorted(os.listdir(d))
            if f.endswith(".sql")]


class Stats:
    """A xivo_stats database on pg, loaded from sql/pgsql/xivo_stats/ and
    seeded with the examples and the generated calls."""

    def __init__(self, pg, name="xivo_stats", generated=True):
        self.pg = pg
        self.name = pg.createdb(name)
        for f in product_sql():
            pg.psql(T.read(f), db=self.name)
        pg.psql(EXAMPLES_SQL, db=self.name)
        if generated:
            pg.psql(GENERATED_SQL, db=self.name)

    def sql(self, text, check=True):
        return self.pg.psql(text, db=self.name, check=check)


def wav(path, seconds=1.0, rate=8000, freq=440):
    """Writes a mono 16-bit PCM WAV of a tone (deterministic bytes)."""
    import math
    n = int(seconds * rate)
    frames = b"".join(struct.pack("<h", int(8000 * math.sin(
        2 * math.pi * freq * i / rate))) for i in range(n))
    hdr = b"RIFF" + struct.pack("<I", 36 + len(frames)) + b"WAVEfmt " + \
        struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16) + \
        b"data" + struct.pack("<I", len(frames))
    with open(path, "wb") as f:
        f.write(hdr + frames)


def audio_dir(ids=("xivocc_gateway-1459435465.15089", "gw-1768000000.2")):
    """A directory of <id>.wav files (readable by the pool's user)."""
    d = T.tmpdir("pbxapi-audio-")
    os.chmod(d, 0o755)
    for i, rid in enumerate(ids):
        wav(os.path.join(d, rid + ".wav"), seconds=0.5 + i,
            freq=300 + 100 * i)
    return d


def tenant_env(stats, audio=None, **extra):
    env = {
        "RECORDING_DB_HOST": stats.pg.host,
        "RECORDING_DB_PORT": str(stats.pg.port),
        "RECORDING_DB_NAME": stats.name,
        "RECORDING_DB_USER": "test",
        "PLAY_AUTH_TOKEN": TOKEN,
    }
    if audio is not None:
        env["RECORDING_AUDIO_DIR"] = audio
    env.update(extra)
    return env
