import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';

/**
 * The web app (web/, built by `npm run build:web` into web/dist) served next
 * to the API from the same origin, so the browser needs no CORS and the
 * token never leaves the page's own origin.
 *
 * Hashed files under /assets are cached for good; every other path that is
 * not an API route answers index.html (the app routes in the browser), and
 * paths under /v1 keep the API's own 404.
 */

/** From src/http or dist/http, the build sits at the repository's web/dist. */
export const WEB_DIST_DIR = fileURLToPath(new URL('../../web/dist/', import.meta.url));

// antd writes its styles at run time, so inline styles are allowed; scripts come only from us.
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'self'",
  "form-action 'self'",
].join('; ');

function pageHeaders(reply: FastifyReply): FastifyReply {
  return reply
    .header('Content-Security-Policy', CONTENT_SECURITY_POLICY)
    .header('X-Content-Type-Options', 'nosniff')
    .header('Referrer-Policy', 'no-referrer')
    .header('Cache-Control', 'no-cache');
}

export async function registerWebApp(
  app: FastifyInstance,
  options: { readonly root?: string } = {},
): Promise<boolean> {
  const root = options.root ?? WEB_DIST_DIR;
  const indexPath = join(root, 'index.html');
  if (!existsSync(indexPath)) {
    app.log.warn({ root }, 'web app not built; run npm run build:web');
    return false;
  }
  const indexHtml = readFileSync(indexPath, 'utf8');

  await app.register(async (web) => {
    // Every route of this plugin is public: the app's files carry no data.
    web.addHook('onRoute', (route) => {
      route.config = { ...(route.config ?? {}), access: 'public' };
    });

    await web.register(fastifyStatic, {
      root,
      wildcard: false,
      index: false,
      decorateReply: false,
      // The headers below decide caching, not send's default of max-age=0.
      cacheControl: false,
      setHeaders: (res, filePath) => {
        const immutable = filePath.startsWith(join(root, 'assets'));
        res.setHeader(
          'Cache-Control',
          immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
        );
        res.setHeader('X-Content-Type-Options', 'nosniff');
      },
    });

    const sendIndex = (reply: FastifyReply) =>
      pageHeaders(reply).type('text/html; charset=utf-8').send(indexHtml);
    web.get('/', { schema: { hide: true } }, (_request, reply) => sendIndex(reply));
    web.get('/*', { schema: { hide: true } }, (request, reply) => {
      const pathname = request.url.split('?')[0] ?? '';
      if (pathname === '/v1' || pathname.startsWith('/v1/')) return reply.callNotFound();
      return sendIndex(reply);
    });
  });
  return true;
}
