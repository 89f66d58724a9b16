import { describe, expect, it } from 'vitest';
import type { Fusion, FusionCtx } from '../../../src/core/model/fusion';
import { none } from '../../../src/plugins/fusions/none';
import { describePluginBasics } from '../../helpers/contract';

const ctx: FusionCtx = { scope: 'fusion', seed: 2, dim: 5, textHidden: 8, nluHidden: 6 };

describe('none', () => {
  describePluginBasics(none);
  it('has no NLU path and no variables', () => {
    const f = none.create({}, ctx) as Fusion;
    expect([f.usesNlu, f.early, f.late, f.variables(), f.flops([4, 8])]).toEqual([false, undefined, undefined, [], 0]);
    f.dispose();
  });
});
