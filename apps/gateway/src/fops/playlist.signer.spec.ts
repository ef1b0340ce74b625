import { isPlaylist, signPlaylist } from './playlist.signer';

describe('signPlaylist', () => {
  const playlist = ['#EXTM3U', '#EXT-X-KEY:METHOD=AES-128,URI="https://keys.example.com/k"', '#EXTINF:2.0,', 'a-000000.ts', '#EXTINF:2.0,', '/media/v/a-000001.ts?e=1&token=old', '#EXTINF:2.0,', 'https://cdn.example.com/x.ts', '#EXT-X-ENDLIST', ''].join('\n');
  const url = new URL('http://gw.example:8080/media/v/a.m3u8');

  it('signs relative, path-absolute and same-origin lines, keeping tags and other hosts', () => {
    const signed = signPlaylist(playlist, url, (target) => `${target}?signed`).split('\n');
    expect(signed).toEqual([
      '#EXTM3U',
      '#EXT-X-KEY:METHOD=AES-128,URI="https://keys.example.com/k"',
      '#EXTINF:2.0,',
      'http://gw.example:8080/media/v/a-000000.ts?signed',
      '#EXTINF:2.0,',
      'http://gw.example:8080/media/v/a-000001.ts?signed',
      '#EXTINF:2.0,',
      'https://cdn.example.com/x.ts',
      '#EXT-X-ENDLIST',
      '',
    ]);
  });

  it('knows a playlist by its first tag', () => {
    expect(isPlaylist(Buffer.from('#EXTM3U\n'))).toBe(true);
    expect(isPlaylist(Buffer.from('\uFEFF#EXTM3U\n'))).toBe(true);
    expect(isPlaylist(Buffer.from('\x89PNG'))).toBe(false);
  });
});
