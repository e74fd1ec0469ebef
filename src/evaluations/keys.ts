/**
 * The Idempotency-Keys a submission is sent with: derived from its content (so a rerun resumes
 * instead of paying again), the user's own key or prefix, a fresh one under --resubmit, and the
 * suffixes of --runs and resubmissions. offlineKeys works them out without the network.
 */
import type { ReferenceImage } from '../api/types.js';
import type { ImageInput } from '../images/classify.js';
import { decodeDataUri } from '../images/data-uri.js';
import { hashBytes, hashFile } from '../images/local-file.js';
import { freshIdempotencyKey, idempotencyKeyFor } from './idempotency.js';
import { bodyFor, type PreparedSubmission } from './spec.js';

export interface KeyOptions {
  /** The key itself (`--idempotency-key K` of submit, or of a gate that submits one image). */
  idempotencyKey?: string;
  /** `gate --idempotency-key K` over several images: each gets K plus a part of its content key. */
  keyPrefix?: string;
  resubmit?: boolean;
  keySuffix?: string;
}

/** Characters `prefixedKey` adds to a prefix: `-` and 16 hex digits. */
export const KEY_PREFIX_ADDS = 17;

/** `K-<16 hex of the content key>`: one key per distinct request under the user's K. */
function prefixedKey(prefix: string, contentKey: string): string {
  return `${prefix}-${contentKey.replace(/^rfe-/, '').replace(/[^0-9a-f]/gi, '').slice(0, 16)}`;
}

/** The key to send, the content key, and under --resubmit the key a plain rerun will send. */
export function keysFor(contentKey: string, opts: KeyOptions) {
  const suffix = opts.keySuffix ?? '';
  const baseKey = opts.idempotencyKey ?? (opts.keyPrefix !== undefined ? prefixedKey(opts.keyPrefix, contentKey) : opts.resubmit ? freshIdempotencyKey() : contentKey);
  const plainKey = opts.resubmit && opts.idempotencyKey === undefined ? `${contentKey}${suffix}` : undefined;
  return { idempotencyKey: `${baseKey}${suffix}`, contentKey, ...(plainKey ? { plainKey } : {}) };
}

/**
 * The keys a submission will be sent with, worked out without the network (no upload): local
 * files and data: URIs count by the hash of their bytes, as in buildRequest, so the result is the
 * same. The gate uses it before sending anything, to count the evaluations the record already
 * holds (they cost nothing) for --dry-run, --max-cost and the balance check.
 */
export async function offlineKeys(prepared: PreparedSubmission, opts: KeyOptions = {}): Promise<{ idempotencyKey: string; contentKey: string }> {
  return (await offlineKeySet(prepared, [opts.keySuffix ?? ''], opts))[0]!;
}

/**
 * The keys of several submissions of one input that differ only by their key suffix (the runs of
 * `--runs N`: `''`, `-run2`, …), hashing its files once.
 */
export async function offlineKeySet(
  prepared: PreparedSubmission,
  suffixes: readonly string[],
  opts: Omit<KeyOptions, 'keySuffix'> = {},
): Promise<Array<{ idempotencyKey: string; contentKey: string }>> {
  const hashOf = async (input: ImageInput): Promise<string | undefined> => {
    if (input.kind === 'file') return hashFile(input.absPath);
    if (input.kind === 'data') return hashBytes(decodeDataUri(input.uri).bytes);
    return undefined;
  };
  const urlOf = (input: ImageInput): string => (input.kind === 'url' ? input.url : input.kind === 'asset' ? input.ref : '');
  const refs: ReferenceImage[] = [];
  const refHashes: Array<string | undefined> = [];
  for (const ref of prepared.refs) {
    const entry: ReferenceImage = { url: urlOf(ref.input) };
    if (ref.spec.kind !== undefined) entry.kind = ref.spec.kind;
    if (ref.spec.description !== undefined) entry.description = ref.spec.description;
    refs.push(entry);
    refHashes.push(await hashOf(ref.input));
  }
  const body = bodyFor(prepared.spec, urlOf(prepared.image), refs);
  const contentKey = idempotencyKeyFor(body, { image: await hashOf(prepared.image), refs: refHashes });
  return suffixes.map((keySuffix) => keysFor(contentKey, { ...opts, keySuffix: keySuffix || undefined }));
}
