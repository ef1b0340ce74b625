import { AccessKey } from '@fopflow/auth';
import { guardedFetch, OutboundGuard, qiniuCallbackAuthorization } from '@fopflow/outbound';
import { GatewayError } from '../http/error.filter';
import { expandMagic, UploadFacts } from './magic-variables';
import { PutPolicy } from './put-policy';

/** Qiniu's status for "stored, but the callback failed". */
export const CALLBACK_FAILED_STATUS = 579;
/** How long the callback server may take to answer, in ms (Qiniu allows about 5 s). */
export const UPLOAD_CALLBACK_TIMEOUT_MS = 10_000;
/** Largest callback answer relayed to the uploader, in bytes. */
export const MAX_CALLBACK_ANSWER_BYTES = 64 * 1024;

const FORM_TYPE = 'application/x-www-form-urlencoded';

/**
 * POSTs the policy's callbackBody (magic variables expanded) to callbackUrl through the outbound
 * guard, signed with `QBox <AK>:<sign>` of the token's key, and answers the receiver's JSON. Any
 * failure — blocked, unreachable, non-2xx, not JSON — is 579 naming it; the object stays stored,
 * as at Qiniu.
 */
export async function runUploadCallback(policy: PutPolicy, key: AccessKey, facts: UploadFacts, guard: OutboundGuard): Promise<unknown> {
  const contentType = policy.callbackBodyType || FORM_TYPE;
  const escaping = contentType.toLowerCase().startsWith('application/json') ? 'json' : 'form';
  const body = expandMagic(policy.callbackBody ?? '', facts, escaping);
  const failed = (why: string) => new GatewayError(CALLBACK_FAILED_STATUS, `callback failed: ${why}`);
  // Qiniu tries each `;`-separated URL in turn until one answers.
  const urls = (policy.callbackUrl ?? '').split(';').map((url) => url.trim()).filter(Boolean);
  let lastProblem = 'no callbackUrl';
  for (const url of urls) {
    const authorization = qiniuCallbackAuthorization(key.accessKey, key.secretKey, url, body, contentType);
    try {
      const answer = await guardedFetch(url, { method: 'POST', headers: { 'content-type': contentType, authorization }, body }, guard, {
        timeoutMs: UPLOAD_CALLBACK_TIMEOUT_MS,
        maxResponseBytes: MAX_CALLBACK_ANSWER_BYTES,
        keepMethodOnRedirect: true,
        // callbackHost names the virtual host; the connection still goes where the guard approved.
        ...(policy.callbackHost && { hostHeader: policy.callbackHost }),
      });
      if (answer.status < 200 || answer.status >= 300) {
        lastProblem = `${url} answered ${answer.status}`;
        continue;
      }
      try {
        return JSON.parse(answer.body.toString('utf8'));
      } catch {
        throw failed(`${url} answered something that is not JSON`);
      }
    } catch (error) {
      if (error instanceof GatewayError) throw error;
      lastProblem = `${url}: ${(error as Error).message}`;
    }
  }
  throw failed(lastProblem);
}
