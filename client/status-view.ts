// The `status` command's table for people.
import type { ImplementorStatus } from '../workflows/messages';

export function elapsed(from: string, now: Date): string {
  const s = Math.max(0, Math.round((now.getTime() - new Date(from).getTime()) / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h ? `${h}h${String(m).padStart(2, '0')}m` : m ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

export function formatStatus(s: ImplementorStatus, now: Date): string {
  const rows: [string, string][] = [
    ['workflow', s.workflowId],
    ['scope', s.scope],
    ['phase', s.done ? `${s.phase} (finished)` : s.phase],
    ['attempts', `${s.attempt} of ${s.maxAttempts}`],
    ['elapsed', elapsed(s.startedAt, now)],
    ['files', s.filesTouched.length ? s.filesTouched.join(', ') : '-'],
  ];
  if (s.pending) {
    rows.push(['pending', s.pending.question]);
    for (const f of s.pending.failures.slice(0, 5)) rows.push(['  failed', `${f.validator} ${f.target}: ${f.message.split('\n')[0]}`]);
    rows.push(['  answer', `infra-implementor answer ${s.workflowId} --action retry|accept|abort [--guidance TEXT]`]);
    rows.push(['  deadline', s.pending.deadline]);
  } else {
    rows.push(['pending', 'nothing']);
  }
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
}
