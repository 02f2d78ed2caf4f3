// The web chat page's logic (see index.html). One WebSocket to im-access
// carries the client protocol of proto/client.proto, loaded at start with
// protobufjs: one ClientFrame per binary message out, one ServerFrame per
// message in. Responses are matched to requests by req_id; frames with
// req_id 0 are pushes (messages, receipts, typing, recalls, notices, kicks).
//
// What the page keeps: for each conversation, the messages it has seen (by
// seq), the highest seq it holds without a gap (acked to the server, as
// every device does, so the next Sync starts after it), the unread count the
// server reported plus what arrived since, and how far the peer has read.
// On login it syncs everything pending, then lists conversations; opening
// one loads its latest history and marks it read. A dropped connection is
// resumed with the session token; a kick that is not a drain ends the
// session.
'use strict';

const HISTORY_PAGE = 50;
const SYNC_PAGE = 200;
const TYPING_EVERY_MS = 3000;
const TYPING_SHOWN_MS = 4000;

const $ = (id) => document.getElementById(id);

const state = {
  ClientFrame: null,
  ServerFrame: null,
  ws: null,
  nextReqId: 1,
  pending: new Map(),  // req_id -> {resolve, reject}
  url: '',
  me: '',
  token: '',
  device: deviceId(),
  loggedIn: false,
  heartbeat: null,
  convs: new Map(),    // conv_id -> conversation (see upsertConversation)
  open: null,          // {peer, groupId, convId}: the conversation shown
  ackTimer: null,
  lastTypingSent: 0,
  typingTimer: null,
};

// One device id per browser tab: two tabs are two devices of the user.
function deviceId() {
  let id = sessionStorage.getItem('im-web-device');
  if (!id) {
    id = 'web-' + Math.random().toString(36).slice(2, 8);
    sessionStorage.setItem('im-web-device', id);
  }
  return id;
}

function defaultServer() {
  if (location.protocol === 'https:') return `wss://${location.host}/im`;
  if (location.protocol === 'http:') return `ws://${location.host}/im`;
  return 'ws://127.0.0.1:7400/im';
}

function setStatus(text) { $('status').textContent = text; }

// --- the connection ---------------------------------------------------------

function connect(url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.binaryType = 'arraybuffer';
    ws.onopen = () => { state.ws = ws; resolve(); };
    ws.onerror = () => reject(new Error(`cannot reach ${url}`));
    ws.onmessage = (event) => onFrame(state.ServerFrame.decode(new Uint8Array(event.data)));
    ws.onclose = () => onClosed(ws);
  });
}

// Sends one request; resolves with the response frame, rejects with the
// server's status message (err.code holds its code) or a lost connection.
function request(body) {
  const reqId = state.nextReqId++;
  const frame = state.ClientFrame.fromObject(Object.assign({ reqId }, body));
  return new Promise((resolve, reject) => {
    if (!state.ws || state.ws.readyState !== WebSocket.OPEN) {
      reject(new Error('not connected'));
      return;
    }
    state.pending.set(reqId, { resolve, reject });
    state.ws.send(state.ClientFrame.encode(frame).finish());
  });
}

function onFrame(frame) {
  const reqId = Number(frame.reqId);
  if (reqId !== 0) {
    const waiter = state.pending.get(reqId);
    if (!waiter) return;
    state.pending.delete(reqId);
    if (frame.status && frame.status.code) {
      const error = new Error(frame.status.message || `error ${frame.status.code}`);
      error.code = frame.status.code;
      waiter.reject(error);
    } else {
      waiter.resolve(frame);
    }
    return;
  }
  onPush(frame);
}

function onClosed(ws) {
  if (state.ws !== ws) return;
  state.ws = null;
  clearInterval(state.heartbeat);
  for (const waiter of state.pending.values()) waiter.reject(new Error('connection lost'));
  state.pending.clear();
  if (state.loggedIn) {
    setStatus('Connection lost; reconnecting…');
    setTimeout(resume, 1000 + Math.random() * 1000);
  }
}

async function resume() {
  if (!state.loggedIn || state.ws) return;
  try {
    await connect(state.url);
    await logIn({ username: state.me, sessionToken: state.token });
    setStatus('Reconnected');
  } catch (error) {
    if (error.code) return endSession(`Session ended: ${error.message}`);
    setTimeout(resume, 2000 + Math.random() * 2000);
  }
}

// --- login ------------------------------------------------------------------

async function logIn(credentials) {
  const response = await request({
    login: Object.assign({ protocolVersion: 1, deviceId: state.device }, credentials),
  });
  const login = response.login;
  state.me = login.username;
  state.token = login.sessionToken;
  state.loggedIn = true;
  const every = Math.min(20000, Math.max(1000, (login.idleTimeoutMs || 30000) / 3));
  clearInterval(state.heartbeat);
  state.heartbeat = setInterval(() => request({ ping: {} }).catch(() => {}), every);
  $('me').textContent = state.me;
  $('login-view').hidden = true;
  $('chat-view').hidden = false;
  await syncAll();
  await loadConversations();
  if (state.open) await openConversation(state.open);
}

async function onLoginSubmit(register) {
  $('login-error').textContent = '';
  const username = $('username').value.trim();
  const password = $('password').value;
  state.url = $('server').value.trim();
  try {
    if (!state.ws) await connect(state.url);
    if (register) await request({ registerUser: { username, password } });
    await logIn({ username, password });
    $('password').value = '';
  } catch (error) {
    $('login-error').textContent = error.message;
  }
}

function endSession(reason) {
  state.loggedIn = false;
  clearInterval(state.heartbeat);
  if (state.ws) state.ws.close();
  state.ws = null;
  state.convs.clear();
  state.open = null;
  $('conversations').replaceChildren();
  $('messages').replaceChildren();
  $('chat-view').hidden = true;
  $('login-view').hidden = false;
  $('login-error').textContent = reason;
}

async function logOut() {
  try {
    await request({ logout: { sessionToken: state.token } });
  } finally {
    endSession('');
  }
}

// --- conversations and messages --------------------------------------------

function convKey(c) { return c.groupId ? `g:${c.groupId}` : `u:${c.peer}`; }

function upsertConversation(convId, fields) {
  let conv = state.convs.get(convId);
  if (!conv) {
    conv = { convId, peer: '', groupId: 0, groupName: '', unread: 0, messages: new Map(),
             acked: null, peerReadSeq: 0, last: null };
    state.convs.set(convId, conv);
  }
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined && value !== '' && value !== 0) conv[key] = value;
  }
  return conv;
}

// The conversation a message belongs to, made if new.
function conversationOf(m) {
  const groupId = Number(m.groupId);
  if (groupId) return upsertConversation(Number(m.convId), { groupId });
  const peer = m.sender === state.me ? m.recipient : m.sender;
  return upsertConversation(Number(m.convId), { peer });
}

// The conversation shown, if it has any messages yet.
function openConversationState() {
  const open = state.open;
  if (!open) return null;
  if (open.convId) return state.convs.get(open.convId) || null;
  const conv = [...state.convs.values()].find((c) => convKey(c) === convKey(open));
  if (conv) open.convId = conv.convId;
  return conv || null;
}

function isOpen(conv) {
  return state.open !== null && (state.open.convId === conv.convId ||
         (!state.open.convId && convKey(state.open) === convKey(conv)));
}

// Takes a message; `live` for a push (counts as unread unless shown).
function addMessage(m, live) {
  const conv = conversationOf(m);
  const seq = Number(m.seq);
  if (conv.messages.has(seq)) return conv;
  conv.messages.set(seq, m);
  if (!conv.last || seq >= Number(conv.last.seq)) conv.last = m;
  if (conv.acked === null || seq === conv.acked + 1) {
    conv.acked = seq;
    while (conv.messages.has(conv.acked + 1)) conv.acked++;
    ackSoon();
  } else if (seq > conv.acked + 1) {
    syncConversation(conv.convId);  // a gap: fetch what is missing
  }
  if (live && m.sender !== state.me) {
    if (isOpen(conv)) {
      markRead(conv);
    } else {
      conv.unread++;
    }
  }
  return conv;
}

// Acks what every conversation holds without a gap, a moment later (one
// request for a burst of messages).
function ackSoon() {
  if (state.ackTimer) return;
  state.ackTimer = setTimeout(() => {
    state.ackTimer = null;
    const acks = [];
    for (const conv of state.convs.values()) {
      if (conv.acked !== null) acks.push({ convId: conv.convId, seq: conv.acked });
    }
    if (acks.length) request({ ack: { acks } }).catch(() => {});
  }, 50);
}

async function syncAll() {
  for (;;) {
    const response = await request({ sync: { limit: SYNC_PAGE } });
    for (const m of response.sync.messages) addMessage(m, false);
    if (!response.sync.more) break;
    await flushAcks();
  }
  await flushAcks();
}

async function flushAcks() {
  clearTimeout(state.ackTimer);
  state.ackTimer = null;
  const acks = [];
  for (const conv of state.convs.values()) {
    if (conv.acked !== null) acks.push({ convId: conv.convId, seq: conv.acked });
  }
  if (acks.length) await request({ ack: { acks } });
}

async function syncConversation(convId) {
  try {
    const response = await request({ sync: { limit: SYNC_PAGE, convId } });
    for (const m of response.sync.messages) addMessage(m, true);
    render();
  } catch (error) {
    setStatus(`Sync failed: ${error.message}`);
  }
}

async function loadConversations() {
  const response = await request({ convList: {} });
  for (const s of response.convList.conversations) {
    const conv = upsertConversation(Number(s.convId), {
      peer: s.peer, groupId: Number(s.groupId), groupName: s.groupName,
    });
    conv.unread = Number(s.unread);
    if (s.lastMessage && Number(s.lastMessage.seq)) conv.last = s.lastMessage;
  }
  render();
}

function titleOf(c) {
  if (c.groupId) return c.groupName ? `${c.groupName} (group ${c.groupId})` : `group ${c.groupId}`;
  return c.peer;
}

// What a conversation is asked about: {peer} or {groupId}.
function target(c) { return c.groupId ? { groupId: c.groupId } : { peer: c.peer }; }

async function openConversation(which) {
  const conv = [...state.convs.values()].find((c) => convKey(c) === convKey(which));
  state.open = { peer: which.peer || '', groupId: which.groupId || 0, convId: conv ? conv.convId : 0 };
  $('typing').textContent = '';
  $('text').disabled = false;
  $('send').disabled = false;
  render();
  try {
    const response = await request({ history: Object.assign({ limit: HISTORY_PAGE }, target(state.open)) });
    for (const m of response.history.messages) addMessage(m, false);
    const convId = Number(response.history.convId);
    if (convId) state.open.convId = convId;
    const opened = state.convs.get(state.open.convId);
    if (opened) await markRead(opened);
  } catch (error) {
    if (error.code !== 5) setStatus(`History: ${error.message}`);  // 5: nothing yet
  }
  render();
  $('text').focus();
}

async function markRead(conv) {
  conv.unread = 0;
  render();
  try {
    await request({ markRead: target(conv) });
  } catch (error) {
    setStatus(`Mark read: ${error.message}`);
  }
}

async function send(text) {
  const open = state.open;
  const clientMsgId = `${state.device}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  const body = open.groupId ? { groupId: open.groupId } : { toUser: open.peer };
  try {
    const response = await request({ sendMessage: Object.assign({ text, clientMsgId }, body) });
    const ack = response.sendMessage;
    addMessage({
      msgId: ack.msgId, convId: ack.convId, seq: ack.seq, sentAtMs: ack.sentAtMs, kind: 'text',
      sender: state.me, recipient: open.peer, groupId: open.groupId, text,
    }, false);
    open.convId = Number(ack.convId);
    render();
  } catch (error) {
    setStatus(`Not sent: ${error.message}`);
  }
}

function onTyping() {
  const open = state.open;
  if (!open || open.groupId || Date.now() - state.lastTypingSent < TYPING_EVERY_MS) return;
  state.lastTypingSent = Date.now();
  request({ typing: { peer: open.peer } }).catch(() => {});
}

// --- pushes -------------------------------------------------------------------

function onPush(frame) {
  switch (frame.body) {
    case 'message':
      addMessage(frame.message, true);
      if (state.open && frame.message.sender === state.open.peer) $('typing').textContent = '';
      break;
    case 'readReceipt': {
      const r = frame.readReceipt;
      const conv = state.convs.get(Number(r.convId));
      if (!conv) break;
      if (r.reader === state.me) {
        conv.unread = 0;  // read on another of my devices
      } else {
        conv.peerReadSeq = Math.max(conv.peerReadSeq, Number(r.readSeq));
      }
      break;
    }
    case 'typingEvent':
      if (state.open && !state.open.groupId && state.open.peer === frame.typingEvent.fromUser) {
        $('typing').textContent = `${frame.typingEvent.fromUser} is typing…`;
        clearTimeout(state.typingTimer);
        state.typingTimer = setTimeout(() => { $('typing').textContent = ''; }, TYPING_SHOWN_MS);
      }
      return;
    case 'recalled': {
      const conv = state.convs.get(Number(frame.recalled.convId));
      const m = conv && conv.messages.get(Number(frame.recalled.seq));
      if (m) m.recalled = true;
      break;
    }
    case 'notice':
      syncConversation(Number(frame.notice.convId));
      return;
    case 'kick':
      if (frame.kick.reconnect) {
        setStatus('The server asked to reconnect');
        if (state.ws) state.ws.close();
      } else {
        endSession(`Logged out: ${frame.kick.reason}`);
      }
      return;
    default:
      return;
  }
  render();
}

// --- rendering ----------------------------------------------------------------

function describe(m) {
  if (m.recalled) return '(recalled)';
  if (m.kind === 'system') {
    const e = m.groupEvent;
    if (!e || !e.type) return m.text;
    const type = String(e.type).toLowerCase().replace(/_/g, ' ');
    const users = (e.users || []).join(', ');
    return [e.actor, type, users, e.text].filter(Boolean).join(' ');
  }
  if (m.kind && m.kind !== 'text') return `[${m.kind}] ${m.payload}`;
  return m.text;
}

function render() {
  const list = $('conversations');
  const convs = [...state.convs.values()].sort(
    (a, b) => Number(b.last ? b.last.sentAtMs : 0) - Number(a.last ? a.last.sentAtMs : 0));
  list.replaceChildren(...convs.map((c) => {
    const li = document.createElement('li');
    li.dataset.conv = c.groupId ? `g:${c.groupId}` : c.peer;
    if (isOpen(c)) li.classList.add('open');
    const name = document.createElement('span');
    name.className = 'name';
    name.textContent = titleOf(c);
    const unread = document.createElement('span');
    unread.className = 'unread';
    unread.textContent = c.unread > 0 ? String(c.unread) : '';
    const preview = document.createElement('span');
    preview.className = 'preview';
    preview.textContent = c.last ? describe(c.last) : '';
    li.append(name, unread, preview);
    li.onclick = () => openConversation(c);
    return li;
  }));

  const open = state.open;
  $('conv-title').textContent = open ? titleOf(open) : 'Pick a conversation';
  const conv = openConversationState();
  const messages = conv ? [...conv.messages.values()].sort((a, b) => Number(a.seq) - Number(b.seq)) : [];
  $('messages').replaceChildren(...messages.map((m) => {
    const li = document.createElement('li');
    li.dataset.seq = String(m.seq);
    if (m.kind === 'system') li.classList.add('system');
    else if (m.sender === state.me) li.classList.add('mine');
    const text = document.createElement('span');
    text.className = 'text';
    text.textContent = describe(m);
    const meta = document.createElement('span');
    meta.className = 'meta';
    const time = new Date(Number(m.sentAtMs)).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
    meta.textContent = conv.groupId && m.sender !== state.me && m.kind !== 'system' ? `${m.sender} · ${time}` : time;
    if (m.sender === state.me && !conv.groupId && Number(m.seq) <= conv.peerReadSeq) {
      const read = document.createElement('span');
      read.className = 'read';
      read.textContent = ' · read';
      meta.append(read);
    }
    li.append(text, meta);
    return li;
  }));
  const pane = $('messages');
  pane.scrollTop = pane.scrollHeight;
}

// --- start ----------------------------------------------------------------------

async function start() {
  $('server').value = defaultServer();
  const root = await protobuf.load('client.proto');
  state.ClientFrame = root.lookupType('im.client.ClientFrame');
  state.ServerFrame = root.lookupType('im.client.ServerFrame');
  $('login-form').onsubmit = (event) => { event.preventDefault(); onLoginSubmit(false); };
  $('register').onclick = () => {
    if ($('login-form').reportValidity()) onLoginSubmit(true);
  };
  $('logout').onclick = () => logOut();
  $('new-chat').onsubmit = (event) => {
    event.preventDefault();
    const peer = $('new-peer').value.trim();
    if (peer.startsWith('g:')) openConversation({ groupId: Number(peer.slice(2)) });
    else if (peer) openConversation({ peer });
    $('new-peer').value = '';
  };
  $('compose').onsubmit = (event) => {
    event.preventDefault();
    const text = $('text').value;
    if (!text.trim() || !state.open) return;
    $('text').value = '';
    send(text);
  };
  $('text').oninput = onTyping;
  document.body.dataset.ready = 'true';
}

start().catch((error) => {
  $('login-error').textContent = `The page could not start: ${error.message}`;
});
