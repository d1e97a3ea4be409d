const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/**
 * Decodes a JSON line with the array after the first `"key":[` replaced by `[]`, without decoding the
 * array's bytes. In valid JSON a quote inside a string is always escaped, so `"key":[` outside a string is
 * a real key. Returns `undefined` when the key is absent or its array does not close on this line (the
 * caller then decodes the line whole and the parser reports what is wrong with it).
 */
export function decodeWithoutArray(bytes: Buffer, marker: Buffer): string | undefined {
  const at = bytes.indexOf(marker);
  if (at === -1) return undefined;
  const open = at + marker.length - 1;
  let depth = 0;
  let index = open;
  while (index < bytes.length) {
    const byte = bytes[index];
    if (byte === QUOTE) {
      index = endOfString(bytes, index);
      if (index === -1) return undefined;
      continue;
    }
    if (byte === OPEN_BRACKET || byte === OPEN_BRACE) depth++;
    else if (byte === CLOSE_BRACKET || byte === CLOSE_BRACE) {
      depth--;
      if (depth === 0) {
        return byte === CLOSE_BRACKET
          ? `${bytes.toString('utf8', 0, open)}[]${bytes.toString('utf8', index + 1)}`
          : undefined;
      }
    }
    index++;
  }
  return undefined;
}

/** Index just after the string that opens at `start`, or -1 if it does not close. */
function endOfString(bytes: Buffer, start: number): number {
  let from = start + 1;
  for (;;) {
    const quote = bytes.indexOf(QUOTE, from);
    if (quote === -1) return -1;
    let backslashes = 0;
    for (let back = quote - 1; back > start && bytes[back] === BACKSLASH; back--) backslashes++;
    if (backslashes % 2 === 0) return quote + 1;
    from = quote + 1;
  }
}

/** The marker `"key":[` of each key, as bytes. */
export function arrayMarkers(keys: readonly string[]): Buffer[] {
  return keys.map((key) => Buffer.from(`${JSON.stringify(key)}:[`));
}
