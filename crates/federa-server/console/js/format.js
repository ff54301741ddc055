// How values read on screen.

export function when(iso) {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

export function ago(iso) {
  const seconds = Math.round((Date.now() - new Date(iso).getTime()) / 1000);
  if (seconds < 60) return `${Math.max(seconds, 0)} s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)} h ago`;
  return when(iso);
}

export function eur(amount) {
  return amount === undefined || amount === null ? '—' : `€${amount}`;
}

export function short(id) {
  return id ? String(id).slice(0, 8) : '—';
}

export function count(items, key) {
  const counts = new Map();
  for (const item of items) {
    const value = key(item);
    counts.set(value, (counts.get(value) || 0) + 1);
  }
  return [...counts.entries()].sort((a, b) => b[1] - a[1]);
}

export function title(action) {
  return action ? action[0].toUpperCase() + action.slice(1) : action;
}

export function json(value) {
  return JSON.stringify(value, null, 2);
}
