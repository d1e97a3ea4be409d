export type ShortcutAction = 'search' | 'go-wall' | 'go-usage' | 'toggle-dense' | 'toggle-tools' | 'help';

/** The keyboard shortcuts, as the help dialog lists them. */
export const SHORTCUTS: readonly { keys: readonly string[]; action: ShortcutAction; description: string }[] =
  [
    { keys: ['/'], action: 'search', description: 'Search the messages shown' },
    { keys: ['g', 'w'], action: 'go-wall', description: 'Go to the wall' },
    { keys: ['g', 'u'], action: 'go-usage', description: 'Go to usage' },
    { keys: ['d'], action: 'toggle-dense', description: 'Dense cards on or off' },
    { keys: ['t'], action: 'toggle-tools', description: 'Tool events on or off' },
    { keys: ['?'], action: 'help', description: 'Show this help' },
  ];

/** How long the second key of a sequence (`g w`) may wait. */
export const SEQUENCE_TIMEOUT_MS = 1500;

export interface KeyInput {
  key: string;
  /** The key went to a text field, a select or an editable element: never a shortcut. */
  editable: boolean;
  /** Ctrl, Meta or Alt was held: the browser's or the OS's shortcut, not ours. */
  modified: boolean;
  /**
   * When the key was pressed (`KeyboardEvent.timeStamp`), so the sequence window measures the user, not
   * how late a busy page handles the key. Default: the reader's clock at the time of reading.
   */
  at?: number;
}

/** Reads keys one at a time and reports the shortcut they complete, if any. */
export class ShortcutReader {
  #pending: { key: string; at: number } | undefined;
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  read({ key, editable, modified, at }: KeyInput): ShortcutAction | undefined {
    if (editable || modified) {
      this.#pending = undefined;
      return undefined;
    }
    const now = at ?? this.#now();
    const pending = this.#pending;
    this.#pending = undefined;
    if (pending && now - pending.at <= SEQUENCE_TIMEOUT_MS) {
      const sequence = SHORTCUTS.find(
        ({ keys }) => keys.length === 2 && keys[0] === pending.key && keys[1] === key,
      );
      if (sequence) return sequence.action;
    }
    if (SHORTCUTS.some(({ keys }) => keys.length === 2 && keys[0] === key)) {
      this.#pending = { key, at: now };
      return undefined;
    }
    return SHORTCUTS.find(({ keys }) => keys.length === 1 && keys[0] === key)?.action;
  }
}

/** True for targets where typed keys are text, not commands. */
export function isEditable(target: EventTarget | null): boolean {
  if (!target || typeof (target as Element).closest !== 'function') return false;
  const element = target as HTMLElement;
  return element.isContentEditable === true || element.closest('input, select, textarea') !== null;
}
