/**
 * The accelerated clock shared by the local AWS and the spawned CLI: virtual time runs `speed` times faster than real
 * time from a fixed virtual start, so a five-minute canary takes five real seconds at speed 60. Both processes
 * compute it from the same anchors (handed to the CLI in LOCAL_AWS_CLOCK, read by preload.js), so the times the
 * CodeDeploy stand-in reports and the plugin's own clock agree.
 */
export interface ClockAnchors {
  /** Real epoch milliseconds at which virtual time was `virtualStart`. */
  realStart: number;
  virtualStart: number;
  speed: number;
}

export class VirtualClock {
  readonly anchors: ClockAnchors;

  constructor(speed: number, virtualStart = Date.parse('2026-11-28T08:30:00Z')) {
    this.anchors = { realStart: Date.now(), virtualStart, speed };
  }

  /** Virtual epoch milliseconds. */
  nowMs(): number {
    const { realStart, virtualStart, speed } = this.anchors;
    return virtualStart + (Date.now() - realStart) * speed;
  }

  now(): Date {
    return new Date(this.nowMs());
  }

  /** Real milliseconds that `virtualMs` take. */
  real(virtualMs: number): number {
    return virtualMs / this.anchors.speed;
  }

  /** Resolves after `virtualMs` of virtual time. */
  sleep(virtualMs: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, Math.max(0, this.real(virtualMs))));
  }

  /** The environment variable the CLI's preload reads. */
  env(): Record<string, string> {
    return { LOCAL_AWS_CLOCK: JSON.stringify(this.anchors) };
  }
}

/**
 * Deterministic ids, so transcripts keep their ids from run to run: a seeded sequence (mulberry32) for what is made in
 * the order of the scenarios (deployments, stacks, events), and `named` for what CloudFormation names after a logical
 * id (the same suffix whatever the order of the template's resources).
 */
export class IdSource {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  private next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** `length` characters of `alphabet`. */
  text(length: number, alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'): string {
    let out = '';
    for (let i = 0; i < length; i++) out += alphabet[Math.floor(this.next() * alphabet.length)];
    return out;
  }

  /** `length` characters derived from `key` alone. */
  static named(key: string, length: number, alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'): string {
    let hash = 0x811c9dc5;
    for (const char of key) hash = Math.imul(hash ^ char.charCodeAt(0), 0x01000193) >>> 0;
    return new IdSource(hash).text(length, alphabet);
  }

  uuid(): string {
    const hex = this.text(32, '0123456789abcdef');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20)}`;
  }
}
