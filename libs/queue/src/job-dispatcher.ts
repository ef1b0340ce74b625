import { FlowProducer, type FlowChildJob, type FlowJob, type Job, type JobsOptions, type Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { type JobName, type JobOf, type JobSettings, jobCatalogue } from './job-catalogue';
import { NOTIFY_QUEUE } from './names';
import { ONE_POOL, type PoolOfCommand, segmentJobs } from './pipeline-segments';

/** What the dispatcher reads from the configuration. */
export interface JobSettingsSource {
  jobRetentionS: number;
  jobRetentionCount: number;
  statusRetentionS: number;
  /** Seconds before each webhook retry (FOPFLOW_WEBHOOK_RETRY_S): one delivery per entry. */
  webhookRetryScheduleS: readonly number[];
}

/** The catalogue's settings from the configuration. */
export function jobSettings(config: JobSettingsSource): JobSettings {
  return {
    jobRetentionS: config.jobRetentionS,
    jobRetentionCount: config.jobRetentionCount,
    statusRetentionS: config.statusRetentionS,
    webhookAttempts: config.webhookRetryScheduleS.length,
  };
}

/** A job to add: its payload and its id (ids make a repeated add a no-op). */
export interface Dispatch<N extends JobName> {
  data: JobOf<N>;
  jobId: string;
  /** The flow the job joins: its parent, and what the parent does if it fails. */
  flow?: Pick<JobsOptions, 'parent' | 'failParentOnFailure' | 'ignoreDependencyOnFailure'>;
}

/**
 * An async job as one flow: its webhook step, the parent, runs once every fop item has ended. A
 * job without a webhook has no parent: nothing waits for its items, which are added alone.
 */
export interface AsyncJobFlow {
  notify?: Dispatch<'notify'>;
  /** One fop job per item; a pipeline crossing pools becomes a chain of segments. */
  items: ReadonlyArray<Dispatch<'fop'>>;
}

/**
 * The one place jobs are added: it takes the queue, the name and the options from the job
 * catalogue, so every producer of a kind of job treats it alike; bulk adds go out as one
 * `addBulk` per queue, async jobs as BullMQ flows.
 */
export class JobDispatcher {
  private flowProducer?: FlowProducer;

  constructor(
    /** Finds the Queue of a name (the app's own registry, opened once per name). */
    private readonly queue: (name: string) => Queue,
    private readonly settings: JobSettings,
    /** Which pool runs a command: an async item's pipeline is split into one segment per pool. */
    private readonly poolOf: PoolOfCommand = ONE_POOL,
  ) {}

  /** The options a job of `name` is added with. */
  options(name: JobName, jobId: string): JobsOptions {
    return { ...jobCatalogue[name].options(this.settings), jobId };
  }

  /** The queue a job of `name` with `data` goes to. */
  queueOf<N extends JobName>(name: N, data: JobOf<N>): string {
    return (jobCatalogue[name] as { queueOf(data: JobOf<N>): string }).queueOf(data);
  }

  /** Adds one job unless one with its id exists already; answers the job either way. */
  dispatch<N extends JobName>(name: N, { data, jobId, flow }: Dispatch<N>): Promise<Job<JobOf<N>>> {
    const spec = jobCatalogue[name] as { labelOf(data: JobOf<N>): string };
    return this.queue(this.queueOf(name, data)).add(spec.labelOf(data), data, { ...this.options(name, jobId), ...flow }) as Promise<Job<JobOf<N>>>;
  }

  /** Adds many jobs, one `addBulk` per queue, all queues at once. */
  async dispatchBulk<N extends JobName>(name: N, jobs: ReadonlyArray<Dispatch<N>>): Promise<Job<JobOf<N>>[]> {
    const spec = jobCatalogue[name] as { labelOf(data: JobOf<N>): string };
    const byQueue = new Map<string, Array<Dispatch<N>>>();
    for (const job of jobs) {
      const queueName = this.queueOf(name, job.data);
      byQueue.set(queueName, [...(byQueue.get(queueName) ?? []), job]);
    }
    const added = await Promise.all(
      [...byQueue].map(([queueName, entries]) =>
        this.queue(queueName).addBulk(entries.map(({ data, jobId }) => ({ name: spec.labelOf(data), data, opts: this.options(name, jobId) }))),
      ),
    );
    return added.flat() as Job<JobOf<N>>[];
  }

  /**
   * Adds async jobs: a job with a webhook as a flow whose parent is its `notify` job, so it runs
   * (and sends the webhook) once, when the last item has ended. A failed item does not hold it
   * back (`ignoreDependencyOnFailure`); a failed earlier segment of a pipeline fails the segment
   * after it (`failParentOnFailure`), and so its item. A job without a webhook is only its items:
   * one `addBulk` per queue, a pipeline crossing pools still a chain of segments. Flows go out in
   * one FlowProducer transaction; the caller removes a job whose items were not all added.
   */
  async dispatchAsyncJobs(flows: ReadonlyArray<AsyncJobFlow>): Promise<void> {
    const trees: FlowJob[] = [];
    const alone: Array<Dispatch<'fop'>> = [];
    for (const { notify, items } of flows) {
      if (notify) {
        trees.push({ ...this.flowNode('notify', notify), children: items.map((item) => this.itemNode(item)) });
        continue;
      }
      for (const item of items) {
        const segments = segmentJobs(item.data, item.jobId, this.poolOf);
        if (segments.length > 1) trees.push(this.chainNode(segments, {}) as FlowJob);
        else alone.push(item);
      }
    }
    await Promise.all([alone.length > 0 && this.dispatchBulk('fop', alone), trees.length > 0 && this.addTrees(trees)]);
  }

  /**
   * Adds flows whole or not at all. BullMQ reports only the first command's error of each flow; a
   * node its queue refused would leave the rest waiting for it forever, so one round trip checks
   * every node, and what was added of an incomplete set goes again.
   */
  private async addTrees(trees: FlowJob[]): Promise<void> {
    await this.flows().addBulk(trees);
    const missing = await this.missingNodes(trees);
    if (missing.length === 0) return;
    await Promise.all(trees.map((tree) => this.queue(tree.queueName).remove(tree.opts!.jobId!, { removeChildren: true }).catch(() => 0)));
    throw new Error(`the queues refused ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ` and ${missing.length - 3} more` : ''}`);
  }

  /**
   * Adds a sync fop job; answers the job to wait on. A pipeline crossing pools becomes a chain:
   * its last segment (with the pipeline's id and result key) is the root, each earlier segment
   * the child of the next, and a failed segment fails the rest (`failParentOnFailure`).
   */
  async dispatchPipeline(dispatch: Dispatch<'fop'>): Promise<Job<JobOf<'fop'>>> {
    const segments = segmentJobs(dispatch.data, dispatch.jobId, this.poolOf);
    if (segments.length === 1) return this.dispatch('fop', dispatch);
    const root = segments[segments.length - 1];
    const queue = this.queue(this.queueOf('fop', root.data));
    // A chain of this id exists (running, or finished and kept): adding its segments again
    // would run them under a parent that is done.
    const existing = (await queue.getJob(root.jobId)) as Job<JobOf<'fop'>> | undefined;
    if (existing) return existing;
    const tree = this.chainNode(segments, {}) as FlowJob;
    const { job } = await this.flows().add(tree);
    const missing = await this.missingNodes([tree]);
    if (missing.length === 0) return job as Job<JobOf<'fop'>>;
    await queue.remove(root.jobId, { removeChildren: true }).catch(() => 0);
    throw new Error(`the queues refused ${missing.join(', ')}`);
  }

  /** The queue of the job that ends a pipeline: its last segment's. */
  pipelineQueue(data: JobOf<'fop'>): string {
    const segments = segmentJobs(data, '', this.poolOf);
    return this.queueOf('fop', segments[segments.length - 1].data);
  }

  /** `queue:id` of every node of `trees` that is not in Redis, in one round trip. */
  private async missingNodes(trees: readonly FlowChildJob[]): Promise<string[]> {
    const nodes: FlowChildJob[] = [];
    const walk = (node: FlowChildJob) => (nodes.push(node), node.children?.forEach(walk));
    trees.forEach(walk);
    const pipeline = ((await this.queue(NOTIFY_QUEUE).client) as unknown as Redis).pipeline();
    for (const node of nodes) pipeline.exists(this.queue(node.queueName).toKey(node.opts!.jobId!));
    const answers = (await pipeline.exec()) ?? [];
    return nodes.filter((_, index) => answers[index]?.[1] !== 1).map((node) => `${node.queueName}:${node.opts!.jobId}`);
  }

  /** Nest's shutdown hook: closes the flow producer (its connection is the queues'). */
  async onApplicationShutdown(): Promise<void> {
    await this.flowProducer?.close().catch(() => undefined);
  }

  /** One item: its last segment is the parent's child, each earlier segment the child of the next. */
  private itemNode(item: Dispatch<'fop'>): FlowChildJob {
    return this.chainNode(segmentJobs(item.data, item.jobId, this.poolOf), { ignoreDependencyOnFailure: true });
  }

  /** Segments, first to run first, as nested flow nodes: the last is the root, with `lastOptions`. */
  private chainNode(segments: ReadonlyArray<Dispatch<'fop'>>, lastOptions: JobsOptions): FlowChildJob {
    let node: FlowChildJob | undefined;
    for (const [index, segment] of segments.entries()) {
      const base = this.flowNode('fop', segment);
      const onFailure = index === segments.length - 1 ? lastOptions : { failParentOnFailure: true };
      node = { ...base, opts: { ...base.opts, ...onFailure }, ...(node && { children: [node] }) };
    }
    return node!;
  }

  private flowNode<N extends JobName>(name: N, { data, jobId }: Dispatch<N>): FlowChildJob {
    const spec = jobCatalogue[name] as { labelOf(data: JobOf<N>): string };
    const queueName = this.queueOf(name, data);
    return { name: spec.labelOf(data), queueName, prefix: this.queue(queueName).opts.prefix, data, opts: this.options(name, jobId) };
  }

  /** The flow producer, over the connection and prefix the queues use. */
  private flows(): FlowProducer {
    if (!this.flowProducer) {
      const { connection, prefix } = this.queue(NOTIFY_QUEUE).opts;
      this.flowProducer = new FlowProducer({ connection, prefix });
      this.flowProducer.on('error', () => undefined);
    }
    return this.flowProducer;
  }
}
