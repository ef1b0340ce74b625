import qiniu from 'qiniu';

/** `X-Qiniu-Date` as Qiniu's SDKs send it: `YYYYMMDDTHHmmssZ`. */
const qiniuDate = () => new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');

/**
 * Calls the gateway signed with Qiniu's official SDK, as an existing Qiniu user's code would:
 * the v2 `Qiniu` signature (method, path, query, Host, Content-Type, X-Qiniu-* headers, body)
 * with a fresh X-Qiniu-Date, which Fopflow's /v1 routes require for anything but a read.
 */
export class ApiClient {
  private readonly mac: qiniu.auth.digest.Mac;

  constructor(
    readonly baseUrl: string,
    readonly accessKey: string,
    readonly secretKey: string,
  ) {
    this.mac = new qiniu.auth.digest.Mac(accessKey, secretKey);
  }

  /** A signed request with a JSON body (when given). */
  async call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
    const text = body === undefined ? undefined : JSON.stringify(body);
    const type = text === undefined ? undefined : 'application/json';
    return fetch(`${this.baseUrl}${path}`, { method, body: text, headers: this.signedHeaders(method, path, type, text, headers) });
  }

  /**
   * A signed upload. Uploads are streamed, so the signature covers the request but not the
   * object's bytes: it is made over an empty body, whatever the Content-Type.
   */
  upload(path: string, body: Buffer | string, type = 'application/octet-stream'): Promise<Response> {
    const target = `/v1/objects/${path}`;
    return fetch(`${this.baseUrl}${target}`, { method: 'PUT', body, headers: this.signedHeaders('PUT', target, type, undefined) });
  }

  /**
   * Authorization with the v1 `QBox` scheme, which covers only the path and query: what a
   * client of the old SDK calls sends, and what an attacker who captured one would replay.
   */
  qboxAuthorization(path: string): string {
    return qiniu.util.generateAccessToken(this.mac, `${this.baseUrl}${path}`, undefined as unknown as string);
  }

  /** Headers of a v2-signed request: Authorization, X-Qiniu-Date (now, unless `extra` names one) and the Content-Type it covers. */
  signedHeaders(method: string, path: string, type: string | undefined, body: string | undefined, extra: Record<string, string> = {}): Record<string, string> {
    const headers: Record<string, string> = { 'X-Qiniu-Date': qiniuDate(), ...extra };
    const authorization = qiniu.util.generateAccessTokenV2(this.mac, `${this.baseUrl}${path}`, method, type as string, body, headers);
    return { ...headers, Authorization: authorization, ...(type && { 'Content-Type': type }) };
  }

  async json<T>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: T; headers: Headers }> {
    const answer = await this.call(method, path, body, headers);
    return { status: answer.status, body: (await answer.json()) as T, headers: answer.headers };
  }
}
