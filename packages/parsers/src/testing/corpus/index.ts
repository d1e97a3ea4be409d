/**
 * @nexus/parsers/corpus — a seeded, realistic home folder of Claude Code, Codex and OpenClaw logs with the
 * exact token sums Nexus must report (for tests and benchmarks). No test-runner dependency.
 */
export { type CorpusOptions, generateCorpus } from './generate.js';
export { truthRowsOfReport } from './report-rows.js';
export { truthInTimeZone } from './time-zone.js';
export type { CorpusTruth, CorpusTruthRow, KnownCcusageDifference } from './truth.js';
