// `nexus usage …` without the rest of the CLI's imports: what the usage command itself costs.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const { runUsageCommand } = await import(join(repo, 'apps/server/dist/usage/usage-command.js'));
process.exitCode = await runUsageCommand(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
});
