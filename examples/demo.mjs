// npm run demo: score a few sample customers with a shipped model.
// (The decision demo on the telco bundle replaces this once decisions land.)
import { Model } from '../dist/index.js';

const churn = await Model.fromLinear({
  id: 'churn',
  intercept: -1.2,
  link: 'logit',
  features: [
    { name: 'tenure_months', type: 'numeric' },
    { name: 'dropped_calls_30d', type: 'numeric' },
    { name: 'plan', type: 'categorical', categories: ['basic', 'standard', 'premium'] },
  ],
  weights: { tenure_months: -0.04, dropped_calls_30d: 0.35, plan: { basic: 0.3, premium: -0.4 } },
  missing: { tenure_months: 24 },
});

const customers = [
  { id: 'C-1001', features: { tenure_months: 3, dropped_calls_30d: 4, plan: 'basic' } },
  { id: 'C-1002', features: { tenure_months: 60, dropped_calls_30d: 0, plan: 'premium' } },
  { id: 'C-1003', features: { dropped_calls_30d: 2, plan: 'standard' } },
];
console.log('customer   churn probability');
for (const c of customers) {
  console.log(`${c.id.padEnd(10)} ${churn.predictOne(c.features)[0].toFixed(3)}`);
}
