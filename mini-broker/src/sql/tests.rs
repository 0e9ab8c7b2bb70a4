use super::parse::MAX_DEPTH;
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

/// Parses, evaluates and drops `sql` on a thread with a small stack: a recursion as deep as
/// the input would overflow it.
fn on_small_stack(sql: String, props: Vec<(&'static str, &'static str)>) -> Option<bool> {
    std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(move || {
            let selector = Selector::parse(&sql).ok()?;
            let map: HashMap<String, String> = props
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            let matched = selector.matches(&|name| map.get(name).cloned());
            drop(selector);
            Some(matched)
        })
        .expect("spawn")
        .join()
        .expect("no stack overflow")
}

#[test]
fn long_and_or_chains_are_flat_not_deep() {
    let terms = |n: usize, join: &str| {
        (0..n)
            .map(|i| format!("a = '{i}'"))
            .collect::<Vec<_>>()
            .join(join)
    };
    // The chain lengths that overflowed the broker's stack, and far beyond.
    for n in [5_600, 43_800, 200_000] {
        assert_eq!(
            on_small_stack(terms(n, " OR "), vec![("a", "5599")]),
            Some(true)
        );
        assert_eq!(
            on_small_stack(terms(n, " OR "), vec![("a", "x")]),
            Some(false)
        );
        assert_eq!(
            on_small_stack(terms(n, " AND "), vec![("a", "0")]),
            Some(false)
        );
    }
    let same = (0..50_000)
        .map(|_| "a = '1'")
        .collect::<Vec<_>>()
        .join(" AND ");
    assert_eq!(on_small_stack(same, vec![("a", "1")]), Some(true));
}

#[test]
fn comparison_chains_count_toward_the_depth_limit() {
    let chain = |n: usize| format!("a{}", " = 'x'".repeat(n));
    assert!(Selector::parse(&chain(MAX_DEPTH)).is_ok());
    assert!(Selector::parse(&chain(MAX_DEPTH + 1)).is_err());
    assert_eq!(on_small_stack(chain(100_000), vec![]), None);
    let ordered = format!("a{}", " < 1".repeat(100_000));
    assert_eq!(on_small_stack(ordered, vec![]), None);
}
