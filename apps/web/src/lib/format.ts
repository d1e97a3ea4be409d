const compact = new Intl.NumberFormat('en', { notation: 'compact', maximumFractionDigits: 1 });
const usd = new Intl.NumberFormat('en', { style: 'currency', currency: 'USD', maximumFractionDigits: 2 });

export function formatTokens(value: number): string {
  return value < 10_000 ? value.toLocaleString('en') : compact.format(value);
}

export function formatUsd(value: number): string {
  return usd.format(value);
}

/** "now", "42 s ago", "5 min ago", "3 h ago", or a date for older times. */
export function formatRelative(iso: string | undefined, now: number): string {
  if (!iso) return '—';
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 5) return 'now';
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ago`;
  return new Date(iso).toLocaleDateString();
}

/** Cards show the start of very long messages; the session page shows all of it. */
export function clampText(text: string, max = 2000): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

export function projectName(path: string | undefined): string {
  if (!path) return '';
  const parts = path.split(/[\\/]/).filter(Boolean);
  return parts[parts.length - 1] ?? path;
}

const integer = new Intl.NumberFormat('en');

/** Exact integers with thousands separators, as the usage tables show them. */
export function formatInteger(value: number): string {
  return integer.format(value);
}

/** Dollars to the cent; amounts under a cent keep four decimals so a cheap call does not read $0.00. */
export function formatCost(value: number): string {
  if (value !== 0 && Math.abs(value) < 0.01) return `$${value.toFixed(4)}`;
  return usd.format(value);
}

/** A byte count for people: 512 B, 14.2 KB, 2.0 MB. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** Local date and time, e.g. "24 Nov 2026, 15:04:05". */
export function formatDateTime(iso: string | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '—';
  return date.toLocaleString('en-GB', {
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
}

/** Time of day only, for transcript rows. */
export function formatTime(iso: string | undefined): string {
  if (!iso) return '';
  const date = new Date(iso);
  return Number.isNaN(date.getTime())
    ? ''
    : date.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}
