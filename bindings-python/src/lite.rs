//! What both lite consumers share: offset options from Python and the subscription calls.

use crate::error::IntoPy;
use crate::runtime::block_on;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use rmq_client as core;
use std::future::Future;
use std::time::{Duration, UNIX_EPOCH};

/// `(kind, value)` as `rmq.OffsetOption` spells it (for both lite consumers).
fn offset(kind: &str, value: i64) -> PyResult<core::OffsetOption> {
    let non_negative = |what: &str| {
        if value < 0 {
            Err(PyValueError::new_err(format!("{what} must be 0 or more")))
        } else {
            Ok(value)
        }
    };
    Ok(match kind {
        "last" => core::OffsetOption::Last,
        "min" => core::OffsetOption::Min,
        "max" => core::OffsetOption::Max,
        "offset" => core::OffsetOption::Offset(non_negative("an offset")?),
        "tail_n" => core::OffsetOption::TailN(non_negative("tail_n")?),
        "timestamp_ms" => core::OffsetOption::Timestamp(
            UNIX_EPOCH + Duration::from_millis(non_negative("a timestamp")?.unsigned_abs()),
        ),
        other => {
            return Err(PyValueError::new_err(format!(
                "unknown offset kind {other:?}"
            )));
        }
    })
}

/// A core lite consumer (push or simple).
pub(crate) trait LiteConsumer: Sync {
    fn subscribe(
        &self,
        lite_topic: &str,
        offset: Option<core::OffsetOption>,
    ) -> impl Future<Output = core::Result<()>> + Send;

    fn unsubscribe(&self, lite_topic: &str) -> impl Future<Output = core::Result<()>> + Send;
}

macro_rules! lite_consumer {
    ($t:ty) => {
        impl LiteConsumer for $t {
            async fn subscribe(
                &self,
                lite_topic: &str,
                offset: Option<core::OffsetOption>,
            ) -> core::Result<()> {
                match offset {
                    Some(offset) => self.subscribe_lite_from(lite_topic, offset).await,
                    None => self.subscribe_lite(lite_topic).await,
                }
            }

            async fn unsubscribe(&self, lite_topic: &str) -> core::Result<()> {
                self.unsubscribe_lite(lite_topic).await
            }
        }
    };
}
lite_consumer!(core::LitePushConsumer);
lite_consumer!(core::LiteSimpleConsumer);

/// `subscribe_lite(lite_topic, offset)` of either lite consumer, without the GIL.
pub(crate) fn subscribe(
    py: Python<'_>,
    consumer: &impl LiteConsumer,
    lite_topic: &str,
    offset: Option<(String, i64)>,
) -> PyResult<()> {
    let offset = offset
        .map(|(kind, value)| self::offset(&kind, value))
        .transpose()?;
    block_on(py, consumer.subscribe(lite_topic, offset))?.py_err()
}

/// `unsubscribe_lite(lite_topic)` of either lite consumer, without the GIL.
pub(crate) fn unsubscribe(
    py: Python<'_>,
    consumer: &impl LiteConsumer,
    lite_topic: &str,
) -> PyResult<()> {
    block_on(py, consumer.unsubscribe(lite_topic))?.py_err()
}
