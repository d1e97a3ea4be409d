/**
 * @nexus/parsers/testing — the conformance suite every adapter runs.
 */
export {};
