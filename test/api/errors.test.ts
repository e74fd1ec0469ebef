import { describe, expect, it } from 'vitest';
import { formatFieldError } from '../../src/api/error-body.js';
import {
  apiErrorFromResponse,
  ConflictError,
  PermissionDeniedError,
  ServerError,
  UnauthorizedError,
} from '../../src/api/errors.js';
import { ExitCode } from '../../src/exit-codes.js';
import { oneLine, stripControl } from '../../src/util/text.js';

const GET = { method: 'GET', path: '/v1/evaluations/x' };
const SUBMIT = { method: 'POST', path: '/v1/evaluations' };

describe('apiErrorFromResponse', () => {
  it.each([
    [401, ExitCode.Auth],
    [402, ExitCode.Auth],
    [403, ExitCode.Auth],
    [400, ExitCode.Api],
    [404, ExitCode.Api],
    [409, ExitCode.Api],
    [422, ExitCode.Api],
    [429, ExitCode.Api],
    [500, ExitCode.Api],
    [503, ExitCode.Api],
  ])('HTTP %d exits %d', (status, exitCode) => {
    const err = apiErrorFromResponse(status, {}, '{"code":"X","message":"m"}', GET);
    expect(err.exitCode).toBe(exitCode);
    expect(err.status).toBe(status);
  });

  it('picks the subclass from the status', () => {
    expect(apiErrorFromResponse(401, {}, '', GET)).toBeInstanceOf(UnauthorizedError);
    expect(apiErrorFromResponse(403, {}, '', GET)).toBeInstanceOf(PermissionDeniedError);
    expect(apiErrorFromResponse(409, {}, '', SUBMIT)).toBeInstanceOf(ConflictError);
    expect(apiErrorFromResponse(599, {}, '', GET)).toBeInstanceOf(ServerError);
  });

  it('falls back to the status text when the body is empty', () => {
    const err = apiErrorFromResponse(503, {}, '', GET);
    expect(err.message).toBe('GET /v1/evaluations/x failed: HTTP 503 Service Unavailable');
    expect(err.code).toBe('http_503');
  });

  it('summarises bodies that are not an envelope, in one line', () => {
    expect(apiErrorFromResponse(502, { 'content-type': 'text/html' }, '<html><body><h1>Bad &amp; gateway</h1></body></html>', GET).message).toBe(
      'HTTP 502 from GET /v1/evaluations/x: the server returned an HTML page ("Bad & gateway")',
    );
    expect(apiErrorFromResponse(500, {}, '<!DOCTYPE html>\n<html>no title</html>', GET).message).toBe(
      'HTTP 500 from GET /v1/evaluations/x: the server returned an HTML page',
    );
    expect(apiErrorFromResponse(500, {}, 'upstream connect error\nor disconnect', GET).message).toBe(
      'HTTP 500 from GET /v1/evaluations/x: the server returned a non-JSON body: "upstream connect error or disconnect"',
    );
    expect(apiErrorFromResponse(500, {}, '["a"]', GET).message).toBe('HTTP 500 from GET /v1/evaluations/x: the server returned unexpected JSON: ["a"]');
  });

  it('reads FastAPI-style `detail`', () => {
    const err = apiErrorFromResponse(422, {}, JSON.stringify({ detail: [{ loc: ['body', 'task_type'], msg: 'Field required', type: 'missing' }] }), SUBMIT);
    expect(err.lines).toEqual(['body.task_type: Field required']);
    expect(apiErrorFromResponse(400, {}, '{"detail":"Bad thing"}', GET).message).toContain(': Bad thing');
  });

  it('takes the request id from any of the usual headers', () => {
    for (const name of ['x-request-id', 'Request-Id', 'runflow-request-id']) {
      const err = apiErrorFromResponse(500, { [name]: 'abc-123' }, '', GET);
      expect(err.requestId).toBe('abc-123');
      expect(err.lines).toContain('request id: abc-123');
    }
  });

  it('chooses hints by status, API code and request, and lets callers override them', () => {
    expect(apiErrorFromResponse(403, {}, '{"code":"EMAIL_NOT_VERIFIED","message":"m"}', GET).hint).toMatch(/verify the account email/);
    expect(apiErrorFromResponse(403, {}, '{"code":"PERMISSION_DENIED","message":"m"}', GET).hint).toContain('evaluations:read');
    expect(apiErrorFromResponse(409, {}, '{}', SUBMIT).hint).toContain('--resubmit');
    expect(apiErrorFromResponse(409, {}, '{}', { method: 'POST', path: '/v1/asset-uploads/x/confirmations' }).hint).not.toContain('--resubmit');
    expect(apiErrorFromResponse(404, {}, '{}', { ...GET, hint: 'custom' }).hint).toBe('custom');
  });
});

describe('formatFieldError', () => {
  it.each([
    [{ loc: ['body', 'reference_images', 2, 'url'], msg: 'bad url' }, 'body.reference_images.2.url: bad url'],
    [{ field: 'task_type', message: 'required' }, 'task_type: required'],
    [{ msg: 'something is off' }, 'something is off'],
    ['just text', 'just text'],
    [{ code: 7 }, '{"code":7}'],
    [42, '42'],
    [null, 'null'],
    [{ loc: ['body', 'x'], msg: 'evil\u001b[2J\r\nline' }, 'body.x: evil line'],
  ])('%j → %s', (item, expected) => {
    expect(formatFieldError(item)).toBe(expected);
  });
});

describe('stripControl', () => {
  it.each([
    ['plain text', 'plain text'],
    ['keeps\nnewlines\tand tabs', 'keeps\nnewlines\tand tabs'],
    ['\u001b[31mred\u001b[0m', 'red'],
    ['\u001b[2J\u001b[Hcleared', 'cleared'],
    ['title\u001b]0;pwned\u0007 after', 'title after'],
    ['link \u001b]8;;https://evil\u001b\\text\u001b]8;;\u001b\\', 'link text'],
    ['bell\u0007 back\bspace \r carriage', 'bell backspace  carriage'],
    ['c1 \u009b31mcsi\u0085nel', 'c1 csinel'],
    ['DEL\u007f', 'DEL'],
    ['unicode ✓ é 漢字', 'unicode ✓ é 漢字'],
  ])('%j → %j', (input, expected) => {
    expect(stripControl(input)).toBe(expected);
  });
});

describe('oneLine', () => {
  it('flattens whitespace and cuts long text with an ellipsis', () => {
    expect(oneLine('a\n  b\t c')).toBe('a b c');
    expect(oneLine('x'.repeat(10), 5)).toBe('xxxx…');
  });
});
