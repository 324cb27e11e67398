// Live progress per scope and phase: redrawn in place on a terminal, one line per change otherwise
// (logs, CI, pipes). Notes (a question, an answer) print above the live rows.
import type { RunStatus } from '../core/schemas';

export interface ProgressRow {
  scope: string;
  phase: string;
  attempt?: number;
  waiting?: boolean;
  /** How the scope ended, once it has. */
  status?: RunStatus;
  /** An agent's last tool calls in this phase. */
  doing?: string;
}

export class ProgressDisplay {
  private drawn = 0;
  private rows: ProgressRow[] = [];
  private readonly last = new Map<string, string>();
  private readonly started = Date.now();

  constructor(private readonly out: NodeJS.WritableStream & { isTTY?: boolean } = process.stderr, readonly tty = Boolean(out.isTTY)) {}

  private line(r: ProgressRow): string {
    const icon = r.waiting ? '⏸' : r.status === 'succeeded' ? '✔' : r.status === 'unvalidated' ? '?' : r.status ? '✖' : '…';
    return `${icon} ${r.scope.padEnd(24)} ${r.status ?? r.phase}${r.attempt && !r.status ? ` (attempt ${r.attempt})` : ''}${r.waiting ? ' — waiting for a human' : r.doing && !r.status ? ` — ${r.doing}` : ''}`;
  }

  update(rows: ProgressRow[]): void {
    this.rows = rows;
    if (!this.tty) {
      for (const r of rows) {
        const l = this.line(r);
        if (this.last.get(r.scope) !== l) this.out.write(`${l}\n`);
        this.last.set(r.scope, l);
      }
      return;
    }
    this.redraw();
  }

  /** Text above the live rows (on a terminal the rows are redrawn below it). */
  note(text: string): void {
    if (!this.tty) {
      this.out.write(text.endsWith('\n') ? text : `${text}\n`);
      return;
    }
    this.erase();
    this.out.write(text.endsWith('\n') ? text : `${text}\n`);
    this.redraw();
  }

  /** On a terminal: redraw with the elapsed time (call every second or so). */
  tick(): void {
    if (this.tty && this.rows.length) this.redraw();
  }

  private erase(): void {
    // Up over the previous frame, and clear from there to the end of the screen.
    if (this.drawn) this.out.write(`\x1b[${this.drawn}A\x1b[J`);
    this.drawn = 0;
  }

  private redraw(): void {
    this.erase();
    // A line wider than the terminal wraps, and moving up by the number of lines would miss rows.
    const width = (this.out as { columns?: number }).columns;
    const fit = (l: string) => (width && l.length >= width ? `${l.slice(0, width - 2)}…` : l);
    const lines = [...this.rows.map((r) => fit(this.line(r))), `  ${Math.round((Date.now() - this.started) / 1000)}s elapsed`];
    this.out.write(lines.map((l) => `${l}\n`).join(''));
    this.drawn = lines.length;
  }
}
