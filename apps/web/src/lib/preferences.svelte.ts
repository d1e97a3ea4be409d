export type Theme = 'system' | 'dark' | 'light';

function stored<T extends string>(key: string, fallback: T, allowed: readonly T[]): T {
  if (typeof localStorage === 'undefined') return fallback;
  const value = localStorage.getItem(key) as T | null;
  return value && allowed.includes(value) ? value : fallback;
}

/** Display preferences that survive a reload. */
class Preferences {
  theme = $state<Theme>(stored('nexus.theme', 'system', ['system', 'dark', 'light']));
  dense = $state(stored('nexus.dense', 'off', ['on', 'off']) === 'on');
  showTools = $state(stored('nexus.tools', 'on', ['on', 'off']) === 'on');

  setTheme(theme: Theme): void {
    this.theme = theme;
    localStorage.setItem('nexus.theme', theme);
    this.apply();
  }

  toggleDense(): void {
    this.dense = !this.dense;
    localStorage.setItem('nexus.dense', this.dense ? 'on' : 'off');
  }

  toggleTools(): void {
    this.showTools = !this.showTools;
    localStorage.setItem('nexus.tools', this.showTools ? 'on' : 'off');
  }

  /** Put the theme on <html> so the CSS variables follow it. */
  apply(): void {
    if (typeof document === 'undefined') return;
    if (this.theme === 'system') delete document.documentElement.dataset.theme;
    else document.documentElement.dataset.theme = this.theme;
  }
}

export const preferences = new Preferences();
