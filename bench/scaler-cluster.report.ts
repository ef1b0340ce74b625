import { RuntimeOutcome, SCALER_TICK_MS } from './scaler.plan';
import { RESULT_COLUMNS, resultRow } from './scaler.report';
import { machineFacts, machineSummary } from './support/machine';
import { figure, markdownTable } from './support/markdown';

/** What the cluster variant of the scaler bench reports. */
export interface ScalerClusterReport {
  /** The three-node swarm, then the single-node one. */
  outcomes: RuntimeOutcome[];
  imageBuildS: number;
  /** Pulling the worker image on each node before the runs, in s. */
  pullS: number[];
  /** The worker image as the cluster's nodes pull it. */
  image: string;
  engine?: string;
}

export function scalerClusterSection(report: ScalerClusterReport): string {
  const measured = report.outcomes.flatMap((outcome) => (outcome.run ? [{ runtime: outcome.runtime, run: outcome.run }] : []));
  const ready = (name: string) => measured.find((m) => m.runtime === name)?.run;
  const single = ready('swarm');
  const cluster = ready('swarm-cluster');
  const readyAfterDecision = (run: NonNullable<typeof single>) =>
    run.firstNewReadyS === undefined || run.decidedS === undefined ? undefined : run.firstNewReadyS - run.decidedS;
  const lines = [
    '## Scaler on a three-node swarm (docker/cluster.sh)',
    '',
    `Measured ${new Date().toISOString().slice(0, 10)} by \`sudo npm run bench -- scaler-cluster\` on: ${machineSummary(machineFacts())}${report.engine ? `; Docker Engine ${report.engine}` : ''}.`,
    '',
    'The burst of the scaler section (same pool, pools file, 600 jobs, scaler tick ' + `${SCALER_TICK_MS} ms), run twice in one go:`,
    `- **swarm-cluster**: the three-node swarm of \`npm run cluster:up\` on this same machine: a manager and two workers, each its own dockerd in its own network namespace. The scaler drives the manager through \`DOCKER_HOST\`, with \`FOPFLOW_SWARM_SPREAD=node.id\`; the pool's image is \`${report.image}\` in the cluster's registry (the scaler pins it to the digest the registry holds); workers run on the nodes' host network and reach Redis at the host's bridge address; the data dir is a host path every node sees. The worker image (built in ${figure(report.imageBuildS, 0)} s) was pulled on each node before the run (${report.pullS.map((s) => figure(s, 1)).join(' / ')} s), as an operator would pre-pull it, so no start-up below waits for a pull.`,
    '- **swarm**: the single-node swarm of the default engine, as in the scaler section.',
    '',
    'Both engines share the same 2 cores: the three nodes\' daemons and the swarm traffic between them are extra work the single-node swarm does not have. Compare the two rows with each other (one run, one load), not with the scaler section\'s.',
    '',
    markdownTable(RESULT_COLUMNS, measured.map(resultRow)),
    ...report.outcomes.filter((outcome) => !outcome.run).flatMap((outcome) => ['', `**${outcome.runtime}**: not measured, ${outcome.skipped ?? outcome.failed}`]),
  ];
  if (single && cluster) {
    const singleGap = readyAfterDecision(single);
    const clusterGap = readyAfterDecision(cluster);
    lines.push(
      '',
      `The first new instance was ready ${figure(single.firstNewReadyS ?? Number.NaN, 1)} s after the burst began on one node and ${figure(cluster.firstNewReadyS ?? Number.NaN, 1)} s on three` +
        (singleGap !== undefined && clusterGap !== undefined
          ? `: ${figure(singleGap, 1)} and ${figure(clusterGap, 1)} s after the scaler decided to scale out, a difference of ${figure(clusterGap - singleGap, 1)} s.`
          : '.'),
    );
  }
  return lines.join('\n');
}
