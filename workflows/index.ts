// Every workflow the worker registers.
export { infrastructureImplementor } from './implementor';
export { featureImplementor } from './feature';
