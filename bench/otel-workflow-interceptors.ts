// The workflow interceptors every bundle carried until the sandbox made its own spans
// (workflows/tracing.ts): Temporal's OpenTelemetry interceptors. Kept for `npm run bench:memory`,
// which measures what a cached run costs with them beside the production bundle.
import {
  OpenTelemetryInboundInterceptor, OpenTelemetryInternalsInterceptor, OpenTelemetryOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry/lib/workflow';
import type { WorkflowInterceptors } from '@temporalio/workflow';

export const interceptors = (): WorkflowInterceptors => ({
  inbound: [new OpenTelemetryInboundInterceptor()],
  outbound: [new OpenTelemetryOutboundInterceptor()],
  internals: [new OpenTelemetryInternalsInterceptor()],
});
