// One WebSocket to the server at a time, speaking the chat protocol (docs/protocol.md): one JSON request or
// event per text message. Numbers requests and matches replies by id; reconnects with back-off when the
// socket drops, until close(). What a reconnect must redo (log in, rejoin, re-send) is the server link's (server_link.js):
// here every request still waiting for its reply fails with ConnectionLost when its socket goes.
import { Backoff } from './backoff.js';

// A request whose connection ended before its reply came: it may or may not have been carried out.
export class ConnectionLost extends Error {
  constructor(message = 'the connection was lost before the reply came') {
    super(message);
    this.name = 'ConnectionLost';
  }
}

// The server's `error` reply to a request.
export class ServerError extends Error {
  constructor(reply) {
    super(typeof reply.message === 'string' ? reply.message : 'error');
    this.name = 'ServerError';
    this.code = typeof reply.code === 'string' ? reply.code : 'error';
    this.reply = reply;
  }
}

// ws: or wss: to the page's own host, at /ws: the page's Content-Security-Policy allows nothing else.
export function socketUrl(location) {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/ws`;
}

export class Connection {
  // handlers: onConnecting(attempt), onHello(hello), onEvent(event), onDown({ reason, wasOpen, delayMs,
  // attempt }), onIgnored(text, why) — each optional.
  constructor(url, handlers = {}, { backoff = new Backoff(), WebSocketClass = WebSocket } = {}) {
    this.url = url;
    this.handlers = handlers;
    this.backoff = backoff;
    this.WebSocketClass = WebSocketClass;
    this.ws = null;
    this.wasOpen = false;
    this.nextId = 1;
    this.pending = new Map(); // id -> { resolve, reject }
    this.wanted = false;
    this.retryTimer = null;
    this.attempt = 0;
  }

  get isOpen() {
    return this.ws !== null && this.ws.readyState === this.WebSocketClass.OPEN;
  }

  get waitingToRetry() {
    return this.retryTimer !== null;
  }

  open() {
    this.wanted = true;
    if (!this.ws && !this.retryTimer) this.#connect();
  }

  // Ends the connection for good (log-out): no reconnect.
  close() {
    this.wanted = false;
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const ws = this.ws;
    this.ws = null;
    if (ws) ws.close(1000, 'bye');
    this.#failPending();
  }

  // Cuts a back-off wait short; false when there was none.
  reconnectNow() {
    if (!this.retryTimer) return false;
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.#connect();
    return true;
  }

  // Drops the socket as if the network had (a keep-alive that got no answer): the reconnect follows.
  drop() {
    if (this.ws) this.ws.close(4000, 'no answer');
    this.#closed(this.ws, 'the server stopped answering');
  }

  // The connection is good again: the next drop starts the back-off afresh.
  healthy() {
    this.backoff.reset();
    this.attempt = 0;
  }

  // Sends a request; resolves with its `ok` (or `pong`) reply, rejects with ServerError or ConnectionLost.
  request(fields) {
    if (!this.isOpen) return Promise.reject(new ConnectionLost('not connected'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.ws.send(JSON.stringify({ ...fields, id }));
    });
  }

  #connect() {
    this.attempt += 1;
    this.handlers.onConnecting?.(this.attempt);
    let ws;
    try {
      ws = new this.WebSocketClass(this.url);
    } catch (error) {
      this.ws = null;
      this.#scheduleRetry(String(error.message || error), false);
      return;
    }
    this.ws = ws;
    this.wasOpen = false;
    ws.onopen = () => {
      if (ws === this.ws) this.wasOpen = true;
    };
    ws.onmessage = (event) => {
      if (ws === this.ws) this.#receive(event.data);
    };
    ws.onclose = (event) => {
      const reason = event.reason || (this.wasOpen ? 'the server closed the connection' : 'cannot reach the server');
      this.#closed(ws, reason);
    };
    ws.onerror = () => {}; // onclose follows and says it
  }

  #receive(text) {
    let message;
    try {
      message = JSON.parse(text);
    } catch {
      this.handlers.onIgnored?.(text, 'not JSON');
      return;
    }
    if (message === null || typeof message !== 'object' || Array.isArray(message) || typeof message.type !== 'string') {
      this.handlers.onIgnored?.(text, 'not an object with a "type"');
      return;
    }
    const isReply = message.type === 'ok' || message.type === 'pong' || (message.type === 'error' && 'id' in message);
    if (isReply && this.pending.has(message.id)) {
      const { resolve, reject } = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.type === 'error') reject(new ServerError(message));
      else resolve(message);
      return;
    }
    if (isReply) {
      this.handlers.onIgnored?.(text, 'a reply to nothing asked');
      return;
    }
    if (message.type === 'hello') this.handlers.onHello?.(message);
    else this.handlers.onEvent?.(message);
  }

  #closed(ws, reason) {
    if (ws === null || ws !== this.ws) return;
    const wasOpen = this.wasOpen;
    this.ws = null;
    this.#failPending();
    if (!this.wanted) return;
    this.#scheduleRetry(reason, wasOpen);
  }

  #scheduleRetry(reason, wasOpen) {
    const delayMs = this.backoff.next();
    this.handlers.onDown?.({ reason, wasOpen, delayMs, attempt: this.attempt + 1 });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.wanted) this.#connect();
    }, delayMs);
  }

  #failPending() {
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const { reject } of pending) reject(new ConnectionLost());
  }
}
