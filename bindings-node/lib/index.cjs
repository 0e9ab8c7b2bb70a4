'use strict';
// rmq: a RocketMQ 5 client for Node.js (the public API; the native module is private).
const native = require('./native.cjs');
const errors = require('./errors.cjs');
const { Producer, Transaction, TransactionResolution } = require('./producer.cjs');
const { SimpleConsumer } = require('./simple_consumer.cjs');
const { PushConsumer, ConsumeResult } = require('./push_consumer.cjs');
const { OffsetOption } = require('./lite.cjs');
const { LitePushConsumer } = require('./lite_push_consumer.cjs');
const { LiteSimpleConsumer } = require('./lite_simple_consumer.cjs');
const { FilterExpression } = require('./filter.cjs');
const { MessageView } = require('./message.cjs');
const { setLogger } = require('./logging.cjs');

module.exports = {
  Producer,
  Transaction,
  TransactionResolution,
  SimpleConsumer,
  PushConsumer,
  LitePushConsumer,
  LiteSimpleConsumer,
  OffsetOption,
  ConsumeResult,
  FilterExpression,
  MessageView,
  setLogger,
  coreVersion: native.coreVersion(),
  RmqError: errors.RmqError,
  InvalidArgumentError: errors.InvalidArgumentError,
  BadRequestError: errors.BadRequestError,
  UnauthorizedError: errors.UnauthorizedError,
  PaymentRequiredError: errors.PaymentRequiredError,
  ForbiddenError: errors.ForbiddenError,
  NotFoundError: errors.NotFoundError,
  PayloadTooLargeError: errors.PayloadTooLargeError,
  PayloadEmptyError: errors.PayloadEmptyError,
  TooManyRequestsError: errors.TooManyRequestsError,
  RequestHeaderFieldsTooLargeError: errors.RequestHeaderFieldsTooLargeError,
  InternalServerError: errors.InternalServerError,
  ProxyTimeoutError: errors.ProxyTimeoutError,
  UnsupportedError: errors.UnsupportedError,
  TimeoutError: errors.TimeoutError,
  NetworkError: errors.NetworkError,
  ClosedError: errors.ClosedError,
  UnexpectedError: errors.UnexpectedError,
  AbortError: errors.AbortError,
};
