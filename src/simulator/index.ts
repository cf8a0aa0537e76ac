export { CIRCLE_ERRORS, type CircleErrorBody, type CircleErrorSpec } from './errors.js';
export type { FaultKind, FaultTarget, SimulatorFault } from './faults.js';
export type { UserTokenClaims } from './jwt.js';
export {
  type RunningSimulator,
  type StartSimulatorOptions,
  startCircleSimulator,
} from './server.js';
export { readSimulatorSettings, type SimulatorSettings } from './settings.js';
export {
  type CircleSimulator,
  createCircleSimulator,
  type RecordedRequest,
  type SimulatorOptions,
} from './simulator.js';
export type { SessionInput, SimulatorSession } from './state.js';
