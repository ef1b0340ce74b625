import { readFile, stat, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { z } from 'zod';
import {
  guardedFetch,
  GuardedResponse,
  HOSTNAME_PATTERN,
  normalizeHost,
  OutboundBlockedError,
  OutboundGuard,
  OutboundRedirectError,
  OutboundTimeoutError,
} from '@fopflow/outbound';
import { contractErrorText } from '../contract/handler.client';

/** Answer bytes kept when the operator sets no maxOutputBytes, 64 MiB; the answer is held in memory whole. */
export const DEFAULT_REMOTE_MAX_OUTPUT_BYTES = 64 * 1024 * 1024;
/** Ceiling for maxOutputBytes, 1 GiB: guardedFetch buffers the answer, so a larger bound is a memory hazard. */
export const MAX_REMOTE_OUTPUT_BYTES = 1024 * 1024 * 1024;

/**
 * Header names an operator may not use for the auth header: Fopflow sets them itself, or they
 * change how the message is framed (a second Content-Length or a Transfer-Encoding would let the
 * body be read as something else).
 */
const RESERVED_HEADER_NAMES = new Set([
  'host',
  'content-length',
  'content-type',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'expect',
]);
/** RFC 9110 token: what a header name may be made of. */
const HEADER_NAME_PATTERN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

const authHeaderSchema = z.strictObject({
  name: z
    .string()
    .regex(HEADER_NAME_PATTERN, 'must be a header name (letters, digits and !#$%&\'*+-.^_`|~)')
    .refine((name) => !RESERVED_HEADER_NAMES.has(name.toLowerCase()), 'is set by Fopflow or frames the request; choose another header'),
  // The value is a secret: messages describe it, never quote it.
  value: z
    .string()
    .min(1, 'must not be empty')
    // Node refuses anything else at send time; refusing it here makes it a registration error, not a failure per job.
    .refine((value) => /^[\t\x20-\x7e\x80-\xff]*$/.test(value), 'must not contain CR, LF or other control characters'),
});

const allowedHostSchema = z
  .string()
  .transform((host) => normalizeHost(host.trim()))
  .refine((host) => isIP(host) !== 0 || HOSTNAME_PATTERN.test(host), 'must be a hostname or an IP address (no scheme, port or path)');

/**
 * What an operator registers for a third-party command. Unknown keys are refused so that a typo
 * (`timeout` for `timeoutMs`) fails at registration instead of silently taking the default.
 */
export const remoteCommandSchema = z
  .strictObject({
    /** Where the command's requests go: `POST <url>?cmd=<fop step>`. */
    url: z.string().superRefine((raw, ctx) => {
      let url: URL;
      try {
        url = new URL(raw);
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be an absolute URL' });
        return;
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') ctx.addIssue({ code: 'custom', message: 'must be http or https' });
      if (url.username !== '' || url.password !== '') {
        ctx.addIssue({ code: 'custom', message: 'must not carry user:password@; use authHeader' });
      }
    }),
    /** Sent with every request, e.g. `Authorization: Bearer …`. A redirect to another allowed host drops it only if it is named Authorization. */
    authHeader: authHeaderSchema.optional(),
    /** Deadline of a whole request (connect, redirects, answer), ms; default 30000. */
    timeoutMs: z.number().int('must be a whole number').min(100, 'must be at least 100').max(300_000, 'must be at most 300000').default(30_000),
    /** Hosts the url and every redirect may go to, on top of the SSRF guard; must include the url's host. */
    allowedHosts: z.array(allowedHostSchema).min(1, 'must list at least one host'),
    /** Requests per second across all workers, enforced by the queue's limiter; default 10. */
    ratePerS: z.number().positive('must be greater than 0').default(10),
    /** Answer bytes accepted before the answer is refused, default 64 MiB, at most 1 GiB. */
    maxOutputBytes: z
      .number()
      .int('must be a whole number')
      .positive('must be greater than 0')
      .max(MAX_REMOTE_OUTPUT_BYTES, `must be at most ${MAX_REMOTE_OUTPUT_BYTES}`)
      .optional(),
  })
  .superRefine((settings, ctx) => {
    let host: string;
    try {
      host = normalizeHost(new URL(settings.url).hostname);
    } catch {
      return; // the url's own issue already says why
    }
    if (!settings.allowedHosts.includes(host)) {
      ctx.addIssue({ code: 'custom', path: ['allowedHosts'], message: `must include the url's host '${host}'` });
    }
  });

/** A registered third-party command's settings, defaults applied and hosts normalized. */
export type RemoteCommandSettings = z.infer<typeof remoteCommandSchema>;

/** A remote command's failure, with the HTTP status Fopflow answers; the message is fit for an end user. */
export class RemoteCommandError extends Error {
  override readonly name = 'RemoteCommandError';

  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** Validates an operator's registration; throws RemoteCommandError (400) naming every bad field. */
export function parseRemoteCommand(input: unknown): RemoteCommandSettings {
  const parsed = remoteCommandSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => `${fieldName([...issue.path, key])}: is not a setting`).join('; ')
      : `${fieldName(issue.path)}: ${issue.message}`,
  );
  throw new RemoteCommandError(problems.join('; '), 400);
}

/** `['allowedHosts', 2]` → `allowedHosts[2]`, as ufop.yaml errors name fields. */
function fieldName(path: readonly PropertyKey[]): string {
  let name = '';
  for (const part of path) name = typeof part === 'number' ? `${name}[${part}]` : name ? `${name}.${String(part)}` : String(part);
  return name || '(settings)';
}

/** One run of a remote command: the whole fop step, and where its source and result live. */
export interface RemoteCommandRequest {
  /** The fop step as written, e.g. `my-cmd/level/3`; sent as the `cmd` query parameter. */
  cmd: string;
  inputPath: string;
  /** The source's MIME type, sent as Content-Type. */
  inputMime: string;
  /** Where the answer is written; left untouched when the command fails. */
  outputPath: string;
  /** Source bytes the command accepts; a larger source is refused with 413 before any request. */
  maxInputBytes: number;
  /** Aborts the wait for the answer (the request itself still ends at timeoutMs). */
  signal?: AbortSignal;
}

/**
 * Runs a third-party command: the UFOP contract (`POST <url>?cmd=<step>`, source bytes in,
 * result bytes out) against an operator-registered HTTP service, through guardedFetch so every
 * hop passes both the SSRF guard and the command's own allowedHosts.
 */
export class RemoteCommandClient {
  private readonly allowedHosts: ReadonlySet<string>;
  private readonly maxOutputBytes: number;

  constructor(
    readonly name: string,
    private readonly settings: RemoteCommandSettings,
    private readonly guard: OutboundGuard,
  ) {
    this.allowedHosts = new Set(settings.allowedHosts.map(normalizeHost));
    this.maxOutputBytes = settings.maxOutputBytes ?? DEFAULT_REMOTE_MAX_OUTPUT_BYTES;
  }

  /** Sends the source, writes the answer to outputPath; rejects with RemoteCommandError. */
  async handle(request: RemoteCommandRequest): Promise<{ mime: string; size: number }> {
    request.signal?.throwIfAborted();
    const body = await this.readInput(request);
    const answer = await this.post(request, body);
    const mime = headerValue(answer.headers['content-type']) ?? 'application/octet-stream';

    if (answer.status >= 200 && answer.status < 300) {
      if (answer.truncated) {
        throw new RemoteCommandError(`${this.name} answered more than ${this.maxOutputBytes} bytes, its maxOutputBytes`, 502);
      }
      await writeFile(request.outputPath, answer.body);
      return { mime, size: answer.body.length };
    }
    throw this.remoteFailure(answer);
  }

  private async readInput(request: RemoteCommandRequest): Promise<Buffer> {
    // stat first so an oversized source is refused without being read into memory.
    const { size } = await stat(request.inputPath);
    if (size > request.maxInputBytes) throw this.inputTooLarge(size, request.maxInputBytes);
    const body = await readFile(request.inputPath);
    if (body.length > request.maxInputBytes) throw this.inputTooLarge(body.length, request.maxInputBytes);
    return body;
  }

  private inputTooLarge(size: number, limit: number): RemoteCommandError {
    return new RemoteCommandError(`${this.name}: the source is ${size} bytes, over this command's ${limit}-byte limit`, 413);
  }

  private async post(request: RemoteCommandRequest, body: Buffer): Promise<GuardedResponse> {
    const headers: Record<string, string> = { 'content-type': request.inputMime || 'application/octet-stream' };
    const auth = this.settings.authHeader;
    if (auth) headers[auth.name] = auth.value;

    const exchange = guardedFetch(this.commandUrl(request.cmd), { method: 'POST', headers, body }, this.guard, {
      timeoutMs: this.settings.timeoutMs,
      maxResponseBytes: this.maxOutputBytes,
      // A moved service must still get the source: 301/302 would otherwise become an empty GET.
      keepMethodOnRedirect: true,
      // Called before each connection, after the SSRF check: throwing here means the hop is never contacted.
      onConnect: ({ url }) => {
        const host = normalizeHost(url.hostname);
        if (!this.allowedHosts.has(host)) throw new OutboundBlockedError(host, `not in ${this.name}'s allowedHosts`);
      },
    });
    try {
      return await abortable(exchange, request.signal);
    } catch (error) {
      if (request.signal?.aborted) throw error; // the caller cancelled; its own reason says why
      throw this.transportFailure(error);
    }
  }

  /** The url with `cmd` appended; the operator's own query is kept byte for byte, not re-encoded. */
  private commandUrl(cmd: string): URL {
    const url = new URL(this.settings.url);
    const param = `cmd=${encodeURIComponent(cmd)}`;
    url.search = url.search.length > 1 ? `${url.search}&${param}` : `?${param}`;
    return url;
  }

  private transportFailure(error: unknown): RemoteCommandError {
    if (error instanceof RemoteCommandError) return error;
    if (error instanceof OutboundBlockedError) {
      // The operator's registration points somewhere Fopflow must not go: not the end user's fault.
      const where = error.address && error.address !== error.host ? `${error.host}, ${error.address}` : error.host;
      return new RemoteCommandError(`${this.name}: target '${where}' is not allowed (${error.reason})`, 502);
    }
    if (error instanceof OutboundTimeoutError) {
      return new RemoteCommandError(`${this.name} did not answer within ${this.settings.timeoutMs} ms`, 504);
    }
    if (error instanceof OutboundRedirectError) return new RemoteCommandError(`${this.name}: ${error.message}`, 502);
    const detail = (error as NodeJS.ErrnoException)?.code ?? (error as Error)?.message ?? String(error);
    return new RemoteCommandError(`${this.name} could not be reached: ${this.scrub(String(detail))}`, 502);
  }

  private remoteFailure(answer: GuardedResponse): RemoteCommandError {
    const text = this.scrub(contractErrorText(answer.body.toString('utf8')));
    if (answer.status === 401 || answer.status === 407) {
      // The service refused the operator's credentials; passing 401 on would tell the end user
      // that *their* credentials are wrong.
      return new RemoteCommandError(`${this.name} refused Fopflow's credentials (${answer.status})${text ? `: ${text}` : ''}`, 502);
    }
    if (answer.status >= 400 && answer.status < 500) {
      return new RemoteCommandError(`${this.name}: ${text || `rejected the request (${answer.status})`}`, answer.status);
    }
    if (answer.status >= 500) return new RemoteCommandError(`${this.name} answered ${answer.status}${text ? `: ${text}` : ''}`, 502);
    // 1xx/3xx that is not a followable redirect (no Location, 304, 300): not a result.
    return new RemoteCommandError(`${this.name} answered ${answer.status}, not a result`, 502);
  }

  /** The auth value must never reach an error message, even when a service echoes it back. */
  private scrub(text: string): string {
    const secret = this.settings.authHeader?.value;
    return secret ? text.split(secret).join('[redacted]') : text;
  }
}

function headerValue(value: string | string[] | undefined): string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  const trimmed = first?.trim();
  return trimmed ? trimmed : undefined;
}

/** `work`, or the signal's reason as soon as it aborts (guardedFetch takes no signal). */
function abortable<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
