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
