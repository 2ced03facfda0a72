// Whether a line names me, as the terminal client decides it (client/mention.cpp): my name as a word of its
// own, in any case — "alice:", "thanks, Alice." — but not inside another word ("malice", "alice2").
const NAME_CHAR = 'A-Za-z0-9_\\-';

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function mentions(text, name) {
  if (!name || typeof text !== 'string') return false;
  // A '.' ends a word unless a name character follows it ("alice." yes, "alice.smith" no).
  const pattern = new RegExp(`(?<![${NAME_CHAR}.])${escapeRegExp(name)}(?![${NAME_CHAR}]|\\.[${NAME_CHAR}])`, 'i');
  return pattern.test(text);
}
