import { qiniuSign, signaturesEqual } from '@fopflow/auth';

/**
 * Qiniu's `QBox` callback signature, so receivers written for Qiniu keep verifying Fopflow's
 * notify with their SDK: `QBox <AK>:<urlsafe_b64(HMAC-SHA1(SK, data))>`.
 *
 * `data` is the request path, then `?query` when the URL has one, then "\n", then the body, but
 * the body only when the Content-Type is `application/x-www-form-urlencoded`. That is what Qiniu's
 * SDKs check: the Go SDK's `VerifyCallback` includes the body only for that exact Content-Type,
 * and nodejs-sdk's `util.isQiniuCallback(mac, requestURI, reqBody, callbackAuth)` documents
 * `reqBody` as "only needed when the ContentType is application/x-www-form-urlencoded" and
 * appends whatever it is given. Fopflow's notify is `application/json`, so its QBox signature
 * covers the path and query only, not the body: the Standard Webhooks signature sent alongside
 * is the one that protects the payload.
 */

/** The only Content-Type whose body the QBox signature covers. */
export const QINIU_SIGNED_BODY_CONTENT_TYPE = 'application/x-www-form-urlencoded';
/** Content-Type of Fopflow's notify, and so the default here. */
export const NOTIFY_CONTENT_TYPE = 'application/json';

/**
 * The signed text. `url` is absolute, or a request URI (`/path?query`) as a receiver sees it.
 * The Content-Type must match exactly (after trimming and case): Go's SDK compares the header
 * string, so `…; charset=utf-8` leaves the body out there, and here too.
 */
export function qiniuCallbackSigningData(url: string | URL, body: string | Buffer, contentType = NOTIFY_CONTENT_TYPE): Buffer {
  const parsed = new URL(url.toString(), 'http://request-uri.invalid');
  const head = `${parsed.pathname}${parsed.search}\n`;
  const includeBody = contentType.trim().toLowerCase() === QINIU_SIGNED_BODY_CONTENT_TYPE;
  return includeBody ? Buffer.concat([Buffer.from(head), Buffer.from(body)]) : Buffer.from(head);
}

/** `QBox <AK>:<sign>` for the Authorization header of a callback to `url`. */
export function qiniuCallbackAuthorization(
  accessKey: string,
  secretKey: string,
  url: string | URL,
  body: string | Buffer,
  contentType = NOTIFY_CONTENT_TYPE,
): string {
  return `QBox ${accessKey}:${qiniuSign(secretKey, qiniuCallbackSigningData(url, body, contentType))}`;
}

/** True when `authorization` is the QBox signature of this callback (constant-time compare). */
export function verifyQiniuCallback(
  accessKey: string,
  secretKey: string,
  url: string | URL,
  body: string | Buffer,
  authorization: string | undefined,
  contentType = NOTIFY_CONTENT_TYPE,
): boolean {
  if (!authorization) return false;
  return signaturesEqual(authorization, qiniuCallbackAuthorization(accessKey, secretKey, url, body, contentType));
}
