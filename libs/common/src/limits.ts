import { badInput } from './errors';

/**
 * Limits on what clients send, in one place, used by every edge (GraphQL args, REST params and
 * bodies) and by services for their own fields. Error messages quote at most a short prefix of a
 * bad value (quote()), so a 15 MB string never comes back in a 400 or lands in a log line.
 */
export const LIMITS = {
  /** Any string argument anywhere (a GraphQL arg, a route param), unless a field says less. */
  maxString: 1024,
  /**
   * Documents sent as one string field (LONG_TEXT_FIELDS: a custom model's Keras topology JSON),
   * checked further by their own parser (the engine caps nesting and layers). The request body limit
   * (GRAPHQL_MAX_BYTES) bounds them too.
   */
  maxDocument: 1_000_000,
  /** Names users give things: experiments, datasets, keys, deployments, teams. */
  maxName: 128,
  /** Client-chosen idempotency keys (Stripe allows 255). */
  maxIdempotencyKey: 255,
  /** Nesting of any JSON body or value (predict instances are 3 deep; GraphQL inputs under 10). */
  maxJsonDepth: 64,
  /** Characters of a bad value an error message may quote. */
  quoteChars: 40,
  /** Postgres int columns. */
  int32Max: 2_147_483_647,
} as const;

/** A short, printable prefix of any value for an error message: `"abc…" (15000000 chars)`. */
export function quote(value: unknown, max: number = LIMITS.quoteChars): string {
  let s: string;
  if (typeof value === 'string') s = value;
  else {
    try {
      s = JSON.stringify(value) ?? String(value);
    } catch {
      s = Object.prototype.toString.call(value);
    }
  }
  // Control characters print as escapes so a NUL or an ANSI sequence cannot hide in a message.
  // eslint-disable-next-line no-control-regex
  const visible = (t: string) => t.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (s.length <= max) return typeof value === 'string' ? `"${visible(s)}"` : visible(s);
  const head = visible(s.slice(0, max));
  return typeof value === 'string' ? `"${head}…" (${s.length} chars)` : `${head}… (${s.length} chars)`;
}

// C0 controls except tab, line feed and carriage return; DEL; lone surrogates (invalid UTF-16, which
// Postgres refuses as text).
// eslint-disable-next-line no-control-regex
const BAD_CHARS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why a string is not acceptable text, or undefined when it is. */
export function textProblem(value: string, maxLength: number = LIMITS.maxString): string | undefined {
  if (value.length > maxLength) return `is ${value.length} characters long; at most ${maxLength} allowed`;
  const bad = BAD_CHARS.exec(value);
  if (bad) return `contains a control character (U+${bad[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}) at index ${bad.index}`;
  return undefined;
}

export interface TextRule {
  max?: number;
  /** Empty (or all-blank) strings are refused unless allowed. */
  allowEmpty?: boolean;
  /** A shape the value must have, with a words description for the message. */
  pattern?: RegExp;
  patternHint?: string;
}

/** Checks one user string (length, characters, optional pattern); throws BAD_USER_INPUT naming the field. */
export function checkText(field: string, value: string, rule: TextRule = {}): string {
  if (typeof value !== 'string') throw badInput(`${field} must be a string, got ${quote(value)}`, { field });
  const problem = textProblem(value, rule.max ?? LIMITS.maxString);
  if (problem) throw badInput(`${field} ${problem}`, { field });
  if (!rule.allowEmpty && !value.trim()) throw badInput(`${field} must not be empty`, { field });
  if (rule.pattern && !rule.pattern.test(value)) {
    throw badInput(`${field} ${quote(value)} must be ${rule.patternHint ?? `of the form ${rule.pattern}`}`, { field });
  }
  return value;
}

/** A name users give something: 1-128 characters, no control characters. */
export const checkName = (field: string, value: string, max: number = LIMITS.maxName) => checkText(field, value, { max });

/** Checks an integer against a range (default: what a Postgres int column holds, >= min). */
export function checkInt(field: string, value: number, min = 0, max: number = LIMITS.int32Max): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw badInput(`${field} must be an integer from ${min} to ${max}, got ${quote(value)}`, { field });
  }
  return value;
}

/**
 * The nesting depth of a JSON value, computed without recursion (a value nested 100,000 deep must
 * not overflow the stack here either); stops counting past `limit`.
 */
export function jsonDepth(value: unknown, limit = Infinity): number {
  let max = 0;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (d > max) max = d;
    if (max > limit) return max;
    const children = Array.isArray(v) ? v : Object.values(v as object);
    for (const c of children) if (c !== null && typeof c === 'object') stack.push([c, d + 1]);
  }
  return max;
}

/** Throws BAD_USER_INPUT when a value nests deeper than allowed: call it before any recursive walk. */
export function assertJsonDepth(what: string, value: unknown, maxDepth: number = LIMITS.maxJsonDepth): void {
  if (jsonDepth(value, maxDepth) > maxDepth) throw badInput(`${what} nests deeper than ${maxDepth} levels`, { field: what, maxDepth });
}

/**
 * The nesting depth of raw JSON text, by scanning brackets outside strings: cheap, and safe to run on
 * a body before JSON.parse (used as body-parser's verify hook). Stops at `limit + 1`.
 */
export function rawJsonDepth(bytes: Uint8Array, limit = Infinity): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i];
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      depth++;
      if (depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}

/**
 * Walks every string and number of an input value (GraphQL args, route params) with an explicit
 * stack: strings must be acceptable text of at most `maxString`, numbers finite. Returns the first
 * problem as "path: what", or undefined.
 */
/** Argument fields (by their last name) that hold whole documents: up to LIMITS.maxDocument characters. */
export const LONG_TEXT_FIELDS: ReadonlySet<string> = new Set(['topology']);

export function inputProblem(value: unknown, root: string, maxString: number = LIMITS.maxString, maxDepth: number = LIMITS.maxJsonDepth): string | undefined {
  if (jsonDepth(value, maxDepth) > maxDepth) return `${root} nests deeper than ${maxDepth} levels`;
  const stack: Array<[unknown, string]> = [[value, root]];
  while (stack.length > 0) {
    const [v, path] = stack.pop()!;
    if (typeof v === 'string') {
      const field = path.slice(path.lastIndexOf('.') + 1);
      const problem = textProblem(v, LONG_TEXT_FIELDS.has(field) ? Math.max(maxString, LIMITS.maxDocument) : maxString);
      if (problem) return `${path} ${problem}`;
    } else if (typeof v === 'number') {
      if (!Number.isFinite(v)) return `${path} must be a finite number`;
    } else if (Array.isArray(v)) {
      v.forEach((c, i) => stack.push([c, `${path}[${i}]`]));
    } else if (v !== null && typeof v === 'object' && !(v instanceof Date) && !Buffer.isBuffer(v)) {
      for (const [k, c] of Object.entries(v)) stack.push([c, `${path}.${k.slice(0, 64)}`]);
    }
  }
  return undefined;
}
