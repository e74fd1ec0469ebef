import type { PreparedMedia } from '../engine.js';
import { HttpError, readJson, sendJson, validationError } from '../http.js';
import { spillDataUri, type MediaSource } from '../media.js';
import { newEvaluation, parseEmbed, toWire, type StoredEvaluation } from '../record.js';
import type { Route } from '../router.js';
import type { SandboxServices } from '../services.js';
import { bodyHash } from '../store.js';
import { isUuid, validateEvaluationRequest, type EvaluationRequest, type ImageUrl } from '../validate.js';
import { ACTIVE_JOB_CLASSES } from './reference.js';

/**
 * POST /v1/evaluations (202; 422, 409 and 429 as the service), GET /v1/evaluations/{id} with
 * `embed`, and PATCH /v1/evaluations/{id}/feedback.
 */
export function evaluationRoutes(s: SandboxServices): Route[] {
  const { store, assets, engine } = s;

  /** The image and references as files or URLs the engine can load. */
  const prepareMedia = async (request: EvaluationRequest): Promise<PreparedMedia> => {
    const source = async (image: ImageUrl): Promise<MediaSource> => {
      if (image.form === 'data') return spillDataUri(s.dir, image.data);
      if (image.form === 'https') return { kind: 'remote', url: image.url };
      const file = assets.assetFile(image.assetId);
      if (!file) throw new Error(`asset ${image.assetId} has no stored file`);
      return { kind: 'file', path: file.path, mime: file.mime, owned: false };
    };
    const references: PreparedMedia['references'] = [];
    for (const [index, ref] of (request.references ?? []).entries()) {
      references.push({ source: await source(ref.image), index, kind: ref.kind, description: ref.description });
    }
    return { image: await source(request.image), references };
  };

  const findEvaluation = (id: string): StoredEvaluation => {
    if (!isUuid(id)) {
      throw validationError([{ loc: ['path', 'id'], msg: 'Input should be a valid UUID', type: 'uuid_parsing' }]);
    }
    const evaluation = store.get(id);
    if (!evaluation) throw new HttpError(404, 'NOT_FOUND', `evaluation ${id} not found`);
    return evaluation;
  };

  return [
    {
      method: 'POST',
      pattern: /^\/v1\/evaluations$/,
      handle: async ({ req, res, orgId }) => {
        const body = await readJson(req);
        const checked = validateEvaluationRequest(body, {
          activeJobClasses: ACTIVE_JOB_CLASSES,
          assetExists: (id) => assets.asset(id) !== undefined,
        });
        if (!checked.ok) throw validationError(checked.errors);

        const key = req.headers['idempotency-key'];
        let idempotency: { orgId: string; key: string; hash: string } | undefined;
        if (typeof key === 'string' && key !== '') {
          if (key.length > 255) {
            throw validationError([
              { loc: ['header', 'idempotency-key'], msg: 'String should have at most 255 characters', type: 'string_too_long' },
            ]);
          }
          const hash = bodyHash(body);
          const seen = store.lookupKey(orgId, key, hash);
          if (seen.kind === 'conflict') {
            throw new HttpError(409, 'IDEMPOTENCY_CONFLICT', 'this Idempotency-Key was already used with a different request body');
          }
          if (seen.kind === 'replay') {
            sendJson(res, 202, toWire(seen.evaluation, new Set(), s.baseUrl()), { 'Idempotent-Replayed': 'true' });
            return;
          }
          idempotency = { orgId, key, hash };
        }

        if (store.inFlight >= s.maxInflight) {
          throw new HttpError(429, 'RATE_LIMITED', `too many evaluations in flight (limit ${s.maxInflight})`, {
            headers: { 'Retry-After': '1' },
          });
        }

        // Recorded before any await, so a concurrent retry with the same key finds it.
        const evaluation = newEvaluation(checked.value, orgId, Date.now());
        store.add(evaluation, idempotency);
        let media: PreparedMedia;
        try {
          media = await prepareMedia(checked.value);
        } catch (err) {
          evaluation.status = 'failed';
          evaluation.failureCode = 'processing_failed';
          evaluation.failureDetail = `the sandbox could not store the image: ${err instanceof Error ? err.message : String(err)}`;
          evaluation.completedAt = evaluation.updatedAt = new Date().toISOString();
          evaluation.evalDurationMs = Date.now() - evaluation.submittedAtMs;
          store.finished();
          sendJson(res, 202, toWire(evaluation, new Set(), s.baseUrl()));
          return;
        }
        engine.start(evaluation, media);
        sendJson(res, 202, toWire(evaluation, new Set(), s.baseUrl()));
      },
    },
    {
      method: 'GET',
      pattern: /^\/v1\/evaluations\/([^/]+)$/,
      handle: ({ res, url, params }) => {
        const evaluation = findEvaluation(params[0]!);
        sendJson(res, 200, toWire(evaluation, parseEmbed(url.searchParams.get('embed')), s.baseUrl()));
      },
    },
    {
      method: 'PATCH',
      pattern: /^\/v1\/evaluations\/([^/]+)\/feedback$/,
      handle: async ({ req, res, params }) => {
        const evaluation = findEvaluation(params[0]!);
        const body = (await readJson(req)) ?? {};
        const feedback = checkFeedback(body);
        if (evaluation.status !== 'completed' && evaluation.status !== 'failed') {
          throw new HttpError(409, 'CONFLICT', `evaluation ${evaluation.id} is ${evaluation.status}; feedback can be given once it has finished`);
        }
        evaluation.feedback = feedback;
        evaluation.updatedAt = new Date().toISOString();
        sendJson(res, 200, toWire(evaluation, new Set(), s.baseUrl()));
      },
    },
  ];
}

/** PATCH feedback body: `is_positive` true, false or null (clears), `reason` up to 2,000 chars. */
function checkFeedback(body: unknown): { isPositive: boolean | null; reason: string | null } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw validationError([{ loc: ['body'], msg: 'Input should be a valid dictionary or object', type: 'dict_type' }]);
  }
  const { is_positive: isPositive, reason } = body as Record<string, unknown>;
  const errors = [];
  if (isPositive !== undefined && isPositive !== null && typeof isPositive !== 'boolean') {
    errors.push({ loc: ['body', 'is_positive'], msg: 'Input should be a valid boolean', type: 'bool_type' });
  }
  if (reason !== undefined && reason !== null && typeof reason !== 'string') {
    errors.push({ loc: ['body', 'reason'], msg: 'Input should be a valid string', type: 'string_type' });
  } else if (typeof reason === 'string' && reason.length > 2_000) {
    errors.push({ loc: ['body', 'reason'], msg: 'String should have at most 2000 characters', type: 'string_too_long' });
  }
  if (errors.length) throw validationError(errors);
  return {
    isPositive: (isPositive as boolean | null | undefined) ?? null,
    reason: (reason as string | null | undefined) ?? null,
  };
}
