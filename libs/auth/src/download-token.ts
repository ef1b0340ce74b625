import type { AccessKey, AccessKeyStore } from './access-keys';
import { qiniuSign, signaturesEqual } from './qiniu-sign';
import { AuthError } from './request-auth';

/** A download request as the server received it. */
export interface DownloadRequest {
  /** Host header as sent, with the port when the client sent one. */
  host: string;
  /** Request target as sent: path plus `?query`, raw (not decoded). */
  path: string;
}

const TOKEN_PARAM = '&token=';

/**
 * Qiniu's private download URL: `<baseUrl>?e=<deadlineS>&token=<AK>:<sign>` (`&e=` when
 * `baseUrl` has a query, as after a fop), the sign covering everything before `&token=`,
 * scheme and host included — byte for byte what the SDK's `BucketManager.privateDownloadUrl` makes.
 * `baseUrl` must already be percent-encoded as it will be sent.
 */
export function privateDownloadUrl(baseUrl: string, key: AccessKey, deadlineS: number): string {
  const signed = `${baseUrl}${baseUrl.includes('?') ? '&' : '?'}e=${Math.trunc(deadlineS)}`;
  return `${signed}${TOKEN_PARAM}${key.accessKey}:${qiniuSign(key.secretKey, signed)}`;
}

/** True when the request target carries a download token (`token=`), valid or not. */
export function hasDownloadToken(path: string): boolean {
  return /[?&]token=/.test(path);
}

/**
 * Checks a private download URL (`...e=<deadline>&token=<AK>:<sign>`, token last) and returns
 * the signer's key pair; throws AuthError naming what was wrong. The sign covers the URL as
 * sent up to `&token=`, with a scheme we cannot see behind a TLS proxy, so http and https both count.
 */
export function verifyDownloadToken(request: DownloadRequest, keys: AccessKeyStore, nowMs = Date.now()): AccessKey {
  const tokenAt = request.path.lastIndexOf(TOKEN_PARAM);
  if (tokenAt < 0) throw new AuthError('private download needs e=<deadline>&token=<AccessKey>:<EncodedSign> at the end of the query');
  const signedPath = request.path.slice(0, tokenAt);
  const token = decodeToken(request.path.slice(tokenAt + TOKEN_PARAM.length));
  const deadline = /[?&]e=(\d{1,12})$/.exec(signedPath)?.[1];
  if (deadline === undefined) throw new AuthError('download token needs e=<deadline in Unix seconds> just before &token=');
  const colon = token.indexOf(':');
  if (colon <= 0 || colon === token.length - 1) throw new AuthError(`malformed download token: expected <AccessKey>:<EncodedSign>`);
  const accessKey = token.slice(0, colon);
  const key = keys.find(accessKey);
  if (!key) throw new AuthError(`unknown access key '${accessKey.slice(0, 128)}' in download token`);

  const signature = token.slice(colon + 1);
  const matched = ['http', 'https']
    .map((scheme) => signaturesEqual(signature, qiniuSign(key.secretKey, `${scheme}://${request.host}${signedPath}`)))
    .some(Boolean);
  if (!matched) {
    throw new AuthError(
      `download token of access key '${accessKey}' does not match: expected HMAC-SHA1 of ${JSON.stringify(`http://${request.host}${signedPath}`.slice(0, 300))} (or https://)`,
    );
  }
  // After the signature, so an unsigned deadline tells a caller nothing.
  const deadlineS = Number(deadline);
  if (deadlineS < Math.trunc(nowMs / 1000)) {
    throw new AuthError(`download token expired at e=${deadlineS} (${new Date(deadlineS * 1000).toISOString()})`);
  }
  return key;
}

/** Clients and proxies may percent-encode the `:` and `=` of a token; the SDK does not. */
function decodeToken(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new AuthError('malformed percent-encoding in download token');
  }
}
