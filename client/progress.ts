// Live progress per scope and phase: redrawn in place on a terminal, one line per change otherwise
// (logs, CI, pipes).
export interface ProgressRow {
  scope: string;
  phase: string;
  attempt?: number;
  waiting?: boolean;
}

export class ProgressDisplay {
  private drawn = 0;
  private readonly last = new Map<string, string>();
  private readonly started = Date.now();

  constructor(private readonly out: NodeJS.WriteStream = process.stderr, private readonly tty = Boolean(out.isTTY)) {}

  private line(r: ProgressRow): string {
    return `${r.waiting ? '⏸' : r.phase === 'done' ? '✔' : '…'} ${r.scope.padEnd(24)} ${r.phase}${r.attempt ? ` (attempt ${r.attempt})` : ''}${r.waiting ? ' — waiting for a human' : ''}`;
  }

  update(rows: ProgressRow[]): void {
    if (!this.tty) {
      for (const r of rows) {
        const l = this.line(r);
        if (this.last.get(r.scope) !== l) this.out.write(`${l}\n`);
        this.last.set(r.scope, l);
      }
      return;
    }
    // Move up over the previous frame, then redraw every row and the elapsed time.
    if (this.drawn) this.out.write(`\x1b[${this.drawn}A`);
    const lines = [...rows.map((r) => this.line(r)), `  ${Math.round((Date.now() - this.started) / 1000)}s elapsed`];
    for (const l of lines) this.out.write(`\x1b[2K${l}\n`);
    this.drawn = lines.length;
  }
}
