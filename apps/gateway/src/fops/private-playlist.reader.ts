import { Inject, Injectable } from '@nestjs/common';
import { privateDownloadUrl } from '@fopflow/auth';
import { parsePm3u8 } from '@fopflow/fop';
import { OBJECT_STORAGE, ObjectStorage } from '@fopflow/storage';
import type { Request, Response } from 'express';
import { AccessPolicy, UrlReader } from '../auth/access.policy';
import { GatewayError } from '../http/error.filter';
import { isPlaylist, signPlaylist } from './playlist.signer';

/** Largest playlist pm3u8 reads, in bytes. */
const maxPlaylistBytes = 4 * 1024 * 1024;

/**
 * `GET /<bucket>/<key>.m3u8?pm3u8/0/expires/<s>`: a stored playlist whose segment URLs each carry a
 * download token, so a player can fetch the segments of a private bucket. Only a caller who may
 * read the playlist gets it (the reader was decided before); the tokens are the bucket owner's,
 * as every read of a private bucket needs, and last `expires` seconds (or until `deadline`).
 */
@Injectable()
export class PrivatePlaylistReader {
  constructor(
    @Inject(OBJECT_STORAGE) private readonly storage: ObjectStorage,
    private readonly access: AccessPolicy,
  ) {}

  async serve(req: Request, res: Response, fop: string, bucket: string, key: string, reader: UrlReader): Promise<void> {
    const args = parsePm3u8(fop);
    const { data } = await this.storage.readBuffer(bucket, key, maxPlaylistBytes);
    if (!isPlaylist(data)) throw new GatewayError(400, `pm3u8: ${bucket}:${key} is not an HLS playlist (no #EXTM3U)`);
    let text = data.toString('utf8');
    if (reader.bucket.private) {
      const owner = reader.bucket.owner ? this.access.keys.find(reader.bucket.owner) : undefined;
      if (!owner) throw new GatewayError(409, `pm3u8: bucket '${bucket}' has no owner key to sign its segments with`);
      const deadlineS = 'deadlineS' in args ? args.deadlineS : Math.trunc(Date.now() / 1000) + args.expiresS;
      // The origin the player used: tokens sign scheme, host and path, as the gateway checks them.
      const playlistUrl = new URL(`${req.protocol}://${req.headers.host ?? 'localhost'}${req.path}`);
      text = signPlaylist(text, playlistUrl, (url) => privateDownloadUrl(url, owner, deadlineS));
    }
    res.set({
      'Content-Type': 'application/vnd.apple.mpegurl',
      'Content-Length': String(Buffer.byteLength(text)),
      // Tokens inside: never kept by a shared cache.
      'Cache-Control': 'private, no-store',
      'X-Content-Type-Options': 'nosniff',
    });
    if (req.method === 'HEAD') res.status(200).end();
    else res.status(200).end(text);
  }
}
