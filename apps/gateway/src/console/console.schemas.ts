import { z } from 'zod';

/** What the console page draws on each refresh: pools with their history, recent jobs, builds. */
export const consoleOverviewSchema = z.object({
  at: z.number(),
  pools: z.array(z.looseObject({ name: z.string() })),
  jobs: z.array(z.looseObject({ id: z.string(), code: z.number().int(), owner: z.string() })),
  builds: z.array(z.looseObject({ name: z.string(), version: z.string(), state: z.string() })),
});
