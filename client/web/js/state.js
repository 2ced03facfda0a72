// What the page knows of the chat, apart from any connection: the buffers (the status buffer, one per room,
// one per conversation), their lines in order, unread counts and highlights, topics and members, and the
// last seq seen per room (what a rejoin asks `since`). No DOM here: the view listens for changes.
//
// A room's lines are ordered by seq and kept once per seq, whatever way they came (live, replayed by a
// rejoin, a history page): so a message is never shown twice nor out of order. A conversation's lines are
// ordered by dm_id the same way. Notes (joins, errors, the client's own remarks) go after the last line
// they followed.
import { mentions } from './mention.js';

export const STATUS = 'status';

export function roomKey(room) {
  return `#${room}`;
}

export function dmKey(user) {
  return `@${user}`;
}

// Orders lines: by number (seq or dm_id), then notes after the message they followed.
function compareOrder(a, b) {
  return a.order[0] - b.order[0] || a.order[1] - b.order[1];
}

// A message line of a buffer, from a room's or a direct message: `number` is its seq or dm_id.
function messageLine(message, number, own) {
  return {
    type: 'message',
    number,
    order: [number, 0],
    from: String(message.from ?? ''),
    guest: Boolean(message.guest),
    ts: Number(message.ts) || 0,
    text: String(message.text ?? ''),
    action: message.kind === 'action',
    own,
    mention: false,
  };
}

export class Buffer {
  constructor(key, kind, name) {
    this.key = key;
    this.kind = kind; // 'status' | 'room' | 'dm'
    this.name = name;
    this.lines = []; // sorted by order
    this.byNumber = new Map(); // seq or dm_id -> line
    this.noteCount = 0;
    this.unread = 0;
    this.highlight = false;
    // rooms
    this.topic = '';
    this.owner = '';
    this.isPrivate = false;
    this.members = new Map(); // user -> { role, online }
    this.joined = false; // joined on the current connection, or to be rejoined on the next
    this.everJoined = false; // a join's reply came once: later joins ask `since`
    this.lastSeq = null; // the highest seq seen
    this.reachedStart = false; // history has nothing older
    this.loadingOlder = false;
  }

  get highestNumber() {
    for (let i = this.lines.length - 1; i >= 0; i -= 1) {
      if (this.lines[i].number !== undefined) return this.lines[i].number;
    }
    return 0;
  }

  get lowestNumber() {
    for (const line of this.lines) {
      if (line.number !== undefined) return line.number;
    }
    return null;
  }

  // Inserts a line in order; returns its index, or -1 when a line of that number is already there.
  insert(line) {
    if (line.number !== undefined) {
      if (this.byNumber.has(line.number)) return -1;
      this.byNumber.set(line.number, line);
    }
    let low = 0;
    let high = this.lines.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (compareOrder(this.lines[mid], line) <= 0) low = mid + 1;
      else high = mid;
    }
    this.lines.splice(low, 0, line);
    return low;
  }
}

export class ChatState extends EventTarget {
  constructor() {
    super();
    this.me = '';
    this.meGuest = false;
    this.buffers = new Map();
    this.buffers.set(STATUS, new Buffer(STATUS, 'status', 'status'));
    this.activeKey = STATUS;
    this.pageVisible = true;
  }

  get active() {
    return this.buffers.get(this.activeKey);
  }

  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  room(name, create = true) {
    return this.#buffer(roomKey(name), 'room', name, create);
  }

  conversation(user, create = true) {
    return this.#buffer(dmKey(user), 'dm', user, create);
  }

  // The buffer under `key`, made (and announced) on first use when `create` is set.
  #buffer(key, kind, name, create) {
    let buffer = this.buffers.get(key);
    if (!buffer && create) {
      buffer = new Buffer(key, kind, name);
      this.buffers.set(key, buffer);
      this.#emit('buffers', {});
    }
    return buffer;
  }

  rooms() {
    return [...this.buffers.values()].filter((b) => b.kind === 'room');
  }

  conversations() {
    return [...this.buffers.values()].filter((b) => b.kind === 'dm');
  }

  activate(key) {
    const buffer = this.buffers.get(key);
    if (!buffer) return;
    this.activeKey = key;
    buffer.unread = 0;
    buffer.highlight = false;
    this.#emit('active', { buffer });
    this.#emit('buffers', {});
  }

  remove(key) {
    if (key === STATUS || !this.buffers.has(key)) return;
    this.buffers.delete(key);
    if (this.activeKey === key) {
      const next = this.rooms()[0] || this.conversations()[0];
      this.activeKey = next ? next.key : STATUS;
      this.#emit('active', { buffer: this.active });
    }
    this.#emit('buffers', {});
  }

  setVisible(visible) {
    this.pageVisible = visible;
    if (visible && this.active.unread) this.activate(this.activeKey);
  }

  #isMine(from, guest) {
    return from === this.me && Boolean(guest) === this.meGuest;
  }

  // Counts a line that arrived in a buffer the user is not looking at.
  #count(buffer, highlight) {
    if (buffer.key === this.activeKey && this.pageVisible) return;
    buffer.unread += 1;
    if (highlight) buffer.highlight = true;
    this.#emit('buffers', {});
  }

  // A room message, from a `msg` event (live or replayed: counted as new) or a history page (not counted).
  addRoomMessage(room, message, { fromHistory = false } = {}) {
    if (!Number.isInteger(message.seq)) return;
    const buffer = this.room(room);
    const own = this.#isMine(message.from, message.guest);
    const line = messageLine(message, message.seq, own);
    line.cid = typeof message.cid === 'string' ? message.cid : undefined;
    line.mention = !own && mentions(line.text, this.me);
    if (buffer.lastSeq === null || message.seq > buffer.lastSeq) buffer.lastSeq = message.seq;
    const index = buffer.insert(line);
    if (index < 0) return;
    this.#emit('line', { buffer, line, index });
    if (!fromHistory && !own) this.#count(buffer, line.mention);
  }

  // A direct message, from a `dm` event or the reply to one I sent.
  addDirectMessage(message) {
    if (!Number.isInteger(message.dm_id)) return;
    const own = this.#isMine(message.from, message.guest);
    const other = own ? String(message.to ?? '') : String(message.from ?? '');
    const buffer = this.conversation(other);
    const line = messageLine(message, message.dm_id, own);
    const index = buffer.insert(line);
    if (index < 0) return;
    this.#emit('line', { buffer, line, index });
    if (!own) this.#count(buffer, true); // a direct message is for me: always a highlight
  }

  // The client's or the server's remark in a buffer (status when `key` is not one): 'note' or 'error'.
  note(key, text, kind = 'note') {
    const buffer = this.buffers.get(key) || this.buffers.get(STATUS);
    buffer.noteCount += 1;
    const line = { type: kind, order: [buffer.highestNumber, buffer.noteCount], ts: Date.now(), text: String(text) };
    const index = buffer.insert(line);
    this.#emit('line', { buffer, line, index });
  }

  // A room's details (topic, members...) changed.
  changed(buffer) {
    this.#emit('details', { buffer });
  }

  // Many lines changed at once (a history page): the view redraws the buffer if it is shown.
  reloaded(buffer, { prepended = false } = {}) {
    this.#emit('reload', { buffer, prepended });
  }
}
