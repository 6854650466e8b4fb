import {
  pinnedLookup,
  type ResolvedAddress,
} from '@gatehouse/scans/target-scope';
import type { IncomingHttpHeaders } from 'node:http';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface HopResponse {
  status: number;
  headers: IncomingHttpHeaders;
  bodyBytes: number;
  bodyTruncated: boolean;
}

export const USER_AGENT = 'Gatehouse-Scanner/1.0 (+S-14 http scan)';

// One GET of `url` at the checked address. Reads at most `maxBodyBytes` of the body, then
// closes the connection; follows nothing.
export function fetchOnce(
  url: URL,
  address: ResolvedAddress,
  options: { maxBodyBytes: number; signal: AbortSignal },
): Promise<HopResponse> {
  return new Promise((resolve, reject) => {
    if (options.signal.aborted) return reject(options.signal.reason);
    const https = url.protocol === 'https:';
    const send = https ? httpsRequest : httpRequest;
    const req = send(url, {
      method: 'GET',
      lookup: pinnedLookup(address),
      agent: false,
      // Trust is reported from the TLS probe; the headers of an untrusted site still count.
      rejectUnauthorized: false,
      signal: options.signal,
      headers: {
        'user-agent': USER_AGENT,
        accept: 'text/html,application/xhtml+xml,*/*;q=0.8',
        'accept-encoding': 'identity',
        connection: 'close',
      },
    });
    req.once('error', (error) =>
      reject(options.signal.aborted ? options.signal.reason : error),
    );
    req.once('response', (res) => {
      let bodyBytes = 0;
      let bodyTruncated = false;
      const done = () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          bodyBytes,
          bodyTruncated,
        });
      res.on('data', (chunk: Buffer) => {
        bodyBytes += chunk.length;
        if (bodyBytes >= options.maxBodyBytes) {
          bodyBytes = Math.min(bodyBytes, options.maxBodyBytes);
          bodyTruncated = true;
          res.destroy();
          done();
        }
      });
      res.once('end', done);
      res.once('error', (error) =>
        bodyTruncated
          ? undefined
          : reject(options.signal.aborted ? options.signal.reason : error),
      );
      res.once('close', done);
    });
    req.end();
  });
}
