import type { Request } from 'express';
import { inertContentHeaders, isActiveContent, objectCacheControl, resultCacheControl } from './inert-content';

const request = (originalUrl: string, authorization?: string) => ({ originalUrl, headers: authorization ? { authorization } : {} }) as unknown as Request;

describe('inert content', () => {
  it.each([
    'text/html',
    'text/html; charset=utf-8',
    'TEXT/HTML',
    'application/xhtml+xml',
    'image/svg+xml',
    'text/xml',
    'application/xml',
    'application/rss+xml',
    'application/javascript',
    'text/javascript',
    'application/pdf',
    'application/wasm',
    'application/x-unknown',
    '',
  ])('treats %p as active: attachment under a sandbox', (mime) => {
    expect(isActiveContent(mime)).toBe(true);
    expect(inertContentHeaders(mime)).toEqual({ 'Content-Disposition': 'attachment', 'Content-Security-Policy': expect.stringMatching(/^sandbox\b/) });
  });

  it.each(['image/png', 'image/jpeg', 'image/webp', 'video/mp4', 'audio/mpeg', 'text/plain; charset=utf-8', 'application/json', 'application/octet-stream'])(
    'serves passive %p inline',
    (mime) => {
      expect(isActiveContent(mime)).toBe(false);
      expect(inertContentHeaders(mime)).toEqual({});
    },
  );

  it('makes credentialed answers private and anonymous results public and immutable', () => {
    expect(resultCacheControl(request('/b/k?imageView2/2/w/10'), false)).toMatch(/^public, max-age=\d+, immutable$/);
    expect(resultCacheControl(request('/b/k?imageView2/2/w/10&e=1&token=ak:sign'), false)).toMatch(/^private, max-age=\d+$/);
    expect(resultCacheControl(request('/b/k?imageView2/2/w/10', 'Bearer admin'), false)).toMatch(/^private, max-age=\d+$/);
    expect(objectCacheControl(request('/b/k'), false)).toBeUndefined();
    expect(objectCacheControl(request('/b/k?e=1&token=ak:sign'), false)).toMatch(/^private, max-age=\d+$/);
  });

  it('keeps every answer of a private bucket private, whatever the request carried', () => {
    expect(resultCacheControl(request('/b/k?imageView2/2/w/10'), true)).toMatch(/^private, max-age=\d+$/);
    expect(objectCacheControl(request('/b/k'), true)).toMatch(/^private, max-age=\d+$/);
  });
});
