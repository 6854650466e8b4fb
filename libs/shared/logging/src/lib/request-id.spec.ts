import type { IncomingMessage, ServerResponse } from 'node:http';
import { assignRequestId, requestIdFor } from './request-id';

function request(id?: string): IncomingMessage {
  return {
    headers: id === undefined ? {} : { 'x-request-id': id },
  } as IncomingMessage;
}

describe('requestIdFor', () => {
  it('keeps a plain incoming id and echoes it on the response', () => {
    const headers: Record<string, string> = {};
    const res = {
      setHeader: (name: string, value: string) => (headers[name] = value),
    } as unknown as ServerResponse;
    expect(requestIdFor(request('abc-123'), res)).toBe('abc-123');
    expect(headers['x-request-id']).toBe('abc-123');
  });

  it.each([['a b'], ['x'.repeat(129)], ['evil\n{"level":"fatal"}'], ['']])(
    'replaces an unsafe id %j',
    (id) => {
      expect(requestIdFor(request(id))).toMatch(/^[0-9a-f-]{36}$/);
    },
  );

  it('generates an id when none is sent', () => {
    expect(requestIdFor(request())).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('assignRequestId', () => {
  it('sets the id before any parser runs, and keeps one already set', () => {
    const headers: Record<string, string> = {};
    const res = {
      setHeader: (name: string, value: string) => (headers[name] = value),
    } as unknown as ServerResponse;
    const req = request('abc-123') as IncomingMessage & { id?: unknown };
    const next = jest.fn();
    assignRequestId(req, res, next);
    expect(req.id).toBe('abc-123');
    expect(headers['x-request-id']).toBe('abc-123');
    expect(next).toHaveBeenCalledTimes(1);
    req.id = 'kept';
    assignRequestId(req, res, next);
    expect(req.id).toBe('kept');
  });
});
