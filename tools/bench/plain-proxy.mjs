// The reference: a plain Node proxy with no inspection (fastify + @fastify/reply-from).
import Fastify from 'fastify';
import replyFrom from '@fastify/reply-from';

const [port, upstream] = [Number(process.argv[2]), process.argv[3]];
const app = Fastify({ logger: false });
await app.register(replyFrom, {
  base: upstream,
  undici: { connections: 128, pipelining: 1 },
});
app.removeAllContentTypeParsers();
app.addContentTypeParser('*', (_req, payload, done) => done(null, payload));
app.all('/*', (request, reply) => reply.from(request.url));
await app.listen({ port, host: '127.0.0.1' });
process.stdout.write(`${port}\n`);
process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
