// The live progress display: on a terminal one frame redrawn in place (never wider than the
// terminal, or moving up over it would miss wrapped rows), notes printed above the frame; elsewhere
// one plain line per change.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { ProgressDisplay } from '../client/progress';

function screen(tty: boolean, columns?: number) {
  let text = '';
  const out = Object.assign(new Writable({ write(chunk, _enc, done) { text += String(chunk); done(); } }), { isTTY: tty, columns });
  return { out, text: () => text };
}

describe('progress display', () => {
  it('on a terminal: redraws the frame in place, cuts lines to the terminal width, prints notes above the rows', () => {
    const s = screen(true, 50);
    const d = new ProgressDisplay(s.out);
    d.update([{ scope: 'orders service', phase: 'validate', attempt: 1 }]);
    d.update([{ scope: 'a scope with a name far too long for this terminal', phase: 'patterns' }]);
    d.note('⏸ a question\n');
    const text = s.text();
    assert.match(text, /^… orders service {11}validate \(attempt 1\)\n {2}0s elapsed\n/);
    assert.match(text, /\x1b\[2A\x1b\[J… a scope with a name far too long for this term…\n/, 'moved up over the last frame, cut to 49 columns');
    assert.match(text, /\x1b\[2A\x1b\[J⏸ a question\n… a scope with a name far too long for this term…\n {2}0s elapsed\n$/, 'the note, then the rows again below it');
  });

  it('off a terminal: one line per changed row and notes as they come, no escape codes', () => {
    const s = screen(false);
    const d = new ProgressDisplay(s.out);
    d.update([{ scope: 'orders', phase: 'patterns' }, { scope: 'payments', phase: 'patterns' }]);
    d.update([{ scope: 'orders', phase: 'validate', attempt: 1 }, { scope: 'payments', phase: 'patterns' }]);
    d.note('a note');
    d.update([{ scope: 'orders', phase: 'done', status: 'succeeded' }, { scope: 'payments', phase: 'done', status: 'aborted' }]);
    d.tick();
    assert.equal(s.text(), [
      `… ${'orders'.padEnd(24)} patterns`, `… ${'payments'.padEnd(24)} patterns`, `… ${'orders'.padEnd(24)} validate (attempt 1)`,
      'a note', `✔ ${'orders'.padEnd(24)} succeeded`, `✖ ${'payments'.padEnd(24)} aborted`, '',
    ].join('\n'));
  });
});
