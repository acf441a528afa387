// The plain HTTP side of the WebSocket listener (WS_PORT): BOSH at BOSH_PATH, XEP-0156
// discovery at /.well-known/host-meta(.json), and the Converse.js web client at /chat.
// Everything is served from this process; nothing is loaded from another host.
import { createReadStream, existsSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import type { GatewayConfig } from '../config/config';
import type { HttpRouteHandler } from '../host/module';
import type { BoshEndpoint } from './bosh';

/** XEP-0156 link relations. */
export const ALT_WEBSOCKET = 'urn:xmpp:alt-connections:websocket';
export const ALT_XBOSH = 'urn:xmpp:alt-connections:xbosh';

/** A Host header as a browser sends it: a DNS name or an IP literal, and a port. */
const HOST = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i;

/**
 * The listener's public base URL (`https://host[:port]`): HTTP_PUBLIC_URL, else the
 * request's Host header (undefined when that is not a plain host name).
 */
export function publicBase(cfg: Pick<GatewayConfig, 'HTTP_PUBLIC_URL'>, host: string | undefined): string | undefined {
  if (cfg.HTTP_PUBLIC_URL) return cfg.HTTP_PUBLIC_URL.replace(/\/+$/, '');
  if (!host || !HOST.test(host)) return undefined;
  return `https://${host.toLowerCase()}`;
}

/** The endpoints a client may connect to, as XEP-0156 lists them. */
export function connectionLinks(cfg: Pick<GatewayConfig, 'WS_PATH' | 'BOSH_PATH' | 'BOSH_ENABLED'>, base: string): { rel: string; href: string }[] {
  const links = [{ rel: ALT_WEBSOCKET, href: `${base.replace(/^http/, 'ws')}${cfg.WS_PATH}` }];
  if (cfg.BOSH_ENABLED) links.push({ rel: ALT_XBOSH, href: `${base}${cfg.BOSH_PATH}` });
  return links;
}

function escapeAttr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** XEP-0156 §3: the host-meta document in XRD (RFC 6415). */
export function hostMetaXrd(links: { rel: string; href: string }[]): string {
  return `<?xml version='1.0' encoding='utf-8'?>\n<XRD xmlns='http://docs.oasis-open.org/ns/xri/xrd-1.0'>\n${links.map((l) => `  <Link rel="${escapeAttr(l.rel)}" href="${escapeAttr(l.href)}"/>\n`).join('')}</XRD>\n`;
}

/** XEP-0156 §3: the host-meta document in JSON (JRD, RFC 6415 Appendix A). */
export function hostMetaJson(links: { rel: string; href: string }[]): string {
  return JSON.stringify({ links }, null, 2) + '\n';
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.eot': 'application/vnd.ms-fontobject',
  '.mp3': 'audio/mpeg',
  '.ogg': 'audio/ogg',
};

/** Where the pinned converse.js package keeps its built files (undefined when it is not installed). */
export function converseDist(): string | undefined {
  // the package exports no CommonJS entry (nor its package.json): look where Node would
  for (const modules of require.resolve.paths('converse.js') ?? []) {
    const dir = join(modules, 'converse.js', 'dist');
    if (existsSync(join(dir, 'converse.min.js'))) return dir;
  }
  return undefined;
}

/**
 * The web client's Content-Security-Policy: this origin only (images and media too, so that
 * no third-party host learns who reads what), plus HTTPS connections for XEP-0363 uploads.
 */
export function chatCsp(base: string): string {
  const ws = base.replace(/^http/, 'ws');
  return [
    "default-src 'none'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "media-src 'self' data: blob:",
    "font-src 'self' data:",
    `connect-src 'self' ${ws} https:`,
    "worker-src 'self' blob:",
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** The /chat page: Converse.js with its settings as inert JSON, started by /chat/start.js (no inline script). */
export function chatPage(domain: string, settings: Record<string, unknown>): string {
  const json = JSON.stringify(settings).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Chat on ${escapeAttr(domain)}</title>
<link rel="stylesheet" href="/chat/dist/converse.min.css">
<link rel="stylesheet" href="/chat/parley.css">
<script type="application/json" id="parley-settings">${json}</script>
<script type="module" src="/chat/dist/converse.min.js"></script>
<script type="module" src="/chat/start.js"></script>
</head>
<body class="converse-fullscreen">
<noscript><p>This web client needs JavaScript. Any XMPP client works with ${escapeAttr(domain)} too.</p></noscript>
</body>
</html>
`;
}

/**
 * Starts Converse.js with the page's settings. WebSocket is used when a WebSocket to the
 * gateway opens; otherwise (a network or proxy that breaks WebSocket), or with
 * `?transport=bosh`, BOSH is. Converse.js itself switches transports only when an
 * established connection drops, not when the first one fails: hence this check.
 */
export const CHAT_START_JS = `const settings = JSON.parse(document.getElementById('parley-settings').textContent);
const webSocketOpens = (url) => new Promise((resolve) => {
  let ws;
  try {
    ws = new WebSocket(url, 'xmpp');
  } catch {
    return resolve(false);
  }
  const timer = setTimeout(() => { ws.close(); resolve(false); }, 5000);
  ws.onopen = () => { clearTimeout(timer); ws.close(1000); resolve(true); };
  ws.onerror = ws.onclose = () => { clearTimeout(timer); resolve(false); };
});
const boshOnly = new URLSearchParams(location.search).get('transport') === 'bosh';
if (settings.bosh_service_url && (boshOnly || !(await webSocketOpens(settings.websocket_url)))) delete settings.websocket_url;
window.converse.initialize(settings);
`;

/** The full-screen footer's sponsor logos are images on another host: not shown (the CSP would refuse them anyway). */
export const CHAT_CSS = `converse-footer .sponsors { display: none; }
`;

/** Settings for Converse.js on this server. */
export function chatSettings(cfg: Pick<GatewayConfig, 'WS_PATH' | 'BOSH_PATH' | 'BOSH_ENABLED'>, domain: string, base: string): Record<string, unknown> {
  const links = connectionLinks(cfg, base);
  return {
    websocket_url: links.find((l) => l.rel === ALT_WEBSOCKET)!.href,
    ...(cfg.BOSH_ENABLED ? { bosh_service_url: links.find((l) => l.rel === ALT_XBOSH)!.href } : {}),
    discover_connection_methods: false,
    authentication: 'login',
    auto_login: false,
    locked_domain: domain,
    domain_placeholder: domain,
    assets_path: '/chat/dist/',
    view_mode: 'fullscreen',
    play_sounds: false,
    show_connection_url_input: false,
    loglevel: 'warn',
  };
}

function notFound(res: ServerResponse): void {
  res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
  res.end('not found\n');
}

/** Whether a browser origin is the listener's own (a page it served). */
function sameOrigin(origin: string, host: string | undefined): boolean {
  try {
    return host !== undefined && new URL(origin).host.toLowerCase() === host.toLowerCase();
  } catch {
    return false;
  }
}

export interface WebRoutes {
  cfg: GatewayConfig;
  domain: string;
  bosh?: BoshEndpoint;
  /** Whether a cross-origin browser page may use BOSH (WS_ALLOWED_ORIGINS). */
  originAllowed(origin: string | undefined): boolean;
  /** The client's address (trusted X-Forwarded-For), for the per-address limits. */
  address(req: IncomingMessage): string | undefined;
  /** The module handler claiming a path (ModuleContext.httpRoute), if any. */
  moduleRoute?(path: string): HttpRouteHandler | undefined;
}

/** Answers the listener's plain HTTP requests. */
export function webHandler(routes: WebRoutes): (req: IncomingMessage, res: ServerResponse) => void {
  const { cfg, domain, bosh } = routes;
  const dist = cfg.WEB_CLIENT ? converseDist() : undefined;
  return (req, res) => {
    let path: string;
    try {
      path = new URL(req.url ?? '/', 'http://x').pathname;
    } catch {
      res.writeHead(400).end();
      return;
    }
    const host = req.headers.host;
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('referrer-policy', 'no-referrer');

    if (bosh && path === cfg.BOSH_PATH) {
      const origin = req.headers.origin;
      if (origin !== undefined) {
        if (!sameOrigin(origin, host) && !routes.originAllowed(origin)) {
          res.writeHead(403, { 'content-type': 'text/plain; charset=utf-8' });
          res.end('origin not allowed\n');
          return;
        }
        res.setHeader('access-control-allow-origin', origin);
        res.setHeader('vary', 'Origin');
      }
      if (req.method === 'OPTIONS') {
        res.writeHead(204, { 'access-control-allow-methods': 'POST, OPTIONS', 'access-control-allow-headers': 'Content-Type', 'access-control-max-age': '86400' });
        res.end();
        return;
      }
      bosh.handle(req, res, routes.address(req)).catch(() => {
        if (!res.headersSent) res.writeHead(400).end();
      });
      return;
    }

    if (path === '/.well-known/host-meta' || path === '/.well-known/host-meta.json') {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD' }).end();
        return;
      }
      const base = publicBase(cfg, host);
      if (!base) {
        res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' }).end('bad Host header\n');
        return;
      }
      const links = connectionLinks(cfg, base);
      const json = path.endsWith('.json');
      // XEP-0156 §3: readable by web clients on other origins
      res.writeHead(200, {
        'content-type': json ? 'application/json' : 'application/xrd+xml; charset=utf-8',
        'access-control-allow-origin': '*',
        'cache-control': 'public, max-age=3600',
      });
      res.end(req.method === 'HEAD' ? undefined : json ? hostMetaJson(links) : hostMetaXrd(links));
      return;
    }

    if (dist && (path === '/chat' || path === '/chat/' || path === '/chat/start.js' || path === '/chat/parley.css' || path.startsWith('/chat/dist/'))) {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD' }).end();
        return;
      }
      const base = publicBase(cfg, host);
      if (!base) {
        res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' }).end('bad Host header\n');
        return;
      }
      if (path === '/chat/start.js') {
        res.writeHead(200, { 'content-type': TYPES['.js'], 'cache-control': 'no-cache' });
        res.end(req.method === 'HEAD' ? undefined : CHAT_START_JS);
        return;
      }
      if (path === '/chat/parley.css') {
        res.writeHead(200, { 'content-type': TYPES['.css'], 'cache-control': 'no-cache' });
        res.end(req.method === 'HEAD' ? undefined : CHAT_CSS);
        return;
      }
      if (!path.startsWith('/chat/dist/')) {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-security-policy': chatCsp(base), 'x-frame-options': 'DENY' });
        res.end(req.method === 'HEAD' ? undefined : chatPage(domain, chatSettings(cfg, domain, base)));
        return;
      }
      let rel: string;
      try {
        rel = decodeURIComponent(path.slice('/chat/dist/'.length));
      } catch {
        return notFound(res);
      }
      const file = normalize(join(dist, rel));
      if (!file.startsWith(dist + sep) || !existsSync(file) || !statSync(file).isFile()) return notFound(res);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'public, max-age=3600' });
      if (req.method === 'HEAD') res.end();
      else createReadStream(file).pipe(res);
      return;
    }

    const route = routes.moduleRoute?.(path);
    if (route) {
      Promise.resolve(route(req, res, { address: routes.address(req), base: publicBase(cfg, host) })).catch(() => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('internal error\n');
        else res.destroy();
      });
      return;
    }

    if (path === cfg.WS_PATH) {
      res.writeHead(426, { upgrade: 'websocket', 'content-type': 'text/plain; charset=utf-8' });
      res.end('XMPP over WebSocket (RFC 7395): connect with the xmpp subprotocol\n');
      return;
    }
    notFound(res);
  };
}
