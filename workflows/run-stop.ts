// A human stopped the run from inside its work (at the budget, at an agent's question, at the turn
// cap): thrown out of the implementation, caught by the driver, which finishes the run as told.
export class RunStop {
  constructor(readonly action: 'accept' | 'abort', readonly timedOut: boolean, readonly summary: string) {}
}
