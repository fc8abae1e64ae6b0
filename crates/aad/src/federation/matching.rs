//! Flexible federated identity credentials: `claimsMatchingExpression` in place of an exact
//! subject. The language is Entra's (version 1): comparisons of a claim with a string literal,
//! `eq` (exact) or `matches` (`*` any run of characters, `?` one), joined with `and`, e.g.
//! `claims['sub'] matches 'repo:contoso/*:ref:refs/heads/*' and claims['job_workflow_ref'] eq 'x'`.
//! See <https://learn.microsoft.com/entra/workload-id/workload-identities-flexible-federated-identity-credentials>.

/// One comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Comparison {
    claim: String,
    operator: Operator,
    value: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operator {
    Eq,
    Matches,
}

/// A parsed expression: every comparison must hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expression(Vec<Comparison>);

impl Expression {
    /// Parses `text`; `None` when it is not in the language.
    pub fn parse(text: &str) -> Option<Self> {
        let mut rest = text.trim();
        let mut comparisons = Vec::new();
        loop {
            let (comparison, after) = comparison(rest)?;
            comparisons.push(comparison);
            rest = after.trim_start();
            if rest.is_empty() {
                return Some(Self(comparisons));
            }
            rest = rest.strip_prefix("and ")?.trim_start();
        }
    }

    /// Whether `claims` satisfy every comparison (a missing or non-string claim never does).
    pub fn holds(&self, claims: &serde_json::Value) -> bool {
        self.0.iter().all(|c| {
            let Some(actual) = claims[&c.claim].as_str() else {
                return false;
            };
            match c.operator {
                Operator::Eq => actual == c.value,
                Operator::Matches => glob(&c.value, actual),
            }
        })
    }
}

/// `claims['name'] op 'literal'` at the start of `text`, and what follows it.
fn comparison(text: &str) -> Option<(Comparison, &str)> {
    let rest = text.strip_prefix("claims[")?;
    let (claim, rest) = literal(rest.trim_start())?;
    let rest = rest.trim_start().strip_prefix(']')?.trim_start();
    let (operator, rest) = if let Some(rest) = rest.strip_prefix("eq ") {
        (Operator::Eq, rest)
    } else {
        (Operator::Matches, rest.strip_prefix("matches ")?)
    };
    let (value, rest) = literal(rest.trim_start())?;
    Some((
        Comparison {
            claim,
            operator,
            value,
        },
        rest,
    ))
}

/// A single-quoted string (`''` inside stands for one quote) and what follows it.
fn literal(text: &str) -> Option<(String, &str)> {
    let mut chars = text.strip_prefix('\'')?.char_indices().peekable();
    let body = &text[1..];
    let mut value = String::new();
    while let Some((i, c)) = chars.next() {
        if c == '\'' {
            if chars.peek().map(|(_, n)| *n) == Some('\'') {
                chars.next();
                value.push('\'');
                continue;
            }
            return Some((value, &body[i + 1..]));
        }
        value.push(c);
    }
    None
}

/// Whether `text` matches `pattern` (`*` any run, `?` one character), case-sensitively.
fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn eq_and_matches_joined_with_and() {
        let e = Expression::parse(
            "claims['sub'] matches 'repo:contoso/*:ref:refs/heads/*' and claims['env'] eq 'prod'",
        )
        .unwrap();
        assert!(e.holds(&json!({"sub": "repo:contoso/app:ref:refs/heads/main", "env": "prod"})));
        assert!(!e.holds(&json!({"sub": "repo:contoso/app:ref:refs/heads/main", "env": "dev"})));
        assert!(!e.holds(&json!({"sub": "repo:Contoso/app:ref:refs/heads/main", "env": "prod"})));
        assert!(!e.holds(&json!({"sub": "repo:contoso/app:pull_request"})));
    }

    #[test]
    fn quotes_wildcards_and_refusals() {
        let e = Expression::parse("claims['sub'] eq 'it''s'").unwrap();
        assert!(e.holds(&json!({"sub": "it's"})));
        let e = Expression::parse("claims['sub'] matches 'a?c*'").unwrap();
        assert!(e.holds(&json!({"sub": "abc"})) && e.holds(&json!({"sub": "axcdef"})));
        assert!(!e.holds(&json!({"sub": "ac"})));
        for bad in [
            "",
            "claims['sub']",
            "claims['sub'] ne 'x'",
            "claims['sub'] eq 'x' or claims['a'] eq 'b'",
            "claims['sub'] eq 'x",
        ] {
            assert!(Expression::parse(bad).is_none(), "{bad}");
        }
    }
}
