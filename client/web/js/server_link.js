// The page's side of the chat across connections, as the terminal client's ServerLink (client/server_link.cpp):
// log in on each new connection, rejoin every room with `since` = the last seq seen (so the messages missed
// meanwhile are replayed, none twice), fetch with `history` what a truncated replay left out, and re-send the
// messages not yet acknowledged with their `cid` (the server stores a retried cid once). Requests made while
// disconnected wait and go once the link is back.
import { Connection, ConnectionLost, ServerError, socketUrl } from './connection.js';
import { STATUS, roomKey } from './state.js';

const KEEPALIVE_MS = 60_000; // a ping a minute keeps the server's idle timeout (300 s) away
const KEEPALIVE_ANSWER_MS = 20_000; // a ping unanswered this long means the link is dead
const HISTORY_PAGE = 50;
const CATCH_UP_PAGE = 100;

let cidCounter = 0;
// A client id unique to this page: a random prefix chosen once, then a counter.
const cidPrefix = Array.from(crypto.getRandomValues(new Uint8Array(6)), (b) => b.toString(16).padStart(2, '0')).join('');
export function newCid() {
  cidCounter += 1;
  return `w-${cidPrefix}-${cidCounter}`;
}

export class ServerLink extends EventTarget {
  // state: ChatState. location: where the page came from (the socket goes to its host).
  constructor(state, location, { connectionOptions } = {}) {
    super();
    this.state = state;
    this.credentials = null; // { mode: 'login' | 'register' | 'guest', name, password }
    this.phase = 'offline'; // offline | connecting | authenticating | resuming | online
    this.loggedInOnce = false;
    this.defaultRoom = '';
    this.waiting = []; // { fields, resolve, reject }: requests made while not online
    this.outbox = new Map(); // cid -> { cid, room | to, text, kind, sent }
    this.keepalive = null;
    this.connection = new Connection(
      socketUrl(location),
      {
        onConnecting: (attempt) => this.#setPhase('connecting', { attempt }),
        onHello: (hello) => this.#onHello(hello),
        onEvent: (event) => this.#onEvent(event),
        onDown: (info) => this.#onDown(info),
        onIgnored: (text, why) => this.state.note(STATUS, `ignored a line from the server (${why}): ${text.slice(0, 120)}`, 'error'),
      },
      connectionOptions,
    );
  }

  #emit(type, detail = {}) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  #setPhase(phase, detail = {}) {
    this.phase = phase;
    this.#emit('phase', { phase, ...detail });
  }

  get online() {
    return this.phase === 'online';
  }

  // Connects and logs in; 'login-failed' (detail: error) if the first log-in is refused.
  start(credentials) {
    this.credentials = { ...credentials };
    this.connection.open();
  }

  // Logs out and closes for good.
  async stop() {
    clearInterval(this.keepalive);
    if (this.connection.isOpen) {
      try {
        await this.connection.request({ op: 'logout' });
      } catch {
        // closing anyway
      }
    }
    this.connection.close();
    this.credentials = null;
    this.#setPhase('offline');
  }

  reconnectNow() {
    return this.connection.reconnectNow();
  }

  // A request through the link: sent now when online, else once back. Resolves with the reply.
  request(fields) {
    if (this.online) return this.connection.request(fields);
    return new Promise((resolve, reject) => this.waiting.push({ fields, resolve, reject }));
  }

  // A message to a room or a user: kept with its cid until the server acknowledges it, and re-sent with the
  // same cid after a reconnect, so that it is stored once however the connection fares.
  sendMessage(target, text, kind = 'text') {
    const item = { cid: newCid(), ...target, text, kind, sent: false };
    this.outbox.set(item.cid, item);
    this.#emit('outbox');
    if (this.online) this.#transmit(item);
  }

  pendingFor(buffer) {
    return [...this.outbox.values()].filter((item) =>
      buffer.kind === 'room' ? item.room === buffer.name : buffer.kind === 'dm' && item.to === buffer.name);
  }

  async #transmit(item) {
    const fields = item.room !== undefined
      ? { op: 'send', room: item.room, text: item.text, cid: item.cid }
      : { op: 'dm', to: item.to, text: item.text, cid: item.cid };
    if (item.kind === 'action') fields.kind = 'action';
    item.sent = true;
    try {
      const reply = await this.connection.request(fields);
      this.outbox.delete(item.cid);
      if (item.to !== undefined) {
        this.state.addDirectMessage({ dm_id: reply.dm_id, from: this.state.me, guest: this.state.meGuest,
          to: reply.to ?? item.to, ts: reply.ts, text: item.text, kind: item.kind });
      }
      this.#emit('outbox');
    } catch (error) {
      item.sent = false;
      if (error instanceof ConnectionLost) return; // re-sent, same cid, once back
      this.outbox.delete(item.cid);
      this.#emit('outbox');
      const key = item.room !== undefined ? roomKey(item.room) : `@${item.to}`;
      this.state.note(this.state.buffers.has(key) ? key : STATUS, describeError(error, item.room !== undefined ? `send to #${item.room}` : `message to ${item.to}`), 'error');
    }
  }

  // Joins a room (a new one: its latest page of history is fetched) and shows it.
  async join(room) {
    const reply = await this.request({ op: 'join', room });
    await this.#afterJoin(reply, null);
    return reply;
  }

  async leave(room) {
    const reply = await this.request({ op: 'leave', room });
    const buffer = this.state.room(reply.room ?? room, false);
    if (buffer) {
      buffer.joined = false;
      this.state.remove(buffer.key);
    }
    return reply;
  }

  // One page of older messages of a room, before the oldest shown (scrolling up).
  async loadOlder(buffer) {
    if (buffer.kind !== 'room' || buffer.reachedStart || buffer.loadingOlder || !this.online) return;
    const before = buffer.lowestNumber;
    if (before === null || before <= 1) {
      buffer.reachedStart = true;
      this.state.changed(buffer);
      return;
    }
    buffer.loadingOlder = true;
    this.state.changed(buffer);
    try {
      const reply = await this.connection.request({ op: 'history', room: buffer.name, before, limit: HISTORY_PAGE });
      const messages = Array.isArray(reply.messages) ? reply.messages : [];
      if (messages.length === 0) buffer.reachedStart = true;
      this.#emit('older-start', { buffer });
      for (const message of messages) this.state.addRoomMessage(buffer.name, message, { fromHistory: true });
      this.#emit('older-end', { buffer });
      if (messages.length > 0 && messages[0].seq <= 1) buffer.reachedStart = true;
    } catch (error) {
      this.state.note(buffer.key, describeError(error, `history of #${buffer.name}`), 'error');
    } finally {
      buffer.loadingOlder = false;
      this.state.changed(buffer);
    }
  }

  async refreshMembers(buffer) {
    try {
      const reply = await this.request({ op: 'members', room: buffer.name });
      buffer.members = new Map();
      for (const member of reply.members ?? []) {
        buffer.members.set(String(member.user), { role: String(member.role ?? 'member'), online: Boolean(member.online) });
      }
      this.state.changed(buffer);
    } catch {
      // the list stays as it was; presence events keep it close
    }
  }

  async #onHello(hello) {
    if (!this.credentials) return;
    this.#setPhase('authenticating', { hello });
    const { mode, name, password } = this.credentials;
    const fields = mode === 'guest' ? { op: 'guest', name } : { op: mode, name, password };
    let reply;
    try {
      reply = await this.connection.request(fields);
    } catch (error) {
      if (error instanceof ConnectionLost) return; // the reconnect tries again
      if (!this.loggedInOnce) {
        this.connection.close();
        this.credentials = null;
        this.#setPhase('offline');
        this.#emit('login-failed', { error });
        return;
      }
      // Refused on a reconnect (throttled, the guest name taken meanwhile): say so and try again later.
      this.state.note(STATUS, describeError(error, 'logging in again'), 'error');
      this.connection.drop();
      return;
    }
    // An account made once is logged in to from now on.
    if (mode === 'register') this.credentials.mode = 'login';
    const first = !this.loggedInOnce;
    this.loggedInOnce = true;
    this.state.me = String(reply.user ?? name);
    this.state.meGuest = Boolean(reply.guest);
    this.defaultRoom = typeof reply.default_room === 'string' ? reply.default_room : '';
    this.#setPhase('resuming', { reply, first });
    if (first) this.#emit('logged-in', { reply });
    else this.state.note(STATUS, `logged in again as ${this.state.me}`);
    await this.#rejoin(reply, first);
  }

  // Joins what the account is a member of, and on the first log-in the server's default room; then every
  // room this page had joined, each from the last seq it saw.
  async #rejoin(reply, first) {
    const names = new Set();
    for (const buffer of this.state.rooms()) if (buffer.joined) names.add(buffer.name);
    for (const entry of Array.isArray(reply.rooms) ? reply.rooms : []) {
      if (typeof entry?.room === 'string') names.add(entry.room);
    }
    if (first && this.defaultRoom) names.add(this.defaultRoom);
    const joins = [...names].map(async (room) => {
      const buffer = this.state.room(room, false);
      const fields = { op: 'join', room };
      if (buffer?.everJoined) fields.since = buffer.lastSeq ?? 0;
      try {
        const joined = await this.connection.request(fields);
        await this.#afterJoin(joined, fields.since ?? null);
      } catch (error) {
        if (error instanceof ConnectionLost) throw error;
        if (buffer) buffer.joined = false;
        this.state.note(buffer ? buffer.key : STATUS, describeError(error, `rejoin #${room}`), 'error');
      }
    });
    try {
      await Promise.all(joins);
    } catch (error) {
      if (error instanceof ConnectionLost) return; // the next connection resumes
      throw error;
    }
    if (!this.connection.isOpen) return;
    this.connection.healthy();
    this.#setPhase('online');
    this.#startKeepalive();
    if (first && !this.state.rooms().some((b) => b.key === this.state.activeKey)) {
      const shown = this.state.room(this.defaultRoom, false) ?? this.state.rooms()[0];
      if (shown) this.state.activate(shown.key);
    }
    for (const item of this.outbox.values()) if (!item.sent) this.#transmit(item);
    const waiting = this.waiting.splice(0);
    for (const { fields, resolve, reject } of waiting) this.connection.request(fields).then(resolve, reject);
  }

  // A join's reply: the room's details, then what it still lacks — its latest page on a first join, the
  // messages a truncated replay left out on a rejoin — and its members.
  async #afterJoin(reply, since) {
    const buffer = this.state.room(String(reply.room));
    const firstJoin = !buffer.everJoined;
    buffer.joined = true;
    buffer.everJoined = true;
    buffer.topic = String(reply.topic ?? '');
    buffer.owner = String(reply.owner ?? '');
    buffer.isPrivate = Boolean(reply.private);
    if (Number.isInteger(reply.last_seq) && (buffer.lastSeq === null || reply.last_seq > buffer.lastSeq) && firstJoin) {
      // Messages up to last_seq come from history below; since then live ones follow the reply.
      buffer.lastSeq = reply.last_seq;
    }
    this.state.changed(buffer);
    if (firstJoin) {
      const page = await this.connection.request({ op: 'history', room: buffer.name, limit: HISTORY_PAGE });
      const messages = Array.isArray(page.messages) ? page.messages : [];
      for (const message of messages) this.state.addRoomMessage(buffer.name, message, { fromHistory: true });
      if (messages.length < HISTORY_PAGE) buffer.reachedStart = true;
      this.state.note(buffer.key, `joined #${buffer.name}${buffer.topic ? ` (topic: ${buffer.topic})` : ''}`);
    } else {
      let missed = Number(reply.replayed) || 0;
      if (reply.truncated && Number.isInteger(reply.history_before)) missed += await this.#catchUp(buffer, since ?? 0, reply.history_before);
      this.state.note(buffer.key, `rejoined #${buffer.name}${missed ? `, ${missed} missed message${missed === 1 ? '' : 's'}` : ''}`);
    }
    this.refreshMembers(buffer);
  }

  // Pages forward through what a truncated replay left out: after `since`, up to `before`.
  async #catchUp(buffer, since, before) {
    let after = since;
    let fetched = 0;
    for (;;) {
      const page = await this.connection.request({ op: 'history', room: buffer.name, after, before, limit: CATCH_UP_PAGE });
      const messages = Array.isArray(page.messages) ? page.messages : [];
      if (messages.length === 0) return fetched;
      for (const message of messages) this.state.addRoomMessage(buffer.name, message);
      fetched += messages.length;
      after = messages[messages.length - 1].seq;
      if (!Number.isInteger(after) || after >= before - 1) return fetched;
    }
  }

  #startKeepalive() {
    clearInterval(this.keepalive);
    this.keepalive = setInterval(async () => {
      if (!this.online) return;
      const timer = setTimeout(() => this.connection.drop(), KEEPALIVE_ANSWER_MS);
      try {
        await this.connection.request({ op: 'ping' });
      } catch {
        // a lost connection reconnects by itself
      } finally {
        clearTimeout(timer);
      }
    }, KEEPALIVE_MS);
  }

  #onDown({ reason, wasOpen, delayMs, attempt }) {
    clearInterval(this.keepalive);
    for (const buffer of this.state.rooms()) {
      if (buffer.joined) buffer.members.forEach((m) => { m.online = false; });
    }
    this.#setPhase('reconnecting', { reason, delayMs, attempt });
    const seconds = (delayMs / 1000).toFixed(1);
    this.state.note(STATUS, `${wasOpen ? 'connection lost' : 'reconnect failed'} (${reason}); reconnecting in ${seconds} s (attempt ${attempt})`);
  }

  #onEvent(event) {
    const state = this.state;
    switch (event.type) {
      case 'msg':
        if (typeof event.room === 'string') {
          state.addRoomMessage(event.room, event);
          if (typeof event.cid === 'string' && this.outbox.has(event.cid) && event.from === state.me) {
            this.outbox.delete(event.cid);
            this.#emit('outbox');
          }
        }
        break;
      case 'dm':
        state.addDirectMessage(event);
        break;
      case 'presence':
        this.#onPresence(event);
        break;
      case 'topic': {
        const buffer = state.room(String(event.room), false);
        if (!buffer) break;
        buffer.topic = String(event.topic ?? '');
        state.changed(buffer);
        state.note(buffer.key, `${event.by} set the topic: ${buffer.topic}`);
        break;
      }
      case 'kicked':
      case 'banned': {
        const buffer = state.room(String(event.room), false);
        const verb = event.type === 'kicked' ? 'kicked you from' : 'banned you from';
        const reason = event.reason ? ` (${event.reason})` : '';
        if (buffer) {
          buffer.joined = false;
          buffer.members.clear();
          state.changed(buffer);
        }
        state.note(buffer ? buffer.key : STATUS, `${event.by} ${verb} #${event.room}${reason}`, 'error');
        this.#emit('buffers-changed');
        break;
      }
      case 'invited':
        state.note(STATUS, `${event.by} invited you to #${event.room} (/join #${event.room})`);
        break;
      case 'shutdown':
        state.note(STATUS, `the server is stopping: ${event.message ?? ''}`);
        break;
      case 'error':
        state.note(STATUS, `error [${event.code}] ${event.message ?? ''}`, 'error');
        break;
      default:
        state.note(STATUS, `ignored an event the client does not know: ${String(event.type).slice(0, 40)}`, 'error');
    }
  }

  #onPresence(event) {
    const buffer = this.state.room(String(event.room), false);
    if (!buffer) return;
    const user = String(event.user);
    const member = buffer.members.get(user);
    const words = { join: 'joined', leave: 'left', disconnect: 'disconnected', kick: 'was kicked', ban: 'was banned' };
    switch (event.action) {
      case 'join':
        buffer.members.set(user, { role: member?.role ?? 'member', online: true });
        break;
      case 'disconnect':
        if (member) member.online = false;
        break;
      case 'leave':
      case 'kick':
      case 'ban':
        buffer.members.delete(user);
        break;
      default:
        return;
    }
    this.state.changed(buffer);
    this.state.note(buffer.key, `${user} ${words[event.action]}`);
  }
}

// "error [forbidden] not a moderator (kick bob)": the code, the server's words, what was attempted.
export function describeError(error, attempted) {
  if (error instanceof ServerError) {
    const retry = Number.isInteger(error.reply.retry_after_ms) ? `; retry in ${Math.ceil(error.reply.retry_after_ms / 1000)} s` : '';
    return `error [${error.code}] ${error.message}${retry} (${attempted})`;
  }
  if (error instanceof ConnectionLost) return `${error.message} (${attempted})`;
  return `${error?.message ?? error} (${attempted})`;
}
