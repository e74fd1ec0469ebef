import type { RunflowClient } from './api/client.js';
import type { EvaluationRequest, ReferenceImage } from './api/types.js';
import { UsageError } from './errors.js';
import { classifyImage, type ImageInput } from './images/classify.js';
import { prepareLocal, resolveImageForSubmit } from './images/resolve.js';
import type { AssetCache } from './images/asset-cache.js';
import { idempotencyKeyFor, freshIdempotencyKey } from './idempotency.js';
import { isUuid, maxLength } from './validate.js';

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

export const MAX_REFERENCES = 4;

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
    throw new UsageError(`${label('taskType')} is required (1-100 characters) for ${JSON.stringify(spec.image)}`);
  }
  maxLength(spec.taskType, 100, label('taskType'), 1);
  maxLength(spec.taskDescription, 4000, label('taskDescription'));
  maxLength(spec.prompt, 10_000, label('prompt'));
  maxLength(spec.instructions, 4000, label('instructions'));
  maxLength(spec.clientRef, 255, label('clientRef'));
  maxLength(spec.jobClass, 50, label('jobClass'));
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
  maxLength(value, 2048, flag);
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
  body: EvaluationRequest;
  idempotencyKey: string;
}

export interface BuildOptions {
  client: RunflowClient;
  cache?: AssetCache;
  baseUrl: string;
  orgId?: string;
  forceUpload?: boolean;
  idempotencyKey?: string;
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
  };
  const image = await resolveImageForSubmit(prepared.image, resolveCtx);
  const refs: ReferenceImage[] = [];
  const refHashes: Array<string | undefined> = [];
  for (const ref of prepared.refs) {
    const resolved = await resolveImageForSubmit(ref.input, resolveCtx);
    const entry: ReferenceImage = { url: resolved.url };
    if (ref.spec.kind !== undefined) entry.kind = ref.spec.kind;
    if (ref.spec.description !== undefined) entry.description = ref.spec.description;
    refs.push(entry);
    refHashes.push(resolved.contentHash);
  }
  const s = prepared.spec;
  const body: EvaluationRequest = { generated_image_url: image.url, task_type: s.taskType! };
  if (s.taskDescription !== undefined) body.task_description = s.taskDescription;
  if (s.prompt !== undefined) body.generation_prompt = s.prompt;
  if (s.instructions !== undefined) body.evaluation_instructions = s.instructions;
  if (s.attributes !== undefined) body.input_attributes = s.attributes;
  if (refs.length) body.reference_images = refs;
  if (s.runId !== undefined) body.run_id = s.runId;
  if (s.clientRef !== undefined) body.client_ref = s.clientRef;
  body.job_class = s.jobClass ?? 'standard';
  if (s.callbackUrl !== undefined) body.callback_url = s.callbackUrl;
  const baseKey = opts.idempotencyKey ?? (opts.resubmit ? freshIdempotencyKey() : idempotencyKeyFor(body, { image: image.contentHash, refs: refHashes }));
  const idempotencyKey = opts.keySuffix ? `${baseKey}${opts.keySuffix}` : baseKey;
  return { body, idempotencyKey };
}
