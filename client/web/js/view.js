// Draws the state into the page: the buffer list with unread counts, the buffer shown (its lines, pending
// sends, topic, members) and the connection state. Every user-supplied string goes in through textContent
// (dom.js): nothing here builds markup from text.
import { clear, el } from './dom.js';
import { formatTime, senderName } from './format.js';
import { STATUS } from './state.js';

const NEAR_BOTTOM_PX = 48;

export class View {
  constructor(state, link, doc = document) {
    this.state = state;
    this.link = link;
    this.doc = doc;
    const $ = (id) => doc.getElementById(id);
    this.chatScreen = $('chat-screen');
    this.messages = $('messages');
    this.outbox = $('outbox');
    this.roomList = $('room-list');
    this.dmList = $('dm-list');
    this.publicRoomList = $('public-room-list');
    this.memberList = $('member-list');
    this.title = $('buffer-title');
    this.topic = $('buffer-topic');
    this.connectionState = $('connection-state');
    this.meName = $('me-name');
    this.lineNodes = new WeakMap(); // line -> <li>
    this.olderAnchor = null;

    state.addEventListener('line', (e) => this.#onLine(e.detail));
    state.addEventListener('active', () => this.showActive());
    state.addEventListener('buffers', () => this.renderBufferList());
    state.addEventListener('details', (e) => {
      if (e.detail.buffer === state.active) this.renderDetails();
      this.renderBufferList();
    });
    link.addEventListener('outbox', () => this.renderOutbox());
    link.addEventListener('phase', (e) => this.renderPhase(e.detail));
    // History pages come in above what is shown: keep the line in view where it was.
    link.addEventListener('older-start', (e) => {
      if (e.detail.buffer === state.active) this.olderAnchor = this.messages.scrollHeight - this.messages.scrollTop;
    });
    link.addEventListener('older-end', (e) => {
      if (e.detail.buffer === state.active && this.olderAnchor !== null) {
        this.messages.scrollTop = this.messages.scrollHeight - this.olderAnchor;
      }
      this.olderAnchor = null;
    });
  }

  #lineNode(buffer, line) {
    let node = this.lineNodes.get(line);
    if (node) return node;
    if (line.type === 'message') {
      const classes = ['msg'];
      if (line.action) classes.push('action');
      if (line.mention) classes.push('mention');
      if (line.own) classes.push('own');
      node = el('li', { className: classes.join(' ') },
        el('time', { text: formatTime(line.ts), attrs: { datetime: new Date(line.ts).toISOString() } }),
        el('span', { className: 'from', text: senderName(line) }),
        el('span', { className: 'text', text: line.text }));
      node.dataset.seq = String(line.number);
      if (buffer.kind === 'room') node.dataset.room = buffer.name;
    } else {
      node = el('li', { className: `msg ${line.type}` },
        el('time', { text: formatTime(line.ts) }),
        el('span', { className: 'text', text: line.text }));
    }
    this.lineNodes.set(line, node);
    return node;
  }

  #nearBottom() {
    const m = this.messages;
    return m.scrollHeight - m.scrollTop - m.clientHeight < NEAR_BOTTOM_PX;
  }

  #onLine({ buffer, line, index }) {
    if (buffer !== this.state.active) return;
    const stick = this.#nearBottom();
    const node = this.#lineNode(buffer, line);
    const next = buffer.lines[index + 1];
    const nextNode = next ? this.lineNodes.get(next) : null;
    if (nextNode && nextNode.parentNode === this.messages) this.messages.insertBefore(node, nextNode);
    else this.messages.append(node);
    if (!next && (stick || line.own)) this.scrollToBottom();
  }

  scrollToBottom() {
    this.messages.scrollTop = this.messages.scrollHeight;
  }

  showActive() {
    const buffer = this.state.active;
    const nodes = buffer.lines.map((line) => this.#lineNode(buffer, line));
    this.messages.replaceChildren(...nodes);
    this.renderDetails();
    this.renderOutbox();
    this.scrollToBottom();
    this.chatScreen.classList.remove('show-sidebar', 'show-members');
  }

  renderDetails() {
    const buffer = this.state.active;
    this.title.textContent = buffer.kind === 'room' ? `#${buffer.name}` : buffer.kind === 'dm' ? buffer.name : 'status';
    this.topic.textContent = buffer.kind === 'room' ? buffer.topic : buffer.kind === 'dm' ? 'direct messages' : '';
    this.topic.title = this.topic.textContent;
    this.messages.dataset.buffer = buffer.key;
    const members = [...buffer.members.entries()].sort(([a, ma], [b, mb]) =>
      Number(mb.online) - Number(ma.online) || a.localeCompare(b));
    clear(this.memberList);
    for (const [user, member] of members) {
      this.memberList.append(el('li', { className: member.online ? 'online' : 'offline' },
        el('span', { className: 'name', text: user }),
        member.role !== 'member' ? el('span', { className: 'role', text: member.role }) : null));
    }
  }

  renderOutbox() {
    const pending = this.link.pendingFor(this.state.active);
    const stick = this.#nearBottom();
    this.outbox.replaceChildren(...pending.map((item) => el('li', { className: `msg pending own${item.kind === 'action' ? ' action' : ''}` },
      el('span', { className: 'from', text: this.state.me }),
      el('span', { className: 'text', text: item.text }))));
    if (stick) this.scrollToBottom();
  }

  #bufferButton(buffer) {
    const label = buffer.kind === 'room' ? `#${buffer.name}` : buffer.name;
    const item = el('li', { className: buffer.key === this.state.activeKey ? 'active' : '' });
    if (buffer.kind === 'room' && !buffer.joined) item.classList.add('parted');
    const button = el('button', { attrs: { type: 'button', 'data-key': buffer.key } },
      el('span', { className: 'name', text: label }),
      buffer.unread ? el('span', { className: `badge${buffer.highlight ? ' highlight' : ''}`, text: `${buffer.unread}${buffer.highlight ? '!' : ''}` }) : null);
    button.addEventListener('click', () => this.state.activate(buffer.key));
    item.append(button);
    return item;
  }

  renderBufferList() {
    const rooms = this.state.rooms().sort((a, b) => a.name.localeCompare(b.name));
    const dms = this.state.conversations().sort((a, b) => a.name.localeCompare(b.name));
    this.roomList.replaceChildren(this.#bufferButton(this.state.buffers.get(STATUS)), ...rooms.map((b) => this.#bufferButton(b)));
    this.dmList.replaceChildren(...dms.map((b) => this.#bufferButton(b)));
    const unread = [...this.state.buffers.values()].reduce((sum, b) => sum + b.unread, 0);
    this.doc.title = unread ? `(${unread}) chat` : 'chat';
  }

  // The public rooms from a `rooms` reply, those not joined with a button to join.
  renderPublicRooms(rooms, onJoin) {
    const joined = new Set(this.state.rooms().filter((b) => b.joined).map((b) => b.name));
    const others = rooms.filter((r) => typeof r.room === 'string' && !joined.has(r.room));
    this.publicRoomList.replaceChildren(...others.map((r) => {
      const button = el('button', { attrs: { type: 'button' } },
        el('span', { className: 'name', text: `#${r.room}` }),
        el('span', { className: 'info', text: `${Number(r.online) || 0}/${Number(r.members) || 0}` }));
      button.title = String(r.topic ?? '');
      button.addEventListener('click', () => onJoin(r.room));
      return el('li', {}, button);
    }));
  }

  renderPhase({ phase, delayMs }) {
    const words = { offline: 'offline', connecting: 'connecting…', authenticating: 'logging in…', resuming: 'catching up…', online: 'online' };
    this.connectionState.dataset.state = phase;
    this.connectionState.textContent = phase === 'reconnecting' ? `reconnecting in ${(delayMs / 1000).toFixed(1)} s` : words[phase] ?? phase;
    this.meName.textContent = this.state.me;
  }
}
