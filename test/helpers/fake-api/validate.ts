/** The fake's checks of `POST /v1/evaluations` (with the caps of the API reference, seeds/000) and of feedback. */
import { activeJobClasses } from './job-classes.js';
import type { FieldError, ResolvedOptions } from './types.js';
import { isObject } from './util.js';

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ASSET_REF = /^runflow:\/\/assets\/([0-9a-f-]{36})$/i;
const MAX_IMAGE_URL = 12_000_000;

const EVALUATION_FIELDS = new Set([
  'generated_image_url',
  'task_type',
  'task_description',
  'generation_prompt',
  'evaluation_instructions',
  'input_attributes',
  'reference_images',
  'run_id',
  'client_ref',
  'job_class',
  'callback_url',
]);

/** String caps from the seed (POST /v1/evaluations). */
const STRING_CAPS: Array<[field: string, max: number]> = [
  ['task_description', 4000],
  ['generation_prompt', 10000],
  ['evaluation_instructions', 4000],
  ['client_ref', 255],
  ['job_class', 50],
  ['callback_url', 2048],
];

/** POST /v1/evaluations' body checks, as the service reports them (422 `errors[]`). */
export function validateEvaluation(body: unknown, o: ResolvedOptions, assets: ReadonlyMap<string, unknown>): FieldError[] {
  if (!isObject(body)) return [{ loc: ['body'], msg: 'Input should be a valid dictionary', type: 'dict_type' }];
  const errors: FieldError[] = [];
  for (const field of Object.keys(body)) {
    if (!EVALUATION_FIELDS.has(field)) errors.push({ loc: ['body', field], msg: 'Extra inputs are not permitted', type: 'extra_forbidden' });
  }
  const imageError = (loc: Array<string | number>, value: unknown) => {
    if (typeof value !== 'string') return { loc, msg: value === undefined ? 'Field required' : 'Input should be a valid string', type: value === undefined ? 'missing' : 'string_type' };
    if (value.length > MAX_IMAGE_URL) return { loc, msg: `String should have at most ${MAX_IMAGE_URL} characters`, type: 'string_too_long' };
    if (!/^(https:\/\/|runflow:\/\/assets\/|data:image\/)/i.test(value)) {
      return { loc, msg: 'URL must be https://, runflow://assets/{uuid}, or a data:image/ URI', type: 'value_error' };
    }
    const asset = ASSET_REF.exec(value);
    if (value.startsWith('runflow://') && !asset) return { loc, msg: 'Invalid asset reference; expected runflow://assets/{uuid}', type: 'value_error' };
    if (asset && o.requireKnownAssets && !assets.has(asset[1])) {
      return { loc, msg: `asset not found or expired: ${value}`, type: 'value_error' };
    }
    return undefined;
  };
  const image = imageError(['body', 'generated_image_url'], body.generated_image_url);
  if (image) errors.push(image);

  // Lengths in characters (code points), as the service's validation counts them.
  const taskType = body.task_type;
  if (typeof taskType !== 'string') {
    errors.push({ loc: ['body', 'task_type'], msg: taskType === undefined ? 'Field required' : 'Input should be a valid string', type: taskType === undefined ? 'missing' : 'string_type' });
  } else if ([...taskType].length < 1 || [...taskType].length > 100) {
    errors.push({ loc: ['body', 'task_type'], msg: 'String should have 1 to 100 characters', type: 'string_length' });
  }
  for (const [field, max] of STRING_CAPS) {
    const value = body[field];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string') errors.push({ loc: ['body', field], msg: 'Input should be a valid string', type: 'string_type' });
    else if ([...value].length > max) errors.push({ loc: ['body', field], msg: `String should have at most ${max} characters`, type: 'string_too_long' });
  }
  if (body.input_attributes !== undefined && body.input_attributes !== null && !isObject(body.input_attributes)) {
    errors.push({ loc: ['body', 'input_attributes'], msg: 'Input should be a valid dictionary', type: 'dict_type' });
  }
  const refs = body.reference_images;
  if (refs !== undefined && refs !== null) {
    if (!Array.isArray(refs)) errors.push({ loc: ['body', 'reference_images'], msg: 'Input should be a valid list', type: 'list_type' });
    else {
      if (refs.length > 4) errors.push({ loc: ['body', 'reference_images'], msg: 'List should have at most 4 items after validation', type: 'too_long' });
      refs.forEach((ref, i) => {
        if (!isObject(ref)) {
          errors.push({ loc: ['body', 'reference_images', i], msg: 'Input should be a valid dictionary', type: 'dict_type' });
          return;
        }
        const refError = imageError(['body', 'reference_images', i, 'url'], ref.url);
        if (refError) errors.push(refError);
        for (const k of Object.keys(ref)) {
          if (k !== 'url' && k !== 'kind' && k !== 'description') errors.push({ loc: ['body', 'reference_images', i, k], msg: 'Extra inputs are not permitted', type: 'extra_forbidden' });
          else if (k !== 'url' && ref[k] !== null && typeof ref[k] !== 'string') errors.push({ loc: ['body', 'reference_images', i, k], msg: 'Input should be a valid string', type: 'string_type' });
        }
      });
    }
  }
  if (body.run_id !== undefined && body.run_id !== null && (typeof body.run_id !== 'string' || !UUID.test(body.run_id))) {
    errors.push({ loc: ['body', 'run_id'], msg: 'Input should be a valid UUID', type: 'uuid_parsing' });
  }
  if (typeof body.callback_url === 'string' && !/^https:\/\/[^\s/]+/i.test(body.callback_url)) {
    errors.push({ loc: ['body', 'callback_url'], msg: 'URL scheme should be https', type: 'url_scheme' });
  }
  if (typeof body.job_class === 'string' && body.job_class.length <= 50) {
    const active = activeJobClasses(o.jobClasses);
    if (active && !active.includes(body.job_class)) {
      errors.push({ loc: ['body', 'job_class'], msg: `Unknown or inactive job class '${body.job_class}'`, type: 'enum' });
    }
  }
  return errors;
}

/** PATCH /v1/evaluations/{id}/feedback's body checks. */
export function validateFeedback(body: Record<string, unknown>): FieldError[] {
  const errors: FieldError[] = [];
  if (!('is_positive' in body)) errors.push({ loc: ['body', 'is_positive'], msg: 'Field required', type: 'missing' });
  else if (body.is_positive !== null && typeof body.is_positive !== 'boolean') errors.push({ loc: ['body', 'is_positive'], msg: 'Input should be a valid boolean', type: 'bool_type' });
  if (body.reason !== undefined && body.reason !== null && typeof body.reason !== 'string') errors.push({ loc: ['body', 'reason'], msg: 'Input should be a valid string', type: 'string_type' });
  for (const k of Object.keys(body)) if (k !== 'is_positive' && k !== 'reason') errors.push({ loc: ['body', k], msg: 'Extra inputs are not permitted', type: 'extra_forbidden' });
  return errors;
}
