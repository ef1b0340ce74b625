// A UFOP that misbehaves on request, for the sandbox specs: it honours the container contract
// (9100, GET /health, POST /handler?cmd=...) and, depending on the first cmd segment, echoes,
// fails, hangs, exits or eats memory, so every way a user's program can go wrong is reproducible.
//   hog/...            allocates memory until the kernel kills it
//   hang/...           never answers
//   fail/<message>     400 {"error": message}
//   error/<message>    500 {"error": message}
//   crash/<code>       exits with that code, leaving the request unanswered
//   big/<bytes>        answers that many bytes (application/octet-stream), whatever the source
//   nomime/...         echoes the source without a Content-Type
//   anything else      echoes the source with its Content-Type, streamed as it arrives
// GET /whoami answers the hostname, so a spec can tell which sandbox answered on 127.0.0.1:9100.
'use strict';
const http = require('node:http');
const os = require('node:os');

const PORT = 9100;
// Each hog step keeps 8 MiB of touched pages: Buffer.alloc zero-fills, so the memory is really used.
const HOG_STEP_BYTES = 8 * 1024 * 1024;

const fail = (res, status, error) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error }));
};

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://localhost');
  if (req.method === 'GET' && url.pathname === '/health') return res.end('ok');
  if (req.method === 'GET' && url.pathname === '/whoami') return res.end(os.hostname());
  if (req.method !== 'POST' || url.pathname !== '/handler') return fail(res, 404, 'no such route');
  const cmd = url.searchParams.get('cmd') || '';
  const [verb, ...rest] = cmd.split('/');
  const arg = rest.join('/');
  switch (verb) {
    case 'hog': {
      const kept = [];
      for (;;) kept.push(Buffer.alloc(HOG_STEP_BYTES, 1));
    }
    case 'hang':
      req.resume();
      return;
    case 'fail':
      req.resume();
      return fail(res, 400, arg);
    case 'error':
      req.resume();
      return fail(res, 500, arg);
    case 'crash':
      process.exit(Number(arg) || 1);
      return;
    case 'big': {
      req.resume();
      const total = Number(arg);
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const chunk = Buffer.alloc(64 * 1024, 7);
      let sent = 0;
      const more = () => {
        while (sent < total) {
          const piece = chunk.subarray(0, Math.min(chunk.length, total - sent));
          sent += piece.length;
          if (!res.write(piece)) return res.once('drain', more);
        }
        res.end();
      };
      return more();
    }
    case 'nomime':
      res.writeHead(200);
      return req.pipe(res);
    default:
      res.writeHead(200, { 'content-type': req.headers['content-type'] || 'application/octet-stream', 'x-ufop-cmd': cmd });
      return req.pipe(res);
  }
});

server.listen(PORT, () => console.log(`misbehaving listening on ${PORT}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
