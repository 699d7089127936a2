/**
 * Progress of long commands, on stderr. On a terminal: one line redrawn in place, a bar when the total is
 * known (`[██████░░░░]  60%  6,000 of 10,000 events checked  1,234/s`), a count and rate when not; the
 * line is redrawn at most ten times a second and ended by `done()`. Elsewhere (CI logs, pipes): a plain line
 * on each new phase and at most one a second, so logs stay short.
 */
import { performance } from "node:perf_hooks";

export interface ProgressUpdate {
  readonly phase: string;
  readonly done: number;
  readonly total?: number | undefined;
}

export interface ProgressSink {
  write(text: string): void;
  /** A terminal: the line can be redrawn. */
  readonly isTTY?: boolean | undefined;
  readonly columns?: number | undefined;
}

export interface ProgressReporter {
  (update: ProgressUpdate): void;
  /** Ends the line (terminal) after the last update. */
  done(): void;
}

const BAR = 24;
const GROUPS = new Intl.NumberFormat("en-US");

/** The text of one update: bar (when the total is known), percentage, counts, phase and rate. */
export function progressLine(label: string, u: ProgressUpdate, perSecond: number | undefined): string {
  const rate =
    perSecond !== undefined && Number.isFinite(perSecond)
      ? `  ${GROUPS.format(Math.round(perSecond))}/s`
      : "";
  if (u.total !== undefined && u.total > 0) {
    const share = Math.min(1, Math.max(0, u.done / u.total));
    const full = Math.round(share * BAR);
    const bar = `[${"█".repeat(full)}${"░".repeat(BAR - full)}]`;
    const pct = `${Math.floor(share * 100)}%`.padStart(4);
    return `${label}: ${bar} ${pct}  ${GROUPS.format(u.done)} of ${GROUPS.format(u.total)} ${u.phase}${rate}`;
  }
  return `${label}: ${GROUPS.format(u.done)} ${u.phase}${rate}`;
}

export function progressReporter(
  label: string,
  sink: ProgressSink = process.stderr,
  now: () => number = () => performance.now(),
): ProgressReporter {
  const started = now();
  let last = { phase: "", at: Number.NEGATIVE_INFINITY, finished: false };
  let drawn = false;
  const tty = sink.isTTY === true;
  const report = ((u: ProgressUpdate) => {
    const t = now();
    const finished = u.total !== undefined && u.done >= u.total;
    const gap = tty ? 100 : 1000;
    const newPhase = u.phase !== last.phase;
    if (!newPhase && (last.finished || (t - last.at < gap && !finished))) return;
    last = { phase: u.phase, at: t, finished };
    const seconds = (t - started) / 1000;
    const line = progressLine(label, u, seconds >= 1 ? u.done / seconds : undefined);
    if (tty) {
      const width = Math.max(20, (sink.columns ?? 100) - 1);
      // A new phase keeps the previous line; the same phase redraws it.
      const prefix = drawn && newPhase ? "\n" : "\r";
      sink.write(`${prefix}${line.slice(0, width).padEnd(width)}`);
      drawn = true;
    } else {
      sink.write(`${line}\n`);
    }
  }) as ProgressReporter;
  report.done = () => {
    if (tty && drawn) sink.write("\n");
    drawn = false;
  };
  return report;
}
