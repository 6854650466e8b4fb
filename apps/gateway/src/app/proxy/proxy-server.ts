import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { PROBLEM_CONTENT_TYPE, problemType } from '@gatehouse/shared/contracts';
import type { ProxyPipeline } from './proxy.pipeline';

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

// The gateway's own routes go to Nest; every other request goes straight to the proxy pipeline.
export function attachProxy(
  server: Server,
  pipeline: ProxyPipeline,
  ownRoutes: (path: string) => boolean,
): void {
  const [nest] = server.listeners('request') as RequestListener[];
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/';
    const query = url.indexOf('?');
    if (ownRoutes(query === -1 ? url : url.slice(0, query))) nest(req, res);
    else pipeline.handle(req, res);
  });
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) =>
    rejectMalformed(error, socket),
  );
  // Node hands CONNECT to this event rather than to 'request'; tunnels are never opened.
  server.on('connect', (_req: IncomingMessage, socket: Socket) =>
    writeProblem(
      socket,
      405,
      'Method Not Allowed',
      'CONNECT is not supported.',
      'allow: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS\r\n',
    ),
  );
}

// Requests Node's parser refuses (bad bytes, huge headers, slow clients) still get problem+json.
function rejectMalformed(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  if (error.code === 'HPE_HEADER_OVERFLOW') {
    writeProblem(
      socket,
      431,
      'Request Header Fields Too Large',
      'The request headers are too large.',
    );
  } else if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    writeProblem(
      socket,
      408,
      'Request Timeout',
      'The request was not received in time.',
    );
  } else {
    writeProblem(socket, 400, 'Bad Request', 'The request is not valid HTTP.');
  }
}

function writeProblem(
  socket: Socket,
  status: number,
  title: string,
  detail: string,
  extraHeaders = '',
): void {
  const body = JSON.stringify({
    type: problemType(title.toLowerCase().replace(/ /g, '-')),
    title,
    status,
    detail,
    instance: '',
  });
  socket.end(
    `HTTP/1.1 ${status} ${title}\r\ncontent-type: ${PROBLEM_CONTENT_TYPE}\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\n${extraHeaders}connection: close\r\n\r\n${body}`,
  );
}
