import { type CommandSpec, readsOnlyItsInput } from './command-spec';
import { expectNoTokens } from './params';

/** imageAve takes no parameters. */
export interface ImageAveArgs {}

/** `imageAve`: the image's average colour as `{"RGB":"0xRRGGBB"}`. */
export const imageAveCommand: CommandSpec<ImageAveArgs> = {
  name: 'imageAve',
  family: 'image',
  output: 'json',
  summary: 'Average colour of the image, as JSON {"RGB":"0xrrggbb"}.',
  parse(tokens, stepIndex) {
    expectNoTokens({ command: 'imageAve', stepIndex }, tokens);
    return {};
  },
  format: () => 'imageAve',
  references: readsOnlyItsInput,
};
