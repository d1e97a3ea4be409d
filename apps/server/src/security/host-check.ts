import { networkInterfaces } from 'node:os';
import { isLoopbackHost } from '../config.js';

/** Host header names accepted on every bind. */
const ALWAYS_ALLOWED = ['localhost', '127.0.0.1', '[::1]'];

/**
 * The names a Host header may carry. A DNS-rebinding page reaches us under its own name
 * (`evil.example`), so anything not listed here is refused before it reaches a route.
 */
export function buildAllowedHostNames(bindHost: string, extra: readonly string[]): Set<string> {
  const names = new Set<string>([...ALWAYS_ALLOWED, ...extra.map((name) => name.toLowerCase())]);
  if (!isLoopbackHost(bindHost)) {
    if (bindHost === '0.0.0.0' || bindHost === '::') {
      // A wildcard bind (token required) is reached through any of this machine's addresses.
      for (const addresses of Object.values(networkInterfaces())) {
        for (const address of addresses ?? []) {
          names.add(address.family === 'IPv6' ? `[${address.address}]` : address.address);
        }
      }
    } else {
      names.add(bindHost.includes(':') ? `[${bindHost}]` : bindHost.toLowerCase());
    }
  }
  return names;
}

/** `example.com:3000` → `example.com`; `[::1]:3000` → `[::1]`. */
export function hostNameOf(hostHeader: string): string {
  const trimmed = hostHeader.trim().toLowerCase();
  if (trimmed.startsWith('[')) {
    const end = trimmed.indexOf(']');
    return end === -1 ? trimmed : trimmed.slice(0, end + 1);
  }
  const colon = trimmed.lastIndexOf(':');
  return colon === -1 ? trimmed : trimmed.slice(0, colon);
}

export function isHostAllowed(hostHeader: string | undefined, allowed: ReadonlySet<string>): boolean {
  if (!hostHeader) return false;
  return allowed.has(hostNameOf(hostHeader));
}
