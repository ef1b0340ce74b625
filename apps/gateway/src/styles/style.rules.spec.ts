import { separatorProblem, splitStyledKey, styleNameProblem } from './style.rules';

describe('style rules', () => {
  const bucket = { separator: '-!', styles: { thumb: 'imageView2/2/w/100', 'small_sq': 'imageView2/1/w/50/h/50' } };

  it('reads the text after the last separator as the style name', () => {
    expect(splitStyledKey('photo.jpg-thumb', bucket)).toEqual({ sourceKey: 'photo.jpg', style: 'thumb', fops: 'imageView2/2/w/100' });
    expect(splitStyledKey('a-b/photo.jpg!small_sq', bucket)).toEqual({ sourceKey: 'a-b/photo.jpg', style: 'small_sq', fops: 'imageView2/1/w/50/h/50' });
  });

  it('finds no style when the last part names none, or the key holds no separator', () => {
    expect(splitStyledKey('photo.jpg-nosuch', bucket)).toBeUndefined();
    expect(splitStyledKey('photo.jpg', bucket)).toBeUndefined();
    expect(splitStyledKey('photo-thumb.jpg', bucket)).toBeUndefined();
    expect(splitStyledKey('-thumb', bucket)).toBeUndefined();
    expect(splitStyledKey('photo.jpg-thumb', { separator: '-' })).toBeUndefined();
  });

  it("uses only the bucket's separators, '-' when it set none", () => {
    expect(splitStyledKey('photo.jpg_thumb', bucket)).toBeUndefined();
    expect(splitStyledKey('photo.jpg-thumb', { styles: bucket.styles })).toMatchObject({ sourceKey: 'photo.jpg', style: 'thumb' });
    expect(splitStyledKey('photo.jpg@thumb', { styles: bucket.styles })).toBeUndefined();
  });

  it('never matches inherited names such as constructor', () => {
    expect(splitStyledKey('photo.jpg-constructor', bucket)).toBeUndefined();
  });

  it('accepts separator sets of the documented characters only, each once', () => {
    expect(separatorProblem('-')).toBeUndefined();
    expect(separatorProblem('-_!/@')).toBeUndefined();
    expect(separatorProblem('')).toMatch(/^separator must be/);
    expect(separatorProblem('--')).toMatch(/^separator must be/);
    expect(separatorProblem('?')).toMatch(/^separator must be/);
  });

  it('refuses style names holding a separator of the bucket, or odd characters', () => {
    expect(styleNameProblem('thumb', '-')).toBeUndefined();
    expect(styleNameProblem('small-sq', '_')).toBeUndefined();
    expect(styleNameProblem('small-sq', '-!')).toBe("style name 'small-sq' holds '-', one of the bucket's separators '-!': a URL could not tell key from style");
    expect(styleNameProblem('a/b', '-')).toMatch(/^style name must be/);
    expect(styleNameProblem('x'.repeat(65), '-')).toMatch(/^style name must be/);
    expect(styleNameProblem('', '-')).toMatch(/^style name must be/);
    expect(styleNameProblem('..', '-')).toMatch(/^style name must be/);
  });
});
