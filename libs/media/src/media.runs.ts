import { avconcatRun } from './avconcat.op';
import { avinfoRun } from './avinfo.op';
import { adaptRun } from './adapt.op';
import { exifRun } from './exif.op';
import { avthumbRun } from './hls.op';
import { imageAveRun } from './image-ave.op';
import { imageInfoRun } from './image-info.op';
import { imageMogr2Run } from './image-mogr2.op';
import { imageView2Run } from './image-view2.op';
import { imageslimRun } from './imageslim.op';
import { qrcodeRun } from './qrcode.op';
import type { StepRun } from './step-run';
import { vframeRun } from './vframe.op';
import { vsampleRun } from './vsample.op';
import { watermarkRun } from './watermark.op';

// Adding a command's run: in its `*.op.ts`, export `inMemoryRun('<name>', ...)` (sharp, on
// bytes) or `onFileRun('<name>', ...)` (ffmpeg, on a file), and list it here. Start-up fails,
// naming the command, while the catalogue and this list disagree (see StepRunRegistry).

/** Every command's run: one per command of the catalogue in libs/fop. */
export const mediaRuns: readonly StepRun[] = [
  imageView2Run,
  imageInfoRun,
  imageMogr2Run,
  watermarkRun,
  exifRun,
  imageAveRun,
  imageslimRun,
  qrcodeRun,
  avthumbRun,
  vframeRun,
  avinfoRun,
  avconcatRun,
  vsampleRun,
  adaptRun,
];
