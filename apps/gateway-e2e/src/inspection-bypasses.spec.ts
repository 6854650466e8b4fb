import { request } from 'node:http';
import {
  GatewayUnderTest,
  startGatewayWithRecorder,
} from './support/gateway-harness.test-helper';

// node:http sends exactly these headers and bytes: no Content-Type is added when none is given.
function post(
  port: number,
  body: Buffer,
  headers: Record<string, string>,
): Promise<{ status: number; type: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/api/items',
        method: 'POST',
        headers: { ...headers, 'content-length': String(body.length) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            type: res.headers['content-type'],
            body: Buffer.concat(chunks).toString(),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function utf32(text: string, littleEndian: boolean): Buffer {
  const out = Buffer.alloc(text.length * 4);
  for (let i = 0; i < text.length; i++) {
    if (littleEndian) out.writeUInt32LE(text.charCodeAt(i), i * 4);
    else out.writeUInt32BE(text.charCodeAt(i), i * 4);
  }
  return out;
}

const FLAGGED = '{"order": 1, "is_malicious": true}';
const utf16le = (text: string) => Buffer.from(text, 'utf16le');
const utf16be = (text: string) => Buffer.from(text, 'utf16le').swap16();
const bom = (...bytes: number[]) => Buffer.from(bytes);

describe('G-2 JSON is decided by the bytes, in every encoding a mainstream parser reads', () => {
  let sut: GatewayUnderTest;

  beforeAll(async () => {
    sut = await startGatewayWithRecorder({
      MAX_BODY_BYTES: '4096',
      DUPLICATE_DELAY_MS: '0',
    });
  });
  afterAll(() => sut?.stop());
  beforeEach(() => sut.upstream.requests.splice(0));

  it.each<[string, Record<string, string>, Buffer]>([
    ['no Content-Type', {}, Buffer.from(FLAGGED)],
    [
      'the form label curl -d sends',
      { 'content-type': 'application/x-www-form-urlencoded' },
      Buffer.from(FLAGGED),
    ],
    ['text/plain', { 'content-type': 'text/plain' }, Buffer.from(FLAGGED)],
    [
      'an unrelated label',
      { 'content-type': 'application/octet-stream' },
      Buffer.from(FLAGGED),
    ],
    [
      'charset=utf-16 (little-endian, no BOM)',
      { 'content-type': 'application/json; charset=utf-16' },
      utf16le(FLAGGED),
    ],
    [
      'charset=utf-16 (big-endian with BOM)',
      { 'content-type': 'application/json; charset=UTF-16' },
      Buffer.concat([bom(0xfe, 0xff), utf16be(FLAGGED)]),
    ],
    [
      'charset=utf-16le',
      { 'content-type': 'application/json; charset=utf-16le' },
      utf16le(FLAGGED),
    ],
    [
      'charset=utf-16be',
      { 'content-type': 'application/json;charset="utf-16be"' },
      utf16be(FLAGGED),
    ],
    [
      'charset=utf-32',
      { 'content-type': 'application/json; charset=utf-32' },
      utf32(FLAGGED, true),
    ],
    [
      'charset=utf-32be',
      { 'content-type': 'application/json; charset=utf-32be' },
      utf32(FLAGGED, false),
    ],
    [
      'a UTF-16LE BOM and no charset',
      { 'content-type': 'application/json' },
      Buffer.concat([bom(0xff, 0xfe), utf16le(FLAGGED)]),
    ],
    [
      'a UTF-16BE BOM and no charset',
      { 'content-type': 'application/json' },
      Buffer.concat([bom(0xfe, 0xff), utf16be(FLAGGED)]),
    ],
    [
      'a UTF-32LE BOM and no charset',
      { 'content-type': 'application/json' },
      Buffer.concat([bom(0xff, 0xfe, 0, 0), utf32(FLAGGED, true)]),
    ],
    [
      'a UTF-32BE BOM and no charset',
      { 'content-type': 'application/json' },
      Buffer.concat([bom(0, 0, 0xfe, 0xff), utf32(FLAGGED, false)]),
    ],
    ['UTF-16LE with no label at all', {}, utf16le(FLAGGED)],
  ])(
    'blocks a flagged body sent with %s: 401, nothing forwarded',
    async (_name, headers, body) => {
      const response = await post(sut.gateway.port, body, headers);
      expect(response.status).toBe(401);
      expect(response.type).toBe('application/problem+json');
      expect(sut.upstream.requests).toHaveLength(0);
    },
  );

  it('answers 415 for a declared charset it cannot decode, never a blind forward', async () => {
    const response = await post(sut.gateway.port, Buffer.from(FLAGGED), {
      'content-type': 'application/json; charset=utf-7',
    });
    expect(response.status).toBe(415);
    expect(response.type).toBe('application/problem+json');
    expect(JSON.parse(response.body)).toMatchObject({
      status: 415,
      type: expect.stringContaining('unsupported-charset'),
    });
    expect(sut.upstream.requests).toHaveLength(0);
  });

  it('forwards clean JSON in other charsets, and bodies that are not JSON, byte for byte', async () => {
    const clean = utf16le('{"is_malicious": false}');
    expect(
      (
        await post(sut.gateway.port, clean, {
          'content-type': 'application/json; charset=utf-16le',
        })
      ).status,
    ).toBe(200);
    const form = Buffer.from('is_malicious=true&x=1');
    expect(
      (
        await post(sut.gateway.port, form, {
          'content-type': 'application/x-www-form-urlencoded',
        })
      ).status,
    ).toBe(200);
    expect(sut.upstream.requests.map((r) => r.body)).toEqual([clean, form]);
  });

  it('answers 413 for an unlabelled body too large to inspect that starts like JSON', async () => {
    const body = Buffer.from(
      `{"is_malicious": true, "pad": "${'x'.repeat(8192)}"}`,
    );
    const response = await post(sut.gateway.port, body, {});
    expect(response.status).toBe(413);
    expect(sut.upstream.requests).toHaveLength(0);
  });
});
