import { randomBytes } from 'node:crypto';
import type { LazyBody, RunflowClient } from '../api/client.js';
import type { Evaluation, EvaluationRequest, ReferenceImage } from '../api/types.js';
import { UsageError } from '../errors.js';
import { classifyImage, type ImageInput } from '../images/classify.js';
import { prepareLocal, resolveImageForSubmit } from '../images/resolve.js';
import type { AssetCache } from '../images/asset-cache.js';
import { idempotencyKeyFor, freshIdempotencyKey } from './idempotency.js';
import { isUuid, maxLength } from '../validate.js';
import { ApiError } from '../api/errors.js';
import { postEvaluation, type SubmitOptions } from '../api/evaluations.js';
import { FIELD_CHARS, MAX_REFERENCES } from '../api/limits.js';
import type { SubmissionRecord } from '../cache/submission-record.js';
import { hashBytes, hashFile } from '../images/local-file.js';
import { decodeDataUri, inlineFileUriLength, writeFileDataUri, type InlineFile } from '../images/data-uri.js';
import type { Clock } from '../clock.js';
import { isTransientPollError, pollDelay } from './poll.js';

/** One reference image as the user gave it. */
export interface RefSpec {
  image: string;
  kind?: string;
  description?: string;
}

/** What to submit for one image, from flags or a manifest item, before anything is resolved. */
export interface SubmissionSpec {
  image: string;
  /** Where relative paths are resolved from (a manifest's folder); default the working directory. */
  baseDir?: string;
  /** Names the source of a value in errors, e.g. `--prompt` or `manifest.jsonl:3 prompt`. */
  label?: (field: string) => string;
  taskType?: string;
  taskDescription?: string;
  prompt?: string;
  instructions?: string;
  attributes?: Record<string, unknown>;
  refs: RefSpec[];
  runId?: string;
  clientRef?: string;
  jobClass?: string;
  callbackUrl?: string;
}

const flagLabel = (field: string) => FLAG_OF[field] ?? field;
const FLAG_OF: Record<string, string> = {
  image: '<image>',
  taskType: '--task-type',
  taskDescription: '--task-description',
  prompt: '--prompt',
  instructions: '--instructions',
  refs: '--ref',
  runId: '--run-id',
  clientRef: '--client-ref',
  jobClass: '--job-class',
  callbackUrl: '--callback-url',
  attributes: '--attr',
};

export interface PreparedSubmission {
  spec: SubmissionSpec;
  image: ImageInput;
  refs: Array<{ spec: RefSpec; input: ImageInput }>;
}

/**
 * Every check that can be made without the network: lengths, UUIDs, URLs, and local files
 * (exist, regular, non-empty, an image by content). Runs for every input before the first request.
 */
export async function prepareSubmission(spec: SubmissionSpec): Promise<PreparedSubmission> {
  const label = spec.label ?? flagLabel;
  if (spec.taskType === undefined || spec.taskType.trim() === '') {
    throw new UsageError(`${label('taskType')} is required (${FIELD_CHARS.task_type[0]}-${FIELD_CHARS.task_type[1]} characters) for ${JSON.stringify(spec.image)}`);
  }
  maxLength(spec.taskType, FIELD_CHARS.task_type[1], label('taskType'), FIELD_CHARS.task_type[0]);
  maxLength(spec.taskDescription, FIELD_CHARS.task_description[1], label('taskDescription'));
  maxLength(spec.prompt, FIELD_CHARS.generation_prompt[1], label('prompt'));
  maxLength(spec.instructions, FIELD_CHARS.evaluation_instructions[1], label('instructions'));
  maxLength(spec.clientRef, FIELD_CHARS.client_ref[1], label('clientRef'));
  maxLength(spec.jobClass, FIELD_CHARS.job_class[1], label('jobClass'));
  if (spec.runId !== undefined && !isUuid(spec.runId)) throw new UsageError(`${label('runId')} ${JSON.stringify(spec.runId)} is not a UUID`);
  if (spec.callbackUrl !== undefined) checkCallbackUrl(spec.callbackUrl, label('callbackUrl'));
  if (spec.refs.length > MAX_REFERENCES) {
    throw new UsageError(`${label('refs')} given ${spec.refs.length} times; the API takes at most ${MAX_REFERENCES} reference images`);
  }
  const image = await checkedImage(spec.image, label('image'), spec.baseDir);
  const refs = [];
  for (const ref of spec.refs) refs.push({ spec: ref, input: await checkedImage(ref.image, label('refs'), spec.baseDir) });
  return { spec, image, refs };
}

function checkCallbackUrl(value: string, flag: string): void {
  maxLength(value, FIELD_CHARS.callback_url[1], flag);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`${flag} ${JSON.stringify(value)} is not a valid URL`);
  }
  if (url.protocol !== 'https:') throw new UsageError(`${flag} must be an https:// URL (got ${url.protocol}//)`);
}

async function checkedImage(value: string, flag: string, baseDir?: string): Promise<ImageInput> {
  const input = classifyImage(value, flag, baseDir);
  await prepareLocal(input);
  return input;
}

export interface BuiltRequest {
  /** With local files sent inline, their URLs here are stand-ins: `lazyBody` is what is sent. */
  body: EvaluationRequest;
  /** Set when local files go inline: the body with their data: URIs, made when it is sent. */
  lazyBody?: LazyBody;
  idempotencyKey: string;
  /** The key the content derives (no --resubmit, no --idempotency-key, no suffix); see SubmissionRecord. */
  contentKey: string;
  /**
   * With --resubmit: the key a plain rerun will send. The new evaluation is recorded under it
   * too, so the next plain run reuses this (newest) verdict rather than the one resubmitted over.
   */
  plainKey?: string;
}

export interface BuildOptions {
  client: RunflowClient;
  cache?: AssetCache;
  baseUrl: string;
  orgId?: string;
  forceUpload?: boolean;
  idempotencyKey?: string;
  /** See KeyOptions.keyPrefix. */
  keyPrefix?: string;
  resubmit?: boolean;
  /** Appended to a content-derived key: `-retry1` for the resubmission of a transient failure. */
  keySuffix?: string;
  signal?: AbortSignal;
}

/** Turns a prepared submission into the request body (uploading local files when needed) and its key. */
export async function buildRequest(prepared: PreparedSubmission, opts: BuildOptions): Promise<BuiltRequest> {
  const resolveCtx = {
    client: opts.client,
    cache: opts.cache,
    forceUpload: opts.forceUpload,
    baseUrl: opts.baseUrl,
    orgId: opts.orgId,
    signal: opts.signal,
    deferInline: true,
  };
  // Inline files are only hashed now; a stand-in holds their place in the body until it is sent.
  const inline: Array<{ token: string; file: InlineFile }> = [];
  const urlOf = (resolved: { url: string; inline?: InlineFile }): string => {
    if (!resolved.inline) return resolved.url;
    const token = `rfe-inline-${randomBytes(12).toString('hex')}`;
    inline.push({ token, file: resolved.inline });
    return token;
  };
  const image = await resolveImageForSubmit(prepared.image, resolveCtx);
  const imageUrl = urlOf(image);
  const refs: ReferenceImage[] = [];
  const refHashes: Array<string | undefined> = [];
  for (const ref of prepared.refs) {
    const resolved = await resolveImageForSubmit(ref.input, resolveCtx);
    const entry: ReferenceImage = { url: urlOf(resolved) };
    if (ref.spec.kind !== undefined) entry.kind = ref.spec.kind;
    if (ref.spec.description !== undefined) entry.description = ref.spec.description;
    refs.push(entry);
    refHashes.push(resolved.contentHash);
  }
  const body = bodyFor(prepared.spec, imageUrl, refs);
  // Stand-ins never reach the key: every inline image counts by its hash.
  const contentKey = idempotencyKeyFor(body, { image: image.contentHash, refs: refHashes });
  return { body, ...(inline.length ? { lazyBody: lazyBodyFor(body, inline) } : {}), ...keysFor(contentKey, opts) };
}

/**
 * The body as sent: its JSON with each stand-in replaced by its file's data: URI, written
 * straight into one buffer of the exact size (no data: URI string, no JSON string of it). Made
 * again for every attempt, from the file, which must still hold the bytes the key was made from.
 */
function lazyBodyFor(body: EvaluationRequest, inline: Array<{ token: string; file: InlineFile }>): LazyBody {
  const json = JSON.stringify(body);
  // A stand-in is plain ASCII, so it appears in the JSON as it is, once, where its URL goes.
  const parts = inline.map((part) => ({ ...part, at: json.indexOf(part.token) })).sort((a, b) => a.at - b.at);
  const size = Buffer.byteLength(json) + parts.reduce((sum, part) => sum + inlineFileUriLength(part.file) - part.token.length, 0);
  return {
    size,
    async encode() {
      const out = Buffer.allocUnsafe(size);
      let at = 0;
      let from = 0;
      for (const part of parts) {
        at += out.write(json.slice(from, part.at), at, 'utf8');
        at = await writeFileDataUri(part.file, out, at);
        from = part.at + part.token.length;
      }
      at += out.write(json.slice(from), at, 'utf8');
      if (at !== size) throw new Error(`internal: request body of ${at} bytes, ${size} expected`);
      return out;
    },
  };
}

/** The request body of a submission (SPEC §3 "submit / gate options"). */
function bodyFor(s: SubmissionSpec, imageUrl: string, refs: ReferenceImage[]): EvaluationRequest {
  const body: EvaluationRequest = { generated_image_url: imageUrl, task_type: s.taskType! };
  if (s.taskDescription !== undefined) body.task_description = s.taskDescription;
  if (s.prompt !== undefined) body.generation_prompt = s.prompt;
  if (s.instructions !== undefined) body.evaluation_instructions = s.instructions;
  if (s.attributes !== undefined) body.input_attributes = s.attributes;
  if (refs.length) body.reference_images = refs;
  if (s.runId !== undefined) body.run_id = s.runId;
  if (s.clientRef !== undefined) body.client_ref = s.clientRef;
  body.job_class = s.jobClass ?? 'standard';
  if (s.callbackUrl !== undefined) body.callback_url = s.callbackUrl;
  return body;
}

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

function keysFor(contentKey: string, opts: KeyOptions) {
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

export interface ReuseOptions {
  /** Undefined: nothing is looked up or recorded (--sandbox). */
  record?: SubmissionRecord;
  /** --resubmit: the record is not consulted (the new evaluation is still recorded). */
  bypass?: boolean;
  /** GET /v1/evaluations/{id}. */
  read: (id: string) => Promise<{ record: Evaluation; text?: string }>;
  debug?: (line: string) => void;
  /**
   * Reading a recorded evaluation is a poll: a 429 (the service's request-rate limit) or 5xx that
   * outlasts the client's own retries is tried again until this deadline, as a wait would,
   * instead of failing the input (SPEC §6). Without it, the first such error is thrown.
   */
  patience?: { clock: Clock; deadline: number; signal?: AbortSignal };
}

/** Answers meaning the service does not know a recorded id (422: not an id it takes at all). */
const UNKNOWN_ID_STATUSES = new Set([404, 410, 422]);

/**
 * SPEC §3 "Reruns, spend and the cache": submits, unless the record already holds the evaluation this key created: then that
 * evaluation is read back instead (`reused`). A recorded id the service no longer knows (404) is
 * submitted again with the same key, and the record updated. A key that may not read evaluations
 * (403) also just posts: the same key keeps that idempotent on the service's side.
 */
export async function submitOrReuse(
  client: RunflowClient,
  built: BuiltRequest,
  opts: SubmitOptions,
  reuse?: ReuseOptions,
): Promise<{ record: Evaluation; text: string; reused: boolean }> {
  const recorded = reuse ? await readRecorded(built, reuse) : undefined;
  if (recorded) return { ...recorded, reused: true };
  const submitted = await postEvaluation(client, built, opts);
  if (reuse) noteSubmitted(built, submitted.record, reuse);
  return { ...submitted, reused: false };
}

/** The evaluation the record holds for this request, read back; undefined when there is none to use. */
export async function readRecorded(built: BuiltRequest, reuse: ReuseOptions): Promise<{ record: Evaluation; text: string } | undefined> {
  if (!reuse.record || reuse.bypass) return undefined;
  const id = await reuse.record.get({ idempotencyKey: built.idempotencyKey, contentKey: built.contentKey });
  if (!id) return undefined;
  for (let attempt = 0; ; attempt++) {
    try {
      const read = await reuse.read(id);
      reuse.debug?.(`reusing evaluation ${id}, recorded for Idempotency-Key ${built.idempotencyKey}`);
      return { record: read.record, text: read.text ?? JSON.stringify(read.record) };
    } catch (err) {
      const patience = reuse.patience;
      // Only answers (429, 5xx): a connection that cannot be made at all has had the client's
      // retries, and the gate's fail-fast on an unreachable service depends on hearing of it.
      if (patience && !patience.signal?.aborted && err instanceof ApiError && isTransientPollError(err)) {
        const delay = pollDelay(attempt);
        if (patience.clock.now() + delay < patience.deadline) {
          reuse.debug?.(`recorded evaluation ${id} could not be read yet (${(err as Error).message}); trying again`);
          await patience.clock.sleep(delay, patience.signal);
          continue;
        }
      }
      if (!(err instanceof ApiError) || err.status === undefined || !(UNKNOWN_ID_STATUSES.has(err.status) || err.status === 403)) throw err;
      reuse.debug?.(`recorded evaluation ${id} could not be read (HTTP ${err.status}); submitting again with the same key`);
      return undefined;
    }
  }
}

/** Records a new evaluation under its key, in the background (the caller flushes the record before it ends). */
export function noteSubmitted(built: BuiltRequest, record: Evaluation, reuse: ReuseOptions): void {
  if (!reuse.record || typeof record.id !== 'string') return;
  void reuse.record.record({ idempotencyKey: built.idempotencyKey, contentKey: built.contentKey }, record.id);
  if (built.plainKey) void reuse.record.record({ idempotencyKey: built.plainKey, contentKey: built.contentKey }, record.id);
}
