import qiniu from 'qiniu';

/** The SDK answers through callbacks `(error, body, info)`; this awaits one call. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function sdkCall(call: (done: any) => void): Promise<{ respBody: unknown; respInfo: { statusCode: number } }> {
  return new Promise((resolve, reject) =>
    call((error: Error | null, respBody: unknown, respInfo: { statusCode: number }) => (error ? reject(error) : resolve({ respBody, respInfo }))),
  );
}

/** Qiniu's OperationManager pointed at a gateway (custom zone, plain http), as a migrating user would. */
export function operationManager(baseUrl: string, accessKey: string, secretKey: string) {
  const mac = new qiniu.auth.digest.Mac(accessKey, secretKey);
  const config = new qiniu.conf.Config();
  const { host } = new URL(baseUrl);
  config.zone = new qiniu.conf.Zone([host], [host], host, host, host, host);
  config.useHttpsDomain = false;
  return { mac, operations: new qiniu.fop.OperationManager(mac, config) };
}

/** Qiniu's SDK Config pointed at a gateway for uploads (its up hosts are the gateway, plain http). */
export function uploadConfig(baseUrl: string) {
  const config = new qiniu.conf.Config();
  const { host } = new URL(baseUrl);
  config.zone = new qiniu.conf.Zone([host], [host], host, host, host, host);
  config.useHttpsDomain = false;
  return config;
}

/** An upload token of `accessKey` for `policy`, made the way Qiniu's users make them. */
export function uploadToken(accessKey: string, secretKey: string, policy: Record<string, unknown>): string {
  return new qiniu.rs.PutPolicy(policy as never).uploadToken(new qiniu.auth.digest.Mac(accessKey, secretKey));
}
