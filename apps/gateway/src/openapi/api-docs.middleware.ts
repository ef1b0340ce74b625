import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { NextFunction, Request, Response } from 'express';
import { buildOpenApiDocument } from './openapi.document';

/** The swagger-ui-dist files /docs serves; nothing else of the package is reachable. */
const DOCS_ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};

// The page loads only its own files: a strict CSP keeps /docs inert even on a shared host.
const DOCS_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Fopflow API</title>
<link rel="stylesheet" href="/docs/swagger-ui.css"><link rel="icon" href="/docs/favicon-32x32.png"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script><script src="/docs/docs-init.js"></script></body></html>`;
const DOCS_INIT = `window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', deepLinking: true });`;
const DOCS_CSP = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'";

/** Fopflow's version from its package.json, found upwards from here (source and dist/ alike). */
function packageVersion(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'fopflow' && pkg.version) return pkg.version;
    }
  }
  return '0.0.0';
}

/**
 * Serves `/openapi.json` (the document, built once) and the interactive page `/docs` with its
 * swagger-ui files. Mounted before the routes, so a bucket named `docs` keeps every other key.
 */
export function apiDocsMiddleware(version = packageVersion()): (req: Request, res: Response, next: NextFunction) => void {
  const document = JSON.stringify(buildOpenApiDocument(version));
  const assetsDir: string = require('swagger-ui-dist').getAbsoluteFSPath();
  const cache = new Map<string, Buffer>();
  const asset = (name: string) => cache.get(name) ?? cache.set(name, readFileSync(join(assetsDir, name))).get(name)!;
  return (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    if (req.path === '/openapi.json') return void res.type('application/json').send(document);
    if (req.path === '/docs' || req.path === '/docs/') return void res.set('Content-Security-Policy', DOCS_CSP).type('text/html').send(DOCS_PAGE);
    if (req.path === '/docs/docs-init.js') return void res.type('text/javascript').send(DOCS_INIT);
    const name = req.path.startsWith('/docs/') ? req.path.slice('/docs/'.length) : undefined;
    if (name && DOCS_ASSETS[name]) return void res.type(DOCS_ASSETS[name]).set('Cache-Control', 'public, max-age=86400').send(asset(name));
    next();
  };
}
