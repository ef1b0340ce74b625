import { thrownSyntaxError } from './testing/syntax-error.expect';
import { FopSyntaxError } from './errors';
import {
  expectNoTokens,
  parseChoice,
  parseFlag,
  parseForcedInteger,
  parseInteger,
  paramLabel,
  quoteToken,
  readNamedParams,
  stepError,
} from './params';

const at = { command: 'demo', stepIndex: 3 };

const thrown = (run: () => unknown) => thrownSyntaxError(run);

describe('quoteToken', () => {
  it('quotes short tokens whole', () => {
    expect(quoteToken('abc')).toBe("'abc'");
    expect(quoteToken('')).toBe("''");
  });

  it('cuts long tokens after 40 characters, counting code points', () => {
    expect(quoteToken('x'.repeat(41))).toBe(`'${'x'.repeat(40)}…'`);
    const emoji = '😀'.repeat(50);
    expect(quoteToken(emoji)).toBe(`'${'😀'.repeat(40)}…'`);
  });
});

describe('stepError', () => {
  it('names the command and step and keeps the token', () => {
    const error = stepError(at, 'went wrong', 'tok');
    expect(error.message).toBe('demo: went wrong (step 3)');
    expect(error.token).toBe('tok');
    expect(error.stepIndex).toBe(3);
    expect(error.status).toBe(400);
    expect(error.name).toBe('FopSyntaxError');
    expect(error).toBeInstanceOf(Error);
  });
});

describe('readNamedParams', () => {
  const names = ['a', 'b'] as const;

  it('reads pairs in any order', () => {
    const values = readNamedParams(at, ['b', '2', 'a', '1'], names);
    expect([...values]).toEqual([
      ['b', '2'],
      ['a', '1'],
    ]);
  });

  it('accepts no tokens at all', () => {
    expect(readNamedParams(at, [], names).size).toBe(0);
  });

  it('rejects an unknown name and lists the known ones', () => {
    const error = thrown(() => readNamedParams(at, ['c', '1'], names));
    expect(error.message).toBe("demo: unknown parameter 'c'; expected one of a, b (step 3)");
    expect(error.token).toBe('c');
  });

  it.each(['__proto__', 'constructor', 'toString', 'A', ''])('rejects %p as unknown', (name) => {
    expect(thrown(() => readNamedParams(at, [name, '1'], names)).message).toContain('unknown parameter');
  });

  it('rejects a repeated name', () => {
    const error = thrown(() => readNamedParams(at, ['a', '1', 'a', '1'], names));
    expect(error.message).toBe("demo: parameter 'a' is given more than once (step 3)");
    expect(error.token).toBe('a');
  });

  it('rejects a name without a value', () => {
    const error = thrown(() => readNamedParams(at, ['a', '1', 'b'], names));
    expect(error.message).toBe("demo: parameter 'b' has no value (step 3)");
  });
});

describe('parseInteger', () => {
  it.each([
    ['1', 1],
    ['9999', 9999],
    ['0640', 640],
    ['000001', 1],
  ])('reads %p as %p', (token, value) => {
    expect(parseInteger(at, paramLabel('w'), token, 1, 9999)).toBe(value);
  });

  it.each(['0', '10000', '', ' 1', '1 ', '12.5', '1e3', '+3', '-1', '0x10', '１２', 'NaN', 'Infinity', '9'.repeat(400)])(
    'rejects %p with the allowed range',
    (token) => {
      const error = thrown(() => parseInteger(at, paramLabel('w'), token, 1, 9999));
      expect(error.message).toBe(
        `demo: parameter 'w' must be an integer from 1 to 9999, got ${quoteToken(token)} (step 3)`,
      );
      expect(error.token).toBe(token);
      expect(error.stepIndex).toBe(3);
    },
  );

  it('words one- and two-value ranges plainly', () => {
    expect(thrown(() => parseInteger(at, 'x', '2', 1, 1)).message).toBe("demo: x must be 1, got '2' (step 3)");
    expect(thrown(() => parseInteger(at, 'x', '2', 0, 1)).message).toBe("demo: x must be 0 or 1, got '2' (step 3)");
  });
});

describe('parseForcedInteger', () => {
  it('reads the force suffix', () => {
    expect(parseForcedInteger(at, 'q', '90', 1, 100)).toEqual({ value: 90, forced: false });
    expect(parseForcedInteger(at, 'q', '90!', 1, 100)).toEqual({ value: 90, forced: true });
  });

  it.each(['!', '90!!', '!90', '0!', '101', '9 0', '90?'])('rejects %p naming the suffix', (token) => {
    const error = thrown(() => parseForcedInteger(at, paramLabel('q'), token, 1, 100));
    expect(error.message).toBe(
      `demo: parameter 'q' must be an integer from 1 to 100, optionally followed by '!', got '${token}' (step 3)`,
    );
  });
});

describe('parseFlag', () => {
  it('reads 0 and 1', () => {
    expect(parseFlag(at, 'f', '0')).toBe(false);
    expect(parseFlag(at, 'f', '1')).toBe(true);
  });

  it.each(['2', 'true', '', 'yes'])('rejects %p', (token) => {
    expect(thrown(() => parseFlag(at, 'f', token)).message).toContain('must be 0 or 1');
  });
});

describe('parseChoice', () => {
  const choices = ['jpg', 'png'] as const;

  it('accepts a choice or an alias', () => {
    expect(parseChoice(at, 'format', 'png', choices)).toBe('png');
    expect(parseChoice(at, 'format', 'jpeg', choices, { jpeg: 'jpg' })).toBe('jpg');
  });

  it.each(['PNG', 'gif', '', 'toString', '__proto__', 'constructor'])('rejects %p and lists choices', (token) => {
    const error = thrown(() => parseChoice(at, 'format', token, choices, { jpeg: 'jpg' }));
    expect(error.message).toBe(`demo: format must be one of jpg, png, got '${token}' (step 3)`);
  });
});

describe('expectNoTokens', () => {
  it('accepts no tokens and names the first extra one', () => {
    expect(() => expectNoTokens(at, [])).not.toThrow();
    const error = thrown(() => expectNoTokens(at, ['x', 'y']));
    expect(error.message).toBe("demo: takes no parameters, got 'x' (step 3)");
    expect(error.token).toBe('x');
  });
});
