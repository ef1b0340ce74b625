// Example UFOP program for Fopflow's container contract: listen on 9100, answer GET /health,
// and answer POST /handler?cmd=... with the result bytes and their MIME type. A real UFOP would
// transform the body here; this one echoes it, so the build and run pipeline can be tested alone.
'use strict';
const http = require('node:http');

const PORT = 9100;
// Sources are media files; refuse anything bigger than this rather than buffer it all.
const MAX_BODY_BYTES = 64 * 1024 * 1024;

const fail = (res, status, error) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error }));
};

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://localhost');
  if (req.method === 'GET' && url.pathname === '/health') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    return res.end('ok');
  }
  if (req.method !== 'POST' || url.pathname !== '/handler') return fail(res, 404, 'no such route');
  const cmd = url.searchParams.get('cmd');
  if (!cmd) return fail(res, 400, 'cmd is required');
  const chunks = [];
  let size = 0;
  req.on('data', (chunk) => {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      fail(res, 413, `source is larger than ${MAX_BODY_BYTES} bytes`);
      req.destroy();
    } else chunks.push(chunk);
  });
  req.on('end', () => {
    res.writeHead(200, {
      'content-type': req.headers['content-type'] || 'application/octet-stream',
      'x-ufop-cmd': cmd,
    });
    res.end(Buffer.concat(chunks));
  });
});

server.listen(PORT, () => console.log(`sepia-node listening on ${PORT}`));
// Docker stops with SIGTERM; as PID 1's child under sh, exit promptly instead of waiting for SIGKILL.
process.on('SIGTERM', () => server.close(() => process.exit(0)));
