// {{UFOP_NAME}}: a UFOP, a program of yours that Fopflow runs in a container and calls over HTTP.
// It uses node's built-ins only, so the image needs no npm install. README.md has the contract and
// a curl for each case.
//
// What it does as it stands: answers with the source unchanged, or, given `case/upper` or
// `case/lower`, with the source read as UTF-8 text and its case changed. Replace PARAMS and
// transform() with your own processing; the rest is the contract and can stay as it is.
'use strict';
const http = require('node:http');

// Fopflow calls every UFOP on port 9100; UFOP_PORT only serves trying it outside a container.
const PORT = Number(process.env.UFOP_PORT) || 9100;
// The whole source is held in memory: a bigger one is refused (413) before it is read.
const MAX_SOURCE_BYTES = 32 * 1024 * 1024;
// On SIGTERM, requests in flight get this long to finish before the program exits anyway.
const SHUTDOWN_GRACE_MS = 10_000;

/** An error the caller made: answered with its status and `{"error": message}`. */
class RequestError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/**
 * The parameters this UFOP takes, each with the check its value must pass. A value arrives as the
 * text between two `/` of the fop step; the check returns what transform() gets.
 */
const PARAMS = {
  case: (value) => {
    if (value !== 'upper' && value !== 'lower') throw new RequestError(400, `case must be upper or lower, got '${value}'`);
    return value;
  },
};

/**
 * Reads the fop step. `cmd` is the step exactly as the user wrote it, `<name>/<param>/<value>/...`;
 * its first segment is the name this UFOP is registered under (whatever that is), then come
 * name/value pairs. Anything unknown is refused: a typo must not silently mean the default.
 */
function parseCmd(cmd) {
  const [, ...pairs] = cmd.split('/');
  const params = {};
  for (let i = 0; i < pairs.length; i += 2) {
    const name = pairs[i];
    const value = pairs[i + 1];
    if (!Object.hasOwn(PARAMS, name)) {
      throw new RequestError(400, `unknown parameter '${name}' (known: ${Object.keys(PARAMS).join(', ')})`);
    }
    if (value === undefined || value === '') throw new RequestError(400, `parameter '${name}' has no value`);
    if (Object.hasOwn(params, name)) throw new RequestError(400, `parameter '${name}' is given twice`);
    params[name] = PARAMS[name](value);
  }
  return params;
}

/** The processing itself: the source bytes and their type in, the result bytes and their type out. */
function transform(source, contentType, params) {
  if (params.case === undefined) return { body: source, contentType };
  const text = source.toString('utf8');
  return {
    body: Buffer.from(params.case === 'upper' ? text.toUpperCase() : text.toLowerCase(), 'utf8'),
    contentType: 'text/plain; charset=utf-8',
  };
}

/** Collects the request body, refusing it (413) once it passes MAX_SOURCE_BYTES. */
function readSource(req) {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (declared > MAX_SOURCE_BYTES) {
      reject(new RequestError(413, `the source is ${declared} bytes; at most ${MAX_SOURCE_BYTES} are accepted`));
      return;
    }
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > MAX_SOURCE_BYTES) {
        reject(new RequestError(413, `the source is larger than ${MAX_SOURCE_BYTES} bytes`));
        req.pause();
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function answerError(req, res, status, message) {
  const body = JSON.stringify({ error: message });
  // A body left unread cannot be skipped on a kept-alive connection: close it after the answer.
  const close = !req.complete;
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...(close && { connection: 'close' }) });
  res.end(body, () => close && req.destroy());
}

async function handle(req, res) {
  const url = new URL(req.url, 'http://localhost');
  // Fopflow asks this before sending work, and again while the instance runs.
  if (url.pathname === '/health') {
    if (req.method !== 'GET') return answerError(req, res, 405, 'use GET /health');
    res.writeHead(200, { 'content-type': 'text/plain' });
    return res.end('ok');
  }
  if (url.pathname !== '/handler') return answerError(req, res, 404, `no route ${url.pathname}; use GET /health or POST /handler?cmd=...`);
  if (req.method !== 'POST') return answerError(req, res, 405, 'use POST /handler?cmd=...');
  const cmd = url.searchParams.get('cmd');
  if (!cmd) return answerError(req, res, 400, 'cmd is required');
  // Parameters are checked before the source is read: a bad step costs no upload.
  const params = parseCmd(cmd);
  const source = await readSource(req);
  const result = transform(source, req.headers['content-type'] || 'application/octet-stream', params);
  res.writeHead(200, { 'content-type': result.contentType, 'content-length': result.body.length });
  res.end(result.body);
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((error) => {
    if (res.headersSent) return res.destroy(error);
    if (error instanceof RequestError) return answerError(req, res, error.status, error.message);
    // Anything else is this program's fault: log it whole, tell the caller little.
    console.error(error);
    answerError(req, res, 500, 'the UFOP failed; see its log');
  });
});

server.listen(PORT, () => console.log(`{{UFOP_NAME}} listening on ${PORT}`));

// Docker stops a container with SIGTERM, then SIGKILL after a grace period: stop taking requests,
// let those in flight finish, and exit on our own rather than be killed mid-answer.
process.on('SIGTERM', () => {
  console.log('SIGTERM: finishing requests in flight');
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), SHUTDOWN_GRACE_MS).unref();
});
