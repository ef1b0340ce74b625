import { type CommandSpec, readsOnlyItsInput } from './command-spec';
import { expectNoTokens } from './params';

/** imageInfo takes no parameters. */
export interface ImageInfoArgs {}

/** `imageInfo`: the image's format, size, colour model and frame count, as JSON. */
export const imageInfoCommand: CommandSpec<ImageInfoArgs> = {
  name: 'imageInfo',
  family: 'image',
  output: 'json',
  summary: 'Image format, width, height, colour model and frame count, as JSON.',
  parse(tokens, stepIndex) {
    expectNoTokens({ command: 'imageInfo', stepIndex }, tokens);
    return {};
  },
  format: () => 'imageInfo',
  references: readsOnlyItsInput,
};
