/**
 * @acme/strata-plugin: a worked third-party Strata plug-in. Importing it registers, under the `acme>`
 * prefix, a layer (ScaleShift), an optimizer (Lion2), a metric (SignAgreement) and a callback (StopAtLoss),
 * and adds their names to core's identifier types so `compile({ optimizer: 'acme>Lion2' })` type-checks.
 */

export { Lion2, type Lion2Args } from './lion2.js';
export { ScaleShift, type ScaleShiftArgs } from './scale-shift.js';
export { SignAgreement } from './sign-agreement.js';
export { StopAtLoss, type StopAtLossArgs } from './stop-at-loss.js';

declare module '@strata/core' {
  interface OptimizerIds {
    'acme>Lion2': true;
  }
  interface MetricIds {
    'acme>SignAgreement': true;
  }
}
