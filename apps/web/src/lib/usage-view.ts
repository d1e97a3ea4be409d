import type { UsageFields, UsagePeriodReport, UsageSessionReport } from '@nexus/protocol';
import { projectName } from './format';

export const RANGES = ['7', '30', '90', 'all'] as const;
export type RangeKey = (typeof RANGES)[number];

export const GROUPINGS = ['tool', 'model'] as const;
export type Grouping = (typeof GROUPINGS)[number];

export const TABLES = ['model', 'project', 'session', 'day'] as const;
export type TableKey = (typeof TABLES)[number];

const FIELD_KEYS = [
  'inputTokens',
  'outputTokens',
  'cacheCreationTokens',
  'cacheReadTokens',
  'reasoningOutputTokens',
  'totalTokens',
  'costUsd',
] as const satisfies readonly (keyof UsageFields)[];

/** One row of a usage table: the token fields plus what names it. */
export interface UsageRow extends UsageFields {
  key: string;
  /** What the first column shows. */
  label: string;
  tool?: string;
  model?: string;
  projectPath?: string;
  sessionId?: string;
  sessions?: number;
  lastActivity?: string;
  /** The model has no known price: its cost counts as 0. */
  unpriced?: boolean;
}

export function emptyFields(): UsageFields {
  return {
    inputTokens: 0,
    outputTokens: 0,
    cacheCreationTokens: 0,
    cacheReadTokens: 0,
    reasoningOutputTokens: 0,
    totalTokens: 0,
    costUsd: 0,
  };
}

function add(target: UsageFields, source: UsageFields): void {
  for (const key of FIELD_KEYS) target[key] += source[key];
}

function pickFields(source: UsageFields): UsageFields {
  const fields = emptyFields();
  add(fields, source);
  return fields;
}

/** The calendar day (`YYYY-MM-DD`) of an instant in an IANA zone. */
export function dayInZone(instant: Date, timeZone: string): string {
  // en-CA formats dates as YYYY-MM-DD.
  return new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(instant);
}

export function addDays(day: string, days: number): string {
  const [year, month, date] = day.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(year, month - 1, date + days)).toISOString().slice(0, 10);
}

/** `since`/`until` of a range ending today in the zone (inclusive, as the API reads them); none for "all". */
export function rangeQuery(range: RangeKey, timeZone: string, now: Date): { since?: string; until?: string } {
  if (range === 'all') return {};
  const until = dayInZone(now, timeZone);
  return { since: addDays(until, -(Number(range) - 1)), until };
}

/** Every day from `first` to `last` inclusive (a chart shows the days without usage as zero). */
export function daysBetween(first: string, last: string): string[] {
  const days: string[] = [];
  for (let day = first; day <= last && days.length < 50_000; day = addDays(day, 1)) days.push(day);
  return days;
}

export function sumRows(rows: readonly UsageFields[]): UsageFields {
  const totals = emptyFields();
  for (const row of rows) add(totals, row);
  return totals;
}

/** Usage per tool and model over the report's days. */
export function rowsByModel(daily: UsagePeriodReport): UsageRow[] {
  const unpriced = new Set(daily.unpricedModels);
  const rows = new Map<string, UsageRow>();
  for (const day of daily.rows) {
    for (const part of day.breakdown) {
      const key = `${part.tool}\u0000${part.model}`;
      let row = rows.get(key);
      if (!row) {
        row = { key, label: part.model, tool: part.tool, model: part.model, ...emptyFields() };
        if (unpriced.has(part.model)) row.unpriced = true;
        rows.set(key, row);
      }
      add(row, part);
    }
  }
  return [...rows.values()];
}

/** Usage per project folder (sessions of every tool in the same folder together). */
export function rowsByProject(sessions: UsageSessionReport): UsageRow[] {
  const rows = new Map<string, UsageRow>();
  for (const session of sessions.rows) {
    const path = session.projectPath || '(no project)';
    let row = rows.get(path);
    if (!row) {
      row = { key: path, label: projectName(path) || path, projectPath: path, sessions: 0, ...emptyFields() };
      rows.set(path, row);
    }
    row.sessions = (row.sessions ?? 0) + 1;
    if (!row.lastActivity || session.lastActivity > row.lastActivity) row.lastActivity = session.lastActivity;
    add(row, session);
  }
  // Two folders of the same name (/work/api, /old/api) read as "work/api" and "old/api".
  const counts = new Map<string, number>();
  for (const row of rows.values()) counts.set(row.label, (counts.get(row.label) ?? 0) + 1);
  for (const row of rows.values()) {
    if ((counts.get(row.label) ?? 0) > 1 && row.projectPath)
      row.label = row.projectPath.split(/[\\/]/).filter(Boolean).slice(-2).join('/');
  }
  return [...rows.values()];
}

export function rowsBySession(sessions: UsageSessionReport): UsageRow[] {
  const unpriced = new Set(sessions.unpricedModels);
  return sessions.rows.map((session) => {
    const row: UsageRow = {
      key: `${session.tool}\u0000${session.sessionId}`,
      label: session.sessionId,
      tool: session.tool,
      sessionId: session.sessionId,
      projectPath: session.projectPath,
      lastActivity: session.lastActivity,
      model: [...new Set(session.breakdown.map((part) => part.model))].join(', '),
      ...pickFields(session),
    };
    if (session.breakdown.some((part) => unpriced.has(part.model))) row.unpriced = true;
    return row;
  });
}

export function rowsByDay(daily: UsagePeriodReport): UsageRow[] {
  const unpriced = new Set(daily.unpricedModels);
  return daily.rows.map((day) => {
    const row: UsageRow = { key: day.period, label: day.period, ...pickFields(day) };
    if (day.breakdown.some((part) => unpriced.has(part.model))) row.unpriced = true;
    return row;
  });
}

export type SortColumn = 'label' | 'tool' | 'projectPath' | 'sessions' | 'lastActivity' | keyof UsageFields;
export type SortDirection = 'asc' | 'desc';

/** A stable sort: text columns alphabetically, numbers numerically; ties keep their order. */
export function sortRows(
  rows: readonly UsageRow[],
  column: SortColumn,
  direction: SortDirection,
): UsageRow[] {
  const sign = direction === 'asc' ? 1 : -1;
  return [...rows].sort((a, b) => {
    const x = a[column];
    const y = b[column];
    if (typeof x === 'number' || typeof y === 'number') return sign * ((Number(x) || 0) - (Number(y) || 0));
    return sign * String(x ?? '').localeCompare(String(y ?? ''));
  });
}

export interface ChartSeries {
  labels: string[];
  series: { name: string; tool?: string; values: number[] }[];
}

/**
 * Daily cost stacked by tool or by model. With `days` every listed day gets a bar (zero when
 * empty); without, the report's own days. Series are ordered by total cost, largest first.
 */
export function stackedCost(daily: UsagePeriodReport, by: Grouping, days?: readonly string[]): ChartSeries {
  const labels = days ? [...days] : daily.rows.map((row) => row.period);
  const index = new Map(labels.map((label, i) => [label, i]));
  const series = new Map<string, { name: string; tool?: string; values: number[]; total: number }>();
  for (const row of daily.rows) {
    const at = index.get(row.period);
    if (at === undefined) continue;
    for (const part of row.breakdown) {
      const name = by === 'tool' ? part.tool : part.model;
      let entry = series.get(name);
      if (!entry) {
        entry = {
          name,
          values: labels.map(() => 0),
          total: 0,
          ...(by === 'tool' ? { tool: part.tool } : {}),
        };
        series.set(name, entry);
      }
      entry.values[at] = (entry.values[at] ?? 0) + part.costUsd;
      entry.total += part.costUsd;
    }
  }
  return {
    labels,
    series: [...series.values()]
      .sort((a, b) => b.total - a.total)
      .map(({ total: _total, ...entry }) => entry),
  };
}

/** A column of a usage table; its key is also the CSV/JSON field. */
export interface TableColumn {
  key: SortColumn;
  label: string;
  numeric?: boolean;
  format?: (row: UsageRow) => string;
  /** What the totals row shows in this column (token and cost columns). */
  total?: (totals: UsageFields) => string;
}

export interface ExportColumn {
  key: keyof UsageRow;
  label: string;
}

// A cell that starts like a formula would run in a spreadsheet: prefix it so it stays text.
function csvCell(value: unknown): string {
  if (value === undefined || value === null) return '';
  let text = String(value);
  if (typeof value !== 'number' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** CSV of the rows shown, in their order, with a closing totals row. */
export function toCsv(
  columns: readonly ExportColumn[],
  rows: readonly UsageRow[],
  totals: UsageFields,
): string {
  const lines = [columns.map((column) => csvCell(column.label)).join(',')];
  for (const row of rows) lines.push(columns.map((column) => csvCell(row[column.key])).join(','));
  const total: Partial<UsageRow> = totals;
  lines.push(columns.map((column, i) => csvCell(i === 0 ? 'Total' : total[column.key])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
