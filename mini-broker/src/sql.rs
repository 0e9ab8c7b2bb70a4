//! SQL92 property selectors: the subset RocketMQ brokers evaluate (ActiveMQ-style selectors
//! without arithmetic, LIKE or functions). Properties are strings; comparisons follow SQL's
//! three-valued logic, and a message matches only when the whole expression is TRUE. An
//! evaluation error (a non-numeric string compared with a number, say) means no match.

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
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
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

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Ident(String),
    Keyword(&'static str),
    Str(String),
    Long(i64),
    Double(f64),
    Op(&'static str),
}

const KEYWORDS: [&str; 11] = [
    "AND",
    "OR",
    "NOT",
    "BETWEEN",
    "IN",
    "IS",
    "NULL",
    "TRUE",
    "FALSE",
    "CONTAINS",
    "STARTSWITH",
];
const ENDSWITH: &str = "ENDSWITH";

fn tokenize(input: &str) -> Result<Vec<Token>, ParseError> {
    let chars: Vec<char> = input.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '-' && chars.get(i + 1) == Some(&'-') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && chars.get(i + 1) == Some(&'*') {
            i += 2;
            while i < chars.len() && !(chars[i] == '*' && chars.get(i + 1) == Some(&'/')) {
                i += 1;
            }
            if i >= chars.len() {
                return Err(ParseError("unterminated comment".into()));
            }
            i += 2;
        } else if c == '\'' {
            let mut s = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    None => return Err(ParseError("unterminated string literal".into())),
                    Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                        s.push('\'');
                        i += 2;
                    }
                    Some('\'') => {
                        i += 1;
                        break;
                    }
                    Some(other) => {
                        s.push(*other);
                        i += 1;
                    }
                }
            }
            tokens.push(Token::Str(s));
        } else if c.is_ascii_digit()
            || (c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit))
        {
            let start = i;
            let mut is_double = false;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            if chars.get(i) == Some(&'.') {
                is_double = true;
                i += 1;
                while i < chars.len() && chars[i].is_ascii_digit() {
                    i += 1;
                }
            }
            if matches!(chars.get(i), Some('e' | 'E')) {
                is_double = true;
                i += 1;
                if matches!(chars.get(i), Some('+' | '-')) {
                    i += 1;
                }
                while i < chars.len() && chars[i].is_ascii_digit() {
                    i += 1;
                }
            }
            let text: String = chars[start..i].iter().collect();
            if is_double {
                let v = text
                    .parse::<f64>()
                    .map_err(|_| ParseError(format!("bad number {text}")))?;
                tokens.push(Token::Double(v));
            } else {
                if matches!(chars.get(i), Some('l' | 'L')) {
                    i += 1;
                }
                let v = text
                    .parse::<i64>()
                    .map_err(|_| ParseError(format!("number {text} out of range")))?;
                tokens.push(Token::Long(v));
            }
        } else if c.is_ascii_alphabetic() || c == '_' || c == '$' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_ascii_alphanumeric() || chars[i] == '_' || chars[i] == '$')
            {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let upper = word.to_ascii_uppercase();
            match KEYWORDS.iter().chain([&ENDSWITH]).find(|k| **k == upper) {
                Some(k) => tokens.push(Token::Keyword(k)),
                None => tokens.push(Token::Ident(word)),
            }
        } else {
            let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
            let op = match two.as_str() {
                "<>" => Some("<>"),
                ">=" => Some(">="),
                "<=" => Some("<="),
                _ => None,
            };
            if let Some(op) = op {
                tokens.push(Token::Op(op));
                i += 2;
                continue;
            }
            let op = match c {
                '=' => "=",
                '>' => ">",
                '<' => "<",
                '(' => "(",
                ')' => ")",
                ',' => ",",
                '+' => "+",
                '-' => "-",
                other => return Err(ParseError(format!("unexpected character {other:?}"))),
            };
            tokens.push(Token::Op(op));
            i += 1;
        }
    }
    Ok(tokens)
}

/// Deepest nesting of parentheses and unary operators accepted; the parser recurses, so
/// untrusted input must not choose its depth.
const MAX_DEPTH: usize = 64;

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn keyword(&mut self, k: &str) -> bool {
        if matches!(self.peek(), Some(Token::Keyword(w)) if *w == k) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn op(&mut self, o: &str) -> bool {
        if matches!(self.peek(), Some(Token::Op(w)) if *w == o) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect_op(&mut self, o: &str) -> Result<(), ParseError> {
        if self.op(o) {
            Ok(())
        } else {
            Err(ParseError(format!("expected {o:?}")))
        }
    }

    fn string(&mut self) -> Result<String, ParseError> {
        match self.tokens.get(self.pos) {
            Some(Token::Str(s)) => {
                self.pos += 1;
                Ok(s.clone())
            }
            _ => Err(ParseError("expected a string literal".into())),
        }
    }

    fn or(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.and()?;
        while self.keyword("OR") {
            left = Expr::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.equality()?;
        while self.keyword("AND") {
            left = Expr::And(Box::new(left), Box::new(self.equality()?));
        }
        Ok(left)
    }

    fn equality(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.comparison()?;
        loop {
            if self.op("=") {
                left = Expr::Compare(Box::new(left), CompareOp::Eq, Box::new(self.comparison()?));
            } else if self.op("<>") {
                left = Expr::Compare(Box::new(left), CompareOp::Ne, Box::new(self.comparison()?));
            } else if self.keyword("IS") {
                let negated = self.keyword("NOT");
                if !self.keyword("NULL") {
                    return Err(ParseError("expected NULL after IS".into()));
                }
                left = Expr::IsNull(Box::new(left), negated);
            } else {
                return Ok(left);
            }
        }
    }

    fn comparison(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.unary()?;
        loop {
            let op = [
                (">=", CompareOp::Ge),
                ("<=", CompareOp::Le),
                (">", CompareOp::Gt),
                ("<", CompareOp::Lt),
            ]
            .into_iter()
            .find(|(text, _)| self.op(text));
            if let Some((_, op)) = op {
                left = Expr::Compare(Box::new(left), op, Box::new(self.unary()?));
                continue;
            }
            let save = self.pos;
            let negated = self.keyword("NOT");
            if self.keyword("BETWEEN") {
                let low = self.unary()?;
                if !self.keyword("AND") {
                    return Err(ParseError("expected AND in BETWEEN".into()));
                }
                let high = self.unary()?;
                left = Expr::Between(Box::new(left), Box::new(low), Box::new(high), negated);
            } else if self.keyword("IN") {
                self.expect_op("(")?;
                let mut items = vec![self.string()?];
                while self.op(",") {
                    items.push(self.string()?);
                }
                self.expect_op(")")?;
                if !matches!(left, Expr::Property(_)) {
                    return Err(ParseError("IN needs a property on its left".into()));
                }
                left = Expr::In(Box::new(left), items, negated);
            } else if let Some(op) = [
                ("CONTAINS", TextOp::Contains),
                ("STARTSWITH", TextOp::StartsWith),
                (ENDSWITH, TextOp::EndsWith),
            ]
            .into_iter()
            .find(|(k, _)| self.keyword(k))
            .map(|(_, op)| op)
            {
                let text = self.string()?;
                left = Expr::Text(Box::new(left), op, text, negated);
            } else {
                self.pos = save;
                return Ok(left);
            }
        }
    }

    fn unary(&mut self) -> Result<Expr, ParseError> {
        self.depth += 1;
        let result = self.unary_inner();
        self.depth -= 1;
        result
    }

    fn unary_inner(&mut self) -> Result<Expr, ParseError> {
        if self.depth > MAX_DEPTH {
            return Err(ParseError(format!("nested deeper than {MAX_DEPTH} levels")));
        }
        if self.keyword("NOT") {
            // As in RocketMQ's grammar, NOT binds tightest and needs a boolean operand:
            // `NOT a = 'x'` does not parse; `NOT (a = 'x')` does.
            let operand = self.unary()?;
            if !operand.is_boolean() {
                return Err(ParseError("NOT needs a boolean expression".into()));
            }
            return Ok(Expr::Not(Box::new(operand)));
        }
        if self.op("+") {
            return self.unary();
        }
        if self.op("-") {
            return Ok(Expr::Negate(Box::new(self.unary()?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, ParseError> {
        let token = self
            .tokens
            .get(self.pos)
            .cloned()
            .ok_or_else(|| ParseError("unexpected end of expression".into()))?;
        self.pos += 1;
        match token {
            Token::Ident(name) => Ok(Expr::Property(name)),
            Token::Str(s) => Ok(Expr::Literal(Value::Str(s))),
            Token::Long(v) => Ok(Expr::Literal(Value::Long(v))),
            Token::Double(v) => Ok(Expr::Literal(Value::Double(v))),
            Token::Keyword("TRUE") => Ok(Expr::Literal(Value::Bool(true))),
            Token::Keyword("FALSE") => Ok(Expr::Literal(Value::Bool(false))),
            Token::Keyword("NULL") => Ok(Expr::Literal(Value::Null)),
            Token::Op("(") => {
                let inner = self.or()?;
                self.expect_op(")")?;
                Ok(inner)
            }
            other => Err(ParseError(format!("unexpected {other:?}"))),
        }
    }
}

impl Expr {
    fn is_boolean(&self) -> bool {
        !matches!(
            self,
            Expr::Property(_)
                | Expr::Negate(_)
                | Expr::Literal(Value::Null | Value::Long(_) | Value::Double(_) | Value::Str(_))
        )
    }
}

/// An evaluation error; the message does not match.
struct EvalError;

type Lookup<'a> = &'a dyn Fn(&str) -> Option<String>;

impl Selector {
    pub(crate) fn parse(text: &str) -> Result<Selector, ParseError> {
        let mut parser = Parser {
            tokens: tokenize(text)?,
            pos: 0,
            depth: 0,
        };
        let expr = parser.or()?;
        if parser.pos != parser.tokens.len() {
            return Err(ParseError(format!(
                "unexpected {:?}",
                parser.tokens[parser.pos]
            )));
        }
        Ok(Selector(expr))
    }

    /// True when the expression evaluates to TRUE for a message whose properties `lookup`
    /// returns.
    pub(crate) fn matches(&self, lookup: Lookup<'_>) -> bool {
        matches!(eval(&self.0, lookup), Ok(Value::Bool(true)))
    }
}

fn eval(expr: &Expr, lookup: Lookup<'_>) -> Result<Value, EvalError> {
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
        Expr::And(a, b) => match (truth(eval(a, lookup)?)?, truth(eval(b, lookup)?)?) {
            (Some(false), _) | (_, Some(false)) => Value::Bool(false),
            (Some(true), Some(true)) => Value::Bool(true),
            _ => Value::Null,
        },
        Expr::Or(a, b) => match (truth(eval(a, lookup)?)?, truth(eval(b, lookup)?)?) {
            (Some(true), _) | (_, Some(true)) => Value::Bool(true),
            (Some(false), Some(false)) => Value::Bool(false),
            _ => Value::Null,
        },
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn check(sql: &str, props: &[(&str, &str)]) -> bool {
        let map: HashMap<String, String> = props
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Selector::parse(sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .matches(&|name| map.get(name).cloned())
    }

    #[test]
    fn comparisons_and_types() {
        assert!(check("a = 'x'", &[("a", "x")]));
        assert!(!check("a = 'x'", &[("a", "y")]));
        assert!(check("n > 5", &[("n", "7")]));
        assert!(!check("n > 5", &[("n", "3")]));
        assert!(check("n >= 1.5 AND n < 2", &[("n", "1.5")]));
        assert!(!check("n > 5", &[("n", "abc")]), "error means no match");
        assert!(check("n BETWEEN 1 AND 10", &[("n", "10")]));
        assert!(check("n NOT BETWEEN 1 AND 10", &[("n", "11")]));
        assert!(check("n = -3", &[("n", "-3")]));
        assert!(check("b = TRUE", &[("b", "true")]));
        assert!(check("x = 10L", &[("x", "10")]));
    }

    #[test]
    fn null_logic() {
        assert!(!check("missing = 'x'", &[]));
        assert!(!check("NOT (missing = 'x')", &[]));
        assert!(check("missing IS NULL", &[]));
        assert!(check("a IS NOT NULL", &[("a", "1")]));
        assert!(check("missing = 'x' OR a = '1'", &[("a", "1")]));
        assert!(!check("missing = 'x' AND a = '1'", &[("a", "1")]));
    }

    #[test]
    fn sets_and_text() {
        assert!(check("TAGS IN ('a', 'b')", &[("TAGS", "b")]));
        assert!(check("TAGS NOT IN ('a', 'b')", &[("TAGS", "c")]));
        assert!(check("s CONTAINS 'ell'", &[("s", "hello")]));
        assert!(check(
            "s STARTSWITH 'he' and s endswith 'lo'",
            &[("s", "hello")]
        ));
        assert!(check("s NOT CONTAINS 'z'", &[("s", "hello")]));
        assert!(check("q = 'it''s' -- comment", &[("q", "it's")]));
        assert!(check(
            "/* c */ (a = '1' OR a = '2') AND NOT (b = '3')",
            &[("a", "2"), ("b", "4")]
        ));
    }

    #[test]
    fn deep_nesting_is_refused_not_a_stack_overflow() {
        let deep = format!("{}a = '1'{}", "(".repeat(100_000), ")".repeat(100_000));
        assert!(Selector::parse(&deep).is_err());
        let negations = format!("{}(a = '1')", "NOT ".repeat(100_000));
        assert!(Selector::parse(&negations).is_err());
        let fine = format!("{}a = '1'{}", "(".repeat(20), ")".repeat(20));
        assert!(Selector::parse(&fine).is_ok());
    }

    #[test]
    fn syntax_errors() {
        for bad in [
            "a =",
            "a = 'x",
            "(a = 1",
            "a LIKE 'x'",
            "1 IN ('a')",
            "a = 1 b",
            "a + 1 = 2",
            "NOT a = '1'",
        ] {
            assert!(Selector::parse(bad).is_err(), "{bad} should not parse");
        }
    }
}
