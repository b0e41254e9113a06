// pbxapi example admin panel (docs/admin-panel.md).
//
// One token, three dialects of the same pbxapi on the same origin:
//   extensions   elastix   GET  /api/api.php?cmd=sippeers   Authorization: <token>
//   calls        ARI       GET/POST/DELETE /ari/channels    Authorization: Basic <token>
//   records      recording POST /records/search            X-Auth-Token: <token>
//   playback     recording POST /records/<id>/signed_url, then <audio src=url>
// Everything shown comes from the server and goes into the DOM as text
// (textContent, never innerHTML).

// What an adapter changes first.
const CONFIG = {
  context: "from-internal", // dialplan context of a placed call (FreePBX's)
  pollMs: 3000,             // active-call list refresh without events
  eventsPollMs: 30000,      // and with them, in case one was missed
  // The tenant whose live events (GET /events/<tenant>, nginx with nchan:
  // docs/operations.md "Pushing events") refresh the call list; "" polls
  // only.  Set it where nginx serves /events/ (make demo does).
  eventsTenant: "",
  eventsDebounceMs: 150,    // a burst of events, one refresh
  pageSize: 20,             // records per search page
  signedUrlTtl: 300,        // seconds a recording's signed URL lives
  timeoutMs: 15000,         // a request taking longer is abandoned
};

// How each dialect takes the token (docs/elastix.md, ari.md,
// recordings.md).
const DIALECTS = {
  elastix: (t) => ({ Authorization: t }),
  ari: (t) => ({ Authorization: "Basic " + base64(t) }),
  recordings: (t) => ({ "X-Auth-Token": t }),
};

// What a dialect needs of the token, to say why it was refused.
const NEEDS = {
  elastix: "the read scope",
  ari: "the ari-control scope and a user:password secret",
  recordings: "the recordings scope",
};

// sessionStorage, not localStorage: the token then dies with the tab
// instead of staying on disk for every later visitor of the browser
// profile, and only when the user asks.  Any script on this origin can
// read either, which is why the page allows no inline or foreign script.
const KEEP_KEY = "pbxapi-admin-token";

// calls: the number of the latest call-list request, so that a slow
// answer never overwrites a newer one (a poll that overtakes a hangup).
// events: the EventSource of the call list, when there is one.
const state = { token: null, poll: 0, cursor: null, calls: 0, events: null,
                refresh: 0 };

const $ = (id) => document.getElementById(id);

function base64(s) {
  const bytes = new TextEncoder().encode(s);
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

class ApiError extends Error {
  constructor(dialect, status, message) {
    super(message);
    this.dialect = dialect;
    this.status = status;
  }
}

// Calls a dialect; returns the parsed JSON body (or null when empty).
// Throws ApiError with the server's own message when there is one.
async function api(dialect, method, path, body) {
  const headers = DIALECTS[dialect](state.token);
  const init = { method, headers, cache: "no-store", credentials: "omit" };
  init.signal = AbortSignal.timeout(CONFIG.timeoutMs);
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    throw new ApiError(dialect, 0, `${method} ${path}: ${e.message}`);
  }
  const text = await res.text();
  let data = null;
  if (text !== "") {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!res.ok) {
    let why = (data && (data.error || data.message)) || res.statusText;
    if (res.status === 401 || res.status === 403)
      why += ` (the token needs ${NEEDS[dialect]})`;
    throw new ApiError(dialect, res.status, `${method} ${path}: ${res.status} ${why}`);
  }
  return data;
}

function say(text) {
  $("status").textContent = text;
}

function fail(e) {
  const el = $("error");
  el.textContent = e instanceof Error ? e.message : String(e);
  el.hidden = false;
}

function clearError() {
  $("error").hidden = true;
  $("error").textContent = "";
}

// A table row of text cells; extra nodes (buttons) go in a last cell.
function row(cells, extra) {
  const tr = document.createElement("tr");
  for (const c of cells) {
    const td = document.createElement("td");
    td.textContent = c == null || c === "" ? "\u2014" : String(c);
    tr.append(td);
  }
  if (extra) {
    const td = document.createElement("td");
    td.append(extra);
    tr.append(td);
  }
  return tr;
}

function button(label, accessible, onclick) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = label;
  b.setAttribute("aria-label", accessible);
  b.addEventListener("click", onclick);
  return b;
}

// ---- Extensions: the AMI endpoint list through ?cmd=sippeers.

// A sippeers block is an endpoint (PJSIPShowEndpoints) or a peer
// (chan_sip's Sippeers); the first and the last blocks frame the list.
function extensionOf(b) {
  if (b.Event === "EndpointList")
    return { name: b.ObjectName, tech: "PJSIP", state: b.DeviceState,
             active: b.ActiveChannels };
  if (b.Event === "PeerEntry")
    return { name: b.ObjectName, tech: b.Channeltype || "SIP",
             state: b.Status, active: "" };
  return null;
}

async function loadExtensions() {
  const blocks = await api("elastix", "GET", "/api/api.php?cmd=sippeers");
  if (state.token === null) return; // signed out meanwhile
  const list = (Array.isArray(blocks) ? blocks : []).map(extensionOf)
    .filter((x) => x && x.name);
  const body = $("extensions").tBodies[0];
  const from = $("from");
  const chosen = from.value;
  body.replaceChildren(...list.map((x) =>
    row([x.name, x.tech, x.state, x.active])));
  from.replaceChildren(...list.map((x) => {
    const o = document.createElement("option");
    o.value = `${x.tech}/${x.name}`;
    o.textContent = x.name;
    return o;
  }));
  if (chosen) from.value = chosen;
  $("extensions-empty").hidden = list.length > 0;
}

// ---- Active calls: ARI channels.

function since(iso) {
  const t = Date.parse((iso || "").replace(/([+-]\d\d)(\d\d)$/, "$1:$2"));
  if (Number.isNaN(t)) return "";
  const s = Math.max(0, Math.round((Date.now() - t) / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

function callerOf(c) {
  const who = c.caller || {};
  if (who.name && who.number) return `${who.name} <${who.number}>`;
  return who.number || who.name || "";
}

async function loadCalls() {
  const seq = ++state.calls;
  const chans = await api("ari", "GET", "/ari/channels");
  if (seq !== state.calls || state.token === null) return;
  const list = Array.isArray(chans) ? chans : [];
  const body = $("calls").tBodies[0];
  body.replaceChildren(...list.map((c) => {
    const hang = button("Hang up", `Hang up ${c.name}`, () => hangup(c));
    const tr = row([c.name, callerOf(c), (c.dialplan || {}).exten, c.state,
                    since(c.creationtime)], hang);
    tr.dataset.id = c.id;
    return tr;
  }));
  $("calls-empty").hidden = list.length > 0;
}

async function originate(ev) {
  ev.preventDefault();
  clearError();
  const q = new URLSearchParams({
    endpoint: $("from").value,
    extension: $("to").value.trim(),
    context: $("context").value.trim(),
    priority: "1",
  });
  try {
    const c = await api("ari", "POST", `/ari/channels?${q}`);
    say(`Calling ${q.get("extension")} from ${c.name}.`);
    await loadCalls();
  } catch (e) {
    fail(e);
  }
}

async function hangup(c) {
  clearError();
  try {
    await api("ari", "DELETE", `/ari/channels/${encodeURIComponent(c.id)}`);
    say(`Hung up ${c.name}.`);
  } catch (e) {
    // Already gone (hung up elsewhere) is what the user wanted.
    if (!(e instanceof ApiError && e.status === 404)) fail(e);
  }
  await loadCalls().catch(fail);
}

// The live call list.  With events (CONFIG.eventsTenant, and an nginx
// that serves /events/), every event of the tenant refreshes the list
// from /ari/channels (debounced): the list stays the ARI dialect's, the
// stream only says when to ask.  EventSource cannot set headers, so the
// token goes in ?token= (the shipped nginx location keeps it out of the
// access log).  While the stream is down (EventSource reconnects by
// itself, sending Last-Event-ID) and when there is none (no nchan: the
// request fails and the EventSource closes) the list is polled every
// pollMs, while it is up every eventsPollMs, and never while the tab is
// hidden.
function startCalls() {
  stopCalls();
  startPolling(CONFIG.pollMs);
  if (!CONFIG.eventsTenant || typeof EventSource === "undefined") return;
  const q = new URLSearchParams({ token: state.token });
  const es = new EventSource(
    `/events/${encodeURIComponent(CONFIG.eventsTenant)}?${q}`);
  state.events = es;
  es.onopen = () => {
    if (state.events !== es) return;
    startPolling(CONFIG.eventsPollMs);
    loadCalls().catch(fail);
  };
  es.onerror = () => {
    if (state.events !== es) return;
    if (es.readyState === EventSource.CLOSED) {
      es.close();
      state.events = null;
    }
    startPolling(CONFIG.pollMs);
  };
  es.onmessage = refreshSoon;
  for (const type of ["created", "state", "dial", "dial_end", "answer",
                      "hangup", "destroyed", "update", "bridge_enter",
                      "bridge_leave", "hold", "unhold"])
    es.addEventListener(type, refreshSoon);
}

function startPolling(ms) {
  clearInterval(state.poll);
  state.poll = setInterval(() => {
    if (!document.hidden) loadCalls().catch(fail);
  }, ms);
}

function refreshSoon() {
  if (state.refresh) return;
  state.refresh = setTimeout(() => {
    state.refresh = 0;
    if (state.token !== null) loadCalls().catch(fail);
  }, CONFIG.eventsDebounceMs);
}

function stopCalls() {
  clearInterval(state.poll);
  state.poll = 0;
  clearTimeout(state.refresh);
  state.refresh = 0;
  if (state.events) state.events.close();
  state.events = null;
}

// ---- Call records and recordings.

function filters() {
  const f = {};
  for (const k of ["caller", "callee"]) {
    const v = $(k).value.trim();
    if (v) f[k] = v;
  }
  if ($("start").value) f.start = $("start").value;
  if ($("end").value) f.end = `${$("end").value} 23:59:59`;
  return f;
}

async function search(more) {
  const q = new URLSearchParams({ pageSize: String(CONFIG.pageSize),
                                  cursor: more ? state.cursor : "" });
  const page = await api("recordings", "POST", `/records/search?${q}`,
                         filters());
  if (state.token === null) return;
  const recs = (page && page.records) || [];
  const body = $("records").tBodies[0];
  const rows = recs.map((r) => {
    const label = `Play the recording of ${r.start}, ${r.src_num} to ${r.dst_num}`;
    const tr = row([r.start, r.src_num, r.dst_num, r.duration, r.status],
                   button("Play", label, () => play(r)));
    tr.dataset.id = r.id;
    return tr;
  });
  if (more) body.append(...rows);
  else body.replaceChildren(...rows);
  state.cursor = page && page.cursor;
  $("records-more").hidden = !state.cursor;
  $("records-empty").hidden = body.rows.length > 0;
}

// <audio> cannot send a header: ask for a signed URL of the recording.
async function play(r) {
  clearError();
  const id = encodeURIComponent(r.id);
  try {
    const s = await api("recordings", "POST",
      `/records/${id}/signed_url?ttl=${CONFIG.signedUrlTtl}&action=listen`);
    const player = $("player");
    $("player-caption").textContent = `Recording of ${r.start}, ${r.src_num} to ${r.dst_num}`;
    player.src = s.url;
    await player.play();
  } catch (e) {
    // A second Play before the first started interrupts it: not an error.
    if (e.name !== "AbortError") fail(e);
  }
}

// ---- Signing in and out.

async function signIn(token, keep) {
  state.token = token;
  // Every dialect at once: a token refused by all is wrong; one refused
  // by some lacks a scope, and that section says so.
  const loads = [loadExtensions(), loadCalls(), search(false)];
  const done = await Promise.allSettled(loads);
  const refused = done.filter((d) => d.status === "rejected" &&
    d.reason instanceof ApiError && d.reason.status === 401);
  if (refused.length === loads.length) {
    state.token = null;
    throw new Error("The token was refused.");
  }
  if (keep) sessionStorage.setItem(KEEP_KEY, token);
  $("signin-section").hidden = true;
  $("app").hidden = false;
  $("who").hidden = false;
  $("who-kept").textContent = keep ? " (kept in this tab)" : "";
  $("context").value = $("context").value || CONFIG.context;
  startCalls();
  say("Signed in.");
  $("extensions-title").focus();
  const failed = done.find((d) => d.status === "rejected");
  if (failed) fail(failed.reason);
}

function signOut() {
  stopCalls();
  state.token = null;
  state.calls++;
  sessionStorage.removeItem(KEEP_KEY);
  for (const t of ["extensions", "calls", "records"])
    $(t).tBodies[0].replaceChildren();
  const player = $("player");
  player.pause();
  player.removeAttribute("src");
  player.load(); // stops the download; with no source, no error event
  $("player-caption").textContent = "No recording selected.";
  $("app").hidden = true;
  $("who").hidden = true;
  $("signin-section").hidden = false;
  clearError();
  say("Signed out.");
  $("token").focus();
}

async function onSignIn(ev) {
  ev.preventDefault();
  clearError();
  const token = $("token").value;
  $("token").value = "";
  try {
    await signIn(token, $("keep").checked);
  } catch (e) {
    fail(e);
  }
}

function wire() {
  $("signin").addEventListener("submit", onSignIn);
  $("signout").addEventListener("click", signOut);
  $("extensions-refresh").addEventListener("click",
    () => loadExtensions().catch(fail));
  $("originate").addEventListener("submit", originate);
  $("search").addEventListener("submit", (ev) => {
    ev.preventDefault();
    clearError();
    search(false).catch(fail);
  });
  $("records-next").addEventListener("click", () => search(true).catch(fail));
  $("player").addEventListener("error", () =>
    fail(new Error("The recording cannot be played.")));
  const kept = sessionStorage.getItem(KEEP_KEY);
  if (kept) signIn(kept, true).catch(fail);
}

wire();
