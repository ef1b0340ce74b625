import { FopSyntaxError } from './errors';

/** Where `|saveas/...` asks the result to be stored, and the signature a sync URL carries. */
export interface SaveasTarget {
  bucket: string;
  /**
   * Absent for a bucket-only target (`saveas/<base64url(bucket)>`): the result is then named by
   * Qiniu's default key rule, its own qetag, known once it is made. Qiniu's saveas page gives only
   * `<bucket>:<key>`; its SDKs encode a bucket alone, and its service names a result given no key
   * as it names a keyless upload: by the content's hash (etag).
   */
  key?: string;
  /** `sign/<AK>:<EncodedSign>` of a sync URL; absent in async jobs, which need none. */
  sign?: { accessKey: string; signature: string };
}

/** A fop text split into its processing part and its saveas suffix. */
export interface SplitFop {
  /** Everything before `|saveas/`: the pipeline to run. */
  pipeline: string;
  saveas?: SaveasTarget;
  /** The text before `/sign/`, which a sync URL's signature covers. */
  signedPrefixLength?: number;
}

const SAVEAS = 'saveas/';


/**
 * Splits `<pipeline>|saveas/<EncodedEntryURI>[/sign/<AK>:<EncodedSign>]`. saveas may only be the
 * last step and needs a step before it; EncodedEntryURI is urlsafe-base64 of `<bucket>:<key>`, or of
 * `<bucket>` alone, which saves under Qiniu's default key (the result's qetag).
 */
export function splitSaveas(text: string): SplitFop {
  const at = text.indexOf(`|${SAVEAS}`);
  if (at < 0) {
    if (text.startsWith(SAVEAS)) throw new FopSyntaxError('saveas: needs a processing step before it, e.g. imageView2/2/w/320|saveas/...', 'saveas', 1);
    return { pipeline: text };
  }
  const stepIndex = text.slice(0, at).split('|').length + 1;
  const suffix = text.slice(at + 1 + SAVEAS.length);
  if (suffix.includes('|')) throw new FopSyntaxError(`saveas: must be the last step (step ${stepIndex})`, 'saveas', stepIndex);
  const [entry, ...rest] = suffix.split('/');
  const { bucket, key } = decodeEntry(entry, stepIndex);
  if (rest.length === 0) return { pipeline: text.slice(0, at), saveas: { bucket, key } };
  if (rest.length !== 2 || rest[0] !== 'sign') {
    throw new FopSyntaxError(`saveas: expected saveas/<EncodedEntryURI>[/sign/<AK>:<EncodedSign>] (step ${stepIndex})`, rest[0], stepIndex);
  }
  const [accessKey, signature, ...extra] = rest[1].split(':');
  if (!accessKey || !signature || extra.length) {
    throw new FopSyntaxError(`saveas: sign must be <AccessKey>:<EncodedSign> (step ${stepIndex})`, rest[1], stepIndex);
  }
  return {
    pipeline: text.slice(0, at),
    saveas: { bucket, key, sign: { accessKey, signature } },
    signedPrefixLength: text.length - `/sign/${rest[1]}`.length,
  };
}

function decodeEntry(entry: string, stepIndex: number): { bucket: string; key?: string } {
  const fail = (why: string) => new FopSyntaxError(`saveas: ${why} (step ${stepIndex})`, entry, stepIndex);
  if (!entry || !/^[A-Za-z0-9_\-+/]+={0,2}$/.test(entry)) throw fail(`'${entry.slice(0, 40)}' is not urlsafe-base64 of <bucket>:<key> or <bucket>`);
  const decoded = Buffer.from(entry.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  // A bucket alone: the key follows Qiniu's default rule once the result exists.
  if (colon < 0 && decoded.length > 0) return { bucket: decoded };
  if (colon <= 0 || colon === decoded.length - 1) throw fail(`EncodedEntryURI must decode to <bucket>:<key> or <bucket>, got '${decoded.slice(0, 80)}'`);
  return { bucket: decoded.slice(0, colon), key: decoded.slice(colon + 1) };
}

/** A saveas target as messages name it: `<bucket>:<key>`, or the bucket with the default key rule. */
export function describeSaveasTarget(target: { bucket: string; key?: string }): string {
  return target.key === undefined ? `${target.bucket}:<qetag of the result>` : `${target.bucket}:${target.key}`;
}
