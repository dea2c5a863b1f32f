// The ticket gate through runGates: every pull request in the change links a
// ticket (default patterns or the configured ones); a commit without a pull
// request fails it; an override lets it through, recorded.
import { afterEach, describe, expect, it } from 'vitest';
import { GateScenario, gate } from './gate-scenario.js';

let scenario: GateScenario;
afterEach(() => scenario.dispose());

describe('ticket gate', () => {
  it('passes when each pull request links a ticket in its description or title', async () => {
    scenario = await GateScenario.create({ ticket: {} });
    await scenario.merge(7, undefined, { body: 'Fixes SHOP-12' });
    await scenario.merge(8, undefined, { title: 'Retry payments', body: 'See https://redmine.example/issues/431' });
    await scenario.merge(9, undefined, { title: 'PAY-7 Refund button', body: '' });
    const report = await scenario.judge();

    expect(report.passed).toBe(true);
    const ticket = gate(report, 'ticket');
    expect(ticket.status).toBe('pass');
    expect(ticket.fix).toBeUndefined();
    for (const number of ['#7', '#8', '#9']) expect(ticket.reason).toContain(number);
  });

  it('fails naming each pull request without a ticket and each commit pushed without one', async () => {
    scenario = await GateScenario.create({ ticket: {} });
    await scenario.merge(7, undefined, { body: 'Fixes SHOP-12' });
    await scenario.merge(8, undefined, { body: 'just a tweak' });
    const pushed = await scenario.push('Quick fix on master');
    const report = await scenario.judge();

    expect(report.passed).toBe(false);
    const ticket = gate(report, 'ticket');
    expect(ticket.status).toBe('fail');
    expect(ticket.reason).toContain('#8');
    expect(ticket.reason).toContain(pushed.slice(0, 8));
    expect(ticket.reason).not.toContain('#7');
    expect(ticket.fix).toEqual(expect.any(String));
    expect(report.overrides).toEqual([]);
  });

  it('uses the configured patterns instead of the defaults', async () => {
    scenario = await GateScenario.create({ ticket: { patterns: ['\\bOPS-\\d+\\b'] } });
    await scenario.merge(7, undefined, { body: 'OPS-3' });
    await scenario.merge(8, undefined, { body: 'SHOP-12' });
    const ticket = gate(await scenario.judge(), 'ticket');
    expect(ticket.status).toBe('fail');
    expect(ticket.reason).toContain('#8');
    expect(ticket.reason).not.toContain('#7');
  });

  it('lets a failing ticket gate through with an override, recording who and why', async () => {
    scenario = await GateScenario.create({ ticket: {} });
    await scenario.merge(8, undefined, { body: 'no ticket' });
    const report = await scenario.judge({ overrides: [{ gate: 'ticket', reason: 'incident INC-9, ticket after' }] });

    expect(report.passed).toBe(true);
    const ticket = gate(report, 'ticket');
    expect(ticket).toMatchObject({ status: 'pass', overridden: { reason: 'incident INC-9, ticket after', by: 'carol' } });
    // The override keeps the failure's reason: the record says what was let through.
    expect(ticket.reason).toContain('#8');
    expect(report.overrides).toEqual([{ gate: 'ticket', reason: 'incident INC-9, ticket after', by: 'carol' }]);
  });

  it('passes when the target is what already runs', async () => {
    scenario = await GateScenario.create({ ticket: {} });
    expect(gate(await scenario.judge(), 'ticket').status).toBe('pass');
  });
});
