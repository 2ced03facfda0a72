// Building elements with text only. Nothing here parses markup: every string a user or the server wrote
// becomes a text node, so "<img src=x onerror=alert(1)>" shows as those characters and never runs.
export function el(tag, { className, attrs, text } = {}, ...children) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (attrs) for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = String(text);
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return node;
}

export function clear(node) {
  node.replaceChildren();
}
