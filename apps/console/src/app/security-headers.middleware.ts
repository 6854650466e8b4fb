import helmet from 'helmet';
import type { IncomingMessage, ServerResponse } from 'node:http';

type Middleware = (
  req: IncomingMessage,
  res: ServerResponse,
  next: (error?: unknown) => void,
) => void;

// O-1: the page loads its script, stylesheet and data from this origin only, and nothing may
// frame it (clickjacking of "Queue a scan"). ECharts draws SVG through the CSSOM, which a CSP
// does not restrict, so no inline script or style is allowed.
const PAGE_DIRECTIVES = {
  'default-src': ["'self'"],
  'base-uri': ["'none'"],
  'connect-src': ["'self'"],
  'font-src': ["'self'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
  'img-src': ["'self'", 'data:'],
  'object-src': ["'none'"],
  'script-src': ["'self'"],
  'script-src-attr': ["'none'"],
  'style-src': ["'self'"],
};

// Swagger UI's page (O-2) ships inline <style> blocks and style attributes; its scripts are
// still served files, so only styles are relaxed, and only under /docs.
const DOCS_DIRECTIVES = {
  ...PAGE_DIRECTIVES,
  'style-src': ["'self'", "'unsafe-inline'"],
};

function headers(directives: typeof PAGE_DIRECTIVES) {
  return helmet({
    // No defaults: helmet's would add upgrade-insecure-requests, which breaks a plain-HTTP page.
    contentSecurityPolicy: { useDefaults: false, directives },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    // HSTS belongs to whatever terminates TLS in front of the console, not to a plain-HTTP app.
    strictTransportSecurity: false,
  });
}

// Every answer of the console gets these headers: page, API, errors and health alike.
export function securityHeaders(): Middleware {
  const page = headers(PAGE_DIRECTIVES);
  const docs = headers(DOCS_DIRECTIVES);
  return (req, res, next) =>
    /^\/docs(?:[/?]|$)/.test(req.url ?? '')
      ? docs(req, res, next)
      : page(req, res, next);
}
