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
 * Calls the gateway signed as an existing Qiniu user's code would: `QBox` made by the official
 * SDK's generateAccessToken, per request, in the bench process (its HMAC is client CPU the
 * figures include, as a real client's would be on its own machine).
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
    return httpRequest(url, agent, {
      method: 'POST',
      headers: { Authorization: this.authorization(url), 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
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

  private send(method: string, path: string, body: Buffer | string | undefined, mime: string): Promise<Response> {
    const url = `${this.baseUrl}${path}`;
    const headers: Record<string, string> = { Authorization: this.authorization(url), ...(body !== undefined && { 'Content-Type': mime }) };
    return fetch(url, { method, headers, body });
  }

  private authorization(url: string): string {
    // QBox covers path and query, and a form body only; a JSON body is not part of it.
    return qiniu.util.generateAccessToken(this.mac, url, undefined as unknown as string);
  }
}

/** Fails unless `answer` is `expected`, naming what was sent and what came back. */
export function expectStatus(what: string, answer: HttpAnswer, expected: number): void {
  if (answer.status !== expected) throw new Error(`${what}: ${answer.status} ${answer.errorBody}`);
}
