import { maxObjectSetPatternChars, objectSetCountVariable } from './object-set.keys';
import { decodeBase64Text, encodeBase64Text } from './encoded.params';
import { type StepAt, paramLabel, parseChoice, parseFlag, parseInteger, quoteToken, stepError } from './params';

// avthumb/m3u8's own parameters, as Qiniu's HLS page documents them (dora/manual/1485). Values of
// the other avthumb parameters (ab, vb, s, r, vcodec, acodec...) are read by avthumb.command.ts.

/** avthumb parameters that only HLS (`avthumb/m3u8`) takes. */
export const hlsParamNames = ['segtime', 'hlsKey', 'hlsKeyType', 'hlsKeyUrl', 'noDomain', 'pattern'] as const;
export type HlsParam = (typeof hlsParamNames)[number];

/** Qiniu's default segment length, in seconds. */
export const hlsDefaultSegmentSeconds = 10;
/** Length of an AES-128 key, in bytes. */
const aesKeyBytes = 16;

/** Parsed HLS settings of `avthumb/m3u8`. */
export interface HlsArgs {
  /** `segtime`: target length of each segment in seconds, 2 to 120 (Qiniu's range); 10 by default. */
  segmentSeconds: number;
  /** `hlsKey`: the AES-128 key, as 32 hex digits; segments are encrypted with it when present. */
  keyHex?: string;
  /** `hlsKeyUrl`: where players fetch the key, written into `#EXT-X-KEY` (required with hlsKey). */
  keyUrl?: string;
  /** `noDomain/1`: segment URIs relative to the playlist; otherwise path-absolute (`/<bucket>/<key>`). */
  noDomain?: true;
  /** `pattern`: the segments' keys, with `$(count)` for the number (see object-set.keys.ts). */
  segmentPattern?: string;
}

/** Reads the HLS parameters from avthumb's named values; `raw` holds what the fop wrote. */
export function parseHlsParams(at: StepAt, raw: ReadonlyMap<string, string>): HlsArgs {
  const args: HlsArgs = { segmentSeconds: hlsDefaultSegmentSeconds };
  const segtime = raw.get('segtime');
  if (segtime !== undefined) args.segmentSeconds = parseInteger(at, paramLabel('segtime'), segtime, 2, 120);
  const keyType = raw.get('hlsKeyType');
  // Qiniu's other key types carry the key encrypted with Qiniu's own RSA public key: meaningless here.
  if (keyType !== undefined) parseChoice(at, paramLabel('hlsKeyType'), keyType, ['0'] as const);
  const key = raw.get('hlsKey');
  if (key !== undefined) args.keyHex = parseAesKey(at, key);
  const keyUrl = raw.get('hlsKeyUrl');
  if (keyUrl !== undefined) args.keyUrl = parseKeyUrl(at, keyUrl);
  if (args.keyHex && !args.keyUrl) throw stepError(at, `hlsKey needs ${paramLabel('hlsKeyUrl')}: where players fetch the key`, 'hlsKey');
  if (args.keyUrl && !args.keyHex) throw stepError(at, `${paramLabel('hlsKeyUrl')} names the key of hlsKey, which is absent`, 'hlsKeyUrl');
  const noDomain = raw.get('noDomain');
  if (noDomain !== undefined && parseFlag(at, paramLabel('noDomain'), noDomain)) args.noDomain = true;
  const pattern = raw.get('pattern');
  if (pattern !== undefined) args.segmentPattern = parseObjectSetPattern(at, 'pattern', pattern);
  return args;
}

/** The canonical `name/value` pairs of the HLS settings, defaults left out. */
export function formatHlsParams(args: HlsArgs): (string | number)[] {
  const parts: (string | number)[] = [];
  if (args.segmentSeconds !== hlsDefaultSegmentSeconds) parts.push('segtime', args.segmentSeconds);
  if (args.keyHex) parts.push('hlsKey', Buffer.from(args.keyHex, 'hex').toString('base64url'));
  if (args.keyUrl) parts.push('hlsKeyUrl', encodeBase64Text(args.keyUrl));
  if (args.noDomain) parts.push('noDomain', 1);
  if (args.segmentPattern !== undefined) parts.push('pattern', encodeBase64Text(args.segmentPattern));
  return parts;
}

/**
 * A member-key pattern (`pattern`, `savePattern`): URL-safe base64 of a key holding `$(count)`.
 * It names keys in the target's bucket, so it may not start with `/` or climb with `..`.
 */
export function parseObjectSetPattern(at: StepAt, name: string, token: string): string {
  const pattern = decodeBase64Text(at, paramLabel(name), token, `a key pattern holding ${objectSetCountVariable}`, maxObjectSetPatternChars);
  if (!pattern.includes(objectSetCountVariable)) {
    throw stepError(at, `${paramLabel(name)} must hold ${objectSetCountVariable} (the member's six-digit number), got ${quoteToken(pattern)}`, token);
  }
  if (pattern.startsWith('/') || pattern.split('/').some((part) => part === '..' || part === '.')) {
    throw stepError(at, `${paramLabel(name)} must be a key in the target's bucket: no leading '/', no '.' or '..' parts`, token);
  }
  return pattern;
}

function parseAesKey(at: StepAt, token: string): string {
  const body = token.replace(/=+$/, '');
  const bytes = /^[A-Za-z0-9_-]+$/.test(body) ? Buffer.from(body, 'base64url') : Buffer.alloc(0);
  if (bytes.length !== aesKeyBytes || bytes.toString('base64url') !== body) {
    throw stepError(at, `${paramLabel('hlsKey')} must be ${aesKeyBytes} bytes in URL-safe base64 (an AES-128 key), got ${quoteToken(token)}`, token);
  }
  return bytes.toString('hex');
}

function parseKeyUrl(at: StepAt, token: string): string {
  const url = decodeBase64Text(at, paramLabel('hlsKeyUrl'), token, 'a URL', 2048);
  // Written verbatim into the playlist: a quote or a line break would end the URI attribute.
  if (/["\s]/.test(url) || !/^(https?:\/\/|\/)[^]+$/i.test(url)) {
    throw stepError(at, `${paramLabel('hlsKeyUrl')} must be an http(s) or path-absolute URL without quotes or spaces, got ${quoteToken(url)}`, token);
  }
  return url;
}
