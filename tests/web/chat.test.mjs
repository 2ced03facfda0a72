// The browser client in a real browser (Debian's Chromium, headless, driven by playwright-core) against a
// real chat-server: log-in, chat both ways with a terminal participant on the TCP port, markup in messages
// shown as text, history paging, and a server killed and restarted under the pages, which resume without a
// gap or a duplicate. A screenshot per scenario goes to WEB_SCREENSHOTS_DIR.
//
// Run by ctest (tests/CMakeLists.txt, label `web`) with CHAT_SERVER set to the built binary; by hand:
//   CHAT_SERVER=build/server/chat-server node --test tests/web/
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

import { ChatServer } from './support/chat_server.mjs';
import { TerminalClient } from './support/terminal_client.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repository = path.resolve(here, '..', '..');
const binary = process.env.CHAT_SERVER ?? path.join(repository, 'build', 'server', 'chat-server');
const webRoot = process.env.CHAT_WEB_ROOT ?? path.join(repository, 'client', 'web');
const screenshots = process.env.WEB_SCREENSHOTS_DIR ?? path.join(repository, 'build', 'web-screenshots');
const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const PASSWORD = 'password123';
const XSS = '<img src=x onerror=alert(1)>';
const XSS_SCRIPT = '<script>alert(2)</script><b onmouseover=alert(3)>bold</b>';

// However a browser or a server hangs, the run ends.
const watchdog = setTimeout(() => {
  console.error('web tests: overall timeout (240 s)');
  process.exit(2);
}, 240_000);
watchdog.unref();

let server;
let browser;
let webSocket = false; // the server upgrades /ws
const pages = {}; // name -> { context, page, dialogs, errors }

async function openPage(name, { viewport = { width: 1100, height: 760 } } = {}) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const entry = { context, page, dialogs: [], errors: [] };
  page.on('dialog', async (dialog) => {
    entry.dialogs.push(dialog.message());
    await dialog.dismiss();
  });
  page.on('pageerror', (error) => entry.errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') entry.errors.push(`console: ${message.text()}`);
  });
  pages[name] = entry;
  const response = await page.goto(`${server.origin}/`);
  assert.equal(response.status(), 200);
  return entry;
}

// Said plainly rather than as a time-out: the page talks to the server only through /ws.
function needsWebSocket() {
  assert.ok(webSocket, `${server.origin}/ws is no WebSocket endpoint: this chat-server cannot serve the browser client`);
}

async function logIn(page, name, mode) {
  await page.fill('#login-name', name);
  if (mode !== 'guest') await page.fill('#login-password', PASSWORD);
  await page.click(`#${mode}-button`);
  await page.waitForSelector('#chat-screen:not([hidden])');
  await page.waitForSelector('#connection-state[data-state="online"]');
}

async function say(page, text) {
  await page.fill('#input', text);
  await page.press('#input', 'Enter');
}

// The room messages shown, in order: { seq, from, text, classes }.
function shownMessages(page) {
  return page.$$eval('#messages li[data-seq]', (items) => items.map((li) => ({
    seq: Number(li.dataset.seq),
    from: li.querySelector('.from')?.textContent ?? '',
    text: li.querySelector('.text')?.textContent ?? '',
    classes: li.className,
  })));
}

async function waitForText(page, text, timeout = 10_000) {
  await page.waitForFunction(
    (wanted) => [...document.querySelectorAll('#messages li .text')].some((node) => node.textContent === wanted),
    text, { timeout });
}

async function screenshot(page, name) {
  fs.mkdirSync(screenshots, { recursive: true });
  await page.screenshot({ path: path.join(screenshots, `${name}.png`) });
}

function assertNoGapNoDuplicate(messages) {
  const seqs = messages.map((m) => m.seq);
  for (let i = 1; i < seqs.length; i += 1) {
    assert.equal(seqs[i], seqs[i - 1] + 1, `seqs must follow one another without a gap or a repeat: ${seqs.join(',')}`);
  }
}

before(async () => {
  server = new ChatServer({ binary, webRoot });
  await server.start();
  webSocket = await server.hasWebSocket();
  browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    // Chromium's sandbox refuses to run as root (CI containers); the pages are our own.
    args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
  });
});

after(async () => {
  await browser?.close();
  await server?.stop();
  if (process.exitCode) console.error(`server log:\n${server?.log().slice(-4000)}`);
  server?.cleanup();
});

describe('the browser client', { timeout: 200_000 }, () => {
  test('the page loads with its security headers, no console error and no CSP violation', { timeout: 30_000 }, async () => {
    const response = await fetch(`${server.origin}/`);
    assert.equal(response.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.match(response.headers.get('content-security-policy'), /^default-src 'self'; connect-src 'self';/);
    assert.equal(response.headers.get('x-frame-options'), 'DENY');
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
    const { page, errors } = await openPage('first');
    await page.waitForSelector('#login-form');
    // Every module loaded (an import that failed, or a CSP refusal, would show as an error).
    await page.waitForFunction(() => document.activeElement?.id === 'login-name');
    assert.deepEqual(errors, []);
    await screenshot(page, '01-login');
    await pages.first.context.close();
    delete pages.first;
  });

  test('two browsers and a terminal participant chat both ways in #general', { timeout: 40_000 }, async () => {
    needsWebSocket();
    const alice = await openPage('alice');
    const bob = await openPage('bob');
    await logIn(alice.page, 'alice', 'register');
    await logIn(bob.page, 'bob', 'register');
    for (const { page } of [alice, bob]) {
      await page.waitForFunction(() => document.getElementById('buffer-title').textContent === '#general');
    }
    const carol = await TerminalClient.connect(server.port);
    await carol.request({ op: 'register', name: 'carol', password: PASSWORD });
    await carol.request({ op: 'join', room: 'general' });

    await say(alice.page, 'hello from alice');
    await waitForText(bob.page, 'hello from alice');
    await carol.waitFor((e) => e.type === 'msg' && e.text === 'hello from alice' && e.from === 'alice');

    await say(bob.page, 'hi alice, bob here');
    await waitForText(alice.page, 'hi alice, bob here');
    await carol.waitFor((e) => e.type === 'msg' && e.text === 'hi alice, bob here');

    await carol.request({ op: 'send', room: 'general', text: 'alice: the terminal says hello' });
    await waitForText(alice.page, 'alice: the terminal says hello');
    await waitForText(bob.page, 'alice: the terminal says hello');
    // A line naming me is highlighted; the same line is not one for bob.
    const mention = async (page) => (await shownMessages(page)).at(-1).classes.split(' ').includes('mention');
    assert.equal(await mention(alice.page), true);
    assert.equal(await mention(bob.page), false);

    await say(bob.page, '/me waves');
    await waitForText(alice.page, 'waves');
    const last = (await shownMessages(alice.page)).at(-1);
    assert.deepEqual([last.from, last.text, last.classes.split(' ').includes('action')], ['bob', 'waves', true]);
    await carol.waitFor((e) => e.type === 'msg' && e.text === 'waves' && e.kind === 'action');

    // A direct message opens a conversation with an unread highlight on the other side.
    await say(alice.page, '/msg bob psst, bob');
    await bob.page.waitForSelector('#dm-list button[data-key="@alice"] .badge.highlight');
    await bob.page.click('#dm-list button[data-key="@alice"]');
    await waitForText(bob.page, 'psst, bob');

    // Tab completes a member's name, addressing them at the start of the line; Up recalls the last line.
    await bob.page.click('#room-list button[data-key="#general"]');
    await bob.page.fill('#input', 'al');
    await bob.page.press('#input', 'Tab');
    assert.equal(await bob.page.inputValue('#input'), 'alice: ');
    await bob.page.fill('#input', '');
    await bob.page.press('#input', 'ArrowUp');
    assert.equal(await bob.page.inputValue('#input'), '/me waves');
    await bob.page.fill('#input', '');

    const messages = await shownMessages(alice.page);
    assert.deepEqual(messages.map((m) => m.text),
      ['hello from alice', 'hi alice, bob here', 'alice: the terminal says hello', 'waves']);
    assertNoGapNoDuplicate(messages);
    assert.deepEqual(alice.errors, []);
    await screenshot(alice.page, '02-chat-alice');
    await screenshot(bob.page, '02-chat-bob');
    carol.close();
  });

  test('markup in a message is shown as text and runs nothing', { timeout: 30_000 }, async () => {
    needsWebSocket();
    const { alice, bob } = pages;
    await say(bob.page, XSS);
    const carol = await TerminalClient.connect(server.port);
    await carol.request({ op: 'login', name: 'carol', password: PASSWORD });
    await carol.request({ op: 'join', room: 'general' });
    await carol.request({ op: 'send', room: 'general', text: XSS_SCRIPT });
    carol.close();
    for (const { page } of [alice, bob]) {
      await waitForText(page, XSS);
      await waitForText(page, XSS_SCRIPT);
      assert.equal(await page.locator('#messages img, #messages script, #messages b').count(), 0);
      // Give an onerror handler, had one been made, the time to fire.
      await page.waitForTimeout(300);
    }
    assert.deepEqual(alice.dialogs, []);
    assert.deepEqual(bob.dialogs, []);
    await screenshot(alice.page, '03-markup-as-text');
  });

  test('older messages load when scrolling up, without a gap', { timeout: 40_000 }, async () => {
    needsWebSocket();
    const { bob } = pages;
    const carol = await TerminalClient.connect(server.port);
    await carol.request({ op: 'login', name: 'carol', password: PASSWORD });
    await carol.request({ op: 'create', room: 'busy' });
    for (let i = 1; i <= 80; i += 1) await carol.request({ op: 'send', room: 'busy', text: `busy line ${i}` });
    carol.close();
    await say(bob.page, '/join #busy');
    await bob.page.waitForFunction(() => document.getElementById('buffer-title').textContent === '#busy');
    await waitForText(bob.page, 'busy line 80');
    let shown = await shownMessages(bob.page);
    assert.equal(shown.length, 50, 'a first join shows the latest page');
    assert.equal(shown[0].seq, 31);
    await bob.page.$eval('#messages', (list) => { list.scrollTop = 0; });
    await waitForText(bob.page, 'busy line 1');
    shown = await shownMessages(bob.page);
    assert.equal(shown.length, 80);
    assertNoGapNoDuplicate(shown);
    await screenshot(bob.page, '04-history');
    await bob.page.click('#room-list button[data-key="#general"]');
  });

  test('moderation commands: /create, /topic, /kick for the owner; refused for a member', { timeout: 30_000 }, async () => {
    needsWebSocket();
    const { alice, bob } = pages;
    await say(alice.page, '/create #den a quiet corner');
    await alice.page.waitForFunction(() => document.getElementById('buffer-title').textContent === '#den');
    await say(bob.page, '/join #den');
    await bob.page.waitForFunction(() => document.getElementById('buffer-topic').textContent === 'a quiet corner');
    await say(alice.page, '/topic #den <b>loud</b> corner');
    await bob.page.waitForFunction(() => document.getElementById('buffer-topic').textContent === '<b>loud</b> corner');
    await alice.page.waitForSelector('#member-list li.online >> text=bob');
    await say(bob.page, '/kick alice');
    // Refused, with the server's code and what was attempted.
    await bob.page.waitForFunction(() => [...document.querySelectorAll('#messages li.error .text')]
      .some((n) => n.textContent.startsWith('error [forbidden]') && n.textContent.endsWith('(kick alice)')));
    await say(alice.page, '/kick bob #den too loud');
    await waitForText(bob.page, 'alice kicked you from #den (too loud)');
    await waitForText(alice.page, 'kicked bob from #den');
    await screenshot(bob.page, '05-kicked');
    await bob.page.click('#room-list button[data-key="#general"]');
    await alice.page.click('#room-list button[data-key="#general"]');
  });

  test('a network drop with messages in flight: each stored and shown once', { timeout: 45_000 }, async () => {
    needsWebSocket();
    const dora = await openPage('dora');
    const cutOn = new Set(['"text":"in flight"', '"text":"dm in flight"']);
    const replies = [];
    // Between the page and the server: the first time the page sends one of these, the server gets it but
    // the page's socket is cut before the reply comes back, as a network drop would.
    await dora.context.routeWebSocket(/\/ws$/, (ws) => {
      const upstream = ws.connectToServer();
      let cut = false;
      ws.onMessage((message) => {
        upstream.send(message);
        const trigger = [...cutOn].find((text) => String(message).includes(text));
        if (trigger) {
          cutOn.delete(trigger);
          cut = true;
          setTimeout(() => ws.close({ code: 4000, reason: 'network drop' }), 200);
        }
      });
      upstream.onMessage((message) => {
        const parsed = JSON.parse(message);
        if (parsed.op === 'send' || parsed.op === 'dm') replies.push(parsed);
        if (!cut) ws.send(message);
      });
    });
    await logIn(dora.page, 'dora', 'register');
    await dora.page.waitForFunction(() => document.getElementById('buffer-title').textContent === '#general');

    // A room message: the rejoin's replay shows it stored, so it is not sent again.
    await say(dora.page, 'in flight');
    await dora.page.waitForSelector('#connection-state[data-state="reconnecting"]');
    await dora.page.waitForSelector('#connection-state[data-state="online"]', { timeout: 15_000 });
    await dora.page.waitForSelector('#outbox li', { state: 'detached' });
    for (const { page } of [dora, pages.alice]) {
      await waitForText(page, 'in flight');
      const shown = await shownMessages(page);
      assert.equal(shown.filter((m) => m.text === 'in flight').length, 1);
      assertNoGapNoDuplicate(shown);
    }

    // A direct message has no replay: it is sent again with the same cid, and the server stores it once.
    await say(dora.page, '/msg alice dm in flight');
    await dora.page.waitForSelector('#connection-state[data-state="reconnecting"]');
    await dora.page.waitForSelector('#connection-state[data-state="online"]', { timeout: 15_000 });
    await pages.alice.page.waitForSelector('#dm-list button[data-key="@dora"]');
    await dora.page.click('#dm-list button[data-key="@alice"]');
    await waitForText(dora.page, 'dm in flight');
    const dms = replies.filter((r) => r.op === 'dm');
    assert.equal(dms.length, 2, JSON.stringify(replies));
    assert.equal(dms[1].duplicate, true);
    assert.equal(dms[1].dm_id, dms[0].dm_id);
    await pages.alice.page.click('#dm-list button[data-key="@dora"]');
    await waitForText(pages.alice.page, 'dm in flight');
    assert.equal((await shownMessages(pages.alice.page)).filter((m) => m.text === 'dm in flight').length, 1);
    await screenshot(dora.page, '06-network-drop');
    await pages.alice.page.click('#room-list button[data-key="#general"]');
    await dora.context.close();
    delete pages.dora;
  });

  test('a server killed and restarted: both pages resume without a gap or a duplicate', { timeout: 60_000 }, async () => {
    needsWebSocket();
    const { alice, bob } = pages;
    const before = await shownMessages(alice.page);
    await server.kill();
    for (const { page } of [alice, bob]) {
      await page.waitForSelector('#connection-state[data-state="reconnecting"]');
    }
    // Typed while the server is down: sent, once, when it is back.
    await say(alice.page, 'typed while the server was down');
    await alice.page.waitForSelector('#outbox li.pending');
    // Let the pages' back-off grow, so that the messages below are sent while they are still away.
    await alice.page.waitForTimeout(2500);
    await server.start();
    const carol = await TerminalClient.connect(server.port);
    await carol.request({ op: 'login', name: 'carol', password: PASSWORD });
    await carol.request({ op: 'join', room: 'general', since: before[before.length - 1].seq });
    for (let i = 1; i <= 3; i += 1) await carol.request({ op: 'send', room: 'general', text: `missed ${i}` });

    for (const { page } of [alice, bob]) {
      await page.waitForSelector('#connection-state[data-state="online"]', { timeout: 30_000 });
      await waitForText(page, 'missed 3', 15_000);
      await waitForText(page, 'typed while the server was down', 15_000);
    }
    await alice.page.waitForSelector('#outbox li', { state: 'detached' });
    await carol.waitFor((e) => e.type === 'msg' && e.text === 'typed while the server was down');
    await say(bob.page, 'and live again');
    for (const { page } of [alice, bob]) await waitForText(page, 'and live again');

    for (const { page } of [alice, bob]) {
      const shown = await shownMessages(page);
      assertNoGapNoDuplicate(shown);
      const texts = shown.map((m) => m.text);
      for (const text of ['hello from alice', 'missed 1', 'missed 2', 'missed 3', 'typed while the server was down', 'and live again']) {
        assert.equal(texts.filter((t) => t === text).length, 1, `'${text}' once in ${JSON.stringify(texts)}`);
      }
      assert.equal(shown[0].seq, 1);
    }
    // The terminal saw the message typed while down exactly once, too.
    assert.equal(carol.events.filter((e) => e.type === 'msg' && e.text === 'typed while the server was down').length, 1);
    carol.close();
    await screenshot(alice.page, '07-resumed-alice');
    await screenshot(bob.page, '07-resumed-bob');
  });

  test('on a phone-sized screen a guest reads and writes, the room list behind the menu button', { timeout: 30_000 }, async () => {
    needsWebSocket();
    const phone = await openPage('phone', { viewport: { width: 390, height: 780 } });
    await logIn(phone.page, 'visitor', 'guest');
    await phone.page.waitForFunction(() => document.getElementById('buffer-title').textContent === '#general');
    assert.equal(await phone.page.isVisible('#sidebar'), false);
    await say(phone.page, 'hello from a phone');
    await waitForText(pages.alice.page, 'hello from a phone');
    assert.equal((await shownMessages(pages.alice.page)).at(-1).from, '~visitor');
    await screenshot(phone.page, '08-phone');
    await phone.page.click('#menu-button');
    assert.equal(await phone.page.isVisible('#sidebar'), true);
    await screenshot(phone.page, '08-phone-menu');
  });
});
