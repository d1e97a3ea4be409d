#!/usr/bin/env node
// Commands load their modules on demand: `nexus usage` or `nexus status` should not pay for Fastify.
import { resolveStatePaths } from '../state-dir.js';
import type { CliIo } from './daemon.js';
import { COMMAND_SUMMARIES, MAIN_HELP, SIMPLE_HELP, serverCommandHelp } from './help.js';
import { parseServerFlags } from './server-flags.js';

async function run(argv: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    io.stdout.write(`${MAIN_HELP}\n`);
    return command === undefined ? 1 : 0;
  }
  if (command === '--version' || command === '-v') {
    const { SERVER_VERSION } = await import('../version.js');
    io.stdout.write(`${SERVER_VERSION}\n`);
    return 0;
  }

  const wantsHelp = rest.includes('--help') || rest.includes('-h');
  if (wantsHelp && SIMPLE_HELP[command]) {
    io.stdout.write(`${SIMPLE_HELP[command]}\n`);
    return 0;
  }

  switch (command) {
    case 'serve':
    case 'start':
    case 'restart':
    case 'dev-start':
    case 'dev-restart': {
      const flags = parseServerFlags(rest, io.env);
      if (flags.help) {
        io.stdout.write(`${serverCommandHelp(command, COMMAND_SUMMARIES[command] ?? '')}\n`);
        return 0;
      }
      if (command === 'serve') return (await import('./serve.js')).serve(flags, io.env);
      const paths = resolveStatePaths(io.env);
      const { startDaemon, stopDaemon } = await import('./daemon.js');
      const { devStart, devStop } = await import('./dev.js');
      if (command === 'start') return startDaemon(flags, paths, io);
      if (command === 'restart') {
        await stopDaemon(paths, io);
        return startDaemon(flags, paths, io);
      }
      if (command === 'dev-restart') await devStop(paths, io);
      return devStart(flags, paths, io);
    }
    case 'stop':
      return (await import('./daemon.js')).stopDaemon(resolveStatePaths(io.env), io);
    case 'status':
      return (await import('./daemon.js')).statusDaemon(resolveStatePaths(io.env), io);
    case 'logs':
      return (await import('./logs.js')).logsCommand(rest, resolveStatePaths(io.env), io);
    case 'dev-stop':
      return (await import('./dev.js')).devStop(resolveStatePaths(io.env), io);
    case 'adapters': {
      const { runAdaptersCommand } = await import('../plugins/adapters-command.js');
      return runAdaptersCommand(rest, { ...io, stateDir: resolveStatePaths(io.env).dir });
    }
    case 'statusline': {
      const { runStatusline } = await import('../limits/statusline.js');
      return runStatusline(rest, { ...io, stdin: process.stdin, stateDir: resolveStatePaths(io.env).dir });
    }
    case 'usage': {
      if (rest[0] === 'blocks') {
        const { runBlocksCommand } = await import('../limits/blocks-command.js');
        return runBlocksCommand(rest.slice(1), { ...io, cwd: process.cwd() });
      }
      // The running server answers (once it has read all history); without one, catch up here.
      const { reportFromRunningServer } = await import('../usage/server-report.js');
      const served = await reportFromRunningServer(rest, io);
      if (served !== undefined) return served;
      const { runUsageCommand } = await import('../usage/usage-command.js');
      return runUsageCommand(rest, { stdout: io.stdout, stderr: io.stderr, env: io.env, cwd: process.cwd() });
    }
    case 'test':
      io.stderr.write('[nexus] run the test suite from the repository root: ./nexus test\n');
      return 2;
    default:
      io.stderr.write(`[nexus] unknown command ${JSON.stringify(command)}\n\n${MAIN_HELP}\n`);
      return 2;
  }
}

run(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env }).then(
  (code) => {
    process.exitCode = code;
  },
  (error: Error & { code?: string }) => {
    process.stderr.write(
      `${error.message.startsWith('[nexus]') ? error.message : `[nexus] ${error.message}`}\n`,
    );
    process.exitCode = error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? 2 : 1;
  },
);
