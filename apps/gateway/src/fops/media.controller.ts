import { Controller, Get, Head, Inject, Req, Res } from '@nestjs/common';
import { ANONYMOUS_ACCOUNT } from '@fopflow/auth';
import { isPm3u8 } from '@fopflow/fop';
import { OBJECT_STORAGE, ObjectStorage } from '@fopflow/storage';
import type { Request, Response } from 'express';
import { pipeline } from 'node:stream/promises';
import parseRange from 'range-parser';
import { AccessPolicy } from '../auth/access.policy';
import { anonymousIdentity } from '../auth/caller';
import { RateLimits } from '../auth/rate-limits';
import { GatewayError, sendError } from '../http/error.filter';
import { inertContentHeaders, objectCacheControl, resultCacheControl } from '../http/inert-content';
import { bucketAndKey, fopOf } from '../http/request-path';
import { refuseUnstyledImage } from '../styles/original-protection';
import { StyleResolver } from '../styles/style.resolver';
import { FopService } from './fop.service';
import { PrivatePlaylistReader } from './private-playlist.reader';

/** Aborts when the connection closes before the answer was sent: nobody waits for it any more. */
function clientGone(res: Response): AbortSignal {
  const gone = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) gone.abort();
  });
  return gone.signal;
}

/**
 * `GET|HEAD /<bucket>/<key>`: the raw object (with ETag and Range), or, with a fop query
 * (`?imageView2/2/w/320|...`) or a style (`<key>-thumb`), its processed result. Registered last:
 * it matches any path.
 */
@Controller()
export class MediaController {
  constructor(
    @Inject(OBJECT_STORAGE) private readonly storage: ObjectStorage,
    private readonly fops: FopService,
    private readonly access: AccessPolicy,
    private readonly limits: RateLimits,
    private readonly playlists: PrivatePlaylistReader,
    private readonly styles: StyleResolver,
  ) {}

  @Get(':bucket/*key')
  get(@Req() req: Request, @Res() res: Response): Promise<void> {
    return this.serve(req, res);
  }

  @Head(':bucket/*key')
  head(@Req() req: Request, @Res() res: Response): Promise<void> {
    return this.serve(req, res);
  }

  private async serve(req: Request, res: Response): Promise<void> {
    const { bucket, key: pathKey } = bucketAndKey(req);
    const reader = await this.access.reader(req, bucket);
    const query = fopOf(req);
    // `/<bucket>/<key><separator><style>` runs the style's fops exactly as the same fop URL would.
    const styled = query === undefined ? await this.styles.resolve(reader.bucket, pathKey) : undefined;
    const key = styled?.sourceKey ?? pathKey;
    const fop = styled?.fops ?? query;
    if (reader.bucket.protected && !styled) refuseUnstyledImage(reader, await this.storage.stat(bucket, key), fop);
    if (fop === undefined) return this.serveObject(req, res, bucket, key, reader.bucket.private);
    if (isPm3u8(fop)) {
      await this.limits.consume(reader.key ? { key: reader.key.accessKey, tier: reader.key.tier } : anonymousIdentity(req), 'pm3u8');
      return this.playlists.serve(req, res, fop, bucket, key, reader);
    }

    // A saveas signature covers the URL as sent, without its scheme: host, path and raw query.
    // Custom commands run for the reader, else for the bucket's owner, who offers them on its objects.
    const runsFor = reader.account === ANONYMOUS_ACCOUNT ? reader.bucket.owner : reader.account;
    const request = this.fops.parse(fop, `${req.headers.host ?? ''}${req.originalUrl}`, runsFor);
    // Objects the fop reads or writes are decided for whoever vouches for the URL: the reader, else
    // the saveas signer. Neither widens the other: a signer writes only where it may.
    const account = reader.account === ANONYMOUS_ACCOUNT ? (request.saveasSigner ?? ANONYMOUS_ACCOUNT) : reader.account;
    await this.access.authorizeFop(account, request.pipeline, request.saveas);
    const identity = reader.key ? { key: reader.key.accessKey, tier: reader.key.tier } : anonymousIdentity(req);
    await this.limits.consume(identity, request.pipeline.steps[0].command);
    const answer = await this.fops.process(bucket, key, request, account, reader.tier, clientGone(res));
    const etag = `"${answer.resultKey.slice(0, 32)}"`;
    res.set({
      'Content-Type': answer.result.mime,
      'Content-Length': String(answer.result.size),
      ETag: etag,
      'Cache-Control': resultCacheControl(req, reader.bucket.private),
      'X-Fop-Cache': answer.cache.toUpperCase(),
      ...inertContentHeaders(answer.result.mime),
    });
    const { body } = answer.result;
    if (req.method === 'HEAD' || req.headers['if-none-match'] === etag) {
      if (!Buffer.isBuffer(body)) body.destroy();
      res.status(req.method === 'HEAD' ? 200 : 304).end();
      return;
    }
    // A result held in memory goes out in one write; a larger one streams from the cache.
    if (Buffer.isBuffer(body)) res.end(body);
    else await pipeline(body, res).catch(() => res.destroy());
  }

  private async serveObject(req: Request, res: Response, bucket: string, key: string, privateBucket: boolean): Promise<void> {
    const info = await this.storage.stat(bucket, key);
    const etag = `"${info.etag}"`;
    res.set({
      'Content-Type': info.mime,
      ETag: etag,
      'Last-Modified': new Date(info.putTime).toUTCString(),
      'Accept-Ranges': 'bytes',
      ...inertContentHeaders(info.mime),
    });
    const cacheControl = objectCacheControl(req, privateBucket);
    if (cacheControl) res.set('Cache-Control', cacheControl);
    if (req.headers['if-none-match'] === etag) {
      res.status(304).end();
      return;
    }
    let range: { start: number; end: number } | undefined;
    if (req.headers.range) {
      const ranges = parseRange(info.size, req.headers.range, { combine: true });
      if (ranges === -1) {
        sendError(res, 416, `range '${req.headers.range}' is outside the object's ${info.size} bytes`, {
          'Content-Range': `bytes */${info.size}`,
        });
        return;
      }
      if (ranges === -2 || ranges.type !== 'bytes') throw new GatewayError(400, `malformed Range header '${req.headers.range}'`);
      // Several ranges would need a multipart answer; the first one is what clients ask for in practice.
      range = ranges[0];
    }
    const length = range ? range.end - range.start + 1 : info.size;
    res.set('Content-Length', String(length));
    if (range) res.status(206).set('Content-Range', `bytes ${range.start}-${range.end}/${info.size}`);
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const { stream } = await this.storage.read(bucket, key, range);
    await pipeline(stream, res).catch(() => res.destroy());
  }
}
