import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { z } from 'zod';

/** The parts of an OpenAPI 3.1 document the checks read. */
export interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: object }> }> }>>;
  components: { schemas: Record<string, object> };
}

/** A route as Nest registers it, in the document's terms: `{param}` for `:param` and `*param`. */
export interface RegisteredRoute {
  method: string;
  path: string;
  handler: string;
}

const GATEWAY_DIST = join(__dirname, '../../dist/apps/gateway/src');

// Run in plain node over the built gateway (what the e2e suites start): Nest's own metadata,
// read the way its router reads it, without jest's module loader in the way.
const LIST_ROUTES = `
require('reflect-metadata');
const { readdirSync } = require('node:fs');
const { join } = require('node:path');
const { RequestMethod } = require('@nestjs/common');
const { METHOD_METADATA, PATH_METADATA } = require('@nestjs/common/constants');
const files = (dir) => readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
  entry.isDirectory() ? files(join(dir, entry.name)) : entry.name.endsWith('.controller.js') ? [join(dir, entry.name)] : []);
const routes = [];
for (const file of files(process.argv[1])) {
  for (const exported of Object.values(require(file))) {
    if (typeof exported !== 'function') continue;
    const base = Reflect.getMetadata(PATH_METADATA, exported);
    if (base === undefined) continue;
    for (const name of Object.getOwnPropertyNames(exported.prototype)) {
      const handler = exported.prototype[name];
      if (typeof handler !== 'function' || name === 'constructor') continue;
      const method = Reflect.getMetadata(METHOD_METADATA, handler);
      const path = Reflect.getMetadata(PATH_METADATA, handler);
      if (method === undefined || path === undefined) continue;
      for (const controllerPath of [base].flat()) for (const routePath of [path].flat())
        routes.push({ method: RequestMethod[method].toLowerCase(), paths: [controllerPath, routePath], handler: exported.name + '.' + name });
    }
  }
}
process.stdout.write(JSON.stringify(routes));
`;

function documentPath(parts: string[]): string {
  const joined = `/${parts.filter(Boolean).join('/')}`.replace(/\/+/g, '/').replace(/(.)\/$/, '$1');
  return joined.replace(/[:*]([A-Za-z0-9_]+)/g, '{$1}');
}

/**
 * Every route of every controller of the built gateway (dist/apps/gateway/src), read from the
 * metadata Nest's router registers them from: a new controller or handler shows up here without
 * being listed anywhere.
 */
export async function registeredRoutes(): Promise<RegisteredRoute[]> {
  // Not execFileSync: a test process blocked for seconds keeps reusing sockets the gateway has closed meanwhile.
  const { stdout: output } = await promisify(execFile)(process.execPath, ['-e', LIST_ROUTES, GATEWAY_DIST], { cwd: join(__dirname, '../..'), encoding: 'utf8' });
  const routes = JSON.parse(output) as Array<{ method: string; paths: string[]; handler: string }>;
  return routes.map(({ method, paths, handler }) => ({ method, path: documentPath(paths), handler }));
}

/**
 * Checks real answers against the document: the document's JSON Schema is turned back into a
 * validator, so what is checked is the document, not the gateway's own zod schemas.
 */
export function documentChecker(doc: OpenApiDocument) {
  const called = new Set<string>();
  const defs = JSON.parse(JSON.stringify(doc.components.schemas).replaceAll('#/components/schemas/', '#/$defs/'));

  /** Throws unless `body` matches the JSON answer the document gives for this route, method and status. */
  function expectConforms(route: string, method: string, status: number, body: unknown): void {
    const response = doc.paths[route]?.[method]?.responses[String(status)];
    if (!response) throw new Error(`the document has no ${status} answer for ${method.toUpperCase()} ${route}`);
    const schema = response.content?.['application/json']?.schema;
    if (!schema) throw new Error(`the document gives no JSON body for ${status} of ${method.toUpperCase()} ${route}`);
    const root = JSON.parse(JSON.stringify(schema).replaceAll('#/components/schemas/', '#/$defs/'));
    const result = z.fromJSONSchema({ ...root, $defs: defs }).safeParse(body);
    if (!result.success) throw new Error(`${method.toUpperCase()} ${route} ${status} does not match the document: ${JSON.stringify(result.error.issues)}\n${JSON.stringify(body)}`);
    called.add(`${method} ${route}`);
  }

  /**
   * Checks a real answer: its status must be `expected` (or one of them) and documented, and its body must match
   * the documented one (JSON validated, other types by Content-Type). Returns the parsed body.
   */
  async function expectAnswer<T = unknown>(route: string, method: string, answer: Response, expected: number | number[]): Promise<T> {
    const text = await answer.text();
    if (![expected].flat().includes(answer.status)) throw new Error(`${method.toUpperCase()} ${route} answered ${answer.status}, not ${[expected].flat().join(' or ')}: ${text.slice(0, 300)}`);
    const response = doc.paths[route]?.[method]?.responses[String(answer.status)];
    if (!response) throw new Error(`the document has no ${answer.status} answer for ${method.toUpperCase()} ${route}`);
    const types = Object.keys(response.content ?? {});
    if (types.includes('application/json')) {
      const body = JSON.parse(text) as T;
      expectConforms(route, method, answer.status, body);
      return body;
    }
    const type = answer.headers.get('content-type') ?? '';
    if (types.length && !types.some((documented) => documented === '*/*' || type.startsWith(documented))) {
      throw new Error(`${method.toUpperCase()} ${route} answered ${type}, the document says ${types.join(', ')}`);
    }
    called.add(`${method} ${route}`);
    return text as T;
  }

  /** `<method> <route>` of every answer that was checked and conformed. */
  const checked = (): ReadonlySet<string> => called;

  return { expectConforms, expectAnswer, checked };
}
