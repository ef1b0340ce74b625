import { imageRepository, namesRegistry, servicePlacement } from './swarm.placement';

describe('swarm placement and image names', () => {
  it('leaves placement to swarm when nothing is configured', () => {
    expect(servicePlacement([], [])).toBeUndefined();
  });

  it('turns constraints and spread descriptors into a service placement', () => {
    expect(servicePlacement(['node.labels.fopflow.node!=manager'], ['node.id'])).toEqual({
      Constraints: ['node.labels.fopflow.node!=manager'],
      Preferences: [{ Spread: { SpreadDescriptor: 'node.id' } }],
    });
    expect(servicePlacement([], ['node.labels.zone', 'node.id'])).toEqual({
      Preferences: [{ Spread: { SpreadDescriptor: 'node.labels.zone' } }, { Spread: { SpreadDescriptor: 'node.id' } }],
    });
  });

  it('tells a reference naming a registry host from a bare or Docker Hub one', () => {
    expect(namesRegistry('100.90.13.1:5100/fopflow/worker:latest')).toBe(true);
    expect(namesRegistry('registry.example.com/fopflow/worker')).toBe(true);
    expect(namesRegistry('localhost/fopflow/worker:1')).toBe(true);
    expect(namesRegistry('fopflow/worker:latest')).toBe(false);
    expect(namesRegistry('worker')).toBe(false);
  });

  it('drops the tag or digest, never a registry port', () => {
    expect(imageRepository('100.90.13.1:5100/fopflow/worker:latest')).toBe('100.90.13.1:5100/fopflow/worker');
    expect(imageRepository('100.90.13.1:5100/fopflow/worker')).toBe('100.90.13.1:5100/fopflow/worker');
    expect(imageRepository('fopflow/worker@sha256:abc')).toBe('fopflow/worker');
  });
});
