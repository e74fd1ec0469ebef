/**
 * The sandbox's memory: evaluations by id, idempotency keys, and the count of evaluations in
 * flight (pending or running) that the 429 limit is measured against.
 */
import { createHash } from 'node:crypto';
import type { StoredEvaluation } from './record.js';

export type IdempotencyLookup =
  | { kind: 'new' }
  | { kind: 'replay'; evaluation: StoredEvaluation }
  | { kind: 'conflict' };

export class EvaluationStore {
  readonly #evaluations = new Map<string, StoredEvaluation>();
  /** `${org} ${key}` → body hash and evaluation id. */
  readonly #keys = new Map<string, { hash: string; id: string }>();
  #inFlight = 0;

  get inFlight(): number {
    return this.#inFlight;
  }

  add(evaluation: StoredEvaluation, idempotency?: { orgId: string; key: string; hash: string }): void {
    this.#evaluations.set(evaluation.id, evaluation);
    this.#inFlight++;
    if (idempotency) {
      this.#keys.set(`${idempotency.orgId} ${idempotency.key}`, { hash: idempotency.hash, id: evaluation.id });
    }
  }

  get(id: string): StoredEvaluation | undefined {
    return this.#evaluations.get(id.toLowerCase());
  }

  /** Call once, when an evaluation reaches completed or failed. */
  finished(): void {
    this.#inFlight = Math.max(0, this.#inFlight - 1);
  }

  lookupKey(orgId: string, key: string, hash: string): IdempotencyLookup {
    const seen = this.#keys.get(`${orgId} ${key}`);
    if (!seen) return { kind: 'new' };
    if (seen.hash !== hash) return { kind: 'conflict' };
    const evaluation = this.#evaluations.get(seen.id);
    return evaluation ? { kind: 'replay', evaluation } : { kind: 'new' };
  }
}

/**
 * A hash of the request body that ignores key order and whitespace: "the same body" means the
 * same JSON value, however a client serialised it.
 */
export function bodyHash(body: unknown): string {
  const hash = createHash('sha256');
  writeCanonical(body, (s) => hash.update(s));
  return hash.digest('hex');
}

function writeCanonical(value: unknown, write: (s: string) => void): void {
  if (Array.isArray(value)) {
    write('[');
    value.forEach((v, i) => {
      if (i) write(',');
      writeCanonical(v, write);
    });
    write(']');
  } else if (value !== null && typeof value === 'object') {
    write('{');
    Object.keys(value)
      .sort()
      .forEach((k, i) => {
        if (i) write(',');
        write(JSON.stringify(k));
        write(':');
        writeCanonical((value as Record<string, unknown>)[k], write);
      });
    write('}');
  } else if (typeof value === 'string' && value.length > LONG_STRING && JSON_PLAIN.test(value)) {
    // A multi-megabyte data: URI: the same bytes as JSON.stringify would give, without a copy.
    write('"');
    for (let i = 0; i < value.length; i += LONG_STRING) write(value.slice(i, i + LONG_STRING));
    write('"');
  } else {
    write(JSON.stringify(value) ?? 'null');
  }
}

/** Strings longer than this are hashed in slices of this size. */
const LONG_STRING = 1 << 20;
/** Printable ASCII other than `"` and `\`: JSON writes it between quotes unchanged. */
const JSON_PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
