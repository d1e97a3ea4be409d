import { FormatRegistry, type Static, type TSchema } from '@sinclair/typebox';
import { type TypeCheck, TypeCompiler } from '@sinclair/typebox/compiler';
import {
  type ClientFrame,
  ClientFrameSchemas,
  type ClientFrameType,
  type ServerFrame,
  ServerFrameSchemas,
  type ServerFrameType,
} from './frames.js';

/** One reason a value does not match its schema. Issues are data: validation never throws. */
export interface ValidationIssue {
  /** JSON pointer into the value, `''` for the value itself. */
  readonly path: string;
  readonly message: string;
}

export type ValidationResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly issues: readonly ValidationIssue[] };

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;
const MAX_ISSUES = 20;
const compiled = new WeakMap<TSchema, TypeCheck<TSchema>>();

function ensureFormats(): void {
  if (!FormatRegistry.Has('date-time')) {
    FormatRegistry.Set('date-time', (value) => ISO_DATE_TIME.test(value) && !Number.isNaN(Date.parse(value)));
  }
}

function checkerFor<T extends TSchema>(schema: T): TypeCheck<T> {
  let check = compiled.get(schema);
  if (!check) {
    ensureFormats();
    check = TypeCompiler.Compile(schema);
    compiled.set(schema, check);
  }
  return check as TypeCheck<T>;
}

/** Validate any value against any schema of this package. */
export function validate<T extends TSchema>(schema: T, value: unknown): ValidationResult<Static<T>> {
  const check = checkerFor(schema);
  if (check.Check(value)) return { ok: true, value: value as Static<T> };
  const issues: ValidationIssue[] = [];
  for (const error of check.Errors(value)) {
    issues.push({ path: error.path, message: error.message });
    if (issues.length >= MAX_ISSUES) break;
  }
  return { ok: false, issues };
}

function validateTagged<T>(
  schemas: Record<string, TSchema>,
  value: unknown,
  side: 'server' | 'client',
): ValidationResult<T> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, issues: [{ path: '', message: `Expected a ${side} frame object` }] };
  }
  const type = (value as { type?: unknown }).type;
  const schema = typeof type === 'string' && Object.hasOwn(schemas, type) ? schemas[type] : undefined;
  if (!schema) {
    return {
      ok: false,
      issues: [
        {
          path: '/type',
          message: `Unknown ${side} frame type ${JSON.stringify(type)}; expected one of ${Object.keys(schemas).join(', ')}`,
        },
      ],
    };
  }
  return validate(schema, value) as ValidationResult<T>;
}

/** Check a value received from (or about to be sent by) the server. */
export function validateServerFrame(value: unknown): ValidationResult<ServerFrame> {
  return validateTagged<ServerFrame>(ServerFrameSchemas, value, 'server');
}

/** Check a value sent by a client. */
export function validateClientFrame(value: unknown): ValidationResult<ClientFrame> {
  return validateTagged<ClientFrame>(ClientFrameSchemas, value, 'client');
}

function parseJson(text: string): ValidationResult<unknown> {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, issues: [{ path: '', message: `Invalid JSON: ${(error as Error).message}` }] };
  }
}

/** Parse and check one WebSocket text message from the server. */
export function parseServerFrame(text: string): ValidationResult<ServerFrame> {
  const parsed = parseJson(text);
  return parsed.ok ? validateServerFrame(parsed.value) : parsed;
}

/** Parse and check one WebSocket text message from a client. */
export function parseClientFrame(text: string): ValidationResult<ClientFrame> {
  const parsed = parseJson(text);
  return parsed.ok ? validateClientFrame(parsed.value) : parsed;
}

export type { ClientFrameType, ServerFrameType };
