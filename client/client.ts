// A small typed client for the implementor workflows: start, status, answer, result.
import { randomUUID } from 'node:crypto';
import { Client, Connection, WorkflowUpdateFailedError } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { Answer, ImplementorInput, ImplementorReport } from '../core/schemas';
import {
  answerUpdate, AwaitingHumanKey, IMPLEMENTOR_WORKFLOW, ImplementorPhaseKey, statusQuery, TASK_QUEUE, type ImplementorStatus,
} from '../workflows/messages';

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
    const client = new Client({ connection, namespace: opts.namespace ?? config.namespace ?? 'default' });
    return new ImplementorClient(client, opts.taskQueue ?? process.env.TEMPORAL_TASK_QUEUE ?? TASK_QUEUE);
  }

  async startImplementor(input: ImplementorInput, workflowId = implementorId(input)): Promise<string> {
    await this.client.workflow.start(IMPLEMENTOR_WORKFLOW, {
      taskQueue: this.taskQueue,
      workflowId,
      args: [input],
      memo: { feature: input.featureDescription, scope: input.scope, parentId: input.parentId ?? null },
      typedSearchAttributes: [
        { key: ImplementorPhaseKey, value: 'queued' },
        { key: AwaitingHumanKey, value: false },
      ],
      staticSummary: `${input.scope} — ${input.featureDescription}`.slice(0, 200),
    });
    return workflowId;
  }

  status(workflowId: string): Promise<ImplementorStatus> {
    return this.client.workflow.getHandle(workflowId).query(statusQuery);
  }

  /** Answer a pending question; resolves with the workflow's acknowledgement, rejects when nothing is pending. */
  async answer(workflowId: string, answer: Answer): Promise<string> {
    try {
      return await this.client.workflow.getHandle(workflowId).executeUpdate(answerUpdate, { args: [answer] });
    } catch (e) {
      if (e instanceof WorkflowUpdateFailedError) throw new Error(e.cause?.message ?? e.message);
      throw e;
    }
  }

  result(workflowId: string): Promise<ImplementorReport> {
    return this.client.workflow.getHandle(workflowId).result();
  }

  close(): Promise<void> {
    return this.client.connection.close();
  }
}

export function slug(text: string, max = 40): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, max).replace(/-+$/, '') || 'run';
}

export function implementorId(input: ImplementorInput): string {
  return `implement-${slug(input.spec?.service ?? input.scope)}-${randomUUID().slice(0, 8)}`;
}
