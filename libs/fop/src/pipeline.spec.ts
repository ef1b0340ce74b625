import { commandNames } from './catalogue';
import { FopSyntaxError } from './errors';
import { defaultMaxFopChars, defaultMaxPipelineSteps, parsePipeline, type ParseOptions } from './pipeline';

function thrown(input: unknown, options?: ParseOptions): FopSyntaxError {
  try {
    parsePipeline(input as string, options);
  } catch (error) {
    expect(error).toBeInstanceOf(FopSyntaxError);
    return error as FopSyntaxError;
  }
  throw new Error(`expected ${String(input)} to be rejected`);
}

describe('parsePipeline', () => {
  it('parses a single step', () => {
    expect(parsePipeline('imageView2/2/w/640/h/960')).toEqual({
      steps: [{ command: 'imageView2', args: { mode: 2, w: 640, h: 960, qForce: false, ignoreError: false } }],
      normalized: 'imageView2/2/w/640/h/960',
    });
  });

  it('parses a chain in order', () => {
    const pipeline = parsePipeline('imageView2/2/h/200|imageInfo');
    expect(pipeline.steps.map((step) => step.command)).toEqual(['imageView2', 'imageInfo']);
    expect(pipeline.normalized).toBe('imageView2/2/h/200|imageInfo');
  });

  it('normalizes every step and keeps their order', () => {
    expect(parsePipeline('imageView2/1/h/20/w/10/format/jpeg|imageView2/0/w/5/q/75|imageInfo/').normalized).toBe(
      'imageView2/1/w/10/h/20/format/jpg|imageView2/0/w/5|imageInfo',
    );
    expect(parsePipeline('imageView2/0/w/5|imageView2/1/w/5').normalized).not.toBe(
      parsePipeline('imageView2/1/w/5|imageView2/0/w/5').normalized,
    );
  });

  it('tolerates one trailing slash in a step', () => {
    expect(parsePipeline('imageInfo/').normalized).toBe('imageInfo');
    expect(parsePipeline('imageView2/2/w/10/|imageInfo').normalized).toBe('imageView2/2/w/10|imageInfo');
  });

  it('rejects two trailing slashes', () => {
    expect(thrown('imageInfo//').message).toBe("imageInfo: takes no parameters, got '' (step 1)");
    expect(thrown('imageView2/2/w/10//').message).toContain("unknown parameter ''");
  });

  it('gives the same normalized text for reordered parameters and different text otherwise', () => {
    const a = parsePipeline('imageView2/2/w/640/h/960/q/80!').normalized;
    const b = parsePipeline('imageView2/2/q/80!/h/960/w/640').normalized;
    const c = parsePipeline('imageView2/2/q/80/h/960/w/640').normalized;
    expect(a).toBe(b);
    expect(a).not.toBe(c);
  });

  it('passes the 1-based step index to the command', () => {
    const error = thrown('imageInfo|imageInfo|imageView2/9/w/1');
    expect(error.message).toBe("imageView2: mode must be an integer from 0 to 5, got '9' (step 3)");
    expect(error.stepIndex).toBe(3);
  });
});

describe('parsePipeline errors', () => {
  it('rejects empty input', () => {
    expect(thrown('').message).toBe('empty fop');
  });

  it('rejects a non-string, which arrives when a query parameter is repeated', () => {
    expect(thrown(['imageInfo', 'imageInfo']).message).toBe('fop must be a string, got object');
    expect(thrown(undefined).message).toBe('fop must be a string, got undefined');
  });

  it.each([
    ['imageInfo||imageInfo', 2],
    ['|imageInfo', 1],
    ['imageInfo|', 2],
    ['|', 1],
  ])('rejects the empty step in %p', (input, stepIndex) => {
    const error = thrown(input);
    expect(error.message).toBe(`empty step ${stepIndex}: '|' must separate two commands`);
    expect(error.stepIndex).toBe(stepIndex);
  });

  it('rejects an unknown command naming it, the step and the known ones', () => {
    const error = thrown('imageInfo|foo/1');
    // The list is the whole catalogue, which grows with every command.
    expect(error.message).toBe(`unknown command 'foo' in step 2; known commands: ${commandNames().join(', ')}`);
    expect(error.message).toContain('known commands: imageView2, imageInfo, imageMogr2, watermark, exif, imageAve');
    expect(error.token).toBe('foo');
    expect(error.stepIndex).toBe(2);
  });

  it.each(['imageview2/2/w/1', 'ImageInfo', 'IMAGEINFO', ' imageInfo', 'constructor', '__proto__', 'toString'])(
    'rejects %p as unknown: names are case-sensitive and exact',
    (input) => {
      expect(thrown(input).message).toMatch(/^unknown command '.*' in step 1/);
    },
  );

  it('rejects a step that starts with a slash', () => {
    expect(thrown('/imageInfo').message).toBe("step 1 starts with '/' instead of a command name");
  });

  it('allows the default number of steps and names the limit above it', () => {
    expect(parsePipeline(Array(defaultMaxPipelineSteps).fill('imageInfo').join('|')).steps).toHaveLength(10);
    const error = thrown(Array(defaultMaxPipelineSteps + 1).fill('imageInfo').join('|'));
    expect(error.message).toBe('fop has 11 steps; at most 10 are allowed');
  });

  it('honours a custom step limit', () => {
    expect(thrown('imageInfo|imageInfo', { maxSteps: 1 }).message).toBe('fop has 2 steps; at most 1 are allowed');
    expect(parsePipeline('imageInfo|imageInfo', { maxSteps: 2 }).steps).toHaveLength(2);
  });

  it('counts steps before parsing them, so a long bad chain costs nothing', () => {
    expect(thrown(Array(11).fill('nope').join('|')).message).toContain('11 steps');
  });

  it('rejects input over the length limit, default and custom', () => {
    const long = `imageView2/2/w/${'0'.repeat(defaultMaxFopChars)}1`;
    expect(thrown(long).message).toBe(`fop is ${long.length} characters long; at most 4096 are allowed`);
    expect(thrown('imageInfo', { maxLength: 8 }).message).toBe('fop is 9 characters long; at most 8 are allowed');
    expect(parsePipeline('imageInfo', { maxLength: 9 }).normalized).toBe('imageInfo');
  });

  it.each([
    ['imageInfo\n', 'U+000A', 10, 1],
    ['\u0000imageInfo', 'U+0000', 1, 1],
    ['imageInfo|imageView2/2/w/1\t', 'U+0009', 27, 2],
    ['imageInfo|imageInfo|\u007f', 'U+007F', 21, 3],
    ['imageInfo\u0085', 'U+0085', 10, 1],
  ])('rejects control characters in %j', (input, code, position, stepIndex) => {
    const error = thrown(input);
    expect(error.message).toBe(`control character ${code} at position ${position} in step ${stepIndex}`);
    expect(error.stepIndex).toBe(stepIndex);
  });

  it('treats bad options as a programming error, not a syntax error', () => {
    for (const options of [{ maxSteps: 0 }, { maxSteps: Number.NaN }, { maxLength: -1 }, { maxLength: 1.5 }]) {
      expect(() => parsePipeline('imageInfo', options)).toThrow(RangeError);
    }
  });

  it('answers 400 for every syntax error', () => {
    expect(thrown('foo').status).toBe(400);
  });
});

describe('parsePipeline with custom commands', () => {
  const registered = (name: string) => name === 'my-sepia';

  it('takes a registered name as a custom step whose text goes on as written', () => {
    const { steps, normalized } = parsePipeline('imageView2/2/w/800|my-sepia/level/3/', { customCommands: registered });
    expect(steps[1]).toEqual({ command: 'my-sepia', custom: true, args: { text: 'my-sepia/level/3' } });
    expect(normalized).toBe('imageView2/2/w/800|my-sepia/level/3');
  });

  it('still refuses names nobody registered, and ill-formed names even when any is allowed', () => {
    expect(thrown('other-one/x', { customCommands: registered }).message).toMatch(/unknown command 'other-one' in step 1/);
    expect(thrown('Bad_Name/x', { customCommands: 'any' }).message).toMatch(/unknown command 'Bad_Name'/);
  });

  it('never lets a custom name shadow an official command', () => {
    const { steps } = parsePipeline('imageInfo', { customCommands: 'any' });
    expect(steps[0]).toEqual({ command: 'imageInfo', args: {} });
  });
});
