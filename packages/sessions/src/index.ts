/**
 * @nexus/sessions — the live session registry and its active/idle/cooling/gone state machine.
 */
export { coolingDuration, DEFAULT_LIFECYCLE, type LifecycleOptions } from './lifecycle.js';
export { type RegistryClock, type RegistryOptions, SessionRegistry } from './registry.js';
