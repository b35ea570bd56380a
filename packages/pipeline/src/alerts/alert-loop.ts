import { type AlertDeps, type AlertEvaluation, alertSender, evaluateAlerts } from './evaluate-alerts.js';

export interface AlertLoopOptions extends AlertDeps {
  /** Between the end of one evaluation and the start of the next (default `config.alerts.intervalMs`). */
  intervalMs?: number;
  /** Told about every evaluation (tests, the dashboard). */
  onEvaluated?: (evaluation: AlertEvaluation) => void;
}

export interface AlertLoop {
  /** Evaluate now (waits for one in progress first); resolves with that evaluation, or undefined when it failed. */
  evaluateNow(): Promise<AlertEvaluation | undefined>;
  /** Stop: no evaluation starts after this; waits for the one in progress, then closes the sender it made. */
  stop(): Promise<void>;
}

/**
 * Evaluate the alerts at once and then every `intervalMs` until stopped, one evaluation at a time
 * (the next is scheduled when the previous ends, so a slow database never piles them up). An
 * evaluation that fails is logged and tried again next time. The timer does not keep the process
 * alive. Run it in every long-lived process (workers, scheduler, `matchflow start`): evaluations
 * take turns across the fleet, and each transition is notified once whoever sees it first.
 */
export function startAlertLoop(options: AlertLoopOptions): AlertLoop {
  const intervalMs = options.intervalMs ?? options.config.alerts.intervalMs;
  // One sender (and email transport) for the loop's life, closed by stop(); a given one is the caller's.
  const own = options.sender ? undefined : alertSender(options.config, options.logger);
  const deps: AlertDeps = { ...options, sender: options.sender ?? own };
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<AlertEvaluation | undefined> = Promise.resolve(undefined);

  const evaluate = (): Promise<AlertEvaluation | undefined> => {
    running = running.then(async () => {
      try {
        const evaluation = await evaluateAlerts(deps);
        options.onEvaluated?.(evaluation);
        return evaluation;
      } catch (error) {
        options.logger.error({ err: error }, 'alerts: evaluation failed; trying again at the next interval');
        return undefined;
      }
    });
    return running;
  };

  const tick = async (): Promise<void> => {
    timer = undefined;
    if (stopped) return;
    await evaluate();
    if (!stopped) {
      timer = setTimeout(() => void tick(), intervalMs);
      timer.unref();
    }
  };
  void tick();

  return {
    evaluateNow: evaluate,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
      own?.close();
    },
  };
}
