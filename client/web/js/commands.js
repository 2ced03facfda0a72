// The slash commands, the terminal client's (docs/client.md, client/slash_commands.cpp) that make sense in a
// page: each declared once with its arguments and help, parsed from a typed line and carried out through the
// link. A line without a leading '/' is a message to the buffer shown; '//' sends a line starting with '/'.
import { dmKey, roomKey } from './state.js';
import { describeError } from './server_link.js';

const NAME = /^[A-Za-z0-9_.-]{1,32}$/;

// Room arguments: '#name' or 'name' where a room is required; where it is optional only '#name' is one.
function roomName(word) {
  return word?.startsWith('#') ? word.slice(1).toLowerCase() : word?.toLowerCase();
}

export const COMMANDS = [
  { name: 'help', usage: '/help [command]', help: 'list the commands, or show how to use one' },
  { name: 'join', usage: '/join #room', help: 'join a room and show it' },
  { name: 'leave', usage: '/leave [#room]', help: 'leave a room (in a conversation: close it)', aliases: ['part'] },
  { name: 'switch', usage: '/switch #room', help: 'show another joined room' },
  { name: 'rooms', usage: '/rooms', help: 'list the rooms you can see', aliases: ['list'] },
  { name: 'who', usage: '/who [#room]', help: "list a room's members with their roles", aliases: ['names'] },
  { name: 'create', usage: '/create #room [--private] [topic]', help: 'create a room (you own it and join it)' },
  { name: 'topic', usage: '/topic [#room] [text]', help: 'show the topic, or set it (owners and moderators)' },
  { name: 'invite', usage: '/invite USER [#room]', help: 'let a user into a private room' },
  { name: 'kick', usage: '/kick USER [#room] [reason]', help: 'remove a member' },
  { name: 'ban', usage: '/ban USER [#room] [reason]', help: 'remove a user and keep them out' },
  { name: 'unban', usage: '/unban USER [#room]', help: 'lift a ban' },
  { name: 'mod', usage: '/mod USER [#room]', help: 'grant the moderator role (owner only)', aliases: ['moderator'] },
  { name: 'unmod', usage: '/unmod USER [#room]', help: 'revoke the moderator role (owner only)' },
  { name: 'msg', usage: '/msg USER text', help: 'send a direct message' },
  { name: 'query', usage: '/query USER [text]', help: 'open the conversation with USER, and send the text if any' },
  { name: 'me', usage: '/me text', help: 'an action: /me waves shows as * alice waves' },
  { name: 'whois', usage: '/whois USER', help: 'whether USER has an account, is online, and your rooms in common' },
  { name: 'history', usage: '/history [#room] [n]', help: 'the last n messages (default 20, at most 100)' },
  { name: 'clear', usage: '/clear', help: 'clear the buffer shown' },
  { name: 'reconnect', usage: '/reconnect', help: 'while waiting to reconnect, try at once' },
  { name: 'quit', usage: '/quit', help: 'log out', aliases: ['logout'] },
];

const BY_NAME = new Map();
for (const command of COMMANDS) {
  BY_NAME.set(command.name, command);
  for (const alias of command.aliases ?? []) BY_NAME.set(alias, command);
}

export function commandNames() {
  return [...BY_NAME.keys()].sort();
}

// A typed line to { kind: 'message', text } | { kind: 'command', command, args, rest } | { kind: 'usage', text }.
export function parseLine(line) {
  if (!line.startsWith('/')) return { kind: 'message', text: line };
  if (line.startsWith('//')) return { kind: 'message', text: line.slice(1) };
  const match = /^\/(\S+)\s*(.*)$/s.exec(line);
  const command = BY_NAME.get(match?.[1].toLowerCase());
  if (!command) return { kind: 'usage', text: `unknown command /${match?.[1] ?? ''}; /help lists them` };
  const rest = match[2].trim();
  return { kind: 'command', command, rest, args: rest ? rest.split(/\s+/) : [] };
}

// Carries out typed lines. ui: { showLogin(), renderPublicRooms(rooms) }.
export class CommandRunner {
  constructor(state, link, ui) {
    this.state = state;
    this.link = link;
    this.ui = ui;
  }

  note(text, kind = 'note') {
    this.state.note(this.state.activeKey, text, kind);
  }

  usage(command, why) {
    this.note(`${why}; usage: ${command.usage}`, 'error');
  }

  // The room a command acts on: '#room' as its argument at `index`, else the room shown.
  #optionalRoom(args, index) {
    if (args[index]?.startsWith('#')) return { room: roomName(args[index]), used: 1 };
    const active = this.state.active;
    return { room: active.kind === 'room' ? active.name : null, used: 0 };
  }

  async #ask(fields, attempted, onOk) {
    try {
      const reply = await this.link.request(fields);
      onOk?.(reply);
    } catch (error) {
      this.note(describeError(error, attempted), 'error');
    }
  }

  run(line) {
    const parsed = parseLine(line);
    if (parsed.kind === 'usage') return this.note(parsed.text, 'error');
    if (parsed.kind === 'message') return this.#say(parsed.text, 'text');
    return this.#command(parsed);
  }

  #say(text, kind) {
    if (!text.trim()) return;
    const active = this.state.active;
    if (active.kind === 'room') {
      if (!active.joined) return this.note(`not in #${active.name}: /join #${active.name} first`, 'error');
      return this.link.sendMessage({ room: active.name }, text, kind);
    }
    if (active.kind === 'dm') return this.link.sendMessage({ to: active.name }, text, kind);
    return this.note('this is the status buffer: pick a room or a conversation to talk in', 'error');
  }

  #command({ command, args, rest }) {
    const name = command.name;
    switch (name) {
      case 'help': {
        const wanted = args[0] ? BY_NAME.get(args[0].replace(/^\//, '')) : null;
        if (wanted) return this.note(`${wanted.usage}: ${wanted.help}`);
        for (const c of COMMANDS) this.note(`${c.usage}: ${c.help}${c.aliases ? ` (also /${c.aliases.join(', /')})` : ''}`);
        return this.note('Enter sends, Up recalls what you typed, Tab completes names and commands');
      }
      case 'join': {
        if (!args[0]) return this.usage(command, 'missing room');
        const room = roomName(args[0]);
        return this.link.join(room).then(
          (reply) => this.state.activate(roomKey(reply.room)),
          (error) => {
            this.note(describeError(error, `join #${room}`), 'error');
            if (error.code === 'not_found') this.note(`/create #${room} makes one`);
          });
      }
      case 'leave': {
        const active = this.state.active;
        if (!args[0] && active.kind === 'dm') return this.state.remove(active.key);
        const { room } = this.#optionalRoom(args, 0);
        if (!room) return this.usage(command, 'which room?');
        return this.link.leave(room).catch((error) => this.note(describeError(error, `leave #${room}`), 'error'));
      }
      case 'switch': {
        const room = roomName(args[0]);
        if (!room || !this.state.buffers.has(roomKey(room))) return this.usage(command, 'not a joined room');
        return this.state.activate(roomKey(room));
      }
      case 'rooms':
        return this.#ask({ op: 'rooms' }, 'rooms', (reply) => {
          const rooms = Array.isArray(reply.rooms) ? reply.rooms : [];
          this.note(`${rooms.length} room${rooms.length === 1 ? '' : 's'}:`);
          for (const r of rooms) this.note(`#${r.room}  ${r.online}/${r.members} online${r.private ? '  private' : ''}  ${r.topic ?? ''}`);
          this.ui.renderPublicRooms(rooms);
        });
      case 'who': {
        const { room } = this.#optionalRoom(args, 0);
        if (!room) return this.usage(command, 'which room?');
        return this.#ask({ op: 'members', room }, `who #${room}`, (reply) => {
          const members = (reply.members ?? []).map((m) => `${m.user}${m.role !== 'member' ? ` (${m.role})` : ''}${m.online ? '' : ' [away]'}`);
          this.note(`#${room}: ${members.join(', ')}`);
        });
      }
      case 'create': {
        if (!args[0]) return this.usage(command, 'missing room');
        const room = roomName(args[0]);
        let words = args.slice(1);
        const isPrivate = words[0] === '--private' || words[0] === '-p';
        if (isPrivate) words = words.slice(1);
        const fields = { op: 'create', room, private: isPrivate };
        if (words.length) fields.topic = words.join(' ');
        return this.#ask(fields, `create #${room}`, () => this.link.join(room)
          .then((reply) => this.state.activate(roomKey(reply.room)))
          .catch((error) => this.note(describeError(error, `join #${room}`), 'error')));
      }
      case 'topic': {
        const { room, used } = this.#optionalRoom(args, 0);
        if (!room) return this.usage(command, 'which room?');
        const text = args.slice(used).join(' ');
        if (!text) return this.#ask({ op: 'topic', room }, `topic #${room}`, (reply) => this.note(`topic of #${room}: ${reply.topic || '(none)'}`));
        return this.#ask({ op: 'topic', room, topic: text }, `topic #${room}`);
      }
      case 'invite':
      case 'unban':
      case 'mod':
      case 'unmod':
      case 'kick':
      case 'ban': {
        const user = args[0]?.toLowerCase();
        if (!user || !NAME.test(user)) return this.usage(command, 'missing user');
        const { room, used } = this.#optionalRoom(args, 1);
        if (!room) return this.usage(command, 'which room?');
        const fields = name === 'mod' || name === 'unmod'
          ? { op: 'moderator', room, user, grant: name === 'mod' }
          : { op: name, room, user };
        const reason = args.slice(1 + used).join(' ');
        if ((name === 'kick' || name === 'ban') && reason) fields.reason = reason;
        const done = {
          invite: `invited ${user} to #${room}`,
          unban: `${user} is no longer banned from #${room}`,
          mod: `${user} is now a moderator of #${room}`,
          unmod: `${user} is no longer a moderator of #${room}`,
          kick: `kicked ${user} from #${room}`,
          ban: `banned ${user} from #${room}`,
        }[name];
        return this.#ask(fields, `${name} ${user}`, () => this.note(done));
      }
      case 'msg':
      case 'query': {
        const user = args[0]?.toLowerCase();
        if (!user || !NAME.test(user)) return this.usage(command, 'missing user');
        const text = rest.slice(args[0].length).trim();
        if (name === 'msg' && !text) return this.usage(command, 'missing text');
        this.state.conversation(user);
        if (name === 'query') this.state.activate(dmKey(user));
        if (text) this.link.sendMessage({ to: user }, text);
        return undefined;
      }
      case 'me':
        if (!rest) return this.usage(command, 'missing text');
        return this.#say(rest, 'action');
      case 'whois': {
        const user = args[0]?.toLowerCase();
        if (!user) return this.usage(command, 'missing user');
        return this.#ask({ op: 'whois', user }, `whois ${user}`, (reply) => {
          const rooms = (reply.rooms ?? []).map((r) => `#${r}`).join(', ');
          this.note(`${reply.user} ${reply.registered ? 'has an account' : 'is a guest'}, ${reply.online ? 'online' : 'offline'}${rooms ? `; rooms in common: ${rooms}` : ''}`);
        });
      }
      case 'history': {
        const { room, used } = this.#optionalRoom(args, 0);
        if (!room) return this.usage(command, 'which room?');
        const limit = Math.min(Math.max(parseInt(args[used] ?? '20', 10) || 20, 1), 100);
        return this.#ask({ op: 'history', room, limit }, `history #${room}`, (reply) => {
          for (const message of reply.messages ?? []) this.state.addRoomMessage(room, message, { fromHistory: true });
          this.note(`history of #${room}: ${(reply.messages ?? []).length} messages`);
        });
      }
      case 'clear': {
        const buffer = this.state.active;
        buffer.lines = [];
        buffer.byNumber.clear();
        buffer.reachedStart = false;
        return this.state.activate(buffer.key);
      }
      case 'reconnect':
        if (!this.link.reconnectNow()) this.note('not waiting to reconnect: nothing to retry');
        return undefined;
      case 'quit':
        return this.ui.showLogin();
      default:
        return this.note(`/${name} is not available here`, 'error');
    }
  }
}

