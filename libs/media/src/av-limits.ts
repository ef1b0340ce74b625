/** Bounds an audio/video step must respect, each with its unit in the name. */
export interface AvLimits {
  /** Longest source (and longest avconcat result) a step accepts, in seconds; checked by ffprobe before ffmpeg runs. */
  maxDurationS: number;
  /** Largest video frame a step decodes, in pixels (width × height of any video stream). */
  maxInputPixels: number;
  /** Longest one ffmpeg run may take, in ms; past it ffmpeg is killed and the step fails with 422. */
  ffmpegTimeLimitMs: number;
}

/** An hour of media, 8192×8192 frames, ten minutes of ffmpeg. */
export const DEFAULT_AV_LIMITS: Readonly<AvLimits> = Object.freeze({
  maxDurationS: 3600,
  maxInputPixels: 8192 * 8192,
  ffmpegTimeLimitMs: 10 * 60 * 1000,
});
