//! Evaluation with SQL's three-valued logic.

use super::*;

/// An evaluation error; the message does not match.
pub(super) struct EvalError;

pub(super) type Lookup<'a> = &'a dyn Fn(&str) -> Option<String>;

pub(super) fn eval(expr: &Expr, lookup: Lookup<'_>) -> Result<Value, EvalError> {
    Ok(match expr {
        Expr::Literal(v) => v.clone(),
        Expr::Property(name) => lookup(name).map_or(Value::Null, Value::Str),
        Expr::Negate(inner) => match eval(inner, lookup)? {
            Value::Long(v) => Value::Long(v.checked_neg().ok_or(EvalError)?),
            Value::Double(v) => Value::Double(-v),
            Value::Null => Value::Null,
            _ => return Err(EvalError),
        },
        Expr::Not(inner) => match eval(inner, lookup)? {
            Value::Bool(b) => Value::Bool(!b),
            Value::Null => Value::Null,
            _ => return Err(EvalError),
        },
        // Every term is evaluated, so an error in any term fails the whole, as it did when
        // the chain was nested pairs.
        Expr::And(terms) => {
            let (mut any_false, mut any_null) = (false, false);
            for term in terms {
                match truth(eval(term, lookup)?)? {
                    Some(false) => any_false = true,
                    None => any_null = true,
                    Some(true) => {}
                }
            }
            match (any_false, any_null) {
                (true, _) => Value::Bool(false),
                (false, true) => Value::Null,
                (false, false) => Value::Bool(true),
            }
        }
        Expr::Or(terms) => {
            let (mut any_true, mut any_null) = (false, false);
            for term in terms {
                match truth(eval(term, lookup)?)? {
                    Some(true) => any_true = true,
                    None => any_null = true,
                    Some(false) => {}
                }
            }
            match (any_true, any_null) {
                (true, _) => Value::Bool(true),
                (false, true) => Value::Null,
                (false, false) => Value::Bool(false),
            }
        }
        Expr::Compare(a, op, b) => compare(eval(a, lookup)?, *op, eval(b, lookup)?)?,
        Expr::IsNull(inner, negated) => {
            Value::Bool(matches!(eval(inner, lookup)?, Value::Null) != *negated)
        }
        Expr::Between(x, low, high, negated) => {
            let x = eval(x, lookup)?;
            let ge = compare(x.clone(), CompareOp::Ge, eval(low, lookup)?)?;
            let le = compare(x, CompareOp::Le, eval(high, lookup)?)?;
            match (truth(ge)?, truth(le)?) {
                (Some(a), Some(b)) => Value::Bool((a && b) != *negated),
                _ => Value::Null,
            }
        }
        Expr::In(x, items, negated) => match eval(x, lookup)? {
            Value::Str(s) => Value::Bool(items.contains(&s) != *negated),
            Value::Null => Value::Null,
            _ => return Err(EvalError),
        },
        Expr::Text(x, op, text, negated) => match eval(x, lookup)? {
            Value::Str(s) => {
                let hit = match op {
                    TextOp::Contains => s.contains(text.as_str()),
                    TextOp::StartsWith => s.starts_with(text.as_str()),
                    TextOp::EndsWith => s.ends_with(text.as_str()),
                };
                Value::Bool(hit != *negated)
            }
            Value::Null => Value::Null,
            _ => return Err(EvalError),
        },
    })
}

fn truth(v: Value) -> Result<Option<bool>, EvalError> {
    match v {
        Value::Bool(b) => Ok(Some(b)),
        Value::Null => Ok(None),
        _ => Err(EvalError),
    }
}

/// Converts a string property to the type of the other operand, as the broker does.
fn coerce(a: Value, b: Value) -> Result<(Value, Value), EvalError> {
    fn parse_like(s: &str, like: &Value) -> Result<Value, EvalError> {
        let s = s.trim();
        match like {
            Value::Long(_) => s
                .parse::<i64>()
                .map(Value::Long)
                .or_else(|_| s.parse::<f64>().map(Value::Double))
                .map_err(|_| EvalError),
            Value::Double(_) => s.parse::<f64>().map(Value::Double).map_err(|_| EvalError),
            Value::Bool(_) => match s.to_ascii_lowercase().as_str() {
                "true" => Ok(Value::Bool(true)),
                "false" => Ok(Value::Bool(false)),
                _ => Err(EvalError),
            },
            _ => Ok(Value::Str(s.to_owned())),
        }
    }
    Ok(match (a, b) {
        (Value::Str(s), other @ (Value::Long(_) | Value::Double(_) | Value::Bool(_))) => {
            (parse_like(&s, &other)?, other)
        }
        (other @ (Value::Long(_) | Value::Double(_) | Value::Bool(_)), Value::Str(s)) => {
            let parsed = parse_like(&s, &other)?;
            (other, parsed)
        }
        pair => pair,
    })
}

fn compare(a: Value, op: CompareOp, b: Value) -> Result<Value, EvalError> {
    if matches!(a, Value::Null) || matches!(b, Value::Null) {
        return Ok(Value::Null);
    }
    let (a, b) = coerce(a, b)?;
    let ordering = match (&a, &b) {
        (Value::Long(x), Value::Long(y)) => x.partial_cmp(y),
        (Value::Long(x), Value::Double(y)) => (*x as f64).partial_cmp(y),
        (Value::Double(x), Value::Long(y)) => x.partial_cmp(&(*y as f64)),
        (Value::Double(x), Value::Double(y)) => x.partial_cmp(y),
        (Value::Bool(x), Value::Bool(y)) => {
            if !matches!(op, CompareOp::Eq | CompareOp::Ne) {
                return Err(EvalError);
            }
            x.partial_cmp(y)
        }
        (Value::Str(x), Value::Str(y)) => {
            if matches!(op, CompareOp::Eq | CompareOp::Ne) {
                x.partial_cmp(y)
            } else {
                // Ordering two strings compares them as numbers, or fails.
                let x: f64 = x.trim().parse().map_err(|_| EvalError)?;
                let y: f64 = y.trim().parse().map_err(|_| EvalError)?;
                x.partial_cmp(&y)
            }
        }
        _ => return Err(EvalError),
    };
    let Some(ordering) = ordering else {
        return Ok(Value::Bool(false));
    };
    use std::cmp::Ordering::{Equal, Greater, Less};
    Ok(Value::Bool(match op {
        CompareOp::Eq => ordering == Equal,
        CompareOp::Ne => ordering != Equal,
        CompareOp::Gt => ordering == Greater,
        CompareOp::Ge => ordering != Less,
        CompareOp::Lt => ordering == Less,
        CompareOp::Le => ordering != Greater,
    }))
}
