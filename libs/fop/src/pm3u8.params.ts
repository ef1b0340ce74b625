import { FopSyntaxError } from './errors';
import { type StepAt, paramLabel, parseInteger, readNamedParams, stepError } from './params';

// `pm3u8/0/expires/<s>` (or `/deadline/<unix s>`), read on a playlist in a private bucket: Qiniu's
// private-m3u8 query (dora/manual/1292). It is not a processing step (nothing is queued): the
// gateway answers the stored playlist with each of its segment URLs signed for download.

/** Default lifetime of the segment tokens when neither expires nor deadline is given, in s. */
export const pm3u8DefaultExpiresS = 3600;
/** Longest `expires`, in s: a week. */
const maxExpiresS = 7 * 86_400;

/** Parsed `pm3u8/...`. */
export type Pm3u8Args = { expiresS: number } | { deadlineS: number };

/** True when a fop query is a pm3u8 read rather than a pipeline. */
export function isPm3u8(fop: string): boolean {
  return fop === 'pm3u8' || fop.startsWith('pm3u8/');
}

/** Parses `pm3u8/<mode>/expires/<s>/deadline/<t>`; throws FopSyntaxError naming the bad token. */
export function parsePm3u8(fop: string): Pm3u8Args {
  const at: StepAt = { command: 'pm3u8', stepIndex: 1 };
  if (fop.includes('|')) throw new FopSyntaxError('pm3u8: reads a stored playlist and takes no further steps', '|', 1);
  const tokens = fop.split('/').slice(1);
  if (tokens.at(-1) === '') tokens.pop();
  if (tokens.length === 0) throw stepError(at, 'mode (0) is required as the first value');
  parseInteger(at, 'mode', tokens[0], 0, 0);
  const raw = readNamedParams(at, tokens.slice(1), ['expires', 'deadline'] as const);
  const deadline = raw.get('deadline');
  // Qiniu: a deadline, when given, wins over expires.
  if (deadline !== undefined) return { deadlineS: parseInteger(at, paramLabel('deadline'), deadline, 1, 99_999_999_999) };
  const expires = raw.get('expires');
  return { expiresS: expires === undefined ? pm3u8DefaultExpiresS : parseInteger(at, paramLabel('expires'), expires, 1, maxExpiresS) };
}
