// The browser client's modules that need no page, run in node: mention matching, back-off delays, the order
// and de-duplication of lines, slash-command parsing and tab completion.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Backoff } from '../../client/web/js/backoff.js';
import { completions, InputHistory } from '../../client/web/js/input.js';
import { mentions } from '../../client/web/js/mention.js';
import { parseLine } from '../../client/web/js/commands.js';
import { ChatState } from '../../client/web/js/state.js';

test('a mention is my name as a word of its own, in any case', () => {
  for (const text of ['alice: hi', 'thanks, Alice.', 'ALICE', 'hey alice!', '@alice', '(alice)']) {
    assert.equal(mentions(text, 'alice'), true, text);
  }
  for (const text of ['malice', 'alice2', 'alice_b', 'alice.smith', 'bob', '']) {
    assert.equal(mentions(text, 'alice'), false, text);
  }
  assert.equal(mentions('ping a.b now', 'a.b'), true);
  assert.equal(mentions('ping axb now', 'a.b'), false); // the '.' in a name is no wildcard
});

test('back-off: 0.5 s, 1 s, 2 s, 4 s, then 5 s, within ±20%; reset starts again', () => {
  const exact = new Backoff({ random: () => 0.5 });
  assert.deepEqual([1, 2, 3, 4, 5, 6].map(() => exact.next()), [500, 1000, 2000, 4000, 5000, 5000]);
  exact.reset();
  assert.equal(exact.next(), 500);
  assert.equal(new Backoff({ random: () => 0 }).next(), 400);
  assert.equal(new Backoff({ random: () => 1 }).next(), 600);
});

test('room lines are ordered by seq and kept once, however they come', () => {
  const state = new ChatState();
  state.me = 'alice';
  const message = (seq) => ({ seq, from: 'bob', ts: 1, text: `m${seq}` });
  state.addRoomMessage('general', message(5));
  state.addRoomMessage('general', message(3), { fromHistory: true });
  state.addRoomMessage('general', message(4));
  state.addRoomMessage('general', message(5)); // a replay of one already shown
  state.note('#general', 'a note after 5');
  state.addRoomMessage('general', message(6));
  const buffer = state.room('general');
  assert.deepEqual(buffer.lines.map((l) => l.text), ['m3', 'm4', 'm5', 'a note after 5', 'm6']);
  assert.equal(buffer.lastSeq, 6);
  // Live messages in a buffer not shown are counted; those from history are not.
  assert.equal(buffer.unread, 3);
});

test('a line naming me, or a direct message, is a highlight; my own lines are not counted', () => {
  const state = new ChatState();
  state.me = 'alice';
  state.addRoomMessage('general', { seq: 1, from: 'bob', ts: 1, text: 'alice: look' });
  state.addRoomMessage('general', { seq: 2, from: 'alice', ts: 1, text: 'seen' });
  assert.equal(state.room('general').highlight, true);
  assert.equal(state.room('general').unread, 1);
  assert.equal(state.room('general').lines[0].mention, true);
  state.addDirectMessage({ dm_id: 7, from: 'bob', to: 'alice', ts: 1, text: 'psst' });
  state.addDirectMessage({ dm_id: 7, from: 'bob', to: 'alice', ts: 1, text: 'psst' });
  assert.equal(state.conversation('bob').lines.length, 1);
  assert.equal(state.conversation('bob').highlight, true);
  // A guest of my name is not me.
  state.addRoomMessage('general', { seq: 3, from: 'alice', guest: true, ts: 1, text: 'impostor' });
  assert.equal(state.room('general').lines[2].own, false);
});

test('a typed line: a message, a command with its arguments, //text, or an unknown command', () => {
  assert.deepEqual(parseLine('hello'), { kind: 'message', text: 'hello' });
  assert.deepEqual(parseLine('//shrug'), { kind: 'message', text: '/shrug' });
  const kick = parseLine('/kick mallory #general spamming links');
  assert.equal(kick.kind, 'command');
  assert.equal(kick.command.name, 'kick');
  assert.deepEqual(kick.args, ['mallory', '#general', 'spamming', 'links']);
  assert.equal(parseLine('/part').command.name, 'leave');
  assert.equal(parseLine('/frobnicate').kind, 'usage');
});

test('Tab completes names (addressing them at the start), commands after /, rooms after #', () => {
  const sources = { members: () => ['alice', 'albert', 'bob'], commands: () => ['join', 'kick'], rooms: () => ['general', 'dev'] };
  assert.deepEqual(completions('al', 2, sources).matches, ['albert', 'alice']);
  assert.equal(completions('al', 2, sources).suffix, ': ');
  assert.equal(completions('hi bo', 5, sources).suffix, ' ');
  assert.deepEqual(completions('/jo', 3, sources).matches, ['/join']);
  assert.deepEqual(completions('/join #ge', 9, sources).matches, ['#general']);
});

test('Up recalls the lines typed, the last first; Down comes back to the draft', () => {
  const history = new InputHistory();
  history.push('one');
  history.push('two');
  assert.equal(history.up('draft'), 'two');
  assert.equal(history.up('two'), 'one');
  assert.equal(history.up('one'), null);
  assert.equal(history.down(), 'two');
  assert.equal(history.down(), 'draft');
  assert.equal(history.down(), null);
});
