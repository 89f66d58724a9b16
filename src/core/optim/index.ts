export * from './adamw';
export * from './clip';
export * from './lr-schedule';
