import type Docker from 'dockerode';
import type { CpuPart, CpuPerRequest } from './ufop.plan';
import { sandboxProcesses } from './ufop.sandboxes';
import { processCpuWindow } from './support/cpu';

/** Processes timed besides the sandboxes: the platform's, by part. */
export interface PlatformProcesses {
  gateway?: number;
  redis?: number;
  workers?: readonly number[];
}

/** A CPU window over one cell: stop() answers each part's CPU per request, and each sandbox's share of the programs' CPU. */
export interface CellCpuWindow {
  stop(requests: number): { perRequest: CpuPerRequest; programShares: number[] };
}

/**
 * Starts timing the CPU of the sandboxes of `instanceIds` (their programs, ffmpeg included once it
 * has ended, and their forwarders) and of the platform's processes, to say where a cell's cores went.
 */
export async function startCellCpuWindow(docker: Docker, instanceIds: readonly string[], platform: PlatformProcesses = {}): Promise<CellCpuWindow> {
  const pids: Record<string, number | undefined> = { 'gateway/': platform.gateway, 'redis/': platform.redis };
  platform.workers?.forEach((pid, n) => (pids[`workers/${n}`] = pid));
  for (const id of instanceIds) {
    const { program, forwarder } = await sandboxProcesses(docker, id);
    pids[`programs/${id}`] = program;
    pids[`forwarders/${id}`] = forwarder;
  }
  const read = processCpuWindow(pids);
  return {
    stop(requests) {
      const usedMs = read();
      const perRequest: CpuPerRequest = {};
      for (const [key, ms] of Object.entries(usedMs)) {
        const part = key.split('/')[0] as CpuPart;
        if (pids[key] !== undefined) perRequest[part] = (perRequest[part] ?? 0) + ms / requests;
      }
      const programMs = instanceIds.map((id) => usedMs[`programs/${id}`]);
      const total = programMs.reduce((sum, ms) => sum + ms, 0);
      return { perRequest, programShares: programMs.map((ms) => ms / total) };
    },
  };
}
