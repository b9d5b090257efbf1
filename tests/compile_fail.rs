//! The compiler's words for the most common misuses of a chain, pinned: each
//! `tests/ui/*.rs` must fail to compile with the message in its `.stderr`
//! next to it, which should say what to do. Regenerate them with
//! `TRYBUILD=overwrite cargo test --test compile_fail` and read the diff.

#[test]
#[cfg_attr(miri, ignore)]
fn misuses_are_explained() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
}
