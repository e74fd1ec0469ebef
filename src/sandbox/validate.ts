/**
 * Request validation with the caps of the API reference (seeds/000), taken from api/limits.ts so
 * the sandbox and the client's own checks agree. Errors are reported the way the service reports
 * them: a list of `{loc, msg, type}` items under a 422.
 */
import { FIELD_CHARS, MAX_IMAGE_URL_CHARS, MAX_REFERENCES, MAX_UPLOAD_BYTES } from '../api/limits.js';
import { isObject } from '../util/is-object.js';
import { plural } from '../util/plural.js';
import { characterCount, isUuid } from '../validate.js';
import { parseDataUri, type DataUri } from './media.js';

export interface FieldError {
  loc: Array<string | number>;
  msg: string;
  type: string;
}

const ASSET_REF = /^runflow:\/\/assets\/([^/?#]+)$/;

export { isUuid };

/** An image given as one of the three accepted URL forms, after checking. */
export type ImageUrl =
  | { form: 'https'; url: string }
  | { form: 'asset'; url: string; assetId: string }
  | { form: 'data'; url: string; data: DataUri };

export interface ReferenceRequest {
  image: ImageUrl;
  kind: string | null;
  description: string | null;
}

export interface EvaluationRequest {
  image: ImageUrl;
  task_type: string;
  task_description: string | null;
  generation_prompt: string | null;
  evaluation_instructions: string | null;
  input_attributes: Record<string, unknown>;
  references: ReferenceRequest[] | null;
  run_id: string | null;
  client_ref: string | null;
  job_class: string;
  callback_url: string | null;
}

export interface ValidationContext {
  activeJobClasses: readonly string[];
  /** True when a confirmed upload with this id exists. */
  assetExists(id: string): boolean;
}

type Result<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

/** Checks a POST /v1/evaluations body. Unknown fields are ignored, as the service does. */
export function validateEvaluationRequest(body: unknown, ctx: ValidationContext): Result<EvaluationRequest> {
  const errors: FieldError[] = [];
  if (!isObject(body)) {
    return { ok: false, errors: [{ loc: ['body'], msg: 'Input should be a valid dictionary or object', type: 'dict_type' }] };
  }
  const text = (field: string, opts: { required?: boolean; min?: number; max: number }): string | null => {
    const value = body[field];
    if (value === undefined || value === null) {
      if (opts.required) errors.push({ loc: ['body', field], msg: 'Field required', type: 'missing' });
      return null;
    }
    return checkString(value, ['body', field], opts.min ?? 0, opts.max, errors);
  };

  const imageText = text('generated_image_url', { required: true, min: 1, max: MAX_IMAGE_URL_CHARS });
  const image = imageText === null ? null : checkImageUrl(imageText, ['body', 'generated_image_url'], ctx, errors);
  const taskType = text('task_type', { required: true, min: FIELD_CHARS.task_type[0], max: FIELD_CHARS.task_type[1] });
  const taskDescription = text('task_description', { max: FIELD_CHARS.task_description[1] });
  const prompt = text('generation_prompt', { max: FIELD_CHARS.generation_prompt[1] });
  const instructions = text('evaluation_instructions', { max: FIELD_CHARS.evaluation_instructions[1] });
  const clientRef = text('client_ref', { max: FIELD_CHARS.client_ref[1] });

  let attributes: Record<string, unknown> = {};
  if (body.input_attributes !== undefined && body.input_attributes !== null) {
    if (isObject(body.input_attributes)) attributes = body.input_attributes;
    else errors.push({ loc: ['body', 'input_attributes'], msg: 'Input should be a valid dictionary', type: 'dict_type' });
  }

  const references = checkReferences(body.reference_images, ctx, errors);

  const runId = text('run_id', { max: 36 });
  if (runId !== null && !isUuid(runId)) {
    errors.push({ loc: ['body', 'run_id'], msg: 'Input should be a valid UUID', type: 'uuid_parsing' });
  }

  const jobClass = body.job_class === undefined || body.job_class === null ? 'standard' : text('job_class', { max: FIELD_CHARS.job_class[1] });
  if (jobClass !== null && !ctx.activeJobClasses.includes(jobClass) && !hasErrorAt(errors, 'job_class')) {
    errors.push({
      loc: ['body', 'job_class'],
      msg: `Value error, '${jobClass}' is not an active job class (active: ${ctx.activeJobClasses.join(', ')})`,
      type: 'value_error',
    });
  }

  const callbackUrl = text('callback_url', { max: FIELD_CHARS.callback_url[1] });
  if (callbackUrl !== null && !isHttpsUrl(callbackUrl)) {
    errors.push({ loc: ['body', 'callback_url'], msg: 'Value error, callback_url must be an https:// URL', type: 'value_error' });
  }

  if (errors.length > 0 || image === null || taskType === null || jobClass === null) return { ok: false, errors };
  return {
    ok: true,
    value: {
      image,
      task_type: taskType,
      task_description: taskDescription,
      generation_prompt: prompt,
      evaluation_instructions: instructions,
      input_attributes: attributes,
      references,
      run_id: runId,
      client_ref: clientRef,
      job_class: jobClass,
      callback_url: callbackUrl,
    },
  };
}

function checkReferences(raw: unknown, ctx: ValidationContext, errors: FieldError[]): ReferenceRequest[] | null {
  if (raw === undefined || raw === null) return null;
  if (!Array.isArray(raw)) {
    errors.push({ loc: ['body', 'reference_images'], msg: 'Input should be a valid list', type: 'list_type' });
    return null;
  }
  if (raw.length > MAX_REFERENCES) {
    errors.push({
      loc: ['body', 'reference_images'],
      msg: `List should have at most ${MAX_REFERENCES} items after validation, not ${raw.length}`,
      type: 'too_long',
    });
    return null;
  }
  const out: ReferenceRequest[] = [];
  raw.forEach((item, i) => {
    const loc = ['body', 'reference_images', i];
    if (!isObject(item)) {
      errors.push({ loc, msg: 'Input should be a valid dictionary or object', type: 'dict_type' });
      return;
    }
    let image: ImageUrl | null = null;
    if (item.url === undefined || item.url === null) {
      errors.push({ loc: [...loc, 'url'], msg: 'Field required', type: 'missing' });
    } else {
      const url = checkString(item.url, [...loc, 'url'], 1, MAX_IMAGE_URL_CHARS, errors);
      if (url !== null) image = checkImageUrl(url, [...loc, 'url'], ctx, errors);
    }
    const optional = (field: 'kind' | 'description'): string | null =>
      item[field] === undefined || item[field] === null ? null : checkString(item[field], [...loc, field], 0, 4_000, errors);
    const kind = optional('kind');
    const description = optional('description');
    if (image) out.push({ image, kind, description });
  });
  return out;
}

/** An https:// URL, a runflow://assets/{uuid} of a confirmed upload, or a data:image base64 URI. */
function checkImageUrl(value: string, loc: Array<string | number>, ctx: ValidationContext, errors: FieldError[]): ImageUrl | null {
  const fail = (msg: string) => {
    errors.push({ loc, msg: `Value error, ${msg}`, type: 'value_error' });
    return null;
  };
  if (value.startsWith('data:')) {
    const data = parseDataUri(value);
    return 'error' in data ? fail(data.error) : { form: 'data', url: value, data };
  }
  if (value.startsWith('runflow://')) {
    const match = ASSET_REF.exec(value);
    const id = match?.[1];
    if (id === undefined || !isUuid(id)) return fail('a runflow:// reference must be runflow://assets/{uuid}');
    if (!ctx.assetExists(id.toLowerCase())) return fail(`asset not found or expired: ${value}`);
    return { form: 'asset', url: value, assetId: id.toLowerCase() };
  }
  if (/^http:\/\//i.test(value)) return fail('http:// URLs are not accepted; use https://');
  if (!isHttpsUrl(value)) {
    return fail('must be an https:// URL, a runflow://assets/{uuid} reference, or a data:image/...;base64, URI');
  }
  return { form: 'https', url: value };
}

export interface UploadRequest {
  filename: string;
  mime_type: string;
  size_bytes: number;
}

/** Checks a POST /v1/asset-uploads body (docs/runflow-api.md A.18). */
export function validateUploadRequest(body: unknown): Result<UploadRequest> {
  if (!isObject(body)) {
    return { ok: false, errors: [{ loc: ['body'], msg: 'Input should be a valid dictionary or object', type: 'dict_type' }] };
  }
  const errors: FieldError[] = [];
  const required = (field: string, max: number): string | null => {
    if (body[field] === undefined || body[field] === null) {
      errors.push({ loc: ['body', field], msg: 'Field required', type: 'missing' });
      return null;
    }
    return checkString(body[field], ['body', field], 1, max, errors);
  };
  const filename = required('filename', 500);
  const mime = required('mime_type', 255);
  const size = body.size_bytes;
  if (size === undefined || size === null) {
    errors.push({ loc: ['body', 'size_bytes'], msg: 'Field required', type: 'missing' });
  } else if (typeof size !== 'number' || !Number.isInteger(size)) {
    errors.push({ loc: ['body', 'size_bytes'], msg: 'Input should be a valid integer', type: 'int_type' });
  } else if (size < 1) {
    errors.push({ loc: ['body', 'size_bytes'], msg: 'Input should be greater than or equal to 1', type: 'greater_than_equal' });
  } else if (size > MAX_UPLOAD_BYTES) {
    errors.push({
      loc: ['body', 'size_bytes'],
      msg: `Input should be less than or equal to ${MAX_UPLOAD_BYTES}`,
      type: 'less_than_equal',
    });
  }
  if (errors.length > 0 || filename === null || mime === null) return { ok: false, errors };
  return { ok: true, value: { filename, mime_type: mime, size_bytes: size as number } };
}

function checkString(value: unknown, loc: Array<string | number>, min: number, max: number, errors: FieldError[]): string | null {
  if (typeof value !== 'string') {
    errors.push({ loc, msg: 'Input should be a valid string', type: 'string_type' });
    return null;
  }
  // Characters as the service counts them (code points), not UTF-16 units.
  const length = characterCount(value);
  if (length < min) {
    errors.push({ loc, msg: `String should have at least ${plural(min, 'character')}`, type: 'string_too_short' });
    return null;
  }
  if (length > max) {
    errors.push({ loc, msg: `String should have at most ${max} characters`, type: 'string_too_long' });
    return null;
  }
  return value;
}

function isHttpsUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return u.protocol === 'https:' && u.hostname !== '';
  } catch {
    return false;
  }
}

function hasErrorAt(errors: FieldError[], field: string): boolean {
  return errors.some((e) => e.loc[1] === field);
}
