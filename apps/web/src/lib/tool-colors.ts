const KNOWN: Record<string, { color: string; label: string }> = {
  'claude-code': { color: '#d97757', label: 'Claude Code' },
  codex: { color: '#10a37f', label: 'Codex' },
  openclaw: { color: '#e0533c', label: 'OpenClaw' },
};

/** A stable hue for tools that plugins add, derived from the id. */
function hashedColor(tool: string): string {
  let hash = 0;
  for (const char of tool) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return `hsl(${hash % 360} 60% 55%)`;
}

export function toolColor(tool: string): string {
  return KNOWN[tool]?.color ?? hashedColor(tool);
}

export function toolLabel(tool: string): string {
  return KNOWN[tool]?.label ?? tool;
}
