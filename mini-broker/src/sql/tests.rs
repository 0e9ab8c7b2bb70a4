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
