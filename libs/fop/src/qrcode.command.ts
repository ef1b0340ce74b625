import { type CommandSpec, readsOnlyItsInput } from './command-spec';
import { paramLabel, parseChoice, parseInteger, readNamedParams, stepError } from './params';

/** QR error-correction levels, from 7 % (L) to 30 % (H) of the code recoverable. */
export const qrcodeLevels = ['L', 'M', 'Q', 'H'] as const;
export type QrcodeLevel = (typeof qrcodeLevels)[number];

export interface QrcodeArgs {
  /** 0: the code holds the URL of the resource (Qiniu's default); 1: it holds the resource's own bytes, as text. */
  mode: 0 | 1;
  /** Error-correction level (default L, as Qiniu's). */
  level: QrcodeLevel;
}

/**
 * `qrcode[/<mode>][/level/<L|M|Q|H>]`: a PNG QR code, as Qiniu's qrcode: mode 0 (default) encodes
 * the URL of the resource itself, mode 1 the resource's content (e.g. a stored text or link).
 */
export const qrcodeCommand: CommandSpec<QrcodeArgs> = {
  name: 'qrcode',
  family: 'image',
  output: 'media',
  summary: "A PNG QR code of the resource's URL (mode 0) or of its content (mode 1).",
  parse(tokens, stepIndex) {
    const at = { command: 'qrcode', stepIndex };
    const hasMode = tokens.length % 2 === 1;
    if (hasMode && tokens[0] === 'level') throw stepError(at, `${paramLabel('level')} has no value`, 'level');
    const mode = hasMode ? (parseInteger(at, 'mode', tokens[0], 0, 1) as 0 | 1) : 0;
    const named = readNamedParams(at, hasMode ? tokens.slice(1) : tokens, ['level'] as const);
    const level = named.get('level');
    return { mode, level: level === undefined ? 'L' : parseChoice(at, paramLabel('level'), level, qrcodeLevels) };
  },
  format: ({ mode, level }) => `qrcode/${mode}${level === 'L' ? '' : `/level/${level}`}`,
  references: readsOnlyItsInput,
};
