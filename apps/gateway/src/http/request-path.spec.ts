import type { Request } from 'express';
import { parsePipeline } from '@fopflow/fop';
import { fopOf } from './request-path';

const request = (originalUrl: string) => ({ originalUrl }) as Request;

describe('fopOf', () => {
  it('percent-decodes the fop once and stops at the first &', () => {
    expect(fopOf(request('/b/k.jpg?imageView2/2/w/320&e=123&token=x'))).toBe('imageView2/2/w/320');
    expect(fopOf(request('/b/k.jpg?e=123&token=x'))).toBeUndefined();
    expect(fopOf(request('/b/k.jpg'))).toBeUndefined();
  });

  // Qiniu writes `size-limit/$(fsize)`; browsers and SDKs may send the `$` (and brackets) escaped.
  it.each(['$(fsize)!', '%24(fsize)!', '%24%28fsize%29%21'])('hands size-limit/%s to the parser as $(fsize)!', (token) => {
    const fop = fopOf(request(`/b/k.jpg?imageMogr2/format/jpg/size-limit/${token}`));
    expect(fop).toBe('imageMogr2/format/jpg/size-limit/$(fsize)!');
    expect(parsePipeline(fop!).normalized).toBe('imageMogr2/format/jpg/size-limit/$(fsize)!');
  });
});
