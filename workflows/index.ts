// Every workflow the worker registers.
export { infrastructureImplementor } from './implementor';
