//! Compiles every UI case: misuse must fail with the recorded diagnostics, and correct uses
//! must build and run.
//!
//! The recorded `.stderr` files match the toolchain the workspace is tested on; after a
//! compiler upgrade, regenerate them with `TRYBUILD=overwrite` and review the diff.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui/pass/*.rs");
    cases.compile_fail("tests/ui/fail/*.rs");
}
