import type { LimitsSnapshot, LimitWindow, UsageBlock, WindowSession } from '@nexus/protocol';

/** Gauge colour: amber from 75%, red from 90%; `reset` once the window has reset since the reading. */
export type LimitLevel = 'ok' | 'warn' | 'danger' | 'reset';

export function limitLevel(usedPercent: number): Exclude<LimitLevel, 'reset'> {
  if (usedPercent >= 90) return 'danger';
  if (usedPercent >= 75) return 'warn';
  return 'ok';
}

/** "2d 4h", "1h 35m", "12m", "<1m". */
export function formatCountdown(ms: number): string {
  const minutes = Math.floor(Math.max(0, ms) / 60_000);
  if (minutes >= 1440) return `${Math.floor(minutes / 1440)}d ${Math.floor((minutes % 1440) / 60)}h`;
  if (minutes >= 60) return `${Math.floor(minutes / 60)}h ${minutes % 60}m`;
  return minutes >= 1 ? `${minutes}m` : '<1m';
}

const TOOL_NAMES: Record<string, string> = { 'claude-code': 'Claude', codex: 'Codex', openclaw: 'OpenClaw' };
export const toolName = (tool: string) => TOOL_NAMES[tool] ?? tool;

const SOURCE_NAMES: Record<LimitWindow['source'], string> = {
  'claude-oauth': "Anthropic's usage endpoint",
  'claude-statusline': 'the Claude Code statusline',
  'codex-log': "Codex's own log",
};

/** One gauge of the panel, ready to render. */
export interface GaugeView {
  readonly key: string;
  readonly title: string;
  readonly usedPercent: number;
  /** Bar width, 0–100. */
  readonly fill: number;
  readonly level: LimitLevel;
  /** "resets in 1h 35m", "reset 12m ago", or "" when the source gave no time. */
  readonly resetText: string;
  /** "as of 7m ago" when the reading is over a minute old, else "". */
  readonly ageText: string;
  /** Tooltip: source, as-of time, and why it may be stale. */
  readonly detail: string;
  readonly topSessions: readonly WindowSession[];
}

/** Gauges for every window, in the snapshot's order. */
export function gaugeViews(snapshot: LimitsSnapshot, now: number): GaugeView[] {
  return snapshot.windows.map((w) => {
    const resetsAt = w.resetsAt === null ? undefined : Date.parse(w.resetsAt);
    const hasReset = resetsAt !== undefined && resetsAt <= now;
    const age = now - Date.parse(w.asOf);
    const stale =
      w.source === 'claude-oauth' &&
      ['rate_limited', 'error', 'unauthorized'].includes(snapshot.claudeUsage.status);
    const detail = [
      `${toolName(w.tool)} ${w.label}: ${formatPercent(w.usedPercent)} used, from ${SOURCE_NAMES[w.source]}`,
      `as of ${new Date(w.asOf).toLocaleString()}`,
      ...(stale
        ? [
            `last poll failed (${snapshot.claudeUsage.lastErrorCode ?? snapshot.claudeUsage.status})` +
              (snapshot.claudeUsage.nextPollAt
                ? `, next try ${new Date(snapshot.claudeUsage.nextPollAt).toLocaleTimeString()}`
                : ''),
          ]
        : []),
    ].join('\n');
    return {
      key: `${w.tool}:${w.window}`,
      title: `${toolName(w.tool)} ${w.label}`,
      usedPercent: w.usedPercent,
      fill: Math.min(100, Math.max(0, w.usedPercent)),
      level: hasReset ? 'reset' : limitLevel(w.usedPercent),
      resetText:
        resetsAt === undefined
          ? ''
          : hasReset
            ? `reset ${formatCountdown(now - resetsAt)} ago`
            : `resets in ${formatCountdown(resetsAt - now)}`,
      ageText: age >= 60_000 || stale ? `as of ${formatCountdown(age)} ago` : '',
      detail,
      topSessions: hasReset ? [] : w.topSessions,
    };
  });
}

export function formatPercent(value: number): string {
  return `${value >= 10 || value === 0 ? Math.round(value) : value.toFixed(1)}%`;
}

/** The active block's burn rate and projection, as two short phrases; `undefined` without a rate. */
export function burnText(
  block: UsageBlock | null,
  now: number,
  usd: (n: number) => string,
  tokens: (n: number) => string,
): { rate: string; projection: string } | undefined {
  if (!block?.burnRate) return undefined;
  const rate = `${usd(block.burnRate.costPerHour)}/h · ${tokens(Math.round(block.burnRate.tokensPerMinute))} tok/min`;
  const left = Date.parse(block.endTime) - now;
  const projection = block.projection
    ? `→ ${usd(block.projection.totalCostUsd)} by block end (${formatCountdown(left)})`
    : '';
  return { rate, projection };
}
