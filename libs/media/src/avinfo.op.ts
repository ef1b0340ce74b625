import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { FfprobeData } from 'fluent-ffmpeg';
import type { AvOutput, AvStepContext } from './av-step.types';
import { throwIfCancelled } from './av.errors';
import { readProbe } from './ffprobe.reader';
import { onFileRun } from './step-run';

// fluent-ffmpeg turns every numeric-looking value into a number; `ffprobe -print_format json`
// (what Qiniu's avinfo answers) writes these as strings, times with six decimals.
const timeKeys = new Set(['start_time', 'duration']);
const stringKeys = new Set([
  'bit_rate', 'max_bit_rate', 'bits_per_raw_sample', 'nb_frames', 'nb_read_frames', 'nb_read_packets',
  'size', 'sample_rate', 'nal_length_size', 'profile', 'id', 'codec_tag',
]);
// Keys fluent-ffmpeg lifts out of a stream's [SIDE_DATA] block into the stream itself.
const sideDataKeys = new Set(['side_data_type', 'displaymatrix', 'rotation']);
// The file name is a path on this host: never part of an answer.
const hiddenFormatKeys = new Set(['filename']);

/** avinfo: ffprobe's view of the source as `{"streams":[...],"format":{...}}`, written to a JSON file. */
export async function runAvinfo(inputPath: string, context: AvStepContext): Promise<AvOutput> {
  throwIfCancelled(context.signal);
  // No duration or pixel limit: avinfo reads headers only, and answering "how long is it" for a
  // too-long file is exactly what a client needs to hear.
  const raw = await readProbe(inputPath);
  const path = join(context.workDir, `avinfo-${randomUUID()}.json`);
  await fs.writeFile(path, JSON.stringify(toFfprobeJson(raw)));
  context.onProgress?.(100);
  return { path, mime: 'application/json' };
}

/** Reshapes fluent-ffmpeg's parse of ffprobe into ffprobe's own JSON form. */
export function toFfprobeJson(raw: FfprobeData): { streams: Record<string, unknown>[]; format: Record<string, unknown> } {
  const streams = raw.streams.map((stream) => {
    const { fields, sideData } = convert(stream as unknown as Record<string, unknown>, new Set());
    if (Object.keys(sideData).length) fields.side_data_list = [sideData];
    return fields;
  });
  return { streams, format: convert(raw.format as unknown as Record<string, unknown>, hiddenFormatKeys).fields };
}

function convert(source: Record<string, unknown>, hidden: ReadonlySet<string>) {
  const fields: Record<string, unknown> = {};
  const sideData: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(source)) {
    if (hidden.has(key) || value === undefined || value === null || value === 'N/A' || value === 'unknown') continue;
    if (sideDataKeys.has(key)) {
      if (key !== 'displaymatrix') sideData[key] = key === 'rotation' ? Number(value) : value;
      continue;
    }
    if (key === 'tags' || key === 'disposition') {
      fields[key] = value;
    } else if (timeKeys.has(key) && typeof value === 'number') {
      fields[key] = value.toFixed(6);
    } else if (stringKeys.has(key)) {
      fields[key] = String(value);
    } else {
      fields[key] = value;
    }
  }
  return { fields, sideData };
}

/** `avinfo` as the plan executor runs it. */
export const avinfoRun = onFileRun('avinfo', (_args, inputPath, context) => runAvinfo(inputPath, context));
