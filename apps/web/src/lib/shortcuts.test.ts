import { describe, expect, it } from 'vitest';
import { SEQUENCE_TIMEOUT_MS, ShortcutReader } from './shortcuts';

function reader() {
  let now = 0;
  const shortcuts = new ShortcutReader(() => now);
  return {
    press: (key: string, options: { editable?: boolean; modified?: boolean } = {}) =>
      shortcuts.read({ key, editable: options.editable ?? false, modified: options.modified ?? false }),
    wait: (ms: number) => {
      now += ms;
    },
  };
}

describe('ShortcutReader', () => {
  it('reads single keys', () => {
    const { press } = reader();
    expect(['/', 'd', 't', '?', 'x'].map((key) => press(key))).toEqual([
      'search',
      'toggle-dense',
      'toggle-tools',
      'help',
      undefined,
    ]);
  });

  it('reads g w and g u within the timeout, and nothing after it', () => {
    const { press, wait } = reader();
    expect(press('g')).toBeUndefined();
    expect(press('w')).toBe('go-wall');
    expect(press('g')).toBeUndefined();
    wait(SEQUENCE_TIMEOUT_MS);
    expect(press('u')).toBe('go-usage');
    press('g');
    wait(SEQUENCE_TIMEOUT_MS + 1);
    expect(press('u')).toBeUndefined();
  });

  it('times a sequence by when the keys were pressed, not by when a busy page reads them', () => {
    const clock = { now: 0 };
    const shortcuts = new ShortcutReader(() => clock.now);
    expect(shortcuts.read({ key: 'g', editable: false, modified: false, at: 1000 })).toBeUndefined();
    // The page was busy for longer than the window before it read the second key.
    clock.now = 1000 + SEQUENCE_TIMEOUT_MS * 3;
    expect(shortcuts.read({ key: 'u', editable: false, modified: false, at: 1200 })).toBe('go-usage');
    shortcuts.read({ key: 'g', editable: false, modified: false, at: 5000 });
    expect(
      shortcuts.read({ key: 'w', editable: false, modified: false, at: 5000 + SEQUENCE_TIMEOUT_MS + 1 }),
    ).toBeUndefined();
  });

  it('a key that breaks a sequence still counts on its own', () => {
    const { press } = reader();
    press('g');
    expect(press('d')).toBe('toggle-dense');
    expect(press('w')).toBeUndefined();
  });

  it('ignores keys typed into fields or held with modifiers, and forgets a pending g', () => {
    const { press } = reader();
    expect(press('/', { editable: true })).toBeUndefined();
    expect(press('d', { modified: true })).toBeUndefined();
    press('g');
    press('w', { editable: true });
    expect(press('w')).toBeUndefined();
  });
});
