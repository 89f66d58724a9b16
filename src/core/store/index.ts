export * from './lock';
export * from './rows';
export * from './run-dir';
export * from './store';
