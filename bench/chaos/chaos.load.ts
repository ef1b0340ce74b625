import { createServer, Server } from 'node:http';
import { BenchKey, SignedClient } from '../support/signed-client';

/** Pause between two submissions of the steady load, in ms: about 5 async jobs and 5 sync requests a second. */
export const LOAD_INTERVAL_MS = 200;

/** How long a client keeps retrying one request the platform could not answer, in ms. */
const CLIENT_RETRY_MS = 60_000;

/** Pause between a client's retries, in ms. */
const CLIENT_RETRY_PAUSE_MS = 500;

export const BUCKET = 'chaos';
export const SOURCE_KEY = 'source.jpg';

/** A webhook receiver that counts, per job id, the deliveries it answered 2xx; it can be "down". */
export class WebhookLedger {
  /** 2xx answers given, per job id. */
  readonly delivered = new Map<string, number>();
  /** Requests it refused while down (not counted as deliveries). */
  refused = 0;
  private server?: Server;
  url = '';

  async start(port = 0): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const id = (JSON.parse(Buffer.concat(chunks).toString() || '{}') as { id?: string }).id ?? '';
        this.delivered.set(id, (this.delivered.get(id) ?? 0) + 1);
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}/hooks`;
  }

  /** Stops listening: deliveries meet a refused connection until start() again on the same port. */
  async down(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server!.close(() => resolve()));
    // Kept-alive connections of the notify worker would keep the server half open.
    this.server!.closeAllConnections();
    await closed;
  }

  async up(): Promise<void> {
    await this.start(Number(new URL(this.url).port));
  }

  close(): Promise<void> {
    this.server?.closeAllConnections();
    return new Promise<void>((resolve) => (this.server?.listening ? this.server.close(() => resolve()) : resolve()));
  }
}

/** One async job as the client knows it: the id it was given and where its result goes. */
export interface SubmittedJob {
  idempotencyKey: string;
  /** Every distinct id the platform answered for the key (more than one is a duplicate job). */
  ids: Set<string>;
  saveasKey: string;
}

/** What the steady load did and saw. */
export interface LoadLedger {
  jobs: SubmittedJob[];
  /** Async submissions never accepted although retried for CLIENT_RETRY_MS. */
  refused: number;
  syncSent: number;
  syncServed: number;
}

/** The client side of the chaos: a steady mixed load, retried as a careful client would. */
export class ChaosLoad {
  readonly ledger: LoadLedger = { jobs: [], refused: 0, syncSent: 0, syncServed: 0 };
  private running = false;
  private readonly inFlight = new Set<Promise<void>>();
  private sequence = 0;

  constructor(
    private readonly client: SignedClient,
    private readonly notifyUrl: string,
    private readonly tag: string,
  ) {}

  /** Submits until stop(): each tick one async job (with a webhook and a saveas) and one sync fop. */
  start(): void {
    this.running = true;
    const tick = () => {
      if (!this.running) return;
      const n = ++this.sequence;
      this.track(this.submitJob(n));
      this.track(this.syncFop(n));
      setTimeout(tick, LOAD_INTERVAL_MS);
    };
    tick();
  }

  /** Stops submitting and waits for every submission under way (with its retries) to end. */
  async stop(): Promise<void> {
    this.running = false;
    while (this.inFlight.size) await Promise.all([...this.inFlight]);
  }

  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  /** POST /v1/jobs, retried with the same Idempotency-Key until a 202 (or the client gives up). */
  private async submitJob(n: number): Promise<void> {
    const saveasKey = `${this.tag}/${n}.jpg`;
    const job: SubmittedJob = { idempotencyKey: `${this.tag}-${n}`, ids: new Set(), saveasKey };
    this.ledger.jobs.push(job);
    const entry = Buffer.from(`${BUCKET}:${saveasKey}`).toString('base64url');
    const body = { source: { bucket: BUCKET, key: SOURCE_KEY }, fops: [`imageView2/2/w/${40 + (n % 50)}|saveas/${entry}`], notifyUrl: this.notifyUrl };
    const accepted = await retrying(async () => {
      const answer = await this.client.raw('POST', '/v1/jobs', body, { 'Idempotency-Key': job.idempotencyKey });
      if (answer.status !== 202 && answer.status !== 200) return false;
      job.ids.add((JSON.parse(answer.text) as { id: string }).id);
      return true;
    });
    if (!accepted) this.ledger.refused++;
  }

  /** A sync fop URL of a new size each time, retried until it is served. */
  private async syncFop(n: number): Promise<void> {
    this.ledger.syncSent++;
    const served = await retrying(async () => (await this.client.raw('GET', `/${BUCKET}/${SOURCE_KEY}?imageView2/2/w/${100 + n}`)).status === 200);
    if (served) this.ledger.syncServed++;
  }
}

/** Runs `attempt` until it answers true or CLIENT_RETRY_MS pass; a thrown error (connection refused) is a false. */
async function retrying(attempt: () => Promise<boolean>): Promise<boolean> {
  const deadline = Date.now() + CLIENT_RETRY_MS;
  while (Date.now() < deadline) {
    if (await attempt().catch(() => false)) return true;
    await new Promise((resolve) => setTimeout(resolve, CLIENT_RETRY_PAUSE_MS));
  }
  return false;
}

export type { BenchKey };
