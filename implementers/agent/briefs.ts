// One line per tool call, for history and live progress: the tool and what it looks at (a path, a
// pattern), never file contents. Built from the model's own input, cut short.
const cut = (s: string, n = 80) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

export function briefOf(name: string, rawJson: string): string {
  let input: Record<string, unknown> = {};
  try {
    const v: unknown = JSON.parse(rawJson || '{}');
    if (v && typeof v === 'object' && !Array.isArray(v)) input = v as Record<string, unknown>;
  } catch {
    return `${cut(name, 40)} (input not JSON)`;
  }
  const str = (k: string) => (typeof input[k] === 'string' ? (input[k] as string) : undefined);
  switch (name) {
    case 'Read': case 'Write': case 'Edit':
      return `${name} ${cut(str('file_path') ?? '?')}`;
    case 'Glob':
      return `Glob ${cut(str('pattern') ?? '?')}${str('path') ? ` in ${cut(str('path') as string, 60)}` : ''}`;
    case 'Grep':
      return `Grep ${cut(JSON.stringify(str('pattern') ?? '?'), 60)}${str('path') ? ` in ${cut(str('path') as string, 60)}` : ''}`;
    default:
      return cut(name, 40);
  }
}
