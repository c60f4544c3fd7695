//! README.md's GraphQL examples, as the tests that check and run them see them.

/// README.md as this checkout has it.
pub const README: &str = include_str!("../../README.md");

/// Marks an example the tour test cannot run (it needs the reader's own Magento store).
pub const NOT_RUN_MARK: &str = "# needs your own store";

/// One ```graphql block: its first line's number in README.md, and its text.
#[derive(Debug, Clone)]
pub struct Example {
    pub line: usize,
    pub text: String,
}

impl Example {
    /// Whether the tour runs it (a store of one's own is not something a test has).
    pub fn runs_in_the_tour(&self) -> bool {
        !self.text.trim_start().starts_with(NOT_RUN_MARK)
    }

    pub fn is_subscription(&self) -> bool {
        self.text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with('#'))
            .is_some_and(|l| l.starts_with("subscription"))
    }
}

/// The ```graphql blocks of a Markdown text, in order.
pub fn graphql_examples(markdown: &str) -> Vec<Example> {
    let mut examples = Vec::new();
    let mut current: Option<Example> = None;
    for (number, line) in markdown.lines().enumerate() {
        match (&mut current, line.trim_start()) {
            (None, fence) if fence.starts_with("```graphql") => {
                current = Some(Example {
                    line: number + 2,
                    text: String::new(),
                });
            }
            (Some(_), "```") => examples.extend(current.take()),
            (Some(example), _) => {
                example.text.push_str(line);
                example.text.push('\n');
            }
            (None, _) => {}
        }
    }
    assert!(
        current.is_none(),
        "README.md has an unclosed ```graphql block"
    );
    examples
}
