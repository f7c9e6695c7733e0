/**
 * Two small bundles with journeys inside decisions, for the scenario and
 * trigger tests: a telco (connection trouble, retention walkout; care
 * actions, sales held back while the trouble lasts; two triggers) and a bank
 * (a 7-day card spending aggregate, the ATM decline after heavy spending that
 * triggers a loan offer). Event types and attributes as in issue 3.
 */
export const TELCO = `
bundle: telco-journeys
version: "1"
features:
  tenure_months: numeric
  plan: [basic, standard, premium]
context:
  channel: [app, email, sms, call_center]
  placement: [home, inbox, callback]
events:
  device_change:
    model: categorical
  connect_fail:
    network: [mobile, wifi, fixed]
  view_retention_offer: {}
  store_visit: {}
  contract_renewal: {}
journeys:
  patterns:
    connection_trouble:
      steps:
        - event: device_change
          as: change
        - followedBy: connect_fail
          as: fails
          where: event.network == "mobile"
          times: 3+
          capture: [network]
      within: 1h
      activeFor: 24h
    retention_walkout:
      steps:
        - event: view_retention_offer
          as: viewed
        - followedBy: store_visit
          as: visit
        - notFollowedBy: contract_renewal
          within: 24h
      within: 7d
      activeFor: 48h
groups:
  care:
    description: Fix what is broken first
  sales:
    eligibility:
      no_sale_during_trouble: not journey.connection_trouble
actions:
  network_fix_callback:
    kind: service
    group: care
    channels: [call_center, app]
    mandatory: true
    propensity: 0.9
    value: 50
    eligibility:
      connection_trouble: journey.connection_trouble
  device_setup_help:
    kind: service
    group: care
    channels: [app, email, sms]
    propensity: 0.6
    value: 20
    eligibility:
      recent_trouble: journey.connection_trouble.count >= 1 and now - journey.connection_trouble.lastMatch < 24h
  premium_upgrade:
    kind: sale
    group: sales
    channels: [app, email, sms, call_center]
    propensity: 0.3
    value: 150
    applicability: plan != "premium"
  retention_discount:
    kind: sale
    group: sales
    channels: [sms, email, app]
    propensity: 0.5
    value: 120
    eligibility:
      walked_out: journey.retention_walkout
  data_addon:
    kind: sale
    group: sales
    channels: [app, email, sms]
    propensity: 0.2
    value: 60
arbitration:
  limit: 3
triggers:
  trouble_callback:
    journey: connection_trouble
    channel: call_center
    context: { placement: callback }
    description: call the customer back about the outages
  walkout_winback:
    journey: retention_walkout
    channel: sms
    limit: 1
    context: { placement: inbox }
`;

export const BANK = `
bundle: bank-journeys
version: "1"
features:
  credit_score: numeric
context:
  channel: [app, push, branch]
events:
  card_payment:
    amount: { type: numeric, required: true }
  atm_decline:
    reason: [insufficient_funds, card_blocked, wrong_pin, daily_limit]
journeys:
  aggregates:
    spend7d:
      event: card_payment
      value: event.amount
      functions: [sum, count, max]
      over: 7d
      resolution: 1d
  patterns:
    declined_heavy_spender:
      steps:
        - event: atm_decline
          as: decline
          where: event.reason == "insufficient_funds" and journey.spend7d.sum > 2000
      activeFor: 2h
actions:
  loan_topup:
    kind: sale
    channels: [app, push]
    propensity: 0.4
    value: 300
    eligibility:
      just_declined: journey.declined_heavy_spender
      heavy_spender: journey.spend7d.sum > 1500
      creditworthy: credit_score >= 600
  welcome_saver:
    kind: sale
    channels: [app, push, branch]
    propensity: 0.2
    value: 30
    eligibility:
      new_to_cards: journey.spend7d.count == 0 and isMissing(journey.spend7d.max) and isMissing(journey.declined_heavy_spender.lastMatch)
  budgeting_tips:
    kind: service
    channels: [app, push]
    propensity: 0.1
    value: 10
triggers:
  atm_rescue:
    journey: declined_heavy_spender
    channel: push
`;
