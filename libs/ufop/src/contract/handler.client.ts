import { createReadStream, createWriteStream, ReadStream, WriteStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { ClientRequest, IncomingMessage, request as httpRequest } from 'node:http';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** Most bytes read from a UFOP's 4xx/5xx body: only its `error` text is wanted. */
export const MAX_ERROR_BODY_BYTES = 64 * 1024;
/** Most characters of a UFOP's own error text passed on to the user. */
export const MAX_ERROR_TEXT_CHARS = 500;

/** A UFOP request that failed; `status` is the HTTP status the job or fop answer should carry. */
export class HandlerError extends Error {
  constructor(
    message: string,
    /** 4xx: the UFOP refused the request (its own status); 502: it broke; 504: it did not answer in time. */
    readonly status: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'HandlerError';
  }
}

export interface HandlerRequest {
  /** The fop step as the user wrote it (`my-sepia/level/3`); sent as `?cmd=`. */
  cmd: string;
  /** The source file, streamed as the request body. */
  inputPath: string;
  /** The source's MIME type, sent as Content-Type. */
  inputMime: string;
  /** Where the answer is written; removed again if the request fails once it was opened. */
  outputPath: string;
  /** Longest the whole exchange may take, in ms, before it fails with 504. */
  timeoutMs: number;
  /** Most answer bytes written before the request fails with 502. */
  maxOutputBytes: number;
  /** Aborting it aborts the request; handle() then rejects with the signal's reason. */
  signal?: AbortSignal;
}

export interface HandlerResult {
  /** The answer's Content-Type, or application/octet-stream when the UFOP sent none. */
  mime: string;
  /** Bytes written to outputPath. */
  size: number;
}

export interface HealthProbe {
  ok: boolean;
  /** What the probe saw, for the message when the UFOP never becomes healthy (`answered 503`, `ECONNRESET`). */
  detail: string;
}

/**
 * Speaks a UFOP's HTTP contract over the Unix socket its sandbox exposes: the dispatcher never
 * needs a TCP path to the program. Bodies are streamed both ways, so a source or an answer is
 * never held in memory whole, and every failure becomes a HandlerError whose message names the
 * UFOP in words an end user can act on.
 */
export class HandlerClient {
  constructor(
    readonly socketPath: string,
    /** The UFOP's name, as every message starts with it. */
    readonly ufop: string,
    /**
     * Says why the connection dropped before an answer was complete (the program exited, ran out
     * of memory...). The sandbox knows; a bare client can only say the connection closed.
     */
    private readonly explainClosed: () => Promise<string> = async () => `${ufop} closed the connection`,
  ) {}

  /** One GET /health; ok only on 200. Never throws: a UFOP that is starting simply is not ok yet. */
  probeHealth(timeoutMs: number): Promise<HealthProbe> {
    return new Promise((resolve) => {
      const req = httpRequest({ socketPath: this.socketPath, method: 'GET', path: '/health', agent: false, signal: AbortSignal.timeout(timeoutMs) });
      req.on('response', (res) => {
        res.resume();
        req.destroy();
        resolve(res.statusCode === 200 ? { ok: true, detail: 'answered 200' } : { ok: false, detail: `answered ${res.statusCode}` });
      });
      req.on('error', (error: NodeJS.ErrnoException) => resolve({ ok: false, detail: error.code ?? error.message }));
      req.end();
    });
  }

  async handle(request: HandlerRequest): Promise<HandlerResult> {
    request.signal?.throwIfAborted();
    // A missing source is the caller's fault, not the UFOP's: it fails here, unmapped.
    const { size } = await stat(request.inputPath);
    const deadline = new AbortController();
    const timer = setTimeout(
      () => deadline.abort(new HandlerError(`${this.ufop} did not answer within ${request.timeoutMs} ms`, 504)),
      request.timeoutMs,
    );
    const stop = request.signal ? AbortSignal.any([request.signal, deadline.signal]) : deadline.signal;
    const exchange: { req?: ClientRequest; input?: ReadStream } = {};
    try {
      const response = await this.post(request, size, stop, exchange);
      const status = response.statusCode ?? 0;
      if (status < 200 || status > 299) throw await this.refusal(response, status, stop);
      const mime = response.headers['content-type'] || 'application/octet-stream';
      return { mime, size: await this.save(response, request, stop) };
    } catch (error) {
      // Whatever broke once the deadline or the caller stopped the exchange was that stop's doing.
      throw stop.aborted ? stop.reason : error;
    } finally {
      clearTimeout(timer);
      exchange.input?.destroy();
      exchange.req?.destroy();
    }
  }

  /** Sends the source; resolves when the answer's head arrives (the UFOP may answer before reading it all). */
  private post(request: HandlerRequest, size: number, stop: AbortSignal, exchange: { req?: ClientRequest; input?: ReadStream }): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const req = httpRequest({
        socketPath: this.socketPath,
        method: 'POST',
        path: `/handler?cmd=${encodeURIComponent(request.cmd)}`,
        headers: { 'content-type': request.inputMime, 'content-length': size },
        // One connection per request: nothing of one job's exchange can leak into the next.
        agent: false,
        signal: stop,
      });
      const input = createReadStream(request.inputPath);
      exchange.req = req;
      exchange.input = input;
      let answered = false;
      let inputError: Error | undefined;
      req.on('response', (response) => {
        answered = true;
        resolve(response);
      });
      req.on('error', (error) => {
        // Once answered, a failed upload (the UFOP stopped reading) is no failure; the answer decides.
        if (answered) return;
        if (stop.aborted) return reject(stop.reason);
        if (inputError) return reject(inputError);
        this.closed(error).then(reject, reject);
      });
      input.on('error', (error) => {
        inputError = error;
        req.destroy(error);
      });
      input.pipe(req);
    });
  }

  /** Maps a non-2xx answer: 4xx keeps its status and the UFOP's own words, anything else is 502. */
  private async refusal(response: IncomingMessage, status: number, stop: AbortSignal): Promise<HandlerError> {
    let body = '';
    try {
      body = await readCapped(response, MAX_ERROR_BODY_BYTES);
    } catch {
      if (stop.aborted) throw stop.reason;
      // A cut-off error body still leaves the status to report.
    }
    const text = contractErrorText(body);
    if (status >= 400 && status <= 499) {
      return new HandlerError(text ? `${this.ufop}: ${text}` : `${this.ufop} refused the request (${status})`, status);
    }
    return new HandlerError(text ? `${this.ufop} answered ${status}: ${text}` : `${this.ufop} answered ${status}`, 502);
  }

  /** Streams the answer into outputPath, stopping at maxOutputBytes; removes the partial file on any failure. */
  private async save(response: IncomingMessage, request: HandlerRequest, stop: AbortSignal): Promise<number> {
    const max = request.maxOutputBytes;
    const tooBig = new HandlerError(`${this.ufop} answered more than the ${describeBytes(max)} output limit`, 502);
    if (Number(response.headers['content-length']) > max) throw tooBig;
    let written = 0;
    const limit = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        written += chunk.length;
        done(written > max ? tooBig : null, chunk);
      },
    });
    const output: WriteStream = createWriteStream(request.outputPath);
    let outputError: Error | undefined;
    output.on('error', (error) => (outputError ??= error));
    try {
      await pipeline(response, limit, output, { signal: stop });
      return written;
    } catch (error) {
      // Only once the stream has closed is the file really finished with; an unlink before could
      // race an open still in flight and leave the file behind.
      if (!output.closed) await new Promise<void>((resolve) => output.once('close', () => resolve()));
      await rm(request.outputPath, { force: true });
      if (error === tooBig || stop.aborted) throw error;
      // Our disk failing is not the UFOP's doing: say so as it is.
      if (outputError) throw outputError;
      throw await this.closed(error as Error);
    }
  }

  private async closed(cause: Error): Promise<HandlerError> {
    return new HandlerError(await this.explainClosed(), 502, { cause });
  }
}

/** Reads at most `max` bytes of a body; the rest is left unread (the request is torn down after). */
async function readCapped(stream: IncomingMessage, max: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= max) break;
  }
  return Buffer.concat(chunks).subarray(0, max).toString('utf8');
}

/**
 * The text to show from a UFOP's or a remote command's error body: its JSON `error` field by
 * contract, else the body as text (a proxy's HTML page, say), on one line. Control characters are flattened and the length capped, since the text reaches end users.
 */
export function contractErrorText(body: string): string {
  let text = body;
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed && typeof parsed === 'object' && typeof (parsed as { error?: unknown }).error === 'string') text = (parsed as { error: string }).error;
  } catch {
    // Not JSON: the body itself is the best explanation there is.
  }
  text = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').replace(/\s+/g, ' ').trim();
  return text.length > MAX_ERROR_TEXT_CHARS ? `${text.slice(0, MAX_ERROR_TEXT_CHARS)}…` : text;
}

/** `64 MiB` when the count is whole mebibytes, else `1500 bytes`. */
export function describeBytes(bytes: number): string {
  const mib = bytes / (1024 * 1024);
  return Number.isInteger(mib) && mib > 0 ? `${mib} MiB` : `${bytes} bytes`;
}
