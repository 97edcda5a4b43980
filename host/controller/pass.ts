/**
 * The whole contract between the scheduler (the queue) and the logic, in the
 * shape of controller-runtime's `Reconcile(ctx, Request) -> (Result, error)`:
 * the scheduler asks for a pass of one cluster; the pass says how it went and
 * when it wants to run again. The scheduler knows nothing else of clusters.
 */
import type { ReconcileReport } from './reconcile.js';

export interface PassRequest {
  clusterId: string;
}

export type PassOutcome = 'converged' | 'progressing' | 'failed';

export interface PassResult {
  /** converged: on the regular interval; progressing: after requeueAfterMs; failed: the scheduler backs off. */
  outcome: PassOutcome;
  /** Run again this soon (a create to confirm). Only for progressing passes. */
  requeueAfterMs?: number;
  /** Why a failed pass failed, for the log. */
  errors?: string[];
  /** For logs and metrics. */
  clusterName?: string;
  report?: ReconcileReport;
}

/** A pass that must not be retried: the cluster is gone. The scheduler forgets it. */
export class TerminalPassError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TerminalPassError';
  }
}

/** What the scheduler runs: one pass per request, and the clusters there are to schedule. */
export interface ClusterReconciler {
  reconcile(request: PassRequest): Promise<PassResult>;
  clusterIds(): Promise<string[]>;
}
