import { FopSyntaxError } from './errors';
import { parsePipeline } from './pipeline';

// Property tests with a seeded generator: every run sees the same inputs, and a failure
// prints the offending input so it can be pasted into a unit spec.

/** mulberry32: tiny, fast, good enough to spread fuzz inputs. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const random = mulberry32(20240601);
const int = (below: number) => Math.floor(random() * below);
const pick = <T>(items: readonly T[]): T => items[int(items.length)];
const chance = (p: number) => random() < p;

const commandWords = ['imageView2', 'imageInfo', 'imageview2', 'ImageInfo', 'imageMogr2', 'constructor', '__proto__', '',
  'watermark', 'exif', 'imageAve', 'imagemogr2',
  'avthumb', 'vframe', 'avinfo', 'avconcat', 'AVThumb', 'avInfo'];
const paramWords = ['w', 'h', 'format', 'interlace', 'q', 'ignore-error', 'W', 'quality', 'toString', '',
  'auto-orient', 'thumbnail', 'strip', 'gravity', 'crop', 'rotate', 'blur', 'size-limit', 'sharpen', 'background',
  'image', 'text', 'font', 'fontsize', 'fill', 'dissolve', 'dx', 'dy', 'ws',
  'ab', 'aq', 'ar', 'ac', 'r', 'vb', 'vcodec', 'acodec', 's', 'autoscale', 'aspect', 'ss', 't', 'stripmeta', 'an', 'vn',
  'wmImage', 'wmGravity', 'wmText', 'wmGravityText', 'wmFontColor', 'wmFontSize', 'offset', 'wmimage'];
const valueWords = [
  '0', '1', '2', '5', '6', '75', '100', '101', '640', '9999', '10000', '0640', '80!', '75!', '!', '100!!',
  '12.5', '1e3', '+3', '-1', '0x10', ' 1', '99999999999999999999999999', '9'.repeat(400), 'NaN', 'Infinity',
  'jpg', 'jpeg', 'png', 'webp', 'avif', 'gif', 'tiff', 'bmp', 'PNG', 'heic', '１２', 'é', '😀',
  '!50p', '!50%', '!x50p', '300x', 'x200', '300x200>', '300x200<', '!300x200r', '!300x200^', '10000@', '!10x10a1-1', '!10x10+1+1',
  'mp4', 'webm', 'mov', 'mp3', 'm4a', 'ogg', 'flac', 'wav', 'm3u8', 'flv', 'libx264', 'libx265', 'libvpx-vp9', 'libopus',
  'copy', 'aac', 'h264', '128k', '1.25m', '96000', '7k', '640x360', '19x19', '16:9', '0:9', '44100', '22050', 'auto', '90', '45',
  '3.345', '1.2345', '0.001', 'bWVkaWE6YS5tcDQ',
  '3x5', '15k!', '2m', 'NorthWest', 'southeast', 'Middle', 'cmVk', 'I0ZGRkZGRg==', 'YnJhbmQ6bG9nby5wbmc', 'aGk', '0.5', '.5', '1.0',
];
const oddCharacters = ['|', '/', '!', '\u0000', '\n', '\u007f', '\u0085', '\u2028', 'é', '😀', '\ud800', '\udfff', '%', ' '];

function randomCodeUnits(): string {
  const ranges: [number, number][] = [[0x20, 0x7f], [0x00, 0x20], [0x80, 0x800], [0xd800, 0xe000], [0xe000, 0x10000]];
  let text = '';
  for (let n = int(40); n > 0; n--) {
    const [low, high] = pick(ranges);
    text += String.fromCharCode(low + int(high - low));
  }
  return text;
}

function randomTokens(): string {
  const steps: string[] = [];
  for (let s = 1 + int(3); s > 0; s--) {
    const tokens = [pick(commandWords)];
    for (let t = int(9); t > 0; t--) tokens.push(pick(chance(0.5) ? paramWords : valueWords));
    steps.push(tokens.join('/'));
  }
  return steps.join('|');
}

/** A valid imageView2 step with its pairs in random order, plus the pairs for reshuffling. */
function validImageView2(): { mode: number; pairs: string[][] } {
  const pairs: string[][] = [];
  const edge = () => String(1 + int(9999));
  const side = int(3);
  if (side !== 1) pairs.push(['w', edge()]);
  if (side !== 0) pairs.push(['h', edge()]);
  if (chance(0.4)) pairs.push(['format', pick(['jpg', 'jpeg', 'png', 'webp', 'avif', 'gif', 'tiff', 'bmp'])]);
  if (chance(0.3)) pairs.push(['interlace', pick(['0', '1'])]);
  if (chance(0.4)) pairs.push(['q', `${pick([1 + int(100), 75])}${chance(0.3) ? '!' : ''}`]);
  if (chance(0.2)) pairs.push(['ignore-error', '1']);
  return { mode: int(6), pairs };
}

/** URL-safe base64 as clients write it: unpadded, or padded to a multiple of four. */
function b64(text: string): string {
  const encoded = Buffer.from(text).toString('base64url');
  return chance(0.3) ? encoded.padEnd(Math.ceil(encoded.length / 4) * 4, '=') : encoded;
}

const edge = () => String(1 + int(chance(0.8) ? 2000 : 9999));
const gravityWords = ['NorthWest', 'North', 'NorthEast', 'West', 'Center', 'East', 'SouthWest', 'South', 'SouthEast', 'south'];
const colourWords = ['red', 'white', 'none', '#FFF', '#ff0000', '#12345678', '#7E7E7E', 'gray'];

/** A thumbnail geometry in one of its eleven forms, sometimes with literal %, ^ instead of Qiniu's escapes. */
function thumbnailGeometry(): string {
  const percent = String(1 + int(999));
  const forms = [
    `!${percent}${pick(['p', '%'])}`, `!${percent}${pick(['p', '%'])}x`, `!x${percent}${pick(['p', '%'])}`, `${edge()}x`, `x${edge()}`,
    `${edge()}x${edge()}`, `!${edge()}x${edge()}${pick(['r', '^'])}`, `${edge()}x${edge()}!`, `${edge()}x${edge()}>`,
    `${edge()}x${edge()}<`, `${1 + int(25_000_000)}@`,
  ];
  return pick(forms);
}

function cropGeometry(): string {
  const sign = () => pick(['a', '-', '+']);
  const size = pick([`${edge()}x`, `x${edge()}`, `${edge()}x${edge()}`]);
  return chance(0.5) ? size : `!${size}${sign()}${int(2000)}${sign()}${int(2000)}`;
}

/** A valid imageMogr2 step as options (one or two tokens each) for reshuffling. */
function validImageMogr2(): string[][] {
  const options: string[][] = [];
  if (chance(0.2)) options.push(['auto-orient']);
  if (chance(0.5)) options.push(['thumbnail', thumbnailGeometry()]);
  if (chance(0.2)) options.push(['strip']);
  if (chance(0.3)) options.push(['gravity', pick(gravityWords)]);
  if (chance(0.3)) options.push(['crop', cropGeometry()]);
  if (chance(0.3)) options.push(['rotate', String(1 + int(360))]);
  if (chance(0.3)) options.push(['format', pick(['jpg', 'jpeg', 'png', 'webp', 'avif', 'gif', 'tiff', 'bmp'])]);
  if (chance(0.2)) options.push(['blur', `${1 + int(50)}x${1 + int(50)}`]);
  if (chance(0.2)) options.push(['interlace', pick(['0', '1'])]);
  if (chance(0.3)) options.push(['quality', `${pick([1 + int(100), 75])}${chance(0.3) ? '!' : ''}`]);
  if (chance(0.2)) {
    const bytes = chance(0.2) ? pick(['$(fsize)', '%24(fsize)']) : `${1 + int(1000)}${pick(['', 'k', 'm'])}`;
    options.push(['size-limit', `${bytes}${chance(0.3) ? '!' : ''}`]);
  }
  if (chance(0.2)) options.push(['sharpen', pick(['0', '1'])]);
  if (chance(0.2)) options.push(['background', b64(pick(colourWords))]);
  return options;
}

/** The parameters of one watermark mark after its `image`/`text` pair, for reshuffling. */
function markParams(kind: 'image' | 'text'): string[][] {
  const pairs: string[][] = [];
  if (chance(0.3)) pairs.push(['dissolve', String(1 + int(100))]);
  if (chance(0.3)) pairs.push(['gravity', pick(gravityWords)]);
  if (chance(0.3)) pairs.push(['dx', String(int(500))]);
  if (chance(0.3)) pairs.push(['dy', String(int(500))]);
  if (kind === 'image' && chance(0.3)) pairs.push(['ws', pick(['0', '1', '0.5', '0.25', '1.0', '0.123456'])]);
  if (kind === 'text') {
    if (chance(0.3)) pairs.push(['font', b64(pick(['DejaVu Sans', 'Noto Serif CJK', '宋体']))]);
    if (chance(0.3)) pairs.push(['fontsize', String(20 + int(2000))]);
    if (chance(0.3)) pairs.push(['fill', b64(pick(colourWords))]);
  }
  return pairs;
}

function markStart(kind: 'image' | 'text'): string[] {
  if (kind === 'text') return ['text', b64(pick(['hi', '© Fopflow', '七牛 watermark', 'a&b<c>']))];
  return ['image', b64(pick(['http://cdn.example.com/brand/logo.png', 'https://h/brand/a%20b.png', 'brand:logos/logo.png']))];
}

/** A valid watermark step: mode 1 or 2 with its pairs in random order, or mode 3 with 1-3 marks. */
function validWatermark(): string {
  const mode = 1 + int(3);
  if (mode !== 3) {
    const kind = mode === 1 ? 'image' : 'text';
    return ['watermark', mode, ...shuffled([markStart(kind), ...markParams(kind)]).flat()].join('/');
  }
  const marks: string[] = [];
  for (let n = 1 + int(3); n > 0; n--) {
    const kind = chance(0.5) ? 'image' : 'text';
    marks.push(...markStart(kind), ...shuffled(markParams(kind)).flat());
  }
  return ['watermark', 3, ...marks].join('/');
}

// Audio/video commands: containers with their codecs, default first, as libs/fop/src/av.formats.ts.
const avVideoCodecs: Record<string, string[]> = { mp4: ['libx264', 'libx265'], mov: ['libx264', 'libx265'], webm: ['libvpx-vp9', 'libvpx'] };
const avAudioCodecs: Record<string, string[]> = {
  mp4: ['aac', 'libmp3lame'], mov: ['aac', 'libmp3lame', 'pcm_s16le'], webm: ['libopus', 'libvorbis'], mp3: ['libmp3lame'],
  aac: ['aac'], m4a: ['aac'], ogg: ['libvorbis', 'libopus', 'flac'], flac: ['flac'], wav: ['pcm_s16le'],
};
const objectUrls = ['http://cdn.example.com/media/clip.mp4', 'https://h/media/a%20b.mp4', 'media:clips/c.mp4', 'brand:logo.png'];

/** A valid avthumb step: its format and its pairs, every combination one the grammar accepts. */
function validAvthumb(): { format: string; pairs: string[][] } {
  const format = pick(['mp4', 'mp4', 'webm', 'mov', 'mp3', 'aac', 'm4a', 'ogg', 'flac', 'wav']);
  const pairs: string[][] = [];
  const video = format in avVideoCodecs;
  const noAudio = video && chance(0.15);
  if (video) {
    if (chance(0.4)) {
      pairs.push(['s', `${20 + int(3821)}x${20 + int(2141)}`]);
      if (chance(0.3)) pairs.push(['autoscale', pick(['0', '1'])]);
    }
    if (chance(0.3)) pairs.push(['vb', pick(['128k', '1.25m', '5m', '800000', '2M'])]);
    if (chance(0.2)) pairs.push(['r', String(1 + int(60))]);
    if (chance(0.2)) pairs.push(['vcodec', pick(avVideoCodecs[format])]);
    if (chance(0.2)) pairs.push(['aspect', pick(['16:9', '4:3', '32:18', '1:1'])]);
    if (chance(0.2)) pairs.push(['rotate', pick(['90', '180', '270', 'auto'])]);
    if (chance(0.2)) {
      pairs.push(['wmImage', b64(pick(objectUrls))]);
      if (chance(0.5)) pairs.push(['wmGravity', pick(gravityWords)]);
    }
    if (chance(0.2)) {
      pairs.push(['wmText', b64(pick(['hi', '© Fopflow', '七牛 100%']))]);
      if (chance(0.4)) pairs.push(['wmGravityText', pick(gravityWords)]);
      if (chance(0.4)) pairs.push(['wmFontColor', b64(pick(colourWords))]);
      if (chance(0.4)) pairs.push(['wmFontSize', String(1 + int(500))]);
    }
    if (noAudio) pairs.push(['an', '1']);
    else if (chance(0.1)) pairs.push(['an', '0']);
  } else if (chance(0.2)) {
    pairs.push(['vn', pick(['0', '1'])]);
  }
  if (!noAudio) {
    const explicit = chance(0.3);
    const codec = explicit ? pick(avAudioCodecs[format]) : avAudioCodecs[format][0];
    if (explicit) pairs.push(['acodec', codec]);
    if (codec === 'libmp3lame' && chance(0.3)) pairs.push(['aq', String(int(10))]);
    else if (codec !== 'flac' && codec !== 'pcm_s16le' && chance(0.3)) pairs.push(['ab', pick(['64k', '128k', '96000', '0.32m'])]);
    if (chance(0.3)) pairs.push(['ar', pick(['8000', '16000', '24000', '48000'])]);
    if (chance(0.2)) pairs.push(['ac', pick(['1', '2'])]);
  }
  if (chance(0.3)) pairs.push(['ss', pick(['0', '1.5', '3.345', '10', '02.50'])]);
  if (chance(0.3)) pairs.push(['t', pick(['1', '0.5', '60', '2.250'])]);
  if (chance(0.2)) pairs.push(['stripmeta', pick(['0', '1'])]);
  return { format, pairs };
}

/** A valid vframe step: format and pairs (offset always among them). */
function validVframe(): { format: string; pairs: string[][] } {
  const pairs: string[][] = [['offset', pick(['0', '1.5', '7.25', '3600', '0.001'])]];
  if (chance(0.5)) pairs.push(['w', String(20 + int(3821))]);
  if (chance(0.5)) pairs.push(['h', String(20 + int(2141))]);
  if (chance(0.3)) pairs.push(['rotate', pick(['90', '180', '270', 'auto'])]);
  return { format: pick(['jpg', 'png', 'jpeg']), pairs };
}

/** A valid audio/video step of any of the four commands. */
function validAvStep(): string {
  const kind = int(5);
  if (kind === 0) return pick(['avinfo', 'avinfo/']);
  if (kind === 1) {
    const { format, pairs } = validVframe();
    return ['vframe', format, ...shuffled(pairs).flat()].join('/');
  }
  if (kind === 2) {
    const urls = Array.from({ length: 1 + int(4) }, () => b64(pick(objectUrls)));
    return ['avconcat', 2, 'format', pick(Object.keys(avAudioCodecs)), ...urls].join('/');
  }
  const { format, pairs } = validAvthumb();
  return ['avthumb', format, ...shuffled(pairs).flat()].join('/');
}

function shuffled<T>(items: readonly T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = int(i + 1);
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy;
}

function stepText(mode: number, pairs: string[][]): string {
  return ['imageView2', mode, ...shuffled(pairs).flat()].join('/');
}

function validPipeline(): string {
  const steps: string[] = [];
  for (let s = 1 + int(3); s > 0; s--) {
    const kind = random();
    if (kind < 0.1) {
      steps.push(pick(['exif', 'imageAve', 'exif/']));
    } else if (kind < 0.3) {
      steps.push(['imageMogr2', ...shuffled(validImageMogr2()).flat()].join('/'));
    } else if (kind < 0.45) {
      steps.push(validWatermark());
    } else if (kind > 0.8) {
      steps.push(validAvStep());
    } else if (chance(0.25)) {
      steps.push(chance(0.8) ? 'imageInfo' : 'imageInfo/');
    } else {
      const { mode, pairs } = validImageView2();
      steps.push(stepText(mode, pairs));
    }
  }
  return steps.join('|');
}

function mutated(text: string): string {
  let tokens = text.split('/');
  for (let m = 1 + int(3); m > 0; m--) {
    const at = int(tokens.length);
    switch (int(8)) {
      case 0:
        tokens.splice(at, 1);
        break;
      case 1:
        tokens.splice(at, 0, tokens[at]);
        break;
      case 2: {
        const other = int(tokens.length);
        [tokens[at], tokens[other]] = [tokens[other], tokens[at]];
        break;
      }
      case 3:
        tokens[at] = `${tokens[at]}|${chance(0.5) ? 'imageInfo' : ''}`;
        break;
      case 4:
        tokens.splice(at, 0, '');
        break;
      case 5:
        tokens[at] = pick(['99999999999999999999', '1'.repeat(30), '-0', '0', '1e308']);
        break;
      case 6: {
        const cut = int(tokens[at].length + 1);
        tokens[at] = tokens[at].slice(0, cut) + pick(oddCharacters) + tokens[at].slice(cut);
        break;
      }
      default:
        tokens[at] = pick(chance(0.5) ? paramWords : valueWords);
    }
    if (tokens.length === 0) tokens = [''];
  }
  return tokens.join('/');
}

/** Whether parsePipeline accepted `input`, and what is wrong with its answer if anything. */
function verdict(input: string): { accepted: boolean; problem?: string } {
  let pipeline;
  try {
    pipeline = parsePipeline(input);
  } catch (error) {
    if (!(error instanceof FopSyntaxError)) return { accepted: false, problem: `threw ${String(error)}` };
    const { message, status } = error;
    if (status !== 400 || message === '') return { accepted: false, problem: `bad FopSyntaxError: ${message}` };
    if (message.length > 400) return { accepted: false, problem: `message too long (${message.length})` };
    if (/[\u0000-\u001f\u007f-\u009f]/.test(message)) return { accepted: false, problem: 'control character echoed' };
    return { accepted: false };
  }
  const { normalized, steps } = pipeline;
  const again = parsePipeline(normalized);
  if (again.normalized !== normalized) {
    return { accepted: true, problem: `normalized is not stable: ${normalized} → ${again.normalized}` };
  }
  if (JSON.stringify(again.steps) !== JSON.stringify(steps)) return { accepted: true, problem: 'steps differ' };
  if (normalized.length > input.length) return { accepted: true, problem: `normalized grew: ${normalized}` };
  return { accepted: true };
}

describe('parsePipeline fuzz', () => {
  it('never throws anything but FopSyntaxError, and normalized text is a fixed point', () => {
    const generators = [randomCodeUnits, randomTokens, validPipeline, () => mutated(validPipeline())];
    const problems: string[] = [];
    let accepted = 0;
    const total = 5000;
    for (let i = 0; i < total; i++) {
      const input = generators[i % generators.length]();
      const { accepted: ok, problem } = verdict(input);
      if (problem) problems.push(`${JSON.stringify(input)}: ${problem}`);
      if (ok) accepted++;
    }
    expect(problems.slice(0, 10)).toEqual([]);
    // Guard against a generator that drifted into producing only garbage (or only valid input).
    expect(accepted).toBeGreaterThan(total * 0.2);
    expect(accepted).toBeLessThan(total * 0.6);
  });

  it('gives every order of the same parameters the same normalized text', () => {
    for (let i = 0; i < 500; i++) {
      const { mode, pairs } = validImageView2();
      const first = parsePipeline(stepText(mode, pairs)).normalized;
      for (let k = 0; k < 3; k++) expect(parsePipeline(stepText(mode, pairs)).normalized).toBe(first);
    }
  });

  it('gives every order of imageMogr2 options and of watermark parameters the same normalized text', () => {
    for (let i = 0; i < 300; i++) {
      const options = validImageMogr2();
      const first = parsePipeline(['imageMogr2', ...options.flat()].join('/')).normalized;
      for (let k = 0; k < 3; k++) expect(parsePipeline(['imageMogr2', ...shuffled(options).flat()].join('/')).normalized).toBe(first);
      const kind = chance(0.5) ? 'image' : 'text';
      const pairs = [markStart(kind), ...markParams(kind)];
      const mode = kind === 'image' ? 1 : 2;
      const mark = parsePipeline(['watermark', mode, ...pairs.flat()].join('/')).normalized;
      expect(parsePipeline(['watermark', mode, ...shuffled(pairs).flat()].join('/')).normalized).toBe(mark);
      // One mark in mode 3 (its start first) means the same as mode 1 or 2.
      expect(parsePipeline(['watermark', 3, ...pairs.flat()].join('/')).normalized).toBe(mark);
    }
  });

  it('gives every order of avthumb and vframe parameters the same normalized text', () => {
    for (let i = 0; i < 300; i++) {
      for (const [command, { format, pairs }] of [['avthumb', validAvthumb()], ['vframe', validVframe()]] as const) {
        const first = parsePipeline([command, format, ...pairs.flat()].join('/')).normalized;
        for (let k = 0; k < 3; k++) expect(parsePipeline([command, format, ...shuffled(pairs).flat()].join('/')).normalized).toBe(first);
      }
    }
  });
});

