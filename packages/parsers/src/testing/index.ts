/**
 * @nexus/parsers/testing — the conformance suite every adapter runs, and helpers for adapter tests.
 * Import it from test files only: it depends on vitest.
 */
export { type AdapterConformanceOptions, testAdapter } from './conformance.js';
export { type FileReading, readFileEvents } from './read-file-events.js';
