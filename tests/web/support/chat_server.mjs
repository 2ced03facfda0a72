// A real chat-server process for the browser tests: its own temporary folder (config, SQLite file, log),
// the chat port and the HTTP port chosen free on 127.0.0.1 once and kept across restarts, so that a page
// reconnects to the same address after the server comes back.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

async function freePort() {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  server.close();
  await once(server, 'close');
  return port;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export class ChatServer {
  // binary: the chat-server executable; webRoot: the browser client's folder.
  constructor({ binary, webRoot }) {
    if (!binary || !fs.existsSync(binary)) throw new Error(`no chat-server at '${binary}' (set CHAT_SERVER)`);
    this.binary = path.resolve(binary); // the process runs in its own folder
    this.webRoot = webRoot;
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-web-test-'));
    this.child = null;
    this.runs = 0;
  }

  get origin() {
    return `http://127.0.0.1:${this.httpPort}`;
  }

  get logPath() {
    return path.join(this.dir, 'server.log');
  }

  log() {
    try {
      return fs.readFileSync(this.logPath, 'utf8');
    } catch {
      return '';
    }
  }

  async start() {
    if (!this.port) {
      this.port = await freePort();
      this.httpPort = await freePort();
      const config = {
        server: { host: '127.0.0.1', port: this.port, shutdown_timeout_ms: 1000 },
        storage: { path: path.join(this.dir, 'chat.db') },
        // Fast password hashes: the tests log in a few times, and the hash's strength is not what they test.
        auth: { hash_ops_limit: 1, hash_mem_limit_kib: 8 },
        http: { enabled: true, address: '127.0.0.1', port: this.httpPort, web_root: this.webRoot },
      };
      fs.writeFileSync(path.join(this.dir, 'config.json'), JSON.stringify(config, null, 2));
    }
    const ready = path.join(this.dir, 'ready');
    fs.rmSync(ready, { force: true });
    this.runs += 1;
    const out = fs.openSync(this.logPath, 'a');
    this.child = spawn(this.binary, ['--config', path.join(this.dir, 'config.json'), '--ready-file', ready], {
      cwd: this.dir,
      stdio: ['ignore', out, out],
    });
    fs.closeSync(out);
    const exited = once(this.child, 'exit');
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (fs.existsSync(ready) && (await this.#httpReady())) return;
      if (this.child.exitCode !== null) throw new Error(`chat-server exited at start-up:\n${this.log()}`);
      if (Date.now() > deadline) throw new Error(`chat-server did not become ready:\n${this.log()}`);
      await Promise.race([sleep(50), exited]);
    }
  }

  async #httpReady() {
    try {
      const response = await fetch(`${this.origin}/ready`);
      return response.status === 200;
    } catch {
      return false;
    }
  }

  // Whether `origin` upgrades GET /ws to a WebSocket (101), as the browser client needs; false on any other
  // answer (a 404 from a server without the endpoint).
  hasWebSocket(origin = this.origin) {
    return new Promise((resolve) => {
      const request = http.get(`${origin}/ws`, {
        headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13',
          'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==' },
        timeout: 5000,
      });
      request.on('upgrade', (response, socket) => {
        socket.destroy();
        resolve(true);
      });
      request.on('response', (response) => {
        response.resume();
        resolve(false);
      });
      request.on('timeout', () => request.destroy());
      request.on('error', () => resolve(false));
    });
  }

  // SIGKILL: a crash, or the machine's plug pulled; what was acknowledged is on disk.
  async kill() {
    if (!this.child || this.child.exitCode !== null) return;
    const exited = once(this.child, 'exit');
    this.child.kill('SIGKILL');
    await exited;
    this.child = null;
  }

  async stop() {
    if (!this.child || this.child.exitCode !== null) return;
    const exited = once(this.child, 'exit');
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
    this.child = null;
  }

  cleanup() {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
