import type { AvthumbArgs, PadBox } from '@fopflow/fop';
import { evenSizeFilter, watermarkMarginPx } from './av-video.filters';

// The ffmpeg filters and encoder options of avthumb's picture parameters, as pure functions of the
// parsed fop, so each rule's exact ffmpeg text has a unit spec. avthumb.op.ts strings them into
// one filter graph: deinterlace, rotate, s, even sides, pad, subtitles, then the watermarks.

/** `deinterlace/1`: yadif, one frame per frame, only on frames flagged interlaced. */
export const deinterlaceFilter = 'yadif=mode=send_frame:deint=interlaced';

/**
 * Scales to `s`. `autoscale/1` fits inside the box keeping the ratio, otherwise the frame is
 * stretched to it. Qiniu's `s/<W>x<H>>` touches only a frame larger than the box on either side,
 * `s/<W>x<H><` only one smaller on both; any other frame keeps its size.
 */
export function sizeFilters(args: Pick<AvthumbArgs, 'size' | 'autoscale' | 'sizeOnly'>): string[] {
  if (!args.size) return [];
  const { width, height } = args.size;
  const fit = args.autoscale ? ':force_original_aspect_ratio=decrease' : '';
  if (!args.sizeOnly) return [`scale=${width}:${height}${fit}`, 'setsar=1'];
  const applies = args.sizeOnly === 'shrink' ? `gt(iw,${width})+gt(ih,${height})` : `lt(iw,${width})*lt(ih,${height})`;
  return [`scale=w='if(${applies},${width},iw)':h='if(${applies},${height},ih)'${fit}`, 'setsar=1'];
}

/**
 * `padW`/`padH`: black bars up to the box, the picture at padVideoX/padVideoY or centred. A
 * picture larger than the box is first fitted inside it, keeping its ratio: bars can only add.
 */
export function padFilters(pad: PadBox): string[] {
  const x = pad.videoX === undefined ? '(ow-iw)/2' : `min(${pad.videoX},ow-iw)`;
  const y = pad.videoY === undefined ? '(oh-ih)/2' : `min(${pad.videoY},oh-ih)`;
  return [
    `scale=w='min(iw,${pad.width})':h='min(ih,${pad.height})':force_original_aspect_ratio=decrease`,
    evenSizeFilter,
    `pad=${pad.width}:${pad.height}:x='${x}':y='${y}':color=black`,
  ];
}

/** `subtitle`: burns an ASS file (a plain name in ffmpeg's working directory) into the picture. */
export function subtitleFilter(fileName: string): string {
  return `ass=filename=${fileName}`;
}

/** Encoder options of `crf`, `h264Profile`, `h264Level`, `maxrate` and `gop`. */
export function encoderTuningOptions(args: Pick<AvthumbArgs, 'crf' | 'h264Profile' | 'h264Level' | 'maxrateBps' | 'gopFrames'>): string[] {
  const options: string[] = [];
  if (args.crf !== undefined) options.push('-crf', String(args.crf));
  if (args.h264Profile !== undefined) options.push('-profile:v', args.h264Profile);
  if (args.h264Level !== undefined) options.push('-level:v', args.h264Level);
  // The rate-control buffer holds two seconds at the peak rate: maxrate caps each two-second window.
  if (args.maxrateBps !== undefined) options.push('-maxrate', String(args.maxrateBps), '-bufsize', String(args.maxrateBps * 2));
  if (args.gopFrames !== undefined) options.push('-g', String(args.gopFrames));
  return options;
}

/**
 * Filter chains putting the image mark (input `markInput`) on `[base]`, ending in `[out]`:
 * `wmScale` sizes it to that share of the frame's width keeping its ratio (scale2ref reads the
 * frame's size as ffmpeg sees it; there main_* names the mark and iw/ih the frame), and
 * `wmOffsetX`/`wmOffsetY` replace the 10 px distance from the edges its gravity names; on a
 * centred axis they shift it right or down.
 */
export function imageMarkChains(
  args: Pick<AvthumbArgs, 'watermarkScale' | 'watermarkOffsetXPx' | 'watermarkOffsetYPx'>,
  gravity: NonNullable<AvthumbArgs['watermarkGravity']>,
  markInput: string,
  base: string,
  out: string,
): string[] {
  const chains = [`[${markInput}]format=rgba[mark]`];
  let frame = base;
  if (args.watermarkScale !== undefined) {
    chains.push(`[mark][${base}]scale2ref=w='max(1,iw*${args.watermarkScale})':h='max(1,ow/main_a)'[scaledmark][markbase]`);
    frame = 'markbase';
  }
  const mark = args.watermarkScale !== undefined ? 'scaledmark' : 'mark';
  const x = axisPosition(gravity.endsWith('West') ? 'start' : gravity.endsWith('East') ? 'end' : 'centre', 'main_w', 'overlay_w', args.watermarkOffsetXPx);
  const y = axisPosition(gravity.startsWith('North') ? 'start' : gravity.startsWith('South') ? 'end' : 'centre', 'main_h', 'overlay_h', args.watermarkOffsetYPx);
  chains.push(`[${frame}][${mark}]overlay=x=${x}:y=${y}:format=auto[${out}]`);
  return chains;
}

function axisPosition(anchor: 'start' | 'end' | 'centre', frame: string, box: string, offsetPx: number | undefined): string {
  if (anchor === 'centre') return offsetPx ? `(${frame}-${box})/2+(${offsetPx})` : `(${frame}-${box})/2`;
  const margin = offsetPx ?? watermarkMarginPx;
  if (anchor === 'start') return `${margin}`;
  return margin < 0 ? `${frame}-${box}+${-margin}` : `${frame}-${box}-${margin}`;
}
