import { createReadStream } from 'node:fs';
import { HttpError, readJson, sendJson, validationError } from '../http.js';
import type { Route } from '../router.js';
import type { SandboxServices } from '../services.js';
import { isUuid, validateUploadRequest } from '../validate.js';

/**
 * The three-step upload: POST /v1/asset-uploads (201 {asset_id, upload_url}), PUT /storage/{id}
 * (the "presigned" URL, no key), POST /v1/asset-uploads/{id}/confirmations (201 asset record);
 * then GET /v1/assets/{id} and GET /storage/{id}.
 */
export function uploadRoutes(s: SandboxServices): Route[] {
  const { assets } = s;
  return [
    {
      method: 'POST',
      pattern: /^\/v1\/asset-uploads$/,
      handle: async ({ req, res, orgId }) => {
        const checked = validateUploadRequest(await readJson(req));
        if (!checked.ok) throw validationError(checked.errors);
        const session = assets.create(checked.value, orgId);
        sendJson(res, 201, { asset_id: session.id, upload_url: `${s.baseUrl()}/storage/${session.id}` });
      },
    },
    {
      method: 'POST',
      pattern: /^\/v1\/asset-uploads\/([^/]+)\/confirmations$/,
      handle: async ({ req, res, params }) => {
        const id = params[0]!;
        const body = (await readJson(req)) ?? {};
        const folder = typeof body === 'object' && body !== null ? (body as Record<string, unknown>).folder_id : undefined;
        if (folder !== undefined && folder !== null && !(typeof folder === 'string' && isUuid(folder))) {
          throw validationError([{ loc: ['body', 'folder_id'], msg: 'Input should be a valid UUID', type: 'uuid_parsing' }]);
        }
        const result = assets.confirm(id.toLowerCase(), (folder as string | null | undefined) ?? null, s.baseUrl());
        if (result === 'unknown') throw new HttpError(404, 'NOT_FOUND', `asset upload ${id} not found`);
        if (result === 'not_uploaded') {
          throw new HttpError(409, 'UPLOAD_NOT_FOUND', 'no file was uploaded for this asset upload; PUT the file to upload_url first');
        }
        sendJson(res, 201, result);
      },
    },
    {
      method: 'GET',
      pattern: /^\/v1\/assets\/([^/]+)$/,
      handle: ({ res, params }) => {
        const id = params[0]!;
        const asset = assets.asset(id.toLowerCase());
        if (!asset) throw new HttpError(404, 'NOT_FOUND', `asset ${id} not found`);
        sendJson(res, 200, asset);
      },
    },
    {
      method: 'PUT',
      pattern: /^\/storage\/([^/]+)$/,
      public: true,
      handle: async ({ req, res, params }) => {
        const id = params[0]!;
        if (req.headers.authorization !== undefined) {
          s.log?.(`warning: PUT /storage/${id} carried an Authorization header; a real storage host must never receive the API key`);
        }
        const outcome = await assets.put(id.toLowerCase(), req.headers['content-type'], req);
        if (!outcome.ok) throw new HttpError(outcome.status, outcome.code, outcome.message, { headers: { Connection: 'close' } });
        res.writeHead(200, { ETag: `"${id}-${outcome.size}"`, 'Content-Length': 0 });
        res.end();
      },
    },
    {
      method: 'GET',
      pattern: /^\/storage\/([^/]+)$/,
      public: true,
      handle: async ({ res, params }) => {
        const file = assets.storedFile(params[0]!.toLowerCase());
        if (!file) throw new HttpError(404, 'NOT_FOUND', 'no stored file with this id');
        res.writeHead(200, { 'Content-Type': file.contentType, 'Content-Length': file.size });
        await new Promise<void>((resolve, reject) => {
          createReadStream(file.path).on('error', reject).pipe(res).on('finish', resolve).on('error', reject);
        });
      },
    },
  ];
}
