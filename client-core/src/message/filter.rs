//! Subscription filters: tag expressions and SQL92 selectors, checked before they are sent.

use crate::error::{Error, Result};
use rmq_proto::v2;

/// How a subscription selects messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FilterExpression {
    /// Tags: `*` (everything) or `TagA || TagB`.
    Tag(String),
    /// An SQL92 selector over message properties (the broker must allow property filters).
    Sql(String),
}

impl FilterExpression {
    /// Everything.
    pub fn all() -> FilterExpression {
        FilterExpression::Tag("*".into())
    }

    /// A tag expression.
    pub fn tag(expression: impl Into<String>) -> FilterExpression {
        FilterExpression::Tag(expression.into())
    }

    /// An SQL92 expression.
    pub fn sql(expression: impl Into<String>) -> FilterExpression {
        FilterExpression::Sql(expression.into())
    }

    /// Refuses what no server accepts: an empty or blank expression.
    pub fn check(&self) -> Result<()> {
        match self {
            FilterExpression::Tag(e) if e.trim().is_empty() => Err(Error::invalid(
                "subscribe",
                "a tag expression cannot be empty (use \"*\")",
            )),
            FilterExpression::Sql(e) if e.trim().is_empty() => Err(Error::invalid(
                "subscribe",
                "an SQL expression cannot be empty",
            )),
            _ => Ok(()),
        }
    }

    pub(crate) fn to_proto(&self) -> v2::FilterExpression {
        match self {
            FilterExpression::Tag(e) => v2::FilterExpression {
                r#type: v2::FilterType::Tag as i32,
                expression: e.clone(),
            },
            FilterExpression::Sql(e) => v2::FilterExpression {
                r#type: v2::FilterType::Sql as i32,
                expression: e.clone(),
            },
        }
    }
}
