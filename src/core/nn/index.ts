import './gradients';

export * from './attention';
export * from './conv';
export * from './defer';
export * from './dense';
export * from './embedding';
export * from './layer-norm';
export * from './module';
export * from './ops';
export * from './params';
export * from './transformer';
export * from './token-transformer';
export * from './layers-io';
export * from './patches';
