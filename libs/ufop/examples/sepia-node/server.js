// Example UFOP for Fopflow: a sepia filter. node answers the container contract (port 9100,
// GET /health, POST /handler?cmd=<fop step>); ffmpeg, from the fopflow/ffmpeg base image, decodes
// the source, tones it and encodes a JPEG. node built-ins only: the image needs no npm install.
//
//   <name>/level/<1-5>   how far towards full sepia (5); default 3. <name> is the first segment
//                        of the step, the name the UFOP is registered under, whatever it is.
'use strict';
const http = require('node:http');
const { spawn } = require('node:child_process');

// Fopflow calls every UFOP on port 9100; UFOP_PORT only serves running it outside a container.
const PORT = Number(process.env.UFOP_PORT) || 9100;
// Sources are images; a bigger body is refused (413) instead of being fed to ffmpeg.
const MAX_SOURCE_BYTES = 32 * 1024 * 1024;
// The JPEG is held in memory until ffmpeg has succeeded (only then is 200 certain).
const MAX_OUTPUT_BYTES = 64 * 1024 * 1024;
// One image takes well under a second; past this ffmpeg is killed and the request fails.
const FFMPEG_TIMEOUT_MS = 30_000;
// ffmpeg's error output kept for the error message.
const MAX_STDERR_CHARS = 4000;
// On SIGTERM, requests in flight get this long to finish before the program exits anyway.
const SHUTDOWN_GRACE_MS = 10_000;
const DEFAULT_LEVEL = 3;
const MAX_LEVEL = 5;

// The classic sepia transform (rows: output red, green, blue; columns: input red, green, blue).
const SEPIA = [
  [0.393, 0.769, 0.189],
  [0.349, 0.686, 0.168],
  [0.272, 0.534, 0.131],
];

/** An error the caller made: answered with its status and `{"error": message}`. */
class RequestError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

const PARAMS = {
  level: (value) => {
    if (!/^[1-5]$/.test(value)) throw new RequestError(400, `level must be a whole number from 1 to ${MAX_LEVEL}, got '${value}'`);
    return Number(value);
  },
};

/**
 * Reads the fop step `<name>/<param>/<value>/...`: the first segment is the UFOP's registered
 * name, the rest name/value pairs. Unknown or repeated parameters are refused, never ignored.
 */
function parseCmd(cmd) {
  const [, ...pairs] = cmd.split('/');
  const params = { level: DEFAULT_LEVEL };
  const seen = new Set();
  for (let i = 0; i < pairs.length; i += 2) {
    const name = pairs[i];
    const value = pairs[i + 1];
    if (!Object.hasOwn(PARAMS, name)) {
      throw new RequestError(400, `unknown parameter '${name}' (known: ${Object.keys(PARAMS).join(', ')})`);
    }
    if (value === undefined || value === '') throw new RequestError(400, `parameter '${name}' has no value`);
    if (seen.has(name)) throw new RequestError(400, `parameter '${name}' is given twice`);
    seen.add(name);
    params[name] = PARAMS[name](value);
  }
  return params;
}

/** colorchannelmixer's argument: identity at level 0, full sepia at MAX_LEVEL, linear between. */
function sepiaMixer(level) {
  const amount = level / MAX_LEVEL;
  const coefficient = (row, column) => (row === column ? 1 - amount : 0) + amount * SEPIA[row][column];
  const names = ['r', 'g', 'b'];
  return names
    .flatMap((out, row) => names.map((input, column) => `${out}${input}=${coefficient(row, column).toFixed(4)}`))
    .join(':');
}

/**
 * Streams the request body through ffmpeg and resolves with the JPEG. Rejects with 413 for a body
 * over MAX_SOURCE_BYTES and 415 when ffmpeg cannot make an image of it.
 */
function sepia(req, level) {
  return new Promise((resolve, reject) => {
    const ffmpeg = spawn('ffmpeg', [
      '-hide_banner', '-nostdin', '-loglevel', 'error',
      '-i', 'pipe:0',
      // The first frame of an animation or video; sound is never wanted.
      '-frames:v', '1', '-an',
      '-vf', `colorchannelmixer=${sepiaMixer(level)}`,
      '-f', 'image2pipe', '-c:v', 'mjpeg', '-q:v', '3',
      'pipe:1',
    ], { stdio: ['pipe', 'pipe', 'pipe'] });

    let settled = false;
    const fail = (error) => {
      if (settled) return;
      settled = true;
      ffmpeg.kill('SIGKILL');
      reject(error);
    };
    const timer = setTimeout(() => fail(new Error(`ffmpeg took longer than ${FFMPEG_TIMEOUT_MS} ms`)), FFMPEG_TIMEOUT_MS);

    const output = [];
    let outputBytes = 0;
    ffmpeg.stdout.on('data', (chunk) => {
      outputBytes += chunk.length;
      if (outputBytes > MAX_OUTPUT_BYTES) fail(new Error(`the result is larger than ${MAX_OUTPUT_BYTES} bytes`));
      else output.push(chunk);
    });
    let stderr = '';
    ffmpeg.stderr.on('data', (chunk) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-MAX_STDERR_CHARS);
    });
    // ffmpeg stops reading once it gives up on the input; the write then fails with EPIPE,
    // and ffmpeg's exit status is what tells why.
    ffmpeg.stdin.on('error', () => undefined);
    ffmpeg.on('error', (error) => fail(new Error(`cannot run ffmpeg: ${error.message}`)));
    ffmpeg.on('close', (code) => {
      clearTimeout(timer);
      if (settled) return;
      settled = true;
      if (code === 0 && outputBytes > 0) return resolve(Buffer.concat(output));
      const reason = stderr.trim().split('\n').pop() || `ffmpeg exited with ${code} and no image`;
      reject(new RequestError(415, `the source is not an image ffmpeg can decode: ${reason}`));
    });

    // The body goes to ffmpeg as it arrives, counted, with backpressure both ways.
    let sourceBytes = 0;
    req.on('data', (chunk) => {
      sourceBytes += chunk.length;
      if (sourceBytes > MAX_SOURCE_BYTES) {
        req.pause();
        return fail(new RequestError(413, `the source is larger than ${MAX_SOURCE_BYTES} bytes`));
      }
      if (!ffmpeg.stdin.write(chunk)) req.pause();
    });
    ffmpeg.stdin.on('drain', () => !settled && req.resume());
    req.on('end', () => ffmpeg.stdin.end());
    req.on('error', (error) => fail(error));
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
  if (url.pathname === '/health') {
    if (req.method !== 'GET') return answerError(req, res, 405, 'use GET /health');
    res.writeHead(200, { 'content-type': 'text/plain' });
    return res.end('ok');
  }
  if (url.pathname !== '/handler') return answerError(req, res, 404, `no route ${url.pathname}; use GET /health or POST /handler?cmd=...`);
  if (req.method !== 'POST') return answerError(req, res, 405, 'use POST /handler?cmd=...');
  const cmd = url.searchParams.get('cmd');
  if (!cmd) return answerError(req, res, 400, 'cmd is required');
  // Checked before ffmpeg starts or the body is read: a bad step costs nothing.
  const { level } = parseCmd(cmd);
  const declared = Number(req.headers['content-length']);
  if (declared > MAX_SOURCE_BYTES) throw new RequestError(413, `the source is ${declared} bytes; at most ${MAX_SOURCE_BYTES} are accepted`);
  const jpeg = await sepia(req, level);
  res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': jpeg.length });
  res.end(jpeg);
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((error) => {
    if (res.headersSent) return res.destroy(error);
    if (error instanceof RequestError) return answerError(req, res, error.status, error.message);
    // This program's own failure (ffmpeg missing, too slow): logged whole, answered briefly.
    console.error(error);
    answerError(req, res, 500, error.message);
  });
});

server.listen(PORT, () => console.log(`sepia-node listening on ${PORT}`));

// Docker stops a container with SIGTERM, then SIGKILL after a grace period: stop taking requests,
// let those in flight finish, and exit on our own rather than be killed mid-answer.
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), SHUTDOWN_GRACE_MS).unref();
});
