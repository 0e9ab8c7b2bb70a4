//! Subscription filters: tag expressions and SQL92 property selectors.

use crate::sql::Selector;
use crate::store::StoredMessage;
use crate::validate::{Checked, Reject, texts};
use rmq_proto::Code;
use rmq_proto::v2::{FilterExpression, FilterType};
use std::collections::BTreeSet;

/// Longest filter expression accepted, in bytes (tag or SQL92). Apache sets no limit; ours
/// bounds the work one request can ask of the parser (`sql::MAX_DEPTH` bounds its depth).
pub(crate) const MAX_EXPRESSION_BYTES: usize = 128 * 1024;

/// A compiled filter.
#[derive(Clone, Debug)]
pub(crate) enum Filter {
    All,
    Tags(BTreeSet<String>),
    Sql(Selector),
}

impl Filter {
    /// Compiles a request's filter expression. An absent expression matches everything.
    pub(crate) fn compile(expression: Option<&FilterExpression>) -> Checked<Filter> {
        if let Some(expression) = expression
            && expression.expression.len() > MAX_EXPRESSION_BYTES
        {
            return Err(Reject::new(
                Code::IllegalFilterExpression,
                format!(
                    "filter expression of {} bytes exceeds the limit of {MAX_EXPRESSION_BYTES} bytes",
                    expression.expression.len()
                ),
            ));
        }
        Self::compile_recorded(expression)
    }

    /// Compiles an expression a journaled command carries: accepted when it was applied, so
    /// limits added since do not apply (the parser's depth limit, which guards the stack,
    /// still does).
    pub(crate) fn compile_recorded(expression: Option<&FilterExpression>) -> Checked<Filter> {
        let Some(expression) = expression else {
            return Ok(Filter::All);
        };
        match FilterType::try_from(expression.r#type) {
            Ok(FilterType::Sql) => {
                if expression.expression.trim().is_empty() {
                    return Err(Reject::new(Code::IllegalFilterExpression, texts::SQL_EMPTY));
                }
                // Apache's broker refuses this with INTERNAL_SERVER_ERROR; the specific code
                // tells a client its filter is at fault (interop/FIDELITY.md).
                Selector::parse(&expression.expression)
                    .map(Filter::Sql)
                    .map_err(|e| {
                        Reject::new(
                            Code::IllegalFilterExpression,
                            texts::sql_unparsable(e, &expression.expression),
                        )
                    })
            }
            // Like the proxy, an unspecified type is read as a tag expression.
            Ok(FilterType::Tag | FilterType::Unspecified) => Ok(Self::tags(&expression.expression)),
            Err(_) => Err(Reject::new(
                Code::IllegalFilterExpression,
                format!("unknown filter type {}", expression.r#type),
            )),
        }
    }

    fn tags(expression: &str) -> Filter {
        let trimmed = expression.trim();
        if trimmed.is_empty() || trimmed == "*" {
            return Filter::All;
        }
        Filter::Tags(
            trimmed
                .split("||")
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
                .collect(),
        )
    }

    pub(crate) fn matches(&self, message: &StoredMessage) -> bool {
        match self {
            Filter::All => true,
            Filter::Tags(tags) => message.tag.as_ref().is_some_and(|t| tags.contains(t)),
            Filter::Sql(selector) => selector.matches(&|name| message.property(name)),
        }
    }
}
