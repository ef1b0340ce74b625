import { AccessKeyStore, parseAccessKeys } from './access-keys';

describe('parseAccessKeys', () => {
  const tiers = ['paid', 'free'];

  it('reads ak:sk:tier entries', () => {
    const keys = parseAccessKeys('ak-one:sk-one-secret:paid, ak-two:sk-two-secret:free', tiers);
    expect(keys).toEqual([
      { accessKey: 'ak-one', secretKey: 'sk-one-secret', tier: 'paid' },
      { accessKey: 'ak-two', secretKey: 'sk-two-secret', tier: 'free' },
    ]);
    expect(new AccessKeyStore(keys).find('ak-two')?.tier).toBe('free');
    expect(parseAccessKeys('', tiers)).toEqual([]);
  });

  it.each([
    ['akone:skone', /expected ak:sk:tier/],
    ['akone:skone:gold', /tier 'gold'/],
    ['a:skone:paid', /4-128 characters/],
    ['akone:skone:paid,akone:sktwo:free', /appears twice/],
  ])('rejects %s naming the problem', (text, pattern) => {
    expect(() => parseAccessKeys(text, tiers)).toThrow(pattern);
  });
});
