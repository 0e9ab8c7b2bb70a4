//! The recursive-descent parser: tokens to an expression tree.

use super::lex::{ENDSWITH, Token};
use super::*;

/// Deepest expression tree accepted, counting parentheses, unary operators and every operator
/// of a comparison chain (`a = b = c`); the parser, the evaluator and the tree's drop all
/// recurse, so untrusted input must not choose the depth. AND and OR chains are flat nodes and
/// do not count.
pub(crate) const MAX_DEPTH: usize = 64;

/// Parses a whole token list into one expression.
pub(super) fn parse(tokens: Vec<Token>) -> Result<Expr, ParseError> {
    let mut parser = Parser {
        tokens,
        pos: 0,
        depth: 0,
    };
    let expr = parser.or()?;
    match parser.tokens.get(parser.pos) {
        None => Ok(expr),
        Some(extra) => Err(ParseError(format!("unexpected {extra:?}"))),
    }
}

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
        let mut terms = vec![self.and()?];
        while self.keyword("OR") {
            terms.push(self.and()?);
        }
        Ok(flat(terms, Expr::Or))
    }

    fn and(&mut self) -> Result<Expr, ParseError> {
        let mut terms = vec![self.equality()?];
        while self.keyword("AND") {
            terms.push(self.equality()?);
        }
        Ok(flat(terms, Expr::And))
    }

    /// Runs `parse` with the depth it had on entry restored afterwards: a comparison chain
    /// deepens the tree only below itself.
    fn chain(
        &mut self,
        parse: fn(&mut Self) -> Result<Expr, ParseError>,
    ) -> Result<Expr, ParseError> {
        let depth = self.depth;
        let result = parse(self);
        self.depth = depth;
        result
    }

    /// One more operator in a comparison chain (counted once its node is built).
    fn deeper(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(ParseError(format!("nested deeper than {MAX_DEPTH} levels")));
        }
        Ok(())
    }

    fn equality(&mut self) -> Result<Expr, ParseError> {
        self.chain(Self::equality_chain)
    }

    fn equality_chain(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.comparison()?;
        loop {
            if self.op("=") {
                left = Expr::Compare(Box::new(left), CompareOp::Eq, Box::new(self.comparison()?));
                self.deeper()?;
            } else if self.op("<>") {
                left = Expr::Compare(Box::new(left), CompareOp::Ne, Box::new(self.comparison()?));
                self.deeper()?;
            } else if self.keyword("IS") {
                let negated = self.keyword("NOT");
                if !self.keyword("NULL") {
                    return Err(ParseError("expected NULL after IS".into()));
                }
                left = Expr::IsNull(Box::new(left), negated);
                self.deeper()?;
            } else {
                return Ok(left);
            }
        }
    }

    fn comparison(&mut self) -> Result<Expr, ParseError> {
        self.chain(Self::comparison_chain)
    }

    fn comparison_chain(&mut self) -> Result<Expr, ParseError> {
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
                self.deeper()?;
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
                self.deeper()?;
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
                self.deeper()?;
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
                self.deeper()?;
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

/// One term, or the flat node of two or more.
fn flat(mut terms: Vec<Expr>, node: fn(Vec<Expr>) -> Expr) -> Expr {
    match terms.len() {
        1 => terms.pop().unwrap_or(Expr::Literal(Value::Null)),
        _ => node(terms),
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
