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
    const url = `${this.baseUrl}/v1/objects/${bucket}/${key}`;
    const response = await fetch(url, { method: 'PUT', headers: { Authorization: this.authorization(url), 'Content-Type': mime }, body });
    if (!response.ok) throw new Error(`upload of ${bucket}/${key} failed: ${response.status} ${await response.text()}`);
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
