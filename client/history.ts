// Follow a run's event history as it is written: the server holds each request until a new event
// arrives (long poll), so a watcher sees every event in order, however short the phase it marks,
// without asking the run anything.
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';

export type HistoryEvent = proto.temporal.api.history.v1.IHistoryEvent;

const { HistoryEventFilterType } = proto.temporal.api.enums.v1;

/**
 * The events of a run, page by page, from the first until the run closes (the server then stops
 * handing out a next page token). `signal` ends the wait early; the generator then returns.
 */
export async function* followHistory(client: Client, workflowId: string, signal?: AbortSignal): AsyncGenerator<HistoryEvent[]> {
  const request: proto.temporal.api.workflowservice.v1.IGetWorkflowExecutionHistoryRequest = {
    namespace: client.options.namespace,
    execution: { workflowId },
    waitNewEvent: true,
    skipArchival: true,
    historyEventFilterType: HistoryEventFilterType.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT,
  };
  for (;;) {
    if (signal?.aborted) return;
    let page: proto.temporal.api.workflowservice.v1.GetWorkflowExecutionHistoryResponse;
    try {
      page = await abortable(signal, (s) => client.connection.withAbortSignal(s, () => client.workflowService.getWorkflowExecutionHistory(request)));
    } catch (e) {
      if (signal?.aborted) return;
      throw e;
    }
    const events = page.history?.events ?? [];
    // An empty page is the long poll timing out with nothing new: ask again from the same place.
    if (events.length) yield events;
    if (!page.nextPageToken?.length) return;
    request.nextPageToken = page.nextPageToken;
  }
}

/**
 * One call under a signal of its own, tied to `outer` only while it runs: the SDK leaves a listener
 * on the signal it is given, and a watcher makes hundreds of calls.
 */
async function abortable<T>(outer: AbortSignal | undefined, call: (s: AbortSignal) => Promise<T>): Promise<T> {
  const inner = new AbortController();
  const abort = () => inner.abort();
  outer?.addEventListener('abort', abort, { once: true });
  try {
    return await call(inner.signal);
  } finally {
    outer?.removeEventListener('abort', abort);
  }
}
