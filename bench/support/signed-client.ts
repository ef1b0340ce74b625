import type { Agent } from 'node:http';
import qiniu from 'qiniu';
import { HttpAnswer, httpRequest } from './http-get';

/** One access key of the platform, as `FOPFLOW_KEYS` lists it (`ak:sk:tier`). */
export interface BenchKey {
  accessKey: string;
  secretKey: string;
  tier: string;
}

/** The FOPFLOW_KEYS value that makes `key` known to the platform. */
export function keysEnv(key: BenchKey): string {
  return `${key.accessKey}:${key.secretKey}:${key.tier}`;
}

/**
 * Calls the gateway signed as an existing Qiniu user's code would: the v2 `Qiniu` signature made
 * by the official SDK's generateAccessTokenV2 with a fresh X-Qiniu-Date, per request, in the bench
 * process (its HMAC is client CPU the figures include, as a real client's would be on its own
 * machine).
 */
export class SignedClient {
  private readonly mac: qiniu.auth.digest.Mac;

  constructor(
    readonly baseUrl: string,
    key: BenchKey,
  ) {
    this.mac = new qiniu.auth.digest.Mac(key.accessKey, key.secretKey);
  }

  /** POSTs `body` as JSON to `path` through `agent`. */
  postJson(path: string, body: unknown, agent: Agent): Promise<HttpAnswer> {
    const url = `${this.baseUrl}${path}`;
    const text = JSON.stringify(body);
    return httpRequest(url, agent, { method: 'POST', headers: this.signedHeaders('POST', url, 'application/json', text), body: text });
  }

  /** Stores `body` as bucket/key, owned by this key (a job may only read its own key's buckets). */
  async upload(bucket: string, key: string, body: Buffer, mime: string): Promise<void> {
    const response = await this.send('PUT', `/v1/objects/${bucket}/${key}`, body, mime);
    if (!response.ok) throw new Error(`upload of ${bucket}/${key} failed: ${response.status} ${await response.text()}`);
  }

  /**
   * A management call (`/v1/ufops`...): `body` goes as JSON, or as it is when it is bytes of
   * `mime`. Answers the parsed JSON answer; any status but 2xx fails with what the gateway said.
   */
  async call<T>(method: string, path: string, body?: unknown, mime = 'application/json'): Promise<T> {
    const payload = body === undefined || Buffer.isBuffer(body) ? body : JSON.stringify(body);
    const response = await this.send(method, path, payload, mime);
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** A signed call of any status (never thrown for one): what a retrying client needs to see. */
  async raw(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
    const url = `${this.baseUrl}${path}`;
    const text = body === undefined ? undefined : JSON.stringify(body);
    const mime = text === undefined ? undefined : 'application/json';
    const response = await fetch(url, { method, headers: { ...this.signedHeaders(method, url, mime, text), ...headers }, body: text });
    return { status: response.status, text: await response.text() };
  }

  private send(method: string, path: string, body: Buffer | string | undefined, mime: string): Promise<Response> {
    const url = `${this.baseUrl}${path}`;
    // An upload's bytes are streamed, so its signature covers the request without them.
    const signedBody = typeof body === 'string' ? body : undefined;
    return fetch(url, { method, headers: this.signedHeaders(method, url, body === undefined ? undefined : mime, signedBody), body });
  }

  /** Authorization, X-Qiniu-Date and the Content-Type the signature covers. */
  private signedHeaders(method: string, url: string, mime: string | undefined, body: string | undefined): Record<string, string> {
    const headers: Record<string, string> = { 'X-Qiniu-Date': new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '') };
    const authorization = qiniu.util.generateAccessTokenV2(this.mac, url, method, mime as string, body, headers);
    return { ...headers, Authorization: authorization, ...(mime && { 'Content-Type': mime }) };
  }
}

/** Fails unless `answer` is `expected`, naming what was sent and what came back. */
export function expectStatus(what: string, answer: HttpAnswer, expected: number): void {
  if (answer.status !== expected) throw new Error(`${what}: ${answer.status} ${answer.errorBody}`);
}
