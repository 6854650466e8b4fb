import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { PROBLEM_CONTENT_TYPE } from '@gatehouse/shared/contracts';
import {
  ProblemException,
  sendProblem,
  toProblem,
} from '@gatehouse/shared/http';
import { hasBody } from '../request/body-reader';
import { contextOf } from '../request/request-context';
import { pathOf } from '../request/request-target';
import type { ProxyPipeline } from './proxy.pipeline';
import type { RequestLogService } from './request-log.service';

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

export interface ProxyServerOptions {
  pipeline: ProxyPipeline;
  requestLog: RequestLogService;
  ownRoutes: (path: string) => boolean;
  maxHeaderFields: number;
}

// Node checks header and request timeouts on this interval (30 s by default), so a 10 s
// headers timeout could fire after 40 s.
const TIMEOUT_CHECK_INTERVAL_MS = 1_000;

// The gateway's own routes go to Nest; every other request goes straight to the proxy pipeline.
export function attachProxy(server: Server, options: ProxyServerOptions): void {
  const { pipeline, requestLog, ownRoutes, maxHeaderFields } = options;
  const [nest] = server.listeners('request') as RequestListener[];
  // Framing is checked here for every request, so that missing Host and unmet expectations
  // get problem+json and a log line instead of Node's bare answers (G-1).
  // Both are read from the server object (at each request, and at listen).
  const tunable = server as Server & {
    requireHostHeader: boolean;
    connectionsCheckingInterval: number;
  };
  tunable.requireHostHeader = false;
  tunable.connectionsCheckingInterval = TIMEOUT_CHECK_INTERVAL_MS;
  // Header fields past the limit would be dropped silently: none are, and 431 says so.
  server.maxHeadersCount = 0;
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const path = pathOf(req.url ?? '/');
    const refusal = framingProblem(req, maxHeaderFields);
    if (refusal !== undefined)
      pipeline.handle(req, res, { kind: 'refused', problem: refusal });
    else if (ownRoutes(path)) nest(req, res);
    else pipeline.handle(req, res, undefined, path);
  });
  // Only `Expect: 100-continue` is met (Node answers it); anything else is 417.
  server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) =>
    pipeline.handle(req, res, {
      kind: 'refused',
      problem: new ProblemException({
        status: 417,
        title: 'Expectation Failed',
        type: 'expectation-failed',
        detail: 'Only "Expect: 100-continue" is supported.',
      }),
    }),
  );
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const refusal =
      framingProblem(req, maxHeaderFields) ??
      (ownRoutes(pathOf(req.url ?? '/')) ? notFound() : undefined) ??
      upgradeProblem(req);
    if (refusal !== undefined) {
      pipeline.handleUpgrade(req, socket, {
        kind: 'refused',
        problem: refusal,
      });
    } else if (isWebSocket(req)) {
      pipeline.handleUpgrade(req, socket, { kind: 'websocket', head });
    } else {
      // Other protocols (h2c...) are never tunnelled: the request is served as a plain one,
      // its Upgrade and Connection fields dropped as hop-by-hop, and whatever the client sent
      // behind it (`head`) is never read.
      pipeline.handleUpgrade(req, socket, { kind: 'request' });
    }
  });
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) =>
    rejectMalformed(error, socket, requestLog),
  );
  // Node hands CONNECT to this event rather than to 'request'; tunnels are never opened.
  server.on('connect', (_req: IncomingMessage, socket: Socket) =>
    writeProblem(
      socket,
      new ProblemException({
        status: 405,
        title: 'Method Not Allowed',
        type: 'method-not-allowed',
        detail: 'CONNECT is not supported.',
        headers: { allow: 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS' },
      }),
    ),
  );
}

function isWebSocket(req: IncomingMessage): boolean {
  const upgrade = req.headers.upgrade;
  return (
    req.method === 'GET' &&
    upgrade !== undefined &&
    upgrade
      .split(',')
      .some((protocol) => protocol.trim().toLowerCase() === 'websocket')
  );
}

// RFC 6455 §4.1: a 16-byte nonce, base64-encoded.
const WEBSOCKET_KEY = /^[A-Za-z0-9+/]{22}==$/;

// An upgrade request carries no body: a WebSocket handshake has none (RFC 6455 §4.1), and
// Node's parser hands whatever follows an upgrade's headers over as raw bytes, never as a body
// the gateway could inspect (G-1, G-2). A WebSocket handshake must also be one.
function upgradeProblem(req: IncomingMessage): ProblemException | undefined {
  const webSocket = isWebSocket(req);
  if (hasBody(req))
    return ProblemException.badRequest(
      'upgrade-with-body',
      webSocket
        ? 'A WebSocket handshake may not carry a body.'
        : 'An upgrade request may not carry a body.',
    );
  if (!webSocket) return undefined;
  const key = req.headers['sec-websocket-key'];
  if (
    typeof key !== 'string' ||
    !WEBSOCKET_KEY.test(key) ||
    req.headers['sec-websocket-version'] !== '13'
  )
    return ProblemException.badRequest(
      'invalid-websocket-handshake',
      'A WebSocket handshake needs one Sec-WebSocket-Key (16 bytes, base64) and Sec-WebSocket-Version 13.',
    );
  return undefined;
}

// RFC 9112 §3.2: exactly one Host on HTTP/1.1 (at most one on 1.0); past the header field
// limit, 431 rather than a silent drop.
export function framingProblem(
  req: IncomingMessage,
  maxHeaderFields: number,
): ProblemException | undefined {
  const raw = req.rawHeaders;
  if (raw.length / 2 > maxHeaderFields) {
    return new ProblemException({
      status: 431,
      title: 'Request Header Fields Too Large',
      type: 'too-many-header-fields',
      detail: `A request may carry at most ${maxHeaderFields} header fields.`,
    });
  }
  let hosts = 0;
  for (let i = 0; i < raw.length; i += 2)
    if (raw[i].length === 4 && raw[i].toLowerCase() === 'host') hosts++;
  if (hosts > 1)
    return ProblemException.badRequest(
      'duplicate-host',
      'The request carries more than one Host header.',
    );
  if (hosts === 0 && req.httpVersion === '1.1')
    return ProblemException.badRequest(
      'missing-host',
      'An HTTP/1.1 request must carry a Host header.',
    );
  return undefined;
}

function notFound(): ProblemException {
  return new ProblemException({
    status: 404,
    title: 'Not Found',
    type: 'not-found',
    detail: 'The gateway serves no WebSocket on its own routes.',
  });
}

// Requests Node's parser refuses (bad bytes, huge headers, slow clients) still get problem+json
// and a log line. Nothing after the refusal is read: the socket stops being parsed at once and
// closes, so a request that completes later, or one pipelined behind it, is never forwarded.
function rejectMalformed(
  error: NodeJS.ErrnoException,
  socket: Socket,
  requestLog: RequestLogService,
): void {
  socket.pause();
  // A client that reset or closed mid-request has gone: there is no one to answer.
  if (
    error.code === 'ECONNRESET' ||
    error.code === 'HPE_INVALID_EOF_STATE' ||
    socket.readableEnded ||
    !socket.writable
  ) {
    socket.destroy();
    return;
  }
  const problem = parserProblem(error.code);
  // A request already under way (its body too slow) is answered and logged through its own
  // response, unless that answer has begun.
  const inFlight = (socket as Socket & { _httpMessage?: ServerResponse })
    ._httpMessage;
  if (inFlight !== undefined && inFlight !== null) {
    if (inFlight.headersSent) {
      socket.destroy();
      return;
    }
    inFlight.shouldKeepAlive = false;
    inFlight.once('finish', () => socket.destroy());
    const { problem: body, headers } = toProblem(problem, NO_REQUEST);
    contextOf(inFlight)?.stampRequestId();
    sendProblem(inFlight, body, headers);
    setTimeout(() => socket.destroy(), 5_000).unref();
    return;
  }
  writeProblem(socket, problem);
  requestLog.writeRefused(
    socket,
    problem.getStatus(),
    error.code ?? 'client-error',
  );
}

// The answer to a request Node's parser refused.
function parserProblem(code: string | undefined): ProblemException {
  if (code === 'HPE_HEADER_OVERFLOW')
    return new ProblemException({
      status: 431,
      title: 'Request Header Fields Too Large',
      type: 'request-header-fields-too-large',
      detail: 'The request headers are too large.',
    });
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT')
    return new ProblemException({
      status: 408,
      title: 'Request Timeout',
      type: 'request-timeout',
      detail: 'The request was not received in time.',
    });
  return ProblemException.badRequest(
    'bad-request',
    'The request is not valid HTTP.',
  );
}

// Answers refused before Node made a request of them have no path: their instance is empty.
const NO_REQUEST = { url: '' } as Parameters<typeof toProblem>[1];

// Written straight to the socket, for connections Node has no response object for.
function writeProblem(socket: Socket, error: ProblemException): void {
  const { problem, headers, status } = toProblem(error, NO_REQUEST);
  const body = JSON.stringify(problem);
  let extra = '';
  for (const [name, value] of Object.entries(headers))
    extra += `${name}: ${value}\r\n`;
  socket.end(
    `HTTP/1.1 ${status} ${problem.title}\r\ncontent-type: ${PROBLEM_CONTENT_TYPE}\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\n${extra}connection: close\r\n\r\n${body}`,
    () => socket.destroy(),
  );
  // A peer that never reads must not keep the socket open.
  setTimeout(() => socket.destroy(), 5_000).unref();
}
