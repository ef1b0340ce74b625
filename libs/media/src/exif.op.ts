import type { MediaOutput } from './image.encoder';
import { ExifFormatError, parseExif } from './exif.parser';
import type { ImageInput } from './image.input';
import { MediaError } from './media.errors';
import { inMemoryRun } from './step-run';

/**
 * Runs `exif`: `{"<Tag>":{"type":<EXIF type code>,"val":"<text>"}}` for the tags exif.parser
 * knows. An image without EXIF is a 400, as Qiniu (and every peer) answers: the request asked
 * for something the source does not have.
 */
export async function runExif(input: ImageInput): Promise<MediaOutput> {
  const { metadata } = await input.probe();
  if (!metadata.exif || metadata.exif.length === 0) throw new MediaError(400, 'source image has no EXIF data');
  let tags;
  try {
    tags = parseExif(metadata.exif);
  } catch (error) {
    if (error instanceof ExifFormatError) throw new MediaError(400, `source image has corrupt EXIF data (${error.message})`);
    throw error;
  }
  const answer: Record<string, { type: number; val: string }> = {};
  for (const { name, type, value } of tags) answer[name] ??= { type, val: value };
  return { data: Buffer.from(JSON.stringify(answer)), mime: 'application/json' };
}

/** `exif` as the plan executor runs it. */
export const exifRun = inMemoryRun('exif', (input) => runExif(input));
