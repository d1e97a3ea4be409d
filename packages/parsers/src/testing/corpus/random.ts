/** Deterministic PRNG (mulberry32) with the helpers the corpus writers need. */
export class SeededRandom {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** A UUID v4-shaped id from the stream (stable for a seed). */
  uuid(): string {
    const hex = Array.from({ length: 32 }, () => this.int(0, 15).toString(16)).join('');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  }

  hex(length: number): string {
    return Array.from({ length }, () => this.int(0, 15).toString(16)).join('');
  }
}

const WORDS = [
  'refactor',
  'the',
  'login',
  'test',
  'flakes',
  'because',
  'cookie',
  'races',
  'parser',
  'ledger',
  'bounded',
  'buffer',
  'commit',
  'review',
  'migration',
  'index',
];
const MULTIBYTE = ['中文测试', 'café', 'naïve', 'Grüße', '東京', '🚀', '👩‍💻', 'ελληνικά', 'русский'];

/** Prose with occasional multi-byte words (CJK, accents, emoji, ZWJ sequences). */
export function prose(random: SeededRandom, words: number): string {
  return Array.from({ length: words }, () =>
    random.chance(0.08) ? random.pick(MULTIBYTE) : random.pick(WORDS),
  ).join(' ');
}
