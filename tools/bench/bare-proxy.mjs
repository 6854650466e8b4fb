// The ceiling: a bare Node proxy with the gateway's upstream client and none of its work.
// http.createServer and an undici Pool as the gateway configures it (128 keep-alive
// connections, no pipelining), one dispatch per request with the body streamed on and the
// answer written back as it arrives. No checks, no log line, no hop-by-hop handling.
// Usage: node tools/bench/bare-proxy.mjs <port> <upstream origin>
import { createServer } from 'node:http';
import { Pool } from 'undici';

const [port, upstream] = [Number(process.argv[2]), process.argv[3]];
const pool = new Pool(upstream, {
  connections: 128,
  pipelining: 1,
  keepAliveTimeout: 4_000,
});

function forward(req, res) {
  const hasBody =
    req.headers['content-length'] !== undefined ||
    req.headers['transfer-encoding'] !== undefined;
  pool.dispatch(
    {
      method: req.method,
      path: req.url,
      headers: req.headers,
      body: hasBody ? req : null,
    },
    {
      onConnect() {},
      onHeaders(statusCode, rawHeaders) {
        const headers = [];
        for (let i = 0; i < rawHeaders.length; i += 2)
          headers.push(rawHeaders[i].toString(), rawHeaders[i + 1].toString());
        res.writeHead(statusCode, headers);
        return true;
      },
      onData(chunk) {
        return res.write(chunk);
      },
      onComplete() {
        res.end();
      },
      onError() {
        if (res.headersSent) res.destroy();
        else res.writeHead(502).end();
      },
    },
  );
}

const server = createServer(forward);
server.listen(port, '127.0.0.1', () => process.stdout.write(`${port}\n`));
process.on('SIGTERM', () =>
  server.close(() => pool.close().then(() => process.exit(0))),
);
