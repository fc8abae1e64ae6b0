//! ABAC conditions (condition version 2.0), the subset Azure's built-in roles and role-assignment
//! delegation use, evaluated with three-valued logic.
//!
//! Grammar (keywords case-insensitive):
//!
//! ```text
//! expr    := and (("OR" | "||") and)*
//! and     := unary (("AND" | "&&") unary)*
//! unary   := ("!" | "NOT") unary | "(" expr ")" | atom
//! atom    := ("ActionMatches" | "SubOperationMatches") "{" 'pattern' "}"
//!          | "@" source "[" attribute "]" [quantifier ":"] operator values
//! values  := "{" value ("," value)* "}" | value          value := 'quoted' | bare word
//! ```
//!
//! `ActionMatches{'…'}` is true when the action being decided matches the pattern (ARM's
//! wildcards). An attribute comparison is known only when the caller supplied that attribute
//! (see [`Attributes`]) and the operator is one of `GuidEquals`, `GuidNotEquals`, `StringEquals`,
//! `StringNotEquals`, `StringEqualsIgnoreCase`, `StringNotEqualsIgnoreCase` (with the quantifiers
//! `ForAnyOfAnyValues`, `ForAllOfAnyValues`, `ForAnyOfAllValues`, `ForAllOfAllValues`, or none);
//! anything else is unknown. `true OR unknown` is true and `false AND unknown` is false, so a
//! condition restricts only the actions its `ActionMatches` clauses name: for the others,
//! `!(ActionMatches{…})` is true and decides the clause. A condition that stays unknown for an
//! action does not grant it.

use std::collections::HashMap;

use crate::role_definitions::model::action_matches;

/// Attribute values of one request, keyed by `source` and attribute name, e.g.
/// `Request` + `Microsoft.Authorization/roleAssignments:RoleDefinitionId`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attributes {
    values: HashMap<(String, String), Vec<String>>,
}

/// `Microsoft.Authorization/roleAssignments:RoleDefinitionId`.
pub const ROLE_DEFINITION_ID: &str = "Microsoft.Authorization/roleAssignments:RoleDefinitionId";
/// `Microsoft.Authorization/roleAssignments:PrincipalType`.
pub const PRINCIPAL_TYPE: &str = "Microsoft.Authorization/roleAssignments:PrincipalType";

impl Attributes {
    /// No attributes.
    pub fn none() -> Self {
        Self::default()
    }

    /// The attributes of a role-assignment write: `@Request[…:RoleDefinitionId]` (the role's
    /// GUID) and `@Request[…:PrincipalType]`.
    pub fn role_assignment_write(role_definition_guid: &str, principal_type: &str) -> Self {
        Self::none()
            .with("Request", ROLE_DEFINITION_ID, role_definition_guid)
            .with("Request", PRINCIPAL_TYPE, principal_type)
    }

    /// The attributes of a role-assignment delete: `@Resource[…:RoleDefinitionId]` and
    /// `@Resource[…:PrincipalType]` of the assignment being deleted.
    pub fn role_assignment_delete(role_definition_guid: &str, principal_type: &str) -> Self {
        Self::none()
            .with("Resource", ROLE_DEFINITION_ID, role_definition_guid)
            .with("Resource", PRINCIPAL_TYPE, principal_type)
    }

    /// These attributes plus `@{source}[{name}] = value` (one more value if already set).
    pub fn with(mut self, source: &str, name: &str, value: &str) -> Self {
        self.values
            .entry((source.to_ascii_lowercase(), name.to_ascii_lowercase()))
            .or_default()
            .push(value.to_string());
        self
    }

    fn get(&self, source: &str, name: &str) -> Option<&[String]> {
        self.values
            .get(&(source.to_ascii_lowercase(), name.to_ascii_lowercase()))
            .map(Vec::as_slice)
    }
}

/// The outcome of a condition for one action: granted, refused, or not decidable by mimic (why).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The condition holds.
    True,
    /// The condition does not hold.
    False,
    /// mimic cannot decide it (the reason, for the log); the action is not granted.
    Unknown(String),
}

impl Outcome {
    fn not(self) -> Self {
        match self {
            Self::True => Self::False,
            Self::False => Self::True,
            unknown => unknown,
        }
    }

    fn and(self, other: impl FnOnce() -> Self) -> Self {
        match self {
            Self::False => Self::False,
            Self::True => other(),
            Self::Unknown(why) => match other() {
                Self::False => Self::False,
                _ => Self::Unknown(why),
            },
        }
    }

    fn or(self, other: impl FnOnce() -> Self) -> Self {
        match self {
            Self::True => Self::True,
            Self::False => other(),
            Self::Unknown(why) => match other() {
                Self::True => Self::True,
                _ => Self::Unknown(why),
            },
        }
    }
}

/// Evaluates `condition` for `action` with the request's `attributes`.
pub fn evaluate(condition: &str, action: &str, attributes: &Attributes) -> Outcome {
    match parse(condition) {
        Ok(expr) => expr.evaluate(action, attributes),
        Err(why) => Outcome::Unknown(format!("the condition cannot be parsed: {why}")),
    }
}

/// A parsed condition.
#[derive(Debug, Clone, PartialEq)]
enum Expr {
    Or(Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    ActionMatches(String),
    SubOperationMatches(String),
    Compare {
        source: String,
        attribute: String,
        quantifier: Option<String>,
        operator: String,
        values: Vec<String>,
    },
}

impl Expr {
    fn evaluate(&self, action: &str, attributes: &Attributes) -> Outcome {
        match self {
            Self::Or(left, right) => left
                .evaluate(action, attributes)
                .or(|| right.evaluate(action, attributes)),
            Self::And(left, right) => left
                .evaluate(action, attributes)
                .and(|| right.evaluate(action, attributes)),
            Self::Not(inner) => inner.evaluate(action, attributes).not(),
            Self::ActionMatches(pattern) => {
                if action_matches(pattern, action) {
                    Outcome::True
                } else {
                    Outcome::False
                }
            }
            Self::SubOperationMatches(pattern) => Outcome::Unknown(format!(
                "SubOperationMatches{{'{pattern}'}} is not evaluated"
            )),
            Self::Compare {
                source,
                attribute,
                quantifier,
                operator,
                values,
            } => {
                let Some(actual) = attributes.get(source, attribute) else {
                    return Outcome::Unknown(format!(
                        "@{source}[{attribute}] is not known for this request"
                    ));
                };
                compare(actual, quantifier.as_deref(), operator, values)
            }
        }
    }
}

fn compare(
    actual: &[String],
    quantifier: Option<&str>,
    operator: &str,
    wanted: &[String],
) -> Outcome {
    let op = operator.to_ascii_lowercase();
    let test: fn(&str, &str) -> bool = match op.as_str() {
        "guidequals" => |a, b| guid_key(a) == guid_key(b),
        "guidnotequals" => |a, b| guid_key(a) != guid_key(b),
        "stringequals" => |a, b| a == b,
        "stringnotequals" => |a, b| a != b,
        "stringequalsignorecase" => |a, b| a.eq_ignore_ascii_case(b),
        "stringnotequalsignorecase" => |a, b| !a.eq_ignore_ascii_case(b),
        _ => return Outcome::Unknown(format!("the operator {operator} is not evaluated")),
    };
    let holds = match quantifier.map(str::to_ascii_lowercase).as_deref() {
        None | Some("foranyofanyvalues") => {
            actual.iter().any(|a| wanted.iter().any(|b| test(a, b)))
        }
        Some("forallofanyvalues") => actual.iter().all(|a| wanted.iter().any(|b| test(a, b))),
        Some("foranyofallvalues") => actual.iter().any(|a| wanted.iter().all(|b| test(a, b))),
        Some("forallofallvalues") => actual.iter().all(|a| wanted.iter().all(|b| test(a, b))),
        Some(other) => return Outcome::Unknown(format!("the quantifier {other} is not evaluated")),
    };
    if holds {
        Outcome::True
    } else {
        Outcome::False
    }
}

/// A GUID compared as Azure does: case-insensitive, with or without dashes.
fn guid_key(guid: &str) -> String {
    guid.trim()
        .chars()
        .filter(|c| *c != '-')
        .collect::<String>()
        .to_ascii_lowercase()
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Open,
    Close,
    OpenBrace,
    CloseBrace,
    Comma,
    Colon,
    Not,
    And,
    Or,
    At,
    Bracketed(String),
    Quoted(String),
    Word(String),
}

fn tokenize(text: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut at = 0;
    while at < chars.len() {
        let c = chars[at];
        match c {
            c if c.is_whitespace() => at += 1,
            '(' => {
                tokens.push(Token::Open);
                at += 1;
            }
            ')' => {
                tokens.push(Token::Close);
                at += 1;
            }
            '{' => {
                tokens.push(Token::OpenBrace);
                at += 1;
            }
            '}' => {
                tokens.push(Token::CloseBrace);
                at += 1;
            }
            ',' => {
                tokens.push(Token::Comma);
                at += 1;
            }
            ':' => {
                tokens.push(Token::Colon);
                at += 1;
            }
            '!' => {
                tokens.push(Token::Not);
                at += 1;
            }
            '@' => {
                tokens.push(Token::At);
                at += 1;
            }
            '&' | '|' => {
                if chars.get(at + 1) != Some(&c) {
                    return Err(format!("a single '{c}' at {at}"));
                }
                tokens.push(if c == '&' { Token::And } else { Token::Or });
                at += 2;
            }
            '[' => {
                let end = chars[at..]
                    .iter()
                    .position(|&c| c == ']')
                    .ok_or("an unclosed '['")?;
                tokens.push(Token::Bracketed(chars[at + 1..at + end].iter().collect()));
                at += end + 1;
            }
            '\'' => {
                let end = chars[at + 1..]
                    .iter()
                    .position(|&c| c == '\'')
                    .ok_or("an unclosed quote")?;
                tokens.push(Token::Quoted(chars[at + 1..at + 1 + end].iter().collect()));
                at += end + 2;
            }
            _ => {
                let start = at;
                while at < chars.len()
                    && !chars[at].is_whitespace()
                    && !"(){},:!@&|['".contains(chars[at])
                {
                    at += 1;
                }
                let word: String = chars[start..at].iter().collect();
                tokens.push(match word.to_ascii_lowercase().as_str() {
                    "and" => Token::And,
                    "or" => Token::Or,
                    "not" => Token::Not,
                    _ => Token::Word(word),
                });
            }
        }
    }
    Ok(tokens)
}

fn parse(text: &str) -> Result<Expr, String> {
    let tokens = tokenize(text)?;
    let mut parser = Parser { tokens, at: 0 };
    let expr = parser.or()?;
    match parser.peek() {
        None => Ok(expr),
        Some(token) => Err(format!("unexpected {token:?}")),
    }
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        token
    }

    fn expect(&mut self, wanted: &Token) -> Result<(), String> {
        match self.next() {
            Some(token) if &token == wanted => Ok(()),
            other => Err(format!("expected {wanted:?}, found {other:?}")),
        }
    }

    fn or(&mut self) -> Result<Expr, String> {
        let mut left = self.and()?;
        while self.peek() == Some(&Token::Or) {
            self.at += 1;
            left = Expr::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, String> {
        let mut left = self.unary()?;
        while self.peek() == Some(&Token::And) {
            self.at += 1;
            left = Expr::And(Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, String> {
        match self.next() {
            Some(Token::Not) => Ok(Expr::Not(Box::new(self.unary()?))),
            Some(Token::Open) => {
                let inner = self.or()?;
                self.expect(&Token::Close)?;
                Ok(inner)
            }
            Some(Token::Word(word)) if word.eq_ignore_ascii_case("ActionMatches") => {
                Ok(Expr::ActionMatches(self.braced_pattern()?))
            }
            Some(Token::Word(word)) if word.eq_ignore_ascii_case("SubOperationMatches") => {
                Ok(Expr::SubOperationMatches(self.braced_pattern()?))
            }
            Some(Token::At) => self.comparison(),
            other => Err(format!("unexpected {other:?}")),
        }
    }

    fn braced_pattern(&mut self) -> Result<String, String> {
        self.expect(&Token::OpenBrace)?;
        let pattern = match self.next() {
            Some(Token::Quoted(pattern)) => pattern,
            other => return Err(format!("expected a quoted action, found {other:?}")),
        };
        self.expect(&Token::CloseBrace)?;
        Ok(pattern)
    }

    fn comparison(&mut self) -> Result<Expr, String> {
        let source = match self.next() {
            Some(Token::Word(source)) => source,
            other => return Err(format!("expected an attribute source, found {other:?}")),
        };
        let attribute = match self.next() {
            Some(Token::Bracketed(attribute)) => attribute.trim().to_string(),
            other => return Err(format!("expected [attribute], found {other:?}")),
        };
        let first = match self.next() {
            Some(Token::Word(word)) => word,
            other => return Err(format!("expected an operator, found {other:?}")),
        };
        let (quantifier, operator) = if self.peek() == Some(&Token::Colon) {
            self.at += 1;
            match self.next() {
                Some(Token::Word(operator)) => (Some(first), operator),
                other => return Err(format!("expected an operator, found {other:?}")),
            }
        } else {
            (None, first)
        };
        let values = if self.peek() == Some(&Token::OpenBrace) {
            self.at += 1;
            let mut values = Vec::new();
            loop {
                values.push(self.value()?);
                match self.next() {
                    Some(Token::Comma) => continue,
                    Some(Token::CloseBrace) => break,
                    other => return Err(format!("expected ',' or '}}', found {other:?}")),
                }
            }
            values
        } else {
            vec![self.value()?]
        };
        Ok(Expr::Compare {
            source,
            attribute,
            quantifier,
            operator,
            values,
        })
    }

    fn value(&mut self) -> Result<String, String> {
        match self.next() {
            Some(Token::Quoted(value) | Token::Word(value)) => Ok(value),
            other => Err(format!("expected a value, found {other:?}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WRITE: &str = "Microsoft.Authorization/roleAssignments/write";
    const DELETE: &str = "Microsoft.Authorization/roleAssignments/delete";
    const READER: &str = "acdd72a7-3385-48ef-bd42-f606fba81ae7";
    const OWNER: &str = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";

    /// Key Vault Data Access Administrator's condition, shortened to two role ids.
    const DELEGATION: &str = "((!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})) OR (@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals{acdd72a7-3385-48ef-bd42-f606fba81ae7, 00482a5a-887f-4fb3-b363-3b7fe8e74483})) AND ((!(ActionMatches{'Microsoft.Authorization/roleAssignments/delete'})) OR (@Resource[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals{acdd72a7338548efbd42f606fba81ae7}))";

    #[test]
    fn evaluate_restricts_only_the_actions_the_condition_names() {
        let none = Attributes::none();
        let cases = [
            (
                "Microsoft.Resources/subscriptions/read",
                Attributes::none(),
                Outcome::True,
            ),
            (
                WRITE,
                Attributes::role_assignment_write(READER, "User"),
                Outcome::True,
            ),
            (
                WRITE,
                Attributes::role_assignment_write(OWNER, "User"),
                Outcome::False,
            ),
            (
                DELETE,
                Attributes::role_assignment_delete(READER, "User"),
                Outcome::True,
            ),
            (
                DELETE,
                Attributes::role_assignment_delete(OWNER, "User"),
                Outcome::False,
            ),
        ];
        for (action, attributes, want) in cases {
            assert_eq!(
                evaluate(DELEGATION, action, &attributes),
                want,
                "{action} {attributes:?}"
            );
        }
        assert!(matches!(
            evaluate(DELEGATION, WRITE, &none),
            Outcome::Unknown(_)
        ));
    }

    #[test]
    fn evaluate_reads_principal_type_and_and_forms() {
        let condition = "((!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})) OR ((@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {acdd72a7-3385-48ef-bd42-f606fba81ae7}) AND (@Request[Microsoft.Authorization/roleAssignments:PrincipalType] StringEqualsIgnoreCase 'ServicePrincipal')))";
        let sp = Attributes::role_assignment_write(READER, "ServicePrincipal");
        let user = Attributes::role_assignment_write(READER, "User");
        assert_eq!(evaluate(condition, WRITE, &sp), Outcome::True);
        assert_eq!(evaluate(condition, WRITE, &user), Outcome::False);
        let set = "@Request[Microsoft.Authorization/roleAssignments:PrincipalType] ForAnyOfAnyValues:StringEqualsIgnoreCase {'User', 'Group'}";
        assert_eq!(evaluate(set, WRITE, &user), Outcome::True);
        assert_eq!(evaluate(set, WRITE, &sp), Outcome::False);
    }

    #[test]
    fn evaluate_guid_not_equals_excludes_the_listed_roles() {
        let condition = "@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAllValues:GuidNotEquals {8e3af657-a8ff-443c-a75c-2fe8c4bcb635, 18d7d88d-d35e-4fb5-a5c3-7773c20a72d9}";
        assert_eq!(
            evaluate(
                condition,
                WRITE,
                &Attributes::role_assignment_write(READER, "User")
            ),
            Outcome::True
        );
        assert_eq!(
            evaluate(
                condition,
                WRITE,
                &Attributes::role_assignment_write(OWNER, "User")
            ),
            Outcome::False
        );
    }

    #[test]
    fn evaluate_is_unknown_for_attributes_and_operators_mimic_lacks() {
        let attributes = Attributes::role_assignment_write(READER, "User");
        let unknown = [
            "@Resource[HasObotoken] boolequals true",
            "@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals 'logs'",
            "@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] GuidLike {x}",
            "(((",
        ];
        for condition in unknown {
            assert!(
                matches!(evaluate(condition, WRITE, &attributes), Outcome::Unknown(_)),
                "{condition}"
            );
        }
        // false AND unknown is false; true OR unknown is true.
        assert_eq!(
            evaluate(
                "@Resource[HasObotoken] boolequals true && ActionMatches{'x/y'}",
                WRITE,
                &attributes
            ),
            Outcome::False
        );
        assert_eq!(
            evaluate(
                "!(ActionMatches{'x/y'}) OR @Resource[HasObotoken] boolequals true",
                WRITE,
                &attributes
            ),
            Outcome::True
        );
    }

    #[test]
    fn every_built_in_condition_parses() {
        for role in crate::role_definitions::model::built_in_roles() {
            for block in &role.permissions {
                if let Some(condition) = &block.condition {
                    assert!(parse(condition).is_ok(), "{}: {condition}", role.role_name);
                }
            }
        }
    }
}
