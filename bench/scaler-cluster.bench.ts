import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Benchmark, ProgressLog } from './benchmark';
import { measureRuntime } from './scaler.bench';
import { clusterDown, clusterProblem, clusterRuntime, clusterUp, prePull, readClusterSettings } from './scaler-cluster.runtime';
import { PHOTO, POOL, POOL_SETTINGS, POOLS_FILE_CONTENT, RuntimeOutcome } from './scaler.plan';
import { scalerClusterSection } from './scaler-cluster.report';
import { buildWorkerImage, dockerEngineVersion, RUNTIMES } from './scaler.runtimes';
import { cleanUpOnExit, makeTempDir, removeTempDir } from './support/cleanup';
import { realisticJpeg } from './support/source-image';

/**
 * The scaler's burst (bench/scaler.bench.ts) on the local three-node swarm of docker/cluster.sh,
 * beside the single-node swarm in the same run: how much later a new instance is ready when
 * the manager is another engine, tasks spread over three nodes and images come from a registry.
 */
export const scalerClusterBenchmark: Benchmark = {
  name: 'scaler-cluster',
  async run(log: ProgressLog): Promise<string> {
    const problem = clusterProblem();
    if (problem) {
      log(`skipped: ${problem}`);
      return `## Scaler on a three-node swarm (docker/cluster.sh)\n\nNot measured: ${problem}.`;
    }
    const photo = await realisticJpeg(PHOTO);
    const dir = makeTempDir('fopflow-bench-scaler-cluster-');
    const imageBuildS = await buildWorkerImage();
    const wasUp = clusterUp();
    const forgetCluster = wasUp ? () => undefined : cleanUpOnExit(clusterDown);
    try {
      const cluster = readClusterSettings();
      const image = `${cluster.registry}/fopflow/worker:latest`;
      const pullS = await prePull(cluster, image);
      log(`worker image pulled on every node: ${pullS.map((s) => s.toFixed(1)).join(' / ')} s`);
      const singleNodeFile = join(dir, 'pools.json');
      writeFileSync(singleNodeFile, JSON.stringify(POOLS_FILE_CONTENT, null, 2));
      const clusterFile = join(dir, 'pools-cluster.json');
      const clusterPools = { pools: { ...POOLS_FILE_CONTENT.pools, [POOL]: { ...POOL_SETTINGS, image } } };
      writeFileSync(clusterFile, JSON.stringify(clusterPools, null, 2));
      const singleNode = RUNTIMES.find((runtime) => runtime.name === 'swarm')!;
      const outcomes: RuntimeOutcome[] = [];
      // The cluster first: its engines are its own, while the default engine is shared with
      // whatever else runs on this machine.
      for (const [runtime, poolsFile] of [[clusterRuntime(cluster), clusterFile], [singleNode, singleNodeFile]] as const) {
        const unavailable = runtime.unavailable();
        if (unavailable) {
          outcomes.push({ runtime: runtime.name, skipped: unavailable });
          continue;
        }
        try {
          outcomes.push({ runtime: runtime.name, run: await measureRuntime(runtime, photo, poolsFile, log) });
        } catch (error) {
          log(`${runtime.name}: failed, ${(error as Error).message}`);
          outcomes.push({ runtime: runtime.name, failed: (error as Error).message });
        }
      }
      return scalerClusterSection({ outcomes, imageBuildS, pullS, image, engine: dockerEngineVersion() });
    } finally {
      removeTempDir(dir);
      if (!wasUp) clusterDown();
      forgetCluster();
    }
  },
};
