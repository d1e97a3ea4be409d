/**
 * Module resolution hook (runs in Node's hooks thread): a plugin that imports `@nexus/parsers` but was
 * installed without its own copy gets the copy of the Nexus that loads it. Only a failed resolution of
 * exactly `@nexus/parsers` is redirected; everything else resolves as usual.
 */
interface ResolveContext {
  readonly parentURL?: string;
}
type NextResolve = (specifier: string, context: ResolveContext) => Promise<{ url: string }>;

let parsersUrl: string | undefined;

export function initialize(data: { parsersUrl?: string } | undefined): void {
  parsersUrl = data?.parsersUrl;
}

export async function resolve(
  specifier: string,
  context: ResolveContext,
  nextResolve: NextResolve,
): Promise<{ url: string; shortCircuit?: boolean }> {
  try {
    return await nextResolve(specifier, context);
  } catch (error) {
    if (parsersUrl && specifier === '@nexus/parsers') return { url: parsersUrl, shortCircuit: true };
    throw error;
  }
}
