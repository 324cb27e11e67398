// A small typed client for the implementor and feature workflows: start, status, answer, result.
import { randomUUID } from 'node:crypto';
import { Client, Connection, WorkflowUpdateFailedError } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { dataConverterFromEnv } from '../core/payload-codec';
import { clientInterceptors } from './telemetry';
import { slug, type FeatureAnswer, type FeatureInput, type FeatureReport } from '../core/feature';
import type { ImplementorInput, ImplementorReport } from '../core/schemas';
import {
  AwaitingHumanKey, FEATURE_WORKFLOW, featureAnswerUpdate, IMPLEMENTOR_WORKFLOW, ImplementorPhaseKey, statusQuery,
  TASK_QUEUE, type FeatureStatus, type ImplementorStatus,
} from '../workflows/messages';

export { slug };

export interface ConnectOptions {
  address?: string;
  namespace?: string;
  taskQueue?: string;
}

export class ImplementorClient {
  constructor(readonly client: Client, readonly taskQueue: string) {}

  /** Connect with Temporal's standard environment variables and config profiles (TLS, API keys). */
  static async connect(opts: ConnectOptions = {}): Promise<ImplementorClient> {
    const config = loadClientConnectConfig();
    const connection = await Connection.connect({
      ...config.connectionOptions,
      ...(opts.address ? { address: opts.address } : {}),
    } as Parameters<typeof Connection.connect>[0]);
    const dataConverter = dataConverterFromEnv();
    const client = new Client({
      connection, namespace: opts.namespace ?? config.namespace ?? 'default', interceptors: clientInterceptors(), ...(dataConverter ? { dataConverter } : {}),
    });
    return new ImplementorClient(client, opts.taskQueue ?? process.env.TEMPORAL_TASK_QUEUE ?? TASK_QUEUE);
  }

  async startImplementor(input: ImplementorInput, workflowId = implementorId(input), runTimeout?: string): Promise<string> {
    return this.start(IMPLEMENTOR_WORKFLOW, workflowId, input, {
      memo: { feature: input.featureDescription, scope: input.scope, parentId: input.parentId ?? null },
      summary: `${input.scope} — ${input.featureDescription}`,
      ...(runTimeout ? { runTimeout } : {}),
    });
  }

  /** Start the parent feature workflow; its children get ids derived from this one. */
  async startFeature(input: FeatureInput, workflowId = featureId(input), runTimeout?: string): Promise<string> {
    return this.start(FEATURE_WORKFLOW, workflowId, input, {
      memo: { feature: input.feature, scope: input.scopes.map((s) => s.scope).join(', '), parentId: null },
      summary: `${input.feature} (${input.scopes.length} scopes → ${input.branch})`,
      ...(runTimeout ? { runTimeout } : {}),
    });
  }

  /** What every run shows in the Web UI from its first second: memo, search attributes, summary. */
  private async start(type: string, workflowId: string, input: unknown, ui: { memo: Record<string, unknown>; summary: string; runTimeout?: string }): Promise<string> {
    await this.client.workflow.start(type, {
      taskQueue: this.taskQueue,
      workflowId,
      args: [input],
      ...(ui.runTimeout ? { workflowRunTimeout: ui.runTimeout } : {}),
      memo: ui.memo,
      typedSearchAttributes: [
        { key: ImplementorPhaseKey, value: 'queued' },
        { key: AwaitingHumanKey, value: false },
      ],
      staticSummary: ui.summary.slice(0, 200),
    });
    return workflowId;
  }

  /** Either kind of run (a feature's status has `children`); name the kind when the caller knows it. */
  status<S extends ImplementorStatus | FeatureStatus = ImplementorStatus | FeatureStatus>(workflowId: string): Promise<S> {
    return this.client.workflow.getHandle(workflowId).query(statusQuery) as Promise<S>;
  }

  /**
   * Answer a pending question; resolves with the workflow's acknowledgement, rejects when nothing is
   * pending. For a feature, `scope` names the child (or `merge`) the answer is for.
   */
  async answer(workflowId: string, answer: FeatureAnswer): Promise<string> {
    try {
      return await this.client.workflow.getHandle(workflowId).executeUpdate(featureAnswerUpdate, { args: [answer] });
    } catch (e) {
      if (e instanceof WorkflowUpdateFailedError) throw new Error(e.cause?.message ?? e.message);
      throw e;
    }
  }

  result<R extends ImplementorReport | FeatureReport = ImplementorReport | FeatureReport>(workflowId: string): Promise<R> {
    return this.client.workflow.getHandle(workflowId).result();
  }

  close(): Promise<void> {
    return this.client.connection.close();
  }
}

export function featureId(input: FeatureInput): string {
  return `feature-${slug(input.feature, 30)}-${randomUUID().slice(0, 8)}`;
}

export function implementorId(input: ImplementorInput): string {
  return `implement-${slug(input.spec?.service ?? input.scope)}-${randomUUID().slice(0, 8)}`;
}
