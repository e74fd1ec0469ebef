/**
 * From a submission's spec to the request that is sent: every check that needs no network
 * (prepareSubmission), then the body, its uploads or inline images, and its Idempotency-Key
 * (buildRequest). The keys alone are keys.ts; reading back a recorded evaluation is reuse.ts.
 */
import { randomBytes } from 'node:crypto';
import type { LazyBody, RunflowClient } from '../api/client.js';
import type { EvaluationRequest, ReferenceImage } from '../api/types.js';
import { UsageError } from '../errors.js';
import { classifyImage, type ImageInput } from '../images/classify.js';
import { prepareLocal, resolveImageForSubmit } from '../images/resolve.js';
import type { AssetCache } from '../images/asset-cache.js';
import { idempotencyKeyFor } from './idempotency.js';
import { isUuid, maxLength } from '../validate.js';
import { FIELD_CHARS, MAX_REFERENCES } from '../api/limits.js';
import { writeFileDataUri, inlineFileUriLength, type InlineFile } from '../images/data-uri.js';
import { keysFor } from './keys.js';
import { bodyFor, type PreparedSubmission, type SubmissionSpec } from './spec.js';

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
