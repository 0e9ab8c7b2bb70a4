'use strict';
// FilterExpression and the subscriptions consumers take.
const native = require('./native.cjs');
const { typeName } = require('./options.cjs');

class FilterExpression {
  /** A tag expression: '*' for all, 'a', or 'a||b'. */
  static tag(expression) {
    return new FilterExpression('TAG', expression);
  }

  /** An SQL92 expression over message properties, e.g. "region = 'eu' AND n > 3". */
  static sql(expression) {
    return new FilterExpression('SQL92', expression);
  }

  constructor(kind, expression) {
    if (typeof expression !== 'string') {
      throw new TypeError(`a filter expression must be a string, not ${typeName(expression)}`);
    }
    if (kind !== 'TAG' && kind !== 'SQL92') throw new RangeError("kind must be 'TAG' or 'SQL92'");
    native.checkFilter(kind, expression);
    this.kind = kind;
    this.expression = expression;
    Object.freeze(this);
  }
}
FilterExpression.ALL = FilterExpression.tag('*');

/** `[topic, kind, expression, ...]` from an object or Map of topic to tag string or filter. */
function subscriptions(value) {
  const entries = value instanceof Map ? [...value.entries()]
    : value !== null && typeof value === 'object' && !Array.isArray(value) ? Object.entries(value) : null;
  if (entries === null) {
    throw new TypeError('subscriptions must be an object or Map of topic to a tag expression or FilterExpression');
  }
  const flat = [];
  for (const [topic, filter] of entries) {
    if (typeof topic !== 'string') throw new TypeError('each subscribed topic must be a string');
    if (filter instanceof FilterExpression) flat.push(topic, filter.kind, filter.expression);
    else if (typeof filter === 'string') flat.push(topic, 'TAG', filter);
    else throw new TypeError(`the filter of topic ${topic} must be a tag expression string or a FilterExpression`);
  }
  return flat;
}

module.exports = { FilterExpression, subscriptions };
