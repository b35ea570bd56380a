/**
 * The replay's simulated "now". Frozen by default (tests move it explicitly); with a `rate`,
 * it runs that many simulated seconds per real second (a demo can watch matches unfold).
 */
export class SimulatedClock {
  private baseSec: number;
  private baseRealMs: number;
  private rate: number;

  constructor(
    startSec: number,
    rate = 0,
    private readonly realNowMs: () => number = () => Date.now(),
  ) {
    this.baseSec = startSec;
    this.rate = rate;
    this.baseRealMs = realNowMs();
  }

  /** Simulated now, whole Unix seconds. */
  now(): number {
    return Math.floor(this.baseSec + ((this.realNowMs() - this.baseRealMs) / 1000) * this.rate);
  }

  get speed(): number {
    return this.rate;
  }

  set(sec: number): void {
    this.baseSec = sec;
    this.baseRealMs = this.realNowMs();
  }

  advance(seconds: number): void {
    this.set(this.now() + seconds);
  }

  setRate(rate: number): void {
    this.set(this.now());
    this.rate = rate;
  }
}

/** Accepts Unix seconds or an ISO-8601 date-time. */
export function parseInstant(value: string | number): number {
  if (typeof value === 'number') return Math.floor(value);
  if (/^\d+$/.test(value)) return Number(value);
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new Error(`not a date-time or Unix seconds: ${value}`);
  return Math.floor(ms / 1000);
}
