import { type CommandSpec, readsOnlyItsInput } from './command-spec';
import { paramLabel, parseInteger, readNamedParams } from './params';

/** Qiniu's default `zlevel`: how much quality imageslim may give up, 0 (least) to 10 (most). */
export const imageslimDefaultZlevel = 3;

export interface ImageslimArgs {
  /** Quality loss allowed, 0–10 (default 3): higher is smaller. */
  zlevel: number;
}

/**
 * `imageslim[/zlevel/<0-10>]`: Qiniu's image slimming. JPEG and PNG get smaller at the same size,
 * format and orientation; any other image, or a result that would not be smaller, is answered
 * as the input itself (Qiniu answers the original then too).
 */
export const imageslimCommand: CommandSpec<ImageslimArgs> = {
  name: 'imageslim',
  family: 'image',
  output: 'media',
  summary: 'Smaller JPEG (mozjpeg) or PNG (palette) at the same size and format.',
  parse(tokens, stepIndex) {
    const at = { command: 'imageslim', stepIndex };
    const named = readNamedParams(at, tokens, ['zlevel'] as const);
    const zlevel = named.get('zlevel');
    return { zlevel: zlevel === undefined ? imageslimDefaultZlevel : parseInteger(at, paramLabel('zlevel'), zlevel, 0, 10) };
  },
  format: ({ zlevel }) => (zlevel === imageslimDefaultZlevel ? 'imageslim' : `imageslim/zlevel/${zlevel}`),
  references: readsOnlyItsInput,
};
