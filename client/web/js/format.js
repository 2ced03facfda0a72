// Times as the terminal client shows them: HH:MM today, the date too for another day.
function pad(n) {
  return String(n).padStart(2, '0');
}

export function formatTime(ts, now = new Date()) {
  const date = new Date(ts);
  if (Number.isNaN(date.getTime())) return '';
  const time = `${pad(date.getHours())}:${pad(date.getMinutes())}`;
  const sameDay = date.getFullYear() === now.getFullYear() && date.getMonth() === now.getMonth() && date.getDate() === now.getDate();
  return sameDay ? time : `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${time}`;
}

// A sender as shown: a guest is marked '~' (names never contain it), so nobody passes for an account.
export function senderName(line) {
  return line.guest ? `~${line.from}` : line.from;
}
