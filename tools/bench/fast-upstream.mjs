// A minimal upstream for benchmarks: answers every request at once with a small JSON body.
import { createServer } from 'node:http';

const port = Number(process.argv[2] ?? 0);
const body = Buffer.from('{"message":"Processed by the backend service!"}');
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, {
      'content-type': 'application/json',
      'content-length': body.length,
    });
    res.end(body);
  });
});
server.keepAliveTimeout = 10_000;
server.listen(port, '127.0.0.1', () =>
  process.stdout.write(`${server.address().port}\n`),
);
process.on('SIGTERM', () => server.close(() => process.exit(0)));
