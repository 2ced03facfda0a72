// A participant on the server's TCP port, as the terminal client and scripts talk to it: NDJSON requests
// with ids, replies matched by id, events kept in order for the test to look at.
import net from 'node:net';

export class TerminalClient {
  static async connect(port) {
    const client = new TerminalClient();
    await new Promise((resolve, reject) => {
      client.socket = net.connect({ host: '127.0.0.1', port }, resolve);
      client.socket.once('error', reject);
    });
    client.socket.setEncoding('utf8');
    client.socket.on('data', (chunk) => client.#receive(chunk));
    client.socket.on('error', () => {});
    await client.waitFor((e) => e.type === 'hello');
    return client;
  }

  constructor() {
    this.buffer = '';
    this.events = [];
    this.pending = new Map();
    this.nextId = 1;
    this.waiters = [];
  }

  #receive(chunk) {
    this.buffer += chunk;
    let newline;
    while ((newline = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, newline);
      this.buffer = this.buffer.slice(newline + 1);
      if (!line.trim()) continue;
      const message = JSON.parse(line);
      if (message.id !== undefined && this.pending.has(message.id)) {
        const { resolve, reject } = this.pending.get(message.id);
        this.pending.delete(message.id);
        if (message.type === 'error') reject(new Error(`${message.code}: ${message.message}`));
        else resolve(message);
        continue;
      }
      this.events.push(message);
      for (const waiter of [...this.waiters]) waiter();
    }
  }

  request(fields) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.socket.write(`${JSON.stringify({ ...fields, id })}\n`);
    });
  }

  // Resolves with the first event that matches, among those seen so far or to come.
  waitFor(predicate, timeoutMs = 10_000) {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.events.find(predicate);
        if (!found) return false;
        this.waiters = this.waiters.filter((w) => w !== check);
        clearTimeout(timer);
        resolve(found);
        return true;
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== check);
        reject(new Error(`no such event within ${timeoutMs} ms; seen: ${JSON.stringify(this.events.slice(-5))}`));
      }, timeoutMs);
      if (!check()) this.waiters.push(check);
    });
  }

  close() {
    this.socket.destroy();
  }
}
