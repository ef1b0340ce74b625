import qiniu from 'qiniu';

/** Calls the gateway signed with Qiniu's official SDK, as an existing Qiniu user's code would. */
export class ApiClient {
  private readonly mac: qiniu.auth.digest.Mac;

  constructor(
    readonly baseUrl: string,
    readonly accessKey: string,
    readonly secretKey: string,
  ) {
    this.mac = new qiniu.auth.digest.Mac(accessKey, secretKey);
  }

  /** A signed request: `QBox` (the SDK's generateAccessToken) over path, query and form body. */
  async call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
    const url = `${this.baseUrl}${path}`;
    const text = body === undefined ? undefined : JSON.stringify(body);
    const authorization = qiniu.util.generateAccessToken(this.mac, url, undefined as unknown as string);
    return fetch(url, {
      method,
      body: text,
      headers: { Authorization: authorization, ...(text && { 'Content-Type': 'application/json' }), ...headers },
    });
  }

  /** A signed upload; QBox covers path and query, not the object's bytes. */
  upload(path: string, body: Buffer | string, type = 'application/octet-stream'): Promise<Response> {
    const url = `${this.baseUrl}/v1/objects/${path}`;
    const authorization = qiniu.util.generateAccessToken(this.mac, url, undefined as unknown as string);
    return fetch(url, { method: 'PUT', body, headers: { Authorization: authorization, 'Content-Type': type } });
  }

  async json<T>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: T; headers: Headers }> {
    const answer = await this.call(method, path, body, headers);
    return { status: answer.status, body: (await answer.json()) as T, headers: answer.headers };
  }
}
