import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { FileHandle, mkdir, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { Controller, Inject, Post, Req, Res } from '@nestjs/common';
import { FOPFLOW_CONFIG, FopflowConfig } from '@fopflow/config';
import { mimeSniffBytes, QetagHasher, removeStaleEntries } from '@fopflow/storage';
import type { Request, Response } from 'express';
import { GatewayError } from '../http/error.filter';
import { multipartBoundary, multipartEvents } from './multipart-form.parser';
import { UploadGrant } from './put-policy';
import { answerQiniuCodes } from './qiniu-codes';
import { AssembledFile, UploadService } from './upload.service';
import { MAX_FORM_FIELD_BYTES, MAX_FORM_FIELDS } from './upload.limits';

/** The file part as received: on disk in a staging file, with what was learnt while copying it. */
interface StagedFile extends AssembledFile {
  path: string;
  crc32: number;
}

/**
 * Qiniu's form upload, `POST /` multipart: `token`, `key`, `file`, `crc32`, `x:*`. The body is
 * parsed as it streams; the file goes to a staging file under the data dir (bounded by the
 * token's fsizeLimit when the token came first, as the SDKs and browsers send it, else by
 * maxUploadBytes), because Qiniu's SDKs send `crc32` and `x:*` after the file: only at the end can
 * the policy be checked, and only then is the file stored, in one step.
 */
@Controller()
export class FormUploadController {
  private readonly stagingDir: string;

  constructor(
    @Inject(FOPFLOW_CONFIG) private readonly config: FopflowConfig,
    private readonly uploads: UploadService,
  ) {
    this.stagingDir = join(config.dataDir, 'form-uploads');
    // Staging files a crash left behind; live uploads write theirs continuously and are kept.
    void removeStaleEntries(this.stagingDir, config.leftoverMaxAgeS * 1000).catch(() => undefined);
  }

  @Post()
  async upload(@Req() req: Request, @Res() res: Response): Promise<void> {
    await answerQiniuCodes(res, () => this.formUpload(req, res));
  }

  private async formUpload(req: Request, res: Response): Promise<void> {
    const boundary = multipartBoundary(req.headers['content-type'] ?? '');
    const fields = new Map<string, string>();
    let grant: UploadGrant | undefined;
    let staged: StagedFile | undefined;
    let file: { handle: FileHandle; staged: StagedFile; hasher: QetagHasher; heads: Buffer[]; maxBytes: number } | undefined;
    try {
      let current: { name: string; text: Buffer[]; bytes: number } | undefined;
      for await (const event of multipartEvents(req, boundary)) {
        if (event.type === 'part') {
          if (event.name === 'file') {
            if (staged) throw new GatewayError(400, 'the form has more than one file part');
            await mkdir(this.stagingDir, { recursive: true });
            const path = join(this.stagingDir, `${randomUUID()}.part`);
            staged = { path, size: 0, etag: '', head: Buffer.alloc(0), crc32: 0, fname: event.filename ?? '', vars: {}, ...(event.contentType && { mime: event.contentType }) };
            const maxBytes = grant ? this.uploads.maxFileBytes(grant) : this.config.limits.maxUploadBytes;
            file = { handle: await open(path, 'wx'), staged, hasher: new QetagHasher(), heads: [], maxBytes };
          } else {
            if (fields.size >= MAX_FORM_FIELDS) throw new GatewayError(400, `the form has more than ${MAX_FORM_FIELDS} fields`);
            current = { name: event.name, text: [], bytes: 0 };
          }
        } else if (event.type === 'data') {
          if (file) {
            const { staged: target } = file;
            target.size += event.chunk.length;
            if (target.size > file.maxBytes) throw new GatewayError(413, `file is over ${grant?.policy.fsizeLimit === file.maxBytes ? 'fsizeLimit' : 'maxUploadBytes'} ${file.maxBytes}`);
            file.hasher.update(event.chunk);
            target.crc32 = crc32(event.chunk, target.crc32);
            if (target.size - event.chunk.length < mimeSniffBytes) file.heads.push(event.chunk.subarray(0, mimeSniffBytes));
            await file.handle.write(event.chunk);
          } else if (current) {
            current.bytes += event.chunk.length;
            if (current.bytes > MAX_FORM_FIELD_BYTES) throw new GatewayError(400, `field ${current.name.slice(0, 64)} is over ${MAX_FORM_FIELD_BYTES} bytes`);
            current.text.push(event.chunk);
          }
        } else if (file) {
          await file.handle.close();
          file.staged.etag = file.hasher.digest();
          file.staged.head = Buffer.concat(file.heads).subarray(0, mimeSniffBytes);
          file = undefined;
        } else if (current) {
          fields.set(current.name, Buffer.concat(current.text).toString('utf8'));
          // The token comes first: checking it now refuses a bad one before a byte of the file is read.
          if (current.name === 'token' && !grant) grant = await this.uploads.grant(fields.get('token'));
          current = undefined;
        }
      }
      grant ??= await this.uploads.grant(fields.get('token'));
      if (!staged) throw new GatewayError(400, 'file not specified: the form needs a file part named file');
      const given = fields.get('crc32');
      if (given !== undefined && given.trim() !== String(staged.crc32)) {
        throw new GatewayError(406, `crc32 mismatch: the file's CRC-32 is ${staged.crc32}, the form says ${given.slice(0, 20)}`);
      }
      staged.key = fields.get('key');
      staged.vars = Object.fromEntries([...fields].filter(([name]) => name.startsWith('x:')));
      const path = staged.path;
      const answer = await this.uploads.store(grant, staged, () => createReadStream(path));
      if (answer.redirect) return res.redirect(303, answer.redirect);
      res.status(answer.status);
      if (answer.text !== undefined) res.type('text/plain').send(answer.text);
      else res.json(answer.json);
    } catch (error) {
      // The rest of the body is not read: the answer closes the connection.
      res.set('Connection', 'close');
      throw error;
    } finally {
      if (file) await file.handle.close().catch(() => undefined);
      if (staged) await rm(staged.path, { force: true });
    }
  }
}
