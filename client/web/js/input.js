// The input line's keys: Enter sends (Shift-Enter a new line), Up and Down walk what was typed (the last
// line first), Tab completes a member's name (at the start of the line as "name: ", addressing them), a
// command after '/', or a room after '#'; Tab again cycles through the candidates.
const HISTORY_MAX = 100;

export class InputHistory {
  constructor() {
    this.lines = [];
    this.position = 0; // lines.length: the line being typed
    this.draft = '';
  }

  push(line) {
    if (line && this.lines[this.lines.length - 1] !== line) this.lines.push(line);
    if (this.lines.length > HISTORY_MAX) this.lines.shift();
    this.position = this.lines.length;
    this.draft = '';
  }

  // The line before (Up) or after (Down) the one shown, or null at either end.
  up(current) {
    if (this.position === 0) return null;
    if (this.position === this.lines.length) this.draft = current;
    this.position -= 1;
    return this.lines[this.position];
  }

  down() {
    if (this.position >= this.lines.length) return null;
    this.position += 1;
    return this.position === this.lines.length ? this.draft : this.lines[this.position];
  }
}

// Candidates for the word before the cursor. sources: { members(): string[], commands(): string[],
// rooms(): string[] }.
export function completions(text, cursor, sources) {
  const before = text.slice(0, cursor);
  const start = before.search(/\S*$/);
  const word = before.slice(start);
  const atLineStart = before.slice(0, start).trim() === '';
  let candidates;
  let suffix = ' ';
  if (word.startsWith('/') && atLineStart) {
    candidates = sources.commands().map((c) => `/${c}`);
  } else if (word.startsWith('#')) {
    candidates = sources.rooms().map((r) => `#${r}`);
  } else {
    candidates = sources.members();
    if (atLineStart) suffix = ': ';
  }
  const lower = word.toLowerCase();
  const matches = [...new Set(candidates)].filter((c) => c.toLowerCase().startsWith(lower) && c.length > 0).sort();
  return { start, word, matches, suffix };
}

// Wires the keys to a <textarea>. onSubmit(line) gets each line sent.
export class InputLine {
  constructor(textarea, sources, onSubmit) {
    this.textarea = textarea;
    this.sources = sources;
    this.onSubmit = onSubmit;
    this.history = new InputHistory();
    this.cycle = null; // { start, matches, index, suffix, end } while Tab cycles
    textarea.addEventListener('keydown', (event) => this.#onKey(event));
    textarea.addEventListener('input', () => this.#fit());
  }

  #fit() {
    this.textarea.style.height = 'auto';
    this.textarea.style.height = `${this.textarea.scrollHeight}px`;
  }

  submit() {
    const line = this.textarea.value;
    if (!line.trim()) return;
    this.history.push(line);
    this.textarea.value = '';
    this.#fit();
    this.onSubmit(line);
  }

  #set(value) {
    this.textarea.value = value;
    this.textarea.setSelectionRange(value.length, value.length);
    this.#fit();
  }

  #onKey(event) {
    if (event.key !== 'Tab') this.cycle = null;
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      this.submit();
    } else if (event.key === 'ArrowUp' && !this.textarea.value.slice(0, this.textarea.selectionStart).includes('\n')) {
      const line = this.history.up(this.textarea.value);
      if (line !== null) {
        event.preventDefault();
        this.#set(line);
      }
    } else if (event.key === 'ArrowDown' && !this.textarea.value.slice(this.textarea.selectionEnd).includes('\n')) {
      const line = this.history.down();
      if (line !== null) {
        event.preventDefault();
        this.#set(line);
      }
    } else if (event.key === 'Tab' && !event.shiftKey && !event.ctrlKey && !event.altKey) {
      this.#complete(event);
    }
  }

  #complete(event) {
    const text = this.textarea.value;
    if (!this.cycle) {
      const { start, matches, suffix } = completions(text, this.textarea.selectionStart, this.sources);
      if (matches.length === 0) return; // Tab moves the focus on as usual
      this.cycle = { start, matches, index: -1, suffix, end: this.textarea.selectionStart, tail: text.slice(this.textarea.selectionStart) };
    }
    event.preventDefault();
    const c = this.cycle;
    c.index = (c.index + 1) % c.matches.length;
    const head = text.slice(0, c.start) + c.matches[c.index] + c.suffix;
    this.textarea.value = head + c.tail;
    this.textarea.setSelectionRange(head.length, head.length);
  }
}
