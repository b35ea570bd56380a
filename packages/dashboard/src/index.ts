export { type AuthPolicy, authPolicy, DashboardAuthError, isLoopbackHost, OPEN_PATHS } from './auth.js';
export { BULL_BOARD_PATH } from './bull-board.js';
export { DashboardMetrics, type MetricsOptions } from './metrics.js';
export type { StageLastRun, StageOverview } from './ops-data.js';
export { type OpsPageData, renderOpsPage } from './ops-page.js';
export { type Readiness, readiness } from './probes.js';
export {
  type ReliabilityDiagramOptions,
  reliabilityDiagram,
  type SparklineOptions,
  sparkline,
} from './ratings-charts.js';
export {
  type ParticipantPageData,
  type PoolPageData,
  ratingsRoutes,
  renderParticipantPage,
  renderPoolPage,
  renderPoolsPage,
} from './ratings-page.js';
export { type DashboardConfig, DashboardResources } from './resources.js';
export {
  createDashboardServer,
  DashboardListenError,
  type DashboardServer,
  type DashboardServerOptions,
  dashboardEndpoints,
} from './server.js';
