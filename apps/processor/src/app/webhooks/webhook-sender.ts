import type {
  ClaimedDelivery,
  DeliveryResult,
} from '@gatehouse/scans/data-access';
import {
  OutOfScopeError,
  pinnedLookup,
  Resolve,
  resolveInScope,
  ScanScope,
} from '@gatehouse/scans/target-scope';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Webhook } from 'standardwebhooks';

export const WEBHOOK_USER_AGENT = 'Gatehouse-Webhooks/1.0 (+S-19)';

// Bytes of a callback's answer that are read (and dropped) before the connection is closed.
const MAX_ANSWER_BYTES = 64 * 1024;

export interface WebhookSenderOptions {
  scope: ScanScope;
  resolve: Resolve;
  // `whsec_` and base64; unset means every try fails, saying so.
  secret: string | undefined;
  timeoutMs: number;
}

// S-19: one signed POST of the scan to its callbackUrl. The host is resolved once and every
// address checked against the scan scope (S-15), and the request goes to the address checked, so
// a callback can never be turned against a private network. Redirects are not followed: a 3xx is
// a failed try, as with other webhook senders.
export async function sendWebhook(
  delivery: ClaimedDelivery,
  options: WebhookSenderOptions,
  stop: AbortSignal,
  now: () => Date = () => new Date(),
): Promise<DeliveryResult> {
  if (!options.secret)
    return {
      delivered: false,
      httpStatus: null,
      error: 'WEBHOOK_SECRET is not set, so the delivery cannot be signed',
    };
  const signal = AbortSignal.any([
    stop,
    AbortSignal.timeout(options.timeoutMs),
  ]);
  const url = new URL(delivery.url);
  try {
    const address = await resolveInScope(
      options.scope,
      url.hostname,
      options.resolve,
      signal,
    );
    const body = Buffer.from(JSON.stringify(delivery.payload));
    const at = now();
    const signature = new Webhook(options.secret).sign(delivery.id, at, body);
    const status = await post(url, body, signal, {
      lookup: pinnedLookup(address),
      headers: {
        'content-type': 'application/json',
        'content-length': String(body.length),
        'user-agent': WEBHOOK_USER_AGENT,
        'webhook-id': delivery.id,
        'webhook-timestamp': String(Math.floor(at.getTime() / 1_000)),
        'webhook-signature': signature,
      },
    });
    return status >= 200 && status < 300
      ? { delivered: true, httpStatus: status }
      : {
          delivered: false,
          httpStatus: status,
          error: `callback answered ${status}`,
        };
  } catch (error) {
    if (error instanceof OutOfScopeError)
      return {
        delivered: false,
        httpStatus: null,
        error: `callback ${error.message.replace(/^target /, '')}`,
        permanent: true,
      };
    if (stop.aborted)
      return {
        delivered: false,
        httpStatus: null,
        error: 'the processor stopped before the callback answered',
      };
    if (signal.aborted)
      return {
        delivered: false,
        httpStatus: null,
        error: `no answer within WEBHOOK_TIMEOUT_MS (${options.timeoutMs} ms)`,
      };
    const code = (error as { code?: string }).code;
    return {
      delivered: false,
      httpStatus: null,
      error: `callback unreachable: ${code ?? (error as Error).message}`,
    };
  }
}

function post(
  url: URL,
  body: Buffer,
  signal: AbortSignal,
  options: {
    lookup: ReturnType<typeof pinnedLookup>;
    headers: Record<string, string>;
  },
): Promise<number> {
  return new Promise((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(url, {
      method: 'POST',
      agent: false,
      signal,
      lookup: options.lookup,
      headers: { ...options.headers, connection: 'close' },
    });
    req.once('error', reject);
    req.once('response', (res) => {
      const status = res.statusCode ?? 0;
      let read = 0;
      res.on('data', (chunk: Buffer) => {
        read += chunk.length;
        if (read > MAX_ANSWER_BYTES) res.destroy();
      });
      res.once('close', () => resolve(status));
      res.once('error', () => resolve(status));
    });
    req.end(body);
  });
}
