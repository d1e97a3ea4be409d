// Interim corpus generator for the benchmark, used only when @nexus/parsers/testing has no
// generateCorpus: Claude Code session logs shaped like real ones (streamed assistant lines that
// repeat a message id with growing output, tool results, progress records), plus a ground truth.
//   node bench/gen-claude.mjs <home> <megabytes> [seed]
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [home, mb = '50', seedArg = '7'] = process.argv.slice(2);
let seed = Number(seedArg) >>> 0 || 7;
const rand = () => {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const int = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));
const pick = (xs) => xs[Math.floor(rand() * xs.length)];
const hex = (n) => Array.from({ length: n }, () => '0123456789abcdef'[int(0, 15)]).join('');
const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;
const words =
  'the of and to in is that for it as with was on be by this are from at or an but not have all can which'.split(
    ' ',
  );
const text = (bytes) => {
  let s = '';
  while (s.length < bytes) s += `${pick(words)} `;
  return s;
};
const models = [
  'claude-sonnet-4-5-20250929',
  'claude-opus-4-6',
  'claude-haiku-4-5-20251001',
  'claude-opus-4-1-20250805',
];
const target = Number(mb) * 1024 * 1024;
const truth = {};
let written = 0;
let time = Date.parse('2026-01-01T00:00:00Z');
let fileNo = 0;

async function session() {
  const project = `-home-dev-project${int(1, 40)}`;
  const dir = join(home, '.claude', 'projects', project);
  mkdirSync(dir, { recursive: true });
  const id = uuid();
  const out = createWriteStream(join(dir, `${id}.jsonl`));
  const cwd = `/home/dev/project${project.slice(-2)}`;
  const model = pick(models);
  const base = {
    isSidechain: false,
    userType: 'external',
    cwd,
    sessionId: id,
    version: '2.1.39',
    gitBranch: 'main',
  };
  const write = (obj) => {
    const line = `${JSON.stringify(obj)}\n`;
    written += line.length;
    return out.write(line) ? undefined : new Promise((r) => out.once('drain', r));
  };
  time += int(60, 4 * 3600) * 1000;
  const turns = int(5, 120);
  for (let t = 0; t < turns; t++) {
    time += int(2, 90) * 1000;
    await write({
      ...base,
      type: 'user',
      message: { role: 'user', content: text(int(50, 1500)) },
      uuid: uuid(),
      timestamp: new Date(time).toISOString(),
    });
    const msgId = `msg_01${hex(22)}`;
    const requestId = `req_011C${hex(18)}`;
    const usage = {
      input_tokens: int(1, 40),
      cache_creation_input_tokens: int(0, 30000),
      cache_read_input_tokens: int(0, 150000),
      output_tokens: 0,
    };
    const oneHour = rand() < 0.5 ? usage.cache_creation_input_tokens : 0;
    const lines = int(1, 4);
    for (let l = 0; l < lines; l++) {
      time += int(1, 20) * 1000;
      usage.output_tokens = l === lines - 1 ? int(20, 4000) : int(1, 15);
      await write({
        ...base,
        message: {
          model,
          id: msgId,
          type: 'message',
          role: 'assistant',
          content: [
            rand() < 0.5
              ? { type: 'text', text: text(int(20, 3000)) }
              : {
                  type: 'tool_use',
                  id: `toolu_${hex(20)}`,
                  name: 'Bash',
                  input: { command: text(int(10, 200)) },
                },
          ],
          stop_reason: null,
          usage: {
            ...usage,
            cache_creation: {
              ephemeral_5m_input_tokens: usage.cache_creation_input_tokens - oneHour,
              ephemeral_1h_input_tokens: oneHour,
            },
            service_tier: 'standard',
          },
        },
        requestId,
        type: 'assistant',
        uuid: uuid(),
        timestamp: new Date(time).toISOString(),
      });
    }
    const day = new Date(time).toISOString().slice(0, 10);
    const k = `${day}|${model}`;
    truth[k] ??= {
      inputTokens: 0,
      outputTokens: 0,
      cacheCreationTokens: 0,
      cacheReadTokens: 0,
      calls: 0,
    };
    const e = truth[k];
    e.inputTokens += usage.input_tokens;
    e.outputTokens += usage.output_tokens;
    e.cacheCreationTokens += usage.cache_creation_input_tokens;
    e.cacheReadTokens += usage.cache_read_input_tokens;
    e.calls++;
    if (rand() < 0.6) {
      await write({
        ...base,
        type: 'user',
        message: {
          role: 'user',
          content: [{ type: 'tool_result', tool_use_id: `toolu_${hex(20)}`, content: text(int(200, 12000)) }],
        },
        uuid: uuid(),
        timestamp: new Date(time).toISOString(),
      });
    }
    if (rand() < 0.2) {
      await write({
        ...base,
        type: 'progress',
        data: { type: 'hook_progress', hookEvent: 'PostToolUse', command: text(40) },
        uuid: uuid(),
        timestamp: new Date(time).toISOString(),
      });
    }
  }
  await new Promise((r) => out.end(r));
  fileNo++;
}

while (written < target) await session();
writeFileSync(join(home, 'truth-utc.json'), JSON.stringify(truth));
process.stderr.write(`${fileNo} files, ${(written / 1048576).toFixed(1)} MB\n`);
