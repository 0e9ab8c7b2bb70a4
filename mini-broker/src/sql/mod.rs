//! SQL92 property selectors: the subset RocketMQ brokers evaluate (ActiveMQ-style selectors
//! without arithmetic, LIKE or functions). Properties are strings; comparisons follow SQL's
//! three-valued logic, and a message matches only when the whole expression is TRUE. An
//! evaluation error (a non-numeric string compared with a number, say) means no match.

mod eval;
mod lex;
mod parse;
#[cfg(test)]
mod tests;

use eval::Lookup;
use std::fmt;

/// A compiled selector.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Selector(Expr);

#[derive(Clone, Debug, PartialEq)]
enum Expr {
    Literal(Value),
    Property(String),
    Not(Box<Expr>),
    Negate(Box<Expr>),
    /// Two or more terms: a chain of ANDs is one node, so its length never deepens the tree.
    And(Vec<Expr>),
    /// Two or more terms, like `And`.
    Or(Vec<Expr>),
    Compare(Box<Expr>, CompareOp, Box<Expr>),
    IsNull(Box<Expr>, bool),
    Between(Box<Expr>, Box<Expr>, Box<Expr>, bool),
    In(Box<Expr>, Vec<String>, bool),
    Text(Box<Expr>, TextOp, String, bool),
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum CompareOp {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum TextOp {
    Contains,
    StartsWith,
    EndsWith,
}

#[derive(Clone, Debug, PartialEq)]
enum Value {
    Null,
    Bool(bool),
    Long(i64),
    Double(f64),
    Str(String),
}

/// Why a selector did not parse.
#[derive(Debug, PartialEq)]
pub(crate) struct ParseError(String);

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Selector {
    pub(crate) fn parse(text: &str) -> Result<Selector, ParseError> {
        parse::parse(lex::tokenize(text)?).map(Selector)
    }

    /// True when the expression evaluates to TRUE for a message whose properties `lookup`
    /// returns.
    pub(crate) fn matches(&self, lookup: Lookup<'_>) -> bool {
        matches!(eval::eval(&self.0, lookup), Ok(Value::Bool(true)))
    }
}
