// Dates as people read them: an absolute local time, and a short age ("5m ago") that the page refreshes.

const pad = (n) => String(n).padStart(2, '0');

/** "2026-12-02 01:23:45", local time. */
export function absoluteTime(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '-';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** "42s", "5m", "3h 20m", "2d 4h": how long ago `iso` was, at `now` (ms). */
export function age(iso, now = Date.now()) {
  const seconds = Math.max(0, Math.floor((now - Date.parse(iso)) / 1000));
  if (!Number.isFinite(seconds)) return '-';
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours}h ${minutes % 60}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}

export const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** A <time> whose age `refreshAges` keeps current; `withAbsolute` shows the date before it. */
export function timeElement(iso, { withAbsolute = false } = {}) {
  const time = document.createElement('time');
  time.dateTime = iso;
  time.title = iso;
  if (withAbsolute) {
    const absolute = document.createElement('span');
    absolute.className = 'absolute';
    absolute.textContent = absoluteTime(iso);
    time.append(absolute, ' ');
  }
  const relative = document.createElement('span');
  relative.className = 'age';
  relative.dataset.since = iso;
  relative.textContent = `${age(iso)} ago`;
  time.append(relative);
  return time;
}

export function refreshAges(root = document) {
  const now = Date.now();
  for (const span of root.querySelectorAll('[data-since]')) span.textContent = `${age(span.dataset.since, now)} ago`;
}
