import type { CallRow } from './call-row.js';

/**
 * Calls in a form that crosses threads cheaply: every string once in a table (a file's calls share
 * their tool, session, project and model), references and numbers in two typed arrays. Cloning the
 * call objects themselves, key by key, cost a backfill's committing thread more than a third of its time.
 */
export interface PackedCalls {
  readonly count: number;
  /** Index 0 is `null`. */
  readonly strings: readonly (string | null)[];
  /** Per call: tool, dedupKey, sessionId, projectPath, model, speed, callId. */
  readonly refs: Uint32Array<ArrayBuffer>;
  /** Per call: ts, bestTotal, input, output, cacheCreation, cacheCreation1h, cacheRead, reasoning, costLog (NaN: null), flags. */
  readonly numbers: Float64Array<ArrayBuffer>;
}

const REFS = 7;
const NUMBERS = 10;
const MODEL_FALLBACK = 1;
const SIDECHAIN = 2;

/** Pack calls; the typed arrays' buffers may then be transferred. */
export function packCalls(calls: readonly CallRow[]): PackedCalls {
  const strings: (string | null)[] = [null];
  const index = new Map<string, number>();
  const ref = (value: string | null): number => {
    if (value === null) return 0;
    let at = index.get(value);
    if (at === undefined) {
      at = strings.push(value) - 1;
      index.set(value, at);
    }
    return at;
  };
  const refs = new Uint32Array(calls.length * REFS);
  const numbers = new Float64Array(calls.length * NUMBERS);
  calls.forEach((call, i) => {
    let r = i * REFS;
    refs[r++] = ref(call.tool);
    refs[r++] = ref(call.dedupKey);
    refs[r++] = ref(call.sessionId);
    refs[r++] = ref(call.projectPath);
    refs[r++] = ref(call.model);
    refs[r++] = ref(call.speed);
    refs[r] = ref(call.callId);
    let n = i * NUMBERS;
    numbers[n++] = call.ts;
    numbers[n++] = call.bestTotal;
    numbers[n++] = call.inputTokens;
    numbers[n++] = call.outputTokens;
    numbers[n++] = call.cacheCreationTokens;
    numbers[n++] = call.cacheCreation1hTokens;
    numbers[n++] = call.cacheReadTokens;
    numbers[n++] = call.reasoning;
    numbers[n++] = call.costLog ?? Number.NaN;
    numbers[n] = (call.modelFallback ? MODEL_FALLBACK : 0) | (call.sidechain ? SIDECHAIN : 0);
  });
  return { count: calls.length, strings, refs, numbers };
}

/** The calls {@link packCalls} packed, appended to `into`. */
export function unpackCalls(packed: PackedCalls, into: CallRow[] = []): CallRow[] {
  const { strings, refs, numbers } = packed;
  const text = (at: number): string => strings[refs[at] ?? 0] ?? '';
  const maybe = (at: number): string | null => strings[refs[at] ?? 0] ?? null;
  for (let i = 0; i < packed.count; i++) {
    const r = i * REFS;
    const n = i * NUMBERS;
    const costLog = numbers[n + 8] ?? Number.NaN;
    const flags = numbers[n + 9] ?? 0;
    // Keys in `callRowOf`'s order: one object shape for every call the ledger handles.
    into.push({
      tool: text(r),
      dedupKey: text(r + 1),
      sessionId: text(r + 2),
      projectPath: text(r + 3),
      model: text(r + 4),
      modelFallback: flags & MODEL_FALLBACK ? 1 : 0,
      speed: maybe(r + 5),
      ts: numbers[n] ?? 0,
      bestTotal: numbers[n + 1] ?? 0,
      inputTokens: numbers[n + 2] ?? 0,
      outputTokens: numbers[n + 3] ?? 0,
      cacheCreationTokens: numbers[n + 4] ?? 0,
      cacheCreation1hTokens: numbers[n + 5] ?? 0,
      cacheReadTokens: numbers[n + 6] ?? 0,
      reasoning: numbers[n + 7] ?? 0,
      costLog: Number.isNaN(costLog) ? null : costLog,
      callId: maybe(r + 6),
      sidechain: flags & SIDECHAIN ? 1 : 0,
    });
  }
  return into;
}
