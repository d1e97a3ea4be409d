import { SERVER_FLAG_HELP } from './server-flags.js';

export const MAIN_HELP = `nexus — watch your AI coding agents work

Usage: nexus <command> [options]

Commands:
  start            Start the server in the background and print its URL
  stop             Stop the background server
  restart          Stop, then start with the given options
  status           Is it running? pid, URL, uptime, health
  logs [which]     Show logs: prod|backend (server) or frontend (Vite) [-n N] [-f]
  serve            Run the server in the foreground (what start runs)
  dev-start        Server plus the Vite dev server on 5173 (hot reload)
  dev-stop         Stop both
  dev-restart      dev-stop, then dev-start
  usage <report>   Token and cost reports: daily | monthly | session | blocks [--json]
  statusline       Claude Code statusline: cost, 5-hour window and burn rate in one line
  adapters         Adapters and plugins: what loaded, what each watches, what failed and why
  test             Run every test, browser tests included (from the repository: ./nexus test)

Run \`nexus <command> --help\` for a command's options.
Environment: NEXUS_STATE_DIR, NEXUS_PORT, NEXUS_HOST, NEXUS_TOKEN, NEXUS_OFFLINE, NEXUS_CONFIG, LOG_LEVEL (see README).`;

export function serverCommandHelp(command: string, summary: string): string {
  return `Usage: nexus ${command} [options]

${summary}

Options:
${SERVER_FLAG_HELP}
  -h, --help              Show this help`;
}

export const COMMAND_SUMMARIES: Record<string, string> = {
  start: 'Start Nexus in the background (pid, log and state files in the state directory) and print its URL.',
  restart: 'Stop the running Nexus, then start it again with these options.',
  serve: 'Run Nexus in the foreground; logs go to stdout as JSON lines. Ctrl-C stops it.',
  'dev-start': 'Start the server and the Vite dev server on 5173, which proxies /api and /ws to the server.',
  'dev-restart': 'Stop both dev processes, then start them again.',
};

export const SIMPLE_HELP: Record<string, string> = {
  stop: 'Usage: nexus stop\n\nStop the background server (SIGTERM, then SIGKILL after 10 s).',
  status:
    'Usage: nexus status\n\nPrint whether Nexus is running, with pid, URL, uptime and health.\nExit code: 0 running, 3 stopped, 1 running but not answering.',
  'dev-stop': 'Usage: nexus dev-stop\n\nStop the Vite dev server and the server started by dev-start.',
  test: 'Usage: ./nexus test\n\nInstall what is missing, build, and run every test suite (unit, integration, browser).\nRun it from the repository root.',
};
