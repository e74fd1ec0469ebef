import { createHash, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small real HTTP server that plays both the API's upload endpoints and the storage host, with
 * knobs for the failures the upload flow must survive. Bodies are counted and hashed as they
 * stream in, never buffered, so it can take tens of MiB without skewing memory measurements.
 */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  bodySize: number;
  sha256: string;
  json?: unknown;
}

export interface UploadServer {
  url: string;
  requests: RecordedRequest[];
  /** Statuses to answer the next PUTs with, in order; 200 once empty. */
  putStatuses: number[];
  /** Statuses to answer the next session creations with, in order; 201 once empty. */
  createStatuses: number[];
  /** Replaces the upload_url handed out (default `${url}/storage/<id>`). */
  uploadUrlFor?: (assetId: string) => string;
  close(): Promise<void>;
}

export async function startUploadServer(): Promise<UploadServer> {
  const sessions = new Map<string, { mime: string; size: number; uploaded?: { size: number; sha256: string; contentType: string } }>();
  const state: UploadServer = {
    url: '',
    requests: [],
    putStatuses: [],
    createStatuses: [],
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  const server = http.createServer((req, res) => {
    const hash = createHash('sha256');
    const chunks: Buffer[] = [];
    let size = 0;
    const isPut = req.method === 'PUT';
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      hash.update(chunk);
      if (!isPut) chunks.push(chunk);
    });
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0];
      let json: unknown;
      if (!isPut && chunks.length) {
        try {
          json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          json = undefined;
        }
      }
      state.requests.push({ method: req.method ?? '', path, headers: req.headers, bodySize: size, sha256: hash.digest('hex'), json });
      const send = (status: number, body?: unknown) => {
        res.writeHead(status, body === undefined ? {} : { 'content-type': 'application/json' });
        res.end(body === undefined ? undefined : JSON.stringify(body));
      };

      if (req.method === 'PUT' && path.startsWith('/storage/')) {
        if (req.headers.authorization) return send(400, { code: 'auth_on_storage' });
        const id = path.slice('/storage/'.length);
        const session = sessions.get(id);
        const status = state.putStatuses.shift() ?? 200;
        if (status !== 200) return send(status);
        if (!session) return send(404);
        session.uploaded = { size, sha256: '', contentType: String(req.headers['content-type']) };
        return send(200);
      }
      if (req.headers.authorization !== 'Bearer test-key') return send(401, { code: 'unauthorized', message: 'bad key' });
      if (req.method === 'POST' && path === '/v1/asset-uploads') {
        const status = state.createStatuses.shift() ?? 201;
        if (status !== 201) return send(status, { code: 'nope', message: `status ${status}` });
        const body = json as { filename?: string; mime_type?: string; size_bytes?: number };
        if (!body?.filename || !body.mime_type || !body.size_bytes || body.size_bytes > 52_428_800) {
          return send(422, { code: 'validation_error', message: 'bad upload session' });
        }
        const id = randomUUID();
        sessions.set(id, { mime: body.mime_type, size: body.size_bytes });
        return send(201, { asset_id: id, upload_url: state.uploadUrlFor ? state.uploadUrlFor(id) : `${state.url}/storage/${id}` });
      }
      const confirm = /^\/v1\/asset-uploads\/([^/]+)\/confirmations$/.exec(path);
      if (req.method === 'POST' && confirm) {
        const session = sessions.get(confirm[1]);
        if (!session) return send(404, { code: 'not_found', message: 'no such upload' });
        if (!session.uploaded) return send(422, { code: 'not_uploaded', message: 'nothing was uploaded' });
        return send(201, {
          id: confirm[1],
          name: 'asset',
          mime_type: session.uploaded.contentType,
          size_bytes: session.uploaded.size,
          url: `https://storage.test/${confirm[1]}?sig=x`,
        });
      }
      send(404, { code: 'not_found', message: 'no route' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return state;
}
