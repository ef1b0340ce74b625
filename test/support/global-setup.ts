import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The e2e suites run on real parts. A missing one fails the run with the command that installs
 * it: never a silent skip.
 */
export default function globalSetup(): void {
  const missing = ['redis-server', 'redis-cli', 'ffmpeg', 'ffprobe'].filter((tool) => {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length) {
    throw new Error(`e2e tests need ${missing.join(', ')}: run 'sudo apt-get install -y redis-server ffmpeg'`);
  }
  const root = join(__dirname, '..', '..');
  if (!existsSync(join(root, 'dist/apps/gateway/src/main.js')) || !existsSync(join(root, 'dist/apps/worker/src/main.js'))) {
    throw new Error("e2e tests run the built apps: run 'npm run build' first (npm test does)");
  }
}
