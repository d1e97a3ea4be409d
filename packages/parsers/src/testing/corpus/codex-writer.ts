import { iso, type WriterContext } from './context.js';
import { prose, type SeededRandom } from './random.js';

const TOOL = 'codex';
const MODELS = ['gpt-5-codex', 'gpt-5.1-codex-max', 'gpt-5.2-codex', 'gpt-5.2'];
/** What Codex (and ccusage) assume for token counts logged before any `turn_context` named a model. */
const FALLBACK_MODEL = 'gpt-5';
const PROJECTS = ['/home/dev/api-gateway', '/Users/ana/code/rtchess', '/home/dev/données-app'];
/** Codex names folders and files in local time; the corpus machine runs at UTC+1. */
const LOCAL_OFFSET_MS = 3_600_000;

interface Totals {
  input_tokens: number;
  cached_input_tokens: number;
  output_tokens: number;
  reasoning_output_tokens: number;
  total_tokens: number;
}

const ZERO: Totals = {
  input_tokens: 0,
  cached_input_tokens: 0,
  output_tokens: 0,
  reasoning_output_tokens: 0,
  total_tokens: 0,
};

interface Rollout {
  readonly ctx: WriterContext;
  readonly lines: string[];
  time: number;
  model: string | undefined;
  totals: Totals;
  /** True until the first usage after a resume: its totals start again from zero. */
  justResumed: boolean;
  /** The last process's final running totals, while `justResumed`. */
  totalsBeforeResume: Totals;
}

function uuidV7(random: SeededRandom, ms: number): string {
  const time = ms.toString(16).padStart(12, '0');
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${random.hex(3)}-${random.pick(['8', '9', 'a', 'b'])}${random.hex(3)}-${random.hex(12)}`;
}

function localStamp(ms: number): { folder: string; file: string } {
  const local = new Date(ms + LOCAL_OFFSET_MS).toISOString();
  return {
    folder: `${local.slice(0, 4)}/${local.slice(5, 7)}/${local.slice(8, 10)}`,
    file: local.slice(0, 19).replace(/:/g, '-'),
  };
}

/**
 * One Codex rollout: envelope lines with prompts, replies and reasoning written both as response items and
 * as events, tool calls, `token_count` events (per request, totals-only, repeated, rate-limit only) and
 * resumes that restart the totals. Records every billed request in the truth.
 */
export function writeCodexRollout(ctx: WriterContext, startMs: number): void {
  const { random } = ctx;
  if (ctx.rare('codex-legacy', 0.02)) {
    writeLegacyRollout(ctx, startMs);
    return;
  }
  const id = uuidV7(random, startMs);
  const cwd = random.pick(PROJECTS);
  // Early September 2025 builds logged token counts without any turn_context.
  const withoutContext = ctx.rare('codex-without-turn-context', 0.04);
  const rollout: Rollout = {
    ctx,
    lines: [],
    time: startMs,
    model: undefined,
    totals: { ...ZERO },
    justResumed: false,
    totalsBeforeResume: { ...ZERO },
  };
  const meta = () =>
    line(rollout, 'session_meta', {
      id,
      timestamp: iso(rollout.time),
      cwd,
      originator: 'codex_cli_rs',
      cli_version: random.pick(['0.60.1', '0.77.0', '0.98.0']),
      instructions: null,
      source: 'cli',
      model_provider: 'openai',
      git: { commit_hash: random.hex(40), branch: 'main', repository_url: 'git@example.invalid:dev/app.git' },
    });
  meta();
  line(rollout, 'response_item', {
    type: 'message',
    role: 'user',
    content: [
      {
        type: 'input_text',
        text: `<environment_context>\n  <cwd>${cwd}</cwd>\n  <approval_policy>on-request</approval_policy>\n</environment_context>`,
      },
    ],
  });
  const turns = random.int(2, 30);
  let model = random.pick(MODELS);
  for (let turn = 0; turn < turns; turn++) {
    if (turn > 1 && ctx.rare('codex-resume', 0.05)) {
      // A resume: a new process appends to the same file and its cumulative totals start from zero.
      rollout.time += random.int(600, 7200) * 1000;
      meta();
      rollout.totalsBeforeResume = rollout.totals;
      rollout.totals = { ...ZERO };
      rollout.justResumed = true;
    }
    if (random.chance(0.08)) model = random.pick(MODELS);
    writeTurn(rollout, withoutContext ? undefined : model, cwd);
    rollout.time += random.int(30, 1200) * 1000;
  }
  const stamp = localStamp(startMs);
  const name = `rollout-${stamp.file}-${id}.jsonl`;
  const path = ctx.rare('codex-archived', 0.1)
    ? `.codex/archived_sessions/${name}`
    : `.codex/sessions/${stamp.folder}/${name}`;
  ctx.sink.writeLines(path, rollout.lines, rollout.time);
}

function line(rollout: Rollout, type: string, payload: Record<string, unknown>): void {
  rollout.lines.push(JSON.stringify({ timestamp: iso(rollout.time), type, payload }));
  rollout.time += rollout.ctx.random.int(5, 400);
}

function rateLimits(rollout: Rollout): Record<string, unknown> {
  const { random } = rollout.ctx;
  const seconds = Math.floor(rollout.time / 1000);
  return {
    primary: {
      used_percent: random.int(0, 100),
      window_minutes: 300,
      resets_at: seconds + random.int(60, 18_000),
    },
    secondary: {
      used_percent: random.int(0, 100),
      window_minutes: 10080,
      resets_at: seconds + random.int(3600, 604_800),
    },
    credits: { has_credits: false, unlimited: false, balance: '0' },
    plan_type: 'plus',
  };
}

function writeTurn(rollout: Rollout, model: string | undefined, cwd: string): void {
  const { random } = rollout.ctx;
  if (random.chance(0.5))
    line(rollout, 'event_msg', { type: 'token_count', info: null, rate_limits: rateLimits(rollout) });
  if (model) {
    rollout.model = model;
    line(rollout, 'turn_context', {
      cwd,
      approval_policy: 'on-request',
      sandbox_policy: { type: 'workspace-write', network_access: false },
      model,
      effort: random.pick(['low', 'medium', 'high']),
      summary: 'auto',
    });
  }
  const prompt = prose(random, random.int(4, 80));
  line(rollout, 'response_item', {
    type: 'message',
    role: 'user',
    content: [{ type: 'input_text', text: prompt }],
  });
  line(rollout, 'event_msg', { type: 'user_message', message: prompt, images: [] });
  const requests = random.int(1, 5);
  for (let request = 0; request < requests; request++) {
    rollout.time += random.int(1000, 30_000);
    const summary = prose(random, random.int(5, 30));
    line(rollout, 'response_item', {
      type: 'reasoning',
      summary: [{ type: 'summary_text', text: summary }],
      content: null,
      encrypted_content: `gAAAA${random.hex(120)}`,
    });
    line(rollout, 'event_msg', { type: 'agent_reasoning', text: summary });
    if (request < requests - 1) {
      const callId = `call_${random.hex(24)}`;
      line(rollout, 'response_item', {
        type: 'function_call',
        name: 'shell',
        arguments: JSON.stringify({
          command: ['bash', '-lc', random.pick(['rg -n usage src', 'npm test', 'git diff'])],
        }),
        call_id: callId,
      });
      line(rollout, 'response_item', {
        type: 'function_call_output',
        call_id: callId,
        output: JSON.stringify({
          output: prose(random, random.int(5, 400)),
          metadata: { exit_code: 0, duration_seconds: 0.4 },
        }),
      });
    } else {
      const reply = prose(random, random.int(5, 150));
      line(rollout, 'response_item', {
        type: 'message',
        role: 'assistant',
        content: [{ type: 'output_text', text: reply }],
      });
      line(rollout, 'event_msg', { type: 'agent_message', message: reply });
    }
    writeTokenCount(rollout);
  }
}

function writeTokenCount(rollout: Rollout): void {
  const { ctx } = rollout;
  const { random } = ctx;
  const input = random.int(2000, 200_000);
  const cached = random.chance(0.85) ? random.int(0, input) : 0;
  const output = random.int(10, 6000);
  const reasoning = random.chance(0.7) ? random.int(0, output) : 0;
  const last: Totals = {
    input_tokens: input,
    cached_input_tokens: cached,
    output_tokens: output,
    reasoning_output_tokens: reasoning,
    total_tokens: input + output,
  };
  const totals = rollout.totals;
  const next: Totals = {
    input_tokens: totals.input_tokens + input,
    cached_input_tokens: totals.cached_input_tokens + cached,
    output_tokens: totals.output_tokens + output,
    reasoning_output_tokens: totals.reasoning_output_tokens + reasoning,
    total_tokens: totals.total_tokens + input + output,
  };
  // Some builds log only the running totals, right after a resume too (the new process's start from zero;
  // resumes are rare themselves, so the first one shows it).
  const totalsOnly = rollout.justResumed
    ? ctx.rare('codex-resume-totals-only', 0.3, 1)
    : ctx.rare('codex-totals-only', 0.1);
  const info = totalsOnly
    ? { total_token_usage: next, model_context_window: 272_000 }
    : { total_token_usage: next, last_token_usage: last, model_context_window: 272_000 };
  const timestamp = iso(rollout.time);
  line(rollout, 'event_msg', { type: 'token_count', info, rate_limits: rateLimits(rollout) });
  rollout.totals = next;
  const billed = {
    tool: TOOL,
    model: rollout.model ?? FALLBACK_MODEL,
    timestamp,
    inputTokens: input - cached,
    outputTokens: output,
    cacheCreationTokens: 0,
    cacheReadTokens: cached,
    reasoningOutputTokens: reasoning,
  };
  ctx.truth.add(billed);
  if (totalsOnly && rollout.justResumed) {
    // ccusage ignores the new session_meta and diffs field by field against the last process's totals,
    // never below zero (a field that went down gives 0), and skips an event whose fields all give 0.
    const before = rollout.totalsBeforeResume;
    const grown = (field: keyof Totals) => Math.max(0, next[field] - before[field]);
    const seenInput = grown('input_tokens');
    const seenCached = Math.min(grown('cached_input_tokens'), seenInput);
    const seenOutput = grown('output_tokens');
    const seenReasoning = grown('reasoning_output_tokens');
    const difference = ctx.difference('codex-resume-totals-only');
    difference.add(billed, -1);
    if (seenInput + seenCached + seenOutput + seenReasoning > 0) {
      difference.add({
        ...billed,
        inputTokens: seenInput - seenCached,
        outputTokens: seenOutput,
        cacheReadTokens: seenCached,
        reasoningOutputTokens: seenReasoning,
      });
    }
  }
  rollout.justResumed = false;
  if (ctx.rare('codex-repeated-token-count', 0.04)) {
    // Codex sometimes emits the same token_count twice; the second is not a new request.
    line(rollout, 'event_msg', { type: 'token_count', info, rate_limits: rateLimits(rollout) });
  }
}

/** A mid-2025 rollout from before the envelope: a bare header and bare items, no token counts. */
function writeLegacyRollout(ctx: WriterContext, startMs: number): void {
  const { random } = ctx;
  const id = random.uuid();
  const lines = [
    JSON.stringify({ id, timestamp: iso(startMs), instructions: null, git: { branch: 'main' } }),
    JSON.stringify({ record_type: 'state' }),
    JSON.stringify({
      type: 'message',
      role: 'user',
      content: [{ type: 'input_text', text: prose(random, 12) }],
    }),
    JSON.stringify({
      type: 'message',
      role: 'assistant',
      content: [{ type: 'output_text', text: prose(random, 30) }],
    }),
  ];
  const stamp = localStamp(startMs);
  ctx.sink.writeLines(`.codex/sessions/${stamp.folder}/rollout-${stamp.file}-${id}.jsonl`, lines, startMs);
}
