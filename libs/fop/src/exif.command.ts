import { type CommandSpec, readsOnlyItsInput } from './command-spec';
import { expectNoTokens } from './params';

/** exif takes no parameters. */
export interface ExifArgs {}

/** `exif`: the image's EXIF tags as `{"<Tag>":{"type":<EXIF type code>,"val":"<text>"}}`. */
export const exifCommand: CommandSpec<ExifArgs> = {
  name: 'exif',
  family: 'image',
  output: 'json',
  summary: 'EXIF tags of the image (camera, exposure, dates, GPS), as JSON.',
  parse(tokens, stepIndex) {
    expectNoTokens({ command: 'exif', stepIndex }, tokens);
    return {};
  },
  format: () => 'exif',
  references: readsOnlyItsInput,
};
