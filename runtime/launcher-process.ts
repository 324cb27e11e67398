// The launcher's own process (runtime/launcher.ts starts it with `fork`): it runs each command it
// is sent with execa and sends back the result. It stays small, so starting a process from here
// costs ~2 ms where the worker, at a few hundred MB, would block its event loop ~25 ms per start.
// It exits when the worker that started it goes away (the IPC channel closes).
import { execaLaunched, type LaunchReply, type LaunchRequest } from './launcher-wire';

const running = new Map<number, AbortController>();

const send = (reply: LaunchReply) => {
  if (process.connected) process.send?.(reply);
};

async function runOne(req: Extract<LaunchRequest, { type: 'run' }>): Promise<void> {
  const abort = new AbortController();
  running.set(req.id, abort);
  try {
    send({ type: 'result', id: req.id, result: await execaLaunched(req.file, req.args, req.options, abort.signal) });
  } catch (err) {
    send({ type: 'error', id: req.id, message: err instanceof Error ? err.message : String(err) });
  } finally {
    running.delete(req.id);
  }
}

process.on('message', (req: LaunchRequest) => {
  if (req.type === 'cancel') running.get(req.id)?.abort();
  else void runOne(req);
});
// The worker is gone: stop what still runs and leave.
process.on('disconnect', () => {
  for (const abort of running.values()) abort.abort();
  setTimeout(() => process.exit(0), running.size ? 500 : 0);
});
send({ type: 'ready' });
