// ESM entry: the same objects as the CommonJS entry.
import rmq from './index.cjs';

export const {
  Producer, Transaction, TransactionResolution, SimpleConsumer, PushConsumer, LitePushConsumer,
  LiteSimpleConsumer, OffsetOption, ConsumeResult,
  FilterExpression, MessageView, setLogger, coreVersion, RmqError, InvalidArgumentError,
  BadRequestError, UnauthorizedError, PaymentRequiredError, ForbiddenError, NotFoundError,
  PayloadTooLargeError, PayloadEmptyError, TooManyRequestsError, RequestHeaderFieldsTooLargeError,
  InternalServerError, ProxyTimeoutError, UnsupportedError, TimeoutError, NetworkError,
  ClosedError, UnexpectedError, AbortError,
} = rmq;
export default rmq;
