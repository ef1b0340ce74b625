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

const commandWords = ['imageView2', 'imageInfo', 'imageview2', 'ImageInfo', 'imageMogr2', 'constructor', '__proto__', ''];
const paramWords = ['w', 'h', 'format', 'interlace', 'q', 'ignore-error', 'W', 'quality', 'toString', ''];
const valueWords = [
  '0', '1', '2', '5', '6', '75', '100', '101', '640', '9999', '10000', '0640', '80!', '75!', '!', '100!!',
  '12.5', '1e3', '+3', '-1', '0x10', ' 1', '99999999999999999999999999', '9'.repeat(400), 'NaN', 'Infinity',
  'jpg', 'jpeg', 'png', 'webp', 'avif', 'gif', 'tiff', 'bmp', 'PNG', 'heic', '１２', 'é', '😀',
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
    if (chance(0.25)) {
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
});

