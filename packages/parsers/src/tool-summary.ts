import { asRecord, asString } from './json-record.js';

const SUMMARY_LENGTH = 120;

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > SUMMARY_LENGTH ? `${line.slice(0, SUMMARY_LENGTH - 1)}…` : line;
}

/** The argument that best says what a tool call does, by the names agents commonly use. */
const SALIENT_ARGUMENTS = [
  'command',
  'cmd',
  'file_path',
  'path',
  'filePath',
  'pattern',
  'query',
  'url',
  'description',
  'prompt',
];

/**
 * One short line for a tool call, e.g. `Bash: npm test`, `Read: src/x.ts`, `shell: ls -la`.
 * Arrays (Codex's `["bash","-lc","npm test"]`) show their last element, the actual command.
 */
export function summarizeToolCall(name: string, input: unknown): string {
  const args = asRecord(input);
  if (args) {
    for (const key of SALIENT_ARGUMENTS) {
      const value = args[key];
      if (typeof value === 'string' && value.trim()) return oneLine(`${name}: ${value}`);
      if (Array.isArray(value) && value.length > 0) {
        const last = value[value.length - 1];
        if (typeof last === 'string') return oneLine(`${name}: ${last}`);
      }
    }
  }
  return oneLine(name);
}

/** First line of a tool result, for the compact view. */
export function summarizeToolResult(name: string | undefined, content: string): string {
  const first = content.split('\n').find((line) => line.trim() !== '') ?? '';
  return oneLine(name ? `${name} → ${first}` : first);
}

/** Parse a JSON-string argument object (Codex `arguments`) without throwing. */
export function parseArguments(value: unknown): unknown {
  const text = asString(value);
  if (text === undefined) return value;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export { oneLine };
