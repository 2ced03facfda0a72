// The browser client's wiring: the log-in screen, then the chat screen with its state, link, view,
// input line and commands. Nothing connects before the user logs in.
import { ChatState, STATUS } from './state.js';
import { ServerLink, describeError } from './server_link.js';
import { View } from './view.js';
import { CommandRunner, commandNames } from './commands.js';
import { InputLine } from './input.js';

const $ = (id) => document.getElementById(id);

let link = null;

function showLoginScreen(error = '') {
  $('chat-screen').hidden = true;
  $('login-screen').hidden = false;
  $('login-error').textContent = error;
  $('login-password').value = '';
  $('login-name').focus();
}

function startChat(credentials) {
  const state = new ChatState();
  link = new ServerLink(state, window.location);
  const current = link;
  const view = new View(state, link);
  const refreshRooms = () => current.request({ op: 'rooms' })
    .then((reply) => view.renderPublicRooms(Array.isArray(reply.rooms) ? reply.rooms : [], joinRoom))
    .catch(() => {});
  const joinRoom = (room) => current.join(room).then(
    (reply) => {
      state.activate(`#${reply.room}`);
      refreshRooms();
    },
    (error) => state.note(state.activeKey, describeError(error, `join #${room}`), 'error'));
  const ui = {
    showLogin: async () => {
      await current.stop();
      if (link === current) link = null;
      showLoginScreen();
    },
    renderPublicRooms: (rooms) => view.renderPublicRooms(rooms, joinRoom),
  };
  const commands = new CommandRunner(state, link, ui);

  link.addEventListener('logged-in', () => {
    $('login-screen').hidden = true;
    $('chat-screen').hidden = false;
    view.renderBufferList();
    view.showActive();
    $('input').focus();
  });
  link.addEventListener('phase', (e) => {
    if (e.detail.phase === 'online') refreshRooms();
  });
  link.addEventListener('login-failed', (e) => {
    if (link === current) link = null;
    showLoginScreen(describeError(e.detail.error, credentials.mode === 'guest' ? 'guest' : credentials.mode));
  });
  document.addEventListener('visibilitychange', () => state.setVisible(!document.hidden));
  state.setVisible(!document.hidden);

  const sources = {
    members: () => {
      const buffer = state.active;
      const names = new Set(buffer.members.keys());
      for (const line of buffer.lines) if (line.type === 'message') names.add(line.from);
      if (buffer.kind === 'dm') names.add(buffer.name);
      names.delete(state.me);
      return [...names];
    },
    commands: () => commandNames(),
    rooms: () => state.rooms().map((b) => b.name),
  };
  const input = new InputLine($('input'), sources, (line) => commands.run(line));
  $('input-form').onsubmit = (event) => {
    event.preventDefault();
    input.submit();
  };
  $('messages').onscroll = () => {
    if ($('messages').scrollTop < 40) current.loadOlder(state.active);
  };
  $('create-form').onsubmit = (event) => {
    event.preventDefault();
    const name = $('create-name').value.trim().replace(/^#/, '');
    if (!name) return;
    commands.run(`/create #${name}${$('create-private').checked ? ' --private' : ''}`);
    $('create-name').value = '';
  };
  $('dm-form').onsubmit = (event) => {
    event.preventDefault();
    const name = $('dm-name').value.trim();
    if (!name) return;
    commands.run(`/query ${name}`);
    $('dm-name').value = '';
  };
  $('logout-button').onclick = () => ui.showLogin();
  $('menu-button').onclick = () => $('chat-screen').classList.toggle('show-sidebar');
  $('members-button').onclick = () => $('chat-screen').classList.toggle('show-members');
  state.note(STATUS, 'type /help for the commands; Enter sends, Up recalls, Tab completes names');
  link.start(credentials);
}

$('login-form').addEventListener('submit', (event) => {
  event.preventDefault();
  if (link) return; // a log-in is under way
  const mode = event.submitter?.value ?? 'login';
  const name = $('login-name').value.trim();
  const password = $('login-password').value;
  if (!/^[A-Za-z0-9_.-]{1,32}$/.test(name)) {
    $('login-error').textContent = 'a name is 1-32 characters of A-Z a-z 0-9 _ - .';
    return;
  }
  if (mode !== 'guest' && password.length === 0) {
    $('login-error').textContent = 'the password, please (or log in as a guest)';
    return;
  }
  $('login-error').textContent = '';
  startChat({ mode, name, password });
});

$('login-name').focus();
