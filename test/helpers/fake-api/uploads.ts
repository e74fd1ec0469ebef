/** The three-step upload: a session, the presigned PUT to /storage/:id (streamed and counted), the confirmation; and the assets it makes. */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { FieldError, LoggedRequest, Reply, UploadRecord } from './types.js';
import { isObject, parseJson, validationError } from './util.js';

const MAX_UPLOAD_BYTES = 52_428_800;

/** What the upload routes read and change in the fake. */
export interface UploadStore {
  readonly url: string;
  readonly uploads: Map<string, UploadRecord>;
  /** Confirmed assets by id. */
  readonly assets: Map<string, Record<string, unknown>>;
  readonly options: { now: () => number };
}

/** POST /v1/asset-uploads: an upload session and its presigned URL. */
export function createUpload(api: UploadStore, text: string, org: string): Reply {
  const parsed = parseJson(text);
  if (!parsed.ok) return validationError([{ loc: ['body'], msg: 'JSON decode error', type: 'json_invalid' }]);
  const body = parsed.value;
  if (!isObject(body)) return validationError([{ loc: ['body'], msg: 'Input should be a valid dictionary', type: 'dict_type' }]);
  const errors: FieldError[] = [];
  const str = (field: string, max: number) => {
    const v = body[field];
    if (typeof v !== 'string') errors.push({ loc: ['body', field], msg: v === undefined ? 'Field required' : 'Input should be a valid string', type: 'string_type' });
    else if (v.length < 1 || v.length > max) errors.push({ loc: ['body', field], msg: `String should have 1 to ${max} characters`, type: 'string_length' });
  };
  str('filename', 500);
  str('mime_type', 255);
  const size = body.size_bytes;
  if (typeof size !== 'number' || !Number.isInteger(size)) errors.push({ loc: ['body', 'size_bytes'], msg: size === undefined ? 'Field required' : 'Input should be a valid integer', type: 'int_type' });
  else if (size < 1 || size > MAX_UPLOAD_BYTES) errors.push({ loc: ['body', 'size_bytes'], msg: `Input should be between 1 and ${MAX_UPLOAD_BYTES}`, type: 'range' });
  for (const k of Object.keys(body)) if (!['filename', 'mime_type', 'size_bytes'].includes(k)) errors.push({ loc: ['body', k], msg: 'Extra inputs are not permitted', type: 'extra_forbidden' });
  if (errors.length > 0) return validationError(errors);
  const id = randomUUID();
  api.uploads.set(id, { filename: body.filename as string, mime_type: body.mime_type as string, size_bytes: size as number, headers: {}, org_id: org });
  // The query imitates a presigned URL's credentials (they must never be logged).
  const signature = randomBytes(16).toString('hex');
  return { status: 201, body: { asset_id: id, upload_url: `${api.url}/storage/${id}?X-Amz-Expires=3600&X-Amz-Signature=${signature}` } };
}

/** PUT to the presigned URL, as object storage answers it (XML errors, no Authorization header). */
export function storagePut(api: UploadStore, req: LoggedRequest, id: string, url: URL): Reply {
  const upload = api.uploads.get(decodeURIComponent(id));
  const xmlError = (status: number, code: string, message: string): Reply => ({
    status,
    headers: { 'content-type': 'application/xml' },
    body: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`,
  });
  if (!upload) return xmlError(404, 'NoSuchUpload', 'The specified upload does not exist.');
  if (req.headers.authorization !== undefined) {
    return xmlError(400, 'InvalidArgument', 'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter should be specified');
  }
  if (!url.searchParams.get('X-Amz-Signature')) return xmlError(403, 'AccessDenied', 'Request has no signature.');
  const contentType = req.headers['content-type'];
  upload.headers = req.headers;
  upload.contentType = contentType;
  if (contentType !== upload.mime_type) {
    return xmlError(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.');
  }
  upload.received = req.bodySize;
  return { status: 200, headers: { etag: `"${createHash('md5').update(id).digest('hex')}"` } };
}

/** POST /v1/asset-uploads/{id}/confirmations: the asset, once the bytes arrived. */
export function confirmUpload(api: UploadStore, userId: string, id: string, text: string, org: string): Reply {
  const upload = api.uploads.get(id);
  if (!upload || upload.org_id !== org) {
    return { status: 404, body: { code: 'ASSET_UPLOAD_NOT_FOUND', message: 'Upload session not found.', errors: null } };
  }
  if (text.trim() !== '') {
    const parsed = parseJson(text);
    if (!parsed.ok || !isObject(parsed.value)) return validationError([{ loc: ['body'], msg: 'Input should be a valid dictionary', type: 'dict_type' }]);
    for (const k of Object.keys(parsed.value)) {
      if (k !== 'folder_id') return validationError([{ loc: ['body', k], msg: 'Extra inputs are not permitted', type: 'extra_forbidden' }]);
    }
  }
  if (upload.received === undefined) {
    return { status: 409, body: { code: 'UPLOAD_NOT_FOUND', message: 'No object was uploaded to the presigned URL.', errors: null } };
  }
  if (upload.received !== upload.size_bytes) {
    return validationError([{ loc: ['body'], msg: `Uploaded ${upload.received} bytes, but the session declared ${upload.size_bytes}`, type: 'value_error' }]);
  }
  const existing = api.assets.get(id);
  if (existing) return { status: 201, body: existing };
  upload.confirmed = true;
  const iso = new Date(api.options.now()).toISOString();
  const asset = {
    id,
    org_id: org,
    folder_id: null,
    name: upload.filename,
    r2_key: `orgs/${org}/assets/${id}/${upload.filename}`,
    url: `https://assets.runflow.test/${id}/${encodeURIComponent(upload.filename)}?sig=${randomBytes(8).toString('hex')}`,
    thumbnail_url: null,
    mime_type: upload.mime_type,
    size_bytes: upload.received,
    asset_type: upload.mime_type.startsWith('image/') ? 'image' : 'file',
    source_type: 'upload',
    source_id: null,
    created_by: userId,
    created_at: iso,
    updated_at: iso,
    deleted_at: null,
    deleted_by: null,
  };
  api.assets.set(id, asset);
  return { status: 201, body: asset };
}

/** GET /v1/assets/{id}: a confirmed asset of the caller's organization. */
export function getAsset(api: UploadStore, id: string, org: string): Reply {
  const asset = api.assets.get(id);
  return asset && asset.org_id === org
    ? { status: 200, body: asset }
    : { status: 404, body: { code: 'ASSET_NOT_FOUND', message: 'Asset not found.', errors: null } };
}
